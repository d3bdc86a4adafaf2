/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cache colouring in stdvmm-init (../colour.h does the bookkeeping): the
 * check of the description's colours against the free memory before
 * anything is created, and the memory of a coloured VM -- its VMM program,
 * its guest RAM (in the guest's stage-2 and the VMM's VSpace) and the VMM's
 * IPC buffer -- from frames of its colours only, in 4 KiB pages. Every frame
 * is audited with the kernel's own word on its physical address
 * (seL4_ARM_Page_GetAddress): its colour must be in the VM's set and the
 * address the one the allocator planned. Frames are made 256 at a time into
 * "bank" CNodes (one retype per chunk); a VM's frame capabilities, once
 * mapped, are moved out of the root CNode into a CNode of the VM's (a
 * 128 MiB VM has 64 Ki of them). The program's pages are copied through a
 * window of the root task's VSpace that stays mapped (an unmap costs a TLB
 * shootdown on every core, ~0.2 s each under a loaded QEMU).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "../../sel4/sel4_fmt.h"
#include "../colour.h"
#include "elf.h"
#include "init.h"
#include "stdvmm/err.h"

#define PAGE (1ull << seL4_PageBits)
#define BANK_BITS 14 /* slots per bank CNode: 64 chunks */
#define CHUNKS_PER_BANK ((1u << BANK_BITS) / SEL4INIT_COLOUR_CHUNK_FRAMES)
#define WINDOW 0x80000000ull /* root task window onto coloured program pages */

struct init_colour_vm {
    seL4_CPtr store; /* CNode holding the VM's frame capabilities */
    unsigned store_bits, stored;
    uint64_t mask;
    uint64_t ram, prog, ipc; /* frames audited, by use */
    uint64_t lo, hi, bad;
    uint64_t per_colour[SEL4INIT_MAX_COLOURS];
};

static struct sel4init_colour_alloc colour_alloc;
static struct init_colour_vm colour_vms[SEL4INIT_MAX_VMS];
static unsigned colour_used, colour_nr;
static seL4_CPtr colour_tmp[2]; /* root slots a frame passes through */
static seL4_CPtr colour_bank[SEL4INIT_COLOUR_MAX_CHUNKS / CHUNKS_PER_BANK];
static uint64_t colour_window = WINDOW;

/* Pages the program's segments touch (PT_LOAD entries ascend by address). */
static uint64_t prog_pages(const struct init_elf *elf)
{
    uint64_t n = 0, next = 0;

    for (unsigned i = 0; i < elf->nr_segs; i++) {
        const struct init_elf_seg *s = &elf->segs[i];
        uint64_t lo = s->vaddr & ~(PAGE - 1), hi = (s->vaddr + s->memsz + PAGE - 1) & ~(PAGE - 1);

        lo = lo > next ? lo : next;
        if (hi > lo) {
            n += (hi - lo) / PAGE;
            next = hi;
        }
    }
    return n;
}

int init_colour_check(struct init *in, const struct sel4init_system *sys, char *msg, size_t len)
{
    uint64_t need[SEL4INIT_MAX_VMS] = {0};
    bool any = false;
    int ret;

    for (unsigned i = 0; i < sys->nr_vms; i++) {
        const struct sel4init_vm *d = &sys->vms[i];
        struct init_elf elf;

        if (d->colours == 0)
            continue;
        any = true;
        need[i] = d->ram_size + PAGE; /* and the IPC buffer */
        if (init_elf_parse(d->vmm_elf, (size_t)(d->vmm_elf_end - d->vmm_elf), &elf) == 0)
            need[i] += prog_pages(&elf) * PAGE;
    }
    ret = sel4init_colour_check(sys, need, &in->pool, msg, len);
    if (ret < 0 || !any)
        return ret;
    colour_nr = sel4init_colours_nr(&sys->llc);
    sel4init_colour_init(&colour_alloc, colour_nr);
    ret = init_slot(in, &colour_tmp[0]);
    if (ret == 0)
        ret = init_slot(in, &colour_tmp[1]);
    if (ret < 0)
        sel4_snprintf(msg, len, "no root CNode slots for the colour allocator");
    return ret;
}

/* The bank CNode of the next chunk, made before the chunk is planned (it
 * comes from the same untyped memory). */
