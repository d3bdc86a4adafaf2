/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net against a test driver and a fake backend: configuration,
 * transmit (header stripped, EAGAIN keeps the chain), receive into one or
 * merged buffers, no room, and malformed transmit chains; with a vnet_hdr
 * backend the offloads: negotiation, headers passed both ways, hostile
 * header fields, GSO frames over mergeable buffers, batched interrupts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_net.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull
#define BASE 0x0a000000ull
#define LINE 40
#define QNUM 16

static const uint8_t test_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

struct fx {
    struct test_guest g;
    struct virtio_net net;
    struct vmm_net_backend be;
    struct test_vq q[2];
    int tx_ret;          /* what the fake backend's tx returns */
    unsigned tx_calls;   /* times tx was called */
    unsigned tx_taken;   /* frames it accepted */
    uint8_t last[70000]; /* the last frame accepted */
    size_t last_len;
    unsigned rx_ready_calls;
    unsigned offload_calls; /* set_offloads calls, and the last value */
    unsigned offloads;
    unsigned tx_kicks; /* tx_kick calls (deferred transmit) */
};

static int fake_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    struct fx *f = ctx;
    size_t len = 0;

    f->tx_calls++;
    if (f->tx_ret < 0)
        return f->tx_ret;
    for (unsigned i = 0; i < nr_iov; i++) {
        assert_true(len + iov[i].len <= sizeof(f->last));
        memcpy(f->last + len, iov[i].base, iov[i].len);
        len += iov[i].len;
    }
    f->last_len = len;
    f->tx_taken++;
    return 0;
}

static void fake_rx_ready(void *ctx)
{
    ((struct fx *)ctx)->rx_ready_calls++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->be = (struct vmm_net_backend){.tx = fake_tx, .rx_ready = fake_rx_ready, .ctx = f};
    assert_int_equal(
        vmm_virtio_net_init(&f->net, &f->g.vm, "virtio-net0", BASE, LINE, test_mac, 1400, &f->be),
        0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)), 0);
    *state = f;
    return 0;
}

static int fake_set_offloads(void *ctx, unsigned offloads)
{
    struct fx *f = ctx;

    f->offload_calls++;
    f->offloads = offloads;
    return 0;
}

/* The same device over a backend that passes virtio_net_hdr through. */
static int setup_vnet(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->be = (struct vmm_net_backend){.tx = fake_tx,
                                     .rx_ready = fake_rx_ready,
                                     .ctx = f,
                                     .vnet_hdr = true,
                                     .set_offloads = fake_set_offloads};
    assert_int_equal(
        vmm_virtio_net_init(&f->net, &f->g.vm, "virtio-net0", BASE, LINE, test_mac, 1400, &f->be),
        0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)), 0);
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

static const uint64_t base_features =
    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS);

static void bringup(struct fx *f, uint64_t features)
{
    test_vmmio_bringup(&f->g, BASE, features, f->q, 2, QNUM);
}

/* A guest buffer of @len bytes filled with @src (may be NULL: zeroes). */
static uint64_t gbuf(struct fx *f, const void *src, uint32_t len)
{
    uint64_t gpa = test_guest_alloc(&f->g, len ? len : 1, 8);

    if (src != NULL)
        test_guest_write(&f->g, gpa, src, len);
    return gpa;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static bool needs_reset(struct fx *f)
{
    return test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

static void net_offers_mac_mtu_status_and_mergeable(void **state)
{
    struct fx *f = *state;
    uint32_t lo, hi;
    uint8_t cfg[12];

    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    lo = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    hi = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES);
    assert_true(lo & (1u << VIRTIO_NET_F_MAC));
    assert_true(lo & (1u << VIRTIO_NET_F_MTU));
    assert_true(lo & (1u << VIRTIO_NET_F_MRG_RXBUF));
    assert_true(lo & (1u << VIRTIO_NET_F_STATUS));
    assert_false(lo & (1u << VIRTIO_NET_F_CSUM));
    assert_true(hi & 1u); /* VERSION_1 */
    for (unsigned i = 0; i < sizeof(cfg); i++)
        cfg[i] = (uint8_t)test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG + i, 1);
    assert_memory_equal(cfg, test_mac, 6);
    assert_int_equal(vmm_get_le16(cfg + 6), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(vmm_get_le16(cfg + 10), 1400);
}

static void net_link_change_updates_status_and_interrupts(void **state)
{
    struct fx *f = *state;
    uint32_t gen = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_CONFIG_GENERATION);

    bringup(f, base_features);
    vmm_virtio_net_set_link(&f->net, false);
    assert_int_equal(test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG + 6, 2), 0);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_STATUS) &
                VIRTIO_MMIO_INT_CONFIG);
    assert_true(test_guest_irq(&f->g, LINE));
    assert_int_not_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_CONFIG_GENERATION), gen);
}

