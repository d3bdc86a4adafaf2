/* SPDX-License-Identifier: BSD-2-Clause */
/* A virtio device served outside the VMM (vhost_dev.h), driven through
 * virtio-mmio against a recording backend. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/vhost_dev.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2ull << 20)
#define BASE 0x0a000200ull
#define LINE 17u
#define QNUM 16
#define TRANSPORT                                                                                  \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |                             \
     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define BLK_F_FLUSH 9
#define BLK_F_MQ 12

struct fx {
    struct test_guest g;
    struct vhost_dev d;
    struct vmm_vhost_backend be;
    struct test_vq q;
    int starts, stops, kicks, start_ret;
    uint64_t features;
    struct vmm_vhost_ring ring;
    bool ready;
};

static int rec_start(void *ctx, uint64_t features, const struct vmm_vhost_ring *r,
                     const bool *ready, unsigned nr)
{
    struct fx *f = ctx;

    assert_int_equal(nr, 1);
    f->starts++;
    f->features = features;
    f->ring = r[0];
    f->ready = ready[0];
    return f->start_ret;
}

static void rec_stop(void *ctx)
{
    ((struct fx *)ctx)->stops++;
}

static void rec_kick(void *ctx, unsigned q)
{
    assert_int_equal(q, 0);
    ((struct fx *)ctx)->kicks++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const struct vhost_dev_params p = {
        .device_id = VIRTIO_ID_BLOCK,
        .nr_queues = 1,
        .device_mask = 1ull << BLK_F_FLUSH,
    };

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->be = (struct vmm_vhost_backend){
        .features = TRANSPORT | (1ull << BLK_F_FLUSH) | (1ull << BLK_F_MQ) | (1ull << 30),
        .config_size = 8,
        .max_queues = 1,
        .start = rec_start,
        .stop = rec_stop,
        .kick = rec_kick,
        .ctx = f,
    };
    vmm_put_le64(f->be.config, 4096);
    assert_int_equal(vmm_vhost_dev_init(&f->d, &f->g.vm, "vub0", BASE, LINE, &f->be, &p), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_vhost_dev_device(&f->d)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    test_guest_free(&f->g);
    free(f);
    return 0;
}

static void offers_only_allowed_bits_and_the_backend_config(void **state)
{
    struct fx *f = *state;
    uint64_t feats;

    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    feats = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    feats |= (uint64_t)test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    /* FLUSH passes, MQ (masked) and the protocol-features bit 30 do not. */
    assert_true(feats == (TRANSPORT | (1ull << BLK_F_FLUSH)));
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG, 8), 4096);
    assert_true(vmm_vhost_dev_device(&f->d)->irq_edge);
}

static void driver_ok_starts_the_backend_with_the_rings(void **state)
{
    struct fx *f = *state;

    test_vmmio_bringup(&f->g, BASE, TRANSPORT | (1ull << BLK_F_FLUSH), &f->q, 1, QNUM);
    assert_int_equal(f->starts, 1);
    assert_true(f->features == (TRANSPORT | (1ull << BLK_F_FLUSH)));
    assert_int_equal(f->ring.num, QNUM);
    assert_true(f->ring.desc_gpa == f->q.desc && f->ring.avail_gpa == f->q.avail &&
                f->ring.used_gpa == f->q.used);
    assert_true(f->ready);
    assert_int_equal(f->kicks, 1); /* DRIVER_OK's catch-up kick */
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(f->kicks, 2);
    /* The backend interrupts through irqfd: InterruptStatus shows a used
     * buffer on every read while the device is live. */
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_STATUS) &
                         VIRTIO_MMIO_INT_VRING,
                     VIRTIO_MMIO_INT_VRING);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->stops, 1);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void backend_failure_needs_reset_and_interrupts(void **state)
{
    struct fx *f = *state;
    struct vmm_vhost_sink sink = vmm_vhost_dev_sink(&f->d);

    test_vmmio_bringup(&f->g, BASE, TRANSPORT, &f->q, 1, QNUM);
    assert_false(test_guest_irq(&f->g, LINE));
    sink.failed(sink.dev, -VMM_EPIPE);
    assert_true(vmm_vhost_dev_needs_reset(&f->d));
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) &
                VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_STATUS) &
                VIRTIO_MMIO_INT_CONFIG);
    assert_true(test_guest_irq(&f->g, LINE));
    /* Kicks no longer reach the backend; a reset stops it and clears it. */
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(f->kicks, 1);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->stops, 1);
    assert_false(vmm_vhost_dev_needs_reset(&f->d));
}

static void failed_start_needs_reset(void **state)
{
    struct fx *f = *state;

    f->start_ret = -VMM_EPIPE;
    test_vmmio_bringup(&f->g, BASE, TRANSPORT, &f->q, 1, QNUM);
    assert_int_equal(f->starts, 1);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) &
                VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(f->kicks, 0);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->stops, 0); /* never started */
}

static void backend_without_transport_features_is_refused(void **state)
{
    struct fx *f = *state;
    struct vhost_dev d2;
    struct vmm_vhost_backend be = f->be;
    const struct vhost_dev_params p = {.device_id = VIRTIO_ID_BLOCK, .nr_queues = 1};
    const struct vhost_dev_params p2 = {.device_id = VIRTIO_ID_FS, .nr_queues = 2};

    be.features &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    assert_int_equal(vmm_vhost_dev_init(&d2, &f->g.vm, "x", BASE + 0x200, LINE + 1, &be, &p),
                     -VMM_ENOTSUP);
    /* More queues than the backend serves. */
    assert_int_equal(vmm_vhost_dev_init(&d2, &f->g.vm, "x", BASE + 0x200, LINE + 1, &f->be, &p2),
                     -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(offers_only_allowed_bits_and_the_backend_config, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(driver_ok_starts_the_backend_with_the_rings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(backend_failure_needs_reset_and_interrupts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failed_start_needs_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(backend_without_transport_features_is_refused, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
