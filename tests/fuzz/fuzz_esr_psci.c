/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 trap decode (src/arch/aarch64/esr.c, aarch64_trap.h) and the
 * SMCCC/PSCI dispatcher (src/arch/aarch64/psci.c, psci.h).
 *
 * Input: byte 0 the vCPU count (sometimes invalid) and whether CPU_ON entry
 * points are checked against RAM, then records: an ESR with the registers a
 * port would pass along (HPFAR, FAR, Xt, the device's value), or an SMCCC
 * call (caller, function id mostly from the known set, x1..x3). Checked:
 * decoded fields stay in their architectural ranges, accesses are truncated
 * to their size, loads extend as SSE/SF say, the PC advance is 0/2/4, PSCI
 * only starts existing vCPUs at entry points in RAM, power states stay valid
 * and MPIDR affinity round-trips.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/psci.h"

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void check_dabt(uint64_t esr, struct fz_in *in)
{
    struct vmm_dabt d;
    struct vmm_access acc;
    uint64_t hpfar = fz_u64(in), far = fz_u64(in), xt_in = fz_u64(in), dev = fz_u64(in), xt = 0;
    uint64_t ipa = vmm_esr_fault_ipa(hpfar, far), keep;
    int ret = vmm_esr_decode_dabt(esr, &d);

    FZ_CHECK((ipa & 0xfff) == (far & 0xfff));
    if (vmm_esr_ec(esr) != VMM_ESR_EC_DABT_LOW) {
        FZ_CHECK(ret == -VMM_EINVAL);
        return;
    }
    if (ret != 0)
        return;
    FZ_CHECK(d.size == 1 || d.size == 2 || d.size == 4 || d.size == 8);
    FZ_CHECK(d.rt <= 31 && (d.insn_len == 2 || d.insn_len == 4));
    vmm_dabt_to_access(&d, ipa, 3, xt_in, &acc);
    FZ_CHECK(acc.addr == ipa && acc.size == d.size && acc.write == d.write && acc.vcpu == 3);
    if (d.write)
        FZ_CHECK(acc.value == (d.rt == 31 ? 0 : xt_in & size_mask(d.size)));
    if (!vmm_dabt_read_result(&d, dev, &xt)) {
        FZ_CHECK(d.rt == 31);
        return;
    }
    FZ_CHECK(d.rt != 31);
    if (!d.sf)
        FZ_CHECK((xt >> 32) == 0);
    /* The loaded bytes survive, up to the register width (Wt: 4 bytes). */
    keep = size_mask(d.sf || d.size < 4 ? d.size : 4);
    FZ_CHECK((xt & keep) == (dev & keep));
}

static void check_esr(uint64_t esr, struct fz_in *in)
{
    struct vmm_sysreg_trap s;
    struct vmm_wfx_trap w;
    unsigned ec = vmm_esr_ec(esr), adv = vmm_esr_pc_advance(esr);
    enum vmm_trap_kind kind = vmm_esr_classify(esr);

    FZ_CHECK(ec <= 0x3f && vmm_esr_iss(esr) <= VMM_ESR_ISS_MASK);
    FZ_CHECK(adv == 0 || adv == 2 || adv == 4);
    FZ_CHECK(vmm_esr_insn_len(esr) == 2 || vmm_esr_insn_len(esr) == 4);
    FZ_CHECK(kind <= VMM_TRAP_SMC);
    (void)vmm_esr_call_imm(esr);
    check_dabt(esr, in);
    if (vmm_esr_decode_sysreg(esr, &s) == 0) {
        FZ_CHECK(ec == VMM_ESR_EC_SYSREG);
        FZ_CHECK(s.op0 <= 3 && s.op1 <= 7 && s.crn <= 15 && s.crm <= 15 && s.op2 <= 7);
        FZ_CHECK(s.rt <= 31 && s.reg == VMM_SYSREG(s.op0, s.op1, s.crn, s.crm, s.op2));
    } else {
        FZ_CHECK(ec != VMM_ESR_EC_SYSREG);
    }
    if (vmm_esr_decode_wfx(esr, &w) == 0) {
        FZ_CHECK(ec == VMM_ESR_EC_WFX);
        FZ_CHECK(w.kind <= VMM_WFET && w.rt <= 31 && (w.insn_len == 2 || w.insn_len == 4));
    }
}

static uint64_t pick_fid(struct fz_in *in)
{
    static const uint32_t fids[] = {
        VMM_SMCCC_VERSION,
        VMM_SMCCC_ARCH_FEATURES,
        VMM_SMCCC_ARCH_WORKAROUND_1,
        VMM_PSCI_VERSION,
        VMM_PSCI_CPU_SUSPEND,
        VMM_PSCI_CPU_SUSPEND64,
        VMM_PSCI_CPU_OFF,
        VMM_PSCI_CPU_ON,
        VMM_PSCI_CPU_ON64,
        VMM_PSCI_AFFINITY_INFO,
        VMM_PSCI_AFFINITY_INFO64,
        VMM_PSCI_MIGRATE_INFO_TYPE,
        VMM_PSCI_SYSTEM_OFF,
        VMM_PSCI_SYSTEM_RESET,
        VMM_PSCI_FEATURES,
        0x84000005u,
        /* MIGRATE */ 0x8400000bu,
        0xc4000012u,
    };
    uint8_t c = fz_u8(in);

    if (c < 0xe0)
        return ((uint64_t)(c & 0x10 ? fz_u32(in) : 0) << 32) | fids[c % (sizeof(fids) / 4)];
    return fz_u64(in);
}

/* An MPIDR, a vCPU index, a RAM address or any value, as an argument. */
static uint64_t pick_arg(struct fz_in *in)
{
    uint8_t c = fz_u8(in);

    switch (c & 3) {
    case 0:
        return vmm_arm64_vcpu_mpidr(c >> 2);
    case 1:
        return fz_addr(in);
    case 2:
        return pick_fid(in);
    default:
        return fz_u64(in);
    }
}

static void check_call(struct vmm_psci *p, struct fz_in *in)
{
    unsigned vcpu = fz_u8(in) % (p->nr_vcpus + 2);
    uint64_t fid = pick_fid(in), x1 = pick_arg(in), x2 = pick_arg(in), x3 = pick_arg(in);
    struct vmm_psci_result r;
    int ret;

    memset(&r, 0xee, sizeof(r));
    ret = vmm_psci_call(p, vcpu, fid, x1, x2, x3, &r);
    if (vcpu >= p->nr_vcpus) {
        FZ_CHECK(ret == -VMM_EINVAL);
        return;
    }
    FZ_CHECK(ret == 0 && r.action <= VMM_PSCI_ACT_SYSTEM_RESET);
    if (r.action == VMM_PSCI_ACT_CPU_ON) {
        FZ_CHECK(r.target < p->nr_vcpus && r.x0 == 0);
        FZ_CHECK(vmm_psci_power_state(p, r.target) == VMM_PSCI_ON_PENDING);
        FZ_CHECK(p->mem == NULL || vmm_mem_range_ok(p->mem, r.entry, 4));
        if (fz_u8(in) & 1)
            vmm_psci_cpu_started(p, r.target);
    }
    if (r.action == VMM_PSCI_ACT_CPU_OFF)
        FZ_CHECK(vmm_psci_power_state(p, vcpu) == VMM_PSCI_OFF);
    for (unsigned i = 0; i < p->nr_vcpus; i++)
        FZ_CHECK(p->power[i] <= VMM_PSCI_ON_PENDING);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fz_guest g;
    struct fz_in in = {data, size};
    struct vmm_psci psci;
    uint8_t cfg = fz_u8(&in);
    unsigned nr = cfg % (VMM_MAX_VCPUS + 2), ops = 0;

    fz_guest_init(&g, 1);
    if (vmm_psci_init(&psci, nr, (cfg & 0x80) ? NULL : &g.vm.mem) < 0) {
        FZ_CHECK(nr == 0 || nr > VMM_MAX_VCPUS);
        nr = 1 + nr % VMM_MAX_VCPUS;
        FZ_CHECK(vmm_psci_init(&psci, nr, &g.vm.mem) == 0);
    }
    for (unsigned i = 0; i < nr; i++)
        FZ_CHECK(vmm_psci_mpidr_to_vcpu(&psci, vmm_arm64_vcpu_mpidr(i)) == (int)i);
    FZ_CHECK(vmm_psci_mpidr_to_vcpu(&psci, vmm_arm64_vcpu_mpidr(nr)) == -1);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (op & 1) {
            check_call(&psci, &in);
        } else {
            /* Mostly the classes stdvmm handles, with a random ISS. */
            uint64_t esr = fz_u64(&in);
            static const uint8_t ecs[8] = {
                VMM_ESR_EC_DABT_LOW, VMM_ESR_EC_DABT_LOW, VMM_ESR_EC_SYSREG,   VMM_ESR_EC_WFX,
                VMM_ESR_EC_HVC64,    VMM_ESR_EC_SMC64,    VMM_ESR_EC_IABT_LOW, 0};

            if (!(op & 0x80))
                esr = (esr & ~(0x3full << VMM_ESR_EC_SHIFT)) | (uint64_t)ecs[(op >> 1) & 7]
                                                                   << VMM_ESR_EC_SHIFT;
            check_esr(esr, &in);
        }
        (void)vmm_psci_mpidr_to_vcpu(&psci, fz_u64(&in));
    }
    fz_guest_free(&g);
    return 0;
}
