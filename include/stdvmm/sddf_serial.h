/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stream backend over an sDDF serial client (src/backends/sddf/serial.c):
 * guest console output goes into the client's tx queue a whole line at a
 * time ("<prefix>| line\r\n"), input from the rx queue goes into a device's
 * rx function. This header needs no sDDF header; the .c file does (it is
 * built only with SDDF=DIR, by examples/sel4).
 */
#ifndef STDVMM_SDDF_SERIAL_H
#define STDVMM_SDDF_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"

#define VMM_SDDF_SERIAL_LINE 256
/* After input, partial output lines (prompts, echoed keys) are sent at each
 * flush until this many bytes went out without new input. */
#define VMM_SDDF_SERIAL_ECHO_BYTES 4096

/* One sDDF serial queue as mapped here: serial_queue_t + its data region. */
struct vmm_sddf_serial_queue {
    void *queue;
    char *data;
    uint32_t size; /* a power of two */
};

struct vmm_sddf_serial {
    struct vmm_stream_backend backend; /* give this to the console devices */
    struct vmm_sddf_serial_queue rx, tx;
    void (*notify_tx)(void *ctx); /* the tx virtualiser has data to take */
    void *notify_ctx;
    size_t (*input)(void *dev, const uint8_t *buf, size_t len); /* device rx, may be NULL */
    void *input_dev;
    const char *prefix;
    char line[VMM_SDDF_SERIAL_LINE];
    size_t len;
    bool at_line_start; /* the next byte sent starts a line: prefix it */
    bool tx_pending;    /* queued since the last notify_tx */
    uint32_t echo_credit;
    unsigned long dropped; /* lines that did not fit the tx queue */
};

/* Set up @s on the client queues @rx and @tx; -VMM_EINVAL on a bad queue. */
int vmm_sddf_serial_init(struct vmm_sddf_serial *s, const struct vmm_sddf_serial_queue *rx,
                         const struct vmm_sddf_serial_queue *tx, const char *prefix,
                         void (*notify_tx)(void *ctx), void *notify_ctx);

/* Input goes to @input(@dev, ...), which returns how many bytes it took. */
void vmm_sddf_serial_set_input(struct vmm_sddf_serial *s,
                               size_t (*input)(void *dev, const uint8_t *buf, size_t len),
                               void *dev);

/* Queue @text (a whole line, no newline) as is, with "\r\n"; false when the
 * tx queue has no room (the line is dropped and counted). */
bool vmm_sddf_serial_put_line(struct vmm_sddf_serial *s, const char *text, size_t len);

/* Move waiting input (at most one queue's worth) into the device; returns
 * the bytes moved. Bytes the device has no room for stay queued. */
size_t vmm_sddf_serial_rx(struct vmm_sddf_serial *s);

/* Notify the tx virtualiser once for everything queued since the last call;
 * after recent input also send the partial line (a prompt, an echo). */
void vmm_sddf_serial_flush(struct vmm_sddf_serial *s);

#endif
