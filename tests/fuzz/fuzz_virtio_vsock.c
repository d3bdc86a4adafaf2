/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock (src/devices/virtio_vsock*.c): guest packets of every op with
 * fuzzed ports, lengths, credit fields and CIDs, receive buffers, and the
 * host side (connect, send, consumed, shutdown, reset) driven by the input,
 * over an in-memory backend that checks the contract of backend.h.
 *
 * Input: byte 0 the backend (accepts or refuses, how much of each send it
 * consumes at once), then driver operations (fuzz_support.h) and device
 * operations. Checked: callbacks name only live connections below
 * VMM_VSOCK_MAX_CONNS, guest data lies in RAM and never exceeds buf_alloc
 * unconsumed bytes per connection, the header codec round-trips, connection
 * state stays in range; RAM bounds (ASan).
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_vsock.h"

#define GUEST_CID 3u
#define BUF_ALLOC 4096u

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_vsock vs;
    struct vmm_vsock_backend be;
    uint8_t mood;
    bool open[VMM_VSOCK_MAX_CONNS];
    uint32_t unconsumed[VMM_VSOCK_MAX_CONNS];
    uint8_t buf[4096];
};

static struct fx fx;

static int be_connect(void *ctx, unsigned conn, uint32_t port)
{
    struct fx *f = ctx;

    FZ_CHECK(conn < VMM_VSOCK_MAX_CONNS && !f->open[conn]);
    if ((f->mood & 1) && (port & 1)) /* refuse odd ports */
        return -VMM_EIO;
    f->open[conn] = true;
    f->unconsumed[conn] = 0;
    return 0;
}

static void be_connected(void *ctx, unsigned conn)
{
    struct fx *f = ctx;

    FZ_CHECK(conn < VMM_VSOCK_MAX_CONNS && f->open[conn]);
}

static long be_send(void *ctx, unsigned conn, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct fx *f = ctx;
    uint64_t len = 0;

    FZ_CHECK(conn < VMM_VSOCK_MAX_CONNS && f->open[conn]);
    for (unsigned i = 0; i < nr_iov; i++) {
        FZ_CHECK(fz_guest_owns(&f->g, iov[i].base, iov[i].len));
        len += iov[i].len;
    }
    FZ_CHECK(f->unconsumed[conn] + len <= BUF_ALLOC);
    switch ((f->mood >> 1) & 3) {
    case 0:
        return (long)len;
    case 1:
        f->unconsumed[conn] += (uint32_t)len;
        return 0;
    case 2:
        f->unconsumed[conn] += (uint32_t)(len - len / 2);
        return (long)(len / 2);
    default:
        return -VMM_EIO; /* the device resets the connection */
    }
}

static void be_shutdown(void *ctx, unsigned conn, unsigned flags)
{
    struct fx *f = ctx;

    FZ_CHECK(conn < VMM_VSOCK_MAX_CONNS && f->open[conn]);
    FZ_CHECK(flags != 0 && (flags & ~3u) == 0);
}

static void be_closed(void *ctx, unsigned conn)
{
    struct fx *f = ctx;

    FZ_CHECK(conn < VMM_VSOCK_MAX_CONNS && f->open[conn]);
    f->open[conn] = false;
    f->unconsumed[conn] = 0;
}

/* A guest packet on the transmit queue: a mostly well-addressed header. */
static void guest_packet(struct fx *f, uint8_t op, struct fz_in *in)
{
    struct virtio_vsock_hdr h = {0}, back;
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN], c = fz_u8(in), d;
    uint32_t lens[2];
    unsigned n = (c >> 6) & 1 ? 2 : 1;
    uint16_t plen = fz_u16(in) % 3000;

    h.src_cid = (c & 1) ? fz_u64(in) : GUEST_CID;
    h.dst_cid = (c & 2) ? fz_u64(in) : VIRTIO_VSOCK_HOST_CID;
    h.src_port = 1000u + fz_u8(in) % 8;
    d = (c & 4) ? 0 : fz_u8(in);
    /* A listening host port, or one the device assigned to a host connection. */
    h.dst_port = (c & 4) ? fz_u32(in) : (d & 0x80) ? (1u << 30) + (d & 15) : 2000u + d % 8;
    h.type = (c & 8) ? fz_u16(in) : VIRTIO_VSOCK_TYPE_STREAM;
    h.op = fz_u8(in) % 9;
    h.flags = fz_u8(in) & 7;
    h.buf_alloc = (c & 0x10) ? fz_u32(in) : 65536;
    h.fwd_cnt = fz_u32(in);
    h.len = (c & 0x20) ? fz_u32(in) : plen;
    vmm_virtio_vsock_hdr_encode(&h, raw);
    vmm_virtio_vsock_hdr_decode(raw, &back);
    FZ_CHECK(back.src_cid == h.src_cid && back.dst_cid == h.dst_cid &&
             back.src_port == h.src_port && back.dst_port == h.dst_port && back.len == h.len &&
             back.type == h.type && back.op == h.op && back.flags == h.flags &&
             back.buf_alloc == h.buf_alloc && back.fwd_cnt == h.fwd_cnt);
    lens[0] = plen / n;
    lens[1] = plen - lens[0];
    (void)fz_driver_add_chain_hdr(&f->d, VIRTIO_VSOCK_TXQ, raw, sizeof(raw), lens, plen ? n : 0, 0,
                                  c & 0x80, in);
    if (!(op & 0x80))
        fz_driver_kick(&f->d, VIRTIO_VSOCK_TXQ);
}

