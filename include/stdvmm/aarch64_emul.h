/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Emulation of MMIO accesses that trap without an instruction syndrome
 * (ESR ISV=0: load/store pair, writeback, sign-extending loads the hardware
 * does not describe): the VMM fetches the instruction from guest memory
 * (through the guest's stage-1 translation when its MMU is on), decodes it
 * and replays it on the MMIO bus. Shared by the KVM port (KVM_EXIT_ARM_NISV)
 * and the seL4 port (VMFault with ISV=0). Everything the guest controls --
 * registers, page tables, the instruction word -- is validated; what cannot
 * be emulated exactly returns an error and the port injects an abort
 * (vmm_a64_exception() in aarch64_trap.h).
 */
#ifndef STDVMM_AARCH64_EMUL_H
#define STDVMM_AARCH64_EMUL_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/mem.h"
#include "stdvmm/mmio.h"

struct vmm_vm;

/* ---------------------------------------------------------------- registers */

/* Registers the emulation reads or writes through the port. */
enum vmm_a64_reg {
    VMM_A64_X0 = 0, /* X0..X30 are 0..30 */
    VMM_A64_SP_EL0 = 31,
    VMM_A64_SP_EL1,
    VMM_A64_PC,
    VMM_A64_PSTATE, /* SPSR_EL2 of the trap: the guest's PSTATE (read only) */
    VMM_A64_SCTLR_EL1,
    VMM_A64_TCR_EL1,
    VMM_A64_TTBR0_EL1,
    VMM_A64_TTBR1_EL1,
    VMM_A64_NR_REGS,
};

/* The port's access to the trapped vCPU's registers. Return 0, or a
 * negative VMM_E* code (the emulation then gives up with -VMM_EIO). Writes
 * only go to X0..X30, SP_EL0, SP_EL1 and PC. */
struct vmm_a64_regs_ops {
    int (*read)(void *ctx, enum vmm_a64_reg reg, uint64_t *value);
    int (*write)(void *ctx, enum vmm_a64_reg reg, uint64_t value);
};

/* ---------------------------------------------------------------- stage 1 */

/* The guest's EL1&0 translation controls. */
struct vmm_a64_s1 {
    uint64_t sctlr, tcr, ttbr0, ttbr1;
};

/*
 * Translate guest virtual address @va to an IPA with the guest's stage-1
 * tables (4K/16K/64K granules, 25- to 48-bit VAs, TTBR0/TTBR1 chosen by VA
 * bit 55; @data applies the top-byte-ignore of TCR.TBI0/1). With SCTLR.M
 * clear the VA is the IPA. Every descriptor is read from guest RAM with
 * vmm_guest_read(); at most four levels. -VMM_EFAULT for a translation
 * fault (invalid descriptor, VA out of range, walk disabled, table outside
 * RAM), -VMM_ENOTSUP for a configuration not handled (reserved granule,
 * 52-bit addresses).
 */
int vmm_a64_s1_translate(const struct vmm_mem *mem, const struct vmm_a64_s1 *s1, uint64_t va,
                         bool data, uint64_t *ipa);

/* Read the translation controls through @ops (TCR and the TTBRs only when
 * SCTLR.M is set). 0, or the port's error. */
int vmm_a64_read_s1(const struct vmm_a64_regs_ops *ops, void *ctx, struct vmm_a64_s1 *s1);

/* Fetch the little-endian A64 instruction at guest VA @pc (4-byte aligned)
 * through @s1; -VMM_EFAULT when it is not readable guest RAM. */
int vmm_a64_fetch(const struct vmm_mem *mem, const struct vmm_a64_s1 *s1, uint64_t pc,
                  uint32_t *insn);

/* ---------------------------------------------------------------- decode */

enum vmm_a64_idx { VMM_A64_IDX_OFFSET = 0, VMM_A64_IDX_PRE, VMM_A64_IDX_POST };

/* One decoded general-purpose load or store (A64, Arm ARM C4.1.66). */
struct vmm_a64_ldst {
    bool load;
    uint8_t size;     /* bytes per element: 1, 2, 4 or 8 */
    uint8_t count;    /* 1, or 2 for a pair */
    uint8_t rt, rt2;  /* data registers; 31 is XZR/WZR */
    uint8_t rn;       /* base register; 31 is SP */
    bool sign_extend; /* a load sign-extends the element */
    bool dst64;       /* a load writes Xt (else Wt: upper half zeroed) */
    enum vmm_a64_idx idx;
    int64_t imm;        /* byte offset of the immediate forms */
    bool reg_offset;    /* offset from Rm instead of imm */
    uint8_t rm, option; /* register offset: Rm (31 = XZR), extend (UXTW 2, LSL 3, SXTW 6, SXTX 7) */
    uint8_t shift;      /* register offset: left shift of the extended Rm */
};

/*
 * Decode @insn if it is one of the forms emulated: LDR/STR (immediate:
 * unsigned offset, pre- and post-index; unscaled LDUR/STUR; register offset)
 * of every width, LDRSB/LDRSH/LDRSW to W or X, LDP/STP/LDNP/STNP (32/64-bit;
 * offset, pre- and post-index) and LDPSW. -VMM_ENOTSUP for anything else
 * (SIMD/FP, exclusives, atomics, prefetch, unprivileged, PAC, literal) and
 * for encodings the architecture leaves CONSTRAINED UNPREDICTABLE
 * (writeback into a data register, a load pair into one register).
 */
int vmm_a64_decode_ldst(uint32_t insn, struct vmm_a64_ldst *out);

/* ---------------------------------------------------------------- emulation */

/* An access being emulated: filled by prepare, executed by run, finished by
 * complete. */
struct vmm_a64_mmio {
    uint32_t insn;
    struct vmm_a64_ldst ld;
    uint64_t pc;
    uint64_t va;         /* data address (first element) */
    uint64_t base_after; /* Rn after writeback (pre/post-index) */
    uint8_t base_reg;    /* VMM_A64_X0 + n or the SP register in use */
    unsigned nr;         /* accesses: ld.count */
    struct vmm_access acc[2];
};

/*
 * Phase 1, no lock needed: read the registers through @ops, fetch the
 * instruction at PC (AArch64 EL0/EL1, little-endian only), decode it,
 * compute the data address, translate it and check that the trap's
 * @fault_ipa lies within the access (which must not cross a 4 KiB page);
 * fill @op with the bus accesses (store values included). -VMM_ENOTSUP (not
 * an emulated form or state), -VMM_EFAULT (translation or fetch failed, the
 * address does not match), -VMM_EIO (the port's register access failed).
 */
int vmm_a64_mmio_prepare(const struct vmm_mem *mem, const struct vmm_a64_regs_ops *ops, void *ctx,
                         uint64_t fault_ipa, unsigned vcpu, struct vmm_a64_mmio *op);

/* Phase 2, under the port's device lock: the accesses on the MMIO bus, in
 * order (errors read as zero, like any access the bus rejects). */
void vmm_a64_mmio_run(struct vmm_vm *vm, struct vmm_a64_mmio *op);

/* Phase 3: write the loaded registers, the written-back base and PC + 4.
 * 0 or -VMM_EIO. */
int vmm_a64_mmio_complete(const struct vmm_a64_regs_ops *ops, void *ctx,
                          const struct vmm_a64_mmio *op);

#endif
