/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"
#include "stdvmm/vgic.h"
#include "vgic_fake_port.h"

/* GICv3 distributor (IHI 0069H 12.8) and redistributor (12.10, 12.11) offsets. */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ISPENDR 0x0200
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define SGI 0x10000
#define GICR_IGROUPR0 (SGI + 0x0080)
#define GICR_ISENABLER0 (SGI + 0x0100)
#define GICR_ICENABLER0 (SGI + 0x0180)
#define GICR_ISPENDR0 (SGI + 0x0200)
#define GICR_ICPENDR0 (SGI + 0x0280)
#define GICR_ISACTIVER0 (SGI + 0x0300)
#define GICR_ICACTIVER0 (SGI + 0x0380)
#define GICR_IPRIORITYR (SGI + 0x0400)
#define GICR_ICFGR0 (SGI + 0x0c00)
#define GICR_ICFGR1 (SGI + 0x0c04)
#define FRAME(n) ((uint64_t)(n)*VMM_VGIC_V3_REDIST_STRIDE)

#define CTLR_G1 2u

static struct vmm_vgic gic;
static struct fake_port port;

static uint64_t drd(uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    assert_int_equal(vmm_vgic_v3_dist_read(&gic, off, size, &v), 0);
    return v;
}

static void dwr(uint64_t off, unsigned size, uint64_t v)
{
    assert_int_equal(vmm_vgic_v3_dist_write(&gic, off, size, v), 0);
}

static uint64_t rrd(unsigned vcpu, uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    assert_int_equal(vmm_vgic_v3_redist_read(&gic, FRAME(vcpu) + off, size, &v), 0);
    return v;
}

static void rwr(unsigned vcpu, uint64_t off, unsigned size, uint64_t v)
{
    assert_int_equal(vmm_vgic_v3_redist_write(&gic, FRAME(vcpu) + off, size, v), 0);
}

/* What Linux does at boot: wake every redistributor, group 1, enable. */
static void boot(unsigned nr_vcpus, unsigned nr_lrs)
{
    assert_int_equal(fake_setup(&gic, &port, VMM_VGIC_V3, nr_vcpus, nr_lrs), 0);
    for (unsigned c = 0; c < nr_vcpus; c++) {
        rwr(c, GICR_WAKER, 4, 0);
        rwr(c, GICR_IGROUPR0, 4, ~0u);
        rwr(c, GICR_ISENABLER0, 4, 0xffff); /* SGIs */
    }
    for (unsigned r = 1; r < 3; r++)
        dwr(GICD_IGROUPR + 4 * r, 4, ~0u);
    dwr(GICD_CTLR, 4, CTLR_G1 | (1u << 4));
}

static void v3_ctlr_has_are_and_ds_fixed(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 2, 4);
    assert_int_equal(drd(GICD_CTLR, 4), (1u << 4) | (1u << 6));
    dwr(GICD_CTLR, 4, 0);
    assert_int_equal(drd(GICD_CTLR, 4), (1u << 4) | (1u << 6));
    dwr(GICD_CTLR, 4, 3);
    assert_int_equal(drd(GICD_CTLR, 4), 3u | (1u << 4) | (1u << 6));
    /* ITLinesNumber 2 (96 INTIDs), IDbits 9, no LPIs. */
    assert_int_equal(drd(GICD_TYPER, 4) & 0x1f, 2);
    assert_int_equal(drd(GICD_TYPER, 4) >> 19 & 0x1f, 9);
    assert_int_equal(drd(GICD_TYPER, 4) & (1u << 17), 0);
    assert_int_equal(drd(GICD_PIDR2, 4) >> 4 & 0xf, 3);
    assert_int_equal(rrd(1, GICR_PIDR2, 4) >> 4 & 0xf, 3);
}

static void v3_distributor_private_banks_are_raz_wi(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 1, 4);
    dwr(GICD_ISENABLER, 4, ~0u);
    assert_int_equal(drd(GICD_ISENABLER, 4), 0);
    assert_int_equal(rrd(0, GICR_ISENABLER0, 4), 0);
    dwr(GICD_IPRIORITYR + 4, 4, ~0u);
    assert_int_equal(drd(GICD_IPRIORITYR + 4, 4), 0);
    dwr(GICD_ITARGETSR + 32, 4, ~0u);
    assert_int_equal(drd(GICD_ITARGETSR + 32, 4), 0);
    /* The SPI part is live. */
    dwr(GICD_ISENABLER + 4, 4, 0x3);
    assert_int_equal(drd(GICD_ISENABLER + 4, 4), 0x3);
    dwr(GICD_ICFGR + 8, 4, 0x8);
    assert_int_equal(drd(GICD_ICFGR + 8, 4), 0x8);
}

