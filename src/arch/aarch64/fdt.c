/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The device tree stdvmm hands to an arm64 Linux guest, written with
 * libfdt's sequential-write calls. Bindings: Linux
 * Documentation/devicetree/bindings (arm/cpus.yaml, arm/psci.yaml,
 * interrupt-controller/arm,gic-v3.yaml, timer/arm,arch_timer.yaml,
 * clock/fixed-clock.yaml, serial/arm,pl011.yaml, virtio/mmio.yaml).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libfdt.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "arch/aarch64/internal.h"

/* include/dt-bindings/interrupt-controller/arm-gic.h and irq.h */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_TYPE_EDGE_RISING 1u
#define IRQ_TYPE_LEVEL_HIGH 4u
#define IRQ_TYPE_LEVEL_LOW 8u

/* Architected timer PPIs (arm,arch_timer.yaml order: secure physical,
 * non-secure physical, virtual, hypervisor); INTIDs 29, 30, 27, 26. */
static const uint32_t timer_ppis[4] = {13, 14, 11, 10};

#define NODE_NAME_MAX 64

/* Propagate a libfdt error from a sequential-write call. */
#define FDT_TRY(call)                                                                              \
    do {                                                                                           \
        int fdt_try_err_ = (call);                                                                 \
        if (fdt_try_err_ < 0)                                                                      \
            return fdt_try_err_;                                                                   \
    } while (0)

static void put_u64_cells(fdt32_t *cells, uint64_t v)
{
    cells[0] = cpu_to_fdt32((uint32_t)(v >> 32));
    cells[1] = cpu_to_fdt32((uint32_t)v);
}

/* reg = <addr size> with #address-cells = #size-cells = 2. */
static int prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
    fdt32_t cells[4];

    put_u64_cells(&cells[0], addr);
    put_u64_cells(&cells[2], size);
    return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int begin_unit_node(void *fdt, const char *name, uint64_t unit)
{
    char node[NODE_NAME_MAX];

    if (vmm_arm64_node_name(node, sizeof(node), name, unit) < 0)
        return -FDT_ERR_BADVALUE;
    return fdt_begin_node(fdt, node);
}

static int add_root_props(void *fdt)
{
    FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
    FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
    FDT_TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
    FDT_TRY(fdt_property_string(fdt, "model", "stdvmm arm64 virtual machine"));
    return fdt_property_u32(fdt, "interrupt-parent", VMM_ARM64_PHANDLE_GIC);
}

/* arm/cpus.yaml: reg is MPIDR_EL1[23:0] with #address-cells = 1. */
static int add_cpus(void *fdt, unsigned nr_vcpus)
{
    FDT_TRY(fdt_begin_node(fdt, "cpus"));
    FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
    FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
    for (unsigned i = 0; i < nr_vcpus; i++) {
        uint32_t mpidr = (uint32_t)vmm_arm64_vcpu_mpidr(i);

        FDT_TRY(begin_unit_node(fdt, "cpu", mpidr));
        FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
        FDT_TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
        FDT_TRY(fdt_property_u32(fdt, "reg", mpidr));
        FDT_TRY(fdt_property_string(fdt, "enable-method", "psci"));
        FDT_TRY(fdt_end_node(fdt));
    }
    return fdt_end_node(fdt);
}

static int add_memory(void *fdt, const struct vmm_mem *mem)
{
    for (unsigned i = 0; i < mem->nr_regions; i++) {
        const struct vmm_ram_region *r = &mem->regions[i];

        FDT_TRY(begin_unit_node(fdt, "memory", r->gpa));
        FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
        FDT_TRY(prop_reg(fdt, r->gpa, r->size));
        FDT_TRY(fdt_end_node(fdt));
    }
    return 0;
}

static bool is_gicv2(const struct vmm_arm64_layout *layout)
{
    return layout->gic_version == 2;
}

/* interrupt-controller/arm,gic-v3.yaml: reg = distributor, then one
 * redistributor region covering every vCPU's 128 KiB frame pair.
 * interrupt-controller/arm,gic.yaml (GICv2): reg = distributor, then the
 * CPU interface (the hypervisor maps the hardware's GICV there). */
static int add_gic(void *fdt, const struct vmm_arm64_layout *layout, unsigned nr_vcpus)
{
    fdt32_t reg[8];

    put_u64_cells(&reg[0], layout->gicd_base);
    put_u64_cells(&reg[2], layout->gicd_size);
    if (is_gicv2(layout)) {
        put_u64_cells(&reg[4], layout->gicc_base);
        put_u64_cells(&reg[6], layout->gicc_size);
    } else {
        put_u64_cells(&reg[4], layout->gicr_base);
        put_u64_cells(&reg[6], vmm_arm64_gicr_size(nr_vcpus));
    }
    FDT_TRY(begin_unit_node(fdt, "intc", layout->gicd_base));
    FDT_TRY(fdt_property_string(fdt, "compatible",
                                is_gicv2(layout) ? "arm,cortex-a15-gic" : "arm,gic-v3"));
    FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
    FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    /* Room for child nodes (an ITS) in the parent's address space; dtc
     * also expects #address-cells on an interrupt provider. */
    FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
    FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
    FDT_TRY(fdt_property(fdt, "ranges", NULL, 0));
    FDT_TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
    FDT_TRY(fdt_property_u32(fdt, "phandle", VMM_ARM64_PHANDLE_GIC));
    return fdt_end_node(fdt);
}

