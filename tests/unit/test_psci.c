/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/mem.h"
#include "stdvmm/psci.h"

#define RET(code) ((uint64_t)(int64_t)(code))

static struct vmm_psci_result call(struct vmm_psci *p, unsigned vcpu, uint64_t fid, uint64_t x1,
                                   uint64_t x2, uint64_t x3)
{
    struct vmm_psci_result r;
    assert_int_equal(vmm_psci_call(p, vcpu, fid, x1, x2, x3, &r), 0);
    return r;
}

static void psci_reports_version_1_1_and_smccc_1_1(void **state)
{
    struct vmm_psci p;
    (void)state;
    assert_int_equal(vmm_psci_init(&p, 2, NULL), 0);
    assert_int_equal(call(&p, 0, VMM_PSCI_VERSION, 0, 0, 0).x0, 0x10001);
    assert_int_equal(call(&p, 0, VMM_SMCCC_VERSION, 0, 0, 0).x0, 0x10001);
    /* Upper half of x0 is not part of the function id. */
    assert_int_equal(call(&p, 0, 0xffffffff00000000ull | VMM_PSCI_VERSION, 0, 0, 0).x0, 0x10001);
}

static void psci_features_lists_supported_calls_only(void **state)
{
    struct vmm_psci p;
    static const uint32_t supported[] = {
        VMM_PSCI_VERSION,    VMM_PSCI_CPU_ON,        VMM_PSCI_CPU_ON64,
        VMM_PSCI_CPU_OFF,    VMM_PSCI_AFFINITY_INFO, VMM_PSCI_AFFINITY_INFO64,
        VMM_PSCI_SYSTEM_OFF, VMM_PSCI_SYSTEM_RESET,  VMM_PSCI_MIGRATE_INFO_TYPE,
        VMM_PSCI_FEATURES,   VMM_SMCCC_VERSION,      VMM_PSCI_CPU_SUSPEND64,
    };
    (void)state;
    vmm_psci_init(&p, 1, NULL);
    for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
        assert_int_equal(call(&p, 0, VMM_PSCI_FEATURES, supported[i], 0, 0).x0, 0);
    assert_int_equal(call(&p, 0, VMM_PSCI_FEATURES, 0x84000005 /* MIGRATE */, 0, 0).x0,
                     RET(VMM_PSCI_RET_NOT_SUPPORTED));
    assert_int_equal(call(&p, 0, VMM_PSCI_FEATURES, 0x12345678, 0, 0).x0,
                     RET(VMM_PSCI_RET_NOT_SUPPORTED));
}

static void smccc_arch_features_rejects_unknown(void **state)
{
    struct vmm_psci p;
    (void)state;
    vmm_psci_init(&p, 1, NULL);
    assert_int_equal(call(&p, 0, VMM_SMCCC_ARCH_FEATURES, VMM_SMCCC_ARCH_WORKAROUND_1, 0, 0).x0,
                     RET(-1));
    assert_int_equal(call(&p, 0, VMM_SMCCC_ARCH_FEATURES, 0xdeadbeef, 0, 0).x0, RET(-1));
    assert_int_equal(call(&p, 0, VMM_SMCCC_ARCH_FEATURES, VMM_SMCCC_VERSION, 0, 0).x0, 0);
}

static void psci_unknown_function_is_not_supported(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    vmm_psci_init(&p, 1, NULL);
    static const uint64_t ids[] = {0, 0xffffffff, 0xc2000000, 0x8400000b, 0x84000005, 0xbf00ff01};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        r = call(&p, 0, ids[i], ~0ull, ~0ull, ~0ull);
        assert_int_equal(r.x0, RET(-1));
        assert_int_equal(r.action, VMM_PSCI_ACT_NONE);
    }
}

