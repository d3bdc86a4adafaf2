/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock (virtio 1.2 section 5.10), device ID 19: stream sockets
 * between the guest (its CID in the configuration) and the host (CID 2).
 * Queues: rx 0 (device to guest), tx 1 (guest to device), event 2 (never
 * used: stdvmm sends no transport events).
 *
 * The device keeps a bounded table of connections (VMM_VSOCK_MAX_CONNS) with
 * their state and credit (5.10.6.3): it never sends the guest more than
 * peer buf_alloc - (tx_cnt - peer fwd_cnt), asks for credit when stalled,
 * advertises the backend's buf_alloc and its fwd_cnt on every packet, and
 * sends CREDIT_UPDATE when asked or when half of buf_alloc was consumed
 * since the last advertisement. Every guest header is checked: src_cid must
 * be the guest's CID (else dropped), dst_cid must be 2, type STREAM, op
 * known, len equal to the payload the chain carries and at most
 * VIRTIO_VSOCK_MAX_PAYLOAD; a bad packet, or one for no connection, is
 * answered with RST (never an RST to an RST). A guest that sends beyond its
 * credit has the connection reset. Control packets wait in per-connection
 * flags until the guest posts receive buffers, so none is lost; only RSTs
 * for packets that match no connection use a small queue whose overflow is
 * counted.
 *
 * Host side, through struct vmm_vsock_backend (backend.h): guest data goes
 * to backend->send(); host data comes in with vmm_virtio_vsock_host_send(),
 * which takes what credit and receive buffers allow, else -VMM_EAGAIN until
 * backend->rx_ready(). One call uses at most a queue's worth of receive
 * chains, however fast the guest refills the ring: a buffer with room for
 * the header only carries a CREDIT_UPDATE and counts like any other.
 */
#ifndef STDVMM_VIRTIO_VSOCK_H
#define STDVMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_VSOCK 19
#define VIRTIO_VSOCK_RXQ 0
#define VIRTIO_VSOCK_TXQ 1
#define VIRTIO_VSOCK_EVENTQ 2
#define VIRTIO_VSOCK_QUEUE_SIZE 128

#define VIRTIO_VSOCK_HOST_CID 2u
/* struct virtio_vsock_hdr (5.10.6), little-endian, packed: src_cid (le64),
 * dst_cid (le64), src_port, dst_port, len (le32), type, op (le16), flags,
 * buf_alloc, fwd_cnt (le32). */
#define VIRTIO_VSOCK_HDR_LEN 44u
#define VIRTIO_VSOCK_TYPE_STREAM 1u
#define VIRTIO_VSOCK_MAX_PAYLOAD (64u * 1024u)

/* Operations (5.10.6). */
enum virtio_vsock_op {
    VIRTIO_VSOCK_OP_INVALID = 0,
    VIRTIO_VSOCK_OP_REQUEST = 1,
    VIRTIO_VSOCK_OP_RESPONSE = 2,
    VIRTIO_VSOCK_OP_RST = 3,
    VIRTIO_VSOCK_OP_SHUTDOWN = 4,
    VIRTIO_VSOCK_OP_RW = 5,
    VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6,
    VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7,
};

/* A decoded header. */
struct virtio_vsock_hdr {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port;
    uint32_t len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

enum virtio_vsock_state {
    VIRTIO_VSOCK_FREE = 0,
    VIRTIO_VSOCK_CONNECTING,  /* host opened it, REQUEST sent or pending */
    VIRTIO_VSOCK_ESTABLISHED, /* data flows */
    VIRTIO_VSOCK_RST_PENDING, /* gone; an RST still waits for a receive buffer */
};

/* Control packets a connection still owes the guest. */
#define VIRTIO_VSOCK_PEND_REQUEST 0x01u
#define VIRTIO_VSOCK_PEND_RESPONSE 0x02u
#define VIRTIO_VSOCK_PEND_CREDIT_UPDATE 0x04u
#define VIRTIO_VSOCK_PEND_CREDIT_REQUEST 0x08u
#define VIRTIO_VSOCK_PEND_SHUTDOWN 0x10u
#define VIRTIO_VSOCK_PEND_RST 0x20u

struct vmm_virtio_vsock_conn {
    uint8_t state;    /* enum virtio_vsock_state */
    uint8_t pending;  /* VIRTIO_VSOCK_PEND_* */
    uint8_t shutdown; /* flags to send with PEND_SHUTDOWN, and already sent */
    uint8_t peer_shutdown;
    bool credit_asked; /* CREDIT_REQUEST sent since the window closed */
    uint32_t host_port, guest_port;
    uint32_t peer_buf_alloc, peer_fwd_cnt; /* from the guest's last header */
    uint32_t tx_cnt;                       /* payload bytes sent to the guest */
    uint32_t rx_cnt;                       /* payload bytes received from the guest */
    uint32_t fwd_cnt;                      /* of those, consumed by the backend */
    uint32_t fwd_cnt_sent;                 /* fwd_cnt last advertised */
};

/* An RST owed for a packet that matched no connection. */
struct virtio_vsock_orphan_rst {
    uint64_t src_cid; /* the CID the guest addressed */
    uint32_t src_port, dst_port;
};
#define VIRTIO_VSOCK_ORPHAN_RSTS 16

struct vmm_virtio_vsock_stats {
    unsigned long rx_pkts, tx_pkts;   /* packets to / from the guest */
    unsigned long rx_bytes, tx_bytes; /* payload bytes to / from the guest */
    unsigned long bad_pkts;           /* malformed or misaddressed guest packets */
    unsigned long rst_sent;
    unsigned long rst_lost;   /* RSTs for unknown connections not sent: queue full */
    unsigned long table_full; /* guest REQUESTs refused: no free connection */
    unsigned long credit_violations;
};

struct virtio_vsock {
    struct virtio_mmio vdev;
    const struct vmm_vsock_backend *backend;
    uint64_t guest_cid;
    uint32_t next_host_port; /* for host-initiated connections */
    struct vmm_virtio_vsock_conn conns[VMM_VSOCK_MAX_CONNS];
    struct virtio_vsock_orphan_rst orphans[VIRTIO_VSOCK_ORPHAN_RSTS];
    unsigned nr_orphans;
    bool want_rx_ready; /* host data was refused: tell the backend when room returns */

