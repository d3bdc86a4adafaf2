/* SPDX-License-Identifier: BSD-2-Clause */
/* The hosted backends' event loop (posix/loop.h): when sources are
 * dispatched, wakes from other threads, timeouts, removal and stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/loop.h"

struct src {
    struct vmm_loop_source s;
    int fd;         /* polled for POLLIN when >= 0 */
    int timeout_ms; /* asked for in prepare (-1: none) */
    unsigned prepared, dispatched, woken, fd_ready;
    unsigned sleep_ms; /* in dispatch */
    atomic_uint calls;
    atomic_bool in_slow; /* a dispatch with sleep_ms started */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static unsigned prepare(struct vmm_loop_source *s, struct pollfd *pfd, unsigned max, int *timeout)
{
    struct src *x = s->ctx;

    x->prepared++;
    if (x->timeout_ms >= 0)
        *timeout = x->timeout_ms;
    if (x->fd < 0 || max == 0)
        return 0;
    pfd[0] = (struct pollfd){.fd = x->fd, .events = POLLIN};
    return 1;
}

static void dispatch(struct vmm_loop_source *s, const struct pollfd *pfd, unsigned n, bool woken)
{
    struct src *x = s->ctx;
    char buf[16];

    x->dispatched++;
    x->woken += woken;
    if (n == 1 && (pfd[0].revents & POLLIN)) {
        x->fd_ready++;
        if (read(x->fd, buf, sizeof(buf)) < 0)
            x->fd_ready += 100; /* noticed below */
    }
    if (x->sleep_ms) {
        atomic_store(&x->in_slow, true);
        sleep_ms(x->sleep_ms);
    }
    atomic_fetch_add(&x->calls, 1);
}

static const struct vmm_loop_source_ops ops = {.prepare = prepare, .dispatch = dispatch};

static void init_src(struct src *x, int fd, int timeout_ms)
{
    memset(x, 0, sizeof(*x));
    x->fd = fd;
    x->timeout_ms = timeout_ms;
    atomic_init(&x->calls, 0);
    atomic_init(&x->in_slow, false);
}

/* Only a ready fd, a wake or a timeout gets a source dispatched. */
static void loop_dispatches_only_ready_sources(void **state)
{
    struct vmm_loop l;
    struct src a, b;
    int p[2];
    (void)state;

    assert_int_equal(pipe(p), 0);
    assert_int_equal(vmm_loop_init(&l), 0);
    init_src(&a, p[0], -1);
    init_src(&b, -1, -1);
    assert_int_equal(vmm_loop_add(&l, &a.s, &ops, &a), 0);
    assert_int_equal(vmm_loop_add(&l, &b.s, &ops, &b), 0);
    vmm_loop_run_once(&l, 0); /* each gets a first look when added */
    assert_int_equal(a.dispatched, 1);
    assert_int_equal(b.dispatched, 1);
    assert_int_equal(vmm_loop_run_once(&l, 10), 0); /* idle: nobody */
    assert_int_equal(a.dispatched, 1);
    assert_int_equal(b.dispatched, 1);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_true(vmm_loop_run_once(&l, 1000) >= 1);
    assert_int_equal(a.dispatched, 2);
    assert_int_equal(a.fd_ready, 1);
    assert_int_equal(b.dispatched, 1);
    vmm_loop_wake(&b.s);
    assert_true(vmm_loop_run_once(&l, 1000) >= 1); /* the eventfd */
    assert_int_equal(a.dispatched, 2);
    assert_int_equal(b.dispatched, 2);
    assert_int_equal(b.woken, 2);
    vmm_loop_close(&l);
    close(p[0]);
    close(p[1]);
}

