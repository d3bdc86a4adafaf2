/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp filter of the KVM port on this host: each test forks, the
 * child installs the filter (the native table of the build host's
 * architecture, or a variant) and makes syscalls; the parent judges how the
 * child ended and what it wrote to stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/kvm/seccomp.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/posix/net.h"

#define CHILD_OK 42

struct child_result {
    int status;
    char err[512];
};

/* Run @fn in a child with stderr on a pipe; collect status and stderr. */
static void run_child(void (*fn)(const struct vmm_seccomp_table *),
                      const struct vmm_seccomp_table *t, struct child_result *res)
{
    int pipefd[2];
    pid_t pid;
    size_t got = 0;
    ssize_t n;

    memset(res, 0, sizeof(*res));
    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], STDERR_FILENO);
        if (vmm_seccomp_install(t) != 0)
            _exit(1);
        fn(t);
        _exit(CHILD_OK);
    }
    close(pipefd[1]);
    while (got < sizeof(res->err) - 1 &&
           (n = read(pipefd[0], res->err + got, sizeof(res->err) - 1 - got)) > 0)
        got += (size_t)n;
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &res->status, 0), pid);
}

static void do_allowed(const struct vmm_seccomp_table *t)
{
    char c = 'x';

    (void)t;
    if (write(STDERR_FILENO, &c, 1) != 1 || getpid() <= 0)
        _exit(2);
}

static void do_mkdirat(const struct vmm_seccomp_table *t)
{
    (void)t;
    (void)syscall(__NR_mkdirat, AT_FDCWD, "/nonexistent-seccomp-test", 0700);
    _exit(3); /* not reached: the handler exits */
}

static void do_bad_ioctl(const struct vmm_seccomp_table *t)
{
    int n = 0;

    (void)t;
    (void)ioctl(STDERR_FILENO, FIONREAD, &n);
    _exit(3);
}

static void do_inet_socket(const struct vmm_seccomp_table *t)
{
    (void)t;
    (void)socket(AF_INET, SOCK_STREAM, 0);
    _exit(3);
}

static void do_unix_socket_and_unlink(const struct vmm_seccomp_table *t)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void)t;
    if (fd < 0)
        _exit(4);
    close(fd);
    if (unlinkat(AT_FDCWD, "/nonexistent-seccomp-test", 0) == 0 || errno != EPERM)
        _exit(5);
}

static void write_hook_marker(void)
{
    static const char marker[] = "hook-ran\n";

    (void)write(STDERR_FILENO, marker, sizeof(marker) - 1);
}

static void do_mkdirat_with_hook(const struct vmm_seccomp_table *t)
{
    vmm_seccomp_set_on_violation(write_hook_marker);
    do_mkdirat(t);
}

static void seccomp_allows_the_run_loop_syscalls(void **state)
{
    struct child_result r;

    (void)state;
    run_child(do_allowed, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), CHILD_OK);
    assert_string_equal(r.err, "x");
}

