/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A software walk of the guest's EL1&0 stage-1 translation tables (Arm ARM
 * D8.2 "Translation process", VMSAv8-64), used to find the instruction of
 * an MMIO access that trapped without a syndrome and to check its data
 * address. The tables are guest memory: every descriptor is read with
 * vmm_guest_read() (outside RAM -> fault), the walk has at most four levels,
 * and nothing here trusts a value it did not range-check.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/mem.h"

#define SCTLR_M (UINT64_C(1) << 0)
#define TCR_T0SZ_SHIFT 0
#define TCR_EPD0 (UINT64_C(1) << 7)
#define TCR_TG0_SHIFT 14
#define TCR_T1SZ_SHIFT 16
#define TCR_EPD1 (UINT64_C(1) << 23)
#define TCR_TG1_SHIFT 30
#define TCR_TBI0 (UINT64_C(1) << 37)
#define TCR_TBI1 (UINT64_C(1) << 38)

#define DESC_VALID (UINT64_C(1) << 0)
#define DESC_TABLE (UINT64_C(1) << 1) /* table (levels 0-2) or page (level 3) */
#define OA_MASK ((UINT64_C(1) << 48) - 1)
#define MIN_TXSZ 16 /* 48-bit VAs (no FEAT_LVA) */
#define MAX_TXSZ 39 /* 25-bit VAs (no FEAT_TTST) */

static uint64_t bits_below(unsigned n)
{
    return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/* log2 of the granule from TCR.TG0 / TCR.TG1 (D17.2.131), 0 if reserved. */
static unsigned granule_shift(bool upper, unsigned tg)
{
    static const unsigned tg0[4] = {12, 16, 14, 0};
    static const unsigned tg1[4] = {0, 14, 12, 16};

    return upper ? tg1[tg & 3] : tg0[tg & 3];
}

/* Block descriptors exist at level 1 and 2 with 4K granules, at level 2
 * with 16K and 64K granules (without FEAT_LPA/LPA2). */
static bool block_allowed(unsigned gshift, unsigned level)
{
    return gshift == 12 ? (level == 1 || level == 2) : level == 2;
}

static int read_desc(const struct vmm_mem *mem, uint64_t gpa, uint64_t *desc)
{
    uint8_t b[8];

    if (vmm_guest_read(mem, gpa, b, sizeof(b)) < 0)
        return -VMM_EFAULT;
    *desc = vmm_get_le64(b); /* descriptors are little-endian (SCTLR.EE = 0) */
    return 0;
}

int vmm_a64_s1_translate(const struct vmm_mem *mem, const struct vmm_a64_s1 *s1, uint64_t va,
                         bool data, uint64_t *ipa)
{
    bool upper = (va >> 55) & 1u;
    unsigned txsz, gshift, stride, va_bits, top, nlevels, level, first_bits;
    uint64_t table, tcr = s1->tcr;

    if (!(s1->sctlr & SCTLR_M)) {
        if (va >> 48)
            return -VMM_EFAULT; /* beyond the output address size */
        *ipa = va;
        return 0;
    }
    txsz = (unsigned)(tcr >> (upper ? TCR_T1SZ_SHIFT : TCR_T0SZ_SHIFT)) & 0x3fu;
    gshift = granule_shift(upper, (unsigned)(tcr >> (upper ? TCR_TG1_SHIFT : TCR_TG0_SHIFT)));
    if (gshift == 0 || txsz < MIN_TXSZ || txsz > MAX_TXSZ)
        return -VMM_ENOTSUP;
    if (tcr & (upper ? TCR_EPD1 : TCR_EPD0))
        return -VMM_EFAULT;
    va_bits = 64 - txsz;
    /* Bits [top:va_bits] must all equal bit 55 (the top byte is ignored for
     * data accesses when TBI is set). */
    top = data && (tcr & (upper ? TCR_TBI1 : TCR_TBI0)) ? 55 : 63;
    {
        uint64_t hi = (va >> va_bits) & bits_below(top - va_bits + 1);
        if (hi != (upper ? bits_below(top - va_bits + 1) : 0))
            return -VMM_EFAULT;
    }
    stride = gshift - 3;
    nlevels = (va_bits - gshift + stride - 1) / stride; /* 1..4 for the accepted ranges */
    level = 4 - nlevels;
    first_bits = va_bits - gshift - (nlevels - 1) * stride;
    table = (upper ? s1->ttbr1 : s1->ttbr0) & OA_MASK & ~UINT64_C(1);
    /* The first table is aligned to its size, at least 64 bytes. */
    table &= ~bits_below(first_bits + 3 < 6 ? 6 : first_bits + 3);

    for (unsigned n = 0; n < nlevels; n++, level++) {
        unsigned shift = gshift + (3 - level) * stride;
        unsigned idx_bits = n == 0 ? first_bits : stride;
        uint64_t idx = (va >> shift) & bits_below(idx_bits);
        uint64_t desc;

        if (read_desc(mem, table + idx * 8, &desc) < 0 || !(desc & DESC_VALID))
            return -VMM_EFAULT;
        if (level == 3) {
            if (!(desc & DESC_TABLE))
                return -VMM_EFAULT; /* reserved encoding at level 3 */
            *ipa = (desc & OA_MASK & ~bits_below(gshift)) | (va & bits_below(gshift));
            return 0;
        }
        if (!(desc & DESC_TABLE)) {
            if (!block_allowed(gshift, level))
                return -VMM_EFAULT;
            *ipa = (desc & OA_MASK & ~bits_below(shift)) | (va & bits_below(shift));
            return 0;
        }
        table = desc & OA_MASK & ~bits_below(gshift);
    }
    return -VMM_EFAULT; /* not reached: level 3 always ends the walk */
}
