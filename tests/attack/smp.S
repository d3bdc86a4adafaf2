/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of a second vCPU started with PSCI CPU_ON (vsock_attacks.c): MMU
 * off, so it loads the translation and exception settings vCPU 0 stored in
 * attack_smp_boot (MAIR, TCR, TTBR0, VBAR, stack, SCTLR, function), turns
 * the MMU on like start.S and calls the function, which never returns.
 */
    .text
    .global attack_secondary_entry
attack_secondary_entry:
    msr     daifset, #0xf
    ldr     x1, =attack_smp_boot    /* identity mapped: the same address */
    ldr     x2, [x1, #0]
    msr     mair_el1, x2
    ldr     x2, [x1, #8]
    msr     tcr_el1, x2
    ldr     x2, [x1, #16]
    msr     ttbr0_el1, x2
    ldr     x2, [x1, #24]
    msr     vbar_el1, x2
    ldr     x2, [x1, #32]
    mov     sp, x2
    ldr     x3, [x1, #48]
    ldr     x2, [x1, #40]
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    msr     sctlr_el1, x2
    isb
    blr     x3
1:  wfi
    b       1b
