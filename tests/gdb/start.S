/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the GDB test guest (tests/gdb/README.md): a flat binary with a
 * Linux arm64 Image header, run at EL1 on vCPU 0. It turns the MMU on with
 * 1 GiB blocks: 0..1 GiB device memory, 1..2 GiB RAM (identity), and RAM
 * once more at 3 GiB, an alias only the stage-1 tables know (no guest
 * physical address there), so a debugger reading it proves the stub walks
 * the guest's tables. No exception vectors: the test never takes one.
 */
#define MAIR_VALUE 0x44ff0400 /* attr0 nGnRnE, attr1 nGnRE, attr2 WB RA/WA, attr3 NC */
/* T0SZ=32 (4 GiB, level 1 start), 4K granule, inner shareable WB walks,
 * TTBR1 walks disabled (EPD1). */
#define TCR_VALUE ((32 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
#define SCTLR_VALUE ((1 << 0) | (1 << 2) | (1 << 12) | (1 << 11) | (1 << 20) | (1 << 22) | \
                     (1 << 23) | (1 << 28) | (1 << 29))
/* A level-1 block: output address, MAIR index, AF, inner shareable. */
#define BLK(pa, attr) ((pa) | ((attr) << 2) | (1 << 10) | (3 << 8) | 1)

    .section .head, "ax"
    .global _head
_head:
    b       gdb_entry               /* code0 */
    .long   0                       /* code1 */
    .quad   0x200000                /* text_offset */
    .quad   _image_end - _head      /* image_size */
    .quad   0                       /* flags */
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

    .text
gdb_entry:
    msr     daifset, #0xf
    ldr     x1, =_stack_top
    mov     sp, x1
    ldr     x1, =_bss_start
    ldr     x2, =_bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    ldr     x1, =TCR_VALUE
    msr     tcr_el1, x1
    ldr     x1, =gdb_l1_table
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, =SCTLR_VALUE
    msr     sctlr_el1, x1
    isb
    bl      gdb_main
3:  wfi
    b       3b

    .section .rodata
    .balign 4096
gdb_l1_table:
    .quad   BLK(0x00000000, 1)      /* 0..1 GiB: devices */
    .quad   BLK(0x40000000, 2)      /* 1..2 GiB: RAM */
    .quad   0                       /* 2..3 GiB: nothing */
    .quad   BLK(0x40000000, 2)      /* 3..4 GiB: RAM again, the alias */
