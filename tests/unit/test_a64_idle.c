/* SPDX-License-Identifier: BSD-2-Clause */
/* The WFI sleep decision (aarch64_idle.h) and the vGIC's wake-up query. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/aarch64_idle.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vgic.h"
#include "vgic_fake_port.h"

#define FREQ 62500000ull /* QEMU virt's CNTFRQ */
#define ON VMM_CNTV_CTL_ENABLE

static struct vmm_a64_idle_in wfi(uint64_t now, uint64_t ctl, uint64_t cval)
{
    return (struct vmm_a64_idle_in){
        .kind = VMM_WFI, .cntv_ctl = ctl, .cntv_cval = cval, .now = now, .freq = FREQ};
}

static void wfi_sleeps_until_timer_deadline(void **state)
{
    struct vmm_a64_idle_in in = wfi(1000, ON, 1000 + FREQ / 100); /* 10 ms ahead */
    struct vmm_a64_idle out;

    (void)state;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_true(out.sleep);
    assert_true(out.timer);
    assert_int_equal(out.wake_at, 1000 + FREQ / 100);
    assert_int_equal(vmm_a64_idle_ns_until(1000, out.wake_at, FREQ), 10000000);
    assert_false(vmm_a64_idle_due(out.wake_at - 1, out.wake_at));
    assert_true(vmm_a64_idle_due(out.wake_at, out.wake_at));
}

/* CNTVCT = CNTPCT - CNTVOFF: the deadline moves by the offset. */
static void wfi_deadline_accounts_for_cntvoff(void **state)
{
    struct vmm_a64_idle_in in = wfi(50000, ON, 100);
    struct vmm_a64_idle out;

    (void)state;
    in.cntvoff = 49950; /* virtual now = 50 */
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_true(out.sleep);
    assert_int_equal(out.wake_at, 50050);
}

static void wfi_with_pending_irq_does_not_sleep(void **state)
{
    struct vmm_a64_idle_in in = wfi(0, ON, FREQ);
    struct vmm_a64_idle out;

    (void)state;
    in.irq_pending = true;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
}

static void wfi_with_expired_timer_does_not_sleep(void **state)
{
    struct vmm_a64_idle_in in = wfi(5000, ON, 5000);
    struct vmm_a64_idle out;

    (void)state;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
    in.cntv_cval = 4999;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
}

/* A disabled or masked timer is no deadline: sleep, but only for the bound. */
static void wfi_without_timer_sleeps_for_the_bound(void **state)
{
    uint64_t ctls[] = {0, ON | VMM_CNTV_CTL_IMASK, VMM_CNTV_CTL_IMASK};
    struct vmm_a64_idle out;

    (void)state;
    for (unsigned i = 0; i < 3; i++) {
        struct vmm_a64_idle_in in = wfi(7, ctls[i], 0); /* cval 0: would be due if enabled */
        assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
        assert_true(out.sleep);
        assert_false(out.timer);
        assert_int_equal(out.wake_at, 7 + FREQ);
        assert_int_equal(vmm_a64_idle_ns_until(7, out.wake_at, FREQ), VMM_A64_IDLE_MAX_NS);
    }
}

/* A deadline beyond the bound (or at the end of time) is cut to the bound. */
static void wfi_far_deadline_is_bounded(void **state)
{
    struct vmm_a64_idle_in in = wfi(10, ON, UINT64_MAX);
    struct vmm_a64_idle out;

    (void)state;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_true(out.sleep);
    assert_false(out.timer);
    assert_int_equal(out.wake_at, 10 + FREQ);
}

/* Near the counter's wrap the wake time wraps too, and stays comparable. */
static void wfi_wake_time_wraps_with_the_counter(void **state)
{
    struct vmm_a64_idle_in in = wfi(UINT64_MAX - 10, 0, 0);
    struct vmm_a64_idle out;

    (void)state;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_true(out.sleep);
    assert_int_equal(out.wake_at, FREQ - 11);
    assert_false(vmm_a64_idle_due(UINT64_MAX, out.wake_at));
    assert_true(vmm_a64_idle_due(FREQ, out.wake_at));
    assert_int_equal(vmm_a64_idle_ns_until(UINT64_MAX - 10, out.wake_at, FREQ),
                     VMM_A64_IDLE_MAX_NS);
}

static void wfe_never_sleeps(void **state)
{
    struct vmm_a64_idle_in in = wfi(0, 0, 0);
    struct vmm_a64_idle out;

    (void)state;
    in.kind = VMM_WFE;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
    in.kind = VMM_WFET;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
}

