/* SPDX-License-Identifier: BSD-2-Clause */
/* The tap and vsock-over-UNIX-socket backends: option parsing, and both
 * backends driving real device models over real sockets (a SOCK_SEQPACKET
 * pair stands in for the tap, which needs CAP_NET_ADMIN). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_tun.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/net.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_vsock.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull
#define BASE 0x0a000000ull
#define LINE 42
#define QNUM 32
#define GUEST_CID 5u

/* ------------------------------------------------------------ options */

static void tap_parse_accepts_name_and_mac(void **state)
{
    struct vmm_tap_opts o;
    char err[160];
    const uint8_t want[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e};

    (void)state;
    assert_int_equal(vmm_tap_parse("tap=tap0,mac=02:AA:bb:cc:dd:0e", &o, err, sizeof(err)), 0);
    assert_string_equal(o.ifname, "tap0");
    assert_true(o.mac_given);
    assert_memory_equal(o.mac, want, 6);
}

static void tap_parse_rejects_bad_options(void **state)
{
    static const char *const bad[] = {
        "tap=",
        "tap=averyveryverylongname",
        "tap=a/b",
        "user",
        "tap=t,mac=01:00:00:00:00:01",
        "tap=t,mac=00:00:00:00:00:00",
        "tap=t,mac=02:00:00:00:00",
        "tap=t,mac=zz:00:00:00:00:00",
        "tap=t,speed=10",
    };
    struct vmm_tap_opts o;
    char err[160];

    (void)state;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(vmm_tap_parse(bad[i], &o, err, sizeof(err)), -VMM_EINVAL);
        assert_non_null(strstr(err, "--net "));
    }
}

static void tap_default_mac_is_local_unicast_and_per_name(void **state)
{
    struct vmm_tap_opts a, b, c;
    char err[160];

    (void)state;
    assert_int_equal(vmm_tap_parse("tap=tap0", &a, err, sizeof(err)), 0);
    assert_int_equal(vmm_tap_parse("tap=tap0", &b, err, sizeof(err)), 0);
    assert_int_equal(vmm_tap_parse("tap=tap1", &c, err, sizeof(err)), 0);
    assert_false(a.mac_given);
    assert_int_equal(a.mac[0] & 3, 2); /* locally administered, unicast */
    assert_memory_equal(a.mac, b.mac, 6);
    assert_memory_not_equal(a.mac, c.mac, 6);
}

static void tap_open_failure_names_the_option(void **state)
{
    struct vmm_tap_opts o;
    struct vmm_tap *t = calloc(1, sizeof(*t));
    char err[200] = "";
    int ret;

    (void)state;
    assert_non_null(t);
    assert_int_equal(vmm_tap_parse("tap=stdvmmtest0", &o, err, sizeof(err)), 0);
    ret = vmm_tap_open(t, &o, err, sizeof(err));
    if (ret == 0) /* privileged build host: it worked */
        vmm_tap_close(t);
    else
        assert_non_null(strstr(err, "--net tap=stdvmmtest0: "));
    free(t);
}

static void vsock_uds_parse_accepts_and_rejects(void **state)
{
    struct vmm_vsock_uds_opts o;
    char err[200];
    char longpath[140];

    (void)state;
    assert_int_equal(vmm_vsock_uds_parse("cid=3,uds=/tmp/v.sock", &o, err, sizeof(err)), 0);
    assert_int_equal(o.cid, 3);
    assert_string_equal(o.path, "/tmp/v.sock");
    assert_int_equal(vmm_vsock_uds_parse("uds=/x,cid=0x10", &o, err, sizeof(err)), 0);
    assert_int_equal(o.cid, 16);
    assert_int_equal(vmm_vsock_uds_parse("cid=2,uds=/x", &o, err, sizeof(err)), -VMM_EINVAL);
    assert_int_equal(vmm_vsock_uds_parse("cid=4294967295,uds=/x", &o, err, sizeof(err)),
                     -VMM_EINVAL);
    assert_int_equal(vmm_vsock_uds_parse("cid=-5,uds=/x", &o, err, sizeof(err)), -VMM_EINVAL);
    assert_int_equal(vmm_vsock_uds_parse("cid=5", &o, err, sizeof(err)), -VMM_EINVAL);
    assert_int_equal(vmm_vsock_uds_parse("cid=5,uds=/x,foo=1", &o, err, sizeof(err)), -VMM_EINVAL);
    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "cid=5,uds=", 10);
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_equal(vmm_vsock_uds_parse(longpath, &o, err, sizeof(err)), -VMM_EINVAL);
    assert_non_null(strstr(err, "--vsock "));
}

