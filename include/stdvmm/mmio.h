/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MMIO bus: the one place a trapped guest access is routed to a device.
 * A port decodes its exit (KVM_EXIT_MMIO, an seL4 VM fault) into a
 * struct vmm_access, calls vmm_mmio_dispatch(), and writes back the value.
 */
#ifndef STDVMM_MMIO_H
#define STDVMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/log.h"

#define VMM_MAX_MMIO_REGIONS 32

/* One trapped guest access, in a hypervisor-neutral form. */
struct vmm_access {
    uint64_t addr;  /* guest physical address */
    uint64_t value; /* write: value from the guest; read: filled by the handler */
    uint8_t size;   /* 1, 2, 4 or 8 bytes */
    bool write;
    unsigned vcpu; /* index of the vCPU that made the access */
};

/*
 * Device handlers. @offset is relative to the region base; @size is 1, 2, 4
 * or 8. A read fills *@value. Return 0, or a negative VMM_E* code: the bus
 * then logs the fault (rate-limited) and reads as zero / ignores the write,
 * like an unimplemented register, so a guest cannot stop the VMM this way.
 */
struct vmm_mmio_ops {
    int (*read)(void *opaque, uint64_t offset, unsigned size, uint64_t *value);
    int (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

/* Handlers for registers banked per vCPU (a GICv2 distributor): like
 * vmm_mmio_ops, plus the index of the vCPU making the access. */
struct vmm_mmio_vcpu_ops {
    int (*read)(void *opaque, unsigned vcpu, uint64_t offset, unsigned size, uint64_t *value);
    int (*write)(void *opaque, unsigned vcpu, uint64_t offset, unsigned size, uint64_t value);
};

struct vmm_mmio_region {
    uint64_t base;
    uint64_t size;
    const struct vmm_mmio_ops *ops;
    void *opaque;
    const char *name;
    const struct vmm_mmio_vcpu_ops *vcpu_ops; /* optional: used instead of ops */
};

struct vmm_mmio_bus {
    struct vmm_mmio_region regions[VMM_MAX_MMIO_REGIONS]; /* sorted by base */
    unsigned nr_regions;
    unsigned long unhandled; /* accesses that hit no region */
    unsigned long failed;    /* accesses a handler refused, or of a bad size or extent */
    struct vmm_ratelimit rl_unhandled, rl_failed; /* each logged once */
};

/* Empty the bus. */
void vmm_mmio_bus_init(struct vmm_mmio_bus *bus);

/* Register [base, base+size); -VMM_EEXIST on overlap, -VMM_ENOSPC when full,
 * -VMM_EINVAL for a zero size, wrap-around or missing ops. */
int vmm_mmio_register(struct vmm_mmio_bus *bus, uint64_t base, uint64_t size,
                      const struct vmm_mmio_ops *ops, void *opaque, const char *name);

/* vmm_mmio_register() for a device with banked registers: dispatch passes
 * vmm_access.vcpu to @vcpu_ops; @ops (required too) serve callers that have
 * no vCPU, e.g. fuzzers calling the region directly. */
int vmm_mmio_register_vcpu(struct vmm_mmio_bus *bus, uint64_t base, uint64_t size,
                           const struct vmm_mmio_ops *ops, const struct vmm_mmio_vcpu_ops *vcpu_ops,
                           void *opaque, const char *name);

/* Region containing @addr, or NULL. O(log n). */
const struct vmm_mmio_region *vmm_mmio_find(const struct vmm_mmio_bus *bus, uint64_t addr);

/*
 * Route one access. Returns 0 when a device handled it, -VMM_ENOENT when no
 * region contains it (reads then return 0), -VMM_EINVAL for a bad size or an
 * access straddling the end of a region, or the handler's error. Every
 * failure is counted; the first of each kind is logged.
 */
int vmm_mmio_dispatch(struct vmm_mmio_bus *bus, struct vmm_access *acc);

#endif
