/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal polling virtio-mmio (version 2) driver for the attacking guest:
 * enough to set a device up, post one chain and wait for it (polling the
 * used index for up to 2 s of the virtual counter: disk requests complete
 * on the VMM's I/O thread, later than the kick).
 */
#include "guest.h"

#define F_INDIRECT_DESC (1u << 28) /* in word 0 */
#define F_BLK_SIZE (1u << 6)       /* virtio-blk, word 0 */
#define F_VERSION_1 (1u << 0)      /* bit 32: word 1 */

#define BLK_T_IN 0u
#define BLK_CFG_BLK_SIZE 20u
#define CONFIG 0x100u   /* device configuration space */
#define NET_HDR_LEN 12u /* virtio_net_hdr with VERSION_1 (5.1.6) */
#define NET_FRAME_LEN 60u

static const char *vdev_name(uint32_t id)
{
    switch (id) {
    case 1:
        return "virtio-net";
    case 2:
        return "virtio-blk";
    case 3:
        return "virtio-console";
    case 4:
        return "virtio-rng";
    case 19:
        return "virtio-vsock";
    default:
        return "virtio-other";
    }
}

unsigned vdev_probe(struct vdev *devs, unsigned max, uint8_t *areas)
{
    unsigned n = 0;

    for (unsigned i = 0; i < GUEST_VIRTIO_SLOTS && n < max; i++) {
        uint64_t base = GUEST_VIRTIO_BASE + i * GUEST_VIRTIO_STRIDE;
        struct vdev *d = &devs[n];

        if (rd32(base + R_MAGIC) != 0x74726976u || rd32(base + R_VERSION) != 2)
            continue;
        memset(d, 0, sizeof(*d));
        d->base = base;
        d->id = rd32(base + R_DEVICE_ID);
        if (d->id == 0)
            continue;
        d->name = vdev_name(d->id);
        /* Console and net: the transmitq, which the device reads on a
         * kick (a receiveq is read only when there is data to put in). */
        d->q = d->id == 3 || d->id == 1 ? 1u : 0u;
        d->area = areas + (size_t)n * VDEV_AREA;
        d->desc = (struct vdesc *)(void *)d->area;
        d->avail = (uint16_t *)(void *)(d->area + 0x400);
        d->used = d->area + 0x800;
        d->buf = d->area + 0x1000;
        n++;
    }
    return n;
}

uint32_t vdev_reg(const struct vdev *d, unsigned off)
{
    return rd32(d->base + off);
}

void vdev_set(const struct vdev *d, unsigned off, uint32_t v)
{
    wr32(d->base + off, v);
}

uint32_t vdev_status(const struct vdev *d)
{
    return vdev_reg(d, R_STATUS);
}

static void set_addr(const struct vdev *d, unsigned reg, uint64_t gpa)
{
    vdev_set(d, reg, (uint32_t)gpa);
    vdev_set(d, reg + 4, (uint32_t)(gpa >> 32));
}

bool vdev_init(struct vdev *d)
{
    return vdev_init_queue(d, VQ_SIZE, (uintptr_t)d->desc, (uintptr_t)d->avail, (uintptr_t)d->used);
}

/* Reset, clear the ring area, negotiate VERSION_1 + INDIRECT_DESC (+ blk's
 * BLK_SIZE); false if the device refuses. */
static bool negotiate(struct vdev *d)
{
    uint32_t feat0, feat1, bs;

    vdev_set(d, R_STATUS, 0);
    memset(d->area, 0, 0x1000);
    d->avail_idx = 0;
    d->used_seen = 0;
    vdev_set(d, R_STATUS, S_ACK);
    vdev_set(d, R_STATUS, S_ACK | S_DRIVER);
    vdev_set(d, R_DEV_FEATURES_SEL, 1);
    feat1 = vdev_reg(d, R_DEV_FEATURES);
    vdev_set(d, R_DEV_FEATURES_SEL, 0);
    if (!(feat1 & F_VERSION_1))
        return false;
    vdev_set(d, R_DRV_FEATURES_SEL, 0);
    feat0 = vdev_reg(d, R_DEV_FEATURES) & (F_INDIRECT_DESC | (d->id == 2 ? F_BLK_SIZE : 0));
    vdev_set(d, R_DRV_FEATURES, feat0);
    vdev_set(d, R_DRV_FEATURES_SEL, 1);
    vdev_set(d, R_DRV_FEATURES, F_VERSION_1);
    vdev_set(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(vdev_status(d) & S_FEATURES_OK))
        return false;
    /* blk: requests in the device's block size (5.2.5: QEMU, too, refuses
     * requests that are not whole logical blocks); 512 without one. */
    bs = feat0 & F_BLK_SIZE ? vdev_reg(d, CONFIG + BLK_CFG_BLK_SIZE) : 512u;
    d->blk_size = bs >= 512u && bs <= 8192u && (bs & (bs - 1)) == 0 ? bs : 512u;
    return true;
}

/* Queue d->q with @num entries at the given rings, enabled. */
static bool queue_setup(struct vdev *d, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    vdev_set(d, R_QUEUE_SEL, d->q);
    if (vdev_reg(d, R_QUEUE_NUM_MAX) < VQ_SIZE)
        return false;
    vdev_set(d, R_QUEUE_NUM, num);
    set_addr(d, R_QUEUE_DESC, desc);
    set_addr(d, R_QUEUE_DRIVER, avail);
    set_addr(d, R_QUEUE_DEVICE, used);
    barrier_full();
    vdev_set(d, R_QUEUE_READY, 1);
    return true;
}

static bool driver_ok(struct vdev *d)
{
    vdev_set(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return (vdev_status(d) & 0xffu) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static bool queue_ready(struct vdev *d)
{
    vdev_set(d, R_QUEUE_SEL, d->q);
    return vdev_reg(d, R_QUEUE_READY) == 1;
}

bool vdev_init_queue(struct vdev *d, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    return negotiate(d) && queue_setup(d, num, desc, avail, used) && driver_ok(d) && queue_ready(d);
}

bool vdev_init_pair(struct vdev *d, struct vdev *o)
{
    if (!negotiate(d))
        return false;
    memset(o->area, 0, 0x1000);
    o->avail_idx = 0;
    o->used_seen = 0;
    return queue_setup(d, VQ_SIZE, (uintptr_t)d->desc, (uintptr_t)d->avail, (uintptr_t)d->used) &&
           queue_setup(o, VQ_SIZE, (uintptr_t)o->desc, (uintptr_t)o->avail, (uintptr_t)o->used) &&
           driver_ok(d) && queue_ready(d) && queue_ready(o);
}

void vdev_submit(struct vdev *d, uint16_t head)
{
    volatile uint16_t *avail = d->avail;

    avail[2 + (d->avail_idx % VQ_SIZE)] = head;
    barrier_full();
    d->avail_idx++;
    avail[1] = d->avail_idx;
    barrier_full();
    vdev_set(d, R_QUEUE_NOTIFY, d->q);
}

uint64_t vdev_now(void)
{
    uint64_t v;

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
    return v;
}

uint64_t vdev_hz(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

bool vdev_wait_used(struct vdev *d, uint32_t *len)
{
    volatile uint16_t *used_idx = (volatile uint16_t *)(void *)(d->used + 2);
    uint64_t end = vdev_now() + 2 * vdev_hz();

    do {
        if (*used_idx != d->used_seen) {
            volatile uint32_t *elem =
                (volatile uint32_t *)(void *)(d->used + 4 + 8 * (d->used_seen % VQ_SIZE));
            barrier_full();
            *len = elem[1];
            d->used_seen++;
            return true;
        }
    } while (vdev_now() < end);
    return false;
}

bool vdev_request_ok(struct vdev *d, const char *text)
{
    uint8_t *b = d->buf;
    uint32_t len = 0;
    size_t n;

    memset(b, 0, 0x1000);
    switch (d->id) {
    case 4: /* rng: one writable buffer */
        d->desc[0] = (struct vdesc){(uintptr_t)b, 64, VRING_DESC_F_WRITE, 0};
        vdev_submit(d, 0);
        if (!vdev_wait_used(d, &len) || len == 0 || len > 64)
            return false;
        for (unsigned i = 0; i < len; i++)
            if (b[i] != 0)
                return true;
        return false; /* 64 zero bytes from a real entropy source: no */
    case 2:           /* blk: read sector 0 (one block); the disk starts with run.sh's marker */
        *(volatile uint32_t *)(void *)b = BLK_T_IN;
        *(volatile uint32_t *)(void *)(b + 4) = 0;
        *(volatile uint64_t *)(void *)(b + 8) = 0; /* sector */
        b[0x800] = 0xff;                           /* status, must become 0 */
        d->desc[0] = (struct vdesc){(uintptr_t)b, 16, VRING_DESC_F_NEXT, 1};
        d->desc[1] = (struct vdesc){(uintptr_t)(b + 0x1000), d->blk_size,
                                    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2};
        d->desc[2] = (struct vdesc){(uintptr_t)(b + 0x800), 1, VRING_DESC_F_WRITE, 0};
        vdev_submit(d, 0);
        return vdev_wait_used(d, &len) && b[0x800] == 0 &&
               memcmp(b + 0x1000, "STDVMM-ATTACK-DISK", 18) == 0;
    case 1: /* net: a broadcast frame of a local experimental type, sent */
        memset(b, 0xff, NET_HDR_LEN + 6);
        memset(b, 0, NET_HDR_LEN);
        for (unsigned i = 0; i < 6; i++)
            b[NET_HDR_LEN + 6 + i] = (uint8_t)mmio_read(d->base + CONFIG + i, 1);
        b[NET_HDR_LEN + 12] = 0x88;
        b[NET_HDR_LEN + 13] = 0xb5;
        memcpy(b + NET_HDR_LEN + 14, "ATTACK-NET", 10);
        d->desc[0] = (struct vdesc){(uintptr_t)b, NET_HDR_LEN + NET_FRAME_LEN, 0, 0};
        vdev_submit(d, 0);
        return vdev_wait_used(d, &len);
    case 3: /* console: transmit @text */
        n = strlen(text);
        memcpy(b, text, n);
        d->desc[0] = (struct vdesc){(uintptr_t)b, (uint32_t)n, 0, 0};
        vdev_submit(d, 0);
        return vdev_wait_used(d, &len);
    default:
        return true; /* vsock: reaching DRIVER_OK is all we check */
    }
}
