/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net receive side (virtio 1.2 section 5.1.6.3-4): host frames into
 * the guest's receive buffers, merged with MRG_RXBUF, with the interrupt
 * deferred over a batch. See include/stdvmm/virtio_net.h.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "virtio_net_hdr.h"

/* Receive frames may carry a VLAN tag on top of the Ethernet header. */
#define NET_RX_L2_OVERHEAD (VIRTIO_NET_ETH_HLEN + 4u)
/* Offset of num_buffers in struct virtio_net_hdr. */
#define NET_HDR_NUM_BUFFERS 10u

/* No more chains fit the segment pool until some are released. */
static bool rx_seg_full(const struct virtio_net *net)
{
    return net->rx_nr_seg == VIRTQ_MAX_CHAIN || net->rx_seg_full;
}

/* Pop one more receive chain into the reserve. 1 taken, 0 ring empty or
 * reserve full, negative on a violation. */
static int rx_reserve_one(struct virtio_net *net, struct virtq *vq)
{
    struct virtio_net_rx_buf *b;
    const struct vmm_iov *w;
    int ret;

    if (net->rx_nr_bufs == VIRTIO_NET_RX_MAX_CHAINS || rx_seg_full(net))
        return 0;
    ret = vmm_virtq_pop(vq, &net->rx_chain);
    if (ret <= 0)
        return ret;
    if (net->rx_chain.nr_readable != 0 || net->rx_chain.writable_len < VIRTIO_NET_HDR_LEN)
        return vmm_virtq_fail(vq, -VMM_EINVAL,
                              "receive chain not writable or shorter than the header");
    b = &net->rx_bufs[net->rx_nr_bufs];
    b->head = net->rx_chain.head;
    b->seg_first = (uint16_t)net->rx_nr_seg;
    b->nr_seg = 0;
    b->len = 0;
    w = vmm_virtq_chain_writable(&net->rx_chain);
    /* The segment pool is shared; a chain that does not fit whole keeps
     * what fits (a device may fill less than a buffer offers). */
    for (unsigned i = 0; i < net->rx_chain.nr_writable && net->rx_nr_seg < VIRTQ_MAX_CHAIN; i++) {
        net->rx_seg[net->rx_nr_seg++] = w[i];
        b->nr_seg++;
        b->len += (uint32_t)w[i].len;
    }
    /* Every reserved buffer holds a whole header, so a frame's header is
     * never split across buffers (5.1.6.4: the driver reads it from the
     * first one). A chain the pool cut shorter goes back unused, empty,
     * and the pool counts as full until buffers are released. */
    if (b->len < VIRTIO_NET_HDR_LEN) {
        net->rx_nr_seg = b->seg_first;
        net->rx_seg_full = true;
        net->stats.rx_unused++;
        ret = vmm_virtq_push_used(vq, b->head, 0);
        if (net->rx_batch)
            net->rx_unsent = true;
        else
            vmm_virtio_mmio_notify_used(&net->vdev, VIRTIO_NET_RXQ);
        return ret < 0 ? ret : 0;
    }
    net->rx_nr_bufs++;
    return 1;
}

/* Copy @len bytes from @src into reserved buffer @b at offset @off. */
static void rx_copy(struct virtio_net *net, const struct virtio_net_rx_buf *b, size_t off,
                    const uint8_t *src, size_t len)
{
    for (unsigned i = 0; i < b->nr_seg && len > 0; i++) {
        const struct vmm_iov *s = &net->rx_seg[b->seg_first + i];
        size_t n;

        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        n = s->len - off < len ? s->len - off : len;
        memcpy((uint8_t *)s->base + off, src, n);
        src += n;
        len -= n;
        off = 0;
    }
}