static int bank_ready(struct init *in)
{
    seL4_CPtr *bank = &colour_bank[colour_alloc.n / CHUNKS_PER_BANK];

    if (colour_alloc.n >= SEL4INIT_COLOUR_MAX_CHUNKS || *bank != 0)
        return 0;
    return init_obj(in, seL4_CapTableObject, BANK_BITS, bank, NULL);
}

/* Retype chunk @c's frames from pool untyped @ut into its bank slots. */
static int make_chunk(struct init *in, struct init_vm *vm, unsigned ut, unsigned c)
{
    const struct sel4init_colour_chunk *ch = &colour_alloc.chunk[c];
    seL4_Error err = seL4_Untyped_Retype(
        in->bi->untyped.start + ut, seL4_ARM_SmallPageObject, 0, seL4_CapInitThreadCNode,
        colour_bank[c / CHUNKS_PER_BANK], seL4_WordBits,
        (c % CHUNKS_PER_BANK) * SEL4INIT_COLOUR_CHUNK_FRAMES, ch->n);

    if (err != seL4_NoError) {
        init_log("error: %s: retyping %u frames at 0x%llx for cache colouring failed (%d)",
                 vm->desc->name, ch->n, (unsigned long long)ch->paddr, (int)err);
        return -VMM_EIO;
    }
    return 0;
}

/* Move the next frame of the VM's colours into root slot @slot (making a
 * new chunk when the chunks have none left); its planned address. */
static int colour_frame(struct init *in, struct init_vm *vm, seL4_CPtr slot, uint64_t *pa)
{
    struct init_colour_vm *c = vm->colour;
    unsigned ch, j, ut;
    seL4_Error err;
    char cols[80];
    int ret = sel4init_colour_take(&colour_alloc, c->mask, &ch, &j, pa);

    if (ret == -VMM_ENOENT) {
        ret = bank_ready(in);
        if (ret == 0)
            ret = sel4init_colour_grow(&colour_alloc, &in->pool, c->mask, &ut, &ch);
        if (ret == 0)
            ret = make_chunk(in, vm, ut, ch);
        if (ret == 0)
            ret = sel4init_colour_take(&colour_alloc, c->mask, &ch, &j, pa);
    }
    if (ret < 0) {
        sel4init_colour_fmt(c->mask, cols, sizeof(cols));
        init_log("error: %s: no frame left in cache colours %s of %u (%d%s)", vm->desc->name, cols,
                 colour_nr, ret, ret == -VMM_ENOSPC ? ": the chunk table is full" : "");
        return ret;
    }
    err = seL4_CNode_Move(seL4_CapInitThreadCNode, slot, seL4_WordBits,
                          colour_bank[ch / CHUNKS_PER_BANK],
                          (ch % CHUNKS_PER_BANK) * SEL4INIT_COLOUR_CHUNK_FRAMES + j, BANK_BITS);
    if (err != seL4_NoError) {
        init_log("error: %s: moving a coloured frame out of its bank failed (%d)", vm->desc->name,
                 (int)err);
        return -VMM_EIO;
    }
    return 0;
}

/* The kernel's physical address of @frame: its colour must be in the set
 * and the address the planned one. */
static int audit(struct init_vm *vm, seL4_CPtr frame, uint64_t planned, uint64_t *count)
{
    struct init_colour_vm *c = vm->colour;
    seL4_ARM_Page_GetAddress_t ga = seL4_ARM_Page_GetAddress(frame);
    unsigned col;

    if (ga.error != seL4_NoError) {
        init_log("error: %s: colour audit: Page_GetAddress failed (%d)", vm->desc->name, ga.error);
        return -VMM_EIO;
    }
    col = sel4init_colour_of(ga.paddr, colour_nr);
    c->per_colour[col]++;
    (*count)++;
    if (c->ram + c->prog + c->ipc == 1 || ga.paddr < c->lo)
        c->lo = ga.paddr;
    if (ga.paddr > c->hi)
        c->hi = ga.paddr;
    if (ga.paddr != planned || ((c->mask >> col) & 1) == 0) {
        if (c->bad++ < 4)
            init_log("error: %s: colour audit: frame at 0x%llx (planned 0x%llx) has colour %u",
                     vm->desc->name, (unsigned long long)ga.paddr, (unsigned long long)planned,
                     col);
    }
    return 0;
}