static void net_tx_strips_header_and_sends_exact_bytes(void **state)
{
    struct fx *f = *state;
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0}, frame[300];
    uint32_t id, len;

    bringup(f, base_features);
    fill_pattern(frame, sizeof(frame), 3);
    /* Header and the first 20 frame bytes in one buffer, the rest in another. */
    uint8_t first[VIRTIO_NET_HDR_LEN + 20];
    memcpy(first, hdr, sizeof(hdr));
    memcpy(first + sizeof(hdr), frame, 20);
    struct test_buf bufs[2] = {
        {gbuf(f, first, sizeof(first)), sizeof(first), false},
        {gbuf(f, frame + 20, sizeof(frame) - 20), sizeof(frame) - 20, false}};
    uint16_t head = test_vq_add(&f->q[1], bufs, 2);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);

    assert_int_equal(f->tx_taken, 1);
    assert_int_equal(f->last_len, sizeof(frame));
    assert_memory_equal(f->last, frame, sizeof(frame));
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);
    assert_true(test_guest_irq(&f->g, LINE));
}

static uint16_t add_tx_frame(struct fx *f, size_t frame_len, uint8_t seed)
{
    uint8_t *buf = calloc(1, VIRTIO_NET_HDR_LEN + frame_len);
    struct test_buf b;
    uint16_t head;

    assert_non_null(buf);
    fill_pattern(buf + VIRTIO_NET_HDR_LEN, frame_len, seed);
    b = (struct test_buf){gbuf(f, buf, (uint32_t)(VIRTIO_NET_HDR_LEN + frame_len)),
                          (uint32_t)(VIRTIO_NET_HDR_LEN + frame_len), false};
    head = test_vq_add(&f->q[1], &b, 1);
    free(buf);
    return head;
}

static void net_tx_eagain_keeps_chain_until_resume(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    bringup(f, base_features);
    uint16_t head = add_tx_frame(f, 60, 9);
    add_tx_frame(f, 80, 1);
    f->tx_ret = -VMM_EAGAIN;
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 1); /* stopped at the first refused frame */
    assert_false(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_retries, 1);

    /* Another kick while the backend is still full: nothing is lost. */
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_false(test_vq_get_used(&f->q[1], &id, &len));

    f->tx_ret = 0;
    vmm_virtio_net_tx_resume(&f->net);
    assert_int_equal(f->tx_taken, 2);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(id, head);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(f->last_len, 80);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, 2);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);
}

static void net_tx_backend_error_counts_a_drop(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    bringup(f, base_features);
    add_tx_frame(f, 60, 0);
    f->tx_ret = -VMM_EIO;
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, 0);
}

static void net_tx_short_header_is_dropped_and_counted(void **state)
{
    struct fx *f = *state;
    struct test_buf b;
    uint32_t id, len;

    bringup(f, base_features);
    b = (struct test_buf){gbuf(f, NULL, 8), 8, false};
    test_vq_add(&f->q[1], &b, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 0);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 1);
    assert_false(needs_reset(f));
}

static void net_tx_oversized_frame_is_dropped_and_counted(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    bringup(f, base_features);
    add_tx_frame(f, VIRTIO_NET_MAX_FRAME + 1, 0);
    add_tx_frame(f, VIRTIO_NET_MAX_FRAME, 0);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 1);
    assert_int_equal(f->last_len, VIRTIO_NET_MAX_FRAME);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, 1);
}

