/* SPDX-License-Identifier: BSD-2-Clause */
/* The vhost-user frontend against a scripted backend on a real UNIX socket
 * (a thread of the test): the handshake, the start and stop sequences with
 * their fds, and what a dead, silent or lying backend does to it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/posix/vhost_user.h"
#include "stdvmm/virtio.h"

enum mode {
    GOOD,
    FD_IN_REPLY,
    BAD_FEATURES_REPLY,
    SILENT_AT_SET_FEATURES,
    HANG_UP_AFTER_CONFIG,
    UNASKED
};

struct backend {
    char dir[64], path[108];
    int lsock;
    enum mode mode;
    pthread_t thread;
    uint32_t reqs[64];
    unsigned nr_reqs;
    unsigned fds_with[64]; /* fds that came with each request */
    uint64_t addr_desc;    /* from SET_VRING_ADDR */
    pthread_mutex_t lock;
};

static int recv_msg(int s, uint8_t *buf, unsigned *nfds)
{
    union {
        char b[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr a;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = 12};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    ssize_t n = recvmsg(s, &mh, MSG_WAITALL);
    uint32_t size;

    *nfds = 0;
    if (n != 12)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_type == SCM_RIGHTS) {
            unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int fds[8];

            memcpy(fds, CMSG_DATA(c), k * sizeof(int));
            for (unsigned i = 0; i < k; i++)
                close(fds[i]);
            *nfds += k;
        }
    }
    size = vmm_get_le32(buf + 8);
    if (size > 300 || (size && recv(s, buf + 12, size, MSG_WAITALL) != (ssize_t)size))
        return -1;
    return 0;
}

static void send_reply(int s, uint32_t req, const void *pl, uint32_t size)
{
    uint8_t b[512];

    vmm_put_le32(b, req);
    vmm_put_le32(b + 4, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY);
    vmm_put_le32(b + 8, size);
    memcpy(b + 12, pl, size);
    assert_int_equal(send(s, b, 12 + size, MSG_NOSIGNAL), 12 + size);
}

/* A well-formed reply that smuggles a file descriptor along. */
static void send_reply_with_fd(int s, uint32_t req, const void *pl, uint32_t size)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr a;
    } ctl;
    uint8_t b[64];
    struct iovec iov = {.iov_base = b, .iov_len = 12 + size};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    int fd = open("/dev/null", O_RDONLY);

    vmm_put_le32(b, req);
    vmm_put_le32(b + 4, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY);
    vmm_put_le32(b + 8, size);
    memcpy(b + 12, pl, size);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    assert_int_equal(sendmsg(s, &mh, MSG_NOSIGNAL), 12 + size);
    close(fd);
}

