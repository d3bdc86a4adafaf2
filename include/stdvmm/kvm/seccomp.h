/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Syscall allow-list for the stdvmm process on Linux (seccomp-BPF). It is
 * installed once set-up is done (files, /dev/kvm, vCPUs, backends opened),
 * on every thread (SECCOMP_FILTER_FLAG_TSYNC), with no_new_privs.
 *
 * The filter: a syscall from another architecture kills the process
 * (SECCOMP_RET_KILL_PROCESS: the syscall numbers would mean something
 * else); a listed syscall is allowed, for a few only with listed argument
 * values (ioctl requests, socket domains); a few are refused with EPERM
 * (cleanups stdvmm can live without); anything else traps (SECCOMP_RET_TRAP:
 * the syscall is NOT executed) and a SIGSYS handler prints
 * "stdvmm: seccomp: blocked syscall N (name)" and exits with status 159
 * (128 + SIGSYS). The filter builder is parametrised by architecture and
 * table so it can be unit-tested on any host.
 */
#ifndef STDVMM_KVM_SECCOMP_H
#define STDVMM_KVM_SECCOMP_H

#include <stddef.h>
#include <stdint.h>
#include "stdvmm/posix/syscalls.h"

struct sock_filter; /* <linux/filter.h> */

#define VMM_SECCOMP_EXIT_STATUS 159 /* 128 + SIGSYS */
#define VMM_SECCOMP_MAX_INSNS 1024u

/* A syscall allowed only when argument @arg (low 32 bits) is in @values. */
struct vmm_seccomp_arg_rule {
    int nr;
    unsigned arg; /* 0..5 */
    const uint32_t *values;
    size_t nr_values;
};

struct vmm_seccomp_table {
    uint32_t audit_arch;   /* AUDIT_ARCH_* the numbers belong to */
    uint32_t nr_kill_mask; /* numbers with any of these bits are killed (x32: 0x40000000) */
    const int *allow;      /* allowed whatever the arguments */
    size_t nr_allow;
    const struct vmm_seccomp_arg_rule *rules;
    size_t nr_rules;
    const int *eperm; /* refused with EPERM instead of trapping */
    size_t nr_eperm;
};

/* A table plus what backends declared (storage for vmm_seccomp_merge). */
#define VMM_SECCOMP_MERGE_MAX 160u
struct vmm_seccomp_merged {
    struct vmm_seccomp_table table;
    int allow[VMM_SECCOMP_MERGE_MAX];
    uint32_t ioctls[VMM_SECCOMP_MERGE_MAX];
    uint32_t domains[8];
    struct vmm_seccomp_arg_rule rules[8];
};

/* @base (native numbers) plus the system calls of @n backends (@extra):
 * their allow lists, their ioctl requests added to @base's ioctl rule and
 * their socket domains to a socket rule. @m->table is the result; 0 or
 * -VMM_ENOSPC. */
int vmm_seccomp_merge(struct vmm_seccomp_merged *m, const struct vmm_seccomp_table *base,
                      const struct vmm_posix_syscalls *const *extra, size_t n);

/* Write the BPF program for @t into @prog (room for @cap instructions).
 * Returns the number of instructions, or -VMM_ENOSPC / -VMM_EINVAL. */
int vmm_seccomp_build(const struct vmm_seccomp_table *t, struct sock_filter *prog, size_t cap);

/* The run loop's table for the architecture stdvmm was built for. */
const struct vmm_seccomp_table *vmm_seccomp_native_table(void);

/* Install the SIGSYS handler, set no_new_privs and load @t's filter on
 * every thread of the process. Returns 0 or -errno (logged). */
int vmm_seccomp_install(const struct vmm_seccomp_table *t);

/* Run @fn (async-signal-safe, e.g. restoring the terminal) in the SIGSYS
 * handler before the process exits; NULL for nothing. */
void vmm_seccomp_set_on_violation(void (*fn)(void));

/* Name of syscall @nr in the native table ("ioctl"), or "?". */
const char *vmm_seccomp_syscall_name(int nr);

#endif
