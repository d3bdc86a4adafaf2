/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng (virtio 1.2 section 5.4). See include/stdvmm/virtio_rng.h for
 * the limits per chain and per call, and what happens to readable buffers.
 */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio_rng.h"

#define RNG_REQUESTQ 0u

static struct virtio_rng *to_rng(struct virtio_mmio *vdev)
{
    return vdev->priv;
}

/* Fill the writable part of rng->chain from its start, at most @cap bytes.
 * Returns the bytes filled; *@err gets the backend's error if it stopped early. */
static size_t fill_chain(struct virtio_rng *rng, size_t cap, int *err)
{
    const struct vmm_entropy_backend *be = rng->backend;
    const struct vmm_iov *wr = vmm_virtq_chain_writable(&rng->chain);
    size_t done = 0;

    for (unsigned i = 0; i < rng->chain.nr_writable && done < cap; i++) {
        for (size_t off = 0; off < wr[i].len && done < cap;) {
            size_t want = wr[i].len - off < cap - done ? wr[i].len - off : cap - done;
            long n = be->fill(be->ctx, (uint8_t *)wr[i].base + off, want);

            if (n <= 0 || (size_t)n > want) {
                *err = n < 0 ? (int)n : -VMM_EIO;
                return done;
            }
            off += (size_t)n;
            done += (size_t)n;
        }
    }
    return done;
}

/* Fill and return chains until the ring is empty or the budget is spent. */
static int rng_run(struct virtio_rng *rng)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&rng->vdev, RNG_REQUESTQ);
    size_t budget = VIRTIO_RNG_MAX_CALL_BYTES;
    bool pushed = false;
    int ret = 0;

    if (vq == NULL)
        return 0;
    for (unsigned n = 0; n < vq->num && budget > 0; n++) {
        size_t cap, done;
        int err = 0;

        if (!rng->held) {
            ret = vmm_virtq_pop(vq, &rng->chain);
            if (ret <= 0)
                break;
            if (rng->chain.nr_readable > 0 && vmm_ratelimit_first(&rng->rl_readable))
                vmm_warn("%s: device-readable buffer in a request (ignored; further ones counted)",
                         rng->vdev.dev.name);
        }
        rng->held = false;
        cap = rng->chain.writable_len;
        if (cap > VIRTIO_RNG_MAX_CHAIN_BYTES)
            cap = VIRTIO_RNG_MAX_CHAIN_BYTES;
        if (cap > budget)
            cap = budget;
        done = fill_chain(rng, cap, &err);
        if (err < 0) {
            rng->backend_errors++;
            if (vmm_ratelimit_first(&rng->rl_backend))
                vmm_warn("%s: entropy backend failed: %s (further errors counted)",
                         rng->vdev.dev.name, vmm_strerror(err));
        }
        if (done == 0 && cap > 0) {
            rng->held = true; /* nothing to give yet: keep the chain, try later */
            break;
        }
        budget -= done;
        rng->bytes += done;
        ret = vmm_virtq_push_used(vq, rng->chain.head, (uint32_t)done);
        if (ret < 0)
            break;
        pushed = true;
    }
    if (pushed)
        vmm_virtio_mmio_notify_used(&rng->vdev, RNG_REQUESTQ);
    return ret < 0 ? ret : 0;
}

static int rng_notify(struct virtio_mmio *vdev, unsigned q)
{
    return q == RNG_REQUESTQ ? rng_run(to_rng(vdev)) : 0;
}

static void rng_reset(struct virtio_mmio *vdev)
{
    to_rng(vdev)->held = false;
}

/* The kept chain belongs to the ring the driver just disabled. */
static void rng_queue_reset(struct virtio_mmio *vdev, unsigned q)
{
    (void)q;
    rng_reset(vdev);
}

void vmm_virtio_rng_process(struct virtio_rng *rng)
{
    int ret = rng_run(rng);

    if (ret < 0)
        vmm_virtio_mmio_queue_error(&rng->vdev, RNG_REQUESTQ, ret);
}

bool vmm_virtio_rng_pending(struct virtio_rng *rng)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&rng->vdev, RNG_REQUESTQ);

    return vq != NULL && (rng->held || vmm_virtq_has_avail(vq));
}

static const struct virtio_dev_ops rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .nr_queues = 1,
    .queue_num_max = VIRTIO_RNG_QUEUE_SIZE,
    .queue_notify = rng_notify,
    .reset = rng_reset,
    .queue_reset = rng_queue_reset,
};

int vmm_virtio_rng_init(struct virtio_rng *rng, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const struct vmm_entropy_backend *backend)
{
    if (backend == NULL || backend->fill == NULL)
        return -VMM_EINVAL;
    memset(rng, 0, sizeof(*rng));
    rng->backend = backend;
    return vmm_virtio_mmio_init(&rng->vdev, &rng_ops, rng, vm, name, base, irq);
}