static void v3_irouter_64_and_32_bit_access(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 4, 4);
    dwr(GICD_IROUTER + 8 * 40, 8, 0xffffffffffffffffull);
    assert_int_equal(drd(GICD_IROUTER + 8 * 40, 8), 0xff80ffffffull);
    dwr(GICD_IROUTER + 8 * 40, 4, 0x3);
    assert_int_equal(drd(GICD_IROUTER + 8 * 40, 8), 0xff00000003ull);
    dwr(GICD_IROUTER + 8 * 40 + 4, 4, 0);
    assert_int_equal(drd(GICD_IROUTER + 8 * 40, 8), 0x3);
    assert_int_equal(drd(GICD_IROUTER + 8 * 40, 4), 0x3);
    /* SGI/PPI and beyond-range IROUTERs: RAZ/WI. */
    dwr(GICD_IROUTER + 8 * 5, 8, 1);
    assert_int_equal(drd(GICD_IROUTER + 8 * 5, 8), 0);
    dwr(GICD_IROUTER + 8 * 200, 8, 1);
    assert_int_equal(drd(GICD_IROUTER + 8 * 200, 8), 0);
    uint64_t v;
    assert_int_equal(vmm_vgic_v3_dist_read(&gic, GICD_IROUTER + 8 * 40 + 4, 8, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v3_dist_write(&gic, GICD_IROUTER + 8 * 40, 2, 0), -VMM_EINVAL);
}

static void v3_irouter_routes_spis_by_affinity(void **state)
{
    (void)state;
    boot(4, 4);
    dwr(GICD_ISENABLER + 4, 4, 0x7);
    dwr(GICD_IROUTER + 8 * 32, 8, 2);          /* Aff0 = 2 */
    dwr(GICD_IROUTER + 8 * 33, 8, 1ull << 31); /* IRM: any vCPU */
    dwr(GICD_IROUTER + 8 * 34, 8, 0x100);      /* Aff1 = 1: no such vCPU */
    vmm_vgic_set_irq(&gic, 0, 32, true);
    vmm_vgic_set_irq(&gic, 0, 33, true);
    vmm_vgic_set_irq(&gic, 0, 34, true);
    assert_true(fake_find(&port, 2, 32) >= 0);
    assert_true(fake_find(&port, 0, 33) >= 0);
    for (unsigned c = 0; c < 4; c++)
        assert_int_equal(fake_find(&port, c, 34), -1);
    assert_true(vmm_vgic_is_pending(&gic, 0, 34));
    /* Re-routing a pending SPI delivers it. */
    dwr(GICD_IROUTER + 8 * 34, 8, 3);
    assert_true(fake_find(&port, 3, 34) >= 0);
}

static void v3_redist_typer_reports_affinity_and_last(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 3, 4);
    assert_int_equal(rrd(0, GICR_TYPER, 8), 0);
    assert_int_equal(rrd(1, GICR_TYPER, 8), (1ull << 32) | (1u << 8));
    assert_int_equal(rrd(2, GICR_TYPER, 8), (2ull << 32) | (2u << 8) | (1u << 4));
    assert_int_equal(rrd(2, GICR_TYPER + 4, 4), 2);
    assert_int_equal(rrd(2, GICR_TYPER, 4), (2u << 8) | (1u << 4));
    assert_int_equal(rrd(1, GICR_CTLR, 4), 0);
    uint64_t v;
    assert_int_equal(vmm_vgic_v3_redist_read(&gic, FRAME(3), 4, &v), -VMM_EINVAL);
}

static void v3_waker_handshake_and_sleep_blocks_delivery(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 1, 4);
    assert_int_equal(rrd(0, GICR_WAKER, 4), 6); /* ProcessorSleep | ChildrenAsleep */
    dwr(GICD_CTLR, 4, 1);
    rwr(0, GICR_ISENABLER0, 4, 1u << 27);
    vmm_vgic_set_irq(&gic, 0, 27, true);
    assert_int_equal(port.injections, 0);
    rwr(0, GICR_WAKER, 4, 0);
    assert_int_equal(rrd(0, GICR_WAKER, 4), 0);
    assert_int_equal(port.injections, 1);
    rwr(0, GICR_WAKER, 4, 2);
    assert_int_equal(rrd(0, GICR_WAKER, 4), 6);
}

