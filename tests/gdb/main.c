/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GDB test guest (tests/gdb/README.md): counts calls of gdb_tick() in
 * gdb_counter forever, and says so on the PL011 now and then. A debugger
 * sets a breakpoint on gdb_tick, reads gdb_counter, steps and continues.
 */
#include <stdint.h>

#define UART_DR ((volatile uint32_t *)0x09000000)

volatile uint64_t gdb_counter;

void gdb_main(void);
void gdb_tick(void);

static void gdb_puts(const char *s)
{
    while (*s != '\0')
        *UART_DR = (uint32_t)*s++;
}

__attribute__((noinline)) void gdb_tick(void)
{
    gdb_counter = gdb_counter + 1;
}

void gdb_main(void)
{
    gdb_puts("gdb-guest: ready\r\n");
    for (;;) {
        gdb_tick();
        if ((gdb_counter & 0xfffff) == 0)
            gdb_puts("gdb-guest: tick\r\n");
        for (volatile unsigned i = 0; i < 64; i++)
            ;
    }
}
