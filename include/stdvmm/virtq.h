/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueues (virtio 1.2 section 2.7), device side. This is the one
 * place in stdvmm that reads descriptors. Everything in the rings is treated
 * as hostile and read exactly once into a local copy:
 *
 *  - queue size a power of two, 1..num_max; rings aligned (16/2/4) and wholly
 *    inside guest RAM (checked once, in vmm_virtq_enable());
 *  - the avail index never more than the queue size ahead of what was consumed;
 *  - head and every next index < queue size; at most queue-size descriptors
 *    in the direct part of a chain (so a cycle ends);
 *  - every buffer wholly inside one guest RAM region;
 *  - device-readable buffers before device-writable ones;
 *  - VIRTQ_DESC_F_INDIRECT only when negotiated, never with NEXT, never
 *    nested; its table non-empty, a multiple of 16 bytes, in RAM, and at most
 *    VIRTQ_MAX_CHAIN entries (the spec needs no table alignment, nor does
 *    stdvmm: entries are copied out);
 *  - at most VIRTQ_MAX_CHAIN buffers and less than 4 GiB per direction.
 *
 * Zero-length buffers are accepted and skipped (they take no segment and
 * their address is not checked). A violation returns a negative VMM_E* code
 * and leaves a short reason in vq->fault; the transport then marks the device
 * as needing reset (see virtio.h). Nothing here writes to a device-readable
 * buffer.
 */
#ifndef STDVMM_VIRTQ_H
#define STDVMM_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/device.h"
#include "stdvmm/mem.h"

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* Largest queue size stdvmm devices offer (QueueNumMax). */
#define VIRTQ_MAX_SIZE 256u
/* Most buffers in one chain, direct and indirect together. */
#define VIRTQ_MAX_CHAIN 256u

/* Ring part sizes and alignments (2.7, table "Virtqueue Part Alignment"). */
#define VIRTQ_DESC_SIZE 16u
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u
#define VIRTQ_AVAIL_BYTES(num) (6u + 2u * (uint32_t)(num))
#define VIRTQ_USED_BYTES(num) (6u + 8u * (uint32_t)(num))

/* Host-side state of one split virtqueue. The transport writes num and the
 * three ring addresses from the driver's registers while the queue is not
 * ready; everything else belongs to this module. */
struct virtq {
    uint16_t num_max; /* set by the device model, <= VIRTQ_MAX_SIZE */
    uint16_t num;     /* QueueNum */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    bool ready;

    bool event_idx;               /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;                /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
    bool no_notify;               /* device asked the driver not to kick */
    uint8_t *desc, *avail, *used; /* host views of the rings (valid while ready) */
    const struct vmm_mem *mem;
    uint16_t last_avail;     /* next avail ring slot to consume */
    uint16_t used_idx;       /* our used->idx */
    uint16_t signalled_used; /* used_idx when the driver was last considered for an interrupt */
    const char *fault;       /* reason of the last violation, for the log */
    /* The owning device's counters (requests, bytes), or NULL; the
     * transport sets it again after every vmm_virtq_reset(). */
    struct vmm_device_counters *counters;
};

/* One popped chain: seg[0..nr_readable) are device-readable, the next
 * nr_writable are device-writable. It is large (4 KiB): keep it in device
 * state rather than on a small stack. */
struct virtq_chain {
    uint16_t head; /* give back with vmm_virtq_push_used() */
    uint16_t nr_readable, nr_writable;
    uint32_t readable_len, writable_len; /* byte totals */
    struct vmm_iov seg[VIRTQ_MAX_CHAIN];
};

/* The driver broke a rule on @vq: note @why (a static string, logged by the
 * transport) and return @err, a negative VMM_E* code. A device returns it
 * from queue_notify, or passes it to vmm_virtio_mmio_queue_error(), and the
 * device then needs reset; devices never write transport state themselves. */
int vmm_virtq_fail(struct virtq *vq, int err, const char *why);

/* Forget everything about @vq and set its largest size (QueueNumMax). */
void vmm_virtq_reset(struct virtq *vq, uint16_t num_max);

/* Start using @vq as configured (num, *_gpa) with the negotiated features:
 * -VMM_EINVAL bad size or alignment, -VMM_EFAULT a ring outside RAM. */
int vmm_virtq_enable(struct virtq *vq, const struct vmm_mem *mem, bool event_idx, bool indirect);

/* Stop using @vq (QueueReady = 0); the configuration is kept. */
void vmm_virtq_disable(struct virtq *vq);

/* True if the driver has made a chain available that was not popped yet. */
bool vmm_virtq_has_avail(struct virtq *vq);

/*
 * Take the next available chain into @chain: 1 when one was taken, 0 when
 * the ring is empty, or a negative code for a guest violation
 * (-VMM_ERANGE index out of range, -VMM_E2BIG chain too long or loops,
 * -VMM_EFAULT address outside RAM, -VMM_EINVAL malformed, -VMM_ENOTSUP
 * indirect not negotiated). With EVENT_IDX it also moves avail_event.
 */
int vmm_virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Return chain @head to the driver with @written bytes put in its writable
 * part; -VMM_EINVAL when the queue is not ready or @head is out of range. */
int vmm_virtq_push_used(struct virtq *vq, uint16_t head, uint32_t written);

/* After pushing: should the driver be interrupted? Applies used_event with
 * EVENT_IDX, else VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7.2). */
bool vmm_virtq_need_interrupt(struct virtq *vq);

/* Ask the driver not to kick (VIRTQ_USED_F_NO_NOTIFY, or with EVENT_IDX by
 * no longer moving avail_event). */
void vmm_virtq_disable_notify(struct virtq *vq);

/* Ask for kicks again; returns true if chains arrived meanwhile, which the
 * caller must then process (no kick will come for them). */
bool vmm_virtq_enable_notify(struct virtq *vq);

/* Copy up to @len bytes from offset @off of the readable part; returns bytes copied. */
size_t vmm_virtq_chain_gather(const struct virtq_chain *chain, size_t off, void *dst, size_t len);

/* Copy up to @len bytes to offset @off of the writable part; returns bytes copied. */
size_t vmm_virtq_chain_scatter(const struct virtq_chain *chain, size_t off, const void *src,
                               size_t len);

/* The event-index rule (2.7.10): with the other side's @event index, does
 * moving our index from @old to @new cross it? Used both ways. */
static inline bool vmm_virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* The device-readable segments of @chain (nr_readable of them): read only. */
static inline const struct vmm_iov *vmm_virtq_chain_readable(const struct virtq_chain *chain)
{
    return chain->seg;
}

/* The writable segments of @chain (nr_writable of them). */
static inline const struct vmm_iov *vmm_virtq_chain_writable(const struct virtq_chain *chain)
{
    return chain->seg + chain->nr_readable;
}

#endif
