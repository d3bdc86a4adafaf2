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

/* Whether @req is one the fast path may try (its own fields only): a
 * READ, or a WRITE to an image in memory. */
static bool inline_candidate(const struct blk_file *f, const struct vmm_blk_req *req)
{
    size_t bytes = 0;

    if (req->op != VMM_BLK_READ && !(req->op == VMM_BLK_WRITE && f->in_memory))
        return false;
    if (req->nr_iov == 0 || req->nr_iov > VMM_IOV_MAX)
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

/* All of a WRITE to an image in memory (pwritev, resumed after a short
 * write): 0 or a negative VMM_E* code. No lock held. */
static int memory_write(struct blk_file *f, struct vmm_blk_req *req)
{
    struct blk_file_job job = {.req = req};
    bool more;

    return vmm_blk_file_step(f, &job, UINT64_MAX, &more);
}

/* Count and complete @req with @status under the VM lock. */
static void complete_here(struct blk_file *f, struct vmm_blk_req *req, int status)
{
    if (f->vm_lock != NULL)
        pthread_mutex_lock(f->vm_lock);
    vmm_blk_file_account(f, req, status);
    if (status == 0 && req->op == VMM_BLK_READ)
        f->inline_reads++;
    else if (status == 0)
        f->inline_writes++;
    req->complete(req, status); /* may submit again: to the worker, the window is closed */
    if (f->vm_lock != NULL)
        pthread_mutex_unlock(f->vm_lock);
}

/* The deferred half, on the submitting thread with the VM lock dropped. */
static void inline_io(void *arg)
{
    struct blk_file_inline *slot = arg;
    struct blk_file *f = slot->file;
    struct vmm_blk_req *req = slot->req;
    bool write = slot->write, unsupported = false, cancelled;
    int ret = -VMM_ECANCELED;

    pthread_mutex_lock(&f->qlock);
    cancelled = slot->cancelled;
    slot->reading = !cancelled;
    pthread_mutex_unlock(&f->qlock);
    if (!cancelled)
        ret = write ? memory_write(f, req) : nowait_read(f, req, &unsupported);
    pthread_mutex_lock(&f->qlock);
    slot->reading = false;
    cancelled = slot->cancelled; /* a reset during the I/O: not sent on */
    if (cancelled)
        pthread_cond_broadcast(&f->idle); /* the reset may wait for this I/O */
    pthread_mutex_unlock(&f->qlock);
    if (cancelled && ret != 0) {
        if (f->vm_lock != NULL)
            pthread_mutex_lock(f->vm_lock);
        req->complete(req, -VMM_ECANCELED);
        if (f->vm_lock != NULL)
            pthread_mutex_unlock(f->vm_lock);
        ret = 0; /* done with: nothing to send on */
    } else if (ret == 0 || write) {
        complete_here(f, req, ret); /* a write is not retried: its error is final */
        ret = 0;
    }
    pthread_mutex_lock(&f->qlock);
    *slot = (struct blk_file_inline){0};
    f->inline_pending--;
    if (write) {
        f->inline_writes_out--;
        f->nonread_pending--;
    }
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

/* Whether every fast-path request out is a WRITE this thread put into its
 * open defer window, which runs them in submission order. */
static bool only_own_writes_out(const struct blk_file *f)
{
    for (unsigned i = 0; i < BLK_FILE_INLINE; i++)
        if (f->inl[i].req != NULL &&
            (!f->inl[i].write || !pthread_equal(f->inl[i].owner, pthread_self())))
            return false;
    return true;
}

/* Whether @req may go on the fast path now (qlock held). */
static bool inline_allowed(const struct blk_file *f, const struct vmm_blk_req *req)
{
    if (f->no_nowait || f->stopping || f->q_len + f->inline_pending >= BLK_FILE_QUEUE)
        return false;
    /* A READ: not past a write, flush or discard still to do (the read must
     * see it, and a FLUSH starts nothing submitted after it), and not when
     * its fallback would find the queue full. */
    if (req->op == VMM_BLK_READ)
        return f->nonread_pending == 0;
    /* A WRITE: after everything submitted before it has completed, except
     * the writes ahead of it in this same window; while it is out, every
     * request after it waits (vmm_blk_file_queue, the worker). */
    return f->q_len == 0 && !f->busy && only_own_writes_out(f);
}

bool vmm_blk_file_try_inline(struct blk_file *f, struct vmm_blk_req *req)
{
    struct blk_file_inline *slot = NULL;
    bool write = req->op == VMM_BLK_WRITE;

    if (!inline_candidate(f, req))
        return false;
    pthread_mutex_lock(&f->qlock);
    if (inline_allowed(f, req)) {
        for (unsigned i = 0; i < BLK_FILE_INLINE && slot == NULL; i++)
            if (f->inl[i].req == NULL)
                slot = &f->inl[i];
    }
    if (slot != NULL && vmm_posix_defer(inline_io, slot)) { /* clears cancelled too */
        *slot = (struct blk_file_inline){
            .file = f, .req = req, .write = write, .owner = pthread_self()};
        f->inline_pending++;
        if (write) {
            f->inline_writes_out++;
            f->nonread_pending++; /* reads after it wait for it */
        }
    } else {
        slot = NULL;
    }
    pthread_mutex_unlock(&f->qlock);
    return slot != NULL;
}
