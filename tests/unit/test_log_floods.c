/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rule that every log line a guest can trigger is rate-limited
 * (issue 10, point 3), enforced: each device gets HOSTILE_OPS rounds of
 * hostile operations (bad Status writes, refused feature sets, queue setups
 * out of order or out of range, register accesses of the wrong width,
 * broken rings, malformed requests, accesses to no device) while a counting
 * log sink (support/test_guest.h) records every message at INFO and above,
 * and the number of lines must stay under LINES_MAX, however many rounds
 * ran. Debug lines are off by default and not counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/pl011.h"
#include "stdvmm/virtio_blk.h"
#include "stdvmm/virtio_console.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_rng.h"
#include "stdvmm/virtio_vsock.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define BASE 0x0a000000ull
#define LINE 40
#define QNUM 8
#define HOSTILE_OPS 10000u
/* Each kind of violation may be reported once per device and bus. */
#define LINES_MAX 16u

struct fx {
    struct test_guest g;
    struct test_vq q[4];
    unsigned nr_queues;
    uint64_t buf; /* a 4 KiB guest buffer */
    union {
        struct virtio_blk blk;
        struct virtio_console con;
        struct virtio_net net;
        struct virtio_rng rng;
        struct virtio_vsock vs;
        struct pl011 uart;
    } dev;
    struct vmm_blk_backend blk_be;
    struct vmm_stream_backend stream_be;
    struct vmm_net_backend net_be;
    struct vmm_entropy_backend rng_be;
    struct vmm_vsock_backend vsock_be;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    for (unsigned i = 0; i < 4; i++)
        test_vq_layout(&f->q[i], &f->g, QNUM);
    f->buf = test_guest_alloc(&f->g, 4096, 16);
    test_log_capture();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vmm_log_set_sink(NULL, VMM_LOG_INFO);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

static unsigned lines(void)
{
    return test_log_count(VMM_LOG_ERROR) + test_log_count(VMM_LOG_WARN) +
           test_log_count(VMM_LOG_INFO);
}

static void expect_few_lines(const char *what)
{
    if (lines() > LINES_MAX)
        fail_msg("%s: %u log lines after %u hostile rounds (at most %u allowed); last: %s", what,
                 lines(), HOSTILE_OPS, LINES_MAX, test_log_last());
}

/* ------------------------------------------------------------ the driver */

static void wr(struct fx *f, uint32_t reg, uint32_t val)
{
    test_vmmio_write(&f->g, BASE, reg, val);
}

/* A bus access the test does not require to succeed. */
static void bus(struct fx *f, uint64_t addr, unsigned size, bool write)
{
    struct vmm_access acc = {.addr = addr, .size = (uint8_t)size, .write = write};

    (void)vmm_vm_mmio(&f->g.vm, &acc);
}

/* A clean bring-up over the same rings every time (the rings are reused:
 * the device zeroes used->idx, the driver starts its indices over). */
static void bringup(struct fx *f, uint64_t features)
{
    assert_true(test_vmmio_negotiate(&f->g, BASE, features) & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < f->nr_queues; i++) {
        f->q[i].avail_idx = f->q[i].last_used = f->q[i].next_desc = 0;
        test_vq_set_avail_idx(&f->q[i], 0);
        test_vmmio_setup_queue(&f->g, BASE, i, &f->q[i]);
    }
    test_vmmio_driver_ok(&f->g, BASE);
}

/* One round of transport abuse, the same for every virtio device. */
static void transport_round(struct fx *f)
{
    const uint32_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    /* Features without VERSION_1: FEATURES_OK refused. */
    wr(f, VIRTIO_MMIO_STATUS, 0);
    wr(f, VIRTIO_MMIO_STATUS, ad);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    wr(f, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_FEATURES_OK);
    /* Out of order: DRIVER_OK and QueueReady before FEATURES_OK, bits cleared. */
    wr(f, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_DRIVER_OK);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    /* Unknown bits offered. */
    wr(f, VIRTIO_MMIO_STATUS, 0);
    wr(f, VIRTIO_MMIO_STATUS, ad);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu);
    wr(f, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_FEATURES_OK);
    /* Wrong widths, unknown registers, configuration space out of range. */
    bus(f, BASE + VIRTIO_MMIO_STATUS, 2, false);
    bus(f, BASE + VIRTIO_MMIO_STATUS, 1, true);
    bus(f, BASE + 0x0c8, 4, true);
    bus(f, BASE + VIRTIO_MMIO_CONFIG + 0xf0, 4, false);
    bus(f, BASE + VIRTIO_MMIO_WINDOW - 2, 4, false); /* straddles the window */
    bus(f, BASE + 0x100000, 4, true);                /* no device there */
    /* A good queue, then reconfiguration while ready, late features. */
    bringup(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(f, VIRTIO_MMIO_QUEUE_NUM, 4);
    wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x10);
    wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 99);
    /* A ring whose avail index runs ahead: device needs reset. */
    test_vq_set_avail_idx(&f->q[0], QNUM + 5);
    test_vmmio_kick(&f->g, BASE, 0);
    /* A queue size that is not a power of two. */
    wr(f, VIRTIO_MMIO_STATUS, 0);
    wr(f, VIRTIO_MMIO_STATUS, ad);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(f, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_FEATURES_OK);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(f, VIRTIO_MMIO_QUEUE_NUM, 3);
    wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Bring the device up and have the driver post one chain of @n buffers on
 * queue @q (@writable_from: index of the first device-writable one). */
