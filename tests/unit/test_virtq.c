/* SPDX-License-Identifier: BSD-2-Clause */
/* The split virtqueue walker against a mock guest memory: happy paths,
 * notification suppression both ways, and every hostile ring it must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtq.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define RAM_END (RAM_BASE + RAM_SIZE)
#define MMIO_ADDR 0x0a000000ull
#define QNUM 16

struct fx {
    struct test_guest g;
    struct test_vq q;
    struct virtq vq;
    struct virtq_chain chain;
};

static int enable(struct fx *f, bool event_idx, bool indirect)
{
    vmm_virtq_reset(&f->vq, VIRTQ_MAX_SIZE);
    f->vq.num = f->q.num;
    f->vq.desc_gpa = f->q.desc;
    f->vq.avail_gpa = f->q.avail;
    f->vq.used_gpa = f->q.used;
    return vmm_virtq_enable(&f->vq, &f->g.vm.mem, event_idx, indirect);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    test_vq_layout(&f->q, &f->g, QNUM);
    assert_int_equal(enable(f, false, true), 0);
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
    return test_guest_alloc(&f->g, len, 8);
}

/* Pop one chain expecting the violation @err. */
static void expect_violation(struct fx *f, int err)
{
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), err);
    assert_non_null(f->vq.fault);
}

/* ---------------------------------------------------------------- happy paths */

static void virtq_pops_direct_chain_readable_then_writable(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[3] = {
        {buffer(f, 16), 16, false}, {buffer(f, 32), 32, false}, {buffer(f, 64), 64, true}};
    uint16_t head = test_vq_add(&f->q, bufs, 3);

    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.head, head);
    assert_int_equal(f->chain.nr_readable, 2);
    assert_int_equal(f->chain.nr_writable, 1);
    assert_int_equal(f->chain.readable_len, 48);
    assert_int_equal(f->chain.writable_len, 64);
    assert_ptr_equal(f->chain.seg[0].base, test_guest_ptr(&f->g, bufs[0].gpa, 16));
    assert_int_equal(f->chain.seg[1].len, 32);
    assert_ptr_equal(vmm_virtq_chain_writable(&f->chain)[0].base,
                     test_guest_ptr(&f->g, bufs[2].gpa, 64));
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 0); /* ring now empty */
}

static void virtq_pops_indirect_chain(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[4] = {{buffer(f, 8), 8, false},
                               {buffer(f, 100), 100, false},
                               {buffer(f, 1), 1, true},
                               {buffer(f, 512), 512, true}};
    uint16_t head = test_vq_add_indirect(&f->q, bufs, 4);

    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.head, head);
    assert_int_equal(f->chain.nr_readable, 2);
    assert_int_equal(f->chain.nr_writable, 2);
    assert_int_equal(f->chain.readable_len, 108);
    assert_int_equal(f->chain.writable_len, 513);
    assert_ptr_equal(f->chain.seg[3].base, test_guest_ptr(&f->g, bufs[3].gpa, 512));
}

static void virtq_accepts_direct_then_indirect_in_one_chain(void **state)
{
    struct fx *f = *state;
    struct test_buf tbl[1] = {{buffer(f, 8), 8, true}};
    uint64_t table = test_vq_make_table(&f->q, tbl, 1);
    uint64_t hdr = buffer(f, 16);

    test_vq_set_desc(&f->q, 0, hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.nr_readable, 1);
    assert_int_equal(f->chain.nr_writable, 1);
}

static void virtq_gather_and_scatter_cross_segments(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[4] = {{buffer(f, 3), 3, false},
                               {buffer(f, 5), 5, false},
                               {buffer(f, 2), 2, true},
                               {buffer(f, 6), 6, true}};
    uint8_t out[8], in[8] = {0}, got2[2], got6[6];

    test_guest_write(&f->g, bufs[0].gpa, "abc", 3);
    test_guest_write(&f->g, bufs[1].gpa, "defgh", 5);
    test_vq_add(&f->q, bufs, 4);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_chain_gather(&f->chain, 2, out, sizeof(out)), 6);
    assert_memory_equal(out, "cdefgh", 6);
    memcpy(in, "12345678", 8);
    assert_int_equal(vmm_virtq_chain_scatter(&f->chain, 1, in, 8), 7); /* 8 writable bytes - 1 */
    test_guest_read(&f->g, bufs[2].gpa, got2, 2);
    test_guest_read(&f->g, bufs[3].gpa, got6, 6);
    assert_int_equal(got2[0], 0);
    assert_int_equal(got2[1], '1');
    assert_memory_equal(got6, "234567", 6);
    /* the readable buffers are untouched */
    test_guest_read(&f->g, bufs[0].gpa, out, 3);
    assert_memory_equal(out, "abc", 3);
}

