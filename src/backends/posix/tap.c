/* SPDX-License-Identifier: BSD-2-Clause */
/* The tap network backend: a virtio-net device on a Linux tap interface
 * (options, open, receive, the event-loop source; transmit: tap_tx.c). */
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/mac.h"
#include "tap_internal.h"

#define TAP_BATCH 64     /* frames per vmm_tap_poll_in() call */
#define TAP_RETRY_MS 100 /* re-offer a held frame at least this often */
#define TAP_READ_DROPPED 2

/* ------------------------------------------------------------------ options */

void vmm_tap_default_mac(const char *ifname, uint8_t mac[6])
{
    vmm_mac_default(ifname, strlen(ifname), mac);
}

int vmm_tap_parse(const char *arg, struct vmm_tap_opts *o, char *err, size_t errlen)
{
    const char *name, *end;
    size_t len;

    memset(o, 0, sizeof(*o));
    if (strncmp(arg, "tap=", 4) != 0) {
        snprintf(err, errlen, "--net %s: expected tap=NAME[,mac=XX:XX:XX:XX:XX:XX]", arg);
        return -VMM_EINVAL;
    }
    name = arg + 4;
    end = strchr(name, ',');
    len = end ? (size_t)(end - name) : strlen(name);
    if (len == 0 || len >= VMM_TAP_IFNAMSIZ || memchr(name, '/', len) != NULL ||
        memchr(name, ' ', len) != NULL) {
        snprintf(err, errlen, "--net %s: interface name must be 1..%d characters without '/'", arg,
                 VMM_TAP_IFNAMSIZ - 1);
        return -VMM_EINVAL;
    }
    memcpy(o->ifname, name, len);
    while (end != NULL) {
        const char *opt = end + 1, *next = strchr(opt, ',');
        size_t olen = next ? (size_t)(next - opt) : strlen(opt);

        if (olen > 4 && strncmp(opt, "mac=", 4) == 0 && vmm_mac_parse(opt + 4, olen - 4, o->mac)) {
            if ((o->mac[0] & 1) ||
                !(o->mac[0] | o->mac[1] | o->mac[2] | o->mac[3] | o->mac[4] | o->mac[5])) {
                snprintf(err, errlen, "--net %s: mac must be a unicast, non-zero address", arg);
                return -VMM_EINVAL;
            }
            o->mac_given = true;
        } else {
            snprintf(err, errlen, "--net %s: unknown option '%.*s' (mac=XX:XX:XX:XX:XX:XX)", arg,
                     (int)olen, opt);
            return -VMM_EINVAL;
        }
        end = next;
    }
    if (!o->mac_given)
        vmm_tap_default_mac(o->ifname, o->mac);
    return 0;
}

/* ------------------------------------------------------------------ backend */

void vmm_tap_wake(struct vmm_tap *t)
{
    vmm_loop_wake(&t->src);
}

bool vmm_tap_take_wake(struct vmm_tap *t)
{
    return atomic_exchange(&t->src.woken, false);
}

/* The guest posted receive buffers (lock held). */
static void tap_rx_ready(void *ctx)
{
    vmm_tap_wake(ctx); /* cheap; the loop re-offers a held frame, if any */
}

static int tun_set_offload(int fd, unsigned flags)
{
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0 ? -errno : 0;
}

/* The driver's offloads changed (lock held): let the kernel hand us those
 * frames. Frames read before this takes effect are checked by the device. */
static int tap_set_offloads(void *ctx, unsigned offloads)
{
    struct vmm_tap *t = ctx;
    unsigned flags = 0;
    int ret;

    if (offloads & VMM_NET_OFFLOAD_CSUM)
        flags |= TUN_F_CSUM;
    if (offloads & VMM_NET_OFFLOAD_TSO4)
        flags |= TUN_F_TSO4;
    if (offloads & VMM_NET_OFFLOAD_TSO6)
        flags |= TUN_F_TSO6;
    if (offloads & VMM_NET_OFFLOAD_TSO_ECN)
        flags |= TUN_F_TSO_ECN;
    ret = t->set_tun_offload(t->fd, flags);
    if (ret == 0)
        t->offloads = offloads;
    return ret;
}

void vmm_tap_use_vnet_hdr(struct vmm_tap *t)
{
    t->vnet_hdr = true;
    t->backend.vnet_hdr = true;
    t->backend.set_offloads = tap_set_offloads;
}

