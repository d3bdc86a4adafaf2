/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The image's page-cache fast path for reads (see include/stdvmm/posix/blk.h):
 * a READ a vCPU submits is tried with preadv2(RWF_NOWAIT) on that vCPU's
 * thread right after it drops the VM lock (posix/defer.h), and completed
 * there when the page cache held all of it; otherwise it goes to the I/O
 * worker. RWF_NOWAIT never waits for the disk, so neither the vCPU nor any
 * other vCPU's MMIO waits for one, and a request served from the cache
 * costs no hand-off to the worker and back. An image on tmpfs or ramfs
 * (f->in_memory), which refuse RWF_NOWAIT, is read with a plain preadv2:
 * its pages are in memory, so that never waits for a disk either.
 */
#include <errno.h>
#include <sys/uio.h>
#include "blk_file_internal.h"
#include "stdvmm/err.h"
#include "stdvmm/posix/defer.h"

#define SECTOR 512u

/* Whether @req is one the fast path may try (its own fields only). */
static bool inline_candidate(const struct vmm_blk_req *req)
{
    size_t bytes = 0;

    if (req->op != VMM_BLK_READ || req->nr_iov == 0 || req->nr_iov > VMM_IOV_MAX)
        return false;
    for (unsigned i = 0; i < req->nr_iov; i++)
        bytes += req->iov[i].len; /* request_ok() bounded each by the image */
    return bytes <= BLK_FILE_INLINE_BYTES;
}

/* preadv2(RWF_NOWAIT) of the whole request: 0 when all of it was read,
 * else a negative VMM_E* code (-VMM_EAGAIN for a partly cached range);
 * *@unsupported when the file cannot do it at all. No lock held. */
static int nowait_read(struct blk_file *f, const struct vmm_blk_req *req, bool *unsupported)
{
    struct iovec v[VMM_IOV_MAX];
    size_t total = 0;
    long r;

    for (unsigned i = 0; i < req->nr_iov; i++) {
        v[i] = (struct iovec){req->iov[i].base, req->iov[i].len};
        total += req->iov[i].len;
    }
    if (f->nowait_hook != NULL)
        r = f->nowait_hook(f->fd, v, (int)req->nr_iov, (long long)(req->sector * SECTOR));
    else /* an image in memory (tmpfs) never waits for a disk: no flag needed */
        r = preadv2(f->fd, v, (int)req->nr_iov, (off_t)(req->sector * SECTOR),
                    f->in_memory ? 0 : RWF_NOWAIT);
    *unsupported = false;
    if (r < 0) {
        int e = errno;

        /* EOPNOTSUPP: no RWF_NOWAIT on this file system (tmpfs, for
         * one, on 6.1 and 6.18); EINVAL/ENOSYS: a kernel without it. */
        *unsupported = e == EOPNOTSUPP || e == EINVAL || e == ENOSYS;
        return e == EAGAIN ? -VMM_EAGAIN : -e;
    }
    return (size_t)r == total ? 0 : -VMM_EAGAIN;
}

/* The deferred half, on the submitting thread with the VM lock dropped. */
static void inline_read(void *arg)
{
    struct blk_file_inline *slot = arg;
    struct blk_file *f = slot->file;
    struct vmm_blk_req *req = slot->req;
    bool unsupported = false, cancelled;
    int ret = -VMM_ECANCELED;

    pthread_mutex_lock(&f->qlock);
    cancelled = slot->cancelled;
    slot->reading = !cancelled;
    pthread_mutex_unlock(&f->qlock);
    if (!cancelled)
        ret = nowait_read(f, req, &unsupported);
    pthread_mutex_lock(&f->qlock);
    slot->reading = false;
    cancelled = slot->cancelled; /* a reset during the read: not sent on */
    if (cancelled)
        pthread_cond_broadcast(&f->idle); /* the reset may wait for this read */
    pthread_mutex_unlock(&f->qlock);
    if (cancelled && ret != 0) {
        if (f->vm_lock != NULL)
            pthread_mutex_lock(f->vm_lock);
        req->complete(req, -VMM_ECANCELED);
        if (f->vm_lock != NULL)
            pthread_mutex_unlock(f->vm_lock);
        ret = 0; /* done with: nothing to send on */
    } else if (ret == 0) {
        if (f->vm_lock != NULL)
            pthread_mutex_lock(f->vm_lock);
        vmm_blk_file_account(f, req, 0);
        f->inline_reads++;
        req->complete(req, 0); /* may submit again: to the worker, the window is closed */
        if (f->vm_lock != NULL)
            pthread_mutex_unlock(f->vm_lock);
    }
    pthread_mutex_lock(&f->qlock);
    *slot = (struct blk_file_inline){0};
    f->inline_pending--;
    if (ret != 0) {
        struct blk_file_job job = {.req = req};

        if (unsupported)
            f->no_nowait = true;
        f->inline_fallbacks++;
        /* Ahead of whatever was submitted after it and is not a READ;
         * room for it was kept (vmm_blk_file_queue). */
        (void)vmm_blk_file_insert(f, &job, true);
    }
    /* Wake the worker only for work: a fallback just queued, or a request
     * that waited for the fast-path reads to end (or a stop). Signalling
     * it after every read woke an idle worker once per request, a
     * scheduling hand-off the fast path exists to avoid. */
    if (f->q_len > 0 || f->stopping)
        pthread_cond_signal(&f->work);
    if (f->q_len == 0 && !f->busy && f->inline_pending == 0)
        pthread_cond_broadcast(&f->idle);
    pthread_mutex_unlock(&f->qlock);
}

bool vmm_blk_file_try_inline(struct blk_file *f, struct vmm_blk_req *req)
{
    struct blk_file_inline *slot = NULL;

    if (!inline_candidate(req))
        return false;
    pthread_mutex_lock(&f->qlock);
    /* Not past a write, flush or discard still to do (the read must see
     * it, and a FLUSH starts nothing submitted after it), and not when its
     * fallback would find the queue full. */
    if (!f->no_nowait && !f->stopping && f->nonread_pending == 0 &&
        f->q_len + f->inline_pending < BLK_FILE_QUEUE) {
        for (unsigned i = 0; i < BLK_FILE_INLINE && slot == NULL; i++)
            if (f->inl[i].req == NULL)
                slot = &f->inl[i];
    }
    if (slot != NULL && vmm_posix_defer(inline_read, slot)) { /* clears cancelled too */
        *slot = (struct blk_file_inline){.file = f, .req = req};
        f->inline_pending++;
    } else {
        slot = NULL;
    }
    pthread_mutex_unlock(&f->qlock);
    return slot != NULL;
}
