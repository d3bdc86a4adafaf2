/* SPDX-License-Identifier: BSD-2-Clause */
/* The vhost-user frontend's set-up and ring control (posix/vhost_user.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/vhost_user.h"

/* Protocol features stdvmm understands and asks for when offered. */
#define WANTED_PROTOCOL_FEATURES                                                                   \
    ((1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |          \
     (1ull << VHOST_USER_PROTOCOL_F_MQ))

/* ------------------------------------------------------------- options */
static int opt_error(char *err, size_t errlen, const char *value, const char *why)
{
    snprintf(err, errlen, "%s: %s", value, why);
    return -VMM_EINVAL;
}

int vmm_vhost_user_parse(const char *value, bool want_tag, struct vmm_vhost_user_opts *o, char *err,
                         size_t errlen)
{
    const char *p = value;

    memset(o, 0, sizeof(*o));
    if (value == NULL)
        return opt_error(err, errlen, "", "needs socket=PATH");
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len > 7 && strncmp(p, "socket=", 7) == 0) {
            if (len - 7 >= sizeof(o->path))
                return opt_error(err, errlen, value, "socket path too long");
            memcpy(o->path, p + 7, len - 7);
        } else if (want_tag && len > 4 && strncmp(p, "tag=", 4) == 0) {
            if (len - 4 > VHOST_USER_TAG_MAX)
                return opt_error(err, errlen, value, "tag longer than 36 bytes");
            memcpy(o->tag, p + 4, len - 4);
        } else {
            return opt_error(err, errlen, value,
                             want_tag ? "unknown key (tag=TAG,socket=PATH)"
                                      : "unknown key (socket=PATH)");
        }
        p += len + (end ? 1 : 0);
    }
    if (o->path[0] == '\0')
        return opt_error(err, errlen, value, "needs socket=PATH");
    if (want_tag && o->tag[0] == '\0')
        return opt_error(err, errlen, value, "needs tag=TAG");
    return 0;
}

/* --------------------------------------------------------------- open */
/* The socket must be a socket owned by us or root (not a file another user
 * could swap in), and so must the process on the other end. */
static int check_socket(struct vmm_vhost_user *u, char *err, size_t errlen)
{
    struct stat st;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uid_t me = geteuid();

    if (lstat(u->path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", u->path, strerror(errno));
        return errno == ENOENT ? -VMM_ENOENT : -VMM_EACCES;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s: not a UNIX socket", u->path);
        return -VMM_EINVAL;
    }
    if (st.st_uid != me && st.st_uid != 0) {
        snprintf(err, errlen, "%s: owned by uid %u, not by us (%u) or root", u->path,
                 (unsigned)st.st_uid, (unsigned)me);
        return -VMM_EACCES;
    }
    if (getsockopt(u->sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid != me &&
        cred.uid != 0) {
        snprintf(err, errlen, "%s: the backend runs as uid %u, not as us (%u) or root", u->path,
                 (unsigned)cred.uid, (unsigned)me);
        return -VMM_EACCES;
    }
    return 0;
}

static int connect_socket(struct vmm_vhost_user *u, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = u->timeout_ms / 1000, .tv_usec = (u->timeout_ms % 1000) * 1000};

    memcpy(sa.sun_path, u->path, strlen(u->path));
    u->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u->sock < 0) {
        snprintf(err, errlen, "%s: socket: %s", u->path, strerror(errno));
        return -VMM_EIO;
    }
    if (connect(u->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "%s: cannot connect: %s (is the backend running?)", u->path,
                 strerror(errno));
        return -VMM_EIO;
    }
    if (setsockopt(u->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(u->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
        snprintf(err, errlen, "%s: socket timeouts: %s", u->path, strerror(errno));
        return -VMM_EIO;
    }
    return check_socket(u, err, errlen);
}

static int handshake(struct vmm_vhost_user *u, uint32_t config_size, char *err, size_t errlen)
{
    struct vmm_vhost_msg m;
    struct vmm_vhost_reply r;
    int ret;

    vmm_vhost_msg_plain(&m, VHOST_USER_GET_FEATURES, false);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, &r)) < 0)
        goto fail;
    u->backend.features = r.u64;
    u->has_protocol_features = (r.u64 >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
    if (u->has_protocol_features) {
        vmm_vhost_msg_plain(&m, VHOST_USER_GET_PROTOCOL_FEATURES, false);
        if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, &r)) < 0)
            goto fail;
        u->protocol_features = r.u64 & WANTED_PROTOCOL_FEATURES;
        vmm_vhost_msg_u64(&m, VHOST_USER_SET_PROTOCOL_FEATURES, u->protocol_features, false);
        if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
            goto fail;
        u->reply_ack = (u->protocol_features >> VHOST_USER_PROTOCOL_F_REPLY_ACK) & 1;
    }
    vmm_vhost_msg_plain(&m, VHOST_USER_SET_OWNER, u->reply_ack);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
        goto fail;
    u->backend.max_queues = u->nr_queues;
    if ((u->protocol_features >> VHOST_USER_PROTOCOL_F_MQ) & 1) {
        vmm_vhost_msg_plain(&m, VHOST_USER_GET_QUEUE_NUM, false);
        if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, &r)) < 0)
            goto fail;
        u->backend.max_queues = r.u64 < u->nr_queues ? (unsigned)r.u64 : u->nr_queues;
    }
    if (config_size > 0) {
        if (!((u->protocol_features >> VHOST_USER_PROTOCOL_F_CONFIG) & 1)) {
            snprintf(err, errlen, "%s: the backend offers no configuration space (CONFIG)",
                     u->path);
            return -VMM_ENOTSUP;
        }
        vmm_vhost_msg_get_config(&m, 0, config_size);
        if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, config_size, &r)) < 0)
            goto fail;
        if (r.config_offset != 0) {
            ret = -VMM_EPROTO;
            goto fail;
        }
        u->backend.config_size = config_size;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s: vhost-user handshake failed: %s", u->path, vmm_strerror(ret));
    return ret;
}

