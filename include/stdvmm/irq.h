/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual interrupt lines. A line is a shared peripheral interrupt number
 * counted from 0 (on a GIC, INTID = 32 + line). Each line has exactly one
 * owner at a time: a device claims it when it is added to the VM, and a
 * passed-through physical IRQ would be claimed the same way.
 */
#ifndef STDVMM_IRQ_H
#define STDVMM_IRQ_H

#include <stdbool.h>

#define VMM_MAX_IRQ_LINES 64
#define VMM_IRQ_NONE (~0u)

struct vmm_vm;

struct vmm_irq_lines {
    const char *owner[VMM_MAX_IRQ_LINES]; /* NULL: free */
    bool level[VMM_MAX_IRQ_LINES];        /* last level driven */
};

/* Free every line. */
void vmm_irq_lines_init(struct vmm_irq_lines *irqs);

/* Take ownership of @line for @owner; -VMM_EBUSY if owned, -VMM_EINVAL if out of range. */
int vmm_irq_claim(struct vmm_irq_lines *irqs, unsigned line, const char *owner);

/* Give @line back; -VMM_EINVAL unless @owner owns it. */
int vmm_irq_release(struct vmm_irq_lines *irqs, unsigned line, const char *owner);

/* Lowest free line at or above @from, or VMM_IRQ_NONE. */
unsigned vmm_irq_find_free(const struct vmm_irq_lines *irqs, unsigned from);

/* Drive @line to @level through the port's interrupt controller. */
int vmm_irq_set(struct vmm_vm *vm, unsigned line, bool level);

#endif
