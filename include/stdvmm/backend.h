/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Backend interfaces: where a device model's I/O goes. A device model sees
 * only these structs; a backend (stdio, a file, a tap, an sDDF queue, a
 * queue to another VM) fills them in. Both sides are non-blocking. Input
 * goes the other way through callback tables the device fills in
 * (struct vmm_net_sink, struct vmm_vsock_host, req->complete): a backend
 * never includes a device header.
 */
#ifndef STDVMM_BACKEND_H
#define STDVMM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Byte stream (consoles, UARTs). Output: the device calls write() with
 * bytes the guest sent; the backend returns how many it took (>= 0) or a
 * negative VMM_E* code. Input: the backend pushes host bytes into the
 * device through the device's own rx function (e.g. vmm_pl011_rx()), which
 * returns how many the guest had room for; when the guest frees room the
 * device calls rx_ready() so the backend can offer the rest.
 */
struct vmm_stream_backend {
    long (*write)(void *ctx, const uint8_t *buf, size_t len);
    void (*rx_ready)(void *ctx); /* optional */
    void *ctx;
};

/* One contiguous piece of a guest buffer, already validated as guest RAM. */
struct vmm_iov {
    void *base;
    size_t len;
};

/* Most pieces one backend call gets: a virtqueue chain (256) and a header. */
#define VMM_IOV_MAX 257u

/*
 * Block device, addressed in 512-byte sectors. The device model fills a
 * request and calls submit(); the backend calls req->complete() exactly once,
 * either before submit() returns (synchronous backends) or later from its
 * own thread with the VM's device lock held (blk_file with its I/O worker,
 * queues to a driver or another VM). status is 0 or a negative VMM_E*.
 * Requests arrive already bounds-checked against nr_sectors; the request
 * and its buffers stay valid until complete(). A backend may complete
 * requests out of order, but a FLUSH only after every request submitted
 * before it, and it starts none submitted after it before the FLUSH is done.
 */
enum vmm_blk_op {
    VMM_BLK_READ,
    VMM_BLK_WRITE,
    VMM_BLK_FLUSH,        /* data written before it is durable when it completes */
    VMM_BLK_DISCARD,      /* sector, nr_sectors: contents may be dropped */
    VMM_BLK_WRITE_ZEROES, /* sector, nr_sectors: read back as zeroes afterwards */
};

struct vmm_blk_req {
    enum vmm_blk_op op;
    uint64_t sector;
    uint64_t nr_sectors;       /* DISCARD / WRITE_ZEROES */
    const struct vmm_iov *iov; /* READ / WRITE */
    unsigned nr_iov;
    bool unmap; /* WRITE_ZEROES: the range may also be deallocated */
    void (*complete)(struct vmm_blk_req *req, int status);
    void *cookie; /* the device model's */
};

struct vmm_blk_backend {
    uint64_t nr_sectors; /* capacity */
    bool read_only;
    bool can_discard; /* DISCARD and WRITE_ZEROES supported */
    /* Logical block size in bytes the guest is told to align requests to
     * (virtio-blk blk_size; a power of two >= 512); 0 means 512. Requests
     * still arrive in 512-byte sectors: a backend refuses what it cannot do. */
    uint32_t block_size;
    int (*submit)(void *ctx, struct vmm_blk_req *req); /* <0: refused, complete() not called */
    /* Optional, VM lock held: the device was reset. Complete every request
     * not yet started with -VMM_ECANCELED (inside cancel()), and see that
     * none already under way writes guest memory once the access that
     * reset the device is over (the caller's thread may wait for it after
     * the VM lock is dropped). NULL: requests run on and land. */
    void (*cancel)(void *ctx);
    void *ctx;
};

