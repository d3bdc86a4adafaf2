/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock, host-to-guest side: packets into the guest's receive
 * buffers, the control packets connections owe, credit accounting
 * (5.10.6.3) and the functions the backend calls.
 */
#include <string.h>
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "virtio_vsock_internal.h"

/* The counters run free and wrap (5.10.6.3): differences are what count. */
VMM_WRAPS uint32_t vmm_vsock_peer_credit(const struct vmm_virtio_vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

VMM_WRAPS void vmm_vsock_check_credit_update(struct virtio_vsock *vs,
                                             struct vmm_virtio_vsock_conn *c)
{
    if (c->fwd_cnt - c->fwd_cnt_sent >= vs->backend->buf_alloc / 2)
        c->pending |= VIRTIO_VSOCK_PEND_CREDIT_UPDATE;
}

/* Take a receive chain into vs->rx_chain: 1, 0 when none is posted, or a
 * negative code (the queue is then failed). */
static int rx_take(struct virtio_vsock *vs, struct virtq *vq)
{
    int ret = vmm_virtq_pop(vq, &vs->rx_chain);

    if (ret > 0 &&
        (vs->rx_chain.nr_readable != 0 || vs->rx_chain.writable_len < VIRTIO_VSOCK_HDR_LEN)) {
        ret = vmm_virtq_fail(vq, -VMM_EINVAL,
                             "receive chain not writable or shorter than the header");
    }
    if (ret < 0)
        vmm_virtio_mmio_queue_error(&vs->vdev, VIRTIO_VSOCK_RXQ, ret);
    return ret;
}

/* Write @h and @h->len payload bytes into vs->rx_chain and return it. */
static void rx_put(struct virtio_vsock *vs, struct virtq *vq, const struct virtio_vsock_hdr *h,
                   const void *payload)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];

    vmm_virtio_vsock_hdr_encode(h, raw);
    vmm_virtq_chain_scatter(&vs->rx_chain, 0, raw, sizeof(raw));
    if (h->len > 0)
        vmm_virtq_chain_scatter(&vs->rx_chain, VIRTIO_VSOCK_HDR_LEN, payload, h->len);
    (void)vmm_virtq_push_used(vq, vs->rx_chain.head, VIRTIO_VSOCK_HDR_LEN + h->len);
    vs->stats.rx_pkts++;
    vs->stats.rx_bytes += h->len;
    if (h->op == VIRTIO_VSOCK_OP_RST)
        vs->stats.rst_sent++;
}

/* A header from the host's end of @c; it advertises our credit. */
static void conn_hdr(struct virtio_vsock *vs, struct vmm_virtio_vsock_conn *c, uint16_t op,
                     uint32_t flags, uint32_t len, struct virtio_vsock_hdr *h)
{
    *h = (struct virtio_vsock_hdr){
        .src_cid = VIRTIO_VSOCK_HOST_CID,
        .dst_cid = vs->guest_cid,
        .src_port = c->host_port,
        .dst_port = c->guest_port,
        .len = len,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = op,
        .flags = flags,
        .buf_alloc = vs->backend->buf_alloc,
        .fwd_cnt = c->fwd_cnt,
    };
    c->fwd_cnt_sent = c->fwd_cnt;
    c->pending &= (uint8_t)~VIRTIO_VSOCK_PEND_CREDIT_UPDATE;
}

/* The first control packet @c owes, in protocol order, as op + flags. */
static uint16_t conn_next_control(const struct vmm_virtio_vsock_conn *c, uint32_t *flags)
{
    static const struct {
        uint8_t bit;
        uint16_t op;
    } order[] = {
        {VIRTIO_VSOCK_PEND_REQUEST, VIRTIO_VSOCK_OP_REQUEST},
        {VIRTIO_VSOCK_PEND_RESPONSE, VIRTIO_VSOCK_OP_RESPONSE},
        {VIRTIO_VSOCK_PEND_CREDIT_UPDATE, VIRTIO_VSOCK_OP_CREDIT_UPDATE},
        {VIRTIO_VSOCK_PEND_CREDIT_REQUEST, VIRTIO_VSOCK_OP_CREDIT_REQUEST},
        {VIRTIO_VSOCK_PEND_SHUTDOWN, VIRTIO_VSOCK_OP_SHUTDOWN},
        {VIRTIO_VSOCK_PEND_RST, VIRTIO_VSOCK_OP_RST},
    };

    *flags = 0;
    if (c->pending & VIRTIO_VSOCK_PEND_RST)
        return VIRTIO_VSOCK_OP_RST; /* an RST makes everything else moot */
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (c->pending & order[i].bit) {
            if (order[i].op == VIRTIO_VSOCK_OP_SHUTDOWN)
                *flags = c->shutdown;
            return order[i].op;
        }
    }
    return VIRTIO_VSOCK_OP_INVALID;
}

