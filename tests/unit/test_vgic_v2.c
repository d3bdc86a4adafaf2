/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/mmio.h"
#include "stdvmm/vgic.h"
#include "vgic_fake_port.h"

/* GICv2 distributor offsets (IHI 0048B 4.1.2). */
#define CTLR 0x000
#define TYPER 0x004
#define IIDR 0x008
#define IGROUPR 0x080
#define ISENABLER 0x100
#define ICENABLER 0x180
#define ISPENDR 0x200
#define ICPENDR 0x280
#define ISACTIVER 0x300
#define ICACTIVER 0x380
#define IPRIORITYR 0x400
#define ITARGETSR 0x800
#define ICFGR 0xc00
#define SGIR 0xf00
#define CPENDSGIR 0xf10
#define SPENDSGIR 0xf20
#define PIDR2 0xfe8

static struct vmm_vgic gic;
static struct fake_port port;

static uint64_t rd(unsigned vcpu, uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, vcpu, off, size, &v), 0);
    return v;
}

static void wr(unsigned vcpu, uint64_t off, unsigned size, uint64_t v)
{
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, vcpu, off, size, v), 0);
}

/* INTID @id enabled (bank register for its word, from @vcpu). */
static void enable(unsigned vcpu, unsigned id)
{
    wr(vcpu, ISENABLER + id / 32 * 4, 4, 1u << (id % 32));
}

static int setup(unsigned nr_vcpus, unsigned nr_lrs)
{
    return fake_setup(&gic, &port, VMM_VGIC_V2, nr_vcpus, nr_lrs);
}

static void v2_id_registers_describe_the_gic(void **state)
{
    (void)state;
    assert_int_equal(setup(4, 4), 0);
    /* 96 INTIDs -> ITLinesNumber 2; 4 CPUs -> CPUNumber 3. */
    assert_int_equal(rd(0, TYPER, 4), 2 | (3 << 5));
    assert_int_equal(rd(0, IIDR, 4) & 0xfff, 0x43b);
    assert_int_equal(rd(0, PIDR2, 4) >> 4 & 0xf, 2);
}

static void v2_rejects_bad_configuration(void **state)
{
    struct vmm_vgic_config cfg = {VMM_VGIC_V2, 2, 64, 4, &fake_ops, &port};
    (void)state;
    cfg.nr_vcpus = 9;
    assert_int_equal(vmm_vgic_init(&gic, &cfg), -VMM_EINVAL);
    cfg.nr_vcpus = 2;
    cfg.nr_spis = 40;
    assert_int_equal(vmm_vgic_init(&gic, &cfg), -VMM_EINVAL);
    cfg.nr_spis = 64;
    cfg.nr_lrs = 0;
    assert_int_equal(vmm_vgic_init(&gic, &cfg), -VMM_EINVAL);
    cfg.nr_lrs = 4;
    cfg.ops = NULL;
    assert_int_equal(vmm_vgic_init(&gic, &cfg), -VMM_EINVAL);
}

static void v2_disabled_distributor_injects_nothing(void **state)
{
    (void)state;
    setup(1, 4);
    enable(0, 40);
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 40, true), 0);
    assert_int_equal(port.injections, 0);
    assert_true(vmm_vgic_is_pending(&gic, 0, 40));
    wr(0, CTLR, 4, 1);
    assert_int_equal(port.injections, 1);
    assert_true(port.lr[0][0].used);
    assert_int_equal(port.lr[0][0].intid, 40);
    assert_int_equal(port.lr[0][0].group, 0);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 0), 40);
}

static void v2_group1_needs_its_enable_bit(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, IGROUPR + 4, 4, 1u << 1); /* INTID 33 -> group 1 */
    assert_int_equal(rd(0, IGROUPR + 4, 4), 2);
    enable(0, 33);
    wr(0, CTLR, 4, 1); /* group 0 only */
    vmm_vgic_set_irq(&gic, 0, 33, true);
    assert_int_equal(port.injections, 0);
    wr(0, CTLR, 4, 3);
    assert_int_equal(port.injections, 1);
    assert_int_equal(port.lr[0][0].group, 1);
}