static void request(struct fx *f, unsigned q, const struct test_buf *bufs, unsigned n)
{
    bringup(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    test_vq_add(&f->q[q], bufs, n);
    test_vmmio_kick(&f->g, BASE, q);
}

static void flood(struct fx *f, void (*device_round)(struct fx *f))
{
    for (unsigned i = 0; i < HOSTILE_OPS; i++) {
        transport_round(f);
        device_round(f);
    }
}

/* ------------------------------------------------------------ virtio-rng */

static long rng_fill(void *ctx, void *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return -VMM_EIO; /* a broken entropy source */
}

static void rng_round(struct fx *f)
{
    const struct test_buf b[2] = {{f->buf, 16, false}, {f->buf + 64, 16, true}};

    request(f, 0, b, 2); /* a readable buffer in a request, a failing backend */
}

static void log_flood_virtio_rng(void **state)
{
    struct fx *f = *state;

    f->rng_be = (struct vmm_entropy_backend){.fill = rng_fill};
    assert_int_equal(vmm_virtio_rng_init(&f->dev.rng, &f->g.vm, "rng0", BASE, LINE, &f->rng_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_rng_device(&f->dev.rng)), 0);
    f->nr_queues = 1;
    flood(f, rng_round);
    expect_few_lines("virtio-rng");
}

/* ------------------------------------------------------------ virtio-blk */

static int blk_submit(void *ctx, struct vmm_blk_req *req)
{
    (void)ctx, (void)req;
    return -VMM_EIO;
}

static void blk_round(struct fx *f)
{
    uint8_t hdr[16] = {0x63}; /* unknown request type */
    const struct test_buf bad[2] = {{f->buf, 16, false}, {f->buf + 64, 1, true}};
    const struct test_buf rd[3] = {
        {f->buf + 128, 16, false}, {f->buf + 512, 512, true}, {f->buf + 64, 1, true}};
    const struct test_buf nostatus[1] = {{f->buf, 16, false}};

    test_guest_write(&f->g, f->buf, hdr, sizeof(hdr));
    request(f, 0, bad, 2);
    memset(hdr, 0, sizeof(hdr)); /* a read the backend refuses */
    test_guest_write(&f->g, f->buf + 128, hdr, sizeof(hdr));
    request(f, 0, rd, 3);
    request(f, 0, nostatus, 1); /* a violation */
}

static void log_flood_virtio_blk(void **state)
{
    struct fx *f = *state;

    f->blk_be = (struct vmm_blk_backend){.nr_sectors = 64, .submit = blk_submit};
    assert_int_equal(
        vmm_virtio_blk_init(&f->dev.blk, &f->g.vm, "blk0", BASE, LINE, &f->blk_be, NULL), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->dev.blk)), 0);
    f->nr_queues = 1;
    flood(f, blk_round);
    expect_few_lines("virtio-blk");
}

