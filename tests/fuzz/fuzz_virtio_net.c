/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (src/devices/virtio_net.c): transmit chains of any shape and
 * frames from the host of any size into whatever receive buffers the guest
 * posted, with and without MRG_RXBUF, over a backend that takes, defers
 * (-VMM_EAGAIN) or drops frames as the input says.
 *
 * Input: byte 0 the MTU choice, then driver operations (fuzz_support.h) and
 * device operations: a frame from the host (up to 70000 bytes, the first ones
 * from the input), a transmit request (header + frame), tx_resume, link
 * up/down, a new backend mood. Checked: every frame given to the backend is
 * 14..65535 bytes of RAM, rx never reports success for a frame it could not
 * place, the counters add up; RAM bounds (ASan).
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_net.h"

#define MAX_HOST_FRAME 70000u

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_net net;
    struct vmm_net_backend be;
    uint8_t mood; /* 0 take, 1 EAGAIN, 2 error */
    unsigned long taken;
    uint8_t frame[MAX_HOST_FRAME];
};

static struct fx fx;

static int be_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct fx *f = ctx;
    size_t len = 0;

    for (unsigned i = 0; i < nr_iov; i++) {
        FZ_CHECK(fz_guest_owns(&f->g, iov[i].base, iov[i].len));
        len += iov[i].len;
    }
    FZ_CHECK(len >= VIRTIO_NET_ETH_HLEN && len <= VIRTIO_NET_MAX_FRAME);
    switch (f->mood % 3) {
    case 0:
        f->taken++;
        return 0;
    case 1:
        return -VMM_EAGAIN;
    default:
        return -VMM_EIO;
    }
}

static void host_frame(struct fx *f, struct fz_in *in)
{
    uint8_t c = fz_u8(in);
    const uint8_t *src;
    size_t len, n;
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
    n = fz_take(in, len < 64 ? len : 64, &src);
    memcpy(f->frame, src, n);
    memset(f->frame + n, 0x6b, len - n);
    ret = virtio_net_rx(&f->net, f->frame, len);
    FZ_CHECK(ret <= 0);
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
        fz_fill(in, hdr, sizeof(hdr));
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
    struct virtio_net_stats st;

    fz_guest_init(&f->g, 1);
    f->mood = cfg >> 2;
    f->taken = 0;
    f->be = (struct vmm_net_backend){.tx = be_tx, .ctx = f};
    FZ_CHECK(virtio_net_init(&f->net, &f->g.vm, "fuzz-net", FZ_DEV_BASE, FZ_DEV_IRQ, mac,
                             mtus[cfg & 3], &f->be) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, virtio_net_device(&f->net)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 2);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
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
            virtio_net_tx_resume(&f->net);
            break;
        case 5:
            virtio_net_set_link(&f->net, op & 0x80);
            break;
        default:
            f->mood = fz_u8(&in);
            break;
        }
    }
    st = virtio_net_stats(&f->net);
    FZ_CHECK(st.tx_frames == f->taken);
    fz_guest_free(&f->g);
    return 0;
}
