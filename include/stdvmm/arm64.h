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
    uint64_t gicd_base, gicd_size; /* GIC distributor */
    uint64_t gicr_base, gicr_size; /* GICv3 redistributors: 128 KiB per vCPU */
    uint64_t uart_base, uart_size; /* PL011 */
    unsigned uart_irq;             /* SPI line */
    uint64_t virtio_base;          /* first virtio-mmio window */
    uint64_t virtio_stride;        /* distance between windows (0x200) */
    unsigned virtio_irq_base;      /* SPI line of the first virtio device */
    uint64_t ram_base;             /* guest RAM start (2 MiB aligned) */
    unsigned gic_version;          /* 3 (or 0: the default) = GICv3, 2 = GICv2 */
    uint64_t gicc_base, gicc_size; /* GICv2 CPU interface (the hardware's GICV) */
};

/* The QEMU-virt-like default layout stdvmm uses (RAM at 1 GiB, GICv3). */
void vmm_arm64_default_layout(struct vmm_arm64_layout *layout);

/* The same layout with a GICv2 (seL4's QEMU virt platform): distributor at
 * VMM_ARM64_GICD_BASE (4 KiB), CPU interface at VMM_ARM64_GICC_BASE. */
void vmm_arm64_default_layout_gicv2(struct vmm_arm64_layout *layout);

/* Default addresses (QEMU virt); gicr_size covers VMM_MAX_VCPUS frames. */
#define VMM_ARM64_GICD_BASE 0x08000000ull
#define VMM_ARM64_GICD_SIZE 0x10000ull
#define VMM_ARM64_GICR_BASE 0x080a0000ull
#define VMM_ARM64_GICR_STRIDE 0x20000ull    /* RD_base + SGI_base frames per vCPU */
#define VMM_ARM64_GICV2_DIST_SIZE 0x1000ull /* IHI 0048B 4.1.2: 4 KiB of registers */
#define VMM_ARM64_GICC_BASE 0x08010000ull   /* QEMU virt VIRT_GIC_CPU */
#define VMM_ARM64_GICC_SIZE 0x2000ull       /* GICC_DIR is at 0x1000 (IHI 0048B 4.1.3) */
#define VMM_ARM64_UART_BASE 0x09000000ull
#define VMM_ARM64_UART_SIZE 0x1000ull
#define VMM_ARM64_UART_IRQ 1u
#define VMM_ARM64_VIRTIO_BASE 0x0a000000ull
#define VMM_ARM64_VIRTIO_STRIDE 0x200ull
#define VMM_ARM64_VIRTIO_IRQ_BASE 16u
#define VMM_ARM64_RAM_BASE 0x40000000ull

/* Device-tree phandles the generated tree defines; device fdt_props
 * callbacks refer to them (e.g. the PL011's clocks property). */
#define VMM_ARM64_PHANDLE_GIC 1u
#define VMM_ARM64_PHANDLE_APB_PCLK 2u
#define VMM_ARM64_PHANDLE_GPIO 3u /* the PL061 power button's controller */
#define VMM_ARM64_APB_PCLK_HZ 24000000u

/* The boot state every port gives a vCPU it starts (booting.rst): PSTATE
 * EL1h with D, A, I, F masked, and SCTLR_EL1 at its Armv8.0 RES1 value
 * (D17.2.118: MMU, caches and alignment checks off). x0 = DTB or the PSCI
 * context id, x1..x3 = 0. */
#define VMM_ARM64_BOOT_PSTATE 0x3c5u
#define VMM_ARM64_SCTLR_EL1_RESET 0x30d00800u

/* Largest DTB Linux accepts (booting.rst: "must not exceed 2 megabytes"). */
#define VMM_ARM64_FDT_MAX_SIZE 0x200000u

/* Redistributor bytes for @nr_vcpus vCPUs (128 KiB each). */
uint64_t vmm_arm64_gicr_size(unsigned nr_vcpus);

/* MPIDR affinity KVM gives vCPU @index by default (Aff0 = index % 16,
 * Aff1 = index / 16); also the cpu node's reg. */
uint64_t vmm_arm64_vcpu_mpidr(unsigned index);

