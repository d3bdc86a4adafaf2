/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The device class table: one entry per kind of device a machine
 * description may list. `stdvmm run`'s options and --help, the builder and
 * the seL4 configurations all come from here (docs/ARCHITECTURE.md, "Adding
 * a device class"). The PL011 and the virtio-console are not classes: every
 * machine has the PL011, and the description's console field picks the
 * virtio-console.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "machine_internal.h"
#include "stdvmm/boot_timer.h"
#include "stdvmm/pl061.h"
#include "stdvmm/err.h"
#include "stdvmm/machine.h"
#include "stdvmm/virtio.h"
#include "stdvmm/vhost_dev.h"
#include "stdvmm/virtio_blk.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_rng.h"
#include "stdvmm/virtio_vsock.h"

/* ------------------------------------------------------------------ disk */
static int disk_parse(const char *value, char *err, size_t errlen)
{
    if (value[0] == '\0' || strcmp(value, ",ro") == 0 || strcmp(value, ",rw") == 0)
        return vmm_machine_error(err, errlen, "--disk ", value,
                                 ": empty file name (use --disk PATH[,ro])");
    return 0;
}

static int disk_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct virtio_blk *blk = d->state;
    int ret = vmm_virtio_blk_init(blk, &m->vm, d->name, d->base, d->irq, d->backend, NULL);

    d->dev = vmm_virtio_blk_device(blk);
    return ret;
}

/* ------------------------------------------------------------------- net */
static int net_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct virtio_net *net = d->state;
    uint8_t mac[6];
    int ret = vmm_machine_net_mac(d->desc->options, d->name, mac);

    if (ret == 0)
        ret = vmm_virtio_net_init(net, &m->vm, d->name, d->base, d->irq, mac, 0, d->backend);
    d->dev = vmm_virtio_net_device(net);
    return ret;
}

/* ------------------------------------------------------------------- rng */
static int rng_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct virtio_rng *rng = d->state;
    int ret = vmm_virtio_rng_init(rng, &m->vm, d->name, d->base, d->irq, d->backend);

    d->dev = vmm_virtio_rng_device(rng);
    return ret;
}

/* ----------------------------------------------------------------- vsock */
static int vsock_parse(const char *value, char *err, size_t errlen)
{
    uint64_t cid;

    int ret = vmm_machine_opt_u64(value, "cid", &cid);

    if (ret == -VMM_ENOENT) /* the backend may name what is missing */
        return 0;
    if (ret < 0 || cid < 3 || cid > 0xfffffffeull)
        return vmm_machine_error(err, errlen, "--vsock ", value,
                                 ": cid must be a number from 3 to 4294967294");
    return 0;
}

static int vsock_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct virtio_vsock *vs = d->state;
    uint64_t cid = 0;
    int ret = vmm_machine_opt_u64(d->desc->options, "cid", &cid);

    if (ret == 0)
        ret = vmm_virtio_vsock_init(vs, &m->vm, d->name, d->base, d->irq, cid, d->backend);
    d->dev = vmm_virtio_vsock_device(vs);
    return ret;
}

/* ------------------------------------------------------------ boot-timer */
static int boot_timer_class_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct boot_timer *bt = d->state;
    const struct vmm_event_backend *be = d->backend;

    (void)m;
    d->base = BOOT_TIMER_DEFAULT_BASE; /* fixed, outside the virtio slots (bench/) */
    vmm_boot_timer_init(bt, d->name, d->base, be->signal, be->ctx);
    d->dev = &bt->dev;
    return 0;
}

/* ---------------------------------------------------------- power-button */
static int power_button_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct pl061 *gpio = d->state;

    d->base = PL061_DEFAULT_BASE; /* fixed, as on QEMU virt */
    d->irq = PL061_DEFAULT_IRQ;
    vmm_pl061_init(gpio, &m->vm, d->name, d->base, d->irq, VMM_ARM64_PHANDLE_APB_PCLK,
                   VMM_ARM64_PHANDLE_GPIO);
    d->dev = &gpio->dev;
    return 0;
}

