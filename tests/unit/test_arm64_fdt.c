/* SPDX-License-Identifier: BSD-2-Clause */
/* The arm64 device tree: build it, parse it back with libfdt, check it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/pl011.h"
#include "stdvmm/virtio.h"
#include "stdvmm/vm.h"

#define FDT_BUF 16384

/* The builder only reads region addresses; the host mappings are never touched. */
static uint8_t fake_ram[2][64];

static int dummy_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)opaque, (void)offset, (void)size;
    *value = 0;
    return 0;
}

static int dummy_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    (void)opaque, (void)offset, (void)size, (void)value;
    return 0;
}

static const struct vmm_mmio_ops dummy_ops = {.read = dummy_read, .write = dummy_write};
static const char virtio_compat[] = "virtio,mmio";

struct fixture {
    struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    struct pl011 uart;
    struct vmm_device virtio;
    struct vmm_arm64_boot boot;
    uint8_t fdt[FDT_BUF];
};

static struct fixture *setup(unsigned nr_vcpus, bool two_ram_regions)
{
    struct fixture *f = calloc(1, sizeof(*f));
    uint64_t vbase;
    unsigned virq;

    assert_non_null(f);
    assert_int_equal(vmm_vm_init(&f->vm, "fdt-test", nr_vcpus), 0);
    vmm_arm64_default_layout(&f->layout);
    assert_int_equal(vmm_vm_add_ram(&f->vm, 0x40000000, 0x10000000, fake_ram[0]), 0);
    if (two_ram_regions)
        assert_int_equal(vmm_vm_add_ram(&f->vm, 0x100000000ull, 0x40000000, fake_ram[1]), 0);
    vmm_pl011_init(&f->uart, &f->vm, "uart0", f->layout.uart_base, f->layout.uart_irq,
                   VMM_ARM64_PHANDLE_APB_PCLK, NULL);
    assert_int_equal(vmm_vm_add_device(&f->vm, &f->uart.dev), 0);
    assert_int_equal(vmm_arm64_virtio_slot(&f->layout, 1, &vbase, &virq), 0);
    f->virtio = (struct vmm_device){
        .name = "virtio-blk0",
        .node_name = "virtio_mmio",
        .compatible = virtio_compat,
        .compatible_len = sizeof(virtio_compat),
        .base = vbase,
        .size = 0x200,
        .irq = virq,
        .ops = &dummy_ops,
        .fdt_props = vmm_virtio_mmio_fdt_props, /* the transport's hook: dma-coherent */
    };
    assert_int_equal(vmm_vm_add_device(&f->vm, &f->virtio), 0);
    f->boot = (struct vmm_arm64_boot){
        .cmdline = "console=ttyAMA0 earlycon=pl011,0x9000000",
        .stdout_path = "/pl011@9000000",
    };
    return f;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);

    if (off < 0)
        fail_msg("no node %s: %s", path, fdt_strerror(off));
    return off;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    const void *p = fdt_getprop(fdt, node(fdt, path), name, len);

    if (p == NULL)
        fail_msg("no property %s in %s", name, path);
    return p;
}

static void assert_str_prop(const void *fdt, const char *path, const char *name, const char *want,
                            size_t want_len)
{
    int len;
    const void *p = prop(fdt, path, name, &len);

    assert_int_equal(len, want_len);
    assert_memory_equal(p, want, want_len);
}

#define ASSERT_STR(fdt, path, name, lit) assert_str_prop(fdt, path, name, lit, sizeof(lit))

/* Property @name of @path as @n big-endian cells. */
static void assert_cells(const void *fdt, const char *path, const char *name, const uint32_t *want,
                         int n)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);

    assert_int_equal(len, n * 4);
    for (int i = 0; i < n; i++)
        assert_int_equal(fdt32_to_cpu(p[i]), want[i]);
}

static void assert_u32(const void *fdt, const char *path, const char *name, uint32_t want)
{
    assert_cells(fdt, path, name, &want, 1);
}

static void assert_u64(const void *fdt, const char *path, const char *name, uint64_t want)
{
    int len;
    const void *p = prop(fdt, path, name, &len);
    fdt64_t v;

    assert_int_equal(len, 8);
    memcpy(&v, p, sizeof(v)); /* properties are only 4-byte aligned */
    assert_int_equal(fdt64_to_cpu(v), want);
}

static void assert_flag(const void *fdt, const char *path, const char *name)
{
    int len;

    prop(fdt, path, name, &len);
    assert_int_equal(len, 0);
}

