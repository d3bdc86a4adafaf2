/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vsock backend over UNIX sockets (the Firecracker convention, see
 * include/stdvmm/posix/net.h). Device callbacks run on vCPU threads under the
 * VM lock; the event-loop source takes the same lock around everything it
 * touches, so slot state needs no lock of its own.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/net.h"
#include "vsock_uds_internal.h"

#define UDS_PORT_SUFFIX 11 /* "_4294967295" */

/* ------------------------------------------------------------------ options */

int vmm_vsock_uds_parse(const char *arg, struct vmm_vsock_uds_opts *o, char *err, size_t errlen)
{
    const char *p = arg;
    bool have_cid = false;

    memset(o, 0, sizeof(*o));
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len > 4 && strncmp(p, "cid=", 4) == 0) {
            char num[24], *stop;
            unsigned long long v;

            if (len - 4 >= sizeof(num))
                goto bad_cid;
            memcpy(num, p + 4, len - 4);
            num[len - 4] = '\0';
            errno = 0;
            v = strtoull(num, &stop, 0);
            if (errno || *stop || num[0] == '-' || v < 3 || v > 0xfffffffeull)
                goto bad_cid;
            o->cid = v;
            have_cid = true;
        } else if (len > 4 && strncmp(p, "uds=", 4) == 0) {
            if (len - 4 >= sizeof(o->path) - UDS_PORT_SUFFIX) {
                snprintf(err, errlen, "--vsock %s: uds path longer than %zu bytes", arg,
                         sizeof(o->path) - UDS_PORT_SUFFIX - 1);
                return -VMM_EINVAL;
            }
            memcpy(o->path, p + 4, len - 4);
            o->path[len - 4] = '\0';
        } else {
            snprintf(err, errlen, "--vsock %s: unknown option '%.*s' (cid=N,uds=PATH)", arg,
                     (int)len, p);
            return -VMM_EINVAL;
        }
        p += len + (end ? 1 : 0);
    }
    if (!have_cid || o->path[0] == '\0') {
        snprintf(err, errlen, "--vsock %s: both cid=N and uds=PATH are needed", arg);
        return -VMM_EINVAL;
    }
    return 0;
bad_cid:
    snprintf(err, errlen, "--vsock %s: cid must be a number from 3 to 4294967294", arg);
    return -VMM_EINVAL;
}

/* ------------------------------------------------------------------ slots */

void vmm_vsock_uds_lock(struct vmm_vsock_uds *u)
{
    if (u->lock != NULL)
        pthread_mutex_lock(u->lock);
}

void vmm_vsock_uds_unlock(struct vmm_vsock_uds *u)
{
    if (u->lock != NULL)
        pthread_mutex_unlock(u->lock);
}

void vmm_vsock_uds_wake(struct vmm_vsock_uds *u)
{
    vmm_loop_wake(&u->src);
}

/* A free slot; failing that, one still draining guest data of a closed
 * connection to a host peer that does not read: its rest is dropped (counted
 * in lost_bytes), so closed connections cannot hold every slot (issue 10,
 * point 8). NULL when every slot is live. */
static struct vmm_vsock_uds_slot *slot_find(struct vmm_vsock_uds *u)
{
    struct vmm_vsock_uds_slot *draining = NULL;

    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS; i++) {
        if (u->slots[i].state == VMM_VSOCK_UDS_FREE)
            return &u->slots[i];
        if (u->slots[i].state == VMM_VSOCK_UDS_DRAINING && draining == NULL)
            draining = &u->slots[i];
    }
    if (draining != NULL)
        vmm_vsock_uds_slot_free(u, draining);
    return draining;
}

struct vmm_vsock_uds_slot *vmm_vsock_uds_slot_alloc(struct vmm_vsock_uds *u, int fd, uint8_t state)
{
    struct vmm_vsock_uds_slot *s = slot_find(u);

    if (s != NULL) {
        memset(s, 0, sizeof(*s));
        s->in = malloc(VMM_VSOCK_UDS_IN);
        s->out = malloc(VMM_VSOCK_UDS_OUT);
        if (s->in == NULL || s->out == NULL) {
            free(s->in);
            free(s->out);
            return NULL;
        }
        s->fd = fd;
        s->state = state;
        s->conn = -1;
        if (++u->next_gen == 0) /* 0 marks a free slot */
            u->next_gen = 1;
        s->gen = u->next_gen;
    }
    return s;
}

