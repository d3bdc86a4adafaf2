/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GDB remote protocol commands for an AArch64 guest (gdb.h). Each packet is
 * parsed here with bounds on everything the client sends: hex numbers of
 * at most 16 digits, lengths up to VMM_GDB_MAX_MEM, register numbers below
 * VMM_GDB_NR_REGS, thread ids naming an existing vCPU, hex data of exactly
 * the announced length. Software breakpoints are BRK #0 written over the
 * guest's instruction (and put back); hardware ones go to the port.
 * Replies: "OK", "E01" (bad request), "E02" (the target refused: a
 * translation fault, ...), the empty reply for what is not supported.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/gdb.h"

#define GDB_BRK 0xd4200000u /* BRK #0 */

const char vmm_gdb_target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>aarch64</architecture>"
    "<feature name=\"org.gnu.gdb.aarch64.core\">"
    "<reg name=\"x0\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>"
    "<reg name=\"x1\" bitsize=\"64\" type=\"int\"/><reg name=\"x2\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x3\" bitsize=\"64\" type=\"int\"/><reg name=\"x4\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x5\" bitsize=\"64\" type=\"int\"/><reg name=\"x6\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x7\" bitsize=\"64\" type=\"int\"/><reg name=\"x8\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x9\" bitsize=\"64\" type=\"int\"/><reg name=\"x10\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x11\" bitsize=\"64\" type=\"int\"/><reg name=\"x12\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x13\" bitsize=\"64\" type=\"int\"/><reg name=\"x14\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x15\" bitsize=\"64\" type=\"int\"/><reg name=\"x16\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x17\" bitsize=\"64\" type=\"int\"/><reg name=\"x18\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x19\" bitsize=\"64\" type=\"int\"/><reg name=\"x20\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x21\" bitsize=\"64\" type=\"int\"/><reg name=\"x22\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x23\" bitsize=\"64\" type=\"int\"/><reg name=\"x24\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x25\" bitsize=\"64\" type=\"int\"/><reg name=\"x26\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x27\" bitsize=\"64\" type=\"int\"/><reg name=\"x28\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"x29\" bitsize=\"64\" type=\"int\"/><reg name=\"x30\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>"
    "<reg name=\"cpsr\" bitsize=\"32\" type=\"int\"/>"
    "</feature></target>";

static const char gdb_hex[] = "0123456789abcdef";

static int gdb_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A cursor over the packet. */
struct gdb_in {
    const char *p, *end;
};

/* A hex number of 1..16 digits. */
static bool gdb_num(struct gdb_in *in, uint64_t *out)
{
    uint64_t v = 0;
    unsigned n = 0;

    while (in->p < in->end && gdb_hexval(*in->p) >= 0) {
        if (++n > 16)
            return false;
        v = (v << 4) | (uint64_t)gdb_hexval(*in->p++);
    }
    *out = v;
    return n > 0;
}

static bool gdb_take(struct gdb_in *in, char c)
{
    if (in->p < in->end && *in->p == c) {
        in->p++;
        return true;
    }
    return false;
}

