/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine builder (src/machine) against a fake port and a fake backend provider. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include "machine/machine_internal.h"
#include "stdvmm/err.h"
#include "stdvmm/machine.h"
#include "stdvmm/posix/net.h"
#include "stdvmm/virtio.h"

#define RAM_SIZE (64u << 20)
#define KERNEL_SIZE 8192

struct fake {
    struct vmm_machine m;
    struct vmm_machine_desc desc;
    struct vmm_backend_provider provider;
    uint8_t storage[64 * 1024] __attribute__((aligned(16)));
    uint8_t *ram;
    uint8_t kernel[KERNEL_SIZE];
    /* what the port saw */
    unsigned map_calls, starts, resets;
    uint64_t start_pc, start_x0;
    unsigned start_vcpu;
    /* backends */
    struct vmm_blk_backend blk;
    struct vmm_entropy_backend entropy;
    struct vmm_event_backend event;
    unsigned opens, closes;
    int open_fails; /* class index + 1 whose open fails */
};

static int fake_irq_set(void *port, unsigned line, bool level)
{
    (void)port;
    (void)line;
    (void)level;
    return 0;
}

static int fake_map_ram(void *port, uint64_t gpa, uint64_t size, void **hva)
{
    struct fake *f = port;

    f->map_calls++;
    f->ram = calloc(1, size);
    assert_non_null(f->ram);
    *hva = f->ram;
    return vmm_vm_add_ram(&f->m.vm, gpa, size, f->ram);
}

static int fake_vcpu_start(void *port, unsigned vcpu, uint64_t pc, uint64_t x0)
{
    struct fake *f = port;

    f->starts++;
    f->start_vcpu = vcpu;
    f->start_pc = pc;
    f->start_x0 = x0;
    return 0;
}

static int fake_reset(void *port)
{
    struct fake *f = port;

    f->resets++;
    return 0;
}

static const struct vmm_port_ops fake_port = {
    .irq_set = fake_irq_set,
    .map_ram = fake_map_ram,
    .vcpu_start = fake_vcpu_start,
    .reset = fake_reset,
};

static int fake_submit(void *ctx, struct vmm_blk_req *req)
{
    (void)ctx;
    req->complete(req, 0);
    return 0;
}

static long fake_fill(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x5a, len);
    return (long)len;
}

static void fake_signal(void *ctx)
{
    (void)ctx;
}

static long fake_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return (long)len;
}

static const struct vmm_stream_backend fake_console = {.write = fake_write};

static int fake_open(void *ctx, struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct fake *f = ctx;

    (void)m;
    f->opens++;
    if (f->open_fails == (int)(d->cls - vmm_device_classes) + 1)
        return -VMM_ENOENT;
    switch (d->cls->backend) {
    case VMM_BACKEND_BLK:
        d->backend = &f->blk;
        break;
    case VMM_BACKEND_ENTROPY:
        d->backend = &f->entropy;
        break;
    case VMM_BACKEND_EVENT:
        d->backend = &f->event;
        break;
    default:
        return -VMM_ENOTSUP;
    }
    d->backend_state = f;
    return 0;
}

static void fake_close(void *ctx, struct vmm_machine_dev *d)
{
    struct fake *f = ctx;

    (void)d;
    f->closes++;
}

static struct fake *fake_new(enum vmm_console_kind console)
{
    struct fake *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    memset(f->kernel, 0x11, sizeof(f->kernel));
    memset(f->kernel, 0, 64);
    f->kernel[16] = KERNEL_SIZE & 0xff; /* image_size, little endian */
    f->kernel[17] = KERNEL_SIZE >> 8;
    memcpy(f->kernel + 56, "ARM\x64", 4);
    f->blk = (struct vmm_blk_backend){.nr_sectors = 2048, .submit = fake_submit};
    f->entropy = (struct vmm_entropy_backend){.fill = fake_fill};
    f->event = (struct vmm_event_backend){.signal = fake_signal};
    f->provider = (struct vmm_backend_provider){
        .open = fake_open, .close = fake_close, .console = &fake_console, .ctx = f};
    f->desc = (struct vmm_machine_desc){
        .name = "test",
        .gic_version = 3,
        .ram_base = VMM_ARM64_RAM_BASE,
        .ram_size = RAM_SIZE,
        .nr_vcpus = 2,
        .console = console,
        .kernel = f->kernel,
        .kernel_size = sizeof(f->kernel),
        .cmdline = "console=ttyAMA0",
    };
    return f;
}

