/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The attacking guest's own small runtime: PL011 output, raw MMIO accesses
 * of every width, SMCCC calls, exception counting, and a polling virtio-mmio
 * driver that can also be told to break every rule. Freestanding: no libc.
 * Addresses are the default stdvmm arm64 layout (include/stdvmm/arm64.h).
 */
#ifndef ATTACK_GUEST_H
#define ATTACK_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_UART 0x09000000ull
#define GUEST_GICD 0x08000000ull
#define GUEST_VIRTIO_BASE 0x0a000000ull
#define GUEST_VIRTIO_STRIDE 0x200ull
#define GUEST_VIRTIO_SLOTS 32u
#define GUEST_RAM_BASE 0x40000000ull
/* RAM ends at guest_ram_end: the DTB's /memory node (fdt.c), else the
 * 64 MiB tests/attack/run.sh gives stdvmm (--mem 64M). */
#define GUEST_RAM_DEFAULT (64ull << 20)
extern uint64_t guest_ram_end;
/* 0..1 GiB is mapped again here as normal non-cacheable memory (start.S):
 * unaligned accesses through it reach the hypervisor. */
#define GUEST_NC_ALIAS 0x80000000ull

/* ---- output (PL011) */
void out_str(const char *s);
void out_hex(uint64_t v);
void out_dec(uint64_t v);
/* Verdict lines: "ATTACK-PASS: <what>" / "ATTACK-FAIL: <what>: <why>". */
void verdict(bool ok, const char *dev, const char *what, const char *why);
extern unsigned verdicts_passed, verdicts_failed;

/* ---- raw accesses */
uint64_t mmio_read(uint64_t addr, unsigned size);
void mmio_write(uint64_t addr, unsigned size, uint64_t value);
uint32_t rd32(uint64_t addr);
void wr32(uint64_t addr, uint32_t v);
/* A load pair (no valid syndrome for the hypervisor) and a load with
 * writeback; both become an abort injected into the guest on KVM. */
void mmio_load_pair(uint64_t addr);
void mmio_load_writeback(uint64_t addr);
static inline void barrier_full(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}

/* ---- SMCCC */
int64_t smccc_hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t smccc_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
void psci_system_off(void) __attribute__((noreturn));

/* ---- exceptions (counted and skipped by start.S's vectors) */
extern volatile unsigned long exceptions_taken;
extern volatile uint64_t last_esr;

/* ---- the device tree (fdt.c) */
/* Set guest_ram_end from the DTB's /memory node. */
void fdt_read_memory(uint64_t dtb);
/* The value of KEY=VALUE on the command line, at most @max - 1 bytes. */
bool attack_arg(uint64_t dtb, const char *key, char *out, size_t max);
/* KEY=A.B.C.D on the command line as a host-order number; 0 if absent. */
uint32_t attack_ipv4(uint64_t dtb, const char *key);

/* ---- strings */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---- the virtio driver (vdrv.c) */
#define VQ_SIZE 8u
#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u

/* virtio-mmio registers (virtio 1.2, 4.2.2) and status bits (2.1). */
#define R_MAGIC 0x000u
#define R_VERSION 0x004u
#define R_DEVICE_ID 0x008u
#define R_DEV_FEATURES 0x010u
#define R_DEV_FEATURES_SEL 0x014u
#define R_DRV_FEATURES 0x020u
#define R_DRV_FEATURES_SEL 0x024u
#define R_QUEUE_SEL 0x030u
#define R_QUEUE_NUM_MAX 0x034u
#define R_QUEUE_NUM 0x038u
#define R_QUEUE_READY 0x044u
#define R_QUEUE_NOTIFY 0x050u
#define R_STATUS 0x070u
#define R_QUEUE_DESC 0x080u
#define R_QUEUE_DRIVER 0x090u
#define R_QUEUE_DEVICE 0x0a0u
#define R_INTERRUPT_STATUS 0x060u
#define R_INTERRUPT_ACK 0x064u
#define R_CONFIG_GENERATION 0x0fcu
#define S_NEEDS_RESET 0x40u

#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

struct vdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* One virtio-mmio device found by probing the windows, with a 16 KiB area
 * of guest RAM for its rings and buffers. */
struct vdev {
    uint64_t base;
    uint32_t id; /* 1 net, 2 blk, 3 console, 4 rng, 19 vsock */
    const char *name;
    unsigned q; /* the queue the driver uses: transmitq for the console */
    uint8_t *area;
    struct vdesc *desc; /* area + 0 */
    uint16_t *avail;    /* area + 0x400: flags, idx, ring[] */
    uint8_t *used;      /* area + 0x800 */
    uint8_t *buf;       /* area + 0x1000: 12 KiB of buffers */
    uint16_t avail_idx; /* our next avail index */
    uint16_t used_seen; /* used entries consumed */
    uint32_t blk_size;  /* blk: the request size of the proofs (blk_size) */
};
#define VDEV_AREA 0x4000u

/* Find the devices; returns how many (at most @max). */
unsigned vdev_probe(struct vdev *devs, unsigned max, uint8_t *areas);
uint32_t vdev_reg(const struct vdev *d, unsigned off);
void vdev_set(const struct vdev *d, unsigned off, uint32_t v);
uint32_t vdev_status(const struct vdev *d);
/* Reset, negotiate VERSION_1 + INDIRECT_DESC, set up queue d->q with
 * VQ_SIZE entries at the usual place and go DRIVER_OK; false if refused. */
bool vdev_init(struct vdev *d);
/* The same with the queue's size and ring addresses chosen by the caller. */
bool vdev_init_queue(struct vdev *d, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used);
/* Reset, negotiate and set up two queues of one device: @d's (d->q, in its
 * area) and @o's (o->q, in o's area; @o is another view of the same
 * device, e.g. net's receiveq next to its transmitq), then DRIVER_OK. */
bool vdev_init_pair(struct vdev *d, struct vdev *o);
/* The virtual counter and its frequency. */
uint64_t vdev_now(void);
uint64_t vdev_hz(void);
/* Publish chain @head and kick. */
void vdev_submit(struct vdev *d, uint16_t head);
/* Wait (bounded) for a used entry; true with its length in *@len. */
bool vdev_wait_used(struct vdev *d, uint32_t *len);
/* A correct request on the device (rng read, blk read of sector 0 in
 * blk_size bytes, console write of @text, net broadcast frame sent): true
 * if it completed. */
bool vdev_request_ok(struct vdev *d, const char *text);

/* ---- attacks shared between files */
/* Run the @i-th malformed-chain attack of queue_attacks.c on @d's live
 * queue d->q and return its name; NULL past the last one. */
const char *queue_chain_attack(unsigned i, struct vdev *d);

#endif
