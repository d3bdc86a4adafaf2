/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device ownership (struct sel4init_device): a physical device with one
 * 4 KiB MMIO frame and an interrupt, owned by at most one VM at a time and
 * moved between running VMs by the control interface (SEL4INIT_CTL_MOVE).
 * stdvmm-init keeps the originals: the frame capability, its own mapping
 * of the frame and the IRQ handler. Acquire by a VM: a copy of the frame
 * mapped into its stage-2 at the description's guest address, a copy of
 * the IRQ handler in its VMM's CNode (SEL4INIT_SLOT_DEV_IRQ, for the ack)
 * and the interrupt bound to its notification (channel SEL4INIT_DEV_IRQ_CH).
 * Release: the frame unmapped (the kernel flushes the old owner's TLB
 * entries: its next access faults into its VMM) and its copy deleted, the
 * VMM's IRQ handler copy deleted and the interrupt unbound, the device
 * silenced with the description's register writes (through stdvmm-init's
 * own mapping) and the interrupt acknowledged, then the old VMM told
 * (channel SEL4INIT_DEV_RELEASE_CH) so it drops the virtual interrupt's
 * pending state: nothing pending follows the device to its next owner,
 * and the old VMM holds no capability of it.
 */
#include <stdbool.h>
#include <stdint.h>
#include "../layout.h"
#include "init.h"
#include "stdvmm/err.h"

#define DEV_WINDOW 0x70000000ull /* stdvmm-init's own mappings of the devices */

static struct init_dev init_devs[SEL4INIT_MAX_DEVICES];
static unsigned init_nr_devs;

static int dev_fail(const struct init_dev *d, const char *what, int err)
{
    init_log("error: device %s: %s failed (%d)", d->desc->name, what, err);
    return -VMM_EIO;
}

static int dev_setup(struct init *in, struct init_dev *d, const struct sel4init_device *desc,
                     unsigned index)
{
    seL4_CPtr own;
    seL4_Error e;
    int ret;

    d->desc = desc;
    d->owner = NULL;
    d->regs = (volatile uint32_t *)(uintptr_t)(DEV_WINDOW + index * 0x1000ull);
    ret = init_device_frame(in, desc->paddr, &d->frame);
    if (ret == 0)
        ret = init_slot(in, &d->mapped);
    if (ret == 0)
        ret = init_slot(in, &d->ntfn);
    if (ret == 0)
        ret = init_copy(in, d->frame, &own);
    if (ret == 0)
        ret = init_map(in, own, seL4_CapInitThreadVSpace, (uint64_t)(uintptr_t)d->regs,
                       seL4_ReadWrite, seL4_ARM_ExecuteNever);
    if (ret < 0)
        return ret;
    d->irq = 0;
    if (desc->intid == 0)
        return 0;
    ret = init_slot(in, &d->irq);
    if (ret < 0)
        return ret;
    e = seL4_IRQControl_GetTrigger(seL4_CapIRQControl, desc->intid, 0 /* level */,
                                   seL4_CapInitThreadCNode, d->irq, seL4_WordBits);
    if (e != seL4_NoError)
        return dev_fail(d, "IRQControl_GetTrigger", e);
    return 0;
}

int init_devs_setup(struct init *in, const struct sel4init_system *sys)
{
    init_nr_devs = 0;
    for (unsigned i = 0; i < sys->nr_devices && i < SEL4INIT_MAX_DEVICES; i++) {
        int ret = dev_setup(in, &init_devs[i], &sys->devices[i], i);

        if (ret < 0)
            return ret;
        init_nr_devs = i + 1;
    }
    return 0;
}

struct init_dev *init_dev_get(unsigned index)
{
    return index < init_nr_devs ? &init_devs[index] : NULL;
}

/* Write the description's register values that silence the device. */
static void dev_silence(struct init_dev *d)
{
    for (unsigned i = 0; i < d->desc->nr_clear && i < SEL4INIT_DEV_MAX_CLEAR; i++) {
        if (d->desc->clear_off[i] < 0x1000 && (d->desc->clear_off[i] & 3) == 0)
            d->regs[d->desc->clear_off[i] / 4] = d->desc->clear_val[i];
    }
}

/* A copy of @vm's notification badged with channel @ch into d->ntfn. */
static int dev_mint(struct init_dev *d, struct init_vm *vm, unsigned ch)
{
    seL4_Error e =
        seL4_CNode_Mint(seL4_CapInitThreadCNode, d->ntfn, seL4_WordBits, seL4_CapInitThreadCNode,
                        vm->ntfn, seL4_WordBits, seL4_AllRights, 1ull << ch);

    return e == seL4_NoError ? 0 : dev_fail(d, "minting the owner's notification", e);
}