static void v2_enable_and_disable_read_back(void **state)
{
    (void)state;
    setup(2, 4);
    wr(0, ISENABLER + 4, 4, 0x00000105);
    assert_int_equal(rd(0, ISENABLER + 4, 4), 0x105);
    assert_int_equal(rd(0, ICENABLER + 4, 4), 0x105);
    wr(0, ICENABLER + 4, 4, 0x4);
    assert_int_equal(rd(0, ISENABLER + 4, 4), 0x101);
    /* Beyond ITLinesNumber: RAZ/WI. */
    wr(0, ISENABLER + 12, 4, ~0u);
    assert_int_equal(rd(0, ISENABLER + 12, 4), 0);
}

static void v2_private_banks_are_per_vcpu(void **state)
{
    (void)state;
    setup(2, 4);
    wr(0, ISENABLER, 4, 0x80000001);
    assert_int_equal(rd(0, ISENABLER, 4), 0x80000001);
    assert_int_equal(rd(1, ISENABLER, 4), 0);
    wr(1, IPRIORITYR + 27, 1, 0xa0);
    assert_int_equal(rd(1, IPRIORITYR + 24, 4), 0xa0000000);
    assert_int_equal(rd(0, IPRIORITYR + 24, 4), 0);
}

static void v2_pending_set_and_clear(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, ISPENDR + 4, 4, 0x80000010);
    assert_int_equal(rd(0, ISPENDR + 4, 4), 0x80000010);
    assert_int_equal(rd(0, ICPENDR + 4, 4), 0x80000010);
    wr(0, ICPENDR + 4, 4, 0x10);
    assert_int_equal(rd(0, ISPENDR + 4, 4), 0x80000000);
    /* SGI pending bits in ISPENDR0 are read-only on GICv2. */
    wr(0, ISPENDR, 4, 0x1);
    assert_int_equal(rd(0, ISPENDR, 4), 0);
}

static void v2_active_blocks_injection_until_cleared(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, CTLR, 4, 1);
    wr(0, ISACTIVER + 4, 4, 1u << 4);
    assert_int_equal(rd(0, ISACTIVER + 4, 4), 1u << 4);
    enable(0, 36);
    vmm_vgic_set_irq(&gic, 0, 36, true);
    assert_int_equal(port.injections, 0);
    wr(0, ICACTIVER + 4, 4, 1u << 4);
    assert_int_equal(port.injections, 1);
    /* While it sits in an LR it reads as active. */
    assert_int_equal(rd(0, ISACTIVER + 4, 4), 1u << 4);
}

static void v2_priority_bytes_any_width(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, IPRIORITYR + 32, 4, 0x44332211);
    assert_int_equal(rd(0, IPRIORITYR + 33, 1), 0x22);
    assert_int_equal(rd(0, IPRIORITYR + 34, 2), 0x4433);
    wr(0, IPRIORITYR + 35, 1, 0xf0);
    assert_int_equal(rd(0, IPRIORITYR + 32, 4), 0xf0332211);
    /* Misaligned halfword and 8-byte accesses are refused. */
    uint64_t v;
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, 0, IPRIORITYR + 33, 2, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, 0, IPRIORITYR + 32, 8, 0), -VMM_EINVAL);
}

static void v2_itargetsr_private_reads_own_cpu(void **state)
{
    (void)state;
    setup(4, 4);
    assert_int_equal(rd(0, ITARGETSR, 4), 0x01010101);
    assert_int_equal(rd(2, ITARGETSR + 28, 4), 0x04040404);
    assert_int_equal(rd(3, ITARGETSR + 31, 1), 0x08);
    wr(1, ITARGETSR + 4, 4, 0xffffffff); /* WI */
    assert_int_equal(rd(1, ITARGETSR + 4, 4), 0x02020202);
}

static void v2_itargetsr_routes_spis(void **state)
{
    (void)state;
    setup(2, 4);
    assert_int_equal(rd(0, ITARGETSR + 40, 1), 1); /* reset: vCPU 0 */
    wr(0, ITARGETSR + 40, 1, 0xf2);                /* bits beyond 2 CPUs dropped */
    assert_int_equal(rd(1, ITARGETSR + 40, 1), 0x02);
    wr(0, CTLR, 4, 1);
    enable(0, 40);
    vmm_vgic_set_irq(&gic, 0, 40, true);
    assert_int_equal(fake_find(&port, 0, 40), -1);
    assert_true(fake_find(&port, 1, 40) >= 0);
    /* No target at all: stays pending, never injected. */
    wr(0, ITARGETSR + 41, 1, 0);
    enable(0, 41);
    vmm_vgic_set_irq(&gic, 0, 41, true);
    assert_int_equal(port.injections, 1);
    assert_true(vmm_vgic_is_pending(&gic, 0, 41));
}

