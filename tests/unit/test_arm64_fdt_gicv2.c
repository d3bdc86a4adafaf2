/* SPDX-License-Identifier: BSD-2-Clause */
/* The arm64 device tree with a GICv2 (seL4's QEMU virt platform): build it,
 * parse it back with libfdt, check the interrupt controller and timer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

#define FDT_BUF 16384

static uint8_t fake_ram[64];

struct fixture {
    struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    uint8_t fdt[FDT_BUF];
};

static struct fixture *setup(unsigned nr_vcpus)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(vmm_vm_init(&f->vm, "gicv2-test", nr_vcpus), 0);
    vmm_arm64_default_layout_gicv2(&f->layout);
    assert_int_equal(vmm_vm_add_ram(&f->vm, 0x40000000, 0x10000000, fake_ram), 0);
    return f;
}

static int build(struct fixture *f)
{
    return vmm_arm64_build_fdt(&f->vm, &f->layout, NULL, 0, 0, f->fdt, sizeof(f->fdt));
}

static uint64_t cells64(const fdt32_t *c)
{
    return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

static void gicv2_layout_uses_qemu_virt_addresses(void **state)
{
    struct vmm_arm64_layout l;

    (void)state;
    vmm_arm64_default_layout_gicv2(&l);
    assert_int_equal(l.gic_version, 2);
    assert_true(l.gicd_base == 0x08000000ull);
    assert_true(l.gicc_base == 0x08010000ull);
    assert_true(l.gicd_size == VMM_ARM64_GICV2_DIST_SIZE);
    assert_true(l.gicc_size >= 0x2000ull);
}

static void gicv2_node_has_distributor_and_cpu_interface(void **state)
{
    struct fixture *f = setup(2);
    const fdt32_t *reg;
    int node, len;

    (void)state;
    assert_true(build(f) > 0);
    node = fdt_path_offset(f->fdt, "/intc@8000000");
    assert_true(node >= 0);
    assert_int_equal(fdt_node_check_compatible(f->fdt, node, "arm,cortex-a15-gic"), 0);
    assert_int_not_equal(fdt_node_check_compatible(f->fdt, node, "arm,gic-v3"), 0);
    assert_non_null(fdt_getprop(f->fdt, node, "interrupt-controller", NULL));
    reg = fdt_getprop(f->fdt, node, "reg", &len);
    assert_non_null(reg);
    assert_int_equal(len, 32);
    assert_true(cells64(&reg[0]) == f->layout.gicd_base);
    assert_true(cells64(&reg[2]) == f->layout.gicd_size);
    assert_true(cells64(&reg[4]) == f->layout.gicc_base);
    assert_true(cells64(&reg[6]) == f->layout.gicc_size);
    assert_int_equal(fdt_get_phandle(f->fdt, node), VMM_ARM64_PHANDLE_GIC);
    free(f);
}

/* arm,gic.yaml: bits 15:8 of a PPI's flags name the CPUs it is wired to. */
static void gicv2_timer_ppis_carry_the_cpu_mask(void **state)
{
    struct fixture *f = setup(4);
    const fdt32_t *irqs;
    int node, len;

    (void)state;
    assert_true(build(f) > 0);
    node = fdt_path_offset(f->fdt, "/timer");
    assert_true(node >= 0);
    irqs = fdt_getprop(f->fdt, node, "interrupts", &len);
    assert_non_null(irqs);
    assert_int_equal(len, 48);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fdt32_to_cpu(irqs[3 * i]), 1); /* GIC_PPI */
        assert_int_equal(fdt32_to_cpu(irqs[3 * i + 2]), 0xf08);
    }
    free(f);
}

static void gicv3_timer_ppis_have_no_cpu_mask(void **state)
{
    struct fixture *f = setup(4);
    const fdt32_t *irqs;
    int node, len;

    (void)state;
    vmm_arm64_default_layout(&f->layout);
    assert_true(build(f) > 0);
    node = fdt_path_offset(f->fdt, "/timer");
    irqs = fdt_getprop(f->fdt, node, "interrupts", &len);
    assert_non_null(irqs);
    assert_int_equal(fdt32_to_cpu(irqs[2]), 8);
    node = fdt_path_offset(f->fdt, "/intc@8000000");
    assert_int_equal(fdt_node_check_compatible(f->fdt, node, "arm,gic-v3"), 0);
    free(f);
}

/* A layout that predates gic_version (zero-initialised) keeps GICv3. */
static void zero_gic_version_means_gicv3(void **state)
{
    struct fixture *f = setup(1);
    int node;

    (void)state;
    vmm_arm64_default_layout(&f->layout);
    f->layout.gic_version = 0;
    assert_true(build(f) > 0);
    node = fdt_path_offset(f->fdt, "/intc@8000000");
    assert_int_equal(fdt_node_check_compatible(f->fdt, node, "arm,gic-v3"), 0);
    free(f);
}

static void gicv2_rejects_more_than_eight_vcpus_and_unknown_versions(void **state)
{
    struct fixture *f = setup(8);

    (void)state;
    assert_true(build(f) > 0);
    f->vm.nr_vcpus = 9; /* beyond a GICv2's 8 CPU interfaces */
    assert_int_equal(build(f), -VMM_EINVAL);
    f->vm.nr_vcpus = 1;
    f->layout.gic_version = 4;
    assert_int_equal(build(f), -VMM_EINVAL);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gicv2_layout_uses_qemu_virt_addresses),
        cmocka_unit_test(gicv2_node_has_distributor_and_cpu_interface),
        cmocka_unit_test(gicv2_timer_ppis_carry_the_cpu_mask),
        cmocka_unit_test(gicv3_timer_ppis_have_no_cpu_mask),
        cmocka_unit_test(zero_gic_version_means_gicv3),
        cmocka_unit_test(gicv2_rejects_more_than_eight_vcpus_and_unknown_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