void vmm_vsock_uds_slot_free(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s)
{
    if (s->conn >= 0)
        u->conn_slot[s->conn] = -1;
    if (s->out_len > s->out_uncounted)
        u->lost_bytes += s->out_len - s->out_uncounted;
    close(s->fd);
    free(s->in);
    free(s->out);
    memset(s, 0, sizeof(*s));
    s->fd = -1;
}

void vmm_vsock_uds_slot_bind(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s, int conn)
{
    s->conn = conn;
    u->conn_slot[conn] = (int)(s - u->slots);
}

static struct vmm_vsock_uds_slot *conn_to_slot(struct vmm_vsock_uds *u, unsigned conn)
{
    int i = conn < VMM_VSOCK_MAX_CONNS ? u->conn_slot[conn] : -1;

    return i >= 0 ? &u->slots[i] : NULL;
}

/* Append @len bytes to @s's outgoing ring; false if they do not fit. */
static bool out_append(struct vmm_vsock_uds_slot *s, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (len > VMM_VSOCK_UDS_OUT - s->out_len)
        return false;
    for (size_t i = 0; i < len; i++)
        s->out[(s->out_head + s->out_len + i) % VMM_VSOCK_UDS_OUT] = p[i];
    s->out_len += len;
    return true;
}

/* ------------------------------------------------------------------ device callbacks */

static int uds_connect(void *ctx, unsigned conn, uint32_t port)
{
    struct vmm_vsock_uds *u = ctx;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct vmm_vsock_uds_slot *s;
    char path[sizeof(u->path) + UDS_PORT_SUFFIX + 1];
    int fd;

    /* vmm_vsock_uds_parse() left room for the suffix. */
    if ((size_t)snprintf(path, sizeof(path), "%s_%u", u->path, port) >= sizeof(sa.sun_path))
        return -VMM_EINVAL;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -VMM_EIO;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        vmm_dbg("vsock: guest connection to port %u: %s: %s", port, path, strerror(errno));
        close(fd);
        return -VMM_ENOENT;
    }
    s = vmm_vsock_uds_slot_alloc(u, fd, VMM_VSOCK_UDS_OPEN);
    if (s == NULL) {
        close(fd);
        return -VMM_ENOSPC;
    }
    vmm_vsock_uds_slot_bind(u, s, (int)conn);
    vmm_vsock_uds_wake(u);
    return 0;
}

static void uds_connected(void *ctx, unsigned conn)
{
    struct vmm_vsock_uds *u = ctx;
    struct vmm_vsock_uds_slot *s = conn_to_slot(u, conn);
    char line[VMM_VSOCK_UDS_LINE];
    int n;

    if (s == NULL || s->state != VMM_VSOCK_UDS_WAIT)
        return;
    s->state = VMM_VSOCK_UDS_OPEN;
    n = snprintf(line, sizeof(line), "OK %u\n", s->host_port);
    out_append(s, line, (size_t)n); /* the ring is empty: it fits */
    s->out_uncounted = (size_t)n;
    vmm_vsock_uds_wake(u);
}

static long uds_send(void *ctx, unsigned conn, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct vmm_vsock_uds *u = ctx;
    struct vmm_vsock_uds_slot *s = conn_to_slot(u, conn);
    struct iovec v[VMM_IOV_MAX];
    ssize_t n = 0;
    size_t total = 0, skip;

    if (s == NULL || nr_iov > VMM_IOV_MAX)
        return -VMM_EIO;
    for (unsigned i = 0; i < nr_iov; i++) {
        v[i] = (struct iovec){.iov_base = iov[i].base, .iov_len = iov[i].len};
        total += iov[i].len;
    }
    if (s->out_len == 0) { /* nothing queued: straight through */
        struct msghdr msg = {.msg_iov = v, .msg_iovlen = nr_iov};

        n = sendmsg(s->fd, &msg, MSG_NOSIGNAL); /* a gone peer is EPIPE, not SIGPIPE */
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -VMM_EIO;
        if (n < 0)
            n = 0;
    }
    skip = (size_t)n;
    for (unsigned i = 0; i < nr_iov; i++) {
        size_t off = skip < v[i].iov_len ? skip : v[i].iov_len;

        skip -= off;
        if (!out_append(s, (uint8_t *)v[i].iov_base + off, v[i].iov_len - off))
            return -VMM_ENOSPC; /* beyond the credit we gave: the device resets */
    }
    if (s->out_len > 0)
        vmm_vsock_uds_wake(u);
    return (long)n < (long)total ? (long)n : (long)total;
}

