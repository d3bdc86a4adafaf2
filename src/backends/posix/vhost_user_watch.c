/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Watching a vhost-user backend from the event loop (posix/vhost_user.h):
 * between exchanges nothing may arrive on the socket (stdvmm negotiates no
 * backend-initiated channel), so readable means the backend hung up (EOF,
 * a crash or kill) or sent something unasked, and a signalled error
 * eventfd means it gave up on a ring. Each ends the backend for the VMM
 * and puts the device in DEVICE_NEEDS_RESET; the VM goes on.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/vhost_user.h"

static unsigned watch_prepare(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                              int *timeout_ms)
{
    struct vmm_vhost_user *u = src->ctx;
    unsigned n = 0;

    (void)timeout_ms;
    if (u->reported || max < 1 + u->nr_queues)
        return 0;
    pfd[n++] = (struct pollfd){.fd = u->sock, .events = POLLIN};
    for (unsigned q = 0; q < u->nr_queues; q++)
        pfd[n++] = (struct pollfd){.fd = u->err_fd[q], .events = POLLIN};
    return n;
}

/* With the device lock held: exchanges run under it, so a reply the vCPU
 * thread was waiting for has been read by now and what is left is news. */
static int watch_check(struct vmm_vhost_user *u, const struct pollfd *pfd, unsigned n)
{
    uint8_t byte;
    ssize_t got;

    if (u->dead)
        return u->dead_err ? u->dead_err : -VMM_EPIPE;
    for (unsigned i = 1; i < n; i++) {
        uint64_t v;

        if ((pfd[i].revents & POLLIN) && read(pfd[i].fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            if (vmm_ratelimit_first(&u->rl))
                vmm_warn("%s: vhost-user backend %s signalled an error on queue %u", u->name,
                         u->path, i - 1);
            return -VMM_EIO;
        }
    }
    if (n == 0 || !(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    got = recv(u->sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (vmm_ratelimit_first(&u->rl))
        vmm_warn("%s: vhost-user backend %s %s", u->name, u->path,
                 got > 0 ? "sent a message nobody asked for" : "hung up (exited or crashed)");
    return got > 0 ? -VMM_EPROTO : -VMM_EPIPE;
}

static void watch_dispatch(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n,
                           bool woken)
{
    struct vmm_vhost_user *u = src->ctx;
    int ret;

    (void)woken;
    if (u->lock)
        pthread_mutex_lock(u->lock);
    ret = u->reported ? 0 : watch_check(u, pfd, n);
    if (ret < 0) {
        u->dead = true;
        if (u->dead_err == 0)
            u->dead_err = ret;
        u->reported = true;
        if (u->sink.failed)
            u->sink.failed(u->sink.dev, ret);
    }
    if (u->lock)
        pthread_mutex_unlock(u->lock);
}

static const struct vmm_loop_source_ops watch_ops = {
    .prepare = watch_prepare,
    .dispatch = watch_dispatch,
};

int vmm_vhost_user_start(struct vmm_vhost_user *u, struct vmm_loop *loop)
{
    int ret;

    if (u->in_loop)
        return 0;
    ret = vmm_loop_add(loop, &u->src, &watch_ops, u);
    if (ret == 0)
        u->in_loop = true;
    return ret;
}

void vmm_vhost_user_stop(struct vmm_vhost_user *u)
{
    if (!u->in_loop)
        return;
    vmm_loop_remove(&u->src);
    u->in_loop = false;
}
