/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The block backend over an sDDF blk client (include/stdvmm/sddf_blk.h).
 *
 * A guest request is held in ops[] (oldest first in order[]) and cut into
 * pieces of at most slot_size bytes, one sDDF request each, with its data in
 * its own slot of the data region (the request id is the slot number).
 * Writes are copied into the slot before the request is queued, reads out
 * of it when the response arrives. At most nr_slots requests are in flight,
 * never more than the response queue holds (the virtualiser asserts that).
 * A FLUSH is queued only once every older request has completed, and nothing
 * newer is queued until it completes (backend.h's rule). Nothing waits: what
 * does not fit now is sent after the next response. A device reset cancels
 * (blk_cancel()): nothing more is sent and no late read reaches the guest.
 *
 * Everything the virtualiser writes is checked before use: queue indices
 * (a head or tail more than a queue apart is ignored), response ids (one
 * not in flight is dropped), the published capacity. The guest's ranges are
 * checked again here even though the device model did, and the partition
 * bounds are enforced once more by the virtualiser.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sddf/blk/queue.h>
#include <sddf/blk/storage_info.h>
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/sddf_blk.h"

#define SECTOR 512u
#define SECTORS_PER_BLOCK (VMM_SDDF_BLK_BLOCK / SECTOR)

_Static_assert(BLK_TRANSFER_SIZE == VMM_SDDF_BLK_BLOCK, "sDDF's block size changed");
_Static_assert(VMM_SDDF_BLK_MAX_OPS < 255, "op indices are stored + 1 in a byte");

static blk_req_queue_t *req_q(const struct vmm_sddf_blk *b)
{
    return b->conn.req_queue;
}

static blk_resp_queue_t *resp_q(const struct vmm_sddf_blk *b)
{
    return b->conn.resp_queue;
}

static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void bad(struct vmm_sddf_blk *b, const char *what)
{
    b->bad_responses++;
    if (vmm_ratelimit_first(&b->rl_bad))
        vmm_warn("sDDF blk: %s (ignored; further ones counted)", what);
}

static int refuse(struct vmm_sddf_blk *b, int err, const char *why)
{
    b->refused++;
    if (vmm_ratelimit_first(&b->rl_refused))
        vmm_warn("sDDF blk: request refused: %s (further ones counted)", why);
    return err;
}

bool vmm_sddf_blk_ready(struct vmm_sddf_blk *b)
{
    blk_storage_info_t *si = b->conn.storage_info;
    uint64_t cap;

    if (b->ready)
        return true;
    if (!__atomic_load_n(&si->ready, __ATOMIC_ACQUIRE))
        return false;
    cap = __atomic_load_n(&si->capacity, __ATOMIC_RELAXED);
    if (cap > UINT64_MAX / SECTORS_PER_BLOCK) {
        vmm_err("sDDF blk: the virtualiser published a capacity of %llu blocks: using 0",
                (unsigned long long)cap);
        cap = 0;
    }
    b->backend.nr_sectors = cap * SECTORS_PER_BLOCK;
    if (__atomic_load_n(&si->read_only, __ATOMIC_RELAXED))
        b->backend.read_only = true; /* writes refused from now on */
    b->ready = true;
    vmm_info("sDDF blk: partition ready, %llu KiB%s", (unsigned long long)(cap * 4),
             b->backend.read_only ? ", read-only" : "");
    return true;
}

/* Free room in the request queue; 0 when the virtualiser's head is bogus.
 * The queue indices are free-running: their difference wraps on purpose. */
VMM_WRAPS static uint32_t req_room(struct vmm_sddf_blk *b)
{
    uint32_t used = b->req_tail - load_acquire(&req_q(b)->head);

    if (used > b->conn.capacity) {
        bad(b, "request queue head out of range");
        return 0;
    }
    return b->conn.capacity - used;
}

static int free_slot(const struct vmm_sddf_blk *b)
{
    for (unsigned i = 0; i < b->nr_slots; i++) {
        if (b->slot_op[i] == 0)
            return (int)i;
    }
    return -1;
}

static uint8_t *slot_data(const struct vmm_sddf_blk *b, unsigned slot)
{
    return (uint8_t *)b->conn.data + (size_t)slot * b->conn.slot_size;
}

/* Copy @len bytes between byte @off of @req's buffers and @buf. */
static void iov_copy(const struct vmm_blk_req *req, uint64_t off, uint8_t *buf, size_t len,
                     bool to_guest)
{
    for (unsigned i = 0; i < req->nr_iov && len > 0; i++) {
        size_t n = req->iov[i].len, take;

        if (off >= n) {
            off -= n;
            continue;
        }
        take = n - (size_t)off < len ? n - (size_t)off : len;
        if (to_guest)
            memcpy((uint8_t *)req->iov[i].base + off, buf, take);
        else
            memcpy(buf, (const uint8_t *)req->iov[i].base + off, take);
        buf += take;
        len -= take;
        off = 0;
    }
}

static void enqueue(struct vmm_sddf_blk *b, unsigned slot, unsigned op, blk_req_code_t code,
                    uint64_t block, uint32_t len, uint64_t off)
{
    blk_req_t *r = &req_q(b)->buffers[b->req_tail % b->conn.capacity];

    r->code = code;
    r->io_or_offset = (uint64_t)slot * b->conn.slot_size;
    r->block_number = block;
    r->count = (uint16_t)(len / VMM_SDDF_BLK_BLOCK);
    r->id = slot;
    b->slot_op[slot] = (uint8_t)(op + 1);
    b->slot_off[slot] = off;
    b->slot_len[slot] = len;
    b->slots_used++;
    b->ops[op].outstanding++;
    b->req_tail++;
    store_release(&req_q(b)->tail, b->req_tail);
    b->notify_pending = true;
}

/* Queue what the oldest requests still need, as far as slots and room go. */
static void pump(struct vmm_sddf_blk *b)
{
    uint32_t room = req_room(b);

    for (unsigned k = 0; k < b->nr_order; k++) {
        unsigned idx = b->order[k];
        struct vmm_sddf_blk_op *op = &b->ops[idx];
        int slot;

        if (op->req->op == VMM_BLK_FLUSH) {
            /* Only once everything older is done; nothing newer meanwhile. */
            if (k == 0 && !op->flush_sent && room > 0 && (slot = free_slot(b)) >= 0) {
                enqueue(b, (unsigned)slot, idx, BLK_REQ_FLUSH, 0, 0, 0);
                op->flush_sent = true;
            }
            return;
        }
        while (op->status == 0 && op->issued < op->bytes) {
            uint64_t left = op->bytes - op->issued;
            uint32_t len = left < b->conn.slot_size ? (uint32_t)left : b->conn.slot_size;
            uint64_t block = op->req->sector / SECTORS_PER_BLOCK + op->issued / VMM_SDDF_BLK_BLOCK;
            bool write = op->req->op == VMM_BLK_WRITE;

            if (room == 0 || (slot = free_slot(b)) < 0)
                return;
            if (write)
                iov_copy(op->req, op->issued, slot_data(b, (unsigned)slot), len, false);
            enqueue(b, (unsigned)slot, idx, write ? BLK_REQ_WRITE : BLK_REQ_READ, block, len,
                    op->issued);
            op->issued += len;
            room--;
        }
    }
}

static int blk_submit(void *ctx, struct vmm_blk_req *req)
{
    struct vmm_sddf_blk *b = ctx;
    uint64_t bytes = 0, cap;
    unsigned idx;

    if (!vmm_sddf_blk_ready(b))
        return refuse(b, -VMM_EAGAIN, "the partition is not ready yet");
    cap = b->backend.nr_sectors;
    switch (req->op) {
    case VMM_BLK_WRITE:
        if (b->backend.read_only)
            return refuse(b, -VMM_EPERM, "write to a read-only disk");
        /* fall through */
    case VMM_BLK_READ:
        if (req->nr_iov > VMM_IOV_MAX || (req->nr_iov > 0 && req->iov == NULL))
            return refuse(b, -VMM_EINVAL, "bad buffer list");
        for (unsigned i = 0; i < req->nr_iov; i++)
            bytes += req->iov[i].len;
        if (bytes == 0 || bytes % VMM_SDDF_BLK_BLOCK != 0 || req->sector % SECTORS_PER_BLOCK != 0)
            return refuse(b, -VMM_EINVAL, "not aligned to the 4 KiB block size");
        if (req->sector > cap || bytes / SECTOR > cap - req->sector)
            return refuse(b, -VMM_ERANGE, "sectors beyond the partition");
        break;
    case VMM_BLK_FLUSH:
        break;
    default:
        return refuse(b, -VMM_ENOTSUP, "operation not supported over sDDF blk");
    }
    for (idx = 0; idx < VMM_SDDF_BLK_MAX_OPS && b->ops[idx].req != NULL; idx++)
        ;
    if (idx == VMM_SDDF_BLK_MAX_OPS)
        return refuse(b, -VMM_EBUSY, "too many requests in flight");
    b->ops[idx] = (struct vmm_sddf_blk_op){.req = req, .bytes = bytes};
    b->order[b->nr_order++] = (uint8_t)idx;
    if (req->op == VMM_BLK_READ)
        b->reads++;
    else if (req->op == VMM_BLK_WRITE)
        b->writes++;
    if (!b->in_handler)
        pump(b);
    return 0;
}

/* @idx is done: forget it, then tell the device (which may submit again). */
static void finish(struct vmm_sddf_blk *b, unsigned idx)
{
    struct vmm_blk_req *req = b->ops[idx].req;
    int status = b->ops[idx].status;
    unsigned k;

    for (k = 0; k < b->nr_order && b->order[k] != idx; k++)
        ;
    for (; k + 1 < b->nr_order; k++)
        b->order[k] = b->order[k + 1];
    b->nr_order--;
    b->ops[idx].req = NULL;
    if (status < 0) {
        if (status != -VMM_ECANCELED)
            b->errors++;
    } else if (req->op == VMM_BLK_FLUSH && ++b->flushes == 1) {
        vmm_info("sDDF blk: first FLUSH completed by the driver (further ones counted)");
    }
    req->complete(req, status);
}

/*
 * The device was reset (backend.h): what the virtualiser has not been sent
 * completes now with -VMM_ECANCELED; a request with pieces at the
 * virtualiser sends no more, copies nothing into guest memory when their
 * responses come (the driver owns its buffers again) and completes then.
 * Only the requests there are now: complete() may submit new ones.
 */
static void blk_cancel(void *ctx)
{
    struct vmm_sddf_blk *b = ctx;
    uint8_t idx[VMM_SDDF_BLK_MAX_OPS];
    unsigned n = b->nr_order;
    bool was = b->in_handler;

    memcpy(idx, b->order, n);
    b->in_handler = true; /* submit() from complete() only queues */
    for (unsigned k = 0; k < n; k++) {
        struct vmm_sddf_blk_op *op = &b->ops[idx[k]];

        if (op->req == NULL)
            continue;
        if (op->status == 0)
            op->status = -VMM_ECANCELED;
        if (op->outstanding == 0)
            finish(b, idx[k]);
    }
    b->in_handler = was;
    if (!was)
        pump(b);
}

static void response(struct vmm_sddf_blk *b, uint32_t id, blk_resp_status_t status)
{
    struct vmm_sddf_blk_op *op;
    unsigned idx;

    if (id >= b->nr_slots || b->slot_op[id] == 0) {
        bad(b, "response for a request not in flight");
        return;
    }
    idx = b->slot_op[id] - 1u;
    op = &b->ops[idx];
    b->slot_op[id] = 0;
    b->slots_used--;
    op->outstanding--;
    if (status != BLK_RESP_OK) {
        if (op->status == 0)
            op->status = -VMM_EIO;
    } else if (op->status == 0 && op->req->op == VMM_BLK_READ) {
        /* (Not for a failed or cancelled request: its buffers may be the
         * driver's again.) */
        iov_copy(op->req, b->slot_off[id], slot_data(b, id), b->slot_len[id], true);
    }
    if (op->outstanding == 0 && (op->status < 0 || op->issued == op->bytes))
        finish(b, idx);
}

/* Free-running indices, compared by difference (wraps on purpose). */
VMM_WRAPS void vmm_sddf_blk_notified(struct vmm_sddf_blk *b)
{
    blk_resp_queue_t *q = resp_q(b);
    uint32_t n = load_acquire(&q->tail) - b->resp_head;

    if (n > b->conn.capacity) {
        bad(b, "response queue tail out of range");
        n = 0;
    }
    b->in_handler = true;
    for (uint32_t i = 0; i < n; i++) {
        const blk_resp_t *r = &q->buffers[b->resp_head % b->conn.capacity];
        uint32_t id = __atomic_load_n(&r->id, __ATOMIC_RELAXED);
        blk_resp_status_t status = __atomic_load_n(&r->status, __ATOMIC_RELAXED);

        b->resp_head++;
        response(b, id, status);
    }
    store_release(&q->head, b->resp_head);
    b->in_handler = false;
    pump(b);
}

void vmm_sddf_blk_flush(struct vmm_sddf_blk *b)
{
    vmm_sddf_blk_ready(b); /* the capacity, before the guest reads it */
    if (b->notify_pending) {
        b->notify_pending = false;
        b->notify(b->notify_ctx);
    }
}

int vmm_sddf_blk_init(struct vmm_sddf_blk *b, const struct vmm_sddf_blk_conn *conn,
                      void (*notify)(void *ctx), void *notify_ctx)
{
    unsigned slots;

    if (conn->req_queue == NULL || conn->resp_queue == NULL || conn->storage_info == NULL ||
        conn->data == NULL || notify == NULL || conn->capacity == 0 ||
        (uintptr_t)conn->data % VMM_SDDF_BLK_BLOCK != 0 || conn->slot_size == 0 ||
        conn->slot_size % VMM_SDDF_BLK_BLOCK != 0 ||
        conn->slot_size / VMM_SDDF_BLK_BLOCK > UINT16_MAX || conn->data_size < conn->slot_size)
        return -VMM_EINVAL;
    memset(b, 0, sizeof(*b));
    b->conn = *conn;
    slots = (unsigned)(conn->data_size / conn->slot_size);
    if (slots > conn->capacity)
        slots = conn->capacity;
    b->nr_slots = slots < VMM_SDDF_BLK_MAX_SLOTS ? slots : VMM_SDDF_BLK_MAX_SLOTS;
    b->notify = notify;
    b->notify_ctx = notify_ctx;
    b->req_tail = load_acquire(&req_q(b)->tail);
    b->resp_head = load_acquire(&resp_q(b)->head);
    b->backend = (struct vmm_blk_backend){
        .read_only = conn->read_only,
        .block_size = VMM_SDDF_BLK_BLOCK,
        .submit = blk_submit,
        .cancel = blk_cancel,
        .ctx = b,
    };
    vmm_sddf_blk_ready(b);
    return 0;
}
