/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The device-tree builder (src/arch/aarch64/fdt.c). stdvmm parses no DTB
 * from untrusted input, so this fuzzes what goes into the one it writes:
 * vCPU count, RAM regions, layout, command line, stdout-path, initrd range,
 * devices (real PL011 / virtio ones with their fdt_props, and made-up ones
 * with odd node names and compatible lists) and the buffer size.
 *
 * Checked: the builder returns a size no larger than the buffer, or
 * -VMM_ENOSPC / -VMM_EINVAL, never writes past the buffer (ASan: it is
 * at the very end of its allocation); a tree it returns passes fdt_check_full and
 * a full walk, has one node per device, and the right bootargs and initrd;
 * a tree refused for space alone fits in 2 MiB.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/pl011.h"
#include "stdvmm/virtio_console.h"

#define MAX_FAKE 12u
#define NAME_MAX_LEN 48u

struct fake_dev {
    struct vmm_device dev;
    char name[16];
    char node[NAME_MAX_LEN + 1];
    char compat[64];
};

struct fx {
    struct vmm_vm vm;
    struct pl011 uart;
    struct virtio_console con;
    struct fake_dev fake[MAX_FAKE];
    char cmdline[1024];
    char stdout_path[64];
};

static struct fx fx;
static const struct vmm_mmio_ops dummy_ops;
static uint8_t dummy_ram[16];

static long null_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return (long)len;
}

static const struct vmm_stream_backend null_backend = {.write = null_write};

/* A printable string of up to @max bytes from the input, NUL-terminated. */
static void take_string(struct fz_in *in, char *dst, size_t max)
{
    const uint8_t *src;
    size_t n = fz_take(in, fz_u8(in) % (max + 1), &src);

    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ? (char)src[i] : 'x';
    dst[n] = '\0';
}

static void add_fake(struct fx *f, unsigned i, struct fz_in *in)
{
    struct fake_dev *d = &f->fake[i];
    uint8_t c = fz_u8(in);
    const uint8_t *src;
    size_t clen;

    memset(d, 0, sizeof(*d));
    d->name[0] = 'd';
    d->name[1] = (char)('a' + i);
    take_string(in, d->node, NAME_MAX_LEN);
    clen = fz_take(in, fz_u8(in) % sizeof(d->compat), &src);
    memcpy(d->compat, src, clen);
    d->dev = (struct vmm_device){
        .name = d->name,
        .node_name = (c & 1) ? "virtio_mmio" : d->node,
        .compatible = (c & 2) ? NULL : d->compat,
        /* A counted list must end in NUL; else strlen() of a C string. */
        .compatible_len = (c & 4) && clen > 0 && d->compat[clen - 1] == '\0' ? clen : 0,
        .base = (c & 8) ? fz_u64(in) : 0x0b000000ull + i * 0x1000,
        .size = (c & 0x10) ? fz_u64(in) : 0x1000,
        .irq = (c & 0x20) ? VMM_IRQ_NONE : 20u + fz_u8(in) % 40,
        .ops = &dummy_ops,
    };
    if (d->dev.size == 0)
        d->dev.size = 1;
    (void)vmm_vm_add_device(&f->vm, &d->dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t bufsizes[4] = {0x1000, 0x10000, VMM_ARM64_FDT_MAX_SIZE, 0};
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t opt = fz_u8(&in), nr_vcpus = fz_u8(&in) % (VMM_MAX_VCPUS + 2);
    uint8_t nregions = fz_u8(&in) % 5, nfake = fz_u8(&in) % (MAX_FAKE + 1);
    struct vmm_arm64_layout layout;
    struct vmm_arm64_boot boot = {0};
    uint64_t initrd_gpa = 0, initrd_end = 0;
    size_t bufsize = bufsizes[(opt >> 6) & 3];
    static uint8_t *big; /* reused: a 2 MiB allocation per input is slow */
    uint8_t *buf;
    int ret;

    fz_log_init();
    FZ_CHECK(vmm_vm_init(&f->vm, "fuzz", 1) == 0);
    f->vm.nr_vcpus = nr_vcpus; /* 0 and 9 too: the builder must refuse them */
    for (unsigned i = 0; i < nregions; i++)
        (void)vmm_vm_add_ram(&f->vm, fz_u64(&in), fz_u64(&in), dummy_ram);
    vmm_arm64_default_layout(&layout);
    if (opt & 1) {
        layout.gicd_base = fz_u64(&in);
        layout.gicr_base = fz_u64(&in);
        layout.gicr_size = fz_u32(&in);
    }
    if (opt & 2) {
        vmm_pl011_init(&f->uart, &f->vm, "uart", VMM_ARM64_UART_BASE, VMM_ARM64_UART_IRQ,
                       VMM_ARM64_PHANDLE_APB_PCLK, &null_backend);
        FZ_CHECK(vmm_vm_add_device(&f->vm, &f->uart.dev) == 0);
    }
    if ((opt & 4) && vmm_virtio_console_init(&f->con, &f->vm, "con", VMM_ARM64_VIRTIO_BASE,
                                             VMM_ARM64_VIRTIO_IRQ_BASE, &null_backend) == 0)
        (void)vmm_vm_add_device(&f->vm, vmm_virtio_console_device(&f->con));
    for (unsigned i = 0; i < nfake; i++)
        add_fake(f, i, &in);
    if (opt & 8) {
        take_string(&in, f->cmdline, 255);
        if (opt & 0x20) { /* a long one */
            memset(f->cmdline, 'c', sizeof(f->cmdline) - 1);
            f->cmdline[sizeof(f->cmdline) - 1] = '\0';
        }
        boot.cmdline = f->cmdline;
    }
    if (opt & 0x10) {
        take_string(&in, f->stdout_path, sizeof(f->stdout_path) - 1);
        boot.stdout_path = f->stdout_path;
        initrd_gpa = fz_u64(&in);
        initrd_end = fz_u64(&in);
    }
    if (bufsize == 0) /* libfdt wants an 8-byte aligned tree (boot.c page-aligns it) */
        bufsize = fz_u16(&in) & ~7u;
    if (big == NULL)
        big = malloc(VMM_ARM64_FDT_MAX_SIZE);
    FZ_CHECK(big != NULL);
    /* The buffer ends where the allocation does, so ASan sees any overrun. */
    buf = big + VMM_ARM64_FDT_MAX_SIZE - bufsize;
    ret = vmm_arm64_build_fdt(&f->vm, &layout, (opt & 0x18) ? &boot : NULL, initrd_gpa, initrd_end,
                              buf, bufsize);
    if (ret >= 0) {
        unsigned nodes;

        FZ_CHECK((size_t)ret <= bufsize && nr_vcpus >= 1 && nr_vcpus <= VMM_MAX_VCPUS);
        nodes = fz_fdt_check(buf, (size_t)ret, boot.cmdline, initrd_gpa, initrd_end);
        /* root, cpus + cpu@ each, memory@ each, intc, timer, psci, apb-pclk,
         * chosen, and the devices. */
        FZ_CHECK(nodes == 1 + 1 + nr_vcpus + f->vm.mem.nr_regions + 5 + f->vm.nr_devices);
    } else if (ret == -VMM_ENOSPC) {
        FZ_CHECK(bufsize < VMM_ARM64_FDT_MAX_SIZE);
    } else {
        FZ_CHECK(ret == -VMM_EINVAL);
    }
    return 0;
}
