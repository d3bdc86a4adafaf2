/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted (Linux) network and vsock backends.
 *
 * Tap (`--net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]`): vmm_tap_open() opens
 * /dev/net/tun with TUNSETIFF IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, which creates
 * the interface if needed (as QEMU and kvmtool do; the host then configures
 * it with `ip`). With IFF_VNET_HDR (TUNSETVNETHDRSZ 12, the virtio 1.x
 * header) frames carry their virtio_net_hdr both ways and the device offers
 * checksum and TSO offloads; the tap's offloads (TUNSETOFFLOAD) start off
 * and follow what the guest negotiated (backend set_offloads), so the host
 * hands the guest 64 KiB TCP frames instead of MTU-sized ones. A kernel
 * without IFF_VNET_HDR gets plain frames and no offloads.
 * The backend runs as a source of the posix event loop (posix/loop.h,
 * vmm_tap_start): a transmit-queue kick only wakes it (backend tx_kick);
 * on the loop thread it copies the frames into a ring under the device
 * lock, which completes them for the guest at once, and writes them out
 * without the lock, so the vCPU goes on while the host takes them. Without
 * the loop they are written during the kick, on the vCPU thread. A full
 * ring or tap makes the device keep the frame until there is room. Host
 * frames are read by vmm_tap_poll_in() (at most 64 per call) and pushed
 * into the device through its struct vmm_net_sink under the VM's device
 * lock; a frame the guest has no room for is held (the fd is not read
 * meanwhile) and offered again after rx_ready (or 100 ms at the latest).
 *
 * Vsock over UNIX sockets (`--vsock cid=N,uds=PATH`, the Firecracker
 * convention): see the second half of this file.
 */
#ifndef STDVMM_POSIX_NET_H
#define STDVMM_POSIX_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/syscalls.h"

#define VMM_TAP_IFNAMSIZ 16 /* IFNAMSIZ, with the NUL */
/* Largest host frame read: a 64 KiB GSO frame with Ethernet and VLAN
 * headers (VIRTIO_NET_MAX_GSO_FRAME), rounded up; a longer read is a
 * truncated frame and dropped. */
#define VMM_TAP_FRAME_MAX (65536 + 64)
/* Guest frames copied out and not yet written (own thread): a few 64 KiB
 * GSO frames, many small ones. */
#define VMM_TAP_TX_RING (256 * 1024)

struct vmm_tap_opts {
    char ifname[VMM_TAP_IFNAMSIZ];
    uint8_t mac[6];
    bool mac_given; /* else vmm_tap_default_mac(ifname) */
};

struct vmm_tap {
    struct vmm_net_backend backend; /* give &tap->backend to vmm_virtio_net_init() */
    int fd;
    char ifname[VMM_TAP_IFNAMSIZ];
    uint8_t mac[6]; /* the guest's address */

    struct vmm_net_sink sink; /* the device; sink.dev NULL until attached */
    pthread_mutex_t *lock;    /* the VM's device lock, or NULL */
    struct vmm_loop_source src;
    bool running;           /* a loop source (vmm_tap_start) */
    bool failed;            /* the tap fd failed: no more reading */
    atomic_bool tx_blocked; /* a write hit EAGAIN: wait for POLLOUT */
    atomic_bool tx_pending; /* the guest kicked the transmit queue: send (own thread) */

    bool vnet_hdr;     /* frames carry a 12-byte virtio_net_hdr both ways */
    unsigned offloads; /* VMM_NET_OFFLOAD_* in effect */
    /* TUNSETOFFLOAD with TUN_F_* @flags on @fd: 0 or -errno. Tests replace it. */
    int (*set_tun_offload)(int fd, unsigned flags);

    /* A host frame (with its header if vnet_hdr) the guest had no room for yet. */
    uint8_t frame[VMM_NET_HDR_LEN + VMM_TAP_FRAME_MAX];
    size_t frame_len;
    bool held;
    unsigned long rx_frames, tx_errors, read_errors, rx_truncated;
    /* Transmit timing: frames written, time inside writev (ns), the longest. */
    unsigned long tx_writes;
    uint64_t tx_write_ns, tx_write_max_ns;

    /* While the loop runs the tap, the device copies guest frames here
     * (lock held) and the loop writes them out without the lock (tap_tx.c). */
    bool tx_ring_on;
    bool tx_refused;         /* a frame found no room: resume the device after writing */
    size_t tx_head, tx_tail; /* free-running byte offsets, changed under the lock */
    unsigned long tx_queued; /* frames copied into the ring */
    uint8_t tx_ring[VMM_TAP_TX_RING];
};