static void fake_add(struct fake *f, const char *cls, const char *options)
{
    f->desc.devices[f->desc.nr_devices++] =
        (struct vmm_machine_device_desc){.cls = cls, .options = options};
}

static int fake_build(struct fake *f)
{
    int ret = vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, sizeof(f->storage));

    if (ret < 0)
        return ret;
    vmm_vm_set_port(&f->m.vm, &fake_port, f);
    return vmm_machine_build(&f->m);
}

static void fake_free(struct fake *f)
{
    vmm_machine_close(&f->m);
    free(f->ram);
    free(f);
}

static const void *dtb_of(struct fake *f)
{
    return vmm_gpa_to_hva(&f->m.vm.mem, f->m.info.dtb_gpa, f->m.info.dtb_size);
}

static void machine_builds_consoles_then_devices_in_slot_order(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_VIRTIO);
    uint64_t base;
    unsigned irq;
    (void)state;

    fake_add(f, "rng", NULL);
    fake_add(f, "disk", "a.img");
    fake_add(f, "disk", "b.img,ro");
    assert_int_equal(fake_build(f), 0);
    assert_int_equal(f->map_calls, 1);
    assert_int_equal(f->m.nr_devs, 3);
    /* virtio-console takes slot 0, then the devices in description order */
    assert_non_null(vmm_vm_find_device(&f->m.vm, "virtio-console0"));
    assert_non_null(vmm_vm_find_device(&f->m.vm, "pl011"));
    assert_string_equal(f->m.devs[0].name, "virtio-rng0");
    assert_string_equal(f->m.devs[1].name, "virtio-blk0");
    assert_string_equal(f->m.devs[2].name, "virtio-blk1");
    vmm_arm64_virtio_slot(&f->m.layout, 3, &base, &irq);
    assert_int_equal(f->m.devs[2].base, base);
    assert_int_equal(f->m.devs[2].irq, irq);
    assert_int_equal(f->opens, 3);
    /* vCPU 0 waits at the kernel entry with x0 = the DTB */
    assert_int_equal(f->starts, 1);
    assert_int_equal(f->start_vcpu, 0);
    assert_int_equal(f->start_pc, f->m.info.entry);
    assert_int_equal(f->start_x0, f->m.info.dtb_gpa);
    assert_int_equal(f->m.boots, 1);
    assert_int_equal(f->m.vm.vcpus[1].affinity, vmm_arm64_vcpu_mpidr(1));
    fake_free(f);
    assert_true(1);
}

static void machine_dtb_has_virtio_dma_coherent_and_pl011_clocks(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_SERIAL);
    const void *dtb;
    int node, len;
    (void)state;

    fake_add(f, "disk", "a.img");
    fake_add(f, "boot-timer", NULL);
    assert_int_equal(fake_build(f), 0);
    dtb = dtb_of(f);
    assert_non_null(dtb);
    node = fdt_path_offset(dtb, "/virtio_mmio@a000000");
    assert_true(node >= 0);
    assert_non_null(fdt_getprop(dtb, node, "dma-coherent", &len));
    node = fdt_path_offset(dtb, "/pl011@9000000");
    assert_true(node >= 0);
    assert_non_null(fdt_getprop(dtb, node, "clocks", &len));
    assert_null(fdt_getprop(dtb, node, "dma-coherent", &len));
    node = fdt_path_offset(dtb, "/boot-timer@9100000");
    assert_true(node >= 0);
    fake_free(f);
}

static void machine_without_boot_timer_has_no_boot_timer_node(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_SERIAL);
    (void)state;

    assert_int_equal(fake_build(f), 0);
    assert_null(vmm_vm_find_device(&f->m.vm, "boot-timer0"));
    assert_true(fdt_path_offset(dtb_of(f), "/boot-timer@9100000") < 0);
    fake_free(f);
}

