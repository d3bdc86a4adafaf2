/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raw disk image file as a block backend (hosted: POSIX/Linux).
 *
 * READ/WRITE use preadv/pwritev, resuming after short transfers and EINTR;
 * FLUSH is fdatasync(); DISCARD punches a hole (FALLOC_FL_PUNCH_HOLE, size
 * kept), falling back to writing zeroes; WRITE_ZEROES uses
 * FALLOC_FL_ZERO_RANGE (or PUNCH_HOLE when unmap is allowed), falling back
 * to the other one and then to writing zeroes. Nothing outside
 * [0, capacity) is ever touched.
 *
 * Until vmm_blk_file_start() every request completes inside submit(), on the
 * caller's thread. After it, submit() only queues the request (at most
 * BLK_FILE_QUEUE; more are refused with -VMM_EBUSY) and returns: the
 * image's I/O worker thread does the I/O without the VM's device lock and
 * takes the lock only to call req->complete(), so a vCPU that kicks a disk
 * never waits for the host's disk. The worker serves requests in the order
 * submitted, so a FLUSH completes after every request before it and none
 * after it starts before it. Zeroes written by hand (no fallocate) go
 * BLK_FILE_ZERO_STEP bytes at a time, with the image's other requests
 * (up to the next FLUSH) served in between, so one DISCARD or WRITE_ZEROES
 * of up to 32 MiB cannot hold the disk's other requests back.
 *
 * Page-cache fast path (blk_file_nowait.c): a READ submitted by a thread
 * with an open defer window (a vCPU in a trapped access: posix/defer.h)
 * while no other kind of request is queued or at the worker is not queued:
 * right after the thread drops the VM lock it tries preadv2(RWF_NOWAIT),
 * which copies what the page cache holds and never waits for the disk, and
 * completes the request at once (taking the lock again) when the whole read
 * succeeded. Anything else (EAGAIN, a short read, a file system without
 * RWF_NOWAIT, which is remembered) puts the read back into the worker's
 * queue ahead of any FLUSH. The worker starts no other kind of request
 * while such reads are out, so writes, flushes and the reads after them
 * keep their order; only reads overtake reads. At most
 * BLK_FILE_INLINE_BYTES per read and VMM_POSIX_DEFER_MAX reads per access.
 * An image opened with O_DIRECT never takes it. A regular file on tmpfs or
 * ramfs (which refuse RWF_NOWAIT) takes it with a plain preadv2: its pages
 * are in memory, so the read is a copy and never waits for a disk (only
 * for swap, as any access to guest RAM may). A fast-path read that needs
 * nothing from the worker does not wake it.
 *
 * A device reset (backend cancel()) completes every request not yet
 * started with -VMM_ECANCELED and does not read it; the resetting thread
 * then waits, after it dropped the VM lock (posix/defer.h), until a READ
 * the worker or a fast path had under way is done, so no read lands in a
 * buffer once the reset access is over. Without a defer window it cannot
 * wait (that would hold the VM lock over disk I/O) and such a read may
 * still land.
 *
 * The image is a regular file or a block device whose size is a multiple of
 * 512 bytes (anything else is refused: rounding down would silently hide
 * data). It is locked with flock() (shared for ,ro, else exclusive) so two
 * stdvmm instances cannot write one image.
 */
#ifndef STDVMM_POSIX_BLK_H
#define STDVMM_POSIX_BLK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/posix/syscalls.h"

#define BLK_FILE_PATH_MAX 4096
#define BLK_FILE_QUEUE 128                   /* queued requests per image: a virtqueue's worth */
#define BLK_FILE_ZERO_STEP (1024u * 1024)    /* zeroes written by hand per worker step */
#define BLK_FILE_INLINE 8                    /* reads out on the fast path at once */
#define BLK_FILE_INLINE_BYTES (1024u * 1024) /* largest read the fast path tries */

struct blk_file;
struct iovec;

/* A READ out on the fast path: queued to run after the VM lock is dropped. */
struct blk_file_inline {
    struct blk_file *file;
    struct vmm_blk_req *req; /* NULL: slot free */
    bool reading;            /* in preadv2 now */
    bool cancelled;          /* the device was reset: not read, or not sent on */
};