/* ------------------------------------------------------------ virtio-console */

static long refuse_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return 0; /* a stalled reader */
}

static void console_round(struct fx *f)
{
    const struct test_buf out = {f->buf, 64, false};
    const struct test_buf in = {f->buf, 64, false}; /* not writable: a violation */

    request(f, VIRTIO_CONSOLE_TXQ, &out, 1);
    (void)vmm_virtio_console_rx(&f->dev.con, (const uint8_t *)"x", 1);
    test_vq_add(&f->q[VIRTIO_CONSOLE_RXQ], &in, 1);
    (void)vmm_virtio_console_rx(&f->dev.con, (const uint8_t *)"x", 1);
}

static void log_flood_virtio_console(void **state)
{
    struct fx *f = *state;

    f->stream_be = (struct vmm_stream_backend){.write = refuse_write};
    assert_int_equal(
        vmm_virtio_console_init(&f->dev.con, &f->g.vm, "con0", BASE, LINE, &f->stream_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_console_device(&f->dev.con)), 0);
    f->nr_queues = 2;
    flood(f, console_round);
    expect_few_lines("virtio-console");
}

/* ------------------------------------------------------------ virtio-net */

static int net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx, (void)iov, (void)nr_iov;
    return -VMM_EIO;
}

static int net_set_offloads(void *ctx, unsigned offloads)
{
    (void)ctx, (void)offloads;
    return -VMM_ENOTSUP;
}

static void net_round(struct fx *f)
{
    static const uint8_t frame[80];
    const struct test_buf short_hdr = {f->buf, 8, false};
    const struct test_buf whole = {f->buf, 12 + 64, false};
    const struct test_buf wr_in_tx = {f->buf, 64, true};
    const struct test_buf rx_short = {f->buf, 4, true};
    uint8_t hdr[12] = {0};

    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4; /* not negotiated */
    test_guest_write(&f->g, f->buf, hdr, sizeof(hdr));
    /* Each bring-up renegotiates offloads, which the backend refuses. */
    request(f, VIRTIO_NET_TXQ, &short_hdr, 1);
    request(f, VIRTIO_NET_TXQ, &whole, 1);
    memset(hdr, 0, sizeof(hdr));
    test_guest_write(&f->g, f->buf, hdr, sizeof(hdr));
    request(f, VIRTIO_NET_TXQ, &whole, 1); /* the backend fails it */
    request(f, VIRTIO_NET_TXQ, &wr_in_tx, 1);
    (void)vmm_virtio_net_rx(&f->dev.net, frame, 4);  /* too short */
    (void)vmm_virtio_net_rx(&f->dev.net, frame, 80); /* no buffer */
    request(f, VIRTIO_NET_RXQ, &rx_short, 1);        /* posted, then a violation */
    (void)vmm_virtio_net_rx(&f->dev.net, frame, 80);
}

static void log_flood_virtio_net(void **state)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct fx *f = *state;

    f->net_be =
        (struct vmm_net_backend){.tx = net_tx, .vnet_hdr = true, .set_offloads = net_set_offloads};
    assert_int_equal(
        vmm_virtio_net_init(&f->dev.net, &f->g.vm, "net0", BASE, LINE, mac, 0, &f->net_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->dev.net)), 0);
    f->nr_queues = 2;
    flood(f, net_round);
    expect_few_lines("virtio-net");
}

