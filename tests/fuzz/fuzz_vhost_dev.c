/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A device served outside the VMM (src/devices/vhost_dev.c) under the
 * hostile virtio-mmio driver, with a backend that starts or refuses as
 * the input says and that may report its death at any point.
 *
 * Input: a backend mood byte, then driver operations (fuzz_support.h) and
 * device operations: the backend fails (sink), the next start succeeds or
 * fails. Checked: start is called only at DRIVER_OK of a live device, with
 * every ready ring wholly inside guest RAM and the negotiated features;
 * never twice without a stop between; stop only after a start; kicks reach
 * the backend only while it is started; a failed backend leaves the device
 * in DEVICE_NEEDS_RESET until the driver resets it.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/vhost_dev.h"
#include "stdvmm/virtq.h"

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct vhost_dev dev;
    struct vmm_vhost_backend be;
    bool started;
    int start_ret;
    unsigned long starts, stops, kicks;
};

static struct fx fx;

static int be_start(void *ctx, uint64_t features, const struct vmm_vhost_ring *r, const bool *ready,
                    unsigned nr)
{
    struct fx *f = ctx;

    FZ_CHECK(!f->started && nr == 2);
    FZ_CHECK((f->dev.vdev.status & VIRTIO_STATUS_DRIVER_OK) && !f->dev.vdev.needs_reset);
    FZ_CHECK(features == f->dev.vdev.driver_features);
    for (unsigned q = 0; q < nr; q++) {
        if (!ready[q])
            continue;
        FZ_CHECK(r[q].num > 0 && r[q].num <= VHOST_DEV_QUEUE_SIZE);
        FZ_CHECK(vmm_gpa_to_hva(&f->g.vm.mem, r[q].desc_gpa, 16ull * r[q].num) != NULL);
        FZ_CHECK(vmm_gpa_to_hva(&f->g.vm.mem, r[q].avail_gpa, VIRTQ_AVAIL_BYTES(r[q].num)) != NULL);
        FZ_CHECK(vmm_gpa_to_hva(&f->g.vm.mem, r[q].used_gpa, VIRTQ_USED_BYTES(r[q].num)) != NULL);
    }
    f->starts++;
    if (f->start_ret == 0)
        f->started = true;
    return f->start_ret;
}

static void be_stop(void *ctx)
{
    struct fx *f = ctx;

    FZ_CHECK(f->started);
    f->started = false;
    f->stops++;
}

static void be_kick(void *ctx, unsigned q)
{
    struct fx *f = ctx;

    FZ_CHECK(f->started && q < 2);
    f->kicks++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    const struct vhost_dev_params p = {.device_id = VIRTIO_ID_FS, .nr_queues = 2};
    unsigned ops = 0;
    uint8_t mood;

    memset(f, 0, sizeof(*f));
    fz_guest_init(&f->g, 1);
    mood = fz_u8(&in);
    f->start_ret = (mood & 1) ? -VMM_EPIPE : 0;
    f->be = (struct vmm_vhost_backend){
        .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | (mood & 0x0e),
        .config_size = (mood & 0x10) ? 40 : 0,
        .max_queues = 2,
        .start = be_start,
        .stop = be_stop,
        .kick = be_kick,
        .ctx = f,
    };
    FZ_CHECK(vmm_vhost_dev_init(&f->dev, &f->g.vm, "fuzz-vhost", FZ_DEV_BASE, FZ_DEV_IRQ, &f->be,
                                &p) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_vhost_dev_device(&f->dev)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 2);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        if (op & 0x10) {
            f->start_ret = (op & 0x20) ? -VMM_EPIPE : 0;
        } else {
            struct vmm_vhost_sink sink = vmm_vhost_dev_sink(&f->dev);

            sink.failed(sink.dev, -VMM_EPIPE);
            FZ_CHECK(vmm_vhost_dev_needs_reset(&f->dev));
        }
        FZ_CHECK(f->started == f->dev.started);
    }
    FZ_CHECK(f->starts >= f->stops);
    fz_guest_free(&f->g);
    return 0;
}