/* Move the capability in root slot @slot into the VM's store CNode. */
static int store(struct init_vm *vm, seL4_CPtr slot)
{
    struct init_colour_vm *c = vm->colour;
    seL4_Error err;

    if (c->stored >= (1u << c->store_bits)) {
        init_log("error: %s: the frame store CNode is full", vm->desc->name);
        return -VMM_ENOSPC;
    }
    err = seL4_CNode_Move(c->store, c->stored, (seL4_Uint8)c->store_bits, seL4_CapInitThreadCNode,
                          slot, seL4_WordBits);
    if (err != seL4_NoError) {
        init_log("error: %s: moving a frame capability into the store failed (%d)", vm->desc->name,
                 (int)err);
        return -VMM_EIO;
    }
    c->stored++;
    return 0;
}

/* Copy the capability in root slot @from into root slot @to. */
static int copy_cap(struct init_vm *vm, seL4_CPtr from, seL4_CPtr to)
{
    seL4_Error err = seL4_CNode_Copy(seL4_CapInitThreadCNode, to, seL4_WordBits,
                                     seL4_CapInitThreadCNode, from, seL4_WordBits, seL4_AllRights);

    if (err != seL4_NoError) {
        init_log("error: %s: copying a frame capability failed (%d)", vm->desc->name, (int)err);
        return -VMM_EIO;
    }
    return 0;
}

struct page_copy {
    const struct init_elf *elf;
    uint64_t base;
};

/* Copy every segment's file bytes that fall in the page at c->base. */
static void copy_page(void *ctx, uint8_t *va)
{
    const struct page_copy *c = ctx;

    for (unsigned i = 0; i < c->elf->nr_segs; i++) {
        const struct init_elf_seg *s = &c->elf->segs[i];
        uint64_t lo = s->vaddr > c->base ? s->vaddr : c->base;
        uint64_t hi = s->vaddr + s->filesz < c->base + PAGE ? s->vaddr + s->filesz : c->base + PAGE;

        if (lo < hi)
            memcpy(va + (lo - c->base), s->data + (lo - s->vaddr), hi - lo);
    }
}

/* The VM's colour state and its store CNode, sized for @caps capabilities. */
static int begin(struct init *in, struct init_vm *vm, uint64_t caps)
{
    struct init_colour_vm *c;
    unsigned bits = 1;

    if (colour_used >= SEL4INIT_MAX_VMS || colour_nr == 0)
        return -VMM_EINVAL;
    c = &colour_vms[colour_used++];
    memset(c, 0, sizeof(*c));
    c->mask = vm->desc->colours;
    while ((1ull << bits) < caps)
        bits++;
    c->store_bits = bits;
    vm->colour = c;
    return init_obj(in, seL4_CapTableObject, bits, &c->store, NULL);
}

int init_colour_load_program(struct init *in, struct init_vm *vm)
{
    const struct sel4init_vm *d = vm->desc;
    struct init_elf elf;
    struct page_copy pc = {.elf = &elf};
    uint64_t next = 0, pa;
    char cols[80];
    int ret = init_elf_parse(d->vmm_elf, (size_t)(d->vmm_elf_end - d->vmm_elf), &elf);

    if (ret < 0) {
        init_log("error: %s: the VMM program is not a loadable AArch64 ELF (%d)", d->name, ret);
        return ret;
    }
    vm->entry = elf.entry;
    ret = begin(in, vm, 2 * (d->ram_size / PAGE + prog_pages(&elf)));
    for (unsigned i = 0; ret == 0 && i < elf.nr_segs; i++) {
        const struct init_elf_seg *s = &elf.segs[i];
        uint64_t hi = (s->vaddr + s->memsz + PAGE - 1) & ~(PAGE - 1);

        pc.base = s->vaddr & ~(PAGE - 1);
        for (pc.base = pc.base > next ? pc.base : next; ret == 0 && pc.base < hi; pc.base += PAGE) {
            ret = colour_frame(in, vm, colour_tmp[0], &pa);
            if (ret == 0)
                ret = copy_cap(vm, colour_tmp[0], colour_tmp[1]);
            if (ret == 0)
                ret = init_map(in, colour_tmp[1], seL4_CapInitThreadVSpace, colour_window,
                               seL4_ReadWrite, seL4_ARM_Default_VMAttributes);
            if (ret == 0) {
                copy_page(&pc, (uint8_t *)(uintptr_t)colour_window);
                colour_window += PAGE;
                ret = init_map(in, colour_tmp[0], vm->vspace, pc.base, seL4_AllRights,
                               seL4_ARM_Default_VMAttributes);
            }
            if (ret == 0)
                ret = audit(vm, colour_tmp[0], pa, &vm->colour->prog);
            if (ret == 0)
                ret = store(vm, colour_tmp[0]);
            if (ret == 0)
                ret = store(vm, colour_tmp[1]);
            next = pc.base + PAGE;
        }
    }
    if (ret < 0)
        return ret;
    sel4init_colour_fmt(d->colours, cols, sizeof(cols));
    init_log("%s: VMM program loaded: %llu x 4 KiB in cache colours %s of %u, entry 0x%llx",
             d->name, (unsigned long long)vm->colour->prog, cols, colour_nr,
             (unsigned long long)vm->entry);
    return 0;
}

