/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (src/devices/virtio_net*.c) over the sDDF net backend
 * (src/backends/sddf/net.c, built into this target as is, against the
 * mirror of sDDF's queue layout in tests/unit/sddf), between a hostile
 * guest driver and hostile sDDF peers: the copier, which fills the rx
 * active queue (frames in its own buffers, or descriptors with any offset
 * and length) and takes rx buffers back from the free queue, and the net
 * switch, which takes tx frames from the active queue and gives buffers
 * back on the free queue (or any descriptor); both also lie about indices.
 *
 * Input: byte 0 the queue capacity (1..8 entries, a power of two, each data
 * region exactly that many 2 KiB buffers so ASan sees any overrun), then
 * driver operations (fuzz_support.h) and peer operations. Checked: every tx
 * descriptor the backend queues is a whole buffer of the region with a
 * frame length the switch can send, every rx buffer it gives back is one of
 * the region's; RAM, queue and data region bounds (ASan), pointer
 * arithmetic (UBSan's pointer-overflow), at most FZ_LOG_LINES_MAX log lines
 * per input.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_net.h"
#include "../../src/backends/sddf/net.c"

#define BUF VMM_SDDF_NET_BUF
#define MAX_CAP 8u

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_net net;
    struct vmm_sddf_net n;
    net_queue_t *q[4]; /* rx free, rx active, tx free, tx active */
    uint8_t *rx_data, *tx_data;
    uint32_t cap;
    net_queue_handle_t rx, tx;
    uint64_t copier_own[MAX_CAP]; /* rx buffers the copier holds */
    unsigned nr_copier_own;
    bool lied[4]; /* a peer moved this queue's indices: its entries may be stale */
};

static struct fx fx;
static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x0a};

static void notify(void *ctx, enum vmm_sddf_net_peer peer)
{
    (void)ctx;
    (void)peer;
}

static bool whole_buffer(const struct fx *f, uint64_t off)
{
    return off % BUF == 0 && off / BUF < f->cap;
}

/* The copier takes back the rx buffers the backend freed: each must be one
 * of the region's. */
static void copier_reclaim(struct fx *f)
{
    net_buff_desc_t d;

    while (f->nr_copier_own < MAX_CAP && net_dequeue_free(&f->rx, &d) == 0) {
        FZ_CHECK(f->lied[0] || whole_buffer(f, d.io_or_offset));
        if (whole_buffer(f, d.io_or_offset))
            f->copier_own[f->nr_copier_own++] = d.io_or_offset;
    }
}

/* A frame from the input in one of the copier's buffers, to the backend. */
static void copier_frame(struct fx *f, struct fz_in *in)
{
    uint16_t len = fz_u16(in);
    uint64_t off;

    copier_reclaim(f);
    if (f->nr_copier_own == 0)
        return;
    off = f->copier_own[--f->nr_copier_own];
    len = len & 0x8000 ? len : (uint16_t)(14u + len % (BUF - 13u));
    fz_fill(in, f->rx_data + off, 64); /* the headers; the rest as it was */
    if (fz_u8(in) & 1)                 /* addressed to us, or broadcast */
        memcpy(f->rx_data + off, mac, sizeof(mac));
    if (net_enqueue_active(&f->rx, (net_buff_desc_t){off, len}) != 0)
        f->copier_own[f->nr_copier_own++] = off;
}

/* The switch sends what the backend queued and gives the buffers back. */
static void switch_take(struct fx *f, unsigned max)
{
    net_buff_desc_t d;
    volatile uint8_t last;

    for (unsigned i = 0; i < max && net_dequeue_active(&f->tx, &d) == 0; i++) {
        if (f->lied[3] && (!whole_buffer(f, d.io_or_offset) || d.len == 0 || d.len > BUF))
            continue; /* a stale entry the switch's own lie brought back */
        FZ_CHECK(whole_buffer(f, d.io_or_offset));
        FZ_CHECK(d.len >= VMM_SDDF_NET_MIN_FRAME && d.len <= BUF);
        /* The switch reads the frame (ASan: inside the region). */
        last = f->tx_data[d.io_or_offset + d.len - 1u];
        (void)last;
        (void)net_enqueue_free(&f->tx, (net_buff_desc_t){d.io_or_offset, 0});
    }
    vmm_sddf_net_tx_done(&f->n);
}

