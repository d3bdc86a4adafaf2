/* SPDX-License-Identifier: BSD-2-Clause */
/* Assembler, not C: clang-format leaves it alone. */
/* clang-format off */
/*
 * The start-up the bare-metal test guests share (tests/attack/start.S and
 * tests/gdb/start.S include it): the arm64 Image header, the stack and .bss,
 * and the MMU turned on with one level-1 table of 1 GiB blocks. Assembler
 * macros and constants, for .S files only. The symbols come from each
 * guest's linker script: _head at RAM base + text_offset, _stack_top,
 * _bss_start, _bss_end, _image_end.
 */
#define MAIR_VALUE 0x44ff0400 /* attr0 nGnRnE, attr1 nGnRE, attr2 WB RA/WA, attr3 NC */
/* T0SZ=32 (4 GiB, walk starts at level 1), 4K granule, inner shareable WB
 * walks, TTBR1 walks disabled (EPD1), 32-bit physical addresses. */
#define TCR_VALUE ((32 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
/* SCTLR_EL1: M, C, I, plus the RES1 bits of ARMv8.0 (11, 20, 22, 23, 28, 29). */
#define SCTLR_VALUE ((1 << 0) | (1 << 2) | (1 << 12) | (1 << 11) | (1 << 20) | (1 << 22) | \
                     (1 << 23) | (1 << 28) | (1 << 29))
/* A level-1 block descriptor: valid+block (1), AttrIndx[4:2] = @attr (a MAIR
 * index above), SH[9:8] = inner, AF[10], PXN[53] and UXN[54] from @xn. */
#define BLK(pa, attr, xn) ((pa) | 1 | ((attr) << 2) | (3 << 8) | (1 << 10) | ((xn) << 53))

/* The arm64 Image header (Documentation/arch/arm64/booting.rst) at _head,
 * in section .head, its first instruction a branch to \entry. */
.macro image_header entry
    .section .head, "ax"
    .global _head
_head:
    b       \entry                  /* code0 */
    .long   0                       /* code1 */
    .quad   0x200000                /* text_offset: 2 MiB above the RAM base */
    .quad   _image_end - _head      /* image_size, bss included */
    .quad   0                       /* flags: little endian, page size unspecified */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic at offset 56 */
    .long   0                       /* res5 */
.endm

/* sp = _stack_top, .bss cleared. Uses x1, x2 and the local labels 1 and 2. */
.macro stack_and_bss
    ldr     x1, =_stack_top
    mov     sp, x1
    ldr     x1, =_bss_start
    ldr     x2, =_bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
.endm

/* MMU and caches on: MAIR, TCR and SCTLR above, TTBR0 = \table (a level-1
 * table of BLK() entries). Uses x1. */
.macro mmu_on table
    ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    ldr     x1, =TCR_VALUE
    msr     tcr_el1, x1
    ldr     x1, =\table
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, =SCTLR_VALUE
    msr     sctlr_el1, x1
    isb
.endm
