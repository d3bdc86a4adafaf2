/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB stub's portable part (stdvmm/gdb.h) against a fake target:
 * framing (checksums, escapes, Ctrl-C, oversized packets), registers,
 * memory, software and hardware breakpoints, step/continue, threads, the
 * target description, and requests with bad lengths, addresses and ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/gdb.h"

#define MEM_BASE 0x1000u
#define MEM_SIZE 0x4000u

struct fake {
    struct vmm_gdb g;
    struct vmm_gdb_regs regs[2];
    uint8_t mem[MEM_SIZE];
    uint64_t hw[VMM_GDB_MAX_HW_BP];
    unsigned nr_hw;
    int resumed_step; /* -2: not resumed */
    bool last_phys;
    char reply[VMM_GDB_MAX_REPLY];
};

static unsigned f_threads(void *ctx)
{
    (void)ctx;
    return 2;
}

static int f_get(void *ctx, unsigned vcpu, struct vmm_gdb_regs *r)
{
    struct fake *f = ctx;

    assert_true(vcpu < 2);
    *r = f->regs[vcpu];
    return 0;
}

static int f_set(void *ctx, unsigned vcpu, const struct vmm_gdb_regs *r)
{
    struct fake *f = ctx;

    assert_true(vcpu < 2);
    f->regs[vcpu] = *r;
    return 0;
}

static int f_read(void *ctx, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf, size_t len)
{
    struct fake *f = ctx;

    (void)vcpu;
    f->last_phys = phys;
    assert_true(len <= VMM_GDB_MAX_MEM);
    if (addr < MEM_BASE || addr > MEM_BASE + MEM_SIZE || len > MEM_BASE + MEM_SIZE - addr)
        return -VMM_EFAULT;
    memcpy(buf, f->mem + (addr - MEM_BASE), len);
    return 0;
}

static int f_write(void *ctx, unsigned vcpu, bool phys, uint64_t addr, const uint8_t *buf,
                   size_t len)
{
    struct fake *f = ctx;

    (void)vcpu;
    (void)phys;
    assert_true(len <= VMM_GDB_MAX_MEM);
    if (addr < MEM_BASE || addr > MEM_BASE + MEM_SIZE || len > MEM_BASE + MEM_SIZE - addr)
        return -VMM_EFAULT;
    memcpy(f->mem + (addr - MEM_BASE), buf, len);
    return 0;
}

static int f_hw(void *ctx, const uint64_t *addrs, unsigned n)
{
    struct fake *f = ctx;

    assert_true(n <= 4);
    memcpy(f->hw, addrs, n * sizeof(*addrs));
    f->nr_hw = n;
    return 0;
}

static int f_resume(void *ctx, int step)
{
    ((struct fake *)ctx)->resumed_step = step;
    return 0;
}

static const struct vmm_gdb_target_ops fake_ops = {
    .nr_threads = f_threads,
    .get_regs = f_get,
    .set_regs = f_set,
    .read_mem = f_read,
    .write_mem = f_write,
    .set_hw_breaks = f_hw,
    .resume = f_resume,
};

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));

    vmm_gdb_init(&f->g, &fake_ops, f, 4);
    f->resumed_step = -2;
    for (unsigned i = 0; i < 31; i++)
        f->regs[0].x[i] = 0x1000 + i;
    f->regs[0].sp = 0x5555;
    f->regs[0].pc = 0x2000;
    f->regs[0].cpsr = 0x3c5;
    for (unsigned i = 0; i < MEM_SIZE; i++)
        f->mem[i] = (uint8_t)i;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Handle @pkt; the reply NUL-terminated in f->reply (or "<none>"). */
static const char *req(struct fake *f, const char *pkt)
{
    long n = vmm_gdb_handle(&f->g, pkt, strlen(pkt), f->reply, sizeof(f->reply));

    if (n < 0)
        snprintf(f->reply, sizeof(f->reply), "<%s>", n == -1 ? "running" : "close");
    else
        f->reply[n] = '\0';
    return f->reply;
}

