/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB stub's portable part (src/api/gdb_rsp.c, gdb_cmd.c): any bytes
 * from a client through the framing into the command handler, on a fake
 * target with 2 vCPUs and 16 KiB of memory; the first byte picks how often
 * the target fails. Checked: only existing vCPUs are named, memory requests
 * never exceed VMM_GDB_MAX_MEM, a reply fits its buffer and frames into
 * twice its size, and a detach takes every software breakpoint out (even
 * those whose removal failed before).
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/gdb.h"

#define MEM_BASE 0x40000000ull
#define MEM_SIZE 0x4000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fx {
    struct vmm_gdb g;
    struct vmm_gdb_rx rx;
    struct vmm_gdb_regs regs[2];
    uint8_t mem[MEM_SIZE];
    uint8_t mood;
    unsigned calls;
    char reply[VMM_GDB_MAX_REPLY];
    char framed[2 * VMM_GDB_MAX_REPLY + 8];
};

static struct fx fx;

static bool fx_fail(struct fx *f)
{
    return f->mood != 0 && ++f->calls % f->mood == 0;
}

static unsigned fx_threads(void *ctx)
{
    (void)ctx;
    return 2;
}

static int fx_get(void *ctx, unsigned vcpu, struct vmm_gdb_regs *r)
{
    struct fx *f = ctx;

    FZ_CHECK(vcpu < 2);
    if (fx_fail(f))
        return -VMM_EIO;
    *r = f->regs[vcpu];
    return 0;
}

static int fx_set(void *ctx, unsigned vcpu, const struct vmm_gdb_regs *r)
{
    struct fx *f = ctx;

    FZ_CHECK(vcpu < 2);
    if (fx_fail(f))
        return -VMM_EIO;
    f->regs[vcpu] = *r;
    return 0;
}

static uint8_t *fx_at(struct fx *f, uint64_t addr, size_t len)
{
    FZ_CHECK(len <= VMM_GDB_MAX_MEM);
    if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (addr - MEM_BASE))
        return NULL;
    return f->mem + (addr - MEM_BASE);
}

static int fx_read(void *ctx, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf, size_t len)
{
    struct fx *f = ctx;
    uint8_t *p = fx_at(f, addr, len);

    (void)phys;
    FZ_CHECK(vcpu < 2);
    if (p == NULL || fx_fail(f))
        return -VMM_EFAULT;
    memcpy(buf, p, len);
    return 0;
}

static int fx_write(void *ctx, unsigned vcpu, bool phys, uint64_t addr, const uint8_t *buf,
                    size_t len)
{
    struct fx *f = ctx;
    uint8_t *p = fx_at(f, addr, len);

    (void)phys;
    FZ_CHECK(vcpu < 2 && len > 0);
    if (p == NULL || fx_fail(f))
        return -VMM_EFAULT;
    memcpy(p, buf, len);
    return 0;
}

static int fx_hw(void *ctx, const uint64_t *addrs, unsigned n)
{
    (void)addrs;
    FZ_CHECK(n <= 6);
    return fx_fail(ctx) ? -VMM_EIO : 0;
}

static int fx_resume(void *ctx, int step)
{
    FZ_CHECK(step >= -1 && step < 2);
    return fx_fail(ctx) ? -VMM_EIO : 0;
}

static const struct vmm_gdb_target_ops fx_ops = {
    .nr_threads = fx_threads,
    .get_regs = fx_get,
    .set_regs = fx_set,
    .read_mem = fx_read,
    .write_mem = fx_write,
    .set_hw_breaks = fx_hw,
    .resume = fx_resume,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fx *f = &fx;

    if (size == 0)
        return 0;
    memset(f, 0, sizeof(*f));
    f->mood = data[0] % 8;
    vmm_gdb_init(&f->g, &fx_ops, f, 6);
    for (size_t i = 1; i < size; i++) {
        enum vmm_gdb_rx_event ev = vmm_gdb_rx_byte(&f->rx, data[i]);
        long n;

        if (ev == VMM_GDB_RX_INTERRUPT && f->g.running) {
            n = vmm_gdb_stop_reply(&f->g, data[i - 1] & 1, VMM_GDB_SIGINT, f->reply,
                                   sizeof(f->reply));
            FZ_CHECK(n > 0 && n < 32);
            continue;
        }
        if (ev != VMM_GDB_RX_PACKET)
            continue;
        FZ_CHECK(f->rx.len <= VMM_GDB_MAX_PACKET);
        n = vmm_gdb_handle(&f->g, f->rx.buf, f->rx.len, f->reply, sizeof(f->reply));
        FZ_CHECK(n >= -2 && n <= (long)sizeof(f->reply));
        if (n > 0)
            FZ_CHECK(vmm_gdb_frame(f->reply, (size_t)n, f->framed, sizeof(f->framed)) > 0);
        if (n == -1) /* the guest "stops" at once */
            vmm_gdb_stop_reply(&f->g, 0, VMM_GDB_SIGTRAP, f->reply, sizeof(f->reply));
        if (n == -2)
            break;
    }
    f->mood = 0; /* the detach itself succeeds */
    vmm_gdb_detach(&f->g);
    for (unsigned i = 0; i < VMM_GDB_MAX_SW_BP; i++)
        FZ_CHECK(!f->g.sw[i].used);
    return 0;
}
