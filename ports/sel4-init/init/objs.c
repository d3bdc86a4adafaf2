/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's object helpers: every kernel object comes from an untyped
 * chosen by the allocator (ut_alloc.c, which mirrors where the kernel puts
 * it), into the next free slot of the root CNode; frames are mapped with
 * the page tables they need created on the way.
 */
#include <stdbool.h>
#include <stdint.h>
#include "init.h"
#include "stdvmm/err.h"

#define SCRATCH_SMALL 0x10000000ull /* root task window for a 4 KiB frame */
#define SCRATCH_LARGE 0x10200000ull /* and for a 2 MiB one */

int init_slot(struct init *in, seL4_CPtr *slot)
{
    if (in->next_slot >= in->end_slot) {
        init_log("error: the root CNode is full (%lu slots)", (unsigned long)in->end_slot);
        return -VMM_ENOSPC;
    }
    *slot = in->next_slot++;
    return 0;
}

/* Size (log2 bytes) of an object of @type with retype size argument @bits. */
static int obj_bits(seL4_Word type, unsigned bits)
{
    switch (type) {
    case seL4_TCBObject:
        return seL4_TCBBits;
    case seL4_EndpointObject:
        return seL4_EndpointBits;
    case seL4_NotificationObject:
        return seL4_NotificationBits;
    case seL4_ReplyObject:
        return seL4_ReplyBits;
    case seL4_SchedContextObject:
    case seL4_UntypedObject:
        return (int)bits;
    case seL4_CapTableObject:
        return (int)bits + seL4_SlotBits;
    case seL4_ARM_VSpaceObject:
        return seL4_VSpaceBits;
    case seL4_ARM_PageTableObject:
        return seL4_PageTableBits;
    case seL4_ARM_VCPUObject:
        return seL4_VCPUBits;
    case seL4_ARM_SmallPageObject:
        return seL4_PageBits;
    case seL4_ARM_LargePageObject:
        return seL4_LargePageBits;
    default:
        return -VMM_EINVAL;
    }
}

static int retype(struct init *in, seL4_CPtr ut_cap, unsigned ut, seL4_Word type, unsigned bits,
                  seL4_CPtr *cap)
{
    seL4_Error err;
    int ret = init_slot(in, cap);

    if (ret < 0)
        return ret;
    err = seL4_Untyped_Retype(ut_cap, type, bits, seL4_CapInitThreadCNode, 0, 0, *cap, 1);
    if (err != seL4_NoError) {
        init_log("error: Untyped_Retype of type %lu (size %u) from untyped %u failed (%d)",
                 (unsigned long)type, bits, ut, (int)err);
        return -VMM_EIO;
    }
    return 0;
}

int init_obj(struct init *in, seL4_Word type, unsigned bits, seL4_CPtr *cap, uint64_t *paddr)
{
    struct sel4init_ut_pool *pool = &in->pool;
    int size = obj_bits(type, bits);
    unsigned ut;
    uint64_t pa;
    int ret;

    if (size < 0)
        return size;
    if (in->alloc != NULL)
        pool = size >= seL4_LargePageBits ? &in->alloc->large : &in->alloc->small;
    ret = sel4init_ut_alloc(pool, (unsigned)size, &ut, &pa);
    if (ret < 0) {
        init_log("error: out of untyped memory for an object of 2^%d bytes (%llu MiB left)", size,
                 (unsigned long long)(sel4init_ut_free_bytes(pool) >> 20));
        return ret;
    }
    if (paddr != NULL)
        *paddr = pa;
    if (in->alloc != NULL)
        return retype(
            in, size >= seL4_LargePageBits ? in->alloc->large_caps[ut] : in->alloc->small_caps[ut],
            ut, type, bits, cap);
    return retype(in, in->bi->untyped.start + ut, ut, type, bits, cap);
}

