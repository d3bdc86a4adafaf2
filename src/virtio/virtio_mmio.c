/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-mmio transport, version 2 (virtio 1.2 section 4.2.2). Registers are
 * 32-bit only; the device configuration space at 0x100 takes any width.
 * Device behaviour lives behind struct virtio_dev_ops (virtio.h).
 */
#include <string.h>
#include <libfdt.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/irq.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio.h"
#include "stdvmm/vm.h"

static const char virtio_mmio_compatible[] = "virtio,mmio";

/* Bits every device offers on top of its own (6 "Reserved Feature Bits"). */
#define TRANSPORT_FEATURES                                                                         \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |                             \
     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

static uint64_t offered_features(const struct virtio_mmio *v)
{
    return v->ops->features | TRANSPORT_FEATURES;
}

bool vmm_virtio_mmio_has_feature(const struct virtio_mmio *v, unsigned bit)
{
    return bit < 64 && (v->status & VIRTIO_STATUS_FEATURES_OK) &&
           (v->driver_features & VIRTIO_BIT(bit));
}

/* The line follows InterruptStatus: high while any bit is pending. */
static void update_irq(struct virtio_mmio *v)
{
    bool level = v->isr != 0;

    if (level == v->irq_level)
        return;
    v->irq_level = level;
    v->dev.counters.interrupts += level;
    if (v->dev.irq != VMM_IRQ_NONE)
        (void)vmm_irq_set(v->vm, v->dev.irq, level);
}

static void raise_isr(struct virtio_mmio *v, uint32_t bits)
{
    v->isr |= bits;
    update_irq(v);
}

struct virtq *vmm_virtio_mmio_queue(struct virtio_mmio *v, unsigned q)
{
    const uint32_t live = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED;

    if (q >= v->ops->nr_queues || v->needs_reset || (v->status & live) != VIRTIO_STATUS_DRIVER_OK)
        return NULL;
    return v->vqs[q].ready ? &v->vqs[q] : NULL;
}

void vmm_virtio_mmio_notify_used(struct virtio_mmio *v, unsigned q)
{
    if (q < v->ops->nr_queues && vmm_virtq_need_interrupt(&v->vqs[q]))
        raise_isr(v, VIRTIO_MMIO_INT_VRING);
}

void vmm_virtio_mmio_config_changed(struct virtio_mmio *v)
{
    v->config_generation++;
    raise_isr(v, VIRTIO_MMIO_INT_CONFIG);
}

void vmm_virtio_mmio_queue_error(struct virtio_mmio *v, unsigned q, int err)
{
    const char *why = q < v->ops->nr_queues && v->vqs[q].fault ? v->vqs[q].fault : "violation";

    v->dev.counters.errors++;
    if (vmm_ratelimit_first(&v->rl_violation))
        vmm_warn("%s: queue %u: %s (%s); device needs reset (further violations counted)",
                 v->dev.name, q, why, vmm_strerror(err));
    if (v->needs_reset)
        return;
    /* 2.1.2: set DEVICE_NEEDS_RESET and send a configuration change notification. */
    v->needs_reset = true;
    raise_isr(v, VIRTIO_MMIO_INT_CONFIG);
}

static void device_reset(struct virtio_mmio *v)
{
    v->status = 0;
    v->needs_reset = false;
    v->device_features_sel = v->driver_features_sel = 0;
    v->driver_features = 0;
    v->queue_sel = 0;
    v->shm_sel = 0;
    v->isr = 0;
    update_irq(v);
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        vmm_virtq_reset(&v->vqs[q], q < v->ops->nr_queues ? v->ops->queue_num_max : 0);
        v->vqs[q].counters = &v->dev.counters;
    }
    if (v->ops->reset)
        v->ops->reset(v);
}

static void kick(struct virtio_mmio *v, unsigned q)
{
    int ret;

    if (vmm_virtio_mmio_queue(v, q) == NULL)
        return;
    ret = v->ops->queue_notify(v, q);
    if (ret < 0)
        vmm_virtio_mmio_queue_error(v, q, ret);
}

static void bad_access(struct virtio_mmio *v, const char *what, uint64_t offset, unsigned size)
{
    if (vmm_ratelimit_first(&v->rl_access))
        vmm_warn("%s: %s of %u bytes at register 0x%llx ignored (further ones counted)",
                 v->dev.name, what, size, (unsigned long long)offset);
}

static bool features_acceptable(struct virtio_mmio *v)
{
    return (v->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1)) &&
           (v->driver_features & ~offered_features(v)) == 0;
}

