/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A device as the VM sees it: an MMIO window, an optional interrupt line and
 * what the device tree says about it. The architecture's device-tree builder
 * writes the node "<node_name>@<base>" with compatible, reg and interrupts
 * for every device, then calls fdt_props for anything device specific
 * (virtio-mmio's adds dma-coherent, the PL011's its clocks).
 */
#ifndef STDVMM_DEVICE_H
#define STDVMM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/mmio.h"

/* What a device did, for the control API's counters (docs/API.md). Kept
 * under the VM's device lock; a guest reset does not clear them. */
struct vmm_device_counters {
    uint64_t requests;      /* virtio: chains taken from the driver's queues */
    uint64_t bytes;         /* virtio: bytes of those chains plus bytes written back */
    uint64_t errors;        /* virtio: queue violations (DEVICE_NEEDS_RESET) */
    uint64_t notifications; /* virtio: driver kicks (QueueNotify); PL061: presses */
    uint64_t interrupts;    /* interrupts raised (line low to high) */
};

struct vmm_device {
    const char *name;       /* unique, for logs and IRQ ownership: "virtio-blk0" */
    const char *node_name;  /* device-tree node name: "virtio_mmio", "pl011" */
    const char *compatible; /* "\0"-separated list; length in compatible_len */
    size_t compatible_len;
    uint64_t base; /* MMIO window */
    uint64_t size;
    unsigned irq;  /* line, or VMM_IRQ_NONE */
    bool irq_edge; /* the line is edge-triggered (raised from outside the VMM) */
    const struct vmm_mmio_ops *ops;
    void *opaque;
    /* Optional: add device specific properties inside the open node
     * (libfdt sequential-write). Return 0 or a negative libfdt error. */
    int (*fdt_props)(const struct vmm_device *dev, void *fdt);
    /* Optional: nodes of the device's own at the root, written after its
     * node (the PL061's gpio-keys). Return 0 or a negative libfdt error. */
    int (*fdt_nodes)(const struct vmm_device *dev, void *fdt);
    /* Optional: back to the power-on state (a guest reset); host-side
     * connections (backends) stay. */
    void (*reset)(struct vmm_device *dev);
    struct vmm_device_counters counters;
};

#endif
