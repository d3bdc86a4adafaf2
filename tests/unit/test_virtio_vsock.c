/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-vsock against a test driver and a fake backend: handshakes both
 * ways, data both ways, credit accounting, and every malformed packet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtio_vsock.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull
#define BASE 0x0a000000ull
#define LINE 41
#define QNUM 64
#define GUEST_CID 7u
#define BE_BUF_ALLOC 4096u
#define RXBUF 1024u

struct fx {
    struct test_guest g;
    struct virtio_vsock vs;
    struct vmm_vsock_backend be;
    struct test_vq q[3];
    uint64_t rx_gpa[QNUM]; /* guest buffer behind each rx descriptor head */

    int connect_ret;
    unsigned connects, last_connect_conn;
    uint32_t last_connect_port;
    unsigned connected, closed, shutdowns, last_shutdown_flags, rx_ready;
    long send_consumes; /* -1: all, else this many per call */
    uint8_t sent[16384];
    size_t sent_len;
};

static int fake_connect(void *ctx, unsigned conn, uint32_t port)
{
    struct fx *f = ctx;

    f->connects++;
    f->last_connect_conn = conn;
    f->last_connect_port = port;
    return f->connect_ret;
}

static void fake_connected(void *ctx, unsigned conn)
{
    (void)conn;
    ((struct fx *)ctx)->connected++;
}

static long fake_send(void *ctx, unsigned conn, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct fx *f = ctx;
    size_t len = 0;

    (void)conn;
    for (unsigned i = 0; i < nr_iov; i++) {
        assert_true(f->sent_len + iov[i].len <= sizeof(f->sent));
        memcpy(f->sent + f->sent_len, iov[i].base, iov[i].len);
        f->sent_len += iov[i].len;
        len += iov[i].len;
    }
    return f->send_consumes < 0 ? (long)len : f->send_consumes;
}

static void fake_shutdown(void *ctx, unsigned conn, unsigned flags)
{
    struct fx *f = ctx;

    (void)conn;
    f->shutdowns++;
    f->last_shutdown_flags = flags;
}

static void fake_closed(void *ctx, unsigned conn)
{
    (void)conn;
    ((struct fx *)ctx)->closed++;
}

static void fake_rx_ready(void *ctx)
{
    ((struct fx *)ctx)->rx_ready++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->be = (struct vmm_vsock_backend){
        .buf_alloc = BE_BUF_ALLOC,
        .connect = fake_connect,
        .connected = fake_connected,
        .send = fake_send,
        .shutdown = fake_shutdown,
        .closed = fake_closed,
        .rx_ready = fake_rx_ready,
        .ctx = f,
    };
    f->send_consumes = -1;
    assert_int_equal(
        vmm_virtio_vsock_init(&f->vs, &f->g.vm, "virtio-vsock0", BASE, LINE, GUEST_CID, &f->be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_vsock_device(&f->vs)), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->q, 3, QNUM);
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

/* ------------------------------------------------------------ guest side */

static struct virtio_vsock_hdr ghdr(uint16_t op, uint32_t src_port, uint32_t dst_port)
{
    return (struct virtio_vsock_hdr){
        .src_cid = GUEST_CID,
        .dst_cid = VIRTIO_VSOCK_HOST_CID,
        .src_port = src_port,
        .dst_port = dst_port,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = op,
        .buf_alloc = 65536,
    };
}

/* The guest transmits header @h as is, then @payload_len bytes of @payload
 * (zeroes if NULL) in a second buffer. */
static void guest_send_raw(struct fx *f, const struct virtio_vsock_hdr *h, const void *payload,
                           uint32_t payload_len)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    struct test_buf b[2];
    unsigned n = 1;

    vmm_virtio_vsock_hdr_encode(h, raw);
    b[0] = (struct test_buf){test_guest_alloc(&f->g, sizeof(raw), 8), sizeof(raw), false};
    test_guest_write(&f->g, b[0].gpa, raw, sizeof(raw));
    if (payload_len > 0) {
        b[1] = (struct test_buf){test_guest_alloc(&f->g, payload_len, 8), payload_len, false};
        if (payload != NULL)
            test_guest_write(&f->g, b[1].gpa, payload, payload_len);
        n = 2;
    }
    test_vq_add(&f->q[VIRTIO_VSOCK_TXQ], b, n);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
}

static void guest_send(struct fx *f, struct virtio_vsock_hdr h, const void *payload, uint32_t len)
{
    h.len = len;
    guest_send_raw(f, &h, payload, len);
}

