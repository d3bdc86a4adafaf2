/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net internals shared by virtio_net.c (transmit, transport) and
 * virtio_net_rx.c: checking struct virtio_net_hdr (virtio 1.2 section 5.1.6)
 * against the negotiated offloads, both directions. */
#ifndef STDVMM_VIRTIO_NET_HDR_H
#define STDVMM_VIRTIO_NET_HDR_H

#include <stddef.h>
#include <stdint.h>
#include "stdvmm/virtio_net.h"

/* Offload feature bits offered when the backend passes headers through. */
#define VIRTIO_NET_OFFLOAD_FEATURES                                                                \
    (VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |                         \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                   \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |                     \
     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))

/* Which way a header travels: the feature bits that allow each offload differ. */
enum virtio_net_dir {
    VIRTIO_NET_DIR_TX, /* guest -> host: CSUM, HOST_TSO4/6, HOST_ECN */
    VIRTIO_NET_DIR_RX, /* host -> guest: GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN */
};

/*
 * Check header @in of a frame of @frame_len bytes going @dir under the
 * negotiated @features, and write a clean copy to @out (only meaningful
 * fields kept, num_buffers zero). NULL if acceptable, else why not.
 * *@gso is set when the header asks for segmentation.
 */
const char *vmm_virtio_net_hdr_check(const uint8_t in[VIRTIO_NET_HDR_LEN], size_t frame_len,
                                     uint64_t features, enum virtio_net_dir dir,
                                     uint8_t out[VIRTIO_NET_HDR_LEN], bool *gso);

/* The VMM_NET_OFFLOAD_* kinds the host may hand a driver with @features. */
unsigned vmm_virtio_net_hdr_offloads(uint64_t features);

/* The feature bits the driver negotiated. */
static inline uint64_t virtio_net_features(const struct virtio_net *net)
{
    return net->vdev.driver_features;
}

#endif