/* Forget the first @used reserved buffers, keeping the rest in order. */
static void rx_release(struct virtio_net *net, unsigned used)
{
    unsigned seg_used;

    if (used == 0)
        return;
    net->rx_seg_full = false;
    if (used == net->rx_nr_bufs) {
        net->rx_nr_bufs = net->rx_nr_seg = 0;
        return;
    }
    seg_used = net->rx_bufs[used].seg_first;
    memmove(net->rx_bufs, net->rx_bufs + used, (net->rx_nr_bufs - used) * sizeof(net->rx_bufs[0]));
    net->rx_nr_bufs -= used;
    memmove(net->rx_seg, net->rx_seg + seg_used,
            (net->rx_nr_seg - seg_used) * sizeof(net->rx_seg[0]));
    net->rx_nr_seg -= seg_used;
    for (unsigned i = 0; i < net->rx_nr_bufs; i++)
        net->rx_bufs[i].seg_first = (uint16_t)(net->rx_bufs[i].seg_first - seg_used);
}

static int rx_drop(struct virtio_net *net, int err, const char *why, size_t len)
{
    net->stats.rx_dropped++;
    if (vmm_ratelimit_first(&net->rl_rx_drop))
        vmm_warn("%s: received frame of %lu bytes dropped: %s (further drops counted)",
                 net->vdev.dev.name, (unsigned long)len, why);
    return err;
}

/* Byte @pos of what a receive buffer stream holds: header, then frame. */
static void rx_stream_copy(struct virtio_net *net, const struct virtio_net_rx_buf *b,
                           const uint8_t *hdr, const uint8_t *frame, size_t pos, size_t n)
{
    size_t off = 0;

    if (pos < VIRTIO_NET_HDR_LEN) {
        size_t h = VIRTIO_NET_HDR_LEN - pos < n ? VIRTIO_NET_HDR_LEN - pos : n;

        rx_copy(net, b, 0, hdr + pos, h);
        off = h;
    }
    /* Frame bytes only once the header is done: then pos + off >= 12, and
     * no pointer is ever formed before the frame (issue 10, point 4). */
    if (off < n)
        rx_copy(net, b, off, frame + (pos + off - VIRTIO_NET_HDR_LEN), n - off);
}

/* Write @vhdr (with num_buffers) + frame over the first @nbufs reserved
 * buffers and return them. */
static int rx_fill(struct virtio_net *net, struct virtq *vq, unsigned nbufs, const uint8_t *vhdr,
                   const uint8_t *frame, size_t len)
{
    uint8_t hdr[VIRTIO_NET_HDR_LEN];
    size_t total = VIRTIO_NET_HDR_LEN + len, done = 0;
    int ret = 0;

    memcpy(hdr, vhdr, sizeof(hdr));

    /* 5.1.6.4: num_buffers is 1 without MRG_RXBUF, else the chains used. */
    vmm_put_le16(hdr + NET_HDR_NUM_BUFFERS, (uint16_t)nbufs);
    for (unsigned i = 0; i < nbufs; i++) {
        const struct virtio_net_rx_buf *b = &net->rx_bufs[i];
        size_t n = b->len < total - done ? b->len : total - done;

        rx_stream_copy(net, b, hdr, frame, done, n);
        ret = vmm_virtq_push_used(vq, b->head, (uint32_t)n);
        if (ret < 0)
            break;
        done += n;
    }
    rx_release(net, nbufs);
    return ret;
}

/* Count reserved buffers into *@nbufs / *@have (reserving more from the
 * ring) until they hold @need bytes, or one buffer without @mergeable.
 * 0, or negative on a ring violation. */
static int rx_take_bufs(struct virtio_net *net, struct virtq *vq, bool mergeable, size_t need,
                        unsigned *nbufs, size_t *have)
{
    while (*have < need && (mergeable || *nbufs == 0)) {
        if (*nbufs == net->rx_nr_bufs) {
            int ret = rx_reserve_one(net, vq);

            if (ret <= 0)
                return ret;
        }
        *have += net->rx_bufs[(*nbufs)++].len;
    }
    return 0;
}

