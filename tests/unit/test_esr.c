/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"

/* Build an ESR_EL2 value the way the hardware reports it (D17.2.37). */
static uint64_t esr_make(unsigned ec, bool il32, uint32_t iss)
{
    return ((uint64_t)ec << 26) | (il32 ? (1u << 25) : 0) | (iss & 0x1ffffffu);
}

/* A data abort ISS with ISV=1. */
static uint32_t dabt_iss(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr)
{
    return (1u << 24) | (sas << 22) | (sse ? 1u << 21 : 0) | (srt << 16) | (sf ? 1u << 15 : 0) |
           (wnr ? 1u << 6 : 0) | 0x07 /* DFSC: translation fault, level 3 */;
}

static void esr_decodes_every_access_size(void **state)
{
    (void)state;
    for (unsigned sas = 0; sas < 4; sas++) {
        struct vmm_dabt d;
        uint64_t esr = esr_make(VMM_ESR_EC_DABT_LOW, true, dabt_iss(sas, false, 5, true, false));
        assert_int_equal(vmm_esr_decode_dabt(esr, &d), 0);
        assert_int_equal(d.size, 1u << sas);
        assert_int_equal(d.rt, 5);
        assert_false(d.write);
        assert_int_equal(d.insn_len, 4);
        assert_int_equal(d.dfsc, 0x07);
    }
}

static void esr_decodes_write_and_builds_access(void **state)
{
    struct vmm_dabt d;
    struct vmm_access acc;
    (void)state;
    uint64_t esr = esr_make(VMM_ESR_EC_DABT_LOW, true, dabt_iss(1, false, 3, false, true));
    assert_int_equal(vmm_esr_decode_dabt(esr, &d), 0);
    assert_true(d.write);
    assert_int_equal(d.rt, 3);
    vmm_dabt_to_access(&d, 0x9000004, 2, 0x1122334455667788ull, &acc);
    assert_true(acc.write);
    assert_int_equal(acc.size, 2);
    assert_int_equal(acc.addr, 0x9000004);
    assert_int_equal(acc.vcpu, 2);
    assert_int_equal(acc.value, 0x7788); /* truncated to the access size */
}

static void esr_write_from_xzr_stores_zero(void **state)
{
    struct vmm_dabt d;
    struct vmm_access acc;
    (void)state;
    uint64_t esr = esr_make(VMM_ESR_EC_DABT_LOW, true, dabt_iss(2, false, 31, false, true));
    assert_int_equal(vmm_esr_decode_dabt(esr, &d), 0);
    assert_int_equal(d.rt, 31);
    vmm_dabt_to_access(&d, 0x1000, 0, 0xdeadbeef, &acc);
    assert_int_equal(acc.value, 0);
}

static void esr_read_into_xzr_writes_nothing_back(void **state)
{
    struct vmm_dabt d;
    uint64_t xt = 0x55;
    (void)state;
    uint64_t esr = esr_make(VMM_ESR_EC_DABT_LOW, true, dabt_iss(2, false, 31, true, false));
    assert_int_equal(vmm_esr_decode_dabt(esr, &d), 0);
    assert_false(vmm_dabt_read_result(&d, 0x1234, &xt));
    assert_int_equal(xt, 0x55);
}

static void esr_sign_extends_loads_to_register_width(void **state)
{
    struct vmm_dabt d;
    uint64_t xt;
    (void)state;
    /* LDRSB Xt: byte 0x80 -> 0xffffffffffffff80 */
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(0, true, 1, true, false)), &d), 0);
    assert_true(d.sign_extend);
    assert_true(vmm_dabt_read_result(&d, 0xff80, &xt));
    assert_int_equal(xt, 0xffffffffffffff80ull);
    /* Positive values stay positive. */
    assert_true(vmm_dabt_read_result(&d, 0x7f, &xt));
    assert_int_equal(xt, 0x7f);
    /* LDRSH Wt: halfword 0x8001 -> 0x00000000ffff8001 */
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(1, true, 1, false, false)), &d), 0);
    assert_true(vmm_dabt_read_result(&d, 0x8001, &xt));
    assert_int_equal(xt, 0xffff8001ull);
    /* LDRSW Xt */
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(2, true, 1, true, false)), &d), 0);
    assert_true(vmm_dabt_read_result(&d, 0x80000000, &xt));
    assert_int_equal(xt, 0xffffffff80000000ull);
}