/* A queued request and how far the worker got with it. */
struct blk_file_job {
    struct vmm_blk_req *req;
    uint64_t done; /* bytes of a DISCARD / WRITE_ZEROES already zeroed by hand */
    bool by_hand;  /* fallocate failed for it: zeroes are being written */
};

struct blk_file {
    struct vmm_blk_backend backend; /* give &file->backend to the device */
    int fd;                         /* -1 when closed */
    char path[BLK_FILE_PATH_MAX];
    bool no_punch_hole; /* fallocate mode found unsupported */
    bool no_zero_range;
    bool no_nowait; /* RWF_NOWAIT refused by the file system, or O_DIRECT */
    bool in_memory; /* a regular file on tmpfs or ramfs: reads never wait for a disk */
    unsigned long reads, writes, flushes, discards, write_zeroes; /* completed ops */
    unsigned long errors;

    /* The I/O worker (vmm_blk_file_start). qlock guards the queue and flags;
     * the counters above are updated under the VM lock. */
    pthread_mutex_t *vm_lock; /* the VM's device lock, or NULL */
    pthread_mutex_t qlock;
    pthread_cond_t work; /* a request was queued, or stop */
    pthread_cond_t idle; /* the queue emptied */
    struct blk_file_job queue[BLK_FILE_QUEUE];
    unsigned q_head, q_len;
    bool busy;               /* the worker has a job out of the queue */
    bool busy_read;          /* ... and it is a READ */
    unsigned long step_seq;  /* steps the worker has finished */
    unsigned long reset_seq; /* step_seq at the last cancel() */
    bool stopping, running;
    pthread_t thread;
    unsigned long queued_max;     /* most requests queued at once */
    unsigned long worker_wakeups; /* times the worker woke from waiting for work */
    /* The fast path (qlock): reads out on it, and the non-READ requests
     * queued or at the worker (while any is, reads are queued). */
    struct blk_file_inline inl[BLK_FILE_INLINE];
    unsigned inline_pending, nonread_pending;
    unsigned long inline_reads;     /* completed on it (VM lock) */
    unsigned long inline_fallbacks; /* sent on to the worker (qlock) */
    /* Test hook: stands in for preadv2(fd, iov, n, off, RWF_NOWAIT) (a
     * result and errno), NULL normally. */
    long (*nowait_hook)(int fd, const struct iovec *iov, int n, long long off);
    /* Test hook: called before each step of a request, by the worker
     * without any lock, or inside submit() without a worker (e.g. to make
     * the disk slow). NULL normally. */
    void (*step_hook)(struct blk_file *f, const struct vmm_blk_req *req);
};

/*
 * Open the image named by @spec, "PATH" or "PATH,ro" (",rw" is accepted
 * too; a comma followed by anything else is part of PATH), and fill
 * file->backend. On failure returns a negative VMM_E* code and writes
 * "PATH: reason" (e.g. "foo.img: No such file or directory") to @err, for
 * the caller to prefix with its option ("stdvmm: --disk ...").
 */
int vmm_blk_file_open(struct blk_file *file, const char *spec, char *err, size_t errlen);

/* Start the image's I/O worker: from now on requests complete on it, with
 * @vm_lock (may be NULL) held. 0 or a negative VMM_E* code. */
int vmm_blk_file_start(struct blk_file *file, pthread_mutex_t *vm_lock);

/* Wait until every request submitted so far has completed (e.g. before a
 * guest reset reloads guest memory). Not with the VM lock held. */
void vmm_blk_file_drain(struct blk_file *file);

/* Complete what is queued, stop and join the worker (idempotent); requests
 * complete inside submit() again. Not with the VM lock held. */
void vmm_blk_file_stop(struct blk_file *file);

/* Stop and close the image (idempotent). Outstanding data was flushed by
 * the guest or not at all. */
void vmm_blk_file_close(struct blk_file *file);

/* The system calls the image backend makes after set-up (seccomp). */
extern const struct vmm_posix_syscalls vmm_blk_file_syscalls;

#endif
