/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (virtio 1.2 section 5.2), device ID 2: one request queue, I/O
 * through a struct vmm_blk_backend (backend.h).
 *
 * Features: SIZE_MAX, SEG_MAX, BLK_SIZE (the backend's block_size, default 512),
 * FLUSH; RO when the backend is
 * read-only; DISCARD and WRITE_ZEROES (one segment each) when it can_discard.
 * Without a negotiated FLUSH the device is write-through: every write is
 * followed by a backend flush before it completes, because such a driver
 * (Linux, for one) assumes there is no volatile write cache.
 *
 * Requests (5.2.6): a 16-byte header in the device-readable part (it may be
 * split over buffers), data, and a status byte, which is the last byte of the
 * last device-writable buffer. A chain with no writable byte has nowhere to
 * report anything: that is a virtqueue violation and the device needs reset.
 * Everything else the guest gets wrong is answered with a status:
 *  - IOERR: short header; data not a multiple of 512; sector range beyond the
 *    capacity (overflow included); IN data not writable or OUT data not
 *    readable; more than VIRTIO_BLK_SEG_MAX data pieces; a write, discard or
 *    write-zeroes on a read-only device; a discard/write-zeroes segment out of
 *    range or longer than VIRTIO_BLK_MAX_DISCARD_SECTORS; a backend error.
 *  - UNSUPP: an unknown request type; discard/write-zeroes when the backend
 *    cannot; more than one segment; reserved flag bits; UNMAP on a discard.
 * The used length is 1 (the status byte), plus the data bytes filled in for
 * a successful IN or GET_ID. size_max is advice to the driver, not enforced.
 *
 * The backend may complete requests later (up to VIRTIO_BLK_MAX_INFLIGHT at
 * a time); it must then call complete() with the VM's device lock held.
 * Completions of requests issued before a device reset are dropped.
 */
#ifndef STDVMM_VIRTIO_BLK_H
#define STDVMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_BLOCK 2

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status values (5.2.6). */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Discard / write-zeroes segment flags (5.2.6). */
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u

/* struct virtio_blk_config offsets (5.2.4), all little endian. */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SIZE_MAX 8
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_BLK_SIZE 20
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT 44
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG 52
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 56
#define VIRTIO_BLK_CONFIG_SIZE 60 /* up to and including unused1[3] */

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_HDR_SIZE 16u
#define VIRTIO_BLK_DISCARD_SEG_SIZE 16u
#define VIRTIO_BLK_ID_BYTES 20u

/* What stdvmm offers. */
#define VIRTIO_BLK_QUEUE_SIZE 128
#define VIRTIO_BLK_SEG_MAX 126u /* data pieces per request: queue size minus header, status */
#define VIRTIO_BLK_SIZE_MAX (1u << 20)
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 16) /* 32 MiB per segment */
#define VIRTIO_BLK_DISCARD_ALIGNMENT 8u           /* sectors: 4 KiB */
#define VIRTIO_BLK_MAX_INFLIGHT 8u

struct virtio_blk;

/* One request handed to the backend. */
struct virtio_blk_slot {
    struct vmm_blk_req req;
    struct virtio_blk *blk;
    uint8_t *status;     /* host view of the guest's status byte */
    uint32_t data_len;   /* bytes filled in for the guest on success */
    uint32_t generation; /* the device's at submission */
    uint16_t head;
    bool busy;
    bool flush_after; /* write-through: flush once the write is done */
    struct vmm_iov iov[VIRTIO_BLK_SEG_MAX];
};

struct virtio_blk {
    struct virtio_mmio vdev;
    struct virtio_dev_ops ops; /* features depend on the backend */
    const struct vmm_blk_backend *backend;
    char serial[VIRTIO_BLK_ID_BYTES]; /* GET_ID answer, NUL padded */
    struct virtq_chain chain;         /* scratch for the chain being parsed */
    struct virtio_blk_slot slots[VIRTIO_BLK_MAX_INFLIGHT];
    unsigned inflight;
    uint32_t generation; /* bumped on reset */
    bool processing;     /* inside the queue loop */
    bool pushed;         /* used entries added during the loop */
    bool stalled;        /* the loop stopped for want of a free slot */
    unsigned long requests, errors;
    struct vmm_ratelimit rl_bad_request, rl_backend;
};

/*
 * Set up @blk as device @name at @base with line @irq on @backend (which
 * must outlive it). GET_ID answers @serial (NULL: @name), truncated to 20
 * bytes. Then add vmm_virtio_blk_device(@blk) to @vm.
 */
int vmm_virtio_blk_init(struct virtio_blk *blk, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const struct vmm_blk_backend *backend, const char *serial);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_blk_device(struct virtio_blk *blk)
{
    return vmm_virtio_mmio_device(&blk->vdev);
}

#endif
