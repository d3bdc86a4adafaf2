/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's system description checks (ports/sel4-init/desc.c, no seL4
 * dependency, compiled in as is): every impossible description is refused
 * with a message naming what is wrong; a good one passes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../ports/sel4/sel4_fmt.c"
#include "../../ports/sel4-init/desc.c"

static const unsigned char elf[4096];
static const struct sel4init_limits lim = {
    .nr_cores = 4, .free_bytes = 1ull << 30, .min_budget_us = 50};

/* Two VMs: vm-a with 2 vCPUs on cores 0 and 1, vm-b with 1 on core 2. */
static void good(struct sel4init_system *s)
{
    struct sel4init_vm *a, *b;

    memset(s, 0, sizeof(*s));
    a = sel4init_add_vm(s, "vm-a", elf, elf + sizeof(elf), 128ull << 20);
    b = sel4init_add_vm(s, "vm-b", elf, elf + sizeof(elf), 128ull << 20);
    assert_int_equal(sel4init_add_vcpu(s, a, 0, 100, 0, 0), 0);
    assert_int_equal(sel4init_add_vcpu(s, a, 1, 100, 300, 1000), 0);
    assert_int_equal(sel4init_add_vcpu(s, b, 2, 100, 700, 1000), 0);
    assert_int_equal(sel4init_add_channel(s, 0, 1, 3, 4), 0);
}

