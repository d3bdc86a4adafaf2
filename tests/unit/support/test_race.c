/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "stdvmm/virtq.h"
#include "support/test_race.h"

uint64_t test_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *race_main(void *arg)
{
    struct test_race *r = arg;

    /* The clock is read once every 1024 rounds only: it can cost
     * microseconds (a system call in some VMs), far more than a round. */
    for (unsigned long n = 1; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); n++) {
        if (n % 1024 == 0 && test_clock_ms() >= r->deadline_ms)
            break;
        r->round(r->arg);
        __atomic_fetch_add(&r->rounds, 1, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

void test_race_start(struct test_race *r, void (*round)(void *arg), void *arg, unsigned max_ms)
{
    memset(r, 0, sizeof(*r));
    r->round = round;
    r->arg = arg;
    r->deadline_ms = test_clock_ms() + max_ms;
    assert_int_equal(pthread_create(&r->thread, NULL, race_main, r), 0);
}

void test_race_sync(struct test_race *r)
{
    unsigned long seen = __atomic_load_n(&r->rounds, __ATOMIC_RELAXED);

    while (__atomic_load_n(&r->rounds, __ATOMIC_RELAXED) < seen + 1000 &&
           !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
        ;
}

unsigned long test_race_stop(struct test_race *r)
{
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(r->thread, NULL), 0);
    return __atomic_load_n(&r->rounds, __ATOMIC_RELAXED);
}

void test_refill_init(struct test_refill *rf, struct test_vq *q, uint64_t gpa, uint32_t len,
                      bool writable)
{
    memset(rf, 0, sizeof(*rf));
    rf->q = q;
    /* Ring fields are then accessed through host pointers as single atomic
     * accesses (the device uses them concurrently), and no cmocka assertion
     * runs on the second thread. Little-endian hosts, like the rest. */
    rf->avail_idx = test_guest_ptr(q->g, q->avail + 2, 2);
    rf->avail_ring = test_guest_ptr(q->g, q->avail + 4, 2u * q->num);
    rf->used_idx = test_guest_ptr(q->g, q->used + 2, 2);
    for (uint16_t i = 0; i < q->num; i++)
        test_vq_set_desc(q, i, gpa, len, writable ? VIRTQ_DESC_F_WRITE : 0, 0);
}

void test_refill_round(void *arg)
{
    struct test_refill *rf = arg;
    struct test_vq *q = rf->q;
    uint16_t used = __atomic_load_n(rf->used_idx, __ATOMIC_ACQUIRE);

    while ((uint16_t)(q->avail_idx - used) < q->num) {
        uint16_t slot = (uint16_t)(q->avail_idx % q->num);

        __atomic_store_n(&rf->avail_ring[slot], slot, __ATOMIC_RELAXED);
        q->avail_idx++;
        __atomic_store_n(rf->avail_idx, q->avail_idx, __ATOMIC_RELEASE);
        __atomic_fetch_add(&rf->published, 1, __ATOMIC_RELAXED);
    }
}