/* @len bytes from 2*@len hex digits. */
static bool gdb_unhex(const char *s, size_t digits, uint8_t *out, size_t len)
{
    if (digits != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = gdb_hexval(s[2 * i]), lo = gdb_hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static size_t gdb_tohex(char *out, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = gdb_hex[buf[i] >> 4];
        out[2 * i + 1] = gdb_hex[buf[i] & 15];
    }
    return 2 * len;
}

static long gdb_str(char *reply, const char *s)
{
    size_t n = strlen(s);

    memcpy(reply, s, n);
    return (long)n;
}

static long gdb_err(char *reply, int code)
{
    return gdb_str(reply, code == 1 ? "E01" : code == 2 ? "E02" : "E03");
}

/* Registers as GDB orders them: x0..x30, sp, pc (8 bytes), cpsr (4), LE. */
static size_t gdb_reg_bytes(unsigned n)
{
    return n == VMM_GDB_REG_CPSR ? 4 : 8;
}

static uint64_t gdb_reg_get(const struct vmm_gdb_regs *r, unsigned n)
{
    return n < 31 ? r->x[n] : n == VMM_GDB_REG_SP ? r->sp : n == VMM_GDB_REG_PC ? r->pc : r->cpsr;
}

static void gdb_reg_set(struct vmm_gdb_regs *r, unsigned n, uint64_t v)
{
    if (n < 31)
        r->x[n] = v;
    else if (n == VMM_GDB_REG_SP)
        r->sp = v;
    else if (n == VMM_GDB_REG_PC)
        r->pc = v;
    else
        r->cpsr = (uint32_t)v;
}

static size_t gdb_put_le(char *out, uint64_t v, size_t bytes)
{
    uint8_t b[8];

    for (size_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return gdb_tohex(out, b, bytes);
}

static uint64_t gdb_get_le(const uint8_t *b, size_t bytes)
{
    uint64_t v = 0;

    for (size_t i = 0; i < bytes; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* A thread id: -1 (all), 0 (any) or 1..n; the vCPU it names in *@vcpu. */
static bool gdb_thread(struct vmm_gdb *g, struct gdb_in *in, int *vcpu)
{
    uint64_t id;

    if (gdb_take(in, '-')) {
        if (!gdb_take(in, '1'))
            return false;
        *vcpu = -1;
        return true;
    }
    if (!gdb_num(in, &id) || id > g->ops->nr_threads(g->ctx))
        return false;
    *vcpu = (int)id - 1; /* 0 ("any") becomes -1 */
    return true;
}

static long gdb_read_regs(struct vmm_gdb *g, char *reply)
{
    struct vmm_gdb_regs r;
    size_t n = 0;

    if (g->ops->get_regs(g->ctx, g->g_vcpu, &r) < 0)
        return gdb_err(reply, 2);
    for (unsigned i = 0; i < VMM_GDB_NR_REGS; i++)
        n += gdb_put_le(reply + n, gdb_reg_get(&r, i), gdb_reg_bytes(i));
    return (long)n;
}

static long gdb_write_regs(struct vmm_gdb *g, struct gdb_in *in, char *reply)
{
    uint8_t b[8];
    struct vmm_gdb_regs r;

    for (unsigned i = 0; i < VMM_GDB_NR_REGS; i++) {
        size_t bytes = gdb_reg_bytes(i);

        if ((size_t)(in->end - in->p) < 2 * bytes || !gdb_unhex(in->p, 2 * bytes, b, bytes))
            return gdb_err(reply, 1);
        in->p += 2 * bytes;
        gdb_reg_set(&r, i, gdb_get_le(b, bytes));
    }
    if (in->p != in->end)
        return gdb_err(reply, 1);
    return g->ops->set_regs(g->ctx, g->g_vcpu, &r) < 0 ? gdb_err(reply, 2) : gdb_str(reply, "OK");
}

static long gdb_reg_one(struct vmm_gdb *g, struct gdb_in *in, bool write, char *reply)
{
    struct vmm_gdb_regs r;
    uint64_t n;
    uint8_t b[8];

    if (!gdb_num(in, &n) || (write && !gdb_take(in, '=')) || (!write && in->p != in->end))
        return gdb_err(reply, 1);
    if (n >= VMM_GDB_NR_REGS)
        return write ? gdb_err(reply, 1) : 0; /* unknown register: "unavailable" */
    if (g->ops->get_regs(g->ctx, g->g_vcpu, &r) < 0)
        return gdb_err(reply, 2);
    if (!write)
        return (long)gdb_put_le(reply, gdb_reg_get(&r, (unsigned)n), gdb_reg_bytes((unsigned)n));
    if (!gdb_unhex(in->p, (size_t)(in->end - in->p), b, gdb_reg_bytes((unsigned)n)))
        return gdb_err(reply, 1);
    gdb_reg_set(&r, (unsigned)n, gdb_get_le(b, gdb_reg_bytes((unsigned)n)));
    return g->ops->set_regs(g->ctx, g->g_vcpu, &r) < 0 ? gdb_err(reply, 2) : gdb_str(reply, "OK");
}

/* m/M/X: "addr,len" then ":data" for writes. */
static long gdb_mem(struct vmm_gdb *g, struct gdb_in *in, char kind, char *reply)
{
    uint8_t buf[VMM_GDB_MAX_MEM];
    uint64_t addr, len;

    if (!gdb_num(in, &addr) || !gdb_take(in, ',') || !gdb_num(in, &len) || len > VMM_GDB_MAX_MEM)
        return gdb_err(reply, 1);
    if (kind == 'm') {
        if (in->p != in->end)
            return gdb_err(reply, 1);
        if (g->ops->read_mem(g->ctx, g->g_vcpu, g->phys, addr, buf, (size_t)len) < 0)
            return gdb_err(reply, 2);
        return (long)gdb_tohex(reply, buf, (size_t)len);
    }
    if (!gdb_take(in, ':'))
        return gdb_err(reply, 1);
    if (kind == 'M' && !gdb_unhex(in->p, (size_t)(in->end - in->p), buf, (size_t)len))
        return gdb_err(reply, 1);
    if (kind == 'X') {
        if ((uint64_t)(in->end - in->p) != len)
            return gdb_err(reply, 1);
        memcpy(buf, in->p, (size_t)len);
    }
    if (len > 0 && g->ops->write_mem(g->ctx, g->g_vcpu, g->phys, addr, buf, (size_t)len) < 0)
        return gdb_err(reply, 2);
    return gdb_str(reply, "OK");
}

static int gdb_sw_insert(struct vmm_gdb *g, uint64_t addr)
{
    struct vmm_gdb_sw_bp *free_bp = NULL;
    uint8_t b[4];

    for (unsigned i = 0; i < VMM_GDB_MAX_SW_BP; i++) {
        if (g->sw[i].used && g->sw[i].addr == addr)
            return 0; /* already there */
        if (!g->sw[i].used && free_bp == NULL)
            free_bp = &g->sw[i];
    }
    if (free_bp == NULL)
        return -VMM_ENOSPC;
    if (g->ops->read_mem(g->ctx, g->g_vcpu, false, addr, b, 4) < 0)
        return -VMM_EFAULT;
    free_bp->saved = (uint32_t)gdb_get_le(b, 4);
    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(GDB_BRK >> (8 * i));
    if (g->ops->write_mem(g->ctx, g->g_vcpu, false, addr, b, 4) < 0)
        return -VMM_EFAULT;
    free_bp->addr = addr;
    free_bp->used = true;
    return 0;
}

static int gdb_sw_remove(struct vmm_gdb *g, struct vmm_gdb_sw_bp *bp)
{
    uint8_t b[4];

    int ret;

    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(bp->saved >> (8 * i));
    ret = g->ops->write_mem(g->ctx, g->g_vcpu, false, bp->addr, b, 4);
    if (ret == 0)
        bp->used = false; /* else still ours: removed again at detach */
    return ret;
}

static int gdb_hw_change(struct vmm_gdb *g, uint64_t addr, bool insert)
{
    for (unsigned i = 0; i < g->nr_hw; i++) {
        if (g->hw[i] != addr)
            continue;
        if (insert)
            return 0;
        g->hw[i] = g->hw[--g->nr_hw];
        return g->ops->set_hw_breaks(g->ctx, g->hw, g->nr_hw);
    }
    if (!insert)
        return 0;
    if (g->nr_hw >= g->max_hw)
        return -VMM_ENOSPC;
    g->hw[g->nr_hw++] = addr;
    return g->ops->set_hw_breaks(g->ctx, g->hw, g->nr_hw);
}

/* Z/z: "type,addr,kind"; types 0 (software) and 1 (hardware), kind 4. */
static long gdb_break(struct vmm_gdb *g, struct gdb_in *in, bool insert, char *reply)
{
    uint64_t type, addr, kind;
    int ret = 0;

    if (!gdb_num(in, &type) || !gdb_take(in, ',') || !gdb_num(in, &addr) || !gdb_take(in, ',') ||
        !gdb_num(in, &kind))
        return gdb_err(reply, 1);
    if (type > 1)
        return 0; /* watchpoints: not supported */
    if (kind != 4 || (addr & 3) != 0)
        return gdb_err(reply, 1);
    if (type == 1) {
        ret = gdb_hw_change(g, addr, insert);
    } else if (insert) {
        ret = gdb_sw_insert(g, addr);
    } else {
        for (unsigned i = 0; i < VMM_GDB_MAX_SW_BP; i++)
            if (g->sw[i].used && g->sw[i].addr == addr)
                ret = gdb_sw_remove(g, &g->sw[i]);
    }
    return ret < 0 ? gdb_err(reply, 2) : gdb_str(reply, "OK");
}

/* c/s [addr], vCont;action[:thread]... */
static long gdb_resume(struct vmm_gdb *g, int step_vcpu, char *reply)
{
    if (g->ops->resume(g->ctx, step_vcpu) < 0)
        return gdb_err(reply, 2);
    g->running = true;
    return -1;
}

static long gdb_cont_or_step(struct vmm_gdb *g, struct gdb_in *in, bool step, char *reply)
{
    struct vmm_gdb_regs r;
    uint64_t addr;

    if (in->p != in->end) { /* resume at addr */
        if (!gdb_num(in, &addr) || in->p != in->end || g->ops->get_regs(g->ctx, g->g_vcpu, &r) < 0)
            return gdb_err(reply, 1);
        r.pc = addr;
        if (g->ops->set_regs(g->ctx, g->g_vcpu, &r) < 0)
            return gdb_err(reply, 2);
    }
    return gdb_resume(g, step ? (g->c_vcpu >= 0 ? g->c_vcpu : (int)g->g_vcpu) : -1, reply);
}

static long gdb_vcont(struct vmm_gdb *g, struct gdb_in *in, char *reply)
{
    int step = -1;

    while (gdb_take(in, ';')) {
        char action = in->p < in->end ? *in->p++ : 0;
        uint64_t sig;
        int vcpu = -1;

        if (action == 'C' || action == 'S') {
            if (!gdb_num(in, &sig))
                return gdb_err(reply, 1);
            action = action == 'C' ? 'c' : 's';
        }
        if (action != 'c' && action != 's')
            return gdb_err(reply, 1);
        if (gdb_take(in, ':') && !gdb_thread(g, in, &vcpu))
            return gdb_err(reply, 1);
        if (action == 's' && step < 0)
            step = vcpu >= 0 ? vcpu : (int)g->g_vcpu;
    }
    if (in->p != in->end)
        return gdb_err(reply, 1);
    return gdb_resume(g, step, reply);
}

/* qXfer:features:read:target.xml:offset,length */
static long gdb_xfer(struct gdb_in *in, char *reply, size_t cap)
{
    static const char annex[] = "target.xml:";
    size_t total = sizeof(vmm_gdb_target_xml) - 1, n;
    uint64_t off, len;

    if ((size_t)(in->end - in->p) < sizeof(annex) - 1 ||
        memcmp(in->p, annex, sizeof(annex) - 1) != 0)
        return gdb_str(reply, "E00");
    in->p += sizeof(annex) - 1;
    if (!gdb_num(in, &off) || !gdb_take(in, ',') || !gdb_num(in, &len) || in->p != in->end)
        return gdb_err(reply, 1);
    if (off >= total)
        return gdb_str(reply, "l");
    n = total - (size_t)off;
    if (len < n)
        n = (size_t)len;
    if (n > cap - 1)
        n = cap - 1;
    reply[0] = off + n < total ? 'm' : 'l';
    memcpy(reply + 1, vmm_gdb_target_xml + off, n);
    return (long)n + 1;
}

/* qRcmd,hex: "phys on", "phys off" (monitor commands). */
static long gdb_monitor(struct vmm_gdb *g, struct gdb_in *in, char *reply)
{
    char cmd[32];
    const char *out;
    size_t digits = (size_t)(in->end - in->p);

    if (digits % 2 != 0 || digits / 2 >= sizeof(cmd) ||
        !gdb_unhex(in->p, digits, (uint8_t *)cmd, digits / 2))
        return gdb_err(reply, 1);
    cmd[digits / 2] = '\0';
    if (strcmp(cmd, "phys on") == 0)
        g->phys = true;
    else if (strcmp(cmd, "phys off") == 0)
        g->phys = false;
    else if (strcmp(cmd, "phys") != 0)
        return (long)gdb_tohex(reply, (const uint8_t *)"monitor: phys [on|off]\n", 23);
    out = g->phys ? "memory: guest physical\n" : "memory: guest virtual (vCPU's stage 1)\n";
    return (long)gdb_tohex(reply, (const uint8_t *)out, strlen(out));
}

static long gdb_threads(struct vmm_gdb *g, char *reply, bool first)
{
    unsigned n = g->ops->nr_threads(g->ctx);
    size_t len = 0;

    if (!first)
        return gdb_str(reply, "l");
    reply[len++] = 'm';
    for (unsigned i = 0; i < n && i < 255; i++) {
        if (i > 0)
            reply[len++] = ',';
        len += gdb_put_le(reply + len, i + 1, 1);
    }
    return (long)len;
}

static bool gdb_prefix(struct gdb_in *in, const char *s)
{
    size_t n = strlen(s);

    if ((size_t)(in->end - in->p) < n || memcmp(in->p, s, n) != 0)
        return false;
    in->p += n;
    return true;
}

static long gdb_query(struct vmm_gdb *g, struct gdb_in *in, char *reply, size_t cap)
{
    if (gdb_prefix(in, "qSupported"))
        return gdb_str(reply, "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+;"
                              "vContSupported+");
    if (gdb_prefix(in, "qXfer:features:read:"))
        return gdb_xfer(in, reply, cap);
    if (gdb_prefix(in, "qfThreadInfo"))
        return gdb_threads(g, reply, true);
    if (gdb_prefix(in, "qsThreadInfo"))
        return gdb_threads(g, reply, false);
    if (gdb_prefix(in, "qC") && in->p == in->end) {
        memcpy(reply, "QC", 2);
        return 2 + (long)gdb_put_le(reply + 2, g->last_vcpu + 1, 1);
    }
    if (gdb_prefix(in, "qAttached"))
        return gdb_str(reply, "1");
    if (gdb_prefix(in, "qRcmd,"))
        return gdb_monitor(g, in, reply);
    if (gdb_prefix(in, "QStartNoAckMode")) {
        g->no_ack = true;
        return gdb_str(reply, "OK");
    }
    return 0;
}

void vmm_gdb_init(struct vmm_gdb *g, const struct vmm_gdb_target_ops *ops, void *ctx,
                  unsigned max_hw)
{
    memset(g, 0, sizeof(*g));
    g->ops = ops;
    g->ctx = ctx;
    g->c_vcpu = -1;
    g->max_hw = max_hw < VMM_GDB_MAX_HW_BP ? max_hw : VMM_GDB_MAX_HW_BP;
}

long vmm_gdb_stop_reply(struct vmm_gdb *g, unsigned vcpu, int sig, char *reply, size_t cap)
{
    size_t n = 0;

    (void)cap; /* at most 16 bytes */
    g->running = false;
    g->last_vcpu = vcpu;
    g->g_vcpu = vcpu;
    reply[n++] = 'T';
    n += gdb_put_le(reply + n, (uint64_t)sig & 0xff, 1);
    memcpy(reply + n, "thread:", 7);
    n += 7;
    n += gdb_put_le(reply + n, vcpu + 1, 1);
    reply[n++] = ';';
    return (long)n;
}

void vmm_gdb_detach(struct vmm_gdb *g)
{
    for (unsigned i = 0; i < VMM_GDB_MAX_SW_BP; i++)
        if (g->sw[i].used)
            (void)gdb_sw_remove(g, &g->sw[i]);
    g->nr_hw = 0;
    (void)g->ops->set_hw_breaks(g->ctx, g->hw, 0);
}

long vmm_gdb_handle(struct vmm_gdb *g, const char *pkt, size_t len, char *reply, size_t cap)
{
    struct gdb_in in = {.p = pkt + (len > 0), .end = pkt + len};
    int vcpu;

    if (len == 0 || cap < VMM_GDB_MAX_REPLY)
        return 0;
    if (g->running) /* only Ctrl-C while it runs (the transport's) */
        return gdb_err(reply, 1);
    switch (pkt[0]) {
    case '?':
        return vmm_gdb_stop_reply(g, g->last_vcpu, VMM_GDB_SIGTRAP, reply, cap);
    case 'g':
        return in.p == in.end ? gdb_read_regs(g, reply) : gdb_err(reply, 1);
    case 'G':
        return gdb_write_regs(g, &in, reply);
    case 'p':
        return gdb_reg_one(g, &in, false, reply);
    case 'P':
        return gdb_reg_one(g, &in, true, reply);
    case 'm':
    case 'M':
    case 'X':
        return gdb_mem(g, &in, pkt[0], reply);
    case 'Z':
    case 'z':
        return gdb_break(g, &in, pkt[0] == 'Z', reply);
    case 'c':
    case 's':
        return gdb_cont_or_step(g, &in, pkt[0] == 's', reply);
    case 'H':
        if (in.p >= in.end || (*in.p != 'g' && *in.p != 'c'))
            return gdb_err(reply, 1);
        in.p++;
        if (!gdb_thread(g, &in, &vcpu) || in.p != in.end)
            return gdb_err(reply, 1);
        if (pkt[1] == 'g')
            g->g_vcpu = vcpu >= 0 ? (unsigned)vcpu : g->last_vcpu;
        else
            g->c_vcpu = vcpu;
        return gdb_str(reply, "OK");
    case 'T':
        return gdb_thread(g, &in, &vcpu) && vcpu >= 0 && in.p == in.end ? gdb_str(reply, "OK")
                                                                        : gdb_err(reply, 1);
    case 'q':
    case 'Q':
        return gdb_query(g, &(struct gdb_in){pkt, pkt + len}, reply, cap);
    case 'v':
        if (len == 6 && memcmp(pkt, "vCont?", 6) == 0)
            return gdb_str(reply, "vCont;c;C;s;S");
        if (len >= 5 && memcmp(pkt, "vCont", 5) == 0)
            return gdb_vcont(g, &(struct gdb_in){pkt + 5, pkt + len}, reply);
        return 0;
    case 'D':
    case 'k':
        vmm_gdb_detach(g);
        if (pkt[0] == 'D')
            (void)gdb_str(reply, "OK");
        return -2;
    default:
        return 0;
    }
}