static void net_tx_checksum_offload_not_negotiated_is_dropped(void **state)
{
    struct fx *f = *state;
    uint8_t buf[VIRTIO_NET_HDR_LEN + 60] = {VIRTIO_NET_HDR_F_NEEDS_CSUM};
    struct test_buf b;

    bringup(f, base_features);
    b = (struct test_buf){gbuf(f, buf, sizeof(buf)), sizeof(buf), false};
    test_vq_add(&f->q[1], &b, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 0);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 1);
}

static void net_tx_writable_descriptor_is_a_violation(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    bringup(f, base_features);
    struct test_buf bufs[2] = {{gbuf(f, NULL, 72), 72, false}, {gbuf(f, NULL, 16), 16, true}};
    test_vq_add(&f->q[1], bufs, 2);
    test_log_capture();
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 0);
    assert_true(needs_reset(f));
    assert_false(test_vq_get_used(&f->q[1], &id, &len));
    assert_non_null(strstr(test_log_last(), "writable"));
}

static uint64_t post_rx(struct fx *f, uint32_t len)
{
    struct test_buf b = {gbuf(f, NULL, len), len, true};

    test_vq_add(&f->q[0], &b, 1);
    return b.gpa;
}

static void net_rx_fills_one_buffer_with_header(void **state)
{
    struct fx *f = *state;
    uint8_t frame[100], got[VIRTIO_NET_HDR_LEN + sizeof(frame)];
    uint32_t id, len;

    bringup(f, base_features);
    uint64_t gpa = post_rx(f, 2048);
    fill_pattern(frame, sizeof(frame), 5);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    assert_true(test_vq_get_used(&f->q[0], &id, &len));
    assert_int_equal(len, sizeof(got));
    test_guest_read(&f->g, gpa, got, sizeof(got));
    assert_int_equal(got[0], 0); /* flags */
    assert_int_equal(got[1], VIRTIO_NET_HDR_GSO_NONE);
    assert_int_equal(vmm_get_le16(got + 10), 1); /* num_buffers */
    assert_memory_equal(got + VIRTIO_NET_HDR_LEN, frame, sizeof(frame));
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_frames, 1);
    assert_true(test_guest_irq(&f->g, LINE));
}

static void net_rx_merges_frame_across_buffers(void **state)
{
    struct fx *f = *state;
    uint8_t frame[150], got[3 * 64];
    uint64_t gpa[3];
    uint32_t id, len[3];

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    for (unsigned i = 0; i < 3; i++)
        gpa[i] = post_rx(f, 64);
    post_rx(f, 64); /* a fourth stays unused */
    fill_pattern(frame, sizeof(frame), 11);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    for (unsigned i = 0; i < 3; i++) {
        assert_true(test_vq_get_used(&f->q[0], &id, &len[i]));
        assert_int_equal(id, i);
        test_guest_read(&f->g, gpa[i], got + 64 * i, 64);
    }
    assert_false(test_vq_get_used(&f->q[0], &id, &len[0]));
    assert_int_equal(len[0], 64);
    assert_int_equal(len[1], 64);
    assert_int_equal(len[2], VIRTIO_NET_HDR_LEN + sizeof(frame) - 128);
    assert_int_equal(vmm_get_le16(got + 10), 3);
    assert_memory_equal(got + VIRTIO_NET_HDR_LEN, frame, sizeof(frame));
}

static void net_rx_without_buffers_returns_eagain_and_counts(void **state)
{
    struct fx *f = *state;
    uint8_t frame[64] = {1, 2, 3};
    uint32_t id, len;

    bringup(f, base_features);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_no_room, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_dropped, 0);

    unsigned before = f->rx_ready_calls;
    post_rx(f, 256);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_RXQ);
    assert_true(f->rx_ready_calls > before);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    assert_true(test_vq_get_used(&f->q[0], &id, &len));
    assert_int_equal(len, VIRTIO_NET_HDR_LEN + sizeof(frame));
}

