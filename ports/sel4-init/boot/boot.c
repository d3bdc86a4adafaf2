/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-boot: the project's boot loader for seL4 on QEMU virt (AArch64,
 * entered at EL2 with the MMU off). It copies the kernel and the root task
 * from its payload (payload.h) to their physical addresses, turns on EL2
 * stage-1 translation with the kernel window mapped as the hypervisor
 * kernel expects (normal memory inner-shareable write-back, MAIR indexes
 * as seL4's vspace.c), starts the other cores with PSCI CPU_ON (SMC: QEMU's
 * firmware interface at EL2) and enters the kernel on every core with
 * TPIDR_EL1 = the core's logical index and x0..x7 = ui_p_reg_start,
 * ui_p_reg_end, pv_offset, v_entry, dtb address, dtb size (and, for the
 * kernel of Microkit's seL4 branch, an extra device region: 0, 0). Every failure
 * is printed on the PL011 before the core stops.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "payload.h"

#define UART_BASE 0x9000000ul
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_CR 0x030
#define UART_FR_TXFF (1u << 5)
#define GICD_BASE 0x8000000ul
#define GICC_BASE 0x8010000ul
#define QEMU_DTB 0x40000000ul /* where QEMU leaves the DTB without -kernel Linux */
#define FDT_MAGIC_LE 0xedfe0dd0u
#define BOOT_MAX_CORES 8
#define PSCI_CPU_ON_64 0xc4000003ul

#define GIB (1ull << 30)
#define PTE_TABLE 3ull
#define PTE_BLOCK 1ull
#define PTE_AF (1ull << 10)
#define PTE_SH_INNER (3ull << 8)
#define PTE_XN (1ull << 54)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
/* MAIR indexes as seL4's enum mair_types: 0 nGnRnE ... 4 NORMAL, 5 NORMAL_WT. */
#define MAIR_VALUE                                                                                 \
    (0x00ull | 0x04ull << 8 | 0x0cull << 16 | 0x44ull << 24 | 0xffull << 32 | 0xbbull << 40)
#define ATTR_DEVICE 0
#define ATTR_NORMAL 4
/* T0SZ 16 (48-bit VA), inner/outer WBWA, inner shareable, 4 KiB granule,
 * PS = 40 bits (the kernel's CONFIG_ARM_PA_SIZE_BITS_40), RES1 23 and 31. */
#define TCR_VALUE                                                                                  \
    (16ull | 1ull << 8 | 1ull << 10 | 3ull << 12 | 2ull << 16 | 1ull << 23 | 1ull << 31)

void boot_main(void);
void boot_secondary_main(uint64_t core);
void boot_exception(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far);
void boot_secondary_entry(void);
void boot_mmu_on(uint64_t ttbr0, uint64_t tcr, uint64_t mair);

extern char _start[], _end[];

static uint64_t pt_l0[512] __attribute__((aligned(4096)));
static uint64_t pt_l1_id[512] __attribute__((aligned(4096)));
static uint64_t pt_l1_kw[512] __attribute__((aligned(4096)));
static const struct boot_payload *payload;
static uint64_t dtb_addr, dtb_size;
static volatile uint32_t core_up[BOOT_MAX_CORES];

/* ------------------------------------------------------------------ output */
static void uart_putc(char c)
{
    volatile uint32_t *fr = (volatile uint32_t *)(UART_BASE + UART_FR);

    while ((*fr & UART_FR_TXFF) != 0)
        ;
    *(volatile uint32_t *)(UART_BASE + UART_DR) = (uint32_t)(unsigned char)c;
}

static void puts_(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s);
    }
}

static void puthex(uint64_t v)
{
    char buf[19];

    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    buf[18] = '\0';
    puts_(buf);
}

static void putdec(uint64_t v)
{
    char buf[21];
    int i = 20;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && i > 0);
    puts_(&buf[i]);
}

static _Noreturn void fail(const char *what, uint64_t value)
{
    puts_("stdvmm-boot: FAILED: ");
    puts_(what);
    puts_(" (");
    puthex(value);
    puts_(")\n");
    for (;;)
        __asm__ volatile("wfe");
}

