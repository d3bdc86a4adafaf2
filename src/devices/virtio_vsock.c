/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock (virtio 1.2 section 5.10): transport glue, the header codec
 * and the guest-to-host side, where every packet is validated and drives
 * the connection state machine. See include/stdvmm/virtio_vsock.h.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "virtio_vsock_internal.h"

/* struct virtio_vsock_config (5.10.4): guest_cid, le64. */
#define VSOCK_CONFIG_SIZE 8u
#define VSOCK_CID_MIN 3u
#define VSOCK_CID_MAX 0xfffffffeu
#define VSOCK_SHUTDOWN_MASK (VMM_VSOCK_SHUTDOWN_RCV | VMM_VSOCK_SHUTDOWN_SEND)

static struct virtio_vsock *to_vsock(struct virtio_mmio *vdev)
{
    return vdev->priv;
}

void vmm_virtio_vsock_hdr_decode(const uint8_t raw[VIRTIO_VSOCK_HDR_LEN],
                                 struct virtio_vsock_hdr *h)
{
    h->src_cid = vmm_get_le64(raw);
    h->dst_cid = vmm_get_le64(raw + 8);
    h->src_port = vmm_get_le32(raw + 16);
    h->dst_port = vmm_get_le32(raw + 20);
    h->len = vmm_get_le32(raw + 24);
    h->type = vmm_get_le16(raw + 28);
    h->op = vmm_get_le16(raw + 30);
    h->flags = vmm_get_le32(raw + 32);
    h->buf_alloc = vmm_get_le32(raw + 36);
    h->fwd_cnt = vmm_get_le32(raw + 40);
}

void vmm_virtio_vsock_hdr_encode(const struct virtio_vsock_hdr *h,
                                 uint8_t raw[VIRTIO_VSOCK_HDR_LEN])
{
    vmm_put_le64(raw, h->src_cid);
    vmm_put_le64(raw + 8, h->dst_cid);
    vmm_put_le32(raw + 16, h->src_port);
    vmm_put_le32(raw + 20, h->dst_port);
    vmm_put_le32(raw + 24, h->len);
    vmm_put_le16(raw + 28, h->type);
    vmm_put_le16(raw + 30, h->op);
    vmm_put_le32(raw + 32, h->flags);
    vmm_put_le32(raw + 36, h->buf_alloc);
    vmm_put_le32(raw + 40, h->fwd_cnt);
}

static void bad_packet(struct virtio_vsock *vs, const char *why)
{
    vs->stats.bad_pkts++;
    if (vmm_ratelimit_first(&vs->rl_bad))
        vmm_warn("%s: bad packet from the guest: %s (further ones counted)", vs->vdev.dev.name,
                 why);
}

/* The connection with guest port @guest_port and host port @host_port, or -1. */
static int conn_lookup(const struct virtio_vsock *vs, uint32_t guest_port, uint32_t host_port)
{
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
        const struct vmm_virtio_vsock_conn *c = &vs->conns[i];

        if (c->state != VIRTIO_VSOCK_FREE && c->guest_port == guest_port &&
            c->host_port == host_port)
            return (int)i;
    }
    return -1;
}

/* Refuse packet @h (on connection @id, or -1): RST back, never to an RST. */
static void reject(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h, int id)
{
    if (h->op == VIRTIO_VSOCK_OP_RST)
        return;
    if (id >= 0)
        vmm_vsock_conn_fail(vs, (unsigned)id);
    else
        vmm_vsock_orphan_rst(vs, h);
}

/* A guest REQUEST (5.10.6.4): a new connection to host port dst_port. */
static void guest_request(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h, int id)
{
    const struct vmm_vsock_backend *be = vs->backend;
    struct vmm_virtio_vsock_conn *c;

    if (id >= 0) { /* a second REQUEST for a live connection */
        reject(vs, h, id);
        return;
    }
    for (id = 0; id < (int)VMM_VSOCK_MAX_CONNS; id++)
        if (vs->conns[id].state == VIRTIO_VSOCK_FREE)
            break;
    if (id == (int)VMM_VSOCK_MAX_CONNS) {
        vs->stats.table_full++;
        vmm_vsock_orphan_rst(vs, h);
        return;
    }
    c = &vs->conns[id];
    memset(c, 0, sizeof(*c));
    c->guest_port = h->src_port;
    c->host_port = h->dst_port;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    c->state = VIRTIO_VSOCK_ESTABLISHED;
    if (be->connect(be->ctx, (unsigned)id, h->dst_port) < 0) {
        c->state = VIRTIO_VSOCK_RST_PENDING;
        c->pending = VIRTIO_VSOCK_PEND_RST;
        return;
    }
    c->pending = VIRTIO_VSOCK_PEND_RESPONSE;
}