static void net_rx_insufficient_merged_room_keeps_buffers(void **state)
{
    struct fx *f = *state;
    uint8_t frame[150], got[64];
    uint32_t id, len;

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    uint64_t first = post_rx(f, 64);
    fill_pattern(frame, sizeof(frame), 2);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    assert_false(test_vq_get_used(&f->q[0], &id, &len)); /* nothing returned half-filled */
    post_rx(f, 64);
    post_rx(f, 64);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    assert_true(test_vq_get_used(&f->q[0], &id, &len));
    assert_int_equal(id, 0); /* the buffer kept from the first try comes first */
    test_guest_read(&f->g, first, got, sizeof(got));
    assert_int_equal(vmm_get_le16(got + 10), 3);
    assert_memory_equal(got + VIRTIO_NET_HDR_LEN, frame, 64 - VIRTIO_NET_HDR_LEN);
}

static void net_rx_too_large_for_one_buffer_is_dropped(void **state)
{
    struct fx *f = *state;
    uint8_t frame[150] = {0};
    uint32_t id, len;

    bringup(f, base_features); /* no MRG_RXBUF */
    post_rx(f, 64);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_E2BIG);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_dropped, 1);
    /* The buffer is kept for a frame that fits. */
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, 40), 0);
    assert_true(test_vq_get_used(&f->q[0], &id, &len));
    assert_int_equal(len, VIRTIO_NET_HDR_LEN + 40);
}

static void net_rx_larger_than_negotiated_mtu_is_dropped(void **state)
{
    struct fx *f = *state;
    static uint8_t frame[1500];

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_MTU));
    post_rx(f, 4096);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, 1400 + 19), -VMM_E2BIG);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_dropped, 1);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, 1400 + 14), 0);
}

static void net_rx_before_driver_ok_is_dropped(void **state)
{
    struct fx *f = *state;
    uint8_t frame[60] = {0};

    assert_true(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)) < 0);
    assert_int_not_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_dropped, 2);
}

static void net_rx_readable_buffer_is_a_violation(void **state)
{
    struct fx *f = *state;
    uint8_t frame[60] = {0};
    struct test_buf b;

    bringup(f, base_features);
    b = (struct test_buf){gbuf(f, NULL, 256), 256, false};
    test_vq_add(&f->q[0], &b, 1);
    assert_true(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)) < 0);
    assert_true(needs_reset(f));
}

static void net_reset_forgets_kept_chains(void **state)
{
    struct fx *f = *state;
    uint8_t frame[150] = {0};

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    post_rx(f, 64);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    add_tx_frame(f, 60, 0);
    f->tx_ret = -VMM_EAGAIN;
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_true(f->net.tx_held);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);
    assert_false(f->net.tx_held);
    assert_int_equal(f->net.rx_nr_bufs, 0);
    f->tx_ret = 0;
    vmm_virtio_net_tx_resume(&f->net); /* not live: does nothing */
    assert_int_equal(f->tx_taken, 0);
}

/* ------------------------------------------------------------ offloads */

static const uint64_t offload_features =
    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |
    VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
    VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);

static uint64_t device_features(struct fx *f)
{
    uint64_t lo, hi;

    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    lo = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    hi = test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES);
    return hi << 32 | lo;
}

static void net_offers_offloads_only_with_vnet_hdr_backend(void **state)
{
    struct fx *f = *state;
    static const unsigned offload_bits[] = {VIRTIO_NET_F_CSUM,       VIRTIO_NET_F_GUEST_CSUM,
                                            VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
                                            VIRTIO_NET_F_GUEST_ECN,  VIRTIO_NET_F_HOST_TSO4,
                                            VIRTIO_NET_F_HOST_TSO6,  VIRTIO_NET_F_HOST_ECN};
    uint64_t feat = device_features(f);
    bool vnet = f->be.vnet_hdr;

    for (unsigned i = 0; i < sizeof(offload_bits) / sizeof(offload_bits[0]); i++)
        assert_int_equal((feat >> offload_bits[i]) & 1, vnet);
    assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO));
    assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO));
    assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MAC));
    assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
    assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MTU));
}

