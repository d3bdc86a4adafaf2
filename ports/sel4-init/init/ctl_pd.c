/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control clients: small PDs described in sel4init_ctl_system. Each
 * gets a CNode of 2^SEL4INIT_CTL_CLIENT_CNODE_BITS slots holding at most
 * one capability, the control endpoint badged with its rights and index
 * in slot SEL4INIT_CTL_CLIENT_SLOT_EP (write and grant-reply only: it can
 * call stdvmm-init, not receive on its endpoint nor pass capabilities),
 * and nothing at all when its rights are 0. Its program is loaded like a
 * VMM's; its faults go to stdvmm-init's endpoint (badge
 * SEL4INIT_CTL_BADGE_FAULT | index), which reports and stops it.
 */
#include <stdbool.h>
#include <stdint.h>
#include "../../sel4/sel4_fmt.h"
#include "ctl.h"
#include "stdvmm/err.h"

struct ctl_client_pd {
    seL4_CPtr cnode, vspace, tcb;
    uint64_t entry;
};

static struct ctl_client_pd clients[SEL4INIT_CTL_MAX_CLIENTS];

/* A client's own share of its core: its requests run on stdvmm-init's time.
 * Not a round-robin context (budget < period), so a seL4_Yield waits for
 * the next period (sel4init_ctl_sleep_ms) instead of entering the kernel in
 * a loop, which would hold up the kernel lock every other core needs. */
#define CLIENT_BUDGET_US 2000
#define CLIENT_PERIOD_US 10000

#define CLIENT_CHECK(call, what)                                                                   \
    do {                                                                                           \
        seL4_Error e_ = (call);                                                                    \
        if (e_ != seL4_NoError) {                                                                  \
            init_log("error: ctl client %s: %s failed (%d)", d->name, what, (int)e_);              \
            return -VMM_EIO;                                                                       \
        }                                                                                          \
    } while (0)

static int build_one(struct ctl *c, unsigned idx, seL4_CPtr ep)
{
    struct init *in = c->in;
    const struct sel4init_ctl_client *d = &c->sys.clients[idx];
    struct ctl_client_pd *p = &clients[idx];
    seL4_CapRights_t call_rights = seL4_CapRights_new(1, 0, 0, 1); /* grant-reply, write */
    seL4_CPtr ipcbuf, sc, fault_ep;
    int ret = init_obj(in, seL4_CapTableObject, SEL4INIT_CTL_CLIENT_CNODE_BITS, &p->cnode, NULL);

    if (ret == 0)
        ret = init_vspace(in, &p->vspace);
    if (ret == 0)
        ret = init_load_elf(in, d->name, d->elf, d->elf_end, p->vspace, &p->entry);
    if (ret == 0)
        ret = init_obj(in, seL4_ARM_SmallPageObject, 0, &ipcbuf, NULL);
    if (ret == 0)
        ret = init_map(in, ipcbuf, p->vspace, SEL4INIT_CTL_CLIENT_IPCBUF, seL4_ReadWrite,
                       seL4_ARM_Default_VMAttributes);
    if (ret == 0)
        ret = init_obj(in, seL4_TCBObject, 0, &p->tcb, NULL);
    if (ret == 0)
        ret = init_obj(in, seL4_SchedContextObject, seL4_MinSchedContextBits, &sc, NULL);
    if (ret == 0)
        ret = init_slot(in, &fault_ep);
    if (ret < 0)
        return ret;
    CLIENT_CHECK(seL4_SchedControl_ConfigureFlags(in->bi->schedcontrol.start + d->core, sc,
                                                  CLIENT_BUDGET_US, CLIENT_PERIOD_US, 0, 0, 0),
                 "SchedControl_Configure");
    CLIENT_CHECK(seL4_CNode_Mint(seL4_CapInitThreadCNode, fault_ep, seL4_WordBits,
                                 seL4_CapInitThreadCNode, ep, seL4_WordBits, call_rights,
                                 SEL4INIT_CTL_BADGE_FAULT | idx),
                 "minting its fault endpoint");
    CLIENT_CHECK(
        seL4_TCB_Configure(
            p->tcb, p->cnode,
            seL4_CNode_CapData_new(0, seL4_WordBits - SEL4INIT_CTL_CLIENT_CNODE_BITS).words[0],
            p->vspace, 0, SEL4INIT_CTL_CLIENT_IPCBUF, ipcbuf),
        "TCB_Configure");
    CLIENT_CHECK(seL4_TCB_SetSchedParams(p->tcb, seL4_CapInitThreadTCB, d->priority, d->priority,
                                         sc, fault_ep),
                 "TCB_SetSchedParams");
    seL4_DebugNameThread(p->tcb, d->name);
    if (d->rights != 0) {
        seL4_Word badge = SEL4INIT_CTL_BADGE(d->rights, idx);

        CLIENT_CHECK(seL4_CNode_Mint(p->cnode, SEL4INIT_CTL_CLIENT_SLOT_EP,
                                     SEL4INIT_CTL_CLIENT_CNODE_BITS, seL4_CapInitThreadCNode, ep,
                                     seL4_WordBits, call_rights, badge),
                     "minting its control capability");
        init_cap_note(p->cnode, SEL4INIT_CTL_CLIENT_SLOT_EP, call_rights, badge);
    }
    init_log("ctl client %s: core %u, priority %u, rights %s%s%s", d->name, d->core, d->priority,
             d->rights == 0 ? "none (no control capability)" : "",
             (d->rights & SEL4INIT_CTL_RIGHT_VIEW) != 0 ? "view " : "",
             (d->rights & SEL4INIT_CTL_RIGHT_ADMIN) != 0 ? "admin" : "");
    return 0;
}

int ctl_clients_build(struct ctl *c, seL4_CPtr ep)
{
    for (unsigned i = 0; i < c->sys.nr_clients; i++) {
        int ret = build_one(c, i, ep);

        if (ret < 0)
            return ret;
    }
    return 0;
}

int ctl_clients_start(struct ctl *c, unsigned first, unsigned n)
{
    for (unsigned i = first; i < first + n && i < c->sys.nr_clients; i++) {
        seL4_UserContext regs = {0};

        regs.pc = clients[i].entry;
        regs.x0 = i;
        if (seL4_TCB_WriteRegisters(clients[i].tcb, seL4_True, 0, sizeof(regs) / sizeof(seL4_Word),
                                    &regs) != seL4_NoError) {
            init_log("error: ctl client %s could not be started", c->sys.clients[i].name);
            return -VMM_EIO;
        }
    }
    return 0;
}

void ctl_client_suspend(const struct ctl *c, unsigned idx)
{
    if (idx < c->sys.nr_clients)
        seL4_TCB_Suspend(clients[idx].tcb);
}

const char *ctl_client_name(const struct ctl *c, unsigned idx)
{
    return idx < c->sys.nr_clients ? c->sys.clients[idx].name : "?";
}

void ctl_clients_print_caps(const struct ctl *c)
{
    for (unsigned i = 0; i < c->sys.nr_clients; i++)
        ctl_caps_print(c->sys.clients[i].name, clients[i].cnode, SEL4INIT_CTL_CLIENT_CNODE_BITS,
                       c->probe);
}
