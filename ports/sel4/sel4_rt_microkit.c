/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Microkit runtime of a VMM protection domain (sel4_rt.h): Microkit's
 * entry points call the VMM, and the VM's vCPU n is Microkit's TCB
 * BASE_VM_TCB_CAP + n bound to VCPU BASE_VCPU_CAP + n; its faults reach
 * fault() with child = n.
 */
#include <stdbool.h>
#include <stdint.h>
#include <microkit.h>
#include "sel4_rt.h"

/* Set by the Microkit tool to where guest_ram is mapped in this PD. */
uintptr_t guest_ram_vaddr;

seL4_CPtr sel4_rt_vcpu_tcb(unsigned vcpu)
{
    return BASE_VM_TCB_CAP + vcpu;
}

seL4_CPtr sel4_rt_vcpu_obj(unsigned vcpu)
{
    return BASE_VCPU_CAP + vcpu;
}

void sel4_rt_puts(const char *s)
{
    microkit_dbg_puts(s);
}

void sel4_rt_notify(unsigned ch)
{
    microkit_notify((microkit_channel)ch);
}

int sel4_rt_irq_ack(unsigned ch)
{
    if (ch >= MICROKIT_MAX_CHANNELS)
        return seL4_InvalidArgument;
    return (int)seL4_IRQHandler_Ack(BASE_IRQ_CAP + ch);
}

void init(void)
{
    sel4_vmm_init(guest_ram_vaddr);
}

void notified(microkit_channel ch)
{
    sel4_vmm_notified((unsigned)ch);
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (!sel4_vmm_fault((unsigned)child, (unsigned)microkit_msginfo_get_label(msginfo)))
        return seL4_False;
    *reply_msginfo = microkit_msginfo_new(0, 0);
    return seL4_True;
}
