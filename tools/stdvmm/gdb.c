/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB stub's host side (gdb.h): sockets and a thread that feeds the
 * portable protocol code (stdvmm/gdb.h) and drives the KVM port's debug
 * calls. A client attaching stops the guest (vmm_kvm_pause) and turns on
 * guest debugging; a continue or step resumes it and the thread waits for
 * the client (Ctrl-C) or a debug stop; a detach, kill or disconnect
 * removes the breakpoints and lets the guest run on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "gdb.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/thread.h"

#define GDB_PAUSE_MS 2000u

/* ---------------------------------------------------------- target ops */

static unsigned gdb_nr_threads(void *ctx)
{
    return ((struct stdvmm_gdb *)ctx)->kvm->nr_vcpus;
}

static int gdb_get_regs(void *ctx, unsigned vcpu, struct vmm_gdb_regs *r)
{
    struct stdvmm_gdb *g = ctx;
    uint64_t pstate;
    int ret = vmm_kvm_get_core_regs(g->kvm, vcpu, r->x, &r->sp, &r->pc, &pstate);

    r->cpsr = (uint32_t)pstate;
    return ret;
}

static int gdb_set_regs(void *ctx, unsigned vcpu, const struct vmm_gdb_regs *r)
{
    struct stdvmm_gdb *g = ctx;

    return vmm_kvm_set_core_regs(g->kvm, vcpu, r->x, r->sp, r->pc, r->cpsr);
}

static int gdb_read_mem(void *ctx, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf,
                        size_t len)
{
    return vmm_kvm_guest_rw(((struct stdvmm_gdb *)ctx)->kvm, vcpu, phys, addr, buf, len, false);
}

static int gdb_write_mem(void *ctx, unsigned vcpu, bool phys, uint64_t addr, const uint8_t *buf,
                         size_t len)
{
    return vmm_kvm_guest_rw(((struct stdvmm_gdb *)ctx)->kvm, vcpu, phys, addr, (uint8_t *)buf, len,
                            true);
}

static int gdb_set_hw(void *ctx, const uint64_t *addrs, unsigned n)
{
    struct stdvmm_gdb *g = ctx;

    return vmm_kvm_debug_set(g->kvm, true, addrs, n, -1);
}

static int gdb_resume(void *ctx, int step_vcpu)
{
    struct stdvmm_gdb *g = ctx;
    int ret = vmm_kvm_debug_set(g->kvm, true, g->stub.hw, g->stub.nr_hw, step_vcpu);

    if (ret == 0)
        vmm_kvm_debug_resume(g->kvm, step_vcpu);
    return ret;
}

static const struct vmm_gdb_target_ops gdb_target = {
    .nr_threads = gdb_nr_threads,
    .get_regs = gdb_get_regs,
    .set_regs = gdb_set_regs,
    .read_mem = gdb_read_mem,
    .write_mem = gdb_write_mem,
    .set_hw_breaks = gdb_set_hw,
    .resume = gdb_resume,
};

/* ---------------------------------------------------------- the session */

static bool gdb_send(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

static bool gdb_reply(struct stdvmm_gdb *g, int fd, long len)
{
    size_t n = vmm_gdb_frame(g->reply, (size_t)len, g->framed, sizeof(g->framed));

    return n > 0 && gdb_send(fd, g->framed, n);
}

/* The guest stopped (a debug exit or Ctrl-C): wait until every vCPU is
 * parked, then tell the client. */
static bool gdb_stopped(struct stdvmm_gdb *g, int fd, unsigned vcpu, int sig)
{
    (void)vmm_kvm_pause(g->kvm, GDB_PAUSE_MS);
    (void)vmm_kvm_debug_set(g->kvm, true, g->stub.hw, g->stub.nr_hw, -1); /* no step */
    return gdb_reply(g, fd, vmm_gdb_stop_reply(&g->stub, vcpu, sig, g->reply, sizeof(g->reply)));
}

/* Bytes from the client; false: the session ends. */
static bool gdb_input(struct stdvmm_gdb *g, int fd, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum vmm_gdb_rx_event ev = vmm_gdb_rx_byte(&g->rx, buf[i]);
        long len;

        if (ev == VMM_GDB_RX_INTERRUPT && g->stub.running) {
            if (!gdb_stopped(g, fd, g->stub.last_vcpu, VMM_GDB_SIGINT))
                return false;
        } else if (ev == VMM_GDB_RX_BAD) {
            if (!g->stub.no_ack && !gdb_send(fd, "-", 1))
                return false;
        } else if (ev == VMM_GDB_RX_PACKET) {
            if (!g->stub.no_ack && !gdb_send(fd, "+", 1))
                return false;
            len = vmm_gdb_handle(&g->stub, g->rx.buf, g->rx.len, g->reply, sizeof(g->reply));
            if (len == -2) {
                memcpy(g->reply, "OK", 2);
                (void)gdb_reply(g, fd, 2);
                return false;
            }
            if (len >= 0 && !gdb_reply(g, fd, len))
                return false;
        }
    }
    return true;
}

