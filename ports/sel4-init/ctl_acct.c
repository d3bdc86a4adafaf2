/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's per-VM memory chunks (ctl_acct.h): bookkeeping only. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "ctl_acct.h"
#include "stdvmm/err.h"

#define LARGE_BITS 21
#define MAX_CHUNK_BITS 47

void sel4init_chunks_init(struct sel4init_chunks *cs, const struct sel4init_ut_pool *p)
{
    memset(cs, 0, sizeof(*cs));
    for (unsigned i = 0; i < p->n; i++) {
        if (p->ut[i].used != 0 || p->ut[i].device)
            cs->pinned[i / 8] |= (uint8_t)(1u << (i % 8));
    }
}

static bool pinned(const struct sel4init_chunks *cs, unsigned parent)
{
    return (cs->pinned[parent / 8] & (1u << (parent % 8))) != 0;
}

unsigned sel4init_chunk_bits(uint64_t large)
{
    /* The pieces of 2 MiB and more hold 2^bits - 2 MiB. */
    for (unsigned b = SEL4INIT_CHUNK_MIN_BITS; b <= MAX_CHUNK_BITS; b++) {
        if ((1ull << b) - (1ull << LARGE_BITS) >= large)
            return b;
    }
    return 0;
}

int sel4init_chunk_take(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned bits,
                        unsigned *ci, bool *carved)
{
    unsigned slot = SEL4INIT_MAX_CHUNKS, idx;
    uint64_t pa;
    int ret;

    if (bits < SEL4INIT_CHUNK_MIN_BITS || bits > MAX_CHUNK_BITS)
        return -VMM_EINVAL;
    for (unsigned i = 0; i < SEL4INIT_MAX_CHUNKS; i++) {
        if (cs->c[i].state == SEL4INIT_CHUNK_FREE && cs->c[i].bits == bits) {
            cs->c[i].state = SEL4INIT_CHUNK_USED;
            *ci = i;
            *carved = false;
            return 0;
        }
        if (cs->c[i].state == SEL4INIT_CHUNK_NONE && slot == SEL4INIT_MAX_CHUNKS)
            slot = i;
    }
    if (slot == SEL4INIT_MAX_CHUNKS)
        return -VMM_ENOSPC;
    ret = sel4init_ut_alloc(p, bits, &idx, &pa);
    if (ret < 0)
        return ret;
    cs->c[slot] = (struct sel4init_chunk){
        .paddr = pa, .parent = (uint16_t)idx, .bits = (uint8_t)bits, .state = SEL4INIT_CHUNK_USED};
    *ci = slot;
    *carved = true;
    return 0;
}

void sel4init_chunk_untake(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned ci,
                           bool carved)
{
    if (ci >= SEL4INIT_MAX_CHUNKS)
        return;
    if (!carved) {
        cs->c[ci].state = SEL4INIT_CHUNK_FREE;
        return;
    }
    /* The retype failed, so the kernel's free index did not move: pin the
     * parent (its index in our books is now past the kernel's). */
    cs->pinned[cs->c[ci].parent / 8] |= (uint8_t)(1u << (cs->c[ci].parent % 8));
    (void)p;
    cs->c[ci].state = SEL4INIT_CHUNK_NONE;
}

unsigned sel4init_chunk_give(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned ci,
                             unsigned released[SEL4INIT_MAX_CHUNKS], int *reset_parent)
{
    unsigned parent, n = 0;

    *reset_parent = -1;
    if (ci >= SEL4INIT_MAX_CHUNKS || cs->c[ci].state != SEL4INIT_CHUNK_USED)
        return 0;
    cs->c[ci].state = SEL4INIT_CHUNK_FREE;
    parent = cs->c[ci].parent;
    if (pinned(cs, parent) || parent >= p->n)
        return 0;
    for (unsigned i = 0; i < SEL4INIT_MAX_CHUNKS; i++) {
        if (cs->c[i].state == SEL4INIT_CHUNK_USED && cs->c[i].parent == parent)
            return 0;
    }
    for (unsigned i = 0; i < SEL4INIT_MAX_CHUNKS; i++) {
        if (cs->c[i].state == SEL4INIT_CHUNK_FREE && cs->c[i].parent == parent) {
            cs->c[i].state = SEL4INIT_CHUNK_NONE;
            released[n++] = i;
        }
    }
    p->ut[parent].used = 0;
    *reset_parent = (int)parent;
    return n;
}

uint64_t sel4init_chunks_free_bytes(const struct sel4init_chunks *cs,
                                    const struct sel4init_ut_pool *p)
{
    uint64_t sum = sel4init_ut_free_bytes(p);

    for (unsigned i = 0; i < SEL4INIT_MAX_CHUNKS; i++) {
        if (cs->c[i].state == SEL4INIT_CHUNK_FREE)
            sum += 1ull << cs->c[i].bits;
    }
    return sum;
}

unsigned sel4init_chunk_split(unsigned bits, uint64_t off[SEL4INIT_CHUNK_MAX_PIECES],
                              unsigned size_bits[SEL4INIT_CHUNK_MAX_PIECES])
{
    uint64_t at = 0;
    unsigned n = 0;

    if (bits < SEL4INIT_CHUNK_MIN_BITS || bits > MAX_CHUNK_BITS)
        return 0;
    for (unsigned b = bits - 1; b >= LARGE_BITS; b--) {
        off[n] = at;
        size_bits[n++] = b;
        at += 1ull << b;
    }
    for (unsigned i = 0; i < 2; i++) {
        off[n] = at;
        size_bits[n++] = SEL4INIT_CHUNK_SMALL_BITS;
        at += 1ull << SEL4INIT_CHUNK_SMALL_BITS;
    }
    return n;
}