/* Parse the value of --net ("tap=NAME[,mac=XX:..:XX]") into @o: 0, or
 * -VMM_EINVAL with a one-line reason in @err. */
int vmm_tap_parse(const char *arg, struct vmm_tap_opts *o, char *err, size_t errlen);

/* A locally administered unicast MAC derived from @ifname (02:53:xx:xx:xx:xx). */
void vmm_tap_default_mac(const char *ifname, uint8_t mac[6]);

/* Open (and create if needed) tap @o->ifname, non-blocking; the MAC comes
 * from @o or the default. 0, or -errno with "--net tap=NAME: what: why" in @err. */
int vmm_tap_open(struct vmm_tap *t, const struct vmm_tap_opts *o, char *err, size_t errlen);

/* Use an already open frame fd (a tap, or a SOCK_SEQPACKET socket in tests). */
int vmm_tap_init_fd(struct vmm_tap *t, int fd, const uint8_t mac[6]);

/* The fd of @t passes 12-byte virtio_net_hdr both ways (a tap with
 * IFF_VNET_HDR and TUNSETVNETHDRSZ 12): hand headers through and let the
 * device offer offloads. Call before vmm_virtio_net_init(). */
void vmm_tap_use_vnet_hdr(struct vmm_tap *t);

/* Deliver host frames to the device behind @sink (e.g. vmm_virtio_net_sink()),
 * calling it under @lock (may be NULL). */
void vmm_tap_attach(struct vmm_tap *t, const struct vmm_net_sink *sink, pthread_mutex_t *lock);

/* The fd to poll and the events to poll it for now. */
int vmm_tap_fd(const struct vmm_tap *t);
short vmm_tap_poll_events(const struct vmm_tap *t);

/* Whether the backend asked its loop for a turn (rx_ready, tx_kick, a
 * blocked write) since the last call; clears the request. For tests. */
bool vmm_tap_take_wake(struct vmm_tap *t);

/* Read frames and push them to the device (a held one first), at most 64
 * per call; returns frames handed over, or -errno on a read error. Takes
 * the lock itself: call it without holding the lock. */
int vmm_tap_poll_in(struct vmm_tap *t);

/* The fd became writable: let the device resend a kept frame (takes the lock). */
void vmm_tap_poll_out(struct vmm_tap *t);

/* Send what the guest queued since its last transmit kick (takes the lock).
 * The loop calls it; only for a loop that sets backend.tx_kick itself. */
void vmm_tap_poll_tx(struct vmm_tap *t);

/* Serve the tap from @loop (its thread, or vmm_loop_run_once()); from now
 * on guest frames are sent from the loop (backend.tx_kick is set under the
 * lock). 0 or a negative VMM_E* code. Not with the device lock held. */
int vmm_tap_start(struct vmm_tap *t, struct vmm_loop *loop);

/* Leave the loop, write out what the ring holds and send from the vCPU
 * again (idempotent). Not with the device lock held. */
void vmm_tap_stop(struct vmm_tap *t);

/* Stop and close the fd. */
void vmm_tap_close(struct vmm_tap *t);

/*
 * Vsock over UNIX sockets, the Firecracker convention. The backend listens
 * on PATH. A guest connection to host port P connects to the UNIX socket
 * "PATH_P"; refused if that fails. A host program connects to PATH and
 * writes "CONNECT <guest port>\n"; once the guest accepts, stdvmm answers
 * "OK <host port>\n" and the stream is raw; if the guest refuses, the
 * socket is closed. Each connection buffers at most VMM_VSOCK_UDS_BUF bytes
 * of guest data (the guest's credit) and VMM_VSOCK_UDS_IN bytes of host
 * data (not read further until the guest takes them), allocated while the
 * connection lives; no data is dropped while both sockets stay open.
 */
#define VMM_VSOCK_UDS_BUF (64 * 1024) /* buf_alloc: guest data held per connection */
#define VMM_VSOCK_UDS_IN (16 * 1024)
#define VMM_VSOCK_UDS_OUT (VMM_VSOCK_UDS_BUF + VMM_VSOCK_UDS_LINE)
#define VMM_VSOCK_UDS_SLOTS (VMM_VSOCK_MAX_CONNS + 16) /* + host sockets before CONNECT */
#define VMM_VSOCK_UDS_LINE 32