/* Guest data (5.10.6.3): within our credit, straight to the backend. */
VMM_WRAPS static void guest_rw(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h,
                               unsigned id)
{
    const struct vmm_vsock_backend *be = vs->backend;
    struct vmm_virtio_vsock_conn *c = &vs->conns[id];
    const struct virtq_chain *chain = &vs->tx_chain;
    uint32_t unconsumed = c->rx_cnt - c->fwd_cnt;
    size_t skip = VIRTIO_VSOCK_HDR_LEN;
    unsigned nr = 0;
    long took;

    if (c->peer_shutdown & VMM_VSOCK_SHUTDOWN_SEND) {
        reject(vs, h, (int)id);
        return;
    }
    if (h->len > be->buf_alloc - unconsumed) {
        vs->stats.credit_violations++;
        if (vmm_ratelimit_first(&vs->rl_credit))
            vmm_warn("%s: guest port %u sent beyond its credit; connection reset",
                     vs->vdev.dev.name, c->guest_port);
        vmm_vsock_conn_fail(vs, id);
        return;
    }
    if (h->len == 0)
        return;
    for (unsigned i = 0; i < chain->nr_readable; i++) {
        if (skip >= chain->seg[i].len) {
            skip -= chain->seg[i].len;
            continue;
        }
        vs->payload[nr].base = (uint8_t *)chain->seg[i].base + skip;
        vs->payload[nr].len = chain->seg[i].len - skip;
        nr++;
        skip = 0;
    }
    took = be->send(be->ctx, id, vs->payload, nr);
    if (took < 0) {
        vmm_vsock_conn_fail(vs, id);
        return;
    }
    c->rx_cnt += h->len;
    vs->stats.tx_bytes += h->len;
    c->fwd_cnt += (uint32_t)((unsigned long)took < h->len ? (unsigned long)took : h->len);
    vmm_vsock_check_credit_update(vs, c);
}

static void guest_shutdown(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h, unsigned id)
{
    const struct vmm_vsock_backend *be = vs->backend;
    struct vmm_virtio_vsock_conn *c = &vs->conns[id];
    unsigned flags = h->flags & VSOCK_SHUTDOWN_MASK;

    c->peer_shutdown |= (uint8_t)flags;
    if (flags != 0)
        be->shutdown(be->ctx, id, flags);
    /* 5.10.6.5: a full shutdown is answered with RST, which ends it. */
    if (c->peer_shutdown == VSOCK_SHUTDOWN_MASK) {
        be->closed(be->ctx, id);
        c->state = VIRTIO_VSOCK_RST_PENDING;
        c->pending = VIRTIO_VSOCK_PEND_RST;
    }
}

/* Act on a validated packet @h for known connection @id. */
static void guest_packet(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h, unsigned id)
{
    struct vmm_virtio_vsock_conn *c = &vs->conns[id];
    const struct vmm_vsock_backend *be = vs->backend;

    if (c->state == VIRTIO_VSOCK_RST_PENDING)
        return; /* already reset; the RST is on its way */
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    if (vmm_vsock_peer_credit(c) > 0)
        c->credit_asked = false;
    switch (h->op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        if (c->state != VIRTIO_VSOCK_CONNECTING) {
            reject(vs, h, (int)id);
            break;
        }
        c->state = VIRTIO_VSOCK_ESTABLISHED;
        be->connected(be->ctx, id);
        break;
    case VIRTIO_VSOCK_OP_RST:
        be->closed(be->ctx, id);
        memset(c, 0, sizeof(*c));
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
    case VIRTIO_VSOCK_OP_RW:
        if (c->state != VIRTIO_VSOCK_ESTABLISHED)
            reject(vs, h, (int)id);
        else if (h->op == VIRTIO_VSOCK_OP_RW)
            guest_rw(vs, h, id);
        else
            guest_shutdown(vs, h, id);
        break;
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        break; /* the credit fields were taken above */
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        c->pending |= VIRTIO_VSOCK_PEND_CREDIT_UPDATE;
        break;
    default:
        bad_packet(vs, "unknown op");
        reject(vs, h, (int)id);
        break;
    }
}

/* Validate the chain in vs->tx_chain and act on it: 0, or a negative code
 * for a virtqueue violation. */
static int guest_tx_packet(struct virtio_vsock *vs, struct virtq *vq)
{
    const struct virtq_chain *chain = &vs->tx_chain;
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    struct virtio_vsock_hdr h;
    int id;

    if (chain->nr_writable != 0) {
        return vmm_virtq_fail(vq, -VMM_EINVAL, "writable descriptor in a transmit packet");
    }
    if (vmm_virtq_chain_gather(chain, 0, raw, sizeof(raw)) != sizeof(raw)) {
        bad_packet(vs, "header shorter than 44 bytes");
        return 0;
    }
    vmm_virtio_vsock_hdr_decode(raw, &h);
    vs->stats.tx_pkts++;
    if (h.src_cid != vs->guest_cid) {
        bad_packet(vs, "src_cid is not the guest's CID"); /* forged: no reply */
        return 0;
    }
    id = conn_lookup(vs, h.src_port, h.dst_port);
    if (h.len > VIRTIO_VSOCK_MAX_PAYLOAD || h.len != chain->readable_len - VIRTIO_VSOCK_HDR_LEN) {
        bad_packet(vs, "len does not match the payload");
        reject(vs, &h, id);
        return 0;
    }
    if (h.dst_cid != VIRTIO_VSOCK_HOST_CID || h.type != VIRTIO_VSOCK_TYPE_STREAM) {
        bad_packet(vs, h.type != VIRTIO_VSOCK_TYPE_STREAM ? "type is not STREAM"
                                                          : "dst_cid is not the host");
        reject(vs, &h, id);
        return 0;
    }
    if (h.op == VIRTIO_VSOCK_OP_REQUEST)
        guest_request(vs, &h, id);
    else if (id >= 0)
        guest_packet(vs, &h, (unsigned)id);
    else
        reject(vs, &h, -1); /* no such connection (5.10.6.4) */
    return 0;
}