/* Status (2.1, 3.1.1): the driver only adds bits, 0 resets. */
static void status_write(struct virtio_mmio *v, uint32_t val)
{
    uint32_t old = v->status, added;

    if (val == 0) {
        device_reset(v);
        return;
    }
    val &= 0xffu & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET; /* that bit is the device's */
    if ((val & old) != old) {
        if (vmm_ratelimit_first(&v->rl_status))
            vmm_warn("%s: driver cleared status bits without a reset (ignored)", v->dev.name);
        return;
    }
    added = val & ~old;
    if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(v)) {
        /* Once per device: a guest can write Status in a loop (issue 10, point 3). */
        if (vmm_ratelimit_first(&v->rl_features))
            vmm_info("%s: refusing FEATURES_OK for features 0x%llx (further refusals not logged)",
                     v->dev.name, (unsigned long long)v->driver_features);
        val &= ~VIRTIO_STATUS_FEATURES_OK;
        added &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !(val & VIRTIO_STATUS_FEATURES_OK)) {
        if (vmm_ratelimit_first(&v->rl_status))
            vmm_warn("%s: DRIVER_OK without FEATURES_OK (ignored)", v->dev.name);
        val &= ~VIRTIO_STATUS_DRIVER_OK;
        added &= ~VIRTIO_STATUS_DRIVER_OK;
    }
    v->status = val;
    if (added & VIRTIO_STATUS_DRIVER_OK) {
        if (v->ops->driver_ok)
            v->ops->driver_ok(v);
        for (unsigned q = 0; q < v->ops->nr_queues; q++)
            kick(v, q);
    }
}

static struct virtq *selected_queue(struct virtio_mmio *v)
{
    return v->queue_sel < v->ops->nr_queues ? &v->vqs[v->queue_sel] : NULL;
}

static void queue_ready_write(struct virtio_mmio *v, struct virtq *vq, uint32_t val)
{
    int ret;

    if (val == 0) {
        bool was_ready = vq->ready;

        vmm_virtq_disable(vq);
        if (was_ready && v->ops->queue_reset)
            v->ops->queue_reset(v, v->queue_sel);
        return;
    }
    if (vq->ready)
        return;
    if (!(v->status & VIRTIO_STATUS_FEATURES_OK) || v->needs_reset) {
        if (vmm_ratelimit_first(&v->rl_status))
            vmm_warn("%s: QueueReady before FEATURES_OK (ignored)", v->dev.name);
        return;
    }
    ret = vmm_virtq_enable(vq, &v->vm->mem, vmm_virtio_mmio_has_feature(v, VIRTIO_F_EVENT_IDX),
                           vmm_virtio_mmio_has_feature(v, VIRTIO_RING_F_INDIRECT_DESC));
    if (ret < 0)
        vmm_virtio_mmio_queue_error(v, v->queue_sel, ret);
}

/* A queue address half (QueueDesc/Driver/Device Low/High). */
static void queue_addr_write(struct virtio_mmio *v, struct virtq *vq, uint64_t offset, uint32_t val)
{
    uint64_t *addr;
    unsigned shift = (offset & 4) ? 32 : 0;

    if (vq->ready) {
        if (vmm_ratelimit_first(&v->rl_ready_write))
            vmm_warn("%s: queue configuration written while ready (ignored)", v->dev.name);
        return;
    }
    if (offset < VIRTIO_MMIO_QUEUE_DRIVER_LOW)
        addr = &vq->desc_gpa;
    else if (offset < VIRTIO_MMIO_QUEUE_DEVICE_LOW)
        addr = &vq->avail_gpa;
    else
        addr = &vq->used_gpa;
    *addr = (*addr & ~(0xffffffffull << shift)) | ((uint64_t)val << shift);
}

static bool queue_reg_write(struct virtio_mmio *v, uint64_t offset, uint32_t val)
{
    struct virtq *vq = selected_queue(v);

    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM:
        if (vq && vq->ready) {
            if (vmm_ratelimit_first(&v->rl_ready_write))
                vmm_warn("%s: QueueNum written while ready (ignored)", v->dev.name);
        } else if (vq) {
            vq->num = val > 0xffff ? 0 : (uint16_t)val; /* checked at QueueReady */
        }
        return true;
    case VIRTIO_MMIO_QUEUE_READY:
        if (vq)
            queue_ready_write(v, vq, val);
        return true;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (vq)
            queue_addr_write(v, vq, offset, val);
        return true;
    default:
        return false;
    }
}

static bool reg_write(struct virtio_mmio *v, uint64_t offset, uint32_t val)
{
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        v->device_features_sel = val;
        return true;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (v->status & VIRTIO_STATUS_FEATURES_OK) {
            if (vmm_ratelimit_first(&v->rl_status))
                vmm_warn("%s: DriverFeatures written after FEATURES_OK (ignored)", v->dev.name);
        } else if (v->driver_features_sel < 2) {
            unsigned shift = 32 * v->driver_features_sel;
            v->driver_features =
                (v->driver_features & ~(0xffffffffull << shift)) | ((uint64_t)val << shift);
        }
        return true;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        v->driver_features_sel = val;
        return true;
    case VIRTIO_MMIO_QUEUE_SEL:
        v->queue_sel = val;
        return true;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        v->dev.counters.notifications++;
        kick(v, val); /* the queue index: VIRTIO_F_NOTIFICATION_DATA is not offered */
        return true;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        v->isr &= ~val;
        update_irq(v);
        return true;
    case VIRTIO_MMIO_STATUS:
        status_write(v, val);
        return true;
    case VIRTIO_MMIO_SHM_SEL:
        v->shm_sel = val;
        return true;
    default:
        return queue_reg_write(v, offset, val);
    }
}

