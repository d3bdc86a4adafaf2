/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's control interface (include/stdvmm/sel4init_ctl.h): in a
 * system whose example describes one (sel4init_describe_ctl), the root
 * task builds the description's VMs as VMs it can destroy (ctl_vm.c), the
 * control clients (ctl_pd.c), starts them all and then serves its endpoint
 * for ever: one request at a time, every word decoded and checked
 * (../ctl_proto.c) against the rights in the caller's badge before it acts.
 * Client faults arrive on the same endpoint and are reported.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "../../sel4/sel4_fmt.h"
#include "../layout.h"
#include "ctl.h"
#include "stdvmm/err.h"

#define CTL_REPLY_WORDS 8

/* Weak: only a control system defines it (main.c calls init_ctl_main then). */
__attribute__((weak)) void sel4init_describe_ctl(struct sel4init_ctl_system *ctl);

static struct ctl ctl_state;

static _Noreturn void halt(const char *why)
{
    init_log("error: ctl: %s; stopped", why);
    seL4_TCB_Suspend(seL4_CapInitThreadTCB);
    for (;;)
        seL4_Yield();
}

static bool elf_ok(const unsigned char *elf, const unsigned char *end)
{
    return elf != NULL && end > elf;
}

static bool name_ok(const char *s)
{
    size_t n = s != NULL ? strnlen(s, SEL4INIT_CTL_NAME_LEN) : 0;

    if (n == 0 || n >= SEL4INIT_CTL_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return false;
    }
    return true;
}

/* The control description: clients and programs that can exist. */
static int check_ctl(const struct sel4init_ctl_system *s, unsigned nr_cores, char *msg, size_t len)
{
    if (s->nr_clients > SEL4INIT_CTL_MAX_CLIENTS || s->nr_programs > SEL4INIT_CTL_MAX_PROGRAMS) {
        sel4_snprintf(msg, len, "%u clients and %u programs, at most %u and %u", s->nr_clients,
                      s->nr_programs, SEL4INIT_CTL_MAX_CLIENTS, SEL4INIT_CTL_MAX_PROGRAMS);
        return -VMM_EINVAL;
    }
    for (unsigned i = 0; i < s->nr_clients; i++) {
        const struct sel4init_ctl_client *cl = &s->clients[i];

        if (!name_ok(cl->name) || !elf_ok(cl->elf, cl->elf_end) || cl->core >= nr_cores ||
            cl->priority == 0 || cl->priority > SEL4INIT_MAX_PRIO ||
            (cl->rights & ~(SEL4INIT_CTL_RIGHT_VIEW | SEL4INIT_CTL_RIGHT_ADMIN)) != 0) {
            sel4_snprintf(msg, len,
                          "client %u: needs a name of [a-z0-9_-], a program, a core below %u, "
                          "a priority 1..%u and known rights",
                          i, nr_cores, SEL4INIT_MAX_PRIO);
            return -VMM_EINVAL;
        }
    }
    for (unsigned i = 0; i < s->nr_programs; i++) {
        const struct sel4init_ctl_program *p = &s->programs[i];

        if (!name_ok(p->name) || !elf_ok(p->elf, p->elf_end)) {
            sel4_snprintf(msg, len, "program %u: needs a name of [a-z0-9_-] and an ELF", i);
            return -VMM_EINVAL;
        }
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(s->programs[j].name, p->name) == 0) {
                sel4_snprintf(msg, len, "two programs are named \"%s\"", p->name);
                return -VMM_EEXIST;
            }
        }
    }
    return 0;
}

