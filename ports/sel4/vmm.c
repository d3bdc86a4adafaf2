/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Microkit entry points of a stdvmm protection domain. The PD's child
 * is the virtual machine: init() builds it and starts vCPU 0, fault()
 * receives every vCPU exit and replies to resume the vCPU, notified()
 * serves the console's sDDF serial channels (when it has them).
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

/* Console input goes to the console the machine description chose
 * (the PL011, or the virtio-console with VMM_CONSOLE_VIRTIO). */
static size_t sel4_console_input(void *ctx, const uint8_t *buf, size_t len)
{
    struct sel4_vmm *s = ctx;

    return vmm_machine_console_rx(&s->machine, buf, len);
}

/* Send what the console queued while handling an exit or a notification. */
static void sel4_console_flush(struct sel4_vmm *s)
{
    if (s->console.flush != NULL)
        s->console.flush(&s->console);
}

void init(void)
{
    struct sel4_vmm *s = &sel4_vmm;

    s->cfg = &sel4_vmm_config.machine;
    s->ram = (uint8_t *)guest_ram_vaddr;
    sel4_log_init(s->cfg->name);
    sel4_console_init(&s->console, s->cfg->name);
    s->console.input = sel4_console_input;
    s->console.input_ctx = s;
    if (sel4_vmm_config.serial != NULL && sel4_vmm_config.console_attach != NULL) {
        int ret = sel4_vmm_config.console_attach(&s->console, sel4_vmm_config.serial);

        if (ret < 0)
            vmm_err("sDDF serial console: bad configuration (%d), using the debug console", ret);
        else
            sel4_log_set_console(&s->console);
    }
    if (s->cfg->nr_vcpus == 0 || s->cfg->nr_vcpus > VMM_MAX_VCPUS || s->ram == NULL) {
        vmm_err("bad configuration: %u vCPUs, guest RAM at %p", s->cfg->nr_vcpus, (void *)s->ram);
        s->halted = true;
        return;
    }
    sel4_vcpu_init_ids(s);
    sel4_machine_start(s);
    sel4_console_flush(s);
}

void notified(microkit_channel ch)
{
    struct sel4_vmm *s = &sel4_vmm;

    if (s->console.notified == NULL || !s->console.notified(&s->console, (unsigned)ch))
        vmm_warn("notification on channel %u ignored", (unsigned)ch);
    sel4_console_flush(s);
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    struct sel4_vmm *s = &sel4_vmm;
    unsigned label = (unsigned)microkit_msginfo_get_label(msginfo);

    if (child >= s->cfg->nr_vcpus || s->halted) {
        vmm_err("fault (label %u) from unknown or halted vCPU %u", label, (unsigned)child);
        return seL4_False;
    }
    if (!sel4_fault_handle(s, child, label)) {
        sel4_console_flush(s);
        return seL4_False;
    }
    sel4_console_flush(s);
    *reply_msginfo = microkit_msginfo_new(0, 0);
    return seL4_True;
}
