/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (virtio 1.2 section 5.1), device ID 1: one receive queue (0)
 * and one transmit queue (1); no control queue, no multiqueue.
 * Offered: VIRTIO_NET_F_MAC, VIRTIO_NET_F_MTU, VIRTIO_NET_F_MRG_RXBUF and
 * VIRTIO_NET_F_STATUS (link up); with a vnet_hdr backend (backend.h) also
 * the offloads CSUM, GUEST_CSUM, GUEST_TSO4/TSO6/ECN and HOST_TSO4/TSO6/ECN
 * (no UFO). With VERSION_1 every buffer starts with the 12-byte struct
 * virtio_net_hdr (5.1.6), num_buffers included.
 *
 * Transmit: each chain is header + frame, all device-readable. A writable
 * descriptor in a transmit chain is a driver violation (the device then
 * needs reset). A short header, a frame outside 14..65535 bytes, or a header
 * asking for an offload that was not negotiated or that does not fit the
 * frame (unknown gso_type, gso_size 0, hdr_len or csum_start + csum_offset
 * beyond the frame) is dropped and counted in tx_dropped. The frame goes to
 * backend->tx() as pointers into guest RAM, preceded for a vnet_hdr backend
 * by a validated copy of the header; -VMM_EAGAIN keeps the chain (nothing
 * lost) until the backend calls vmm_virtio_net_tx_resume(); any other error
 * drops and counts the frame. All chains available are sent per pass, with
 * one interrupt at the end. A backend with tx_kick gets only a wake-up
 * from the kick and sends from its own thread (vmm_virtio_net_tx_resume());
 * meanwhile the driver is asked not to kick, and after draining the device
 * asks again and re-checks the ring (virtio 1.2 section 2.7.10).
 *
 * Receive: the backend pushes whole frames with vmm_virtio_net_rx() (or with
 * their header, vmm_virtio_net_rx_vnet()). With MRG_RXBUF a frame spreads over
 * as many chains as it needs (num_buffers says how many); without it, one
 * chain must hold header + frame. The header always goes whole into a
 * frame's first chain: a chain that the device's segment pool (VIRTQ_MAX_CHAIN
 * segments over all chains it holds) would cut below 12 bytes is returned
 * empty (used length 0, counted in rx_unused). When the guest has not posted
 * enough buffers the call returns -VMM_EAGAIN: the backend keeps the frame and
 * offers it again after backend->rx_ready(). Between vmm_virtio_net_rx_batch_begin()
 * and _end() the guest is interrupted once, at the end.
 */
#ifndef STDVMM_VIRTIO_NET_H
#define STDVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_NET 1

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0       /* the device completes partial checksums of tx frames */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* the driver takes rx frames with partial checksums */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7 /* the driver takes TCP/IPv4 GSO frames */
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11 /* the device takes TCP/IPv4 GSO frames */
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* Configuration status field (5.1.4). */
#define VIRTIO_NET_S_LINK_UP 1u

/* struct virtio_net_hdr (5.1.6): flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers; 12 bytes with VERSION_1. */
#define VIRTIO_NET_HDR_LEN 12u
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_ETH_HLEN 14u
#define VIRTIO_NET_MAX_FRAME 65535u
/* A GSO frame from the host: an IP packet of up to 65535 bytes, Ethernet
 * header and VLAN tag. */
#define VIRTIO_NET_MAX_GSO_FRAME (65535u + VIRTIO_NET_ETH_HLEN + 4u)
#define VIRTIO_NET_DEFAULT_MTU 1500u
/* Most receive chains one frame may take (MRG_RXBUF); Linux posts buffers of
 * at least 1.5 KiB, so 64 of them hold the largest frame. */
#define VIRTIO_NET_RX_MAX_CHAINS 64u

/* Counters, queryable with vmm_virtio_net_stats(). */
struct vmm_virtio_net_stats {
    unsigned long tx_frames;    /* frames the backend took */
    unsigned long tx_dropped;   /* malformed or refused by the backend: lost */
    unsigned long tx_retries;   /* backend said -VMM_EAGAIN: chain kept */
    unsigned long rx_frames;    /* frames delivered to the guest */
    unsigned long rx_dropped;   /* too large for the guest's buffers: lost */
    unsigned long rx_no_room;   /* -VMM_EAGAIN returned: the backend kept the frame */
    unsigned long tx_gso;       /* of tx_frames, GSO frames (segmented by the host) */
    unsigned long rx_gso;       /* of rx_frames, GSO frames */
    unsigned long tx_kicks;     /* guest notifications of the transmit queue */
    unsigned long tx_passes;    /* runs over the transmit queue (kicks, resumes, re-checks) */
    unsigned long tx_burst_max; /* most chains sent in one pass */
    unsigned long rx_unused;    /* receive chains returned empty: cut below the header */
};

