/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's cache colouring: bookkeeping only (no seL4 calls), on top of
 * the untyped allocator (ut_alloc.h). A 4 KiB frame's colour is its frame
 * number modulo the number of colours of the last-level cache (way size /
 * 4 KiB). Frames are made in chunks: one retype of up to 256 consecutive
 * frames at an untyped's free index (one seL4_Untyped_Retype per chunk: a
 * retype call costs far more than a frame under QEMU), into slots of the
 * caller's "bank" CNodes; a VM takes the frames of its colours from the
 * chunks, the others stay there for VMs with those colours. Host unit
 * tests: tests/unit/test_sel4init_colour.c.
 */
#ifndef STDVMM_SEL4INIT_COLOUR_H
#define STDVMM_SEL4INIT_COLOUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/sel4init.h"
#include "ut_alloc.h"

#define SEL4INIT_FRAME_BITS 12
#define SEL4INIT_COLOUR_CHUNK_FRAMES 256 /* the kernel's retype fan-out limit */
#define SEL4INIT_COLOUR_MAX_CHUNKS 1024  /* 1 GiB in 1 MiB chunks */

/* Frames [paddr, paddr + n * 4 KiB), in bank slots chunk * 256 + j. */
struct sel4init_colour_chunk {
    uint64_t paddr;
    uint64_t taken[SEL4INIT_COLOUR_CHUNK_FRAMES / 64]; /* bit j: frame j handed out */
    unsigned n;
};

struct sel4init_colour_alloc {
    unsigned nr;   /* colours of the LLC */
    unsigned n;    /* chunks */
    unsigned hint; /* chunks below it hold no free frame of hint_mask's colours */
    uint64_t hint_mask;
    struct sel4init_colour_chunk chunk[SEL4INIT_COLOUR_MAX_CHUNKS];
};

/* Colours of @llc (way size / 4 KiB), 0 if it cannot be coloured. */
unsigned sel4init_colours_nr(const struct sel4init_llc *llc);

/* The colour of the frame at @paddr among @nr colours. */
unsigned sel4init_colour_of(uint64_t paddr, unsigned nr);

/* Write @mask as colour ranges ("0-3,8") into @buf (always terminated). */
void sel4init_colour_fmt(uint64_t mask, char *buf, size_t len);

/* Bytes of free 4 KiB frames with a colour in @mask in @p's normal untypeds. */
uint64_t sel4init_colour_supply(const struct sel4init_ut_pool *p, unsigned nr, uint64_t mask);

/* Start an allocator for @nr colours with no chunks. */
void sel4init_colour_init(struct sel4init_colour_alloc *a, unsigned nr);

/* Take a free frame of a colour in @mask from the chunks made so far: its
 * chunk, index in the chunk and address. -VMM_ENOENT if none has one,
 * -VMM_EINVAL for a mask with no colour of the LLC. */
int sel4init_colour_take(struct sel4init_colour_alloc *a, uint64_t mask, unsigned *chunk,
                         unsigned *j, uint64_t *paddr);

/* Plan the next chunk for @mask: up to 256 frames at the free index (4 KiB
 * rounded) of the smallest normal untyped that holds a frame of those
 * colours; @p moves on as the retype will. Its untyped and chunk index;
 * -VMM_ENOMEM if no free memory has those colours, -VMM_ENOSPC if the chunk
 * table is full. */
int sel4init_colour_grow(struct sel4init_colour_alloc *a, struct sel4init_ut_pool *p, uint64_t mask,
                         unsigned *ut, unsigned *chunk);

/* Check the colours of @sys (llc geometry, colour numbers) and that the free
 * memory of @p holds, for every group of coloured VMs, the bytes they need
 * (@need[i] for VM i) in the union of their colours; 0 or a negative
 * VMM_E* code with a message in @msg naming the VMs and colours. */
int sel4init_colour_check(const struct sel4init_system *sys, const uint64_t need[],
                          const struct sel4init_ut_pool *p, char *msg, size_t len);

#endif
