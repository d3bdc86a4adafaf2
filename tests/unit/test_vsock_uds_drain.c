/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vsock over UNIX sockets: a guest connection closed while its host peer
 * does not read keeps its slot only while the slot is not needed (issue 10,
 * point 8). Before, such "draining" slots were held until the peer read, so
 * a guest could take every slot and lock out new connections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/net.h"
#include "stdvmm/virtio_vsock.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull
#define BASE 0x0a000000ull
#define LINE 42
#define QNUM 32
#define GUEST_CID 5u
#define CHUNK 4096u

struct fx {
    struct test_guest g;
    struct virtio_vsock vs;
    struct vmm_vsock_uds uds;
    struct vmm_loop loop; /* run a round at a time on the test's thread */
    struct test_vq q[3];
    uint64_t rx_gpa[QNUM];
    uint64_t tx_buf; /* header + CHUNK bytes, reused for every packet */
    char dir[64], path[80];
    int host_fd[VMM_VSOCK_UDS_SLOTS];
    unsigned nr_host_fd;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
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
    f->tx_buf = test_guest_alloc(&f->g, VIRTIO_VSOCK_HDR_LEN + CHUNK, 8);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    for (unsigned i = 0; i < f->nr_host_fd; i++)
        close(f->host_fd[i]);
    vmm_vsock_uds_close(&f->uds);
    vmm_loop_close(&f->loop);
    rmdir(f->dir);
    test_guest_free(&f->g);
    free(f);
    return 0;
}

/* The guest sends @op with @len payload bytes (a pattern) on port pair. */
static void guest_send(struct fx *f, uint16_t op, uint32_t sport, uint32_t dport, uint32_t len)
{
    static uint8_t raw[VIRTIO_VSOCK_HDR_LEN + CHUNK];
    struct virtio_vsock_hdr h = {
        .src_cid = GUEST_CID,
        .dst_cid = VIRTIO_VSOCK_HOST_CID,
        .src_port = sport,
        .dst_port = dport,
        .len = len,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = op,
        .buf_alloc = 65536,
    };
    struct test_buf b = {f->tx_buf, VIRTIO_VSOCK_HDR_LEN + len, false};

    vmm_virtio_vsock_hdr_encode(&h, raw);
    memset(raw + VIRTIO_VSOCK_HDR_LEN, 0x5a, len);
    test_guest_write(&f->g, b.gpa, raw, b.len);
    test_vq_add(&f->q[1], &b, 1);
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_TXQ);
}

/* The op of the next packet to the guest (its buffer is reposted), or 0. */
static uint16_t guest_recv_op(struct fx *f)
{
    uint8_t raw[VIRTIO_VSOCK_HDR_LEN];
    struct virtio_vsock_hdr h;
    uint32_t id, len;
    struct test_buf b;

    if (!test_vq_get_used(&f->q[0], &id, &len))
        return 0;
    test_guest_read(&f->g, f->rx_gpa[id], raw, sizeof(raw));
    vmm_virtio_vsock_hdr_decode(raw, &h);
    b = (struct test_buf){f->rx_gpa[id], 4096, true};
    f->rx_gpa[test_vq_add(&f->q[0], &b, 1)] = b.gpa;
    test_vmmio_kick(&f->g, BASE, VIRTIO_VSOCK_RXQ);
    return h.op;
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

/* A host program connects to stdvmm's socket and says nothing: a slot. */
static void host_occupies_a_slot(struct fx *f)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    f->host_fd[f->nr_host_fd++] = fd;
    assert_true(vmm_loop_run_once(&f->loop, 100) >= 0); /* accepts it */
}

static unsigned slots_in(const struct fx *f, unsigned state)
{
    unsigned n = 0;

    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS; i++)
        n += f->uds.slots[i].state == state;
    return n;
}

static void vsock_uds_draining_slot_yields_to_a_new_connection(void **state)
{
    struct fx *f = *state;
    const struct vmm_virtio_vsock_conn *c;
    char lpath[100];
    int lfd, cfd;

    /* Guest port 5000 -> host port 1234, whose program never reads. */
    snprintf(lpath, sizeof(lpath), "%s_1234", f->path);
    lfd = unix_listen(lpath);
    guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5000, 1234, 0);
    assert_int_equal(guest_recv_op(f), VIRTIO_VSOCK_OP_RESPONSE);
    cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    c = vmm_virtio_vsock_conn(&f->vs, 0);
    assert_int_equal(c->state, VIRTIO_VSOCK_ESTABLISHED);
    /* Send within credit until the socket is full and data waits in the slot. */
    for (unsigned i = 0; i < 1000; i++) {
        if (VMM_VSOCK_UDS_BUF - (c->rx_cnt - c->fwd_cnt) < CHUNK)
            break;
        guest_send(f, VIRTIO_VSOCK_OP_RW, 5000, 1234, CHUNK);
        assert_true(vmm_loop_run_once(&f->loop, 0) >= 0);
        while (guest_recv_op(f) != 0) /* credit updates */
            ;
    }
    assert_true(f->uds.slots[f->uds.conn_slot[0]].out_len > 0);
    /* The guest closes: the slot drains what the peer will never read. */
    guest_send(f, VIRTIO_VSOCK_OP_RST, 5000, 1234, 0);
    assert_int_equal(slots_in(f, VMM_VSOCK_UDS_DRAINING), 1);

    /* Host programs take every other slot. */
    while (slots_in(f, VMM_VSOCK_UDS_FREE) > 0)
        host_occupies_a_slot(f);

    /* A new guest connection still gets a slot: the draining one. */
    guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 5001, 1234, 0);
    assert_int_equal(guest_recv_op(f), VIRTIO_VSOCK_OP_RESPONSE);
    assert_int_equal(slots_in(f, VMM_VSOCK_UDS_DRAINING), 0);
    assert_true(f->uds.lost_bytes > 0);
    close(cfd);
    close(lfd);
    unlink(lpath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(vsock_uds_draining_slot_yields_to_a_new_connection, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
