/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/mem.h"

static uint8_t ram_a[4096], ram_b[8192];

static void setup_two_regions(struct vmm_mem *mem)
{
    vmm_mem_init(mem);
    assert_int_equal(vmm_mem_add_region(mem, 0x40000000, sizeof(ram_a), ram_a), 0);
    assert_int_equal(vmm_mem_add_region(mem, 0x80000000, sizeof(ram_b), ram_b), 0);
}

static void mem_translates_inside_each_region(void **state)
{
    struct vmm_mem mem;
    (void)state;
    setup_two_regions(&mem);
    assert_ptr_equal(vmm_gpa_to_hva(&mem, 0x40000000, 4096), ram_a);
    assert_ptr_equal(vmm_gpa_to_hva(&mem, 0x80000010, 16), ram_b + 16);
    assert_int_equal(vmm_mem_lowest(&mem), 0x40000000);
}

static void mem_refuses_ranges_leaving_a_region(void **state)
{
    struct vmm_mem mem;
    (void)state;
    setup_two_regions(&mem);
    assert_null(vmm_gpa_to_hva(&mem, 0x40000000, 4097));
    assert_null(vmm_gpa_to_hva(&mem, 0x40000fff, 2));
    assert_null(vmm_gpa_to_hva(&mem, 0x3fffffff, 2));
    assert_null(vmm_gpa_to_hva(&mem, 0x40001000, 1)); /* gap between regions */
    assert_null(vmm_gpa_to_hva(&mem, UINT64_MAX, 1));
    assert_null(vmm_gpa_to_hva(&mem, 0x80000000, UINT64_MAX)); /* length wraps */
}

static void mem_rejects_overlap_and_wrap(void **state)
{
    struct vmm_mem mem;
    (void)state;
    setup_two_regions(&mem);
    assert_int_equal(vmm_mem_add_region(&mem, 0x40000800, 16, ram_a), -VMM_EEXIST);
    assert_int_equal(vmm_mem_add_region(&mem, UINT64_MAX - 4, 16, ram_a), -VMM_EINVAL);
    assert_int_equal(vmm_mem_add_region(&mem, 0x1000, 0, ram_a), -VMM_EINVAL);
}

static void guest_read_write_copy_or_fault_whole(void **state)
{
    struct vmm_mem mem;
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8] = {0};
    (void)state;
    setup_two_regions(&mem);
    assert_int_equal(vmm_guest_write(&mem, 0x80000100, buf, 8), 0);
    assert_int_equal(vmm_guest_read(&mem, 0x80000100, out, 8), 0);
    assert_memory_equal(buf, out, 8);
    memset(out, 0xaa, sizeof(out));
    assert_int_equal(vmm_guest_read(&mem, 0x80001ffc, out, 8), -VMM_EFAULT);
    assert_int_equal(out[0], 0xaa); /* nothing copied on fault */
    assert_int_equal(vmm_guest_write(&mem, 0x80001ffc, buf, 8), -VMM_EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mem_translates_inside_each_region),
        cmocka_unit_test(mem_refuses_ranges_leaving_a_region),
        cmocka_unit_test(mem_rejects_overlap_and_wrap),
        cmocka_unit_test(guest_read_write_copy_or_fault_whole),
    };
    return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