/* ------------------------------------------------------------ tap over a socketpair */

struct tapfx {
    struct test_guest g;
    struct virtio_net net;
    struct vmm_tap tap;
    struct test_vq q[2];
    int peer; /* the "host network" end */
};

static void attach_tap(struct tapfx *f)
{
    struct vmm_net_sink sink = vmm_virtio_net_sink(&f->net);

    vmm_tap_attach(&f->tap, &sink, NULL);
}

static int tap_setup(void **state)
{
    struct tapfx *f = calloc(1, sizeof(*f));
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    int sv[2];

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(vmm_tap_init_fd(&f->tap, sv[0], mac), 0);
    f->peer = sv[1];
    assert_int_equal(
        vmm_virtio_net_init(&f->net, &f->g.vm, "virtio-net0", BASE, LINE, mac, 0, &f->tap.backend),
        0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)), 0);
    attach_tap(f);
    test_vmmio_bringup(&f->g, BASE,
                       VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), f->q, 2,
                       QNUM);
    *state = f;
    return 0;
}

static int tap_teardown(void **state)
{
    struct tapfx *f = *state;

    vmm_tap_close(&f->tap);
    close(f->peer);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

static void tap_carries_frames_both_ways(void **state)
{
    struct tapfx *f = *state;
    uint8_t out[12 + 64] = {0}, got[128], frame[80];
    uint32_t id, len;

    for (unsigned i = 0; i < 64; i++)
        out[12 + i] = (uint8_t)(i + 1);
    struct test_buf tb = {test_guest_alloc(&f->g, sizeof(out), 8), sizeof(out), false};
    test_guest_write(&f->g, tb.gpa, out, sizeof(out));
    test_vq_add(&f->q[1], &tb, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(read(f->peer, got, sizeof(got)), 64);
    assert_memory_equal(got, out + 12, 64);

    /* Host to guest: nothing posted yet, so the frame is held. */
    memset(frame, 0x5a, sizeof(frame));
    assert_int_equal(write(f->peer, frame, sizeof(frame)), sizeof(frame));
    assert_int_equal(vmm_tap_poll_in(&f->tap), 0);
    assert_true(f->tap.held);
    assert_false(vmm_tap_poll_events(&f->tap) & POLLIN);

    struct test_buf rb = {test_guest_alloc(&f->g, 2048, 8), 2048, true};
    test_vq_add(&f->q[0], &rb, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_RXQ);
    assert_true(vmm_tap_take_wake(&f->tap)); /* rx_ready woke the backend */
    assert_int_equal(vmm_tap_poll_in(&f->tap), 1);
    assert_false(f->tap.held);
    assert_true(test_vq_get_used(&f->q[0], &id, &len));
    assert_int_equal(len, 12 + sizeof(frame));
    test_guest_read(&f->g, rb.gpa + 12, got, sizeof(frame));
    assert_memory_equal(got, frame, sizeof(frame));
}

static void tap_full_socket_keeps_guest_frame_until_writable(void **state)
{
    struct tapfx *f = *state;
    static uint8_t big[12 + 1500];
    uint8_t sink[2048];
    uint32_t id, len;
    unsigned sent = 0;

    /* Fill the socket until the backend reports EAGAIN. */
    for (unsigned i = 0; i < 2000 && !atomic_load(&f->tap.tx_blocked); i++) {
        struct test_buf b = {test_guest_alloc(&f->g, sizeof(big), 8), sizeof(big), false};
        test_vq_add(&f->q[1], &b, 1);
        test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
        while (test_vq_get_used(&f->q[1], &id, &len))
            sent++;
        if (i % 16 == 15) /* recycle guest RAM: the bump allocator is small */
            f->g.alloc_next -= 16 * ((sizeof(big) + 7) & ~7ull);
    }
    assert_true(atomic_load(&f->tap.tx_blocked));
    assert_true(vmm_tap_poll_events(&f->tap) & POLLOUT);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);
    while (read(f->peer, sink, sizeof(sink)) > 0)
        ;
    vmm_tap_poll_out(&f->tap);
    assert_true(test_vq_get_used(&f->q[1], &id, &len)); /* the kept frame went out */
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, sent + 1);
}

