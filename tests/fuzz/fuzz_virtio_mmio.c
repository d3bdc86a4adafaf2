/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-mmio transport (src/virtio/virtio_mmio.c) and the MMIO bus,
 * with a generic test device behind them: register accesses of every size
 * and offset, status and feature negotiation in any order, queue setup,
 * notifies and chains from the hostile driver (fuzz_support.h).
 *
 * Input: byte 0 shapes the device (queues 1..4, config space size, whether
 * notify handling reports violations), byte 1 its QueueNumMax; then driver
 * operations. The test device pops every chain on a kick, gathers and
 * scatters it and returns it. Checked: the transport only notifies the
 * device for queues that exist and are live, config accesses stay inside the
 * config space, chain segments lie in RAM.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio.h"

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_mmio vdev;
    struct virtio_dev_ops ops;
    struct virtq_chain chain;
    uint8_t config[256];
    uint8_t scratch[0x2000];
    bool fail_notify;
};

static struct fx fx;

static void cfg_read(struct virtio_mmio *v, uint32_t off, uint8_t *buf, unsigned len)
{
    struct fx *f = v->priv;

    FZ_CHECK(len >= 1 && len <= 8 && off < f->ops.config_size && len <= f->ops.config_size - off);
    memcpy(buf, f->config + off, len);
}

static void cfg_write(struct virtio_mmio *v, uint32_t off, const uint8_t *buf, unsigned len)
{
    struct fx *f = v->priv;

    FZ_CHECK(len >= 1 && len <= 8 && off < f->ops.config_size && len <= f->ops.config_size - off);
    memcpy(f->config + off, buf, len);
    if (buf[0] == 0xcc)
        vmm_virtio_mmio_config_changed(v);
}

static int notify(struct virtio_mmio *v, unsigned q)
{
    struct fx *f = v->priv;
    struct virtq *vq = vmm_virtio_mmio_queue(v, q);
    int ret = 0;

    FZ_CHECK(q < f->ops.nr_queues);
    FZ_CHECK(vq != NULL && vq->ready);
    /* A queue's worth per kick: writable buffers may overlay the avail ring. */
    for (unsigned n = 0; n < vq->num; n++) {
        const struct virtq_chain *c = &f->chain;

        ret = vmm_virtq_pop(vq, &f->chain);
        if (ret <= 0)
            break;
        for (unsigned i = 0; i < (unsigned)c->nr_readable + c->nr_writable; i++)
            FZ_CHECK(fz_guest_owns(&f->g, c->seg[i].base, c->seg[i].len));
        (void)vmm_virtq_chain_gather(c, 0, f->scratch, sizeof(f->scratch));
        (void)vmm_virtq_chain_scatter(c, 0, f->scratch,
                                      c->writable_len < 16 ? c->writable_len : 16);
        FZ_CHECK(vmm_virtq_push_used(vq, c->head, c->writable_len) == 0);
        if (f->fail_notify && c->readable_len == 13)
            return -VMM_EINVAL; /* the device model found a bad request */
    }
    vmm_virtio_mmio_notify_used(v, q);
    return ret < 0 ? ret : 0;
}

static void reset(struct virtio_mmio *v)
{
    struct fx *f = v->priv;

    memset(f->config, 0x5a, sizeof(f->config));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t shape = fz_u8(&in);
    uint8_t nmax = fz_u8(&in);
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->ops = (struct virtio_dev_ops){
        .device_id = 0x42,
        .features = (uint64_t)(shape & 0xf0) << 20 | 1u,
        .nr_queues = 1 + (shape & 3),
        .queue_num_max = (uint16_t)(1u + nmax),
        .config_size = (shape & 4) ? 256u - (shape >> 4) : (shape >> 3) & 31u,
        .config_read = cfg_read,
        .config_write = (shape & 8) ? cfg_write : NULL,
        .queue_notify = notify,
        .reset = reset,
    };
    f->fail_notify = (shape & 0x80) != 0;
    memset(f->config, 0x5a, sizeof(f->config));
    FZ_CHECK(vmm_virtio_mmio_init(&f->vdev, &f->ops, f, &f->g.vm, "fuzz-virtio", FZ_DEV_BASE,
                                  FZ_DEV_IRQ) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_mmio_device(&f->vdev)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, f->ops.nr_queues);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        switch (op % 3) {
        case 0: /* device side: config change, queue error */
            vmm_virtio_mmio_config_changed(&f->vdev);
            break;
        case 1:
            vmm_virtio_mmio_queue_error(&f->vdev, fz_u8(&in), -VMM_EINVAL);
            break;
        default: /* an access anywhere on the bus */
            fz_mmio(&f->g, fz_u64(&in), 1u << (fz_u8(&in) & 3), op & 0x80, fz_u64(&in));
            break;
        }
    }
    fz_guest_free(&f->g);
    return 0;
}