static void virtq_push_used_returns_head_and_length(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 64), 64, true};
    uint32_t id, len;
    uint16_t head;

    test_vq_add(&f->q, &b, 1);
    head = test_vq_add(&f->q, &b, 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_push_used(&f->vq, f->chain.head, 17), 0);
    assert_true(test_vq_get_used(&f->q, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 17);
    assert_false(test_vq_get_used(&f->q, &id, &len));
    assert_int_equal(vmm_virtq_push_used(&f->vq, QNUM, 0), -VMM_EINVAL);
}

static void virtq_wraps_around_the_rings(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 4), 4, true};
    uint32_t id, len;

    for (unsigned i = 0; i < 5 * QNUM; i++) {
        uint16_t head = test_vq_add(&f->q, &b, 1);

        assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
        assert_int_equal(f->chain.head, head);
        assert_int_equal(vmm_virtq_push_used(&f->vq, head, i), 0);
        assert_true(test_vq_get_used(&f->q, &id, &len));
        assert_int_equal(id, head);
        assert_int_equal(len, i);
    }
}

static void virtq_accepts_chain_as_long_as_the_queue(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[QNUM];

    for (unsigned i = 0; i < QNUM; i++)
        bufs[i] = (struct test_buf){buffer(f, 8), 8, i >= QNUM / 2};
    test_vq_add(&f->q, bufs, QNUM);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.nr_readable + f->chain.nr_writable, QNUM);
}

static void virtq_skips_zero_length_buffers(void **state)
{
    struct fx *f = *state;
    uint64_t data = buffer(f, 8);

    /* address 0 is not RAM, but an empty buffer is never touched */
    test_vq_set_desc(&f->q, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, data, 8, VIRTQ_DESC_F_WRITE, 0);
    test_vq_publish(&f->q, 0);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.nr_readable, 0);
    assert_int_equal(f->chain.nr_writable, 1);
    assert_int_equal(f->chain.writable_len, 8);
}

static void virtq_no_interrupt_flag_suppresses_interrupts(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    assert_false(vmm_virtq_need_interrupt(&f->vq)); /* nothing pushed yet */
    test_vq_add(&f->q, &b, 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_push_used(&f->vq, f->chain.head, 0), 0);
    assert_true(vmm_virtq_need_interrupt(&f->vq));
    test_vq_set_avail_flags(&f->q, VIRTQ_AVAIL_F_NO_INTERRUPT);
    test_vq_add(&f->q, &b, 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_push_used(&f->vq, f->chain.head, 0), 0);
    assert_false(vmm_virtq_need_interrupt(&f->vq));
}

static void push_one(struct fx *f, const struct test_buf *b)
{
    test_vq_add(&f->q, b, 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(vmm_virtq_push_used(&f->vq, f->chain.head, 0), 0);
}

static void virtq_event_idx_interrupts_only_past_used_event(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    assert_int_equal(enable(f, true, true), 0);
    test_vq_set_avail_flags(&f->q, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored with EVENT_IDX */
    test_vq_set_used_event(&f->q, 0);
    push_one(f, &b); /* used idx 0 -> 1 crosses event 0 */
    assert_true(vmm_virtq_need_interrupt(&f->vq));
    test_vq_set_used_event(&f->q, 2); /* wake me after the third */
    push_one(f, &b);
    assert_false(vmm_virtq_need_interrupt(&f->vq));
    push_one(f, &b);
    assert_true(vmm_virtq_need_interrupt(&f->vq));
    push_one(f, &b);
    assert_false(vmm_virtq_need_interrupt(&f->vq));
}

static void virtq_event_idx_publishes_avail_event(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    assert_int_equal(enable(f, true, true), 0);
    test_vq_add(&f->q, &b, 1);
    test_vq_add(&f->q, &b, 1);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(test_vq_avail_event(&f->q), 1);
    vmm_virtq_disable_notify(&f->vq);
    assert_int_equal(test_vq_used_flags(&f->q), 0); /* EVENT_IDX: the flag is not used */
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(test_vq_avail_event(&f->q), 1); /* not moved while disabled */
    assert_false(vmm_virtq_enable_notify(&f->vq));
    assert_int_equal(test_vq_avail_event(&f->q), 2);
    /* the driver's kick rule: adding entry 2 crosses avail_event 2 */
    assert_true(vmm_virtq_need_event(test_vq_avail_event(&f->q), 3, 2));
    test_vq_add(&f->q, &b, 1);
    vmm_virtq_disable_notify(&f->vq);
    assert_true(vmm_virtq_enable_notify(&f->vq)); /* work arrived meanwhile */
}

static void virtq_no_notify_flag_without_event_idx(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    vmm_virtq_disable_notify(&f->vq);
    assert_int_equal(test_vq_used_flags(&f->q), VIRTQ_USED_F_NO_NOTIFY);
    assert_false(vmm_virtq_enable_notify(&f->vq));
    assert_int_equal(test_vq_used_flags(&f->q), 0);
    vmm_virtq_disable_notify(&f->vq);
    test_vq_add(&f->q, &b, 1);
    assert_true(vmm_virtq_enable_notify(&f->vq));
}

/* ---------------------------------------------------------------- queue setup */

static void virtq_rejects_bad_queue_sizes(void **state)
{
    struct fx *f = *state;

    f->vq.num = 0;
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EINVAL);
    f->vq.num = 12;
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EINVAL);
    f->vq.num = 512; /* > num_max */
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EINVAL);
    assert_false(f->vq.ready);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 0);
}