static void post_rx(struct fx *f, unsigned count, uint32_t size)
{
    for (unsigned i = 0; i < count; i++) {
        struct test_buf b = {test_guest_alloc(&f->g, size, 8), size, true};
        uint16_t head = test_vq_add(&f->q[VIRTIO_VSOCK_RXQ], &b, 1);

        f->rx_gpa[head] = b.gpa;
    }
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_RXQ);
}

/* Next packet the device put in the rx queue; false if none. */
static bool guest_recv(struct fx *f, struct virtio_vsock_hdr *h, uint8_t *payload, size_t max)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    uint32_t id, len;

    if (!test_vq_get_used(&f->q[VIRTIO_VSOCK_RXQ], &id, &len))
        return false;
    assert_true(id < QNUM);
    assert_true(len >= VIRTIO_VSOCK_HDR_LEN);
    test_guest_read(&f->g, f->rx_gpa[id], raw, sizeof(raw));
    vmm_virtio_vsock_hdr_decode(raw, h);
    assert_int_equal(len, VIRTIO_VSOCK_HDR_LEN + h->len);
    if (payload != NULL) {
        assert_true(h->len <= max);
        test_guest_read(&f->g, f->rx_gpa[id] + VIRTIO_VSOCK_HDR_LEN, payload, h->len);
    }
    return true;
}

static void expect_pkt(struct fx *f, uint16_t op, uint32_t src_port, uint32_t dst_port)
{
    struct virtio_vsock_hdr h;

    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, op);
    assert_int_equal(h.src_port, src_port);
    assert_int_equal(h.dst_port, dst_port);
    assert_int_equal(h.dst_cid, GUEST_CID);
    assert_int_equal(h.type, VIRTIO_VSOCK_TYPE_STREAM);
}

static void expect_nothing(struct fx *f)
{
    struct virtio_vsock_hdr h;

    assert_false(guest_recv(f, &h, NULL, 0));
}

/* Guest port 5000 connects to host port 1234; returns the connection id. */
static unsigned guest_connect(struct fx *f)
{
    post_rx(f, 4, RXBUF);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 1234), NULL, 0);
    assert_int_equal(f->connects, 1);
    assert_int_equal(f->last_connect_port, 1234);
    expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 1234, 5000);
    return f->last_connect_conn;
}

static bool needs_reset(struct fx *f)
{
    return test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* ------------------------------------------------------------ tests */

static void vsock_config_holds_guest_cid(void **state)
{
    struct fx *f = *state;

    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG, 4), GUEST_CID);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG + 4, 4), 0);
}

static void vsock_guest_connect_then_data_both_ways(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h;
    uint8_t got[64];
    unsigned conn = guest_connect(f);

    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234), "hello", 5);
    assert_int_equal(f->sent_len, 5);
    assert_memory_equal(f->sent, "hello", 5);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, "world!", 6), 6);
    assert_true(guest_recv(f, &h, got, sizeof(got)));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
    assert_int_equal(h.len, 6);
    assert_int_equal(h.src_cid, VIRTIO_VSOCK_HOST_CID);
    assert_int_equal(h.buf_alloc, BE_BUF_ALLOC);
    assert_int_equal(h.fwd_cnt, 5); /* the backend consumed the 5 bytes at once */
    assert_memory_equal(got, "world!", 6);
    assert_true(test_guest_irq(&f->g, LINE));
}

static void vsock_host_connect_completes_on_guest_response(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h;
    uint32_t host_port;
    int conn;

    post_rx(f, 4, RXBUF);
    conn = vmm_virtio_vsock_host_connect(&f->vs, 80, &host_port);
    assert_true(conn >= 0);
    assert_true(host_port >= (1u << 30));
    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_REQUEST);
    assert_int_equal(h.src_port, host_port);
    assert_int_equal(h.dst_port, 80);
    /* No data before the guest accepts. */
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, (unsigned)conn, "x", 1), -VMM_EIO);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RESPONSE, 80, host_port), NULL, 0);
    assert_int_equal(f->connected, 1);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, (unsigned)conn, "x", 1), 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RW, host_port, 80);
}

static void vsock_host_connect_refused_by_guest_rst(void **state)
{
    struct fx *f = *state;
    uint32_t host_port;
    int conn;

    post_rx(f, 2, RXBUF);
    conn = vmm_virtio_vsock_host_connect(&f->vs, 81, &host_port);
    assert_true(conn >= 0);
    expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, host_port, 81);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RST, 81, host_port), NULL, 0);
    assert_int_equal(f->closed, 1);
    assert_int_equal(f->connected, 0);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, (unsigned)conn)->state, VIRTIO_VSOCK_FREE);
    expect_nothing(f); /* never an RST to an RST */
}

