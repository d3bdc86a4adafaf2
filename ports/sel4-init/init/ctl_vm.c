/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VMs under the control interface: each is built from its own untyped
 * chunk (../ctl_acct.h) into its own window of root CNode slots, so that
 * one seL4_CNode_Revoke of the chunk deletes every object and every
 * capability derived for the VM (its PD's CNode with everything in it, the
 * stage-2 VSpace, TCBs, VCPUs, scheduling contexts, frames and their
 * copies), and deleting the window's slots removes the copies of shared
 * objects (the GIC's virtual CPU interface). After the revoke a probe frame
 * retyped from the chunk must land at the chunk's first byte: the kernel
 * only resets an untyped with no children left, so that proves the VM is
 * gone before its memory is counted free again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "../../sel4/sel4_fmt.h"
#include "../ctl_acct.h"
#include "ctl.h"
#include "elf.h"
#include "stdvmm/err.h"

#define LARGE (1ull << seL4_LargePageBits)
#define CTL_MIN_BUDGET_US 20 /* as main.c: 2 x the kernel's WCET on qemu-arm-virt */

int ctl_vm_setup(struct ctl *c)
{
    struct init *in = c->in;
    seL4_CPtr need = SEL4INIT_MAX_CHUNKS + 1 + (seL4_CPtr)CTL_WINDOW_SLOTS * SEL4INIT_MAX_VMS;

    if (in->end_slot - in->next_slot < need) {
        init_log("error: ctl: the root CNode has %lu free slots, the control interface needs %lu",
                 (unsigned long)(in->end_slot - in->next_slot), (unsigned long)need);
        return -VMM_ENOSPC;
    }
    c->chunk_slots = in->next_slot;
    c->probe = c->chunk_slots + SEL4INIT_MAX_CHUNKS;
    for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++) {
        c->vms[i].win = c->probe + 1 + (seL4_CPtr)i * CTL_WINDOW_SLOTS;
        c->vms[i].win_used = c->vms[i].win;
    }
    in->next_slot += need;
    return init_vm_shared(in);
}

/* Bytes of 2 MiB pages the program [elf, end) is loaded into. */
static int program_bytes(const unsigned char *elf, const unsigned char *end, uint64_t *bytes)
{
    struct init_elf e;
    uint8_t used[SEL4INIT_VMM_PROG_TOP / LARGE / 8] = {0};
    int ret = init_elf_parse(elf, (size_t)(end - elf), &e);

    if (ret < 0)
        return ret;
    *bytes = 0;
    for (unsigned i = 0; i < e.nr_segs; i++) {
        if (e.segs[i].memsz == 0)
            continue;
        for (uint64_t b = e.segs[i].vaddr / LARGE;
             b <= (e.segs[i].vaddr + e.segs[i].memsz - 1) / LARGE && b < sizeof(used) * 8; b++) {
            if ((used[b / 8] & (1u << (b % 8))) == 0)
                *bytes += LARGE;
            used[b / 8] |= (uint8_t)(1u << (b % 8));
        }
    }
    return 0;
}

uint64_t ctl_free_bytes(const struct ctl *c)
{
    return sel4init_chunks_free_bytes(&c->chunks, &c->in->pool);
}

/* The VM's objects, from its chunk into its window. */
static int build(struct ctl *c, struct ctl_vm *v)
{
    struct init *in = c->in;
    const struct sel4init_chunk *ch = &c->chunks.c[v->chunk];
    seL4_CPtr cap = c->chunk_slots + v->chunk, next = in->next_slot, end = in->end_slot;
    uint64_t off[SEL4INIT_CHUNK_MAX_PIECES];
    unsigned bits[SEL4INIT_CHUNK_MAX_PIECES];
    unsigned n = sel4init_chunk_split(ch->bits, off, bits);
    int ret = 0;

    memset(&v->mem, 0, sizeof(v->mem));
    memset(&v->vm, 0, sizeof(v->vm));
    in->next_slot = v->win;
    in->end_slot = v->win + CTL_WINDOW_SLOTS;
    for (unsigned k = 0; ret == 0 && k < n; k++) {
        bool large = bits[k] >= seL4_LargePageBits;
        struct sel4init_ut_pool *p = large ? &v->mem.large : &v->mem.small;
        seL4_CPtr *slot = large ? &v->mem.large_caps[p->n] : &v->mem.small_caps[p->n];

        ret = p->n < INIT_MEM_PIECES ? init_slot(in, slot) : -VMM_ENOSPC;
        if (ret == 0 &&
            seL4_Untyped_Retype(cap, seL4_UntypedObject, bits[k], seL4_CapInitThreadCNode, 0, 0,
                                *slot, 1) != seL4_NoError)
            ret = -VMM_EIO;
        if (ret == 0)
            ret = sel4init_ut_add(p, ch->paddr + off[k], bits[k], false);
    }
    if (ret == 0) {
        in->alloc = &v->mem;
        ret = init_vm_build(in, &v->vm, &v->desc);
        in->alloc = NULL;
    } else {
        init_log("error: ctl: %s: cutting its untyped into pieces failed", v->name);
    }
    v->win_used = in->next_slot;
    in->next_slot = next;
    in->end_slot = end;
    return ret;
}

