/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-mmio transport, version 2 only (virtio 1.2 section 4.2.2), and the
 * table of operations a virtio device model plugs into it.
 *
 * A device model keeps a struct virtio_mmio in its state, fills a const
 * struct virtio_dev_ops, and calls vmm_virtio_mmio_init(); the port then adds
 * vmm_virtio_mmio_device() to the VM with vmm_vm_add_device().
 *
 * Every device is offered VIRTIO_F_VERSION_1, VIRTIO_F_EVENT_IDX and
 * VIRTIO_RING_F_INDIRECT_DESC on top of its own bits; FEATURES_OK is refused
 * unless the driver took VERSION_1 and only offered bits. Queues are processed
 * only after DRIVER_OK. A virtqueue violation (see virtq.h) puts the device in
 * DEVICE_NEEDS_RESET: the status bit is set, a configuration-change interrupt
 * is raised, its queues are left alone until the driver writes 0 to Status,
 * and the violation is logged once per device. The VMM keeps running.
 */
#ifndef STDVMM_VIRTIO_H
#define STDVMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/device.h"
#include "stdvmm/log.h"
#include "stdvmm/virtq.h"

struct vmm_vm;

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

/* Reserved feature bits (6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BIT(b) (1ull << (b))

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_MMIO_INT_VRING 0x1u
#define VIRTIO_MMIO_INT_CONFIG 0x2u

/* Register offsets (4.2.2, table "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4d4d5653u /* "SVMM" */
#define VIRTIO_MMIO_WINDOW 0x200u
#define VIRTIO_MMIO_MAX_QUEUES 4u

struct virtio_mmio;

/* What a virtio device model provides (kvmtool's virtio_ops, smaller). */
struct virtio_dev_ops {
    uint32_t device_id;     /* 5 "Device Types": 3 console, 2 blk, 1 net, 4 rng, 19 vsock */
    uint64_t features;      /* device-specific feature bits */
    unsigned nr_queues;     /* 1..VIRTIO_MMIO_MAX_QUEUES */
    uint16_t queue_num_max; /* QueueNumMax of every queue, <= VIRTQ_MAX_SIZE */
    uint32_t config_size;   /* bytes of device configuration space at 0x100 */
    /* Copy @len bytes of configuration space at @offset (in range) into @buf. */
    void (*config_read)(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf, unsigned len);
    /* Optional: the driver wrote @len bytes at @offset (in range). */
    void (*config_write)(struct virtio_mmio *vdev, uint32_t offset, const uint8_t *buf,
                         unsigned len);
    /* The driver kicked queue @q (ready, device live). Return 0, or the
     * negative code of a virtqueue violation (the transport then fails the device). */
    int (*queue_notify)(struct virtio_mmio *vdev, unsigned q);
    /* Optional: forget device state (driver wrote 0 to Status). */
    void (*reset)(struct virtio_mmio *vdev);
    /* Optional: the driver disabled queue @q (QueueReady 1 -> 0) without a
     * device reset. Forget every chain of it the device still holds
     * (reservations, kept chains, requests in flight): their heads mean
     * nothing in the ring the driver may enable next. */
    void (*queue_reset)(struct virtio_mmio *vdev, unsigned q);
    /* Optional: the driver set DRIVER_OK. Every ready queue is then also
     * notified once, in case buffers were added before. */
    void (*driver_ok)(struct virtio_mmio *vdev);
    /* Used-buffer interrupts are raised outside the VMM (a vhost-user
     * backend through irqfd): InterruptStatus then always reads
     * VIRTIO_MMIO_INT_VRING while the device is live, so the driver looks
     * at its rings on every interrupt. */
    bool external_irq;
};

struct virtio_mmio {
    struct vmm_device dev; /* what the port adds to the VM */
    const struct virtio_dev_ops *ops;
    void *priv; /* the device model's state */
    struct vmm_vm *vm;

    uint32_t status;
    bool needs_reset;
    uint32_t device_features_sel, driver_features_sel;
    uint64_t driver_features;
    uint32_t queue_sel;
    uint32_t shm_sel;
    uint32_t isr; /* InterruptStatus */
    bool irq_level;
    uint32_t config_generation;
    struct virtq vqs[VIRTIO_MMIO_MAX_QUEUES];

    struct vmm_ratelimit rl_violation, rl_access, rl_ready_write, rl_status, rl_features;
};

/*
 * Set up @vdev as device @name with window @base (VIRTIO_MMIO_WINDOW bytes)
 * and interrupt line @irq; @priv is handed back through vdev->priv.
 * -VMM_EINVAL for an ops table out of limits. Then add vmm_virtio_mmio_device().
 */
int vmm_virtio_mmio_init(struct virtio_mmio *vdev, const struct virtio_dev_ops *ops, void *priv,
                         struct vmm_vm *vm, const char *name, uint64_t base, unsigned irq);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_mmio_device(struct virtio_mmio *vdev)
{
    return &vdev->dev;
}

/* Queue @q if the device may process it now (DRIVER_OK, not failed or
 * needing reset, queue ready), else NULL. */
struct virtq *vmm_virtio_mmio_queue(struct virtio_mmio *vdev, unsigned q);

/* The transport's device-tree hook (dev->fdt_props): "dma-coherent". */
int vmm_virtio_mmio_fdt_props(const struct vmm_device *dev, void *fdt);

/* After pushing used buffers on @q: interrupt the driver unless it asked
 * not to be (vmm_virtq_need_interrupt). */
void vmm_virtio_mmio_notify_used(struct virtio_mmio *vdev, unsigned q);

/* The device configuration changed: bump ConfigGeneration, interrupt. */
void vmm_virtio_mmio_config_changed(struct virtio_mmio *vdev);

/* Queue @q broke a virtqueue rule (@err from virtq_*): enter
 * DEVICE_NEEDS_RESET, interrupt, log once per device. */
void vmm_virtio_mmio_queue_error(struct virtio_mmio *vdev, unsigned q, int err);

/* True if the driver negotiated feature bit @bit. */
bool vmm_virtio_mmio_has_feature(const struct virtio_mmio *vdev, unsigned bit);

#endif
