/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's per-VM memory: every VM created under the control
 * interface gets one "chunk", an untyped of 2^bits bytes retyped from the
 * bootinfo's untypeds, and all of its objects come from that chunk. Destroy
 * revokes the chunk: one revoke deletes every capability derived for the
 * VM. The chunk then goes back to the free list (the next VM of that size
 * reuses it); when every chunk carved from a bootinfo untyped is free and
 * nothing else was taken from it, they are all deleted and the untyped's
 * free index goes back to 0 (the kernel resets an untyped without children
 * on its next retype). Bookkeeping only, no seL4 calls; the free byte count
 * is exact (host unit tests: tests/unit/test_sel4init_ctl.c).
 */
#ifndef STDVMM_SEL4INIT_CTL_ACCT_H
#define STDVMM_SEL4INIT_CTL_ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include "ut_alloc.h"

#define SEL4INIT_MAX_CHUNKS 32
#define SEL4INIT_CHUNK_MIN_BITS 22   /* 4 MiB */
#define SEL4INIT_CHUNK_SMALL_BITS 20 /* the two pieces kernel objects come from */
#define SEL4INIT_CHUNK_MAX_PIECES 32

enum { SEL4INIT_CHUNK_NONE, SEL4INIT_CHUNK_USED, SEL4INIT_CHUNK_FREE };

struct sel4init_chunk {
    uint64_t paddr;
    uint16_t parent; /* bootinfo untyped index */
    uint8_t bits, state;
};

struct sel4init_chunks {
    struct sel4init_chunk c[SEL4INIT_MAX_CHUNKS];
    /* bootinfo untypeds that held other objects when the chunks began */
    uint8_t pinned[SEL4INIT_MAX_UT / 8];
};

/* Start: every untyped of @p already used is pinned (never reset). */
void sel4init_chunks_init(struct sel4init_chunks *cs, const struct sel4init_ut_pool *p);
/* The chunk size for @large bytes of 2 MiB pages (guest RAM, program) and
 * the kernel objects of a VM: 2^bits with bits >= SEL4INIT_CHUNK_MIN_BITS;
 * 0 if @large is above 2^46. */
unsigned sel4init_chunk_bits(uint64_t large);
/* A chunk of 2^@bits: a free one of that size, or a new one carved from
 * @p (*@carved: the caller retypes it from untyped @cs->c[*ci].parent). */
int sel4init_chunk_take(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned bits,
                        unsigned *ci, bool *carved);
/* Undo a take whose retype failed (the chunk never existed). */
void sel4init_chunk_untake(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned ci,
                           bool carved);
/* Chunk @ci is empty again (revoked). If that frees its whole parent, the
 * parent's chunks are dropped (their indexes in @released, count returned:
 * the caller deletes their capabilities) and *@reset_parent is the parent's
 * index (else -1). */
unsigned sel4init_chunk_give(struct sel4init_chunks *cs, struct sel4init_ut_pool *p, unsigned ci,
                             unsigned released[SEL4INIT_MAX_CHUNKS], int *reset_parent);
/* Free normal untyped memory: the bootinfo untypeds' and the free chunks'. */
uint64_t sel4init_chunks_free_bytes(const struct sel4init_chunks *cs,
                                    const struct sel4init_ut_pool *p);
/* How a chunk of 2^@bits is cut into untypeds for its objects: halves down
 * to 2 MiB (for 2 MiB pages) and two 1 MiB pieces (for small objects);
 * offsets and sizes into @off/@size_bits, their number returned. */
unsigned sel4init_chunk_split(unsigned bits, uint64_t off[SEL4INIT_CHUNK_MAX_PIECES],
                              unsigned size_bits[SEL4INIT_CHUNK_MAX_PIECES]);

#endif
