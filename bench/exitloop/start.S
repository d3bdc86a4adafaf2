/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exit-loop guest's entry: an arm64 Linux Image header (booting.rst,
 * "Call the kernel image") so stdvmm, QEMU and rawkvm all load it the way
 * they load Linux, then a stack and a call to exitloop_main().
 */
    .section .head, "ax"
    .global _start
_start:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   0x80000                 /* text_offset */
    .quad   _end - _start           /* image_size */
    .quad   0xa                     /* flags: little endian, 4K pages, anywhere */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

entry:
    adrp    x1, stack_top
    add     x1, x1, :lo12:stack_top
    mov     sp, x1
    bl      exitloop_main
1:  wfi
    b       1b

    .section .bss
    .balign 16
    .space  8192
stack_top:
