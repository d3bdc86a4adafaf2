/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64 layout helpers and vmm_arm64_boot_prepare() placement. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include "stdvmm/arm64.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

#define MiB 0x100000ull
#define RAM_GPA 0x40000000ull

struct fixture {
    struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    uint8_t *ram;
    uint64_t ram_size;
    uint8_t kernel[8192];
    uint8_t initrd[10000];
    struct vmm_arm64_boot boot;
};

static struct fixture *setup(uint64_t ram_size, uint64_t text_offset, uint64_t image_size)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->ram = calloc(1, ram_size);
    assert_non_null(f->ram);
    f->ram_size = ram_size;
    assert_int_equal(vmm_vm_init(&f->vm, "boot-test", 2), 0);
    assert_int_equal(vmm_vm_add_ram(&f->vm, RAM_GPA, ram_size, f->ram), 0);
    vmm_arm64_default_layout(&f->layout);
    for (size_t i = 0; i < sizeof(f->kernel); i++)
        f->kernel[i] = (uint8_t)(i * 7 + 1);
    memset(f->kernel, 0, 64);
    vmm_put_le64(f->kernel + 8, text_offset);
    vmm_put_le64(f->kernel + 16, image_size);
    vmm_put_le64(f->kernel + 24, 0xa);
    memcpy(f->kernel + 56, "ARM\x64", 4);
    for (size_t i = 0; i < sizeof(f->initrd); i++)
        f->initrd[i] = (uint8_t)(i * 13 + 5);
    f->boot = (struct vmm_arm64_boot){
        .kernel = f->kernel,
        .kernel_size = sizeof(f->kernel),
        .initrd = f->initrd,
        .initrd_size = sizeof(f->initrd),
        .cmdline = "console=ttyAMA0",
    };
    return f;
}

static void teardown(struct fixture *f)
{
    free(f->ram);
    free(f);
}

static uint8_t *at(struct fixture *f, uint64_t gpa)
{
    return f->ram + (gpa - RAM_GPA);
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

static uint64_t chosen_u64(const void *fdt, const char *name)
{
    int len;
    const void *p = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), name, &len);
    fdt64_t v;

    assert_non_null(p);
    assert_int_equal(len, 8);
    memcpy(&v, p, 8);
    return fdt64_to_cpu(v);
}

static void boot_places_kernel_initrd_and_dtb_without_overlap(void **state)
{
    struct fixture *f = setup(16 * MiB, 0x80000, 3 * MiB + 0x1234);
    struct vmm_arm64_boot_info info;
    uint64_t ram_end = RAM_GPA + f->ram_size;
    (void)state;

    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), 0);
    /* Kernel: text_offset from the 2 MiB aligned RAM base; entry is its start. */
    assert_int_equal(info.kernel_gpa, RAM_GPA + 0x80000);
    assert_int_equal(info.entry, info.kernel_gpa);
    assert_int_equal(info.kernel_end, info.kernel_gpa + 3 * MiB + 0x1234);
    assert_memory_equal(at(f, info.kernel_gpa), f->kernel, sizeof(f->kernel));
    /* Initrd: page aligned, after the whole image_size, copied intact. */
    assert_int_equal(info.initrd_gpa % 0x1000, 0);
    assert_true(info.initrd_gpa >= info.kernel_end);
    assert_int_equal(info.initrd_end - info.initrd_gpa, sizeof(f->initrd));
    assert_memory_equal(at(f, info.initrd_gpa), f->initrd, sizeof(f->initrd));
    /* DTB: 8-byte aligned, inside RAM, below 2 MiB, overlapping nothing. */
    assert_int_equal(info.dtb_gpa % 8, 0);
    assert_true(info.dtb_size > 0 && info.dtb_size < VMM_ARM64_FDT_MAX_SIZE);
    assert_true(info.dtb_gpa >= RAM_GPA && info.dtb_gpa + info.dtb_size <= ram_end);
    assert_false(
        overlaps(info.dtb_gpa, info.dtb_gpa + info.dtb_size, info.kernel_gpa, info.kernel_end));
    assert_false(
        overlaps(info.dtb_gpa, info.dtb_gpa + info.dtb_size, info.initrd_gpa, info.initrd_end));
    /* The tree in guest RAM is valid and tells the kernel where the initrd is. */
    assert_int_equal(fdt_check_header(at(f, info.dtb_gpa)), 0);
    assert_int_equal(fdt_totalsize(at(f, info.dtb_gpa)), info.dtb_size);
    assert_int_equal(chosen_u64(at(f, info.dtb_gpa), "linux,initrd-start"), info.initrd_gpa);
    assert_int_equal(chosen_u64(at(f, info.dtb_gpa), "linux,initrd-end"), info.initrd_end);
    teardown(f);
}

static void boot_without_initrd_reports_zero_range(void **state)
{
    struct fixture *f = setup(8 * MiB, 0, 2 * MiB);
    struct vmm_arm64_boot_info info;
    int len;
    (void)state;

    f->boot.initrd = NULL;
    f->boot.initrd_size = 0;
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), 0);
    assert_int_equal(info.kernel_gpa, RAM_GPA);
    assert_int_equal(info.initrd_gpa, 0);
    assert_int_equal(info.initrd_end, 0);
    assert_true(info.dtb_gpa >= info.kernel_end);
    assert_null(fdt_getprop(at(f, info.dtb_gpa), fdt_path_offset(at(f, info.dtb_gpa), "/chosen"),
                            "linux,initrd-start", &len));
    teardown(f);
}