static void check_common(const void *fdt, const struct fixture *f)
{
    static const uint32_t timer_irqs[12] = {1, 13, 8, 1, 14, 8, 1, 11, 8, 1, 10, 8};
    const uint32_t psci_len = sizeof("arm,psci-1.0\0arm,psci-0.2");
    unsigned n = f->vm.nr_vcpus;
    uint32_t gic_reg[8] = {0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x20000 * n};

    assert_int_equal(fdt_check_header(fdt), 0);
    assert_u32(fdt, "/", "#address-cells", 2);
    assert_u32(fdt, "/", "#size-cells", 2);
    ASSERT_STR(fdt, "/", "compatible", "linux,dummy-virt");
    assert_u32(fdt, "/", "interrupt-parent", VMM_ARM64_PHANDLE_GIC);

    ASSERT_STR(fdt, "/intc@8000000", "compatible", "arm,gic-v3");
    assert_u32(fdt, "/intc@8000000", "#interrupt-cells", 3);
    assert_flag(fdt, "/intc@8000000", "interrupt-controller");
    assert_cells(fdt, "/intc@8000000", "reg", gic_reg, 8);
    assert_u32(fdt, "/intc@8000000", "phandle", VMM_ARM64_PHANDLE_GIC);
    assert_int_equal(fdt_node_offset_by_phandle(fdt, VMM_ARM64_PHANDLE_GIC),
                     node(fdt, "/intc@8000000"));

    ASSERT_STR(fdt, "/timer", "compatible", "arm,armv8-timer");
    assert_cells(fdt, "/timer", "interrupts", timer_irqs, 12);
    assert_flag(fdt, "/timer", "always-on");

    assert_str_prop(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2", psci_len);
    ASSERT_STR(fdt, "/psci", "method", "hvc");

    ASSERT_STR(fdt, "/apb-pclk", "compatible", "fixed-clock");
    assert_u32(fdt, "/apb-pclk", "#clock-cells", 0);
    assert_u32(fdt, "/apb-pclk", "clock-frequency", 24000000);
    assert_u32(fdt, "/apb-pclk", "phandle", VMM_ARM64_PHANDLE_APB_PCLK);

    ASSERT_STR(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon=pl011,0x9000000");
    ASSERT_STR(fdt, "/chosen", "stdout-path", "/pl011@9000000");
}

static void check_cpus(const void *fdt, unsigned n)
{
    char path[32];
    int cpus = node(fdt, "/cpus"), count = 0, child;

    assert_u32(fdt, "/cpus", "#address-cells", 1);
    assert_u32(fdt, "/cpus", "#size-cells", 0);
    fdt_for_each_subnode(child, fdt, cpus) count++;
    assert_int_equal(count, n);
    for (unsigned i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/cpus/cpu@%x", i);
        ASSERT_STR(fdt, path, "device_type", "cpu");
        ASSERT_STR(fdt, path, "compatible", "arm,arm-v8");
        ASSERT_STR(fdt, path, "enable-method", "psci");
        assert_u32(fdt, path, "reg", i); /* Aff0 = i for i < 16 */
    }
}

static void check_devices(const void *fdt)
{
    static const uint32_t uart_reg[4] = {0, 0x09000000, 0, 0x1000};
    static const uint32_t uart_irq[3] = {0, 1, 4};
    static const uint32_t clocks[2] = {VMM_ARM64_PHANDLE_APB_PCLK, VMM_ARM64_PHANDLE_APB_PCLK};
    static const uint32_t virtio_reg[4] = {0, 0x0a000200, 0, 0x200};
    static const uint32_t virtio_irq[3] = {0, 17, 4};
    int len;

    ASSERT_STR(fdt, "/pl011@9000000", "compatible", "arm,pl011\0arm,primecell");
    assert_cells(fdt, "/pl011@9000000", "reg", uart_reg, 4);
    assert_cells(fdt, "/pl011@9000000", "interrupts", uart_irq, 3);
    assert_cells(fdt, "/pl011@9000000", "clocks", clocks, 2);
    ASSERT_STR(fdt, "/pl011@9000000", "clock-names", "uartclk\0apb_pclk");
    assert_null(fdt_getprop(fdt, node(fdt, "/pl011@9000000"), "dma-coherent", &len));

    ASSERT_STR(fdt, "/virtio_mmio@a000200", "compatible", "virtio,mmio");
    assert_cells(fdt, "/virtio_mmio@a000200", "reg", virtio_reg, 4);
    assert_cells(fdt, "/virtio_mmio@a000200", "interrupts", virtio_irq, 3);
    assert_flag(fdt, "/virtio_mmio@a000200", "dma-coherent");
}

static void fdt_one_vcpu_with_initrd_and_two_devices(void **state)
{
    struct fixture *f = setup(1, false);
    static const uint32_t mem_reg[4] = {0, 0x40000000, 0, 0x10000000};
    int size;
    (void)state;

    size = vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0x48000000, 0x48123456, f->fdt,
                               sizeof(f->fdt));
    assert_true(size > 0);
    assert_int_equal(size, fdt_totalsize(f->fdt));
    check_common(f->fdt, f);
    check_cpus(f->fdt, 1);
    check_devices(f->fdt);
    ASSERT_STR(f->fdt, "/memory@40000000", "device_type", "memory");
    assert_cells(f->fdt, "/memory@40000000", "reg", mem_reg, 4);
    assert_u64(f->fdt, "/chosen", "linux,initrd-start", 0x48000000);
    assert_u64(f->fdt, "/chosen", "linux,initrd-end", 0x48123456);
    free(f);
}

static void fdt_four_vcpus_and_two_memory_regions(void **state)
{
    struct fixture *f = setup(4, true);
    static const uint32_t mem1_reg[4] = {1, 0, 0, 0x40000000};
    int size;
    (void)state;

    size = vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0x40800000, 0x40900000, f->fdt,
                               sizeof(f->fdt));
    assert_true(size > 0);
    check_common(f->fdt, f);
    check_cpus(f->fdt, 4);
    check_devices(f->fdt);
    assert_cells(f->fdt, "/memory@100000000", "reg", mem1_reg, 4);
    ASSERT_STR(f->fdt, "/memory@40000000", "device_type", "memory");
    assert_u64(f->fdt, "/chosen", "linux,initrd-start", 0x40800000);
    assert_u64(f->fdt, "/chosen", "linux,initrd-end", 0x40900000);
    free(f);
}

