/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decode of the loads and stores emulated for ISV=0 MMIO traps. The words
 * were assembled with aarch64-linux-gnu-as (binutils) and disassembled back
 * with objdump; the expected fields are the instruction's documented ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"

struct want {
    uint32_t insn;
    const char *text;
    bool load;
    uint8_t size, count, rt, rt2, rn;
    bool sext, dst64;
    enum vmm_a64_idx idx;
    int64_t imm;
};

#define OFF VMM_A64_IDX_OFFSET
#define PRE VMM_A64_IDX_PRE
#define POST VMM_A64_IDX_POST

static const struct want immediates[] = {
    {0x29400861, "ldp w1, w2, [x3]", true, 4, 2, 1, 2, 3, false, false, OFF, 0},
    {0xa9410861, "ldp x1, x2, [x3, #16]", true, 8, 2, 1, 2, 3, false, true, OFF, 16},
    {0xa9ff14c4, "ldp x4, x5, [x6, #-16]!", true, 8, 2, 4, 5, 6, false, true, PRE, -16},
    {0xa8c214c4, "ldp x4, x5, [x6], #32", true, 8, 2, 4, 5, 6, false, true, POST, 32},
    {0x29012127, "stp w7, w8, [x9, #8]", false, 4, 2, 7, 8, 9, false, false, OFF, 8},
    {0xa9bf7fe7, "stp x7, xzr, [sp, #-16]!", false, 8, 2, 7, 31, 31, false, true, PRE, -16},
    {0x69410861, "ldpsw x1, x2, [x3, #8]", true, 4, 2, 1, 2, 3, true, true, OFF, 8},
    {0xa8400861, "ldnp x1, x2, [x3]", true, 8, 2, 1, 2, 3, false, true, OFF, 0},
    {0xb9400441, "ldr w1, [x2, #4]", true, 4, 1, 1, 0, 2, false, false, OFF, 4},
    {0xf947fc41, "ldr x1, [x2, #4088]", true, 8, 1, 1, 0, 2, false, true, OFF, 4088},
    {0x39400441, "ldrb w1, [x2, #1]", true, 1, 1, 1, 0, 2, false, false, OFF, 1},
    {0x79400441, "ldrh w1, [x2, #2]", true, 2, 1, 1, 0, 2, false, false, OFF, 2},
    {0xb8004441, "str w1, [x2], #4", false, 4, 1, 1, 0, 2, false, false, POST, 4},
    {0xf81f8c41, "str x1, [x2, #-8]!", false, 8, 1, 1, 0, 2, false, true, PRE, -8},
    {0xb8404441, "ldr w1, [x2], #4", true, 4, 1, 1, 0, 2, false, false, POST, 4},
    {0x39c00041, "ldrsb w1, [x2]", true, 1, 1, 1, 0, 2, true, false, OFF, 0},
    {0x39800041, "ldrsb x1, [x2]", true, 1, 1, 1, 0, 2, true, true, OFF, 0},
    {0x79c00041, "ldrsh w1, [x2]", true, 2, 1, 1, 0, 2, true, false, OFF, 0},
    {0x79800041, "ldrsh x1, [x2]", true, 2, 1, 1, 0, 2, true, true, OFF, 0},
    {0xb9800041, "ldrsw x1, [x2]", true, 4, 1, 1, 0, 2, true, true, OFF, 0},
    {0xb85fd041, "ldur w1, [x2, #-3]", true, 4, 1, 1, 0, 2, false, false, OFF, -3},
    {0xf8001041, "stur x1, [x2, #1]", false, 8, 1, 1, 0, 2, false, true, OFF, 1},
    {0xf94007e1, "ldr x1, [sp, #8]", true, 8, 1, 1, 0, 31, false, true, OFF, 8},
    {0xb97ffc41, "ldr w1, [x2, #16380]", true, 4, 1, 1, 0, 2, false, false, OFF, 16380},
    {0x389ffc41, "ldrsb x1, [x2, #-1]!", true, 1, 1, 1, 0, 2, true, true, PRE, -1},
    {0xf900005f, "str xzr, [x2]", false, 8, 1, 31, 0, 2, false, true, OFF, 0},
    {0xf940005f, "ldr xzr, [x2]", true, 8, 1, 31, 0, 2, false, true, OFF, 0},
};