static uint8_t op_bit(uint16_t op)
{
    switch (op) {
    case VIRTIO_VSOCK_OP_REQUEST:
        return VIRTIO_VSOCK_PEND_REQUEST;
    case VIRTIO_VSOCK_OP_RESPONSE:
        return VIRTIO_VSOCK_PEND_RESPONSE;
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        return VIRTIO_VSOCK_PEND_CREDIT_UPDATE;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        return VIRTIO_VSOCK_PEND_CREDIT_REQUEST;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        return VIRTIO_VSOCK_PEND_SHUTDOWN;
    default:
        return VIRTIO_VSOCK_PEND_RST;
    }
}

/* Send what @c owes: true when all went, false when buffers ran out. */
static bool pump_conn(struct virtio_vsock *vs, struct virtq *vq, struct vmm_virtio_vsock_conn *c,
                      bool *pushed)
{
    /* Each round clears one bit, so this ends within the number of bits. */
    while (c->pending != 0) {
        struct virtio_vsock_hdr h;
        uint32_t flags;
        uint16_t op = conn_next_control(c, &flags);

        if (rx_take(vs, vq) <= 0)
            return false;
        conn_hdr(vs, c, op, flags, 0, &h);
        rx_put(vs, vq, &h, NULL);
        *pushed = true;
        c->pending &= (uint8_t)~op_bit(op);
        if (op == VIRTIO_VSOCK_OP_RST)
            memset(c, 0, sizeof(*c)); /* the id is free again */
    }
    return true;
}

void vmm_vsock_pump(struct virtio_vsock *vs)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&vs->vdev, VIRTIO_VSOCK_RXQ);
    bool pushed = false;
    unsigned sent = 0;

    if (vq == NULL)
        return;
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
        if (!pump_conn(vs, vq, &vs->conns[i], &pushed))
            goto out;
    for (; sent < vs->nr_orphans; sent++) {
        const struct virtio_vsock_orphan_rst *o = &vs->orphans[sent];
        struct virtio_vsock_hdr h = {
            .src_cid = o->src_cid,
            .dst_cid = vs->guest_cid,
            .src_port = o->src_port,
            .dst_port = o->dst_port,
            .type = VIRTIO_VSOCK_TYPE_STREAM,
            .op = VIRTIO_VSOCK_OP_RST,
        };

        if (rx_take(vs, vq) <= 0)
            break;
        rx_put(vs, vq, &h, NULL);
        pushed = true;
    }
    memmove(vs->orphans, vs->orphans + sent, (vs->nr_orphans - sent) * sizeof(vs->orphans[0]));
    vs->nr_orphans -= sent;
out:
    if (pushed)
        vmm_virtio_mmio_notify_used(&vs->vdev, VIRTIO_VSOCK_RXQ);
}

void vmm_vsock_conn_fail(struct virtio_vsock *vs, unsigned id)
{
    struct vmm_virtio_vsock_conn *c = &vs->conns[id];

    if (c->state == VIRTIO_VSOCK_CONNECTING || c->state == VIRTIO_VSOCK_ESTABLISHED)
        vs->backend->closed(vs->backend->ctx, id);
    if (c->state == VIRTIO_VSOCK_FREE)
        return;
    c->state = VIRTIO_VSOCK_RST_PENDING;
    c->pending = VIRTIO_VSOCK_PEND_RST;
}

void vmm_vsock_orphan_rst(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h)
{
    if (vs->nr_orphans == VIRTIO_VSOCK_ORPHAN_RSTS) {
        vs->stats.rst_lost++;
        return;
    }
    vs->orphans[vs->nr_orphans++] = (struct virtio_vsock_orphan_rst){
        .src_cid = h->dst_cid,
        .src_port = h->dst_port,
        .dst_port = h->src_port,
    };
}

/* ------------------------------------------------------------------ host API */

static struct vmm_virtio_vsock_conn *host_conn(struct virtio_vsock *vs, unsigned conn)
{
    struct vmm_virtio_vsock_conn *c;

    if (conn >= VMM_VSOCK_MAX_CONNS)
        return NULL;
    c = &vs->conns[conn];
    return c->state == VIRTIO_VSOCK_CONNECTING || c->state == VIRTIO_VSOCK_ESTABLISHED ? c : NULL;
}

static bool host_port_used(const struct virtio_vsock *vs, uint32_t port)
{
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
        if (vs->conns[i].state != VIRTIO_VSOCK_FREE && vs->conns[i].host_port == port)
            return true;
    return false;
}

int vmm_virtio_vsock_host_connect(struct virtio_vsock *vs, uint32_t guest_port, uint32_t *host_port)
{
    struct vmm_virtio_vsock_conn *c = NULL;
    unsigned id;

    if (vmm_virtio_mmio_queue(&vs->vdev, VIRTIO_VSOCK_RXQ) == NULL)
        return -VMM_EIO;
    for (id = 0; id < VMM_VSOCK_MAX_CONNS; id++) {
        if (vs->conns[id].state == VIRTIO_VSOCK_FREE) {
            c = &vs->conns[id];
            break;
        }
    }
    if (c == NULL)
        return -VMM_ENOSPC;
    /* Ephemeral host ports from 2^30 up; at most 64 are in use, so this ends. */
    do {
        vs->next_host_port =
            vs->next_host_port + 1 < (1u << 30) ? 1u << 30 : vs->next_host_port + 1;
    } while (host_port_used(vs, vs->next_host_port) || vs->next_host_port == UINT32_MAX);
    memset(c, 0, sizeof(*c));
    c->state = VIRTIO_VSOCK_CONNECTING;
    c->host_port = vs->next_host_port;
    c->guest_port = guest_port;
    c->pending = VIRTIO_VSOCK_PEND_REQUEST;
    *host_port = c->host_port;
    vmm_vsock_pump(vs);
    return (int)id;
}

