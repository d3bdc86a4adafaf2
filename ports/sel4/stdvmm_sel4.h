/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 Microkit port of stdvmm: one VMM protection domain per VM. What
 * an example system provides to the port, as plain data: a machine
 * description (include/stdvmm/machine.h), which the port completes with
 * the guest images linked into the program and builds with the machine
 * builder, as `stdvmm run` does on KVM. No seL4 or Microkit header is
 * needed to write one (examples/sel4/<system>/config_*.c).
 */
#ifndef STDVMM_SEL4_H
#define STDVMM_SEL4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/machine.h"

/*
 * machine.name: for logs and the console prefix ("vm1"); nr_vcpus:
 * 1..VMM_MAX_VCPUS, <vcpu id="0..n-1"/> in the .system; ram_base/ram_size:
 * the guest_ram memory region as the VM sees it (the .system's VM map);
 * gic_version 2 (seL4 on QEMU virt); cmdline: the port appends
 * stdvmm.boot=<n>; console: VMM_CONSOLE_VIRTIO adds a virtio-console; the
 * devices need classes whose backend kind this port provides (the console
 * stream only, so far). kernel and initrd are left empty: the port fills
 * them in from guest_images.S.
 */
struct sel4_vmm_config {
    struct vmm_machine_desc machine;
};

/* The example's configuration (one per VMM program). */
extern const struct sel4_vmm_config sel4_vmm_config;

/* Guest images linked into the VMM program (guest_images.S). */
extern const unsigned char sel4_guest_kernel[], sel4_guest_kernel_end[];
extern const unsigned char sel4_guest_initrd[], sel4_guest_initrd_end[];

#endif