int vmm_tap_init_fd(struct vmm_tap *t, int fd, const uint8_t mac[6])
{
    memset(t, 0, sizeof(*t));
    t->fd = fd;
    memcpy(t->mac, mac, sizeof(t->mac));
    t->backend = (struct vmm_net_backend){.tx = vmm_tap_tx, .rx_ready = tap_rx_ready, .ctx = t};
    t->set_tun_offload = tun_set_offload;
    atomic_init(&t->tx_blocked, false);
    atomic_init(&t->tx_pending, false);
    atomic_init(&t->src.loop, NULL);
    atomic_init(&t->src.woken, false);
    return 0;
}

/* Ask for 12-byte headers (virtio 1.x, num_buffers included) and start
 * with no offloads: a persistent tap keeps those of its previous user. */
static int tap_setup_vnet_hdr(int fd, const char *ifname, char *err, size_t errlen)
{
    int sz = VMM_NET_HDR_LEN;

    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
        snprintf(err, errlen, "--net tap=%s: TUNSETVNETHDRSZ: %s", ifname, strerror(errno));
        return -errno;
    }
    if (tun_set_offload(fd, 0) < 0) {
        snprintf(err, errlen, "--net tap=%s: TUNSETOFFLOAD: %s", ifname, strerror(errno));
        return -errno;
    }
    return 0;
}

int vmm_tap_open(struct vmm_tap *t, const struct vmm_tap_opts *o, char *err, size_t errlen)
{
    struct ifreq ifr;
    unsigned int features = 0;
    bool vnet;
    int fd, ret;

    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        snprintf(err, errlen, "--net tap=%s: /dev/net/tun: %s", o->ifname, strerror(errno));
        return ret;
    }
    /* Offloads need the header; a kernel without it still gets a network. */
    vnet = ioctl(fd, TUNGETFEATURES, &features) == 0 && (features & IFF_VNET_HDR);
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
    memcpy(ifr.ifr_name, o->ifname, strnlen(o->ifname, IFNAMSIZ - 1));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        ret = -errno;
        snprintf(err, errlen, "--net tap=%s: TUNSETIFF: %s%s", o->ifname, strerror(errno),
                 errno == EPERM   ? " (needs CAP_NET_ADMIN)"
                 : errno == EBUSY ? " (in use by another process)"
                                  : "");
        close(fd);
        return ret;
    }
    if (vnet) {
        ret = tap_setup_vnet_hdr(fd, o->ifname, err, errlen);
        if (ret < 0) {
            close(fd);
            return ret;
        }
    }
    vmm_tap_init_fd(t, fd, o->mac);
    if (vnet)
        vmm_tap_use_vnet_hdr(t);
    memcpy(t->ifname, ifr.ifr_name, sizeof(t->ifname) - 1);
    return 0;
}

void vmm_tap_attach(struct vmm_tap *t, const struct vmm_net_sink *sink, pthread_mutex_t *lock)
{
    t->sink = *sink;
    t->lock = lock;
}

int vmm_tap_fd(const struct vmm_tap *t)
{
    return t->fd;
}

short vmm_tap_poll_events(const struct vmm_tap *t)
{
    return (short)((t->held ? 0 : POLLIN) | (atomic_load(&t->tx_blocked) ? POLLOUT : 0));
}

void vmm_tap_lock(struct vmm_tap *t)
{
    if (t->lock != NULL)
        pthread_mutex_lock(t->lock);
}

void vmm_tap_unlock(struct vmm_tap *t)
{
    if (t->lock != NULL)
        pthread_mutex_unlock(t->lock);
}

/* Read the next host frame into t->frame: 1 read, 0 none, TAP_READ_DROPPED
 * (truncated: counted, read on), or -errno. */
static int tap_read(struct vmm_tap *t)
{
    ssize_t n;

    do {
        n = read(t->fd, t->frame, sizeof(t->frame));
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0) {
        int e = n < 0 ? errno : EIO;

        if (t->read_errors++ == 0)
            vmm_warn("tap %s: read: %s", t->ifname, n < 0 ? strerror(e) : "end of file");
        return -e;
    }
    if ((size_t)n == sizeof(t->frame)) {
        if (t->rx_truncated++ == 0)
            vmm_warn("tap %s: frame longer than %zu bytes dropped (further ones counted)",
                     t->ifname, sizeof(t->frame));
        return TAP_READ_DROPPED;
    }
    t->frame_len = (size_t)n;
    t->held = true;
    return 1;
}