static void gdb_rx_checks_checksums_escapes_and_interrupts(void **state)
{
    static const char good[] = "+$m10}\x03,4#";
    struct vmm_gdb_rx *rx = calloc(1, sizeof(*rx));
    unsigned sum = 0;
    char cs[3];
    enum vmm_gdb_rx_event ev = VMM_GDB_RX_NONE;

    (void)state;
    assert_int_equal(vmm_gdb_rx_byte(rx, 0x03), VMM_GDB_RX_INTERRUPT);
    for (const char *p = good + 2; *p != '#'; p++)
        sum += (unsigned char)*p;
    snprintf(cs, sizeof(cs), "%02x", sum & 0xff);
    for (const char *p = good; *p; p++)
        assert_int_equal(vmm_gdb_rx_byte(rx, (uint8_t)*p), VMM_GDB_RX_NONE);
    assert_int_equal(vmm_gdb_rx_byte(rx, (uint8_t)cs[0]), VMM_GDB_RX_NONE);
    assert_int_equal(vmm_gdb_rx_byte(rx, (uint8_t)cs[1]), VMM_GDB_RX_PACKET);
    assert_int_equal(rx->len, 6);
    assert_memory_equal(rx->buf, "m10#,4", 6); /* "}\x03" is '#' */
    /* a wrong checksum */
    for (const char *p = "$g#00"; *p; p++)
        ev = vmm_gdb_rx_byte(rx, (uint8_t)*p);
    assert_int_equal(ev, VMM_GDB_RX_BAD);
    /* an oversized packet is swallowed and refused */
    vmm_gdb_rx_byte(rx, '$');
    for (unsigned i = 0; i < VMM_GDB_MAX_PACKET + 100; i++)
        assert_int_equal(vmm_gdb_rx_byte(rx, 'a'), VMM_GDB_RX_NONE);
    vmm_gdb_rx_byte(rx, '#');
    vmm_gdb_rx_byte(rx, '0');
    assert_int_equal(vmm_gdb_rx_byte(rx, '0'), VMM_GDB_RX_BAD);
    assert_true(rx->len <= VMM_GDB_MAX_PACKET);
    free(rx);
}

static void gdb_frame_escapes_and_sums(void **state)
{
    char out[32];
    size_t n = vmm_gdb_frame("a$#}*", 5, out, sizeof(out));

    (void)state;
    out[n] = '\0';
    /* a, }\x04, }\x03, }], }\x0a; sum of the sent bytes */
    assert_memory_equal(out, "$a}\x04}\x03}]}\x0a#", 11);
    assert_int_equal(vmm_gdb_frame("abc", 3, out, 6), 0); /* does not fit */
}

static void gdb_registers_read_and_write(void **state)
{
    struct fake *f = *state;
    char g[600];

    assert_int_equal(strlen(req(f, "g")), 31 * 16 + 16 + 16 + 8);
    assert_memory_equal(f->reply, "0010000000000000", 16);           /* x0 = 0x1000 LE */
    assert_memory_equal(f->reply + 32 * 16, "0020000000000000", 16); /* pc */
    assert_string_equal(f->reply + 33 * 16, "c5030000");             /* cpsr */
    assert_string_equal(req(f, "p20"), "0020000000000000");
    assert_string_equal(req(f, "P20=0830000000000000"), "OK");
    assert_int_equal(f->regs[0].pc, 0x3008);
    assert_string_equal(req(f, "p22=00"), "E01");
    assert_string_equal(req(f, "p99"), ""); /* no such register */
    assert_string_equal(req(f, "P99=00"), "E01");
    assert_string_equal(req(f, "P20=08"), "E01");             /* too short */
    assert_string_equal(req(f, "p11111111111111111"), "E01"); /* 17 digits */
    snprintf(g, sizeof(g), "G%s", req(f, "g"));
    g[1] = 'f';
    assert_string_equal(req(f, g), "OK");
    assert_int_equal(f->regs[0].x[0], 0x10f0);
    g[strlen(g) - 1] = '\0';
    assert_string_equal(req(f, g), "E01"); /* one digit short */
    assert_string_equal(req(f, "Hg2"), "OK");
    assert_string_equal(req(f, "p20"), "0000000000000000"); /* vCPU 1's */
    assert_string_equal(req(f, "Hg3"), "E01");
    assert_string_equal(req(f, "T2"), "OK");
    assert_string_equal(req(f, "T3"), "E01");
}

