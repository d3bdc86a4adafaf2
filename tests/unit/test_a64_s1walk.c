/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stage-1 walker against page tables built by hand in a fake guest RAM:
 * each VA is composed from the table indices the architecture assigns to
 * it (Arm ARM D8.2), so the tables do not come from the walker's own logic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"
#include "stdvmm/mem.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define SCTLR_M 1ull
#define VALID 1ull
#define TABLE 3ull /* valid + table (levels 0-2) / page (level 3) */
#define BLOCK 1ull
#define AF (1ull << 10)

/* TCR fields (D17.2.131). */
#define T0SZ(n) ((uint64_t)(n))
#define T1SZ(n) ((uint64_t)(n) << 16)
#define TG0_4K (0ull << 14)
#define TG0_64K (1ull << 14)
#define TG0_16K (2ull << 14)
#define TG1_16K (1ull << 30)
#define TG1_4K (2ull << 30)
#define EPD0 (1ull << 7)
#define EPD1 (1ull << 23)
#define TBI0 (1ull << 37)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(65536)));
static struct vmm_mem mem;

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    vmm_mem_init(&mem);
    return vmm_mem_add_region(&mem, RAM_BASE, RAM_SIZE, ram);
}

/* Entry @idx of the table at guest address @table. */
static void put(uint64_t table, uint64_t idx, uint64_t desc)
{
    uint64_t off = table - RAM_BASE + idx * 8;

    assert_true(off + 8 <= RAM_SIZE);
    for (unsigned i = 0; i < 8; i++)
        ram[off + i] = (uint8_t)(desc >> (8 * i));
}

static uint64_t walk(const struct vmm_a64_s1 *s1, uint64_t va, bool data, int *ret)
{
    uint64_t ipa = 0xdead;

    *ret = vmm_a64_s1_translate(&mem, s1, va, data, &ipa);
    return ipa;
}

