/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tiny guest of the ctl example: a flat binary with a Linux arm64 Image
 * header, so stdvmm boots it as a kernel. MMU off, vCPU 0 only. It counts
 * its boots in a word of guest RAM below the kernel (0x40001000) that
 * nothing else writes: RAM fresh from the initialiser reads 0 there, so a
 * VM re-created by a restart says "boot 1" again. It prints one line on
 * the PL011 and powers the VM off (PSCI SYSTEM_OFF).
 */
#define PL011_DR 0x09000000
#define BOOT_COUNT 0x40001000
#define PSCI_SYSTEM_OFF 0x84000008

    .section .text, "ax"
    .global _head
_head:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   0x200000                /* text_offset */
    .quad   _end - _head            /* image_size */
    .quad   0                       /* flags */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

entry:
    ldr     x1, =BOOT_COUNT
    ldr     w2, [x1]
    add     w2, w2, #1
    str     w2, [x1]
    ldr     x3, =PL011_DR
    adr     x4, hello
1:  ldrb    w5, [x4], #1
    cbz     w5, 2f
    str     w5, [x3]
    b       1b
2:  cmp     w2, #9
    b.ls    3f
    mov     w2, #9                  /* one digit: 9 means 9 or more */
3:  add     w5, w2, #'0'
    str     w5, [x3]
    mov     w5, #')'
    str     w5, [x3]
    mov     w5, #'\n'
    str     w5, [x3]
    ldr     x0, =PSCI_SYSTEM_OFF
    hvc     #0
4:  wfi
    b       4b

    .ltorg
hello:
    .asciz  "CTL-GUEST: hello from the tiny guest (boot "
    .balign 8
_end:
