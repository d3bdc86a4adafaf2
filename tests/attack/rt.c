/* SPDX-License-Identifier: BSD-2-Clause */
/* The attacking guest's runtime: output, raw accesses, SMCCC, exceptions. */
#include "guest.h"

#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_FR_TXFF (1u << 5)
#define PSCI_SYSTEM_OFF 0x84000008u

unsigned verdicts_passed, verdicts_failed;
volatile unsigned long exceptions_taken;
volatile uint64_t last_esr;

static void out_char(char c)
{
    /* Bounded: a VMM whose UART never drains must not hang the guest. */
    for (unsigned i = 0; i < 100000 && (rd32(GUEST_UART + UART_FR) & UART_FR_TXFF); i++)
        ;
    wr32(GUEST_UART + UART_DR, (uint8_t)c);
}

void out_str(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            out_char('\r');
        out_char(*s);
    }
}

void out_hex(uint64_t v)
{
    char b[19];
    int i = 18;

    b[i] = '\0';
    do {
        b[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v && i > 2);
    b[--i] = 'x';
    b[--i] = '0';
    out_str(&b[i]);
}

void out_dec(uint64_t v)
{
    char b[21];
    int i = 20;

    b[i] = '\0';
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    out_str(&b[i]);
}

void verdict(bool ok, const char *dev, const char *what, const char *why)
{
    out_str(ok ? "ATTACK-PASS: " : "ATTACK-FAIL: ");
    out_str(dev);
    out_str(": ");
    out_str(what);
    if (!ok) {
        out_str(": ");
        out_str(why);
    }
    out_str("\n");
    if (ok)
        verdicts_passed++;
    else
        verdicts_failed++;
}

uint64_t mmio_read(uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    volatile void *p = (volatile void *)(uintptr_t)addr;

    switch (size) {
    case 1:
        __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
        break;
    case 2:
        __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
        break;
    case 4:
        __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
        break;
    default:
        __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
        break;
    }
    return v;
}

void mmio_write(uint64_t addr, unsigned size, uint64_t v)
{
    volatile void *p = (volatile void *)(uintptr_t)addr;

    switch (size) {
    case 1:
        __asm__ volatile("strb %w0, [%1]" ::"r"(v), "r"(p) : "memory");
        break;
    case 2:
        __asm__ volatile("strh %w0, [%1]" ::"r"(v), "r"(p) : "memory");
        break;
    case 4:
        __asm__ volatile("str %w0, [%1]" ::"r"(v), "r"(p) : "memory");
        break;
    default:
        __asm__ volatile("str %0, [%1]" ::"r"(v), "r"(p) : "memory");
        break;
    }
}

uint32_t rd32(uint64_t addr)
{
    return (uint32_t)mmio_read(addr, 4);
}

void wr32(uint64_t addr, uint32_t v)
{
    mmio_write(addr, 4, v);
}

void mmio_load_pair(uint64_t addr)
{
    uint64_t a, b;

    __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(addr) : "memory");
}

void mmio_load_writeback(uint64_t addr)
{
    uint64_t v, p = addr;

    __asm__ volatile("ldr %w0, [%1], #4" : "=r"(v), "+r"(p) : : "memory");
}

int64_t smccc_hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    return (int64_t)x0;
}

int64_t smccc_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    return (int64_t)x0;
}

void psci_system_off(void)
{
    smccc_hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
    out_str("ATTACK-FAIL: poweroff: PSCI SYSTEM_OFF returned\n");
    for (;;)
        __asm__ volatile("wfi");
}

/* Called from start.S for every exception: count it and resume after the
 * faulting instruction (all of them are 4 bytes long in AArch64). */
uint64_t attack_exception(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr);
uint64_t attack_exception(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr)
{
    (void)far;
    exceptions_taken++;
    last_esr = esr;
    if (kind != 0) /* irq, fiq, serror: nothing to step over */
        return elr;
    return elr + 4;
}

void *memset(void *s, int c, size_t n)
{
    uint8_t *p = s;

    while (n--)
        *p++ = (uint8_t)c;
    return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;

    while (n--)
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}
