/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine builder (machine.h): a struct vmm_machine_desc in, a VM
 * whose vCPU 0 waits at the kernel entry out, through the port interface
 * only. Both ports and every program use this one path.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "machine_internal.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"

#define MACHINE_ALIGN 16u

static size_t machine_align(size_t n)
{
    return (n + MACHINE_ALIGN - 1) & ~(size_t)(MACHINE_ALIGN - 1);
}

size_t vmm_machine_storage_size(const struct vmm_machine_desc *desc)
{
    size_t total = 0;

    for (unsigned i = 0; i < desc->nr_devices && i < VMM_MACHINE_MAX_DEVICES; i++) {
        const struct vmm_device_class *cls = vmm_device_class_find(desc->devices[i].cls);
        if (cls == NULL)
            return 0;
        total += machine_align(cls->state_size);
    }
    return total;
}

static int machine_check(const struct vmm_machine_desc *desc)
{
    unsigned count[VMM_MACHINE_MAX_DEVICES] = {0};

    if (desc->nr_vcpus == 0 || desc->nr_vcpus > VMM_MAX_VCPUS) {
        vmm_err("%s: %u vCPUs; 1 to %u are possible", desc->name, desc->nr_vcpus,
                (unsigned)VMM_MAX_VCPUS);
        return -VMM_EINVAL;
    }
    if (desc->nr_devices > VMM_MACHINE_MAX_DEVICES) {
        vmm_err("%s: %u devices; at most %u", desc->name, desc->nr_devices,
                (unsigned)VMM_MACHINE_MAX_DEVICES);
        return -VMM_ENOSPC;
    }
    if (desc->kernel == NULL || desc->ram_size == 0) {
        vmm_err("%s: no kernel or no RAM in the machine description", desc->name);
        return -VMM_EINVAL;
    }
    for (unsigned i = 0; i < desc->nr_devices; i++) {
        const struct vmm_device_class *cls = vmm_device_class_find(desc->devices[i].cls);
        if (cls == NULL) {
            vmm_err("%s: device %u: no device class \"%s\"", desc->name, i,
                    desc->devices[i].cls ? desc->devices[i].cls : "(null)");
            return -VMM_EINVAL;
        }
        if (++count[cls - vmm_device_classes] > cls->max) {
            vmm_err("%s: more than %u %s devices", desc->name, cls->max, cls->name);
            return -VMM_ENOSPC;
        }
    }
    return 0;
}

int vmm_machine_init(struct vmm_machine *m, const struct vmm_machine_desc *desc,
                     const struct vmm_backend_provider *provider, void *storage,
                     size_t storage_size)
{
    int ret = machine_check(desc);

    if (ret < 0)
        return ret;
    if (storage_size < vmm_machine_storage_size(desc) || provider == NULL) {
        vmm_err("%s: %lu bytes of device storage, %lu needed", desc->name,
                (unsigned long)storage_size, (unsigned long)vmm_machine_storage_size(desc));
        return -VMM_ENOSPC;
    }
    memset(m, 0, sizeof(*m));
    m->desc = desc;
    m->provider = provider;
    m->storage = storage;
    m->storage_size = storage_size;
    if (storage_size > 0)
        memset(storage, 0, storage_size);
    ret = vmm_vm_init(&m->vm, desc->name, desc->nr_vcpus);
    if (ret < 0)
        return ret;
    for (unsigned i = 0; i < desc->nr_vcpus; i++)
        m->vm.vcpus[i].affinity = vmm_arm64_vcpu_mpidr(i);
    if (desc->gic_version == 2)
        vmm_arm64_default_layout_gicv2(&m->layout);
    else
        vmm_arm64_default_layout(&m->layout);
    m->layout.ram_base = desc->ram_base;
    return 0;
}

static void machine_xen_upcall(void *ctx, unsigned vcpu)
{
    struct vmm_machine *m = ctx;

    if (m->vm.port_ops->ppi_pulse != NULL)
        m->vm.port_ops->ppi_pulse(m->vm.port, vcpu, VMM_MACHINE_XEN_PPI);
}