/* On the event loop's thread: frames are copied out under the lock, written
 * in order without it, and a full socket then a full ring make the device
 * keep chains until there is room; nothing is lost or reordered. */
static void tap_thread_sends_every_frame_in_order_through_full_ring(void **state)
{
    struct tapfx *f = *state;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct vmm_net_sink sink = vmm_virtio_net_sink(&f->net);
    static uint8_t frame[12 + 60000], got[65536];
    struct vmm_loop loop;
    uint32_t id, len;
    unsigned used = 0;

    vmm_tap_attach(&f->tap, &sink, &lock);
    assert_int_equal(vmm_loop_init(&loop), 0);
    assert_int_equal(vmm_tap_start(&f->tap, &loop), 0);
    assert_int_equal(vmm_loop_start(&loop), 0);
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < QNUM; i++) {
        struct test_buf b = {test_guest_alloc(&f->g, sizeof(frame), 8), sizeof(frame), false};

        memset(frame + 12, (int)i, sizeof(frame) - 12);
        test_guest_write(&f->g, b.gpa, frame, sizeof(frame));
        test_vq_add(&f->q[1], &b, 1);
    }
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    pthread_mutex_unlock(&lock);
    /* Not read yet: the socket fills, then the ring. */
    for (unsigned i = 0; i < QNUM; i++) {
        struct pollfd p = {.fd = f->peer, .events = POLLIN};

        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(read(f->peer, got, sizeof(got)), sizeof(frame) - 12);
        assert_int_equal(got[0], i);
        assert_int_equal(got[sizeof(frame) - 13], i);
    }
    vmm_tap_stop(&f->tap);
    vmm_loop_close(&loop);
    while (test_vq_get_used(&f->q[1], &id, &len))
        used++;
    assert_int_equal(used, QNUM);
    assert_int_equal(f->tap.tx_queued, QNUM);
    assert_true(f->tap.tx_writes >= QNUM);                     /* and one per EAGAIN */
    assert_true(vmm_virtio_net_stats(&f->net).tx_retries > 0); /* the ring was full */
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_frames, QNUM);
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 0);
}

/* ------------------------------------------------------------ tap with vnet headers */

/* TUNSETOFFLOAD stand-in: the socketpair is no tap. */
static int tun_offload_calls;
static unsigned tun_offload_flags;

static int record_tun_offload(int fd, unsigned flags)
{
    (void)fd;
    tun_offload_calls++;
    tun_offload_flags = flags;
    return 0;
}

#define VNET_FEATURES                                                                              \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |                         \
     VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |                         \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                   \
     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4))

static int tap_vnet_setup(void **state)
{
    struct tapfx *f = calloc(1, sizeof(*f));
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    int sv[2];

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(vmm_tap_init_fd(&f->tap, sv[0], mac), 0);
    vmm_tap_use_vnet_hdr(&f->tap);
    f->tap.set_tun_offload = record_tun_offload;
    tun_offload_calls = 0;
    tun_offload_flags = ~0u;
    f->peer = sv[1];
    assert_int_equal(
        vmm_virtio_net_init(&f->net, &f->g.vm, "virtio-net0", BASE, LINE, mac, 0, &f->tap.backend),
        0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_net_device(&f->net)), 0);
    attach_tap(f);
    *state = f;
    return 0;
}