void boot_exception(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far)
{
    puts_("stdvmm-boot: exception ");
    putdec(idx);
    puts_(" at EL2: ESR ");
    puthex(esr);
    puts_(" ELR ");
    puthex(elr);
    puts_(" FAR ");
    puthex(far);
    puts_("\n");
    fail("unexpected exception in the loader", esr);
}

/* ------------------------------------------------------------- the payload */
static void copy_regions(void)
{
    uint64_t lo = (uint64_t)(uintptr_t)_start;
    uint64_t hi = (uint64_t)(uintptr_t)payload + payload->size;

    if (payload->nr_regions == 0 || payload->nr_regions > BOOT_MAX_REGIONS)
        fail("bad number of regions in the payload", payload->nr_regions);
    for (uint64_t i = 0; i < payload->nr_regions; i++) {
        const struct boot_region *r = &payload->regions[i];
        uint8_t *dst = (uint8_t *)(uintptr_t)r->paddr;
        const uint8_t *src = (const uint8_t *)payload + r->offset;

        if (r->filesz > r->memsz || r->offset + r->filesz > payload->size)
            fail("region outside the payload", i);
        if (r->paddr < hi && r->paddr + r->memsz > lo)
            fail("region would overwrite the loader or its payload", r->paddr);
        for (uint64_t n = 0; n < r->filesz; n++)
            dst[n] = src[n];
        for (uint64_t n = r->filesz; n < r->memsz; n++)
            dst[n] = 0;
    }
}

/* The DTB QEMU left at the start of RAM, moved to the payload's DTB slot. */
static void find_dtb(void)
{
    const volatile uint32_t *h = (const volatile uint32_t *)QEMU_DTB;
    uint64_t size;

    if (h[0] != FDT_MAGIC_LE)
        return; /* the kernel does without one */
    size = __builtin_bswap32(h[1]);
    if (size > payload->dtb_max) {
        puts_("stdvmm-boot: warning: DTB too large for its slot, not passed\n");
        return;
    }
    for (uint64_t n = 0; n < size; n++)
        ((uint8_t *)(uintptr_t)payload->dtb_paddr)[n] = ((const uint8_t *)QEMU_DTB)[n];
    dtb_addr = payload->dtb_paddr;
    dtb_size = size;
}

/* ------------------------------------------------------- translation, GIC */
static uint64_t block(uint64_t pa)
{
    if (pa < GIB) /* GIC, UART and other devices */
        return pa | PTE_BLOCK | PTE_AF | PTE_ATTR(ATTR_DEVICE) | PTE_XN;
    return pa | PTE_BLOCK | PTE_AF | PTE_SH_INNER | PTE_ATTR(ATTR_NORMAL);
}

/* Identity map of the low 4 GiB (the loader runs there) and the kernel
 * window: virtual = physical + kernel_voffset, 1 GiB blocks. */
static void build_tables(void)
{
    uint64_t kw = payload->kernel_voffset;

    if (kw == 0 || (kw & ((1ull << 39) - 1)) != 0 || (kw >> 39) >= 512)
        fail("kernel window offset is not a multiple of 512 GiB below 2^48", kw);
    for (uint64_t i = 0; i < 4; i++) {
        pt_l1_id[i] = block(i * GIB);
        pt_l1_kw[i] = block(i * GIB);
    }
    pt_l0[0] = (uint64_t)(uintptr_t)pt_l1_id | PTE_TABLE;
    pt_l0[kw >> 39] = (uint64_t)(uintptr_t)pt_l1_kw | PTE_TABLE;
}

static void cpu_setup(uint64_t core)
{
    boot_mmu_on((uint64_t)(uintptr_t)pt_l0, TCR_VALUE, MAIR_VALUE);
    __asm__ volatile("msr tpidr_el1, %0" ::"r"(core));
    __asm__ volatile("msr cntvoff_el2, xzr");
    /* Interrupts through the priority mask (seL4 uses priorities < 0xf0). */
    *(volatile uint32_t *)(GICC_BASE + 0x4) = 0xf0;
}