/* WFIT: the earlier of its own deadline and the timer's. */
static void wfit_uses_the_earlier_deadline(void **state)
{
    struct vmm_a64_idle_in in = wfi(100, ON, 900);
    struct vmm_a64_idle out;

    (void)state;
    in.kind = VMM_WFIT;
    in.wfit_deadline = 300;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_int_equal(out.wake_at, 300);
    in.cntv_ctl = 0;
    in.wfit_deadline = 2000;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_int_equal(out.wake_at, 2000);
    in.wfit_deadline = 50; /* passed */
    assert_int_equal(vmm_a64_idle_decide(&in, &out), 0);
    assert_false(out.sleep);
}

static void idle_rejects_zero_frequency(void **state)
{
    struct vmm_a64_idle_in in = wfi(0, 0, 0);
    struct vmm_a64_idle out;

    (void)state;
    in.freq = 0;
    assert_int_equal(vmm_a64_idle_decide(&in, &out), -VMM_EINVAL);
    assert_false(out.sleep);
    assert_int_equal(vmm_a64_idle_ns_until(0, 100, 0), 0);
}

static void ns_until_rounds_up_and_saturates(void **state)
{
    (void)state;
    assert_int_equal(vmm_a64_idle_ns_until(0, 1, FREQ), 16); /* 16 ns per tick */
    assert_int_equal(vmm_a64_idle_ns_until(0, 1, 3), 333333334);
    assert_int_equal(vmm_a64_idle_ns_until(5, 5, FREQ), 0);
    assert_int_equal(vmm_a64_idle_ns_until(6, 5, FREQ), 0);
    assert_int_equal(vmm_a64_idle_ns_until(0, 10 * FREQ, FREQ), VMM_A64_IDLE_MAX_NS);
}

/* ------------------------------------------------------ vGIC wake-up query */
static struct vmm_vgic gic;
static struct fake_port port;

static void wr(unsigned vcpu, uint64_t off, uint64_t v)
{
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, vcpu, off, 4, v), 0);
}

/* GICv2, 2 vCPUs, 2 LRs, distributor on, SPI 40 enabled to vCPU 1, SGIs on. */
static void gic_setup(void)
{
    assert_int_equal(fake_setup(&gic, &port, VMM_VGIC_V2, 2, 2), 0);
    wr(0, 0x000, 1);
    wr(0, 0x100 + 40 / 32 * 4, 1u << (40 % 32));
    wr(0, 0x800 + 40, 2); /* ITARGETSR: vCPU 1 */
    wr(0, 0x100, 0xffff); /* SGIs of vCPU 0 */
    wr(1, 0x100, 0xffff); /* SGIs of vCPU 1 */
}

static void has_irq_follows_spi_and_its_eoi(void **state)
{
    (void)state;
    gic_setup();
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 0));
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 1));
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 0));
    assert_true(vmm_vgic_vcpu_has_irq(&gic, 1)); /* in an LR */
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, false), 0);
    assert_int_equal(fake_guest_eoi(&gic, &port, 1, 40), 0);
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 1));
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 7)); /* no such vCPU */
}

/* An SGI wakes only the vCPU it is sent to. */
static void has_irq_for_sgi_target_only(void **state)
{
    (void)state;
    gic_setup();
    wr(0, 0xf00, (2u << 16) | 3); /* GICD_SGIR: SGI 3 to CPU 1 */
    assert_true(vmm_vgic_vcpu_has_irq(&gic, 1));
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 0));
}

/* Pending but not yet in an LR (the port refused every LR) still counts;
 * a disabled interrupt does not. */
static void has_irq_counts_pending_without_lr(void **state)
{
    (void)state;
    gic_setup();
    port.fail = -VMM_EIO;
    vmm_log_set_sink(NULL, VMM_LOG_ERROR); /* the inject failure warns */
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 1, 0), -1);
    assert_true(vmm_vgic_vcpu_has_irq(&gic, 1));
    wr(0, 0x180 + 40 / 32 * 4, 1u << (40 % 32)); /* ICENABLER */
    assert_false(vmm_vgic_vcpu_has_irq(&gic, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wfi_sleeps_until_timer_deadline),
        cmocka_unit_test(wfi_deadline_accounts_for_cntvoff),
        cmocka_unit_test(wfi_with_pending_irq_does_not_sleep),
        cmocka_unit_test(wfi_with_expired_timer_does_not_sleep),
        cmocka_unit_test(wfi_without_timer_sleeps_for_the_bound),
        cmocka_unit_test(wfi_far_deadline_is_bounded),
        cmocka_unit_test(wfi_wake_time_wraps_with_the_counter),
        cmocka_unit_test(wfe_never_sleeps),
        cmocka_unit_test(wfit_uses_the_earlier_deadline),
        cmocka_unit_test(idle_rejects_zero_frequency),
        cmocka_unit_test(ns_until_rounds_up_and_saturates),
        cmocka_unit_test(has_irq_follows_spi_and_its_eoi),
        cmocka_unit_test(has_irq_for_sgi_target_only),
        cmocka_unit_test(has_irq_counts_pending_without_lr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