static void tap_vnet_sets_tun_offloads_to_negotiated_features(void **state)
{
    struct tapfx *f = *state;

    assert_int_equal(tun_offload_calls, 0); /* not before the driver is known */
    test_vmmio_bringup(&f->g, BASE, VNET_FEATURES, f->q, 2, QNUM);
    assert_int_equal(tun_offload_calls, 1);
    assert_int_equal(tun_offload_flags, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
    test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_STATUS, 0); /* reset: off again */
    assert_int_equal(tun_offload_calls, 2);
    assert_int_equal(tun_offload_flags, 0);
    test_vmmio_bringup(&f->g, BASE,
                       (VNET_FEATURES & ~VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6)) |
                           VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN),
                       f->q, 2, QNUM);
    assert_int_equal(tun_offload_flags, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
}

static void tap_vnet_header_passes_through_both_ways(void **state)
{
    struct tapfx *f = *state;
    enum { TX_LEN = 9000, RX_LEN = 20000 };
    static uint8_t out[VIRTIO_NET_HDR_LEN + TX_LEN], in[VIRTIO_NET_HDR_LEN + RX_LEN];
    static uint8_t got[VIRTIO_NET_HDR_LEN + RX_LEN];
    static const uint8_t tso_hdr[VIRTIO_NET_HDR_LEN] = {
        VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 0, 0xa8, 0x05, 34, 0, 16, 0};
    uint32_t id, len, total = 0;
    uint64_t gpa[8];

    test_vmmio_bringup(&f->g, BASE, VNET_FEATURES, f->q, 2, QNUM);
    /* Guest to host: header and frame arrive as one message. */
    memcpy(out, tso_hdr, sizeof(tso_hdr));
    for (unsigned i = 0; i < TX_LEN; i++)
        out[VIRTIO_NET_HDR_LEN + i] = (uint8_t)(i * 3);
    struct test_buf tb = {test_guest_alloc(&f->g, sizeof(out), 8), sizeof(out), false};
    test_guest_write(&f->g, tb.gpa, out, sizeof(out));
    test_vq_add(&f->q[1], &tb, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_int_equal(read(f->peer, got, sizeof(got)), sizeof(out));
    assert_memory_equal(got, out, sizeof(out));
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_gso, 1);

    /* Host to guest: a 20000-byte GSO frame over 4 KiB mergeable buffers. */
    memcpy(in, tso_hdr, sizeof(tso_hdr));
    for (unsigned i = 0; i < RX_LEN; i++)
        in[VIRTIO_NET_HDR_LEN + i] = (uint8_t)(i * 5 + 1);
    for (unsigned i = 0; i < 8; i++) {
        struct test_buf rb = {test_guest_alloc(&f->g, 4096, 8), 4096, true};
        gpa[i] = rb.gpa;
        test_vq_add(&f->q[0], &rb, 1);
    }
    assert_int_equal(write(f->peer, in, sizeof(in)), sizeof(in));
    assert_int_equal(vmm_tap_poll_in(&f->tap), 1);
    for (unsigned i = 0; test_vq_get_used(&f->q[0], &id, &len); i++) {
        assert_int_equal(id, i);
        test_guest_read(&f->g, gpa[i], got + total, len);
        total += len;
    }
    assert_int_equal(total, sizeof(in));
    assert_int_equal(got[10], 5); /* num_buffers: 20012 bytes in 4 KiB buffers */
    got[10] = 0;
    assert_memory_equal(got, in, sizeof(in));
    assert_int_equal(vmm_virtio_net_stats(&f->net).rx_gso, 1);
    assert_true(test_guest_irq(&f->g, LINE));
}

