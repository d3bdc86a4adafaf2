/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot timer: a 4 KiB MMIO page a guest writes a magic value to once,
 * at the moment it wants measured (the benchmark's guest does it first
 * thing in /init, with busybox `devmem`). The device only reports the
 * write; the program holding the clock turns it into a time (Firecracker's
 * boot-timer idea). Device-tree node "boot-timer@<base>", compatible
 * "stdvmm,boot-timer", no interrupt: no Linux driver binds to it, and a
 * guest finds the address under /proc/device-tree.
 */
#ifndef STDVMM_BOOT_TIMER_H
#define STDVMM_BOOT_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/device.h"

#define BOOT_TIMER_SIZE 0x1000u
/* Fixed address in stdvmm's arm64 layout: free in QEMU virt's map too. */
#define BOOT_TIMER_DEFAULT_BASE 0x09100000ull

/* Register offsets. */
#define BOOT_TIMER_SIGNAL 0x000 /* write-only, 32 bits: BOOT_TIMER_MAGIC */
#define BOOT_TIMER_COUNT 0x004  /* read-only: accepted signals (0 or 1) */

#define BOOT_TIMER_MAGIC 0x54494e49u /* "INIT" in little-endian bytes */

struct boot_timer {
    struct vmm_device dev; /* add with vmm_vm_add_device(vm, &bt->dev) */
    /* Called once, on the first magic write, with @ctx (under the VM's
     * device lock on KVM: keep it short). May be NULL. */
    void (*signalled)(void *ctx);
    void *ctx;
    bool fired;
    unsigned long ignored; /* writes that were not the first magic */
};

/* Describe @bt as device @name at @base (4 KiB), calling @signalled(@ctx)
 * on the first magic write. */
void vmm_boot_timer_init(struct boot_timer *bt, const char *name, uint64_t base,
                         void (*signalled)(void *ctx), void *ctx);

/* The MMIO handlers behind bt->dev.ops (exported for tests). */
extern const struct vmm_mmio_ops vmm_boot_timer_mmio_ops;

#endif
