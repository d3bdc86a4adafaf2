/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a stdvmm protection domain does on its runtime's events (sel4_rt.h,
 * Microkit or stdvmm-init): sel4_vmm_init() builds the VM and starts vCPU
 * 0, sel4_vmm_fault() handles every vCPU exit (the runtime replies to
 * resume the vCPU, unless it went to sleep in WFI: sel4_idle.c),
 * sel4_vmm_notified() serves the wake-up timer's sDDF channel and those
 * of the net backend, the other sDDF clients (blk) and the console (when it
 * has them). After each, sleeping vCPUs with an interrupt to take are
 * resumed, the console's queued output is sent and the PL011 mirror page
 * (if the system has one) is brought up to date.
 */
#include <stdbool.h>
#include <stdint.h>
#include "sel4_priv.h"
#include "sel4_rt.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

/* The one VM this PD runs (a PD is one VMM instance). */
static struct sel4_vmm sel4_vmm;

/* Console input goes to the console the machine description chose
 * (the PL011, or the virtio-console with VMM_CONSOLE_VIRTIO). */
static size_t sel4_console_input(void *ctx, const uint8_t *buf, size_t len)
{
    struct sel4_vmm *s = ctx;

    return vmm_machine_console_rx(&s->machine, buf, len);
}

/* Send what the console and the backends queued while handling an exit or
 * a notification, and show the guest its PL011's registers as they are now. */
static void sel4_console_flush(struct sel4_vmm *s)
{
    if (s->net.flush != NULL)
        s->net.flush(&s->net);
    for (unsigned i = 0; i < s->nr_io; i++)
        s->io[i].flush(s->io[i].ctx);
    if (s->console.flush != NULL)
        s->console.flush(&s->console);
    if (s->uart_mirror != NULL)
        vmm_machine_console_mirror(&s->machine, s->uart_mirror, false);
}

/* The read-only PL011 register page, if the system maps one. */
static void sel4_mirror_init(struct sel4_vmm *s)
{
    volatile uint32_t *page = (volatile uint32_t *)sel4_vmm_config.uart_mirror;

    if (page == NULL || s->halted)
        return;
    if (vmm_machine_console_mirror(&s->machine, page, true) < 0) {
        vmm_err("a PL011 mirror page needs the virtio console for input; every PL011 "
                "read of the guest now reads 0");
        return;
    }
    s->uart_mirror = page;
}

int sel4_io_register(struct sel4_vmm *s, const struct sel4_io_client *c)
{
    if (s->nr_io == SEL4_MAX_IO_CLIENTS || c->notified == NULL || c->flush == NULL)
        return -VMM_ENOSPC;
    s->io[s->nr_io++] = *c;
    return 0;
}

static bool sel4_io_notified(struct sel4_vmm *s, unsigned ch)
{
    for (unsigned i = 0; i < s->nr_io; i++) {
        if (s->io[i].notified(s->io[i].ctx, ch))
            return true;
    }
    return false;
}

void sel4_vmm_init(uintptr_t guest_ram)
{
    struct sel4_vmm *s = &sel4_vmm;

    s->cfg = &sel4_vmm_config.machine;
    s->ram = (uint8_t *)guest_ram;
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
    if (sel4_vmm_config.net != NULL && sel4_vmm_config.net_attach != NULL &&
        sel4_vmm_config.net_attach(s, sel4_vmm_config.net) < 0)
        vmm_err("sDDF net client: bad configuration, the VM gets no network");
    if (s->cfg->nr_vcpus == 0 || s->cfg->nr_vcpus > VMM_MAX_VCPUS || s->ram == NULL) {
        vmm_err("bad configuration: %u vCPUs, guest RAM at %p", s->cfg->nr_vcpus, (void *)s->ram);
        s->halted = true;
        return;
    }
    sel4_vcpu_init_ids(s);
    sel4_idle_init(s);
    sel4_machine_start(s);
    sel4_mirror_init(s);
    sel4_console_flush(s);
}

void sel4_vmm_notified(unsigned ch)
{
    struct sel4_vmm *s = &sel4_vmm;

    /* The wake-up timer's channel first: it resumes the sleepers due. */
    if (!sel4_idle_notified(s, ch) && !sel4_passthru_notified(s, ch) &&
        (s->net.notified == NULL || !s->net.notified(&s->net, ch)) && !sel4_io_notified(s, ch) &&
        (s->console.notified == NULL || !s->console.notified(&s->console, ch)))
        vmm_warn("notification on channel %u ignored", ch);
    /* input, a frame or a completed request may have raised an interrupt for a sleeper */
    sel4_idle_poll(s);
    sel4_console_flush(s);
}

bool sel4_vmm_fault(unsigned vcpu, unsigned label)
{
    struct sel4_vmm *s = &sel4_vmm;
    bool resume;

    if (vcpu >= s->cfg->nr_vcpus || s->halted) {
        vmm_err("fault (label %u) from unknown or halted vCPU %u", label, vcpu);
        return false;
    }
    resume = sel4_fault_handle(s, vcpu, label); /* false: also a vCPU now asleep */
    sel4_idle_poll(s); /* the exit may have raised an interrupt for a sleeper */
    sel4_console_flush(s);
    return resume;
}