/* A timeout is a deadline: other sources' activity does not postpone it. */
static void loop_timeout_is_not_pushed_back_by_other_sources(void **state)
{
    struct vmm_loop l;
    struct src a, busy;
    uint64_t t0, end;
    (void)state;

    assert_int_equal(vmm_loop_init(&l), 0);
    init_src(&a, -1, 100);
    init_src(&busy, -1, -1);
    assert_int_equal(vmm_loop_add(&l, &a.s, &ops, &a), 0);
    assert_int_equal(vmm_loop_add(&l, &busy.s, &ops, &busy), 0);
    vmm_loop_run_once(&l, 0);
    a.dispatched = 0;
    t0 = now_ms();
    end = t0 + 3000;
    while (a.dispatched == 0 && now_ms() < end) {
        vmm_loop_wake(&busy.s); /* a round every 10 ms or so */
        vmm_loop_run_once(&l, -1);
        sleep_ms(10);
    }
    assert_int_equal(a.dispatched, 1);
    assert_true(now_ms() - t0 >= 90);
    assert_true(now_ms() - t0 < 1500); /* pushed back each round, it never comes */
    vmm_loop_close(&l);
}

/* The thread: a wake from another thread is served promptly; remove waits
 * for a dispatch in progress; stop joins. */
static void loop_thread_serves_wakes_and_remove_waits_for_the_round(void **state)
{
    struct vmm_loop l;
    struct src a;
    uint64_t t0, end;
    (void)state;

    assert_int_equal(vmm_loop_init(&l), 0);
    init_src(&a, -1, -1);
    assert_int_equal(vmm_loop_add(&l, &a.s, &ops, &a), 0);
    assert_int_equal(vmm_loop_start(&l), 0);
    end = now_ms() + 2000;
    while (atomic_load(&a.calls) < 1 && now_ms() < end)
        sleep_ms(1);
    assert_int_equal(atomic_load(&a.calls), 1);
    for (unsigned i = 2; i <= 20; i++) {
        vmm_loop_wake(&a.s);
        end = now_ms() + 2000;
        while (atomic_load(&a.calls) < i && now_ms() < end)
            sleep_ms(1);
        assert_int_equal(atomic_load(&a.calls), i);
    }
    a.sleep_ms = 200;
    vmm_loop_wake(&a.s);
    end = now_ms() + 2000;
    while (!atomic_load(&a.in_slow) && now_ms() < end)
        sleep_ms(1);
    assert_true(atomic_load(&a.in_slow));
    t0 = now_ms();
    vmm_loop_remove(&a.s);
    assert_int_equal(atomic_load(&a.calls), 21); /* the dispatch had finished */
    assert_true(now_ms() - t0 >= 150);           /* of the 200 ms */
    vmm_loop_wake(&a.s);                         /* not in a loop: only a flag */
    sleep_ms(20);
    assert_int_equal(atomic_load(&a.calls), 21);
    vmm_loop_stop(&l);
    vmm_loop_close(&l);
}

/* Sources beyond VMM_LOOP_MAX_SOURCES are refused. */
static void loop_refuses_too_many_sources(void **state)
{
    static struct src x[VMM_LOOP_MAX_SOURCES + 1];
    struct vmm_loop l;
    (void)state;

    assert_int_equal(vmm_loop_init(&l), 0);
    for (unsigned i = 0; i < VMM_LOOP_MAX_SOURCES; i++) {
        init_src(&x[i], -1, -1);
        assert_int_equal(vmm_loop_add(&l, &x[i].s, &ops, &x[i]), 0);
    }
    init_src(&x[VMM_LOOP_MAX_SOURCES], -1, -1);
    assert_int_equal(vmm_loop_add(&l, &x[VMM_LOOP_MAX_SOURCES].s, &ops, &x[VMM_LOOP_MAX_SOURCES]),
                     -VMM_ENOSPC);
    vmm_loop_close(&l);
}

/* The descriptor table is full: a VMM_E* code (vmm_strerror knows it), not
 * a raw -EMFILE that prints as "unknown error". */
static void loop_init_without_descriptors_gives_a_vmm_error(void **state)
{
    struct rlimit old, none;
    struct vmm_loop l;
    int ret;
    (void)state;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    none = old;
    none.rlim_cur = 0;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &none), 0);
    ret = vmm_loop_init(&l);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(ret, -VMM_ENOSPC);
    assert_string_not_equal(vmm_strerror(ret), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loop_dispatches_only_ready_sources),
        cmocka_unit_test(loop_timeout_is_not_pushed_back_by_other_sources),
        cmocka_unit_test(loop_thread_serves_wakes_and_remove_waits_for_the_round),
        cmocka_unit_test(loop_refuses_too_many_sources),
        cmocka_unit_test(loop_init_without_descriptors_gives_a_vmm_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
