/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 trap decode: what a port needs to turn an EL2 syndrome (ESR_EL2,
 * Arm ARM D17.2.37 "ESR_EL2") into a common stdvmm action. Plain values in,
 * plain structs out: the seL4 port feeds its fault messages (HSR, fault IPA,
 * guest registers) through these; the fuzzers feed arbitrary ESR values.
 */
#ifndef STDVMM_AARCH64_TRAP_H
#define STDVMM_AARCH64_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/mmio.h"

/* ESR_ELx.EC values (D17.2.37, Table "EC encoding") stdvmm cares about. */
#define VMM_ESR_EC_UNKNOWN 0x00
#define VMM_ESR_EC_WFX 0x01 /* WFI/WFE/WFIT/WFET */
#define VMM_ESR_EC_HVC32 0x12
#define VMM_ESR_EC_SMC32 0x13
#define VMM_ESR_EC_HVC64 0x16
#define VMM_ESR_EC_SMC64 0x17
#define VMM_ESR_EC_SYSREG 0x18 /* MSR/MRS/SYS trapped */
#define VMM_ESR_EC_IABT_LOW 0x20
#define VMM_ESR_EC_DABT_LOW 0x24 /* data abort from a lower EL: stage-2 fault */

/* Bits of ESR_ELx common to every class. */
#define VMM_ESR_EC_SHIFT 26
#define VMM_ESR_IL (1u << 25)
#define VMM_ESR_ISS_MASK 0x1ffffffu

/* Kinds of trap a port dispatches on. */
enum vmm_trap_kind {
    VMM_TRAP_OTHER = 0, /* anything stdvmm does not emulate */
    VMM_TRAP_DABT,      /* MMIO: vmm_esr_decode_dabt() */
    VMM_TRAP_SYSREG,    /* vmm_esr_decode_sysreg() */
    VMM_TRAP_WFX,       /* vmm_esr_decode_wfx() */
    VMM_TRAP_HVC,       /* AArch64 HVC: SMCCC/PSCI call, see psci.h */
    VMM_TRAP_SMC,       /* AArch64 SMC: SMCCC/PSCI call, see psci.h */
};

/* Exception class (ESR bits [31:26]). */
unsigned vmm_esr_ec(uint64_t esr);

/* Instruction-specific syndrome (ESR bits [24:0]). */
uint32_t vmm_esr_iss(uint64_t esr);

/* Length of the trapped instruction from the IL bit: 4 (A64/A32) or 2 (T16). */
unsigned vmm_esr_insn_len(uint64_t esr);

/* Which stdvmm handler a syndrome belongs to. */
enum vmm_trap_kind vmm_esr_classify(uint64_t esr);

/*
 * Bytes to add to the guest PC once the trap is emulated. HVC is an
 * exception-generating instruction: ELR_EL2 already points after it, so 0.
 * A trapped SMC, data abort, sysreg access or WFx reports the instruction
 * itself, so its length (vmm_esr_insn_len). Ports whose kernel already
 * advanced the PC (check its ABI) must not add this again.
 */
unsigned vmm_esr_pc_advance(uint64_t esr);

/* Guest IPA of a stage-2 fault from HPFAR_EL2 (IPA[51:12] in bits [43:4]) and
 * the page offset of FAR_EL2. */
uint64_t vmm_esr_fault_ipa(uint64_t hpfar, uint64_t far);

/* A decoded data abort with a valid instruction syndrome (ISV=1). */
struct vmm_dabt {
    uint8_t size;     /* SAS: 1, 2, 4 or 8 bytes */
    bool write;       /* WnR */
    uint8_t rt;       /* SRT: 0..30, or 31 = XZR/WZR */
    bool sign_extend; /* SSE: a load sign-extends to the register width */
    bool sf;          /* SF: Xt (64-bit) rather than Wt */
    bool acqrel;      /* AR: acquire/release semantics (LDAR/STLR) */
    bool far_invalid; /* FnV: FAR_EL2 not valid (use HPFAR) */
    uint8_t dfsc;     /* data fault status code */
    uint8_t insn_len; /* 4 or 2 */
};

/* vmm_esr_decode_dabt(): a cache maintenance instruction hit the region;
 * nothing to emulate, just advance the PC. */
#define VMM_DABT_CACHE_MAINT 1

/*
 * Decode the ISS of a data abort (EC 0x24; D17.2.37 "ISS encoding for an
 * exception from a Data Abort"). Returns 0, or VMM_DABT_CACHE_MAINT (CM=1),
 * -VMM_EINVAL for another EC, -VMM_ENOTSUP for ISV=0 (load/store pair,
 * writeback, SIMD...: not emulable from the syndrome; logged once), or
 * -VMM_EFAULT for a fault on a stage-1 page-table walk (S1PTW).
 */
int vmm_esr_decode_dabt(uint64_t esr, struct vmm_dabt *out);

/* Fill @acc for the bus: @ipa, size, direction, @vcpu and, for a write, the
 * value of Xt (@rt_value; ignored for Rt=31, which writes zero) truncated to
 * the access size. */
