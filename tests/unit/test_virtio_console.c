/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-console: transmit reaches the backend, receive fills guest buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtio_console.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define BASE 0x0a000200ull
#define IRQ 17
#define RXQ VIRTIO_CONSOLE_RXQ
#define TXQ VIRTIO_CONSOLE_TXQ
#define FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

/* A backend with a fixed room that records what it was given. */
struct sink {
    uint8_t data[256];
    size_t len, room;
    unsigned rx_ready_calls;
};

static long sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct sink *s = ctx;
    size_t n = len < s->room - s->len ? len : s->room - s->len;

    memcpy(s->data + s->len, buf, n);
    s->len += n;
    return (long)n;
}

static void sink_rx_ready(void *ctx)
{
    ((struct sink *)ctx)->rx_ready_calls++;
}

struct fx {
    struct test_guest g;
    struct sink sink;
    struct vmm_stream_backend be;
    struct virtio_console con;
    struct test_vq q[2];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->sink.room = sizeof(f->sink.data);
    f->be = (struct vmm_stream_backend){sink_write, sink_rx_ready, &f->sink};
    assert_int_equal(vmm_virtio_console_init(&f->con, &f->g.vm, "console0", BASE, IRQ, &f->be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_console_device(&f->con)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vmm_log_set_sink(NULL, VMM_LOG_ERROR);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

static void bringup(struct fx *f)
{
    test_vmmio_bringup(&f->g, BASE, FEATURES, f->q, 2, 16);
}

/* Put @text in guest RAM as two readable buffers and send it on transmitq. */
static void guest_send(struct fx *f, const char *text)
{
    size_t len = strlen(text), half = len / 2;
    struct test_buf b[2] = {
        {test_guest_alloc(&f->g, half, 1), (uint32_t)half, false},
        {test_guest_alloc(&f->g, len - half, 1), (uint32_t)(len - half), false}};

    test_guest_write(&f->g, b[0].gpa, text, half);
    test_guest_write(&f->g, b[1].gpa, text + half, len - half);
    test_vq_add(&f->q[TXQ], b, 2);
    test_vmmio_kick(&f->g, BASE, TXQ);
}

/* Post one receive buffer of @len bytes; returns its guest address. */
static uint64_t guest_post_rx(struct fx *f, uint32_t len)
{
    struct test_buf b = {test_guest_alloc(&f->g, len, 1), len, true};

    test_vq_add(&f->q[RXQ], &b, 1);
    return b.gpa;
}

static void console_identifies_as_device_3(void **state)
{
    struct fx *f = *state;

    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), 3);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES) &
                (1u << VIRTIO_CONSOLE_F_EMERG_WRITE));
    assert_false(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES) &
                 0x3); /* SIZE, MULTIPORT */
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_NUM_MAX),
                     VIRTIO_CONSOLE_QUEUE_SIZE);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_QUEUE_SEL, 2);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void console_tx_reaches_backend(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    bringup(f);
    guest_send(f, "hello, world\n");
    assert_int_equal(f->sink.len, 13);
    assert_memory_equal(f->sink.data, "hello, world\n", 13);
    assert_true(test_vq_get_used(&f->q[TXQ], &id, &len));
    assert_int_equal(len, 0); /* nothing written into a transmit buffer */
    assert_true(test_guest_irq(&f->g, IRQ));
    guest_send(f, "again");
    assert_int_equal(f->sink.len, 18);
    assert_int_equal(f->con.tx_bytes, 18);
}

static void console_tx_counts_drops_when_backend_full(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    test_log_capture();
    f->sink.room = 3;
    bringup(f);
    guest_send(f, "hello");
    assert_int_equal(f->sink.len, 3);
    assert_int_equal(f->con.tx_dropped, 2);
    assert_true(test_vq_get_used(&f->q[TXQ], &id, &len)); /* the chain still comes back */
    guest_send(f, "more");
    assert_int_equal(f->con.tx_dropped, 6);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
}

static void console_rx_delivers_into_guest_buffers(void **state)
{
    struct fx *f = *state;
    uint64_t a, b;
    uint32_t id, len;
    char got[4];

    bringup(f);
    a = guest_post_rx(f, 4);
    b = guest_post_rx(f, 4);
    test_vmmio_kick(&f->g, BASE, RXQ);
    assert_true(f->sink.rx_ready_calls >= 1);
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"abcdef", 6), 6);
    assert_true(test_vq_get_used(&f->q[RXQ], &id, &len));
    assert_int_equal(len, 4);
    assert_true(test_vq_get_used(&f->q[RXQ], &id, &len));
    assert_int_equal(len, 2);
    test_guest_read(&f->g, a, got, 4);
    assert_memory_equal(got, "abcd", 4);
    test_guest_read(&f->g, b, got, 2);
    assert_memory_equal(got, "ef", 2);
    assert_true(test_guest_irq(&f->g, IRQ));
}

static void console_rx_takes_only_what_fits(void **state)
{
    struct fx *f = *state;

    bringup(f);
    guest_post_rx(f, 4);
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"0123456789", 10), 4);
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"456789", 6), 0);
}

static void console_rx_without_buffers_returns_0(void **state)
{
    struct fx *f = *state;

    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"x", 1), 0); /* not live */
    bringup(f);
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"x", 1), 0);
    assert_false(test_guest_irq(&f->g, IRQ));
}

static void console_rx_hostile_chain_needs_reset(void **state)
{
    struct fx *f = *state;

    test_log_capture();
    bringup(f);
    test_vq_publish(&f->q[RXQ], 200); /* head out of range */
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"x", 1), 0);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) &
                VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(test_guest_irq(&f->g, IRQ));
    assert_int_equal(vmm_virtio_console_rx(&f->con, (const uint8_t *)"x", 1), 0);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
}

static void console_emergency_write_reaches_backend(void **state)
{
    struct fx *f = *state;
    uint64_t features = FEATURES | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);

    test_mmio_write(&f->g, BASE + 0x108, 4, '!'); /* not negotiated yet: ignored */
    assert_int_equal(f->sink.len, 0);
    test_vmmio_bringup(&f->g, BASE, features, f->q, 2, 16);
    test_mmio_write(&f->g, BASE + 0x108, 4, 'E');
    assert_int_equal(f->sink.len, 1);
    assert_int_equal(f->sink.data[0], 'E');
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(console_identifies_as_device_3),
        T(console_tx_reaches_backend),
        T(console_tx_counts_drops_when_backend_full),
        T(console_rx_delivers_into_guest_buffers),
        T(console_rx_takes_only_what_fits),
        T(console_rx_without_buffers_returns_0),
        T(console_rx_hostile_chain_needs_reset),
        T(console_emergency_write_reaches_backend),
    };
    return cmocka_run_group_tests_name("virtio_console", tests, NULL, NULL);
}
