/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtio-mmio transport: register semantics, feature negotiation, queue
 * setup, reset, interrupts, and DEVICE_NEEDS_RESET on every hostile ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/virtio.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define RAM_END (RAM_BASE + RAM_SIZE)
#define BASE 0x0a000000ull
#define IRQ 5
#define QNUM 16
#define MOCK_ID 42
#define MOCK_FEATURE 3
#define ALL_FEATURES                                                                               \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |                             \
     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_BIT(MOCK_FEATURE))

/* A device that completes every chain it is given. */
struct mock {
    struct virtio_mmio vdev;
    struct virtq_chain chain;
    uint8_t config[8];
    unsigned config_writes, resets, driver_oks, processed;
};

static int mock_notify(struct virtio_mmio *vdev, unsigned q)
{
    struct mock *m = vdev->priv;
    struct virtq *vq = vmm_virtio_mmio_queue(vdev, q);
    int ret;

    assert_non_null(vq);
    while ((ret = vmm_virtq_pop(vq, &m->chain)) == 1) {
        assert_int_equal(vmm_virtq_push_used(vq, m->chain.head, m->chain.writable_len), 0);
        m->processed++;
    }
    vmm_virtio_mmio_notify_used(vdev, q);
    return ret;
}

static void mock_config_read(struct virtio_mmio *vdev, uint32_t off, uint8_t *buf, unsigned len)
{
    struct mock *m = vdev->priv;
    memcpy(buf, m->config + off, len);
}

static void mock_config_write(struct virtio_mmio *vdev, uint32_t off, const uint8_t *buf,
                              unsigned len)
{
    struct mock *m = vdev->priv;
    memcpy(m->config + off, buf, len);
    m->config_writes++;
}

static void mock_reset(struct virtio_mmio *vdev)
{
    ((struct mock *)vdev->priv)->resets++;
}

static void mock_driver_ok(struct virtio_mmio *vdev)
{
    ((struct mock *)vdev->priv)->driver_oks++;
}

static const struct virtio_dev_ops mock_ops = {
    .device_id = MOCK_ID,
    .features = VIRTIO_BIT(MOCK_FEATURE),
    .nr_queues = 2,
    .queue_num_max = QNUM,
    .config_size = 8,
    .config_read = mock_config_read,
    .config_write = mock_config_write,
    .queue_notify = mock_notify,
    .reset = mock_reset,
    .driver_ok = mock_driver_ok,
};

struct fx {
    struct test_guest g;
    struct mock m;
    struct test_vq q[2];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    assert_int_equal(
        vmm_virtio_mmio_init(&f->m.vdev, &mock_ops, &f->m, &f->g.vm, "mock0", BASE, IRQ), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_mmio_device(&f->m.vdev)), 0);
    memcpy(f->m.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    test_log_capture();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vmm_log_set_sink(NULL, VMM_LOG_ERROR);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

static uint32_t rd(struct fx *f, uint32_t reg)
{
    return test_vmmio_read(&f->g, BASE, reg);
}

static void wr(struct fx *f, uint32_t reg, uint32_t val)
{
    test_vmmio_write(&f->g, BASE, reg, val);
}

static void bringup(struct fx *f, uint64_t features)
{
    test_vmmio_bringup(&f->g, BASE, features, f->q, 2, QNUM);
}

/* Add one small writable buffer on queue @q and kick it. */
static void add_and_kick(struct fx *f, unsigned q)
{
    struct test_buf b = {test_guest_alloc(&f->g, 8, 8), 8, true};

    test_vq_add(&f->q[q], &b, 1);
    test_vmmio_kick(&f->g, BASE, q);
}

/* ---------------------------------------------------------------- registers */

static void mmio_identifies_as_modern_virtio(void **state)
{
    struct fx *f = *state;

    assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
    assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), MOCK_ID);
    assert_int_equal(rd(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    assert_string_equal(f->m.vdev.dev.node_name, "virtio_mmio");
    assert_string_equal(f->m.vdev.dev.compatible, "virtio,mmio");
    assert_int_equal(f->m.vdev.dev.size, 0x200);
    assert_int_equal(f->m.vdev.dev.irq, IRQ);
}

static void mmio_offers_transport_and_device_features(void **state)
{
    struct fx *f = *state;

    wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)ALL_FEATURES);
    wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
    wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void mmio_refuses_features_ok_without_version_1(void **state)
{
    struct fx *f = *state;
    uint32_t status = test_vmmio_negotiate(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));

    assert_false(status & VIRTIO_STATUS_FEATURES_OK);
    assert_true(status & VIRTIO_STATUS_DRIVER);
    test_vmmio_driver_ok(&f->g, BASE); /* DRIVER_OK needs FEATURES_OK */
    assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->m.driver_oks, 0);
}

