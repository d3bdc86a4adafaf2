/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-rng driven through virtio-mmio on a fake entropy source, and the
 * getrandom(2) backend on its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/entropy.h"
#include "stdvmm/virtio_rng.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2ull << 20)
#define BASE 0x0a000200ull
#define LINE 17u
#define QNUM 16
#define FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

struct fx {
    struct test_guest g;
    struct virtio_rng rng;
    struct vmm_entropy_backend be;
    struct test_vq q;
    uint8_t next;        /* next byte of the fake stream */
    size_t max_per_call; /* 0: no limit */
    long fail;           /* returned instead of filling, when non-zero */
    long fail_after;     /* fill this many bytes before failing */
    unsigned calls;
};

/* The fake source: a counting byte stream. */
static long fake_fill(void *ctx, void *buf, size_t len)
{
    struct fx *f = ctx;
    uint8_t *p = buf;

    f->calls++;
    if (f->fail && f->fail_after == 0)
        return f->fail;
    if (f->max_per_call && len > f->max_per_call)
        len = f->max_per_call;
    if (f->fail && (size_t)f->fail_after < len)
        len = (size_t)f->fail_after;
    if (f->fail)
        f->fail_after -= (long)len;
    for (size_t i = 0; i < len; i++)
        p[i] = f->next++;
    return (long)len;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->be = (struct vmm_entropy_backend){.fill = fake_fill, .ctx = f};
    assert_int_equal(vmm_virtio_rng_init(&f->rng, &f->g.vm, "rng0", BASE, LINE, &f->be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_rng_device(&f->rng)), 0);
    test_vmmio_bringup(&f->g, BASE, FEATURES, &f->q, 1, QNUM);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    test_guest_free(&f->g);
    free(f);
    return 0;
}

static uint64_t buffer(struct fx *f, uint32_t len)
{
    uint64_t gpa = test_guest_alloc(&f->g, len ? len : 1, 8);

    memset(test_guest_ptr(&f->g, gpa, len ? len : 1), 0xcc, len ? len : 1);
    return gpa;
}

/* Post one writable buffer of @len bytes; returns its address. */
static uint64_t post(struct fx *f, uint32_t len)
{
    struct test_buf b = {buffer(f, len), len, true};

    test_vq_add(&f->q, &b, 1);
    return b.gpa;
}

static uint32_t used_len(struct fx *f)
{
    uint32_t id, len;

    assert_true(test_vq_get_used(&f->q, &id, &len));
    return len;
}

static void assert_no_used(struct fx *f)
{
    uint32_t id, len;

    assert_false(test_vq_get_used(&f->q, &id, &len));
}

/* @len bytes at @gpa continue the fake stream from @first. */
static void assert_stream(struct fx *f, uint64_t gpa, size_t len, uint8_t first)
{
    const uint8_t *p = test_guest_ptr(&f->g, gpa, len);

    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(first + i));
}

static void rng_is_device_4_without_features_or_config(void **state)
{
    struct fx *f = *state;

    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_NUM_MAX),
                     VIRTIO_RNG_QUEUE_SIZE);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES) & 0x00ffffffu, 0);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG, 4), 0);
}

static void rng_fills_buffers_with_backend_bytes(void **state)
{
    struct fx *f = *state;
    uint64_t a = buffer(f, 16), b = buffer(f, 48);
    struct test_buf bufs[2] = {{a, 16, true}, {b, 48, true}};

    test_vq_add(&f->q, bufs, 2);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), 64);
    assert_stream(f, a, 16, 0);
    assert_stream(f, b, 48, 16);
    assert_true(test_guest_irq(&f->g, LINE));
    assert_int_equal(f->rng.bytes, 64);
}

static void rng_keeps_asking_after_short_fills(void **state)
{
    struct fx *f = *state;
    uint64_t a;

    f->max_per_call = 7;
    a = post(f, 100);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), 100);
    assert_stream(f, a, 100, 0);
    assert_int_equal(f->calls, 15);
}

static void rng_caps_one_chain_at_64k(void **state)
{
    struct fx *f = *state;
    uint64_t a = post(f, VIRTIO_RNG_MAX_CHAIN_BYTES + 1000);
    const uint8_t *p = test_guest_ptr(&f->g, a, VIRTIO_RNG_MAX_CHAIN_BYTES + 1000);

    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), VIRTIO_RNG_MAX_CHAIN_BYTES);
    assert_int_equal(p[VIRTIO_RNG_MAX_CHAIN_BYTES - 1], (uint8_t)(VIRTIO_RNG_MAX_CHAIN_BYTES - 1));
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(p[VIRTIO_RNG_MAX_CHAIN_BYTES + i], 0xcc);
}

