/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console over an sDDF serial client (include/stdvmm/sddf_serial.h).
 * Output: bytes from the guest's PL011 / virtio-console collect in a line
 * buffer; a complete line goes into the tx queue in one batch, and the tx
 * virtualiser is notified once per flush (the port flushes after each vCPU
 * exit or notification it handled), not per byte. Nothing blocks: a line the
 * queue has no room for is dropped and counted. Input: bytes the rx
 * virtualiser queued go to the device's rx function; what it has no room for
 * stays in the queue until the device calls rx_ready().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sddf/serial/queue.h>
#include "stdvmm/err.h"
#include "stdvmm/sddf_serial.h"

static void handle_of(serial_queue_handle_t *h, const struct vmm_sddf_serial_queue *q)
{
    serial_queue_init(h, q->queue, q->size, q->data);
}

/* Free room in the tx queue; 0 if the shared indices make no sense. */
static uint32_t tx_room(serial_queue_handle_t *h)
{
    uint32_t used = serial_queue_length(h);

    return used > h->capacity ? 0 : h->capacity - used;
}

static bool tx_put(struct vmm_sddf_serial *s, const char *a, size_t alen, const char *b,
                   size_t blen)
{
    serial_queue_handle_t h;

    handle_of(&h, &s->tx);
    if (alen + blen > tx_room(&h)) {
        s->dropped++;
        return false;
    }
    serial_enqueue_batch(&h, (uint32_t)alen, a);
    serial_enqueue_batch(&h, (uint32_t)blen, b);
    s->tx_pending = true;
    return true;
}

/* Send line[0..len) (+ "\r\n" if @eol), with the prefix at a line start. */
static void send_line(struct vmm_sddf_serial *s, bool eol)
{
    char head[48];
    size_t hlen = 0, plen;

    if (s->at_line_start && s->prefix != NULL) {
        plen = strlen(s->prefix);
        if (plen > sizeof(head) - 3)
            plen = sizeof(head) - 3;
        memcpy(head, s->prefix, plen);
        memcpy(head + plen, "| ", 2);
        hlen = plen + 2;
    }
    if (eol) {
        s->line[s->len++] = '\r';
        s->line[s->len++] = '\n';
    }
    tx_put(s, head, hlen, s->line, s->len);
    s->at_line_start = eol;
    s->len = 0;
}

static long serial_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct vmm_sddf_serial *s = ctx;

    for (size_t i = 0; i < len; i++) {
        char c = (char)buf[i];

        if (c == '\r')
            continue;
        if (c == '\n') {
            send_line(s, true);
            continue;
        }
        s->line[s->len++] = c;
        /* room for "\r\n" stays */
        if (s->len == sizeof(s->line) - 2)
            send_line(s, true);
    }
    return (long)len;
}

static void serial_rx_ready(void *ctx)
{
    vmm_sddf_serial_rx(ctx);
}

static bool queue_ok(const struct vmm_sddf_serial_queue *q)
{
    return q->queue != NULL && q->data != NULL && q->size != 0 && (q->size & (q->size - 1)) == 0;
}

int vmm_sddf_serial_init(struct vmm_sddf_serial *s, const struct vmm_sddf_serial_queue *rx,
                         const struct vmm_sddf_serial_queue *tx, const char *prefix,
                         void (*notify_tx)(void *ctx), void *notify_ctx)
{
    if (!queue_ok(rx) || !queue_ok(tx) || notify_tx == NULL)
        return -VMM_EINVAL;
    memset(s, 0, sizeof(*s));
    s->backend =
        (struct vmm_stream_backend){.write = serial_write, .rx_ready = serial_rx_ready, .ctx = s};
    s->rx = *rx;
    s->tx = *tx;
    s->prefix = prefix;
    s->notify_tx = notify_tx;
    s->notify_ctx = notify_ctx;
    s->at_line_start = true;
    return 0;
}

void vmm_sddf_serial_set_input(struct vmm_sddf_serial *s,
                               size_t (*input)(void *dev, const uint8_t *buf, size_t len),
                               void *dev)
{
    s->input = input;
    s->input_dev = dev;
}

bool vmm_sddf_serial_put_line(struct vmm_sddf_serial *s, const char *text, size_t len)
{
    return tx_put(s, text, len, "\r\n", 2);
}

size_t vmm_sddf_serial_rx(struct vmm_sddf_serial *s)
{
    serial_queue_handle_t h;
    size_t moved = 0;

    if (s->input == NULL)
        return 0;
    handle_of(&h, &s->rx);
    if (serial_queue_length(&h) > h.capacity) {
        /* Indices from the virtualiser that make no sense: drop what is there. */
        serial_update_shared_head(&h, h.queue->tail);
        return 0;
    }
    /* At most two contiguous pieces: up to the wrap, then from the start. */
    for (int piece = 0; piece < 2 && serial_queue_length(&h) > 0; piece++) {
        uint32_t n = serial_queue_contiguous_length(&h);
        const uint8_t *p = (const uint8_t *)h.data_region + h.queue->head % h.capacity;
        size_t took = s->input(s->input_dev, p, n);

        if (took > n)
            took = n;
        serial_update_shared_head(&h, h.queue->head + (uint32_t)took);
        moved += took;
        if (took < n)
            break;
    }
    if (moved > 0)
        s->echo_credit = VMM_SDDF_SERIAL_ECHO_BYTES;
    return moved;
}

void vmm_sddf_serial_flush(struct vmm_sddf_serial *s)
{
    if (s->len > 0 && s->echo_credit > 0) {
        s->echo_credit = s->len >= s->echo_credit ? 0 : s->echo_credit - (uint32_t)s->len;
        send_line(s, false);
    }
    if (s->tx_pending) {
        s->tx_pending = false;
        s->notify_tx(s->notify_ctx);
    }
}
