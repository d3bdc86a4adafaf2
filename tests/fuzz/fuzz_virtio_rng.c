/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng (src/devices/virtio_rng.c): request chains of any shape and an
 * entropy backend that fills all, part, one byte, or fails, as the input says.
 *
 * Input: driver operations (fuzz_support.h) and device operations: a new
 * backend mood, vmm_virtio_rng_process(). Checked: every fill lands inside RAM
 * and is never asked for more than the per-chain limit, the device's byte
 * count equals what the backend gave, RAM bounds (ASan).
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_rng.h"

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_rng rng;
    struct vmm_entropy_backend be;
    uint8_t mood; /* 0 all, 1 half, 2 one byte, 3 fail */
    unsigned long given;
};

static struct fx fx;

static long be_fill(void *ctx, void *buf, size_t len)
{
    struct fx *f = ctx;
    size_t n;

    FZ_CHECK(len > 0 && len <= VIRTIO_RNG_MAX_CHAIN_BYTES);
    FZ_CHECK(fz_guest_owns(&f->g, buf, len));
    switch (f->mood & 3) {
    case 0:
        n = len;
        break;
    case 1:
        n = (len + 1) / 2;
        break;
    case 2:
        n = 1;
        break;
    default:
        return -VMM_EIO;
    }
    memset(buf, 0x3c, n);
    f->given += n;
    return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->mood = fz_u8(&in);
    f->given = 0;
    f->be = (struct vmm_entropy_backend){.fill = be_fill, .ctx = f};
    FZ_CHECK(vmm_virtio_rng_init(&f->rng, &f->g.vm, "fuzz-rng", FZ_DEV_BASE, FZ_DEV_IRQ, &f->be) ==
             0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_rng_device(&f->rng)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 1);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        if (op & 0x10)
            f->mood = op >> 5;
        else
            vmm_virtio_rng_process(&f->rng);
        (void)vmm_virtio_rng_pending(&f->rng);
    }
    FZ_CHECK(f->rng.bytes == f->given);
    fz_guest_free(&f->g);
    return 0;
}