static void gdb_memory_reads_and_writes_checked(void **state)
{
    struct fake *f = *state;

    assert_string_equal(req(f, "m1001,3"), "010203");
    assert_string_equal(req(f, "M1001,2:aabb"), "OK");
    assert_int_equal(f->mem[1], 0xaa);
    assert_string_equal(req(f, "X1003,2:\x7d\x03"), "OK");
    assert_int_equal(f->mem[3], 0x7d);
    assert_string_equal(req(f, "M1001,2:aa"), "E01");   /* data shorter than len */
    assert_string_equal(req(f, "M1001,1:aabb"), "E01"); /* longer */
    assert_string_equal(req(f, "m1001,801"), "E01");    /* over VMM_GDB_MAX_MEM */
    assert_string_equal(req(f, "m0,4"), "E02");         /* the target refuses */
    assert_string_equal(req(f, "mffffffffffffffff,8"), "E02");
    assert_string_equal(req(f, "m1001"), "E01");
    assert_string_equal(req(f, "m,4"), "E01");
    assert_int_equal(strlen(req(f, "m1000,800")), 2 * 0x800);
    assert_false(f->last_phys);
    assert_string_equal(req(f, "qRcmd,70687973206f6e"),
                        "6d656d6f72793a20677565737420706879"
                        "736963616c0a"); /* memory: guest physical */
    req(f, "m1000,1");
    assert_true(f->last_phys);
}

static void gdb_software_breakpoints_write_brk_and_restore(void **state)
{
    struct fake *f = *state;
    uint8_t orig[4];

    memcpy(orig, f->mem + 0x100, 4);
    assert_string_equal(req(f, "Z0,1100,4"), "OK");
    assert_memory_equal(f->mem + 0x100, "\x00\x00\x20\xd4", 4); /* BRK #0 */
    assert_string_equal(req(f, "Z0,1100,4"), "OK");             /* twice: one BRK, one save */
    assert_string_equal(req(f, "z0,1100,4"), "OK");
    assert_memory_equal(f->mem + 0x100, orig, 4);
    assert_string_equal(req(f, "Z0,1102,4"), "E01"); /* unaligned */
    assert_string_equal(req(f, "Z0,1100,2"), "E01"); /* not a 4-byte kind */
    assert_string_equal(req(f, "Z0,0,4"), "E02");    /* not in memory */
    assert_string_equal(req(f, "Z2,1100,4"), "");    /* watchpoints: not supported */
    assert_string_equal(req(f, "Z0,1104,4"), "OK");
    vmm_gdb_detach(&f->g); /* the end of a session takes them out */
    assert_memory_equal(f->mem + 0x104, "\x04\x05\x06\x07", 4);
}

static void gdb_hardware_breakpoints_up_to_the_limit(void **state)
{
    struct fake *f = *state;
    char p[32];

    for (unsigned i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "Z1,%x,4", 0x2000 + 4 * i);
        assert_string_equal(req(f, p), "OK");
    }
    assert_int_equal(f->nr_hw, 4);
    assert_string_equal(req(f, "Z1,3000,4"), "E02");
    assert_string_equal(req(f, "z1,2004,4"), "OK");
    assert_int_equal(f->nr_hw, 3);
    assert_string_equal(req(f, "Z1,3000,4"), "OK");
}