VMM_WRAPS long vmm_virtio_vsock_host_send(struct virtio_vsock *vs, unsigned conn, const void *buf,
                                          size_t len)
{
    struct vmm_virtio_vsock_conn *c = host_conn(vs, conn);
    struct virtq *vq = vmm_virtio_mmio_queue(&vs->vdev, VIRTIO_VSOCK_RXQ);
    const uint8_t *src = buf;
    bool pushed = false;
    size_t done = 0;
    unsigned budget;

    if (c == NULL || vq == NULL || c->state != VIRTIO_VSOCK_ESTABLISHED ||
        (c->peer_shutdown & VMM_VSOCK_SHUTDOWN_RCV) || (c->shutdown & VMM_VSOCK_SHUTDOWN_SEND))
        return -VMM_EIO;
    vmm_vsock_pump(vs);
    /* RESPONSE (or anything else owed) must reach the guest before data.
     * At most a queue's worth of receive chains per call: a guest that
     * refills the ring from another vCPU as fast as we take its buffers
     * (say with room for a header and no payload) cannot keep this call,
     * and the lock it runs under, for itself (issue 10, point 1). */
    for (budget = vq->num; budget > 0 && c->pending == 0 && done < len; budget--) {
        uint32_t credit = vmm_vsock_peer_credit(c);
        struct virtio_vsock_hdr h;
        size_t n;

        if (credit == 0) {
            if (!c->credit_asked) {
                c->credit_asked = true;
                c->pending |= VIRTIO_VSOCK_PEND_CREDIT_REQUEST;
                vmm_vsock_pump(vs);
            }
            break;
        }
        if (rx_take(vs, vq) <= 0)
            break;
        n = len - done;
        if (n > credit)
            n = credit;
        if (n > vs->rx_chain.writable_len - VIRTIO_VSOCK_HDR_LEN)
            n = vs->rx_chain.writable_len - VIRTIO_VSOCK_HDR_LEN;
        if (n > VIRTIO_VSOCK_MAX_PAYLOAD)
            n = VIRTIO_VSOCK_MAX_PAYLOAD;
        if (n == 0) { /* room for the header only: still carries our credit */
            conn_hdr(vs, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0, &h);
            rx_put(vs, vq, &h, NULL);
            pushed = true;
            continue;
        }
        conn_hdr(vs, c, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)n, &h);
        rx_put(vs, vq, &h, src + done);
        pushed = true;
        c->tx_cnt += (uint32_t)n;
        done += n;
    }
    if (pushed)
        vmm_virtio_mmio_notify_used(&vs->vdev, VIRTIO_VSOCK_RXQ);
    if (done < len)
        vs->want_rx_ready = true;
    return done > 0 || len == 0 ? (long)done : -VMM_EAGAIN;
}

VMM_WRAPS void vmm_virtio_vsock_host_consumed(struct virtio_vsock *vs, unsigned conn,
                                              uint32_t bytes)
{
    struct vmm_virtio_vsock_conn *c = host_conn(vs, conn);
    uint32_t unconsumed;

    if (c == NULL)
        return;
    unconsumed = c->rx_cnt - c->fwd_cnt;
    c->fwd_cnt += bytes < unconsumed ? bytes : unconsumed;
    vmm_vsock_check_credit_update(vs, c);
    vmm_vsock_pump(vs);
}

void vmm_virtio_vsock_host_shutdown(struct virtio_vsock *vs, unsigned conn, unsigned flags)
{
    struct vmm_virtio_vsock_conn *c = host_conn(vs, conn);

    flags &= VMM_VSOCK_SHUTDOWN_RCV | VMM_VSOCK_SHUTDOWN_SEND;
    if (c == NULL || c->state != VIRTIO_VSOCK_ESTABLISHED || (c->shutdown | flags) == c->shutdown)
        return;
    c->shutdown |= (uint8_t)flags;
    c->pending |= VIRTIO_VSOCK_PEND_SHUTDOWN;
    vmm_vsock_pump(vs);
}

void vmm_virtio_vsock_host_reset(struct virtio_vsock *vs, unsigned conn)
{
    struct vmm_virtio_vsock_conn *c = host_conn(vs, conn);

    if (c == NULL)
        return;
    c->state = VIRTIO_VSOCK_RST_PENDING;
    c->pending = VIRTIO_VSOCK_PEND_RST;
    vmm_vsock_pump(vs);
}