/* Deliver @frame with checked header @hdr; @gso: it is a GSO frame. */
static int net_rx(struct virtio_net *net, const uint8_t *hdr, bool gso, const uint8_t *frame,
                  size_t len)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&net->vdev, VIRTIO_NET_RXQ);
    bool mergeable = vmm_virtio_mmio_has_feature(&net->vdev, VIRTIO_NET_F_MRG_RXBUF);
    size_t need = VIRTIO_NET_HDR_LEN + len, have = 0;
    unsigned nbufs = 0;
    int ret;

    if (vq == NULL)
        return rx_drop(net, -VMM_EIO, "device not live", len);
    if (len < VIRTIO_NET_ETH_HLEN || len > (gso ? VIRTIO_NET_MAX_GSO_FRAME : VIRTIO_NET_MAX_FRAME))
        return rx_drop(net, -VMM_EINVAL, "bad length", len);
    /* A GSO frame is larger than the MTU by design; its segments are not. */
    if (!gso && vmm_virtio_mmio_has_feature(&net->vdev, VIRTIO_NET_F_MTU) &&
        len > (size_t)net->mtu + NET_RX_L2_OVERHEAD)
        return rx_drop(net, -VMM_E2BIG, "larger than the MTU", len);
    /* Guest kicks on the receive queue are wanted only while a frame waits
     * for buffers: once asked for, look again in case some came meanwhile. */
    for (unsigned pass = 0; pass < 2; pass++) {
        ret = rx_take_bufs(net, vq, mergeable, need, &nbufs, &have);
        if (ret < 0) {
            vmm_virtio_mmio_queue_error(&net->vdev, VIRTIO_NET_RXQ, ret);
            return rx_drop(net, ret, "receive queue broken", len);
        }
        if (have >= need || (nbufs > 0 && !mergeable) || !vmm_virtq_enable_notify(vq))
            break;
    }
    if (have < need) {
        if (nbufs > 0 && !mergeable)
            return rx_drop(net, -VMM_E2BIG, "larger than the receive buffer", len);
        /* Kept chains would never grow: drop rather than wait for ever. */
        if (nbufs == VIRTIO_NET_RX_MAX_CHAINS || rx_seg_full(net))
            return rx_drop(net, -VMM_E2BIG, "needs too many receive buffers", len);
        net->stats.rx_no_room++;
        return -VMM_EAGAIN;
    }
    vmm_virtq_disable_notify(vq);
    ret = rx_fill(net, vq, nbufs, hdr, frame, len);
    if (net->rx_batch)
        net->rx_unsent = true;
    else
        vmm_virtio_mmio_notify_used(&net->vdev, VIRTIO_NET_RXQ);
    if (ret < 0) {
        vmm_virtio_mmio_queue_error(&net->vdev, VIRTIO_NET_RXQ, ret);
        return rx_drop(net, ret, "receive queue broken", len);
    }
    net->stats.rx_frames++;
    net->stats.rx_gso += gso;
    return 0;
}

int vmm_virtio_net_rx(struct virtio_net *net, const void *frame, size_t len)
{
    static const uint8_t no_offload[VIRTIO_NET_HDR_LEN];

    return net_rx(net, no_offload, false, frame, len);
}

int vmm_virtio_net_rx_vnet(struct virtio_net *net, const void *buf, size_t len)
{
    uint8_t hdr[VIRTIO_NET_HDR_LEN];
    const char *why;
    bool gso;

    if (len < VIRTIO_NET_HDR_LEN)
        return rx_drop(net, -VMM_EINVAL, "shorter than the header", len);
    len -= VIRTIO_NET_HDR_LEN;
    /* The host's header, checked like the guest's: the backend's offloads
     * may lag behind a renegotiation by a few frames. */
    why =
        vmm_virtio_net_hdr_check(buf, len, virtio_net_features(net), VIRTIO_NET_DIR_RX, hdr, &gso);
    if (why != NULL)
        return rx_drop(net, -VMM_EINVAL, why, len);
    return net_rx(net, hdr, gso, (const uint8_t *)buf + VIRTIO_NET_HDR_LEN, len);
}

void vmm_virtio_net_rx_batch_begin(struct virtio_net *net)
{
    net->rx_batch = true;
}

void vmm_virtio_net_rx_batch_end(struct virtio_net *net)
{
    net->rx_batch = false;
    if (net->rx_unsent)
        vmm_virtio_mmio_notify_used(&net->vdev, VIRTIO_NET_RXQ);
    net->rx_unsent = false;
}
