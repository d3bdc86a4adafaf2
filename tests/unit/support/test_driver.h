/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support: the driver side of split virtqueues and of virtio-mmio, as a
 * guest would run it, for device tests (console, blk, net, rng, vsock...).
 *
 * Virtqueues (virtio 1.2 section 2.7): test_vq_layout() places the three
 * rings in guest memory; test_vq_add() writes a direct chain from an array
 * of buffers and makes it available; test_vq_add_indirect() does the same
 * through an indirect table; test_vq_get_used() reads back what the device
 * returned. Descriptors are handed out round-robin, so keep fewer than
 * queue-size descriptors in flight. For hostile tests, test_vq_set_desc(),
 * test_vq_publish() and test_vq_set_avail_idx() write raw ring contents.
 *
 * Transport (4.2.3.1): test_vmmio_negotiate() runs reset / ACKNOWLEDGE /
 * DRIVER / features / FEATURES_OK, test_vmmio_setup_queue() programs and
 * enables one queue, test_vmmio_driver_ok() and test_vmmio_kick() finish
 * the job. test_vmmio_bringup() does all of it for a device's queues.
 */
#ifndef STDVMM_TEST_DRIVER_H
#define STDVMM_TEST_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include "support/test_guest.h"

struct test_vq {
    struct test_guest *g;
    uint16_t num;
    uint64_t desc, avail, used; /* guest addresses of the rings */
    uint16_t avail_idx;         /* next avail index the driver publishes */
    uint16_t last_used;         /* next used entry the driver reads */
    uint16_t next_desc;         /* round-robin descriptor allocator */
};

/* One buffer of a chain: guest address, length, device-writable or not. */
struct test_buf {
    uint64_t gpa;
    uint32_t len;
    bool writable;
};

/* Allocate zeroed, aligned rings of @num entries in @g's RAM. */
void test_vq_layout(struct test_vq *q, struct test_guest *g, uint16_t num);

/* Write descriptor @idx verbatim. */
void test_vq_set_desc(struct test_vq *q, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
                      uint16_t next);

/* Put @head in the next avail slot and advance avail->idx. */
void test_vq_publish(struct test_vq *q, uint16_t head);

/* Write avail->idx (and the driver's shadow) verbatim. */
void test_vq_set_avail_idx(struct test_vq *q, uint16_t idx);

/* Chain @bufs[0..n) through descriptors and publish it; returns the head. */
uint16_t test_vq_add(struct test_vq *q, const struct test_buf *bufs, unsigned n);

/* Write @bufs[0..n) as an indirect table in guest RAM; returns its address. */
uint64_t test_vq_make_table(struct test_vq *q, const struct test_buf *bufs, unsigned n);

/* Publish one INDIRECT descriptor pointing at a new table of @bufs; returns the head. */
uint16_t test_vq_add_indirect(struct test_vq *q, const struct test_buf *bufs, unsigned n);

/* Next used element, if the device returned one: true and *@id / *@len filled. */
bool test_vq_get_used(struct test_vq *q, uint32_t *id, uint32_t *len);

/* Ring fields the device writes / the driver writes. */
uint16_t test_vq_used_idx(struct test_vq *q);
uint16_t test_vq_used_flags(struct test_vq *q);
uint16_t test_vq_avail_event(struct test_vq *q);
void test_vq_set_avail_flags(struct test_vq *q, uint16_t flags);
void test_vq_set_used_event(struct test_vq *q, uint16_t idx);

/* Registers of the virtio-mmio device at @base (32-bit accesses). */
uint32_t test_vmmio_read(struct test_guest *g, uint64_t base, uint32_t reg);
void test_vmmio_write(struct test_guest *g, uint64_t base, uint32_t reg, uint32_t value);

/* Reset, ACKNOWLEDGE, DRIVER, write @features, set FEATURES_OK; returns the
 * Status read back (FEATURES_OK is clear if the device refused). */
uint32_t test_vmmio_negotiate(struct test_guest *g, uint64_t base, uint64_t features);

/* Program queue @qidx with @q's rings and set QueueReady. */
void test_vmmio_setup_queue(struct test_guest *g, uint64_t base, unsigned qidx,
                            const struct test_vq *q);

/* Set DRIVER_OK. */
void test_vmmio_driver_ok(struct test_guest *g, uint64_t base);

/* Write QueueNotify for queue @qidx. */
void test_vmmio_kick(struct test_guest *g, uint64_t base, unsigned qidx);

/* Negotiate @features (asserting FEATURES_OK), lay out @n queues of @num
 * entries into @qs, program them and set DRIVER_OK. */
void test_vmmio_bringup(struct test_guest *g, uint64_t base, uint64_t features, struct test_vq *qs,
                        unsigned n, uint16_t num);

#endif
