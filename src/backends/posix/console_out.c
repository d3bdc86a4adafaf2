/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console output queue (include/stdvmm/posix/console.h): a bounded ring
 * filled by vCPU threads and drained by one writer thread, so that a reader
 * who stops reading costs guest output, never a vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/console.h"
#include "stdvmm/posix/thread.h"

static int64_t out_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void out_wake(struct vmm_console_out *o)
{
    uint64_t one = 1;
    ssize_t n = write(o->wake_fd, &one, sizeof(one)); /* EAGAIN: already awake */
    (void)n;
}

/* Mapped, not calloc()ed: pages of the 64 KiB ring become resident only
 * once output reaches them (calloc() may clear, so touch, all of it). */
struct vmm_console_out *vmm_console_out_new(int fd)
{
    struct vmm_console_out *o =
        mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (o == MAP_FAILED)
        return NULL;
    o->fd = fd;
    o->w.fd = -1;
    o->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (o->wake_fd < 0) {
        munmap(o, sizeof(*o));
        return NULL;
    }
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    atomic_init(&o->dropped, 0);
    vmm_console_sanitizer_init(&o->san);
    return o;
}

void vmm_console_out_set_sanitize(struct vmm_console_out *o, bool on)
{
    o->sanitize = on;
}

long vmm_console_out_write(struct vmm_console_out *o, const uint8_t *buf, size_t len)
{
    size_t room, n, at, first;
    bool was_empty, failed;

    pthread_mutex_lock(&o->mu);
    failed = o->failed;
    room = VMM_CONSOLE_RING - (size_t)(o->head - o->tail);
    n = failed ? 0 : len < room ? len : room;
    at = (size_t)(o->head % VMM_CONSOLE_RING);
    first = n < VMM_CONSOLE_RING - at ? n : VMM_CONSOLE_RING - at;
    memcpy(o->ring + at, buf, first);
    memcpy(o->ring, buf + first, n - first);
    was_empty = o->head == o->tail;
    o->head += n;
    pthread_mutex_unlock(&o->mu);
    if (n < len)
        atomic_fetch_add(&o->dropped, (unsigned long)(len - n));
    if (n > 0 && was_empty)
        out_wake(o);
    if (failed)
        return -VMM_EIO;
    return n > 0 || len == 0 ? (long)n : -VMM_EAGAIN;
}

void vmm_console_wfd_open(struct vmm_console_wfd *w, int fd)
{
    struct stat st;
    char path[32];
    int nfd;

    w->fd = fd;
    w->mode = VMM_CONSOLE_W_FILE;
    if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        return; /* files never wait for a reader */
    if (S_ISSOCK(st.st_mode)) {
        w->mode = VMM_CONSOLE_W_SOCK;
        return;
    }
    /* A new open file description: O_NONBLOCK on it is ours alone, while
     * setting it on the inherited one would surprise the shell and every
     * other process writing the same pipe or terminal. */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (nfd < 0) {
        vmm_dbg("console output: cannot reopen fd %d (%s); writing it directly", fd,
                strerror(errno));
        w->mode = VMM_CONSOLE_W_BLOCKING;
        return;
    }
    w->fd = nfd;
    w->mode = VMM_CONSOLE_W_REOPENED;
}

ssize_t vmm_console_wfd_write(const struct vmm_console_wfd *w, const void *buf, size_t len)
{
    if (w->mode == VMM_CONSOLE_W_SOCK)
        return send(w->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    return write(w->fd, buf, len);
}

void vmm_console_wfd_close(struct vmm_console_wfd *w)
{
    if (w->mode == VMM_CONSOLE_W_REOPENED)
        close(w->fd);
    w->fd = -1;
}

/* Wait until w.fd takes bytes or stop is due; false to give up. */
static bool out_wait_writable(struct vmm_console_out *o)
{
    struct pollfd pfd[2] = {{.fd = o->w.fd, .events = POLLOUT},
                            {.fd = o->wake_fd, .events = POLLIN}};
    int timeout = -1;
    bool stop;

    pthread_mutex_lock(&o->mu);
    stop = o->stop;
    if (stop) {
        int64_t left = o->stop_deadline_ns - out_now_ns();
        timeout = left > 0 ? (int)(left / 1000000) + 1 : 0;
    }
    pthread_mutex_unlock(&o->mu);
    if (stop && timeout == 0)
        return false;
    if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
        return false;
    if (pfd[1].revents & POLLIN) {
        uint64_t count;
        ssize_t n = read(o->wake_fd, &count, sizeof(count));
        (void)n;
    }
    return true;
}

/* Write all of @buf unless the output fails or stop's deadline passes;
 * returns the bytes written. */
static size_t out_write_all(struct vmm_console_out *o, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        size_t piece = len - done;
        ssize_t n;

        /* A blocking pipe or terminal (no private reopening) gets pieces of
         * PIPE_BUF once poll says it is writable: a full one still blocks. */
        if (o->w.mode == VMM_CONSOLE_W_BLOCKING) {
            if (!out_wait_writable(o))
                return done;
            if (piece > PIPE_BUF)
                piece = PIPE_BUF;
        }
        n = vmm_console_wfd_write(&o->w, buf + done, piece);
        if (n > 0) {
            done += (size_t)n;
            o->written += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!out_wait_writable(o))
                return done;
            continue;
        }
        vmm_warn("console output: %s (further output dropped)",
                 n < 0 ? strerror(errno) : "short write");
        pthread_mutex_lock(&o->mu);
        o->failed = true;
        pthread_mutex_unlock(&o->mu);
        return done;
    }
    return done;
}