static void v2_icfgr_sgis_fixed_edge_spis_configurable(void **state)
{
    (void)state;
    setup(1, 4);
    assert_int_equal(rd(0, ICFGR, 4), 0xaaaaaaaa);
    wr(0, ICFGR, 4, 0);
    assert_int_equal(rd(0, ICFGR, 4), 0xaaaaaaaa);
    assert_int_equal(rd(0, ICFGR + 8, 4), 0); /* SPIs reset to level */
    wr(0, ICFGR + 8, 4, 0xffffffff);          /* bit 0 of each pair is RAZ/WI */
    assert_int_equal(rd(0, ICFGR + 8, 4), 0xaaaaaaaa);
}

static void v2_level_stays_pending_while_asserted(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, CTLR, 4, 1);
    enable(0, 50);
    vmm_vgic_set_irq(&gic, 0, 50, true);
    assert_int_equal(port.injections, 1);
    /* EOI while the line is still high: injected again. */
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 50), 0);
    assert_int_equal(port.injections, 2);
    assert_int_equal(port.last_eoi_intid, 50);
    /* Lowered, then EOI: gone. */
    vmm_vgic_set_irq(&gic, 0, 50, false);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 50), 0);
    assert_int_equal(port.injections, 2);
    assert_false(vmm_vgic_is_pending(&gic, 0, 50));
    /* A level pulse while disabled leaves nothing pending. */
    wr(0, ICENABLER + 4, 4, 1u << 19);
    vmm_vgic_set_irq(&gic, 0, 51, true);
    assert_true(vmm_vgic_is_pending(&gic, 0, 51));
    vmm_vgic_set_irq(&gic, 0, 51, false);
    assert_false(vmm_vgic_is_pending(&gic, 0, 51));
}

static void v2_edge_pending_cleared_on_acknowledge(void **state)
{
    (void)state;
    setup(1, 4);
    wr(0, ICFGR + 12, 4, 2u << 4); /* INTID 50 edge */
    wr(0, CTLR, 4, 1);
    enable(0, 50);
    vmm_vgic_set_irq(&gic, 0, 50, true);
    assert_int_equal(port.injections, 1);
    assert_false(vmm_vgic_is_pending(&gic, 0, 50));
    /* Line still high at EOI, but no new edge: not injected again. */
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 50), 0);
    assert_int_equal(port.injections, 1);
    /* An edge while in the LR is delivered after the EOI. */
    vmm_vgic_set_irq(&gic, 0, 50, false);
    vmm_vgic_set_irq(&gic, 0, 50, true);
    assert_int_equal(port.injections, 2);
    vmm_vgic_set_irq(&gic, 0, 50, false);
    vmm_vgic_set_irq(&gic, 0, 50, true);
    assert_int_equal(port.injections, 2);
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 50), 0);
    assert_int_equal(port.injections, 3);
}

static void v2_sgir_target_list_and_filters(void **state)
{
    (void)state;
    setup(4, 4);
    wr(0, CTLR, 4, 1);
    for (unsigned c = 0; c < 4; c++)
        wr(c, ISENABLER, 4, 0xffff);
    /* List: vCPUs 1 and 3 get SGI 5. */
    wr(0, SGIR, 4, (0u << 24) | (0x0au << 16) | 5);
    assert_int_equal(fake_find(&port, 0, 5), -1);
    assert_true(fake_find(&port, 1, 5) >= 0);
    assert_int_equal(fake_find(&port, 2, 5), -1);
    assert_true(fake_find(&port, 3, 5) >= 0);
    /* All but self (vCPU 2). */
    wr(2, SGIR, 4, (1u << 24) | 7);
    assert_true(fake_find(&port, 0, 7) >= 0);
    assert_true(fake_find(&port, 1, 7) >= 0);
    assert_int_equal(fake_find(&port, 2, 7), -1);
    assert_true(fake_find(&port, 3, 7) >= 0);
    /* Self only. */
    wr(2, SGIR, 4, (2u << 24) | (0xffu << 16) | 9);
    assert_true(fake_find(&port, 2, 9) >= 0);
    assert_int_equal(fake_find(&port, 0, 9), -1);
    /* Reserved filter: nothing. */
    unsigned before = port.injections;
    wr(0, SGIR, 4, (3u << 24) | (0xffu << 16) | 1);
    assert_int_equal(port.injections, before);
    /* SGIR is write-only. */
    assert_int_equal(rd(0, SGIR, 4), 0);
}