static void s1_mmu_off_is_identity(void **state)
{
    struct vmm_a64_s1 s1 = {.sctlr = 0};
    int ret;
    (void)state;
    assert_int_equal(walk(&s1, 0x0a000004, true, &ret), 0x0a000004);
    assert_int_equal(ret, 0);
    walk(&s1, 1ull << 48, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

/* 4K granule, 48-bit VA: four levels, a page at level 3. */
static void s1_4k_48bit_four_levels(void **state)
{
    const uint64_t l0 = RAM_BASE, l1 = RAM_BASE + 0x1000, l2 = RAM_BASE + 0x2000,
                   l3 = RAM_BASE + 0x3000;
    const uint64_t va = (2ull << 39) | (3ull << 30) | (4ull << 21) | (5ull << 12) | 0x678;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(16) | TG0_4K | EPD1, .ttbr0 = l0};
    int ret;
    (void)state;
    put(l0, 2, l1 | TABLE);
    put(l1, 3, l2 | TABLE);
    put(l2, 4, l3 | TABLE);
    put(l3, 5, 0x0a001000ull | TABLE | AF);
    assert_int_equal(walk(&s1, va, true, &ret), 0x0a001678);
    assert_int_equal(ret, 0);
    /* A neighbouring page has no descriptor: translation fault. */
    walk(&s1, va + 0x1000, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    /* Level 3 with bit 1 clear is reserved: fault, not a block. */
    put(l3, 5, 0x0a001000ull | BLOCK | AF);
    walk(&s1, va, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    /* A 1 GiB block at level 0 does not exist with 4K granules. */
    put(l0, 2, 0x0ull | BLOCK | AF);
    walk(&s1, va, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

/* 4K granule, 39-bit VA: the walk starts at level 1; 1 GiB and 2 MiB blocks. */
static void s1_4k_39bit_blocks(void **state)
{
    const uint64_t l1 = RAM_BASE, l2 = RAM_BASE + 0x1000;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(25) | TG0_4K | EPD1, .ttbr0 = l1};
    int ret;
    (void)state;
    put(l1, 1, 0x40000000ull | BLOCK | AF);    /* VA 1 GiB..2 GiB -> RAM */
    put(l1, 0, l2 | TABLE);                    /* VA 0..1 GiB: 2 MiB blocks */
    put(l2, 0x50, 0x0a000000ull | BLOCK | AF); /* VA 0x0a000000 -> 0x0a000000 */
    put(l2, 0x51, 0x09000000ull | BLOCK | AF); /* VA 0x0a200000 -> 0x09000000 */
    assert_int_equal(walk(&s1, 0x40200123, false, &ret), 0x40200123);
    assert_int_equal(ret, 0);
    assert_int_equal(walk(&s1, 0x0a000ff8, true, &ret), 0x0a000ff8);
    assert_int_equal(ret, 0);
    assert_int_equal(walk(&s1, 0x0a200010, true, &ret), 0x09000010);
    assert_int_equal(ret, 0);
    /* Beyond 39 bits in the TTBR0 half: fault. */
    walk(&s1, 1ull << 39, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

/* TTBR1 (VA bit 55 set), 4K granule, 39 bits; TTBR0 walks disabled. */
static void s1_ttbr1_upper_half(void **state)
{
    const uint64_t l1 = RAM_BASE + 0x4000, l2 = RAM_BASE + 0x5000, l3 = RAM_BASE + 0x6000;
    const uint64_t va = 0xffffff8000000000ull | (7ull << 30) | (8ull << 21) | (9ull << 12) | 0x10;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M,
                            .tcr = T0SZ(25) | T1SZ(25) | TG0_4K | TG1_4K | EPD0,
                            .ttbr0 = RAM_BASE,
                            .ttbr1 = l1 | 1 /* CnP */};
    int ret;
    (void)state;
    put(l1, 7, l2 | TABLE);
    put(l2, 8, l3 | TABLE);
    put(l3, 9, 0x0a003000ull | TABLE | AF);
    assert_int_equal(walk(&s1, va, true, &ret), 0x0a003010);
    assert_int_equal(ret, 0);
    /* The lower half has EPD0: no walk. */
    walk(&s1, 0x1000, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    /* Upper bits not all ones: fault. */
    walk(&s1, va & ~(1ull << 60), true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

/* 16K granule, 48-bit VA: level 0 resolves one bit (two entries). */
static void s1_16k_48bit(void **state)
{
    const uint64_t l0 = RAM_BASE, l1 = RAM_BASE + 0x4000, l2 = RAM_BASE + 0x8000,
                   l3 = RAM_BASE + 0xc000;
    const uint64_t va = (5ull << 36) | (6ull << 25) | (7ull << 14) | 0x3ff8;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(16) | TG0_16K | EPD1, .ttbr0 = l0};
    int ret;
    (void)state;
    put(l0, 0, l1 | TABLE);
    put(l1, 5, l2 | TABLE);
    put(l2, 6, l3 | TABLE);
    put(l3, 7, 0x0a004000ull | TABLE | AF);
    assert_int_equal(walk(&s1, va, true, &ret), 0x0a007ff8);
    assert_int_equal(ret, 0);
    /* Level 1 blocks need FEAT_LPA2 with 16K granules: refused. */
    put(l1, 5, 0x0ull | BLOCK | AF);
    walk(&s1, va, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

/* 64K granule, 42-bit VA: two levels (2 and 3); 512 MiB blocks at level 2. */
static void s1_64k_42bit(void **state)
{
    const uint64_t l2 = RAM_BASE, l3 = RAM_BASE + 0x10000;
    const uint64_t va = (3ull << 29) | (4ull << 16) | 0xabc;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(22) | TG0_64K | EPD1, .ttbr0 = l2};
    int ret;
    (void)state;
    put(l2, 3, l3 | TABLE);
    put(l3, 4, 0x0a010000ull | TABLE | AF);
    put(l2, 1, 0x40000000ull | BLOCK | AF); /* VA 512 MiB..1 GiB */
    assert_int_equal(walk(&s1, va, true, &ret), 0x0a010abc);
    assert_int_equal(ret, 0);
    assert_int_equal(walk(&s1, 0x20001234, false, &ret), 0x40001234);
    assert_int_equal(ret, 0);
}

static void s1_tables_outside_ram_fault(void **state)
{
    const uint64_t l1 = RAM_BASE;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(25) | TG0_4K | EPD1, .ttbr0 = l1};
    int ret;
    (void)state;
    put(l1, 0, 0x0a000000ull | TABLE); /* next level in MMIO space */
    walk(&s1, 0x1000, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    s1.ttbr0 = 0x1000; /* root table not in RAM */
    walk(&s1, 0x1000, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    s1.ttbr0 = RAM_BASE + RAM_SIZE - 0x1000;
    walk(&s1, 0x7fc0000000ull, true, &ret); /* last entry of a table at the end of RAM */
    assert_int_equal(ret, -VMM_EFAULT);     /* zero descriptor, no overrun */
}

static void s1_refuses_unsupported_configurations(void **state)
{
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .ttbr0 = RAM_BASE};
    int ret;
    (void)state;
    s1.tcr = T0SZ(25) | (3ull << 14); /* TG0 = 3: reserved */
    walk(&s1, 0, true, &ret);
    assert_int_equal(ret, -VMM_ENOTSUP);
    s1.tcr = T0SZ(12) | TG0_4K; /* 52-bit VA */
    walk(&s1, 0, true, &ret);
    assert_int_equal(ret, -VMM_ENOTSUP);
    s1.tcr = T0SZ(48) | TG0_4K; /* 16-bit VA (FEAT_TTST) */
    walk(&s1, 0, true, &ret);
    assert_int_equal(ret, -VMM_ENOTSUP);
    s1.tcr = T0SZ(25) | TG0_4K | T1SZ(25); /* TG1 = 0: reserved, upper half */
    walk(&s1, 0xffffffffffff0000ull, true, &ret);
    assert_int_equal(ret, -VMM_ENOTSUP);
}

/* TBI0: a tagged data pointer translates like the untagged one; an
 * instruction address with a tag does not. */
static void s1_top_byte_ignore_for_data_only(void **state)
{
    const uint64_t l1 = RAM_BASE;
    struct vmm_a64_s1 s1 = {.sctlr = SCTLR_M, .tcr = T0SZ(25) | TG0_4K | EPD1 | TBI0, .ttbr0 = l1};
    int ret;
    (void)state;
    put(l1, 0, 0x0ull | BLOCK | AF);
    assert_int_equal(walk(&s1, 0x5a0000000a000010ull, true, &ret), 0x0a000010);
    assert_int_equal(ret, 0);
    walk(&s1, 0x5a0000000a000010ull, false, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
    s1.tcr &= ~TBI0;
    walk(&s1, 0x5a0000000a000010ull, true, &ret);
    assert_int_equal(ret, -VMM_EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(s1_mmu_off_is_identity, setup),
        cmocka_unit_test_setup(s1_4k_48bit_four_levels, setup),
        cmocka_unit_test_setup(s1_4k_39bit_blocks, setup),
        cmocka_unit_test_setup(s1_ttbr1_upper_half, setup),
        cmocka_unit_test_setup(s1_16k_48bit, setup),
        cmocka_unit_test_setup(s1_64k_42bit, setup),
        cmocka_unit_test_setup(s1_tables_outside_ram_fault, setup),
        cmocka_unit_test_setup(s1_refuses_unsupported_configurations, setup),
        cmocka_unit_test_setup(s1_top_byte_ignore_for_data_only, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
