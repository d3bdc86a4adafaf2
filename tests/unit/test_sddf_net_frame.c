/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sDDF net backend's checks that need no sDDF header
 * (src/backends/sddf/net_frame.c): descriptors from the shared queues,
 * gathering a guest frame, frames reflected back to their sender, the
 * switch's routing, and the real length of a frame sDDF's virtio-net driver
 * reports as a full buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/sddf_net.h"

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};

static void frame_to(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], unsigned type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
}

static void desc_check_takes_whole_buffers_inside_the_region(void **state)
{
    (void)state;
    assert_int_equal(vmm_sddf_net_desc_check(0, 60, 4, true), 0);
    assert_int_equal(vmm_sddf_net_desc_check(3 * 2048, 2048, 4, true), 0);
    /* past the last buffer, misaligned, a huge offset that would wrap */
    assert_int_equal(vmm_sddf_net_desc_check(4 * 2048, 60, 4, true), -VMM_EINVAL);
    assert_int_equal(vmm_sddf_net_desc_check(2048 + 1, 60, 4, true), -VMM_EINVAL);
    assert_int_equal(vmm_sddf_net_desc_check(0xfffffffffffff800ull, 60, 4, true), -VMM_EINVAL);
    /* longer than a buffer, shorter than an Ethernet header */
    assert_int_equal(vmm_sddf_net_desc_check(0, 2049, 4, true), -VMM_EINVAL);
    assert_int_equal(vmm_sddf_net_desc_check(0, 13, 4, true), -VMM_EINVAL);
    assert_int_equal(vmm_sddf_net_desc_check(0, 0, 4, false), 0); /* a free buffer */
    assert_int_equal(vmm_sddf_net_desc_check(0, 0, 0, false), -VMM_EINVAL);
}

static void queue_ok_needs_a_power_of_two_and_room_for_every_buffer(void **state)
{
    uint8_t q[16], data[4 * 2048];
    struct vmm_sddf_net_queue nq = {q, q, 4, data, sizeof(data)};

    (void)state;
    assert_true(vmm_sddf_net_queue_ok(&nq));
    nq.capacity = 3;
    assert_false(vmm_sddf_net_queue_ok(&nq));
    nq.capacity = 8; /* data region too small for 8 buffers */
    assert_false(vmm_sddf_net_queue_ok(&nq));
    nq.capacity = 65536;
    assert_false(vmm_sddf_net_queue_ok(&nq));
    nq = (struct vmm_sddf_net_queue){q, NULL, 4, data, sizeof(data)};
    assert_false(vmm_sddf_net_queue_ok(&nq));
}

static void gather_copies_pieces_and_refuses_what_does_not_fit(void **state)
{
    uint8_t a[10], b[2000], c[100], dst[2048];
    struct vmm_iov iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, 38}};

    (void)state;
    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    memset(c, 3, sizeof(c));
    assert_int_equal(vmm_sddf_net_gather(dst, sizeof(dst), iov, 3), 2048);
    assert_int_equal(dst[9], 1);
    assert_int_equal(dst[10], 2);
    assert_int_equal(dst[2047], 3);
    iov[2].len = 39; /* one byte too many: nothing may be written past dst */
    assert_int_equal(vmm_sddf_net_gather(dst, sizeof(dst), iov, 3), -VMM_EINVAL);
    /* sizes that would overflow a naive sum */
    iov[1].len = SIZE_MAX - 5;
    assert_int_equal(vmm_sddf_net_gather(dst, sizeof(dst), iov, 3), -VMM_EINVAL);
    iov[0].len = 13;
    assert_int_equal(vmm_sddf_net_gather(dst, sizeof(dst), iov, 1), -VMM_EINVAL);
    assert_int_equal(vmm_sddf_net_gather(dst, sizeof(dst), iov, VMM_IOV_MAX + 1), -VMM_EINVAL);
}

static void from_spots_a_reflected_frame(void **state)
{
    uint8_t f[60];

    (void)state;
    frame_to(f, mac_b, mac_a, 0x0800);
    assert_true(vmm_sddf_net_from(f, sizeof(f), mac_a));
    assert_false(vmm_sddf_net_from(f, sizeof(f), mac_b));
    assert_false(vmm_sddf_net_from(f, 13, mac_a));
}

static void route_switches_between_clients_and_the_uplink(void **state)
{
    const uint8_t macs[2][6] = {{0x02, 0, 0, 0, 0, 0x0a}, {0x02, 0, 0, 0, 0, 0x0b}};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t mcast[6] = {0x33, 0x33, 0, 0, 0, 1};
    const uint8_t gw[6] = {0x52, 0x55, 10, 0, 2, 2};
    uint8_t f[60];

    (void)state;
    frame_to(f, mac_b, mac_a, 0x0800);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 0), 1);
    frame_to(f, mac_a, mac_b, 0x0800);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 1), 0);
    frame_to(f, bcast, mac_a, 0x0806);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 0), VMM_SDDF_NET_ROUTE_BROADCAST);
    frame_to(f, mcast, mac_a, 0x86dd);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 0), VMM_SDDF_NET_ROUTE_UPLINK);
    frame_to(f, gw, mac_a, 0x0800);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 0), VMM_SDDF_NET_ROUTE_UPLINK);
    /* to itself, or too short: dropped */
    frame_to(f, mac_a, mac_a, 0x0800);
    assert_int_equal(vmm_sddf_net_route(f, sizeof(f), macs, 2, 0), VMM_SDDF_NET_ROUTE_DROP);
    assert_int_equal(vmm_sddf_net_route(f, 13, macs, 2, 0), VMM_SDDF_NET_ROUTE_DROP);
}

static void frame_len_cuts_a_full_buffer_to_the_l3_length(void **state)
{
    static uint8_t f[2048];

    (void)state;
    frame_to(f, mac_b, mac_a, 0x0800);
    f[16] = 0x00; /* IPv4 total length 84 (a ping) */
    f[17] = 84;
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 14 + 84);
    f[16] = 0x05; /* 1500 */
    f[17] = 0xdc;
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 1514);
    /* a length larger than the buffer is not believed */
    f[16] = 0xff;
    f[17] = 0xff;
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 1514);
    assert_int_equal(vmm_sddf_net_frame_len(f, 100), 100);
    frame_to(f, mac_b, mac_a, 0x0806);
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 42);
    frame_to(f, mac_b, mac_a, 0x86dd);
    f[18] = 0; /* IPv6 payload length 32 */
    f[19] = 32;
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 14 + 40 + 32);
    frame_to(f, mac_b, mac_a, 0x88cc); /* LLDP: unknown, cut to the MTU */
    assert_int_equal(vmm_sddf_net_frame_len(f, 2048), 1514);
    assert_int_equal(vmm_sddf_net_frame_len(f, 10), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(desc_check_takes_whole_buffers_inside_the_region),
        cmocka_unit_test(queue_ok_needs_a_power_of_two_and_room_for_every_buffer),
        cmocka_unit_test(gather_copies_pieces_and_refuses_what_does_not_fit),
        cmocka_unit_test(from_spots_a_reflected_frame),
        cmocka_unit_test(route_switches_between_clients_and_the_uplink),
        cmocka_unit_test(frame_len_cuts_a_full_buffer_to_the_l3_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
