/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-boot entry points (EL2, MMU off). Core 0 enters at _start (QEMU
 * -device loader,...,cpu-num=0 or -kernel); the other cores at
 * boot_secondary_entry through PSCI CPU_ON, with x0 = their logical index.
 */
#define BOOT_STACK_SIZE 4096
#define BOOT_MAX_CORES 8

    .section .text.start, "ax"
    .global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    cbnz    x0, 2f                  /* only core 0 runs the loader */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    3f
    str     xzr, [x1], #8
    b       1b
3:  adrp    x1, boot_stacks
    add     x1, x1, :lo12:boot_stacks
    add     x1, x1, #BOOT_STACK_SIZE
    mov     sp, x1
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    4f                      /* boot_main reports the wrong EL */
    adrp    x1, boot_vectors
    add     x1, x1, :lo12:boot_vectors
    msr     vbar_el2, x1
    isb
4:  bl      boot_main
2:  wfe
    b       2b

    .text
    .global boot_secondary_entry
boot_secondary_entry:
    cmp     x0, #BOOT_MAX_CORES
    b.hs    2b
    adrp    x1, boot_stacks
    add     x1, x1, :lo12:boot_stacks
    add     x2, x0, #1
    lsl     x2, x2, #12             /* BOOT_STACK_SIZE */
    add     sp, x1, x2
    adrp    x1, boot_vectors
    add     x1, x1, :lo12:boot_vectors
    msr     vbar_el2, x1
    isb
    bl      boot_secondary_main
    b       2b

/* boot_mmu_on(ttbr0, tcr, mair): EL2 stage-1 translation with caches. */
    .global boot_mmu_on
boot_mmu_on:
    msr     mair_el2, x2
    msr     tcr_el2, x1
    msr     ttbr0_el2, x0
    isb
    tlbi    alle2
    dsb     ish
    ic      iallu
    dsb     ish
    isb
    mrs     x3, sctlr_el2
    mov     x4, #((1 << 0) | (1 << 2))      /* M, C */
    orr     x4, x4, #(1 << 12)              /* I */
    orr     x3, x3, x4
    msr     sctlr_el2, x3
    isb
    ret

/* Every exception taken at EL2 while the loader runs: report and stop. */
.macro vec idx
    .balign 0x80
    mov     x0, #\idx
    b       boot_vector_common
.endm
    .balign 2048
boot_vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15
boot_vector_common:
    mrs     x1, esr_el2
    mrs     x2, elr_el2
    mrs     x3, far_el2
    bl      boot_exception
    b       2b

    .section .stack, "aw", %nobits
    .balign 4096
    .global boot_stacks
boot_stacks:
    .space BOOT_STACK_SIZE * BOOT_MAX_CORES
