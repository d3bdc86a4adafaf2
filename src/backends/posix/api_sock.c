/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's UNIX socket (posix/api_sock.h): an event-loop source
 * with a listening socket and up to VMM_API_SOCK_MAX_CLIENTS clients, all
 * non-blocking. A client's reply is written before its next request is
 * read, so one client holds at most one request and one reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/api_sock.h"

static uint64_t api_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void api_client_close(struct vmm_api_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->in_len = c->out_len = c->out_off = 0;
    c->close_after = false;
}

/* Write what is pending: 1 all written, 0 some left (the client does not
 * read yet), -1 the client is gone. */
static int api_client_flush(struct vmm_api_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    c->out_len = c->out_off = 0;
    c->since_ns = api_now_ns(); /* the idle clock restarts */
    return 1;
}

/* Queue the reply in @j for @c (the buffer is the client's own). */
static void api_client_reply(struct vmm_api_client *c, struct vmm_json *j)
{
    long n = vmm_json_finish(j);

    if (n < 0) { /* did not fit: say so in a reply that does */
        vmm_json_init(j, c->out, sizeof(c->out));
        vmm_api_error_reply(j, NULL, VMM_API_ERR_FAILED, "reply too large");
        n = vmm_json_finish(j);
    }
    c->out_len = n > 0 ? (size_t)n : 0;
    c->out_off = 0;
}

static void api_handle_line(struct vmm_api_sock *s, struct vmm_api_client *c, size_t len)
{
    struct vmm_api_request req;
    enum vmm_api_error err;
    const char *why;
    struct vmm_json j;

    vmm_json_init(&j, c->out, sizeof(c->out));
    if (vmm_api_parse(c->in, len, &req, &err, &why) < 0) {
        s->bad_requests++;
        if (vmm_ratelimit_first(&s->rl_bad))
            vmm_warn("--api-sock: bad request (%s: %s); further ones counted",
                     vmm_api_error_name(err), why);
        vmm_api_error_reply(&j, &req, err, why);
    } else {
        s->requests++;
        s->handler(s->ctx, &req, &j);
    }
    api_client_reply(c, &j);
}

/* Read and handle up to VMM_API_SOCK_BATCH lines, each reply written
 * before the next line is read; false: close the client now. */
static bool api_client_read(struct vmm_api_sock *s, struct vmm_api_client *c)
{
    for (unsigned done = 0; done < VMM_API_SOCK_BATCH;) {
        char *nl = memchr(c->in, '\n', c->in_len);
        ssize_t n;
        int r;

        if (nl != NULL) {
            size_t len = (size_t)(nl - c->in);

            api_handle_line(s, c, len);
            memmove(c->in, nl + 1, c->in_len - len - 1);
            c->in_len -= len + 1;
            done++;
            r = api_client_flush(c);
            if (r <= 0)
                return r == 0; /* 0: wait until it reads */
            continue;
        }
        if (c->in_len > VMM_API_MAX_REQUEST) { /* no newline within the limit */
            struct vmm_json j;

            s->bad_requests++;
            vmm_json_init(&j, c->out, sizeof(c->out));
            vmm_api_error_reply(&j, NULL, VMM_API_ERR_TOO_LONG, "request longer than 1024 bytes");
            api_client_reply(c, &j);
            c->close_after = true;
            c->in_len = 0;
            return api_client_flush(c) == 0; /* written (or gone): close now */
        }
        n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false; /* EOF or error */
        c->in_len += (size_t)n;
    }
    return true;
}

static void api_accept(struct vmm_api_sock *s)
{
    for (unsigned tries = 0; tries < VMM_API_SOCK_MAX_CLIENTS + 1; tries++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct vmm_api_client *c = NULL;

        if (fd < 0)
            return;
        for (unsigned i = 0; i < VMM_API_SOCK_MAX_CLIENTS; i++)
            if (s->clients[i].fd < 0) {
                c = &s->clients[i];
                break;
            }
        if (c == NULL) { /* best effort: one short write, then close */
            static const char busy[] = "{\"ok\":false,\"error\":\"busy\",\"detail\":"
                                       "\"too many clients\"}\n";
            ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);

            (void)n;
            close(fd);
            s->refused++;
            continue;
        }
        c->fd = fd;
        c->in_len = c->out_len = c->out_off = 0;
        c->close_after = false;
        c->since_ns = api_now_ns();
    }
}

static unsigned api_prepare(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                            int *timeout_ms)
{
    struct vmm_api_sock *s = src->ctx;
    uint64_t now = api_now_ns(), limit = (uint64_t)s->idle_ms * 1000000u;
    unsigned n = 0;

    if (s->tick != NULL) {
        int t = s->tick(s->ctx);

        if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
            *timeout_ms = t;
    }
    if (n < max)
        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (unsigned i = 0; i < VMM_API_SOCK_MAX_CLIENTS && n < max; i++) {
        struct vmm_api_client *c = &s->clients[i];
        int left;

        if (c->fd < 0)
            continue;
        if (now - c->since_ns >= limit) {
            s->timed_out++;
            api_client_close(c); /* idle, slow to send a request or to read a reply */
            continue;
        }
        pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->out_len ? POLLOUT : POLLIN};
        left = (int)((limit - (now - c->since_ns)) / 1000000u) + 1;
        if (*timeout_ms < 0 || left < *timeout_ms)
            *timeout_ms = left;
    }
    return n;
}

