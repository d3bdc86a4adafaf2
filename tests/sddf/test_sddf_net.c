/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host test of the sDDF net backend (src/backends/sddf/net.c) against
 * sDDF's own queue header: tx copies a gathered frame into a free buffer
 * and queues it, a full queue gives -VMM_EAGAIN and tx_resume() once
 * buffers come back, bad descriptors from the peers are skipped and counted
 * without touching memory outside the data regions (ASan), rx delivers in
 * one batch and returns the buffers, keeps a frame the guest has no room
 * for, drops the client's own reflected broadcast and bogus indices. Built
 * and run by tools/sel4gen/test_sddf_net.py when SDDF is set (ASan+UBSan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sddf/network/queue.h>
#include "stdvmm/err.h"
#include "stdvmm/sddf_net.h"

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CAP 4u
static const uint8_t own_mac[6] = {0x02, 0, 0, 0, 0, 0x0a};

struct fixture {
    net_queue_t *rxf, *rxa, *txf, *txa;
    uint8_t *rxd, *txd; /* exactly CAP buffers each: ASan sees any overrun */
    net_queue_handle_t rx_h, tx_h;
    struct vmm_sddf_net n;
    unsigned notified[2];
    unsigned delivered, batches_begun, batches_ended, resumed;
    int rx_ret; /* what the fake device answers */
    size_t last_len;
    uint8_t last[2048];
};

static void notify(void *ctx, enum vmm_sddf_net_peer peer)
{
    ((struct fixture *)ctx)->notified[peer]++;
}

static int sink_rx(void *dev, const void *frame, size_t len)
{
    struct fixture *f = dev;

    if (f->rx_ret != 0)
        return f->rx_ret;
    f->delivered++;
    f->last_len = len;
    memcpy(f->last, frame, len);
    return 0;
}

static void sink_begin(void *dev)
{
    ((struct fixture *)dev)->batches_begun++;
}

static void sink_end(void *dev)
{
    ((struct fixture *)dev)->batches_ended++;
}

static void sink_resume(void *dev)
{
    ((struct fixture *)dev)->resumed++;
}

static net_queue_t *new_queue(void)
{
    return calloc(1, sizeof(net_queue_t) + CAP * sizeof(net_buff_desc_t));
}

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->rxf = new_queue();
    f->rxa = new_queue();
    f->txf = new_queue();
    f->txa = new_queue();
    f->rxd = malloc(CAP * NET_BUFFER_SIZE);
    f->txd = malloc(CAP * NET_BUFFER_SIZE);
    struct vmm_sddf_net_queue rx = {f->rxf, f->rxa, CAP, f->rxd, CAP * NET_BUFFER_SIZE};
    struct vmm_sddf_net_queue tx = {f->txf, f->txa, CAP, f->txd, CAP * NET_BUFFER_SIZE};
    CHECK(vmm_sddf_net_init(&f->n, &rx, &tx, own_mac, notify, f) == 0);
    struct vmm_net_sink sink = {sink_rx, sink_begin, sink_end, sink_resume, f};
    vmm_sddf_net_attach(&f->n, &sink);
    net_queue_init(&f->rx_h, f->rxf, f->rxa, CAP);
    net_queue_init(&f->tx_h, f->txf, f->txa, CAP);
}

static void teardown(struct fixture *f)
{
    free(f->rxf);
    free(f->rxa);
    free(f->txf);
    free(f->txa);
    free(f->rxd);
    free(f->txd);
}

/* A frame from @src in rx buffer @i, as the copier would queue it. */
static void copier_puts(struct fixture *f, unsigned i, uint8_t src_last, uint16_t len)
{
    uint8_t *p = f->rxd + i * NET_BUFFER_SIZE;

    memset(p, 0xff, 6);
    memcpy(p + 6, own_mac, 6);
    p[11] = src_last;
    p[12] = 0x08;
    p[13] = 0x06;
    p[14] = (uint8_t)i;
    net_enqueue_active(&f->rx_h, (net_buff_desc_t){i * NET_BUFFER_SIZE, len});
}

