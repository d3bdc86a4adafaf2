/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads of the hosted VMM (vCPUs, event loop, disk worker, console
 * writer) with a small fixed stack. The C library's default (8 MiB on
 * glibc) lets a transparent huge page back a stack: guest RAM is mapped
 * 2 MiB aligned, so the next mapping below it (a thread stack) ends on a
 * 2 MiB boundary and its first deep touch faults in 2 MiB of resident
 * memory. A stack below 2 MiB never holds a whole huge page.
 */
#ifndef STDVMM_POSIX_THREAD_H
#define STDVMM_POSIX_THREAD_H

#include <pthread.h>

/* Stack size of every thread vmm_posix_thread_start() creates: below 2 MiB and
 * far above the deepest call chain of any VMM thread (a few tens of KiB). */
#define POSIX_THREAD_STACK ((size_t)512 << 10)

/* pthread_create(@thread, @fn, @arg) with a POSIX_THREAD_STACK stack;
 * returns 0 or a positive error number, as pthread_create does. */
int vmm_posix_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
