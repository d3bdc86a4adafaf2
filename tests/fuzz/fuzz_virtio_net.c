/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (src/devices/virtio_net*.c): transmit chains of any shape and
 * frames from the host of any size into whatever receive buffers the guest
 * posted, with and without MRG_RXBUF, over a backend that takes, defers
 * (-VMM_EAGAIN) or drops frames as the input says. The backend is either
 * plain (frames only) or a vnet_hdr backend (every frame both ways carries a
 * struct virtio_net_hdr; the device offers checksum and TSO offloads).
 *
 * Input: byte 0 the backend: bits 0-1 the MTU choice, bits 2-4 its first
 * mood, bit 5 set_offloads() refuses, bit 6 no set_offloads() callback,
 * bit 7 vnet_hdr. Then driver operations (fuzz_support.h) and device
 * operations: a frame from the host (up to 70000 bytes, the first ones from
 * the input; with vnet_hdr after a fuzzed header, or cut shorter than one),
 * a batch of 1-8 such frames between vmm_virtio_net_rx_batch_begin() and _end(),
 * a transmit request (header + frame), tx_resume, link up/down, a new
 * backend mood.
 *
 * Checked, both modes: every frame given to the backend is 14..65535 bytes
 * of RAM; rx never reports success for a frame it could not place; the
 * counters add up (tx, tx GSO, rx, rx GSO); no interrupt inside a batch
 * unless the device gave up on the queue; RAM bounds (ASan). Plain: no
 * offload feature is ever negotiated, set_offloads() is never called, a
 * delivered frame had no offload. vnet_hdr: tx() gets a 12-byte header
 * outside guest RAM first, in clean form (only NEEDS_CSUM, fields of unused
 * offloads zero, num_buffers 0) and allowed by the negotiated features and
 * the frame length; set_offloads() only names offloads the driver
 * negotiated (nothing after a reset), and the backend's offloads always fit
 * the current features; a frame delivered to the guest carried a header the
 * negotiated features allow.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_net.h"

#define MAX_HOST_FRAME 70000u

#define CFG_OFFLOADS_REFUSE 0x20u
#define CFG_NO_SET_OFFLOADS 0x40u
#define CFG_VNET 0x80u

/* struct virtio_net_hdr fields (virtio 1.2 section 5.1.6). */
#define H_FLAGS 0u
#define H_GSO_TYPE 1u
#define H_HDR_LEN 2u
#define H_GSO_SIZE 4u
#define H_CSUM_START 6u
#define H_CSUM_OFFSET 8u
#define H_NUM_BUFFERS 10u

/* Every offload feature a vnet_hdr device may offer. */
#define OFFLOAD_FEATURES                                                                           \
    (VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |                         \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                   \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO) |                     \
     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |                     \
     VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO))

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_net net;
    struct vmm_net_backend be;
    bool vnet;
    bool offloads_refuse;
    bool offloads_refused; /* the device was refused once: the backend may lag */
    unsigned offloads;     /* what the backend accepted last */
    uint16_t mtu;
    uint8_t mood; /* 0 take, 1 EAGAIN, 2 error */
    unsigned long taken, taken_gso, rx_ok, rx_ok_gso;
    uint8_t frame[VIRTIO_NET_HDR_LEN + MAX_HOST_FRAME];
};

static struct fx fx;

static bool has(const struct fx *f, unsigned bit)
{
    return vmm_virtio_mmio_has_feature(&f->net.vdev, bit);
}

/* Which features allow each offload, per direction (5.1.3.1). */
struct dir_bits {
    unsigned csum, tso4, tso6, ecn, ufo;
};

static const struct dir_bits tx_bits = {VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
                                        VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_ECN,
                                        VIRTIO_NET_F_HOST_UFO};
static const struct dir_bits rx_bits = {VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
                                        VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN,
                                        VIRTIO_NET_F_GUEST_UFO};

/* Header @h of a @frame_len-byte frame asks only for offloads the
 * negotiated features allow, and they fit the frame. */
