/* SPDX-License-Identifier: BSD-2-Clause */
/* Boot timer: one callback on the first magic write, driven through the bus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/boot_timer.h"
#include "stdvmm/vm.h"

struct fixture {
    struct vmm_vm vm;
    struct boot_timer bt;
    unsigned calls;
};

static void count_signal(void *ctx)
{
    ((struct fixture *)ctx)->calls++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(vmm_vm_init(&f->vm, "boot-timer-test", 1), 0);
    vmm_boot_timer_init(&f->bt, NULL, BOOT_TIMER_DEFAULT_BASE, count_signal, f);
    assert_int_equal(vmm_vm_add_device(&f->vm, &f->bt.dev), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void access(struct fixture *f, uint64_t off, uint8_t size, bool write, uint64_t *value)
{
    struct vmm_access acc = {.addr = BOOT_TIMER_DEFAULT_BASE + off,
                             .size = size,
                             .write = write,
                             .value = write ? *value : 0};

    assert_int_equal(vmm_vm_mmio(&f->vm, &acc), 0);
    if (!write)
        *value = acc.value;
}

static void boot_timer_signals_once_on_magic(void **state)
{
    struct fixture *f = *state;
    uint64_t v = BOOT_TIMER_MAGIC;

    access(f, BOOT_TIMER_SIGNAL, 4, true, &v);
    assert_int_equal(f->calls, 1);
    access(f, BOOT_TIMER_SIGNAL, 4, true, &v);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->bt.ignored, 1);
    access(f, BOOT_TIMER_COUNT, 4, false, &v);
    assert_int_equal(v, 1);
}

static void boot_timer_ignores_wrong_value_size_and_offset(void **state)
{
    struct fixture *f = *state;
    uint64_t v = BOOT_TIMER_MAGIC + 1;

    access(f, BOOT_TIMER_SIGNAL, 4, true, &v);
    v = BOOT_TIMER_MAGIC;
    access(f, BOOT_TIMER_SIGNAL, 8, true, &v);
    access(f, BOOT_TIMER_SIGNAL, 1, true, &v);
    access(f, 0x800, 4, true, &v);
    assert_int_equal(f->calls, 0);
    assert_int_equal(f->bt.ignored, 4);
    access(f, BOOT_TIMER_COUNT, 4, false, &v);
    assert_int_equal(v, 0);
    access(f, 0xffc, 4, false, &v);
    assert_int_equal(v, 0);
}

static void boot_timer_without_callback_still_counts(void **state)
{
    struct boot_timer bt;
    uint64_t v = 0;

    (void)state;
    vmm_boot_timer_init(&bt, "bt", 0x1000, NULL, NULL);
    assert_int_equal(vmm_boot_timer_mmio_ops.write(&bt, BOOT_TIMER_SIGNAL, 4, BOOT_TIMER_MAGIC), 0);
    assert_int_equal(vmm_boot_timer_mmio_ops.read(&bt, BOOT_TIMER_COUNT, 4, &v), 0);
    assert_int_equal(v, 1);
    assert_string_equal(bt.dev.compatible, "stdvmm,boot-timer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_timer_signals_once_on_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(boot_timer_ignores_wrong_value_size_and_offset, setup,
                                        teardown),
        cmocka_unit_test(boot_timer_without_callback_still_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
