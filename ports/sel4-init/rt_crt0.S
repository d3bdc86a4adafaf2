/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of every VMM thread under stdvmm-init: x0 = guest RAM, x1 = vCPUs,
 * x2 = the thread's number t, x3 = the number of threads (layout.h). Thread
 * t runs on its own stack, the (t+1)-th of rt_stacks.
 */
#define RT_STACK_SIZE 65536
#define RT_MAX_THREADS 9 /* SEL4INIT_MAX_VMM_THREADS */

    .section .text.start, "ax"
    .global _start
_start:
    cmp     x2, #RT_MAX_THREADS
    b.hs    2f
    adrp    x4, rt_stacks
    add     x4, x4, :lo12:rt_stacks
    add     x5, x2, #1
    mov     x6, #RT_STACK_SIZE
    madd    x4, x5, x6, x4
    mov     sp, x4
    bl      sel4_rt_init_main
1:  b       1b
2:  b       2b      /* no stack for this thread: stdvmm-init checks the count */

    .section .bss.stack, "aw", %nobits
    .balign 16
rt_stacks:
    .space RT_STACK_SIZE * RT_MAX_THREADS
