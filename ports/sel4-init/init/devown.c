/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device ownership (struct sel4init_device): a physical device with one
 * 4 KiB MMIO frame and an interrupt, owned by one VM at a time, handed from
 * one VM to another while both run. Acquire maps the frame into the owner's
 * stage-2 at the guest address of the description and gives the owner's
 * VMM the IRQ handler capability (PD slot SEL4INIT_SLOT_DEV_IRQ) with the
 * interrupt bound to its notification (channel SEL4INIT_DEV_IRQ_CH).
 * Release unmaps the frame (the kernel flushes the old owner's TLB entries:
 * its next access faults into its VMM, which gives the guest an external
 * abort), unbinds the interrupt and deletes the old owner's capability,
 * silences the device with the description's register writes (through
 * stdvmm-init's own mapping) and acknowledges the interrupt, so nothing
 * pending follows the device to its next owner. init_dev_handover is the
 * operation a control interface calls; init_dev_script runs the
 * description's scripted handovers (tests).
 */
#include <stdbool.h>
#include <stdint.h>
#include "../layout.h"
#include "init.h"
#include "stdvmm/err.h"

#define DEV_WINDOW 0x70000000ull /* stdvmm-init's own mappings of the devices */
#define SCRIPT_PERIOD_US 100000  /* stdvmm-init's scheduling while it waits */
#define SCRIPT_BUDGET_US 1000
#define SCRIPT_WORK_US 10000 /* and while it works (whole period) */

static struct init_dev init_devs[SEL4INIT_MAX_DEVICES];

static int dev_fail(const struct init_dev *d, const char *what, int err)
{
    init_log("error: device %s: %s failed (%d)", d->desc->name, what, err);
    return -VMM_EIO;
}

int init_dev_setup(struct init *in, struct init_dev *d, const struct sel4init_device *desc,
                   unsigned index)
{
    seL4_CPtr own;
    int ret;

    d->desc = desc;
    d->owner = NULL;
    d->regs = (volatile uint32_t *)(uintptr_t)(DEV_WINDOW + index * 0x1000ull);
    ret = init_device_frame(in, desc->paddr, &d->frame);
    if (ret == 0)
        ret = init_slot(in, &d->mapped);
    if (ret == 0)
        ret = init_copy(in, d->frame, &own);
    if (ret == 0)
        ret = init_map(in, own, seL4_CapInitThreadVSpace, (uint64_t)(uintptr_t)d->regs,
                       seL4_ReadWrite, seL4_ARM_ExecuteNever);
    if (ret < 0)
        return ret;
    d->irq = 0;
    if (desc->intid != 0) {
        seL4_Error e;

        ret = init_slot(in, &d->irq);
        if (ret < 0)
            return ret;
        e = seL4_IRQControl_GetTrigger(seL4_CapIRQControl, desc->intid, 0 /* level */,
                                       seL4_CapInitThreadCNode, d->irq, seL4_WordBits);
        if (e != seL4_NoError)
            return dev_fail(d, "IRQControl_GetTrigger", e);
    }
    return 0;
}

/* Write the description's register values that silence the device. */
static void dev_silence(struct init_dev *d)
{
    for (unsigned i = 0; i < d->desc->nr_clear && i < SEL4INIT_DEV_MAX_CLEAR; i++) {
        if (d->desc->clear_off[i] < 0x1000 && (d->desc->clear_off[i] & 3) == 0)
            d->regs[d->desc->clear_off[i] / 4] = d->desc->clear_val[i];
    }
}

int init_dev_acquire(struct init *in, struct init_dev *d, struct init_vm *vm)
{
    seL4_Error e;
    int ret;

    if (d->owner != NULL)
        return -VMM_EBUSY;
    e = seL4_CNode_Copy(seL4_CapInitThreadCNode, d->mapped, seL4_WordBits, seL4_CapInitThreadCNode,
                        d->frame, seL4_WordBits, seL4_AllRights);
    if (e != seL4_NoError)
        return dev_fail(d, "copying the frame capability", e);
    ret = init_map(in, d->mapped, vm->guest_vspace, d->desc->gpa, seL4_ReadWrite,
                   seL4_ARM_ExecuteNever);
    if (ret < 0)
        return ret;
    if (d->irq != 0) {
        if (vm->dev_ntfn == 0) {
            ret = init_slot(in, &vm->dev_ntfn);
            if (ret < 0)
                return ret;
            e = seL4_CNode_Mint(seL4_CapInitThreadCNode, vm->dev_ntfn, seL4_WordBits,
                                seL4_CapInitThreadCNode, vm->ntfn, seL4_WordBits, seL4_AllRights,
                                1ull << SEL4INIT_DEV_IRQ_CH);
            if (e != seL4_NoError)
                return dev_fail(d, "minting the owner's notification", e);
        }
        e = seL4_IRQHandler_SetNotification(d->irq, vm->dev_ntfn);
        if (e != seL4_NoError)
            return dev_fail(d, "IRQHandler_SetNotification", e);
        e = seL4_CNode_Copy(vm->cnode, SEL4INIT_SLOT_DEV_IRQ, SEL4INIT_PD_CNODE_BITS,
                            seL4_CapInitThreadCNode, d->irq, seL4_WordBits, seL4_AllRights);
        if (e != seL4_NoError)
            return dev_fail(d, "giving the IRQ handler to the VMM", e);
    }
    d->owner = vm;
    return 0;
}