/* A frame retyped from untyped @ut must land at @paddr (the untyped was
 * reset: nothing retyped from it is left). */
static int probe(struct ctl *c, seL4_CPtr ut, uint64_t paddr, const char *what)
{
    seL4_ARM_Page_GetAddress_t a = {0};
    seL4_Error e = seL4_Untyped_Retype(ut, seL4_ARM_SmallPageObject, 0, seL4_CapInitThreadCNode, 0,
                                       0, c->probe, 1);

    if (e == seL4_NoError) {
        a = seL4_ARM_Page_GetAddress(c->probe);
        seL4_CNode_Delete(seL4_CapInitThreadCNode, c->probe, seL4_WordBits);
    }
    if (e != seL4_NoError || a.error != seL4_NoError || a.paddr != paddr) {
        init_log("error: ctl: %s at 0x%llx is not empty after the revoke (probe: %d, 0x%llx)", what,
                 (unsigned long long)paddr, (int)e, (unsigned long long)a.paddr);
        return -VMM_EBUSY;
    }
    return 0;
}

void ctl_vm_stop(struct ctl *c, struct ctl_vm *v)
{
    (void)c;
    for (unsigned i = 0; i < v->desc.nr_vcpus; i++) {
        if (v->vm.vcpu_tcb[i] != 0)
            seL4_TCB_Suspend(v->vm.vcpu_tcb[i]);
    }
    for (unsigned t = 0; t < v->vm.nr_threads && t < SEL4INIT_MAX_VMM_THREADS; t++) {
        if (v->vm.thread_tcb[t] != 0)
            seL4_TCB_Suspend(v->vm.thread_tcb[t]);
    }
}

/* Suspend, revoke, clear the window, check the chunk is empty. */
static int teardown(struct ctl *c, struct ctl_vm *v)
{
    seL4_CPtr cap = c->chunk_slots + v->chunk;
    seL4_Error e;

    ctl_vm_stop(c, v);
    if (v->vm.cnode != 0)
        ctl_caps_forget(v->vm.cnode);
    e = seL4_CNode_Revoke(seL4_CapInitThreadCNode, cap, seL4_WordBits);
    for (seL4_CPtr s = v->win; s < v->win_used; s++)
        seL4_CNode_Delete(seL4_CapInitThreadCNode, s, seL4_WordBits);
    v->win_used = v->win;
    memset(&v->vm, 0, sizeof(v->vm));
    if (e != seL4_NoError) {
        init_log("error: ctl: %s: revoking its untyped failed (%d)", v->name, (int)e);
        return -VMM_EIO;
    }
    return probe(c, cap, c->chunks.c[v->chunk].paddr, "the VM's untyped");
}

/* Give the chunk back; delete the chunks of a parent that is free again. */
static void give_back(struct ctl *c, struct ctl_vm *v)
{
    unsigned rel[SEL4INIT_MAX_CHUNKS];
    int parent;
    unsigned n = sel4init_chunk_give(&c->chunks, &c->in->pool, v->chunk, rel, &parent);

    for (unsigned k = 0; k < n; k++)
        seL4_CNode_Delete(seL4_CapInitThreadCNode, c->chunk_slots + rel[k], seL4_WordBits);
    if (parent >= 0)
        probe(c, c->in->bi->untyped.start + (seL4_CPtr)parent, c->in->pool.ut[parent].paddr,
              "a bootinfo untyped");
}

