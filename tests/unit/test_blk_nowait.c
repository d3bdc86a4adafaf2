/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The image backend's page-cache fast path for reads (blk_file_nowait.c)
 * and the defer window it runs in (posix/defer.h): which reads take it,
 * that they run after the VM lock is dropped and complete on the
 * submitting thread, every fallback to the I/O worker (EAGAIN, a short
 * read, a file system without RWF_NOWAIT, no window, a full window, a
 * write or flush before it, a large read), the order against FLUSH, and
 * stop with such a read out. preadv2(RWF_NOWAIT) is replaced by a hook
 * where a result must be forced; one test uses the real call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/posix/defer.h"

#define SECTORS 8192u /* 4 MiB */
#define NREQ 8

struct nfx {
    char path[64];
    struct blk_file file;
    pthread_mutex_t vm_lock;
    pthread_mutex_t mu; /* guards the counters below */
    unsigned worker_steps, hook_calls;
    bool lock_held_in_hook; /* the VM lock was held when the hook ran */
    int hook_mode;          /* what the preadv2 stand-in does */
    unsigned slow_ms;       /* worker steps sleep this long */
    struct vmm_blk_req reqs[NREQ];
    struct vmm_iov iov[NREQ];
    uint8_t buf[NREQ][4096];
    int status[NREQ];
    int done_order[NREQ];
    unsigned nr_done;
};

enum { HOOK_HIT, HOOK_EAGAIN, HOOK_SHORT, HOOK_UNSUPPORTED };

static struct nfx *current; /* the hook has no context argument */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint8_t pattern(uint64_t byte)
{
    return (uint8_t)(byte * 7 + byte / 4096 + 3);
}

static long nowait_hook(int fd, const struct iovec *iov, int n, long long off)
{
    struct nfx *f = current;
    int mode;
    ssize_t r;

    pthread_mutex_lock(&f->mu);
    f->hook_calls++;
    mode = f->hook_mode;
    pthread_mutex_unlock(&f->mu);
    if (pthread_mutex_trylock(&f->vm_lock) == 0)
        pthread_mutex_unlock(&f->vm_lock);
    else
        f->lock_held_in_hook = true;
    switch (mode) {
    case HOOK_EAGAIN:
        errno = EAGAIN;
        return -1;
    case HOOK_UNSUPPORTED:
        errno = EOPNOTSUPP;
        return -1;
    case HOOK_SHORT: /* half of the first piece, as a partly cached range gives */
        r = pread(fd, iov[0].iov_base, iov[0].iov_len / 2, (off_t)off);
        return r;
    default:
        return preadv(fd, iov, n, (off_t)off);
    }
}

static void step_hook(struct blk_file *file, const struct vmm_blk_req *req)
{
    struct nfx *f = (struct nfx *)((char *)file - offsetof(struct nfx, file));

    (void)req;
    pthread_mutex_lock(&f->mu);
    f->worker_steps++;
    pthread_mutex_unlock(&f->mu);
    if (f->slow_ms)
        sleep_ms(f->slow_ms);
}

static int setup(void **state)
{
    struct nfx *f = calloc(1, sizeof(*f));
    static uint8_t chunk[4096];
    char err[256];
    int fd;

    assert_non_null(f);
    pthread_mutex_init(&f->vm_lock, NULL);
    pthread_mutex_init(&f->mu, NULL);
    strcpy(f->path, "/tmp/stdvmm-nowait-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    for (uint64_t off = 0; off < (uint64_t)SECTORS * 512; off += sizeof(chunk)) {
        for (unsigned i = 0; i < sizeof(chunk); i++)
            chunk[i] = pattern(off + i);
        assert_int_equal(pwrite(fd, chunk, sizeof(chunk), (off_t)off), (ssize_t)sizeof(chunk));
    }
    close(fd);
    assert_int_equal(vmm_blk_file_open(&f->file, f->path, err, sizeof(err)), 0);
    f->file.step_hook = step_hook;
    f->file.nowait_hook = nowait_hook;
    current = f;
    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct nfx *f = *state;

    vmm_posix_defer_run(); /* a failed test may have left a read in its window */
    vmm_blk_file_close(&f->file);
    unlink(f->path);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->vm_lock);
    current = NULL;
    free(f);
    return 0;
}