static void net_sets_backend_offloads_to_negotiated_guest_features(void **state)
{
    struct fx *f = *state;

    assert_int_equal(f->offload_calls, 0); /* nothing before the driver is known */
    bringup(f, offload_features | VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN));
    assert_int_equal(f->offloads, VMM_NET_OFFLOAD_CSUM | VMM_NET_OFFLOAD_TSO4 |
                                      VMM_NET_OFFLOAD_TSO6 | VMM_NET_OFFLOAD_TSO_ECN);
    unsigned calls = f->offload_calls;
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0); /* reset: none */
    assert_int_equal(f->offload_calls, calls + 1);
    assert_int_equal(f->offloads, 0);

    /* Only TSO4 taken (and checksums): only those. */
    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
                   VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
    assert_int_equal(f->offloads, VMM_NET_OFFLOAD_CSUM | VMM_NET_OFFLOAD_TSO4);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0);

    /* TSO without GUEST_CSUM breaks a dependency (5.1.3.1): nothing. */
    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
    assert_int_equal(f->offloads, 0);
}

/* A header: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
static void make_hdr(uint8_t h[VIRTIO_NET_HDR_LEN], uint8_t flags, uint8_t gso_type,
                     uint16_t hdr_len, uint16_t gso_size, uint16_t csum_start, uint16_t csum_off)
{
    memset(h, 0, VIRTIO_NET_HDR_LEN);
    h[0] = flags;
    h[1] = gso_type;
    h[2] = (uint8_t)hdr_len, h[3] = (uint8_t)(hdr_len >> 8);
    h[4] = (uint8_t)gso_size, h[5] = (uint8_t)(gso_size >> 8);
    h[6] = (uint8_t)csum_start, h[7] = (uint8_t)(csum_start >> 8);
    h[8] = (uint8_t)csum_off, h[9] = (uint8_t)(csum_off >> 8);
}

/* Queue header @h + @frame_len pattern bytes on the transmit queue. */
static void add_tx_with_hdr(struct fx *f, const uint8_t h[VIRTIO_NET_HDR_LEN], size_t frame_len)
{
    uint8_t *buf = calloc(1, VIRTIO_NET_HDR_LEN + frame_len);
    struct test_buf b;

    assert_non_null(buf);
    memcpy(buf, h, VIRTIO_NET_HDR_LEN);
    fill_pattern(buf + VIRTIO_NET_HDR_LEN, frame_len, 7);
    b = (struct test_buf){gbuf(f, buf, (uint32_t)(VIRTIO_NET_HDR_LEN + frame_len)),
                          (uint32_t)(VIRTIO_NET_HDR_LEN + frame_len), false};
    test_vq_add(&f->q[1], &b, 1);
    free(buf);
}

static void net_tx_passes_checked_header_before_frame(void **state)
{
    struct fx *f = *state;
    uint8_t h[VIRTIO_NET_HDR_LEN], want[VIRTIO_NET_HDR_LEN], frame[3000];

    bringup(f, offload_features);
    /* A TSO frame with a partial TCP checksum; DATA_VALID and num_buffers
     * are not the driver's to set and are cleared. */
    make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_TCPV4,
             66, 1448, 34, 16);
    h[10] = 9;
    add_tx_with_hdr(f, h, sizeof(frame));
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_taken, 1);
    assert_int_equal(f->last_len, VIRTIO_NET_HDR_LEN + sizeof(frame));
    make_hdr(want, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
    assert_memory_equal(f->last, want, VIRTIO_NET_HDR_LEN);
    fill_pattern(frame, sizeof(frame), 7);
    assert_memory_equal(f->last + VIRTIO_NET_HDR_LEN, frame, sizeof(frame));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_gso, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);

    /* A plain frame gets an all-zero header. */
    make_hdr(h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
    add_tx_with_hdr(f, h, 60);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_taken, 2);
    assert_int_equal(f->last_len, VIRTIO_NET_HDR_LEN + 60);
    assert_memory_equal(f->last, h, VIRTIO_NET_HDR_LEN);
}