static void fdt_omits_initrd_and_bootargs_when_not_given(void **state)
{
    struct fixture *f = setup(2, false);
    int len, chosen;
    (void)state;

    f->boot.cmdline = NULL;
    assert_true(vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0, 0, f->fdt, sizeof(f->fdt)) >
                0);
    chosen = node(f->fdt, "/chosen");
    assert_null(fdt_getprop(f->fdt, chosen, "linux,initrd-start", &len));
    assert_null(fdt_getprop(f->fdt, chosen, "linux,initrd-end", &len));
    assert_null(fdt_getprop(f->fdt, chosen, "bootargs", &len));
    ASSERT_STR(f->fdt, "/chosen", "stdout-path", "/pl011@9000000");
    free(f);
}

/* Every buffer shorter than the tree fails cleanly (ASan watches the edge). */
static void fdt_small_buffer_returns_enospc(void **state)
{
    struct fixture *f = setup(4, true);
    int size;
    (void)state;

    size = vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0x40800000, 0x40900000, f->fdt,
                               sizeof(f->fdt));
    assert_true(size > 0);
    for (int len = 0; len < size; len += (len < 128 ? 1 : 61)) {
        uint8_t *buf = malloc(len ? (size_t)len : 1);

        assert_int_equal(vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0x40800000, 0x40900000,
                                             buf, (size_t)len),
                         -VMM_ENOSPC);
        free(buf);
    }
    {
        uint8_t *buf = malloc((size_t)size);

        assert_int_equal(vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0x40800000, 0x40900000,
                                             buf, (size_t)size),
                         size);
        assert_int_equal(fdt_check_header(buf), 0);
        free(buf);
    }
    free(f);
}

static void fdt_rejects_redistributor_window_too_small(void **state)
{
    struct fixture *f = setup(4, false);
    (void)state;

    f->layout.gicr_size = vmm_arm64_gicr_size(3);
    assert_int_equal(
        vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0, 0, f->fdt, sizeof(f->fdt)),
        -VMM_EINVAL);
    free(f);
}

static int failing_props(const struct vmm_device *dev, void *fdt)
{
    (void)dev, (void)fdt;
    return -FDT_ERR_BADVALUE;
}

static void fdt_reports_device_callback_failure(void **state)
{
    struct fixture *f = setup(1, false);
    (void)state;

    f->virtio.fdt_props = failing_props;
    assert_int_equal(
        vmm_arm64_build_fdt(&f->vm, &f->layout, &f->boot, 0, 0, f->fdt, sizeof(f->fdt)),
        -VMM_EINVAL);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fdt_one_vcpu_with_initrd_and_two_devices),
        cmocka_unit_test(fdt_four_vcpus_and_two_memory_regions),
        cmocka_unit_test(fdt_omits_initrd_and_bootargs_when_not_given),
        cmocka_unit_test(fdt_small_buffer_returns_enospc),
        cmocka_unit_test(fdt_rejects_redistributor_window_too_small),
        cmocka_unit_test(fdt_reports_device_callback_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
