/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 disk through sDDF blk: the VMM PD is a client of sDDF's blk
 * virtualiser (tools/sel4gen wires the queues, the data region and the
 * channel, and writes cfg->blk). The virtio-blk device model's requests go
 * through src/backends/sddf/blk.c; the virtualiser is notified once per
 * handled vCPU exit or notification that queued something, and its
 * notification completes requests. Nothing blocks the vCPU. Uses the
 * runtime interface (sel4_rt.h), not Microkit's. Built only with SDDF=DIR;
 * a configuration links it by naming sel4_sddf_blk_attach.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sel4_priv.h"
#include "sel4_rt.h"
#include "stdvmm/err.h"
#include "stdvmm/sddf_blk.h"

/* Channel ids of a PD: 0..62 (Microkit's limit). */
#define SEL4_BLK_MAX_CH 63u

/* A VMM PD has at most one sDDF disk. */
static struct vmm_sddf_blk sel4_sddf_blk;
static unsigned sel4_sddf_blk_ch;

static void blk_notify(void *ctx)
{
    (void)ctx;
    sel4_rt_notify(sel4_sddf_blk_ch);
}

static bool blk_notified(void *ctx, unsigned ch)
{
    if (ch != sel4_sddf_blk_ch)
        return false;
    vmm_sddf_blk_notified(ctx);
    return true;
}

static void blk_flush(void *ctx)
{
    vmm_sddf_blk_flush(ctx);
}

int sel4_sddf_blk_attach(struct sel4_vmm *s, const struct sel4_blk_config *blk,
                         const struct vmm_blk_backend **backend)
{
    const struct vmm_sddf_blk_conn conn = {
        .req_queue = (void *)blk->req_queue,
        .resp_queue = (void *)blk->resp_queue,
        .capacity = blk->num_buffers,
        .storage_info = (void *)blk->storage_info,
        .data = (void *)blk->data,
        .data_size = blk->data_size,
        .slot_size = blk->slot_size,
        .read_only = blk->read_only,
    };
    const struct sel4_io_client io = {
        .notified = blk_notified, .flush = blk_flush, .ctx = &sel4_sddf_blk};
    int ret;

    if (blk->ch >= SEL4_BLK_MAX_CH)
        return -VMM_EINVAL;
    ret = vmm_sddf_blk_init(&sel4_sddf_blk, &conn, blk_notify, NULL);
    if (ret == 0)
        ret = sel4_io_register(s, &io);
    if (ret < 0)
        return ret;
    sel4_sddf_blk_ch = blk->ch;
    *backend = &sel4_sddf_blk.backend;
    return 0;
}
