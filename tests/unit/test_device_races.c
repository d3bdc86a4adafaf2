/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device calls racing a guest that keeps refilling the receive ring from
 * another vCPU (support/test_race.h): every call must end after at most a
 * queue's worth of chains, and quickly, however fast the guest refills.
 * The refilling thread gives up after RACE_MS, so a device loop that follows
 * the guest for ever shows up as a failed bound, not a hung test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtio_console.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_vsock.h"
#include "support/test_driver.h"
#include "support/test_guest.h"
#include "support/test_race.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull
#define BASE 0x0a000000ull
#define LINE 42
#define QNUM 64
#define RACE_MS 3000u
#define ROUNDS 200u
/* A bounded call takes microseconds; the old vsock loop ran until RACE_MS. */
#define CALL_MS_MAX 1000u

struct fx {
    struct test_guest g;
    struct test_vq q[3];
    struct test_refill rf;
    struct test_race race;
    union {
        struct virtio_vsock vs;
        struct virtio_net net;
        struct virtio_console con;
    } dev;
    struct vmm_vsock_backend vsock_be;
    struct vmm_net_backend net_be;
    struct vmm_stream_backend con_be;
    unsigned conn;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    test_guest_free(&f->g);
    free(f);
    return 0;
}

/* Chains the device took from @q's ring so far. */
static uint16_t popped(struct virtio_mmio *vdev, unsigned q)
{
    return vdev->vqs[q].last_avail;
}

/* Start the refilling vCPU on ring @q: every chain one buffer of @len bytes. */
static void race_refill(struct fx *f, struct test_vq *q, uint32_t len)
{
    test_refill_init(&f->rf, q, test_guest_alloc(&f->g, len, 16), len, true);
    test_race_start(&f->race, test_refill_round, &f->rf, RACE_MS);
    test_race_sync(&f->race); /* it filled the ring and is still at it */
}

/* ------------------------------------------------------------ vsock */

static int vs_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx, (void)conn, (void)port;
    return 0;
}

static void vs_conn_event(void *ctx, unsigned conn)
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

/* A vsock device with one connection the guest opened (port 5000 -> 1234). */
static void vsock_connected(struct fx *f)
{
    struct virtio_vsock_hdr h = {
        .src_cid = 7,
        .dst_cid = VIRTIO_VSOCK_HOST_CID,
        .src_port = 5000,
        .dst_port = 1234,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = VIRTIO_VSOCK_OP_REQUEST,
        .buf_alloc = 1u << 20,
    };
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    struct test_buf rx = {test_guest_alloc(&f->g, 256, 16), 256, true};
    struct test_buf tx = {test_guest_alloc(&f->g, sizeof(raw), 16), sizeof(raw), false};
    uint32_t id, len;

    f->vsock_be = (struct vmm_vsock_backend){
        .buf_alloc = 65536,
        .connect = vs_connect,
        .connected = vs_conn_event,
        .send = vs_send,
        .shutdown = vs_shutdown,
        .closed = vs_conn_event,
        .ctx = f,
    };
    assert_int_equal(
        vmm_virtio_vsock_init(&f->dev.vs, &f->g.vm, "vsock0", BASE, LINE, 7, &f->vsock_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_vsock_device(&f->dev.vs)), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->q, 3, QNUM);
    test_vq_add(&f->q[VIRTIO_VSOCK_RXQ], &rx, 1);
    vmm_virtio_vsock_hdr_encode(&h, raw);
    test_guest_write(&f->g, tx.gpa, raw, sizeof(raw));
    test_vq_add(&f->q[VIRTIO_VSOCK_TXQ], &tx, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
    assert_true(test_vq_get_used(&f->q[VIRTIO_VSOCK_RXQ], &id, &len)); /* the RESPONSE */
    f->conn = 0;
    assert_int_equal(vmm_virtio_vsock_conn(&f->dev.vs, f->conn)->state, VIRTIO_VSOCK_ESTABLISHED);
}

/* Host data into a guest whose receive ring another vCPU keeps refilling
 * with @buf_len-byte buffers: ROUNDS calls of host_send(), each within a
 * queue's worth of packets and CALL_MS_MAX. A single call can be lucky
 * (the refilling thread not scheduled just then): the rounds make the race
 * with the old, unbounded loop near certain. Returns the bytes sent. */
static unsigned long vsock_send_racing(struct fx *f, uint32_t buf_len)
{
    static const uint8_t data[8192];
    unsigned long sent = 0, most = 0;
    uint64_t slowest = 0;

    vsock_connected(f);
    race_refill(f, &f->q[VIRTIO_VSOCK_RXQ], buf_len);
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned long before = vmm_virtio_vsock_stats(&f->dev.vs).rx_pkts;
        uint16_t start = popped(&f->dev.vs.vdev, VIRTIO_VSOCK_RXQ);
        unsigned long pkts;
        uint64_t t0, ms;
        long ret;

        test_race_sync(&f->race); /* the refilling vCPU is running now */
        t0 = test_clock_ms();
        ret = vmm_virtio_vsock_host_send(&f->dev.vs, f->conn, data, sizeof(data));
        ms = test_clock_ms() - t0;
        pkts = vmm_virtio_vsock_stats(&f->dev.vs).rx_pkts - before;
        assert_true(pkts == (uint16_t)(popped(&f->dev.vs.vdev, VIRTIO_VSOCK_RXQ) - start));
        most = pkts > most ? pkts : most;
        slowest = ms > slowest ? ms : slowest;
        if (ret > 0)
            sent += (unsigned long)ret;
        else
            assert_int_equal(ret, -VMM_EAGAIN);
        if (pkts > QNUM || ms >= CALL_MS_MAX)
            break;
    }
    test_race_stop(&f->race);
    if (most > QNUM || slowest >= CALL_MS_MAX)
        fail_msg("one host_send() took %lu packets (at most %u allowed) and up to %lu ms", most,
                 QNUM, (unsigned long)slowest);
    return sent;
}