static void vsock_control_packets_wait_for_rx_buffers(void **state)
{
    struct fx *f = *state;

    guest_send(f, ghdr(VIRTIO_VSOCK_OP_REQUEST, 6000, 22), NULL, 0);
    assert_int_equal(f->connects, 1);
    expect_nothing(f);
    post_rx(f, 1, RXBUF);
    expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 22, 6000);
}

static void vsock_backend_refusal_answers_rst(void **state)
{
    struct fx *f = *state;

    post_rx(f, 2, RXBUF);
    f->connect_ret = -VMM_ENOENT;
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_REQUEST, 5001, 9999), NULL, 0);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 9999, 5001);
    assert_int_equal(f->closed, 0);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, f->last_connect_conn)->state, VIRTIO_VSOCK_FREE);
}

static void vsock_host_stops_at_guest_credit_and_resumes_on_update(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h, req = ghdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 1234);
    static uint8_t data[250];
    uint8_t got[RXBUF];
    unsigned conn;

    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    req.buf_alloc = 100;
    post_rx(f, 8, RXBUF);
    guest_send(f, req, NULL, 0);
    conn = f->last_connect_conn;
    expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 1234, 5000);

    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, data, sizeof(data)), 100);
    assert_true(guest_recv(f, &h, got, sizeof(got)));
    assert_int_equal(h.len, 100);
    assert_memory_equal(got, data, 100);
    /* Window full: nothing more, and the device asks for credit once. */
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, data + 100, 150), -VMM_EAGAIN);
    expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, data + 100, 150), -VMM_EAGAIN);
    expect_nothing(f);

    unsigned before = f->rx_ready;
    struct virtio_vsock_hdr upd = ghdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 5000, 1234);
    upd.buf_alloc = 100;
    upd.fwd_cnt = 60; /* the guest read 60 bytes */
    guest_send(f, upd, NULL, 0);
    assert_true(f->rx_ready > before);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, data + 100, 150), 60);
    assert_true(guest_recv(f, &h, got, sizeof(got)));
    assert_memory_equal(got, data + 100, 60);
}

static void vsock_guest_beyond_our_credit_is_reset(void **state)
{
    struct fx *f = *state;
    static uint8_t data[BE_BUF_ALLOC];
    unsigned conn;

    f->send_consumes = 0; /* the backend buffers everything */
    conn = guest_connect(f);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234), data, BE_BUF_ALLOC - 100);
    assert_int_equal(f->sent_len, BE_BUF_ALLOC - 100);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234), data, 200);
    assert_int_equal(f->sent_len, BE_BUF_ALLOC - 100); /* not passed on */
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).credit_violations, 1);
    assert_int_equal(f->closed, 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, conn)->state, VIRTIO_VSOCK_FREE);
}

static void vsock_consumption_sends_credit_update(void **state)
{
    struct fx *f = *state;
    static uint8_t data[3000];
    struct virtio_vsock_hdr h;
    unsigned conn;

    f->send_consumes = 0;
    conn = guest_connect(f);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234), data, sizeof(data));
    expect_nothing(f);
    vmm_virtio_vsock_host_consumed(&f->vs, conn, 1000); /* under half of buf_alloc: quiet */
    expect_nothing(f);
    vmm_virtio_vsock_host_consumed(&f->vs, conn, 2000);
    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    assert_int_equal(h.fwd_cnt, 3000);
    assert_int_equal(h.buf_alloc, BE_BUF_ALLOC);
    /* Consuming more than was received is clamped. */
    vmm_virtio_vsock_host_consumed(&f->vs, conn, 5000);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, conn)->fwd_cnt, 3000);
}

static void vsock_credit_request_is_answered(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h;

    guest_connect(f);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234), "abc", 3);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 5000, 1234), NULL, 0);
    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    assert_int_equal(h.fwd_cnt, 3);
}

static void vsock_unknown_connection_gets_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h;

    post_rx(f, 2, RXBUF);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RW, 7000, 4321), "zz", 2);
    assert_int_equal(f->sent_len, 0);
    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
    assert_int_equal(h.src_cid, VIRTIO_VSOCK_HOST_CID);
    assert_int_equal(h.src_port, 4321);
    assert_int_equal(h.dst_port, 7000);
    /* An RST for an unknown connection is not answered. */
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_RST, 7000, 4321), NULL, 0);
    expect_nothing(f);
}

