/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng, the entropy device (virtio 1.2 section 5.4), device ID 4: one
 * request queue, no feature bits, no configuration space.
 *
 * Each chain the driver posts is filled, from its first device-writable byte
 * on, with bytes from a struct vmm_entropy_backend, at most
 * VIRTIO_RNG_MAX_CHAIN_BYTES per chain (5.4.6.2 lets the device use less than
 * the whole buffer; the used length says how much). To keep the exit path
 * short, one call fills at most VIRTIO_RNG_MAX_CALL_BYTES; chains left over
 * stay in the ring for the next kick or vmm_virtio_rng_process().
 *
 * The driver must post only device-writable buffers (5.4.6.1); readable ones
 * are ignored (never read, logged once) rather than failing the device. A
 * chain with no writable byte is returned with length 0. If the backend fails
 * before giving a byte, the chain is kept and retried at the next kick or
 * vmm_virtio_rng_process().
 */
#ifndef STDVMM_VIRTIO_RNG_H
#define STDVMM_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_CHAIN_BYTES (64u * 1024)
#define VIRTIO_RNG_MAX_CALL_BYTES (256u * 1024)

struct virtio_rng {
    struct virtio_mmio vdev;
    const struct vmm_entropy_backend *backend;
    struct virtq_chain chain; /* the chain being filled */
    bool held;                /* chain popped, backend failed: retry it first */
    unsigned long bytes;      /* entropy given to the guest */
    unsigned long backend_errors;
    struct vmm_ratelimit rl_backend, rl_readable;
};

/* Set up @rng as device @name at @base with line @irq, filled from @backend
 * (which must outlive it); then add vmm_virtio_rng_device(@rng) to the VM. */
int vmm_virtio_rng_init(struct virtio_rng *rng, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const struct vmm_entropy_backend *backend);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_rng_device(struct virtio_rng *rng)
{
    return vmm_virtio_mmio_device(&rng->vdev);
}

/* Fill pending requests (up to VIRTIO_RNG_MAX_CALL_BYTES), as a kick does;
 * call with the device lock held. A guest violation fails the device. */
void vmm_virtio_rng_process(struct virtio_rng *rng);

/* True if requests are waiting (left over, or held after a backend error). */
bool vmm_virtio_rng_pending(struct virtio_rng *rng);

#endif