static int do_create(struct ctl *c, const struct sel4init_ctl_create *r, uint64_t *out)
{
    const struct sel4init_ctl_program *prog = NULL;
    struct sel4init_vm d;
    char msg[160];
    unsigned i;
    int ret;

    for (unsigned k = 0; k < c->sys.nr_programs; k++) {
        if (strcmp(c->sys.programs[k].name, r->program) == 0)
            prog = &c->sys.programs[k];
    }
    if (prog == NULL) {
        init_log("ctl: create %s: no program \"%s\" in this system", r->name, r->program);
        return -VMM_ENOENT;
    }
    for (i = 0; i < SEL4INIT_MAX_VMS && c->vms[i].state != SEL4INIT_VM_FREE; i++)
        ;
    if (i == SEL4INIT_MAX_VMS)
        return -VMM_ENOSPC;
    memset(&d, 0, sizeof(d));
    d.name = r->name;
    d.vmm_elf = prog->elf;
    d.vmm_elf_end = prog->elf_end;
    d.ram_gpa = 0x40000000ull;
    d.ram_size = r->ram_size;
    d.nr_vcpus = r->nr_vcpus;
    memcpy(d.vcpus, r->vcpus, sizeof(d.vcpus));
    d.vmm_core = r->vmm_core == SEL4INIT_CTL_CORE_ANY ? SEL4INIT_CORE_AUTO : r->vmm_core;
    d.vmm_priority = r->vmm_priority;
    ret = ctl_vm_create(c, i, &d, msg, sizeof(msg));
    if (ret < 0) {
        init_log("ctl: create %s refused (%d)%s%s", r->name, ret, msg[0] != '\0' ? ": " : "", msg);
        return ret;
    }
    out[0] = c->vms[i].gen << 8 | i;
    return 1;
}

/* START, STOP, RESTART, DESTROY, CAPS on one VM. */
static int do_vm_op(struct ctl *c, unsigned op, uint32_t id, uint64_t *out)
{
    struct ctl_vm *v = &c->vms[id & 0xff];
    unsigned next;
    bool fresh;
    int ret;

    if (v->state == SEL4INIT_VM_FREE || v->gen != id >> 8)
        return -VMM_ENOENT;
    ret = sel4init_ctl_next_state(v->state, op, &next, &fresh);
    if (ret < 0)
        return ret;
    /* A VM whose objects go away gives its devices back first. */
    if (fresh || op == SEL4INIT_CTL_DESTROY)
        init_dev_release_vm(c->in, &v->vm);
    switch (op) {
    case SEL4INIT_CTL_START:
    case SEL4INIT_CTL_RESTART:
        if (fresh && (ret = ctl_vm_reset(c, v)) < 0)
            return ret;
        ret = ctl_vm_start(c, v);
        if (ret < 0)
            return ret;
        break;
    case SEL4INIT_CTL_STOP:
        ctl_vm_stop(c, v);
        break;
    case SEL4INIT_CTL_DESTROY:
        ret = ctl_vm_destroy(c, v);
        if (ret < 0)
            return ret;
        break;
    case SEL4INIT_CTL_CAPS:
        out[0] = (uint64_t)ctl_caps_print(v->name, v->vm.cnode, SEL4INIT_PD_CNODE_BITS, c->probe);
        return 1;
    default:
        return -VMM_EINVAL;
    }
    v->state = next;
    return 0;
}

/* MOVE: device @r->device to VM @r->id (or nobody). */
static int do_move(struct ctl *c, const struct sel4init_ctl_req *r)
{
    struct init_dev *d = init_dev_get(r->device);
    struct ctl_vm *v = NULL;

    if (d == NULL)
        return -VMM_ENOENT;
    if (r->id != SEL4INIT_CTL_NOBODY) {
        v = &c->vms[r->id & 0xff];
        if (v->state == SEL4INIT_VM_FREE || v->gen != r->id >> 8)
            return -VMM_ENOENT;
    }
    return init_dev_move(c->in, d, v != NULL ? &v->vm : NULL);
}