static void psci_cpu_on_starts_target_once(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    vmm_psci_init(&p, 4, NULL);
    r = call(&p, 0, VMM_PSCI_CPU_ON64, vmm_arm64_vcpu_mpidr(2), 0x40080000, 0x1234);
    assert_int_equal(r.x0, 0);
    assert_int_equal(r.action, VMM_PSCI_ACT_CPU_ON);
    assert_int_equal(r.target, 2);
    assert_int_equal(r.entry, 0x40080000);
    assert_int_equal(r.context_id, 0x1234);
    assert_int_equal(vmm_psci_power_state(&p, 2), VMM_PSCI_ON_PENDING);
    /* A second request before the port started it. */
    r = call(&p, 0, VMM_PSCI_CPU_ON64, 2, 0x40080000, 0);
    assert_int_equal(r.x0, RET(VMM_PSCI_RET_ON_PENDING));
    assert_int_equal(r.action, VMM_PSCI_ACT_NONE);
    vmm_psci_cpu_started(&p, 2);
    r = call(&p, 0, VMM_PSCI_CPU_ON64, 2, 0x40080000, 0);
    assert_int_equal(r.x0, RET(VMM_PSCI_RET_ALREADY_ON));
}

static void psci_cpu_on_to_self_is_already_on(void **state)
{
    struct vmm_psci p;
    (void)state;
    vmm_psci_init(&p, 2, NULL);
    assert_int_equal(call(&p, 0, VMM_PSCI_CPU_ON64, 0, 0x40000000, 0).x0,
                     RET(VMM_PSCI_RET_ALREADY_ON));
}

static void psci_cpu_on_unknown_target_is_invalid(void **state)
{
    struct vmm_psci p;
    (void)state;
    vmm_psci_init(&p, 2, NULL);
    static const uint64_t bad[] = {2, 0x10, 0x100, 0x10000, 0x100000000ull, 0xff};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmm_psci_result r = call(&p, 0, VMM_PSCI_CPU_ON64, bad[i], 0x40000000, 0);
        assert_int_equal(r.x0, RET(VMM_PSCI_RET_INVALID_PARAMETERS));
        assert_int_equal(r.action, VMM_PSCI_ACT_NONE);
    }
}

static void psci_targets_use_the_one_mpidr_source(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    vmm_psci_init(&p, VMM_MAX_VCPUS, NULL);
    r = call(&p, 0, VMM_PSCI_CPU_ON64, vmm_arm64_vcpu_mpidr(VMM_MAX_VCPUS - 1), 0x40000000, 0);
    assert_int_equal(r.x0, 0);
    assert_int_equal(r.target, VMM_MAX_VCPUS - 1);
    assert_int_equal(vmm_psci_mpidr_to_vcpu(&p, 0x80000003), 3); /* bit 31 ignored */
    assert_int_equal(vmm_psci_mpidr_to_vcpu(&p, 0x103), -1);     /* Aff1 1: no such vCPU */
    assert_int_equal(vmm_psci_mpidr_to_vcpu(&p, VMM_MAX_VCPUS), -1);
    /* Every vCPU round-trips through the device tree's numbering. */
    for (unsigned i = 0; i < VMM_MAX_VCPUS; i++)
        assert_int_equal(vmm_psci_mpidr_to_vcpu(&p, vmm_arm64_vcpu_mpidr(i)), (int)i);
}

static void psci_cpu_on32_ignores_upper_halves(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    vmm_psci_init(&p, 2, NULL);
    r = call(&p, 0, VMM_PSCI_CPU_ON, 0xffffffff00000001ull, 0xaaaaaaaa40000000ull, 0x500000007ull);
    assert_int_equal(r.x0, 0);
    assert_int_equal(r.target, 1);
    assert_int_equal(r.entry, 0x40000000);
    assert_int_equal(r.context_id, 7);
}

static void psci_cpu_on_checks_entry_in_ram(void **state)
{
    static uint8_t ram[4096];
    struct vmm_mem mem;
    struct vmm_psci p;
    (void)state;
    vmm_mem_init(&mem);
    assert_int_equal(vmm_mem_add_region(&mem, 0x40000000, sizeof(ram), ram), 0);
    vmm_psci_init(&p, 2, &mem);
    assert_int_equal(call(&p, 0, VMM_PSCI_CPU_ON64, 1, 0x90000000, 0).x0,
                     RET(VMM_PSCI_RET_INVALID_ADDRESS));
    assert_int_equal(vmm_psci_power_state(&p, 1), VMM_PSCI_OFF);
    assert_int_equal(call(&p, 0, VMM_PSCI_CPU_ON64, 1, 0x40000100, 0).x0, 0);
}