static int make_eventfds(struct vmm_vhost_user *u, char *err, size_t errlen)
{
    for (unsigned q = 0; q < u->nr_queues; q++) {
        u->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        u->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        u->err_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (u->kick_fd[q] < 0 || u->call_fd[q] < 0 || u->err_fd[q] < 0) {
            snprintf(err, errlen, "%s: eventfd: %s", u->path, strerror(errno));
            return -VMM_EIO;
        }
    }
    return 0;
}

/* ----------------------------------------------------- rings (device calls) */
static int user_addr(const struct vmm_vhost_user *u, uint64_t gpa, uint64_t len, uint64_t *ua)
{
    for (unsigned i = 0; i < u->mem.nr; i++) {
        const struct vmm_vhost_region *r = &u->mem.region[i];

        if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa)) {
            *ua = r->uaddr + (gpa - r->gpa);
            return 0;
        }
    }
    return -VMM_EFAULT;
}

static int ring_fd(struct vmm_vhost_user *u, uint32_t req, unsigned q, int fd)
{
    struct vmm_vhost_msg m;

    vmm_vhost_msg_u64(&m, req, q & VHOST_USER_VRING_IDX_MASK, u->reply_ack);
    return vmm_vhost_user_call(u, &m, &fd, 1, 0, NULL);
}

static int start_ring(struct vmm_vhost_user *u, unsigned q, const struct vmm_vhost_ring *r)
{
    struct vmm_vhost_msg m;
    uint64_t desc, avail, used;
    int ret;

    if (user_addr(u, r->desc_gpa, 16ull * r->num, &desc) < 0 ||
        user_addr(u, r->avail_gpa, 6ull + 2ull * r->num, &avail) < 0 ||
        user_addr(u, r->used_gpa, 6ull + 8ull * r->num, &used) < 0)
        return -VMM_EFAULT;
    vmm_vhost_msg_state(&m, VHOST_USER_SET_VRING_NUM, q, r->num, u->reply_ack);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
        return ret;
    vmm_vhost_msg_state(&m, VHOST_USER_SET_VRING_BASE, q, 0, u->reply_ack);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
        return ret;
    vmm_vhost_msg_addr(&m, q, desc, used, avail, u->reply_ack);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
        return ret;
    u->ring_started[q] = true; /* from the kick on, GET_VRING_BASE stops it */
    if ((ret = ring_fd(u, VHOST_USER_SET_VRING_CALL, q, u->call_fd[q])) < 0 ||
        (ret = ring_fd(u, VHOST_USER_SET_VRING_ERR, q, u->err_fd[q])) < 0 ||
        (ret = ring_fd(u, VHOST_USER_SET_VRING_KICK, q, u->kick_fd[q])) < 0)
        return ret;
    if (u->has_protocol_features) {
        vmm_vhost_msg_state(&m, VHOST_USER_SET_VRING_ENABLE, q, 1, u->reply_ack);
        ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL);
    }
    return ret;
}

static void backend_stop(void *ctx)
{
    struct vmm_vhost_user *u = ctx;
    struct vmm_vhost_msg m;

    for (unsigned q = 0; q < u->nr_queues; q++) {
        if (!u->ring_started[q])
            continue;
        u->ring_started[q] = false;
        if (u->dead)
            continue;
        vmm_vhost_msg_state(&m, VHOST_USER_GET_VRING_BASE, q, 0, false);
        (void)vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL);
    }
}