const struct vmm_device_class vmm_device_classes[] = {
    {
        .name = "disk",
        .arg = "PATH[,ro]",
        .help = "a virtio-blk disk on a raw image file or block device\n"
                "(size a multiple of 512 bytes; locked while in use);\n"
                ",ro makes it read-only for the guest. Repeatable, up to\n"
                "8; Linux names them vda, vdb, ... in this order.\n"
                "Example: --disk root.img --disk data.img,ro",
        .prefix = "virtio-blk",
        .max = 8,
        .backend = VMM_BACKEND_BLK,
        .virtio = true,
        .state_size = sizeof(struct virtio_blk),
        .parse = disk_parse,
        .init = disk_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "net",
        .arg = "tap=NAME[,mac=XX:XX:XX:XX:XX:XX]",
        .help = "a virtio-net NIC on the host tap interface NAME, which\n"
                "is created if it does not exist (needs CAP_NET_ADMIN)\n"
                "and removed at exit unless it was made persistent; the\n"
                "host configures it (ip addr add ... dev NAME; ip link\n"
                "set NAME up). The guest MAC defaults to one derived\n"
                "from NAME (02:53:..). Example: --net tap=tap0",
        .prefix = "virtio-net",
        .max = 1,
        .backend = VMM_BACKEND_NET,
        .virtio = true,
        .state_size = sizeof(struct virtio_net),
        .init = net_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "rng",
        .help = "a virtio-rng entropy device (/dev/hwrng in the guest)\n"
                "fed from the host's getrandom(2). Example: --rng",
        .prefix = "virtio-rng",
        .max = 1,
        .backend = VMM_BACKEND_ENTROPY,
        .virtio = true,
        .state_size = sizeof(struct virtio_rng),
        .init = rng_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "vsock",
        .arg = "cid=N,uds=PATH",
        .help = "a virtio-vsock device; the guest's CID is N (3 or more)\n"
                "and the host side is UNIX sockets (Firecracker's\n"
                "convention): a guest connection to host port P goes to\n"
                "the socket PATH_P, which a host program listens on; a\n"
                "host program connects to PATH and writes \"CONNECT P\\n\"\n"
                "to reach guest port P, and reads \"OK <host port>\\n\"\n"
                "once the guest accepted.\n"
                "Example: --vsock cid=3,uds=/tmp/v.sock",
        .prefix = "virtio-vsock",
        .max = 1,
        .backend = VMM_BACKEND_VSOCK,
        .virtio = true,
        .state_size = sizeof(struct virtio_vsock),
        .parse = vsock_parse,
        .init = vsock_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "vhost-user-blk",
        .arg = "socket=PATH",
        .help = "a virtio-blk disk served by a vhost-user backend\n"
                "listening on the UNIX socket PATH (e.g.\n"
                "qemu-storage-daemon --export type=vhost-user-blk);\n"
                "the backend maps guest RAM and is kicked and\n"
                "interrupts through KVM directly (docs/VHOST.md).\n"
                "Example: --vhost-user-blk socket=/tmp/vhost-blk.sock",
        .prefix = "vhost-user-blk",
        .max = 4,
        .backend = VMM_BACKEND_VHOST,
        .virtio = true,
        .state_size = sizeof(struct vhost_dev),
        .init = vmm_machine_vhost_blk_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "fs",
        .arg = "tag=TAG,socket=PATH",
        .help = "a virtio-fs file system served by a vhost-user\n"
                "backend (virtiofsd) on the UNIX socket PATH; the\n"
                "guest mounts it with mount -t virtiofs TAG DIR.\n"
                "Example: --fs tag=share,socket=/tmp/vfs.sock",
        .prefix = "virtio-fs",
        .max = 2,
        .backend = VMM_BACKEND_VHOST,
        .virtio = true,
        .state_size = sizeof(struct vhost_dev),
        .parse = vmm_machine_fs_parse,
        .init = vmm_machine_fs_init,
        .fdt = vmm_virtio_mmio_fdt_props,
    },
    {
        .name = "boot-timer",
        .help = "the benchmark's boot timer (bench/): a page at\n"
                "0x9100000 the guest writes once; stdvmm logs the time\n"
                "since it started (--log-level info)",
        .prefix = "boot-timer",
        .max = 1,
        .backend = VMM_BACKEND_EVENT,
        .state_size = sizeof(struct boot_timer),
        .init = boot_timer_class_init,
    },
    {
        .name = "power-button",
        .help = "a power button as on QEMU virt: a PL061 GPIO at\n"
                "0x9030000 (SPI 7) with a gpio-keys KEY_POWER on pin 3;\n"
                "the API's shutdown presses it (added by --api-sock)",
        .prefix = "gpio",
        .max = 1,
        .backend = VMM_BACKEND_NONE,
        .state_size = sizeof(struct pl061),
        .init = power_button_init,
    },
};

const unsigned vmm_nr_device_classes = sizeof(vmm_device_classes) / sizeof(vmm_device_classes[0]);

const struct vmm_device_class *vmm_device_class_find(const char *name)
{
    for (unsigned i = 0; name != NULL && i < vmm_nr_device_classes; i++)
        if (strcmp(vmm_device_classes[i].name, name) == 0)
            return &vmm_device_classes[i];
    return NULL;
}