static void record(struct vmm_blk_req *req, int status)
{
    struct nfx *f = req->cookie;
    unsigned i = (unsigned)(req - f->reqs);

    /* with the VM lock held: by the worker or by the fast path */
    assert_int_not_equal(pthread_mutex_trylock(&f->vm_lock), 0);
    f->status[i] = status;
    f->done_order[f->nr_done++] = (int)i;
}

/* Submit request @i (under the VM lock, as a device does): a 4 KiB READ
 * of @sector into buf[i], or another op. */
static int submit(struct nfx *f, unsigned i, enum vmm_blk_op op, uint64_t sector)
{
    struct vmm_blk_req *r = &f->reqs[i];
    int ret;

    memset(f->buf[i], 0xee, sizeof(f->buf[i]));
    *r = (struct vmm_blk_req){.op = op, .sector = sector, .complete = record, .cookie = f};
    if (op == VMM_BLK_READ || op == VMM_BLK_WRITE) {
        f->iov[i] = (struct vmm_iov){f->buf[i], sizeof(f->buf[i])};
        r->iov = &f->iov[i];
        r->nr_iov = 1;
        r->nr_sectors = 8;
    }
    f->status[i] = 1; /* not completed */
    pthread_mutex_lock(&f->vm_lock);
    ret = f->file.backend.submit(f->file.backend.ctx, r);
    pthread_mutex_unlock(&f->vm_lock);
    return ret;
}

/* One trapped access: a window around the locked part, as the KVM port. */
static int vcpu_read(struct nfx *f, unsigned i, uint64_t sector)
{
    int ret;

    vmm_posix_defer_open();
    ret = submit(f, i, VMM_BLK_READ, sector);
    vmm_posix_defer_run();
    return ret;
}

static void assert_read_data(struct nfx *f, unsigned i, uint64_t sector)
{
    for (unsigned b = 0; b < sizeof(f->buf[i]); b++)
        if (f->buf[i][b] != pattern(sector * 512 + b))
            fail_msg("request %u byte %u: %02x, want %02x", i, b, f->buf[i][b],
                     pattern(sector * 512 + b));
}

static bool completed(struct nfx *f, unsigned i)
{
    bool done;

    pthread_mutex_lock(&f->vm_lock);
    done = f->status[i] != 1;
    pthread_mutex_unlock(&f->vm_lock);
    return done;
}

/* ---------------------------------------------------------------- the window */

static void count_call(void *arg)
{
    (*(unsigned *)arg)++;
}

static unsigned nested;

static void defer_from_inside(void *arg)
{
    (void)arg;
    if (vmm_posix_defer(count_call, &nested))
        fail_msg("an item queued while the window runs was accepted");
}

static void defer_window_bounds_and_closes(void **state)
{
    unsigned calls = 0;

    (void)state;
    assert_false(vmm_posix_defer(count_call, &calls)); /* no window */
    vmm_posix_defer_open();
    for (unsigned i = 0; i < VMM_POSIX_DEFER_MAX; i++)
        assert_true(vmm_posix_defer(count_call, &calls));
    assert_false(vmm_posix_defer(count_call, &calls)); /* full */
    assert_int_equal(calls, 0);                        /* nothing runs before run() */
    vmm_posix_defer_run();
    assert_int_equal(calls, VMM_POSIX_DEFER_MAX);
    assert_false(vmm_posix_defer(count_call, &calls)); /* closed again */
    vmm_posix_defer_run();                             /* nothing left */
    assert_int_equal(calls, VMM_POSIX_DEFER_MAX);
    vmm_posix_defer_open();
    assert_true(vmm_posix_defer(defer_from_inside, NULL));
    vmm_posix_defer_run();
    assert_int_equal(nested, 0);
}

