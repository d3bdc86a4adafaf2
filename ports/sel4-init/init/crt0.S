/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's entry: seL4 starts the root task with x0 = the bootinfo. */
#define INIT_STACK_SIZE 65536

    .section .text.start, "ax"
    .global _start
_start:
    adrp    x1, init_stack
    add     x1, x1, :lo12:init_stack
    mov     x2, #INIT_STACK_SIZE
    add     sp, x1, x2
    bl      init_main
1:  b       1b

    .section .bss.stack, "aw", %nobits
    .balign 16
init_stack:
    .space INIT_STACK_SIZE