static void net_tx_invalid_offload_headers_are_dropped_and_counted(void **state)
{
    struct fx *f = *state;
    const size_t len = 1000;
    uint8_t bad[][VIRTIO_NET_HDR_LEN] = {{0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}};
    uint32_t id, ulen;

    /* CSUM and HOST_TSO4 negotiated; not HOST_TSO6, HOST_ECN or UFO. */
    bringup(f, offload_features);
    make_hdr(bad[0], 0, 2, 54, 1448, 0, 0);                          /* unknown gso_type */
    make_hdr(bad[1], 0, 0x7f, 54, 1448, 0, 0);                       /* unknown gso_type */
    make_hdr(bad[2], 1, VIRTIO_NET_HDR_GSO_TCPV6, 74, 1428, 54, 16); /* TSO6 not negotiated */
    make_hdr(bad[3], 1, VIRTIO_NET_HDR_GSO_UDP, 42, 1472, 34, 6);    /* UFO not offered */
    make_hdr(bad[4], 1, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54, 1448, 34,
             16);                                                 /* ECN not negotiated */
    make_hdr(bad[5], 1, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, 34, 16); /* gso_size 0 */
    make_hdr(bad[6], 1, 0, 0, 0, (uint16_t)(len - 17), 16);       /* checksum beyond frame */
    make_hdr(bad[7], 1, 0, 0, 0, 0xffff, 0xffff);                 /* and far beyond */
    make_hdr(bad[8], 1, VIRTIO_NET_HDR_GSO_TCPV4, (uint16_t)(len + 1), 1448, 34, 16);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        add_tx_with_hdr(f, bad[i], len);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 0);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, sizeof(bad) / sizeof(bad[0]));
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_true(test_vq_get_used(&f->q[1], &id, &ulen)); /* all returned */
    assert_false(needs_reset(f));

    /* The checksum field ending exactly at the frame's end is fine. */
    make_hdr(bad[0], 1, 0, 0, 0, (uint16_t)(len - 18), 16);
    add_tx_with_hdr(f, bad[0], len);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_taken, 1);
}

static void net_tx_offload_without_negotiation_is_dropped_with_vnet_backend(void **state)
{
    struct fx *f = *state;
    uint8_t h[VIRTIO_NET_HDR_LEN];

    bringup(f, base_features); /* no CSUM, no HOST_TSO4 */
    make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
    add_tx_with_hdr(f, h, 100);
    make_hdr(h, 0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 0, 0);
    add_tx_with_hdr(f, h, 3000);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(f->tx_calls, 0);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 2);
}

/* A frame from the host with header @h, handed to vmm_virtio_net_rx_vnet(). */
static int rx_vnet(struct fx *f, const uint8_t h[VIRTIO_NET_HDR_LEN], const uint8_t *frame,
                   size_t len)
{
    uint8_t *buf = malloc(VIRTIO_NET_HDR_LEN + len);
    int ret;

    assert_non_null(buf);
    memcpy(buf, h, VIRTIO_NET_HDR_LEN);
    memcpy(buf + VIRTIO_NET_HDR_LEN, frame, len);
    ret = vmm_virtio_net_rx_vnet(&f->net, buf, VIRTIO_NET_HDR_LEN + len);
    free(buf);
    return ret;
}

static void net_rx_gso_frame_spreads_over_mergeable_buffers_with_header(void **state)
{
    struct fx *f = *state;
    const size_t len = 60000, bufsz = 4096;
    const unsigned nbufs = (unsigned)((VIRTIO_NET_HDR_LEN + len + bufsz - 1) / bufsz);
    uint8_t h[VIRTIO_NET_HDR_LEN], want[VIRTIO_NET_HDR_LEN];
    uint8_t *frame = malloc(len), *got = malloc(nbufs * bufsz);
    uint64_t gpa[QNUM];
    uint32_t id, ulen, total = 0;

    assert_non_null(frame);
    assert_non_null(got);
    bringup(f, offload_features); /* MTU 1400 negotiated: a GSO frame is still taken */
    for (unsigned i = 0; i < nbufs; i++)
        gpa[i] = post_rx(f, (uint32_t)bufsz);
    fill_pattern(frame, len, 21);
    make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
    assert_int_equal(rx_vnet(f, h, frame, len), 0);
    for (unsigned i = 0; i < nbufs; i++) {
        assert_true(test_vq_get_used(&f->q[0], &id, &ulen));
        assert_int_equal(id, i);
        test_guest_read(&f->g, gpa[i], got + total, ulen);
        total += ulen;
    }
    assert_int_equal(total, VIRTIO_NET_HDR_LEN + len);
    memcpy(want, h, sizeof(want));
    want[10] = (uint8_t)nbufs; /* num_buffers */
    assert_memory_equal(got, want, VIRTIO_NET_HDR_LEN);
    assert_memory_equal(got + VIRTIO_NET_HDR_LEN, frame, len);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_gso, 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_frames, 1);
    free(frame);
    free(got);
}

