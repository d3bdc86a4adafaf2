/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

static int dummy_read(void *o, uint64_t off, unsigned size, uint64_t *v)
{
    (void)o;
    (void)size;
    *v = off;
    return 0;
}

static int dummy_write(void *o, uint64_t off, unsigned size, uint64_t v)
{
    (void)o;
    (void)off;
    (void)size;
    (void)v;
    return 0;
}

static const struct vmm_mmio_ops dummy_ops = {dummy_read, dummy_write};

struct irq_log {
    unsigned calls;
    unsigned line;
    bool level;
};

static int record_irq(void *port, unsigned line, bool level)
{
    struct irq_log *log = port;
    log->calls++;
    log->line = line;
    log->level = level;
    return 0;
}

static const struct vmm_port_ops recording_port = {.irq_set = record_irq};

static struct vmm_device make_dev(const char *name, uint64_t base, unsigned irq)
{
    return (struct vmm_device){
        .name = name, .base = base, .size = 0x200, .irq = irq, .ops = &dummy_ops};
}

static void vm_init_checks_vcpu_count(void **state)
{
    struct vmm_vm vm;
    (void)state;
    assert_int_equal(vmm_vm_init(&vm, "t", 0), -VMM_EINVAL);
    assert_int_equal(vmm_vm_init(&vm, "t", VMM_MAX_VCPUS + 1), -VMM_EINVAL);
    assert_int_equal(vmm_vm_init(&vm, "t", 4), 0);
    assert_int_equal(vm.nr_vcpus, 4);
    assert_int_equal(vm.vcpus[0].state, VMM_VCPU_ON);
    for (unsigned i = 1; i < 4; i++) {
        assert_int_equal(vm.vcpus[i].state, VMM_VCPU_OFF);
        assert_int_equal(vm.vcpus[i].index, i);
        assert_ptr_equal(vm.vcpus[i].vm, &vm);
    }
    assert_ptr_equal(vmm_vm_vcpu(&vm, 3), &vm.vcpus[3]);
    assert_null(vmm_vm_vcpu(&vm, 4));
    assert_string_equal(vmm_vcpu_state_name(VMM_VCPU_STOPPED), "stopped");
}

static void vm_mmio_counts_accesses_per_vcpu(void **state)
{
    struct vmm_vm vm;
    struct vmm_device a = make_dev("a", 0xa000000, 16);
    struct vmm_access hit = {.addr = 0xa000000, .size = 4, .vcpu = 1};
    struct vmm_access miss = {.addr = 0xc000000, .size = 4, .vcpu = 1};
    struct vmm_access bogus = {.addr = 0xa000000, .size = 4, .vcpu = 7};
    (void)state;

    assert_int_equal(vmm_vm_init(&vm, "t", 2), 0);
    assert_int_equal(vmm_vm_add_device(&vm, &a), 0);
    assert_int_equal(vmm_vm_mmio(&vm, &hit), 0);
    assert_int_equal(vmm_vm_mmio(&vm, &miss), -VMM_ENOENT);
    assert_int_equal(vmm_vm_mmio(&vm, &bogus), 0); /* a bad vCPU index is not counted */
    assert_int_equal(vm.vcpus[1].stats.mmio_accesses, 2);
    assert_int_equal(vm.vcpus[1].stats.mmio_unhandled, 1);
    assert_int_equal(vm.vcpus[0].stats.mmio_accesses, 0);
}

