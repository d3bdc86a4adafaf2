/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/irq.h"
#include "stdvmm/vm.h"

void vmm_irq_lines_init(struct vmm_irq_lines *irqs)
{
    memset(irqs, 0, sizeof(*irqs));
}

int vmm_irq_claim(struct vmm_irq_lines *irqs, unsigned line, const char *owner)
{
    if (line >= VMM_MAX_IRQ_LINES || owner == NULL)
        return -VMM_EINVAL;
    if (irqs->owner[line] != NULL)
        return -VMM_EBUSY;
    irqs->owner[line] = owner;
    irqs->level[line] = false;
    return 0;
}

int vmm_irq_release(struct vmm_irq_lines *irqs, unsigned line, const char *owner)
{
    if (line >= VMM_MAX_IRQ_LINES || owner == NULL || irqs->owner[line] != owner)
        return -VMM_EINVAL;
    irqs->owner[line] = NULL;
    irqs->level[line] = false;
    return 0;
}

unsigned vmm_irq_find_free(const struct vmm_irq_lines *irqs, unsigned from)
{
    for (unsigned line = from; line < VMM_MAX_IRQ_LINES; line++)
        if (irqs->owner[line] == NULL)
            return line;
    return VMM_IRQ_NONE;
}

int vmm_irq_set(struct vmm_vm *vm, unsigned line, bool level)
{
    if (line >= VMM_MAX_IRQ_LINES || vm->irqs.owner[line] == NULL)
        return -VMM_EINVAL;
    vm->irqs.level[line] = level;
    if (vm->port_ops == NULL || vm->port_ops->irq_set == NULL)
        return 0; /* not connected yet (unit tests): the level is remembered */
    return vm->port_ops->irq_set(vm->port, line, level);
}
