/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Accesses without an instruction syndrome (ESR ISV=0): load/store pairs,
 * loads and stores with writeback, sign-extending loads with writeback. The
 * hypervisor cannot use the syndrome and must emulate them from the
 * instruction (through this guest's stage-1 tables: the MMU is on, see
 * start.S), with the right values, the base register written back and no
 * exception; an access it cannot emulate (a SIMD load) must come back as a
 * synchronous external abort while the guest goes on.
 */
#include "guest.h"

#define UART_IBRD 0x24u
#define UART_PCELLID1 0xff4u /* reads 0xf0 */
#define VIRTIO_MAGIC 0x74726976u
#define R_SHM_LEN_LOW 0x0b0u /* reads 0xffffffff: no shared memory */
#define ESR_EC(esr) ((unsigned)((esr) >> 26) & 0x3fu)
#define EC_DABT_CUR 0x25u
#define DFSC_SYNC_EXTERNAL 0x10u
#define CPACR_FPEN (3u << 20)

void isv0_attacks(uint64_t virtio_base);

/* true if no exception was taken since @before */
static bool no_exception(unsigned long before)
{
    return exceptions_taken == before;
}

static void pairs(uint64_t vbase)
{
    unsigned long before = exceptions_taken;
    uint64_t p;
    uint32_t a, b;

    __asm__ volatile("ldp %w0, %w1, [%2]" : "=&r"(a), "=&r"(b) : "r"(vbase) : "memory");
    verdict(a == VIRTIO_MAGIC && b == 2 && no_exception(before), "isv0",
            "ldp-reads-magic-and-version", "wrong values or an exception");

    p = vbase - 8;
    __asm__ volatile("ldp %w0, %w1, [%2, #8]!" : "=&r"(a), "=&r"(b), "+r"(p) : : "memory");
    verdict(a == VIRTIO_MAGIC && b == 2 && p == vbase && no_exception(before), "isv0",
            "ldp-pre-index-writes-back-base", "wrong values or base");

    p = vbase;
    __asm__ volatile("ldp %w0, %w1, [%2], #16" : "=&r"(a), "=&r"(b), "+r"(p) : : "memory");
    verdict(a == VIRTIO_MAGIC && b == 2 && p == vbase + 16 && no_exception(before), "isv0",
            "ldp-post-index-writes-back-base", "wrong values or base");
}

static void stores(void)
{
    unsigned long before = exceptions_taken;
    uint64_t base = GUEST_UART, p;
    uint32_t ibrd = rd32(GUEST_UART + UART_IBRD), fbrd = rd32(GUEST_UART + UART_IBRD + 4);
    bool ok;

    __asm__ volatile("stp %w0, %w1, [%2, #0x24]"
                     :
                     : "r"(0x1234u), "r"(0x2au), "r"(base)
                     : "memory");
    ok = rd32(GUEST_UART + UART_IBRD) == 0x1234u && rd32(GUEST_UART + UART_IBRD + 4) == 0x2au;
    verdict(ok && no_exception(before), "isv0", "stp-writes-both-registers",
            "IBRD/FBRD do not hold the stored pair");

    p = base;
    __asm__ volatile("str %w1, [%0, #0x24]!" : "+r"(p) : "r"(0x4321u) : "memory");
    ok = p == base + UART_IBRD && rd32(GUEST_UART + UART_IBRD) == 0x4321u;
    verdict(ok && no_exception(before), "isv0", "str-pre-index-writes-back-base",
            "wrong value or base");

    p = base + UART_IBRD;
    __asm__ volatile("str %w1, [%0], #4" : "+r"(p) : "r"(0x5555u) : "memory");
    ok = p == base + UART_IBRD + 4 && rd32(GUEST_UART + UART_IBRD) == 0x5555u;
    verdict(ok && no_exception(before), "isv0", "str-post-index-writes-back-base",
            "wrong value or base");
    wr32(GUEST_UART + UART_IBRD, ibrd);
    wr32(GUEST_UART + UART_IBRD + 4, fbrd);
}