static void net_rx_host_header_not_negotiated_is_dropped_and_counted(void **state)
{
    struct fx *f = *state;
    uint8_t h[VIRTIO_NET_HDR_LEN], frame[3000] = {0}, got[VIRTIO_NET_HDR_LEN];
    uint32_t id, len;

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)); /* no GUEST_* */
    uint64_t gpa = post_rx(f, 4096);
    make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
    assert_true(rx_vnet(f, h, frame, sizeof(frame)) < 0);
    make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
    assert_true(rx_vnet(f, h, frame, 100) < 0);
    make_hdr(h, 0, 9, 0, 0, 0, 0);
    assert_true(rx_vnet(f, h, frame, 100) < 0);
    assert_true(vmm_virtio_net_rx_vnet(&f->net, frame, 5) < 0); /* shorter than a header */
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_dropped, 4);
    assert_false(test_vq_get_used(&f->q[0], &id, &len));

    /* DATA_VALID without GUEST_CSUM is cleared, the frame delivered. */
    make_hdr(h, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
    assert_int_equal(rx_vnet(f, h, frame, 100), 0);
    test_guest_read(&f->g, gpa, got, sizeof(got));
    assert_int_equal(got[0], 0);
    assert_int_equal(vmm_get_le16(got + 10), 1);
}

static void net_rx_batch_interrupts_once_at_end(void **state)
{
    struct fx *f = *state;
    uint8_t frame[100] = {0};
    uint32_t id, len;

    bringup(f, base_features);
    for (unsigned i = 0; i < 3; i++)
        post_rx(f, 2048);
    vmm_virtio_net_rx_batch_begin(&f->net);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    assert_false(test_guest_irq(&f->g, LINE));
    vmm_virtio_net_rx_batch_end(&f->net);
    assert_true(test_guest_irq(&f->g, LINE));
    for (unsigned i = 0; i < 3; i++)
        assert_true(test_vq_get_used(&f->q[0], &id, &len));

    /* An empty batch raises nothing. */
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    assert_false(test_guest_irq(&f->g, LINE));
    vmm_virtio_net_rx_batch_begin(&f->net);
    vmm_virtio_net_rx_batch_end(&f->net);
    assert_false(test_guest_irq(&f->g, LINE));
}

static void net_rx_asks_for_kicks_only_while_a_frame_waits(void **state)
{
    struct fx *f = *state;
    uint8_t frame[100] = {0};

    bringup(f, base_features | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    post_rx(f, 2048);
    post_rx(f, 2048);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    uint16_t event = test_vq_avail_event(&f->q[0]);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
    assert_int_equal(test_vq_avail_event(&f->q[0]), event); /* refills need no kick */
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), -VMM_EAGAIN);
    assert_int_equal(test_vq_avail_event(&f->q[0]), 2); /* now the next buffer kicks */

    unsigned before = f->rx_ready_calls;
    post_rx(f, 2048);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_RXQ);
    assert_true(f->rx_ready_calls > before);
    assert_int_equal(vmm_virtio_net_rx(&f->net, frame, sizeof(frame)), 0);
}

static void fake_tx_kick(void *ctx)
{
    ((struct fx *)ctx)->tx_kicks++;
}

