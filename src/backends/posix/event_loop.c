/* SPDX-License-Identifier: BSD-2-Clause */
/* The hosted backends' event loop; see include/stdvmm/posix/loop.h. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/thread.h"

static uint64_t loop_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int vmm_loop_init(struct vmm_loop *l)
{
    int ret;

    memset(l, 0, sizeof(*l));
    atomic_init(&l->stop, false);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->wake_fd < 0) /* a VMM_E* code: EMFILE/ENFILE are the descriptor table */
        return errno == EMFILE || errno == ENFILE ? -VMM_ENOSPC
               : errno == ENOMEM                  ? -VMM_ENOMEM
                                                  : -VMM_EIO;
    ret = pthread_mutex_init(&l->lock, NULL);
    if (ret != 0) {
        close(l->wake_fd);
        l->wake_fd = -1;
        return -ret;
    }
    return 0;
}

static void loop_kick(struct vmm_loop *l)
{
    uint64_t one = 1;
    ssize_t n = write(l->wake_fd, &one, sizeof(one)); /* EAGAIN: already awake */

    (void)n;
}

int vmm_loop_add(struct vmm_loop *l, struct vmm_loop_source *src,
                 const struct vmm_loop_source_ops *ops, void *ctx)
{
    int ret = -VMM_ENOSPC;

    pthread_mutex_lock(&l->lock);
    if (l->nr_src < VMM_LOOP_MAX_SOURCES) {
        src->ops = ops;
        src->ctx = ctx;
        src->deadline_ns = 0;
        src->nr = 0;
        l->src[l->nr_src++] = src;
        atomic_store(&src->loop, l);
        atomic_store(&src->woken, true); /* a first look at its state */
        ret = 0;
    }
    pthread_mutex_unlock(&l->lock);
    if (ret == 0)
        loop_kick(l);
    return ret;
}

void vmm_loop_remove(struct vmm_loop_source *src)
{
    struct vmm_loop *l = atomic_load(&src->loop);

    if (l == NULL)
        return;
    pthread_mutex_lock(&l->lock); /* a round in progress ends first */
    for (unsigned i = 0; i < l->nr_src; i++) {
        if (l->src[i] == src) {
            l->src[i] = l->src[--l->nr_src];
            break;
        }
    }
    atomic_store(&src->loop, NULL);
    pthread_mutex_unlock(&l->lock);
}

void vmm_loop_wake(struct vmm_loop_source *src)
{
    struct vmm_loop *l;

    atomic_store(&src->woken, true);
    l = atomic_load(&src->loop);
    if (l != NULL)
        loop_kick(l);
}

/* Ask every source for its fds; returns the pollfd count, wake fd first. */
static nfds_t loop_prepare(struct vmm_loop *l, int *timeout_ms, uint64_t now)
{
    nfds_t n = 1;

    l->pfd[0] = (struct pollfd){.fd = l->wake_fd, .events = POLLIN};
    for (unsigned i = 0; i < l->nr_src; i++) {
        struct vmm_loop_source *s = l->src[i];
        int t = -1;

        s->first = (unsigned)n;
        s->nr = s->ops->prepare(s, &l->pfd[n], (unsigned)(1 + VMM_LOOP_MAX_FDS - n), &t);
        if (s->nr > 1 + VMM_LOOP_MAX_FDS - n) { /* a source's bug: keep what fits */
            l->fds_dropped++;
            s->nr = (unsigned)(1 + VMM_LOOP_MAX_FDS - n);
        }
        for (unsigned j = 0; j < s->nr; j++)
            l->pfd[n + j].revents = 0;
        n += s->nr;
        if (t < 0) {
            s->deadline_ns = 0;
            continue;
        }
        /* A deadline stands until the source is dispatched: rounds for
         * other sources do not push it back. */
        if (s->deadline_ns == 0 || now + (uint64_t)t * 1000000u < s->deadline_ns)
            s->deadline_ns = now + (uint64_t)t * 1000000u;
        t = s->deadline_ns > now ? (int)((s->deadline_ns - now + 999999u) / 1000000u) : 0;
        if (*timeout_ms < 0 || t < *timeout_ms)
            *timeout_ms = t;
    }
    return n;
}

/* Call each source that has events, was woken or timed out, once. */
static void loop_dispatch(struct vmm_loop *l, uint64_t now)
{
    for (unsigned i = 0; i < l->nr_src; i++) {
        struct vmm_loop_source *s = l->src[i];
        bool woken = atomic_exchange(&s->woken, false);
        bool ready = woken || (s->deadline_ns != 0 && now >= s->deadline_ns);

        for (unsigned j = 0; j < s->nr && !ready; j++)
            ready = l->pfd[s->first + j].revents != 0;
        if (!ready)
            continue;
        s->deadline_ns = 0;
        s->ops->dispatch(s, &l->pfd[s->first], s->nr, woken);
    }
}

int vmm_loop_run_once(struct vmm_loop *l, int timeout_ms)
{
    nfds_t n;
    int r;

    pthread_mutex_lock(&l->lock);
    n = loop_prepare(l, &timeout_ms, loop_now_ns());
    pthread_mutex_unlock(&l->lock);
    r = poll(l->pfd, n, timeout_ms);
    if (r < 0 && errno != EINTR)
        return -errno;
    if (r < 0)
        r = 0;
    if (l->pfd[0].revents & POLLIN) {
        uint64_t count;
        ssize_t rd = read(l->wake_fd, &count, sizeof(count));

        (void)rd;
    }
    /* A source added while we polled has nr 0 and is woken; one removed
     * is no longer in the list. */
    pthread_mutex_lock(&l->lock);
    loop_dispatch(l, loop_now_ns());
    l->rounds++;
    pthread_mutex_unlock(&l->lock);
    return r;
}

static void *loop_thread(void *arg)
{
    struct vmm_loop *l = arg;

    while (!atomic_load(&l->stop)) {
        int r = vmm_loop_run_once(l, -1);

        if (r < 0) {
            vmm_err("event loop: poll: %s (console input, network and vsock stopped)",
                    vmm_strerror(r));
            break;
        }
    }
    return NULL;
}

int vmm_loop_start(struct vmm_loop *l)
{
    int ret;

    if (l->running)
        return 0;
    atomic_store(&l->stop, false);
    ret = vmm_posix_thread_start(&l->thread, loop_thread, l);
    if (ret != 0)
        return -ret;
    l->running = true;
    return 0;
}

void vmm_loop_stop(struct vmm_loop *l)
{
    if (!l->running)
        return;
    atomic_store(&l->stop, true);
    loop_kick(l);
    pthread_join(l->thread, NULL);
    l->running = false;
}

void vmm_loop_close(struct vmm_loop *l)
{
    vmm_loop_stop(l);
    if (l->wake_fd < 0)
        return;
    pthread_mutex_lock(&l->lock);
    for (unsigned i = 0; i < l->nr_src; i++)
        atomic_store(&l->src[i]->loop, NULL);
    l->nr_src = 0;
    pthread_mutex_unlock(&l->lock);
    pthread_mutex_destroy(&l->lock);
    close(l->wake_fd);
    l->wake_fd = -1;
}
