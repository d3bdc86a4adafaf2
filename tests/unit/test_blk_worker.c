/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The image backend's I/O worker (vmm_blk_file_start): disk I/O off the vCPU
 * thread and the VM lock, FLUSH as a barrier, zeroes written by hand in
 * steps, a bounded queue, drain and stop, and virtio-blk's reset with a
 * request still at the worker. Threads stand in for vCPUs; the VM lock is
 * the test's own mutex, taken around every MMIO access as the KVM port
 * does. Time bounds are generous (the slow disk takes 1 s, MMIO on
 * another device must take less than 400 ms).
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/posix/defer.h"
#include "stdvmm/virtio_blk.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (4ull << 20)
#define BASE_A 0x0a000000ull
#define BASE_B 0x0a000200ull
#define LINE_A 16u
#define LINE_B 17u
#define QNUM 16
#define SECTORS 16384u /* 8 MiB */
#define SLOW_MS 1000
#define MMIO_BOUND_MS 400
#define MAX_STEPS 256

#define FEATURES                                                                                   \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |                           \
     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))

struct wfx {
    struct test_guest g;
    struct virtio_blk vda, vdb;
    struct test_vq qa, qb;
    struct blk_file file;
    struct vmm_blk_backend idle_backend; /* vdb's: never used */
    char path[64];
    pthread_mutex_t vm_lock;

    /* what the hook saw, in order, and how slow it makes the disk */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    enum vmm_blk_op steps[MAX_STEPS];
    unsigned nr_steps;
    unsigned slow_steps; /* the next this many steps sleep SLOW_MS (or gate_ms) */
    unsigned gate_ms;
    bool in_slow_step;

    /* backend-level requests */
    struct vmm_blk_req reqs[BLK_FILE_QUEUE + 1];
    struct vmm_iov iov[4];
    int done_order[BLK_FILE_QUEUE + 2];
    unsigned nr_done;
    int status[BLK_FILE_QUEUE + 1];
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void hook(struct blk_file *file, const struct vmm_blk_req *req)
{
    struct wfx *f = (struct wfx *)((char *)file - offsetof(struct wfx, file));
    bool slow;

    pthread_mutex_lock(&f->mu);
    if (f->nr_steps < MAX_STEPS)
        f->steps[f->nr_steps++] = req->op;
    slow = f->slow_steps > 0;
    if (slow) {
        f->slow_steps--;
        f->in_slow_step = true;
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&f->mu);
    if (slow)
        sleep_ms(f->gate_ms ? f->gate_ms : SLOW_MS);
}

/* Wait (up to 5 s) until the worker is inside a slow step. */
static void wait_slow_step(struct wfx *f)
{
    uint64_t end = now_ms() + 5000;

    pthread_mutex_lock(&f->mu);
    while (!f->in_slow_step && now_ms() < end) {
        pthread_mutex_unlock(&f->mu);
        sleep_ms(1);
        pthread_mutex_lock(&f->mu);
    }
    assert_true(f->in_slow_step);
    pthread_mutex_unlock(&f->mu);
}

static int idle_submit(void *ctx, struct vmm_blk_req *req)
{
    (void)ctx;
    (void)req;
    return -VMM_EIO;
}

static int setup(void **state)
{
    struct wfx *f = calloc(1, sizeof(*f));
    char err[256];
    int fd;

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    pthread_mutex_init(&f->vm_lock, NULL);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    strcpy(f->path, "/tmp/stdvmm-blkw-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SECTORS * 512), 0);
    for (unsigned s = 0; s < 64; s++) { /* a pattern in the first 32 KiB */
        uint8_t sec[512];

        memset(sec, (int)(s + 1), sizeof(sec));
        assert_int_equal(pwrite(fd, sec, sizeof(sec), (off_t)s * 512), 512);
    }
    close(fd);
    assert_int_equal(vmm_blk_file_open(&f->file, f->path, err, sizeof(err)), 0);
    f->file.step_hook = hook;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct wfx *f = *state;

    vmm_blk_file_close(&f->file);
    unlink(f->path);
    test_guest_free(&f->g);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->vm_lock);
    free(f);
    return 0;
}

/* vda on the image, vdb on a backend nobody uses, both driven. */
static void start_devices(struct wfx *f)
{
    f->idle_backend = (struct vmm_blk_backend){.nr_sectors = 8, .submit = idle_submit};
    assert_int_equal(
        vmm_virtio_blk_init(&f->vda, &f->g.vm, "vda", BASE_A, LINE_A, &f->file.backend, NULL), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->vda)), 0);
    assert_int_equal(
        vmm_virtio_blk_init(&f->vdb, &f->g.vm, "vdb", BASE_B, LINE_B, &f->idle_backend, NULL), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->vdb)), 0);
    test_vmmio_bringup(&f->g, BASE_A, FEATURES, &f->qa, 1, QNUM);
    test_vmmio_bringup(&f->g, BASE_B, FEATURES, &f->qb, 1, QNUM);
    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
}

