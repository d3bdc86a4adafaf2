/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a POSIX backend needs from the process's seccomp filter once set-up
 * is over (the KVM port's filter, include/stdvmm/kvm/seccomp.h): each
 * backend declares its own system calls here, next to the code that makes
 * them, and `stdvmm` adds the lists of the backends it opened to the
 * port's base list. A new backend therefore never edits the port's table.
 */
#ifndef STDVMM_POSIX_SYSCALLS_H
#define STDVMM_POSIX_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>

struct vmm_posix_syscalls {
    const int *allow; /* __NR_* allowed whatever the arguments */
    size_t nr_allow;
    const uint32_t *ioctls; /* ioctl requests allowed */
    size_t nr_ioctls;
    const uint32_t *socket_domains; /* socket() domains allowed */
    size_t nr_socket_domains;
};

#define VMM_POSIX_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