/* ---------------------------------------------------------------- fast path */

/* A cached read: read after the VM lock is dropped, completed before the
 * access returns, on this thread, without the worker. */
static void nowait_read_completes_in_the_window_without_the_lock(void **state)
{
    struct nfx *f = *state;

    vmm_posix_defer_open();
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 24), 0);
    assert_false(completed(f, 0)); /* nothing under the lock */
    assert_int_equal(f->hook_calls, 0);
    vmm_posix_defer_run();
    assert_true(completed(f, 0)); /* done when the access returns */
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 24);
    assert_int_equal(f->hook_calls, 1);
    assert_false(f->lock_held_in_hook);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->worker_steps, 0);
    assert_int_equal(f->file.inline_reads, 1);
    assert_int_equal(f->file.reads, 1);
    assert_int_equal(f->file.inline_fallbacks, 0);
}

/* The real preadv2(RWF_NOWAIT) on a file just written (cached): the data
 * is right whichever path it took, and it only falls back when the file
 * system has no RWF_NOWAIT. */
static void nowait_real_preadv2_on_a_cached_file(void **state)
{
    struct nfx *f = *state;

    f->file.nowait_hook = NULL;
    assert_int_equal(vcpu_read(f, 0, 40), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 40);
    if (f->file.inline_reads == 0) {
        assert_true(f->file.no_nowait); /* e.g. tmpfs */
        print_message("note: RWF_NOWAIT not supported on /tmp here; worker path checked\n");
    } else {
        assert_int_equal(f->worker_steps, 0);
    }
}

static void read_outside_a_window_goes_to_the_worker(void **state)
{
    struct nfx *f = *state;

    assert_int_equal(submit(f, 0, VMM_BLK_READ, 8), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 8);
    assert_int_equal(f->hook_calls, 0);
    assert_int_equal(f->worker_steps, 1);
    assert_int_equal(f->file.inline_reads, 0);
}

/* Not in the cache: the worker reads it, and the next read tries again. */
static void nowait_eagain_falls_back_to_the_worker(void **state)
{
    struct nfx *f = *state;

    f->hook_mode = HOOK_EAGAIN;
    assert_int_equal(vcpu_read(f, 0, 16), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 16);
    assert_int_equal(f->worker_steps, 1);
    assert_int_equal(f->file.inline_fallbacks, 1);
    assert_false(f->file.no_nowait);
    f->hook_mode = HOOK_HIT;
    assert_int_equal(vcpu_read(f, 1, 32), 0);
    assert_true(completed(f, 1));
    assert_int_equal(f->hook_calls, 2);
    assert_int_equal(f->file.inline_reads, 1);
}

/* Half of it cached: not completed with half the data; the worker reads
 * all of it. */
static void nowait_short_read_falls_back_and_reads_everything(void **state)
{
    struct nfx *f = *state;

    f->hook_mode = HOOK_SHORT;
    assert_int_equal(vcpu_read(f, 0, 48), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 48);
    assert_int_equal(f->worker_steps, 1);
    assert_int_equal(f->file.inline_reads, 0);
    assert_int_equal(f->file.inline_fallbacks, 1);
}

/* A file system without RWF_NOWAIT: remembered, not tried again. */
static void nowait_unsupported_is_remembered(void **state)
{
    struct nfx *f = *state;

    f->hook_mode = HOOK_UNSUPPORTED;
    assert_int_equal(vcpu_read(f, 0, 0), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 0);
    assert_true(f->file.no_nowait);
    assert_int_equal(vcpu_read(f, 1, 8), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[1], 0);
    assert_int_equal(f->hook_calls, 1);
    assert_int_equal(f->worker_steps, 2);
}