static void vsock_bad_src_cid_is_dropped_silently(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 1234);

    post_rx(f, 2, RXBUF);
    h.src_cid = GUEST_CID + 1;
    guest_send(f, h, NULL, 0);
    assert_int_equal(f->connects, 0);
    expect_nothing(f);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).bad_pkts, 1);
    assert_false(needs_reset(f));
}

static void vsock_bad_dst_cid_gets_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 1234), r;

    post_rx(f, 2, RXBUF);
    h.dst_cid = 3;
    guest_send(f, h, NULL, 0);
    assert_int_equal(f->connects, 0);
    assert_true(guest_recv(f, &r, NULL, 0));
    assert_int_equal(r.op, VIRTIO_VSOCK_OP_RST);
    assert_int_equal(r.src_cid, 3);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).bad_pkts, 1);
}

static void vsock_non_stream_type_gets_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_REQUEST, 5000, 1234);

    post_rx(f, 2, RXBUF);
    h.type = 2; /* SEQPACKET, not negotiated */
    guest_send(f, h, NULL, 0);
    assert_int_equal(f->connects, 0);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
}

static void vsock_unknown_op_resets_connection(void **state)
{
    struct fx *f = *state;
    unsigned conn = guest_connect(f);

    guest_send(f, ghdr(42, 5000, 1234), NULL, 0);
    assert_int_equal(f->closed, 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, conn)->state, VIRTIO_VSOCK_FREE);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, "x", 1), -VMM_EIO);
}

static void vsock_len_not_matching_chain_gets_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234);

    guest_connect(f);
    h.len = 10; /* but 4 payload bytes follow */
    guest_send_raw(f, &h, "abcd", 4);
    assert_int_equal(f->sent_len, 0);
    assert_int_equal(f->closed, 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).bad_pkts, 1);
}

static void vsock_oversized_len_gets_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_RW, 5000, 1234);

    post_rx(f, 2, RXBUF);
    h.len = VIRTIO_VSOCK_MAX_PAYLOAD + 1;
    guest_send_raw(f, &h, NULL, VIRTIO_VSOCK_MAX_PAYLOAD + 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).bad_pkts, 1);
}

static void vsock_short_header_is_dropped(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {test_guest_alloc(&f->g, 20, 8), 20, false};
    uint32_t id, len;

    post_rx(f, 2, RXBUF);
    test_vq_add(&f->q[VIRTIO_VSOCK_TXQ], &b, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
    assert_true(test_vq_get_used(&f->q[VIRTIO_VSOCK_TXQ], &id, &len));
    expect_nothing(f);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).bad_pkts, 1);
}

static void vsock_writable_descriptor_in_tx_is_a_violation(void **state)
{
    struct fx *f = *state;
    struct test_buf b[2] = {{test_guest_alloc(&f->g, 44, 8), 44, false},
                            {test_guest_alloc(&f->g, 16, 8), 16, true}};

    test_vq_add(&f->q[VIRTIO_VSOCK_TXQ], b, 2);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
    assert_true(needs_reset(f));
}

static void vsock_table_full_refuses_with_rst(void **state)
{
    struct fx *f = *state;

    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
        guest_send(f, ghdr(VIRTIO_VSOCK_OP_REQUEST, 10000 + i, 80), NULL, 0);
        /* Keep the tx ring from filling: read back what the device used. */
        uint32_t id, len;
        assert_true(test_vq_get_used(&f->q[VIRTIO_VSOCK_TXQ], &id, &len));
    }
    assert_int_equal(f->connects, VMM_VSOCK_MAX_CONNS);
    guest_send(f, ghdr(VIRTIO_VSOCK_OP_REQUEST, 20000, 80), NULL, 0);
    assert_int_equal(f->connects, VMM_VSOCK_MAX_CONNS);
    assert_int_equal(vmm_virtio_vsock_stats(&f->vs).table_full, 1);
    /* Host connections are refused too. */
    uint32_t port;
    assert_int_equal(vmm_virtio_vsock_host_connect(&f->vs, 1, &port), -VMM_ENOSPC);
    /* The RST for 20000 waits behind the 64 RESPONSEs; give buffers for all. */
    unsigned responses = 0, rsts = 0;
    struct virtio_vsock_hdr h;
    for (unsigned round = 0; round < 2; round++) {
        post_rx(f, round == 0 ? QNUM - 1 : 2, 64);
        while (guest_recv(f, &h, NULL, 0)) {
            responses += h.op == VIRTIO_VSOCK_OP_RESPONSE;
            if (h.op == VIRTIO_VSOCK_OP_RST) {
                rsts++;
                assert_int_equal(h.dst_port, 20000);
            }
        }
    }
    assert_int_equal(responses, VMM_VSOCK_MAX_CONNS);
    assert_int_equal(rsts, 1);
}