static int backend_start(void *ctx, uint64_t features, const struct vmm_vhost_ring *rings,
                         const bool *ready, unsigned nr)
{
    struct vmm_vhost_user *u = ctx;
    struct vmm_vhost_msg m;
    int ret;

    if (u->dead)
        return u->dead_err ? u->dead_err : -VMM_EPIPE;
    if (nr > u->nr_queues || u->mem.nr == 0)
        return -VMM_EINVAL;
    backend_stop(u); /* a start without a reset in between */
    u->starts++;
    if (u->has_protocol_features)
        features |= 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
    vmm_vhost_msg_u64(&m, VHOST_USER_SET_FEATURES, features, u->reply_ack);
    if ((ret = vmm_vhost_user_call(u, &m, NULL, 0, 0, NULL)) < 0)
        return ret;
    ret = vmm_vhost_msg_mem_table(&m, u->mem.region, u->mem.nr, u->reply_ack);
    if (ret == 0)
        ret = vmm_vhost_user_call(u, &m, u->mem.fd, u->mem.nr, 0, NULL);
    for (unsigned q = 0; ret == 0 && q < nr; q++)
        if (ready[q])
            ret = start_ring(u, q, &rings[q]);
    return ret;
}

/* A kick that reached the VMM (a trapped QueueNotify write: before the
 * ioeventfd is wired, or DRIVER_OK's catch-up kick). */
static void backend_kick(void *ctx, unsigned q)
{
    struct vmm_vhost_user *u = ctx;
    uint64_t one = 1;

    if (q < u->nr_queues && u->kick_fd[q] >= 0) {
        u->trapped_kicks++;
        (void)!write(u->kick_fd[q], &one, sizeof(one)); /* EAGAIN: counter full, kick pending */
    }
}

int vmm_vhost_user_open(struct vmm_vhost_user *u, const char *name,
                        const struct vmm_vhost_user_opts *o, unsigned nr_queues,
                        uint32_t config_size, char *err, size_t errlen)
{
    int ret;

    memset(u, 0, sizeof(*u));
    u->sock = -1;
    for (unsigned q = 0; q < VHOST_USER_MAX_QUEUES; q++)
        u->kick_fd[q] = u->call_fd[q] = u->err_fd[q] = -1;
    snprintf(u->name, sizeof(u->name), "%s", name);
    memcpy(u->path, o->path, sizeof(u->path));
    u->path[sizeof(u->path) - 1] = '\0';
    u->timeout_ms = VHOST_USER_TIMEOUT_MS;
    if (nr_queues == 0 || nr_queues > VHOST_USER_MAX_QUEUES ||
        config_size > VHOST_USER_MAX_CONFIG) {
        snprintf(err, errlen, "%s: bad queue count or configuration size", u->path);
        return -VMM_EINVAL;
    }
    u->nr_queues = nr_queues;
    u->backend = (struct vmm_vhost_backend){
        .start = backend_start,
        .stop = backend_stop,
        .kick = backend_kick,
        .ctx = u,
    };
    ret = connect_socket(u, err, errlen);
    if (ret == 0)
        ret = handshake(u, config_size, err, errlen);
    if (ret == 0)
        ret = make_eventfds(u, err, errlen);
    return ret;
}

void vmm_vhost_user_set_mem(struct vmm_vhost_user *u, const struct vmm_vhost_mem *mem)
{
    u->mem = *mem;
}

void vmm_vhost_user_attach(struct vmm_vhost_user *u, const struct vmm_vhost_sink *sink,
                           pthread_mutex_t *lock)
{
    u->sink = *sink;
    u->lock = lock;
}

int vmm_vhost_user_wire(struct vmm_vhost_user *u, const struct vmm_vhost_wiring *w,
                        uint64_t notify_addr, unsigned irq)
{
    int ret;

    if (u->wired)
        return 0;
    for (unsigned q = 0; q < u->nr_queues; q++) {
        ret = w->ioeventfd(w->ctx, notify_addr, 4, q, u->kick_fd[q]);
        if (ret == 0)
            ret = w->irqfd(w->ctx, irq, u->call_fd[q]);
        if (ret < 0)
            return ret;
    }
    u->wired = true;
    return 0;
}

void vmm_vhost_user_close(struct vmm_vhost_user *u)
{
    vmm_vhost_user_stop(u);
    for (unsigned q = 0; q < VHOST_USER_MAX_QUEUES; q++) {
        int *fds[3] = {&u->kick_fd[q], &u->call_fd[q], &u->err_fd[q]};

        for (unsigned i = 0; i < 3; i++)
            if (*fds[i] >= 0) {
                close(*fds[i]);
                *fds[i] = -1;
            }
    }
    if (u->sock >= 0)
        close(u->sock);
    u->sock = -1;
}

static const int vhost_user_allow[] = {
    __NR_sendmsg,  /* requests with their fds (SET_MEM_TABLE, SET_VRING_*) */
    __NR_recvmsg,  /* replies */
    __NR_recvfrom, /* the watch's MSG_PEEK (recv) */
};

const struct vmm_posix_syscalls vmm_vhost_user_syscalls = {
    .allow = vhost_user_allow,
    .nr_allow = VMM_POSIX_COUNT(vhost_user_allow),
};
