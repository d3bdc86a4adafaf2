/* SPDX-License-Identifier: BSD-2-Clause */
/* Entry of a VMM program under stdvmm-init: x0 = guest RAM, x1 = vCPUs. */
#define RT_STACK_SIZE 65536

    .section .text.start, "ax"
    .global _start
_start:
    adrp    x2, rt_stack
    add     x2, x2, :lo12:rt_stack
    mov     x3, #RT_STACK_SIZE
    add     sp, x2, x3
    bl      sel4_rt_init_main
1:  b       1b

    .section .bss.stack, "aw", %nobits
    .balign 16
rt_stack:
    .space RT_STACK_SIZE
