/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/mmio.h"

struct fake_dev {
    uint64_t last_offset;
    unsigned last_size;
    uint64_t last_value;
    unsigned reads, writes;
    int fail;
};

static int fake_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct fake_dev *d = opaque;
    d->reads++;
    d->last_offset = offset;
    d->last_size = size;
    *value = 0x1000 + offset;
    return d->fail;
}

static int fake_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct fake_dev *d = opaque;
    d->writes++;
    d->last_offset = offset;
    d->last_size = size;
    d->last_value = value;
    return d->fail;
}

static const struct vmm_mmio_ops fake_ops = {fake_read, fake_write};

static void bus_routes_to_region_with_relative_offset(void **state)
{
    struct vmm_mmio_bus bus;
    struct fake_dev a = {0}, b = {0};
    struct vmm_access acc = {.addr = 0x9000010, .size = 4, .write = false};
    (void)state;

    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register(&bus, 0xa000000, 0x200, &fake_ops, &b, "b"), 0);
    assert_int_equal(vmm_mmio_register(&bus, 0x9000000, 0x1000, &fake_ops, &a, "a"), 0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(a.reads, 1);
    assert_int_equal(a.last_offset, 0x10);
    assert_int_equal(acc.value, 0x1010);

    acc = (struct vmm_access){.addr = 0xa0001f8, .size = 8, .write = true, .value = 42};
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(b.writes, 1);
    assert_int_equal(b.last_offset, 0x1f8);
    assert_int_equal(b.last_value, 42);
}

static void bus_keeps_regions_sorted_for_lookup(void **state)
{
    struct vmm_mmio_bus bus;
    struct fake_dev d[5] = {{0}};
    const uint64_t bases[5] = {0x5000, 0x1000, 0x9000, 0x3000, 0x7000};
    (void)state;

    vmm_mmio_bus_init(&bus);
    for (int i = 0; i < 5; i++)
        assert_int_equal(vmm_mmio_register(&bus, bases[i], 0x100, &fake_ops, &d[i], "d"), 0);
    for (unsigned i = 1; i < bus.nr_regions; i++)
        assert_true(bus.regions[i - 1].base < bus.regions[i].base);
    for (int i = 0; i < 5; i++) {
        const struct vmm_mmio_region *r = vmm_mmio_find(&bus, bases[i] + 0xff);
        assert_non_null(r);
        assert_ptr_equal(r->opaque, &d[i]);
        assert_null(vmm_mmio_find(&bus, bases[i] + 0x100));
    }
}

static void bus_rejects_overlap_wrap_and_full_table(void **state)
{
    struct vmm_mmio_bus bus;
    struct fake_dev d = {0};
    (void)state;

    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register(&bus, 0x1000, 0x1000, &fake_ops, &d, "d"), 0);
    assert_int_equal(vmm_mmio_register(&bus, 0x1fff, 0x10, &fake_ops, &d, "d"), -VMM_EEXIST);
    assert_int_equal(vmm_mmio_register(&bus, 0x0f00, 0x101, &fake_ops, &d, "d"), -VMM_EEXIST);
    assert_int_equal(vmm_mmio_register(&bus, UINT64_MAX - 8, 0x10, &fake_ops, &d, "d"),
                     -VMM_EINVAL);
    assert_int_equal(vmm_mmio_register(&bus, 0x8000, 0, &fake_ops, &d, "d"), -VMM_EINVAL);
    assert_int_equal(vmm_mmio_register(&bus, 0x8000, 8, NULL, &d, "d"), -VMM_EINVAL);
    for (unsigned i = bus.nr_regions; i < VMM_MAX_MMIO_REGIONS; i++)
        assert_int_equal(vmm_mmio_register(&bus, 0x100000 + i * 0x100, 0x100, &fake_ops, &d, "d"),
                         0);
    assert_int_equal(vmm_mmio_register(&bus, 0x900000, 0x100, &fake_ops, &d, "d"), -VMM_ENOSPC);
}

static void bus_refuses_bad_sizes_and_straddling_accesses(void **state)
{
    struct vmm_mmio_bus bus;
    struct fake_dev d = {0};
    struct vmm_access acc = {.addr = 0x10fc, .size = 8, .write = false, .value = 77};
    (void)state;

    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register(&bus, 0x1000, 0x100, &fake_ops, &d, "d"), 0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), -VMM_EINVAL);
    assert_int_equal(acc.value, 0); /* a refused read returns zero, not stale data */
    acc = (struct vmm_access){.addr = 0x1000, .size = 3, .write = true};
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), -VMM_EINVAL);
    assert_int_equal(d.reads + d.writes, 0);
}

static void bus_counts_unhandled_accesses_and_reads_zero(void **state)
{
    struct vmm_mmio_bus bus;
    struct vmm_access acc = {.addr = 0xdead0000, .size = 4, .value = 5};
    (void)state;

    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), -VMM_ENOENT);
    assert_int_equal(acc.value, 0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), -VMM_ENOENT);
    assert_int_equal(bus.unhandled, 2);
}

static void bus_passes_handler_errors_and_zeroes_failed_reads(void **state)
{
    struct vmm_mmio_bus bus;
    struct fake_dev d = {.fail = -VMM_EINVAL};
    struct vmm_access acc = {.addr = 0x1000, .size = 4};
    (void)state;

    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register(&bus, 0x1000, 0x100, &fake_ops, &d, "d"), 0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), -VMM_EINVAL);
    assert_int_equal(acc.value, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bus_routes_to_region_with_relative_offset),
        cmocka_unit_test(bus_keeps_regions_sorted_for_lookup),
        cmocka_unit_test(bus_rejects_overlap_wrap_and_full_table),
        cmocka_unit_test(bus_refuses_bad_sizes_and_straddling_accesses),
        cmocka_unit_test(bus_counts_unhandled_accesses_and_reads_zero),
        cmocka_unit_test(bus_passes_handler_errors_and_zeroes_failed_reads),
    };
    return cmocka_run_group_tests_name("mmio_bus", tests, NULL, NULL);
}