static void v2_sgi_sources_are_tracked_and_cleared(void **state)
{
    (void)state;
    setup(4, 4);
    /* Distributor off: SGIs stay pending and visible. */
    wr(1, SGIR, 4, (0x01u << 16) | 3);
    wr(2, SGIR, 4, (0x01u << 16) | 3);
    assert_int_equal(rd(0, SPENDSGIR, 4), (0x06u << 24));
    assert_int_equal(rd(0, CPENDSGIR + 3, 1), 0x06);
    wr(0, CPENDSGIR + 3, 1, 0x02);
    assert_int_equal(rd(0, SPENDSGIR + 3, 1), 0x04);
    wr(0, SPENDSGIR + 4, 1, 0x09); /* SGI 4 from vCPUs 0 and 3 */
    assert_int_equal(rd(0, SPENDSGIR + 4, 1), 0x09);
    assert_int_equal(rd(1, SPENDSGIR + 4, 1), 0);
    /* Each source is delivered once. */
    wr(0, ISENABLER, 4, 0xffff);
    wr(0, CTLR, 4, 1);
    assert_int_equal(port.injections, 2); /* SGI 3 (src 2), SGI 4 (src 0) */
    assert_int_equal(fake_guest_eoi(&gic, &port, 0, 4), 0);
    assert_int_equal(port.injections, 3); /* SGI 4 again, from vCPU 3 */
    assert_int_equal(rd(0, SPENDSGIR + 4, 1), 0);
}

static void v2_overflow_queues_in_priority_order(void **state)
{
    static const unsigned ids[] = {40, 41, 42, 43, 44, 45};
    static const uint8_t prio[] = {0xa0, 0x20, 0x80, 0x20, 0x00, 0xf0};
    (void)state;
    setup(1, 2);
    for (unsigned i = 0; i < 6; i++) {
        wr(0, IPRIORITYR + ids[i], 1, prio[i]);
        enable(0, ids[i]);
        vmm_vgic_set_irq(&gic, 0, ids[i], true);
    }
    wr(0, CTLR, 4, 1);
    assert_int_equal(port.injections, 2);
    assert_int_equal(fake_used(&port, 0), 2);
    assert_int_equal(port.order[0], 44); /* priority 0x00 */
    assert_int_equal(port.order[1], 41); /* 0x20, lower INTID first */
    /* Lower every line so EOIs do not re-inject; the rest follow in order. */
    for (unsigned i = 0; i < 6; i++)
        vmm_vgic_set_irq(&gic, 0, ids[i], false);
    for (unsigned i = 0; i < 6; i++)
        vmm_vgic_set_irq(&gic, 0, ids[i], true);
    static const unsigned expect[] = {43, 42, 40, 45};
    for (unsigned i = 0; i < 4; i++) {
        unsigned eoi_id = port.order[port.injections - 1];
        vmm_vgic_set_irq(&gic, 0, eoi_id, false);
        assert_int_equal(fake_guest_eoi(&gic, &port, 0, eoi_id), 0);
        assert_int_equal(port.order[port.injections - 1], expect[i]);
    }
}

static void v2_spurious_maintenance_is_reported(void **state)
{
    (void)state;
    setup(1, 4);
    assert_int_equal(vmm_vgic_lr_eoi(&gic, 0, 1), -VMM_ENOENT);
    assert_int_equal(vmm_vgic_lr_eoi(&gic, 0, 4), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_lr_eoi(&gic, 1, 0), -VMM_EINVAL);
}

static void v2_failed_injection_keeps_interrupt_pending(void **state)
{
    (void)state;
    setup(1, 4);
    port.fail = -VMM_EIO;
    wr(0, CTLR, 4, 1);
    enable(0, 40);
    vmm_vgic_set_irq(&gic, 0, 40, true);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 0), -1);
    port.fail = 0;
    assert_int_equal(vmm_vgic_flush(&gic, 0), 1);
    assert_int_equal(vmm_vgic_lr_intid(&gic, 0, 0), 40);
}