static void esr_zero_extends_without_sse(void **state)
{
    struct vmm_dabt d;
    uint64_t xt;
    (void)state;
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(0, false, 2, true, false)), &d), 0);
    assert_true(vmm_dabt_read_result(&d, 0xabcdef80, &xt));
    assert_int_equal(xt, 0x80);
    /* 64-bit load into Xt keeps all bits; into Wt (SF=0) the upper half clears. */
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(3, false, 2, true, false)), &d), 0);
    assert_true(vmm_dabt_read_result(&d, 0x8877665544332211ull, &xt));
    assert_int_equal(xt, 0x8877665544332211ull);
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(2, false, 2, false, false)), &d), 0);
    assert_true(vmm_dabt_read_result(&d, 0x8877665544332211ull, &xt));
    assert_int_equal(xt, 0x44332211);
}

static void esr_without_isv_is_not_supported(void **state)
{
    struct vmm_dabt d;
    (void)state;
    uint32_t iss = dabt_iss(2, false, 1, true, true) & ~(1u << 24);
    assert_int_equal(vmm_esr_decode_dabt(esr_make(0x24, true, iss), &d), -VMM_ENOTSUP);
}

static void esr_rejects_other_classes_and_page_walks(void **state)
{
    struct vmm_dabt d;
    (void)state;
    assert_int_equal(vmm_esr_decode_dabt(esr_make(0x20, true, dabt_iss(2, 0, 1, 1, 0)), &d),
                     -VMM_EINVAL);
    assert_int_equal(
        vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(2, 0, 1, 1, 0) | (1u << 7)), &d),
        -VMM_EFAULT);
    assert_int_equal(vmm_esr_decode_dabt(esr_make(0x24, true, (1u << 8) | (1u << 6)), &d),
                     VMM_DABT_CACHE_MAINT);
}

static void esr_decodes_acqrel_and_fnv(void **state)
{
    struct vmm_dabt d;
    (void)state;
    uint32_t iss = dabt_iss(3, false, 9, true, false) | (1u << 14) | (1u << 10);
    assert_int_equal(vmm_esr_decode_dabt(esr_make(0x24, true, iss), &d), 0);
    assert_true(d.acqrel);
    assert_true(d.far_invalid);
    assert_int_equal(vmm_esr_decode_dabt(esr_make(0x24, true, dabt_iss(3, 0, 9, 1, 0)), &d), 0);
    assert_false(d.acqrel);
    assert_false(d.far_invalid);
}

static void esr_reports_instruction_length_and_pc_advance(void **state)
{
    (void)state;
    assert_int_equal(vmm_esr_insn_len(esr_make(0x24, true, 0)), 4);
    assert_int_equal(vmm_esr_insn_len(esr_make(0x24, false, 0)), 2);
    assert_int_equal(vmm_esr_pc_advance(esr_make(0x24, true, 0)), 4);
    assert_int_equal(vmm_esr_pc_advance(esr_make(VMM_ESR_EC_SMC64, true, 0)), 4);
    assert_int_equal(vmm_esr_pc_advance(esr_make(VMM_ESR_EC_HVC64, true, 0)), 0);
}

static void esr_classifies_trap_kinds(void **state)
{
    (void)state;
    assert_int_equal(vmm_esr_classify(esr_make(0x24, true, 0)), VMM_TRAP_DABT);
    assert_int_equal(vmm_esr_classify(esr_make(0x18, true, 0)), VMM_TRAP_SYSREG);
    assert_int_equal(vmm_esr_classify(esr_make(0x01, true, 0)), VMM_TRAP_WFX);
    assert_int_equal(vmm_esr_classify(esr_make(0x16, true, 0)), VMM_TRAP_HVC);
    assert_int_equal(vmm_esr_classify(esr_make(0x17, true, 0)), VMM_TRAP_SMC);
    assert_int_equal(vmm_esr_classify(esr_make(0x12, true, 0)), VMM_TRAP_OTHER);
    assert_int_equal(vmm_esr_classify(esr_make(0x3f, true, 0x1ffffff)), VMM_TRAP_OTHER);
    assert_int_equal(vmm_esr_call_imm(esr_make(0x16, true, 0xabcd)), 0xabcd);
}

