/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support: a mock guest for unit tests. A struct vmm_vm whose RAM
 * regions are host allocations, a bump allocator for placing rings and
 * buffers in guest memory, a port that records interrupt levels, MMIO access
 * helpers and a log sink that counts messages. Failures in these helpers
 * fail the calling cmocka test (they use cmocka's assert macros).
 *
 * Typical use:
 *     struct test_guest g;
 *     test_guest_init(&g, 0x40000000, 1 << 20);   // 1 MiB of RAM at 1 GiB
 *     uint64_t buf = test_guest_alloc(&g, 64, 8);  // guest address of 64 zeroed bytes
 *     ...
 *     test_guest_free(&g);
 */
#ifndef STDVMM_TEST_GUEST_H
#define STDVMM_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

struct test_guest {
    struct vmm_vm vm;
    void *ram[VMM_MAX_RAM_REGIONS];
    size_t ram_size[VMM_MAX_RAM_REGIONS];
    bool ram_mmapped[VMM_MAX_RAM_REGIONS];
    uint64_t alloc_next, alloc_end; /* bump allocator inside the first region */
    unsigned irq_calls;             /* times the port was asked to drive a line */
};

/* A 1-vCPU VM with one zeroed RAM region [gpa, gpa+size) and a recording port. */
void test_guest_init(struct test_guest *g, uint64_t gpa, uint64_t size);

/* Another zeroed RAM region (malloc'd, so ASan catches overruns past its end). */
void test_guest_add_ram(struct test_guest *g, uint64_t gpa, uint64_t size);

/* A huge RAM region that is never touched (mmap, no reserve): for length tests. */
void test_guest_add_sparse_ram(struct test_guest *g, uint64_t gpa, uint64_t size);

/* Free all RAM. */
void test_guest_free(struct test_guest *g);

/* Guest address of @size zeroed bytes aligned to @align (a power of two) in the first region. */
uint64_t test_guest_alloc(struct test_guest *g, uint64_t size, uint64_t align);

/* Host pointer to [gpa, gpa+len), which must be RAM. */
void *test_guest_ptr(struct test_guest *g, uint64_t gpa, uint64_t len);

/* Copy into / out of guest RAM (must be RAM). */
void test_guest_write(struct test_guest *g, uint64_t gpa, const void *src, size_t len);
void test_guest_read(struct test_guest *g, uint64_t gpa, void *dst, size_t len);

/* Level last driven on @line. */
bool test_guest_irq(const struct test_guest *g, unsigned line);

/* One guest MMIO access of @size bytes through the VM's bus; the bus must accept it. */
uint64_t test_mmio_read(struct test_guest *g, uint64_t addr, unsigned size);
void test_mmio_write(struct test_guest *g, uint64_t addr, unsigned size, uint64_t value);

/* Capture log messages from now on (all levels), forgetting earlier ones. */
void test_log_capture(void);
/* Messages captured at @level since test_log_capture(). */
unsigned test_log_count(enum vmm_log_level level);
/* The last message captured ("" if none). */
const char *test_log_last(void);

#endif
