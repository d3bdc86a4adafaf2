/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 guest platform: memory layout, Linux arm64 boot (booting.rst) and
 * the device tree generated at run time with libfdt.
 */
#ifndef STDVMM_ARM64_H
#define STDVMM_ARM64_H

#include <stddef.h>
#include <stdint.h>
#include "stdvmm/vm.h"

/* Where the platform puts things in guest physical space (a plain struct:
 * print it, check it, change it before building the VM). */
struct vmm_arm64_layout {
    uint64_t gicd_base, gicd_size;  /* GICv3 distributor */
    uint64_t gicr_base, gicr_size;  /* redistributors: 128 KiB per vCPU */
    uint64_t uart_base, uart_size;  /* PL011 */
    unsigned uart_irq;              /* SPI line */
    uint64_t virtio_base;           /* first virtio-mmio window */
    uint64_t virtio_stride;         /* distance between windows (0x200) */
    unsigned virtio_irq_base;       /* SPI line of the first virtio device */
    uint64_t ram_base;              /* guest RAM start (2 MiB aligned) */
};

/* The QEMU-virt-like default layout stdvmm uses (RAM at 1 GiB). */
void vmm_arm64_default_layout(struct vmm_arm64_layout *layout);

/* What vmm_arm64_parse_image() learned from an arm64 Image header. */
struct vmm_arm64_image {
    uint64_t text_offset; /* bytes from a 2 MiB aligned base */
    uint64_t image_size;  /* bytes the kernel needs mapped from its start */
    uint64_t flags;
};

/* Validate an arm64 Image header (magic "ARM\x64", little endian, sizes
 * against @size); -VMM_ENOEXEC for anything else. */
int vmm_arm64_parse_image(const void *data, size_t size, struct vmm_arm64_image *out);

struct vmm_arm64_boot {
    const void *kernel; /* the Image file's bytes */
    size_t kernel_size;
    const void *initrd; /* may be NULL */
    size_t initrd_size;
    const char *cmdline;     /* may be NULL */
    const char *stdout_path; /* chosen/stdout-path, e.g. "/pl011@9000000"; may be NULL */
};

/* Where vmm_arm64_boot_prepare() put things; the port starts vCPU 0 at
 * @entry with x0 = @dtb_gpa, secondaries wait for PSCI CPU_ON. */
struct vmm_arm64_boot_info {
    uint64_t entry;
    uint64_t kernel_gpa, kernel_end;
    uint64_t initrd_gpa, initrd_end; /* both 0 without initrd */
    uint64_t dtb_gpa;
    uint32_t dtb_size;
};

/*
 * Place kernel, initrd and a freshly generated device tree in guest RAM:
 * kernel at ram_base + text_offset (2 MiB aligned base), DTB (8-byte
 * aligned, < 2 MiB) and initrd after the kernel image_size. Errors:
 * -VMM_ENOEXEC bad Image, -VMM_E2BIG when it does not fit in RAM.
 */
int vmm_arm64_boot_prepare(struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                           const struct vmm_arm64_boot *boot, struct vmm_arm64_boot_info *info);

/*
 * Write the device tree into @buf: cpus (PSCI enable-method), memory (every
 * RAM region), GICv3, architected timer, PSCI 1.0 (hvc), chosen (bootargs,
 * initrd, stdout-path), and one node per device of @vm. Returns the DTB size
 * or a negative VMM_E* code (-VMM_ENOSPC when @bufsize is too small).
 */
int vmm_arm64_build_fdt(const struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                        const struct vmm_arm64_boot *boot, uint64_t initrd_gpa,
                        uint64_t initrd_end, void *buf, size_t bufsize);

#endif
