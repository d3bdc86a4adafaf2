/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/bytes.h"
#include "stdvmm/virtio.h"
#include "stdvmm/virtq.h"
#include "support/test_driver.h"

/* Little-endian stores and loads into guest RAM (virtio 1.x is LE). */
static void put16(struct test_guest *g, uint64_t gpa, uint16_t v)
{
    uint8_t b[2];

    vmm_put_le16(b, v);
    test_guest_write(g, gpa, b, sizeof(b));
}

static void put32(struct test_guest *g, uint64_t gpa, uint32_t v)
{
    uint8_t b[4];

    vmm_put_le32(b, v);
    test_guest_write(g, gpa, b, sizeof(b));
}

static uint16_t get16(struct test_guest *g, uint64_t gpa)
{
    uint8_t b[2];

    test_guest_read(g, gpa, b, sizeof(b));
    return vmm_get_le16(b);
}

static uint32_t get32(struct test_guest *g, uint64_t gpa)
{
    uint8_t b[4];

    test_guest_read(g, gpa, b, sizeof(b));
    return vmm_get_le32(b);
}

static void put_desc(struct test_guest *g, uint64_t gpa, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    put32(g, gpa, (uint32_t)addr);
    put32(g, gpa + 4, (uint32_t)(addr >> 32));
    put32(g, gpa + 8, len);
    put16(g, gpa + 12, flags);
    put16(g, gpa + 14, next);
}

void test_vq_layout(struct test_vq *q, struct test_guest *g, uint16_t num)
{
    memset(q, 0, sizeof(*q));
    q->g = g;
    q->num = num;
    q->desc = test_guest_alloc(g, (uint64_t)VIRTQ_DESC_SIZE * num, VIRTQ_DESC_ALIGN);
    q->avail = test_guest_alloc(g, VIRTQ_AVAIL_BYTES(num), VIRTQ_AVAIL_ALIGN);
    q->used = test_guest_alloc(g, VIRTQ_USED_BYTES(num), VIRTQ_USED_ALIGN);
}

void test_vq_set_desc(struct test_vq *q, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
                      uint16_t next)
{
    assert_true(idx < q->num);
    put_desc(q->g, q->desc + (uint64_t)VIRTQ_DESC_SIZE * idx, addr, len, flags, next);
}

void test_vq_publish(struct test_vq *q, uint16_t head)
{
    put16(q->g, q->avail + 4 + 2u * (q->avail_idx % q->num), head);
    q->avail_idx++;
    put16(q->g, q->avail + 2, q->avail_idx);
}

void test_vq_set_avail_idx(struct test_vq *q, uint16_t idx)
{
    q->avail_idx = idx;
    put16(q->g, q->avail + 2, idx);
}

uint16_t test_vq_add(struct test_vq *q, const struct test_buf *bufs, unsigned n)
{
    uint16_t head = q->next_desc;

    assert_true(n > 0 && n <= q->num);
    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % q->num);
        uint16_t next = (uint16_t)((idx + 1) % q->num);
        uint16_t flags =
            (bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

        test_vq_set_desc(q, idx, bufs[i].gpa, bufs[i].len, flags, i + 1 < n ? next : 0);
    }
    q->next_desc = (uint16_t)((head + n) % q->num);
    test_vq_publish(q, head);
    return head;
}

uint64_t test_vq_make_table(struct test_vq *q, const struct test_buf *bufs, unsigned n)
{
    uint64_t table = test_guest_alloc(q->g, (uint64_t)VIRTQ_DESC_SIZE * n, VIRTQ_DESC_ALIGN);

    for (unsigned i = 0; i < n; i++) {
        uint16_t flags =
            (bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

        put_desc(q->g, table + (uint64_t)VIRTQ_DESC_SIZE * i, bufs[i].gpa, bufs[i].len, flags,
                 (uint16_t)(i + 1 < n ? i + 1 : 0));
    }
    return table;
}

uint16_t test_vq_add_indirect(struct test_vq *q, const struct test_buf *bufs, unsigned n)
{
    uint64_t table = test_vq_make_table(q, bufs, n);
    uint16_t head = q->next_desc;

    test_vq_set_desc(q, head, table, VIRTQ_DESC_SIZE * n, VIRTQ_DESC_F_INDIRECT, 0);
    q->next_desc = (uint16_t)((head + 1) % q->num);
    test_vq_publish(q, head);
    return head;
}

bool test_vq_get_used(struct test_vq *q, uint32_t *id, uint32_t *len)
{
    uint64_t elem;

    if (test_vq_used_idx(q) == q->last_used)
        return false;
    elem = q->used + 4 + 8u * (q->last_used % q->num);
    *id = get32(q->g, elem);
    *len = get32(q->g, elem + 4);
    q->last_used++;
    return true;
}

uint16_t test_vq_used_idx(struct test_vq *q)
{
    return get16(q->g, q->used + 2);
}

uint16_t test_vq_used_flags(struct test_vq *q)
{
    return get16(q->g, q->used);
}

uint16_t test_vq_avail_event(struct test_vq *q)
{
    return get16(q->g, q->used + 4 + 8u * q->num);
}

void test_vq_set_avail_flags(struct test_vq *q, uint16_t flags)
{
    put16(q->g, q->avail, flags);
}

void test_vq_set_used_event(struct test_vq *q, uint16_t idx)
{
    put16(q->g, q->avail + 4 + 2u * q->num, idx);
}

uint32_t test_vmmio_read(struct test_guest *g, uint64_t base, uint32_t reg)
{
    return (uint32_t)test_mmio_read(g, base + reg, 4);
}

void test_vmmio_write(struct test_guest *g, uint64_t base, uint32_t reg, uint32_t value)
{
    test_mmio_write(g, base + reg, 4, value);
}

uint32_t test_vmmio_negotiate(struct test_guest *g, uint64_t base, uint64_t features)
{
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    test_vmmio_write(g, base, VIRTIO_MMIO_STATUS, 0);
    test_vmmio_write(g, base, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    test_vmmio_write(g, base, VIRTIO_MMIO_STATUS, status);
    for (uint32_t sel = 0; sel < 2; sel++) {
        test_vmmio_write(g, base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        test_vmmio_write(g, base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
    }
    test_vmmio_write(g, base, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_FEATURES_OK);
    return test_vmmio_read(g, base, VIRTIO_MMIO_STATUS);
}

void test_vmmio_setup_queue(struct test_guest *g, uint64_t base, unsigned qidx,
                            const struct test_vq *q)
{
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_SEL, qidx);
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_NUM, q->num);
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_READY, 1);
}

void test_vmmio_driver_ok(struct test_guest *g, uint64_t base)
{
    uint32_t status = test_vmmio_read(g, base, VIRTIO_MMIO_STATUS);

    test_vmmio_write(g, base, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
}

void test_vmmio_kick(struct test_guest *g, uint64_t base, unsigned qidx)
{
    test_vmmio_write(g, base, VIRTIO_MMIO_QUEUE_NOTIFY, qidx);
}

void test_vmmio_bringup(struct test_guest *g, uint64_t base, uint64_t features, struct test_vq *qs,
                        unsigned n, uint16_t num)
{
    uint32_t status = test_vmmio_negotiate(g, base, features);

    assert_true(status & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < n; i++) {
        test_vq_layout(&qs[i], g, num);
        test_vmmio_setup_queue(g, base, i, &qs[i]);
        assert_int_equal(test_vmmio_read(g, base, VIRTIO_MMIO_QUEUE_READY), 1);
    }
    test_vmmio_driver_ok(g, base);
    assert_true(test_vmmio_read(g, base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
}