static const struct vmm_xen_ops machine_xen_ops = {.upcall = machine_xen_upcall};

/* The Xen console: its pages at the top of guest RAM. */
static int machine_add_xen(struct vmm_machine *m)
{
    uint64_t top = m->desc->ram_base + m->desc->ram_size;
    struct vmm_xen_config cfg = {
        .mem = &m->vm.mem,
        .nr_vcpus = m->desc->nr_vcpus,
        .ring_gpa = top - VMM_MACHINE_XEN_PAGES * VMM_XEN_PAGE,
        .gnttab_gpa = top - VMM_XEN_GNTTAB_FRAMES * VMM_XEN_PAGE,
        .out = m->provider->console,
        .ops = &machine_xen_ops,
        .ctx = m,
    };
    int ret;

    if (m->vm.port_ops->ppi_pulse == NULL) {
        vmm_err("%s: the Xen console needs a port that can raise a PPI", m->desc->name);
        return -VMM_ENOTSUP;
    }
    ret = vmm_xen_init(&m->xen, &cfg);
    if (ret < 0) {
        vmm_err("%s: Xen console: no console output or its pages are not guest RAM", m->desc->name);
        return ret;
    }
    m->xen_dt = (struct vmm_arm64_xen){.gnttab_gpa = cfg.gnttab_gpa,
                                       .gnttab_size = VMM_XEN_GNTTAB_FRAMES * VMM_XEN_PAGE,
                                       .reserved_gpa = cfg.ring_gpa,
                                       .reserved_size = VMM_MACHINE_XEN_PAGES * VMM_XEN_PAGE,
                                       .ppi = VMM_MACHINE_XEN_PPI};
    return 0;
}

/* The PL011 (always: earlycon, stdout-path) and the virtio-console or the
 * Xen console. */
static int machine_add_consoles(struct vmm_machine *m)
{
    uint64_t base;
    unsigned irq;
    int ret;

    vmm_pl011_init(&m->uart, &m->vm, "pl011", m->layout.uart_base, m->layout.uart_irq,
                   VMM_ARM64_PHANDLE_APB_PCLK, m->provider->console);
    ret = vmm_vm_add_device(&m->vm, &m->uart.dev);
    if (ret == 0)
        ret = vmm_arm64_device_path(&m->uart.dev, m->stdout_path, sizeof(m->stdout_path));
    if (ret < 0) {
        vmm_err("pl011: %s", vmm_strerror(ret));
        return ret;
    }
    if (m->desc->console == VMM_CONSOLE_XEN)
        return machine_add_xen(m);
    if (m->desc->console != VMM_CONSOLE_VIRTIO)
        return 0;
    ret = vmm_arm64_virtio_slot(&m->layout, m->next_slot++, &base, &irq);
    if (ret == 0)
        ret = vmm_virtio_console_init(&m->vcon, &m->vm, "virtio-console0", base, irq,
                                      m->provider->console);
    if (ret == 0)
        ret = vmm_vm_add_device(&m->vm, vmm_virtio_console_device(&m->vcon));
    if (ret < 0)
        vmm_err("virtio-console0: %s", vmm_strerror(ret));
    return ret;
}

static void machine_dev_name(struct vmm_machine_dev *d)
{
    d->name[0] = '\0';
    if (d->desc->name != NULL) {
        vmm_machine_append(d->name, sizeof(d->name), d->desc->name);
        return;
    }
    vmm_machine_append(d->name, sizeof(d->name), d->cls->prefix);
    vmm_machine_append_u64(d->name, sizeof(d->name), d->index);
}