static void mmio_refuses_features_not_offered(void **state)
{
    struct fx *f = *state;
    uint64_t bad = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(5);

    assert_false(test_vmmio_negotiate(&f->g, BASE, bad) & VIRTIO_STATUS_FEATURES_OK);
    assert_false(test_vmmio_negotiate(&f->g, BASE, bad | VIRTIO_BIT(40)) &
                 VIRTIO_STATUS_FEATURES_OK);
}

static void mmio_accepts_offered_features(void **state)
{
    struct fx *f = *state;
    uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(MOCK_FEATURE);

    assert_true(test_vmmio_negotiate(&f->g, BASE, want) & VIRTIO_STATUS_FEATURES_OK);
    assert_true(vmm_virtio_mmio_has_feature(&f->m.vdev, MOCK_FEATURE));
    assert_false(vmm_virtio_mmio_has_feature(&f->m.vdev, VIRTIO_F_EVENT_IDX));
    /* features are frozen once accepted */
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)ALL_FEATURES);
    assert_false(vmm_virtio_mmio_has_feature(&f->m.vdev, VIRTIO_F_EVENT_IDX));
}

static void mmio_sets_up_queues(void **state)
{
    struct fx *f = *state;
    struct virtq *vq = &f->m.vdev.vqs[1];

    test_vmmio_negotiate(&f->g, BASE, ALL_FEATURES);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), QNUM);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);

    test_vq_layout(&f->q[1], &f->g, 8);
    test_vmmio_setup_queue(&f->g, BASE, 1, &f->q[1]);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
    assert_int_equal(vq->num, 8);
    assert_int_equal(vq->desc_gpa, f->q[1].desc);
    assert_int_equal(vq->avail_gpa, f->q[1].avail);
    assert_int_equal(vq->used_gpa, f->q[1].used);
    assert_true(vq->event_idx && vq->indirect);
    wr(f, VIRTIO_MMIO_QUEUE_READY, 0);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void mmio_ignores_queue_writes_while_ready(void **state)
{
    struct fx *f = *state;
    struct virtq *vq = &f->m.vdev.vqs[0];

    bringup(f, ALL_FEATURES);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
    wr(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 1);
    wr(f, VIRTIO_MMIO_QUEUE_NUM, 4);
    assert_int_equal(vq->desc_gpa, f->q[0].desc);
    assert_int_equal(vq->used_gpa, f->q[0].used);
    assert_int_equal(vq->num, QNUM);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1); /* logged once */
}