/* Publish a READ of @sector into a fresh 4 KiB buffer on vda's queue;
 * returns the head, the data and status addresses in *@data / *@st. */
static uint16_t queue_read(struct wfx *f, uint64_t sector, uint64_t *data, uint64_t *st)
{
    uint64_t hdr = test_guest_alloc(&f->g, VIRTIO_BLK_HDR_SIZE, 16);
    uint8_t h[VIRTIO_BLK_HDR_SIZE] = {VIRTIO_BLK_T_IN};
    uint8_t no_status = 0xaa;

    for (unsigned i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sector >> (8 * i));
    test_guest_write(&f->g, hdr, h, sizeof(h));
    *data = test_guest_alloc(&f->g, 4096, 16);
    *st = test_guest_alloc(&f->g, 1, 16);
    test_guest_write(&f->g, *st, &no_status, 1);
    struct test_buf b[3] = {
        {hdr, VIRTIO_BLK_HDR_SIZE, false},
        {*data, 4096, true},
        {*st, 1, true},
    };
    return test_vq_add(&f->qa, b, 3);
}

static uint8_t guest_byte(struct wfx *f, uint64_t gpa)
{
    uint8_t v;

    test_guest_read(&f->g, gpa, &v, 1);
    return v;
}

/* A vCPU kicking vda: the MMIO write under the VM lock, timed. */
struct kicker {
    struct wfx *f;
    uint64_t took_ms;
};

static void *kick_vda(void *arg)
{
    struct kicker *k = arg;
    uint64_t t0 = now_ms();

    pthread_mutex_lock(&k->f->vm_lock);
    test_vmmio_kick(&k->f->g, BASE_A, 0);
    pthread_mutex_unlock(&k->f->vm_lock);
    k->took_ms = now_ms() - t0;
    return NULL;
}

/* Wait (up to 5 s) for vda's next used element; true if it came. */
static bool wait_used(struct wfx *f, uint32_t *id, uint32_t *len)
{
    uint64_t end = now_ms() + 5000;

    while (now_ms() < end) {
        bool got;

        pthread_mutex_lock(&f->vm_lock);
        got = test_vq_get_used(&f->qa, id, len);
        pthread_mutex_unlock(&f->vm_lock);
        if (got)
            return true;
        sleep_ms(1);
    }
    return false;
}

/* The case: one vCPU reads from a slow disk; another vCPU's MMIO
 * on another device answers at once. (Synchronous I/O in submit() holds
 * the VM lock for the whole slow read and fails the bound.) */