static void wake_backend(struct virtio_vsock *vs)
{
    if (!vs->want_rx_ready)
        return;
    vs->want_rx_ready = false;
    if (vs->backend->rx_ready)
        vs->backend->rx_ready(vs->backend->ctx);
}

static int vsock_tx(struct virtio_vsock *vs, struct virtq *vq)
{
    bool pushed = false;
    int ret = 0;

    /* Bounded: a legitimate driver has at most num chains outstanding. */
    for (unsigned n = 0; n < vq->num; n++) {
        ret = vmm_virtq_pop(vq, &vs->tx_chain);
        if (ret <= 0)
            break;
        ret = guest_tx_packet(vs, vq);
        if (ret < 0)
            break;
        ret = vmm_virtq_push_used(vq, vs->tx_chain.head, 0);
        if (ret < 0)
            break;
        pushed = true;
    }
    if (pushed)
        vmm_virtio_mmio_notify_used(&vs->vdev, VIRTIO_VSOCK_TXQ);
    vmm_vsock_pump(vs);
    wake_backend(vs);
    return ret < 0 ? ret : 0;
}

static int vsock_notify(struct virtio_mmio *vdev, unsigned q)
{
    struct virtio_vsock *vs = to_vsock(vdev);
    struct virtq *vq = vmm_virtio_mmio_queue(vdev, q);

    if (vq == NULL)
        return 0;
    if (q == VIRTIO_VSOCK_TXQ)
        return vsock_tx(vs, vq);
    if (q == VIRTIO_VSOCK_RXQ) {
        vmm_vsock_pump(vs);
        wake_backend(vs);
    }
    return 0; /* event queue: stdvmm sends no events */
}

static void vsock_config_read(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf, unsigned len)
{
    struct virtio_vsock *vs = to_vsock(vdev);
    uint8_t cfg[VSOCK_CONFIG_SIZE];

    vmm_put_le64(cfg, vs->guest_cid);
    memcpy(buf, cfg + offset, len);
}

/* Driver reset: every connection is gone; the backend hears of each. */
static void vsock_reset(struct virtio_mmio *vdev)
{
    struct virtio_vsock *vs = to_vsock(vdev);

    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
        uint8_t state = vs->conns[i].state;

        if (state == VIRTIO_VSOCK_CONNECTING || state == VIRTIO_VSOCK_ESTABLISHED)
            vs->backend->closed(vs->backend->ctx, i);
    }
    memset(vs->conns, 0, sizeof(vs->conns));
    vs->nr_orphans = 0;
    vs->want_rx_ready = false;
}

static const struct virtio_dev_ops vsock_ops = {
    .device_id = VIRTIO_ID_VSOCK,
    .features = 0, /* STREAM only: no VIRTIO_VSOCK_F_SEQPACKET */
    .nr_queues = 3,
    .queue_num_max = VIRTIO_VSOCK_QUEUE_SIZE,
    .config_size = VSOCK_CONFIG_SIZE,
    .config_read = vsock_config_read,
    .queue_notify = vsock_notify,
    .reset = vsock_reset,
};

int vmm_virtio_vsock_init(struct virtio_vsock *vs, struct vmm_vm *vm, const char *name,
                          uint64_t base, unsigned irq, uint64_t guest_cid,
                          const struct vmm_vsock_backend *backend)
{
    if (backend == NULL || backend->connect == NULL || backend->connected == NULL ||
        backend->send == NULL || backend->shutdown == NULL || backend->closed == NULL ||
        backend->buf_alloc < 4096 || guest_cid < VSOCK_CID_MIN || guest_cid > VSOCK_CID_MAX)
        return -VMM_EINVAL;
    memset(vs, 0, sizeof(*vs));
    vs->backend = backend;
    vs->guest_cid = guest_cid;
    vs->next_host_port = 1u << 30;
    return vmm_virtio_mmio_init(&vs->vdev, &vsock_ops, vs, vm, name, base, irq);
}

struct vmm_virtio_vsock_stats vmm_virtio_vsock_stats(const struct virtio_vsock *vs)
{
    return vs->stats;
}

const struct vmm_virtio_vsock_conn *vmm_virtio_vsock_conn(const struct virtio_vsock *vs,
                                                          unsigned conn)
{
    return conn < VMM_VSOCK_MAX_CONNS ? &vs->conns[conn] : NULL;
}