int init_dev_release(struct init *in, struct init_dev *d)
{
    seL4_Error e;

    (void)in;
    if (d->owner == NULL)
        return 0;
    e = seL4_ARM_Page_Unmap(d->mapped);
    if (e == seL4_NoError)
        e = seL4_CNode_Delete(seL4_CapInitThreadCNode, d->mapped, seL4_WordBits);
    if (e != seL4_NoError)
        return dev_fail(d, "unmapping the frame from the owner", e);
    if (d->irq != 0) {
        e = seL4_CNode_Delete(d->owner->cnode, SEL4INIT_SLOT_DEV_IRQ, SEL4INIT_PD_CNODE_BITS);
        if (e == seL4_NoError)
            e = seL4_IRQHandler_Clear(d->irq);
        if (e != seL4_NoError)
            return dev_fail(d, "taking the IRQ handler back", e);
    }
    dev_silence(d);
    if (d->irq != 0) {
        e = seL4_IRQHandler_Ack(d->irq);
        if (e != seL4_NoError)
            return dev_fail(d, "IRQHandler_Ack", e);
    }
    d->owner = NULL;
    return 0;
}

int init_dev_handover(struct init *in, struct init_dev *d, struct init_vm *to)
{
    const char *from = d->owner != NULL ? d->owner->desc->name : "nobody";
    int ret = init_dev_release(in, d);

    if (ret == 0)
        ret = init_dev_acquire(in, d, to);
    if (ret == 0)
        init_log("device %s: handed from %s to %s (frame 0x%llx at guest 0x%llx, INTID %u)",
                 d->desc->name, from, to->desc->name, (unsigned long long)d->desc->paddr,
                 (unsigned long long)d->desc->gpa, d->desc->intid);
    return ret;
}

int init_dev_start(struct init *in, struct init_vm vms[], const struct sel4init_system *sys)
{
    for (unsigned i = 0; i < sys->nr_devices && i < SEL4INIT_MAX_DEVICES; i++) {
        const struct sel4init_device *desc = &sys->devices[i];
        int ret;

        if (desc->owner >= sys->nr_vms || desc->alt_owner >= sys->nr_vms) {
            init_log("error: device %s: owner VM %u or %u does not exist", desc->name, desc->owner,
                     desc->alt_owner);
            return -VMM_EINVAL;
        }
        ret = init_dev_setup(in, &init_devs[i], desc, i);
        if (ret == 0)
            ret = init_dev_handover(in, &init_devs[i], &vms[desc->owner]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static uint64_t now_us(void)
{
    uint64_t t, f;

    __asm__ volatile("mrs %0, cntpct_el0" : "=r"(t));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return f != 0 ? t / (f / 1000000u) : 0;
}

void init_dev_script(struct init *in, struct init_vm vms[], const struct sel4init_system *sys)
{
    unsigned total = 0, every = 0;
    uint64_t start;

    for (unsigned i = 0; i < sys->nr_devices && i < SEL4INIT_MAX_DEVICES; i++) {
        if (sys->devices[i].handover_s != 0 && sys->devices[i].handovers > total) {
            total = sys->devices[i].handovers;
            every = sys->devices[i].handover_s;
        }
    }
    if (total == 0)
        return;
    start = now_us();
    for (unsigned step = 1; step <= total; step++) {
        /* Spin on the counter without entering the kernel: a kernel entry
         * from this core while the VMs run on others waits long for the
         * kernel lock under QEMU (and an MCS-throttled wait did not come
         * back in minutes). Core 0 runs no VM here (docs/SEL4.md). */
        while (now_us() - start < (uint64_t)step * every * 1000000u)
            __asm__ volatile("yield");
        for (unsigned i = 0; i < sys->nr_devices && i < SEL4INIT_MAX_DEVICES; i++) {
            const struct sel4init_device *desc = &sys->devices[i];
            struct init_dev *d = &init_devs[i];
            struct init_vm *to;

            if (desc->handover_s == 0 || step > desc->handovers)
                continue;
            to = d->owner == &vms[desc->owner] ? &vms[desc->alt_owner] : &vms[desc->owner];
            init_log("device %s: scripted handover %u of %u", desc->name, step, desc->handovers);
            if (init_dev_handover(in, d, to) < 0)
                return;
        }
    }
    init_log("device handover script done");
}
