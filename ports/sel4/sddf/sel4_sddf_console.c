/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 console through sDDF serial: the VMM PD is a client of sDDF's
 * serial virtualisers (tools/sel4gen wires the queues and channels and
 * writes cfg->serial). Guest output and the VMM's log lines go into the tx
 * queue a line at a time (src/backends/sddf/serial.c), one notification per
 * handled vCPU exit; input from the rx virtualiser goes to the guest's
 * PL011. Works with release kernels (no debug console needed). Built only
 * with SDDF=DIR; a configuration links it by naming sel4_sddf_console_attach.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microkit.h>
#include "sel4_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/sddf_serial.h"

/* A VMM PD has one console. */
static struct vmm_sddf_serial sel4_sddf_serial;
static const struct sel4_serial_config *sel4_sddf_cfg;

static void notify_tx(void *ctx)
{
    const struct sel4_serial_config *cfg = ctx;

    microkit_notify(cfg->tx.ch);
}

static void serial_log_line(struct sel4_console *con, const char *line, size_t len)
{
    (void)con;
    vmm_sddf_serial_put_line(&sel4_sddf_serial, line, len);
}

static bool serial_notified(struct sel4_console *con, unsigned ch)
{
    (void)con;
    if (ch == sel4_sddf_cfg->rx.ch) {
        vmm_sddf_serial_rx(&sel4_sddf_serial);
        return true;
    }
    /* The tx virtualiser signals room in the tx queue: nothing waits for it. */
    return ch == sel4_sddf_cfg->tx.ch;
}

static void serial_flush(struct sel4_console *con)
{
    (void)con;
    vmm_sddf_serial_flush(&sel4_sddf_serial);
}

static struct vmm_sddf_serial_queue queue_of(const struct sel4_serial_queue *q)
{
    return (struct vmm_sddf_serial_queue){
        .queue = (void *)q->queue, .data = (char *)q->data, .size = q->size};
}

int sel4_sddf_console_attach(struct sel4_console *con, const struct sel4_serial_config *serial)
{
    struct vmm_sddf_serial_queue rx = queue_of(&serial->rx), tx = queue_of(&serial->tx);
    int ret;

    if (serial->rx.ch >= MICROKIT_MAX_CHANNELS || serial->tx.ch >= MICROKIT_MAX_CHANNELS)
        return -VMM_EINVAL;
    ret = vmm_sddf_serial_init(&sel4_sddf_serial, &rx, &tx, con->prefix, notify_tx, (void *)serial);
    if (ret < 0)
        return ret;
    sel4_sddf_cfg = serial;
    vmm_sddf_serial_set_input(&sel4_sddf_serial, con->input, con->input_ctx);
    con->backend = sel4_sddf_serial.backend;
    con->log_line = serial_log_line;
    con->notified = serial_notified;
    con->flush = serial_flush;
    con->ext = &sel4_sddf_serial;
    return 0;
}
