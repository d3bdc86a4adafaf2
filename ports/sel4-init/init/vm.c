/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One VM of the description, created from untyped memory: the VMM PD (its
 * CNode with the layout of ../layout.h, its VSpace with the VMM program
 * loaded in 2 MiB pages, an IPC buffer, guest RAM at its guest-physical
 * address), the guest's stage-2 VSpace with the same RAM and the GIC's
 * virtual CPU interface, and the threads: the VMM's (one on each core with
 * a vCPU of the VM) and one TCB + VCPU per vCPU, each with a scheduling
 * context configured on its core.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "../../sel4/sel4_fmt.h"
#include "../layout.h"
#include "elf.h"
#include "init.h"
#include "stdvmm/err.h"

#define LARGE (1ull << seL4_LargePageBits)
#define GICV_PADDR 0x8040000ull /* QEMU virt GICv2 virtual CPU interface */
#define GICC_GPA 0x8010000ull   /* where the guest's DTB puts the CPU interface */

/* The GICV frames, created once, copied for each VM. */
static seL4_CPtr gicv[2];

#define CHECK(call, what)                                                                          \
    do {                                                                                           \
        seL4_Error e_ = (call);                                                                    \
        if (e_ != seL4_NoError) {                                                                  \
            init_log("error: %s: %s failed (%d)", vm->desc->name, what, (int)e_);                  \
            return -VMM_EIO;                                                                       \
        }                                                                                          \
    } while (0)

struct block_copy {
    const struct init_elf *elf;
    uint64_t base;
};

/* Copy every segment's file bytes that fall in the 2 MiB block at c->base. */
static void copy_block(void *ctx, uint8_t *va)
{
    const struct block_copy *c = ctx;

    for (unsigned i = 0; i < c->elf->nr_segs; i++) {
        const struct init_elf_seg *s = &c->elf->segs[i];
        uint64_t lo = s->vaddr > c->base ? s->vaddr : c->base;
        uint64_t hi =
            s->vaddr + s->filesz < c->base + LARGE ? s->vaddr + s->filesz : c->base + LARGE;

        if (lo < hi)
            memcpy(va + (lo - c->base), s->data + (lo - s->vaddr), hi - lo);
    }
}

static bool block_used(const struct init_elf *elf, uint64_t base)
{
    for (unsigned i = 0; i < elf->nr_segs; i++) {
        if (elf->segs[i].vaddr < base + LARGE && base < elf->segs[i].vaddr + elf->segs[i].memsz)
            return true;
    }
    return false;
}

int init_load_elf(struct init *in, const char *name, const unsigned char *img,
                  const unsigned char *end, seL4_CPtr vspace, uint64_t *entry)
{
    struct init_elf elf;
    struct block_copy c = {.elf = &elf};
    int ret = init_elf_parse(img, (size_t)(end - img), &elf);
    unsigned n = 0;

    if (ret < 0) {
        init_log("error: %s: the program is not a loadable AArch64 ELF below 0x%llx (%d)", name,
                 SEL4INIT_VMM_PROG_TOP, ret);
        return ret;
    }
    *entry = elf.entry;
    for (c.base = 0; c.base < SEL4INIT_VMM_PROG_TOP; c.base += LARGE) {
        seL4_CPtr frame;

        if (!block_used(&elf, c.base))
            continue;
        ret = init_obj(in, seL4_ARM_LargePageObject, 0, &frame, NULL);
        if (ret == 0)
            ret = init_with_frame(in, frame, seL4_LargePageBits, copy_block, &c);
        if (ret == 0)
            ret =
                init_map(in, frame, vspace, c.base, seL4_AllRights, seL4_ARM_Default_VMAttributes);
        if (ret < 0)
            return ret;
        n++;
    }
    init_log("%s: program loaded: %u x 2 MiB, entry 0x%llx", name, n, (unsigned long long)*entry);
    return 0;
}

