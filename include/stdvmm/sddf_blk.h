/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A block backend over an sDDF blk client (src/backends/sddf/blk.c): the
 * guest's requests become sDDF requests to the blk virtualiser, which maps
 * them into this client's partition and passes them to the driver. Data is
 * copied between guest RAM and slots of the client's data region; every
 * request completes asynchronously when the virtualiser's response arrives
 * (vmm_sddf_blk_notified()). sDDF addresses the disk in 4 KiB blocks, so
 * the backend tells the guest a 4 KiB block size and refuses reads and
 * writes that are not 4 KiB aligned. This header needs no sDDF header; the
 * .c file does (built with SDDF=DIR by examples/sel4, and on the host by
 * tests/unit/test_sddf_blk.c against a mirror of sDDF's queue layout).
 */
#ifndef STDVMM_SDDF_BLK_H
#define STDVMM_SDDF_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/log.h"

#define VMM_SDDF_BLK_BLOCK 4096u   /* sDDF's BLK_TRANSFER_SIZE */
#define VMM_SDDF_BLK_MAX_OPS 32u   /* guest requests held at once */
#define VMM_SDDF_BLK_MAX_SLOTS 64u /* sDDF requests in flight at once */

/* The client's side of one sDDF blk connection, as mapped in this PD. */
struct vmm_sddf_blk_conn {
    void *req_queue;    /* blk_req_queue_t */
    void *resp_queue;   /* blk_resp_queue_t */
    uint32_t capacity;  /* entries of each queue (num_buffers) */
    void *storage_info; /* blk_storage_info_t, written by the virtualiser */
    void *data;         /* the client data region */
    size_t data_size;   /* bytes, a multiple of 4 KiB */
    uint32_t slot_size; /* bytes of data per sDDF request, a multiple of 4 KiB */
    bool read_only;     /* refuse writes, offer VIRTIO_BLK_F_RO */
};

/* One guest request the backend holds until its last piece completes. */
struct vmm_sddf_blk_op {
    struct vmm_blk_req *req;
    uint64_t bytes;  /* total (0 for FLUSH) */
    uint64_t issued; /* bytes handed to sDDF so far */
    unsigned outstanding;
    int status;
    bool flush_sent;
};

struct vmm_sddf_blk {
    struct vmm_blk_backend backend; /* give this to the virtio-blk device */
    struct vmm_sddf_blk_conn conn;
    void (*notify)(void *ctx); /* the virtualiser has requests to take */
    void *notify_ctx;
    bool ready;                              /* storage info seen ready, capacity known */
    bool notify_pending;                     /* requests queued since the last flush */
    bool in_handler;                         /* completing requests: submit() only queues */
    uint32_t req_tail;                       /* our copy of the request queue's tail */
    uint32_t resp_head;                      /* our copy of the response queue's head */
    unsigned nr_slots;                       /* data slots (<= capacity, MAX_SLOTS) */
    unsigned slots_used;                     /* sDDF requests in flight */
    uint8_t slot_op[VMM_SDDF_BLK_MAX_SLOTS]; /* op index + 1, 0: free */
    uint64_t slot_off[VMM_SDDF_BLK_MAX_SLOTS];
    uint32_t slot_len[VMM_SDDF_BLK_MAX_SLOTS];
    struct vmm_sddf_blk_op ops[VMM_SDDF_BLK_MAX_OPS];
    uint8_t order[VMM_SDDF_BLK_MAX_OPS]; /* op indices, oldest first */
    unsigned nr_order;
    unsigned long reads, writes, flushes, errors, refused, bad_responses;
    struct vmm_ratelimit rl_refused, rl_bad;
};

/* Set up @b on @conn; -VMM_EINVAL when the connection makes no sense. */
int vmm_sddf_blk_init(struct vmm_sddf_blk *b, const struct vmm_sddf_blk_conn *conn,
                      void (*notify)(void *ctx), void *notify_ctx);

/* True once the virtualiser published this client's partition (capacity
 * read then, once, and validated); checked again at each call until then. */
bool vmm_sddf_blk_ready(struct vmm_sddf_blk *b);

/* The virtualiser notified: complete what it answered, send what waits. */
void vmm_sddf_blk_notified(struct vmm_sddf_blk *b);

/* Notify the virtualiser once for everything queued since the last call;
 * until the partition is ready, look whether it is now (the port calls this
 * after every vCPU exit, so the capacity is there before the guest reads it). */
void vmm_sddf_blk_flush(struct vmm_sddf_blk *b);

#endif
