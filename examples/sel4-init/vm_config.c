/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM configuration (the machine the guest sees) of every VMM program of
 * these examples, from the Makefile's table (VMMS_<system>, VM_FLAGS_*):
 * VM_NAME and VM_TEST (the test guest's stdvmm.test=, tests/sel4/guest/init),
 * and where a VM differs from the defaults below, VM_VCPUS, VM_RAM_SIZE,
 * VM_CONSOLE, VM_CMDLINE (or VM_CMDLINE_EXTRA: arguments before the test's),
 * or VM_PASSTHRU_H: a header that defines VM_PASSTHRU, the passed-through
 * device (struct sel4_passthru_config, devown/pl031.h).
 */
#include "stdvmm_sel4.h"

#ifndef VM_VCPUS
#define VM_VCPUS 1
#endif
#ifndef VM_RAM_SIZE
#define VM_RAM_SIZE 0x8000000 /* 128 MiB */
#endif
#ifndef VM_CONSOLE
#define VM_CONSOLE VMM_CONSOLE_VIRTIO
#endif
#ifndef VM_CMDLINE_EXTRA
#define VM_CMDLINE_EXTRA ""
#endif
#ifndef VM_CMDLINE
#define VM_CMDLINE                                                                                 \
    "console=ttyAMA0 earlycon rdinit=/init panic=-1 loglevel=4 " VM_CMDLINE_EXTRA                  \
    "stdvmm.test=" VM_TEST
#endif
#ifdef VM_PASSTHRU_H
#include VM_PASSTHRU_H
#else
#define VM_PASSTHRU NULL /* none (sel4_vmm_config.passthru) */
#endif

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = VM_NAME,
            .gic_version = 2,
            .ram_base = 0x40000000, /* ram_gpa of the descriptions (<system>/system.c) */
            .ram_size = VM_RAM_SIZE,
            .nr_vcpus = VM_VCPUS,
            .console = VM_CONSOLE,
            .cmdline = VM_CMDLINE,
        },
    .passthru = VM_PASSTHRU,
};
