/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver that disables a queue (QueueReady = 0) and enables it again,
 * without a device reset, starts a new ring (issue 10, point 8): chains the
 * device still held from the old one (net receive reservations, a kept rng
 * request, blk requests in flight) must never be filled or returned into
 * the new ring, whose head numbers mean other buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtio_blk.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_rng.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define BASE 0x0a000000ull
#define LINE 40
#define QNUM 8
#define OLD_HEAD 5 /* the held chain's head in the old ring */

struct fx {
    struct test_guest g;
    struct test_vq q[2];
    struct test_vq fresh; /* the ring enabled after the disable */
    union {
        struct virtio_net net;
        struct virtio_blk blk;
        struct virtio_rng rng;
    } dev;
    struct vmm_net_backend net_be;
    struct vmm_blk_backend blk_be;
    struct vmm_entropy_backend rng_be;
    struct vmm_blk_req *deferred[4];
    unsigned nr_deferred;
    long rng_give; /* what the entropy backend returns */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
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

/* Publish a one-buffer chain at descriptor @head of @q. */
static void post(struct test_vq *q, uint16_t head, uint64_t gpa, uint32_t len, bool writable)
{
    test_vq_set_desc(q, head, gpa, len, writable ? VIRTQ_DESC_F_WRITE : 0, 0);
    test_vq_publish(q, head);
}

/* QueueReady = 0 for queue @qidx, then a new ring for it. */
static void reenable(struct fx *f, unsigned qidx)
{
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_QUEUE_SEL, qidx);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_QUEUE_READY, 0);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_READY), 0);
    test_vq_layout(&f->fresh, &f->g, QNUM);
    test_vmmio_setup_queue(&f->g, BASE, qidx, &f->fresh);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_READY), 1);
}

/* The next used element of the new ring. */
static void expect_used(struct fx *f, uint32_t head, uint32_t len)
{
    uint32_t id, got;

    assert_true(test_vq_get_used(&f->fresh, &id, &got));
    assert_int_equal(id, head);
    assert_int_equal(got, len);
}

/* ------------------------------------------------------------ virtio-net */

static int net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx, (void)iov, (void)nr_iov;
    return 0;
}

static void reenable_net_rx_forgets_reserved_chains(void **state)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    static uint8_t frame[1000];
    struct fx *f = *state;
    uint64_t old_buf = test_guest_alloc(&f->g, 100, 8), new_buf;
    uint8_t got[sizeof(frame)], untouched[100] = {0}, old[100];

    f->net_be = (struct vmm_net_backend){.tx = net_tx};
    assert_int_equal(
        vmm_virtio_net_init(&f->dev.net, &f->g.vm, "net0", BASE, LINE, mac, 0, &f->net_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->dev.net)), 0);
    test_vmmio_bringup(&f->g, BASE,
                       VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), f->q, 2,
                       QNUM);
    memset(frame, 0x77, sizeof(frame));
    /* A 100-byte buffer is too small: the device reserves it and waits. */
    post(&f->q[VIRTIO_NET_RXQ], OLD_HEAD, old_buf, 100, true);
    assert_int_equal(vmm_virtio_net_rx(&f->dev.net, frame, sizeof(frame)), -VMM_EAGAIN);

    reenable(f, VIRTIO_NET_RXQ);
    new_buf = test_guest_alloc(&f->g, 2048, 8);
    post(&f->fresh, 0, new_buf, 2048, true);
    assert_int_equal(vmm_virtio_net_rx(&f->dev.net, frame, sizeof(frame)), 0);
    expect_used(f, 0, VIRTIO_NET_HDR_LEN + sizeof(frame));
    assert_false(test_vq_get_used(&f->fresh, &(uint32_t){0}, &(uint32_t){0}));
    test_guest_read(&f->g, new_buf + VIRTIO_NET_HDR_LEN, got, sizeof(got));
    assert_memory_equal(got, frame, sizeof(frame));
    test_guest_read(&f->g, old_buf, old, sizeof(old));
    assert_memory_equal(old, untouched, sizeof(old)); /* the old buffer was left alone */
}

/* ------------------------------------------------------------ virtio-blk */

static int blk_defer(void *ctx, struct vmm_blk_req *req)
{
    struct fx *f = ctx;

    assert_true(f->nr_deferred < 4);
    f->deferred[f->nr_deferred++] = req;
    return 0;
}

/* A FLUSH request: header, status byte. */
static void post_flush(struct fx *f, struct test_vq *q, uint16_t head)
{
    uint8_t hdr[16] = {VIRTIO_BLK_T_FLUSH};
    uint64_t h = test_guest_alloc(&f->g, 16, 8), st = test_guest_alloc(&f->g, 1, 1);

    test_guest_write(&f->g, h, hdr, sizeof(hdr));
    test_vq_set_desc(q, head, h, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
    test_vq_set_desc(q, (uint16_t)(head + 1), st, 1, VIRTQ_DESC_F_WRITE, 0);
    test_vq_publish(q, head);
    test_vmmio_kick(&f->g, BASE, 0);
}

static void reenable_blk_drops_requests_in_flight(void **state)
{
    struct fx *f = *state;

    f->blk_be = (struct vmm_blk_backend){.nr_sectors = 64, .submit = blk_defer, .ctx = f};
    assert_int_equal(
        vmm_virtio_blk_init(&f->dev.blk, &f->g.vm, "blk0", BASE, LINE, &f->blk_be, NULL), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->dev.blk)), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH),
                       f->q, 1, QNUM);
    post_flush(f, &f->q[0], OLD_HEAD);
    assert_int_equal(f->nr_deferred, 1);

    reenable(f, 0);
    post_flush(f, &f->fresh, 0);
    assert_int_equal(f->nr_deferred, 2);
    f->deferred[0]->complete(f->deferred[0], 0); /* the old ring's request */
    f->deferred[1]->complete(f->deferred[1], 0);
    expect_used(f, 0, 1);
    assert_false(test_vq_get_used(&f->fresh, &(uint32_t){0}, &(uint32_t){0}));
}

/* ------------------------------------------------------------ virtio-rng */

static long rng_fill(void *ctx, void *buf, size_t len)
{
    struct fx *f = ctx;
    long n = f->rng_give < (long)len ? f->rng_give : (long)len;

    memset(buf, 0xa5, (size_t)(n > 0 ? n : 0));
    return n;
}

static void reenable_rng_forgets_the_kept_chain(void **state)
{
    struct fx *f = *state;

    f->rng_be = (struct vmm_entropy_backend){.fill = rng_fill, .ctx = f};
    assert_int_equal(vmm_virtio_rng_init(&f->dev.rng, &f->g.vm, "rng0", BASE, LINE, &f->rng_be), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_rng_device(&f->dev.rng)), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->q, 1, QNUM);
    f->rng_give = 0; /* no entropy yet: the device keeps the chain */
    post(&f->q[0], OLD_HEAD, test_guest_alloc(&f->g, 16, 8), 16, true);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_false(test_vq_get_used(&f->q[0], &(uint32_t){0}, &(uint32_t){0}));

    reenable(f, 0);
    f->rng_give = 1 << 20;
    post(&f->fresh, 0, test_guest_alloc(&f->g, 32, 8), 32, true);
    test_vmmio_kick(&f->g, BASE, 0);
    expect_used(f, 0, 32);
    assert_false(test_vq_get_used(&f->fresh, &(uint32_t){0}, &(uint32_t){0}));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(reenable_net_rx_forgets_reserved_chains),
        T(reenable_blk_drops_requests_in_flight),
        T(reenable_rng_forgets_the_kept_chain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