int init_colour_map_ram(struct init *in, struct init_vm *vm)
{
    const struct sel4init_vm *d = vm->desc;
    seL4_CPtr f = colour_tmp[0], copy = colour_tmp[1];
    uint64_t pa;

    for (uint64_t off = 0; off < d->ram_size; off += PAGE) {
        int ret = colour_frame(in, vm, f, &pa);

        if (ret == 0)
            ret = init_map(in, f, vm->guest_vspace, d->ram_gpa + off, seL4_AllRights,
                           seL4_ARM_Default_VMAttributes);
        if (ret == 0)
            ret = copy_cap(vm, f, copy);
        if (ret == 0)
            ret = init_map(in, copy, vm->vspace, d->ram_gpa + off, seL4_ReadWrite,
                           seL4_ARM_Default_VMAttributes);
        if (ret == 0)
            ret = audit(vm, f, pa, &vm->colour->ram);
        if (ret == 0)
            ret = store(vm, f);
        if (ret == 0)
            ret = store(vm, copy);
        if (ret < 0) {
            init_log("error: %s: coloured guest RAM at 0x%llx not mapped (%d)", d->name,
                     (unsigned long long)(d->ram_gpa + off), ret);
            return ret;
        }
    }
    return 0;
}

int init_colour_frame(struct init *in, struct init_vm *vm, seL4_CPtr *frame)
{
    uint64_t pa;
    int ret = init_slot(in, frame);

    if (ret == 0)
        ret = colour_frame(in, vm, *frame, &pa);
    if (ret == 0)
        ret = audit(vm, *frame, pa, &vm->colour->ipc);
    return ret;
}

int init_colour_audit(struct init *in, struct init_vm *vm)
{
    const struct init_colour_vm *c = vm->colour;
    char cols[80], counts[200];
    size_t at = 0;

    (void)in;
    sel4init_colour_fmt(c->mask, cols, sizeof(cols));
    counts[0] = '\0';
    for (unsigned col = 0; col < colour_nr && at < sizeof(counts); col++) {
        if (c->per_colour[col] == 0)
            continue;
        sel4_snprintf(counts + at, sizeof(counts) - at, " %u:%llu", col,
                      (unsigned long long)c->per_colour[col]);
        while (at < sizeof(counts) && counts[at] != '\0')
            at++;
    }
    init_log("%s: colour audit: frames per colour:%s", vm->desc->name, counts);
    if (c->bad != 0 || c->ram != vm->desc->ram_size / PAGE) {
        init_log("error: %s: colour audit FAILED: %llu of %llu frames outside colours %s of %u "
                 "or not where planned, %llu of %llu guest RAM frames",
                 vm->desc->name, (unsigned long long)c->bad,
                 (unsigned long long)(c->ram + c->prog + c->ipc), cols, colour_nr,
                 (unsigned long long)c->ram, (unsigned long long)(vm->desc->ram_size / PAGE));
        return -VMM_EFAULT;
    }
    init_log("%s: colour audit: %llu guest RAM + %llu VMM program + %llu IPC buffer frames "
             "(0x%llx-0x%llx), every one in cache colours %s of %u",
             vm->desc->name, (unsigned long long)c->ram, (unsigned long long)c->prog,
             (unsigned long long)c->ipc, (unsigned long long)c->lo,
             (unsigned long long)(c->hi + PAGE - 1), cols, colour_nr);
    init_log("colour allocator: %u chunk(s) of up to 1 MiB made so far", colour_alloc.n);
    return 0;
}
