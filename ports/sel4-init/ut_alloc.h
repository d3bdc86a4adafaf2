/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's untyped allocator: bookkeeping only (no seL4 calls), so the
 * root task knows, before each seL4_Untyped_Retype, which untyped has room
 * for an object and at which physical address the kernel will put it. It
 * mirrors the kernel's rule: a retype places the object at the untyped's
 * free index rounded up to the object's size, and moves the free index to
 * its end. Host unit tests: tests/unit/test_sel4init_ut.c.
 */
#ifndef STDVMM_SEL4INIT_UT_ALLOC_H
#define STDVMM_SEL4INIT_UT_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#define SEL4INIT_MAX_UT 256

struct sel4init_ut {
    uint64_t paddr;
    uint64_t used; /* the kernel's free index, bytes from paddr */
    uint8_t size_bits;
    bool device;
};

struct sel4init_ut_pool {
    unsigned n;
    struct sel4init_ut ut[SEL4INIT_MAX_UT];
};

/* Record the next untyped of the bootinfo list (index = order of the calls). */
int sel4init_ut_add(struct sel4init_ut_pool *p, uint64_t paddr, unsigned size_bits, bool device);

/* Choose a normal untyped for an object of 2^@bits bytes: the one that
 * wastes the least padding (then the smallest); its index and the object's
 * physical address; the free index moves past it. -VMM_ENOMEM if none. */
int sel4init_ut_alloc(struct sel4init_ut_pool *p, unsigned bits, unsigned *idx, uint64_t *paddr);

/* The device untyped holding the frame at @paddr (4 KiB aligned) and, in
 * *@gap, how many bytes below it are still free and must be consumed (with
 * sel4init_ut_consume) before a 4 KiB retype lands on @paddr. */
int sel4init_ut_find_device(const struct sel4init_ut_pool *p, uint64_t paddr, unsigned *idx,
                            uint64_t *gap);

/* Advance untyped @idx's free index as a retype of 2^@bits would; its address. */
int sel4init_ut_consume(struct sel4init_ut_pool *p, unsigned idx, unsigned bits, uint64_t *paddr);

/* Bytes still free in normal (non-device) untypeds. */
uint64_t sel4init_ut_free_bytes(const struct sel4init_ut_pool *p);

#endif