static void v3_sgi_base_banks_per_vcpu(void **state)
{
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 2, 4);
    rwr(1, GICR_ISENABLER0, 4, 0x80010001);
    assert_int_equal(rrd(1, GICR_ISENABLER0, 4), 0x80010001);
    assert_int_equal(rrd(0, GICR_ISENABLER0, 4), 0);
    rwr(1, GICR_ICENABLER0, 4, 0x1);
    assert_int_equal(rrd(1, GICR_ICENABLER0, 4), 0x80010000);
    /* GICv3 lets ISPENDR0 set SGIs pending. */
    rwr(0, GICR_ISPENDR0, 4, 0x00000004);
    assert_int_equal(rrd(0, GICR_ISPENDR0, 4), 4);
    rwr(0, GICR_ICPENDR0, 4, 0x4);
    assert_int_equal(rrd(0, GICR_ISPENDR0, 4), 0);
    rwr(0, GICR_ISACTIVER0, 4, 1u << 20);
    assert_int_equal(rrd(0, GICR_ICACTIVER0, 4), 1u << 20);
    rwr(0, GICR_ICACTIVER0, 4, 1u << 20);
    assert_int_equal(rrd(0, GICR_ISACTIVER0, 4), 0);
    rwr(0, GICR_IGROUPR0, 4, 0xffff0000);
    assert_int_equal(rrd(0, GICR_IGROUPR0, 4), 0xffff0000);
    rwr(1, GICR_IPRIORITYR + 27, 1, 0x90);
    assert_int_equal(rrd(1, GICR_IPRIORITYR + 24, 4), 0x90000000);
    assert_int_equal(rrd(0, GICR_IPRIORITYR + 24, 4), 0);
    /* ICFGR0 (SGIs) read-only edge; ICFGR1 (PPIs) configurable. */
    rwr(0, GICR_ICFGR0, 4, 0);
    assert_int_equal(rrd(0, GICR_ICFGR0, 4), 0xaaaaaaaa);
    rwr(0, GICR_ICFGR1, 4, 0x2u << 22);
    assert_int_equal(rrd(0, GICR_ICFGR1, 4), 0x2u << 22);
    /* Beyond INTID 31 in SGI_base: RAZ/WI. */
    rwr(0, GICR_ISENABLER0 + 4, 4, ~0u);
    assert_int_equal(rrd(0, GICR_ISENABLER0 + 4, 4), 0);
}

/* ICC_SGI1R_EL1 value (IHI 0069H 12.2.23). */
static uint64_t sgi1r(unsigned intid, unsigned aff1, unsigned targets, bool irm)
{
    return ((uint64_t)intid << 24) | ((uint64_t)aff1 << 16) | targets | ((uint64_t)irm << 40);
}

static void v3_sgi1r_targets_by_affinity(void **state)
{
    (void)state;
    boot(4, 4);
    assert_int_equal(vmm_vgic_v3_sgi_write(&gic, 0, sgi1r(6, 0, 0x000a, false)), 0);
    assert_int_equal(fake_find(&port, 0, 6), -1);
    assert_true(fake_find(&port, 1, 6) >= 0);
    assert_int_equal(fake_find(&port, 2, 6), -1);
    assert_true(fake_find(&port, 3, 6) >= 0);
    /* Aff1 = 1 or a non-zero range selector names no vCPU here. */
    unsigned before = port.injections;
    vmm_vgic_v3_sgi_write(&gic, 0, sgi1r(2, 1, 0xffff, false));
    vmm_vgic_v3_sgi_write(&gic, 0, sgi1r(2, 0, 0xffff, false) | (1ull << 44));
    vmm_vgic_v3_sgi_write(&gic, 0, sgi1r(2, 0, 0xffff, false) | (1ull << 32));
    assert_int_equal(port.injections, before);
    assert_int_equal(vmm_vgic_v3_sgi_write(&gic, 4, 0), -VMM_EINVAL);
}

static void v3_sgi1r_irm_broadcasts_to_all_but_self(void **state)
{
    (void)state;
    boot(4, 4);
    vmm_vgic_v3_sgi_write(&gic, 2, sgi1r(1, 0, 0, true));
    assert_true(fake_find(&port, 0, 1) >= 0);
    assert_true(fake_find(&port, 1, 1) >= 0);
    assert_int_equal(fake_find(&port, 2, 1), -1);
    assert_true(fake_find(&port, 3, 1) >= 0);
    assert_int_equal(port.lr[0][0].group, 1);
}

static void v3_sgi_from_trapped_sysreg(void **state)
{
    struct vmm_sysreg_trap t;
    (void)state;
    boot(2, 4);
    /* MSR ICC_SGI1R_EL1, x3 from vCPU 0 */
    uint32_t iss = (3u << 20) | (5u << 17) | (0u << 14) | (12u << 10) | (3u << 5) | (11u << 1);
    assert_int_equal(vmm_esr_decode_sysreg((0x18ull << 26) | (1u << 25) | iss, &t), 0);
    assert_int_equal(t.reg, VMM_SYSREG_ICC_SGI1R_EL1);
    assert_false(t.read);
    assert_int_equal(vmm_vgic_v3_sgi_write(&gic, 0, sgi1r(11, 0, 0x2, false)), 0);
    assert_true(fake_find(&port, 1, 11) >= 0);
}