/*
 * Network: whole Ethernet frames. tx() sends one frame gathered from @nr_iov
 * (<= VMM_IOV_MAX) pieces; it returns 0, -VMM_EAGAIN when the backend is
 * full (the device retries later and counts nothing as lost), or another
 * negative code (the device counts the frame as dropped). Frames from the
 * host are pushed by the backend through the device's struct vmm_net_sink;
 * when the guest posts receive buffers again the device calls rx_ready().
 *
 * Without vnet_hdr frames carry no header, and the device offers the guest no
 * checksum or segmentation offloads. With vnet_hdr (a Linux tap with
 * IFF_VNET_HDR) every frame, both ways, starts with the 12-byte virtio 1.x
 * struct virtio_net_hdr (little-endian): tx() gets it, already validated, as
 * the first piece, and the backend pushes frames with theirs through the
 * sink's rx(). The device then offers checksum and TSO offloads and,
 * once the guest's features are known (and at every reset), calls
 * set_offloads() with the VMM_NET_OFFLOAD_* kinds the host may now hand it.
 */
#define VMM_NET_HDR_LEN 12u          /* struct virtio_net_hdr with num_buffers */
#define VMM_NET_OFFLOAD_CSUM 0x1u    /* partial checksums (NEEDS_CSUM) */
#define VMM_NET_OFFLOAD_TSO4 0x2u    /* TCP/IPv4 segmentation (GSO_TCPV4) */
#define VMM_NET_OFFLOAD_TSO6 0x4u    /* TCP/IPv6 segmentation (GSO_TCPV6) */
#define VMM_NET_OFFLOAD_TSO_ECN 0x8u /* TSO with the ECN (CWR) bit (GSO_ECN) */

struct vmm_net_backend {
    int (*tx)(void *ctx, const struct vmm_iov *iov, unsigned nr_iov);
    void (*rx_ready)(void *ctx); /* optional */
    void *ctx;
    bool vnet_hdr; /* frames both ways carry a virtio_net_hdr (see above) */
    /* Optional, with vnet_hdr: 0 or a negative code (logged, the device goes on). */
    int (*set_offloads)(void *ctx, unsigned offloads);
    /* Optional: the guest kicked the transmit queue (called under the
     * device lock, must not call back). The backend then calls the sink's
     * tx_resume() from its own thread, so the vCPU does not wait for tx();
     * without it the device sends during the kick. */
    void (*tx_kick)(void *ctx);
};

/*
 * The device side of a network backend, filled by the device (e.g.
 * vmm_virtio_net_sink()) and called by the backend with the VM's device lock
 * held. rx() delivers one host frame (with its 12-byte header when the
 * backend set vnet_hdr): 0 delivered, -VMM_EAGAIN no room (the backend
 * keeps the frame and offers it again after rx_ready()), another negative
 * code: dropped and counted by the device.
 */
struct vmm_net_sink {
    int (*rx)(void *dev, const void *frame, size_t len);
    /* Around several rx() calls: interrupt the guest once, at the end. */
    void (*rx_batch_begin)(void *dev);
    void (*rx_batch_end)(void *dev);
    /* Send what the transmit queue holds (after tx_kick, or once a full
     * backend has room again). */
    void (*tx_resume)(void *dev);
    void *dev;
};

/*
 * Socket streams (virtio-vsock). The device model owns the connections:
 * their state, the protocol and the credit accounting. The backend moves
 * bytes between a connection and a host endpoint. A connection is named by
 * a small id @conn (< VMM_VSOCK_MAX_CONNS) that stays valid until closed()
 * or until the backend resets it. These callbacks are called by the device
 * (under the VM's device lock) and must not call back into the device.
 */
#define VMM_VSOCK_MAX_CONNS 64
#define VMM_VSOCK_SHUTDOWN_RCV 1u  /* the guest will receive no more */
#define VMM_VSOCK_SHUTDOWN_SEND 2u /* the guest will send no more */