struct vmm_vsock_uds_opts {
    uint64_t cid;
    char path[108]; /* sun_path */
};

enum vmm_vsock_uds_state {
    VMM_VSOCK_UDS_FREE = 0,
    VMM_VSOCK_UDS_CMD,      /* host socket: reading "CONNECT <port>\n" */
    VMM_VSOCK_UDS_WAIT,     /* host socket: waiting for the guest's answer */
    VMM_VSOCK_UDS_OPEN,     /* connected: bytes flow */
    VMM_VSOCK_UDS_DRAINING, /* the guest side is gone: flushing guest data, then close */
};

struct vmm_vsock_uds_slot {
    int fd;
    uint32_t gen; /* which use of the slot this is (0: free) */
    uint8_t state;
    int conn;             /* device connection id, or -1 */
    bool host_eof;        /* the host peer will send no more */
    bool shut_sent;       /* told the device */
    bool guest_shut_send; /* the guest will send no more: SHUT_WR once out is empty */
    bool guest_shut_rcv;  /* the guest will receive no more: stop reading */
    uint32_t host_port;   /* for "OK <port>" */
    char line[VMM_VSOCK_UDS_LINE];
    size_t line_len;
    uint8_t *in; /* host -> guest, read but not yet taken (VMM_VSOCK_UDS_IN bytes) */
    size_t in_off, in_len;
    uint8_t *out; /* guest -> host ring (VMM_VSOCK_UDS_OUT bytes) */
    size_t out_head, out_len;
    size_t out_uncounted; /* leading bytes of out that are ours ("OK ..."), not guest data */
};

struct vmm_vsock_uds {
    struct vmm_vsock_backend backend; /* give &uds->backend to vmm_virtio_vsock_init() */
    char path[108];
    int listen_fd;
    struct vmm_vsock_host host; /* the device; host.dev NULL until attached */
    pthread_mutex_t *lock;
    struct vmm_loop_source src;
    bool running;                           /* a loop source (vmm_vsock_uds_start) */
    int poll_slot[VMM_VSOCK_UDS_SLOTS];     /* this round's pollfd 1 + i -> slot */
    uint32_t poll_gen[VMM_VSOCK_UDS_SLOTS]; /* ... and that slot's use when polled */
    uint32_t next_gen;                      /* the last slot use handed out */
    unsigned nr_poll;
    int conn_slot[VMM_VSOCK_MAX_CONNS]; /* device connection id -> slot, or -1 */
    struct vmm_vsock_uds_slot slots[VMM_VSOCK_UDS_SLOTS];
    unsigned long lost_bytes; /* guest data not delivered because a host socket failed */
};

/* Parse the value of --vsock ("cid=N,uds=PATH"): 0, or -VMM_EINVAL with a
 * reason in @err. */
int vmm_vsock_uds_parse(const char *arg, struct vmm_vsock_uds_opts *o, char *err, size_t errlen);

/* Listen on @o->path (a stale socket there is replaced): 0, or -errno with
 * "--vsock uds=PATH: what: why" in @err. */
int vmm_vsock_uds_open(struct vmm_vsock_uds *u, const struct vmm_vsock_uds_opts *o, char *err,
                       size_t errlen);

/* Serve the device behind @host (e.g. vmm_virtio_vsock_host()), calling it
 * under @lock (may be NULL). */
void vmm_vsock_uds_attach(struct vmm_vsock_uds *u, const struct vmm_vsock_host *host,
                          pthread_mutex_t *lock);

/* Serve the sockets from @loop (its thread, or vmm_loop_run_once()); each
 * dispatch takes the lock once and gives every socket a bounded turn (one
 * read of at most VMM_VSOCK_UDS_IN bytes, writes until the socket is full).
 * 0 or a negative VMM_E* code. Not with the device lock held. */
int vmm_vsock_uds_start(struct vmm_vsock_uds *u, struct vmm_loop *loop);

/* Leave the loop (idempotent). Not with the device lock held. */
void vmm_vsock_uds_stop(struct vmm_vsock_uds *u);

/* Stop, close every socket and remove the listening socket file. */
void vmm_vsock_uds_close(struct vmm_vsock_uds *u);

/* The system calls the tap and the vsock socket backends make after
 * set-up (seccomp). */
extern const struct vmm_posix_syscalls vmm_tap_syscalls;
extern const struct vmm_posix_syscalls vmm_vsock_uds_syscalls;

#endif
