/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine layer: a VM described as plain data (struct
 * vmm_machine_desc, Bao's vm_config in spirit) and ONE builder that turns
 * a description into a running VM through the port interface (port.h).
 * `stdvmm run` fills a description from its command line, the seL4 port
 * from an example's configuration; neither assembles devices itself.
 *
 * Devices come from the device class table (vmm_device_classes[]): each
 * entry says what the class is called (its command-line option), its help
 * text, which backend kind it needs, how big its state is, and its hooks.
 * The backend behind a device comes from the host's backend provider
 * (struct vmm_backend_provider): POSIX files, taps and sockets for
 * `stdvmm`, the debug console (and later sDDF queues) on seL4.
 *
 * Portable: no allocation (the device state lives in the storage the
 * caller passes to vmm_machine_init()), no globals, freestanding.
 */
#ifndef STDVMM_MACHINE_H
#define STDVMM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/arm64.h"
#include "stdvmm/backend.h"
#include "stdvmm/pl011.h"
#include "stdvmm/virtio_console.h"
#include "stdvmm/vm.h"
#include "stdvmm/xen.h"

#define VMM_MACHINE_MAX_DEVICES 16
#define VMM_MACHINE_DEV_NAME 24

/* Where the guest console is (the PL011 is always there, for earlycon). */
enum vmm_console_kind {
    VMM_CONSOLE_SERIAL = 0, /* input and output on the PL011 (ttyAMA0) */
    VMM_CONSOLE_VIRTIO,     /* a virtio-console (hvc0) in the first virtio slot takes input */
    VMM_CONSOLE_XEN,        /* Xen's console (hvc0, earlycon=xenboot; xen.h) takes input */
};

/* Where the Xen console's pages and upcall are (VMM_CONSOLE_XEN): the last
 * three pages of guest RAM (ring, two grant-table frames), the PPI Xen uses. */
#define VMM_MACHINE_XEN_PAGES 3u
#define VMM_MACHINE_XEN_PPI 31u

/* One vCPU. Its guest-visible affinity is always vmm_arm64_vcpu_mpidr(i)
 * (the one MPIDR source); the rest is where and how it runs, which the
 * seL4 system initialiser uses and the KVM port ignores (Linux schedules
 * the vCPU threads). */
struct vmm_machine_vcpu {
    int core;           /* physical core, -1: any */
    unsigned priority;  /* seL4 scheduling priority, 0: the default */
    uint64_t budget_us; /* seL4 MCS budget per period, 0: the default */
    uint64_t period_us;
};

/* One device: {class, name, backend, options}. */
struct vmm_machine_device_desc {
    const char *cls;     /* a vmm_device_classes[] name: "disk", "net", ... */
    const char *name;    /* NULL: the class prefix and a number ("virtio-blk0") */
    const char *backend; /* NULL: the provider's default for the class's backend kind */
    const char *options; /* the option value as given ("root.img,ro"); NULL for flags */
};

struct vmm_machine_desc {
    const char *name;     /* for logs: "stdvmm", "vm1" */
    unsigned gic_version; /* 3 (KVM) or 2 (seL4 on QEMU virt) */
    uint64_t ram_base;    /* guest physical, 2 MiB aligned */
    uint64_t ram_size;
    unsigned nr_vcpus; /* 1..VMM_MAX_VCPUS */
    struct vmm_machine_vcpu vcpus[VMM_MAX_VCPUS];
    enum vmm_console_kind console;
    /* Boot images (the builder copies them into guest RAM at every boot). */
    const void *kernel;
    size_t kernel_size;
    const void *initrd; /* NULL: none */
    size_t initrd_size;
    const char *cmdline;
    struct vmm_machine_device_desc devices[VMM_MACHINE_MAX_DEVICES];
    unsigned nr_devices;
};

/* The kinds of backend a device class can need (backend.h). */
enum vmm_backend_kind {
    VMM_BACKEND_NONE = 0,
    VMM_BACKEND_STREAM,  /* struct vmm_stream_backend */
    VMM_BACKEND_BLK,     /* struct vmm_blk_backend */
    VMM_BACKEND_NET,     /* struct vmm_net_backend */
    VMM_BACKEND_VSOCK,   /* struct vmm_vsock_backend */
    VMM_BACKEND_ENTROPY, /* struct vmm_entropy_backend */
    VMM_BACKEND_EVENT,   /* struct vmm_event_backend */
    VMM_BACKEND_VHOST,   /* struct vmm_vhost_backend: queues served outside the VMM */
};

/* A host callback for a device that only reports that something happened
 * (the boot timer). */
struct vmm_event_backend {
    void (*signal)(void *ctx);
    void *ctx;
};

struct vmm_machine;

/* One device the builder made. */
struct vmm_machine_dev {
    const struct vmm_device_class *cls;
    const struct vmm_machine_device_desc *desc;
    char name[VMM_MACHINE_DEV_NAME];
    unsigned index;         /* among the devices of its class: 0, 1, ... */
    uint64_t base;          /* MMIO window (a virtio slot for virtio classes) */
    unsigned irq;           /* SPI line, or VMM_IRQ_NONE */
    const void *backend;    /* the struct of cls->backend's kind, from the provider */
    void *backend_state;    /* the provider's, for its start/stop/close */
    void *state;            /* cls->state_size bytes of the caller's storage */
    struct vmm_device *dev; /* as added to the VM */
};

/*
 * A device class: everything the builder, the command line and --help
 * need to know about one kind of device. The table is vmm_device_classes[]
 * in src/machine/classes.c; docs/ARCHITECTURE.md says how to add one.
 */
struct vmm_device_class {
    const char *name;   /* "disk": the option --disk, the desc's cls */
    const char *arg;    /* value in --help ("PATH[,ro]"); NULL: a flag without value */
    const char *help;   /* --help text, lines of at most 55 columns separated by '\n' */
    const char *prefix; /* device names: prefix + index ("virtio-blk0") */
    unsigned max;       /* instances per VM */
    enum vmm_backend_kind backend;
    bool virtio;       /* takes the next virtio-mmio slot (window and SPI) */
    size_t state_size; /* bytes of device state the builder reserves */
    /* Optional: check the device's own keys in an option value (the
     * backend's keys are the provider's); 0, or -VMM_EINVAL with a reason. */
    int (*parse)(const char *value, char *err, size_t errlen);
    /* Make the device in d->state from d->backend, d->base, d->irq and
     * d->desc->options; set d->dev. Required. */
    int (*init)(struct vmm_machine *m, struct vmm_machine_dev *d);
    /* Optional: guest reset, after the device's own reset (dev->reset). */
    void (*reset)(struct vmm_machine_dev *d);
    /* Optional: log the device's counters (at exit). */
    void (*report)(const struct vmm_machine_dev *d);
    /* Optional: device-tree properties instead of the device's own
     * fdt_props (virtio-mmio's writes dma-coherent). */
    int (*fdt)(const struct vmm_device *dev, void *fdt);
};

/* The class table and its length. */
extern const struct vmm_device_class vmm_device_classes[];
extern const unsigned vmm_nr_device_classes;

/* Class called @name, or NULL. */
const struct vmm_device_class *vmm_device_class_find(const char *name);

/*
 * What the host provides for devices' backends. open() fills d->backend
 * (and d->backend_state) for device @d, whose class says the kind; it logs
 * its own errors, naming the option ("--disk foo.img: No such file"), so
 * the builder adds nothing. start()/stop() run and stop the backend's I/O
 * (threads, event loop), close() releases it. Every hook but open is
 * optional.
 */
struct vmm_backend_provider {
    int (*open)(void *ctx, struct vmm_machine *m, struct vmm_machine_dev *d);
    int (*start)(void *ctx, struct vmm_machine_dev *d);
    void (*stop)(void *ctx, struct vmm_machine_dev *d);
    void (*close)(void *ctx, struct vmm_machine_dev *d);
    /* The console's stream backend (PL011 and virtio-console output). */
    const struct vmm_stream_backend *console;
    void *ctx;
};

struct vmm_machine {
    const struct vmm_machine_desc *desc;
    const struct vmm_backend_provider *provider;
    struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    struct pl011 uart;
    struct virtio_console vcon;
    struct vmm_xen xen;          /* VMM_CONSOLE_XEN only */
    struct vmm_arm64_xen xen_dt; /* its device-tree part */
    char stdout_path[64];
    void *ram; /* where the VMM sees guest RAM */
    struct vmm_arm64_boot_info info;
    unsigned boots; /* guest starts so far (1 after vmm_machine_build) */
    unsigned next_slot;
    struct vmm_machine_dev devs[VMM_MACHINE_MAX_DEVICES];
    unsigned nr_devs;
    uint8_t *storage;
    size_t storage_size, storage_used;
};

/* Bytes of storage vmm_machine_init() needs for @desc's devices
 * (0 if a class is unknown: vmm_machine_init() then says which). */
size_t vmm_machine_storage_size(const struct vmm_machine_desc *desc);

/*
 * Check @desc against the class table and limits and make the empty VM
 * (m->vm, m->layout) for a port to connect to. @storage (8-byte aligned,
 * @storage_size bytes, zeroed by the builder) holds the device state and
 * must outlive @m. Errors are logged: -VMM_EINVAL, -VMM_ENOSPC.
 */
int vmm_machine_init(struct vmm_machine *m, const struct vmm_machine_desc *desc,
                     const struct vmm_backend_provider *provider, void *storage,
                     size_t storage_size);

/*
 * With the port connected (vmm_vm_set_port, e.g. by vmm_kvm_open): map
 * guest RAM (port map_ram), add the PL011 (stdout-path), the virtio-console
 * if asked for, then every device of the description in order (backend
 * from the provider, next virtio slot, class init), place kernel, initrd
 * and device tree (vmm_arm64_boot_prepare) and start vCPU 0 at the entry
 * (port vcpu_start). Errors are logged (or by the provider).
 */
int vmm_machine_build(struct vmm_machine *m);

/* Start every device's backend I/O (provider start). */
int vmm_machine_start(struct vmm_machine *m);

/* Stop every device's backend I/O (provider stop); call with the vCPUs stopped. */
void vmm_machine_stop(struct vmm_machine *m);

/*
 * Guest reset (PSCI SYSTEM_RESET), with every vCPU stopped: port reset,
 * every device reset (backends stay open: disks, taps and sockets are
 * kept), kernel, initrd and a fresh device tree copied into RAM again, and
 * vCPU 0 started at the entry. Guest RAM is not cleared.
 */
int vmm_machine_reset(struct vmm_machine *m);

/* Log every device's counters and close the backends (provider close).
 * Safe on a partly built machine. */
void vmm_machine_close(struct vmm_machine *m);

/* Console input: offer @len bytes to the console the description chose;
 * returns how many the guest took. Call with the VM's device lock held.
 * @machine is a struct vmm_machine * (the stdio backend's rx signature). */
size_t vmm_machine_console_rx(void *machine, const uint8_t *buf, size_t len);

/* Write what the guest's PL011 registers read as into @regs (a page the
 * guest maps read-only at the PL011, vmm_pl011_mirror; @ids: the constant
 * ID block too). -VMM_ENOTSUP when the PL011 takes console input (its DR
 * reads must trap). */
int vmm_machine_console_mirror(struct vmm_machine *m, volatile uint32_t *regs, bool ids);

/* The Xen interface of a VMM_CONSOLE_XEN machine (its hypercalls go to
 * vmm_xen_hypercall()), NULL for the other consoles. */
struct vmm_xen *vmm_machine_xen(struct vmm_machine *m);

/* The built device called @name, or NULL. */
struct vmm_machine_dev *vmm_machine_find_dev(struct vmm_machine *m, const char *name);

#endif
