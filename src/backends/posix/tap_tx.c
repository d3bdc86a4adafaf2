/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tap backend's transmit side. Without the event loop a guest frame is
 * written to the tap during the kick, on the vCPU thread. With it
 * (vmm_tap_start), a kick only wakes the loop, which lets the device copy
 * the queued frames into tx_ring (so their buffers go back to the guest at
 * once, under the device lock) and then writes them out without the lock:
 * the host's processing of a write no longer stalls the vCPU, and the
 * guest's TCP is not held back waiting for its buffers to complete. A full
 * ring makes the device keep the chain until the loop has written some.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "tap_internal.h"

/* A ring record: the frame's length (4 bytes), the frame, padding to 4. */
#define TAP_REC_HDR 4u
#define TAP_REC_SIZE(len) (TAP_REC_HDR + (((size_t)(len) + 3u) & ~(size_t)3u))
/* Ring passes per vmm_tap_poll_tx() call, so receiving gets its turn. */
#define TAP_TX_ROUNDS 4

static uint64_t tap_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One frame to the tap: 0, -VMM_EAGAIN (full: wait for POLLOUT) or -VMM_EIO. */
static int tap_write(struct vmm_tap *t, const struct iovec *v, int nr)
{
    uint64_t t0 = tap_now_ns(), dt;
    ssize_t n;

    do {
        n = writev(t->fd, v, nr);
    } while (n < 0 && errno == EINTR);
    dt = tap_now_ns() - t0;
    t->tx_writes++;
    t->tx_write_ns += dt;
    if (dt > t->tx_write_max_ns)
        t->tx_write_max_ns = dt;
    if (n >= 0)
        return 0; /* a tap takes a frame whole */
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        atomic_store(&t->tx_blocked, true);
        vmm_tap_wake(t);
        return -VMM_EAGAIN;
    }
    /* EIO: the interface is down; counted. */
    if (t->tx_errors++ == 0 && errno != EIO)
        vmm_warn("tap %s: write: %s (frames dropped; further errors counted)", t->ifname,
                 strerror(errno));
    return -VMM_EIO;
}

/* Copy @len bytes to ring offset @pos (free-running), wrapping. */
static void ring_put(struct vmm_tap *t, size_t pos, const void *src, size_t len)
{
    size_t off = pos % VMM_TAP_TX_RING, first = VMM_TAP_TX_RING - off;

    if (first > len)
        first = len;
    memcpy(t->tx_ring + off, src, first);
    memcpy(t->tx_ring, (const uint8_t *)src + first, len - first);
}

/* Copy a guest frame into the ring (lock held). */
static int tap_tx_queue(struct vmm_tap *t, const struct vmm_iov *iov, unsigned nr_iov)
{
    size_t total = 0, pos;
    uint32_t len;

    for (unsigned i = 0; i < nr_iov; i++)
        total += iov[i].len;
    if (total > VMM_TAP_TX_RING / 4)
        return -VMM_E2BIG; /* the device never sends one this large */
    if (VMM_TAP_TX_RING - (t->tx_head - t->tx_tail) < TAP_REC_SIZE(total)) {
        t->tx_refused = true; /* the loop resumes the device after writing */
        return -VMM_EAGAIN;
    }
    len = (uint32_t)total;
    ring_put(t, t->tx_head, &len, sizeof(len)); /* 4-aligned: never wraps */
    pos = t->tx_head + TAP_REC_HDR;
    for (unsigned i = 0; i < nr_iov; i++) {
        ring_put(t, pos, iov[i].base, iov[i].len);
        pos += iov[i].len;
    }
    t->tx_head += TAP_REC_SIZE(total);
    t->tx_queued++;
    return 0;
}

int vmm_tap_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct vmm_tap *t = ctx;
    struct iovec v[VMM_IOV_MAX]; /* [header,] the chain's pieces */

    if (nr_iov > VMM_IOV_MAX)
        return -VMM_E2BIG;
    if (t->tx_ring_on)
        return tap_tx_queue(t, iov, nr_iov);
    for (unsigned i = 0; i < nr_iov; i++)
        v[i] = (struct iovec){.iov_base = iov[i].base, .iov_len = iov[i].len};
    return tap_write(t, v, (int)nr_iov);
}

void vmm_tap_tx_kick(void *ctx)
{
    struct vmm_tap *t = ctx;

    atomic_store(&t->tx_pending, true);
    vmm_tap_wake(t);
}

/* Write the ring's frames from @tail to @end (no lock: the device only
 * writes past tx_head). Returns the new tail. */
static size_t ring_write(struct vmm_tap *t, size_t tail, size_t end)
{
    while (tail != end) {
        size_t off = tail % VMM_TAP_TX_RING, data, first;
        struct iovec v[2];
        uint32_t len;
        int nr = 1;

        memcpy(&len, t->tx_ring + off, sizeof(len));
        data = (off + TAP_REC_HDR) % VMM_TAP_TX_RING;
        first = VMM_TAP_TX_RING - data < len ? VMM_TAP_TX_RING - data : len;
        v[0] = (struct iovec){.iov_base = t->tx_ring + data, .iov_len = first};
        if (first < len) {
            v[1] = (struct iovec){.iov_base = t->tx_ring, .iov_len = len - first};
            nr = 2;
        }
        if (tap_write(t, v, nr) == -VMM_EAGAIN)
            break; /* kept; POLLOUT brings us back */
        tail += TAP_REC_SIZE(len);
    }
    return tail;
}

/* One pass: let the device fill the ring if asked, write it out, and give
 * the device room again if it was refused. True if the ring got frames. */
static bool tap_tx_round(struct vmm_tap *t, bool kicked)
{
    size_t tail, end;

    vmm_tap_lock(t);
    if (kicked || t->tx_refused) {
        t->tx_refused = false;
        t->sink.tx_resume(t->sink.dev);
    }
    tail = t->tx_tail;
    end = t->tx_head;
    vmm_tap_unlock(t);
    if (tail == end || atomic_load(&t->tx_blocked))
        return false;
    tail = ring_write(t, tail, end);
    vmm_tap_lock(t);
    t->tx_tail = tail;
    vmm_tap_unlock(t);
    return true;
}

void vmm_tap_poll_tx(struct vmm_tap *t)
{
    bool kicked = atomic_exchange(&t->tx_pending, false);

    if (t->sink.dev == NULL)
        return;
    if (!t->tx_ring_on) {
        if (kicked) {
            vmm_tap_lock(t);
            t->sink.tx_resume(t->sink.dev);
            vmm_tap_unlock(t);
        }
        return;
    }
    for (unsigned i = 0; i < TAP_TX_ROUNDS && tap_tx_round(t, kicked); i++)
        kicked = false;
    /* Frames left (more arrived, or the device waits for room): come back
     * after a look at the receive side. */
    vmm_tap_lock(t);
    if ((t->tx_head != t->tx_tail || t->tx_refused) && !atomic_load(&t->tx_blocked))
        vmm_tap_wake(t);
    vmm_tap_unlock(t);
}

void vmm_tap_poll_out(struct vmm_tap *t)
{
    atomic_store(&t->tx_blocked, false);
    if (t->sink.dev == NULL)
        return;
    if (t->tx_ring_on) {
        vmm_tap_poll_tx(t);
        return;
    }
    vmm_tap_lock(t);
    t->sink.tx_resume(t->sink.dev);
    vmm_tap_unlock(t);
}

void vmm_tap_tx_flush(struct vmm_tap *t)
{
    vmm_tap_lock(t);
    t->tx_tail = ring_write(t, t->tx_tail, t->tx_head);
    vmm_tap_unlock(t);
}
