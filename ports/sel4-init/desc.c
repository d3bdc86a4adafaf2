/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description of stdvmm-init (include/stdvmm/sel4init.h): the
 * calls that fill it and the checks that refuse an impossible one before
 * anything is created. No seL4 dependency (host unit tests include it).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "../sel4/sel4_fmt.h"
#include "stdvmm/err.h"
#include "stdvmm/sel4init.h"

#define SEL4INIT_GUEST_RAM_GPA 0x40000000ull
#define SEL4INIT_VMM_PRIO 254u
/* Kernel objects per VM (CNode, VSpaces, page tables, TCBs, VCPUs, SCs) and
 * the slack of 2 MiB pages around each program segment. */
#define SEL4INIT_VM_OBJ_BYTES (8ull << 20)

struct sel4init_vm *sel4init_add_vm(struct sel4init_system *sys, const char *name,
                                    const unsigned char *elf, const unsigned char *elf_end,
                                    uint64_t ram_size)
{
    struct sel4init_vm *vm;

    if (sys->nr_vms >= SEL4INIT_MAX_VMS) {
        sys->error = "too many VMs (SEL4INIT_MAX_VMS)";
        return NULL;
    }
    vm = &sys->vms[sys->nr_vms++];
    memset(vm, 0, sizeof(*vm));
    vm->name = name;
    vm->vmm_elf = elf;
    vm->vmm_elf_end = elf_end;
    vm->ram_gpa = SEL4INIT_GUEST_RAM_GPA;
    vm->ram_size = ram_size;
    vm->vmm_priority = SEL4INIT_VMM_PRIO;
    vm->vmm_core = SEL4INIT_CORE_AUTO;
    return vm;
}

unsigned sel4init_vmm_core(const struct sel4init_vm *vm)
{
    if (vm->vmm_core != SEL4INIT_CORE_AUTO)
        return vm->vmm_core;
    return vm->nr_vcpus > 0 ? vm->vcpus[0].core : 0;
}

unsigned sel4init_vmm_threads(const struct sel4init_vm *vm, unsigned core[SEL4INIT_MAX_VMM_THREADS],
                              unsigned thread_of_vcpu[SEL4INIT_MAX_VCPUS])
{
    unsigned n = 1;

    core[0] = sel4init_vmm_core(vm);
    for (unsigned i = 0; i < vm->nr_vcpus && i < SEL4INIT_MAX_VCPUS; i++) {
        unsigned t = 0;

        while (t < n && core[t] != vm->vcpus[i].core)
            t++;
        if (t == n)
            core[n++] = vm->vcpus[i].core;
        thread_of_vcpu[i] = t;
    }
    return n;
}

int sel4init_add_vcpu(struct sel4init_system *sys, struct sel4init_vm *vm, unsigned core,
                      unsigned priority, uint64_t budget_us, uint64_t period_us)
{
    if (vm == NULL)
        return -VMM_EINVAL;
    if (vm->nr_vcpus >= SEL4INIT_MAX_VCPUS) {
        sys->error = "too many vCPUs in a VM (SEL4INIT_MAX_VCPUS)";
        return -VMM_ENOSPC;
    }
    vm->vcpus[vm->nr_vcpus++] = (struct sel4init_vcpu){
        .core = core, .priority = priority, .budget_us = budget_us, .period_us = period_us};
    return 0;
}

int sel4init_add_channel(struct sel4init_system *sys, unsigned a, unsigned b, unsigned ch_a,
                         unsigned ch_b)
{
    if (sys->nr_channels >= SEL4INIT_MAX_CHANNELS) {
        sys->error = "too many channels (SEL4INIT_MAX_CHANNELS)";
        return -VMM_ENOSPC;
    }
    sys->channels[sys->nr_channels++] =
        (struct sel4init_channel){.vm_a = a, .vm_b = b, .ch_a = ch_a, .ch_b = ch_b};
    return 0;
}

uint64_t sel4init_needed_bytes(const struct sel4init_system *sys)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < sys->nr_vms && i < SEL4INIT_MAX_VMS; i++) {
        const struct sel4init_vm *vm = &sys->vms[i];
        uint64_t elf =
            vm->vmm_elf_end > vm->vmm_elf ? (uint64_t)(vm->vmm_elf_end - vm->vmm_elf) : 0;

        sum += vm->ram_size + elf + SEL4INIT_VM_OBJ_BYTES;
    }
    return sum;
}

