/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support: races against a device call. A second thread plays a guest
 * vCPU that keeps working on guest memory (refilling a ring, rewriting
 * descriptors) while the test's thread runs one device call, which must then
 * still end within a bounded amount of work and time.
 *
 * The second thread stops by itself after @max_ms even if nobody stops it,
 * so a device call that loops for as long as the guest feeds it still
 * returns, and the test fails on its bound instead of hanging.
 *
 * Typical use:
 *     struct test_refill rf;
 *     struct test_race race;
 *     test_refill_init(&rf, &q, buf_gpa, 44, true);   // ring full of 44-byte buffers
 *     test_race_start(&race, test_refill_round, &rf, 3000);
 *     uint64_t t0 = test_clock_ms();
 *     ret = device_call(...);
 *     assert_true(test_clock_ms() - t0 < 1000);
 *     test_race_stop(&race);
 */
#ifndef STDVMM_TEST_RACE_H
#define STDVMM_TEST_RACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "support/test_driver.h"

struct test_race {
    pthread_t thread;
    void (*round)(void *arg);
    void *arg;
    uint64_t deadline_ms; /* test_clock_ms() after which the thread stops */
    int stop;             /* set by test_race_stop() (atomic) */
    int done;             /* set by the thread when it ends (atomic) */
    unsigned long rounds; /* times round() ran (atomic) */
};

/* Milliseconds of a monotonic clock. */
uint64_t test_clock_ms(void);

/* Start a thread that calls @round(@arg) over and over until test_race_stop()
 * or until @max_ms have passed. */
void test_race_start(struct test_race *r, void (*round)(void *arg), void *arg, unsigned max_ms);

/* Wait until the thread is seen running rounds right now (it is on a CPU),
 * so the device call that follows really races it (or until it ended). */
void test_race_sync(struct test_race *r);

/* Stop and join the thread; returns how many rounds it ran. */
unsigned long test_race_stop(struct test_race *r);

/* A guest that keeps ring @q topped up with one-buffer chains: descriptor i
 * (for every i < q->num) points at [gpa, gpa + len), device-writable or not. */
struct test_refill {
    struct test_vq *q;
    uint16_t *avail_idx, *avail_ring, *used_idx; /* host views, found before the race */
    unsigned long published;                     /* chains made available so far (atomic) */
};

/* Write @q's descriptors for test_refill_round(); publishes nothing yet. */
void test_refill_init(struct test_refill *rf, struct test_vq *q, uint64_t gpa, uint32_t len,
                      bool writable);

/* One round (a test_race round function): make chains available until the
 * driver has q->num outstanding (never more, so the ring stays legal). */
void test_refill_round(void *rf);

#endif