static void mmio_refuses_queue_before_features_ok(void **state)
{
    struct fx *f = *state;

    test_vq_layout(&f->q[0], &f->g, QNUM);
    test_vmmio_setup_queue(&f->g, BASE, 0, &f->q[0]);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void mmio_bad_queue_size_needs_reset(void **state)
{
    struct fx *f = *state;

    test_vmmio_negotiate(&f->g, BASE, ALL_FEATURES);
    test_vq_layout(&f->q[0], &f->g, 12); /* not a power of two */
    test_vmmio_setup_queue(&f->g, BASE, 0, &f->q[0]);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void mmio_ring_outside_ram_needs_reset(void **state)
{
    struct fx *f = *state;

    test_vmmio_negotiate(&f->g, BASE, ALL_FEATURES);
    test_vq_layout(&f->q[0], &f->g, QNUM);
    f->q[0].used = BASE; /* the device's own registers */
    test_vmmio_setup_queue(&f->g, BASE, 0, &f->q[0]);
    assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
    assert_true(test_guest_irq(&f->g, IRQ));
}

static void mmio_reset_clears_everything(void **state)
{
    struct fx *f = *state;
    unsigned resets;

    bringup(f, ALL_FEATURES);
    add_and_kick(f, 0);
    assert_true(test_guest_irq(&f->g, IRQ));
    resets = f->m.resets;
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(f, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->m.vdev.queue_sel, 0);
    assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(test_guest_irq(&f->g, IRQ));
    assert_false(vmm_virtio_mmio_has_feature(&f->m.vdev, VIRTIO_F_VERSION_1));
    assert_int_equal(f->m.vdev.driver_features, 0);
    for (unsigned q = 0; q < 2; q++) {
        wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
        assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(f->m.vdev.vqs[q].num, 0);
        assert_int_equal(f->m.vdev.vqs[q].desc_gpa, 0);
    }
    assert_int_equal(f->m.resets, resets + 1);
    /* and the device works again from scratch */
    bringup(f, ALL_FEATURES);
    add_and_kick(f, 1);
    assert_int_equal(test_vq_used_idx(&f->q[1]), 1);
}

static void mmio_read_only_registers_ignore_writes(void **state)
{
    struct fx *f = *state;
    const uint32_t ro[] = {VIRTIO_MMIO_MAGIC_VALUE,      VIRTIO_MMIO_VERSION,
                           VIRTIO_MMIO_DEVICE_ID,        VIRTIO_MMIO_VENDOR_ID,
                           VIRTIO_MMIO_DEVICE_FEATURES,  VIRTIO_MMIO_QUEUE_NUM_MAX,
                           VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_CONFIG_GENERATION};
    uint32_t before[sizeof(ro) / sizeof(ro[0])];

    bringup(f, ALL_FEATURES);
    add_and_kick(f, 0); /* InterruptStatus non-zero */
    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
        before[i] = rd(f, ro[i]);
    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
        wr(f, ro[i], 0xdeadbeef);
    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
        assert_int_equal(rd(f, ro[i]), before[i]);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
}

static void mmio_ignores_bad_register_widths(void **state)
{
    struct fx *f = *state;

    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_VERSION + 1, 1), 0);
    test_mmio_write(&f->g, BASE + VIRTIO_MMIO_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    test_mmio_write(&f->g, BASE + VIRTIO_MMIO_STATUS, 8, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x0f0, 4), 0); /* reserved */
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
}

static void mmio_config_space_takes_any_width(void **state)
{
    struct fx *f = *state;

    assert_int_equal(test_mmio_read(&f->g, BASE + 0x100, 1), 0x01);
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x102, 2), 0x0403);
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x104, 4), 0x08070605);
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x100, 8), 0x0807060504030201ull);
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x106, 4), 0); /* past config_size */
    assert_int_equal(test_mmio_read(&f->g, BASE + 0x1fc, 4), 0);
    test_mmio_write(&f->g, BASE + 0x101, 2, 0xbbaa);
    assert_int_equal(f->m.config[1], 0xaa);
    assert_int_equal(f->m.config[2], 0xbb);
    test_mmio_write(&f->g, BASE + 0x107, 2, 0xffff); /* straddles the end: ignored */
    assert_int_equal(f->m.config_writes, 1);
}

