/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hosted backends' event loop: one thread that waits on every
 * backend's file descriptors (stdin, the tap, the vsock sockets) and on one
 * wake eventfd, and calls each backend back when it has something to do.
 *
 * A backend is a source (the shape of GLib's GSource): each round the loop
 * asks it which fds to wait for (prepare), polls all of them at once, and
 * calls its dispatch when one of its fds is ready, when it was woken with
 * vmm_loop_wake(), or when the timeout it asked for passed. A dispatch does
 * a bounded amount of work (the backends document theirs) and returns; it
 * takes the VM's device lock only around device calls, never across a
 * blocking call. vmm_loop_wake() only sets a flag and writes the eventfd,
 * so a device may call it (through a backend's rx_ready or tx_kick) with
 * the device lock held.
 *
 * Locking: the loop's own mutex is held during prepare and dispatch and
 * released while the thread waits in poll(); vmm_loop_add/remove take it,
 * so after vmm_loop_remove() returns the source is never called again.
 * Order: loop mutex, then the VM's device lock. So vmm_loop_add/remove must
 * not be called with the device lock held, nor from a source's callbacks.
 */
#ifndef STDVMM_POSIX_LOOP_H
#define STDVMM_POSIX_LOOP_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VMM_LOOP_MAX_SOURCES 16
#define VMM_LOOP_MAX_FDS 256 /* over all sources, the wake eventfd excluded */

struct vmm_loop_source;

struct vmm_loop_source_ops {
    /* Fill at most @max pollfds with what to wait for now and return how
     * many; to be called back within a time even without events, lower
     * *@timeout_ms (-1: no limit) to it. Loop thread, loop mutex held. */
    unsigned (*prepare)(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                        int *timeout_ms);
    /* Handle this round: @pfd[0..n) as prepare filled them, with revents.
     * @woken: vmm_loop_wake() was called since the last dispatch. */
    void (*dispatch)(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n, bool woken);
};

struct vmm_loop;

struct vmm_loop_source {
    const struct vmm_loop_source_ops *ops;
    void *ctx; /* the backend's */
    /* The loop's. */
    struct vmm_loop *_Atomic loop;
    atomic_bool woken;
    uint64_t deadline_ns; /* 0: none */
    unsigned first, nr;   /* its pollfds this round */
};

struct vmm_loop {
    int wake_fd; /* eventfd */
    pthread_mutex_t lock;
    struct vmm_loop_source *src[VMM_LOOP_MAX_SOURCES];
    unsigned nr_src;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    struct pollfd pfd[1 + VMM_LOOP_MAX_FDS];
    unsigned long rounds, fds_dropped; /* fds dropped: prepare asked for more than fit */
};

/* Set up @l (nothing runs yet): 0 or a negative VMM_E* code. */
int vmm_loop_init(struct vmm_loop *l);

/* Fill @src with @ops / @ctx and make it one of @l's sources: 0, or
 * -VMM_ENOSPC when @l has VMM_LOOP_MAX_SOURCES already. */
int vmm_loop_add(struct vmm_loop *l, struct vmm_loop_source *src,
                 const struct vmm_loop_source_ops *ops, void *ctx);

/* Take @src out of its loop; waits for a round in progress (idempotent). */
void vmm_loop_remove(struct vmm_loop_source *src);

/* Ask for @src's dispatch soon (any thread, any lock held; lock-free). A
 * source not in a loop only keeps the flag for when it is added. */
void vmm_loop_wake(struct vmm_loop_source *src);

/* One round on the calling thread: prepare, poll up to @timeout_ms (-1:
 * forever, shortened by the sources' timeouts), dispatch. Returns poll's
 * count of ready fds (the eventfd included) or a negative VMM_E* code. For
 * tests and callers with a loop of their own; never while the thread runs. */
int vmm_loop_run_once(struct vmm_loop *l, int timeout_ms);

/* Start the loop's thread: 0 or a negative VMM_E* code. */
int vmm_loop_start(struct vmm_loop *l);

/* Stop and join the thread (idempotent); sources stay added. */
void vmm_loop_stop(struct vmm_loop *l);

/* Stop, forget every source and close the eventfd. Nothing may call
 * vmm_loop_wake() on its sources any more. */
void vmm_loop_close(struct vmm_loop *l);

#endif
