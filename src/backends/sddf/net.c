/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network backend over an sDDF net client (include/stdvmm/sddf_net.h).
 * tx: the guest's frame is copied into a free tx buffer and queued active
 * for the net switch. rx: on the copier's notification, active rx buffers
 * go to the device's sink and back to the free queue. The peers are
 * notified once per flush (after each vCPU exit or notification the port
 * handled), and only when sDDF's signalling flags ask for it. Nothing here
 * trusts the shared queues: indices that claim more entries than the
 * capacity are treated as empty (tx) or dropped (rx), and each descriptor's
 * offset and length are checked before the data region is touched.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sddf/network/queue.h>
#include "stdvmm/err.h"
#include "stdvmm/sddf_net.h"

_Static_assert(VMM_SDDF_NET_BUF == NET_BUFFER_SIZE, "sDDF's buffer size");

static void handle_of(net_queue_handle_t *h, const struct vmm_sddf_net_queue *q)
{
    net_queue_init(h, q->free, q->active, q->capacity);
}

/* sDDF's indices are free-running 16-bit counters: one step, wrapping. */
static void consume(net_queue_t *q)
{
    q->head = (uint16_t)(q->head + 1u);
}

/* Entries in @q, or 0 when its indices make no sense (more than capacity). */
static uint16_t queue_len(net_queue_handle_t *h, net_queue_t *q)
{
    uint16_t n = net_queue_length(q);

    return n > h->capacity ? 0 : n;
}

/* -------------------------------------------------------------------- tx */
/* A free tx buffer's offset, or -1 when there is none (bad ones are counted
 * and skipped: the buffer is lost to this client, not reused). */
static int64_t tx_buffer(struct vmm_sddf_net *n, net_queue_handle_t *h)
{
    for (uint32_t tries = 0; tries < h->capacity; tries++) {
        net_buff_desc_t d;

        if (queue_len(h, h->free) == 0)
            return -1;
        if (net_dequeue_free(h, &d) != 0)
            return -1;
        if (vmm_sddf_net_desc_check(d.io_or_offset, 0, h->capacity, false) == 0)
            return (int64_t)d.io_or_offset;
        n->stats.tx_bad_desc++;
    }
    return -1;
}

static int net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct vmm_sddf_net *n = ctx;
    net_queue_handle_t h;
    int64_t off;
    long len;
    size_t total = 0;

    for (unsigned i = 0; i < nr_iov && i < VMM_IOV_MAX; i++)
        total += iov[i].len;
    if (nr_iov > VMM_IOV_MAX || total < VMM_SDDF_NET_MIN_FRAME || total > VMM_SDDF_NET_BUF)
        return -VMM_EINVAL; /* the device counts it as dropped */
    handle_of(&h, &n->tx);
    off = tx_buffer(n, &h);
    if (off < 0) {
        /* Ask the switch to tell us when buffers come back, then look again. */
        net_request_signal_free(&h);
        off = tx_buffer(n, &h);
        if (off < 0) {
            n->tx_waiting = true;
            n->stats.tx_full++;
            return -VMM_EAGAIN;
        }
    }
    net_cancel_signal_free(&h);
    len = vmm_sddf_net_gather(n->tx.data + off, VMM_SDDF_NET_BUF, iov, nr_iov);
    if (len < 0 || queue_len(&h, h.active) != net_queue_length(h.active) ||
        net_enqueue_active(&h, (net_buff_desc_t){.io_or_offset = (uint64_t)off,
                                                 .len = (uint16_t)(len < 0 ? 0 : len)}) != 0) {
        /* Cannot happen with sane peers: we own the buffer we took. */
        n->stats.tx_bad_desc++;
        return len < 0 ? (int)len : -VMM_EIO;
    }
    n->stats.tx_frames++;
    if (net_require_signal_active(&h)) {
        net_cancel_signal_active(&h);
        n->notify_tx = true;
    }
    return 0;
}

void vmm_sddf_net_tx_done(struct vmm_sddf_net *n)
{
    net_queue_handle_t h;

    if (!n->tx_waiting)
        return;
    handle_of(&h, &n->tx);
    if (queue_len(&h, h.free) == 0)
        return;
    n->tx_waiting = false;
    if (n->sink.tx_resume != NULL)
        n->sink.tx_resume(n->sink.dev);
}

/* -------------------------------------------------------------------- rx */
/* Give rx buffer @d back to the copier. */
static void rx_return(struct vmm_sddf_net *n, net_queue_handle_t *h, net_buff_desc_t d)
{
    d.len = 0;
    if (net_enqueue_free(h, d) != 0) {
        n->stats.rx_bad_desc++;
        return;
    }
    if (net_require_signal_free(h)) {
        net_cancel_signal_free(h);
        n->notify_rx = true;
    }
}

