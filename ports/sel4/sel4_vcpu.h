/* SPDX-License-Identifier: BSD-2-Clause */
/* Register access of a vCPU thread (needs the seL4 headers). */
#ifndef STDVMM_SEL4_VCPU_H
#define STDVMM_SEL4_VCPU_H

#include <stdbool.h>
#include <microkit.h>

/* Read / write the vCPU's user context; 0 or -1 (logged). Writing with
 * @resume restarts a stopped vCPU at regs->pc. */
int sel4_regs_read(unsigned vcpu, seL4_UserContext *regs);
int sel4_regs_write(unsigned vcpu, seL4_UserContext *regs, bool resume);

/* Pointer to xN (0..30) inside @r, or NULL for 31 (XZR). */
seL4_Word *sel4_regs_x(seL4_UserContext *r, unsigned n);

#endif