static void machine_reset_resets_devices_and_places_the_images_again(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_VIRTIO);
    struct vmm_device *blk;
    uint64_t status = 0;
    uint8_t *kernel_in_ram;
    (void)state;

    fake_add(f, "disk", "a.img");
    assert_int_equal(fake_build(f), 0);
    blk = vmm_vm_find_device(&f->m.vm, "virtio-blk0");
    assert_non_null(blk);
    /* the driver set ACKNOWLEDGE|DRIVER; the guest scribbled over its kernel */
    assert_int_equal(blk->ops->write(blk->opaque, VIRTIO_MMIO_STATUS, 4, 3), 0);
    assert_int_equal(blk->ops->read(blk->opaque, VIRTIO_MMIO_STATUS, 4, &status), 0);
    assert_int_equal(status, 3);
    kernel_in_ram = vmm_gpa_to_hva(&f->m.vm.mem, f->m.info.kernel_gpa, KERNEL_SIZE);
    assert_non_null(kernel_in_ram);
    memset(kernel_in_ram, 0xee, KERNEL_SIZE);

    assert_int_equal(vmm_machine_reset(&f->m), 0);
    assert_int_equal(f->resets, 1);
    assert_int_equal(f->starts, 2);
    assert_int_equal(f->start_pc, f->m.info.entry);
    assert_int_equal(f->m.boots, 2);
    assert_int_equal(blk->ops->read(blk->opaque, VIRTIO_MMIO_STATUS, 4, &status), 0);
    assert_int_equal(status, 0);
    assert_memory_equal(kernel_in_ram, f->kernel, KERNEL_SIZE);
    assert_int_equal(f->closes, 0); /* backends stay open across a reset */
    fake_free(f);
}

static void machine_reset_needs_the_port_reset(void **state)
{
    static const struct vmm_port_ops no_reset = {
        .irq_set = fake_irq_set, .map_ram = fake_map_ram, .vcpu_start = fake_vcpu_start};
    struct fake *f = fake_new(VMM_CONSOLE_SERIAL);
    (void)state;

    assert_int_equal(
        vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, sizeof(f->storage)), 0);
    vmm_vm_set_port(&f->m.vm, &no_reset, f);
    assert_int_equal(vmm_machine_build(&f->m), 0);
    assert_int_equal(vmm_machine_reset(&f->m), -VMM_ENOTSUP);
    fake_free(f);
}

static void machine_rejects_bad_descriptions(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_SERIAL);
    (void)state;

    fake_add(f, "floppy", "a.img");
    assert_int_equal(
        vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, sizeof(f->storage)),
        -VMM_EINVAL);
    f->desc.nr_devices = 0;
    fake_add(f, "rng", NULL);
    fake_add(f, "rng", NULL); /* max 1 */
    assert_int_equal(
        vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, sizeof(f->storage)),
        -VMM_ENOSPC);
    f->desc.nr_devices = 1;
    assert_int_equal(vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, 16),
                     -VMM_ENOSPC); /* not enough device storage */
    f->desc.nr_vcpus = VMM_MAX_VCPUS + 1;
    assert_int_equal(
        vmm_machine_init(&f->m, &f->desc, &f->provider, f->storage, sizeof(f->storage)),
        -VMM_EINVAL);
    free(f);
}

static void machine_backend_failure_stops_the_build_and_closes_what_opened(void **state)
{
    struct fake *f = fake_new(VMM_CONSOLE_SERIAL);
    (void)state;

    fake_add(f, "disk", "a.img");
    fake_add(f, "rng", NULL);
    f->open_fails = (int)(vmm_device_class_find("rng") - vmm_device_classes) + 1;
    assert_int_equal(fake_build(f), -VMM_ENOENT);
    assert_int_equal(f->starts, 0);
    vmm_machine_close(&f->m);
    assert_int_equal(f->closes, 1); /* the disk's */
    free(f->ram);
    free(f);
}

static void machine_net_mac_matches_the_tap_default(void **state)
{
    uint8_t want[6], got[6];
    (void)state;

    vmm_tap_default_mac("tap0", want);
    assert_int_equal(vmm_machine_net_mac("tap=tap0", "virtio-net0", got), 0);
    assert_memory_equal(got, want, 6);
    assert_int_equal(vmm_machine_net_mac("tap=t,mac=52:54:00:12:34:AB", "n", got), 0);
    assert_int_equal(got[0], 0x52);
    assert_int_equal(got[5], 0xab);
    assert_int_equal(vmm_machine_net_mac("tap=t,mac=52:54", "n", got), -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(machine_builds_consoles_then_devices_in_slot_order),
        cmocka_unit_test(machine_dtb_has_virtio_dma_coherent_and_pl011_clocks),
        cmocka_unit_test(machine_without_boot_timer_has_no_boot_timer_node),
        cmocka_unit_test(machine_reset_resets_devices_and_places_the_images_again),
        cmocka_unit_test(machine_reset_needs_the_port_reset),
        cmocka_unit_test(machine_rejects_bad_descriptions),
        cmocka_unit_test(machine_backend_failure_stops_the_build_and_closes_what_opened),
        cmocka_unit_test(machine_net_mac_matches_the_tap_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
