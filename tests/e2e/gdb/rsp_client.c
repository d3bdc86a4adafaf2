/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A scripted GDB remote-protocol client for the e2e GDB checks (run in the
 * emulated machine against `stdvmm run --gdb PATH` and the test guest of
 * tests/gdb): attach, breakpoint on gdb_tick, hit it, read gdb_counter
 * (through the guest's page tables, through an alias only they know, and
 * physically), single step, continue to the next hit, a hardware
 * breakpoint, Ctrl-C, detach, and the guest running on after it.
 * Usage: rsp-client SOCKET TICK_ADDR COUNTER_ADDR (hex). With --linux
 * SOCKET FUNC_ADDR, a Linux guest instead: kernel text read and written
 * through its page tables (TTBR1) and a breakpoint on FUNC.
 * Prints E2E-PASS/E2E-FAIL lines; exit status 0 if all passed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ALIAS_OFFSET 0x80000000ull /* tests/gdb/start.S: RAM at 1 GiB seen again at 3 GiB */

static int fd = -1, failures;
static char reply[16384];

static void verdict(const char *name, int ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        printf("E2E-PASS: %s\n", name);
    } else {
        failures++;
        printf("E2E-FAIL: %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
    fflush(stdout);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("RSP: connect %s: %s\n", path, strerror(errno));
        return -1;
    }
    return s;
}

static void send_raw(const void *buf, size_t len)
{
    if (write(fd, buf, len) != (ssize_t)len)
        printf("RSP: write failed\n");
}

static void send_packet(const char *payload)
{
    char buf[4200];
    unsigned sum = 0;
    size_t n = strlen(payload);

    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)payload[i];
    snprintf(buf, sizeof(buf), "$%s#%02x", payload, sum & 0xff);
    send_raw(buf, strlen(buf));
}

/* The next packet's payload into reply (acks skipped, '+' sent); "" and -1
 * after @ms without one. */
static int recv_packet(int ms)
{
    size_t n = 0;
    int in = 0;
    char c;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        if (poll(&pfd, 1, ms) <= 0 || read(fd, &c, 1) != 1) {
            reply[0] = '\0';
            return -1;
        }
        if (!in) {
            in = c == '$';
            continue;
        }
        if (c == '#') {
            char cs[2];
            for (int i = 0; i < 2; i++)
                if (poll(&pfd, 1, ms) <= 0 || read(fd, &cs[i], 1) != 1)
                    return -1;
            reply[n] = '\0';
            send_raw("+", 1);
            return 0;
        }
        if (n < sizeof(reply) - 1)
            reply[n++] = c;
    }
}

static const char *cmd(const char *payload, int ms)
{
    send_packet(payload);
    recv_packet(ms);
    printf("RSP: %.40s -> %.80s\n", payload, reply);
    return reply;
}

