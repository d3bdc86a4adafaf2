/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the GDB test guest (tests/gdb/README.md): a flat binary with a
 * Linux arm64 Image header, run at EL1 on vCPU 0. It turns the MMU on with
 * 1 GiB blocks: 0..1 GiB device memory, 1..2 GiB RAM (identity), and RAM
 * once more at 3 GiB, an alias only the stage-1 tables know (no guest
 * physical address there), so a debugger reading it proves the stub walks
 * the guest's tables. No exception vectors: the test never takes one.
 */
#include "../attack/boot.h"

    image_header gdb_entry

    .text
gdb_entry:
    msr     daifset, #0xf
    stack_and_bss
    mmu_on  gdb_l1_table
    bl      gdb_main
3:  wfi
    b       3b

    .section .rodata
    .balign 4096
gdb_l1_table:
    .quad   BLK(0x00000000, 1, 0)   /* 0..1 GiB: devices */
    .quad   BLK(0x40000000, 2, 0)   /* 1..2 GiB: RAM */
    .quad   0                       /* 2..3 GiB: nothing */
    .quad   BLK(0x40000000, 2, 0)   /* 3..4 GiB: RAM again, the alias */
