/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vsock over UNIX sockets, event-loop source: poll results of a round belong
 * to the slot use they were polled for. A slot freed and taken again within
 * one round usually gets the same fd number for its new socket; the old
 * socket's hang-up must not reach the new connection.
 */
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "backends/posix/vsock_uds_internal.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/net.h"

static void vsock_uds_stale_hangup_does_not_reach_a_reused_slot(void **state)
{
    struct vmm_vsock_uds_opts o = {.cid = 3};
    struct vmm_vsock_uds u;
    struct vmm_loop_source src = {.ctx = &u};
    struct vmm_vsock_uds_slot *s;
    struct pollfd pfd[4];
    char dir[] = "/tmp/stdvmm-vsock-poll-XXXXXX", err[200];
    int a[2], b[2], timeout = -1, old_fd;
    unsigned n;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(o.path, sizeof(o.path), "%s/v.sock", dir);
    assert_int_equal(vmm_vsock_uds_open(&u, &o, err, sizeof(err)), 0);

    /* A host program waiting for the guest's answer, polled this round. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    s = vmm_vsock_uds_slot_alloc(&u, a[0], VMM_VSOCK_UDS_WAIT);
    assert_non_null(s);
    old_fd = a[0];
    n = vmm_vsock_uds_source_ops.prepare(&src, pfd, 4, &timeout);
    assert_int_equal(n, 2);
    assert_int_equal(pfd[1].fd, old_fd);

    /* Before dispatch: that connection ends and a new one takes the slot,
     * its socket under the same fd number. */
    vmm_vsock_uds_slot_free(&u, s); /* closes old_fd */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    assert_int_equal(dup2(b[0], old_fd), old_fd);
    close(b[0]);
    s = vmm_vsock_uds_slot_alloc(&u, old_fd, VMM_VSOCK_UDS_WAIT);
    assert_non_null(s);
    assert_int_equal(s - u.slots, 0);

    /* The round's result for the old socket: it hung up. */
    pfd[0].revents = 0;
    pfd[1].revents = POLLHUP;
    vmm_vsock_uds_source_ops.dispatch(&src, pfd, n, false);
    assert_int_equal(u.slots[0].state, VMM_VSOCK_UDS_WAIT); /* the new one lives on */
    assert_int_equal(u.slots[0].fd, old_fd);

    vmm_vsock_uds_close(&u);
    close(a[1]);
    close(b[1]);
    unlink(o.path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vsock_uds_stale_hangup_does_not_reach_a_reused_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
