/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arm64 Image header parser (vmm_arm64_parse_image) and boot placement
 * (vmm_arm64_boot_prepare): a kernel file, an initrd and a command line from
 * the input, placed into a small guest RAM of varying size and position.
 *
 * Input: byte 0 options (initrd, cmdline, stdout-path, RAM base), byte 1 RAM
 * size, bytes 2-3 kernel length, 4-5 initrd length, 6 cmdline length, then
 * the kernel, initrd and cmdline bytes. Checked: parse_image and
 * image_problem agree; on success the kernel sits at the 2 MiB aligned base
 * + text_offset with its bytes intact, the initrd and DTB follow without
 * overlap inside RAM, and the DTB passes fdt_check_full and a full walk with
 * the right bootargs and initrd range; RAM bounds (ASan).
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"

#define RAM_MAX 0x800000u

static void check_boot(const struct vmm_vm *vm, const struct vmm_arm64_layout *layout,
                       const struct vmm_arm64_boot *boot, const struct vmm_arm64_boot_info *info)
{
    struct vmm_arm64_image img;
    uint64_t base =
        (layout->ram_base + VMM_ARM64_KERNEL_ALIGN - 1) & ~(uint64_t)(VMM_ARM64_KERNEL_ALIGN - 1);
    const struct vmm_ram_region *ram = vmm_mem_find(&vm->mem, info->kernel_gpa, 1);
    const uint8_t *p;

    FZ_CHECK(vmm_arm64_parse_image(boot->kernel, boot->kernel_size, &img) == 0);
    FZ_CHECK(ram != NULL);
    FZ_CHECK(info->entry == info->kernel_gpa && info->kernel_gpa == base + img.text_offset);
    FZ_CHECK(info->kernel_end == info->kernel_gpa + img.image_size);
    p = vmm_gpa_to_hva(&vm->mem, info->kernel_gpa, boot->kernel_size);
    FZ_CHECK(p != NULL && memcmp(p, boot->kernel, boot->kernel_size) == 0);
    FZ_CHECK(vmm_mem_range_ok(&vm->mem, info->kernel_gpa, img.image_size));
    if (boot->initrd_size > 0) {
        FZ_CHECK(info->initrd_gpa >= info->kernel_end && (info->initrd_gpa & 0xfff) == 0);
        FZ_CHECK(info->initrd_end == info->initrd_gpa + boot->initrd_size);
        p = vmm_gpa_to_hva(&vm->mem, info->initrd_gpa, boot->initrd_size);
        FZ_CHECK(p != NULL && memcmp(p, boot->initrd, boot->initrd_size) == 0);
    } else {
        FZ_CHECK(info->initrd_gpa == 0 && info->initrd_end == 0);
    }
    FZ_CHECK(info->dtb_gpa >= info->kernel_end && info->dtb_gpa >= info->initrd_end);
    FZ_CHECK(info->dtb_size <= VMM_ARM64_FDT_MAX_SIZE && (info->dtb_gpa & 7) == 0);
    p = vmm_gpa_to_hva(&vm->mem, info->dtb_gpa, info->dtb_size);
    FZ_CHECK(p != NULL && vmm_mem_find(&vm->mem, info->dtb_gpa, 1) == ram);
    (void)fz_fdt_check(p, info->dtb_size, boot->cmdline, info->initrd_gpa, info->initrd_end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t ram_sizes[8] = {0x10000,  0x100000, 0x200000, 0x201000,
                                          0x280000, 0x300000, 0x400000, RAM_MAX};
    static char cmdline[256];
    static uint8_t *ram_buf; /* reused: allocating 8 MiB per input is slow */
    struct fz_in in = {data, size};
    uint8_t opt = fz_u8(&in), ramsel = fz_u8(&in);
    uint16_t klen = fz_u16(&in), ilen = fz_u16(&in);
    uint8_t clen = fz_u8(&in);
    struct vmm_arm64_layout layout;
    struct vmm_arm64_boot boot = {0};
    struct vmm_arm64_boot_info info;
    struct vmm_arm64_image img;
    struct vmm_vm vm;
    uint64_t ram_gpa = VMM_ARM64_RAM_BASE + ((opt & 0x18) == 0x08 ? 0x1000 : 0);
    uint32_t ram_size = ram_sizes[ramsel & 7];
    const uint8_t *cl, *kp, *ip;
    uint8_t *ram;
    int ret;

    fz_log_init();
    boot.kernel_size = fz_take(&in, klen, &kp);
    boot.kernel = kp;
    /* The parser alone, on exactly the kernel bytes. */
    ret = vmm_arm64_parse_image(boot.kernel, boot.kernel_size, &img);
    FZ_CHECK((ret == 0) == (vmm_arm64_image_problem(boot.kernel, boot.kernel_size) == NULL));
    FZ_CHECK(ret == 0 || ret == -VMM_ENOEXEC);
    if (ret == 0)
        FZ_CHECK(img.image_size >= boot.kernel_size &&
                 img.text_offset <= UINT64_MAX - img.image_size);
    if (opt & 1) {
        boot.initrd_size = fz_take(&in, ilen, &ip);
        boot.initrd = ip;
    }
    if (opt & 2) {
        size_t n = fz_take(&in, clen, &cl);

        memcpy(cmdline, cl, n);
        cmdline[n] = '\0';
        boot.cmdline = cmdline;
    }
    if (opt & 4)
        boot.stdout_path = "/pl011@9000000";
    if (boot.kernel == NULL) /* vmm_arm64_boot_prepare wants a kernel pointer */
        boot.kernel = "";

    FZ_CHECK(vmm_vm_init(&vm, "fuzz", 1 + (opt >> 5)) == 0);
    if (ram_buf == NULL)
        ram_buf = malloc(RAM_MAX);
    FZ_CHECK(ram_buf != NULL);
    /* At the end of one allocation: a write past RAM hits ASan's redzone. */
    ram = ram_buf + RAM_MAX - ram_size;
    FZ_CHECK(vmm_vm_add_ram(&vm, ram_gpa, ram_size, ram) == 0);
    vmm_arm64_default_layout(&layout);
    if ((opt & 0x18) == 0x18)
        layout.ram_base = ram_gpa + 0x200000; /* the kernel base above the start of RAM */
    ret = vmm_arm64_boot_prepare(&vm, &layout, &boot, &info);
    if (ret == 0)
        check_boot(&vm, &layout, &boot, &info);
    else
        FZ_CHECK(ret == -VMM_ENOEXEC || ret == -VMM_E2BIG || ret == -VMM_ENOSPC ||
                 ret == -VMM_EFAULT);
    return 0;
}