static void v2_bad_accesses_fail_or_read_zero(void **state)
{
    uint64_t v = 1;
    (void)state;
    setup(2, 4);
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, 0, CTLR, 2, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, 0, ISENABLER + 1, 4, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, 0, ICFGR, 1, 0), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, 0, 0x1000, 4, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_read(&gic, 2, CTLR, 4, &v), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_v2_dist_write(&gic, 0, SGIR, 2, 0), -VMM_EINVAL);
    /* Reserved offsets: RAZ/WI. */
    wr(0, 0x00c, 4, ~0u);
    assert_int_equal(rd(0, 0x00c, 4), 0);
    assert_int_equal(rd(0, 0xd00, 4), 0);
    /* Out-of-range vCPU or INTID for line changes. */
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 96, true), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_set_irq(&gic, 0, 3, true), -VMM_EINVAL);
    assert_int_equal(vmm_vgic_set_irq(&gic, 2, 27, true), -VMM_EINVAL);
    /* A sweep of every offset and width never crashes. */
    for (uint64_t off = 0; off < VMM_VGIC_V2_DIST_SIZE; off++)
        for (unsigned size = 1; size <= 8; size *= 2) {
            vmm_vgic_v2_dist_read(&gic, 1, off, size, &v);
            vmm_vgic_v2_dist_write(&gic, 1, off, size, 0xffffffffffffffffull);
        }
}

static void v2_bus_passes_accessing_vcpu(void **state)
{
    struct vmm_mmio_bus bus;
    struct vmm_access acc = {.addr = 0x8000800, .size = 4, .write = false, .vcpu = 1};
    (void)state;
    setup(2, 4);
    vmm_mmio_bus_init(&bus);
    assert_int_equal(vmm_mmio_register_vcpu(&bus, 0x8000000, VMM_VGIC_V2_DIST_SIZE,
                                            &vmm_vgic_v2_dist_mmio_ops, &vmm_vgic_v2_dist_vcpu_ops,
                                            &gic, "gicd"),
                     0);
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(acc.value, 0x02020202);
    acc = (struct vmm_access){.addr = 0x8000100, .size = 4, .write = true, .value = 1, .vcpu = 1};
    assert_int_equal(vmm_mmio_dispatch(&bus, &acc), 0);
    assert_int_equal(rd(1, ISENABLER, 4), 1);
    assert_int_equal(rd(0, ISENABLER, 4), 0);
    /* Plain ops act as vCPU 0. */
    uint64_t v;
    assert_int_equal(vmm_vgic_v2_dist_mmio_ops.read(&gic, ITARGETSR, 1, &v), 0);
    assert_int_equal(v, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v2_id_registers_describe_the_gic),
        cmocka_unit_test(v2_rejects_bad_configuration),
        cmocka_unit_test(v2_disabled_distributor_injects_nothing),
        cmocka_unit_test(v2_group1_needs_its_enable_bit),
        cmocka_unit_test(v2_enable_and_disable_read_back),
        cmocka_unit_test(v2_private_banks_are_per_vcpu),
        cmocka_unit_test(v2_pending_set_and_clear),
        cmocka_unit_test(v2_active_blocks_injection_until_cleared),
        cmocka_unit_test(v2_priority_bytes_any_width),
        cmocka_unit_test(v2_itargetsr_private_reads_own_cpu),
        cmocka_unit_test(v2_itargetsr_routes_spis),
        cmocka_unit_test(v2_icfgr_sgis_fixed_edge_spis_configurable),
        cmocka_unit_test(v2_level_stays_pending_while_asserted),
        cmocka_unit_test(v2_edge_pending_cleared_on_acknowledge),
        cmocka_unit_test(v2_sgir_target_list_and_filters),
        cmocka_unit_test(v2_sgi_sources_are_tracked_and_cleared),
        cmocka_unit_test(v2_overflow_queues_in_priority_order),
        cmocka_unit_test(v2_spurious_maintenance_is_reported),
        cmocka_unit_test(v2_failed_injection_keeps_interrupt_pending),
        cmocka_unit_test(v2_bad_accesses_fail_or_read_zero),
        cmocka_unit_test(v2_bus_passes_accessing_vcpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