void vmm_dabt_to_access(const struct vmm_dabt *d, uint64_t ipa, unsigned vcpu, uint64_t rt_value,
                        struct vmm_access *acc);

/*
 * Complete a read: the value to store in Xt from the device's @dev_value,
 * truncated to the access size, sign-extended when SSE (to 64 bits if SF,
 * else to 32), upper 32 bits zero when SF=0. Returns false when Rt=31 (the
 * load targets XZR/WZR: nothing to write back), true otherwise.
 */
bool vmm_dabt_read_result(const struct vmm_dabt *d, uint64_t dev_value, uint64_t *xt);

/* Encoding of a system register, as in MRS/MSR: op0, op1, CRn, CRm, op2. */
#define VMM_SYSREG(op0, op1, crn, crm, op2)                                                        \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))

/* GICv3 CPU interface SGI generation registers (Arm GIC v3/v4 spec 12.2). */
#define VMM_SYSREG_ICC_SGI1R_EL1 VMM_SYSREG(3, 0, 12, 11, 5)
#define VMM_SYSREG_ICC_ASGI1R_EL1 VMM_SYSREG(3, 0, 12, 11, 6)
#define VMM_SYSREG_ICC_SGI0R_EL1 VMM_SYSREG(3, 0, 12, 11, 7)

/* A decoded trapped MSR/MRS (EC 0x18; D17.2.37 "ISS encoding for an exception
 * from MSR, MRS, or System instruction execution in AArch64 state"). */
struct vmm_sysreg_trap {
    uint8_t op0, op1, crn, crm, op2;
    uint8_t rt;       /* 0..30, or 31 = XZR */
    bool read;        /* Direction: 1 = MRS (read into Xt), 0 = MSR (write from Xt) */
    uint32_t reg;     /* VMM_SYSREG(op0, op1, crn, crm, op2), to compare with constants */
    uint8_t insn_len; /* 4 */
};

/* Decode a sysreg trap; -VMM_EINVAL if the EC is not 0x18. */
int vmm_esr_decode_sysreg(uint64_t esr, struct vmm_sysreg_trap *out);

/* Kinds of wait instruction (ISS.TI). */
enum vmm_wfx_kind { VMM_WFI = 0, VMM_WFE = 1, VMM_WFIT = 2, VMM_WFET = 3 };

struct vmm_wfx_trap {
    enum vmm_wfx_kind kind;
    bool reg_valid; /* RV: rt holds the WFIT/WFET timeout register */
    uint8_t rt;
    uint8_t insn_len; /* 4 or 2 */
};

/* Decode a WFI/WFE trap (EC 0x01); -VMM_EINVAL for another EC. */
int vmm_esr_decode_wfx(uint64_t esr, struct vmm_wfx_trap *out);

/* The 16-bit immediate of a trapped HVC/SMC (ISS[15:0]); SMCCC uses 0. */
uint16_t vmm_esr_call_imm(uint64_t esr);

/* ---------------------------------------------------------------- injection */

/* Exceptions a VMM injects into an AArch64 guest at EL1. */
enum vmm_a64_exc_kind {
    VMM_A64_EXC_UNDEF, /* unknown reason (EC 0x00): an undefined instruction */
    VMM_A64_EXC_DABT,  /* synchronous external abort on a data access */
    VMM_A64_EXC_IABT,  /* synchronous external abort on an instruction fetch */
};

/* The guest's state at the trap. */
struct vmm_a64_exc_in {
    enum vmm_a64_exc_kind kind;
    uint64_t pc;     /* the instruction that trapped (the exception's return address) */
    uint64_t pstate; /* the guest's PSTATE at the trap (SPSR_EL2) */
    uint64_t vbar;   /* VBAR_EL1 */
    uint64_t far;    /* faulting virtual address (aborts) */
    bool far_valid;  /* false: ESR.FnV set, FAR_EL1 written as 0 */
    bool write;      /* data abort: caused by a write (ESR.WnR) */
    bool il32;       /* the trapped instruction was 32 bits (ESR.IL) */
};

/* The registers the port writes so the guest takes the exception at EL1. */
struct vmm_a64_exc_out {
    uint64_t elr_el1, spsr_el1, esr_el1, far_el1;
    uint64_t pc;     /* VBAR_EL1 + vector offset */
    uint64_t pstate; /* EL1h, D A I F masked */
};

/*
 * What taking @in->kind at EL1 does to the guest's registers (Arm ARM D1.3
 * "Exception entry", D1.3.1 vector offsets: current EL with SP_EL0 0x000,
 * with SP_ELx 0x200, lower EL AArch64 0x400, lower EL AArch32 0x600).
 * -VMM_ENOTSUP when the guest was not at EL0 or EL1 or ran AArch32 at EL1.
 */
int vmm_a64_exception(const struct vmm_a64_exc_in *in, struct vmm_a64_exc_out *out);

#endif