static int desc_fail(char *msg, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int desc_fail(char *msg, size_t len, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sel4_vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return err;
}

/* [a, a+as) and [b, b+bs) overlap. */
static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static int check_sched(const char *vm, const char *what, unsigned idx, unsigned core, unsigned prio,
                       uint64_t budget, uint64_t period, const struct sel4init_limits *lim,
                       char *msg, size_t len)
{
    uint64_t p = period != 0 ? period : SEL4INIT_DEFAULT_PERIOD_US;
    uint64_t b = budget != 0 ? budget : p;

    if (core >= lim->nr_cores)
        return desc_fail(msg, len, -VMM_ERANGE,
                         "%s: %s %u is on core %u, but the kernel runs %u core(s) (0-%u)", vm, what,
                         idx, core, lim->nr_cores, lim->nr_cores - 1);
    if (prio == 0 || prio > SEL4INIT_MAX_PRIO)
        return desc_fail(msg, len, -VMM_ERANGE, "%s: %s %u has priority %u, not 1..%u", vm, what,
                         idx, prio, SEL4INIT_MAX_PRIO);
    if (b > p)
        return desc_fail(msg, len, -VMM_EINVAL,
                         "%s: %s %u has a budget of %llu us, more than its period of %llu us", vm,
                         what, idx, (unsigned long long)b, (unsigned long long)p);
    if (b < lim->min_budget_us)
        return desc_fail(msg, len, -VMM_EINVAL,
                         "%s: %s %u has a budget of %llu us, below the kernel's minimum of %llu us",
                         vm, what, idx, (unsigned long long)b,
                         (unsigned long long)lim->min_budget_us);
    return 0;
}

static int check_vm(const struct sel4init_system *sys, unsigned i,
                    const struct sel4init_limits *lim, char *msg, size_t len)
{
    const struct sel4init_vm *vm = &sys->vms[i];
    const char *n = vm->name;
    int ret;

    if (n == NULL || n[0] == '\0')
        return desc_fail(msg, len, -VMM_EINVAL, "VM %u has no name", i);
    for (unsigned j = 0; j < i; j++) {
        if (strcmp(sys->vms[j].name, n) == 0)
            return desc_fail(msg, len, -VMM_EEXIST, "two VMs are named \"%s\"", n);
    }
    if (vm->vmm_elf == NULL || vm->vmm_elf_end <= vm->vmm_elf)
        return desc_fail(msg, len, -VMM_EINVAL, "%s: no VMM program", n);
    if (vm->nr_vcpus == 0 || vm->nr_vcpus > SEL4INIT_MAX_VCPUS)
        return desc_fail(msg, len, -VMM_ERANGE, "%s: %u vCPUs, not 1..%u", n, vm->nr_vcpus,
                         SEL4INIT_MAX_VCPUS);
    if (vm->ram_size == 0 || vm->ram_size % SEL4INIT_PAGE_LARGE != 0 ||
        vm->ram_gpa % SEL4INIT_PAGE_LARGE != 0 || vm->ram_gpa + vm->ram_size < vm->ram_gpa)
        return desc_fail(msg, len, -VMM_EINVAL,
                         "%s: guest RAM 0x%llx+0x%llx is not a non-empty 2 MiB aligned range", n,
                         (unsigned long long)vm->ram_gpa, (unsigned long long)vm->ram_size);
    if (overlap(vm->ram_gpa, vm->ram_size, SEL4INIT_GUEST_MMIO_BASE,
                SEL4INIT_GUEST_MMIO_END - SEL4INIT_GUEST_MMIO_BASE))
        return desc_fail(
            msg, len, -VMM_EINVAL,
            "%s: guest RAM 0x%llx+0x%llx overlaps the guest's devices at 0x%llx-0x%llx", n,
            (unsigned long long)vm->ram_gpa, (unsigned long long)vm->ram_size,
            SEL4INIT_GUEST_MMIO_BASE, SEL4INIT_GUEST_MMIO_END - 1);
    if (overlap(vm->ram_gpa, vm->ram_size, 0, SEL4INIT_VMM_IPCBUF_END))
        return desc_fail(msg, len, -VMM_EINVAL,
                         "%s: guest RAM 0x%llx+0x%llx overlaps the VMM program and IPC buffer "
                         "(below 0x%llx in the VMM PD)",
                         n, (unsigned long long)vm->ram_gpa, (unsigned long long)vm->ram_size,
                         SEL4INIT_VMM_IPCBUF_END);
    for (unsigned c = 0; c < vm->nr_vcpus; c++) {
        const struct sel4init_vcpu *v = &vm->vcpus[c];

        ret = check_sched(n, "vCPU", c, v->core, v->priority, v->budget_us, v->period_us, lim, msg,
                          len);
        if (ret < 0)
            return ret;
        /* its core's VMM thread (checked as thread 0's settings on that core) */
        ret = check_sched(n, "VMM thread on the core of vCPU", c, v->core, vm->vmm_priority,
                          vm->vmm_budget_us, vm->vmm_period_us, lim, msg, len);
        if (ret < 0)
            return ret;
        if (v->priority >= vm->vmm_priority)
            return desc_fail(msg, len, -VMM_EINVAL,
                             "%s: vCPU %u has priority %u, not below its VMM's %u", n, c,
                             v->priority, vm->vmm_priority);
    }
    return check_sched(n, "VMM thread", 0, sel4init_vmm_core(vm), vm->vmm_priority,
                       vm->vmm_budget_us, vm->vmm_period_us, lim, msg, len);
}

static int check_channels(const struct sel4init_system *sys, char *msg, size_t len)
{
    for (unsigned i = 0; i < sys->nr_channels; i++) {
        const struct sel4init_channel *c = &sys->channels[i];

        if (c->vm_a >= sys->nr_vms || c->vm_b >= sys->nr_vms || c->vm_a == c->vm_b)
            return desc_fail(msg, len, -VMM_EINVAL, "channel %u: VMs %u and %u are not two VMs", i,
                             c->vm_a, c->vm_b);
        if (c->ch_a > 62 || c->ch_b > 62)
            return desc_fail(msg, len, -VMM_ERANGE, "channel %u: channel numbers %u/%u, not 0..62",
                             i, c->ch_a, c->ch_b);
        for (unsigned j = 0; j < i; j++) {
            const struct sel4init_channel *d = &sys->channels[j];

            if ((d->vm_a == c->vm_a && d->ch_a == c->ch_a) ||
                (d->vm_b == c->vm_b && d->ch_b == c->ch_b) ||
                (d->vm_a == c->vm_b && d->ch_a == c->ch_b) ||
                (d->vm_b == c->vm_a && d->ch_b == c->ch_a))
                return desc_fail(msg, len, -VMM_EEXIST, "channel %u reuses a channel number of %u",
                                 i, j);
        }
    }
    return 0;
}

int sel4init_check(const struct sel4init_system *sys, const struct sel4init_limits *lim, char *msg,
                   size_t len)
{
    uint64_t need;
    int ret;

    if (len > 0)
        msg[0] = '\0';
    if (sys->error != NULL)
        return desc_fail(msg, len, -VMM_ENOSPC, "%s", sys->error);
    if (sys->nr_vms == 0 || sys->nr_vms > SEL4INIT_MAX_VMS)
        return desc_fail(msg, len, -VMM_EINVAL, "%u VMs, not 1..%u", sys->nr_vms, SEL4INIT_MAX_VMS);
    if (sys->nr_channels > SEL4INIT_MAX_CHANNELS)
        return desc_fail(msg, len, -VMM_EINVAL, "%u channels, more than %u", sys->nr_channels,
                         SEL4INIT_MAX_CHANNELS);
    for (unsigned i = 0; i < sys->nr_vms; i++) {
        ret = check_vm(sys, i, lim, msg, len);
        if (ret < 0)
            return ret;
    }
    ret = check_channels(sys, msg, len);
    if (ret < 0)
        return ret;
    need = sel4init_needed_bytes(sys);
    if (need > lim->free_bytes)
        return desc_fail(
            msg, len, -VMM_ENOMEM,
            "not enough memory: the VMs need at least %llu MiB, the kernel has %llu MiB "
            "of untyped memory",
            (unsigned long long)(need >> 20), (unsigned long long)(lim->free_bytes >> 20));
    return 0;
}