/* Window and SPI line of the @index-th virtio-mmio device in @layout;
 * -VMM_ERANGE when the line would exceed VMM_MAX_IRQ_LINES. */
int vmm_arm64_virtio_slot(const struct vmm_arm64_layout *layout, unsigned index, uint64_t *base,
                          unsigned *irq);

/* Write "/<node_name>@<base in hex>" (the device's path in the generated
 * tree, e.g. for stdout_path) into @buf; -VMM_ENOSPC if it does not fit. */
int vmm_arm64_device_path(const struct vmm_device *dev, char *buf, size_t bufsize);

/* What vmm_arm64_parse_image() learned from an arm64 Image header. */
struct vmm_arm64_image {
    uint64_t text_offset; /* bytes from a 2 MiB aligned base */
    uint64_t image_size;  /* bytes the kernel needs mapped from its start */
    uint64_t flags;
};

#define VMM_ARM64_IMAGE_HEADER_SIZE 64u
#define VMM_ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define VMM_ARM64_IMAGE_LEGACY_TEXT_OFFSET 0x80000u
#define VMM_ARM64_IMAGE_FLAG_BE (1u << 0)       /* kernel endianness: 1 = big */
#define VMM_ARM64_IMAGE_FLAG_ANYWHERE (1u << 3) /* 2 MiB base may be anywhere */
#define VMM_ARM64_KERNEL_ALIGN 0x200000u

/* Validate an arm64 Image header (magic "ARM\x64", little endian, sizes
 * against @size); -VMM_ENOEXEC for anything else. */
int vmm_arm64_parse_image(const void *data, size_t size, struct vmm_arm64_image *out);

/* NULL when vmm_arm64_parse_image() accepts @data, else a short static
 * description of what is wrong (parse_image itself logs nothing). */
const char *vmm_arm64_image_problem(const void *data, size_t size);

/* The Xen interface's device-tree part (include/stdvmm/xen.h): a
 * /hypervisor node (grant-table frame, event-channel PPI) and a
 * /memreserve/ entry over the pages the interface keeps in guest RAM. */
struct vmm_arm64_xen {
    uint64_t gnttab_gpa, gnttab_size;     /* reg of /hypervisor: the grant-table frames */
    uint64_t reserved_gpa, reserved_size; /* kept from the guest's allocator */
    unsigned ppi;                         /* INTID 16..31 of the event upcall */
};

struct vmm_arm64_boot {
    const void *kernel; /* the Image file's bytes */
    size_t kernel_size;
    const void *initrd; /* may be NULL */
    size_t initrd_size;
    const char *cmdline;             /* may be NULL */
    const char *stdout_path;         /* chosen/stdout-path, e.g. "/pl011@9000000"; may be NULL */
    const struct vmm_arm64_xen *xen; /* NULL: no Xen interface */
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
 * Place kernel, initrd and a freshly generated device tree in guest RAM, in
 * that order and all in the RAM region holding the kernel: kernel at
 * ram_base (rounded up to 2 MiB) + text_offset, initrd page aligned after
 * the kernel's image_size, DTB page aligned after that (< 2 MiB, written in
 * place). Errors: -VMM_ENOEXEC bad Image (logged with the reason),
 * -VMM_E2BIG no RAM at ram_base or not everything fits, -VMM_EINVAL bad args.
 */
int vmm_arm64_boot_prepare(struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                           const struct vmm_arm64_boot *boot, struct vmm_arm64_boot_info *info);

/*
 * Write the device tree into @buf: cpus (PSCI enable-method), memory (every
 * RAM region), GICv3 or GICv2 (layout->gic_version), architected timer, PSCI 1.0 (hvc), the 24 MHz
 * apb-pclk clock, chosen (bootargs, initrd when @initrd_end > @initrd_gpa,
 * stdout-path), and one node per device of @vm. Returns the DTB size or a
 * negative VMM_E* code (-VMM_ENOSPC when @bufsize is too small).
 */
int vmm_arm64_build_fdt(const struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                        const struct vmm_arm64_boot *boot, uint64_t initrd_gpa, uint64_t initrd_end,
                        void *buf, size_t bufsize);

#endif
