/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's kernel Image and initramfs, linked into the VMM program so the
 * Microkit tool loads them with it. Paths come from the build:
 * -DSEL4_GUEST_KERNEL="path" -DSEL4_GUEST_INITRD="path".
 */
    .section .rodata, "a"

    .balign 4096
    .global sel4_guest_kernel
    .global sel4_guest_kernel_end
sel4_guest_kernel:
    .incbin SEL4_GUEST_KERNEL
sel4_guest_kernel_end:

    .balign 4096
    .global sel4_guest_initrd
    .global sel4_guest_initrd_end
sel4_guest_initrd:
    .incbin SEL4_GUEST_INITRD
sel4_guest_initrd_end:
