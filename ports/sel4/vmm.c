/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Microkit entry points of a stdvmm protection domain. The PD's child
 * is the virtual machine: init() builds it and starts vCPU 0, fault()
 * receives every vCPU exit and replies to resume the vCPU, notified()
 * would serve channels (none are used yet).
 */
#include <stdbool.h>
#include <stdint.h>
#include <microkit.h>
#include "sel4_priv.h"
#include "stdvmm/log.h"

/* Set by the Microkit tool to where guest_ram is mapped in this PD. */
uintptr_t guest_ram_vaddr;

/* The one VM this PD runs (a PD is one VMM instance). */
static struct sel4_vmm sel4_vmm;

void init(void)
{
    struct sel4_vmm *s = &sel4_vmm;

    s->cfg = &sel4_vmm_config.machine;
    s->ram = (uint8_t *)guest_ram_vaddr;
    sel4_log_init(s->cfg->name);
    sel4_console_init(&s->console, s->cfg->name);
    if (s->cfg->nr_vcpus == 0 || s->cfg->nr_vcpus > VMM_MAX_VCPUS || s->ram == NULL) {
        vmm_err("bad configuration: %u vCPUs, guest RAM at %p", s->cfg->nr_vcpus, (void *)s->ram);
        s->halted = true;
        return;
    }
    sel4_vcpu_init_ids(s);
    sel4_machine_start(s);
}

void notified(microkit_channel ch)
{
    vmm_warn("notification on channel %u ignored", (unsigned)ch);
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    struct sel4_vmm *s = &sel4_vmm;
    unsigned label = (unsigned)microkit_msginfo_get_label(msginfo);

    if (child >= s->cfg->nr_vcpus || s->halted) {
        vmm_err("fault (label %u) from unknown or halted vCPU %u", label, (unsigned)child);
        return seL4_False;
    }
    if (!sel4_fault_handle(s, child, label))
        return seL4_False;
    *reply_msginfo = microkit_msginfo_new(0, 0);
    return seL4_True;
}
