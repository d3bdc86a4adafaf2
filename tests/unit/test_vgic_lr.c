/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * List registers the hypervisor refuses (issue 10, point 5): seL4 will not
 * inject into an LR that is still active in the hardware -- after a system
 * reset the rebuilt vGIC model believes every LR free while the kernel's
 * copy may still hold an interrupt the previous guest never EOIed. The vGIC
 * must skip such an LR, use the next one, and log it once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vgic.h"
#include "vgic_fake_port.h"

#define CTLR 0x000
#define ISENABLER 0x100

static struct vmm_vgic gic;
static struct fake_port port;
static unsigned log_lines;

static void count_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    log_lines++;
}

static void wr(unsigned vcpu, uint64_t off, uint64_t v)
{
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, vcpu, off, 4, v), 0);
}

static void enable(unsigned id)
{
    wr(0, ISENABLER + id / 32 * 4, 1u << (id % 32));
}

/* A GICv2 vGIC with 1 vCPU and 4 LRs, distributor on, SPIs 40..43 enabled. */
static int setup(void **state)
{
    (void)state;
    log_lines = 0;
    vmm_log_set_sink(count_sink, VMM_LOG_DEBUG);
    assert_int_equal(fake_setup(&gic, &port, VMM_VGIC_V2, 1, 4), 0);
    wr(0, CTLR, 1);
    for (unsigned id = 40; id < 44; id++)
        enable(id);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vmm_log_set_sink(NULL, VMM_LOG_ERROR);
    return 0;
}

/* The reset case: LR 0 is still active in the "hardware" from the previous
 * boot; the new model's first interrupt must go into LR 1, not be dropped. */
static void lr_refused_after_reset_uses_next_lr(void **state)
{
    (void)state;
    port.refuse[0] = 1u << 0;
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
    assert_int_equal(fake_find(&port, 0, 40), 1);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 1), 40);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 0), -1);
    assert_int_equal(gic.cpu[0].lr[0], VMM_VGIC_LR_BUSY);
    /* A second interrupt does not knock on the busy LR again. */
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 41, true), 0);
    assert_int_equal(fake_find(&port, 0, 41), 2);
    assert_int_equal(port.refusals, 1);
}

/* Every LR but the last refused: one flush still delivers, bounded. */
static void lr_all_but_one_refused_still_delivers(void **state)
{
    (void)state;
    port.refuse[0] = 0x7;
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 42, true), 0);
    assert_int_equal(fake_find(&port, 0, 42), 3);
    assert_int_equal(port.refusals, 3);
    /* All four gone: a further interrupt stays pending, nothing is retried. */
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 43, true), 0);
    assert_true(vmm_vgic_is_pending(&gic, 0, 43));
    assert_int_equal(port.refusals, 3);
}

/* The guest finally EOIs the stale interrupt: the maintenance for LR 0
 * frees it and the pending interrupt goes in. */
static void lr_busy_freed_by_its_eoi(void **state)
{
    (void)state;
    port.refuse[0] = 0xf;
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
    assert_true(vmm_vgic_is_pending(&gic, 0, 40));
    assert_int_equal(port.injections, 0);
    port.refuse[0] = 0xe; /* LR 0 deactivated by the guest */
    assert_int_equal(vmm_vgic_lr_eoi(&gic, 0, 0), 0);
    assert_int_equal(fake_find(&port, 0, 40), 0);
    assert_int_equal(port.eois, 0); /* no INTID of ours was EOIed */
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 0), 40);
}

/* Refusals and other failures are logged once each, not per flush. */
static void lr_failures_are_rate_limited(void **state)
{
    (void)state;
    port.refuse[0] = 0xf;
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
        assert_int_equal(vmm_vgic_lr_eoi(&gic, 0, i % 4), 0); /* busy -> free -> busy */
    }
    assert_true(port.refusals >= 100);
    assert_int_equal(log_lines, 1);
    port.refuse[0] = 0;
    port.fail = -VMM_EIO;
    for (unsigned i = 0; i < 4; i++)
        (void)vmm_vgic_lr_eoi(&gic, 0, i);
    for (unsigned i = 0; i < 100; i++)
        vmm_vgic_flush(&gic, 0);
    assert_true(vmm_vgic_is_pending(&gic, 0, 40));
    assert_int_equal(log_lines, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lr_refused_after_reset_uses_next_lr, setup, teardown),
        cmocka_unit_test_setup_teardown(lr_all_but_one_refused_still_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(lr_busy_freed_by_its_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(lr_failures_are_rate_limited, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