static void tap_vnet_bad_guest_header_never_reaches_the_tap(void **state)
{
    struct tapfx *f = *state;
    uint8_t out[VIRTIO_NET_HDR_LEN + 200] = {0}, got[512];

    test_vmmio_bringup(&f->g, BASE, VNET_FEATURES, f->q, 2, QNUM);
    out[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    out[6] = 190; /* csum_start: the checksum field would end past the frame */
    out[8] = 16;
    struct test_buf tb = {test_guest_alloc(&f->g, sizeof(out), 8), sizeof(out), false};
    test_guest_write(&f->g, tb.gpa, out, sizeof(out));
    test_vq_add(&f->q[1], &tb, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_NET_TXQ);
    assert_true(read(f->peer, got, sizeof(got)) < 0); /* nothing was written */
    assert_int_equal(vmm_virtio_net_stats(&f->net).tx_dropped, 1);
}

/* ------------------------------------------------------------ vsock over UNIX sockets */

struct vsfx {
    struct test_guest g;
    struct virtio_vsock vs;
    struct vmm_vsock_uds uds;
    struct vmm_loop loop; /* run a round at a time on the test's thread */
    struct test_vq q[3];
    uint64_t rx_gpa[QNUM];
    char dir[64], path[80];
};

static int vs_setup(void **state)
{
    struct vsfx *f = calloc(1, sizeof(*f));
    struct vmm_vsock_uds_opts o = {.cid = GUEST_CID};
    char err[200];

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/stdvmm-vsock-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
    snprintf(o.path, sizeof(o.path), "%s", f->path);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    assert_int_equal(vmm_vsock_uds_open(&f->uds, &o, err, sizeof(err)), 0);
    assert_int_equal(vmm_virtio_vsock_init(&f->vs, &f->g.vm, "virtio-vsock0", BASE, LINE, GUEST_CID,
                                           &f->uds.backend),
                     0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_vsock_device(&f->vs)), 0);
    struct vmm_vsock_host host = vmm_virtio_vsock_host(&f->vs);
    vmm_vsock_uds_attach(&f->uds, &host, NULL);
    assert_int_equal(vmm_loop_init(&f->loop), 0);
    assert_int_equal(vmm_vsock_uds_start(&f->uds, &f->loop), 0);
    test_vmmio_bringup(&f->g, BASE, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->q, 3, QNUM);
    for (unsigned i = 0; i < 8; i++) {
        struct test_buf b = {test_guest_alloc(&f->g, 4096, 8), 4096, true};
        f->rx_gpa[test_vq_add(&f->q[0], &b, 1)] = b.gpa;
    }
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_RXQ);
    *state = f;
    return 0;
}

static int vs_teardown(void **state)
{
    struct vsfx *f = *state;

    vmm_vsock_uds_close(&f->uds);
    vmm_loop_close(&f->loop);
    assert_int_not_equal(access(f->path, F_OK), 0); /* the socket file is removed */
    rmdir(f->dir);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

static void vs_guest_send(struct vsfx *f, uint16_t op, uint32_t sport, uint32_t dport,
                          const char *data)
{
    struct virtio_vsock_hdr h = {
        .src_cid = GUEST_CID,
        .dst_cid = VIRTIO_VSOCK_HOST_CID,
        .src_port = sport,
        .dst_port = dport,
        .len = data ? (uint32_t)strlen(data) : 0,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = op,
        .buf_alloc = 65536,
    };
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN + 64];
    struct test_buf b;

    vmm_virtio_vsock_hdr_encode(&h, raw);
    if (h.len)
        memcpy(raw + VIRTIO_VSOCK_HDR_LEN, data, h.len);
    b = (struct test_buf){test_guest_alloc(&f->g, sizeof(raw), 8), VIRTIO_VSOCK_HDR_LEN + h.len,
                          false};
    test_guest_write(&f->g, b.gpa, raw, b.len);
    test_vq_add(&f->q[1], &b, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
}

/* Next packet to the guest, payload NUL-terminated in @data (may be NULL). */
static bool vs_guest_recv(struct vsfx *f, struct virtio_vsock_hdr *h, char *data, size_t max)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    uint32_t id, len;

    if (!test_vq_get_used(&f->q[0], &id, &len))
        return false;
    test_guest_read(&f->g, f->rx_gpa[id], raw, sizeof(raw));
    vmm_virtio_vsock_hdr_decode(raw, h);
    if (data != NULL) {
        assert_true(h->len < max);
        test_guest_read(&f->g, f->rx_gpa[id] + VIRTIO_VSOCK_HDR_LEN, data, h->len);
        data[h->len] = '\0';
    }
    /* Give the buffer straight back. */
    struct test_buf b = {f->rx_gpa[id], 4096, true};
    f->rx_gpa[test_vq_add(&f->q[0], &b, 1)] = b.gpa;
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_RXQ);
    return true;
}

