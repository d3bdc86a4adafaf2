/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run --gdb PORT|PATH`: a GDB remote stub on its own thread
 * (docs/API.md, "GDB"). One client at a time, on 127.0.0.1:PORT or the
 * UNIX socket PATH (0600). While a client is attached the guest is
 * stopped except between a continue/step and the next stop.
 */
#ifndef STDVMM_TOOL_GDB_H
#define STDVMM_TOOL_GDB_H

#include <pthread.h>
#include <stdbool.h>
#include "config.h"
#include "stdvmm/gdb.h"
#include "stdvmm/kvm/port.h"
#include "stdvmm/posix/syscalls.h"

struct stdvmm_gdb {
    const char *where; /* the --gdb value */
    int listen_fd, wake_fd;
    pthread_t thread;
    bool open, started;
    struct vmm_kvm *kvm;
    struct vmm_gdb stub;
    struct vmm_gdb_rx rx;
    char reply[VMM_GDB_MAX_REPLY];
    char framed[2 * VMM_GDB_MAX_REPLY + 8];
};

/* Listen on cfg->gdb (logged errors); 0 when --gdb was not given. */
int stdvmm_gdb_open(struct stdvmm_gdb *g, const struct stdvmm_config *cfg, struct vmm_kvm *kvm);

/* Start the stub's thread. */
int stdvmm_gdb_start(struct stdvmm_gdb *g);

/* Stop and join the thread, close the sockets. */
void stdvmm_gdb_close(struct stdvmm_gdb *g);

/* System calls the stub's thread makes after set-up. */
extern const struct vmm_posix_syscalls stdvmm_gdb_syscalls;

#endif
