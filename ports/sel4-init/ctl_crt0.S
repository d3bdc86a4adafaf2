/* SPDX-License-Identifier: BSD-2-Clause */
/* Entry of a control client PD: x0 = its index. When its main returns, an
 * undefined instruction tells stdvmm-init (its fault handler) it finished. */
#define CLIENT_STACK_SIZE 16384

    .section .text.start, "ax"
    .global _start
_start:
    adrp    x2, client_stack
    add     x2, x2, :lo12:client_stack
    mov     x3, #CLIENT_STACK_SIZE
    add     sp, x2, x3
    bl      sel4init_ctl_client_start
    udf     #0
1:  b       1b

    .section .bss.stack, "aw", %nobits
    .balign 16
client_stack:
    .space CLIENT_STACK_SIZE