static void *backend_main(void *arg)
{
    struct backend *b = arg;
    int s = accept(b->lsock, NULL, NULL);
    uint8_t buf[512], pl[300];
    unsigned nfds;

    while (s >= 0 && recv_msg(s, buf, &nfds) == 0) {
        uint32_t req = vmm_get_le32(buf), flags = vmm_get_le32(buf + 4);

        pthread_mutex_lock(&b->lock);
        b->fds_with[b->nr_reqs] = nfds;
        b->reqs[b->nr_reqs++ % 64] = req;
        if (req == VHOST_USER_SET_VRING_ADDR)
            b->addr_desc = vmm_get_le64(buf + 12 + 8);
        pthread_mutex_unlock(&b->lock);
        memset(pl, 0, sizeof(pl));
        switch (req) {
        case VHOST_USER_GET_FEATURES:
            vmm_put_le64(pl, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                                 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | (1ull << 30) | 0x246);
            if (b->mode == FD_IN_REPLY)
                send_reply_with_fd(s, req, pl, 8);
            else
                send_reply(s, req, pl, b->mode == BAD_FEATURES_REPLY ? 4 : 8);
            continue;
        case VHOST_USER_GET_PROTOCOL_FEATURES:
            vmm_put_le64(pl, (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                                 (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | (1ull << 5));
            send_reply(s, req, pl, 8);
            continue;
        case VHOST_USER_GET_CONFIG:
            memcpy(pl, buf + 12, 12);
            vmm_put_le64(pl + 12, 131072); /* capacity */
            send_reply(s, req, pl, 12 + vmm_get_le32(buf + 16));
            if (b->mode == HANG_UP_AFTER_CONFIG) {
                close(s);
                return NULL;
            }
            if (b->mode == UNASKED)
                send_reply(s, VHOST_USER_GET_FEATURES, pl, 8);
            continue;
        case VHOST_USER_GET_VRING_BASE:
            memcpy(pl, buf + 12, 4);
            vmm_put_le32(pl + 4, 5);
            send_reply(s, req, pl, 8);
            continue;
        case VHOST_USER_SET_FEATURES:
            if (b->mode == SILENT_AT_SET_FEATURES) {
                sleep(3);
                continue;
            }
            break;
        default:
            break;
        }
        if (flags & VHOST_USER_FLAG_NEED_REPLY)
            send_reply(s, req, pl, 8); /* status 0 */
    }
    if (s >= 0)
        close(s);
    return NULL;
}

static struct backend *backend_new(enum mode mode)
{
    struct backend *b = calloc(1, sizeof(*b));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    assert_non_null(b);
    strcpy(b->dir, "/tmp/stdvmm-vhost-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    snprintf(b->path, sizeof(b->path), "%s/be.sock", b->dir);
    strcpy(sa.sun_path, b->path);
    b->mode = mode;
    pthread_mutex_init(&b->lock, NULL);
    b->lsock = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(b->lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(b->lsock, 1), 0);
    assert_int_equal(pthread_create(&b->thread, NULL, backend_main, b), 0);
    return b;
}

/* Wait for the backend thread (the frontend closed its end). */
static void backend_join(struct backend *b)
{
    shutdown(b->lsock, SHUT_RDWR);
    pthread_join(b->thread, NULL);
}

static void backend_free(struct backend *b)
{
    backend_join(b);
    close(b->lsock);
    unlink(b->path);
    rmdir(b->dir);
    free(b);
}

static int open_to(struct vmm_vhost_user *u, const char *path, char *err, size_t errlen)
{
    struct vmm_vhost_user_opts o;
    char opt[160];

    snprintf(opt, sizeof(opt), "socket=%s", path);
    assert_int_equal(vmm_vhost_user_parse(opt, false, &o, err, errlen), 0);
    return vmm_vhost_user_open(u, "vub0", &o, 1, 60, err, errlen);
}

static uint8_t ram[1 << 16];

static void give_ram(struct vmm_vhost_user *u)
{
    struct vmm_vhost_mem mem = {.nr = 1};
    int fd = open("/dev/null", O_RDONLY);

    mem.region[0] = (struct vmm_vhost_region){0x40000000, sizeof(ram), (uintptr_t)ram, 0};
    mem.fd[0] = fd; /* stands in for the memfd: only passed along */
    vmm_vhost_user_set_mem(u, &mem);
}

static const struct vmm_vhost_ring ring = {
    .num = 16, .desc_gpa = 0x40001000, .avail_gpa = 0x40002000, .used_gpa = 0x40003000};
static const bool ready = true;

static void handshake_start_and_stop_follow_the_spec(void **state)
{
    struct backend *b = backend_new(GOOD);
    struct vmm_vhost_user u;
    char err[200];
    static const uint32_t want[] = {
        VHOST_USER_GET_FEATURES,
        VHOST_USER_GET_PROTOCOL_FEATURES,
        VHOST_USER_SET_PROTOCOL_FEATURES,
        VHOST_USER_SET_OWNER,
        VHOST_USER_GET_CONFIG,
        VHOST_USER_SET_FEATURES,
        VHOST_USER_SET_MEM_TABLE,
        VHOST_USER_SET_VRING_NUM,
        VHOST_USER_SET_VRING_BASE,
        VHOST_USER_SET_VRING_ADDR,
        VHOST_USER_SET_VRING_CALL,
        VHOST_USER_SET_VRING_ERR,
        VHOST_USER_SET_VRING_KICK,
        VHOST_USER_SET_VRING_ENABLE,
        VHOST_USER_GET_VRING_BASE,
    };

    (void)state;
    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), 0);
    assert_true(u.reply_ack);
    /* Only what stdvmm understands is acked (not BACKEND_REQ, bit 5). */
    assert_true(u.protocol_features == ((1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                                        (1ull << VHOST_USER_PROTOCOL_F_CONFIG)));
    assert_int_equal(u.backend.config_size, 60);
    assert_true(vmm_get_le64(u.backend.config) == 131072);
    give_ram(&u);
    assert_int_equal(
        u.backend.start(u.backend.ctx, VIRTIO_BIT(VIRTIO_F_VERSION_1), &ring, &ready, 1), 0);
    u.backend.stop(u.backend.ctx);
    vmm_vhost_user_close(&u);
    backend_join(b);
    assert_int_equal(b->nr_reqs, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(b->reqs[i], want[i]);
    assert_int_equal(b->fds_with[6], 1);                  /* the memory table's fd */
    assert_int_equal(b->fds_with[10], 1);                 /* call */
    assert_int_equal(b->fds_with[12], 1);                 /* kick */
    assert_true(b->addr_desc == (uintptr_t)ram + 0x1000); /* our address, not the guest's */
    backend_free(b);
}

static void ring_outside_guest_ram_is_not_sent(void **state)
{
    struct backend *b = backend_new(GOOD);
    struct vmm_vhost_user u;
    struct vmm_vhost_ring bad = ring;
    char err[200];

    (void)state;
    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), 0);
    give_ram(&u);
    bad.used_gpa = 0x40000000 + sizeof(ram) - 8;
    assert_int_equal(u.backend.start(u.backend.ctx, 0, &bad, &ready, 1), -VMM_EFAULT);
    vmm_vhost_user_close(&u);
    backend_join(b);
    for (unsigned i = 0; i < b->nr_reqs; i++)
        assert_int_not_equal(b->reqs[i], VHOST_USER_SET_VRING_ADDR);
    backend_free(b);
}

static void malformed_reply_fails_the_open(void **state)
{
    struct backend *b = backend_new(BAD_FEATURES_REPLY);
    struct vmm_vhost_user u;
    char err[200];

    (void)state;
    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), -VMM_EPROTO);
    assert_true(u.dead);
    assert_non_null(strstr(err, "protocol violation"));
    vmm_vhost_user_close(&u);
    backend_free(b);
}

