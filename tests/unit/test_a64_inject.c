/* SPDX-License-Identifier: BSD-2-Clause */
/* Exception entry at EL1 (Arm ARM D1.3): vector offsets, ESR, SPSR, PSTATE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"

#define VBAR 0xffff800010010000ull
#define EL1H_NZCV 0xa00003c5ull /* N, C set; EL1h, DAIF masked */

static void inject_undef_from_el1h(void **state)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_UNDEF,
                                .pc = 0xffff800010234568ull,
                                .pstate = EL1H_NZCV & ~0x3c0ull, /* interrupts unmasked */
                                .vbar = VBAR,
                                .il32 = true};
    struct vmm_a64_exc_out out;
    (void)state;
    assert_int_equal(vmm_a64_exception(&in, &out), 0);
    assert_int_equal(out.pc, VBAR + 0x200);
    assert_int_equal(out.elr_el1, in.pc);
    assert_int_equal(out.spsr_el1, in.pstate);
    assert_int_equal(out.esr_el1, 0x02000000); /* EC 0, IL */
    assert_int_equal(out.far_el1, 0);
    assert_int_equal(out.pstate, 0x3c5);
}

static void inject_data_abort_from_el0_write(void **state)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_DABT,
                                .pc = 0x400123,
                                .pstate = 0x20000000,
                                .vbar = VBAR,
                                .far = 0x7ffff000,
                                .far_valid = true,
                                .write = true,
                                .il32 = true};
    struct vmm_a64_exc_out out;
    (void)state;
    assert_int_equal(vmm_a64_exception(&in, &out), 0);
    assert_int_equal(out.pc, VBAR + 0x400); /* lower EL, AArch64 */
    /* EC 0x24, IL, WnR, DFSC 0x10 (synchronous external abort) */
    assert_int_equal(out.esr_el1, (0x24ull << 26) | (1u << 25) | (1u << 6) | 0x10);
    assert_int_equal(out.far_el1, 0x7ffff000);
    assert_int_equal(out.spsr_el1, 0x20000000);
}

static void inject_data_abort_from_el1t_without_far(void **state)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_DABT,
                                .pc = 0x40201000,
                                .pstate = 0x3c4,
                                .vbar = VBAR,
                                .far = 0x1234,
                                .far_valid = false,
                                .il32 = true};
    struct vmm_a64_exc_out out;
    (void)state;
    assert_int_equal(vmm_a64_exception(&in, &out), 0);
    assert_int_equal(out.pc, VBAR + 0x000); /* current EL with SP_EL0 */
    /* EC 0x25 (same EL), IL, FnV, DFSC 0x10, read */
    assert_int_equal(out.esr_el1, (0x25ull << 26) | (1u << 25) | (1u << 10) | 0x10);
    assert_int_equal(out.far_el1, 0);
}

static void inject_instruction_abort_and_aarch32_el0(void **state)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_IABT,
                                .pc = 0x80000000,
                                .pstate = 0x3c5 | (1u << 22), /* PAN set: kept */
                                .vbar = VBAR,
                                .far = 0x80000000,
                                .far_valid = true};
    struct vmm_a64_exc_out out;
    (void)state;
    assert_int_equal(vmm_a64_exception(&in, &out), 0);
    assert_int_equal(out.esr_el1, (0x21ull << 26) | (1u << 25) | 0x10);
    assert_int_equal(out.far_el1, 0x80000000);
    assert_int_equal(out.pstate, 0x3c5 | (1u << 22));
    /* An AArch32 EL0 task (User mode, M = 0x10) under an AArch64 kernel. */
    in = (struct vmm_a64_exc_in){
        .kind = VMM_A64_EXC_UNDEF, .pc = 0x8000, .pstate = 0x10, .vbar = VBAR, .il32 = false};
    assert_int_equal(vmm_a64_exception(&in, &out), 0);
    assert_int_equal(out.pc, VBAR + 0x600);
    assert_int_equal(out.esr_el1, 0); /* 16-bit T32 instruction: IL clear */
}

static void inject_refuses_el2_and_aarch32_kernel(void **state)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_UNDEF, .pstate = 0x9, .vbar = VBAR};
    struct vmm_a64_exc_out out;
    (void)state;
    assert_int_equal(vmm_a64_exception(&in, &out), -VMM_ENOTSUP); /* EL2h */
    in.pstate = 0x13;                                             /* AArch32 SVC */
    assert_int_equal(vmm_a64_exception(&in, &out), -VMM_ENOTSUP);
    in.pstate = 0x3c5;
    in.kind = (enum vmm_a64_exc_kind)7;
    assert_int_equal(vmm_a64_exception(&in, &out), -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inject_undef_from_el1h),
        cmocka_unit_test(inject_data_abort_from_el0_write),
        cmocka_unit_test(inject_data_abort_from_el1t_without_far),
        cmocka_unit_test(inject_instruction_abort_and_aarch32_el0),
        cmocka_unit_test(inject_refuses_el2_and_aarch32_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
