/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attacks on one virtio device at a time. Each breaks one rule of the
 * transport or the virtqueue (virtio 1.2 sections 2.7 and 4.2) and says
 * what a correct VMM must do about it: put that device (and only that one)
 * in DEVICE_NEEDS_RESET, or ignore the access and keep the device working.
 */
#include "guest.h"

#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_S_IOERR 1u
#define BLK_S_UNSUPP 2u

static void desc(struct vdev *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    d->desc[i] = (struct vdesc){addr, len, flags, next};
}

static uint64_t buf(struct vdev *d, unsigned off)
{
    return (uintptr_t)(d->buf + off);
}

/* ---- chains the walker must refuse (device needs reset) */

/* Two descriptors pointing at each other, both empty: only the walker's
 * bound on the number of descriptors per chain stops this one. */
static bool cycle_zero_len(struct vdev *d)
{
    desc(d, 0, buf(d, 0), 0, VRING_DESC_F_NEXT, 1);
    desc(d, 1, buf(d, 0), 0, VRING_DESC_F_NEXT, 0);
    vdev_submit(d, 0);
    return true;
}

/* Every descriptor of the table in one ring: a chain longer than the queue. */
static bool chain_longer_than_queue(struct vdev *d)
{
    for (unsigned i = 0; i < VQ_SIZE; i++)
        desc(d, i, buf(d, 16 * i), 16, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % VQ_SIZE));
    vdev_submit(d, 3);
    return true;
}

static bool indirect_loop(struct vdev *d)
{
    struct vdesc *t = (struct vdesc *)(void *)(d->buf + 0x800);

    for (unsigned i = 0; i < 4; i++)
        t[i] = (struct vdesc){buf(d, 16 * i), 16, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % 4)};
    desc(d, 0, (uintptr_t)t, 4 * 16, VRING_DESC_F_INDIRECT, 0);
    vdev_submit(d, 0);
    return true;
}

static bool indirect_too_long(struct vdev *d)
{
    struct vdesc *t = (struct vdesc *)(void *)d->buf;

    for (unsigned i = 0; i < 300; i++)
        t[i] = (struct vdesc){buf(d, 0), 1, VRING_DESC_F_NEXT, (uint16_t)(i + 1)};
    desc(d, 0, (uintptr_t)t, 300 * 16, VRING_DESC_F_INDIRECT, 0);
    vdev_submit(d, 0);
    return true;
}

static bool indirect_nested(struct vdev *d)
{
    struct vdesc *t = (struct vdesc *)(void *)(d->buf + 0x800);

    t[0] = (struct vdesc){(uintptr_t)(t + 4), 16, VRING_DESC_F_INDIRECT, 0};
    t[4] = (struct vdesc){buf(d, 0), 16, 0, 0};
    desc(d, 0, (uintptr_t)t, 16, VRING_DESC_F_INDIRECT, 0);
    vdev_submit(d, 0);
    return true;
}