static void net_tx_kick_defers_to_backend_and_suppresses_kicks(void **state)
{
    struct fx *f = *state;
    uint32_t id, len;

    f->be.tx_kick = fake_tx_kick;
    bringup(f, base_features | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    vmm_virtio_net_tx_resume(&f->net); /* the backend answers DRIVER_OK's kick */
    unsigned kicks = f->tx_kicks;
    uint16_t head = add_tx_frame(f, 60, 9);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    /* The kick only tells the backend; nothing is sent on the vCPU. */
    assert_int_equal(f->tx_kicks, kicks + 1);
    assert_int_equal(f->tx_calls, 0);
    /* Until the backend has drained, the driver is not asked to kick:
     * avail_event stays behind what it adds. */
    uint16_t event = test_vq_avail_event(&f->q[1]);
    add_tx_frame(f, 70, 2);
    assert_int_equal(test_vq_avail_event(&f->q[1]), event);

    vmm_virtio_net_tx_resume(&f->net);
    assert_int_equal(f->tx_taken, 2);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_int_equal(id, head);
    assert_true(test_vq_get_used(&f->q[1], &id, &len));
    assert_true(test_guest_irq(&f->g, LINE));
    /* Drained: kicks are wanted again from the next frame on, and no
     * further pass was scheduled. */
    assert_int_equal(test_vq_avail_event(&f->q[1]), 2);
    assert_int_equal(f->tx_kicks, kicks + 1);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_burst_max, 2);
}

static void net_tx_resume_without_frames_sends_nothing(void **state)
{
    struct fx *f = *state;

    f->be.tx_kick = fake_tx_kick;
    bringup(f, base_features | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    unsigned kicks = f->tx_kicks; /* DRIVER_OK notifies every queue once */
    vmm_virtio_net_tx_resume(&f->net);
    assert_int_equal(f->tx_calls, 0);
    assert_int_equal(f->tx_kicks, kicks);
    assert_int_equal(test_vq_avail_event(&f->q[1]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(net_offers_mac_mtu_status_and_mergeable, setup, teardown),
        cmocka_unit_test_setup_teardown(net_link_change_updates_status_and_interrupts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_strips_header_and_sends_exact_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_eagain_keeps_chain_until_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(net_tx_backend_error_counts_a_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(net_tx_short_header_is_dropped_and_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_oversized_frame_is_dropped_and_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_checksum_offload_not_negotiated_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_writable_descriptor_is_a_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(net_rx_fills_one_buffer_with_header, setup, teardown),
        cmocka_unit_test_setup_teardown(net_rx_merges_frame_across_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(net_rx_without_buffers_returns_eagain_and_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_rx_insufficient_merged_room_keeps_buffers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_rx_too_large_for_one_buffer_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_rx_larger_than_negotiated_mtu_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_rx_before_driver_ok_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(net_rx_readable_buffer_is_a_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(net_reset_forgets_kept_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(net_offers_offloads_only_with_vnet_hdr_backend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_offers_offloads_only_with_vnet_hdr_backend, setup_vnet,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_sets_backend_offloads_to_negotiated_guest_features,
                                        setup_vnet, teardown),
        cmocka_unit_test_setup_teardown(net_tx_passes_checked_header_before_frame, setup_vnet,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_invalid_offload_headers_are_dropped_and_counted,
                                        setup_vnet, teardown),
        cmocka_unit_test_setup_teardown(
            net_tx_offload_without_negotiation_is_dropped_with_vnet_backend, setup_vnet, teardown),
        cmocka_unit_test_setup_teardown(net_rx_gso_frame_spreads_over_mergeable_buffers_with_header,
                                        setup_vnet, teardown),
        cmocka_unit_test_setup_teardown(net_rx_host_header_not_negotiated_is_dropped_and_counted,
                                        setup_vnet, teardown),
        cmocka_unit_test_setup_teardown(net_rx_batch_interrupts_once_at_end, setup, teardown),
        cmocka_unit_test_setup_teardown(net_tx_kick_defers_to_backend_and_suppresses_kicks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_tx_resume_without_frames_sends_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(net_rx_asks_for_kicks_only_while_a_frame_waits, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
