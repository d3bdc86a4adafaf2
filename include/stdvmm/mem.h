/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory map: a small set of RAM regions, each backed by a
 * host virtual mapping. Every access to guest memory goes through these
 * helpers, which refuse any range not wholly inside one RAM region.
 */
#ifndef STDVMM_MEM_H
#define STDVMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_MAX_RAM_REGIONS 8

struct vmm_ram_region {
    uint64_t gpa;  /* guest physical base */
    uint64_t size; /* bytes */
    uint8_t *hva;  /* host mapping of the region */
};

struct vmm_mem {
    struct vmm_ram_region regions[VMM_MAX_RAM_REGIONS];
    unsigned nr_regions;
};

/* Empty the map. */
void vmm_mem_init(struct vmm_mem *mem);

/* Add a RAM region; -VMM_EINVAL on overflow/zero size, -VMM_EEXIST on overlap,
 * -VMM_ENOSPC when the table is full. */
int vmm_mem_add_region(struct vmm_mem *mem, uint64_t gpa, uint64_t size, void *hva);

/* Region containing [gpa, gpa+len), or NULL. len 0 is treated as 1. */
const struct vmm_ram_region *vmm_mem_find(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* Host pointer for [gpa, gpa+len) if the whole range is guest RAM, else NULL. */
void *vmm_gpa_to_hva(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* True if [gpa, gpa+len) lies wholly inside one RAM region. */
bool vmm_mem_range_ok(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* Copy from guest RAM; -VMM_EFAULT when any byte is outside RAM (nothing copied). */
int vmm_guest_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, size_t len);

/* Copy into guest RAM; -VMM_EFAULT when any byte is outside RAM (nothing copied). */
int vmm_guest_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, size_t len);

/* Lowest guest-physical RAM address, or UINT64_MAX when there is no RAM. */
uint64_t vmm_mem_lowest(const struct vmm_mem *mem);

#endif