static void esr_decodes_wfi_and_wfe(void **state)
{
    struct vmm_wfx_trap w;
    (void)state;
    assert_int_equal(vmm_esr_decode_wfx(esr_make(0x01, true, 0), &w), 0);
    assert_int_equal(w.kind, VMM_WFI);
    assert_int_equal(vmm_esr_decode_wfx(esr_make(0x01, true, 1), &w), 0);
    assert_int_equal(w.kind, VMM_WFE);
    assert_false(w.reg_valid);
    assert_int_equal(vmm_esr_decode_wfx(esr_make(0x01, true, 2 | (1u << 14) | (7u << 5)), &w), 0);
    assert_int_equal(w.kind, VMM_WFIT);
    assert_true(w.reg_valid);
    assert_int_equal(w.rt, 7);
    assert_int_equal(vmm_esr_decode_wfx(esr_make(0x24, true, 0), &w), -VMM_EINVAL);
}

/* ISS for a trapped MSR/MRS (EC 0x18). */
static uint32_t sys_iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                        unsigned rt, bool read)
{
    return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) |
           (read ? 1u : 0);
}

static void sysreg_decodes_icc_sgi1r_write(void **state)
{
    struct vmm_sysreg_trap t;
    (void)state;
    uint64_t esr = esr_make(VMM_ESR_EC_SYSREG, true, sys_iss(3, 0, 12, 11, 5, 19, false));
    assert_int_equal(vmm_esr_decode_sysreg(esr, &t), 0);
    assert_int_equal(t.reg, VMM_SYSREG_ICC_SGI1R_EL1);
    assert_int_equal(t.op0, 3);
    assert_int_equal(t.op1, 0);
    assert_int_equal(t.crn, 12);
    assert_int_equal(t.crm, 11);
    assert_int_equal(t.op2, 5);
    assert_int_equal(t.rt, 19);
    assert_false(t.read);
    assert_int_equal(t.insn_len, 4);
}

static void sysreg_distinguishes_read_and_neighbours(void **state)
{
    struct vmm_sysreg_trap t;
    (void)state;
    assert_int_equal(
        vmm_esr_decode_sysreg(esr_make(0x18, true, sys_iss(3, 0, 12, 11, 7, 31, true)), &t), 0);
    assert_true(t.read);
    assert_int_equal(t.rt, 31);
    assert_int_equal(t.reg, VMM_SYSREG_ICC_SGI0R_EL1);
    assert_int_not_equal(t.reg, VMM_SYSREG_ICC_SGI1R_EL1);
    /* CNTV_CTL_EL0 = 3,3,14,3,1 */
    assert_int_equal(
        vmm_esr_decode_sysreg(esr_make(0x18, true, sys_iss(3, 3, 14, 3, 1, 0, false)), &t), 0);
    assert_int_equal(t.reg, VMM_SYSREG(3, 3, 14, 3, 1));
    assert_int_equal(vmm_esr_decode_sysreg(esr_make(0x24, true, 0), &t), -VMM_EINVAL);
}

static void esr_computes_fault_ipa(void **state)
{
    (void)state;
    /* IPA 0x8_0901_2345: HPFAR holds IPA[51:12] at bit 4. */
    assert_int_equal(vmm_esr_fault_ipa(0x809012ull << 4, 0xffff000000000345ull), 0x809012345ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esr_decodes_every_access_size),
        cmocka_unit_test(esr_decodes_write_and_builds_access),
        cmocka_unit_test(esr_write_from_xzr_stores_zero),
        cmocka_unit_test(esr_read_into_xzr_writes_nothing_back),
        cmocka_unit_test(esr_sign_extends_loads_to_register_width),
        cmocka_unit_test(esr_zero_extends_without_sse),
        cmocka_unit_test(esr_without_isv_is_not_supported),
        cmocka_unit_test(esr_rejects_other_classes_and_page_walks),
        cmocka_unit_test(esr_decodes_acqrel_and_fnv),
        cmocka_unit_test(esr_reports_instruction_length_and_pc_advance),
        cmocka_unit_test(esr_classifies_trap_kinds),
        cmocka_unit_test(esr_decodes_wfi_and_wfe),
        cmocka_unit_test(sysreg_decodes_icc_sgi1r_write),
        cmocka_unit_test(sysreg_distinguishes_read_and_neighbours),
        cmocka_unit_test(esr_computes_fault_ipa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