static void mmio_used_buffer_raises_interrupt_until_acked(void **state)
{
    struct fx *f = *state;

    bringup(f, ALL_FEATURES);
    assert_false(test_guest_irq(&f->g, IRQ));
    add_and_kick(f, 0);
    assert_int_equal(f->m.processed, 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    assert_true(test_guest_irq(&f->g, IRQ));
    wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(test_guest_irq(&f->g, IRQ));
}

static void mmio_used_event_suppresses_interrupt(void **state)
{
    struct fx *f = *state;

    bringup(f, ALL_FEATURES);
    test_vq_set_used_event(&f->q[0], 5);
    add_and_kick(f, 0);
    assert_int_equal(f->m.processed, 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(test_guest_irq(&f->g, IRQ));
}

static void mmio_config_change_bumps_generation(void **state)
{
    struct fx *f = *state;
    uint32_t gen = rd(f, VIRTIO_MMIO_CONFIG_GENERATION);

    vmm_virtio_mmio_config_changed(&f->m.vdev);
    assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
    assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    assert_true(test_guest_irq(&f->g, IRQ));
}

static void mmio_processes_queues_only_after_driver_ok(void **state)
{
    struct fx *f = *state;
    struct test_buf b = {test_guest_alloc(&f->g, 8, 8), 8, true};

    test_vmmio_negotiate(&f->g, BASE, ALL_FEATURES);
    test_vq_layout(&f->q[0], &f->g, QNUM);
    test_vmmio_setup_queue(&f->g, BASE, 0, &f->q[0]);
    test_vq_add(&f->q[0], &b, 1);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(f->m.processed, 0);
    test_vmmio_kick(&f->g, BASE, 7); /* no such queue: ignored */
    test_vmmio_driver_ok(&f->g, BASE);
    assert_int_equal(f->m.driver_oks, 1);
    assert_int_equal(f->m.processed, 1); /* picked up at DRIVER_OK */
}

static void mmio_status_bits_cannot_be_cleared_without_reset(void **state)
{
    struct fx *f = *state;

    bringup(f, ALL_FEATURES);
    wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
    wr(f, VIRTIO_MMIO_STATUS, rd(f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void mmio_reports_no_shared_memory(void **state)
{
    struct fx *f = *state;

    wr(f, VIRTIO_MMIO_SHM_SEL, 0);
    assert_int_equal(rd(f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
    assert_int_equal(rd(f, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
}

static void mmio_init_rejects_bad_ops(void **state)
{
    struct fx *f = *state;
    struct virtio_mmio v;
    struct virtio_dev_ops ops = mock_ops;

    ops.nr_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
    assert_int_equal(vmm_virtio_mmio_init(&v, &ops, NULL, &f->g.vm, "x", BASE, IRQ), -VMM_EINVAL);
    ops = mock_ops;
    ops.queue_num_max = VIRTQ_MAX_SIZE + 1;
    assert_int_equal(vmm_virtio_mmio_init(&v, &ops, NULL, &f->g.vm, "x", BASE, IRQ), -VMM_EINVAL);
    ops = mock_ops;
    ops.config_size = 0x101;
    assert_int_equal(vmm_virtio_mmio_init(&v, &ops, NULL, &f->g.vm, "x", BASE, IRQ), -VMM_EINVAL);
}

/* ---------------------------------------------------------------- hostile rings */

/*
 * Bring the device up with @features, let @make break queue 0, kick it, and
 * check the outcome every violation must have: DEVICE_NEEDS_RESET, a
 * configuration interrupt, one warning, no more processing on any queue
 * until reset, and a working device after the driver resets it.
 */
static void expect_needs_reset(struct fx *f, uint64_t features, void (*make)(struct fx *f))
{
    uint16_t used1;

    bringup(f, features);
    test_log_capture();
    make(f);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
    assert_true(test_guest_irq(&f->g, IRQ));
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
    assert_int_equal(f->m.processed, 0);

    used1 = test_vq_used_idx(&f->q[1]);
    add_and_kick(f, 1); /* the other queue is frozen too */
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(test_vq_used_idx(&f->q[1]), used1);
    assert_int_equal(f->m.processed, 0);
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);

    wr(f, VIRTIO_MMIO_STATUS, 0);
    assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_false(test_guest_irq(&f->g, IRQ));
    bringup(f, ALL_FEATURES);
    add_and_kick(f, 0);
    assert_int_equal(f->m.processed, 1);
}

static uint64_t buf8(struct fx *f)
{
    return test_guest_alloc(&f->g, 8, 8);
}

static void make_cycle(struct fx *f)
{
    uint64_t b = buf8(f);
    test_vq_set_desc(&f->q[0], 0, b, 8, VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q[0], 1, b, 8, VIRTQ_DESC_F_NEXT, 0);
    test_vq_publish(&f->q[0], 0);
}

static void make_head_out_of_range(struct fx *f)
{
    test_vq_publish(&f->q[0], QNUM);
}

static void make_next_out_of_range(struct fx *f)
{
    test_vq_set_desc(&f->q[0], 0, buf8(f), 8, VIRTQ_DESC_F_NEXT, 0xffff);
    test_vq_publish(&f->q[0], 0);
}

static void make_chain_longer_than_queue(struct fx *f)
{
    uint64_t b = buf8(f);
    for (uint16_t i = 0; i < QNUM; i++)
        test_vq_set_desc(&f->q[0], i, b, 8, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QNUM));
    test_vq_publish(&f->q[0], 3);
}

static void make_buffer_straddling_ram_end(struct fx *f)
{
    struct test_buf b = {RAM_END - 4, 8, true};
    test_vq_add(&f->q[0], &b, 1);
}

static void make_buffer_at_mmio_address(struct fx *f)
{
    struct test_buf b = {BASE + VIRTIO_MMIO_STATUS, 4, true};
    test_vq_add(&f->q[0], &b, 1);
}

static void make_readable_after_writable(struct fx *f)
{
    struct test_buf b[2] = {{buf8(f), 8, true}, {buf8(f), 8, false}};
    test_vq_add(&f->q[0], b, 2);
}

static void make_indirect(struct fx *f)
{
    struct test_buf b = {buf8(f), 8, true};
    test_vq_add_indirect(&f->q[0], &b, 1);
}

static void make_nested_indirect(struct fx *f)
{
    struct test_buf b = {buf8(f), 8, true};
    uint64_t inner = test_vq_make_table(&f->q[0], &b, 1);
    struct test_buf outer = {inner, 16, false};
    uint64_t table = test_vq_make_table(&f->q[0], &outer, 1);
    uint16_t flags = VIRTQ_DESC_F_INDIRECT;

    test_guest_write(&f->g, table + 12, &flags, 2);
    test_vq_set_desc(&f->q[0], 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q[0], 0);
}

static void make_indirect_bad_length(struct fx *f)
{
    struct test_buf b = {buf8(f), 8, true};
    uint64_t table = test_vq_make_table(&f->q[0], &b, 1);

    test_vq_set_desc(&f->q[0], 0, table, 17, VIRTQ_DESC_F_INDIRECT, 0);
    test_vq_publish(&f->q[0], 0);
}

static void make_avail_idx_jump(struct fx *f)
{
    test_vq_set_avail_idx(&f->q[0], 0x8000);
}

static void make_length_overflow(struct fx *f)
{
    const uint64_t big = 0x100000000ull;

    test_guest_add_sparse_ram(&f->g, big, 0xffffffffull);
    test_vq_set_desc(&f->q[0], 0, big, 0xffffffffu, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    test_vq_set_desc(&f->q[0], 1, big, 2, VIRTQ_DESC_F_WRITE, 0);
    test_vq_publish(&f->q[0], 0);
}

#define HOSTILE(name, features, make)                                                              \
    static void name(void **state)                                                                 \
    {                                                                                              \
        expect_needs_reset(*state, features, make);                                                \
    }

HOSTILE(mmio_descriptor_cycle_needs_reset, ALL_FEATURES, make_cycle)
HOSTILE(mmio_head_out_of_range_needs_reset, ALL_FEATURES, make_head_out_of_range)
HOSTILE(mmio_next_out_of_range_needs_reset, ALL_FEATURES, make_next_out_of_range)
HOSTILE(mmio_chain_longer_than_queue_needs_reset, ALL_FEATURES, make_chain_longer_than_queue)
HOSTILE(mmio_buffer_straddling_ram_end_needs_reset, ALL_FEATURES, make_buffer_straddling_ram_end)
HOSTILE(mmio_buffer_at_mmio_address_needs_reset, ALL_FEATURES, make_buffer_at_mmio_address)
HOSTILE(mmio_readable_after_writable_needs_reset, ALL_FEATURES, make_readable_after_writable)
HOSTILE(mmio_indirect_not_negotiated_needs_reset,
        ALL_FEATURES & ~VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC), make_indirect)
HOSTILE(mmio_nested_indirect_needs_reset, ALL_FEATURES, make_nested_indirect)
HOSTILE(mmio_indirect_bad_length_needs_reset, ALL_FEATURES, make_indirect_bad_length)
HOSTILE(mmio_avail_idx_jump_needs_reset, ALL_FEATURES, make_avail_idx_jump)
HOSTILE(mmio_length_overflow_needs_reset, ALL_FEATURES, make_length_overflow)

/* A violation is logged once per device, even across resets. */
static void mmio_logs_violations_once_per_device(void **state)
{
    struct fx *f = *state;

    for (unsigned i = 0; i < 3; i++) {
        bringup(f, ALL_FEATURES);
        make_head_out_of_range(f);
        test_vmmio_kick(&f->g, BASE, 0);
        assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    }
    assert_int_equal(test_log_count(VMM_LOG_WARN), 1);
    assert_non_null(strstr(test_log_last(), "head index out of range"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(mmio_identifies_as_modern_virtio),
        T(mmio_offers_transport_and_device_features),
        T(mmio_refuses_features_ok_without_version_1),
        T(mmio_refuses_features_not_offered),
        T(mmio_accepts_offered_features),
        T(mmio_sets_up_queues),
        T(mmio_ignores_queue_writes_while_ready),
        T(mmio_refuses_queue_before_features_ok),
        T(mmio_bad_queue_size_needs_reset),
        T(mmio_ring_outside_ram_needs_reset),
        T(mmio_reset_clears_everything),
        T(mmio_read_only_registers_ignore_writes),
        T(mmio_ignores_bad_register_widths),
        T(mmio_config_space_takes_any_width),
        T(mmio_used_buffer_raises_interrupt_until_acked),
        T(mmio_used_event_suppresses_interrupt),
        T(mmio_config_change_bumps_generation),
        T(mmio_processes_queues_only_after_driver_ok),
        T(mmio_status_bits_cannot_be_cleared_without_reset),
        T(mmio_reports_no_shared_memory),
        T(mmio_init_rejects_bad_ops),
        T(mmio_descriptor_cycle_needs_reset),
        T(mmio_head_out_of_range_needs_reset),
        T(mmio_next_out_of_range_needs_reset),
        T(mmio_chain_longer_than_queue_needs_reset),
        T(mmio_buffer_straddling_ram_end_needs_reset),
        T(mmio_buffer_at_mmio_address_needs_reset),
        T(mmio_readable_after_writable_needs_reset),
        T(mmio_indirect_not_negotiated_needs_reset),
        T(mmio_nested_indirect_needs_reset),
        T(mmio_indirect_bad_length_needs_reset),
        T(mmio_avail_idx_jump_needs_reset),
        T(mmio_length_overflow_needs_reset),
        T(mmio_logs_violations_once_per_device),
    };
    return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