static void *out_thread(void *arg)
{
    struct vmm_console_out *o = arg;
    uint8_t raw[VMM_CONSOLE_CHUNK];
    uint8_t cooked[VMM_CONSOLE_SANITIZE_MAX(VMM_CONSOLE_CHUNK)];

    for (;;) {
        size_t n, len, at, lost;

        pthread_mutex_lock(&o->mu);
        n = (size_t)(o->head - o->tail);
        if (n == 0 || o->failed) {
            bool stop = o->stop;
            /* after a failure: drop what was queued */
            atomic_fetch_add(&o->dropped, (unsigned long)n);
            o->tail = o->head;
            pthread_cond_broadcast(&o->cv);
            pthread_mutex_unlock(&o->mu);
            if (stop)
                break;
            struct pollfd pfd = {.fd = o->wake_fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) > 0) {
                uint64_t count;
                ssize_t r = read(o->wake_fd, &count, sizeof(count));
                (void)r;
            }
            continue;
        }
        at = (size_t)(o->tail % VMM_CONSOLE_RING);
        if (n > VMM_CONSOLE_CHUNK)
            n = VMM_CONSOLE_CHUNK;
        if (n > VMM_CONSOLE_RING - at)
            n = VMM_CONSOLE_RING - at;
        memcpy(raw, o->ring + at, n);
        pthread_mutex_unlock(&o->mu);

        if (o->sanitize) {
            len = vmm_console_sanitize(&o->san, raw, n, cooked);
            /* escaped bytes do not map back: count the whole chunk */
            lost = out_write_all(o, cooked, len) < len ? n : 0;
        } else {
            lost = n - out_write_all(o, raw, n);
        }
        pthread_mutex_lock(&o->mu);
        o->tail += n;
        if (lost > 0) { /* a write error, or stop's deadline passed */
            atomic_fetch_add(&o->dropped, (unsigned long)lost);
            o->failed = true;
        }
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->mu);
    }
    if (o->sanitize && !o->failed) {
        uint8_t rest[32];
        size_t len = vmm_console_sanitize_end(&o->san, rest);
        if (len > 0)
            out_write_all(o, rest, len);
    }
    pthread_mutex_lock(&o->mu);
    o->exited = true;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

int vmm_console_out_start(struct vmm_console_out *o)
{
    int ret;

    vmm_console_wfd_open(&o->w, o->fd);
    ret = vmm_posix_thread_start(&o->thread, out_thread, o);
    if (ret != 0)
        return -ret;
    o->running = true;
    return 0;
}

bool vmm_console_out_flush(struct vmm_console_out *o, int timeout_ms)
{
    struct timespec until;
    bool empty;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&o->mu);
    while (o->head != o->tail && o->running && !o->exited)
        if (pthread_cond_timedwait(&o->cv, &o->mu, &until) == ETIMEDOUT)
            break;
    empty = o->head == o->tail;
    pthread_mutex_unlock(&o->mu);
    return empty;
}

unsigned long vmm_console_out_dropped(struct vmm_console_out *o)
{
    return atomic_load(&o->dropped);
}

unsigned long vmm_console_out_free(struct vmm_console_out *o, int timeout_ms)
{
    bool exited = true;
    unsigned long dropped;

    if (o == NULL)
        return 0;
    if (o->running) {
        struct timespec until;

        pthread_mutex_lock(&o->mu);
        o->stop = true;
        o->stop_deadline_ns = out_now_ns() + (int64_t)timeout_ms * 1000000;
        pthread_mutex_unlock(&o->mu);
        out_wake(o);
        /* Wait a little longer than the thread's own deadline. */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += timeout_ms / 1000 + 1;
        pthread_mutex_lock(&o->mu);
        while (!o->exited)
            if (pthread_cond_timedwait(&o->cv, &o->mu, &until) == ETIMEDOUT)
                break;
        exited = o->exited;
        pthread_mutex_unlock(&o->mu);
        if (!exited) {
            /* Only a blocking descriptor can hold it; it dies with the
             * process, and keeps its memory until then. */
            vmm_warn("console output: writer thread stuck in write(); left behind");
            pthread_detach(o->thread);
            return vmm_console_out_dropped(o);
        }
        pthread_join(o->thread, NULL);
    }
    if (o->w.fd >= 0)
        vmm_console_wfd_close(&o->w);
    close(o->wake_fd);
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    dropped = vmm_console_out_dropped(o);
    munmap(o, sizeof(*o));
    return dropped;
}