static void vsock_guest_full_shutdown_is_answered_with_rst(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h = ghdr(VIRTIO_VSOCK_OP_SHUTDOWN, 5000, 1234);
    unsigned conn = guest_connect(f);

    h.flags = VMM_VSOCK_SHUTDOWN_SEND;
    guest_send(f, h, NULL, 0);
    assert_int_equal(f->shutdowns, 1);
    assert_int_equal(f->last_shutdown_flags, VMM_VSOCK_SHUTDOWN_SEND);
    expect_nothing(f);
    /* Sending after SHUTDOWN SEND is a protocol error... but first finish cleanly. */
    h.flags = VMM_VSOCK_SHUTDOWN_RCV;
    guest_send(f, h, NULL, 0);
    assert_int_equal(f->closed, 1);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, conn)->state, VIRTIO_VSOCK_FREE);
}

static void vsock_host_shutdown_and_reset_reach_the_guest(void **state)
{
    struct fx *f = *state;
    struct virtio_vsock_hdr h;
    unsigned conn = guest_connect(f);

    vmm_virtio_vsock_host_shutdown(&f->vs, conn, VMM_VSOCK_SHUTDOWN_SEND);
    assert_true(guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_SHUTDOWN);
    assert_int_equal(h.flags, VMM_VSOCK_SHUTDOWN_SEND);
    assert_int_equal(vmm_virtio_vsock_host_send(&f->vs, conn, "x", 1), -VMM_EIO);
    vmm_virtio_vsock_host_reset(&f->vs, conn);
    expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, 5000);
    assert_int_equal(f->closed, 0); /* the backend asked for it */
    assert_int_equal(vmm_virtio_vsock_conn(&f->vs, conn)->state, VIRTIO_VSOCK_FREE);
}

static void vsock_device_reset_closes_every_connection(void **state)
{
    struct fx *f = *state;
    uint32_t port;

    guest_connect(f);
    assert_true(vmm_virtio_vsock_host_connect(&f->vs, 99, &port) >= 0);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->closed, 2);
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
        assert_int_equal(vmm_virtio_vsock_conn(&f->vs, i)->state, VIRTIO_VSOCK_FREE);
    assert_int_equal(vmm_virtio_vsock_host_connect(&f->vs, 99, &port), -VMM_EIO);
}

static void vsock_header_codec_round_trips(void **state)
{
    struct virtio_vsock_hdr a = {0x1122334455667788ull, 2, 0xdeadbeef, 7, 99, 1, 5, 3, 65536, 12},
                            b;
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];

    (void)state;
    vmm_virtio_vsock_hdr_encode(&a, raw);
    assert_int_equal(raw[0], 0x88);
    assert_int_equal(raw[7], 0x11);
    assert_int_equal(raw[30], 5);
    vmm_virtio_vsock_hdr_decode(raw, &b);
    assert_memory_equal(&a, &b, sizeof(a));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(vsock_config_holds_guest_cid),
        T(vsock_guest_connect_then_data_both_ways),
        T(vsock_host_connect_completes_on_guest_response),
        T(vsock_host_connect_refused_by_guest_rst),
        T(vsock_control_packets_wait_for_rx_buffers),
        T(vsock_backend_refusal_answers_rst),
        T(vsock_host_stops_at_guest_credit_and_resumes_on_update),
        T(vsock_guest_beyond_our_credit_is_reset),
        T(vsock_consumption_sends_credit_update),
        T(vsock_credit_request_is_answered),
        T(vsock_unknown_connection_gets_rst),
        T(vsock_bad_src_cid_is_dropped_silently),
        T(vsock_bad_dst_cid_gets_rst),
        T(vsock_non_stream_type_gets_rst),
        T(vsock_unknown_op_resets_connection),
        T(vsock_len_not_matching_chain_gets_rst),
        T(vsock_oversized_len_gets_rst),
        T(vsock_short_header_is_dropped),
        T(vsock_writable_descriptor_in_tx_is_a_violation),
        T(vsock_table_full_refuses_with_rst),
        T(vsock_guest_full_shutdown_is_answered_with_rst),
        T(vsock_host_shutdown_and_reset_reach_the_guest),
        T(vsock_device_reset_closes_every_connection),
        cmocka_unit_test(vsock_header_codec_round_trips),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
