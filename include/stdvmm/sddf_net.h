/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A network backend over an sDDF net client (src/backends/sddf/net.c):
 * guest frames are copied into free tx buffers of the client's data region
 * and queued as active for the net switch; frames the copier queued as
 * active rx go to the device's sink and their buffers back to the free
 * queue. Nothing blocks: no free tx buffer makes tx() return -VMM_EAGAIN
 * (the device keeps the frame and sends it after tx_resume(), once buffers
 * come back); an rx frame the guest has no room for stays queued until the
 * device calls rx_ready(), and the copier drops (and counts) what does not
 * fit behind it. Every descriptor from the shared queues is checked before
 * it is used (src/backends/sddf/net_frame.c).
 *
 * This header and net_frame.c need no sDDF header (host unit tests, the
 * switch PD); net.c does (built only with SDDF=DIR, by examples/sel4).
 */
#ifndef STDVMM_SDDF_NET_H
#define STDVMM_SDDF_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"

/* sDDF's NET_BUFFER_SIZE: every buffer of a data region is this big. */
#define VMM_SDDF_NET_BUF 2048u
/* Shortest frame accepted: an Ethernet header. */
#define VMM_SDDF_NET_MIN_FRAME 14u
/* Longest frame without a VLAN tag at the standard MTU (1500 + 14). */
#define VMM_SDDF_NET_MAX_FRAME 1514u
/* vmm_sddf_net_route() results besides a client index. */
#define VMM_SDDF_NET_ROUTE_UPLINK (-1)    /* to the driver (a MAC outside) */
#define VMM_SDDF_NET_ROUTE_BROADCAST (-2) /* to every other client and the driver */
#define VMM_SDDF_NET_ROUTE_DROP (-3)      /* malformed, or addressed to the sender */

/* One direction of a client connection as mapped here: net_queue_t free
 * and active, @capacity buffers (a power of two, <= 32768), and the data
 * region of @data_size >= capacity * VMM_SDDF_NET_BUF bytes. */
struct vmm_sddf_net_queue {
    void *free, *active;
    uint32_t capacity;
    uint8_t *data;
    size_t data_size;
};

struct vmm_sddf_net_stats {
    unsigned long tx_frames, tx_full;    /* sent; refused for lack of buffers (retried) */
    unsigned long tx_bad_desc;           /* free descriptors from the switch not used */
    unsigned long rx_frames, rx_dropped; /* to the guest; dropped (bad, own, device) */
    unsigned long rx_bad_desc;           /* active descriptors from the copier not used */
};

/* Which queue the port should notify (vmm_sddf_net_init's @notify). */
enum vmm_sddf_net_peer {
    VMM_SDDF_NET_PEER_RX, /* the copier: rx buffers are free again */
    VMM_SDDF_NET_PEER_TX, /* the switch: tx frames are queued */
};

struct vmm_sddf_net {
    struct vmm_net_backend backend; /* give this to the virtio-net device */
    struct vmm_net_sink sink;
    struct vmm_sddf_net_queue rx, tx;
    uint8_t mac[6];
    void (*notify)(void *ctx, enum vmm_sddf_net_peer peer);
    void *notify_ctx;
    bool notify_rx, notify_tx; /* to notify at the next flush */
    bool tx_waiting;           /* tx() said -VMM_EAGAIN: resume the device later */
    bool rx_waiting;           /* the device had no room: retry at rx_ready() */
    struct vmm_sddf_net_stats stats;
};

/* ------------------------------------------------- net_frame.c (no sDDF) */
/* 0 when a descriptor (@offset into the data region, @len bytes) names one
 * whole buffer of a region of @capacity buffers and @len fits it (with
 * @need_frame, also at least an Ethernet header); else -VMM_EINVAL. */
int vmm_sddf_net_desc_check(uint64_t offset, uint32_t len, uint32_t capacity, bool need_frame);

/* True if @capacity and @data_size describe a usable queue (see above). */
bool vmm_sddf_net_queue_ok(const struct vmm_sddf_net_queue *q);

/* Copy the @nr_iov pieces into @dst (@dst_size bytes): the frame length, or
 * -VMM_EINVAL if it is shorter than an Ethernet header or does not fit. */
long vmm_sddf_net_gather(void *dst, size_t dst_size, const struct vmm_iov *iov, unsigned nr_iov);

/* True if the frame's source address is @mac (a frame this client sent,
 * reflected back by a broadcast). */
bool vmm_sddf_net_from(const uint8_t *frame, size_t len, const uint8_t mac[6]);

/* The length of the frame in a received buffer said to hold @len bytes:
 * sDDF's virtio-net driver at 5febd61c reports every rx buffer as full
 * (2048 bytes, the descriptor's length, not the device's used length), so
 * an IPv4, IPv6 or ARP frame is cut to what its header says; another kind
 * to VMM_SDDF_NET_MAX_FRAME. Never more than @len. */
uint32_t vmm_sddf_net_frame_len(const uint8_t *frame, uint32_t len);

/* Where a frame from client @from goes among @nr clients with addresses
 * @macs: a client index, or VMM_SDDF_NET_ROUTE_*. Multicast other than
 * broadcast goes to the uplink only. */
int vmm_sddf_net_route(const uint8_t *frame, size_t len, const uint8_t (*macs)[6], unsigned nr,
                       unsigned from);

/* ------------------------------------------------------- net.c (sDDF) */
/* Set up @n on the client queues @rx and @tx with address @mac, put every
 * tx buffer on the tx free queue; -VMM_EINVAL on a bad queue. */
int vmm_sddf_net_init(struct vmm_sddf_net *n, const struct vmm_sddf_net_queue *rx,
                      const struct vmm_sddf_net_queue *tx, const uint8_t mac[6],
                      void (*notify)(void *ctx, enum vmm_sddf_net_peer peer), void *notify_ctx);

/* Where received frames go (the device's sink). */
void vmm_sddf_net_attach(struct vmm_sddf_net *n, const struct vmm_net_sink *sink);

/* The copier queued frames: hand them to the device (at most one queue's
 * worth per call); returns the frames taken off the queue. */
unsigned vmm_sddf_net_rx(struct vmm_sddf_net *n);

/* The switch returned tx buffers: let a waiting device send again. */
void vmm_sddf_net_tx_done(struct vmm_sddf_net *n);

/* Notify the peers once for everything queued since the last call. */
void vmm_sddf_net_flush(struct vmm_sddf_net *n);

#endif