/* Device @i of the description: backend, slot, class init, on the bus. */
static int machine_add_dev(struct vmm_machine *m, unsigned i)
{
    struct vmm_machine_dev *d = &m->devs[i];
    int ret;

    d->desc = &m->desc->devices[i];
    d->cls = vmm_device_class_find(d->desc->cls);
    for (unsigned j = 0; j < i; j++)
        d->index += m->devs[j].cls == d->cls;
    machine_dev_name(d);
    d->irq = VMM_IRQ_NONE;
    d->state = m->storage + m->storage_used;
    m->storage_used += machine_align(d->cls->state_size);
    m->nr_devs = i + 1; /* from here on vmm_machine_close() sees it */
    if (d->cls->virtio) {
        ret = vmm_arm64_virtio_slot(&m->layout, m->next_slot++, &d->base, &d->irq);
        if (ret < 0) {
            vmm_err("%s: no virtio-mmio slot left (%s)", d->name, vmm_strerror(ret));
            return ret;
        }
    }
    if (d->cls->backend != VMM_BACKEND_NONE) {
        ret = m->provider->open(m->provider->ctx, m, d); /* logs its own errors */
        if (ret < 0)
            return ret;
        if (d->backend == NULL) {
            vmm_err("%s: the host gave no backend", d->name);
            return -VMM_ENOTSUP;
        }
    }
    ret = d->cls->init(m, d);
    if (ret == 0 && d->dev == NULL)
        ret = -VMM_EINVAL;
    if (ret == 0 && d->cls->fdt != NULL)
        d->dev->fdt_props = d->cls->fdt;
    if (ret == 0)
        ret = vmm_vm_add_device(&m->vm, d->dev);
    if (ret < 0) {
        vmm_err("%s (--%s %s): cannot add the device: %s", d->name, d->cls->name,
                d->desc->options ? d->desc->options : "", vmm_strerror(ret));
        return ret;
    }
    vmm_info("%s: --%s%s%s at 0x%llx, SPI %d", d->name, d->cls->name, d->desc->options ? " " : "",
             d->desc->options ? d->desc->options : "", (unsigned long long)d->base,
             d->irq == VMM_IRQ_NONE ? -1 : (int)d->irq);
    return 0;
}

/* Kernel, initrd and a fresh device tree into RAM; vCPU 0 to the entry. */
static int machine_boot(struct vmm_machine *m)
{
    const struct vmm_machine_desc *desc = m->desc;
    struct vmm_arm64_boot boot = {
        .kernel = desc->kernel,
        .kernel_size = desc->kernel_size,
        .initrd = desc->initrd_size > 0 ? desc->initrd : NULL,
        .initrd_size = desc->initrd_size,
        .cmdline = desc->cmdline,
        .stdout_path = m->stdout_path,
        .xen = desc->console == VMM_CONSOLE_XEN ? &m->xen_dt : NULL,
    };
    int ret = vmm_arm64_boot_prepare(&m->vm, &m->layout, &boot, &m->info);

    if (ret == -VMM_E2BIG) {
        vmm_err("kernel, initrd and device tree do not fit in %lluM of guest RAM",
                (unsigned long long)(desc->ram_size >> 20));
        return ret;
    }
    if (ret < 0) {
        vmm_err("cannot place the guest in RAM: %s", vmm_strerror(ret));
        return ret;
    }
    for (unsigned i = 0; i < m->vm.nr_vcpus; i++)
        m->vm.vcpus[i].state = i == 0 ? VMM_VCPU_ON : VMM_VCPU_OFF;
    ret = m->vm.port_ops->vcpu_start(m->vm.port, 0, m->info.entry, m->info.dtb_gpa);
    if (ret < 0) {
        vmm_err("vCPU 0 could not be started: %s", vmm_strerror(ret));
        return ret;
    }
    m->boots++;
    return 0;
}