/* Carry out @r; the number of reply words after the result, or an error. */
static int execute(struct ctl *c, const struct sel4init_ctl_req *r, uint64_t *out)
{
    struct sel4init_ctl_vm_info vi;
    unsigned n = 0;

    switch (r->op) {
    case SEL4INIT_CTL_INFO:
        for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++)
            n += c->vms[i].state != SEL4INIT_VM_FREE;
        out[0] = ctl_free_bytes(c);
        out[1] = n;
        out[2] = SEL4INIT_MAX_VMS;
        return 3;
    case SEL4INIT_CTL_LIST:
        ctl_vm_info(c, r->index, &vi);
        if (vi.state == SEL4INIT_VM_FREE)
            return -VMM_ENOENT;
        sel4init_ctl_encode_info(&vi, out);
        return 7;
    case SEL4INIT_CTL_CREATE:
        return do_create(c, &r->create, out);
    case SEL4INIT_CTL_MOVE:
        return do_move(c, r);
    default:
        return do_vm_op(c, r->op, r->id, out);
    }
}

static void client_fault(struct ctl *c, unsigned idx, seL4_MessageInfo_t info)
{
    seL4_Word label = seL4_MessageInfo_get_label(info);
    const char *name = ctl_client_name(c, idx);

    if (label == seL4_Fault_CapFault)
        init_log("ctl: client %s: capability fault on slot %lu; the client is stopped", name,
                 (unsigned long)seL4_GetMR(seL4_CapFault_Addr));
    else if (label == seL4_Fault_UserException)
        init_log("ctl: client %s finished", name);
    if (c->sys.clients_in_order)
        ctl_clients_start(c, idx + 1, 1);
    else
        init_log("ctl: client %s: fault %lu; the client is stopped", name, (unsigned long)label);
    ctl_client_suspend(c, idx);
}

static void log_request(const struct ctl *c, seL4_Word badge, const struct sel4init_ctl_req *r,
                        int ret, uint64_t out0)
{
    const char *who = ctl_client_name(c, (unsigned)((badge >> 8) & 0xff));
    const char *op = sel4init_ctl_op_name(r->op);

    if (ret < 0)
        init_log("ctl: %s: %s refused (%d)", who, op, ret);
    else if (r->op == SEL4INIT_CTL_CREATE)
        init_log("ctl: %s: create %s: id 0x%llx", who, r->create.name, (unsigned long long)out0);
    else if (r->op == SEL4INIT_CTL_MOVE)
        init_log("ctl: %s: move device %u to 0x%x: done", who, r->device, r->id);
    else
        init_log("ctl: %s: %s 0x%x: done", who, op, r->id);
}

static _Noreturn void serve(struct ctl *c, seL4_CPtr ep, seL4_CPtr reply)
{
    uint64_t mr[SEL4INIT_CTL_MAX_MR], out[CTL_REPLY_WORDS];
    seL4_MessageInfo_t info, answer = seL4_MessageInfo_new(0, 0, 0, 0);
    seL4_Word badge;
    bool have_reply = false;

    for (;;) {
        struct sel4init_ctl_req req;
        unsigned len;
        int ret;

        info =
            have_reply ? seL4_ReplyRecv(ep, answer, &badge, reply) : seL4_Recv(ep, &badge, reply);
        have_reply = false;
        memset(&req, 0, sizeof(req));
        memset(out, 0, sizeof(out));
        req.op = (unsigned)seL4_MessageInfo_get_label(info);
        if ((badge & SEL4INIT_CTL_BADGE_FAULT) != 0) {
            client_fault(c, (unsigned)(badge & 0xff), info);
            continue;
        }
        len = (unsigned)seL4_MessageInfo_get_length(info);
        if (len > SEL4INIT_CTL_MAX_MR || seL4_MessageInfo_get_extraCaps(info) != 0) {
            ret = -VMM_EINVAL;
        } else {
            for (unsigned i = 0; i < len; i++)
                mr[i] = seL4_GetMR((int)i);
            ret = sel4init_ctl_decode(seL4_MessageInfo_get_label(info), mr, len, badge, &req);
            if (ret == 0)
                ret = execute(c, &req, out);
        }
        if (req.op != SEL4INIT_CTL_INFO && req.op != SEL4INIT_CTL_LIST)
            log_request(c, badge, &req, ret, out[0]);
        seL4_SetMR(0, (seL4_Word)(int64_t)(ret < 0 ? ret : 0));
        for (int i = 0; i < ret; i++)
            seL4_SetMR(i + 1, out[i]);
        answer = seL4_MessageInfo_new(0, 0, 0, ret > 0 ? (seL4_Word)ret + 1 : 1);
        have_reply = true;
    }
}

