/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB stub's protocol code against Debian's real gdb-multiarch: a
 * thread serves a UNIX socket with the portable stub (stdvmm/gdb.h) over
 * a fake AArch64 target (64 KiB of memory, 2 vCPUs; "continue" stops at
 * the next BRK after pc, "step" adds 4), and gdb-multiarch in batch mode
 * connects, reads registers and memory, sets a breakpoint, continues,
 * steps, lists threads and detaches. Skipped (reported as skipped) when
 * gdb-multiarch is not installed (apt install gdb-multiarch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/gdb.h"

#define BASE 0x40200000ull
#define SIZE 0x10000u

struct fake {
    struct vmm_gdb g;
    struct vmm_gdb_rx rx;
    struct vmm_gdb_regs regs[2];
    uint8_t mem[SIZE];
    int listen_fd;
    char path[64];
    char reply[VMM_GDB_MAX_REPLY], framed[2 * VMM_GDB_MAX_REPLY + 8];
    int pending_step; /* -2: none */
};

static unsigned f_threads(void *ctx)
{
    (void)ctx;
    return 2;
}

static int f_get(void *ctx, unsigned v, struct vmm_gdb_regs *r)
{
    *r = ((struct fake *)ctx)->regs[v];
    return 0;
}

static int f_set(void *ctx, unsigned v, const struct vmm_gdb_regs *r)
{
    ((struct fake *)ctx)->regs[v] = *r;
    return 0;
}

static int f_rw(struct fake *f, uint64_t a, uint8_t *buf, size_t len, bool write)
{
    if (a < BASE || a - BASE > SIZE || len > SIZE - (a - BASE))
        return -VMM_EFAULT;
    if (write)
        memcpy(f->mem + (a - BASE), buf, len);
    else
        memcpy(buf, f->mem + (a - BASE), len);
    return 0;
}

static int f_read(void *ctx, unsigned v, bool phys, uint64_t a, uint8_t *buf, size_t len)
{
    (void)v;
    (void)phys;
    return f_rw(ctx, a, buf, len, false);
}

static int f_write(void *ctx, unsigned v, bool phys, uint64_t a, const uint8_t *buf, size_t len)
{
    (void)v;
    (void)phys;
    return f_rw(ctx, a, (uint8_t *)buf, len, true);
}

static int f_hw(void *ctx, const uint64_t *a, unsigned n)
{
    (void)ctx;
    (void)a;
    (void)n;
    return 0;
}

static int f_resume(void *ctx, int step)
{
    ((struct fake *)ctx)->pending_step = step;
    return 0;
}

static const struct vmm_gdb_target_ops ops = {f_threads, f_get, f_set,   f_read,
                                              f_write,   f_hw,  f_resume};

static bool send_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* The fake CPU "runs": a step moves pc by 4; a continue stops at the next
 * BRK #0 after pc (gdb's breakpoint), or at the end of memory. */
static long f_run(struct fake *f)
{
    struct vmm_gdb_regs *r = &f->regs[0];

    if (f->pending_step >= 0) {
        r->pc += 4;
    } else {
        uint64_t pc = r->pc + 4;
        while (pc + 4 <= BASE + SIZE && memcmp(f->mem + (pc - BASE), "\x00\x00\x20\xd4", 4) != 0)
            pc += 4;
        r->pc = pc;
    }
    f->pending_step = -2;
    return vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGTRAP, f->reply, sizeof(f->reply));
}

static void *serve(void *arg)
{
    struct fake *f = arg;
    int fd = accept(f->listen_fd, NULL, NULL);
    uint8_t buf[4096];
    ssize_t n;

    while (fd >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            enum vmm_gdb_rx_event ev = vmm_gdb_rx_byte(&f->rx, buf[i]);
            long len;

            if (ev != VMM_GDB_RX_PACKET)
                continue;
            if (!f->g.no_ack)
                send_all(fd, "+", 1);
            len = vmm_gdb_handle(&f->g, f->rx.buf, f->rx.len, f->reply, sizeof(f->reply));
            if (len == -1)
                len = f_run(f);
            if (len == -2) {
                size_t m = vmm_gdb_frame("OK", 2, f->framed, sizeof(f->framed));
                send_all(fd, f->framed, m);
                close(fd);
                return NULL;
            }
            send_all(fd, f->framed,
                     vmm_gdb_frame(f->reply, (size_t)len, f->framed, sizeof(f->framed)));
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void gdb_multiarch_debugs_the_fake_target(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char cmdline[1024], out[65536];
    pthread_t t;
    size_t got;
    FILE *p;

    (void)state;
    if (system("command -v gdb-multiarch >/dev/null 2>&1") != 0) {
        free(f);
        skip();
    }
    vmm_gdb_init(&f->g, &ops, f, 4);
    f->pending_step = -2;
    f->regs[0].pc = BASE;
    f->regs[0].sp = 0x40300000;
    f->regs[0].x[0] = 0x1234;
    f->regs[0].cpsr = 0x3c5;
    for (unsigned i = 0; i < SIZE; i += 4) /* NOPs */
        memcpy(f->mem + i, "\x1f\x20\x03\xd5", 4);
    memcpy(f->mem + 0x8000, "stdvmm!!", 8);
    snprintf(f->path, sizeof(f->path), "/tmp/stdvmm-gdbm.%d", (int)getpid());
    unlink(f->path);
    strcpy(sa.sun_path, f->path);
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->listen_fd, 1), 0);
    assert_int_equal(pthread_create(&t, NULL, serve, f), 0);
    snprintf(cmdline, sizeof(cmdline),
             "timeout 60 gdb-multiarch -nx -batch -ex 'set architecture aarch64' "
             "-ex 'target remote %s' -ex 'info registers x0 sp pc cpsr' "
             "-ex 'x/s 0x40208000' -ex 'break *0x40200100' -ex continue "
             "-ex 'print/x $pc' -ex stepi -ex 'print/x $pc' -ex 'info threads' "
             "-ex 'set var *(int *)0x40208000 = 0x64636261' -ex 'x/s 0x40208000' "
             "-ex detach 2>&1",
             f->path);
    p = popen(cmdline, "r");
    assert_non_null(p);
    got = fread(out, 1, sizeof(out) - 1, p);
    out[got] = '\0';
    pclose(p);
    pthread_join(t, NULL);
    printf("%s", out);
    assert_non_null(strstr(out, "x0             0x1234"));
    assert_non_null(strstr(out, "\"stdvmm!!"));
    assert_non_null(strstr(out, "hit Breakpoint 1, 0x0000000040200100"));
    assert_non_null(strstr(out, "$1 = 0x40200100"));
    assert_non_null(strstr(out, "$2 = 0x40200104"));
    assert_non_null(strstr(out, "Thread 2"));
    assert_non_null(strstr(out, "\"abcdmm!!"));
    assert_non_null(strstr(out, "(Remote target) detached"));
    assert_memory_equal(f->mem + 0x100, "\x1f\x20\x03\xd5", 4); /* breakpoint taken out */
    close(f->listen_fd);
    unlink(f->path);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gdb_multiarch_debugs_the_fake_target),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