int init_device_frame(struct init *in, uint64_t paddr, seL4_CPtr *cap)
{
    unsigned ut;
    uint64_t gap, pa;
    seL4_CPtr filler;
    int ret = sel4init_ut_find_device(&in->pool, paddr, &ut, &gap);

    if (ret < 0) {
        init_log("error: no free device untyped holds 0x%llx (%d)", (unsigned long long)paddr, ret);
        return ret;
    }
    /* Use up the untyped below the frame with the largest aligned untypeds. */
    while (gap > 0) {
        uint64_t off = paddr - gap - in->pool.ut[ut].paddr;
        unsigned b = 4;

        while (b < 47 && (off & ((2ull << b) - 1)) == 0 && (2ull << b) <= gap)
            b++;
        ret = sel4init_ut_consume(&in->pool, ut, b, &pa);
        if (ret == 0)
            ret = retype(in, in->bi->untyped.start + ut, ut, seL4_UntypedObject, b, &filler);
        if (ret < 0)
            return ret;
        gap -= 1ull << b;
    }
    ret = sel4init_ut_consume(&in->pool, ut, seL4_PageBits, &pa);
    if (ret < 0 || pa != paddr)
        return ret < 0 ? ret : -VMM_EFAULT;
    return retype(in, in->bi->untyped.start + ut, ut, seL4_ARM_SmallPageObject, 0, cap);
}

int init_map(struct init *in, seL4_CPtr frame, seL4_CPtr vspace, uint64_t vaddr,
             seL4_CapRights_t rights, seL4_ARM_VMAttributes attr)
{
    for (int level = 0; level < 4; level++) {
        seL4_Error err = seL4_ARM_Page_Map(frame, vspace, vaddr, rights, attr);
        seL4_CPtr pt;
        int ret;

        if (err == seL4_NoError)
            return 0;
        if (err != seL4_FailedLookup) {
            init_log("error: Page_Map at 0x%llx failed (%d)", (unsigned long long)vaddr, (int)err);
            return -VMM_EIO;
        }
        ret = init_obj(in, seL4_ARM_PageTableObject, 0, &pt, NULL);
        if (ret < 0)
            return ret;
        err = seL4_ARM_PageTable_Map(pt, vspace, vaddr, seL4_ARM_Default_VMAttributes);
        if (err != seL4_NoError) {
            init_log("error: PageTable_Map at 0x%llx failed (%d)", (unsigned long long)vaddr,
                     (int)err);
            return -VMM_EIO;
        }
    }
    return -VMM_EIO;
}

int init_copy(struct init *in, seL4_CPtr cap, seL4_CPtr *copy)
{
    int ret = init_slot(in, copy);

    if (ret < 0)
        return ret;
    if (seL4_CNode_Copy(seL4_CapInitThreadCNode, *copy, seL4_WordBits, seL4_CapInitThreadCNode, cap,
                        seL4_WordBits, seL4_AllRights) != seL4_NoError) {
        init_log("error: CNode_Copy of slot %lu failed", (unsigned long)cap);
        return -VMM_EIO;
    }
    return 0;
}

int init_vspace(struct init *in, seL4_CPtr *vspace)
{
    int ret = init_obj(in, seL4_ARM_VSpaceObject, 0, vspace, NULL);

    if (ret < 0)
        return ret;
    if (seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, *vspace) != seL4_NoError) {
        init_log("error: no ASID for a new VSpace");
        return -VMM_ENOSPC;
    }
    return 0;
}

int init_with_frame(struct init *in, seL4_CPtr frame, unsigned bits,
                    void (*fn)(void *ctx, uint8_t *va), void *ctx)
{
    uint64_t va = bits == seL4_LargePageBits ? SCRATCH_LARGE : SCRATCH_SMALL;
    int ret = init_map(in, frame, seL4_CapInitThreadVSpace, va, seL4_ReadWrite,
                       seL4_ARM_Default_VMAttributes);

    if (ret < 0)
        return ret;
    fn(ctx, (uint8_t *)(uintptr_t)va);
    if (seL4_ARM_Page_Unmap(frame) != seL4_NoError) {
        init_log("error: Page_Unmap of a scratch frame failed");
        return -VMM_EIO;
    }
    return 0;
}
