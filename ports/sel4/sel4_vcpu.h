/* SPDX-License-Identifier: BSD-2-Clause */
/* Register access of a vCPU thread (needs the seL4 headers). */
#ifndef STDVMM_SEL4_VCPU_H
#define STDVMM_SEL4_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "sel4_rt.h"
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/aarch64_trap.h"

/* Read / write the vCPU's user context; 0 or -1 (logged). Writing with
 * @resume restarts a stopped vCPU at regs->pc. */
int sel4_regs_read(unsigned vcpu, seL4_UserContext *regs);
int sel4_regs_write(unsigned vcpu, seL4_UserContext *regs, bool resume);

/* The same for the first @n words of the user context only (pc is word 0):
 * an exit that needs one register copies less (sel4_regs_words_x). */
int sel4_regs_read_n(unsigned vcpu, seL4_UserContext *regs, unsigned n);
int sel4_regs_write_n(unsigned vcpu, seL4_UserContext *regs, unsigned n);

/* How many leading words of the user context hold pc and xN (1 for 31, XZR). */
unsigned sel4_regs_words_x(unsigned n);

/* Pointer to xN (0..30) inside @r, or NULL for 31 (XZR). */
seL4_Word *sel4_regs_x(seL4_UserContext *r, unsigned n);

/* A trapped vCPU's registers for the ISV=0 emulation: the user context
 * (read once by the caller, written back by it) and the EL1 system
 * registers through the VCPU object (seL4_ARM_VCPU_ReadRegs/WriteRegs). */
struct sel4_emul_regs {
    unsigned vcpu;
    seL4_UserContext regs;
};
extern const struct vmm_a64_regs_ops sel4_emul_regs_ops;

/* Make the vCPU, stopped in a fault with @regs already read, take the
 * exception @in (pc, pstate and vbar are filled in here) at EL1: ELR, SPSR,
 * ESR and FAR_EL1 through the VCPU object, PC and PSTATE in @regs, written
 * back. 0, or -1 when the guest state does not allow it or seL4 refused. */
int sel4_vcpu_inject(unsigned vcpu, seL4_UserContext *regs, struct vmm_a64_exc_in *in);

#endif