static void blk_io_never_stalls_mmio_on_another_device(void **state)
{
    struct wfx *f = *state;
    struct kicker k = {.f = f};
    uint64_t data, st, t0, mmio_ms;
    uint32_t id, len, magic;
    uint16_t head;
    pthread_t vcpu0;
    uint8_t got[4096], want[4096];

    start_devices(f);
    head = queue_read(f, 8, &data, &st); /* sectors 8..15: pattern 9..16 */
    f->slow_steps = 1;
    assert_int_equal(pthread_create(&vcpu0, NULL, kick_vda, &k), 0);
    wait_slow_step(f);
    t0 = now_ms();
    pthread_mutex_lock(&f->vm_lock);
    magic = test_vmmio_read(&f->g, BASE_B, VIRTIO_MMIO_MAGIC_VALUE);
    pthread_mutex_unlock(&f->vm_lock);
    mmio_ms = now_ms() - t0;
    pthread_join(vcpu0, NULL);
    assert_int_equal(magic, VIRTIO_MMIO_MAGIC);
    assert_true(mmio_ms < MMIO_BOUND_MS);
    assert_true(k.took_ms < MMIO_BOUND_MS); /* the kick itself does not wait either */

    assert_true(wait_used(f, &id, &len)); /* and the read completes, later */
    assert_int_equal(id, head);
    assert_int_equal(len, 4096 + 1);
    test_guest_read(&f->g, data, got, sizeof(got));
    for (unsigned i = 0; i < 4096; i++)
        want[i] = (uint8_t)(8 + i / 512 + 1);
    assert_memory_equal(got, want, sizeof(got));
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(guest_byte(f, st), VIRTIO_BLK_S_OK);
    assert_true(test_guest_irq(&f->g, LINE_A));
    assert_int_equal(f->file.reads, 1);
    pthread_mutex_unlock(&f->vm_lock);
}

/* A device reset while the worker still has a request: the completion
 * returns nothing to the (new) driver, and the slot is free again. */
static void blk_reset_with_request_at_the_worker(void **state)
{
    struct wfx *f = *state;
    struct kicker k = {.f = f};
    uint64_t data, st;
    uint32_t id, len;
    pthread_t vcpu0;

    start_devices(f);
    queue_read(f, 0, &data, &st);
    f->slow_steps = 1;
    f->gate_ms = 200;
    assert_int_equal(pthread_create(&vcpu0, NULL, kick_vda, &k), 0);
    wait_slow_step(f);
    pthread_join(vcpu0, NULL);
    pthread_mutex_lock(&f->vm_lock);
    test_vmmio_write(&f->g, BASE_A, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->vda.inflight, 1);
    pthread_mutex_unlock(&f->vm_lock);
    vmm_blk_file_drain(&f->file);
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->vda.inflight, 0);
    assert_int_equal(guest_byte(f, st), 0xaa); /* no status for a reset device */
    assert_false(test_vq_get_used(&f->qa, &id, &len));
    assert_int_equal(f->file.reads, 1);
    pthread_mutex_unlock(&f->vm_lock);
}

/* A reset while the worker reads one request and has another queued: the
 * queued one is never read, and the resetting vCPU's access returns only
 * once the one under way has landed, so nothing writes the driver's
 * buffers after the reset (the old code let both land later). */
static void blk_reset_leaves_no_read_landing_after_it(void **state)
{
    struct wfx *f = *state;
    struct kicker k = {.f = f};
    uint64_t data0, st0, data1, st1;
    uint8_t at_reset0[4096], at_reset1[4096], later[4096], zero[4096] = {0}, want[4096];
    pthread_t vcpu0;

    start_devices(f);
    queue_read(f, 0, &data0, &st0);
    queue_read(f, 8, &data1, &st1);
    f->slow_steps = 1;
    f->gate_ms = 300;
    assert_int_equal(pthread_create(&vcpu0, NULL, kick_vda, &k), 0);
    wait_slow_step(f); /* the first read is at the worker, the second queued */
    pthread_join(vcpu0, NULL);
    vmm_posix_defer_open(); /* this thread is the resetting vCPU, as in the KVM port */
    pthread_mutex_lock(&f->vm_lock);
    test_vmmio_write(&f->g, BASE_A, VIRTIO_MMIO_STATUS, 0);
    pthread_mutex_unlock(&f->vm_lock);
    vmm_posix_defer_run();
    test_guest_read(&f->g, data0, at_reset0, sizeof(at_reset0));
    test_guest_read(&f->g, data1, at_reset1, sizeof(at_reset1));
    vmm_blk_file_drain(&f->file);
    sleep_ms(50);
    for (unsigned i = 0; i < 4096; i++)
        want[i] = (uint8_t)(i / 512 + 1);
    assert_memory_equal(at_reset0, want, sizeof(want)); /* landed before the access returned */
    test_guest_read(&f->g, data0, later, sizeof(later));
    assert_memory_equal(later, want, sizeof(want));
    assert_memory_equal(at_reset1, zero, sizeof(zero)); /* never read */
    test_guest_read(&f->g, data1, later, sizeof(later));
    assert_memory_equal(later, zero, sizeof(zero));
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->vda.inflight, 0);
    assert_int_equal(guest_byte(f, st0), 0xaa);
    assert_int_equal(guest_byte(f, st1), 0xaa);
    assert_int_equal(f->file.reads, 1);
    assert_int_equal(f->file.errors, 0);
    assert_int_equal(f->vda.errors, 0);
    pthread_mutex_unlock(&f->vm_lock);
}

