/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the image backend's page-cache fast path (blk_file_nowait.c) costs
 * besides the read: a read served on the vCPU's thread leaves the idle
 * I/O worker asleep (waking it once per request was a hand-off per read),
 * and an image on tmpfs, which refuses RWF_NOWAIT, still takes the fast
 * path because its pages are in memory. test_blk_nowait.c has the rest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/posix/defer.h"

#define SECTORS 2048u /* 1 MiB */
#define NREQ 8

struct ffx {
    char path[64];
    struct blk_file file;
    pthread_mutex_t vm_lock;
    unsigned worker_steps; /* atomic: counted by the worker */
    struct vmm_blk_req reqs[NREQ];
    struct vmm_iov iov[NREQ];
    uint8_t buf[NREQ][4096];
    int status[NREQ];
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint8_t pattern(uint64_t byte)
{
    return (uint8_t)(byte * 5 + byte / 512 + 1);
}

static long hit_hook(int fd, const struct iovec *iov, int n, long long off)
{
    return preadv(fd, iov, n, (off_t)off); /* all of it "cached" */
}

static void step_hook(struct blk_file *file, const struct vmm_blk_req *req)
{
    struct ffx *f = (struct ffx *)((char *)file - offsetof(struct ffx, file));

    (void)req;
    __atomic_fetch_add(&f->worker_steps, 1, __ATOMIC_RELAXED);
}

/* A 1 MiB patterned image in @dir, opened and its worker started. */
static struct ffx *image_in(const char *dir)
{
    struct ffx *f = calloc(1, sizeof(*f));
    static uint8_t chunk[4096];
    char err[256];
    int fd;

    assert_non_null(f);
    pthread_mutex_init(&f->vm_lock, NULL);
    snprintf(f->path, sizeof(f->path), "%s/stdvmm-fastpath-XXXXXX", dir);
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
    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
    return f;
}

static void image_close(struct ffx *f)
{
    vmm_posix_defer_run();
    vmm_blk_file_close(&f->file);
    unlink(f->path);
    pthread_mutex_destroy(&f->vm_lock);
    free(f);
}

static void record(struct vmm_blk_req *req, int status)
{
    struct ffx *f = req->cookie;

    f->status[req - f->reqs] = status;
}

/* One trapped access reading 4 KiB at @sector into buf[@i], as the KVM
 * port does: a defer window around the part under the VM lock. */
static void vcpu_read(struct ffx *f, unsigned i, uint64_t sector)
{
    struct vmm_blk_req *r = &f->reqs[i];

    memset(f->buf[i], 0xee, sizeof(f->buf[i]));
    f->iov[i] = (struct vmm_iov){f->buf[i], sizeof(f->buf[i])};
    *r = (struct vmm_blk_req){.op = VMM_BLK_READ,
                              .sector = sector,
                              .nr_sectors = 8,
                              .iov = &f->iov[i],
                              .nr_iov = 1,
                              .complete = record,
                              .cookie = f};
    f->status[i] = 1;
    vmm_posix_defer_open();
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->file.backend.submit(f->file.backend.ctx, r), 0);
    pthread_mutex_unlock(&f->vm_lock);
    vmm_posix_defer_run();
}

static void assert_read_data(struct ffx *f, unsigned i, uint64_t sector)
{
    for (unsigned b = 0; b < sizeof(f->buf[i]); b++)
        if (f->buf[i][b] != pattern(sector * 512 + b))
            fail_msg("request %u byte %u: %02x, want %02x", i, b, f->buf[i][b],
                     pattern(sector * 512 + b));
}

static unsigned long wakeups(struct ffx *f)
{
    unsigned long n;

    pthread_mutex_lock(&f->file.qlock);
    n = f->file.worker_wakeups;
    pthread_mutex_unlock(&f->file.qlock);
    return n;
}

/* Reads the fast path serves need nothing from the worker: it stays
 * asleep, however many there are. */
static void fast_path_reads_leave_the_idle_worker_asleep(void **state)
{
    struct ffx *f = image_in("/tmp");

    (void)state;
    f->file.nowait_hook = hit_hook;
    sleep_ms(20); /* the worker is waiting for work by now */
    assert_int_equal(wakeups(f), 0);
    for (unsigned i = 0; i < NREQ; i++) {
        vcpu_read(f, i, 8u * i);
        assert_int_equal(f->status[i], 0); /* completed inside the access */
        assert_read_data(f, i, 8u * i);
        sleep_ms(2); /* time for a woken worker to run */
    }
    sleep_ms(20);
    assert_int_equal(f->file.inline_reads, NREQ);
    assert_int_equal(__atomic_load_n(&f->worker_steps, __ATOMIC_RELAXED), 0);
    assert_int_equal(wakeups(f), 0);
    /* A read the fast path cannot serve still wakes it. */
    f->file.nowait_hook = NULL;
    f->file.no_nowait = true;
    vcpu_read(f, 0, 64);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->status[0], 0);
    assert_read_data(f, 0, 64);
    assert_int_equal(__atomic_load_n(&f->worker_steps, __ATOMIC_RELAXED), 1);
    assert_true(wakeups(f) >= 1);
    image_close(f);
}

/* tmpfs refuses RWF_NOWAIT, but its pages are in memory: the image still
 * takes the fast path (a plain preadv2), with the right data. */
static void image_on_tmpfs_takes_the_fast_path(void **state)
{
    struct statfs sfs;
    struct ffx *f;

    (void)state;
    if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC) {
        print_message("note: /dev/shm is not tmpfs here\n");
        skip();
    }
    f = image_in("/dev/shm");
    assert_true(f->file.in_memory);
    for (unsigned i = 0; i < NREQ; i++) {
        vcpu_read(f, i, 16u * i + 1);
        assert_int_equal(f->status[i], 0);
        assert_read_data(f, i, 16u * i + 1);
    }
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->file.inline_reads, NREQ);
    assert_int_equal(f->file.inline_fallbacks, 0);
    assert_false(f->file.no_nowait);
    assert_int_equal(__atomic_load_n(&f->worker_steps, __ATOMIC_RELAXED), 0);
    image_close(f);
}

/* A file system with RWF_NOWAIT (or none at all): never "in memory". */
static void image_on_disk_is_not_in_memory(void **state)
{
    struct statfs sfs;
    struct ffx *f;

    (void)state;
    if (statfs(".", &sfs) < 0 || sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC) {
        print_message("note: the build directory is in memory here\n");
        skip();
    }
    f = image_in(".");
    assert_false(f->file.in_memory);
    image_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_reads_leave_the_idle_worker_asleep),
        cmocka_unit_test(image_on_tmpfs_takes_the_fast_path),
        cmocka_unit_test(image_on_disk_is_not_in_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