static void gdb_session(struct stdvmm_gdb *g, int fd)
{
    uint8_t buf[4096];

    if (vmm_kvm_pause(g->kvm, GDB_PAUSE_MS) < 0)
        vmm_warn("--gdb: a vCPU did not stop within 2 s");
    vmm_gdb_init(&g->stub, &gdb_target, g, g->kvm->max_hw_bps);
    memset(&g->rx, 0, sizeof(g->rx));
    (void)vmm_kvm_debug_take_stop(g->kvm);
    if (vmm_kvm_debug_set(g->kvm, true, NULL, 0, -1) < 0) {
        vmm_kvm_resume(g->kvm);
        return;
    }
    vmm_info("--gdb: a debugger attached; the guest is stopped");
    for (;;) {
        struct pollfd pfd[3] = {
            {.fd = fd, .events = POLLIN},
            {.fd = g->kvm->debug_fd, .events = POLLIN},
            {.fd = g->wake_fd, .events = POLLIN},
        };
        ssize_t n;

        if (poll(pfd, 3, -1) < 0 && errno != EINTR)
            break;
        if (pfd[2].revents)
            break; /* stdvmm is ending */
        if (pfd[1].revents) {
            int vcpu = vmm_kvm_debug_take_stop(g->kvm);

            if (vcpu >= 0 && g->stub.running &&
                !gdb_stopped(g, fd, (unsigned)vcpu, VMM_GDB_SIGTRAP))
                break;
        }
        if (pfd[0].revents) {
            n = recv(fd, buf, sizeof(buf), 0);
            if (n <= 0 || !gdb_input(g, fd, buf, (size_t)n))
                break;
        }
    }
    /* Leave the guest as it was without us: no breakpoint, running. */
    (void)vmm_kvm_pause(g->kvm, GDB_PAUSE_MS);
    vmm_gdb_detach(&g->stub);
    (void)vmm_kvm_debug_set(g->kvm, false, NULL, 0, -1);
    (void)vmm_kvm_debug_take_stop(g->kvm);
    vmm_kvm_resume(g->kvm);
    vmm_info("--gdb: the debugger detached; the guest runs");
}

static void *gdb_thread(void *arg)
{
    struct stdvmm_gdb *g = arg;

    for (;;) {
        struct pollfd pfd[2] = {{.fd = g->listen_fd, .events = POLLIN},
                                {.fd = g->wake_fd, .events = POLLIN}};
        int fd;

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents)
            break;
        if (!pfd[0].revents)
            continue;
        fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        gdb_session(g, fd);
        close(fd);
    }
    return NULL;
}

/* ---------------------------------------------------------- set-up */

static int gdb_listen_tcp(struct stdvmm_gdb *g, unsigned port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;

    g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g->listen_fd < 0)
        return -1;
    setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    return bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int gdb_listen_unix(struct stdvmm_gdb *g, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    mode_t old;
    int ret;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;

        if (probe >= 0)
            close(probe);
        if (!S_ISSOCK(st.st_mode) || live) {
            errno = S_ISSOCK(st.st_mode) ? EADDRINUSE : EEXIST;
            return -1; /* a file, or a socket someone serves */
        }
        unlink(path); /* stale: an earlier run's */
    }
    g->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g->listen_fd < 0)
        return -1;
    old = umask(0177);
    ret = bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    return ret;
}

int stdvmm_gdb_open(struct stdvmm_gdb *g, const struct stdvmm_config *cfg, struct vmm_kvm *kvm)
{
    const char *w = cfg->gdb;
    int ret;

    memset(g, 0, sizeof(*g));
    g->listen_fd = g->wake_fd = -1;
    g->kvm = kvm;
    g->where = w;
    if (w == NULL)
        return 0;
    if (vmm_kvm_debug_open(kvm) < 0)
        return -VMM_EIO;
    if (strspn(w, "0123456789") == strlen(w)) {
        unsigned long port = strtoul(w, NULL, 10);

        if (port == 0 || port > 65535) {
            vmm_err("--gdb %s: not a TCP port (1..65535) or a socket path", w);
            return -VMM_EINVAL;
        }
        ret = gdb_listen_tcp(g, (unsigned)port);
    } else {
        ret = gdb_listen_unix(g, w);
    }
    if (ret == 0)
        ret = listen(g->listen_fd, 1);
    g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ret < 0 || g->wake_fd < 0) {
        vmm_err("--gdb %s: %s", w, strerror(errno));
        stdvmm_gdb_close(g);
        return -VMM_EIO;
    }
    g->open = true;
    vmm_info("--gdb: waiting for a debugger on %s%s (%u hardware breakpoints)",
             strspn(w, "0123456789") == strlen(w) ? "127.0.0.1:" : "", w, kvm->max_hw_bps);
    return 0;
}

int stdvmm_gdb_start(struct stdvmm_gdb *g)
{
    int err;

    if (!g->open)
        return 0;
    err = vmm_posix_thread_start(&g->thread, gdb_thread, g);
    if (err != 0)
        return -err;
    g->started = true;
    return 0;
}

void stdvmm_gdb_close(struct stdvmm_gdb *g)
{
    uint64_t one = 1;

    if (g->kvm == NULL)
        return; /* never opened (zeroed) */
    if (g->started) {
        ssize_t n = write(g->wake_fd, &one, sizeof(one));

        (void)n;
        pthread_join(g->thread, NULL);
        g->started = false;
    }
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    if (g->wake_fd >= 0)
        close(g->wake_fd);
    g->listen_fd = g->wake_fd = -1;
    g->open = false;
}

static const int gdb_allow[] = {__NR_accept4, __NR_sendto, __NR_recvfrom};
static const uint32_t gdb_ioctls[] = {(uint32_t)KVM_SET_GUEST_DEBUG};

const struct vmm_posix_syscalls stdvmm_gdb_syscalls = {
    .allow = gdb_allow,
    .nr_allow = VMM_POSIX_COUNT(gdb_allow),
    .ioctls = gdb_ioctls,
    .nr_ioctls = VMM_POSIX_COUNT(gdb_ioctls),
};