static bool indirect_with_next(struct vdev *d)
{
    struct vdesc *t = (struct vdesc *)(void *)(d->buf + 0x800);

    t[0] = (struct vdesc){buf(d, 0), 16, 0, 0};
    desc(d, 0, (uintptr_t)t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    desc(d, 1, buf(d, 16), 16, 0, 0);
    vdev_submit(d, 0);
    return true;
}

static bool indirect_bad_length(struct vdev *d)
{
    desc(d, 0, buf(d, 0x800), 20, VRING_DESC_F_INDIRECT, 0);
    vdev_submit(d, 0);
    return true;
}

static bool head_out_of_range(struct vdev *d)
{
    vdev_submit(d, 0x7fff);
    return true;
}

static bool next_out_of_range(struct vdev *d)
{
    desc(d, 0, buf(d, 0), 16, VRING_DESC_F_NEXT, 200);
    vdev_submit(d, 0);
    return true;
}

/* The avail index runs 100 entries ahead of an 8-entry ring. */
static bool avail_index_jump(struct vdev *d)
{
    desc(d, 0, buf(d, 0), 16, VRING_DESC_F_WRITE, 0);
    d->avail[1] = (uint16_t)(d->avail_idx + 100);
    barrier_full();
    vdev_set(d, R_QUEUE_NOTIFY, d->q);
    return true;
}

static bool one_buffer(struct vdev *d, uint64_t addr, uint32_t len, uint16_t flags)
{
    desc(d, 0, addr, len, flags, 0);
    vdev_submit(d, 0);
    return true;
}

static bool buffer_outside_ram(struct vdev *d)
{
    return one_buffer(d, 0x20000000u, 64, VRING_DESC_F_WRITE);
}

/* A writable buffer over the device's own registers. */
static bool buffer_at_own_mmio(struct vdev *d)
{
    return one_buffer(d, d->base, 0x200, VRING_DESC_F_WRITE);
}

static bool buffer_at_uart(struct vdev *d)
{
    return one_buffer(d, GUEST_UART, 0x1000, 0);
}

static bool buffer_straddles_ram_end(struct vdev *d)
{
    return one_buffer(d, guest_ram_end - 16, 64, VRING_DESC_F_WRITE);
}

static bool buffer_address_wraps(struct vdev *d)
{
    return one_buffer(d, 0xfffffffffffffff0ull, 0x100, VRING_DESC_F_WRITE);
}

static bool readable_after_writable(struct vdev *d)
{
    desc(d, 0, buf(d, 0), 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    desc(d, 1, buf(d, 16), 16, 0, 0);
    vdev_submit(d, 0);
    return true;
}

/* blk: a request with no writable byte has nowhere to put its status. */
static bool blk_no_status_byte(struct vdev *d)
{
    *(volatile uint32_t *)(void *)d->buf = BLK_T_IN;
    return one_buffer(d, buf(d, 0), 16, 0);
}

/* ---- queues set up against the rules (refused at QueueReady) */
static bool ring_outside_ram(struct vdev *d)
{
    vdev_init_queue(d, VQ_SIZE, 0x20000000u, (uintptr_t)d->avail, (uintptr_t)d->used);
    return true;
}

static bool ring_at_mmio(struct vdev *d)
{
    vdev_init_queue(d, VQ_SIZE, GUEST_UART, (uintptr_t)d->avail, (uintptr_t)d->used);
    return true;
}

static bool used_ring_past_ram_end(struct vdev *d)
{
    vdev_init_queue(d, VQ_SIZE, (uintptr_t)d->desc, (uintptr_t)d->avail, guest_ram_end - 8);
    return true;
}

static bool ring_misaligned(struct vdev *d)
{
    vdev_init_queue(d, VQ_SIZE, (uintptr_t)d->desc + 8, (uintptr_t)d->avail, (uintptr_t)d->used);
    return true;
}

static bool queue_size_not_power_of_two(struct vdev *d)
{
    vdev_init_queue(d, 3, (uintptr_t)d->desc, (uintptr_t)d->avail, (uintptr_t)d->used);
    return true;
}

static bool queue_size_over_max(struct vdev *d)
{
    vdev_init_queue(d, 1024, (uintptr_t)d->desc, (uintptr_t)d->avail, (uintptr_t)d->used);
    return true;
}

/* ---- abuse that must be ignored (the device keeps working) */

static bool read_only_register_writes(struct vdev *d)
{
    static const unsigned ro[] = {0x000, 0x004, 0x008, 0x00c, 0x010, 0x034,
                                  0x060, 0x0b0, 0x0b4, 0x0b8, 0x0bc, 0x0fc};
    uint32_t id = vdev_reg(d, R_DEVICE_ID);

    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
        vdev_set(d, ro[i], 0xffffffffu);
        vdev_set(d, ro[i], 0);
    }
    return vdev_reg(d, R_MAGIC) == 0x74726976u && vdev_reg(d, R_VERSION) == 2 &&
           vdev_reg(d, R_DEVICE_ID) == id;
}

/* Every register offset with every width: reads everywhere, writes of the
 * wrong width (0, which as a 4-byte Status write would reset the device)
 * below the configuration space; unaligned ones through the normal-memory
 * alias; load pairs and loads with writeback, which the hypervisor cannot
 * decode (on KVM: an abort injected into the guest, logged once). */
static bool every_size_and_alignment(struct vdev *d)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    uint64_t alias = GUEST_NC_ALIAS + d->base;

    for (unsigned off = 0; off < 0x200; off++) {
        for (unsigned s = 0; s < 4; s++) {
            unsigned size = sizes[s];
            bool aligned = off % size == 0;

            if (off + size > 0x200)
                continue;
            (void)mmio_read((aligned ? d->base : alias) + off, size);
            if (off + size <= 0xf8 && (size != 4 || !aligned))
                mmio_write((aligned ? d->base : alias) + off, size, 0);
        }
    }
    for (unsigned i = 0; i < 200; i++) {
        mmio_load_pair(d->base + R_STATUS);
        mmio_load_writeback(d->base + R_STATUS);
    }
    return true;
}

