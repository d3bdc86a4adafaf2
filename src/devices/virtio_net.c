/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net, one queue pair (virtio 1.2 section 5.1), with checksum and
 * TSO offloads when the backend passes virtio_net_hdr through: transmit,
 * configuration and offload negotiation (receive: virtio_net_rx.c). See
 * include/stdvmm/virtio_net.h for what is kept, dropped and counted.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio_net.h"
#include "virtio_net_hdr.h"

/* struct virtio_net_config (5.1.4): mac[6], status, max_virtqueue_pairs, mtu. */
#define NET_CONFIG_SIZE 12u
#define NET_CONFIG_STATUS 6u
#define NET_CONFIG_MAX_PAIRS 8u
#define NET_CONFIG_MTU 10u
#define NET_MIN_MTU 68u

static struct virtio_net *to_net(struct virtio_mmio *vdev)
{
    return vdev->priv;
}

/* ------------------------------------------------------------------ transmit */

static void tx_drop(struct virtio_net *net, const char *why)
{
    net->stats.tx_dropped++;
    if (vmm_ratelimit_first(&net->rl_tx_bad))
        vmm_warn("%s: transmit frame dropped: %s (further drops counted)", net->vdev.dev.name, why);
}

/*
 * Check the chain in net->tx_chain and point tx_iov at its frame. Returns 1 when
 * the frame is ready for the backend, 0 when it was dropped (counted), or a
 * negative code for a driver violation.
 */