static void boot_rounds_ram_base_up_to_2mib(void **state)
{
    struct fixture *f = setup(8 * MiB, 0x80000, 1 * MiB);
    struct vmm_arm64_boot_info info;
    (void)state;

    f->layout.ram_base = RAM_GPA + 0x1000;
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), 0);
    assert_int_equal(info.kernel_gpa, RAM_GPA + 2 * MiB + 0x80000);
    teardown(f);
}

static void boot_rejects_kernel_larger_than_ram(void **state)
{
    struct fixture *f = setup(4 * MiB, 0x80000, 4 * MiB);
    struct vmm_arm64_boot_info info;
    (void)state;

    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    /* text_offset alone past the end of RAM. */
    vmm_put_le64(f->kernel + 8, 8 * MiB);
    vmm_put_le64(f->kernel + 16, 0x10000);
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    teardown(f);
}

static void boot_rejects_initrd_or_dtb_not_fitting(void **state)
{
    /* The kernel takes all but 8 KiB: the initrd (10000 bytes) cannot fit. */
    struct fixture *f = setup(4 * MiB, 0, 4 * MiB - 0x2000);
    struct vmm_arm64_boot_info info;
    (void)state;

    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    /* Without initrd, 8 KiB is room for this DTB. */
    f->boot.initrd = NULL;
    f->boot.initrd_size = 0;
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), 0);
    /* With 256 bytes left, it is not. */
    vmm_put_le64(f->kernel + 16, 4 * MiB - 0x100);
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    /* And with none left at all. */
    vmm_put_le64(f->kernel + 16, 4 * MiB);
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    teardown(f);
}

static void boot_rejects_missing_ram_and_bad_images(void **state)
{
    struct fixture *f = setup(4 * MiB, 0, 1 * MiB);
    struct vmm_arm64_boot_info info;
    (void)state;

    f->layout.ram_base = 0x80000000ull; /* no RAM there */
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_E2BIG);
    vmm_arm64_default_layout(&f->layout);
    f->kernel[56] = 'X';
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_ENOEXEC);
    f->boot.kernel = NULL;
    assert_int_equal(vmm_arm64_boot_prepare(&f->vm, &f->layout, &f->boot, &info), -VMM_EINVAL);
    teardown(f);
}

static void layout_defaults_match_qemu_virt(void **state)
{
    struct vmm_arm64_layout l;
    uint64_t base;
    unsigned irq;
    (void)state;

    vmm_arm64_default_layout(&l);
    assert_int_equal(l.gicd_base, 0x08000000);
    assert_int_equal(l.gicd_size, 0x10000);
    assert_int_equal(l.gicr_base, 0x080a0000);
    assert_int_equal(l.gicr_size, 0x20000 * VMM_MAX_VCPUS);
    assert_true(l.gicr_base + l.gicr_size <= l.uart_base);
    assert_int_equal(l.uart_base, 0x09000000);
    assert_int_equal(l.uart_size, 0x1000);
    assert_int_equal(l.uart_irq, 1);
    assert_int_equal(l.ram_base, 0x40000000);
    assert_int_equal(vmm_arm64_virtio_slot(&l, 0, &base, &irq), 0);
    assert_int_equal(base, 0x0a000000);
    assert_int_equal(irq, 16);
    assert_int_equal(vmm_arm64_virtio_slot(&l, 3, &base, &irq), 0);
    assert_int_equal(base, 0x0a000600);
    assert_int_equal(irq, 19);
    assert_int_equal(vmm_arm64_virtio_slot(&l, VMM_MAX_IRQ_LINES - 16, &base, &irq), -VMM_ERANGE);
}

static void layout_mpidr_follows_kvm_default(void **state)
{
    (void)state;
    assert_int_equal(vmm_arm64_vcpu_mpidr(0), 0);
    assert_int_equal(vmm_arm64_vcpu_mpidr(5), 5);
    assert_int_equal(vmm_arm64_vcpu_mpidr(15), 0xf);
    assert_int_equal(vmm_arm64_vcpu_mpidr(16), 0x100);
    assert_int_equal(vmm_arm64_vcpu_mpidr(37), 0x205);
}

static void layout_device_path_formats_hex_and_checks_room(void **state)
{
    struct vmm_device dev = {.name = "uart0", .node_name = "pl011", .base = 0x9000000};
    char buf[32];
    (void)state;

    assert_int_equal(vmm_arm64_device_path(&dev, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/pl011@9000000");
    assert_int_equal(vmm_arm64_device_path(&dev, buf, 15), 0);
    assert_int_equal(vmm_arm64_device_path(&dev, buf, 14), -VMM_ENOSPC);
    assert_int_equal(vmm_arm64_device_path(&dev, buf, 0), -VMM_ENOSPC);
    dev.base = 0;
    assert_int_equal(vmm_arm64_device_path(&dev, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/pl011@0");
    dev.base = UINT64_MAX;
    assert_int_equal(vmm_arm64_device_path(&dev, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/pl011@ffffffffffffffff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boot_places_kernel_initrd_and_dtb_without_overlap),
        cmocka_unit_test(boot_without_initrd_reports_zero_range),
        cmocka_unit_test(boot_rounds_ram_base_up_to_2mib),
        cmocka_unit_test(boot_rejects_kernel_larger_than_ram),
        cmocka_unit_test(boot_rejects_initrd_or_dtb_not_fitting),
        cmocka_unit_test(boot_rejects_missing_ram_and_bad_images),
        cmocka_unit_test(layout_defaults_match_qemu_virt),
        cmocka_unit_test(layout_mpidr_follows_kvm_default),
        cmocka_unit_test(layout_device_path_formats_hex_and_checks_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