/* A receive chain taken from the ring but not yet returned: its writable
 * segments live in virtio_net.rx_seg[seg_first .. seg_first + nr_seg). */
struct virtio_net_rx_buf {
    uint16_t head;
    uint16_t seg_first, nr_seg;
    uint32_t len; /* bytes those segments hold */
};

struct virtio_net {
    struct virtio_mmio vdev;
    const struct vmm_net_backend *backend;
    uint8_t mac[6];
    uint16_t mtu;
    bool link_up;

    unsigned offloads; /* VMM_NET_OFFLOAD_* last given to backend->set_offloads */

    struct virtq_chain tx_chain;        /* the chain being sent, or kept */
    bool tx_held;                       /* tx_chain is a frame the backend refused with EAGAIN */
    bool tx_gso;                        /* tx_hdr asks for segmentation */
    uint8_t tx_hdr[VIRTIO_NET_HDR_LEN]; /* validated copy of the chain's header */
    struct vmm_iov tx_iov[VIRTQ_MAX_CHAIN + 1]; /* [tx_hdr,] the frame of tx_chain */
    unsigned tx_nr_iov;

    /* Receive chains popped ahead of a frame that did not fit yet. */
    struct virtq_chain rx_chain; /* scratch for popping */
    struct virtio_net_rx_buf rx_bufs[VIRTIO_NET_RX_MAX_CHAINS];
    unsigned rx_nr_bufs;
    struct vmm_iov rx_seg[VIRTQ_MAX_CHAIN];
    unsigned rx_nr_seg;
    bool rx_seg_full; /* rx_seg could not take a whole header of the last chain */
    bool rx_batch;    /* between vmm_virtio_net_rx_batch_begin() and _end() */
    bool rx_unsent;   /* used buffers pushed in the batch, not yet signalled */

    struct vmm_virtio_net_stats stats;
    struct vmm_ratelimit rl_tx_bad, rl_tx_err, rl_rx_drop, rl_offloads;
};

/* Set up @net as device @name at @base, line @irq, with address @mac and
 * @mtu (68..65535; 0 for 1500) over @backend (which must outlive it); then
 * add vmm_virtio_net_device(@net) to @vm. -VMM_EINVAL on bad arguments. */
int vmm_virtio_net_init(struct virtio_net *net, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const uint8_t mac[6], uint16_t mtu,
                        const struct vmm_net_backend *backend);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_net_device(struct virtio_net *net)
{
    return vmm_virtio_mmio_device(&net->vdev);
}

/* Deliver one Ethernet frame to the guest: 0 delivered, -VMM_EAGAIN no room
 * yet (keep it, retry after rx_ready; counted in rx_no_room), another
 * negative code: dropped and counted (too large, device not live). */
int vmm_virtio_net_rx(struct virtio_net *net, const void *frame, size_t len);

/* The same for a vnet_hdr backend: @buf holds the 12-byte virtio_net_hdr
 * then the frame, @len counts both. A header the negotiated features do not
 * allow (e.g. GSO without GUEST_TSO4) drops the frame, counted. */
int vmm_virtio_net_rx_vnet(struct virtio_net *net, const void *buf, size_t len);

/* Around several vmm_virtio_net_rx*() calls: interrupt the guest once, at _end(),
 * for all frames delivered in between (both under the device lock). */
void vmm_virtio_net_rx_batch_begin(struct virtio_net *net);
void vmm_virtio_net_rx_batch_end(struct virtio_net *net);

/* Send what the transmit queue holds, a kept chain first (under the device
 * lock): after -VMM_EAGAIN once the backend has room, or after tx_kick. */
void vmm_virtio_net_tx_resume(struct virtio_net *net);

/* The callbacks a backend delivers host frames through (vnet_hdr frames
 * if the backend has vnet_hdr), for its attach function. */
struct vmm_net_sink vmm_virtio_net_sink(struct virtio_net *net);

/* Report link up or down to the guest (configuration change interrupt). */
void vmm_virtio_net_set_link(struct virtio_net *net, bool up);

/* A copy of the counters. */
struct vmm_virtio_net_stats vmm_virtio_net_stats(const struct virtio_net *net);

#endif
