/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user exchanges on the socket (posix/vhost_user.h): a request with
 * its fds, the reply read against a deadline and checked by the portable
 * parser, and the event-loop source that notices a backend going away.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/vhost_user.h"

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* From now on no message goes out: the device hears it from the loop
 * source, or from the failed start/stop the caller is in. */
static int mark_dead(struct vmm_vhost_user *u, int err, const char *what, uint32_t req)
{
    if (!u->dead && vmm_ratelimit_first(&u->rl))
        vmm_warn("%s: vhost-user backend %s: %s %s (%s); the device needs reset", u->name, u->path,
                 what, vmm_vhost_req_name(req), vmm_strerror(err));
    u->dead = true;
    if (u->dead_err == 0)
        u->dead_err = err;
    return err;
}

static int send_msg(struct vmm_vhost_user *u, const struct vmm_vhost_msg *m, const int *fds,
                    unsigned nr_fds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)m->buf, .iov_len = m->len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;

    if (nr_fds > VHOST_USER_MAX_REGIONS)
        return -VMM_EINVAL;
    if (nr_fds > 0) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nr_fds);
    }
    do {
        n = sendmsg(u->sock, &mh, MSG_NOSIGNAL); /* SO_SNDTIMEO bounds it */
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)m->len)
        return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -VMM_ETIMEDOUT;
    return n < 0 ? -VMM_EPIPE : -VMM_EIO; /* a short write of a small message: gone */
}

/* Read exactly @len bytes before @deadline (SO_RCVTIMEO bounds each call).
 * A backend must not pass fds in replies: MSG_CTRUNC (the kernel dropped
 * them, having no buffer for them) is a protocol violation. */
static int recv_exact(struct vmm_vhost_user *u, uint8_t *buf, size_t len, uint64_t deadline)
{
    size_t got = 0;

    while (got < len) {
        struct iovec iov = {.iov_base = buf + got, .iov_len = len - got};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(u->sock, &mh, MSG_CMSG_CLOEXEC);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -VMM_ETIMEDOUT;
        if (n < 0)
            return -VMM_EPIPE;
        if (n == 0)
            return -VMM_EPIPE;
        if (mh.msg_flags & MSG_CTRUNC)
            return -VMM_EPROTO;
        got += (size_t)n;
        if (got < len && now_ms() >= deadline)
            return -VMM_ETIMEDOUT;
    }
    return 0;
}

static int recv_reply(struct vmm_vhost_user *u, uint32_t req, uint32_t config_size,
                      struct vmm_vhost_reply *reply, struct vmm_vhost_msg *in)
{
    uint64_t deadline = now_ms() + u->timeout_ms;
    uint32_t size;
    int ret = recv_exact(u, in->buf, VHOST_USER_HDR_SIZE, deadline);

    if (ret < 0)
        return ret;
    if (vmm_vhost_check_header(in->buf, VHOST_USER_HDR_SIZE, req, &size) < 0)
        return -VMM_EPROTO;
    ret = recv_exact(u, in->buf + VHOST_USER_HDR_SIZE, size, deadline);
    if (ret < 0)
        return ret;
    in->len = VHOST_USER_HDR_SIZE + size;
    return vmm_vhost_parse_reply(in->buf, in->len, req, config_size, reply);
}

int vmm_vhost_user_call(struct vmm_vhost_user *u, struct vmm_vhost_msg *m, const int *fds,
                        unsigned nr_fds, uint32_t config_size, struct vmm_vhost_reply *reply)
{
    uint32_t req = vmm_get_le32(m->buf);
    bool acked = (vmm_get_le32(m->buf + 4) & VHOST_USER_FLAG_NEED_REPLY) != 0;
    struct vmm_vhost_reply local;
    struct vmm_vhost_msg in;
    int ret;

    if (u->dead)
        return u->dead_err ? u->dead_err : -VMM_EPIPE;
    u->messages++;
    ret = send_msg(u, m, fds, nr_fds);
    if (ret < 0)
        return mark_dead(u, ret, "cannot send", req);
    if (!vmm_vhost_req_has_reply(req) && !acked)
        return 0;
    if (reply == NULL)
        reply = &local;
    ret = recv_reply(u, req, config_size, reply, &in);
    if (ret < 0)
        return mark_dead(u, ret, ret == -VMM_EPROTO ? "malformed reply to" : "no reply to", req);
    if (acked && !vmm_vhost_req_has_reply(req) && reply->u64 != 0) {
        if (vmm_ratelimit_first(&u->rl))
            vmm_warn("%s: vhost-user backend %s refused %s (status %llu)", u->name, u->path,
                     vmm_vhost_req_name(req), (unsigned long long)reply->u64);
        return -VMM_EIO;
    }
    if (req == VHOST_USER_GET_CONFIG) {
        /* @in goes away: keep the bytes in the backend's config (the
         * parser checked offset + size <= VHOST_USER_MAX_CONFIG). */
        memcpy(u->backend.config + reply->config_offset, reply->config, reply->config_size);
        reply->config = u->backend.config + reply->config_offset;
    }
    return 0;
}
