/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stdvmm-init runtime of a VMM protection domain (../sel4/sel4_rt.h):
 * the capability layout of layout.h, and an event loop in place of
 * Microkit's. The VMM thread waits on its endpoint; a message badged
 * SEL4INIT_BADGE_FAULT | n is a fault of vCPU n (replied to resume it), a
 * notification from the bound notification object carries the channels
 * that signalled as badge bits.
 */
#include <stdbool.h>
#include <stdint.h>
#include "../sel4/sel4_rt.h"
#include "layout.h"
#include "stdvmm/sel4init.h"
#include "stdvmm_sel4.h"

seL4_IPCBuffer *__sel4_ipc_buffer;

void sel4_rt_init_main(uint64_t ram, uint64_t nr_vcpus);

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

static void notified(seL4_Word bits)
{
    for (unsigned ch = 0; ch < 63; ch++) {
        if ((bits & (1ull << ch)) != 0)
            sel4_vmm_notified(ch);
    }
}

void sel4_rt_init_main(uint64_t ram, uint64_t nr_vcpus)
{
    seL4_Word badge;
    seL4_MessageInfo_t info;
    bool reply = false;

    __sel4_ipc_buffer = (seL4_IPCBuffer *)(uintptr_t)SEL4INIT_VMM_IPCBUF;
    if (nr_vcpus != sel4_vmm_config.machine.nr_vcpus) {
        sel4_rt_puts("stdvmm: the system description and the VMM's configuration disagree on "
                     "the number of vCPUs; not starting\n");
        seL4_TCB_Suspend(SEL4INIT_SLOT_TCB);
    }
    sel4_vmm_init((uintptr_t)ram);
    for (;;) {
        if (reply)
            info = seL4_ReplyRecv(SEL4INIT_SLOT_EP, seL4_MessageInfo_new(0, 0, 0, 0), &badge,
                                  SEL4INIT_SLOT_REPLY);
        else
            info = seL4_Recv(SEL4INIT_SLOT_EP, &badge, SEL4INIT_SLOT_REPLY);
        reply = false;
        if ((badge & SEL4INIT_BADGE_FAULT) == 0) {
            notified(badge);
            continue;
        }
        reply = sel4_vmm_fault((unsigned)(badge & ~SEL4INIT_BADGE_FAULT),
                               (unsigned)seL4_MessageInfo_get_label(info));
    }
}