static void expect(const struct sel4init_system *s, int err, const char *part)
{
    char msg[200];

    assert_int_equal(sel4init_check(s, &lim, msg, sizeof(msg)), err);
    if (strstr(msg, part) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", msg, part);
}

static void desc_accepts_a_good_description(void **state)
{
    struct sel4init_system s;
    char msg[64];

    (void)state;
    good(&s);
    assert_int_equal(sel4init_check(&s, &lim, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(s.vms[0].ram_gpa, 0x40000000);
    assert_int_equal(s.vms[1].vmm_priority, 254);
}

static void desc_refuses_a_core_out_of_range(void **state)
{
    struct sel4init_system s;

    (void)state;
    good(&s);
    s.vms[1].vcpus[0].core = 4;
    expect(&s, -VMM_ERANGE, "vm-b: vCPU 0 is on core 4, but the kernel runs 4 core(s) (0-3)");
    good(&s);
    s.vms[0].vmm_core = 9;
    expect(&s, -VMM_ERANGE, "vm-a: VMM thread 0 is on core 9");
}

/* One VMM thread per core with vCPUs, thread 0 on vmm_core (default: vCPU
 * 0's core), and every vCPU's exits on the thread of its own core. */
static void desc_places_a_vmm_thread_on_each_vcpu_core(void **state)
{
    struct sel4init_system s;
    unsigned core[SEL4INIT_MAX_VMM_THREADS], of[SEL4INIT_MAX_VCPUS];
    struct sel4init_vm *vm;

    (void)state;
    good(&s);
    assert_int_equal(s.vms[0].vmm_core, SEL4INIT_CORE_AUTO);
    assert_int_equal(sel4init_vmm_threads(&s.vms[0], core, of), 2);
    assert_int_equal(core[0], 0);
    assert_int_equal(core[1], 1);
    assert_int_equal(of[0], 0);
    assert_int_equal(of[1], 1);
    assert_int_equal(sel4init_vmm_threads(&s.vms[1], core, of), 1);
    assert_int_equal(core[0], 2);
    assert_int_equal(of[0], 0);

    /* vCPUs on cores 3, 1, 3, 0 with thread 0 on core 2: four threads */
    memset(&s, 0, sizeof(s));
    vm = sel4init_add_vm(&s, "vm", elf, elf + sizeof(elf), 128ull << 20);
    assert_int_equal(sel4init_add_vcpu(&s, vm, 3, 100, 0, 0), 0);
    assert_int_equal(sel4init_add_vcpu(&s, vm, 1, 100, 0, 0), 0);
    assert_int_equal(sel4init_add_vcpu(&s, vm, 3, 100, 0, 0), 0);
    assert_int_equal(sel4init_add_vcpu(&s, vm, 0, 100, 0, 0), 0);
    assert_int_equal(sel4init_vmm_core(vm), 3);
    vm->vmm_core = 2;
    assert_int_equal(sel4init_vmm_threads(vm, core, of), 4);
    assert_int_equal(core[0], 2);
    assert_int_equal(core[1], 3);
    assert_int_equal(core[2], 1);
    assert_int_equal(core[3], 0);
    assert_int_equal(of[0], 1);
    assert_int_equal(of[1], 2);
    assert_int_equal(of[2], 1);
    assert_int_equal(of[3], 3);

    /* a full VM: 8 vCPUs on 8 cores and thread 0 on a ninth */
    memset(&s, 0, sizeof(s));
    vm = sel4init_add_vm(&s, "vm", elf, elf + sizeof(elf), 128ull << 20);
    for (unsigned i = 0; i < SEL4INIT_MAX_VCPUS; i++)
        assert_int_equal(sel4init_add_vcpu(&s, vm, i, 100, 0, 0), 0);
    vm->vmm_core = SEL4INIT_MAX_VCPUS;
    assert_int_equal(sel4init_vmm_threads(vm, core, of), SEL4INIT_MAX_VMM_THREADS);
    assert_int_equal(of[SEL4INIT_MAX_VCPUS - 1], SEL4INIT_MAX_VCPUS);
}

static void desc_refuses_budget_above_period(void **state)
{
    struct sel4init_system s;

    (void)state;
    good(&s);
    s.vms[0].vcpus[1].budget_us = 1001;
    expect(&s, -VMM_EINVAL, "vm-a: vCPU 1 has a budget of 1001 us, more than its period of 1000");
    good(&s);
    s.vms[0].vcpus[0].budget_us = SEL4INIT_DEFAULT_PERIOD_US + 1; /* period 0: the default */
    expect(&s, -VMM_EINVAL, "vm-a: vCPU 0 has a budget of 10001 us");
    good(&s);
    s.vms[1].vcpus[0].budget_us = 10;
    expect(&s, -VMM_EINVAL, "below the kernel's minimum of 50 us");
}

static void desc_refuses_not_enough_memory(void **state)
{
    struct sel4init_system s;
    struct sel4init_limits small = lim;
    char msg[200];

    (void)state;
    good(&s);
    small.free_bytes = 200ull << 20; /* two VMs of 128 MiB do not fit */
    assert_int_equal(sel4init_check(&s, &small, msg, sizeof(msg)), -VMM_ENOMEM);
    assert_non_null(strstr(msg, "not enough memory: the VMs need at least 272 MiB"));
    assert_non_null(strstr(msg, "the kernel has 200 MiB"));
}

static void desc_refuses_overlapping_regions(void **state)
{
    struct sel4init_system s;

    (void)state;
    good(&s);
    s.vms[0].ram_gpa = 0x6000000;
    expect(&s, -VMM_EINVAL, "vm-a: guest RAM 0x6000000+0x8000000 overlaps the guest's devices");
    good(&s);
    s.vms[1].ram_gpa = 0x10000000;
    expect(&s, -VMM_EINVAL, "vm-b: guest RAM 0x10000000+0x8000000 overlaps the VMM program");
    good(&s);
    s.vms[1].ram_size = 3 << 20;
    expect(&s, -VMM_EINVAL, "vm-b: guest RAM 0x40000000+0x300000 is not a non-empty 2 MiB");
}

static void desc_refuses_bad_priorities_names_and_counts(void **state)
{
    struct sel4init_system s;

    (void)state;
    good(&s);
    s.vms[0].vcpus[0].priority = 254;
    expect(&s, -VMM_EINVAL, "vm-a: vCPU 0 has priority 254, not below its VMM's 254");
    good(&s);
    s.vms[0].vcpus[0].priority = 0;
    expect(&s, -VMM_ERANGE, "vm-a: vCPU 0 has priority 0, not 1..254");
    good(&s);
    s.vms[1].name = "vm-a";
    expect(&s, -VMM_EEXIST, "two VMs are named \"vm-a\"");
    good(&s);
    s.vms[1].nr_vcpus = 0;
    expect(&s, -VMM_ERANGE, "vm-b: 0 vCPUs");
    good(&s);
    s.nr_vms = 0;
    expect(&s, -VMM_EINVAL, "0 VMs");
    good(&s);
    s.vms[0].vmm_elf_end = s.vms[0].vmm_elf;
    expect(&s, -VMM_EINVAL, "vm-a: no VMM program");
}

static void desc_refuses_bad_channels_and_full_tables(void **state)
{
    struct sel4init_system s;

    (void)state;
    good(&s);
    assert_int_equal(sel4init_add_channel(&s, 1, 1, 0, 0), 0);
    expect(&s, -VMM_EINVAL, "channel 1: VMs 1 and 1 are not two VMs");
    good(&s);
    assert_int_equal(sel4init_add_channel(&s, 1, 0, 9, 3), 0); /* vm-a's 3 again */
    expect(&s, -VMM_EEXIST, "channel 1 reuses a channel number of 0");
    good(&s);
    s.channels[0].ch_a = 63;
    expect(&s, -VMM_ERANGE, "channel 0: channel numbers 63/4");
    good(&s);
    for (unsigned i = 0; i < SEL4INIT_MAX_VCPUS; i++)
        sel4init_add_vcpu(&s, &s.vms[1], 3, 10, 0, 0);
    expect(&s, -VMM_ENOSPC, "too many vCPUs in a VM");
    good(&s);
    while (sel4init_add_vm(&s, "x", elf, elf + 1, 2 << 20) != NULL)
        ;
    expect(&s, -VMM_ENOSPC, "too many VMs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(desc_accepts_a_good_description),
        cmocka_unit_test(desc_refuses_a_core_out_of_range),
        cmocka_unit_test(desc_places_a_vmm_thread_on_each_vcpu_core),
        cmocka_unit_test(desc_refuses_budget_above_period),
        cmocka_unit_test(desc_refuses_not_enough_memory),
        cmocka_unit_test(desc_refuses_overlapping_regions),
        cmocka_unit_test(desc_refuses_bad_priorities_names_and_counts),
        cmocka_unit_test(desc_refuses_bad_channels_and_full_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