int ctl_vm_create(struct ctl *c, unsigned i, const struct sel4init_vm *d, char *msg, size_t len)
{
    static struct sel4init_system one;
    struct ctl_vm *v = &c->vms[i];
    struct sel4init_limits lim = {.nr_cores = (unsigned)c->in->bi->numNodes,
                                  .free_bytes = ctl_free_bytes(c),
                                  .min_budget_us = CTL_MIN_BUDGET_US};
    uint64_t prog;
    unsigned bits;
    bool carved;
    int ret;

    msg[0] = '\0';
    if (v->state != SEL4INIT_VM_FREE || d->name == NULL ||
        strnlen(d->name, SEL4INIT_CTL_NAME_LEN) >= SEL4INIT_CTL_NAME_LEN)
        return -VMM_EINVAL;
    if (d->colours != 0) {
        /* colour_vm.c takes frames from its own untypeds, not the chunk */
        sel4_snprintf(msg, len, "%s: cache colours are not supported for VMs that can be destroyed",
                      d->name);
        return -VMM_ENOTSUP;
    }
    memset(&one, 0, sizeof(one));
    one.name = "ctl";
    one.nr_vms = 1;
    one.vms[0] = *d;
    ret = sel4init_check(&one, &lim, msg, len);
    if (ret < 0)
        return ret;
    for (unsigned j = 0; j < SEL4INIT_MAX_VMS; j++) {
        if (c->vms[j].state != SEL4INIT_VM_FREE && strcmp(c->vms[j].name, d->name) == 0)
            return -VMM_EEXIST;
    }
    ret = program_bytes(d->vmm_elf, d->vmm_elf_end, &prog);
    if (ret < 0)
        return ret;
    bits = sel4init_chunk_bits(d->ram_size + prog);
    if (bits == 0)
        return -VMM_ENOMEM;
    ret = sel4init_chunk_take(&c->chunks, &c->in->pool, bits, &v->chunk, &carved);
    if (ret < 0)
        return ret;
    if (carved && seL4_Untyped_Retype(c->in->bi->untyped.start + c->chunks.c[v->chunk].parent,
                                      seL4_UntypedObject, bits, seL4_CapInitThreadCNode, 0, 0,
                                      c->chunk_slots + v->chunk, 1) != seL4_NoError) {
        sel4init_chunk_untake(&c->chunks, &c->in->pool, v->chunk, carved);
        return -VMM_EIO;
    }
    memcpy(v->name, d->name, strnlen(d->name, SEL4INIT_CTL_NAME_LEN) + 1);
    v->desc = *d;
    v->desc.name = v->name;
    ret = build(c, v);
    if (ret < 0) {
        if (teardown(c, v) == 0)
            give_back(c, v);
        return ret;
    }
    v->gen = (v->gen + 1) & 0xffffff;
    v->state = SEL4INIT_VM_CREATED;
    return 0;
}

int ctl_vm_start(struct ctl *c, struct ctl_vm *v)
{
    return init_vm_start(c->in, &v->vm);
}

int ctl_vm_reset(struct ctl *c, struct ctl_vm *v)
{
    int ret = teardown(c, v);

    if (ret == 0)
        ret = build(c, v);
    if (ret < 0) {
        init_log("error: ctl: %s could not be re-created (%d); it is destroyed", v->name, ret);
        ctl_vm_destroy(c, v);
        return ret;
    }
    v->state = SEL4INIT_VM_CREATED;
    return 0;
}

int ctl_vm_destroy(struct ctl *c, struct ctl_vm *v)
{
    int ret = teardown(c, v);

    /* A chunk that is not empty stays out of the free count (a visible leak). */
    if (ret == 0)
        give_back(c, v);
    v->state = SEL4INIT_VM_FREE;
    return ret;
}

void ctl_vm_info(const struct ctl *c, unsigned i, struct sel4init_ctl_vm_info *vi)
{
    const struct ctl_vm *v = &c->vms[i];

    memset(vi, 0, sizeof(*vi));
    vi->id = v->gen << 8 | i;
    vi->state = v->state;
    if (v->state == SEL4INIT_VM_FREE)
        return;
    vi->nr_vcpus = v->desc.nr_vcpus;
    vi->vmm_core = sel4init_vmm_core(&v->desc);
    for (unsigned k = 0; k < v->desc.nr_vcpus; k++)
        vi->vcpu_cores |= 1u << (v->desc.vcpus[k].core & 31);
    vi->ram_size = v->desc.ram_size;
    vi->ut_bytes = 1ull << c->chunks.c[v->chunk].bits;
    for (unsigned k = 0; k < v->mem.small.n; k++)
        vi->ut_used += v->mem.small.ut[k].used;
    for (unsigned k = 0; k < v->mem.large.n; k++)
        vi->ut_used += v->mem.large.ut[k].used;
    memcpy(vi->name, v->name, sizeof(vi->name));
}