static bool hdr_allowed(const struct fx *f, const uint8_t *h, size_t frame_len,
                        const struct dir_bits *b)
{
    uint8_t gso = h[H_GSO_TYPE], base = gso & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

    if (h[H_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if (!has(f, b->csum) ||
            (size_t)vmm_get_le16(h + H_CSUM_START) + vmm_get_le16(h + H_CSUM_OFFSET) + 2 >
                frame_len)
            return false;
    }
    if (gso == VIRTIO_NET_HDR_GSO_NONE)
        return true;
    if ((gso & VIRTIO_NET_HDR_GSO_ECN) && (base == VIRTIO_NET_HDR_GSO_NONE || !has(f, b->ecn)))
        return false;
    if (!((base == VIRTIO_NET_HDR_GSO_TCPV4 && has(f, b->tso4)) ||
          (base == VIRTIO_NET_HDR_GSO_TCPV6 && has(f, b->tso6)) ||
          (base == VIRTIO_NET_HDR_GSO_UDP && has(f, b->ufo))))
        return false;
    return vmm_get_le16(h + H_GSO_SIZE) != 0 && vmm_get_le16(h + H_HDR_LEN) <= frame_len;
}

/* The header a vnet_hdr backend gets: allowed, and nothing but what the
 * offloads it asks for use. */
static void check_tx_hdr(const struct fx *f, const uint8_t *h, size_t frame_len)
{
    FZ_CHECK(hdr_allowed(f, h, frame_len, &tx_bits));
    FZ_CHECK((h[H_FLAGS] & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) == 0);
    if (!(h[H_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        FZ_CHECK(vmm_get_le16(h + H_CSUM_START) == 0 && vmm_get_le16(h + H_CSUM_OFFSET) == 0);
    if (h[H_GSO_TYPE] == VIRTIO_NET_HDR_GSO_NONE)
        FZ_CHECK(vmm_get_le16(h + H_HDR_LEN) == 0 && vmm_get_le16(h + H_GSO_SIZE) == 0);
    FZ_CHECK(vmm_get_le16(h + H_NUM_BUFFERS) == 0);
}

static int be_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct fx *f = ctx;
    unsigned first = 0;
    size_t len = 0;

    if (f->vnet) {
        /* The device's own checked copy, which the guest cannot change. */
        FZ_CHECK(nr_iov >= 2 && iov[0].len == VIRTIO_NET_HDR_LEN);
        FZ_CHECK(!fz_guest_owns(&f->g, iov[0].base, 1) &&
                 !fz_guest_owns(&f->g, (uint8_t *)iov[0].base + VIRTIO_NET_HDR_LEN - 1, 1));
        first = 1;
    }
    for (unsigned i = first; i < nr_iov; i++) {
        FZ_CHECK(fz_guest_owns(&f->g, iov[i].base, iov[i].len));
        len += iov[i].len;
    }
    FZ_CHECK(len >= VIRTIO_NET_ETH_HLEN && len <= VIRTIO_NET_MAX_FRAME);
    if (f->vnet)
        check_tx_hdr(f, iov[0].base, len);
    switch (f->mood % 3) {
    case 0:
        f->taken++;
        f->taken_gso += f->vnet && ((const uint8_t *)iov[0].base)[H_GSO_TYPE] != 0;
        return 0;
    case 1:
        return -VMM_EAGAIN;
    default:
        return -VMM_EIO;
    }
}

/* The offloads a driver with the current features may be handed. */
static unsigned allowed_offloads(const struct fx *f)
{
    unsigned o = 0;

    if (!has(f, VIRTIO_NET_F_GUEST_CSUM))
        return 0;
    o = VMM_NET_OFFLOAD_CSUM;
    if (has(f, VIRTIO_NET_F_GUEST_TSO4))
        o |= VMM_NET_OFFLOAD_TSO4;
    if (has(f, VIRTIO_NET_F_GUEST_TSO6))
        o |= VMM_NET_OFFLOAD_TSO6;
    if (has(f, VIRTIO_NET_F_GUEST_ECN) && (o & (VMM_NET_OFFLOAD_TSO4 | VMM_NET_OFFLOAD_TSO6)))
        o |= VMM_NET_OFFLOAD_TSO_ECN;
    return o;
}

static int be_set_offloads(void *ctx, unsigned offloads)
{
    struct fx *f = ctx;

    FZ_CHECK(f->vnet);
    FZ_CHECK((offloads & ~allowed_offloads(f)) == 0);
    if (f->offloads_refuse && offloads != 0) {
        f->offloads_refused = true;
        return -VMM_EIO;
    }
    f->offloads = offloads;
    return 0;
}

/* After every operation: what was negotiated fits the backend. */
static void check_state(const struct fx *f)
{
    if (!f->vnet)
        FZ_CHECK((f->net.vdev.driver_features & OFFLOAD_FEATURES) == 0 ||
                 !(f->net.vdev.status & VIRTIO_STATUS_FEATURES_OK));
    else if (f->be.set_offloads != NULL && !f->offloads_refused)
        FZ_CHECK((f->offloads & ~allowed_offloads(f)) == 0);
}

/* A virtio_net_hdr: zero, raw bytes, or fields picked to be mostly plausible. */
static void gen_hdr(struct fz_in *in, uint8_t h[VIRTIO_NET_HDR_LEN])
{
    static const uint8_t gso_types[8] = {
        VIRTIO_NET_HDR_GSO_NONE,
        VIRTIO_NET_HDR_GSO_TCPV4,
        VIRTIO_NET_HDR_GSO_TCPV6,
        VIRTIO_NET_HDR_GSO_UDP,
        VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
        VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
        VIRTIO_NET_HDR_GSO_ECN,
        0, /* from the input */
    };
    uint8_t m = fz_u8(in);
    bool wide = m & 0x80;

    memset(h, 0, VIRTIO_NET_HDR_LEN);
    switch (m & 3) {
    case 0:
        return;
    case 1:
        fz_fill(in, h, VIRTIO_NET_HDR_LEN);
        return;
    default:
        break;
    }
    h[H_FLAGS] = (m >> 2) & 3; /* NEEDS_CSUM, DATA_VALID */
    h[H_GSO_TYPE] = ((m >> 4) & 7) == 7 ? fz_u8(in) : gso_types[(m >> 4) & 7];
    vmm_put_le16(h + H_HDR_LEN, wide ? fz_u16(in) : fz_u8(in));
    vmm_put_le16(h + H_GSO_SIZE, fz_u16(in));
    vmm_put_le16(h + H_CSUM_START, wide ? fz_u16(in) : fz_u8(in));
    vmm_put_le16(h + H_CSUM_OFFSET, wide ? fz_u16(in) : fz_u8(in) % 32);
}

/* A frame from the host; with vnet_hdr after a header from the input. */
static void host_frame(struct fx *f, struct fz_in *in)
{
    uint8_t c = fz_u8(in);
    const uint8_t *src;
    size_t len, n, off = f->vnet ? VIRTIO_NET_HDR_LEN : 0;
    struct vmm_virtio_net_stats before = vmm_virtio_net_stats(&f->net), after;
    int ret;

    switch (c & 3) {
    case 0:
        len = fz_u8(in);
        break;
    case 1:
        len = fz_u16(in) % 2048;
        break;
    default:
        len = fz_u32(in) % (MAX_HOST_FRAME + 1);
        break;
    }
    if (f->vnet)
        gen_hdr(in, f->frame);
    n = fz_take(in, len < 64 ? len : 64, &src);
    memcpy(f->frame + off, src, n);
    memset(f->frame + off + n, 0x6b, len - n);
    if (!f->vnet) {
        ret = vmm_virtio_net_rx(&f->net, f->frame, len);
    } else if (c & 4) { /* cut inside the header */
        ret = vmm_virtio_net_rx_vnet(&f->net, f->frame, len % VIRTIO_NET_HDR_LEN);
        FZ_CHECK(ret < 0);
    } else {
        ret = vmm_virtio_net_rx_vnet(&f->net, f->frame, off + len);
    }
    FZ_CHECK(ret <= 0);
    after = vmm_virtio_net_stats(&f->net);
    FZ_CHECK(after.rx_frames == before.rx_frames + (ret == 0));
    if (ret != 0)
        return;
    /* Delivered: the guest can take it. */
    FZ_CHECK(len >= VIRTIO_NET_ETH_HLEN);
    if (f->vnet) {
        bool gso = f->frame[H_GSO_TYPE] != VIRTIO_NET_HDR_GSO_NONE;

        FZ_CHECK(hdr_allowed(f, f->frame, len, &rx_bits));
        FZ_CHECK(after.rx_gso == before.rx_gso + gso);
        f->rx_ok_gso += gso;
        if (gso)
            FZ_CHECK(len <= VIRTIO_NET_MAX_GSO_FRAME);
    }
    if (!f->vnet || f->frame[H_GSO_TYPE] == VIRTIO_NET_HDR_GSO_NONE) {
        FZ_CHECK(len <= VIRTIO_NET_MAX_FRAME);
        if (has(f, VIRTIO_NET_F_MTU))
            FZ_CHECK(len <= (size_t)f->mtu + VIRTIO_NET_ETH_HLEN + 4u);
    }
    f->rx_ok++;
}

/* Frames pushed as one batch: one interrupt at the end, none before. */
static void host_batch(struct fx *f, struct fz_in *in)
{
    unsigned n = 1 + (fz_u8(in) & 7), irqs = f->g.irq_calls;

    vmm_virtio_net_rx_batch_begin(&f->net);
    for (unsigned i = 0; i < n; i++) {
        host_frame(f, in);
        FZ_CHECK(f->g.irq_calls == irqs || f->net.vdev.needs_reset);
    }
    vmm_virtio_net_rx_batch_end(&f->net);
}

/* A transmit request: virtio_net_hdr (mostly zero) then the frame. */
static void tx_request(struct fx *f, uint8_t op, struct fz_in *in)
{
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};
    uint8_t c = fz_u8(in);
    uint32_t lens[4],
        hdr_len = (c & 0x80) ? fz_u8(in) % (VIRTIO_NET_HDR_LEN + 1) : VIRTIO_NET_HDR_LEN;
    unsigned n = 1 + (c & 3);

    if (c & 0x40)
        gen_hdr(in, hdr);
    for (unsigned i = 0; i < n; i++)
        lens[i] = fz_u16(in) % 0x1001;
    (void)fz_driver_add_chain_hdr(&f->d, VIRTIO_NET_TXQ, hdr, hdr_len, lens, n,
                                  (c & 0x20) ? 1u << (n - 1) : 0, c & 0x10, in);
    if (!(op & 0x80))
        fz_driver_kick(&f->d, VIRTIO_NET_TXQ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static const uint16_t mtus[4] = {0, 68, 9000, 65535};
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t cfg = fz_u8(&in);
    unsigned ops = 0;
    struct vmm_virtio_net_stats st;

    fz_guest_init(&f->g, 1);
    f->vnet = cfg & CFG_VNET;
    f->offloads_refuse = cfg & CFG_OFFLOADS_REFUSE;
    f->offloads_refused = false;
    f->offloads = 0;
    f->mtu = mtus[cfg & 3] ? mtus[cfg & 3] : VIRTIO_NET_DEFAULT_MTU;
    f->mood = (cfg >> 2) & 7;
    f->taken = f->taken_gso = f->rx_ok = f->rx_ok_gso = 0;
    /* A plain backend has set_offloads too: the device must never call it. */
    f->be = (struct vmm_net_backend){
        .tx = be_tx,
        .ctx = f,
        .vnet_hdr = f->vnet,
        .set_offloads = (f->vnet && (cfg & CFG_NO_SET_OFFLOADS)) ? NULL : be_set_offloads,
    };
    FZ_CHECK(vmm_virtio_net_init(&f->net, &f->g.vm, "fuzz-net", FZ_DEV_BASE, FZ_DEV_IRQ, mac,
                                 mtus[cfg & 3], &f->be) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 2);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (!fz_driver_op(&f->d, op, &in)) {
            switch ((op >> 4) & 7) {
            case 0:
            case 1:
                host_frame(f, &in);
                break;
            case 2:
            case 3:
                tx_request(f, op, &in);
                break;
            case 4:
                vmm_virtio_net_tx_resume(&f->net);
                break;
            case 5:
                vmm_virtio_net_set_link(&f->net, op & 0x80);
                break;
            case 6:
                f->mood = fz_u8(&in);
                break;
            default:
                host_batch(f, &in);
                break;
            }
        }
        check_state(f);
    }
    st = vmm_virtio_net_stats(&f->net);
    FZ_CHECK(st.tx_frames == f->taken);
    FZ_CHECK(st.tx_gso == f->taken_gso);
    FZ_CHECK(st.rx_frames == f->rx_ok);
    FZ_CHECK(st.rx_gso == f->rx_ok_gso);
    fz_guest_free(&f->g);
    return 0;
}