static int map_ram(struct init *in, struct init_vm *vm)
{
    const struct sel4init_vm *d = vm->desc;

    if (d->colours != 0) {
        int ret = init_colour_map_ram(in, vm);

        if (ret < 0)
            return ret;
    }
    for (uint64_t off = 0; d->colours == 0 && off < d->ram_size; off += LARGE) {
        seL4_CPtr frame, copy;
        int ret = init_obj(in, seL4_ARM_LargePageObject, 0, &frame, NULL);

        if (ret == 0)
            ret = init_map(in, frame, vm->guest_vspace, d->ram_gpa + off, seL4_AllRights,
                           seL4_ARM_Default_VMAttributes);
        if (ret == 0)
            ret = init_copy(in, frame, &copy);
        if (ret == 0)
            ret = init_map(in, copy, vm->vspace, d->ram_gpa + off, seL4_ReadWrite,
                           seL4_ARM_Default_VMAttributes);
        if (ret < 0)
            return ret;
    }
    for (unsigned i = 0; i < 2; i++) {
        seL4_CPtr copy;
        int ret = init_vm_shared(in);

        if (ret == 0)
            ret = init_copy(in, gicv[i], &copy);
        if (ret == 0)
            ret = init_map(in, copy, vm->guest_vspace, GICC_GPA + i * 0x1000, seL4_ReadWrite,
                           seL4_ARM_ExecuteNever);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int init_vm_shared(struct init *in)
{
    for (unsigned i = 0; i < 2; i++) {
        int ret = gicv[i] != 0 ? 0 : init_device_frame(in, GICV_PADDR + i * 0x1000, &gicv[i]);

        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Put @cap into slot @slot of the VM's PD CNode (optionally badged). */
static int give(struct init_vm *vm, seL4_CPtr cap, unsigned slot, seL4_Word badge)
{
    seL4_Error e =
        badge != 0
            ? seL4_CNode_Mint(vm->cnode, slot, SEL4INIT_PD_CNODE_BITS, seL4_CapInitThreadCNode, cap,
                              seL4_WordBits, seL4_AllRights, badge)
            : seL4_CNode_Copy(vm->cnode, slot, SEL4INIT_PD_CNODE_BITS, seL4_CapInitThreadCNode, cap,
                              seL4_WordBits, seL4_AllRights);

    if (e != seL4_NoError) {
        init_log("error: %s: copying a capability into PD slot %u failed (%d)", vm->desc->name,
                 slot, (int)e);
        return -VMM_EIO;
    }
    init_cap_note(vm->cnode, slot, seL4_AllRights, badge);
    return 0;
}

/* A budget below its period makes a sporadic server. Every exit blocks the
 * vCPU, and each block splits its budget into a refill: with the smallest
 * object (no extra refills) the kernel can keep only one, so after a
 * period's first exit the rest of the budget waited for the next period
 * (the `budget` system's 30% VM made 20% of the progress). A 512-byte
 * object holds 24 extra refills. */
#define SEL4INIT_SPORADIC_SC_BITS 9

/* A scheduling context on @core with @budget/@period (us, 0: defaults). */
static int sched_context(struct init *in, struct init_vm *vm, unsigned core, uint64_t budget,
                         uint64_t period, seL4_CPtr *sc)
{
    uint64_t p = period != 0 ? period : SEL4INIT_DEFAULT_PERIOD_US;
    bool sporadic = budget != 0 && budget < p;
    unsigned bits = sporadic ? SEL4INIT_SPORADIC_SC_BITS : seL4_MinSchedContextBits;
    int ret = init_obj(in, seL4_SchedContextObject, bits, sc, NULL);

    if (ret < 0)
        return ret;
    CHECK(seL4_SchedControl_ConfigureFlags(in->bi->schedcontrol.start + core, *sc,
                                           budget != 0 ? budget : p, p,
                                           sporadic ? seL4_MaxExtraRefills(bits) : 0, 0, 0),
          "SchedControl_Configure");
    return 0;
}

static int make_vcpu(struct init *in, struct init_vm *vm, unsigned i)
{
    const struct sel4init_vcpu *v = &vm->desc->vcpus[i];
    unsigned t = vm->thread_of_vcpu[i];
    seL4_CPtr tcb, vcpu, sc, fault_ep;
    char name[32];
    int ret = init_obj(in, seL4_TCBObject, 0, &tcb, NULL);

    if (ret == 0)
        ret = init_obj(in, seL4_ARM_VCPUObject, 0, &vcpu, NULL);
    if (ret == 0)
        ret = sched_context(in, vm, v->core, v->budget_us, v->period_us, &sc);
    if (ret == 0)
        ret = init_slot(in, &fault_ep);
    if (ret < 0)
        return ret;
    /* Its faults go to the VMM thread on its own core. */
    CHECK(seL4_CNode_Mint(seL4_CapInitThreadCNode, fault_ep, seL4_WordBits, seL4_CapInitThreadCNode,
                          vm->thread_ep[t], seL4_WordBits, seL4_AllRights,
                          SEL4INIT_BADGE_FAULT | i),
          "minting the fault endpoint");
    CHECK(seL4_ARM_VCPU_SetTCB(vcpu, tcb), "VCPU_SetTCB");
    CHECK(seL4_TCB_Configure(
              tcb, vm->cnode,
              seL4_CNode_CapData_new(0, seL4_WordBits - SEL4INIT_PD_CNODE_BITS).words[0],
              vm->guest_vspace, 0, 0, seL4_CapNull),
          "TCB_Configure (vCPU)");
    CHECK(
        seL4_TCB_SetSchedParams(tcb, seL4_CapInitThreadTCB, v->priority, v->priority, sc, fault_ep),
        "TCB_SetSchedParams (vCPU)");
    sel4_snprintf(name, sizeof(name), "%s:vcpu%u", vm->desc->name, i);
    seL4_DebugNameThread(tcb, name);
    vm->vcpu_tcb[i] = tcb;
    init_log(
        "%s: vCPU %u on core %u, priority %u, budget %llu us per %llu us, exits to VMM thread %u",
        vm->desc->name, i, v->core, v->priority,
        (unsigned long long)(v->budget_us != 0
                                 ? v->budget_us
                                 : (v->period_us != 0 ? v->period_us : SEL4INIT_DEFAULT_PERIOD_US)),
        (unsigned long long)(v->period_us != 0 ? v->period_us : SEL4INIT_DEFAULT_PERIOD_US), t);
    if (give(vm, tcb, SEL4INIT_SLOT_VCPU_TCB + i, 0) < 0 ||
        give(vm, vcpu, SEL4INIT_SLOT_VCPU + i, 0) < 0)
        return -VMM_EIO;
    return 0;
}

/* VMM thread @t on vm->thread_core[t]: its IPC buffer, TCB, reply object,
 * scheduling context and endpoint (thread 0's is vm->ep, and it is bound to
 * the VM's notification). */
static int make_vmm_thread(struct init *in, struct init_vm *vm, unsigned t)
{
    const struct sel4init_vm *d = vm->desc;
    uint64_t ipcbuf_va = SEL4INIT_VMM_IPCBUF + t * 0x1000ull;
    seL4_CPtr ipcbuf, sc, reply, tcb, ep = vm->ep;
    char name[32];
    int ret = d->colours != 0 ? init_colour_frame(in, vm, &ipcbuf)
                              : init_obj(in, seL4_ARM_SmallPageObject, 0, &ipcbuf, NULL);

    if (ret == 0)
        ret = init_map(in, ipcbuf, vm->vspace, ipcbuf_va, seL4_ReadWrite,
                       seL4_ARM_Default_VMAttributes);
    if (ret == 0)
        ret = init_obj(in, seL4_TCBObject, 0, &tcb, NULL);
    if (ret == 0)
        ret = init_obj(in, seL4_ReplyObject, 0, &reply, NULL);
    if (ret == 0 && t > 0)
        ret = init_obj(in, seL4_EndpointObject, 0, &ep, NULL);
    if (ret == 0)
        ret = sched_context(in, vm, vm->thread_core[t], d->vmm_budget_us, d->vmm_period_us, &sc);
    if (ret < 0)
        return ret;
    CHECK(seL4_TCB_Configure(
              tcb, vm->cnode,
              seL4_CNode_CapData_new(0, seL4_WordBits - SEL4INIT_PD_CNODE_BITS).words[0],
              vm->vspace, 0, ipcbuf_va, ipcbuf),
          "TCB_Configure (VMM)");
    CHECK(seL4_TCB_SetSchedParams(tcb, seL4_CapInitThreadTCB, d->vmm_priority, d->vmm_priority, sc,
                                  seL4_CapNull),
          "TCB_SetSchedParams (VMM)");
    if (t == 0)
        CHECK(seL4_TCB_BindNotification(tcb, vm->ntfn), "TCB_BindNotification");
    sel4_snprintf(name, sizeof(name), t == 0 ? "%s:vmm" : "%s:vmm%u", d->name, t);
    seL4_DebugNameThread(tcb, name);
    vm->thread_tcb[t] = tcb;
    vm->thread_ep[t] = ep;
    if (t == 0)
        vm->tcb = tcb;
    init_log("%s: VMM thread %u on core %u", d->name, t, vm->thread_core[t]);
    if (give(vm, tcb, SEL4INIT_SLOT_VMM_TCB(t), 0) < 0 ||
        give(vm, ep, SEL4INIT_SLOT_VMM_EP(t), 0) < 0 ||
        give(vm, reply, SEL4INIT_SLOT_VMM_REPLY(t), 0) < 0)
        return -VMM_EIO;
    if (t == 0 && (give(vm, vm->cnode, SEL4INIT_SLOT_CNODE, 0) < 0 ||
                   give(vm, vm->vspace, SEL4INIT_SLOT_VSPACE, 0) < 0 ||
                   give(vm, vm->ntfn, SEL4INIT_SLOT_NTFN, 0) < 0))
        return -VMM_EIO;
    return 0;
}

int init_vm_build(struct init *in, struct init_vm *vm, const struct sel4init_vm *desc)
{
    int ret;

    memset(vm, 0, sizeof(*vm));
    vm->desc = desc;
    ret = init_obj(in, seL4_CapTableObject, SEL4INIT_PD_CNODE_BITS, &vm->cnode, NULL);
    if (ret == 0)
        ret = init_vspace(in, &vm->vspace);
    if (ret == 0)
        ret = init_vspace(in, &vm->guest_vspace);
    if (ret == 0)
        ret = init_obj(in, seL4_EndpointObject, 0, &vm->ep, NULL);
    if (ret == 0)
        ret = init_obj(in, seL4_NotificationObject, 0, &vm->ntfn, NULL);
    if (ret == 0)
        ret = desc->colours != 0 ? init_colour_load_program(in, vm)
                                 : init_load_elf(in, desc->name, desc->vmm_elf, desc->vmm_elf_end,
                                                 vm->vspace, &vm->entry);
    if (ret == 0)
        ret = map_ram(in, vm);
    vm->nr_threads = sel4init_vmm_threads(desc, vm->thread_core, vm->thread_of_vcpu);
    for (unsigned t = 0; ret == 0 && t < vm->nr_threads; t++)
        ret = make_vmm_thread(in, vm, t);
    for (unsigned i = 0; ret == 0 && i < desc->nr_vcpus; i++)
        ret = make_vcpu(in, vm, i);
    if (ret == 0 && desc->colours != 0)
        ret = init_colour_audit(in, vm);
    return ret;
}

int init_vm_connect(struct init *in, struct init_vm *a, unsigned ch_a, struct init_vm *b,
                    unsigned ch_b)
{
    (void)in;
    if (give(a, b->ntfn, SEL4INIT_SLOT_CHANNEL + ch_a, 1ull << ch_b) < 0 ||
        give(b, a->ntfn, SEL4INIT_SLOT_CHANNEL + ch_b, 1ull << ch_a) < 0)
        return -VMM_EIO;
    return 0;
}

int init_vm_start(struct init *in, struct init_vm *vm)
{
    seL4_UserContext regs = {0};

    (void)in;
    regs.pc = vm->entry;
    regs.x0 = vm->desc->ram_gpa;
    regs.x1 = vm->desc->nr_vcpus;
    regs.x3 = vm->nr_threads;
    for (unsigned t = 0; t < vm->nr_threads; t++) {
        regs.x2 = t;
        CHECK(seL4_TCB_WriteRegisters(vm->thread_tcb[t], seL4_True, 0,
                                      sizeof(regs) / sizeof(seL4_Word), &regs),
              "starting a VMM thread");
    }
    return 0;
}
