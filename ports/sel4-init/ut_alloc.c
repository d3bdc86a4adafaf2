/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's untyped allocator (ut_alloc.h): bookkeeping only. */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/err.h"
#include "ut_alloc.h"

#define UT_MAX_BITS 47

int sel4init_ut_add(struct sel4init_ut_pool *p, uint64_t paddr, unsigned size_bits, bool device)
{
    if (p->n >= SEL4INIT_MAX_UT)
        return -VMM_ENOSPC;
    if (size_bits < 4 || size_bits > UT_MAX_BITS || (paddr & ((1ull << size_bits) - 1)) != 0)
        return -VMM_EINVAL;
    p->ut[p->n++] =
        (struct sel4init_ut){.paddr = paddr, .size_bits = (uint8_t)size_bits, .device = device};
    return 0;
}

/* Where a retype of 2^bits in @u would start (offset), or false if it does not fit. */
static bool ut_fits(const struct sel4init_ut *u, unsigned bits, uint64_t *start)
{
    uint64_t size = 1ull << u->size_bits, obj = 1ull << bits;
    uint64_t s = (u->used + obj - 1) & ~(obj - 1);

    if (bits > u->size_bits || s < u->used || s > size || size - s < obj)
        return false;
    *start = s;
    return true;
}

int sel4init_ut_alloc(struct sel4init_ut_pool *p, unsigned bits, unsigned *idx, uint64_t *paddr)
{
    unsigned best = p->n;
    uint64_t best_pad = 0, best_size = 0, start;

    if (bits > UT_MAX_BITS)
        return -VMM_EINVAL;
    for (unsigned i = 0; i < p->n; i++) {
        const struct sel4init_ut *u = &p->ut[i];
        uint64_t pad;

        if (u->device || !ut_fits(u, bits, &start))
            continue;
        pad = start - u->used;
        if (best == p->n || pad < best_pad || (pad == best_pad && u->size_bits < best_size)) {
            best = i;
            best_pad = pad;
            best_size = u->size_bits;
        }
    }
    if (best == p->n)
        return -VMM_ENOMEM;
    return sel4init_ut_consume(p, (*idx = best), bits, paddr);
}

int sel4init_ut_consume(struct sel4init_ut_pool *p, unsigned idx, unsigned bits, uint64_t *paddr)
{
    struct sel4init_ut *u;
    uint64_t start;

    if (idx >= p->n || bits > UT_MAX_BITS)
        return -VMM_EINVAL;
    u = &p->ut[idx];
    if (!ut_fits(u, bits, &start))
        return -VMM_ENOMEM;
    u->used = start + (1ull << bits);
    *paddr = u->paddr + start;
    return 0;
}

int sel4init_ut_find_device(const struct sel4init_ut_pool *p, uint64_t paddr, unsigned *idx,
                            uint64_t *gap)
{
    if ((paddr & 0xfff) != 0)
        return -VMM_EINVAL;
    for (unsigned i = 0; i < p->n; i++) {
        const struct sel4init_ut *u = &p->ut[i];

        if (!u->device || paddr < u->paddr || paddr - u->paddr >= (1ull << u->size_bits))
            continue;
        if (paddr - u->paddr < u->used)
            return -VMM_EBUSY; /* already handed out */
        *idx = i;
        *gap = paddr - u->paddr - u->used;
        return 0;
    }
    return -VMM_ENOENT;
}

uint64_t sel4init_ut_free_bytes(const struct sel4init_ut_pool *p)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < p->n; i++) {
        if (!p->ut[i].device)
            sum += (1ull << p->ut[i].size_bits) - p->ut[i].used;
    }
    return sum;
}