static void psci_cpu_off_stops_caller(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    vmm_psci_init(&p, 2, NULL);
    call(&p, 0, VMM_PSCI_CPU_ON64, 1, 0x40000000, 0);
    vmm_psci_cpu_started(&p, 1);
    r = call(&p, 1, VMM_PSCI_CPU_OFF, 0, 0, 0);
    assert_int_equal(r.action, VMM_PSCI_ACT_CPU_OFF);
    assert_int_equal(vmm_psci_power_state(&p, 1), VMM_PSCI_OFF);
    /* It can be started again. */
    assert_int_equal(call(&p, 0, VMM_PSCI_CPU_ON64, 1, 0x40000000, 0).x0, 0);
}

static void psci_affinity_info_reports_each_state(void **state)
{
    struct vmm_psci p;
    (void)state;
    vmm_psci_init(&p, 3, NULL);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO64, 0, 0, 0).x0, VMM_PSCI_ON);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO64, 1, 0, 0).x0, VMM_PSCI_OFF);
    call(&p, 0, VMM_PSCI_CPU_ON64, 1, 0x40000000, 0);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO, 1, 0, 0).x0, VMM_PSCI_ON_PENDING);
    vmm_psci_cpu_started(&p, 1);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO, 1, 0, 0).x0, VMM_PSCI_ON);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO64, 7, 0, 0).x0,
                     RET(VMM_PSCI_RET_INVALID_PARAMETERS));
    /* Level 1: the whole cluster Aff1 = 0 has vCPUs on. */
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO64, 2, 1, 0).x0, VMM_PSCI_ON);
    assert_int_equal(call(&p, 0, VMM_PSCI_AFFINITY_INFO64, 0, 4, 0).x0,
                     RET(VMM_PSCI_RET_INVALID_PARAMETERS));
}

static void psci_system_calls_request_actions(void **state)
{
    struct vmm_psci p;
    (void)state;
    vmm_psci_init(&p, 1, NULL);
    assert_int_equal(call(&p, 0, VMM_PSCI_SYSTEM_OFF, 0, 0, 0).action, VMM_PSCI_ACT_SYSTEM_OFF);
    assert_int_equal(call(&p, 0, VMM_PSCI_SYSTEM_RESET, 0, 0, 0).action, VMM_PSCI_ACT_SYSTEM_RESET);
    assert_int_equal(call(&p, 0, VMM_PSCI_MIGRATE_INFO_TYPE, 0, 0, 0).x0, 2);
    assert_int_equal(call(&p, 0, VMM_PSCI_CPU_SUSPEND64, 0, 0, 0).action, VMM_PSCI_ACT_SUSPEND);
}

static void psci_rejects_bad_vcpu_and_counts(void **state)
{
    struct vmm_psci p;
    struct vmm_psci_result r;
    (void)state;
    assert_int_equal(vmm_psci_init(&p, 0, NULL), -VMM_EINVAL);
    assert_int_equal(vmm_psci_init(&p, VMM_MAX_VCPUS + 1, NULL), -VMM_EINVAL);
    vmm_psci_init(&p, 2, NULL);
    assert_int_equal(vmm_psci_call(&p, 2, VMM_PSCI_VERSION, 0, 0, 0, &r), -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(psci_reports_version_1_1_and_smccc_1_1),
        cmocka_unit_test(psci_features_lists_supported_calls_only),
        cmocka_unit_test(smccc_arch_features_rejects_unknown),
        cmocka_unit_test(psci_unknown_function_is_not_supported),
        cmocka_unit_test(psci_cpu_on_starts_target_once),
        cmocka_unit_test(psci_cpu_on_to_self_is_already_on),
        cmocka_unit_test(psci_cpu_on_unknown_target_is_invalid),
        cmocka_unit_test(psci_targets_use_the_one_mpidr_source),
        cmocka_unit_test(psci_cpu_on32_ignores_upper_halves),
        cmocka_unit_test(psci_cpu_on_checks_entry_in_ram),
        cmocka_unit_test(psci_cpu_off_stops_caller),
        cmocka_unit_test(psci_affinity_info_reports_each_state),
        cmocka_unit_test(psci_system_calls_request_actions),
        cmocka_unit_test(psci_rejects_bad_vcpu_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