static int unix_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static int unix_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void vs_poll(struct vsfx *f)
{
    for (unsigned i = 0; i < 4; i++)
        assert_true(vmm_loop_run_once(&f->loop, 20) >= 0);
}

static void vsock_uds_guest_connects_to_path_port(void **state)
{
    struct vsfx *f = *state;
    char lpath[100], buf[64];
    struct virtio_vsock_hdr h;
    int lfd, cfd;

    snprintf(lpath, sizeof(lpath), "%s_1234", f->path);
    lfd = unix_listen(lpath);
    vs_guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5000, 1234, NULL);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RESPONSE);
    cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);

    vs_guest_send(f, VIRTIO_VSOCK_OP_RW, 5000, 1234, "ping");
    assert_int_equal(read(cfd, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(write(cfd, "pong!", 5), 5);
    vs_poll(f);
    assert_true(vs_guest_recv(f, &h, buf, sizeof(buf)));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
    assert_string_equal(buf, "pong!");

    /* The host end closes: the guest hears SHUTDOWN, then a reset. */
    close(cfd);
    vs_poll(f);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_SHUTDOWN);
    assert_true(h.flags & VMM_VSOCK_SHUTDOWN_SEND);
    close(lfd);
    unlink(lpath);
}

static void vsock_uds_host_data_waits_for_guest_buffers_without_spinning(void **state)
{
    struct vsfx *f = *state;
    static uint8_t data[40000], got[sizeof(data)];
    char lpath[100], buf[4096];
    struct virtio_vsock_hdr h;
    size_t have = 0;
    int lfd, cfd;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13);
    snprintf(lpath, sizeof(lpath), "%s_77", f->path);
    lfd = unix_listen(lpath);
    vs_guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5000, 77, NULL);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RESPONSE);
    cfd = accept(lfd, NULL, NULL);
    assert_int_equal(write(cfd, data, sizeof(data)), sizeof(data));
    close(cfd);
    vs_poll(f); /* fills the 8 posted buffers, then must wait */
    assert_int_equal(vmm_loop_run_once(&f->loop, 20), 0); /* idle: no busy POLLHUP */
    /* The guest reads (and reposts buffers) until the host's SHUTDOWN arrives. */
    for (unsigned round = 0; round < 100; round++) {
        bool any = false;

        while (vs_guest_recv(f, &h, buf, sizeof(buf))) {
            any = true;
            if (h.op == VIRTIO_VSOCK_OP_SHUTDOWN)
                goto done;
            assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
            assert_true(have + h.len <= sizeof(got));
            memcpy(got + have, buf, h.len);
            have += h.len;
        }
        if (!any)
            assert_true(vmm_loop_run_once(&f->loop, 20) >= 0);
    }
    fail_msg("no SHUTDOWN after %zu bytes", have);
done:
    assert_int_equal(have, sizeof(data));
    assert_memory_equal(got, data, sizeof(data));
    close(lfd);
    unlink(lpath);
}

static void vsock_uds_write_to_closed_host_resets_without_sigpipe(void **state)
{
    struct vsfx *f = *state;
    struct virtio_vsock_hdr h;
    char lpath[100];
    int lfd, cfd;

    snprintf(lpath, sizeof(lpath), "%s_78", f->path);
    lfd = unix_listen(lpath);
    vs_guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5002, 78, NULL);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    cfd = accept(lfd, NULL, NULL);
    close(cfd);
    vs_guest_send(f, VIRTIO_VSOCK_OP_RW, 5002, 78, "into the void");
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
    close(lfd);
    unlink(lpath);
}

static void vsock_uds_guest_connect_without_listener_is_reset(void **state)
{
    struct vsfx *f = *state;
    struct virtio_vsock_hdr h;

    vs_guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5000, 4321, NULL);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
}

