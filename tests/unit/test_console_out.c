/* SPDX-License-Identifier: BSD-2-Clause */
/* The console output queue's descriptors (src/backends/posix/console_out.c):
 * how each kind of stdout is written without blocking and without touching
 * the file description other processes share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/posix/console.h"

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A pipe is reopened: O_NONBLOCK is set on our own description only. */
static void console_wfd_reopens_a_pipe_leaving_the_original_blocking(void **state)
{
    struct vmm_console_wfd w;
    int p[2];
    char buf[8] = {0};
    (void)state;

    assert_int_equal(pipe(p), 0);
    vmm_console_wfd_open(&w, p[1]);
    assert_int_equal(w.mode, VMM_CONSOLE_W_REOPENED);
    assert_int_not_equal(w.fd, p[1]);
    assert_true(fcntl(w.fd, F_GETFL) & O_NONBLOCK);
    assert_false(fcntl(p[1], F_GETFL) & O_NONBLOCK);
    assert_int_equal(vmm_console_wfd_write(&w, "ok", 2), 2);
    assert_int_equal(read(p[0], buf, sizeof(buf)), 2);
    assert_string_equal(buf, "ok");
    vmm_console_wfd_close(&w);
    close(p[0]);
    close(p[1]);
}

/* A terminal (a pseudo-terminal here) is reopened the same way. */
static void console_wfd_reopens_a_terminal(void **state)
{
    struct vmm_console_wfd w;
    int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
    char buf[8] = {0};
    (void)state;

    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        skip(); /* no pseudo-terminals in this sandbox */
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    vmm_console_wfd_open(&w, slave);
    assert_int_equal(w.mode, VMM_CONSOLE_W_REOPENED);
    assert_false(fcntl(slave, F_GETFL) & O_NONBLOCK);
    assert_int_equal(vmm_console_wfd_write(&w, "tty", 3), 3);
    assert_int_equal(read(master, buf, 3), 3);
    assert_string_equal(buf, "tty");
    vmm_console_wfd_close(&w);
    close(slave);
    close(master);
}

/* A socket cannot be reopened: each send is non-blocking instead, and a
 * peer that never reads makes it fail with EAGAIN, not wait. */
static void console_wfd_sends_to_a_socket_without_waiting(void **state)
{
    struct vmm_console_wfd w;
    static char big[64 * 1024];
    struct timespec t0;
    int sv[2];
    ssize_t n = 1;
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    vmm_console_wfd_open(&w, sv[0]);
    assert_int_equal(w.mode, VMM_CONSOLE_W_SOCK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000 && n > 0; i++)
        n = vmm_console_wfd_write(&w, big, sizeof(big));
    assert_true(n < 0);
    assert_true(elapsed_ms(&t0) < 2000);
    assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    vmm_console_wfd_close(&w);
    close(sv[0]);
    close(sv[1]);
}

static void console_wfd_writes_a_file_directly(void **state)
{
    struct vmm_console_wfd w;
    FILE *f = tmpfile();
    (void)state;

    assert_non_null(f);
    vmm_console_wfd_open(&w, fileno(f));
    assert_int_equal(w.mode, VMM_CONSOLE_W_FILE);
    assert_int_equal(w.fd, fileno(f));
    assert_int_equal(vmm_console_wfd_write(&w, "log", 3), 3);
    vmm_console_wfd_close(&w);
    fclose(f);
}

/* The queue over a socket whose peer never reads: writes return at once
 * and freeing ends in bounded time. */
static void console_out_never_waits_for_a_socket_peer(void **state)
{
    static uint8_t piece[4096];
    struct vmm_console_out *o;
    struct timespec t0;
    unsigned long dropped;
    int sv[2];
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    o = vmm_console_out_new(sv[0]);
    assert_non_null(o);
    assert_int_equal(vmm_console_out_start(o), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1024; i++)
        (void)vmm_console_out_write(o, piece, sizeof(piece));
    assert_true(elapsed_ms(&t0) < 2000);
    assert_true(vmm_console_out_dropped(o) > 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dropped = vmm_console_out_free(o, 200);
    assert_true(elapsed_ms(&t0) < 1500);
    assert_true(dropped > 0 && dropped < 1024ul * sizeof(piece));
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(console_wfd_reopens_a_pipe_leaving_the_original_blocking),
        cmocka_unit_test(console_wfd_reopens_a_terminal),
        cmocka_unit_test(console_wfd_sends_to_a_socket_without_waiting),
        cmocka_unit_test(console_wfd_writes_a_file_directly),
        cmocka_unit_test(console_out_never_waits_for_a_socket_peer),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