int vmm_machine_build(struct vmm_machine *m)
{
    const struct vmm_port_ops *port = m->vm.port_ops;
    int ret;

    if (port == NULL || port->map_ram == NULL || port->vcpu_start == NULL) {
        vmm_err("%s: no port connected (map_ram and vcpu_start are needed)", m->desc->name);
        return -VMM_EINVAL;
    }
    ret = port->map_ram(m->vm.port, m->desc->ram_base, m->desc->ram_size, &m->ram);
    if (ret < 0) {
        vmm_err("guest RAM [0x%llx, +%lluM): %s", (unsigned long long)m->desc->ram_base,
                (unsigned long long)(m->desc->ram_size >> 20), vmm_strerror(ret));
        return ret;
    }
    ret = machine_add_consoles(m);
    for (unsigned i = 0; ret == 0 && i < m->desc->nr_devices; i++)
        ret = machine_add_dev(m, i);
    if (ret == 0)
        ret = machine_boot(m);
    return ret;
}

int vmm_machine_start(struct vmm_machine *m)
{
    for (unsigned i = 0; i < m->nr_devs; i++) {
        struct vmm_machine_dev *d = &m->devs[i];
        if (m->provider->start != NULL && d->backend != NULL) {
            int ret = m->provider->start(m->provider->ctx, d);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

void vmm_machine_stop(struct vmm_machine *m)
{
    for (unsigned i = m->nr_devs; i-- > 0;)
        if (m->provider->stop != NULL && m->devs[i].backend != NULL)
            m->provider->stop(m->provider->ctx, &m->devs[i]);
}

int vmm_machine_reset(struct vmm_machine *m)
{
    const struct vmm_port_ops *port = m->vm.port_ops;
    int ret;

    if (port == NULL || port->reset == NULL)
        return -VMM_ENOTSUP;
    ret = port->reset(m->vm.port);
    if (ret < 0) {
        vmm_err("reset: the port could not reset the vCPUs: %s", vmm_strerror(ret));
        return ret;
    }
    for (unsigned i = 0; i < m->vm.nr_devices; i++) {
        struct vmm_device *dev = m->vm.devices[i];
        if (dev->reset != NULL)
            dev->reset(dev);
    }
    for (unsigned i = 0; i < m->nr_devs; i++)
        if (m->devs[i].cls->reset != NULL && m->devs[i].dev != NULL)
            m->devs[i].cls->reset(&m->devs[i]);
    if (m->desc->console == VMM_CONSOLE_XEN)
        vmm_xen_reset(&m->xen);
    ret = machine_boot(m);
    if (ret == 0)
        vmm_info("guest reset: boot %u placed", m->boots);
    return ret;
}

void vmm_machine_close(struct vmm_machine *m)
{
    vmm_machine_stop(m);
    for (unsigned i = m->nr_devs; i-- > 0;) {
        struct vmm_machine_dev *d = &m->devs[i];
        if (m->provider->close != NULL && d->backend_state != NULL)
            m->provider->close(m->provider->ctx, d);
        d->backend = d->backend_state = NULL;
    }
    m->nr_devs = 0;
}

size_t vmm_machine_console_rx(void *machine, const uint8_t *buf, size_t len)
{
    struct vmm_machine *m = machine;

    if (m->desc->console == VMM_CONSOLE_VIRTIO)
        return vmm_virtio_console_rx(&m->vcon, buf, len);
    if (m->desc->console == VMM_CONSOLE_XEN)
        return vmm_xen_console_rx(&m->xen, buf, len);
    return vmm_pl011_rx(&m->uart, buf, len);
}

struct vmm_xen *vmm_machine_xen(struct vmm_machine *m)
{
    return m->desc->console == VMM_CONSOLE_XEN ? &m->xen : NULL;
}

int vmm_machine_console_mirror(struct vmm_machine *m, volatile uint32_t *regs, bool ids)
{
    if (m->desc->console == VMM_CONSOLE_SERIAL)
        return -VMM_ENOTSUP;
    vmm_pl011_mirror(&m->uart, regs, ids);
    return 0;
}

struct vmm_machine_dev *vmm_machine_find_dev(struct vmm_machine *m, const char *name)
{
    for (unsigned i = 0; i < m->nr_devs; i++)
        if (strcmp(m->devs[i].name, name) == 0)
            return &m->devs[i];
    return NULL;
}