static int tx_prepare(struct virtio_net *net, struct virtq *vq)
{
    const struct virtq_chain *c = &net->tx_chain;
    uint8_t hdr[VIRTIO_NET_HDR_LEN];
    size_t skip = VIRTIO_NET_HDR_LEN;
    uint32_t frame_len;
    const char *why;

    if (c->nr_writable != 0) {
        return vmm_virtq_fail(vq, -VMM_EINVAL, "writable descriptor in a transmit chain");
    }
    if (vmm_virtq_chain_gather(c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
        tx_drop(net, "header shorter than 12 bytes");
        return 0;
    }
    frame_len = c->readable_len - VIRTIO_NET_HDR_LEN;
    if (frame_len < VIRTIO_NET_ETH_HLEN || frame_len > VIRTIO_NET_MAX_FRAME) {
        tx_drop(net, "frame length outside 14..65535 bytes");
        return 0;
    }
    /* Offloads are checked against what was negotiated (5.1.6.2); the
     * backend gets the checked copy, which the guest cannot change later. */
    why = vmm_virtio_net_hdr_check(hdr, frame_len, virtio_net_features(net), VIRTIO_NET_DIR_TX,
                                   net->tx_hdr, &net->tx_gso);
    if (why != NULL) {
        tx_drop(net, why);
        return 0;
    }
    net->tx_nr_iov = 0;
    if (net->backend->vnet_hdr)
        net->tx_iov[net->tx_nr_iov++] = (struct vmm_iov){net->tx_hdr, sizeof(net->tx_hdr)};
    for (unsigned i = 0; i < c->nr_readable; i++) {
        const struct vmm_iov *s = &c->seg[i];

        if (skip >= s->len) {
            skip -= s->len;
            continue;
        }
        net->tx_iov[net->tx_nr_iov].base = (uint8_t *)s->base + skip;
        net->tx_iov[net->tx_nr_iov].len = s->len - skip;
        net->tx_nr_iov++;
        skip = 0;
    }
    return 1;
}

/* Offer the prepared frame: 0 done (sent or dropped), -VMM_EAGAIN kept. */
static int tx_send(struct virtio_net *net)
{
    const struct vmm_net_backend *be = net->backend;
    int ret = be->tx(be->ctx, net->tx_iov, net->tx_nr_iov);

    if (ret == -VMM_EAGAIN) {
        net->stats.tx_retries++;
        return ret;
    }
    if (ret < 0) {
        net->stats.tx_dropped++;
        if (vmm_ratelimit_first(&net->rl_tx_err))
            vmm_warn("%s: backend refused a frame: %s (further drops counted)", net->vdev.dev.name,
                     vmm_strerror(ret));
    } else {
        net->stats.tx_frames++;
        net->stats.tx_gso += net->tx_gso;
    }
    return 0;
}

/* Send what the transmit queue holds, starting with a kept chain. */
static int net_tx(struct virtio_net *net, struct virtq *vq)
{
    int ret = 0;
    bool pushed = false;
    unsigned long burst = 0;

    net->stats.tx_passes++;
    /* Bounded: a legitimate driver has at most num chains outstanding. */
    for (unsigned n = 0; n <= vq->num; n++) {
        if (!net->tx_held) {
            ret = vmm_virtq_pop(vq, &net->tx_chain);
            if (ret <= 0)
                break;
            ret = tx_prepare(net, vq);
            if (ret < 0)
                break;
            if (ret > 0 && tx_send(net) == -VMM_EAGAIN) {
                net->tx_held = true;
                ret = 0;
                break;
            }
        } else if (tx_send(net) == -VMM_EAGAIN) {
            break;
        }
        net->tx_held = false;
        ret = vmm_virtq_push_used(vq, net->tx_chain.head, 0);
        if (ret < 0)
            break;
        pushed = true;
        burst++;
    }
    if (burst > net->stats.tx_burst_max)
        net->stats.tx_burst_max = burst;
    if (pushed)
        vmm_virtio_mmio_notify_used(&net->vdev, VIRTIO_NET_TXQ);
    return ret < 0 ? ret : 0;
}

void vmm_virtio_net_tx_resume(struct virtio_net *net)
{
    const struct vmm_net_backend *be = net->backend;
    struct virtq *vq = vmm_virtio_mmio_queue(&net->vdev, VIRTIO_NET_TXQ);
    int ret;

    if (vq == NULL)
        return;
    ret = net_tx(net, vq);
    if (ret < 0) {
        vmm_virtio_mmio_queue_error(&net->vdev, VIRTIO_NET_TXQ, ret);
        return;
    }
    /* Deferred transmit: kicks stay off while frames wait for the backend
     * (a kept chain: it resumes us). Drained: ask for kicks again, and if
     * the driver queued more meanwhile, it sent no kick for them, so
     * schedule another pass (2.7.10). */
    if (be->tx_kick != NULL && !net->tx_held && vmm_virtq_enable_notify(vq)) {
        vmm_virtq_disable_notify(vq);
        be->tx_kick(be->ctx);
    }
}

/* ------------------------------------------------------------------ transport glue */

static int net_notify(struct virtio_mmio *vdev, unsigned q)
{
    struct virtio_net *net = to_net(vdev);
    struct virtq *vq = vmm_virtio_mmio_queue(vdev, q);

    if (vq == NULL)
        return 0;
    if (q == VIRTIO_NET_TXQ) {
        net->stats.tx_kicks++;
        if (net->backend->tx_kick == NULL)
            return net_tx(net, vq);
        /* The backend's thread sends; no more kicks until it has drained. */
        vmm_virtq_disable_notify(vq);
        net->backend->tx_kick(net->backend->ctx);
        return 0;
    }
    if (net->backend->rx_ready)
        net->backend->rx_ready(net->backend->ctx);
    return 0;
}

static void net_queue_reset(struct virtio_mmio *vdev, unsigned q)
{
    struct virtio_net *net = to_net(vdev);

    if (q == VIRTIO_NET_TXQ) {
        net->tx_held = false;
        return;
    }
    net->rx_nr_bufs = net->rx_nr_seg = 0;
    net->rx_seg_full = false;
}

static void net_config_read(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf, unsigned len)
{
    struct virtio_net *net = to_net(vdev);
    uint8_t cfg[NET_CONFIG_SIZE] = {0};

    memcpy(cfg, net->mac, sizeof(net->mac));
    vmm_put_le16(cfg + NET_CONFIG_STATUS, net->link_up ? VIRTIO_NET_S_LINK_UP : 0);
    vmm_put_le16(cfg + NET_CONFIG_MAX_PAIRS, 1);
    vmm_put_le16(cfg + NET_CONFIG_MTU, net->mtu);
    memcpy(buf, cfg + offset, len);
}

/* Tell the backend which offloaded frames the driver takes now. */
static void net_set_offloads(struct virtio_net *net, unsigned offloads)
{
    const struct vmm_net_backend *be = net->backend;
    int ret;

    if (!be->vnet_hdr || be->set_offloads == NULL || offloads == net->offloads)
        return;
    net->offloads = offloads;
    ret = be->set_offloads(be->ctx, offloads);
    /* The guest renegotiates at will: log the first refusal only. */
    if (ret < 0 && vmm_ratelimit_first(&net->rl_offloads))
        vmm_warn("%s: backend refused offloads 0x%x: %s (further refusals not logged)",
                 net->vdev.dev.name, offloads, vmm_strerror(ret));
}

static void net_driver_ok(struct virtio_mmio *vdev)
{
    struct virtio_net *net = to_net(vdev);

    net_set_offloads(net, vmm_virtio_net_hdr_offloads(virtio_net_features(net)));
}

static void net_reset(struct virtio_mmio *vdev)
{
    struct virtio_net *net = to_net(vdev);

    net->tx_held = false;
    net->rx_nr_bufs = net->rx_nr_seg = 0;
    net->rx_seg_full = false;
    net->rx_unsent = false;
    net_set_offloads(net, 0);
}

#define NET_BASE_FEATURES                                                                          \
    (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |                                 \
     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_STATUS))