static void gdb_resume_and_stop_replies(void **state)
{
    struct fake *f = *state;
    long n;

    assert_string_equal(req(f, "?"), "T05thread:01;");
    assert_string_equal(req(f, "c"), "<running>");
    assert_int_equal(f->resumed_step, -1);
    assert_string_equal(req(f, "g"), "E01"); /* not while it runs */
    n = vmm_gdb_stop_reply(&f->g, 1, VMM_GDB_SIGTRAP, f->reply, sizeof(f->reply));
    f->reply[n] = '\0';
    assert_string_equal(f->reply, "T05thread:02;");
    assert_string_equal(req(f, "qC"), "QC02");
    assert_string_equal(req(f, "s"), "<running>");
    assert_int_equal(f->resumed_step, 1); /* the vCPU of the stop */
    vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGTRAP, f->reply, sizeof(f->reply));
    assert_string_equal(req(f, "vCont;s:2;c"), "<running>");
    assert_int_equal(f->resumed_step, 1);
    vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGTRAP, f->reply, sizeof(f->reply));
    assert_string_equal(req(f, "vCont;c"), "<running>");
    assert_int_equal(f->resumed_step, -1);
    vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGINT, f->reply, sizeof(f->reply));
    assert_string_equal(req(f, "vCont;s:3"), "E01"); /* no thread 3 */
    assert_string_equal(req(f, "vCont;x"), "E01");
    assert_string_equal(req(f, "vCont?"), "vCont;c;C;s;S");
    assert_string_equal(req(f, "c3000"), "<running>"); /* resume at an address */
    assert_int_equal(f->regs[0].pc, 0x3000);
    vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGINT, f->reply, sizeof(f->reply));
    assert_string_equal(req(f, "D"), "<close>");
}

static void gdb_queries_threads_and_target_xml(void **state)
{
    struct fake *f = *state;
    size_t total = strlen(vmm_gdb_target_xml);
    char p[64];

    assert_non_null(strstr(req(f, "qSupported:xmlRegisters=i386"), "PacketSize=1000"));
    assert_string_equal(req(f, "qfThreadInfo"), "m01,02");
    assert_string_equal(req(f, "qsThreadInfo"), "l");
    assert_string_equal(req(f, "qAttached"), "1");
    req(f, "qXfer:features:read:target.xml:0,40");
    assert_int_equal(f->reply[0], 'm');
    assert_int_equal(strlen(f->reply), 0x41);
    snprintf(p, sizeof(p), "qXfer:features:read:target.xml:%zx,1000", total - 9);
    assert_string_equal(req(f, p), "l</target>");
    snprintf(p, sizeof(p), "qXfer:features:read:target.xml:%zx,10", total + 5);
    assert_string_equal(req(f, p), "l");
    assert_string_equal(req(f, "qXfer:features:read:other.xml:0,10"), "E00");
    assert_string_equal(req(f, "qXfer:features:read:target.xml:0"), "E01");
    assert_non_null(strstr(vmm_gdb_target_xml, "<reg name=\"cpsr\" bitsize=\"32\""));
    assert_string_equal(req(f, "QStartNoAckMode"), "OK");
    assert_true(f->g.no_ack);
    assert_string_equal(req(f, "vMustReplyEmpty"), "");
    assert_string_equal(req(f, "qRcmd,7a"), "6d6f6e69746f723a2070687973205b6f6e7c6f66665d0a");
    assert_string_equal(req(f, "qRcmd,7"), "E01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gdb_rx_checks_checksums_escapes_and_interrupts),
        cmocka_unit_test(gdb_frame_escapes_and_sums),
        cmocka_unit_test_setup_teardown(gdb_registers_read_and_write, setup, teardown),
        cmocka_unit_test_setup_teardown(gdb_memory_reads_and_writes_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(gdb_software_breakpoints_write_brk_and_restore, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(gdb_hardware_breakpoints_up_to_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(gdb_resume_and_stop_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(gdb_queries_threads_and_target_xml, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