static bool queue_reconfigured_while_live(struct vdev *d)
{
    vdev_set(d, R_QUEUE_NUM, 2);
    for (unsigned r = R_QUEUE_DESC; r <= R_QUEUE_DEVICE + 4; r += 4)
        vdev_set(d, r, 0x20000000u);
    return vdev_reg(d, R_QUEUE_READY) == 1;
}

static bool notification_flood(struct vdev *d)
{
    for (unsigned i = 0; i < 10000; i++)
        vdev_set(d, R_QUEUE_NOTIFY, d->q);
    for (unsigned i = 0; i < 1000; i++) {
        vdev_set(d, R_QUEUE_NOTIFY, 0xffffffffu - i);
        vdev_set(d, R_QUEUE_NOTIFY, d->q + 1 + i % 8);
    }
    return true;
}

static bool status_and_selector_games(struct vdev *d)
{
    vdev_set(d, R_STATUS, S_ACK);                  /* clears bits without a reset */
    vdev_set(d, R_STATUS, 0xffu & ~S_NEEDS_RESET); /* FAILED and friends at once */
    vdev_set(d, R_DRV_FEATURES_SEL, 0);
    vdev_set(d, R_DRV_FEATURES, 0xffffffffu); /* after FEATURES_OK */
    vdev_set(d, R_DRV_FEATURES_SEL, 7);
    vdev_set(d, R_DEV_FEATURES_SEL, 0xffffffffu);
    (void)vdev_reg(d, R_DEV_FEATURES);
    vdev_set(d, R_QUEUE_SEL, 99);
    vdev_set(d, R_QUEUE_READY, 1);
    (void)vdev_reg(d, R_QUEUE_NUM_MAX);
    vdev_set(d, R_QUEUE_SEL, d->q);
    vdev_set(d, R_INTERRUPT_ACK, 0xffffffffu);
    return true;
}

/* FAILED was set by the games above: a fresh init is the driver's way out. */
static bool status_games_then_reinit(struct vdev *d)
{
    status_and_selector_games(d);
    return vdev_init(d);
}

/* blk: requests outside the disk or of unknown type get an error status.
 * One block of the device's size at a sector aligned to it, so that only
 * the range (or the type) is wrong. */
static bool blk_request(struct vdev *d, uint32_t type, uint64_t sector, uint8_t want)
{
    uint8_t *b = d->buf;
    uint32_t len = 0;

    *(volatile uint32_t *)(void *)b = type;
    *(volatile uint32_t *)(void *)(b + 4) = 0;
    *(volatile uint64_t *)(void *)(b + 8) = sector & ~(uint64_t)(d->blk_size / 512u - 1u);
    b[0x800] = 0xff;
    desc(d, 0, buf(d, 0), 16, VRING_DESC_F_NEXT, 1);
    desc(d, 1, buf(d, 0x1000), d->blk_size,
         (type == BLK_T_IN ? VRING_DESC_F_WRITE : 0) | VRING_DESC_F_NEXT, 2);
    desc(d, 2, buf(d, 0x800), 1, VRING_DESC_F_WRITE, 0);
    vdev_submit(d, 0);
    return vdev_wait_used(d, &len) && b[0x800] == want;
}

static bool blk_outside_the_disk(struct vdev *d)
{
    return blk_request(d, BLK_T_IN, 0xffffffffffffff00ull, BLK_S_IOERR) &&
           blk_request(d, BLK_T_OUT, 0x7fffffffffffffffull, BLK_S_IOERR) &&
           blk_request(d, BLK_T_IN, 1ull << 40, BLK_S_IOERR);
}

static bool blk_unknown_request_type(struct vdev *d)
{
    return blk_request(d, 0x1234, 0, BLK_S_UNSUPP);
}

struct queue_attack {
    const char *name;
    bool (*run)(struct vdev *d);
    bool needs_reset; /* the device must end in DEVICE_NEEDS_RESET */
    uint32_t only_id; /* 0: every device */
    bool chain;       /* a malformed chain on a live queue (net_attacks.c: receiveq too) */
};