static void insn_decodes_immediate_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(immediates) / sizeof(immediates[0]); i++) {
        const struct want *w = &immediates[i];
        struct vmm_a64_ldst d;

        print_message("%s\n", w->text);
        assert_int_equal(vmm_a64_decode_ldst(w->insn, &d), 0);
        assert_int_equal(d.load, w->load);
        assert_int_equal(d.size, w->size);
        assert_int_equal(d.count, w->count);
        assert_int_equal(d.rt, w->rt);
        if (w->count == 2)
            assert_int_equal(d.rt2, w->rt2);
        assert_int_equal(d.rn, w->rn);
        assert_int_equal(d.sign_extend, w->sext);
        if (w->load)
            assert_int_equal(d.dst64, w->dst64);
        assert_int_equal(d.idx, w->idx);
        assert_int_equal(d.imm, w->imm);
        assert_false(d.reg_offset);
    }
}

static void insn_decodes_register_offsets(void **state)
{
    static const struct {
        uint32_t insn;
        const char *text;
        bool load;
        uint8_t size, rm, option, shift;
    } regs[] = {
        {0xb8636841, "ldr w1, [x2, x3]", true, 4, 3, 3, 0},
        {0xf8637841, "ldr x1, [x2, x3, lsl #3]", true, 8, 3, 3, 3},
        {0xb863d841, "ldr w1, [x2, w3, sxtw #2]", true, 4, 3, 6, 2},
        {0x38634841, "ldrb w1, [x2, w3, uxtw]", true, 1, 3, 2, 0},
        {0x7823f841, "strh w1, [x2, x3, sxtx #1]", false, 2, 3, 7, 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        struct vmm_a64_ldst d;

        print_message("%s\n", regs[i].text);
        assert_int_equal(vmm_a64_decode_ldst(regs[i].insn, &d), 0);
        assert_true(d.reg_offset);
        assert_int_equal(d.load, regs[i].load);
        assert_int_equal(d.size, regs[i].size);
        assert_int_equal(d.rt, 1);
        assert_int_equal(d.rn, 2);
        assert_int_equal(d.rm, regs[i].rm);
        assert_int_equal(d.option, regs[i].option);
        assert_int_equal(d.shift, regs[i].shift);
        assert_int_equal(d.idx, VMM_A64_IDX_OFFSET);
    }
}

static void insn_refuses_what_it_cannot_emulate(void **state)
{
    static const struct {
        uint32_t insn;
        const char *text;
    } refused[] = {
        {0x3dc00020, "ldr q0, [x1] (SIMD)"},
        {0xad400420, "ldp q0, q1, [x1] (SIMD pair)"},
        {0x885f7c41, "ldxr w1, [x2] (exclusive)"},
        {0xb8210062, "ldadd w1, w2, [x3] (atomic)"},
        {0xf9800020, "prfm pldl1keep, [x1]"},
        {0xb8400841, "ldtr w1, [x2] (unprivileged)"},
        {0xa9810821, "stp x1, x2, [x1, #16]! (writeback into a data register)"},
        {0xa9400441, "ldp x1, x1, [x2] (load pair into one register)"},
        {0xf8408421, "ldr x1, [x1], #8 (writeback into the data register)"},
        {0x69000861, "stgp x1, x2, [x3] (tagged pair)"},
        {0x88dffc41, "ldar w1, [x2] (has a syndrome; not a form emulated here)"},
        {0x18000001, "ldr w1, <literal>"},
        {0x00000000, "udf #0"},
        {0xd503201f, "nop"},
        {0xb9c00041, "unallocated: ldrs size 2 opc 3"},
        {0xe9400861, "unallocated: pair opc 3"},
        {0x68400861, "unallocated: ldnpsw"},
        {0xb8634841 & ~(1u << 14), "register offset with option 0 (unallocated)"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct vmm_a64_ldst d;

        print_message("%s\n", refused[i].text);
        assert_int_equal(vmm_a64_decode_ldst(refused[i].insn, &d), -VMM_ENOTSUP);
    }
}

/* Writeback with the base register SP (31) and a data register 31 (XZR) is
 * well defined: accepted. */
static void insn_accepts_sp_base_with_xzr_data(void **state)
{
    struct vmm_a64_ldst d;
    (void)state;
    assert_int_equal(vmm_a64_decode_ldst(0xa9bf7fe7, &d), 0); /* stp x7, xzr, [sp, #-16]! */
    assert_int_equal(d.rn, 31);
    assert_int_equal(d.rt2, 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insn_decodes_immediate_forms),
        cmocka_unit_test(insn_decodes_register_offsets),
        cmocka_unit_test(insn_refuses_what_it_cannot_emulate),
        cmocka_unit_test(insn_accepts_sp_base_with_xzr_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
