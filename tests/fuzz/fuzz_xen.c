/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Xen hypercall interface (src/devices/xen_*.c): hypercalls of any
 * number and arguments (pointers mostly into or around guest RAM), guest
 * RAM rewritten between calls (the shared pages and the console ring are
 * the guest's to scribble on), console input, resets, with the MMU off or a
 * stage-1 configuration from the input. Checked: the sink gets at most 256
 * bytes per write and only while a call or flush runs, upcalls name a vCPU
 * of the VM, results are 0, a small positive value or a Xen error code.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/xen.h"

#define NR_VCPUS 2u
#define RAM_END (FZ_RAM_GPA + FZ_RAM_SIZE)

struct fx {
    struct fz_guest g;
    struct vmm_xen x;
    struct vmm_stream_backend out;
    struct vmm_xen_ops ops;
    size_t sunk;
};

static struct fx fx;

static long sink(void *ctx, const uint8_t *buf, size_t len)
{
    struct fx *f = ctx;

    FZ_CHECK(len > 0 && len <= 256);
    (void)buf[len - 1];
    f->sunk += len;
    return (long)len;
}

static void upcall(void *ctx, unsigned vcpu)
{
    (void)ctx;
    FZ_CHECK(vcpu < NR_VCPUS);
}

static const uint64_t numbers[] = {
    VMM_XEN_HC_CONSOLE_IO,  VMM_XEN_HC_EVENT_CHANNEL_OP, VMM_XEN_HC_SCHED_OP,
    VMM_XEN_HC_XEN_VERSION, VMM_XEN_HC_MEMORY_OP,        VMM_XEN_HC_GRANT_TABLE_OP,
    VMM_XEN_HC_VCPU_OP,     VMM_XEN_HC_HVM_OP,           VMM_XEN_HC_VM_ASSIST,
};

/* An argument: a sub-op or count (small), a guest address, or anything. */
static uint64_t arg(struct fz_in *in)
{
    uint8_t k = fz_u8(in);

    switch (k & 3) {
    case 0:
        return k >> 2;
    case 1:
    case 2:
        return fz_addr(in);
    default:
        return fz_u64(in);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    struct vmm_xen_config cfg;
    struct vmm_a64_s1 s1 = {0};
    unsigned ops = 0;

    fz_guest_init(&f->g, NR_VCPUS);
    f->out = (struct vmm_stream_backend){.write = sink, .ctx = f};
    f->ops = (struct vmm_xen_ops){.upcall = upcall};
    cfg = (struct vmm_xen_config){.mem = &f->g.vm.mem,
                                  .nr_vcpus = NR_VCPUS,
                                  .ring_gpa = RAM_END - 3 * VMM_XEN_PAGE,
                                  .gnttab_gpa = RAM_END - 2 * VMM_XEN_PAGE,
                                  .out = &f->out,
                                  .ops = &f->ops,
                                  .ctx = f};
    FZ_CHECK(vmm_xen_init(&f->x, &cfg) == 0);
    if (fz_u8(&in) & 1) { /* a stage-1 configuration from the input */
        s1.sctlr = 1;
        s1.tcr = fz_u64(&in);
        s1.ttbr0 = fz_addr(&in);
        s1.ttbr1 = fz_addr(&in);
    }
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        switch (op & 3) {
        case 0:
        case 1: { /* a hypercall */
            struct vmm_xen_call c = {.nr = (op & 0x80) ? fz_u64(&in) : numbers[(op >> 2) % 9]};
            enum vmm_xen_action act;
            uint64_t r;

            for (unsigned i = 0; i < 5; i++)
                c.arg[i] = arg(&in);
            r = vmm_xen_hypercall(&f->x, fz_u8(&in) % (NR_VCPUS + 1), &s1, &c, &act);
            FZ_CHECK(r <= 0x7ffffffful || (int64_t)r >= -4095);
            FZ_CHECK(act <= VMM_XEN_ACT_BLOCK);
            break;
        }
        case 2: { /* the guest writes its RAM (often the Xen pages) */
            uint8_t buf[64];
            uint64_t gpa = (op & 0x80) ? cfg.ring_gpa + fz_u16(&in) % (3 * VMM_XEN_PAGE)
                                       : FZ_RAM_GPA + fz_u16(&in) % FZ_RAM_SIZE;
            size_t n = fz_fill(&in, buf, fz_u8(&in) % sizeof(buf));

            if (n > 0 && gpa + n <= RAM_END)
                vmm_guest_write(&f->g.vm.mem, gpa, buf, n);
            break;
        }
        default:
            if (op & 0x80) {
                vmm_xen_reset(&f->x);
            } else if (op & 0x40) {
                const uint8_t *bytes;
                size_t n = fz_take(&in, fz_u8(&in) % 64, &bytes);

                FZ_CHECK(vmm_xen_console_rx(&f->x, bytes, n) <= n);
            } else {
                vmm_xen_console_flush(&f->x);
            }
            break;
        }
    }
    fz_guest_free(&f->g);
    return 0;
}
