/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the attacking guest: a flat binary that starts with a Linux arm64
 * Image header (Documentation/arch/arm64/booting.rst), so any VMM that boots
 * Linux boots it. Runs at EL1 on vCPU 0 only, with x0 = DTB address (unused).
 *
 * It turns the MMU on with a 4 GiB identity map of 1 GiB blocks (RAM as
 * normal cacheable memory, 0..1 GiB as device memory) plus one alias of
 * 0..1 GiB as normal non-cacheable memory at 2 GiB: unaligned accesses to
 * device memory fault inside the guest, while through the alias they reach
 * the hypervisor. Every synchronous exception (an abort injected for an
 * access the hypervisor cannot decode, an alignment fault, an undefined
 * instruction) is counted and skipped, so an attack never stops the guest.
 */
#include "boot.h"

    image_header attack_entry

    .text
attack_entry:
    mov     x19, x0                 /* DTB address */
    msr     daifset, #0xf
    /* Refuse to run at another address than the link address (absolute
     * pointers in .data would be wrong); say so on the PL011. */
    adr     x1, _head
    ldr     x2, =_head
    cmp     x1, x2
    b.ne    wrong_place
    stack_and_bss
    ldr     x1, =attack_vectors
    msr     vbar_el1, x1
    /* Identity map (see the table below) and caches on. */
    mmu_on  attack_l1_table
    mov     x0, x19
    bl      attack_main
3:  wfi                             /* attack_main powers off; never here */
    b       3b

wrong_place:
    ldr     x1, =0x09000000
    adr     x2, wrong_msg
4:  ldrb    w3, [x2], #1
    cbz     w3, 3b
    str     w3, [x1]
    b       4b
wrong_msg:
    .asciz  "ATTACK-FAIL: boot: not loaded at its link address\r\n"
    .balign 4

/* Exceptions: save the caller-saved registers, let C look at ESR/FAR and
 * step over the instruction, return. */
.macro vector_entry kind
    .balign 0x80
    sub     sp, sp, #192
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x30, [sp, #144]
    mov     x0, #\kind
    b       vector_common
.endm

    .balign 0x800
attack_vectors:
    vector_entry 0                  /* current EL, SP_EL0: sync */
    vector_entry 1                  /* irq */
    vector_entry 2                  /* fiq */
    vector_entry 3                  /* serror */
    vector_entry 0                  /* current EL, SP_ELx: sync */
    vector_entry 1
    vector_entry 2
    vector_entry 3
    vector_entry 0                  /* lower EL, AArch64 */
    vector_entry 1
    vector_entry 2
    vector_entry 3
    vector_entry 0                  /* lower EL, AArch32 */
    vector_entry 1
    vector_entry 2
    vector_entry 3

vector_common:
    mrs     x1, esr_el1
    mrs     x2, far_el1
    mrs     x3, elr_el1
    bl      attack_exception        /* returns the ELR to resume at */
    msr     elr_el1, x0
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x30, [sp, #144]
    add     sp, sp, #192
    eret

/* Level 1 translation table: four 1 GiB blocks (BLK: boot.h). */
    .section .rodata
    .balign 4096
    .global attack_l1_table
attack_l1_table:
    .quad   BLK(0x00000000, 1, 3)   /* 0..1 GiB: GIC, UART, virtio: device nGnRE */
    .quad   BLK(0x40000000, 2, 0)   /* 1..2 GiB: RAM, normal write-back */
    .quad   BLK(0x00000000, 3, 3)   /* 2..3 GiB: alias of 0..1 GiB, normal non-cacheable */
    .quad   0
