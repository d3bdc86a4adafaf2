/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host side of `stdvmm run`'s devices: the backend provider the
 * machine builder asks for each device's backend (machine.h). One entry
 * per backend kind binds a POSIX backend of src/backends/posix: block ->
 * blk_file (an image file), net -> tap, vsock -> UNIX sockets, entropy ->
 * getrandom(2), event -> the boot timer's clock. A device class on
 * another host (seL4) gets its backend from that host's provider.
 *
 * Threads: each disk has an I/O worker thread (vmm_blk_file_start) that does
 * the disk I/O without the VM's device lock and takes it to complete a
 * request; the entropy backend is synchronous (it runs on the vCPU thread
 * that kicked the queue); the tap and the vsock sockets are sources of the
 * one event loop (posix/loop.h), whose thread takes the VM's device lock
 * before touching a device and is woken when the guest posts buffers.
 */
#ifndef STDVMM_TOOL_BACKENDS_H
#define STDVMM_TOOL_BACKENDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "stdvmm/backend.h"
#include "stdvmm/kvm/port.h"
#include "stdvmm/machine.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/syscalls.h"
#include "stdvmm/posix/vhost_user.h"

struct stdvmm_backends {
    struct vmm_backend_provider provider; /* give &b->provider to vmm_machine_init() */
    pthread_mutex_t *lock;                /* the VM's device lock (before start) */
    struct vmm_loop *loop;                /* serves the tap and vsock sockets (before start) */
    struct vmm_kvm *kvm;                  /* guest RAM's memfds (vhost-user) */
    struct vmm_vhost_wiring wiring;       /* the port's ioeventfd/irqfd (vhost-user) */
    bool describe_only;                   /* --dump-dtb: net and vsock not opened */
    struct timespec started;              /* CLOCK_REALTIME at start-up, for the boot timer */
    struct vmm_entropy_backend entropy;
    struct vmm_event_backend boot_timer;
};

/* Fill @b's provider; @console is the console's stream backend (stdio). */
void stdvmm_backends_init(struct stdvmm_backends *b, const struct vmm_stream_backend *console,
                          bool describe_only);

/* The seccomp lists (posix/syscalls.h) of the backends @m's devices
 * opened, at most @max into @out; returns how many. */
size_t stdvmm_backends_syscalls(const struct vmm_machine *m, const struct vmm_posix_syscalls **out,
                                size_t max);

/* True if @desc has a device served by a vhost-user backend: guest RAM
 * must then be shareable (vmm_kvm.shared_ram). */
bool stdvmm_backends_need_shared_ram(const struct vmm_machine_desc *desc);

/* Check an option value for class @cls's backend at parse time (tap=...,
 * cid=N,uds=PATH): 0, or -VMM_EINVAL with a one-line reason in @err. */
int stdvmm_backend_check(const struct vmm_device_class *cls, const char *value, char *err,
                         size_t errlen);

#endif
