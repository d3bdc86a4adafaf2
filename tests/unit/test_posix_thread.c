/* SPDX-License-Identifier: BSD-2-Clause */
/* vmm_posix_thread_start() (posix/thread.h): the thread runs, and its stack is
 * below 2 MiB, so no transparent huge page can back it (a default 8 MiB
 * stack right below 2 MiB-aligned guest RAM got one: 2 MiB resident). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/posix/thread.h"

struct probe {
    int ran;
    size_t stack;
};

static void *probe_thread(void *arg)
{
    struct probe *p = arg;
    pthread_attr_t attr;

    p->ran = 1;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        (void)pthread_attr_getstacksize(&attr, &p->stack);
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

static void thread_runs_on_a_stack_below_a_huge_page(void **state)
{
    struct probe p = {0, 0};
    pthread_t t;

    (void)state;
    assert_int_equal(vmm_posix_thread_start(&t, probe_thread, &p), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(p.ran, 1);
    assert_true(p.stack >= POSIX_THREAD_STACK);
    assert_true(p.stack < ((size_t)2 << 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(thread_runs_on_a_stack_below_a_huge_page),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
