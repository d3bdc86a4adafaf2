/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host test of the sDDF serial stream backend (src/backends/sddf/serial.c)
 * against sDDF's own queue header: line batching and prefixes, one
 * notification per flush, a full tx queue drops whole lines, input moves
 * only what the device takes, across the wrap, and bogus indices from the
 * virtualiser are dropped. Built and run by tools/sel4gen/test_sel4gen.py
 * when SDDF is set (ASan+UBSan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sddf/serial/queue.h>
#include "stdvmm/sddf_serial.h"

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static serial_queue_t rxq, txq;
static char rxd[4096], txd[4096];
static unsigned notifies;
static char taken[8192];
static size_t taken_len, take_max;

static void notify(void *ctx)
{
    (void)ctx;
    notifies++;
}

static size_t input(void *dev, const uint8_t *buf, size_t len)
{
    (void)dev;
    size_t n = len < take_max ? len : take_max;

    memcpy(taken + taken_len, buf, n);
    taken_len += n;
    take_max -= n;
    return n;
}

/* Drain the tx queue as the virtualiser would; returns the text. */
static const char *drain(void)
{
    static char out[8192];
    size_t n = 0;
    serial_queue_handle_t h;
    char c;

    serial_queue_init(&h, &txq, sizeof(txd), txd);
    while (serial_dequeue(&h, &c) == 0)
        out[n++] = c;
    out[n] = '\0';
    return out;
}

static void setup(struct vmm_sddf_serial *s)
{
    struct vmm_sddf_serial_queue rx = {&rxq, rxd, sizeof(rxd)}, tx = {&txq, txd, sizeof(txd)};

    memset(&rxq, 0, sizeof(rxq));
    memset(&txq, 0, sizeof(txq));
    notifies = 0;
    taken_len = 0;
    CHECK(vmm_sddf_serial_init(s, &rx, &tx, "vm1", notify, NULL) == 0);
    vmm_sddf_serial_set_input(s, input, NULL);
}

static void w(struct vmm_sddf_serial *s, const char *text)
{
    CHECK(s->backend.write(s->backend.ctx, (const uint8_t *)text, strlen(text)) ==
          (long)strlen(text));
}

static void test_lines(void)
{
    struct vmm_sddf_serial s;
    struct vmm_sddf_serial_queue bad = {&rxq, rxd, 3000};

    setup(&s);
    CHECK(vmm_sddf_serial_init(&s, &bad, &bad, "x", notify, NULL) < 0);
    setup(&s);
    w(&s, "hello\r\nwor");
    CHECK(notifies == 0);
    vmm_sddf_serial_flush(&s);
    CHECK(notifies == 1);
    vmm_sddf_serial_flush(&s);
    CHECK(notifies == 1); /* nothing new: no notification */
    CHECK(strcmp(drain(), "vm1| hello\r\n") == 0);
    w(&s, "ld\n");
    CHECK(vmm_sddf_serial_put_line(&s, "stdvmm[vm1]: x", 14));
    vmm_sddf_serial_flush(&s);
    CHECK(notifies == 2);
    CHECK(strcmp(drain(), "vm1| world\r\nstdvmm[vm1]: x\r\n") == 0);

    char longl[600];
    memset(longl, 'a', sizeof(longl) - 2);
    longl[sizeof(longl) - 2] = '\n';
    longl[sizeof(longl) - 1] = '\0';
    w(&s, longl);
    const char *out = drain();
    CHECK(strlen(out) == 598 + 3 * (5 + 2)); /* split in 3 lines, each prefixed */
    CHECK(strncmp(out, "vm1| aaa", 8) == 0);
}

static void test_full_queue_drops_whole_lines(void)
{
    struct vmm_sddf_serial s;
    serial_queue_handle_t h;

    setup(&s);
    for (int i = 0; i < 1000; i++)
        w(&s, "0123456789012345678901234567890123456789\n");
    serial_queue_init(&h, &txq, sizeof(txd), txd);
    CHECK(serial_queue_length(&h) <= sizeof(txd));
    CHECK(s.dropped > 0);
    CHECK(serial_queue_length(&h) % 47 == 0); /* only whole lines */
    /* indices a broken virtualiser left behind: no room, nothing written */
    txq.head = 0;
    txq.tail = 100000;
    unsigned long before = s.dropped;
    w(&s, "x\n");
    CHECK(s.dropped == before + 1);
    CHECK(txq.tail == 100000);
}

static void test_input(void)
{
    struct vmm_sddf_serial s;
    serial_queue_handle_t h;

    setup(&s);
    serial_queue_init(&h, &rxq, sizeof(rxd), rxd);
    /* start just before the data wrap and the 32-bit index wrap */
    rxq.head = rxq.tail = 0xfffffffeu;
    for (const char *p = "abcdef"; *p; p++)
        CHECK(serial_enqueue(&h, *p) == 0);
    take_max = 4;
    CHECK(vmm_sddf_serial_rx(&s) == 4);
    CHECK(taken_len == 4 && memcmp(taken, "abcd", 4) == 0);
    CHECK(serial_queue_length(&h) == 2);
    take_max = 100;
    CHECK(vmm_sddf_serial_rx(&s) == 2);
    CHECK(taken_len == 6 && memcmp(taken, "abcdef", 6) == 0);
    CHECK(vmm_sddf_serial_rx(&s) == 0);

    /* after input, a prompt without newline goes out at the next flush */
    drain();
    w(&s, "/ # ");
    vmm_sddf_serial_flush(&s);
    w(&s, "ls\n");
    CHECK(strcmp(drain(), "vm1| / # ls\r\n") == 0);

    /* bogus indices: dropped, the device sees nothing */
    rxq.head = 0;
    rxq.tail = 1u << 20;
    taken_len = 0;
    CHECK(vmm_sddf_serial_rx(&s) == 0);
    CHECK(taken_len == 0);
    CHECK(rxq.head == rxq.tail);
}

int main(void)
{
    test_lines();
    test_full_queue_drops_whole_lines();
    test_input();
    if (failures) {
        fprintf(stderr, "test_sddf_serial: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_sddf_serial: ok\n");
    return 0;
}