static void uds_shutdown(void *ctx, unsigned conn, unsigned flags)
{
    struct vmm_vsock_uds *u = ctx;
    struct vmm_vsock_uds_slot *s = conn_to_slot(u, conn);

    if (s == NULL)
        return;
    if (flags & VMM_VSOCK_SHUTDOWN_SEND)
        s->guest_shut_send = true;
    if (flags & VMM_VSOCK_SHUTDOWN_RCV)
        s->guest_shut_rcv = true;
    vmm_vsock_uds_wake(u);
}

static void uds_closed(void *ctx, unsigned conn)
{
    struct vmm_vsock_uds *u = ctx;
    struct vmm_vsock_uds_slot *s = conn_to_slot(u, conn);

    if (s == NULL)
        return;
    u->conn_slot[conn] = -1;
    s->conn = -1;
    if (s->state == VMM_VSOCK_UDS_OPEN && s->out_len > 0) {
        s->state = VMM_VSOCK_UDS_DRAINING; /* guest data already credited: deliver it */
        vmm_vsock_uds_wake(u);
        return;
    }
    vmm_vsock_uds_slot_free(u, s);
}

static void uds_rx_ready(void *ctx)
{
    vmm_vsock_uds_wake(ctx);
}

/* ------------------------------------------------------------------ lifecycle */

int vmm_vsock_uds_open(struct vmm_vsock_uds *u, const struct vmm_vsock_uds_opts *o, char *err,
                       size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int ret;

    memset(u, 0, sizeof(*u));
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
        u->conn_slot[i] = -1;
    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS; i++)
        u->slots[i].fd = -1;
    snprintf(u->path, sizeof(u->path), "%s", o->path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o->path);
    u->backend = (struct vmm_vsock_backend){
        .buf_alloc = VMM_VSOCK_UDS_BUF,
        .connect = uds_connect,
        .connected = uds_connected,
        .send = uds_send,
        .shutdown = uds_shutdown,
        .closed = uds_closed,
        .rx_ready = uds_rx_ready,
        .ctx = u,
    };
    atomic_init(&u->src.loop, NULL);
    atomic_init(&u->src.woken, false);
    /* A socket left by an earlier run is replaced; anything else is not touched. */
    if (lstat(o->path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(o->path);
    u->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (u->listen_fd < 0 || bind(u->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(u->listen_fd, 16) < 0) {
        ret = -errno;
        snprintf(err, errlen, "--vsock uds=%s: %s", o->path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (u->listen_fd >= 0)
        close(u->listen_fd);
    u->listen_fd = -1;
    return ret;
}

void vmm_vsock_uds_attach(struct vmm_vsock_uds *u, const struct vmm_vsock_host *host,
                          pthread_mutex_t *lock)
{
    u->host = *host;
    u->lock = lock;
}

int vmm_vsock_uds_start(struct vmm_vsock_uds *u, struct vmm_loop *loop)
{
    int ret;

    if (u->running)
        return 0;
    ret = vmm_loop_add(loop, &u->src, &vmm_vsock_uds_source_ops, u);
    if (ret < 0)
        return ret;
    u->running = true;
    return 0;
}

void vmm_vsock_uds_stop(struct vmm_vsock_uds *u)
{
    if (!u->running)
        return;
    vmm_loop_remove(&u->src);
    u->running = false;
}

void vmm_vsock_uds_close(struct vmm_vsock_uds *u)
{
    vmm_vsock_uds_stop(u);
    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS; i++)
        if (u->slots[i].state != VMM_VSOCK_UDS_FREE)
            vmm_vsock_uds_slot_free(u, &u->slots[i]);
    if (u->listen_fd >= 0) {
        close(u->listen_fd);
        unlink(u->path);
    }
    u->listen_fd = -1;
}

/* Host connections: accept4 on the listening socket, socket(AF_UNIX) and
 * connect for guest connections to PATH_P, send/sendmsg and shutdown. */
static const int vsock_uds_allow[] = {
    __NR_accept4, __NR_connect,  __NR_sendmsg,  __NR_recvmsg,
    __NR_sendto,  __NR_recvfrom, __NR_shutdown, __NR_getsockopt,
};
static const uint32_t vsock_uds_domains[] = {AF_UNIX};

const struct vmm_posix_syscalls vmm_vsock_uds_syscalls = {
    .allow = vsock_uds_allow,
    .nr_allow = VMM_POSIX_COUNT(vsock_uds_allow),
    .socket_domains = vsock_uds_domains,
    .nr_socket_domains = VMM_POSIX_COUNT(vsock_uds_domains),
};