static void loads_with_writeback(uint64_t vbase)
{
    unsigned long before = exceptions_taken;
    uint64_t p, x;
    uint32_t w;

    p = vbase;
    __asm__ volatile("ldr %w0, [%1], #4" : "=&r"(w), "+r"(p) : : "memory");
    verdict(w == VIRTIO_MAGIC && p == vbase + 4 && no_exception(before), "isv0",
            "ldr-post-index-writes-back-base", "wrong value or base");
    p = vbase;
    __asm__ volatile("ldr %w0, [%1, #4]!" : "=&r"(w), "+r"(p) : : "memory");
    verdict(w == 2 && p == vbase + 4 && no_exception(before), "isv0",
            "ldr-pre-index-writes-back-base", "wrong value or base");

    /* Sign extension: PCellID1 is 0xf0, IBRD set to 0x8001, SHM_LEN_LOW is
     * all ones. Writeback forms, so the hypervisor gets no syndrome. */
    p = GUEST_UART + UART_PCELLID1;
    __asm__ volatile("ldrsb %0, [%1], #4" : "=&r"(x), "+r"(p) : : "memory");
    verdict(x == 0xfffffffffffffff0ull && p == GUEST_UART + UART_PCELLID1 + 4 &&
                no_exception(before),
            "isv0", "ldrsb-x-sign-extends", "wrong value or base");
    p = GUEST_UART + UART_PCELLID1;
    x = ~0ull;
    __asm__ volatile("ldrsb %w0, [%1, #0]!" : "+&r"(x), "+r"(p) : : "memory");
    verdict(x == 0xfffffff0ull && no_exception(before), "isv0", "ldrsb-w-clears-upper-half",
            "wrong value");
    wr32(GUEST_UART + UART_IBRD, 0x8001u);
    p = GUEST_UART + UART_IBRD;
    __asm__ volatile("ldrsh %0, [%1], #2" : "=&r"(x), "+r"(p) : : "memory");
    verdict(x == 0xffffffffffff8001ull && p == GUEST_UART + UART_IBRD + 2 && no_exception(before),
            "isv0", "ldrsh-x-sign-extends", "wrong value or base");
    wr32(GUEST_UART + UART_IBRD, 0);
    p = vbase + R_SHM_LEN_LOW;
    __asm__ volatile("ldrsw %0, [%1], #4" : "=&r"(x), "+r"(p) : : "memory");
    verdict(x == ~0ull && p == vbase + R_SHM_LEN_LOW + 4 && no_exception(before), "isv0",
            "ldrsw-sign-extends", "wrong value or base");
    {
        uint64_t a, b;
        __asm__ volatile("ldpsw %0, %1, [%2]"
                         : "=&r"(a), "=&r"(b)
                         : "r"(vbase + R_SHM_LEN_LOW)
                         : "memory");
        verdict(a == ~0ull && b == ~0ull && no_exception(before), "isv0", "ldpsw-sign-extends-both",
                "wrong values");
    }
}

/* A SIMD load from the device: not emulated, so an external data abort
 * (ESR EC 0x25, DFSC 0x10) comes back and the guest goes on. FP/SIMD is
 * enabled first, or the load would trap in the guest before any access. */
static void undecodable(uint64_t vbase)
{
    unsigned long before = exceptions_taken;
    uint64_t cpacr;

    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    __asm__ volatile("msr cpacr_el1, %0; isb" : : "r"(cpacr | CPACR_FPEN));
    __asm__ volatile("ldr q0, [%0]" : : "r"(vbase) : "v0", "memory");
    __asm__ volatile("msr cpacr_el1, %0; isb" : : "r"(cpacr));
    verdict(exceptions_taken == before + 1 && ESR_EC(last_esr) == EC_DABT_CUR &&
                (last_esr & 0x3fu) == DFSC_SYNC_EXTERNAL,
            "isv0", "simd-load-gets-external-abort", "no external data abort came back");
    verdict(rd32(vbase) == VIRTIO_MAGIC, "isv0", "guest-continues-after-abort",
            "the device no longer answers");
}

void isv0_attacks(uint64_t virtio_base)
{
    pairs(virtio_base);
    stores();
    loads_with_writeback(virtio_base);
    undecodable(virtio_base);
}