/* The CPU-mask field of the flags cell (bits 15:8) is GICv2-only: one bit
 * per vCPU the PPI is wired to (arm,gic.yaml); 0 on GICv3. */
static int add_timer(void *fdt, const struct vmm_arm64_layout *layout, unsigned nr_vcpus)
{
    uint32_t cpu_mask = is_gicv2(layout) ? (((1u << nr_vcpus) - 1u) & 0xffu) << 8 : 0;
    fdt32_t irqs[12];

    for (unsigned i = 0; i < 4; i++) {
        irqs[3 * i] = cpu_to_fdt32(GIC_PPI);
        irqs[3 * i + 1] = cpu_to_fdt32(timer_ppis[i]);
        irqs[3 * i + 2] = cpu_to_fdt32(cpu_mask | IRQ_TYPE_LEVEL_LOW);
    }
    FDT_TRY(fdt_begin_node(fdt, "timer"));
    FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    FDT_TRY(fdt_property(fdt, "interrupts", irqs, sizeof(irqs)));
    FDT_TRY(fdt_property(fdt, "always-on", NULL, 0));
    return fdt_end_node(fdt);
}

static int add_psci(void *fdt)
{
    static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

    FDT_TRY(fdt_begin_node(fdt, "psci"));
    FDT_TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    FDT_TRY(fdt_property_string(fdt, "method", "hvc"));
    return fdt_end_node(fdt);
}

/* Xen's node (Linux Documentation/devicetree/bindings/arm/xen.txt): named
 * exactly "hypervisor" (Linux matches the name without a unit address),
 * "xen,xen-<version>" first, reg 0 the grant-table frame, the event PPI. */
static int add_hypervisor(void *fdt, const struct vmm_arm64_layout *layout, unsigned nr_vcpus,
                          const struct vmm_arm64_xen *xen)
{
    static const char compat[] = "xen,xen-4.19\0xen,xen";
    uint32_t cpu_mask = is_gicv2(layout) ? (((1u << nr_vcpus) - 1u) & 0xffu) << 8 : 0;
    fdt32_t irq[3] = {cpu_to_fdt32(GIC_PPI), cpu_to_fdt32(xen->ppi - 16u),
                      cpu_to_fdt32(cpu_mask | IRQ_TYPE_EDGE_RISING)};

    FDT_TRY(fdt_begin_node(fdt, "hypervisor"));
    FDT_TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    FDT_TRY(prop_reg(fdt, xen->gnttab_gpa, xen->gnttab_size));
    FDT_TRY(fdt_property(fdt, "interrupts", irq, sizeof(irq)));
    return fdt_end_node(fdt);
}

/* The PL011's UARTCLK and APB clock (serial/arm,pl011.yaml). */
static int add_apb_pclk(void *fdt)
{
    FDT_TRY(fdt_begin_node(fdt, "apb-pclk"));
    FDT_TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
    FDT_TRY(fdt_property_u32(fdt, "#clock-cells", 0));
    FDT_TRY(fdt_property_u32(fdt, "clock-frequency", VMM_ARM64_APB_PCLK_HZ));
    FDT_TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
    FDT_TRY(fdt_property_u32(fdt, "phandle", VMM_ARM64_PHANDLE_APB_PCLK));
    return fdt_end_node(fdt);
}

static int add_chosen(void *fdt, const struct vmm_arm64_boot *boot, uint64_t initrd_gpa,
                      uint64_t initrd_end)
{
    FDT_TRY(fdt_begin_node(fdt, "chosen"));
    if (boot != NULL && boot->cmdline != NULL)
        FDT_TRY(fdt_property_string(fdt, "bootargs", boot->cmdline));
    if (initrd_end > initrd_gpa) {
        FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", initrd_gpa));
        FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
    }
    if (boot != NULL && boot->stdout_path != NULL)
        FDT_TRY(fdt_property_string(fdt, "stdout-path", boot->stdout_path));
    return fdt_end_node(fdt);
}

static int add_device(void *fdt, const struct vmm_device *dev)
{
    FDT_TRY(begin_unit_node(fdt, dev->node_name, dev->base));
    if (dev->compatible != NULL) {
        size_t len = dev->compatible_len ? dev->compatible_len : strlen(dev->compatible) + 1;

        if (len > INT_MAX)
            return -FDT_ERR_BADVALUE;
        FDT_TRY(fdt_property(fdt, "compatible", dev->compatible, (int)len));
    }
    FDT_TRY(prop_reg(fdt, dev->base, dev->size));
    if (dev->irq != VMM_IRQ_NONE) {
        fdt32_t irq[3] = {cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(dev->irq),
                          cpu_to_fdt32(dev->irq_edge ? IRQ_TYPE_EDGE_RISING : IRQ_TYPE_LEVEL_HIGH)};

        FDT_TRY(fdt_property(fdt, "interrupts", irq, sizeof(irq)));
    }
    if (dev->fdt_props != NULL)
        FDT_TRY(dev->fdt_props(dev, fdt));
    FDT_TRY(fdt_end_node(fdt));
    return dev->fdt_nodes != NULL ? dev->fdt_nodes(dev, fdt) : 0;
}