/* Returns false for offsets that are not readable registers. */
static bool reg_read(struct virtio_mmio *v, uint64_t offset, uint32_t *val)
{
    const struct virtq *vq = selected_queue(v);
    uint64_t features = offered_features(v);

    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        *val = VIRTIO_MMIO_MAGIC;
        return true;
    case VIRTIO_MMIO_VERSION:
        *val = 2;
        return true;
    case VIRTIO_MMIO_DEVICE_ID:
        *val = v->ops->device_id;
        return true;
    case VIRTIO_MMIO_VENDOR_ID:
        *val = VIRTIO_MMIO_VENDOR;
        return true;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        *val =
            v->device_features_sel < 2 ? (uint32_t)(features >> (32 * v->device_features_sel)) : 0;
        return true;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        *val = vq ? vq->num_max : 0; /* 0: no such queue */
        return true;
    case VIRTIO_MMIO_QUEUE_READY:
        *val = vq ? vq->ready : 0;
        return true;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        *val = v->isr;
        if (v->ops->external_irq && (v->status & VIRTIO_STATUS_DRIVER_OK))
            *val |= VIRTIO_MMIO_INT_VRING;
        return true;
    case VIRTIO_MMIO_STATUS:
        *val = v->status | (v->needs_reset ? VIRTIO_STATUS_DEVICE_NEEDS_RESET : 0);
        return true;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        *val = 0xffffffffu; /* no shared memory regions: length -1 */
        return true;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        *val = v->config_generation;
        return true;
    default:
        return false;
    }
}

static int config_access(struct virtio_mmio *v, uint64_t offset, unsigned size, uint64_t *value,
                         bool write)
{
    uint64_t off = offset - VIRTIO_MMIO_CONFIG;
    uint8_t buf[8] = {0};

    if (off >= v->ops->config_size || size > v->ops->config_size - off) {
        bad_access(v, write ? "config write" : "config read", offset, size);
        return 0;
    }
    if (write) {
        vmm_put_le(buf, *value, size); /* little endian (2.4) */
        if (v->ops->config_write)
            v->ops->config_write(v, (uint32_t)off, buf, size);
        return 0;
    }
    v->ops->config_read(v, (uint32_t)off, buf, size);
    *value = vmm_get_le(buf, size);
    return 0;
}

static int virtio_mmio_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct virtio_mmio *v = opaque;
    uint32_t val = 0;

    *value = 0;
    if (offset >= VIRTIO_MMIO_CONFIG)
        return config_access(v, offset, size, value, false);
    if (size != 4 || (offset & 3) != 0 || !reg_read(v, offset, &val)) {
        bad_access(v, "read", offset, size);
        return 0;
    }
    *value = val;
    return 0;
}

static int virtio_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct virtio_mmio *v = opaque;

    if (offset >= VIRTIO_MMIO_CONFIG)
        return config_access(v, offset, size, &value, true);
    if (size != 4 || (offset & 3) != 0 || !reg_write(v, offset, (uint32_t)value))
        bad_access(v, "write", offset, size);
    return 0;
}

static const struct vmm_mmio_ops virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

/* The transport's device-tree properties: the device reads and writes
 * guest RAM coherently with the vCPUs (no cache maintenance needed). */
int vmm_virtio_mmio_fdt_props(const struct vmm_device *dev, void *fdt)
{
    (void)dev;
    return fdt_property(fdt, "dma-coherent", NULL, 0);
}

static void virtio_mmio_dev_reset(struct vmm_device *dev)
{
    device_reset(dev->opaque);
}

int vmm_virtio_mmio_init(struct virtio_mmio *v, const struct virtio_dev_ops *ops, void *priv,
                         struct vmm_vm *vm, const char *name, uint64_t base, unsigned irq)
{
    if (ops == NULL || vm == NULL || name == NULL || ops->nr_queues == 0 ||
        ops->nr_queues > VIRTIO_MMIO_MAX_QUEUES || ops->queue_num_max == 0 ||
        ops->queue_num_max > VIRTQ_MAX_SIZE || ops->queue_notify == NULL ||
        ops->config_size > VIRTIO_MMIO_WINDOW - VIRTIO_MMIO_CONFIG ||
        (ops->config_size && ops->config_read == NULL))
        return -VMM_EINVAL;
    memset(v, 0, sizeof(*v));
    v->ops = ops;
    v->priv = priv;
    v->vm = vm;
    v->dev = (struct vmm_device){
        .name = name,
        .node_name = "virtio_mmio",
        .compatible = virtio_mmio_compatible,
        .compatible_len = sizeof(virtio_mmio_compatible),
        .base = base,
        .size = VIRTIO_MMIO_WINDOW,
        .irq = irq,
        .ops = &virtio_mmio_ops,
        .opaque = v,
        .fdt_props = vmm_virtio_mmio_fdt_props,
        .reset = virtio_mmio_dev_reset,
    };
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        vmm_virtq_reset(&v->vqs[q], q < ops->nr_queues ? ops->queue_num_max : 0);
        v->vqs[q].counters = &v->dev.counters;
    }
    return 0;
}