struct vmm_vsock_backend {
    /* Bytes of guest data the backend can hold per connection (the
     * buf_alloc advertised to the guest), >= 4096. */
    uint32_t buf_alloc;
    /* The guest opens @conn to host port @port: 0 accepted, negative refused. */
    int (*connect)(void *ctx, unsigned conn, uint32_t port);
    /* The guest accepted @conn, which the host opened with vmm_vsock_host.connect(). */
    void (*connected)(void *ctx, unsigned conn);
    /* Guest data for @conn in @nr_iov (<= VMM_IOV_MAX) pieces. The backend
     * takes all of it (the device never
     * passes more than buf_alloc unconsumed bytes) and returns how many
     * already left for the host (the rest it reports later as consumed), or
     * a negative code, which resets the connection. */
    long (*send)(void *ctx, unsigned conn, const struct vmm_iov *iov, unsigned nr_iov);
    /* The guest shut down one or both directions (VMM_VSOCK_SHUTDOWN_*). */
    void (*shutdown)(void *ctx, unsigned conn, unsigned flags);
    /* @conn is gone (guest reset or closed it, or the device was reset). */
    void (*closed)(void *ctx, unsigned conn);
    /* The device may take host data again (receive buffers or credit). Optional. */
    void (*rx_ready)(void *ctx);
    void *ctx;
};

/*
 * The device side of a vsock backend, filled by the device (e.g.
 * vmm_virtio_vsock_host()) and called by the backend with the VM's device lock
 * held; the functions never call the backend back.
 */
struct vmm_vsock_host {
    /* The host opens a connection to guest port @guest_port: its id (>= 0)
     * with the host port chosen in *@host_port, or a negative code. The
     * guest's answer arrives as connected() or closed(). */
    int (*connect)(void *dev, uint32_t guest_port, uint32_t *host_port);
    /* Host data for @conn: bytes taken (> 0), -VMM_EAGAIN when the guest
     * has no room or credit now (offer again after rx_ready()), or another
     * negative code when the connection cannot take data any more. */
    long (*send)(void *dev, unsigned conn, const void *buf, size_t len);
    /* @bytes more of @conn's guest data left for the host (credit back). */
    void (*consumed)(void *dev, unsigned conn, uint32_t bytes);
    /* The host will send / receive no more on @conn (VMM_VSOCK_SHUTDOWN_*). */
    void (*shutdown)(void *dev, unsigned conn, unsigned flags);
    /* Reset @conn: the guest gets an RST, the id is free (no closed()). */
    void (*reset)(void *dev, unsigned conn);
    void *dev;
};

/* Entropy: fill @len bytes; returns the count filled (> 0) or a negative code. */
struct vmm_entropy_backend {
    long (*fill)(void *ctx, void *buf, size_t len);
    void *ctx;
};

/*
 * A device whose queues are served outside the VMM (vhost-user on KVM, a
 * driver VM on seL4): the device model keeps the virtio-mmio registers and
 * hands the backend the negotiated features and the rings; the backend
 * reads and writes guest RAM itself and is kicked and interrupts through
 * notifications the host wired up (ioeventfd/irqfd). What the backend
 * offers (features, configuration space) is known when it is opened.
 */
struct vmm_vhost_ring {
    uint16_t num;                           /* queue size */
    uint64_t desc_gpa, avail_gpa, used_gpa; /* inside guest RAM (the transport checked) */
};

struct vmm_vhost_backend {
    uint64_t features;    /* virtio feature bits the backend offers */
    uint8_t config[256];  /* device configuration space, if the backend has one */
    uint32_t config_size; /* bytes of config read from the backend (0: none) */
    unsigned max_queues;  /* queues the backend serves */
    /* Start serving @nr rings (@ready[q]: the driver enabled ring q) with
     * the driver's @features. 0, or a negative code (the device then needs
     * reset). */
    int (*start)(void *ctx, uint64_t features, const struct vmm_vhost_ring *rings,
                 const bool *ready, unsigned nr);
    /* Stop every ring (device reset); never fails as seen by the device. */
    void (*stop)(void *ctx);
    /* The driver kicked ring @q through a trapped register write. */
    void (*kick)(void *ctx, unsigned q);
    void *ctx;
};

/* The backend reports to the device: it died or broke the protocol. */
struct vmm_vhost_sink {
    void (*failed)(void *dev, int err);
    void *dev;
};

#endif
