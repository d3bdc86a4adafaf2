/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user frontend (docs/VHOST.md): a device's queues served by
 * another process (qemu-storage-daemon's vhost-user-blk export, virtiofsd)
 * over a UNIX socket, with the message set of QEMU's
 * docs/interop/vhost-user.rst (built and checked by stdvmm/vhost_user.h).
 *
 * Life: parse -> open (socket checked: a socket, owned by us or root, peer
 * credentials the same; GET_FEATURES, protocol features, SET_OWNER,
 * GET_CONFIG; one kick, call and error eventfd per queue) -> attach (the
 * device's sink and the VM lock) -> wire (once, before the seccomp filter:
 * the kick eventfds on the queue-notify register with KVM_IOEVENTFD, the
 * call eventfds on the device's SPI with KVM_IRQFD) -> start (an event-loop
 * source that notices the backend hanging up, sending unasked messages or
 * signalling an error eventfd, and reports it to the device) -> stop ->
 * close.
 *
 * The device calls backend.start() at DRIVER_OK and backend.stop() at a
 * reset, on a vCPU thread with the VM lock held: SET_FEATURES,
 * SET_MEM_TABLE (guest RAM's memfds, nothing else), per ring
 * SET_VRING_NUM/BASE/ADDR/KICK/CALL/ERR and SET_VRING_ENABLE; GET_VRING_BASE
 * to stop. Every exchange has a deadline (VHOST_USER_TIMEOUT_MS per
 * message): a backend that misses it is dead for the VMM, so the lock is
 * never held for longer. A dead backend fails every later start fast.
 */
#ifndef STDVMM_POSIX_VHOST_USER_H
#define STDVMM_POSIX_VHOST_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include "stdvmm/backend.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/syscalls.h"
#include "stdvmm/vhost_user.h"

#define VHOST_USER_TIMEOUT_MS 1000
#define VHOST_USER_MAX_QUEUES 4
#define VHOST_USER_TAG_MAX 36 /* virtio-fs tag bytes */

struct vmm_vhost_user_opts {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char tag[VHOST_USER_TAG_MAX + 1]; /* "" unless the option has tag= */
};

/* Guest RAM as the backend maps it: regions and the memfd behind each. */
struct vmm_vhost_mem {
    struct vmm_vhost_region region[VHOST_USER_MAX_REGIONS];
    int fd[VHOST_USER_MAX_REGIONS];
    unsigned nr;
};

/* How the host wires eventfds to the guest (the KVM port's
 * vmm_kvm_ioeventfd/vmm_kvm_irqfd for stdvmm). */
struct vmm_vhost_wiring {
    int (*ioeventfd)(void *ctx, uint64_t addr, uint32_t len, uint64_t datamatch, int fd);
    int (*irqfd)(void *ctx, unsigned line, int fd);
    void *ctx;
};

struct vmm_vhost_user {
    struct vmm_vhost_backend backend; /* what the device is given */
    char name[32];                    /* the device's, for messages */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int sock;
    unsigned nr_queues;
    uint64_t protocol_features; /* negotiated */
    bool has_protocol_features, reply_ack;
    int kick_fd[VHOST_USER_MAX_QUEUES], call_fd[VHOST_USER_MAX_QUEUES];
    int err_fd[VHOST_USER_MAX_QUEUES];
    bool ring_started[VHOST_USER_MAX_QUEUES];
    struct vmm_vhost_mem mem;
    bool wired;
    bool dead; /* hung up, timed out or broke the protocol: no more messages */
    int dead_err;
    bool reported; /* the device was told */
    struct vmm_vhost_sink sink;
    pthread_mutex_t *lock; /* the VM's device lock (for the loop source) */
    struct vmm_loop_source src;
    bool in_loop;
    unsigned timeout_ms;
    unsigned long messages, starts, trapped_kicks;
    struct vmm_ratelimit rl;
};

/* Parse "socket=PATH" (and "tag=TAG" when @want_tag) into @o: 0, or
 * -VMM_EINVAL with a one-line reason in @err. */
int vmm_vhost_user_parse(const char *value, bool want_tag, struct vmm_vhost_user_opts *o, char *err,
                         size_t errlen);

/*
 * Connect to @o->path for device @name with @nr_queues queues and do the
 * handshake; with @config_size > 0 read that much configuration space
 * (GET_CONFIG; the backend must offer it). 0, or a negative code with a
 * one-line reason in @err.
 */
int vmm_vhost_user_open(struct vmm_vhost_user *u, const char *name,
                        const struct vmm_vhost_user_opts *o, unsigned nr_queues,
                        uint32_t config_size, char *err, size_t errlen);

/* Give the backend guest RAM's regions (@mem is copied; the fds stay the
 * caller's and must outlive @u). */
void vmm_vhost_user_set_mem(struct vmm_vhost_user *u, const struct vmm_vhost_mem *mem);

/* The device's sink and the VM's device lock. */
void vmm_vhost_user_attach(struct vmm_vhost_user *u, const struct vmm_vhost_sink *sink,
                           pthread_mutex_t *lock);

/* Once: queue q's kick eventfd on the 4-byte register @notify_addr with
 * value q, every call eventfd on line @irq. 0 or a negative code (logged). */
int vmm_vhost_user_wire(struct vmm_vhost_user *u, const struct vmm_vhost_wiring *w,
                        uint64_t notify_addr, unsigned irq);

/* Watch the backend from @loop; stop removes the watch. */
int vmm_vhost_user_start(struct vmm_vhost_user *u, struct vmm_loop *loop);
void vmm_vhost_user_stop(struct vmm_vhost_user *u);

/* Close the socket and eventfds (safe on a partly opened @u). */
void vmm_vhost_user_close(struct vmm_vhost_user *u);

/* vhost_user_io.c: one request, and its reply when it has one (or the
 * REPLY_ACK status when @u negotiated it) into @reply (may be NULL);
 * @fds (up to VHOST_USER_MAX_REGIONS) go with it. Marks @u dead on a
 * timeout, hang-up or malformed reply. 0 or a negative code. */
int vmm_vhost_user_call(struct vmm_vhost_user *u, struct vmm_vhost_msg *m, const int *fds,
                        unsigned nr_fds, uint32_t config_size, struct vmm_vhost_reply *reply);

/* What it asks of the seccomp filter once set-up is over. */
extern const struct vmm_posix_syscalls vmm_vhost_user_syscalls;

#endif
