/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For host tests only: the layout of sDDF's net queues (sDDF
 * include/sddf/network/queue.h at 5febd61c) and the queue operations
 * src/backends/sddf/net.c calls, written here from their documented
 * behaviour (free-running 16-bit head and tail, an entry at index % capacity,
 * consumer_signalled 0 when the consumer wants a notification), so that
 * tests/fuzz/fuzz_sddf_net.c builds without an sDDF checkout;
 * tools/sel4gen/test_sddf_net.py runs tests/sddf/test_sddf_net.c on both
 * this mirror and sDDF's header. The index arithmetic is written with explicit casts
 * (the fuzzers' integer sanitizer), the memory barriers of sDDF's SMP build
 * are left out (single-threaded tests).
 */
#ifndef STDVMM_TEST_SDDF_NET_QUEUE_H
#define STDVMM_TEST_SDDF_NET_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_BUFFER_SIZE 2048

typedef struct net_buff_desc {
    uint64_t io_or_offset;
    uint16_t len;
} net_buff_desc_t;

typedef struct net_queue {
    uint16_t tail;
    uint16_t head;
    uint32_t consumer_signalled;
    net_buff_desc_t buffers[];
} net_queue_t;

typedef struct net_queue_handle {
    net_queue_t *free;
    net_queue_t *active;
    uint32_t capacity;
} net_queue_handle_t;

static inline uint16_t net_queue_length(net_queue_t *queue)
{
    return (uint16_t)((unsigned)queue->tail + 0x10000u - queue->head);
}

static inline int net_queue_put(net_queue_t *q, uint32_t capacity, net_buff_desc_t b)
{
    if (net_queue_length(q) >= capacity)
        return -1;
    q->buffers[q->tail % capacity] = b;
    q->tail = (uint16_t)(q->tail + 1u);
    return 0;
}

static inline int net_queue_get(net_queue_t *q, uint32_t capacity, net_buff_desc_t *b)
{
    if (net_queue_length(q) == 0)
        return -1;
    *b = q->buffers[q->head % capacity];
    q->head = (uint16_t)(q->head + 1u);
    return 0;
}

static inline int net_enqueue_free(net_queue_handle_t *h, net_buff_desc_t b)
{
    return net_queue_put(h->free, h->capacity, b);
}

static inline int net_enqueue_active(net_queue_handle_t *h, net_buff_desc_t b)
{
    return net_queue_put(h->active, h->capacity, b);
}

static inline int net_dequeue_free(net_queue_handle_t *h, net_buff_desc_t *b)
{
    return net_queue_get(h->free, h->capacity, b);
}

static inline int net_dequeue_active(net_queue_handle_t *h, net_buff_desc_t *b)
{
    return net_queue_get(h->active, h->capacity, b);
}

static inline void net_queue_init(net_queue_handle_t *h, net_queue_t *free, net_queue_t *active,
                                  uint32_t capacity)
{
    h->free = free;
    h->active = active;
    h->capacity = capacity;
}

static inline void net_request_signal_free(net_queue_handle_t *h)
{
    h->free->consumer_signalled = 0;
}

static inline void net_request_signal_active(net_queue_handle_t *h)
{
    h->active->consumer_signalled = 0;
}

static inline void net_cancel_signal_free(net_queue_handle_t *h)
{
    h->free->consumer_signalled = 1;
}

static inline void net_cancel_signal_active(net_queue_handle_t *h)
{
    h->active->consumer_signalled = 1;
}

static inline bool net_require_signal_free(net_queue_handle_t *h)
{
    return h->free->consumer_signalled == 0;
}

static inline bool net_require_signal_active(net_queue_handle_t *h)
{
    return h->active->consumer_signalled == 0;
}

#endif
