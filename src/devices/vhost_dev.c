/* SPDX-License-Identifier: BSD-2-Clause */
/* A virtio device served outside the VMM (vhost_dev.h). */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/vhost_dev.h"

/* What the transport offers every device; the backend must serve them. */
#define VHOST_DEV_NEEDED                                                                           \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |                             \
     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define VHOST_DEV_DEVICE_BITS 0xffffffull /* 6: bits 0..23 are device specific */

static void vhost_config_read(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf, unsigned len)
{
    struct vhost_dev *d = vdev->priv;

    memcpy(buf, d->config + offset, len); /* the transport checked the range */
}

static void vhost_fail(struct vhost_dev *d, int err, const char *why)
{
    d->failures++;
    vmm_virtio_mmio_queue_error(&d->vdev, 0, vmm_virtq_fail(&d->vdev.vqs[0], err, why));
}

static void vhost_driver_ok(struct virtio_mmio *vdev)
{
    struct vhost_dev *d = vdev->priv;
    struct vmm_vhost_ring rings[VIRTIO_MMIO_MAX_QUEUES];
    bool ready[VIRTIO_MMIO_MAX_QUEUES];
    int ret;

    for (unsigned q = 0; q < d->ops.nr_queues; q++) {
        const struct virtq *vq = &vdev->vqs[q];

        rings[q] = (struct vmm_vhost_ring){vq->num, vq->desc_gpa, vq->avail_gpa, vq->used_gpa};
        ready[q] = vq->ready;
    }
    ret = d->backend->start(d->backend->ctx, vdev->driver_features, rings, ready, d->ops.nr_queues);
    if (ret < 0) {
        vhost_fail(d, ret, "the backend did not start the device");
        return;
    }
    d->started = true;
    d->starts++;
}

static void vhost_stop(struct vhost_dev *d)
{
    if (!d->started)
        return;
    d->started = false;
    d->backend->stop(d->backend->ctx);
}

static int vhost_queue_notify(struct virtio_mmio *vdev, unsigned q)
{
    struct vhost_dev *d = vdev->priv;

    if (d->started)
        d->backend->kick(d->backend->ctx, q);
    return 0;
}

static void vhost_reset(struct virtio_mmio *vdev)
{
    vhost_stop(vdev->priv);
}

/* A ring disabled on its own (no VIRTIO_F_RING_RESET is offered, so only a
 * confused driver does this): the backend's view of it is stale, stop all. */
static void vhost_queue_reset(struct virtio_mmio *vdev, unsigned q)
{
    (void)q;
    vhost_stop(vdev->priv);
}

static void vhost_sink_failed(void *dev, int err)
{
    struct vhost_dev *d = dev;

    vhost_fail(d, err, "the vhost-user backend failed");
}

struct vmm_vhost_sink vmm_vhost_dev_sink(struct vhost_dev *d)
{
    return (struct vmm_vhost_sink){.failed = vhost_sink_failed, .dev = d};
}

bool vmm_vhost_dev_needs_reset(const struct vhost_dev *d)
{
    return d->vdev.needs_reset;
}

int vmm_vhost_dev_init(struct vhost_dev *d, struct vmm_vm *vm, const char *name, uint64_t base,
                       unsigned irq, const struct vmm_vhost_backend *backend,
                       const struct vhost_dev_params *p)
{
    const uint8_t *config = p->config ? p->config : backend->config;
    uint32_t config_size = p->config ? p->config_size : backend->config_size;
    int ret;

    memset(d, 0, sizeof(*d));
    if (backend == NULL || p->nr_queues == 0 || p->nr_queues > VIRTIO_MMIO_MAX_QUEUES ||
        p->nr_queues > backend->max_queues || config_size > VHOST_DEV_CONFIG_MAX ||
        backend->start == NULL || backend->stop == NULL || backend->kick == NULL)
        return -VMM_EINVAL;
    if ((backend->features & VHOST_DEV_NEEDED) != VHOST_DEV_NEEDED)
        return -VMM_ENOTSUP;
    d->backend = backend;
    memcpy(d->config, config, config_size);
    d->ops = (struct virtio_dev_ops){
        .device_id = p->device_id,
        .features = backend->features & p->device_mask & VHOST_DEV_DEVICE_BITS,
        .nr_queues = p->nr_queues,
        .queue_num_max = VHOST_DEV_QUEUE_SIZE,
        .config_size = config_size,
        .config_read = config_size ? vhost_config_read : NULL,
        .queue_notify = vhost_queue_notify,
        .reset = vhost_reset,
        .queue_reset = vhost_queue_reset,
        .driver_ok = vhost_driver_ok,
        .external_irq = true,
    };
    ret = vmm_virtio_mmio_init(&d->vdev, &d->ops, d, vm, name, base, irq);
    d->vdev.dev.irq_edge = true;
    return ret;
}