static const struct queue_attack attacks[] = {
    {"descriptor-cycle", cycle_zero_len, true, 0, true},
    {"chain-longer-than-queue", chain_longer_than_queue, true, 0, true},
    {"indirect-loop", indirect_loop, true, 0, true},
    {"indirect-table-too-long", indirect_too_long, true, 0, true},
    {"indirect-nested", indirect_nested, true, 0, true},
    {"indirect-with-next", indirect_with_next, true, 0, true},
    {"indirect-bad-length", indirect_bad_length, true, 0, true},
    {"head-out-of-range", head_out_of_range, true, 0, true},
    {"next-out-of-range", next_out_of_range, true, 0, true},
    {"avail-index-jump", avail_index_jump, true, 0, true},
    {"buffer-outside-ram", buffer_outside_ram, true, 0, true},
    {"buffer-at-own-mmio", buffer_at_own_mmio, true, 0, true},
    {"buffer-at-uart", buffer_at_uart, true, 0, true},
    {"buffer-straddles-ram-end", buffer_straddles_ram_end, true, 0, true},
    {"buffer-address-wraps", buffer_address_wraps, true, 0, true},
    {"readable-after-writable", readable_after_writable, true, 0, true},
    {"blk-no-status-byte", blk_no_status_byte, true, 2, false},
    {"ring-outside-ram", ring_outside_ram, true, 0, false},
    {"ring-at-mmio", ring_at_mmio, true, 0, false},
    {"used-ring-past-ram-end", used_ring_past_ram_end, true, 0, false},
    {"ring-misaligned", ring_misaligned, true, 0, false},
    {"queue-size-not-power-of-two", queue_size_not_power_of_two, true, 0, false},
    {"queue-size-over-max", queue_size_over_max, true, 0, false},
    {"read-only-register-writes", read_only_register_writes, false, 0, false},
    {"every-size-and-alignment", every_size_and_alignment, false, 0, false},
    {"queue-reconfigured-while-live", queue_reconfigured_while_live, false, 0, false},
    {"notification-flood", notification_flood, false, 0, false},
    {"status-and-selector-games", status_games_then_reinit, false, 0, false},
    {"blk-outside-the-disk", blk_outside_the_disk, false, 2, false},
    {"blk-unknown-request-type", blk_unknown_request_type, false, 2, false},
};

const char *queue_chain_attack(unsigned i, struct vdev *d)
{
    unsigned k = 0;

    for (unsigned a = 0; a < sizeof(attacks) / sizeof(attacks[0]); a++) {
        if (!attacks[a].chain)
            continue;
        if (k++ == i) {
            (void)attacks[a].run(d);
            return attacks[a].name;
        }
    }
    return NULL;
}

static const char console_text[] = "ATTACK-CONSOLE: virtio-console still works\n";

/* Run every attack on @devs[@victim]; check the victim's state and that no
 * other device was touched. */
void queue_attacks_run(struct vdev *devs, unsigned n, unsigned victim);
void queue_attacks_run(struct vdev *devs, unsigned n, unsigned victim)
{
    struct vdev *d = &devs[victim];

    for (unsigned a = 0; a < sizeof(attacks) / sizeof(attacks[0]); a++) {
        const struct queue_attack *at = &attacks[a];
        bool own_ok, state_ok, others_ok = true;
        uint32_t st;

        if (at->only_id != 0 && at->only_id != d->id)
            continue;
        if (!vdev_init(d)) {
            verdict(false, d->name, at->name, "the device refused a correct set-up before it");
            continue;
        }
        own_ok = at->run(d);
        st = vdev_status(d);
        if (at->needs_reset)
            state_ok = (st & S_NEEDS_RESET) != 0;
        else
            state_ok = !(st & S_NEEDS_RESET) && vdev_request_ok(d, console_text);
        for (unsigned o = 0; o < n; o++)
            if (o != victim && (vdev_status(&devs[o]) & S_NEEDS_RESET))
                others_ok = false;
        if (!own_ok)
            verdict(false, d->name, at->name, "the device misbehaved during the attack");
        else if (!state_ok)
            verdict(false, d->name, at->name,
                    at->needs_reset ? "the device is not in DEVICE_NEEDS_RESET"
                                    : "the device stopped working or needs a reset");
        else
            verdict(others_ok, d->name, at->name, "another device entered DEVICE_NEEDS_RESET");
    }
    vdev_set(d, R_STATUS, 0);
}