/* ------------------------------------------------------------ virtio-vsock */

static int vs_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx, (void)conn, (void)port;
    return 0;
}

static void vs_event(void *ctx, unsigned conn)
{
    (void)ctx, (void)conn;
}

static long vs_send(void *ctx, unsigned conn, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx, (void)conn, (void)iov, (void)nr_iov;
    return 0;
}

static void vs_shutdown(void *ctx, unsigned conn, unsigned flags)
{
    (void)ctx, (void)conn, (void)flags;
}

static void vsock_send(struct fx *f, const struct virtio_vsock_hdr *h, uint32_t payload)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    const struct test_buf b[2] = {{f->buf, sizeof(raw), false}, {f->buf + 64, payload, false}};

    vmm_virtio_vsock_hdr_encode(h, raw);
    test_guest_write(&f->g, f->buf, raw, sizeof(raw));
    test_vq_add(&f->q[VIRTIO_VSOCK_TXQ], b, payload ? 2 : 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
}

static void vsock_round(struct fx *f)
{
    struct virtio_vsock_hdr h = {
        .src_cid = 3,
        .dst_cid = VIRTIO_VSOCK_HOST_CID,
        .src_port = 5000,
        .dst_port = 80,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = VIRTIO_VSOCK_OP_REQUEST,
        .buf_alloc = 4096,
    };
    const struct test_buf rx = {f->buf + 1024, 8, true}; /* shorter than a header */

    bringup(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    vsock_send(f, &h, 0);
    h.op = VIRTIO_VSOCK_OP_RW; /* beyond the credit: connection reset */
    h.len = 8192;
    vsock_send(f, &h, 8192 > 4096 - 64 ? 2048 : 0);
    h.src_cid = 99; /* forged */
    h.len = 0;
    vsock_send(f, &h, 0);
    h.src_cid = 3;
    h.op = 77; /* unknown op */
    vsock_send(f, &h, 0);
    test_vq_add(&f->q[VIRTIO_VSOCK_RXQ], &rx, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_RXQ);
}

static void log_flood_virtio_vsock(void **state)
{
    struct fx *f = *state;

    f->vsock_be = (struct vmm_vsock_backend){
        .buf_alloc = 4096,
        .connect = vs_connect,
        .connected = vs_event,
        .send = vs_send,
        .shutdown = vs_shutdown,
        .closed = vs_event,
    };
    assert_int_equal(
        vmm_virtio_vsock_init(&f->dev.vs, &f->g.vm, "vsock0", BASE, LINE, 3, &f->vsock_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_vsock_device(&f->dev.vs)), 0);
    f->nr_queues = 3;
    flood(f, vsock_round);
    expect_few_lines("virtio-vsock");
}

/* ------------------------------------------------------------ PL011 */

static void log_flood_pl011(void **state)
{
    struct fx *f = *state;

    f->stream_be = (struct vmm_stream_backend){.write = refuse_write};
    vmm_pl011_init(&f->dev.uart, &f->g.vm, "uart0", BASE, LINE, 2, &f->stream_be);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, &f->dev.uart.dev), 0);
    test_mmio_write(&f->g, BASE + PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE);
    for (unsigned i = 0; i < HOSTILE_OPS; i++) {
        test_mmio_write(&f->g, BASE + PL011_DR, 4, 'x'); /* the backend refuses */
        bus(f, BASE + 0xffc, 8, false);                  /* straddles the window */
        bus(f, BASE + 0x800, 4, true);                   /* no register */
        bus(f, BASE + 0x2000, 4, true);                  /* no device */
    }
    expect_few_lines("pl011");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(log_flood_virtio_rng), T(log_flood_virtio_blk),   T(log_flood_virtio_console),
        T(log_flood_virtio_net), T(log_flood_virtio_vsock), T(log_flood_pl011),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