static void vsock_uds_host_connect_command(void **state)
{
    struct vsfx *f = *state;
    struct virtio_vsock_hdr h;
    char buf[64];
    unsigned port;
    int fd = unix_connect(f->path);

    assert_int_equal(write(fd, "CONNECT 80\nhi", 13), 13);
    vs_poll(f);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_REQUEST);
    assert_int_equal(h.dst_port, 80);
    port = h.src_port;
    vs_guest_send(f, VIRTIO_VSOCK_OP_RESPONSE, 80, port, NULL);
    vs_poll(f);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    char want[32];
    snprintf(want, sizeof(want), "OK %u\n", port);
    assert_string_equal(buf, want);
    /* The bytes after the command line reach the guest. */
    assert_true(vs_guest_recv(f, &h, buf, sizeof(buf)));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
    assert_string_equal(buf, "hi");
    vs_guest_send(f, VIRTIO_VSOCK_OP_RW, 80, port, "back");
    vs_poll(f);
    assert_int_equal(read(fd, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "back", 4);
    close(fd);
}

static void vsock_uds_bad_command_closes_socket(void **state)
{
    struct vsfx *f = *state;
    struct virtio_vsock_hdr h;
    char buf[8];
    int fd = unix_connect(f->path);

    assert_int_equal(write(fd, "HELLO 80\n", 9), 9);
    vs_poll(f);
    assert_int_equal(read(fd, buf, sizeof(buf)), 0); /* closed */
    assert_false(vs_guest_recv(f, &h, NULL, 0));
    close(fd);
}

static void vsock_uds_guest_refusal_closes_host_socket(void **state)
{
    struct vsfx *f = *state;
    struct virtio_vsock_hdr h;
    char buf[8];
    int fd = unix_connect(f->path);

    assert_int_equal(write(fd, "CONNECT 81\n", 11), 11);
    vs_poll(f);
    assert_true(vs_guest_recv(f, &h, NULL, 0));
    vs_guest_send(f, VIRTIO_VSOCK_OP_RST, 81, h.src_port, NULL);
    assert_int_equal(read(fd, buf, sizeof(buf)), 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tap_parse_accepts_name_and_mac),
        cmocka_unit_test(tap_parse_rejects_bad_options),
        cmocka_unit_test(tap_default_mac_is_local_unicast_and_per_name),
        cmocka_unit_test(tap_open_failure_names_the_option),
        cmocka_unit_test(vsock_uds_parse_accepts_and_rejects),
        cmocka_unit_test_setup_teardown(tap_carries_frames_both_ways, tap_setup, tap_teardown),
        cmocka_unit_test_setup_teardown(tap_vnet_sets_tun_offloads_to_negotiated_features,
                                        tap_vnet_setup, tap_teardown),
        cmocka_unit_test_setup_teardown(tap_vnet_header_passes_through_both_ways, tap_vnet_setup,
                                        tap_teardown),
        cmocka_unit_test_setup_teardown(tap_vnet_bad_guest_header_never_reaches_the_tap,
                                        tap_vnet_setup, tap_teardown),
        cmocka_unit_test_setup_teardown(tap_full_socket_keeps_guest_frame_until_writable, tap_setup,
                                        tap_teardown),
        cmocka_unit_test_setup_teardown(tap_thread_sends_every_frame_in_order_through_full_ring,
                                        tap_setup, tap_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_guest_connects_to_path_port, vs_setup,
                                        vs_teardown),
        cmocka_unit_test_setup_teardown(
            vsock_uds_host_data_waits_for_guest_buffers_without_spinning, vs_setup, vs_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_write_to_closed_host_resets_without_sigpipe,
                                        vs_setup, vs_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_guest_connect_without_listener_is_reset, vs_setup,
                                        vs_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_host_connect_command, vs_setup, vs_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_bad_command_closes_socket, vs_setup, vs_teardown),
        cmocka_unit_test_setup_teardown(vsock_uds_guest_refusal_closes_host_socket, vs_setup,
                                        vs_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