static void print_caps(struct ctl *c)
{
    for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++) {
        if (c->vms[i].state != SEL4INIT_VM_FREE)
            ctl_caps_print(c->vms[i].name, c->vms[i].vm.cnode, SEL4INIT_PD_CNODE_BITS, c->probe);
    }
    ctl_clients_print_caps(c);
}

_Noreturn void init_ctl_main(struct init *in, struct sel4init_system *sys)
{
    struct ctl *c = &ctl_state;
    struct sel4init_limits lim = {.nr_cores = (unsigned)in->bi->numNodes,
                                  .free_bytes = sel4init_ut_free_bytes(&in->pool),
                                  .min_budget_us = 20};
    seL4_CPtr ep, reply;
    char msg[200];

    c->in = in;
    sel4init_describe_ctl(&c->sys);
    if (check_ctl(&c->sys, lim.nr_cores, msg, sizeof(msg)) < 0 ||
        (sys->nr_vms > 0 && sel4init_check(sys, &lim, msg, sizeof(msg)) < 0)) {
        init_log("error: impossible system description \"%s\": %s",
                 sys->name != NULL ? sys->name : "", msg);
        halt("nothing was started");
    }
    if (init_obj(in, seL4_EndpointObject, 0, &ep, NULL) < 0 ||
        init_obj(in, seL4_ReplyObject, 0, &reply, NULL) < 0 || ctl_vm_setup(c) < 0 ||
        ctl_clients_build(c, ep) < 0 || init_devs_setup(in, sys) < 0)
        halt("the control interface could not be set up");
    /* From here on every object comes from a VM's chunk. */
    sel4init_chunks_init(&c->chunks, &in->pool);
    for (unsigned i = 0; i < sys->nr_vms; i++) {
        if (ctl_vm_create(c, i, &sys->vms[i], msg, sizeof(msg)) < 0) {
            init_log("error: VM %s could not be created: %s", sys->vms[i].name, msg);
            halt("nothing was started");
        }
    }
    for (unsigned i = 0; i < sys->nr_channels; i++) {
        const struct sel4init_channel *ch = &sys->channels[i];

        if (init_vm_connect(in, &c->vms[ch->vm_a].vm, ch->ch_a, &c->vms[ch->vm_b].vm, ch->ch_b) < 0)
            halt("a channel could not be created");
    }
    for (unsigned i = 0; i < sys->nr_devices && i < SEL4INIT_MAX_DEVICES; i++) {
        if (sys->devices[i].owner >= sys->nr_vms ||
            init_dev_move(in, init_dev_get(i), &c->vms[sys->devices[i].owner].vm) < 0)
            halt("a device could not be given to its first owner");
    }
    if (c->sys.print_caps)
        print_caps(c);
    for (unsigned i = 0; i < sys->nr_vms; i++) {
        if (ctl_vm_start(c, &c->vms[i]) < 0)
            halt("a VM could not be started");
        c->vms[i].state = SEL4INIT_VM_RUNNING;
    }
    if (ctl_clients_start(c, 0, c->sys.clients_in_order ? 1 : c->sys.nr_clients) < 0)
        halt("a client could not be started");
    init_log("system %s: %u VM(s) started; control interface up: %u client(s), %u program(s), "
             "%llu bytes of untyped memory free",
             sys->name != NULL ? sys->name : "", sys->nr_vms, c->sys.nr_clients, c->sys.nr_programs,
             (unsigned long long)ctl_free_bytes(c));
    serve(c, ep, reply);
}
