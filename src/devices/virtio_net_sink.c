/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net's side of its backend: the struct vmm_net_sink a backend calls
 * to hand host frames in and to let the transmit queue run. */
#include "stdvmm/virtio_net.h"

_Static_assert(VIRTQ_MAX_CHAIN + 1 <= VMM_IOV_MAX, "a frame and its header fit a backend call");
_Static_assert(VIRTIO_NET_HDR_LEN == VMM_NET_HDR_LEN, "one virtio_net_hdr size");

static int sink_rx(void *dev, const void *frame, size_t len)
{
    return vmm_virtio_net_rx(dev, frame, len);
}

static int sink_rx_vnet(void *dev, const void *frame, size_t len)
{
    return vmm_virtio_net_rx_vnet(dev, frame, len);
}

static void sink_rx_batch_begin(void *dev)
{
    vmm_virtio_net_rx_batch_begin(dev);
}

static void sink_rx_batch_end(void *dev)
{
    vmm_virtio_net_rx_batch_end(dev);
}

static void sink_tx_resume(void *dev)
{
    vmm_virtio_net_tx_resume(dev);
}

struct vmm_net_sink vmm_virtio_net_sink(struct virtio_net *net)
{
    bool vnet = net->backend != NULL && net->backend->vnet_hdr;

    return (struct vmm_net_sink){
        .rx = vnet ? sink_rx_vnet : sink_rx,
        .rx_batch_begin = sink_rx_batch_begin,
        .rx_batch_end = sink_rx_batch_end,
        .tx_resume = sink_tx_resume,
        .dev = net,
    };
}
