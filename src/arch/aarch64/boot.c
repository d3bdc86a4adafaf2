/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux arm64 boot, Documentation/arch/arm64/booting.rst: the kernel at
 * text_offset from a 2 MiB aligned base near the start of RAM, then the
 * initrd (page aligned) and the device tree (8-byte aligned, < 2 MiB), all
 * inside the RAM region that holds the kernel, none overlapping.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

#define PAGE_SIZE 0x1000u
#define DTB_ALIGN PAGE_SIZE /* booting.rst asks for 8; a page keeps it tidy */

/* Round @v up to @align (a power of two); false when that overflows. */
static bool align_up(uint64_t v, uint64_t align, uint64_t *out)
{
    if (v > UINT64_MAX - (align - 1))
        return false;
    *out = (v + align - 1) & ~(align - 1);
    return true;
}

/* Reserve @size bytes at @align after *@next inside [.., @end). */
static int place(uint64_t *next, uint64_t end, uint64_t size, uint64_t align, uint64_t *gpa)
{
    uint64_t start;

    if (!align_up(*next, align, &start) || start > end || size > end - start)
        return -VMM_E2BIG;
    *gpa = start;
    *next = start + size;
    return 0;
}

static int place_kernel(struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                        const struct vmm_arm64_boot *boot, const struct vmm_ram_region **ram,
                        struct vmm_arm64_boot_info *info)
{
    struct vmm_arm64_image img;
    uint64_t base, end, next;
    bool fits;
    int ret;

    ret = vmm_arm64_parse_image(boot->kernel, boot->kernel_size, &img);
    if (ret < 0) {
        vmm_err("arm64 boot: kernel: %s", vmm_arm64_image_problem(boot->kernel, boot->kernel_size));
        return ret;
    }
    if (!align_up(layout->ram_base, VMM_ARM64_KERNEL_ALIGN, &base) ||
        (*ram = vmm_mem_find(&vm->mem, base, 1)) == NULL) {
        vmm_err("arm64 boot: no RAM at the 2 MiB aligned base above 0x%llx",
                (unsigned long long)layout->ram_base);
        return -VMM_E2BIG;
    }
    end = (*ram)->gpa + (*ram)->size;
    fits = img.text_offset <= end - base;
    next = fits ? base + img.text_offset : end;
    if (!fits || place(&next, end, img.image_size, 1, &info->kernel_gpa) < 0) {
        vmm_err("arm64 boot: kernel needs 0x%llx + 0x%llx bytes from 0x%llx, RAM ends at 0x%llx",
                (unsigned long long)img.text_offset, (unsigned long long)img.image_size,
                (unsigned long long)base, (unsigned long long)end);
        return -VMM_E2BIG;
    }
    info->kernel_end = info->kernel_gpa + img.image_size;
    return vmm_guest_write(&vm->mem, info->kernel_gpa, boot->kernel, boot->kernel_size);
}

static int place_initrd(struct vmm_vm *vm, const struct vmm_arm64_boot *boot, uint64_t *next,
                        uint64_t end, struct vmm_arm64_boot_info *info)
{
    if (boot->initrd == NULL || boot->initrd_size == 0)
        return 0;
    if (place(next, end, boot->initrd_size, PAGE_SIZE, &info->initrd_gpa) < 0) {
        vmm_err("arm64 boot: initrd of %zu bytes does not fit in RAM after the kernel "
                "(RAM ends at 0x%llx)",
                boot->initrd_size, (unsigned long long)end);
        return -VMM_E2BIG;
    }
    info->initrd_end = info->initrd_gpa + boot->initrd_size;
    return vmm_guest_write(&vm->mem, info->initrd_gpa, boot->initrd, boot->initrd_size);
}

/* The tree is written in place: its room is bounds-checked guest RAM that
 * nothing else uses, so no 2 MiB host buffer is needed. */
static int place_dtb(struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                     const struct vmm_arm64_boot *boot, uint64_t next, uint64_t end,
                     struct vmm_arm64_boot_info *info)
{
    uint64_t gpa, room;
    void *buf;
    int ret;

    if (!align_up(next, DTB_ALIGN, &gpa) || gpa >= end) {
        vmm_err("arm64 boot: no RAM left for the device tree");
        return -VMM_E2BIG;
    }
    room = end - gpa;
    if (room > VMM_ARM64_FDT_MAX_SIZE)
        room = VMM_ARM64_FDT_MAX_SIZE;
    buf = vmm_gpa_to_hva(&vm->mem, gpa, room);
    if (buf == NULL)
        return -VMM_EFAULT;
    ret = vmm_arm64_build_fdt(vm, layout, boot, info->initrd_gpa, info->initrd_end, buf, room);
    if (ret == -VMM_ENOSPC) {
        vmm_err("arm64 boot: the device tree does not fit in the 0x%llx bytes left in RAM",
                (unsigned long long)room);
        return room < VMM_ARM64_FDT_MAX_SIZE ? -VMM_E2BIG : -VMM_ENOSPC;
    }
    if (ret < 0)
        return ret;
    info->dtb_gpa = gpa;
    info->dtb_size = (uint32_t)ret;
    return 0;
}

int vmm_arm64_boot_prepare(struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                           const struct vmm_arm64_boot *boot, struct vmm_arm64_boot_info *info)
{
    const struct vmm_ram_region *ram = NULL;
    uint64_t next, end;
    int ret;

    *info = (struct vmm_arm64_boot_info){0};
    if (boot->kernel == NULL || (boot->initrd == NULL && boot->initrd_size != 0))
        return -VMM_EINVAL;
    ret = place_kernel(vm, layout, boot, &ram, info);
    if (ret < 0)
        return ret;
    end = ram->gpa + ram->size;
    next = info->kernel_end;
    ret = place_initrd(vm, boot, &next, end, info);
    if (ret < 0)
        return ret;
    ret = place_dtb(vm, layout, boot, next, end, info);
    if (ret < 0)
        return ret;
    info->entry = info->kernel_gpa;
    return 0;
}