/* Post receive buffers and kick the receive queue. */
static void post_rx(struct fx *f, struct fz_in *in)
{
    uint8_t c = fz_u8(in);

    for (unsigned i = 0; i < 1u + (c & 7); i++) {
        uint32_t len = (c & 0x80) ? fz_u16(in) % 0x1001 : VIRTIO_VSOCK_HDR_LEN + 256;

        (void)fz_driver_add_chain(&f->d, VIRTIO_VSOCK_RXQ, &len, 1, 1, false, in);
    }
    fz_driver_kick(&f->d, VIRTIO_VSOCK_RXQ);
}

static void host_op(struct fx *f, uint8_t op, struct fz_in *in)
{
    unsigned conn = fz_u8(in) % (VMM_VSOCK_MAX_CONNS + 2);
    bool live = conn < VMM_VSOCK_MAX_CONNS && f->open[conn];

    switch (op >> 5) {
    case 0: {
        uint32_t host_port;
        int id = vmm_virtio_vsock_host_connect(&f->vs, 1000u + fz_u8(in) % 8, &host_port);

        if (id >= 0) {
            FZ_CHECK(id < (int)VMM_VSOCK_MAX_CONNS && !f->open[id]);
            f->open[id] = true;
            f->unconsumed[id] = 0;
        }
        break;
    }
    case 1:
    case 2: {
        size_t len = fz_u16(in) % (sizeof(f->buf) + 1);
        long ret;

        memset(f->buf, 0x77, len);
        ret = vmm_virtio_vsock_host_send(&f->vs, conn, f->buf, len);
        FZ_CHECK(ret <= (long)len);
        break;
    }
    case 3:
        if (live && f->unconsumed[conn] > 0) {
            uint32_t n = 1 + fz_u16(in) % f->unconsumed[conn];

            f->unconsumed[conn] -= n;
            vmm_virtio_vsock_host_consumed(&f->vs, conn, n);
        }
        break;
    case 4:
        if (live)
            vmm_virtio_vsock_host_shutdown(&f->vs, conn, 1 + fz_u8(in) % 3);
        break;
    case 5:
        if (live) {
            vmm_virtio_vsock_host_reset(&f->vs, conn);
            f->open[conn] = false;
            f->unconsumed[conn] = 0;
        }
        break;
    default:
        f->mood = fz_u8(in);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->mood = fz_u8(&in);
    memset(f->open, 0, sizeof(f->open));
    memset(f->unconsumed, 0, sizeof(f->unconsumed));
    f->be = (struct vmm_vsock_backend){
        .buf_alloc = BUF_ALLOC,
        .connect = be_connect,
        .connected = be_connected,
        .send = be_send,
        .shutdown = be_shutdown,
        .closed = be_closed,
        .ctx = f,
    };
    FZ_CHECK(vmm_virtio_vsock_init(&f->vs, &f->g.vm, "fuzz-vsock", FZ_DEV_BASE, FZ_DEV_IRQ,
                                   GUEST_CID, &f->be) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_vsock_device(&f->vs)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 3);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        switch ((op & 15) - FZ_OP_DEVICE) {
        case 0:
        case 1:
            guest_packet(f, op, &in);
            break;
        case 2:
            post_rx(f, &in);
            break;
        default:
            host_op(f, op, &in);
            break;
        }
        for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
            FZ_CHECK(f->vs.conns[i].state <= VIRTIO_VSOCK_RST_PENDING);
    }
    fz_guest_free(&f->g);
    return 0;
}