static void seccomp_blocked_syscall_exits_with_a_clear_message(void **state)
{
    struct child_result r;
    char want[80];

    (void)state;
    run_child(do_mkdirat, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    snprintf(want, sizeof(want), "stdvmm: seccomp: blocked syscall %d (mkdirat)", __NR_mkdirat);
    assert_non_null(strstr(r.err, want));
}

static void seccomp_violation_runs_the_hook_before_exiting(void **state)
{
    struct child_result r;
    const char *hook, *msg;

    (void)state;
    run_child(do_mkdirat_with_hook, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    hook = strstr(r.err, "hook-ran");
    msg = strstr(r.err, "blocked syscall");
    assert_non_null(hook);
    assert_non_null(msg);
    assert_true(hook < msg); /* the terminal is restored before the message */
}

static void seccomp_ioctl_outside_the_list_is_blocked_and_named(void **state)
{
    struct child_result r;
    char want[64];

    (void)state;
    run_child(do_bad_ioctl, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    snprintf(want, sizeof(want), "(ioctl request 0x%x)", (unsigned)FIONREAD);
    assert_non_null(strstr(r.err, want));
}

static void seccomp_socket_only_for_unix_domain_and_only_with_vsock(void **state)
{
    static struct vmm_seccomp_merged m;
    const struct vmm_posix_syscalls *vsock = &vmm_vsock_uds_syscalls;
    struct child_result r;

    (void)state;
    /* The port's own list has no socket() at all ... */
    run_child(do_unix_socket_and_unlink, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    assert_non_null(strstr(r.err, "(socket)"));
    /* ... the vsock backend declares AF_UNIX sockets, nothing else. */
    assert_int_equal(vmm_seccomp_merge(&m, vmm_seccomp_native_table(), &vsock, 1), 0);
    run_child(do_inet_socket, &m.table, &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    assert_non_null(strstr(r.err, "(socket)"));
    run_child(do_unix_socket_and_unlink, &m.table, &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), CHILD_OK);
}

static void do_fdatasync(const struct vmm_seccomp_table *t)
{
    (void)t;
    (void)syscall(__NR_fdatasync, STDERR_FILENO);
}

/* A backend's system calls come from its own declaration, not the port's
 * table: without the disk backend's list fdatasync is blocked. */
static void seccomp_backend_declares_its_syscalls(void **state)
{
    static struct vmm_seccomp_merged m;
    const struct vmm_posix_syscalls *both[2] = {&vmm_blk_file_syscalls, &vmm_tap_syscalls};
    struct child_result r;

    (void)state;
    run_child(do_fdatasync, vmm_seccomp_native_table(), &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
    assert_int_equal(vmm_seccomp_merge(&m, vmm_seccomp_native_table(), both, 2), 0);
    assert_int_equal(m.table.nr_allow,
                     vmm_seccomp_native_table()->nr_allow + vmm_blk_file_syscalls.nr_allow);
    run_child(do_fdatasync, &m.table, &r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), CHILD_OK);
    /* the base table's other rules survive the merge: a foreign ioctl is still blocked */
    run_child(do_bad_ioctl, &m.table, &r);
    assert_int_equal(WEXITSTATUS(r.status), VMM_SECCOMP_EXIT_STATUS);
}

/* A filter built for another architecture: every syscall of this one is
 * foreign to it, so the first one kills the process outright. */
static void seccomp_foreign_architecture_is_killed(void **state)
{
    struct vmm_seccomp_table t = *vmm_seccomp_native_table();
    struct child_result r;

    (void)state;
    t.audit_arch = t.audit_arch == AUDIT_ARCH_AARCH64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
    /* The install itself makes no syscall after seccomp(): the next one,
     * do_allowed's write, must kill. */
    run_child(do_allowed, &t, &r);
    assert_true(WIFSIGNALED(r.status));
    assert_int_equal(WTERMSIG(r.status), SIGSYS);
    assert_string_equal(r.err, "");
}

static void seccomp_build_refuses_a_too_small_buffer(void **state)
{
    struct sock_filter insns[8];

    (void)state;
    assert_int_equal(vmm_seccomp_build(vmm_seccomp_native_table(), insns, 8), -VMM_ENOSPC);
    assert_true(vmm_seccomp_build(vmm_seccomp_native_table(), NULL, 8) < 0);
}

static void seccomp_names_syscalls(void **state)
{
    (void)state;
    assert_string_equal(vmm_seccomp_syscall_name(__NR_ioctl), "ioctl");
    assert_string_equal(vmm_seccomp_syscall_name(-1), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seccomp_allows_the_run_loop_syscalls),
        cmocka_unit_test(seccomp_blocked_syscall_exits_with_a_clear_message),
        cmocka_unit_test(seccomp_violation_runs_the_hook_before_exiting),
        cmocka_unit_test(seccomp_ioctl_outside_the_list_is_blocked_and_named),
        cmocka_unit_test(seccomp_socket_only_for_unix_domain_and_only_with_vsock),
        cmocka_unit_test(seccomp_backend_declares_its_syscalls),
        cmocka_unit_test(seccomp_foreign_architecture_is_killed),
        cmocka_unit_test(seccomp_build_refuses_a_too_small_buffer),
        cmocka_unit_test(seccomp_names_syscalls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