static int dev_acquire(struct init *in, struct init_dev *d, struct init_vm *vm)
{
    seL4_Error e;
    int ret;

    e = seL4_CNode_Copy(seL4_CapInitThreadCNode, d->mapped, seL4_WordBits, seL4_CapInitThreadCNode,
                        d->frame, seL4_WordBits, seL4_AllRights);
    if (e != seL4_NoError)
        return dev_fail(d, "copying the frame capability", e);
    ret = init_map(in, d->mapped, vm->guest_vspace, d->desc->gpa, seL4_ReadWrite,
                   seL4_ARM_ExecuteNever);
    if (ret < 0) {
        seL4_CNode_Delete(seL4_CapInitThreadCNode, d->mapped, seL4_WordBits);
        return ret;
    }
    d->owner = vm; /* from here on a failure is undone by a release */
    if (d->irq == 0)
        return 0;
    /* The VMM's copy first: it acks through it as soon as an interrupt arrives. */
    e = seL4_CNode_Copy(vm->cnode, SEL4INIT_SLOT_DEV_IRQ, SEL4INIT_PD_CNODE_BITS,
                        seL4_CapInitThreadCNode, d->irq, seL4_WordBits, seL4_AllRights);
    if (e != seL4_NoError)
        return dev_fail(d, "giving the IRQ handler to the VMM", e);
    init_cap_note(vm->cnode, SEL4INIT_SLOT_DEV_IRQ, seL4_AllRights, 0);
    ret = dev_mint(d, vm, SEL4INIT_DEV_IRQ_CH);
    if (ret < 0)
        return ret;
    e = seL4_IRQHandler_SetNotification(d->irq, d->ntfn);
    if (e != seL4_NoError)
        return dev_fail(d, "IRQHandler_SetNotification", e);
    return 0;
}

/* Take everything back from the owner; each step runs even if an earlier
 * one failed (the owner may be half gone: a VM being destroyed). */
static int dev_release(struct init_dev *d)
{
    struct init_vm *vm = d->owner;
    int ret = 0;

    if (vm == NULL)
        return 0;
    if (seL4_ARM_Page_Unmap(d->mapped) != seL4_NoError)
        ret = dev_fail(d, "unmapping the frame from the owner", -1);
    seL4_CNode_Delete(seL4_CapInitThreadCNode, d->mapped, seL4_WordBits);
    if (d->irq != 0) {
        /* Unbind first: no interrupt reaches the old owner after this. */
        if (seL4_IRQHandler_Clear(d->irq) != seL4_NoError)
            ret = dev_fail(d, "IRQHandler_Clear", -1);
        seL4_CNode_Delete(seL4_CapInitThreadCNode, d->ntfn, seL4_WordBits);
        /* Fails harmlessly if the VMM's CNode is already gone. */
        seL4_CNode_Delete(vm->cnode, SEL4INIT_SLOT_DEV_IRQ, SEL4INIT_PD_CNODE_BITS);
    }
    dev_silence(d);
    if (d->irq != 0) {
        if (seL4_IRQHandler_Ack(d->irq) != seL4_NoError)
            ret = dev_fail(d, "IRQHandler_Ack", -1);
        /* Tell the old VMM: it lowers the virtual line, owes no ack. */
        if (dev_mint(d, vm, SEL4INIT_DEV_RELEASE_CH) == 0) {
            seL4_Signal(d->ntfn);
            seL4_CNode_Delete(seL4_CapInitThreadCNode, d->ntfn, seL4_WordBits);
        }
    }
    d->owner = NULL;
    return ret;
}

static const char *vm_name(const struct init_vm *vm)
{
    return vm != NULL ? vm->desc->name : "nobody";
}

int init_dev_move(struct init *in, struct init_dev *d, struct init_vm *to)
{
    const char *from = vm_name(d->owner);
    int ret;

    if (d->owner == to)
        return 0;
    ret = dev_release(d);
    if (ret == 0 && to != NULL) {
        ret = dev_acquire(in, d, to);
        if (ret < 0)
            dev_release(d);
    }
    if (ret < 0) {
        init_log("error: device %s: not moved from %s to %s; it belongs to %s", d->desc->name, from,
                 vm_name(to), vm_name(d->owner));
        return ret;
    }
    init_log("device %s: handed from %s to %s (frame 0x%llx at guest 0x%llx, INTID %u)",
             d->desc->name, from, vm_name(to), (unsigned long long)d->desc->paddr,
             (unsigned long long)d->desc->gpa, d->desc->intid);
    return 0;
}

void init_dev_release_vm(struct init *in, const struct init_vm *vm)
{
    for (unsigned i = 0; i < init_nr_devs; i++) {
        if (init_devs[i].owner == vm)
            init_dev_move(in, &init_devs[i], NULL);
    }
}

int init_dev_start(struct init *in, struct init_vm vms[], const struct sel4init_system *sys)
{
    int ret = init_devs_setup(in, sys);

    for (unsigned i = 0; ret == 0 && i < init_nr_devs; i++) {
        if (sys->devices[i].owner >= sys->nr_vms) {
            init_log("error: device %s: owner VM %u does not exist", sys->devices[i].name,
                     sys->devices[i].owner);
            return -VMM_EINVAL;
        }
        ret = init_dev_move(in, &init_devs[i], &vms[sys->devices[i].owner]);
    }
    return ret;
}