/* The peers' operations (op bits 4..6). */
VMM_WRAPS static void peer_op(struct fx *f, uint8_t op, struct fz_in *in)
{
    switch ((op >> 4) & 7) {
    case 0:
        copier_frame(f, in);
        vmm_sddf_net_rx(&f->n);
        break;
    case 1: { /* an rx descriptor with any offset and length */
        uint64_t off = fz_u8(in) & 1 ? fz_u64(in) : (uint64_t)fz_u8(in) * (BUF / 2u);
        uint16_t len = fz_u16(in);

        (void)net_enqueue_active(&f->rx, (net_buff_desc_t){off, len});
        vmm_sddf_net_rx(&f->n);
        break;
    }
    case 2:
        switch_take(f, 1u + fz_u8(in) % MAX_CAP);
        break;
    case 3: { /* a tx free descriptor with any offset */
        uint64_t off = fz_u8(in) & 1 ? fz_u64(in) : (uint64_t)fz_u8(in) * (BUF / 2u);

        (void)net_enqueue_free(&f->tx, (net_buff_desc_t){off, fz_u16(in)});
        vmm_sddf_net_tx_done(&f->n);
        break;
    }
    case 4: { /* lies about an index */
        unsigned which = fz_u8(in) & 3u;
        net_queue_t *q = f->q[which];
        uint16_t v = fz_u16(in);

        f->lied[which] = true;
        if (op & 0x80)
            q->tail = v;
        else
            q->head = v;
        vmm_sddf_net_rx(&f->n);
        vmm_sddf_net_tx_done(&f->n);
        break;
    }
    case 5: /* signalling flags */
        f->q[fz_u8(in) & 3]->consumer_signalled = fz_u32(in);
        break;
    case 6:
        copier_reclaim(f);
        break;
    default:
        vmm_sddf_net_rx(&f->n);
        vmm_sddf_net_tx_done(&f->n);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t setup = fz_u8(&in);
    struct vmm_sddf_net_queue rxq, txq;
    struct vmm_net_sink sink;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->cap = 1u << (setup & 3u);
    for (unsigned i = 0; i < 4; i++) {
        f->q[i] = calloc(1, sizeof(net_queue_t) + f->cap * sizeof(net_buff_desc_t));
        FZ_CHECK(f->q[i] != NULL);
    }
    f->rx_data = malloc((size_t)f->cap * BUF);
    f->tx_data = malloc((size_t)f->cap * BUF);
    FZ_CHECK(f->rx_data != NULL && f->tx_data != NULL);
    memset(f->rx_data, 0, (size_t)f->cap * BUF);
    memset(f->tx_data, 0, (size_t)f->cap * BUF);
    net_queue_init(&f->rx, f->q[0], f->q[1], f->cap);
    net_queue_init(&f->tx, f->q[2], f->q[3], f->cap);
    f->nr_copier_own = f->cap;
    memset(f->lied, 0, sizeof(f->lied));
    for (unsigned i = 0; i < f->cap; i++)
        f->copier_own[i] = (uint64_t)i * BUF;
    rxq = (struct vmm_sddf_net_queue){f->q[0], f->q[1], f->cap, f->rx_data, (size_t)f->cap * BUF};
    txq = (struct vmm_sddf_net_queue){f->q[2], f->q[3], f->cap, f->tx_data, (size_t)f->cap * BUF};
    FZ_CHECK(vmm_sddf_net_init(&f->n, &rxq, &txq, mac, notify, f) == 0);
    FZ_CHECK(vmm_virtio_net_init(&f->net, &f->g.vm, "fuzz-sddf-net", FZ_DEV_BASE, FZ_DEV_IRQ, mac,
                                 0, &f->n.backend) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)) == 0);
    sink = vmm_virtio_net_sink(&f->net);
    vmm_sddf_net_attach(&f->n, &sink);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 2);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (!fz_driver_op(&f->d, op, &in))
            peer_op(f, op, &in);
        vmm_sddf_net_flush(&f->n); /* the port: after every exit or notification */
    }
    fz_guest_free(&f->g);
    for (unsigned i = 0; i < 4; i++)
        free(f->q[i]);
    free(f->rx_data);
    free(f->tx_data);
    return 0;
}