static uint64_t le_hex(const char *s, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        unsigned b = 0;
        if (sscanf(s + 2 * i, "%2x", &b) != 1)
            return ~0ull;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static uint64_t read_u64(uint64_t addr)
{
    char p[64];

    snprintf(p, sizeof(p), "m%llx,8", (unsigned long long)addr);
    cmd(p, 5000);
    return strlen(reply) == 16 ? le_hex(reply, 8) : ~0ull;
}

static uint64_t read_pc(void)
{
    cmd("p20", 5000);
    return strlen(reply) == 16 ? le_hex(reply, 8) : ~0ull;
}

/* Resume with @how and wait for the stop reply. */
static int resume_until_stop(const char *how, const char *want)
{
    cmd(how, 60000);
    return strncmp(reply, want, strlen(want)) == 0;
}

/* A Linux guest: kernel memory through TTBR1 and a kernel breakpoint on
 * @func. Its first instruction is ftrace's patchable entry as Linux 6.1
 * rewrites it at boot (MOV X9, X30) or a HINT (NOP, BTI, PACIASP: 0xd503201f
 * with CRm:op2 and Rt = 31); with the breakpoint in it reads BRK #0, and the
 * original again after it. */
static int linux_checks(const char *path, uint64_t func)
{
    char p[64], orig[16] = "", with_bp[16] = "", after[16] = "";
    uint64_t pc, insn;
    int ok;

    fd = connect_to(path);
    if (fd < 0)
        return 1;
    cmd("qSupported", 10000);
    cmd("?", 5000);
    snprintf(p, sizeof(p), "m%llx,4", (unsigned long long)func);
    snprintf(orig, sizeof(orig), "%s", cmd(p, 5000));
    insn = strlen(orig) == 8 ? le_hex(orig, 4) : ~0ull;
    snprintf(p, sizeof(p), "Z0,%llx,4", (unsigned long long)func);
    ok = strcmp(cmd(p, 5000), "OK") == 0;
    snprintf(p, sizeof(p), "m%llx,4", (unsigned long long)func);
    snprintf(with_bp, sizeof(with_bp), "%s", cmd(p, 5000));
    ok = ok && resume_until_stop("c", "T05thread:");
    pc = read_pc();
    snprintf(p, sizeof(p), "z0,%llx,4", (unsigned long long)func);
    cmd(p, 5000);
    snprintf(p, sizeof(p), "m%llx,4", (unsigned long long)func);
    snprintf(after, sizeof(after), "%s", cmd(p, 5000));
    verdict("gdb-linux-kernel-memory",
            func >= 0xffff000000000000ull &&
                ((insn & 0xfffff01fu) == 0xd503201fu || insn == 0xaa1e03e9u) &&
                strcmp(with_bp, "000020d4") == 0 && strcmp(after, orig) == 0,
            "at %llx: %s (want MOV X9, X30 or a HINT), %s with the breakpoint (want 000020d4), %s "
            "after it",
            (unsigned long long)func, orig, with_bp, after);
    verdict("gdb-linux-breakpoint", ok && pc == func, "stop '%s', pc %llx (want %llx)", reply,
            (unsigned long long)pc, (unsigned long long)func);
    cmd("D", 5000);
    close(fd);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    uint64_t tick, counter, c1, c2, c3, va_alias, phys, pc;
    char p[128];

    signal(SIGPIPE, SIG_IGN); /* the stub closes after its reply to D: our ack finds it gone */
    if (argc == 4 && strcmp(argv[1], "--linux") == 0)
        return linux_checks(argv[2], strtoull(argv[3], NULL, 16));
    if (argc != 4)
        return 2;
    tick = strtoull(argv[2], NULL, 16);
    counter = strtoull(argv[3], NULL, 16);
    fd = connect_to(argv[1]);
    if (fd < 0)
        return 1;

    cmd("qSupported:multiprocess+;swbreak+;hwbreak+", 10000);
    int ok = strstr(reply, "PacketSize=") != NULL;
    cmd("qXfer:features:read:target.xml:0,fff", 5000);
    ok = ok && reply[0] == 'l' && strstr(reply, "org.gnu.gdb.aarch64.core") != NULL;
    cmd("?", 5000);
    ok = ok && strncmp(reply, "T05", 3) == 0;
    cmd("qfThreadInfo", 5000);
    ok = ok && strcmp(reply, "m01,02") == 0;
    cmd("qsThreadInfo", 5000);
    ok = ok && strcmp(reply, "l") == 0;
    verdict("gdb-attach", ok, "qSupported, target.xml, ?, threads (see RSP lines)");

    snprintf(p, sizeof(p), "Z0,%llx,4", (unsigned long long)tick);
    ok = strcmp(cmd(p, 5000), "OK") == 0;
    ok = ok && resume_until_stop("c", "T05thread:01;");
    pc = read_pc();
    verdict("gdb-breakpoint-hit", ok && pc == tick, "stop %s, pc %llx (want %llx)", reply,
            (unsigned long long)pc, (unsigned long long)tick);

    c1 = read_u64(counter);
    va_alias = read_u64(counter + ALIAS_OFFSET);
    cmd("qRcmd,7068797320206f6e", 5000); /* "phys  on": refused (two spaces) */
    cmd("qRcmd,70687973206f6e", 5000);   /* "phys on" */
    phys = read_u64(counter);
    snprintf(p, sizeof(p), "m%llx,8", (unsigned long long)(counter + ALIAS_OFFSET));
    cmd(p, 5000);
    ok = strncmp(reply, "E", 1) == 0;    /* no guest-physical RAM at the alias */
    cmd("qRcmd,70687973206f6666", 5000); /* "phys off" */
    verdict("gdb-read-variable", c1 != ~0ull && c1 == va_alias && c1 == phys && ok,
            "gdb_counter %llx, via the alias %llx, physical %llx, alias physical refused %d",
            (unsigned long long)c1, (unsigned long long)va_alias, (unsigned long long)phys, ok);

    snprintf(p, sizeof(p), "z0,%llx,4", (unsigned long long)tick);
    cmd(p, 5000); /* as gdb does: off the breakpoint first */
    ok = resume_until_stop("vCont;s:1;c", "T05thread:01;");
    pc = read_pc();
    verdict("gdb-single-step", ok && pc == tick + 4, "stop %s, pc %llx (want %llx)", reply,
            (unsigned long long)pc, (unsigned long long)(tick + 4));

    snprintf(p, sizeof(p), "Z0,%llx,4", (unsigned long long)tick);
    cmd(p, 5000);
    ok = resume_until_stop("vCont;c", "T05thread:01;");
    c2 = read_u64(counter);
    pc = read_pc();
    verdict("gdb-continue-hits-again", ok && pc == tick && c2 == c1 + 1,
            "pc %llx, gdb_counter %llu after %llu", (unsigned long long)pc, (unsigned long long)c2,
            (unsigned long long)c1);

    snprintf(p, sizeof(p), "z0,%llx,4", (unsigned long long)tick);
    cmd(p, 5000);
    ok = resume_until_stop("s", "T05"); /* off the breakpoint's address first, as gdb does */
    snprintf(p, sizeof(p), "Z1,%llx,4", (unsigned long long)tick);
    ok = ok && strcmp(cmd(p, 5000), "OK") == 0;
    ok = ok && resume_until_stop("c", "T05thread:01;");
    c3 = read_u64(counter);
    pc = read_pc();
    snprintf(p, sizeof(p), "z1,%llx,4", (unsigned long long)tick);
    cmd(p, 5000);
    verdict("gdb-hw-breakpoint", ok && pc == tick && c3 == c2 + 1,
            "pc %llx, counter %llu after %llu", (unsigned long long)pc, (unsigned long long)c3,
            (unsigned long long)c2);

    send_packet("c");
    usleep(500000);
    send_raw("\x03", 1);
    recv_packet(10000);
    printf("RSP: Ctrl-C -> %s\n", reply);
    verdict("gdb-interrupt", strncmp(reply, "T02", 3) == 0, "reply %s", reply);

    cmd("D", 5000);
    close(fd);
    usleep(500000);
    fd = connect_to(argv[1]);
    c2 = fd >= 0 ? read_u64(counter) : ~0ull;
    if (fd >= 0)
        cmd("D", 5000);
    verdict("gdb-detach-resumes", c2 != ~0ull && c2 > c3 + 10,
            "gdb_counter %llu after the detach, %llu before", (unsigned long long)c2,
            (unsigned long long)c3);
    return failures ? 1 : 0;
}
