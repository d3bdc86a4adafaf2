/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/mem.h"

void vmm_mem_init(struct vmm_mem *mem)
{
    memset(mem, 0, sizeof(*mem));
}

int vmm_mem_add_region(struct vmm_mem *mem, uint64_t gpa, uint64_t size, void *hva)
{
    if (size == 0 || hva == NULL || size > UINT64_MAX - gpa)
        return -VMM_EINVAL;
    if (mem->nr_regions >= VMM_MAX_RAM_REGIONS)
        return -VMM_ENOSPC;
    for (unsigned i = 0; i < mem->nr_regions; i++) {
        const struct vmm_ram_region *r = &mem->regions[i];
        if (gpa < r->gpa + r->size && r->gpa < gpa + size)
            return -VMM_EEXIST;
    }
    mem->regions[mem->nr_regions++] = (struct vmm_ram_region){gpa, size, hva};
    return 0;
}

const struct vmm_ram_region *vmm_mem_find(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
    if (len == 0)
        len = 1;
    for (unsigned i = 0; i < mem->nr_regions; i++) {
        const struct vmm_ram_region *r = &mem->regions[i];
        /* Written so that no sum can overflow: gpa >= base, then compare
         * the remaining room against len. */
        if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
            return r;
    }
    return NULL;
}

bool vmm_mem_range_ok(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
    return vmm_mem_find(mem, gpa, len) != NULL;
}

void *vmm_gpa_to_hva(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
    const struct vmm_ram_region *r = vmm_mem_find(mem, gpa, len);

    return r ? r->hva + (gpa - r->gpa) : NULL;
}

int vmm_guest_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, size_t len)
{
    const void *src = vmm_gpa_to_hva(mem, gpa, len);

    if (src == NULL)
        return -VMM_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int vmm_guest_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, size_t len)
{
    void *dst = vmm_gpa_to_hva(mem, gpa, len);

    if (dst == NULL)
        return -VMM_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

uint64_t vmm_mem_lowest(const struct vmm_mem *mem)
{
    uint64_t lowest = UINT64_MAX;

    for (unsigned i = 0; i < mem->nr_regions; i++)
        if (mem->regions[i].gpa < lowest)
            lowest = mem->regions[i].gpa;
    return lowest;
}