/* Writes, flushes and reads larger than BLK_FILE_INLINE_BYTES go to the
 * worker even inside a window. */
static void only_small_reads_take_the_fast_path(void **state)
{
    struct nfx *f = *state;
    static uint8_t big[BLK_FILE_INLINE_BYTES + 4096];
    struct vmm_iov big_iov = {big, sizeof(big)};

    vmm_posix_defer_open();
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 64), 0);
    assert_int_equal(submit(f, 1, VMM_BLK_FLUSH, 0), 0);
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    f->reqs[2] = (struct vmm_blk_req){.op = VMM_BLK_READ,
                                      .sector = 0,
                                      .iov = &big_iov,
                                      .nr_iov = 1,
                                      .complete = record,
                                      .cookie = f};
    f->status[2] = 1;
    vmm_posix_defer_open();
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->file.backend.submit(f->file.backend.ctx, &f->reqs[2]), 0);
    pthread_mutex_unlock(&f->vm_lock);
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->status[i], 0);
    assert_int_equal(f->hook_calls, 0);
    assert_int_equal(f->worker_steps, 3);
    assert_int_equal(big[5], pattern(5));
}

/* A read submitted while a write is at the worker waits for it (it must
 * see the write): it is queued, not tried from the cache. */
static void read_behind_a_write_is_queued_behind_it(void **state)
{
    struct nfx *f = *state;

    f->slow_ms = 100;
    memset(f->buf[0], 0x5a, sizeof(f->buf[0]));
    f->reqs[0] = (struct vmm_blk_req){.op = VMM_BLK_WRITE,
                                      .sector = 80,
                                      .nr_sectors = 8,
                                      .iov = &f->iov[0],
                                      .nr_iov = 1,
                                      .complete = record,
                                      .cookie = f};
    f->iov[0] = (struct vmm_iov){f->buf[0], sizeof(f->buf[0])};
    f->status[0] = 1;
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->file.backend.submit(f->file.backend.ctx, &f->reqs[0]), 0);
    pthread_mutex_unlock(&f->vm_lock);
    assert_int_equal(vcpu_read(f, 1, 80), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->hook_calls, 0);
    assert_int_equal(f->nr_done, 2);
    assert_int_equal(f->done_order[0], 0);
    assert_int_equal(f->done_order[1], 1);
    for (unsigned b = 0; b < sizeof(f->buf[1]); b++)
        assert_int_equal(f->buf[1][b], 0x5a);
}

/* A FLUSH submitted after a fast-path read that is still out completes
 * after it, and a read behind the FLUSH waits for the FLUSH. */
static void flush_waits_for_a_fast_path_read_before_it(void **state)
{
    struct nfx *f = *state;

    vmm_posix_defer_open();
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0), 0);  /* fast path, not yet run */
    assert_int_equal(submit(f, 1, VMM_BLK_FLUSH, 0), 0); /* to the worker */
    assert_int_equal(submit(f, 2, VMM_BLK_READ, 8), 0);  /* behind the FLUSH */
    sleep_ms(100);                                       /* the worker had time */
    assert_false(completed(f, 1));
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->nr_done, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(f->done_order[i], (int)i);
        assert_int_equal(f->status[i], 0);
    }
    assert_int_equal(f->hook_calls, 1);
    assert_int_equal(f->file.inline_reads, 1);
    assert_read_data(f, 2, 8);
}

/* Same, with the fast-path read falling back: it goes in ahead of the
 * WRITE and the FLUSH submitted after it, so it reads the data before the
 * write. */
static void fallback_goes_ahead_of_a_later_write(void **state)
{
    struct nfx *f = *state;

    f->hook_mode = HOOK_EAGAIN;
    vmm_posix_defer_open();
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0), 0);
    assert_int_equal(submit(f, 1, VMM_BLK_WRITE, 0), 0); /* 0xee over sectors 0..7 */
    assert_int_equal(submit(f, 2, VMM_BLK_FLUSH, 0), 0);
    sleep_ms(50);
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->nr_done, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->done_order[i], (int)i);
    assert_read_data(f, 0, 0);
}

