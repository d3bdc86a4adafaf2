/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's untyped allocator (ports/sel4-init/ut_alloc.c, no seL4
 * dependency, compiled in as is): the kernel's placement rule, choice of
 * untyped, device frames at a given address, running out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../ports/sel4-init/ut_alloc.c"

static void ut_places_objects_as_the_kernel_does(void **state)
{
    struct sel4init_ut_pool p = {0};
    unsigned idx;
    uint64_t pa;

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x60000000, 21, false), 0);
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), 0); /* a 4 KiB frame */
    assert_int_equal(idx, 0);
    assert_int_equal(pa, 0x60000000);
    assert_int_equal(sel4init_ut_alloc(&p, 7, &idx, &pa), 0); /* a 128-byte SC follows */
    assert_int_equal(pa, 0x60001000);
    /* a 16 KiB object is aligned up past the SC, the gap is lost */
    assert_int_equal(sel4init_ut_alloc(&p, 14, &idx, &pa), 0);
    assert_int_equal(pa, 0x60004000);
    assert_int_equal(p.ut[0].used, 0x8000);
    assert_int_equal(sel4init_ut_free_bytes(&p), (2u << 20) - 0x8000);
}

static void ut_prefers_least_padding_then_smallest(void **state)
{
    struct sel4init_ut_pool p = {0};
    unsigned idx;
    uint64_t pa;

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x80000000, 30, false), 0); /* 1 GiB */
    assert_int_equal(sel4init_ut_add(&p, 0x60010000, 16, false), 0); /* 64 KiB */
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), 0);
    assert_int_equal(idx, 1); /* the small one: both pad 0 */
    assert_int_equal(pa, 0x60010000);
    /* a 2 MiB page does not fit in 64 KiB: the big one */
    assert_int_equal(sel4init_ut_alloc(&p, 21, &idx, &pa), 0);
    assert_int_equal(idx, 0);
    assert_int_equal(pa, 0x80000000);
    /* now a frame from the big untyped would pad 0 too; the small one wins */
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(pa, 0x60011000);
}

static void ut_never_hands_out_device_memory_and_runs_out(void **state)
{
    struct sel4init_ut_pool p = {0};
    unsigned idx;
    uint64_t pa;

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x8040000, 18, true), 0);
    assert_int_equal(sel4init_ut_add(&p, 0x60000000, 13, false), 0);
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), 0);
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), 0);
    assert_int_equal(pa, 0x60001000);
    assert_int_equal(sel4init_ut_alloc(&p, 12, &idx, &pa), -VMM_ENOMEM);
    assert_int_equal(sel4init_ut_alloc(&p, 48, &idx, &pa), -VMM_EINVAL);
    assert_int_equal(sel4init_ut_free_bytes(&p), 0);
}

static void ut_finds_a_device_frame_and_the_gap_below_it(void **state)
{
    struct sel4init_ut_pool p = {0};
    unsigned idx;
    uint64_t gap, pa;

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x60000000, 20, false), 0);
    assert_int_equal(sel4init_ut_add(&p, 0x8000000, 20, true), 0);
    assert_int_equal(sel4init_ut_find_device(&p, 0x8040000, &idx, &gap), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(gap, 0x40000);
    assert_int_equal(sel4init_ut_consume(&p, idx, 18, &pa), 0); /* fill the gap */
    assert_int_equal(sel4init_ut_find_device(&p, 0x8040000, &idx, &gap), 0);
    assert_int_equal(gap, 0);
    assert_int_equal(sel4init_ut_consume(&p, idx, 12, &pa), 0);
    assert_int_equal(pa, 0x8040000);
    assert_int_equal(sel4init_ut_find_device(&p, 0x8040000, &idx, &gap), -VMM_EBUSY);
    assert_int_equal(sel4init_ut_find_device(&p, 0x9000000, &idx, &gap), -VMM_ENOENT);
    assert_int_equal(sel4init_ut_find_device(&p, 0x60000000, &idx, &gap), -VMM_ENOENT);
    assert_int_equal(sel4init_ut_find_device(&p, 0x8040800, &idx, &gap), -VMM_EINVAL);
}

static void ut_refuses_bad_untypeds(void **state)
{
    struct sel4init_ut_pool p = {0};

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x60001000, 16, false), -VMM_EINVAL); /* misaligned */
    assert_int_equal(sel4init_ut_add(&p, 0, 60, false), -VMM_EINVAL);
    for (unsigned i = 0; i < SEL4INIT_MAX_UT; i++)
        assert_int_equal(sel4init_ut_add(&p, (uint64_t)i << 12, 12, false), 0);
    assert_int_equal(sel4init_ut_add(&p, 0x1000000, 12, false), -VMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ut_places_objects_as_the_kernel_does),
        cmocka_unit_test(ut_prefers_least_padding_then_smallest),
        cmocka_unit_test(ut_never_hands_out_device_memory_and_runs_out),
        cmocka_unit_test(ut_finds_a_device_frame_and_the_gap_below_it),
        cmocka_unit_test(ut_refuses_bad_untypeds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
