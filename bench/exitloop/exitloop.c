/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exit-loop guest: as many 32-bit writes as fit in one second of the
 * virtual counter to UARTIFLS (PL011 FIFO level select, ARM DDI 0183
 * 3.3.9), a register every VMM here keeps in user space and which has no
 * side effect, so each write is one KVM_EXIT_MMIO round trip. Then the count
 * is printed on UARTDR and the machine is powered off with PSCI SYSTEM_OFF.
 * Runs with the MMU off: every data access is Device memory, hence
 * -mstrict-align.
 */
#include <stdint.h>

#define UART_BASE 0x09000000ul
#define UART_DR 0x000
#define UART_IFLS 0x034
#define PSCI_SYSTEM_OFF 0x84000008ul /* PSCI 1.1 (DEN0022) 5.1.9 */

void exitloop_main(void);

static inline void mmio_write32(unsigned long addr, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline uint64_t counter(void)
{
    uint64_t v;

    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

static inline uint64_t counter_freq(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static void put_str(const char *s)
{
    while (*s != '\0')
        mmio_write32(UART_BASE + UART_DR, (uint8_t)*s++);
}

static void put_u64(uint64_t v)
{
    char buf[24];
    int i = sizeof(buf) - 1;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && i > 0);
    put_str(&buf[i]);
}

void exitloop_main(void)
{
    uint64_t freq = counter_freq(), start, now, n = 0;

    put_str("EXITLOOP start\n");
    start = counter();
    do {
        for (int i = 0; i < 16; i++)
            mmio_write32(UART_BASE + UART_IFLS, 0x12);
        n += 16;
        now = counter();
    } while (now - start < freq);
    put_str("BENCH-RESULT exit_writes=");
    put_u64(n);
    put_str("\nBENCH-RESULT exit_ticks=");
    put_u64(now - start);
    put_str("\nBENCH-RESULT exit_freq=");
    put_u64(freq);
    put_str("\nBENCH-RESULT exit_per_s=");
    put_u64(n * freq / (now - start));
    put_str("\n");
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
    __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
}