static void vm_add_device_claims_irq_and_maps_window(void **state)
{
    struct vmm_vm vm;
    struct vmm_device a = make_dev("a", 0xa000000, 16), b = make_dev("b", 0xa000200, 16);
    struct vmm_device c = make_dev("c", 0xa000100, 17), d = make_dev("a", 0xb000000, 18);
    (void)state;

    assert_int_equal(vmm_vm_init(&vm, "t", 1), 0);
    assert_int_equal(vmm_vm_add_device(&vm, &a), 0);
    assert_string_equal(vm.irqs.owner[16], "a");
    assert_int_equal(vmm_vm_add_device(&vm, &b), -VMM_EBUSY);  /* line taken */
    assert_int_equal(vmm_vm_add_device(&vm, &c), -VMM_EEXIST); /* window overlaps */
    assert_null(vm.irqs.owner[17]); /* a failed add gives its line back */
    assert_int_equal(vmm_vm_add_device(&vm, &d), -VMM_EEXIST); /* name taken */
    assert_ptr_equal(vmm_vm_find_device(&vm, "a"), &a);
    assert_null(vmm_vm_find_device(&vm, "zz"));
    assert_int_equal(vm.nr_devices, 1);
}

static void two_vms_in_one_process_are_independent(void **state)
{
    struct vmm_vm vm1, vm2;
    struct vmm_device a = make_dev("a", 0xa000000, 16), b = make_dev("a", 0xa000000, 16);
    struct vmm_access acc = {.addr = 0xa000010, .size = 4};
    (void)state;

    assert_int_equal(vmm_vm_init(&vm1, "one", 1), 0);
    assert_int_equal(vmm_vm_init(&vm2, "two", 2), 0);
    assert_int_equal(vmm_vm_add_device(&vm1, &a), 0);
    assert_int_equal(vmm_vm_add_device(&vm2, &b), 0); /* same name/line/window: other VM */
    assert_int_equal(vmm_vm_mmio(&vm1, &acc), 0);
    assert_int_equal(acc.value, 0x10);
    assert_int_equal(vmm_vm_mmio(&vm2, &acc), 0);
}

static void irq_set_routes_owned_lines_to_port(void **state)
{
    struct vmm_vm vm;
    struct vmm_device a = make_dev("a", 0xa000000, 20);
    struct irq_log log = {0};
    (void)state;

    assert_int_equal(vmm_vm_init(&vm, "t", 1), 0);
    assert_int_equal(vmm_vm_add_device(&vm, &a), 0);
    assert_int_equal(vmm_irq_set(&vm, 20, true), 0); /* no port yet: remembered only */
    assert_true(vm.irqs.level[20]);
    vmm_vm_set_port(&vm, &recording_port, &log);
    assert_int_equal(vmm_irq_set(&vm, 20, false), 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.line, 20);
    assert_false(log.level);
    assert_int_equal(vmm_irq_set(&vm, 21, true), -VMM_EINVAL); /* nobody owns it */
    assert_int_equal(vmm_irq_set(&vm, VMM_MAX_IRQ_LINES, true), -VMM_EINVAL);
    assert_int_equal(log.calls, 1);
}

static void irq_ownership_is_exclusive_until_released(void **state)
{
    struct vmm_irq_lines irqs;
    const char *me = "me", *other = "other";
    (void)state;

    vmm_irq_lines_init(&irqs);
    assert_int_equal(vmm_irq_claim(&irqs, 5, me), 0);
    assert_int_equal(vmm_irq_claim(&irqs, 5, other), -VMM_EBUSY);
    assert_int_equal(vmm_irq_release(&irqs, 5, other), -VMM_EINVAL);
    assert_int_equal(vmm_irq_find_free(&irqs, 5), 6);
    assert_int_equal(vmm_irq_release(&irqs, 5, me), 0);
    assert_int_equal(vmm_irq_claim(&irqs, 5, other), 0);
    assert_int_equal(vmm_irq_find_free(&irqs, VMM_MAX_IRQ_LINES), VMM_IRQ_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vm_init_checks_vcpu_count),
        cmocka_unit_test(vm_add_device_claims_irq_and_maps_window),
        cmocka_unit_test(vm_mmio_counts_accesses_per_vcpu),
        cmocka_unit_test(two_vms_in_one_process_are_independent),
        cmocka_unit_test(irq_set_routes_owned_lines_to_port),
        cmocka_unit_test(irq_ownership_is_exclusive_until_released),
    };
    return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