/* ---------------------------------------------------------------- backend level */

static void record(struct vmm_blk_req *req, int status)
{
    struct wfx *f = req->cookie;
    unsigned i = (unsigned)(req - f->reqs);

    /* called by the worker with the VM lock held */
    f->status[i] = status;
    f->done_order[f->nr_done++] = (int)i;
}

static int submit(struct wfx *f, unsigned i, enum vmm_blk_op op, uint64_t sector, uint64_t nr,
                  void *buf)
{
    struct vmm_blk_req *r = &f->reqs[i];
    int ret;

    *r = (struct vmm_blk_req){
        .op = op, .sector = sector, .nr_sectors = nr, .complete = record, .cookie = f};
    f->status[i] = 1; /* not completed */
    if (buf != NULL) {
        f->iov[i % 4] = (struct vmm_iov){buf, (size_t)nr * 512};
        r->iov = &f->iov[i % 4];
        r->nr_iov = 1;
    }
    pthread_mutex_lock(&f->vm_lock); /* as a device would */
    ret = f->file.backend.submit(f->file.backend.ctx, r);
    pthread_mutex_unlock(&f->vm_lock);
    return ret;
}

/* A FLUSH waits for the write before it; the read after it waits for the
 * FLUSH; all complete in that order, and the read sees the write. */
static void blk_worker_flush_is_a_barrier(void **state)
{
    struct wfx *f = *state;
    static uint8_t wbuf[4096], rbuf[4096];

    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
    memset(wbuf, 0x77, sizeof(wbuf));
    f->slow_steps = 1;
    f->gate_ms = 100;
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 100, 8, wbuf), 0);
    assert_int_equal(submit(f, 1, VMM_BLK_FLUSH, 0, 0, NULL), 0);
    assert_int_equal(submit(f, 2, VMM_BLK_READ, 100, 8, rbuf), 0);
    pthread_mutex_lock(&f->vm_lock);
    assert_int_equal(f->nr_done, 0); /* submit() returned before any I/O */
    pthread_mutex_unlock(&f->vm_lock);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->nr_done, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(f->done_order[i], (int)i);
        assert_int_equal(f->status[i], 0);
    }
    assert_int_equal(f->nr_steps, 3);
    assert_int_equal(f->steps[0], VMM_BLK_WRITE);
    assert_int_equal(f->steps[1], VMM_BLK_FLUSH);
    assert_int_equal(f->steps[2], VMM_BLK_READ);
    assert_memory_equal(rbuf, wbuf, sizeof(rbuf));
    assert_int_equal(f->file.flushes, 1);
}

/* Without fallocate, 4 MiB of zeroes go 1 MiB a step; a read queued
 * behind is served between steps, a FLUSH only after the last step, and
 * a read behind the FLUSH after it. The zeroes are all there. */