int vmm_tap_poll_in(struct vmm_tap *t)
{
    int delivered = 0, err = 0;
    bool batch = false;

    if (t->sink.dev == NULL)
        return 0;
    for (unsigned i = 0; i < TAP_BATCH; i++) {
        int ret;

        if (!t->held) {
            ret = tap_read(t);
            if (ret == TAP_READ_DROPPED)
                continue;
            if (ret <= 0) {
                err = ret;
                break;
            }
        }
        vmm_tap_lock(t);
        if (!batch && t->sink.rx_batch_begin != NULL)
            t->sink.rx_batch_begin(t->sink.dev); /* one interrupt for the whole batch */
        batch = true;
        ret = t->sink.rx(t->sink.dev, t->frame, t->frame_len);
        vmm_tap_unlock(t);
        if (ret == -VMM_EAGAIN)
            break;       /* keep it; rx_ready wakes us */
        t->held = false; /* delivered, or dropped and counted by the device */
        if (ret == 0) {
            t->rx_frames++;
            delivered++;
        }
    }
    if (batch && t->sink.rx_batch_end != NULL) {
        vmm_tap_lock(t);
        t->sink.rx_batch_end(t->sink.dev);
        vmm_tap_unlock(t);
    }
    return err < 0 ? err : delivered;
}

/* ------------------------------------------------------------------ loop source */

static unsigned tap_prepare(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                            int *timeout_ms)
{
    struct vmm_tap *t = src->ctx;

    if (t->held)
        *timeout_ms = TAP_RETRY_MS; /* rx_ready normally comes first */
    if (max == 0 || t->failed)
        return 0;
    pfd[0] = (struct pollfd){.fd = t->fd, .events = vmm_tap_poll_events(t)};
    return 1;
}

/* Bounded: TAP_TX_ROUNDS ring passes, TAP_BATCH host frames. */
static void tap_dispatch(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n,
                         bool woken)
{
    struct vmm_tap *t = src->ctx;

    (void)woken;
    if (n == 1 && (pfd[0].revents & (POLLOUT | POLLERR)))
        vmm_tap_poll_out(t);
    vmm_tap_poll_tx(t);
    if (!t->failed && vmm_tap_poll_in(t) < 0) {
        vmm_warn("tap %s: receiving stopped", t->ifname); /* once: no more reads */
        t->failed = true;
    }
}

static const struct vmm_loop_source_ops tap_source_ops = {
    .prepare = tap_prepare,
    .dispatch = tap_dispatch,
};

/* Send from the vCPU, or (@own) copy into the ring for the loop. */
static void tap_set_tx_mode(struct vmm_tap *t, bool own)
{
    vmm_tap_lock(t);
    t->tx_ring_on = own;
    t->backend.tx_kick = own ? vmm_tap_tx_kick : NULL;
    vmm_tap_unlock(t);
}

int vmm_tap_start(struct vmm_tap *t, struct vmm_loop *loop)
{
    int ret;

    if (t->running)
        return 0;
    tap_set_tx_mode(t, true);
    ret = vmm_loop_add(loop, &t->src, &tap_source_ops, t);
    if (ret < 0) {
        tap_set_tx_mode(t, false);
        return ret;
    }
    t->running = true;
    return 0;
}

void vmm_tap_stop(struct vmm_tap *t)
{
    if (!t->running)
        return;
    vmm_loop_remove(&t->src);
    t->running = false;
    vmm_tap_tx_flush(t);
    tap_set_tx_mode(t, false);
}

void vmm_tap_close(struct vmm_tap *t)
{
    vmm_tap_stop(t);
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* TUNSETOFFLOAD when the guest (re)negotiates offloads; frames move with
 * read/readv/write/writev, which every backend may use. */
static const uint32_t tap_ioctls[] = {(uint32_t)TUNSETOFFLOAD};

const struct vmm_posix_syscalls vmm_tap_syscalls = {
    .ioctls = tap_ioctls,
    .nr_ioctls = VMM_POSIX_COUNT(tap_ioctls),
};
