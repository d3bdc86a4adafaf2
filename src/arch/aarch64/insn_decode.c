/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decode of the A64 general-purpose loads and stores compilers emit on
 * device memory (Arm ARM C4.1.66 "Loads and Stores": "Load/store register
 * (...)" and "Load/store register pair (...)" groups, C6.2 for each
 * instruction's CONSTRAINED UNPREDICTABLE cases). The word comes from guest
 * memory: every encoding not listed here is refused, never guessed.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"

static unsigned field(uint32_t insn, unsigned lsb, unsigned width)
{
    return (insn >> lsb) & ((1u << width) - 1u);
}

/* Two's complement on purpose: the subtraction wraps for negative values. */
VMM_WRAPS static int64_t sext(uint64_t v, unsigned bits)
{
    uint64_t m = UINT64_C(1) << (bits - 1);

    return (int64_t)((v ^ m) - m);
}

/* Load/store register pair (C4.1.66): opc 101 V 0 type L imm7 Rt2 Rn Rt. */
static int decode_pair(uint32_t insn, struct vmm_a64_ldst *d)
{
    unsigned opc = field(insn, 30, 2), type = field(insn, 23, 2);
    bool wback;

    if (field(insn, 26, 1))
        return -VMM_ENOTSUP; /* SIMD/FP pair */
    d->load = field(insn, 22, 1);
    d->count = 2;
    d->rt = (uint8_t)field(insn, 0, 5);
    d->rn = (uint8_t)field(insn, 5, 5);
    d->rt2 = (uint8_t)field(insn, 10, 5);
    switch (opc) {
    case 0: /* LDP/STP/LDNP/STNP Wt */
        d->size = 4;
        break;
    case 1: /* LDPSW (STGP when L = 0; no LDNPSW) */
        if (!d->load || type == 0)
            return -VMM_ENOTSUP;
        d->size = 4;
        d->sign_extend = true;
        d->dst64 = true;
        break;
    case 2: /* Xt */
        d->size = 8;
        d->dst64 = true;
        break;
    default:
        return -VMM_ENOTSUP;
    }
    /* type: 0 no-allocate offset, 1 post-index, 2 offset, 3 pre-index */
    d->idx = type == 1 ? VMM_A64_IDX_POST : type == 3 ? VMM_A64_IDX_PRE : VMM_A64_IDX_OFFSET;
    d->imm = sext(field(insn, 15, 7), 7) * (int64_t)d->size;
    wback = d->idx != VMM_A64_IDX_OFFSET;
    if (d->load && d->rt == d->rt2)
        return -VMM_ENOTSUP; /* CONSTRAINED UNPREDICTABLE */
    if (wback && d->rn != 31 && (d->rt == d->rn || d->rt2 == d->rn))
        return -VMM_ENOTSUP; /* CONSTRAINED UNPREDICTABLE */
    return 0;
}

/* Element size, direction and extension from size:opc of the single
 * register forms (C4.1.66 tables of the load/store register groups). */
static int decode_size_opc(unsigned size, unsigned opc, struct vmm_a64_ldst *d)
{
    d->size = (uint8_t)(1u << size);
    d->count = 1;
    switch (opc) {
    case 0: /* STRB/STRH/STR */
        d->load = false;
        return 0;
    case 1: /* LDRB/LDRH/LDR: zero-extend */
        d->load = true;
        d->dst64 = size == 3;
        return 0;
    case 2: /* LDRSB/LDRSH/LDRSW to Xt; PRFM for size 3 */
        if (size == 3)
            return -VMM_ENOTSUP;
        d->load = true;
        d->sign_extend = true;
        d->dst64 = true;
        return 0;
    default: /* LDRSB/LDRSH to Wt; sizes 2 and 3 unallocated */
        if (size >= 2)
            return -VMM_ENOTSUP;
        d->load = true;
        d->sign_extend = true;
        return 0;
    }
}

/* Load/store register (C4.1.66): size 111 V 0 x opc ... Rn Rt. */
static int decode_single(uint32_t insn, struct vmm_a64_ldst *d)
{
    unsigned size = field(insn, 30, 2);
    int ret;

    if (field(insn, 26, 1))
        return -VMM_ENOTSUP; /* SIMD/FP */
    ret = decode_size_opc(size, field(insn, 22, 2), d);
    if (ret < 0)
        return ret;
    d->rt = (uint8_t)field(insn, 0, 5);
    d->rn = (uint8_t)field(insn, 5, 5);
    if (field(insn, 24, 1)) { /* unsigned immediate, scaled */
        d->idx = VMM_A64_IDX_OFFSET;
        d->imm = (int64_t)field(insn, 10, 12) << size;
        return 0;
    }
    if (field(insn, 21, 1)) {
        unsigned option = field(insn, 13, 3);

        if (field(insn, 10, 2) != 2 || !(option & 2))
            return -VMM_ENOTSUP; /* atomics, PAC loads, unallocated extends */
        d->idx = VMM_A64_IDX_OFFSET;
        d->reg_offset = true;
        d->rm = (uint8_t)field(insn, 16, 5);
        d->option = (uint8_t)option;
        d->shift = field(insn, 12, 1) ? (uint8_t)size : 0;
        return 0;
    }
    d->imm = sext(field(insn, 12, 9), 9);
    switch (field(insn, 10, 2)) {
    case 0: /* LDUR/STUR */
        d->idx = VMM_A64_IDX_OFFSET;
        return 0;
    case 1:
        d->idx = VMM_A64_IDX_POST;
        break;
    case 3:
        d->idx = VMM_A64_IDX_PRE;
        break;
    default: /* LDTR/STTR: unprivileged, not emulated */
        return -VMM_ENOTSUP;
    }
    if (d->rn != 31 && d->rn == d->rt)
        return -VMM_ENOTSUP; /* writeback into the data register: CONSTRAINED UNPREDICTABLE */
    return 0;
}

int vmm_a64_decode_ldst(uint32_t insn, struct vmm_a64_ldst *out)
{
    *out = (struct vmm_a64_ldst){0};
    if ((insn & 0x3a000000u) == 0x38000000u) /* bits 29:27 = 111, bit 25 = 0 */
        return decode_single(insn, out);
    if ((insn & 0x3a000000u) == 0x28000000u) /* bits 29:27 = 101, bit 25 = 0 */
        return decode_pair(insn, out);
    return -VMM_ENOTSUP;
}