/* Issue 10 point 1: receive buffers with room for the header only, refilled
 * as fast as the device takes them, kept one host_send() call running. */
static void race_vsock_header_only_buffers_bound_host_send(void **state)
{
    struct fx *f = *state;

    assert_int_equal(vsock_send_racing(f, VIRTIO_VSOCK_HDR_LEN), 0);
    /* Nothing was lost: the connection is intact, no byte left. */
    assert_int_equal(vmm_virtio_vsock_stats(&f->dev.vs).rx_bytes, 0);
    assert_int_equal(vmm_virtio_vsock_conn(&f->dev.vs, f->conn)->state, VIRTIO_VSOCK_ESTABLISHED);
}

/* Buffers that carry one payload byte each: progress with every packet,
 * and still at most a queue's worth of them per call. */
static void race_vsock_tiny_buffers_bound_host_send(void **state)
{
    struct fx *f = *state;

    assert_true(vsock_send_racing(f, VIRTIO_VSOCK_HDR_LEN + 1) > 0);
}

/* ------------------------------------------------------------ net */

static int net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx, (void)iov, (void)nr_iov;
    return 0;
}

/* A frame larger than any number of the guest's tiny mergeable buffers can
 * hold: the device takes what its reserve holds, then drops the frame. */
static void race_net_rx_tiny_mergeable_buffers_bound_one_frame(void **state)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    static uint8_t frame[VIRTIO_NET_MAX_FRAME];
    struct fx *f = *state;
    uint64_t t0;
    int ret;

    f->net_be = (struct vmm_net_backend){.tx = net_tx, .ctx = f};
    assert_int_equal(
        vmm_virtio_net_init(&f->dev.net, &f->g.vm, "net0", BASE, LINE, mac, 1500, &f->net_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->dev.net)), 0);
    test_vmmio_bringup(&f->g, BASE,
                       VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), f->q, 2,
                       QNUM);
    race_refill(f, &f->q[VIRTIO_NET_RXQ], VIRTIO_NET_HDR_LEN);
    t0 = test_clock_ms();
    ret = vmm_virtio_net_rx(&f->dev.net, frame, sizeof(frame));
    assert_true(test_clock_ms() - t0 < CALL_MS_MAX);
    assert_int_equal(vmm_virtio_net_rx(&f->dev.net, frame, sizeof(frame)), ret);
    test_race_stop(&f->race);
    assert_int_equal(ret, -VMM_E2BIG);
    assert_true(popped(&f->dev.net.vdev, VIRTIO_NET_RXQ) <= QNUM);
    assert_int_equal(vmm_virtio_net_stats(&f->dev.net).rx_dropped, 2);
}

/* ------------------------------------------------------------ console */

static long con_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)buf;
    return (long)len;
}

static void race_console_rx_one_byte_buffers_bound_one_call(void **state)
{
    static uint8_t input[1u << 16];
    struct fx *f = *state;
    uint64_t t0;
    size_t took;

    f->con_be = (struct vmm_stream_backend){.write = con_write, .ctx = f};
    assert_int_equal(vmm_virtio_console_init(&f->dev.con, &f->g.vm, "con0", BASE, LINE, &f->con_be),
                     0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_console_device(&f->dev.con)), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->q, 2, QNUM);
    race_refill(f, &f->q[VIRTIO_CONSOLE_RXQ], 1);
    t0 = test_clock_ms();
    took = vmm_virtio_console_rx(&f->dev.con, input, sizeof(input));
    assert_true(test_clock_ms() - t0 < CALL_MS_MAX);
    test_race_stop(&f->race);
    assert_true(took > 0 && took <= QNUM);
    assert_true(popped(&f->dev.con.vdev, VIRTIO_CONSOLE_RXQ) <= QNUM);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(race_vsock_header_only_buffers_bound_host_send),
        T(race_vsock_tiny_buffers_bound_host_send),
        T(race_net_rx_tiny_mergeable_buffers_bound_one_frame),
        T(race_console_rx_one_byte_buffers_bound_one_call),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