static void v3_overflow_refills_after_eoi_in_priority_order(void **state)
{
    (void)state;
    boot(1, 2);
    static const uint8_t prio[5] = {0x80, 0x40, 0xc0, 0x00, 0x40};
    dwr(GICD_CTLR, 4, 0);
    for (unsigned i = 0; i < 5; i++) {
        dwr(GICD_IPRIORITYR + 40 + i, 1, prio[i]);
        dwr(GICD_ICFGR + 40 / 16 * 4, 4, drd(GICD_ICFGR + 8, 4) | (2u << (2 * (40 + i - 32))));
    }
    dwr(GICD_ISENABLER + 4, 4, 0x1f00);
    for (unsigned i = 0; i < 5; i++) {
        vmm_vgic_set_irq(&gic, 0, 40 + i, true);
        vmm_vgic_set_irq(&gic, 0, 40 + i, false);
    }
    dwr(GICD_CTLR, 4, CTLR_G1);
    assert_int_equal(port.injections, 2);
    assert_int_equal(port.order[0], 43);
    assert_int_equal(port.order[1], 41);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 41), 0);
    assert_int_equal(port.order[2], 44);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 43), 0);
    assert_int_equal(port.order[3], 40);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 44), 0);
    assert_int_equal(port.order[4], 42);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 40), 0);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 42), 0);
    assert_int_equal(port.injections, 5);
    assert_int_equal(fake_used(&port, 0), 0);
    assert_int_equal(port.eois, 5);
}

static void v3_bad_accesses_fail_or_read_zero(void **state)
{
    uint64_t v;
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 2, 4);
    assert_int_equal(vmm_vgic_v3_dist_read(&gic, GICD_CTLR, 8, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v3_dist_read(&gic, 0x10000, 4, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v3_redist_write(&gic, FRAME(0) + GICR_WAKER, 2, 0), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v3_redist_write(&gic, FRAME(2), 4, 0), -VMM_EINVAL);
    assert_int_equal(drd(0x0010, 4), 0);    /* STATUSR */
    assert_int_equal(rrd(0, 0x0070, 4), 0); /* PROPBASER: no LPIs */
    for (uint64_t off = 0; off < VMM_VGIC_V3_DIST_SIZE; off += 1)
        for (unsigned size = 1; size <= 8; size *= 2) {
            vmm_vgic_v3_dist_read(&gic, off, size, &v);
            vmm_vgic_v3_dist_write(&gic, off, size, ~0ull);
        }
    for (uint64_t off = 0; off < 2 * VMM_VGIC_V3_REDIST_STRIDE; off += 1)
        for (unsigned size = 1; size <= 8; size *= 2) {
            vmm_vgic_v3_redist_read(&gic, off, size, &v);
            vmm_vgic_v3_redist_write(&gic, off, size, ~0ull);
        }
}

static void v3_bus_glue_reaches_both_frames(void **state)
{
    struct vmm_mmio_bus bus;
    struct vmm_access acc = {.addr = 0x80a0008, .size = 8, .vcpu = 0};
    (void)state;
    fake_setup(&gic, &port, VMM_VGIC_V3, 2, 4);
    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register(&bus, 0x8000000, VMM_VGIC_V3_DIST_SIZE,
                                       &vmm_vgic_v3_dist_mmio_ops, &gic, "gicd"),
                     0);
    assert_int_equal(vmm_mmio_register(&bus, 0x80a0000, 2 * VMM_VGIC_V3_REDIST_STRIDE,
                                       &vmm_vgic_v3_redist_mmio_ops, &gic, "gicr"),
                     0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(acc.value, 0);
    acc.addr = 0x80a0000 + VMM_VGIC_V3_REDIST_STRIDE + 8;
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(acc.value, (1ull << 32) | (1u << 8) | (1u << 4));
    acc = (struct vmm_access){.addr = 0x8000000, .size = 4};
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(acc.value, 0x50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v3_ctlr_has_are_and_ds_fixed),
        cmocka_unit_test(v3_distributor_private_banks_are_raz_wi),
        cmocka_unit_test(v3_irouter_64_and_32_bit_access),
        cmocka_unit_test(v3_irouter_routes_spis_by_affinity),
        cmocka_unit_test(v3_redist_typer_reports_affinity_and_last),
        cmocka_unit_test(v3_waker_handshake_and_sleep_blocks_delivery),
        cmocka_unit_test(v3_sgi_base_banks_per_vcpu),
        cmocka_unit_test(v3_sgi1r_targets_by_affinity),
        cmocka_unit_test(v3_sgi1r_irm_broadcasts_to_all_but_self),
        cmocka_unit_test(v3_sgi_from_trapped_sysreg),
        cmocka_unit_test(v3_overflow_refills_after_eoi_in_priority_order),
        cmocka_unit_test(v3_bad_accesses_fail_or_read_zero),
        cmocka_unit_test(v3_bus_glue_reaches_both_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
