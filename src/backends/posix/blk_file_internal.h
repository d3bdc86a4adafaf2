/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by blk_file.c (the image, one request) and blk_file_worker.c
 * (the I/O worker thread and its queue). */
#ifndef STDVMM_BLK_FILE_INTERNAL_H
#define STDVMM_BLK_FILE_INTERNAL_H

#include "stdvmm/posix/blk.h"

/* Do @job, or for zeroes written by hand the next @zero_step bytes of it
 * (*@more: some are left). 0 or a negative VMM_E* code. No lock needed. */
int vmm_blk_file_step(struct blk_file *f, struct blk_file_job *job, uint64_t zero_step, bool *more);

/* Count @req as done with @status (VM lock held, or no worker). */
void vmm_blk_file_account(struct blk_file *f, const struct vmm_blk_req *req, int status);

/* Hand a checked @req to the running worker: 0, or -VMM_EBUSY when the
 * queue is full (complete() is then not called). */
int vmm_blk_file_queue(struct blk_file *f, struct vmm_blk_req *req);

/* Put @job into the queue (qlock held) before the first FLUSH, or with
 * @before_any_write before the first request that is not a READ; false if
 * the queue (with the fast path's reads counted) is full. */
bool vmm_blk_file_insert(struct blk_file *f, const struct blk_file_job *job, bool before_any_write);

/* Backend cancel(): the device was reset (VM lock held). */
void vmm_blk_file_cancel(void *ctx);

/* The fast path (blk_file_nowait.c): take READ @req (VM lock held, worker
 * running) to be read after the lock is dropped; false: queue it. */
bool vmm_blk_file_try_inline(struct blk_file *f, struct vmm_blk_req *req);

#endif