static void reply_with_fd_is_refused(void **state)
{
    struct backend *b = backend_new(FD_IN_REPLY);
    struct vmm_vhost_user u;
    char err[200];

    (void)state;
    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), -VMM_EPROTO);
    assert_true(u.dead);
    vmm_vhost_user_close(&u);
    backend_free(b);
}

static void silent_backend_times_out_once(void **state)
{
    struct backend *b = backend_new(SILENT_AT_SET_FEATURES);
    struct vmm_vhost_user u;
    struct timespec t0, t1;
    char err[200];

    (void)state;
    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), 0);
    give_ram(&u);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(u.backend.start(u.backend.ctx, 0, &ring, &ready, 1), -VMM_ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec <= 2); /* the VM lock is held that long at most */
    assert_true(u.dead);
    /* Dead: the next start fails at once, without a message. */
    assert_int_equal(u.backend.start(u.backend.ctx, 0, &ring, &ready, 1), -VMM_ETIMEDOUT);
    vmm_vhost_user_close(&u);
    backend_free(b);
}

struct sink_rec {
    int calls, err;
};

static void rec_failed(void *dev, int err)
{
    struct sink_rec *r = dev;

    r->calls++;
    r->err = err;
}

static void watch_reports(enum mode mode, int want)
{
    struct backend *b = backend_new(mode);
    struct vmm_vhost_user u;
    struct sink_rec rec = {0};
    struct vmm_vhost_sink sink = {rec_failed, &rec};
    struct vmm_loop loop;
    char err[200];

    assert_int_equal(open_to(&u, b->path, err, sizeof(err)), 0);
    vmm_vhost_user_attach(&u, &sink, NULL);
    assert_int_equal(vmm_loop_init(&loop), 0);
    assert_int_equal(vmm_vhost_user_start(&u, &loop), 0);
    for (int i = 0; i < 20 && rec.calls == 0; i++)
        vmm_loop_run_once(&loop, 100);
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.err, want);
    for (int i = 0; i < 3; i++)
        vmm_loop_run_once(&loop, 10); /* reported once */
    assert_int_equal(rec.calls, 1);
    vmm_vhost_user_close(&u);
    vmm_loop_close(&loop);
    backend_free(b);
}

static void backend_hang_up_reaches_the_device(void **state)
{
    (void)state;
    watch_reports(HANG_UP_AFTER_CONFIG, -VMM_EPIPE);
}

static void unasked_message_reaches_the_device(void **state)
{
    (void)state;
    watch_reports(UNASKED, -VMM_EPROTO);
}

static void socket_is_checked(void **state)
{
    struct vmm_vhost_user u;
    struct vmm_vhost_user_opts o;
    char err[200], path[] = "/tmp/stdvmm-vhost-file-XXXXXX";
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_true(open_to(&u, path, err, sizeof(err)) < 0);
    vmm_vhost_user_close(&u);
    unlink(path);
    assert_true(open_to(&u, "/nonexistent/stdvmm.sock", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/nonexistent/stdvmm.sock"));
    vmm_vhost_user_close(&u);
    /* Options. */
    assert_int_equal(vmm_vhost_user_parse("socket=/a,tag=t", true, &o, err, sizeof(err)), 0);
    assert_string_equal(o.tag, "t");
    assert_int_equal(vmm_vhost_user_parse("socket=/a,tag=t", false, &o, err, sizeof(err)),
                     -VMM_EINVAL);
    assert_int_equal(vmm_vhost_user_parse("socket=/a", true, &o, err, sizeof(err)), -VMM_EINVAL);
    assert_int_equal(vmm_vhost_user_parse("tag=x", true, &o, err, sizeof(err)), -VMM_EINVAL);
    assert_int_equal(vmm_vhost_user_parse("socket=/a,tag=0123456789012345678901234567890123456",
                                          true, &o, err, sizeof(err)),
                     -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_start_and_stop_follow_the_spec),
        cmocka_unit_test(ring_outside_guest_ram_is_not_sent),
        cmocka_unit_test(malformed_reply_fails_the_open),
        cmocka_unit_test(reply_with_fd_is_refused),
        cmocka_unit_test(silent_backend_times_out_once),
        cmocka_unit_test(backend_hang_up_reaches_the_device),
        cmocka_unit_test(unasked_message_reaches_the_device),
        cmocka_unit_test(socket_is_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