    struct virtq_chain tx_chain, rx_chain; /* scratch */
    struct vmm_iov payload[VIRTQ_MAX_CHAIN];
    struct vmm_virtio_vsock_stats stats;
    struct vmm_ratelimit rl_bad, rl_credit;
};

/* Set up @vs as device @name at @base, line @irq, for guest CID @guest_cid
 * (3..0xfffffffe) over @backend (which must outlive it); then add
 * vmm_virtio_vsock_device(@vs) to @vm. -VMM_EINVAL on bad arguments. */
int vmm_virtio_vsock_init(struct virtio_vsock *vs, struct vmm_vm *vm, const char *name,
                          uint64_t base, unsigned irq, uint64_t guest_cid,
                          const struct vmm_vsock_backend *backend);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_vsock_device(struct virtio_vsock *vs)
{
    return vmm_virtio_mmio_device(&vs->vdev);
}

/* Open a connection from the host to guest port @guest_port: returns its id
 * and sets *@host_port to the host's port, or -VMM_ENOSPC (table full),
 * -VMM_EIO (device not live). backend->connected() or closed() follows. */
int vmm_virtio_vsock_host_connect(struct virtio_vsock *vs, uint32_t guest_port,
                                  uint32_t *host_port);

/* Send host data on @conn: returns the bytes taken (> 0), -VMM_EAGAIN when
 * credit or receive buffers are short (retry after rx_ready), or -VMM_EIO
 * when the connection cannot carry data (not established, guest stopped
 * receiving). */
long vmm_virtio_vsock_host_send(struct virtio_vsock *vs, unsigned conn, const void *buf,
                                size_t len);

/* The backend passed @bytes more of @conn's guest data on to the host. */
void vmm_virtio_vsock_host_consumed(struct virtio_vsock *vs, unsigned conn, uint32_t bytes);

/* The host will send (VMM_VSOCK_SHUTDOWN_SEND) / receive (RCV) no more on @conn. */
void vmm_virtio_vsock_host_shutdown(struct virtio_vsock *vs, unsigned conn, unsigned flags);

/* Reset @conn: RST to the guest, the id is free (no closed() callback). */
void vmm_virtio_vsock_host_reset(struct virtio_vsock *vs, unsigned conn);

/* The same five functions as the callbacks a backend calls, for its attach function. */
struct vmm_vsock_host vmm_virtio_vsock_host(struct virtio_vsock *vs);

/* Counters and the state of connection @conn (NULL if out of range). */
struct vmm_virtio_vsock_stats vmm_virtio_vsock_stats(const struct virtio_vsock *vs);
const struct vmm_virtio_vsock_conn *vmm_virtio_vsock_conn(const struct virtio_vsock *vs,
                                                          unsigned conn);

/* Header codec, exposed for tests and fuzzing. */
void vmm_virtio_vsock_hdr_decode(const uint8_t raw[VIRTIO_VSOCK_HDR_LEN],
                                 struct virtio_vsock_hdr *h);
void vmm_virtio_vsock_hdr_encode(const struct virtio_vsock_hdr *h,
                                 uint8_t raw[VIRTIO_VSOCK_HDR_LEN]);

#endif