static int write_tree(void *fdt, const struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                      const struct vmm_arm64_boot *boot, uint64_t initrd_gpa, uint64_t initrd_end)
{
    const struct vmm_arm64_xen *xen = boot != NULL ? boot->xen : NULL;

    if (xen != NULL)
        FDT_TRY(fdt_add_reservemap_entry(fdt, xen->reserved_gpa, xen->reserved_size));
    FDT_TRY(fdt_finish_reservemap(fdt));
    FDT_TRY(fdt_begin_node(fdt, ""));
    FDT_TRY(add_root_props(fdt));
    FDT_TRY(add_cpus(fdt, vm->nr_vcpus));
    FDT_TRY(add_memory(fdt, &vm->mem));
    FDT_TRY(add_gic(fdt, layout, vm->nr_vcpus));
    FDT_TRY(add_timer(fdt, layout, vm->nr_vcpus));
    FDT_TRY(add_psci(fdt));
    if (xen != NULL)
        FDT_TRY(add_hypervisor(fdt, layout, vm->nr_vcpus, xen));
    FDT_TRY(add_apb_pclk(fdt));
    FDT_TRY(add_chosen(fdt, boot, initrd_gpa, initrd_end));
    for (unsigned i = 0; i < vm->nr_devices; i++)
        FDT_TRY(add_device(fdt, vm->devices[i]));
    FDT_TRY(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

static int check_inputs(const struct vmm_vm *vm, const struct vmm_arm64_layout *layout)
{
    if (vm->nr_vcpus == 0 || vm->nr_vcpus > VMM_MAX_VCPUS) {
        vmm_err("arm64 fdt: %u vCPUs is outside 1..%u", vm->nr_vcpus, VMM_MAX_VCPUS);
        return -VMM_EINVAL;
    }
    if (is_gicv2(layout) && vm->nr_vcpus > 8) {
        vmm_err("arm64 fdt: a GICv2 serves at most 8 vCPUs, not %u", vm->nr_vcpus);
        return -VMM_EINVAL;
    }
    if (layout->gic_version != 0 && layout->gic_version != 2 && layout->gic_version != 3) {
        vmm_err("arm64 fdt: GIC version %u is neither 2 nor 3", layout->gic_version);
        return -VMM_EINVAL;
    }
    if (!is_gicv2(layout) && layout->gicr_size < vmm_arm64_gicr_size(vm->nr_vcpus)) {
        vmm_err("arm64 fdt: redistributor window 0x%llx too small for %u vCPUs",
                (unsigned long long)layout->gicr_size, vm->nr_vcpus);
        return -VMM_EINVAL;
    }
    for (unsigned i = 0; i < vm->nr_devices; i++) {
        const struct vmm_device *dev = vm->devices[i];

        if (dev->node_name == NULL || strlen(dev->node_name) > NODE_NAME_MAX - 18) {
            vmm_err("arm64 fdt: device %s has no usable node name", dev->name);
            return -VMM_EINVAL;
        }
        if (dev->compatible != NULL && dev->compatible_len != 0 &&
            dev->compatible[dev->compatible_len - 1] != '\0') {
            vmm_err("arm64 fdt: device %s: compatible list is not NUL-terminated", dev->name);
            return -VMM_EINVAL;
        }
    }
    return 0;
}

int vmm_arm64_build_fdt(const struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                        const struct vmm_arm64_boot *boot, uint64_t initrd_gpa, uint64_t initrd_end,
                        void *buf, size_t bufsize)
{
    int size = bufsize > INT_MAX ? INT_MAX : (int)bufsize;
    int ret;

    ret = check_inputs(vm, layout);
    if (ret < 0)
        return ret;
    if (boot != NULL && boot->xen != NULL && (boot->xen->ppi < 16 || boot->xen->ppi > 31)) {
        vmm_err("arm64 fdt: Xen event interrupt %u is not a PPI (16..31)", boot->xen->ppi);
        return -VMM_EINVAL;
    }
    if (buf == NULL)
        return -VMM_EINVAL;
    ret = fdt_create(buf, size);
    if (ret == 0)
        ret = write_tree(buf, vm, layout, boot, initrd_gpa, initrd_end);
    if (ret == -FDT_ERR_NOSPACE)
        return -VMM_ENOSPC;
    if (ret < 0) {
        vmm_err("arm64 fdt: libfdt: %s", fdt_strerror(ret));
        return -VMM_EINVAL;
    }
    return (int)fdt_totalsize(buf);
}
