/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vgic.h"
#include "vgic_fake_port.h"

static struct vmm_vgic gic;
static struct fake_port port;
static struct vmm_vtimer vt;
static unsigned acks[VMM_MAX_VCPUS];

static void ack(void *ctx, unsigned vcpu)
{
    assert_ptr_equal(ctx, &acks);
    acks[vcpu]++;
}

/* The port's EOI hook: the timer first (as a seL4 port would chain it). */
static bool eoi_hook(void *ctx, unsigned vcpu, unsigned intid)
{
    return vmm_vtimer_eoi(ctx, vcpu, intid);
}

/* A v3 vGIC as Linux leaves it: redistributors awake, PPI 27 enabled in group 1. */
static void setup(unsigned nr_vcpus)
{
    uint64_t frame = VMM_VGIC_V3_REDIST_STRIDE;
    assert_int_equal(fake_setup(&gic, &port, VMM_VGIC_V3, nr_vcpus, 4), 0);
    port.eoi_hook = eoi_hook;
    port.hook_ctx = &vt;
    memset(acks, 0, sizeof(acks));
    assert_int_equal(vmm_vtimer_init(&vt, &gic, VMM_VGIC_VTIMER_INTID, ack, &acks), 0);
    for (unsigned c = 0; c < nr_vcpus; c++) {
        vmm_vgic_v3_redist_write(&gic, c * frame + 0x14, 4, 0);
        vmm_vgic_v3_redist_write(&gic, c * frame + 0x10080, 4, ~0u);
        vmm_vgic_v3_redist_write(&gic, c * frame + 0x10100, 4, 1u << 27);
    }
    vmm_vgic_v3_dist_write(&gic, 0, 4, 2);
}

static void vtimer_injects_level_ppi_and_acks_after_eoi(void **state)
{
    (void)state;
    setup(2);
    assert_int_equal(vmm_vtimer_vppi_event(&vt, 1, 27), 0);
    assert_true(fake_find(&port, 1, 27) >= 0);
    assert_int_equal(fake_find(&port, 0, 27), -1);
    assert_int_equal(acks[1], 0); /* not before the guest's EOI */
    assert_int_equal(fake_guest_eoi(&gic, &port, 1, 27), 0);
    assert_int_equal(acks[1], 1);
    assert_int_equal(acks[0], 0);
    /* The line went down with the ack: no re-injection. */
    assert_int_equal(port.injections, 1);
    assert_false(vmm_vgic_is_pending(&gic, 1, 27));
    /* The next expiry goes round again. */
    assert_int_equal(vmm_vtimer_vppi_event(&vt, 1, 27), 0);
    assert_int_equal(port.injections, 2);
    assert_int_equal(fake_guest_eoi(&gic, &port, 1, 27), 0);
    assert_int_equal(acks[1], 2);
}

static void vtimer_repeated_event_before_eoi_is_absorbed(void **state)
{
    (void)state;
    setup(1);
    vmm_vtimer_vppi_event(&vt, 0, 27);
    vmm_vtimer_vppi_event(&vt, 0, 27);
    assert_int_equal(port.injections, 1);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 27), 0);
    assert_int_equal(acks[0], 1);
    assert_int_equal(port.injections, 1);
}

static void vtimer_waits_while_guest_has_it_disabled(void **state)
{
    (void)state;
    setup(1);
    vmm_vgic_v3_redist_write(&gic, 0x10180, 4, 1u << 27); /* ICENABLER0 */
    vmm_vtimer_vppi_event(&vt, 0, 27);
    assert_int_equal(port.injections, 0);
    assert_int_equal(acks[0], 0);
    vmm_vgic_v3_redist_write(&gic, 0x10100, 4, 1u << 27);
    assert_int_equal(port.injections, 1);
}

static void vtimer_ignores_other_eois_and_bad_events(void **state)
{
    (void)state;
    setup(2);
    assert_int_equal(vmm_vtimer_vppi_event(&vt, 0, 26), -VMM_EINVAL);
    assert_int_equal(vmm_vtimer_vppi_event(&vt, 2, 27), -VMM_EINVAL);
    assert_false(vmm_vtimer_eoi(&vt, 0, 27)); /* nothing asserted */
    vmm_vtimer_vppi_event(&vt, 0, 27);
    assert_false(vmm_vtimer_eoi(&vt, 0, 30));
    assert_int_equal(acks[0], 0);
    assert_int_equal(vmm_vtimer_init(&vt, &gic, 40, ack, NULL), -VMM_EINVAL);
    assert_int_equal(vmm_vtimer_init(&vt, &gic, 27, NULL, NULL), -VMM_EINVAL);
}

static void vtimer_reset_acks_a_pending_event(void **state)
{
    (void)state;
    setup(1);
    vmm_vtimer_vppi_event(&vt, 0, 27);
    vmm_vtimer_reset(&vt, 0);
    assert_int_equal(acks[0], 1);
    vmm_vtimer_reset(&vt, 0);
    assert_int_equal(acks[0], 1);
}

static unsigned log_lines;

static void count_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    log_lines++;
}

static void vtimer_unexpected_events_logged_once(void **state)
{
    (void)state;
    setup(1);
    log_lines = 0;
    vmm_log_set_sink(count_sink, VMM_LOG_DEBUG);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(vmm_vtimer_vppi_event(&vt, i % 2, 26 + 2 * (i % 2)), -VMM_EINVAL);
    vmm_log_set_sink(NULL, VMM_LOG_ERROR);
    assert_int_equal(log_lines, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vtimer_injects_level_ppi_and_acks_after_eoi),
        cmocka_unit_test(vtimer_repeated_event_before_eoi_is_absorbed),
        cmocka_unit_test(vtimer_waits_while_guest_has_it_disabled),
        cmocka_unit_test(vtimer_ignores_other_eois_and_bad_events),
        cmocka_unit_test(vtimer_reset_acks_a_pending_event),
        cmocka_unit_test(vtimer_unexpected_events_logged_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
