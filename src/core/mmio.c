/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/mmio.h"

void vmm_mmio_bus_init(struct vmm_mmio_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int vmm_mmio_register(struct vmm_mmio_bus *bus, uint64_t base, uint64_t size,
                      const struct vmm_mmio_ops *ops, void *opaque, const char *name)
{
    unsigned pos = 0;

    if (size == 0 || size > UINT64_MAX - base || ops == NULL || ops->read == NULL ||
        ops->write == NULL)
        return -VMM_EINVAL;
    if (bus->nr_regions >= VMM_MAX_MMIO_REGIONS)
        return -VMM_ENOSPC;
    for (unsigned i = 0; i < bus->nr_regions; i++) {
        const struct vmm_mmio_region *r = &bus->regions[i];
        if (base < r->base + r->size && r->base < base + size)
            return -VMM_EEXIST;
        if (r->base < base)
            pos = i + 1;
    }
    memmove(&bus->regions[pos + 1], &bus->regions[pos],
            (bus->nr_regions - pos) * sizeof(bus->regions[0]));
    bus->regions[pos] = (struct vmm_mmio_region){
        .base = base, .size = size, .ops = ops, .opaque = opaque, .name = name};
    bus->nr_regions++;
    return 0;
}

int vmm_mmio_register_vcpu(struct vmm_mmio_bus *bus, uint64_t base, uint64_t size,
                           const struct vmm_mmio_ops *ops, const struct vmm_mmio_vcpu_ops *vcpu_ops,
                           void *opaque, const char *name)
{
    int ret;

    if (vcpu_ops == NULL || vcpu_ops->read == NULL || vcpu_ops->write == NULL)
        return -VMM_EINVAL;
    ret = vmm_mmio_register(bus, base, size, ops, opaque, name);
    if (ret < 0)
        return ret;
    for (unsigned i = 0; i < bus->nr_regions; i++)
        if (bus->regions[i].base == base)
            bus->regions[i].vcpu_ops = vcpu_ops;
    return 0;
}

const struct vmm_mmio_region *vmm_mmio_find(const struct vmm_mmio_bus *bus, uint64_t addr)
{
    unsigned lo = 0, hi = bus->nr_regions;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct vmm_mmio_region *r = &bus->regions[mid];

        if (addr < r->base)
            hi = mid;
        else if (addr - r->base >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* A guest can repeat a refused access at will: count them all, log the first. */
static int access_failed(struct vmm_mmio_bus *bus, const struct vmm_mmio_region *r,
                         const struct vmm_access *acc, uint64_t offset, int err)
{
    bus->failed++;
    if (vmm_ratelimit_first(&bus->rl_failed))
        vmm_warn("mmio: %s: %s of %u bytes at offset 0x%llx failed: %s (further failures counted)",
                 r->name ? r->name : "device", acc->write ? "write" : "read", acc->size,
                 (unsigned long long)offset, vmm_strerror(err));
    return err;
}

int vmm_mmio_dispatch(struct vmm_mmio_bus *bus, struct vmm_access *acc)
{
    const struct vmm_mmio_region *r = vmm_mmio_find(bus, acc->addr);
    uint64_t offset;
    int ret;

    if (!acc->write)
        acc->value = 0;
    if (r == NULL) {
        bus->unhandled++;
        if (vmm_ratelimit_first(&bus->rl_unhandled))
            vmm_warn("mmio: %s of %u bytes at 0x%llx hits no device (further ones counted)",
                     acc->write ? "write" : "read", acc->size, (unsigned long long)acc->addr);
        return -VMM_ENOENT;
    }
    offset = acc->addr - r->base;
    if (!valid_size(acc->size) || acc->size > r->size - offset)
        return access_failed(bus, r, acc, offset, -VMM_EINVAL);
    if (acc->write && r->vcpu_ops != NULL) {
        ret = r->vcpu_ops->write(r->opaque, acc->vcpu, offset, acc->size, acc->value);
    } else if (acc->write) {
        ret = r->ops->write(r->opaque, offset, acc->size, acc->value);
    } else {
        uint64_t value = 0;
        if (r->vcpu_ops != NULL)
            ret = r->vcpu_ops->read(r->opaque, acc->vcpu, offset, acc->size, &value);
        else
            ret = r->ops->read(r->opaque, offset, acc->size, &value);
        acc->value = ret == 0 ? value : 0;
    }
    return ret < 0 ? access_failed(bus, r, acc, offset, ret) : ret;
}
