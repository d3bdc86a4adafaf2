/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stdvmm-init runtime of a VMM protection domain (../sel4/sel4_rt.h):
 * the capability layout of layout.h, and event loops in place of
 * Microkit's. The VMM has one thread on each core that runs one of its
 * vCPUs (and thread 0 on its own core), so a vCPU's exit is handled on the
 * vCPU's core: no fault message, reply or VCPU register access crosses
 * cores. Each thread waits on its own endpoint; a message badged
 * SEL4INIT_BADGE_FAULT | n is a fault of vCPU n (replied to resume it);
 * thread 0 also takes the notifications of its bound notification object
 * (the channels that signalled, as badge bits).
 *
 * The VMM's state (vGIC, devices, vCPU power states) is shared by the
 * threads: each handles an event under one lock. libsel4 reaches the IPC
 * buffer through one global pointer, so the lock holder points it at its
 * own buffer; receiving uses the *WithMRs calls, which leave the buffer to
 * the kernel (message registers beyond the fourth) and return the first
 * four in registers, copied into the buffer once the lock is held.
 */
#include <stdbool.h>
#include <stdint.h>
#include "../sel4/sel4_rt.h"
#include "layout.h"
#include "stdvmm/sel4init.h"
#include "stdvmm_sel4.h"

seL4_IPCBuffer *__sel4_ipc_buffer;

/* rt_crt0.S reserves a stack per thread for RT_MAX_THREADS (9) threads. */
_Static_assert(SEL4INIT_MAX_VMM_THREADS == 9, "rt_crt0.S RT_MAX_THREADS must match");

void sel4_rt_init_main(uint64_t ram, uint64_t nr_vcpus, uint64_t thread, uint64_t nr_threads);

/* A ticket lock: threads enter in the order they came. */
static uint32_t rt_next, rt_owner;

static void rt_lock(unsigned thread)
{
    uint32_t me = __atomic_fetch_add(&rt_next, 1, __ATOMIC_RELAXED);

    while (__atomic_load_n(&rt_owner, __ATOMIC_ACQUIRE) != me)
        __asm__ volatile("yield");
    __sel4_ipc_buffer = (seL4_IPCBuffer *)(uintptr_t)(SEL4INIT_VMM_IPCBUF + thread * 0x1000ull);
}

static void rt_unlock(void)
{
    __atomic_store_n(&rt_owner, __atomic_load_n(&rt_owner, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

seL4_CPtr sel4_rt_vcpu_tcb(unsigned vcpu)
{
    return SEL4INIT_SLOT_VCPU_TCB + vcpu;
}

seL4_CPtr sel4_rt_vcpu_obj(unsigned vcpu)
{
    return SEL4INIT_SLOT_VCPU + vcpu;
}

void sel4_rt_puts(const char *s)
{
#ifdef CONFIG_PRINTING
    for (; *s != '\0'; s++)
        seL4_DebugPutChar(*s);
#else
    (void)s;
#endif
}

void sel4_rt_notify(unsigned ch)
{
    seL4_Signal(SEL4INIT_SLOT_CHANNEL + ch);
}

int sel4_rt_irq_ack(unsigned ch)
{
    if (ch != SEL4INIT_DEV_IRQ_CH)
        return seL4_InvalidArgument;
    return (int)seL4_IRQHandler_Ack(SEL4INIT_SLOT_DEV_IRQ);
}

static void notified(seL4_Word bits)
{
    for (unsigned ch = 0; ch < 63; ch++) {
        if ((bits & (1ull << ch)) != 0)
            sel4_vmm_notified(ch);
    }
}

/* Thread @t's loop: wait on its endpoint, handle each event under the lock,
 * reply to a fault unless the handler kept the vCPU stopped. */
static void rt_loop(unsigned t)
{
    seL4_CPtr ep = SEL4INIT_SLOT_VMM_EP(t), reply_obj = SEL4INIT_SLOT_VMM_REPLY(t);
    seL4_Word badge, mr[4];
    seL4_MessageInfo_t info;
    bool reply = false;

    for (;;) {
        if (reply)
            info = seL4_ReplyRecvWithMRs(ep, seL4_MessageInfo_new(0, 0, 0, 0), &badge, &mr[0],
                                         &mr[1], &mr[2], &mr[3], reply_obj);
        else
            info = seL4_RecvWithMRs(ep, &badge, reply_obj, &mr[0], &mr[1], &mr[2], &mr[3]);
        rt_lock(t);
        for (unsigned i = 0; i < 4; i++)
            seL4_SetMR((int)i, mr[i]);
        if ((badge & SEL4INIT_BADGE_FAULT) == 0) {
            notified(badge);
            reply = false;
        } else {
            reply = sel4_vmm_fault((unsigned)(badge & ~SEL4INIT_BADGE_FAULT),
                                   (unsigned)seL4_MessageInfo_get_label(info));
        }
        rt_unlock();
    }
}

void sel4_rt_init_main(uint64_t ram, uint64_t nr_vcpus, uint64_t thread, uint64_t nr_threads)
{
    unsigned t = (unsigned)thread;

    if (t == 0) {
        rt_lock(0);
        if (nr_vcpus != sel4_vmm_config.machine.nr_vcpus || nr_threads > SEL4INIT_MAX_VMM_THREADS) {
            sel4_rt_puts("stdvmm: the system description and the VMM's configuration disagree on "
                         "the number of vCPUs; not starting\n");
            for (unsigned i = SEL4INIT_MAX_VMM_THREADS; i-- > 0;) /* itself last */
                seL4_TCB_Suspend(SEL4INIT_SLOT_VMM_TCB(i));
        }
        sel4_vmm_init((uintptr_t)ram);
        rt_unlock();
    }
    rt_loop(t);
}