static void virtq_rejects_misaligned_rings(void **state)
{
    struct fx *f = *state;

    f->vq.desc_gpa = f->q.desc + 8;
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EINVAL);
    f->vq.desc_gpa = f->q.desc;
    f->vq.used_gpa = f->q.used + 2;
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EINVAL);
}

static void virtq_rejects_rings_outside_ram(void **state)
{
    struct fx *f = *state;

    f->vq.desc_gpa = RAM_END - VIRTQ_DESC_SIZE * QNUM + VIRTQ_DESC_SIZE; /* straddles the end */
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EFAULT);
    f->vq.desc_gpa = f->q.desc;
    f->vq.avail_gpa = MMIO_ADDR;
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EFAULT);
    f->vq.avail_gpa = f->q.avail;
    f->vq.used_gpa = UINT64_MAX - 3; /* wraps */
    assert_int_equal(vmm_virtq_enable(&f->vq, &f->g.vm.mem, false, false), -VMM_EFAULT);
    assert_false(f->vq.ready);
}

/* ---------------------------------------------------------------- hostile chains */

static void virtq_rejects_descriptor_cycle(void **state)
{
    struct fx *f = *state;
    uint64_t b = buffer(f, 8);

    test_vq_set_desc(&f->q, 0, b, 8, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, b, 8, VIRTQ_DESC_F_NEXT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_cycle_of_empty_descriptors(void **state)
{
    struct fx *f = *state;

    /* no buffer ever fills the chain: only the time-to-live ends this walk */
    test_vq_set_desc(&f->q, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, 0, 0, VIRTQ_DESC_F_NEXT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_empty_cycle_in_indirect_table(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[2] = {{0, 0, false}, {0, 0, false}};
    uint64_t table = test_vq_make_table(&f->q, bufs, 2);
    uint16_t flags = VIRTQ_DESC_F_NEXT, back = 0;

    test_guest_write(&f->g, table + 16 + 12, &flags, 2);
    test_guest_write(&f->g, table + 16 + 14, &back, 2);
    test_vq_set_desc(&f->q, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_chain_longer_than_queue(void **state)
{
    struct fx *f = *state;
    uint64_t b = buffer(f, 8);

    /* every descriptor once, then back to the head: QNUM + 1 descriptors */
    for (uint16_t i = 0; i < QNUM; i++)
        test_vq_set_desc(&f->q, i, b, 8, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QNUM));
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_head_out_of_range(void **state)
{
    struct fx *f = *state;

    test_vq_publish(&f->q, QNUM);
    expect_violation(f, -VMM_ERANGE);
}

static void virtq_rejects_next_out_of_range(void **state)
{
    struct fx *f = *state;

    test_vq_set_desc(&f->q, 0, buffer(f, 8), 8, VIRTQ_DESC_F_NEXT, QNUM);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_ERANGE);
}

static void virtq_rejects_avail_idx_jump(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    test_vq_add(&f->q, &b, 1);
    test_vq_set_avail_idx(&f->q, QNUM + 1);
    expect_violation(f, -VMM_ERANGE);
}

static void virtq_rejects_buffer_straddling_ram_end(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {RAM_END - 8, 16, true};

    test_vq_add(&f->q, &b, 1);
    expect_violation(f, -VMM_EFAULT);
}

static void virtq_rejects_buffer_across_two_ram_regions(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {RAM_END - 8, 16, false};

    test_guest_add_ram(&f->g, RAM_END, 4096); /* contiguous, but a separate region */
    test_vq_add(&f->q, &b, 1);
    expect_violation(f, -VMM_EFAULT);
}

static void virtq_rejects_buffer_at_mmio_address(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {MMIO_ADDR, 4, false};

    test_vq_add(&f->q, &b, 1);
    expect_violation(f, -VMM_EFAULT);
}

static void virtq_rejects_readable_after_writable(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[2] = {{buffer(f, 8), 8, true}, {buffer(f, 8), 8, false}};

    test_vq_add(&f->q, bufs, 2);
    expect_violation(f, -VMM_EINVAL);
}

static void virtq_rejects_readable_after_writable_in_indirect_table(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[2] = {{buffer(f, 8), 8, true}, {buffer(f, 8), 8, false}};

    test_vq_add_indirect(&f->q, bufs, 2);
    expect_violation(f, -VMM_EINVAL);
}

static void virtq_rejects_indirect_when_not_negotiated(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};

    assert_int_equal(enable(f, false, false), 0);
    test_vq_add_indirect(&f->q, &b, 1);
    expect_violation(f, -VMM_ENOTSUP);
}

static void virtq_rejects_nested_indirect(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};
    uint64_t inner = test_vq_make_table(&f->q, &b, 1);
    uint64_t outer = test_guest_alloc(&f->g, 16, 16);
    uint16_t flags = VIRTQ_DESC_F_INDIRECT;
    uint32_t len = 16;

    test_guest_write(&f->g, outer, &inner, 8);
    test_guest_write(&f->g, outer + 8, &len, 4);
    test_guest_write(&f->g, outer + 12, &flags, 2);
    test_vq_set_desc(&f->q, 0, outer, 16, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_EINVAL);
}

static void virtq_rejects_indirect_with_next(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};
    uint64_t table = test_vq_make_table(&f->q, &b, 1);

    test_vq_set_desc(&f->q, 0, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, b.gpa, 8, VIRTQ_DESC_F_WRITE, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_EINVAL);
}

static void virtq_rejects_indirect_table_of_bad_length(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {buffer(f, 8), 8, true};
    uint64_t table = test_vq_make_table(&f->q, &b, 1);

    test_vq_set_desc(&f->q, 0, table, 0, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_EINVAL);
    assert_int_equal(enable(f, false, true), 0); /* start over */
    f->q.avail_idx = 0;
    test_vq_set_desc(&f->q, 0, table, 24, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_EINVAL);
}

static void virtq_rejects_indirect_table_too_long(void **state)
{
    struct fx *f = *state;
    uint64_t table = test_guest_alloc(&f->g, VIRTQ_DESC_SIZE * (VIRTQ_MAX_CHAIN + 1), 16);

    test_vq_set_desc(&f->q, 0, table, VIRTQ_DESC_SIZE * (VIRTQ_MAX_CHAIN + 1),
                     VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_indirect_table_outside_ram(void **state)
{
    struct fx *f = *state;

    test_vq_set_desc(&f->q, 0, RAM_END - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_EFAULT);
}

static void virtq_rejects_indirect_cycle_and_bad_next(void **state)
{
    struct fx *f = *state;
    struct test_buf bufs[2] = {{buffer(f, 8), 8, true}, {buffer(f, 8), 8, true}};
    uint64_t table = test_vq_make_table(&f->q, bufs, 2);
    uint16_t back = 0;

    test_guest_write(&f->g, table + 16 + 12, &(uint16_t){VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT},
                     2);
    test_guest_write(&f->g, table + 16 + 14, &back, 2); /* entry 1 -> entry 0 */
    test_vq_set_desc(&f->q, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);

    assert_int_equal(enable(f, false, true), 0);
    f->q.avail_idx = 0;
    back = 2; /* past the end of a 2-entry table */
    test_guest_write(&f->g, table + 16 + 14, &back, 2);
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_ERANGE);
}

static void virtq_rejects_too_many_buffers(void **state)
{
    struct fx *f = *state;
    uint64_t b = buffer(f, 8);
    uint64_t table = test_guest_alloc(&f->g, VIRTQ_DESC_SIZE * VIRTQ_MAX_CHAIN, 16);

    /* a full-size indirect table is fine on its own ... */
    for (unsigned i = 0; i < VIRTQ_MAX_CHAIN; i++) {
        uint8_t d[16] = {0};
        uint16_t flags = i + 1 < VIRTQ_MAX_CHAIN ? VIRTQ_DESC_F_NEXT : 0;
        uint16_t next = (uint16_t)(i + 1);
        uint32_t len = 8;

        memcpy(d, &b, 8);
        memcpy(d + 8, &len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
        test_guest_write(&f->g, table + 16u * i, d, 16);
    }
    test_vq_set_desc(&f->q, 0, table, VIRTQ_DESC_SIZE * VIRTQ_MAX_CHAIN, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 0);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.nr_readable, VIRTQ_MAX_CHAIN);
    /* ... but not after one more direct buffer */
    test_vq_set_desc(&f->q, 1, b, 8, VIRTQ_DESC_F_NEXT, 2);
    test_vq_set_desc(&f->q, 2, table, VIRTQ_DESC_SIZE * VIRTQ_MAX_CHAIN, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q, 1);
    expect_violation(f, -VMM_E2BIG);
}

static void virtq_rejects_chain_of_4_gib(void **state)
{
    struct fx *f = *state;
    const uint64_t big = 0x100000000ull, half = 0x80000000ull;

    test_guest_add_sparse_ram(&f->g, big, half);
    test_vq_set_desc(&f->q, 0, big, (uint32_t)half, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q, 1, big, (uint32_t)half, 0, 0); /* total 2^32: one too many */
    test_vq_publish(&f->q, 0);
    expect_violation(f, -VMM_E2BIG);
    /* just under the limit is accepted */
    assert_int_equal(enable(f, false, true), 0);
    f->q.avail_idx = 0;
    test_vq_set_desc(&f->q, 1, big, (uint32_t)half - 1, 0, 0);
    test_vq_publish(&f->q, 0);
    assert_int_equal(vmm_virtq_pop(&f->vq, &f->chain), 1);
    assert_int_equal(f->chain.readable_len, UINT32_MAX);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(virtq_pops_direct_chain_readable_then_writable),
        T(virtq_pops_indirect_chain),
        T(virtq_accepts_direct_then_indirect_in_one_chain),
        T(virtq_gather_and_scatter_cross_segments),
        T(virtq_push_used_returns_head_and_length),
        T(virtq_wraps_around_the_rings),
        T(virtq_accepts_chain_as_long_as_the_queue),
        T(virtq_skips_zero_length_buffers),
        T(virtq_no_interrupt_flag_suppresses_interrupts),
        T(virtq_event_idx_interrupts_only_past_used_event),
        T(virtq_event_idx_publishes_avail_event),
        T(virtq_no_notify_flag_without_event_idx),
        T(virtq_rejects_bad_queue_sizes),
        T(virtq_rejects_misaligned_rings),
        T(virtq_rejects_rings_outside_ram),
        T(virtq_rejects_descriptor_cycle),
        T(virtq_rejects_cycle_of_empty_descriptors),
        T(virtq_rejects_empty_cycle_in_indirect_table),
        T(virtq_rejects_chain_longer_than_queue),
        T(virtq_rejects_head_out_of_range),
        T(virtq_rejects_next_out_of_range),
        T(virtq_rejects_avail_idx_jump),
        T(virtq_rejects_buffer_straddling_ram_end),
        T(virtq_rejects_buffer_across_two_ram_regions),
        T(virtq_rejects_buffer_at_mmio_address),
        T(virtq_rejects_readable_after_writable),
        T(virtq_rejects_readable_after_writable_in_indirect_table),
        T(virtq_rejects_indirect_when_not_negotiated),
        T(virtq_rejects_nested_indirect),
        T(virtq_rejects_indirect_with_next),
        T(virtq_rejects_indirect_table_of_bad_length),
        T(virtq_rejects_indirect_table_too_long),
        T(virtq_rejects_indirect_table_outside_ram),
        T(virtq_rejects_indirect_cycle_and_bad_next),
        T(virtq_rejects_too_many_buffers),
        T(virtq_rejects_chain_of_4_gib),
    };
    return cmocka_run_group_tests_name("virtq", tests, NULL, NULL);
}
