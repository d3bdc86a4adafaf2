/* SPDX-License-Identifier: BSD-2-Clause */
/* The guest physical address map of the arm64 platform (QEMU virt-like). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "arch/aarch64/internal.h"

void vmm_arm64_default_layout(struct vmm_arm64_layout *layout)
{
    *layout = (struct vmm_arm64_layout){
        .gicd_base = VMM_ARM64_GICD_BASE,
        .gicd_size = VMM_ARM64_GICD_SIZE,
        .gicr_base = VMM_ARM64_GICR_BASE,
        .gicr_size = VMM_ARM64_GICR_STRIDE * VMM_MAX_VCPUS,
        .uart_base = VMM_ARM64_UART_BASE,
        .uart_size = VMM_ARM64_UART_SIZE,
        .uart_irq = VMM_ARM64_UART_IRQ,
        .virtio_base = VMM_ARM64_VIRTIO_BASE,
        .virtio_stride = VMM_ARM64_VIRTIO_STRIDE,
        .virtio_irq_base = VMM_ARM64_VIRTIO_IRQ_BASE,
        .ram_base = VMM_ARM64_RAM_BASE,
        .gic_version = 3,
    };
}

void vmm_arm64_default_layout_gicv2(struct vmm_arm64_layout *layout)
{
    vmm_arm64_default_layout(layout);
    layout->gic_version = 2;
    layout->gicd_size = VMM_ARM64_GICV2_DIST_SIZE;
    layout->gicr_base = 0;
    layout->gicr_size = 0;
    layout->gicc_base = VMM_ARM64_GICC_BASE;
    layout->gicc_size = VMM_ARM64_GICC_SIZE;
}

uint64_t vmm_arm64_gicr_size(unsigned nr_vcpus)
{
    return VMM_ARM64_GICR_STRIDE * nr_vcpus;
}

/* KVM's reset value of MPIDR_EL1 (arch/arm64/kvm/sys_regs.c reset_mpidr):
 * 16 vCPUs per Aff0 cluster, then Aff1, then Aff2. */
uint64_t vmm_arm64_vcpu_mpidr(unsigned index)
{
    uint64_t aff0 = index & 0xf;
    uint64_t aff1 = (index >> 4) & 0xff;
    uint64_t aff2 = (index >> 12) & 0xff;

    return aff0 | aff1 << 8 | aff2 << 16;
}

int vmm_arm64_virtio_slot(const struct vmm_arm64_layout *layout, unsigned index, uint64_t *base,
                          unsigned *irq)
{
    if (index >= VMM_MAX_IRQ_LINES || layout->virtio_irq_base >= VMM_MAX_IRQ_LINES ||
        index >= VMM_MAX_IRQ_LINES - layout->virtio_irq_base)
        return -VMM_ERANGE;
    if (layout->virtio_stride != 0 &&
        index > (UINT64_MAX - layout->virtio_base) / layout->virtio_stride)
        return -VMM_ERANGE;
    *base = layout->virtio_base + (uint64_t)index * layout->virtio_stride;
    *irq = layout->virtio_irq_base + index;
    return 0;
}

static size_t put_hex(char *out, uint64_t v)
{
    char tmp[16];
    size_t n = 0, i;

    do {
        tmp[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

int vmm_arm64_node_name(char *buf, size_t bufsize, const char *name, uint64_t unit)
{
    size_t len = strlen(name);
    char hex[16];
    size_t hexlen = put_hex(hex, unit);

    if (bufsize == 0 || len >= bufsize || hexlen + 1 >= bufsize - len)
        return -VMM_ENOSPC;
    memcpy(buf, name, len);
    buf[len] = '@';
    memcpy(buf + len + 1, hex, hexlen);
    buf[len + 1 + hexlen] = '\0';
    return 0;
}

int vmm_arm64_device_path(const struct vmm_device *dev, char *buf, size_t bufsize)
{
    if (bufsize < 2)
        return -VMM_ENOSPC;
    buf[0] = '/';
    return vmm_arm64_node_name(buf + 1, bufsize - 1, dev->node_name, dev->base);
}