static void test_tx(void)
{
    struct fixture f;
    uint8_t a[20], b[40];
    struct vmm_iov iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    net_buff_desc_t d;

    setup(&f);
    memset(a, 0xaa, sizeof(a));
    memset(b, 0xbb, sizeof(b));
    CHECK(net_queue_length(f.txf) == CAP); /* every tx buffer is the client's */
    CHECK(f.n.backend.tx(f.n.backend.ctx, iov, 2) == 0);
    CHECK(f.n.backend.tx(f.n.backend.ctx, iov, 1) == 0);
    CHECK(net_queue_length(f.txa) == 2);
    vmm_sddf_net_flush(&f.n);
    vmm_sddf_net_flush(&f.n);
    CHECK(f.notified[VMM_SDDF_NET_PEER_TX] == 1); /* once, not per frame */
    net_dequeue_active(&f.tx_h, &d);
    CHECK(d.len == 60 && d.io_or_offset == 0);
    CHECK(f.txd[19] == 0xaa && f.txd[20] == 0xbb && f.txd[59] == 0xbb);
    /* too long for a buffer, too short for a header: refused, nothing queued */
    iov[1].len = 2048;
    CHECK(f.n.backend.tx(f.n.backend.ctx, iov, 2) == -VMM_EINVAL);
    iov[0].len = 13;
    CHECK(f.n.backend.tx(f.n.backend.ctx, iov, 1) == -VMM_EINVAL);
    CHECK(net_queue_length(f.txa) == 1);
    teardown(&f);
}

static void test_tx_full_waits_and_resumes(void)
{
    struct fixture f;
    uint8_t a[60] = {0};
    struct vmm_iov iov = {a, sizeof(a)};
    net_buff_desc_t d;

    setup(&f);
    for (unsigned i = 0; i < CAP; i++)
        CHECK(f.n.backend.tx(f.n.backend.ctx, &iov, 1) == 0);
    CHECK(f.n.backend.tx(f.n.backend.ctx, &iov, 1) == -VMM_EAGAIN);
    CHECK(f.n.stats.tx_full == 1);
    CHECK(net_require_signal_free(&f.tx_h)); /* the switch will tell us */
    vmm_sddf_net_tx_done(&f.n);
    CHECK(f.resumed == 0); /* nothing came back yet */
    net_dequeue_active(&f.tx_h, &d);
    net_enqueue_free(&f.tx_h, d);
    vmm_sddf_net_tx_done(&f.n);
    CHECK(f.resumed == 1);
    CHECK(f.n.backend.tx(f.n.backend.ctx, &iov, 1) == 0);
    teardown(&f);
}

static void test_tx_skips_bad_free_descriptors(void)
{
    struct fixture f;
    uint8_t a[60];
    struct vmm_iov iov = {a, sizeof(a)};
    net_buff_desc_t d;

    setup(&f);
    memset(a, 0x5a, sizeof(a));
    /* Replace the free queue with: beyond the region, misaligned, good. */
    f.txf->head = f.txf->tail;
    net_enqueue_free(&f.tx_h, (net_buff_desc_t){CAP * NET_BUFFER_SIZE, 0});
    net_enqueue_free(&f.tx_h, (net_buff_desc_t){NET_BUFFER_SIZE + 8, 0});
    net_enqueue_free(&f.tx_h, (net_buff_desc_t){2 * NET_BUFFER_SIZE, 0});
    CHECK(f.n.backend.tx(f.n.backend.ctx, &iov, 1) == 0);
    CHECK(f.n.stats.tx_bad_desc == 2);
    net_dequeue_active(&f.tx_h, &d);
    CHECK(d.io_or_offset == 2 * NET_BUFFER_SIZE && f.txd[2 * NET_BUFFER_SIZE] == 0x5a);
    /* indices claiming more entries than the capacity: treated as empty */
    f.txf->head = 0;
    f.txf->tail = 100;
    CHECK(f.n.backend.tx(f.n.backend.ctx, &iov, 1) == -VMM_EAGAIN);
    teardown(&f);
}

