/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The image's I/O worker: a thread that takes requests from a bounded
 * queue in submission order, does the I/O without the VM's device lock and
 * completes each request with the lock held (see include/stdvmm/posix/blk.h).
 *
 * Lock order: VM lock, then qlock (submit() runs under the VM lock and
 * takes qlock). The worker never holds qlock while it does I/O or takes
 * the VM lock, and a completion may submit again (a write-through FLUSH).
 */
#include <errno.h>
#include <string.h>
#include "blk_file_internal.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/defer.h"
#include "stdvmm/posix/thread.h"

static struct blk_file_job *job_at(struct blk_file *f, unsigned i)
{
    return &f->queue[(f->q_head + i) % BLK_FILE_QUEUE];
}

int vmm_blk_file_queue(struct blk_file *f, struct vmm_blk_req *req)
{
    pthread_mutex_lock(&f->qlock);
    if (f->q_len + f->inline_pending >= BLK_FILE_QUEUE) { /* room kept for their fallback */
        pthread_mutex_unlock(&f->qlock);
        return -VMM_EBUSY;
    }
    *job_at(f, f->q_len++) = (struct blk_file_job){.req = req};
    if (req->op != VMM_BLK_READ)
        f->nonread_pending++;
    if (f->q_len > f->queued_max)
        f->queued_max = f->q_len;
    pthread_cond_signal(&f->work);
    pthread_mutex_unlock(&f->qlock);
    return 0;
}

bool vmm_blk_file_insert(struct blk_file *f, const struct blk_file_job *job, bool before_any_write)
{
    unsigned at = 0;

    if (f->q_len + f->inline_pending >= BLK_FILE_QUEUE)
        return false;
    while (at < f->q_len && job_at(f, at)->req->op != VMM_BLK_FLUSH &&
           !(before_any_write && job_at(f, at)->req->op != VMM_BLK_READ))
        at++;
    for (unsigned i = f->q_len; i > at; i--)
        *job_at(f, i) = *job_at(f, i - 1);
    *job_at(f, at) = *job;
    f->q_len++;
    return true;
}

static void complete(struct blk_file *f, struct vmm_blk_req *req, int status)
{
    if (f->vm_lock != NULL)
        pthread_mutex_lock(f->vm_lock);
    vmm_blk_file_account(f, req, status);
    req->complete(req, status < 0 ? status : 0); /* may submit again */
    if (f->vm_lock != NULL)
        pthread_mutex_unlock(f->vm_lock);
}

/* One step of the job at the head of the queue (qlock held on entry and
 * on return, dropped meanwhile). */
static void worker_step(struct blk_file *f)
{
    struct blk_file_job job = *job_at(f, 0);
    enum vmm_blk_op op = job.req->op; /* a completion may reuse the request */
    bool more;
    int ret;

    f->q_head = (f->q_head + 1) % BLK_FILE_QUEUE;
    f->q_len--;
    f->busy = true;
    f->busy_read = op == VMM_BLK_READ;
    pthread_mutex_unlock(&f->qlock);
    do {
        bool requeued;

        ret = vmm_blk_file_step(f, &job, BLK_FILE_ZERO_STEP, &more);
        pthread_mutex_lock(&f->qlock);
        f->step_seq++;
        if (f->busy_read)
            pthread_cond_broadcast(&f->idle); /* a reset may wait for this read */
        f->busy_read = false;
        requeued = ret == 0 && more && f->q_len > 0 &&
                   vmm_blk_file_insert(f, &job, false); /* nobody waits: go on */
        pthread_mutex_unlock(&f->qlock);
        if (requeued)
            break;
    } while (ret == 0 && more);
    if (ret < 0 || !more)
        complete(f, job.req, ret);
    pthread_mutex_lock(&f->qlock);
    if ((ret < 0 || !more) && op != VMM_BLK_READ)
        f->nonread_pending--;
    f->busy = false;
    if (f->q_len == 0 && f->inline_pending == 0)
        pthread_cond_broadcast(&f->idle);
}

static void *worker(void *arg)
{
    struct blk_file *f = arg;

    pthread_mutex_lock(&f->qlock);
    for (;;) {
        /* Only a READ may start while fast-path reads are out: what was
         * submitted after them waits, and a fallback goes in before it. */
        if (f->q_len > 0 && (f->inline_pending == 0 || job_at(f, 0)->req->op == VMM_BLK_READ))
            worker_step(f);
        else if (f->q_len == 0 && f->inline_pending == 0 && f->stopping)
            break; /* everything queued is done, no fallback can come */
        else {
            pthread_cond_wait(&f->work, &f->qlock);
            f->worker_wakeups++;
        }
    }
    pthread_mutex_unlock(&f->qlock);
    return NULL;
}

