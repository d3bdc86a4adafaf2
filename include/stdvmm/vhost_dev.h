/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtio device whose queues are served outside the VMM: vhost-user-blk
 * (device ID 2) and virtio-fs (26) on the KVM port, and on seL4 a backend
 * in a driver VM (docs/ARCHITECTURE.md). The virtio-mmio transport stays
 * stdvmm's (registers, feature negotiation, status, DEVICE_NEEDS_RESET);
 * at DRIVER_OK the device hands the negotiated features and the rings the
 * transport checked to a struct vmm_vhost_backend, and at a reset it stops
 * it. Kicks and interrupts then bypass the VMM (the host wires the
 * queue-notify register and the interrupt line to the backend), so the
 * device's interrupt is edge-triggered and InterruptStatus always shows
 * the used-buffer bit while the device is live (the VMM cannot know when
 * the backend used buffers). The backend dying or breaking the protocol
 * puts the device in DEVICE_NEEDS_RESET; the VM and other devices go on.
 */
#ifndef STDVMM_VHOST_DEV_H
#define STDVMM_VHOST_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_FS 26
#define VHOST_DEV_QUEUE_SIZE 128
#define VHOST_DEV_CONFIG_MAX 256u

/* What kind of device the class makes of the backend. */
struct vhost_dev_params {
    uint32_t device_id;
    unsigned nr_queues;    /* 1..VIRTIO_MMIO_MAX_QUEUES, <= backend->max_queues */
    uint64_t device_mask;  /* device-specific feature bits (0..23) the guest may see */
    const uint8_t *config; /* NULL: the backend's configuration space */
    uint32_t config_size;
};

struct vhost_dev {
    struct virtio_mmio vdev;
    struct virtio_dev_ops ops;
    const struct vmm_vhost_backend *backend;
    uint8_t config[VHOST_DEV_CONFIG_MAX];
    bool started;
    unsigned long starts, failures;
};

/* Set up @d as device @name at @base with line @irq, served by @backend
 * (which must outlive it). -VMM_ENOTSUP if the backend lacks a feature
 * the transport needs (VERSION_1, EVENT_IDX, INDIRECT_DESC), -VMM_EINVAL
 * for bad @p. Then add vmm_vhost_dev_device(@d) to the VM. */
int vmm_vhost_dev_init(struct vhost_dev *d, struct vmm_vm *vm, const char *name, uint64_t base,
                       unsigned irq, const struct vmm_vhost_backend *backend,
                       const struct vhost_dev_params *p);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_vhost_dev_device(struct vhost_dev *d)
{
    return vmm_virtio_mmio_device(&d->vdev);
}

/* The backend's report channel (call it with the device lock held). */
struct vmm_vhost_sink vmm_vhost_dev_sink(struct vhost_dev *d);

/* True while the device is in DEVICE_NEEDS_RESET. */
bool vmm_vhost_dev_needs_reset(const struct vhost_dev *d);

#endif