static void test_rx(void)
{
    struct fixture f;

    setup(&f);
    copier_puts(&f, 0, 0x0b, 60);
    copier_puts(&f, 1, 0x0c, 42);
    CHECK(vmm_sddf_net_rx(&f.n) == 2);
    CHECK(f.delivered == 2 && f.last_len == 42 && f.last[14] == 1);
    CHECK(f.batches_begun == 1 && f.batches_ended == 1); /* one interrupt */
    CHECK(net_queue_length(f.rxa) == 0 && net_queue_length(f.rxf) == 2);
    CHECK(net_require_signal_active(&f.rx_h)); /* the copier will tell us */
    vmm_sddf_net_flush(&f.n);
    CHECK(f.notified[VMM_SDDF_NET_PEER_RX] == 1);
    /* our own broadcast, reflected by the switch: dropped, buffer returned */
    copier_puts(&f, 2, 0x0a, 60);
    CHECK(vmm_sddf_net_rx(&f.n) == 1);
    CHECK(f.delivered == 2 && f.n.stats.rx_dropped == 1);
    CHECK(net_queue_length(f.rxf) == 3);
    teardown(&f);
}

static void test_rx_keeps_what_the_guest_cannot_take(void)
{
    struct fixture f;

    setup(&f);
    copier_puts(&f, 0, 0x0b, 60);
    f.rx_ret = -VMM_EAGAIN;
    CHECK(vmm_sddf_net_rx(&f.n) == 0);
    CHECK(net_queue_length(f.rxa) == 1 && f.delivered == 0);
    f.rx_ret = 0;
    f.n.backend.rx_ready(f.n.backend.ctx);
    CHECK(f.delivered == 1 && net_queue_length(f.rxa) == 0);
    teardown(&f);
}

static void test_rx_drops_bad_descriptors(void)
{
    struct fixture f;

    setup(&f);
    net_enqueue_active(&f.rx_h, (net_buff_desc_t){CAP * NET_BUFFER_SIZE, 60}); /* past the end */
    net_enqueue_active(&f.rx_h, (net_buff_desc_t){100, 60});                   /* misaligned */
    net_enqueue_active(&f.rx_h, (net_buff_desc_t){0, 2049});                   /* too long */
    net_enqueue_active(&f.rx_h, (net_buff_desc_t){0, 10});                     /* too short */
    CHECK(vmm_sddf_net_rx(&f.n) == 4);
    CHECK(f.delivered == 0 && f.n.stats.rx_bad_desc == 4);
    /* an offset of whole buffers far outside the region: dropped (that no
     * address is formed from it, clang's pointer-overflow check in
     * tests/fuzz/fuzz_sddf_net.c checks: seed rx-offset-overflow) */
    CHECK(net_enqueue_active(&f.rx_h, (net_buff_desc_t){0xffffffffffff0000ull, 60}) == 0);
    CHECK(vmm_sddf_net_rx(&f.n) == 1);
    CHECK(f.delivered == 0 && f.n.stats.rx_bad_desc == 5);
    CHECK(net_queue_length(f.rxf) == 0); /* not ours: not given back */
    /* bogus indices: everything there is dropped, nothing delivered */
    copier_puts(&f, 0, 0x0b, 60);
    f.rxa->tail = (uint16_t)(f.rxa->head + 1000);
    CHECK(vmm_sddf_net_rx(&f.n) == 0);
    CHECK(f.delivered == 0 && net_queue_length(f.rxa) == 0);
    teardown(&f);
}

int main(void)
{
    test_tx();
    test_tx_full_waits_and_resumes();
    test_tx_skips_bad_free_descriptors();
    test_rx();
    test_rx_keeps_what_the_guest_cannot_take();
    test_rx_drops_bad_descriptors();
    if (failures != 0) {
        fprintf(stderr, "test_sddf_net: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_sddf_net: all checks passed\n");
    return 0;
}
