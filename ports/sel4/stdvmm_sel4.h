/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 Microkit port of stdvmm: one VMM protection domain per VM. What
 * an example system provides to the port, as plain data. No seL4 or Microkit
 * header is needed to write one (examples/sel4/<system>/config_*.c).
 */
#ifndef STDVMM_SEL4_H
#define STDVMM_SEL4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/vcpu.h"

struct sel4_vmm_config {
    const char *name;    /* for logs and the console prefix: "vm1" */
    unsigned nr_vcpus;   /* 1..VMM_MAX_VCPUS; <vcpu id="0..n-1"/> in the .system */
    uint64_t ram_gpa;    /* guest_ram as the VM sees it (the .system's VM map) */
    uint64_t ram_size;   /* size of the guest_ram memory region */
    const char *cmdline; /* kernel command line; the port appends stdvmm.boot=<n> */
    bool virtio_console; /* add a virtio-console next to the PL011 */
};

/* The example's configuration (one per VMM program). */
extern const struct sel4_vmm_config sel4_vmm_config;

/* Guest images linked into the VMM program (guest_images.S). */
extern const unsigned char sel4_guest_kernel[], sel4_guest_kernel_end[];
extern const unsigned char sel4_guest_initrd[], sel4_guest_initrd_end[];

#endif
