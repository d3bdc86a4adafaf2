/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine's "net" device (virtio-net) through an sDDF net client: the
 * VMM PD is a client of stdvmm's net switch (tx) and of its own sDDF
 * copier (rx); tools/sel4gen/sddf_net.py wires the queues and channels and
 * writes cfg->net. The backend is src/backends/sddf/net.c; this file gives
 * it to the device, routes the two channels to it and notifies the peers
 * once per handled exit or notification. Built only with SDDF=DIR; a
 * configuration links it by naming sel4_sddf_net_attach.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "sel4_priv.h"
#include "sel4_rt.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/sddf_net.h"
#include "stdvmm/virtio_net.h"

/* Channel ids a PD can have (Microkit: 0..62). */
#define SEL4_NET_MAX_CHANNELS 63u

/* A VMM PD has at most one sDDF net client. */
static struct vmm_sddf_net sel4_sddf_net;
static const struct sel4_net_config *sel4_sddf_net_cfg;

static void notify_peer(void *ctx, enum vmm_sddf_net_peer peer)
{
    const struct sel4_net_config *cfg = ctx;

    sel4_rt_notify(peer == VMM_SDDF_NET_PEER_TX ? cfg->tx.ch : cfg->rx.ch);
}

static int net_open(struct sel4_io *io, struct vmm_machine_dev *d)
{
    struct vmm_net_sink sink = vmm_virtio_net_sink(d->state);

    (void)io;
    vmm_sddf_net_attach(&sel4_sddf_net, &sink);
    d->backend = &sel4_sddf_net.backend;
    d->backend_state = &sel4_sddf_net;
    return 0;
}

static bool net_notified(struct sel4_io *io, unsigned ch)
{
    (void)io;
    if (ch == sel4_sddf_net_cfg->rx.ch) {
        vmm_sddf_net_rx(&sel4_sddf_net);
        return true;
    }
    if (ch == sel4_sddf_net_cfg->tx.ch) {
        vmm_sddf_net_tx_done(&sel4_sddf_net);
        return true;
    }
    return false;
}

static void net_flush(struct sel4_io *io)
{
    (void)io;
    vmm_sddf_net_flush(&sel4_sddf_net);
}

static struct vmm_sddf_net_queue queue_of(const struct sel4_net_queue *q)
{
    return (struct vmm_sddf_net_queue){.free = (void *)q->free,
                                       .active = (void *)q->active,
                                       .capacity = q->capacity,
                                       .data = (uint8_t *)q->data,
                                       .data_size = q->data_size};
}

int sel4_sddf_net_attach(struct sel4_vmm *s, const struct sel4_net_config *net)
{
    struct vmm_sddf_net_queue rx = queue_of(&net->rx), tx = queue_of(&net->tx);
    int ret;

    if (net->rx.ch >= SEL4_NET_MAX_CHANNELS || net->tx.ch >= SEL4_NET_MAX_CHANNELS ||
        net->rx.ch == net->tx.ch)
        return -VMM_EINVAL;
    ret = vmm_sddf_net_init(&sel4_sddf_net, &rx, &tx, net->mac, notify_peer, (void *)net);
    if (ret < 0)
        return ret;
    sel4_sddf_net_cfg = net;
    s->net = (struct sel4_io){
        .open = net_open, .notified = net_notified, .flush = net_flush, .ctx = &sel4_sddf_net};
    /* The initial tx buffers are on the free queue: nothing to notify. */
    return 0;
}