int vmm_blk_file_start(struct blk_file *f, pthread_mutex_t *vm_lock)
{
    int ret;

    if (f->running)
        return 0;
    if (f->fd < 0)
        return -VMM_EINVAL;
    f->vm_lock = vm_lock;
    f->q_head = f->q_len = 0;
    f->inline_pending = f->nonread_pending = 0;
    memset(f->inl, 0, sizeof(f->inl));
    f->busy = f->stopping = false;
    ret = pthread_mutex_init(&f->qlock, NULL);
    if (ret == 0 && (ret = pthread_cond_init(&f->work, NULL)) != 0)
        pthread_mutex_destroy(&f->qlock);
    if (ret == 0 && (ret = pthread_cond_init(&f->idle, NULL)) != 0) {
        pthread_cond_destroy(&f->work);
        pthread_mutex_destroy(&f->qlock);
    }
    if (ret != 0)
        return -ret;
    f->running = true; /* before any submit() can see the worker */
    ret = vmm_posix_thread_start(&f->thread, worker, f);
    if (ret != 0) {
        f->running = false;
        pthread_cond_destroy(&f->idle);
        pthread_cond_destroy(&f->work);
        pthread_mutex_destroy(&f->qlock);
        return -ret;
    }
    return 0;
}

/* After a reset, on the resetting thread with the VM lock dropped: wait
 * for the READ the worker had under way then (step_seq moves on from
 * reset_seq) and for fast-path reads in preadv2. Neither needs the VM
 * lock to finish. */
static void wait_reads_done(void *arg)
{
    struct blk_file *f = arg;
    bool reading;

    pthread_mutex_lock(&f->qlock);
    do {
        reading = f->busy_read && f->step_seq == f->reset_seq;
        for (unsigned i = 0; i < BLK_FILE_INLINE; i++)
            reading = reading || (f->inl[i].req != NULL && f->inl[i].reading);
        if (reading)
            pthread_cond_wait(&f->idle, &f->qlock);
    } while (reading);
    pthread_mutex_unlock(&f->qlock);
}

void vmm_blk_file_cancel(void *ctx)
{
    struct blk_file *f = ctx;
    struct vmm_blk_req *dropped[BLK_FILE_QUEUE];
    unsigned n = 0;
    bool reading;

    if (!f->running)
        return; /* everything completed inside submit() */
    pthread_mutex_lock(&f->qlock);
    for (; f->q_len > 0; f->q_len--) {
        struct vmm_blk_req *req = job_at(f, 0)->req;

        f->q_head = (f->q_head + 1) % BLK_FILE_QUEUE;
        if (req->op != VMM_BLK_READ)
            f->nonread_pending--;
        dropped[n++] = req;
    }
    reading = f->busy_read;
    f->reset_seq = f->step_seq;
    for (unsigned i = 0; i < BLK_FILE_INLINE; i++) {
        if (f->inl[i].req != NULL) {
            f->inl[i].cancelled = true; /* not read, or not sent on to the worker */
            reading = reading || f->inl[i].reading;
        }
    }
    if (!f->busy && f->inline_pending == 0)
        pthread_cond_broadcast(&f->idle);
    pthread_mutex_unlock(&f->qlock);
    if (reading)
        (void)vmm_posix_defer(wait_reads_done, f); /* no window: it may still land */
    for (unsigned i = 0; i < n; i++)
        dropped[i]->complete(dropped[i], -VMM_ECANCELED);
}

void vmm_blk_file_drain(struct blk_file *f)
{
    if (!f->running)
        return;
    pthread_mutex_lock(&f->qlock);
    while (f->q_len > 0 || f->busy || f->inline_pending > 0)
        pthread_cond_wait(&f->idle, &f->qlock);
    pthread_mutex_unlock(&f->qlock);
}

void vmm_blk_file_stop(struct blk_file *f)
{
    if (!f->running)
        return;
    pthread_mutex_lock(&f->qlock);
    f->stopping = true;
    pthread_cond_signal(&f->work);
    pthread_mutex_unlock(&f->qlock);
    pthread_join(f->thread, NULL);
    f->running = false;
    pthread_cond_destroy(&f->idle);
    pthread_cond_destroy(&f->work);
    pthread_mutex_destroy(&f->qlock);
}