unsigned vmm_sddf_net_rx(struct vmm_sddf_net *n)
{
    net_queue_handle_t h;
    unsigned taken = 0;
    bool batch = false;

    if (n->sink.rx == NULL)
        return 0;
    handle_of(&h, &n->rx);
    if (net_queue_length(h.active) > h.capacity) {
        /* Indices from the copier that make no sense: drop what is there. */
        n->stats.rx_bad_desc++;
        h.active->head = h.active->tail;
        return 0;
    }
    n->rx_waiting = false;
    for (int pass = 0; pass < 2; pass++) {
        while (taken < h.capacity && queue_len(&h, h.active) > 0) {
            net_buff_desc_t d = h.active->buffers[h.active->head % h.capacity];
            const uint8_t *frame;
            int ret;

            if (vmm_sddf_net_desc_check(d.io_or_offset, d.len, h.capacity, true) < 0) {
                /* Not one of our buffers, or a bad length: drop the entry. */
                n->stats.rx_bad_desc++;
                consume(h.active);
                taken++;
                continue;
            }
            /* Only now: an address formed from an unchecked offset may
             * overflow (undefined behaviour even if never dereferenced). */
            frame = n->rx.data + d.io_or_offset;
            if (vmm_sddf_net_from(frame, d.len, n->mac)) {
                ret = -VMM_EINVAL; /* our own broadcast, reflected: a NIC never sees it */
            } else {
                if (!batch && n->sink.rx_batch_begin != NULL)
                    n->sink.rx_batch_begin(n->sink.dev);
                batch = true;
                ret = n->sink.rx(n->sink.dev, frame, d.len);
            }
            if (ret == -VMM_EAGAIN) {
                /* The guest has no room: keep the frame until rx_ready(). */
                n->rx_waiting = true;
                break;
            }
            if (ret == 0)
                n->stats.rx_frames++;
            else
                n->stats.rx_dropped++;
            consume(h.active);
            taken++;
            rx_return(n, &h, d);
        }
        if (n->rx_waiting || taken >= h.capacity)
            break;
        /* Ask the copier for a notification, then look once more. */
        net_request_signal_active(&h);
        if (queue_len(&h, h.active) == 0)
            break;
        net_cancel_signal_active(&h);
    }
    if (batch && n->sink.rx_batch_end != NULL)
        n->sink.rx_batch_end(n->sink.dev);
    return taken;
}

static void net_rx_ready(void *ctx)
{
    struct vmm_sddf_net *n = ctx;

    if (n->rx_waiting)
        vmm_sddf_net_rx(n);
}

/* ----------------------------------------------------------------- setup */
int vmm_sddf_net_init(struct vmm_sddf_net *n, const struct vmm_sddf_net_queue *rx,
                      const struct vmm_sddf_net_queue *tx, const uint8_t mac[6],
                      void (*notify)(void *ctx, enum vmm_sddf_net_peer peer), void *notify_ctx)
{
    net_queue_handle_t h;

    if (!vmm_sddf_net_queue_ok(rx) || !vmm_sddf_net_queue_ok(tx) || notify == NULL)
        return -VMM_EINVAL;
    memset(n, 0, sizeof(*n));
    n->backend = (struct vmm_net_backend){.tx = net_tx, .rx_ready = net_rx_ready, .ctx = n};
    n->rx = *rx;
    n->tx = *tx;
    memcpy(n->mac, mac, 6);
    n->notify = notify;
    n->notify_ctx = notify_ctx;
    /* The client owns its tx buffers (sDDF: the copier fills the rx free
     * queue, the client its tx free queue). */
    handle_of(&h, &n->tx);
    for (uint32_t i = 0; i < h.capacity; i++) {
        if (net_enqueue_free(&h, (net_buff_desc_t){.io_or_offset = (uint64_t)i * NET_BUFFER_SIZE,
                                                   .len = 0}) != 0)
            return -VMM_EINVAL; /* not an empty queue */
    }
    return 0;
}

void vmm_sddf_net_attach(struct vmm_sddf_net *n, const struct vmm_net_sink *sink)
{
    n->sink = *sink;
}

void vmm_sddf_net_flush(struct vmm_sddf_net *n)
{
    if (n->notify_tx) {
        n->notify_tx = false;
        n->notify(n->notify_ctx, VMM_SDDF_NET_PEER_TX);
    }
    if (n->notify_rx) {
        n->notify_rx = false;
        n->notify(n->notify_ctx, VMM_SDDF_NET_PEER_RX);
    }
}