static void rng_leaves_work_beyond_one_call_for_later(void **state)
{
    struct fx *f = *state;
    const unsigned per_call = VIRTIO_RNG_MAX_CALL_BYTES / VIRTIO_RNG_MAX_CHAIN_BYTES;

    for (unsigned i = 0; i <= per_call; i++)
        post(f, VIRTIO_RNG_MAX_CHAIN_BYTES);
    test_vmmio_kick(&f->g, BASE, 0);
    for (unsigned i = 0; i < per_call; i++)
        assert_int_equal(used_len(f), VIRTIO_RNG_MAX_CHAIN_BYTES);
    assert_no_used(f);
    assert_true(vmm_virtio_rng_pending(&f->rng));
    vmm_virtio_rng_process(&f->rng);
    assert_int_equal(used_len(f), VIRTIO_RNG_MAX_CHAIN_BYTES);
    assert_false(vmm_virtio_rng_pending(&f->rng));
}

static void rng_returns_chains_without_writable_bytes_empty(void **state)
{
    struct fx *f = *state;
    uint64_t r = buffer(f, 32);
    struct test_buf empty = {buffer(f, 0), 0, true};
    struct test_buf readable = {r, 32, false};

    test_log_capture();
    test_vq_add(&f->q, &empty, 1);
    test_vq_add(&f->q, &readable, 1);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), 0);
    assert_int_equal(used_len(f), 0);
    assert_int_equal(f->calls, 0);
    assert_int_equal(*(uint8_t *)test_guest_ptr(&f->g, r, 1), 0xcc);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
    assert_int_equal(
        test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
}

static void rng_keeps_the_chain_when_the_backend_fails(void **state)
{
    struct fx *f = *state;
    uint64_t a;

    f->fail = -VMM_EIO;
    a = post(f, 32);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_no_used(f);
    assert_true(vmm_virtio_rng_pending(&f->rng));
    assert_int_equal(f->rng.backend_errors, 1);
    f->fail = 0;
    vmm_virtio_rng_process(&f->rng);
    assert_int_equal(used_len(f), 32);
    assert_stream(f, a, 32, 0);
    /* a partial fill before an error is returned as it is */
    f->fail = -VMM_EIO;
    f->fail_after = 10;
    a = post(f, 32);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), 10);
    assert_stream(f, a, 10, 32);
}

static void rng_reset_forgets_a_held_chain(void **state)
{
    struct fx *f = *state;

    f->fail = -VMM_EIO;
    post(f, 32);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_true(f->rng.held);
    test_vmmio_bringup(&f->g, BASE, FEATURES, &f->q, 1, QNUM);
    assert_false(f->rng.held);
    f->fail = 0;
    post(f, 8);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(used_len(f), 8);
}

static void rng_ring_violation_needs_reset(void **state)
{
    struct fx *f = *state;

    test_vq_set_desc(&f->q, 0, buffer(f, 8), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, QNUM);
    test_vq_publish(&f->q, 0);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_no_used(f);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) &
                VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_false(vmm_virtio_rng_pending(&f->rng));
    assert_int_equal(f->calls, 0);
}

static void posix_entropy_fills_whole_buffers(void **state)
{
    static uint8_t buf[100000];
    struct vmm_entropy_backend be;
    unsigned nonzero = 0;

    (void)state;
    vmm_posix_entropy_init(&be);
    assert_int_equal(be.fill(be.ctx, buf, sizeof(buf)), sizeof(buf));
    for (size_t i = sizeof(buf) - 4096; i < sizeof(buf); i++)
        nonzero += buf[i] != 0;
    assert_true(nonzero > 3500); /* the tail was written too */
    assert_int_equal(be.fill(be.ctx, buf, 0), 0);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(rng_is_device_4_without_features_or_config),
        T(rng_fills_buffers_with_backend_bytes),
        T(rng_keeps_asking_after_short_fills),
        T(rng_caps_one_chain_at_64k),
        T(rng_leaves_work_beyond_one_call_for_later),
        T(rng_returns_chains_without_writable_bytes_empty),
        T(rng_keeps_the_chain_when_the_backend_fails),
        T(rng_reset_forgets_a_held_chain),
        T(rng_ring_violation_needs_reset),
        cmocka_unit_test(posix_entropy_fills_whole_buffers),
    };

    test_log_capture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