static void blk_worker_zeroes_by_hand_in_steps(void **state)
{
    struct wfx *f = *state;
    static uint8_t rbuf[4096], rbuf2[4096], zero[4096];
    const uint64_t zero_sectors = (4u << 20) / 512;
    unsigned flush_at = 0, read_at = 0, zeroes = 0;
    uint8_t back[512];

    f->file.no_punch_hole = f->file.no_zero_range = true;
    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
    f->slow_steps = 1;
    f->gate_ms = 100;
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE_ZEROES, 0, zero_sectors, NULL), 0);
    wait_slow_step(f);
    assert_int_equal(submit(f, 1, VMM_BLK_READ, 10000, 8, rbuf), 0);
    assert_int_equal(submit(f, 2, VMM_BLK_FLUSH, 0, 0, NULL), 0);
    assert_int_equal(submit(f, 3, VMM_BLK_READ, 0, 8, rbuf2), 0);
    vmm_blk_file_drain(&f->file);
    assert_int_equal(f->nr_done, 4);
    for (unsigned i = 0; i < f->nr_steps; i++) {
        if (f->steps[i] == VMM_BLK_WRITE_ZEROES)
            zeroes++;
        if (f->steps[i] == VMM_BLK_READ && read_at == 0)
            read_at = i;
        if (f->steps[i] == VMM_BLK_FLUSH)
            flush_at = i;
    }
    assert_int_equal(zeroes, 4);                 /* four 1 MiB steps */
    assert_int_equal(read_at, 1);                /* served after the first one */
    assert_int_equal(flush_at, 5);               /* after every step */
    assert_int_equal(f->steps[6], VMM_BLK_READ); /* the read behind the FLUSH */
    assert_int_equal(f->done_order[0], 1);       /* the read completed first */
    assert_int_equal(f->done_order[1], 0);
    assert_int_equal(f->done_order[2], 2);
    assert_int_equal(f->done_order[3], 3);
    assert_memory_equal(rbuf2, zero, sizeof(zero));
    assert_int_equal(pread(f->file.fd, back, sizeof(back), (4 << 20) - 512), 512);
    assert_memory_equal(back, zero, sizeof(back));
    assert_int_equal(f->file.write_zeroes, 1);
}

/* The queue holds BLK_FILE_QUEUE requests; one more is refused, not lost,
 * and stop completes everything that was queued. */
static void blk_worker_queue_is_bounded_and_stop_completes_it(void **state)
{
    struct wfx *f = *state;

    assert_int_equal(vmm_blk_file_start(&f->file, &f->vm_lock), 0);
    f->slow_steps = 1;
    f->gate_ms = 200;
    assert_int_equal(submit(f, 0, VMM_BLK_FLUSH, 0, 0, NULL), 0);
    wait_slow_step(f); /* the worker holds one, the queue is empty */
    for (unsigned i = 1; i <= BLK_FILE_QUEUE; i++)
        assert_int_equal(submit(f, i, VMM_BLK_FLUSH, 0, 0, NULL), 0);
    assert_int_equal(f->file.queued_max, BLK_FILE_QUEUE);
    {
        struct vmm_blk_req extra = {.op = VMM_BLK_FLUSH, .complete = record, .cookie = f};

        pthread_mutex_lock(&f->vm_lock);
        assert_int_equal(f->file.backend.submit(f->file.backend.ctx, &extra), -VMM_EBUSY);
        pthread_mutex_unlock(&f->vm_lock);
    }
    vmm_blk_file_stop(&f->file);
    assert_int_equal(f->nr_done, BLK_FILE_QUEUE + 1);
    assert_int_equal(f->file.flushes, BLK_FILE_QUEUE + 1);
    /* stopped: synchronous again */
    assert_int_equal(submit(f, 0, VMM_BLK_FLUSH, 0, 0, NULL), 0);
    assert_int_equal(f->nr_done, BLK_FILE_QUEUE + 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(blk_io_never_stalls_mmio_on_another_device),
        T(blk_reset_with_request_at_the_worker),
        T(blk_reset_leaves_no_read_landing_after_it),
        T(blk_worker_flush_is_a_barrier),
        T(blk_worker_zeroes_by_hand_in_steps),
        T(blk_worker_queue_is_bounded_and_stop_completes_it),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
