/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "support/test_guest.h"

static int record_irq(void *port, unsigned line, bool level)
{
    struct test_guest *g = port;

    (void)line;
    (void)level;
    g->irq_calls++;
    return 0;
}

static const struct vmm_port_ops test_port = {.irq_set = record_irq};

static void add_region(struct test_guest *g, uint64_t gpa, uint64_t size, void *hva, bool mapped)
{
    unsigned i = g->vm.mem.nr_regions;

    assert_non_null(hva);
    assert_int_equal(vmm_vm_add_ram(&g->vm, gpa, size, hva), 0);
    g->ram[i] = hva;
    g->ram_size[i] = size;
    g->ram_mmapped[i] = mapped;
}

void test_guest_init(struct test_guest *g, uint64_t gpa, uint64_t size)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(vmm_vm_init(&g->vm, "test", 1), 0);
    vmm_vm_set_port(&g->vm, &test_port, g);
    test_guest_add_ram(g, gpa, size);
    g->alloc_next = gpa;
    g->alloc_end = gpa + size;
}

void test_guest_add_ram(struct test_guest *g, uint64_t gpa, uint64_t size)
{
    add_region(g, gpa, size, calloc(1, size), false);
}

void test_guest_add_sparse_ram(struct test_guest *g, uint64_t gpa, uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);

    add_region(g, gpa, size, p == MAP_FAILED ? NULL : p, true);
}

void test_guest_free(struct test_guest *g)
{
    for (unsigned i = 0; i < g->vm.mem.nr_regions; i++) {
        if (g->ram_mmapped[i])
            munmap(g->ram[i], g->ram_size[i]);
        else
            free(g->ram[i]);
        g->ram[i] = NULL;
    }
    g->vm.mem.nr_regions = 0;
}

uint64_t test_guest_alloc(struct test_guest *g, uint64_t size, uint64_t align)
{
    uint64_t gpa = (g->alloc_next + align - 1) & ~(align - 1);

    assert_true(gpa <= g->alloc_end && size <= g->alloc_end - gpa);
    g->alloc_next = gpa + size;
    memset(test_guest_ptr(g, gpa, size ? size : 1), 0, size);
    return gpa;
}

void *test_guest_ptr(struct test_guest *g, uint64_t gpa, uint64_t len)
{
    void *p = vmm_gpa_to_hva(&g->vm.mem, gpa, len);

    assert_non_null(p);
    return p;
}

void test_guest_write(struct test_guest *g, uint64_t gpa, const void *src, size_t len)
{
    assert_int_equal(vmm_guest_write(&g->vm.mem, gpa, src, len), 0);
}

void test_guest_read(struct test_guest *g, uint64_t gpa, void *dst, size_t len)
{
    assert_int_equal(vmm_guest_read(&g->vm.mem, gpa, dst, len), 0);
}

bool test_guest_irq(const struct test_guest *g, unsigned line)
{
    assert_true(line < VMM_MAX_IRQ_LINES);
    return g->vm.irqs.level[line];
}

uint64_t test_mmio_read(struct test_guest *g, uint64_t addr, unsigned size)
{
    struct vmm_access acc = {.addr = addr, .size = (uint8_t)size, .write = false};

    assert_int_equal(vmm_vm_mmio(&g->vm, &acc), 0);
    return acc.value;
}

void test_mmio_write(struct test_guest *g, uint64_t addr, unsigned size, uint64_t value)
{
    struct vmm_access acc = {.addr = addr, .size = (uint8_t)size, .write = true, .value = value};

    assert_int_equal(vmm_vm_mmio(&g->vm, &acc), 0);
}

/* ---- log capture ---- */

static unsigned log_counts[VMM_LOG_DEBUG + 1];
static char log_last[256];

static void capture_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    if ((unsigned)level <= VMM_LOG_DEBUG)
        log_counts[level]++;
    vsnprintf(log_last, sizeof(log_last), fmt, ap);
}

void test_log_capture(void)
{
    memset(log_counts, 0, sizeof(log_counts));
    log_last[0] = '\0';
    vmm_log_set_sink(capture_sink, VMM_LOG_DEBUG);
}

unsigned test_log_count(enum vmm_log_level level)
{
    return (unsigned)level <= VMM_LOG_DEBUG ? log_counts[level] : 0;
}

const char *test_log_last(void)
{
    return log_last;
}