/* At most VMM_POSIX_DEFER_MAX reads per access; the rest are queued. */
static void fast_path_is_bounded_per_access(void **state)
{
    struct nfx *f = *state;

    vmm_posix_defer_open();
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(submit(f, i, VMM_BLK_READ, i * 8), 0);
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->nr_done, 6);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(f->status[i], 0);
        assert_read_data(f, i, i * 8);
    }
    assert_int_equal(f->hook_calls, VMM_POSIX_DEFER_MAX);
    assert_int_equal(f->file.inline_reads, VMM_POSIX_DEFER_MAX);
    assert_int_equal(f->worker_steps, 6 - VMM_POSIX_DEFER_MAX);
}

/* A reset (backend cancel()) between the submit and the window: the read
 * is not done and not sent on to the worker; a queued one is dropped too. */
static void cancel_drops_fast_path_and_queued_reads(void **state)
{
    struct nfx *f = *state;

    f->hook_mode = HOOK_EAGAIN;
    vmm_posix_defer_open();
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0), 0);
    assert_int_equal(submit(f, 1, VMM_BLK_WRITE, 8), 0); /* queued, held by the read */
    pthread_mutex_lock(&f->vm_lock);
    f->file.backend.cancel(f->file.backend.ctx);
    assert_int_equal(f->status[1], -VMM_ECANCELED);
    pthread_mutex_unlock(&f->vm_lock);
    vmm_posix_defer_run();
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], -VMM_ECANCELED);
    assert_int_equal(f->hook_calls, 0);
    assert_int_equal(f->worker_steps, 0);
    assert_int_equal(f->buf[0][0], 0xee); /* untouched */
    assert_int_equal(f->file.errors, 0);
    assert_int_equal(vcpu_read(f, 2, 8), 0); /* and the disk goes on */
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[2], 0);
    assert_read_data(f, 2, 8);
}

/* A vCPU thread that submits a read and runs its window late. */
static void *late_vcpu(void *arg)
{
    struct nfx *f = arg;

    vmm_posix_defer_open();
    submit(f, 0, VMM_BLK_READ, 8);
    sleep_ms(200);
    vmm_posix_defer_run();
    return NULL;
}

/* stop() while a fast-path read is out (and then falls back) waits for it
 * and the worker still serves it: nothing is lost. */
static void stop_waits_for_a_fast_path_read(void **state)
{
    struct nfx *f = *state;
    pthread_t t;

    f->hook_mode = HOOK_EAGAIN;
    assert_int_equal(pthread_create(&t, NULL, late_vcpu, f), 0);
    for (bool out = false; !out; sleep_ms(1)) {
        pthread_mutex_lock(&f->file.qlock);
        out = f->file.inline_pending > 0;
        pthread_mutex_unlock(&f->file.qlock);
    }
    vmm_blk_file_stop(&f->file);
    pthread_join(t, NULL);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 8);
    assert_int_equal(f->worker_steps, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defer_window_bounds_and_closes),
        T(nowait_read_completes_in_the_window_without_the_lock),
        T(nowait_real_preadv2_on_a_cached_file),
        T(read_outside_a_window_goes_to_the_worker),
        T(nowait_eagain_falls_back_to_the_worker),
        T(nowait_short_read_falls_back_and_reads_everything),
        T(nowait_unsupported_is_remembered),
        T(only_small_reads_take_the_fast_path),
        T(read_behind_a_write_is_queued_behind_it),
        T(flush_waits_for_a_fast_path_read_before_it),
        T(fallback_goes_ahead_of_a_later_write),
        T(fast_path_is_bounded_per_access),
        T(cancel_drops_fast_path_and_queued_reads),
        T(stop_waits_for_a_fast_path_read),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