static struct vmm_api_client *api_client_of(struct vmm_api_sock *s, int fd)
{
    for (unsigned i = 0; i < VMM_API_SOCK_MAX_CLIENTS; i++)
        if (s->clients[i].fd == fd)
            return &s->clients[i];
    return NULL;
}

static void api_dispatch(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n,
                         bool woken)
{
    struct vmm_api_sock *s = src->ctx;

    (void)woken;
    for (unsigned i = 0; i < n; i++) {
        struct vmm_api_client *c;

        if (pfd[i].revents == 0)
            continue;
        if (pfd[i].fd == s->listen_fd) {
            api_accept(s);
            continue;
        }
        c = api_client_of(s, pfd[i].fd);
        if (c == NULL)
            continue;
        if (c->out_len > 0) {
            int r = api_client_flush(c);

            if (r < 0 || (r > 0 && c->close_after))
                api_client_close(c);
            if (r <= 0 || c->fd < 0)
                continue;
        }
        if (!api_client_read(s, c))
            api_client_close(c);
    }
}

static const struct vmm_loop_source_ops api_source_ops = {
    .prepare = api_prepare,
    .dispatch = api_dispatch,
};

/* An existing @path: a socket nobody listens on is stale (replace it),
 * anything else is refused. */
static int api_check_path(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, ret, err;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -VMM_EACCES;
    if (!S_ISSOCK(st.st_mode)) {
        vmm_err("--api-sock %s: exists and is not a socket", path);
        return -VMM_EEXIST;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -VMM_EIO;
    ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    err = errno;
    close(fd);
    if (ret == 0 || err != ECONNREFUSED) {
        vmm_err("--api-sock %s: in use (another stdvmm serves it?)", path);
        return -VMM_EEXIST;
    }
    if (unlink(path) < 0) {
        vmm_err("--api-sock %s: cannot remove the stale socket: %s", path, strerror(errno));
        return -VMM_EACCES;
    }
    return 0;
}

int vmm_api_sock_open(struct vmm_api_sock *s, const char *path, vmm_api_handler handler,
                      vmm_api_tick tick, void *ctx)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    mode_t old_mask;
    int ret, err;

    memset(s, 0, sizeof(*s));
    s->listen_fd = -1;
    for (unsigned i = 0; i < VMM_API_SOCK_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    s->handler = handler;
    s->tick = tick;
    s->idle_ms = VMM_API_SOCK_IDLE_MS;
    s->ctx = ctx;
    if (len == 0 || len >= sizeof(sa.sun_path)) {
        vmm_err("--api-sock %s: the path must have 1 to %zu bytes", path, sizeof(sa.sun_path) - 1);
        return -VMM_EINVAL;
    }
    memcpy(s->path, path, len + 1);
    memcpy(sa.sun_path, path, len + 1);
    ret = api_check_path(path);
    if (ret < 0)
        return ret;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0) {
        vmm_err("--api-sock %s: socket: %s", path, strerror(errno));
        return -VMM_EIO;
    }
    old_mask = umask(0177); /* created 0600: never a moment with wider access */
    ret = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    err = errno;
    umask(old_mask);
    if (ret == 0 && chmod(path, 0600) < 0)
        err = errno, ret = -1;
    if (ret == 0 && listen(s->listen_fd, VMM_API_SOCK_MAX_CLIENTS) < 0)
        err = errno, ret = -1;
    if (ret < 0) {
        vmm_err("--api-sock %s: %s", path, strerror(err));
        close(s->listen_fd);
        s->listen_fd = -1;
        return err == EACCES ? -VMM_EACCES : err == EADDRINUSE ? -VMM_EEXIST : -VMM_EIO;
    }
    return 0;
}

int vmm_api_sock_start(struct vmm_api_sock *s, struct vmm_loop *loop)
{
    int ret = vmm_loop_add(loop, &s->src, &api_source_ops, s);

    s->started = ret == 0;
    return ret;
}

void vmm_api_sock_stop(struct vmm_api_sock *s)
{
    if (s->started)
        vmm_loop_remove(&s->src);
    s->started = false;
}

void vmm_api_sock_close(struct vmm_api_sock *s)
{
    vmm_api_sock_stop(s);
    for (unsigned i = 0; i < VMM_API_SOCK_MAX_CLIENTS; i++)
        api_client_close(&s->clients[i]);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
    if (s->requests || s->bad_requests || s->refused || s->timed_out)
        vmm_info("--api-sock: %lu requests, %lu bad, %lu clients refused, %lu timed out",
                 s->requests, s->bad_requests, s->refused, s->timed_out);
}

/* accept4 for clients, sendto for send(MSG_NOSIGNAL): a client that left
 * must not raise SIGPIPE. */
static const int api_sock_allow[] = {__NR_accept4, __NR_sendto};

const struct vmm_posix_syscalls vmm_api_sock_syscalls = {
    .allow = api_sock_allow,
    .nr_allow = VMM_POSIX_COUNT(api_sock_allow),
};
