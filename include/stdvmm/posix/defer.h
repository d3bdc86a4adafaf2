/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Work a thread does right after it drops the VM's device lock: a device
 * handler (run under the lock) hands a backend a request, the backend asks
 * to finish it on the same thread once the lock is free (the disk image's
 * page-cache reads, blk_file_nowait.c). The KVM port opens a window around
 * each trapped access; a thread that never opened one (the event loop, a
 * disk worker completing requests, the API) gets false from
 * vmm_posix_defer() and the backend takes its usual path. At most
 * VMM_POSIX_DEFER_MAX items per window bound the work one access can add
 * to its vCPU's exit. Thread-local: no locking.
 */
#ifndef STDVMM_POSIX_DEFER_H
#define STDVMM_POSIX_DEFER_H

#include <stdbool.h>

#define VMM_POSIX_DEFER_MAX 4u

/* Open this thread's window (before it takes the VM lock); forgets any
 * items not run. */
void vmm_posix_defer_open(void);

/* Queue @fn(@arg) to run at vmm_posix_defer_run(); false (nothing queued)
 * when this thread has no open window or the window is full. */
bool vmm_posix_defer(void (*fn)(void *arg), void *arg);

/* Close the window and run its items in the order queued (after the VM
 * lock was dropped). Items queued while they run are refused. */
void vmm_posix_defer_run(void);

#endif