/* A backend without headers: frames only, no offloads. */
static const struct virtio_dev_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .features = NET_BASE_FEATURES,
    .nr_queues = 2,
    .queue_num_max = VIRTIO_NET_QUEUE_SIZE,
    .config_size = NET_CONFIG_SIZE,
    .config_read = net_config_read,
    .queue_notify = net_notify,
    .reset = net_reset,
    .queue_reset = net_queue_reset,
    .driver_ok = net_driver_ok,
};

/* A backend that passes virtio_net_hdr through: offloads too. */
static const struct virtio_dev_ops net_ops_offload = {
    .device_id = VIRTIO_ID_NET,
    .features = NET_BASE_FEATURES | VIRTIO_NET_OFFLOAD_FEATURES,
    .nr_queues = 2,
    .queue_num_max = VIRTIO_NET_QUEUE_SIZE,
    .config_size = NET_CONFIG_SIZE,
    .config_read = net_config_read,
    .queue_notify = net_notify,
    .reset = net_reset,
    .queue_reset = net_queue_reset,
    .driver_ok = net_driver_ok,
};

void vmm_virtio_net_set_link(struct virtio_net *net, bool up)
{
    if (net->link_up == up)
        return;
    net->link_up = up;
    vmm_virtio_mmio_config_changed(&net->vdev);
}

struct vmm_virtio_net_stats vmm_virtio_net_stats(const struct virtio_net *net)
{
    return net->stats;
}

int vmm_virtio_net_init(struct virtio_net *net, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const uint8_t mac[6], uint16_t mtu,
                        const struct vmm_net_backend *backend)
{
    if (backend == NULL || backend->tx == NULL || mac == NULL || (mtu != 0 && mtu < NET_MIN_MTU))
        return -VMM_EINVAL;
    memset(net, 0, sizeof(*net));
    net->backend = backend;
    memcpy(net->mac, mac, sizeof(net->mac));
    net->mtu = mtu ? mtu : VIRTIO_NET_DEFAULT_MTU;
    net->link_up = true;
    return vmm_virtio_mmio_init(&net->vdev, backend->vnet_hdr ? &net_ops_offload : &net_ops, net,
                                vm, name, base, irq);
}