static _Noreturn void enter_kernel(void)
{
    typedef void (*entry_fn)(uint64_t, uint64_t, int64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                             uint64_t);
    entry_fn entry = (entry_fn)(uintptr_t)payload->kernel_entry;

    __asm__ volatile("dsb sy; isb" ::: "memory");
    /* x6, x7: the Microkit-branch kernel's extra device region; none. */
    entry(payload->ui_p_start, payload->ui_p_end, payload->pv_offset, payload->v_entry, dtb_addr,
          dtb_size, 0, 0);
    fail("the kernel returned", 0);
}

static int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
    register uint64_t x1 __asm__("x1") = mpidr;
    register uint64_t x2 __asm__("x2") = entry;
    register uint64_t x3 __asm__("x3") = ctx;

    __asm__ volatile("smc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
    return (int64_t)x0;
}

void boot_secondary_main(uint64_t core)
{
    cpu_setup(core);
    core_up[core] = 1;
    __asm__ volatile("dsb sy" ::: "memory");
    enter_kernel();
}

void boot_main(void)
{
    uint64_t el;

    *(volatile uint32_t *)(UART_BASE + UART_CR) |= (1u << 0) | (1u << 8); /* UARTEN, TXE */
    puts_("stdvmm-boot: loader at ");
    puthex((uint64_t)(uintptr_t)_start);
    puts_("\n");
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
    if (((el >> 2) & 3) != 2)
        fail("not entered at EL2 (QEMU needs -machine virt,virtualization=on)", (el >> 2) & 3);
    payload = (const struct boot_payload *)(((uintptr_t)_end + 4095) & ~(uintptr_t)4095);
    if (payload->magic != BOOT_PAYLOAD_MAGIC)
        fail("no payload after the loader (pack the image with tools/sel4init/pack.py)",
             (uint64_t)(uintptr_t)payload);
    if (payload->nr_cores == 0 || payload->nr_cores > BOOT_MAX_CORES)
        fail("bad core count in the payload", payload->nr_cores);
    copy_regions();
    find_dtb();
    build_tables();
    /* Every interrupt in group 1, which the non-secure kernel configures. */
    uint32_t lines = *(volatile uint32_t *)(GICD_BASE + 0x4) & 0x1f;
    for (uint32_t i = 0; i <= lines; i++)
        *(volatile uint32_t *)(GICD_BASE + 0x80 + 4 * i) = 0xffffffffu;
    cpu_setup(0);
    puts_("stdvmm-boot: kernel entry ");
    puthex(payload->kernel_entry);
    puts_(", root task ");
    puthex(payload->ui_p_start);
    puts_("..");
    puthex(payload->ui_p_end);
    puts_(", DTB ");
    puthex(dtb_addr);
    puts_("\n");
    for (uint64_t c = 1; c < payload->nr_cores; c++) {
        /* QEMU virt: core c has MPIDR Aff0 = c (clusters of 8 with GICv2). */
        int64_t r = psci_cpu_on(c, (uint64_t)(uintptr_t)boot_secondary_entry, c);

        if (r != 0) {
            puts_("stdvmm-boot: PSCI CPU_ON of core ");
            putdec(c);
            puts_(" returned ");
            putdec((uint64_t)-r);
            puts_(" (negated); the kernel was built for ");
            putdec(payload->nr_cores);
            puts_(" cores: start QEMU with -smp ");
            putdec(payload->nr_cores);
            puts_("\n");
            fail("a core did not start", c);
        }
    }
    for (uint64_t c = 1; c < payload->nr_cores; c++) {
        uint64_t spins = 0;

        while (core_up[c] == 0) {
            if (++spins == 2000000000ull)
                fail("core started but never reached the kernel entry", c);
        }
    }
    puts_("stdvmm-boot: ");
    putdec(payload->nr_cores);
    puts_(" cores up, entering seL4\n");
    enter_kernel();
}
