/* SPDX-License-Identifier: BSD-2-Clause */
/* PL011 UART model, driven through the VM's MMIO bus like a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/pl011.h"
#include "stdvmm/vm.h"

#define BASE 0x09000000ull
#define LINE 1u

struct fixture {
    struct vmm_vm vm;
    struct pl011 uart;
    struct vmm_stream_backend backend;
    uint8_t out[256];
    size_t out_len;
    long write_result; /* 0: accept; else returned as is */
    unsigned rx_ready_calls;
};

static long capture_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;

    if (f->write_result != 0)
        return f->write_result;
    assert_true(f->out_len + len <= sizeof(f->out));
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
    return (long)len;
}

static void count_rx_ready(void *ctx)
{
    ((struct fixture *)ctx)->rx_ready_calls++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(vmm_vm_init(&f->vm, "pl011-test", 1), 0);
    f->backend =
        (struct vmm_stream_backend){.write = capture_write, .rx_ready = count_rx_ready, .ctx = f};
    vmm_pl011_init(&f->uart, &f->vm, "uart0", BASE, LINE, 2, &f->backend);
    assert_int_equal(vmm_vm_add_device(&f->vm, &f->uart.dev), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint64_t rd(struct fixture *f, uint64_t off, uint8_t size)
{
    struct vmm_access acc = {.addr = BASE + off, .size = size};

    assert_int_equal(vmm_vm_mmio(&f->vm, &acc), 0);
    return acc.value;
}

static void wr(struct fixture *f, uint64_t off, uint8_t size, uint64_t value)
{
    struct vmm_access acc = {.addr = BASE + off, .size = size, .write = true, .value = value};

    assert_int_equal(vmm_vm_mmio(&f->vm, &acc), 0);
}

static uint32_t rd32(struct fixture *f, uint64_t off)
{
    return (uint32_t)rd(f, off, 4);
}

static void wr32(struct fixture *f, uint64_t off, uint32_t value)
{
    wr(f, off, 4, value);
}

static bool irq_line(struct fixture *f)
{
    return f->vm.irqs.level[LINE];
}

static void rx_str(struct fixture *f, const char *s, size_t want_accepted)
{
    assert_int_equal(vmm_pl011_rx(&f->uart, (const uint8_t *)s, strlen(s)), want_accepted);
}

static void pl011_resets_to_documented_values(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd32(f, PL011_CR), 0x300);
    assert_int_equal(rd32(f, PL011_IFLS), 0x12);
    assert_int_equal(rd32(f, PL011_IMSC), 0);
    assert_int_equal(rd32(f, PL011_MIS), 0);
    assert_int_equal(rd32(f, PL011_LCR_H), 0);
    assert_int_equal(rd32(f, PL011_FR) & (PL011_FR_TXFE | PL011_FR_RXFE | PL011_FR_TXFF |
                                          PL011_FR_RXFF | PL011_FR_BUSY),
                     PL011_FR_TXFE | PL011_FR_RXFE);
    assert_false(irq_line(f));
}

static void pl011_transmits_data_register_writes(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_DR, 'h');
    wr(f, PL011_DR, 1, 'i');
    wr(f, PL011_DR, 2, 0x0f00 | '!'); /* bits above the byte are not data */
    wr(f, PL011_DR + 1, 1, 'X');      /* the read-only error byte sends nothing */
    assert_int_equal(f->out_len, 3);
    assert_memory_equal(f->out, "hi!", 3);
    assert_int_equal(f->uart.tx_dropped, 0);
}

static void pl011_counts_output_the_backend_refuses(void **state)
{
    struct fixture *f = *state;

    f->write_result = -VMM_EAGAIN;
    wr32(f, PL011_DR, 'a');
    wr32(f, PL011_DR, 'b');
    assert_int_equal(f->uart.tx_dropped, 2);
    assert_int_equal(rd32(f, PL011_FR) & PL011_FR_TXFF, 0); /* never wedges the guest */
}

static void pl011_receives_in_order_and_reports_fifo_flags(void **state)
{
    struct fixture *f = *state;

    /* FIFO disabled after reset: a 1-byte holding register. */
    rx_str(f, "ab", 1);
    assert_int_equal(rd32(f, PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
    assert_int_equal(rd32(f, PL011_DR), 'a');
    assert_int_equal(f->rx_ready_calls, 1); /* refused "b" may now be offered */
    assert_true(rd32(f, PL011_FR) & PL011_FR_RXFE);

    wr32(f, PL011_LCR_H, PL011_LCR_H_FEN | 0x60);
    rx_str(f, "0123456789abcdefXYZ", PL011_FIFO_DEPTH);
    assert_int_equal(rd32(f, PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++) {
        assert_int_equal(rd32(f, PL011_DR), (uint32_t) "0123456789abcdef"[i]);
        assert_int_equal(rd32(f, PL011_FR) & PL011_FR_RXFF, 0);
    }
    assert_true(rd32(f, PL011_FR) & PL011_FR_RXFE);
    assert_int_equal(f->rx_ready_calls, 2);
    assert_int_equal(rd32(f, PL011_DR), 0); /* empty FIFO reads as 0 */
}

static void pl011_rx_interrupt_follows_mask_and_fifo(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_LCR_H, PL011_LCR_H_FEN);
    rx_str(f, "x", 1);
    /* Raised but masked: RIS shows it, MIS and the line do not. */
    assert_true(rd32(f, PL011_RIS) & PL011_INT_RT);
    assert_int_equal(rd32(f, PL011_MIS) & (PL011_INT_RT | PL011_INT_RX), 0);
    assert_false(irq_line(f));
    wr32(f, PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
    assert_true(irq_line(f));
    assert_int_equal(rd32(f, PL011_MIS), PL011_INT_RT);
    assert_int_equal(rd32(f, PL011_DR), 'x');
    assert_false(irq_line(f));
    assert_int_equal(rd32(f, PL011_RIS) & (PL011_INT_RT | PL011_INT_RX), 0);
    /* Masking again drops the line even with data waiting. */
    rx_str(f, "y", 1);
    assert_true(irq_line(f));
    wr32(f, PL011_IMSC, 0);
    assert_false(irq_line(f));
}

static void pl011_rx_trigger_level_and_icr(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_LCR_H, PL011_LCR_H_FEN);
    wr32(f, PL011_IFLS, 2 << 3); /* RX at 1/2 full: 8 entries */
    wr32(f, PL011_IMSC, PL011_INT_RX);
    rx_str(f, "1234567", 7);
    assert_int_equal(rd32(f, PL011_RIS) & PL011_INT_RX, 0);
    assert_false(irq_line(f));
    rx_str(f, "8", 1);
    assert_true(rd32(f, PL011_RIS) & PL011_INT_RX);
    assert_true(irq_line(f));
    rd32(f, PL011_DR); /* below the trigger level again */
    assert_int_equal(rd32(f, PL011_RIS) & PL011_INT_RX, 0);
    assert_false(irq_line(f));
    /* ICR clears a latched interrupt without reading data. */
    rx_str(f, "9", 1);
    assert_true(irq_line(f));
    wr32(f, PL011_ICR, PL011_INT_RX);
    assert_false(irq_line(f));
    assert_int_equal(rd32(f, PL011_FR) & PL011_FR_RXFE, 0);
}

/* Linux's pl011 driver refills the TX FIFO from the TXIS interrupt. */
static void pl011_tx_interrupt_asserts_while_fifo_empty(void **state)
{
    struct fixture *f = *state;

    assert_true(rd32(f, PL011_RIS) & PL011_INT_TX);
    assert_false(irq_line(f));
    wr32(f, PL011_IMSC, PL011_INT_TX);
    assert_true(irq_line(f));
    assert_int_equal(rd32(f, PL011_MIS), PL011_INT_TX);
    wr32(f, PL011_ICR, PL011_INT_TX);
    assert_false(irq_line(f));
    wr32(f, PL011_DR, 'z'); /* the byte leaves at once: empty again */
    assert_true(irq_line(f));
    wr32(f, PL011_IMSC, 0); /* driver's stop_tx */
    assert_false(irq_line(f));
    assert_int_equal(f->out_len, 1);
}

static void pl011_id_registers_identify_a_primecell_uart(void **state)
{
    struct fixture *f = *state;
    uint32_t periph = 0, cell = 0;

    for (unsigned i = 0; i < 4; i++) {
        periph |= (rd32(f, 0xfe0 + 4 * i) & 0xff) << (8 * i);
        cell |= (rd32(f, 0xff0 + 4 * i) & 0xff) << (8 * i);
    }
    assert_int_equal(periph, PL011_PERIPH_ID);
    assert_int_equal(cell, PL011_PCELL_ID);
    assert_int_equal(periph & 0x000fffff, 0x00041011); /* Linux's amba id/mask */
    wr32(f, 0xfe0, 0xff);                              /* read-only */
    assert_int_equal(rd32(f, 0xfe0), 0x11);
}

static void pl011_narrow_and_odd_accesses_are_harmless(void **state)
{
    struct fixture *f = *state;
    uint32_t fr;

    rx_str(f, "q", 1);
    fr = rd32(f, PL011_FR);
    assert_int_equal(rd(f, PL011_FR, 2), fr & 0xffff);
    assert_int_equal(rd(f, PL011_FR, 1), fr & 0xff);
    assert_int_equal(rd(f, PL011_FR + 1, 1), (fr >> 8) & 0xff);
    assert_int_equal(rd(f, PL011_FR, 8), fr);
    /* Reading DR's error byte does not consume the character. */
    assert_int_equal(rd(f, PL011_DR + 1, 1), 0);
    assert_int_equal(rd(f, PL011_DR, 1), 'q');
    /* Byte writes merge into 16-bit registers. */
    wr32(f, PL011_IBRD, 0x1234);
    wr(f, PL011_IBRD + 1, 1, 0xab);
    assert_int_equal(rd32(f, PL011_IBRD), 0xab34);
    wr(f, PL011_IBRD, 1, 0xcd);
    assert_int_equal(rd32(f, PL011_IBRD), 0xabcd);
    /* Read-only and unknown registers ignore writes; unknown reads are 0. */
    wr32(f, PL011_FR, 0);
    assert_int_equal(rd32(f, PL011_FR), (fr & ~PL011_FR_RXFF) | PL011_FR_RXFE);
    wr32(f, 0x800, 0xffffffff);
    assert_int_equal(rd32(f, 0x800), 0);
    assert_int_equal(rd(f, 0xffc, 4), 0xb1);
    assert_int_equal(rd(f, 0xff8, 8), 0x05);
    wr32(f, PL011_DMACR, 0x7);
    assert_int_equal(rd32(f, PL011_DMACR), 0x7);
}

static void pl011_stores_line_control_registers(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_IBRD, 0x10013);
    wr32(f, PL011_FBRD, 0xff);
    wr32(f, PL011_LCR_H, 0x170);
    wr32(f, PL011_CR, 0xffff);
    assert_int_equal(rd32(f, PL011_IBRD), 0x0013);
    assert_int_equal(rd32(f, PL011_FBRD), 0x3f);
    assert_int_equal(rd32(f, PL011_LCR_H), 0x70);
    assert_int_equal(rd32(f, PL011_CR), 0xff87);
}

static void pl011_loopback_returns_output_as_input(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE);
    wr32(f, PL011_DR, 'L');
    assert_int_equal(f->out_len, 0);
    assert_int_equal(rd32(f, PL011_DR), 'L');
    wr32(f, PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    wr32(f, PL011_DR, 'O');
    assert_int_equal(f->out_len, 1);
}

static void pl011_reset_lowers_the_line_and_empties_fifo(void **state)
{
    struct fixture *f = *state;

    wr32(f, PL011_IMSC, PL011_INT_RT);
    rx_str(f, "r", 1);
    assert_true(irq_line(f));
    vmm_pl011_reset(&f->uart);
    assert_false(irq_line(f));
    assert_true(rd32(f, PL011_FR) & PL011_FR_RXFE);
}

/* Every word of the mirror page reads as the register at that offset (DR
 * aside: 0, and the FIFO keeps its byte), before and after state changes;
 * without @ids the ID block is left alone. */
static void pl011_mirror_matches_register_reads(void **state)
{
    struct fixture *f = *state;
    static uint32_t page[PL011_MMIO_SIZE / 4];

    memset(page, 0xa5, sizeof(page));
    vmm_pl011_mirror(&f->uart, page, true);
    for (int round = 0; round < 2; round++) {
        for (uint64_t off = 4; off < PL011_MMIO_SIZE; off += 4)
            assert_int_equal(page[off / 4],
                             off > PL011_DMACR && off < PL011_ID_BASE ? 0xa5a5a5a5u : rd32(f, off));
        wr32(f, PL011_IMSC, PL011_INT_TX | PL011_INT_RX);
        wr32(f, PL011_LCR_H, 0x60); /* 8 bits, FIFO off: one byte raises RX */
        wr32(f, PL011_IBRD, 13 + round);
        if (round == 0)
            rx_str(f, "x", 1);
        memset(page + PL011_ID_BASE / 4, 0xa5, PL011_MMIO_SIZE - PL011_ID_BASE);
        vmm_pl011_mirror(&f->uart, page, false);
        assert_int_equal(page[PL011_ID_BASE / 4], 0xa5a5a5a5u);
        vmm_pl011_mirror(&f->uart, page, true);
    }
    assert_int_equal(page[PL011_DR / 4], 0);
    assert_int_equal(page[PL011_FR / 4] & PL011_FR_RXFE, 0);
    assert_int_equal(page[PL011_MIS / 4], PL011_INT_TX | PL011_INT_RX);
    assert_int_equal(rd32(f, PL011_DR), 'x'); /* the mirror consumed nothing */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(pl011_resets_to_documented_values),
        T(pl011_transmits_data_register_writes),
        T(pl011_counts_output_the_backend_refuses),
        T(pl011_receives_in_order_and_reports_fifo_flags),
        T(pl011_rx_interrupt_follows_mask_and_fifo),
        T(pl011_rx_trigger_level_and_icr),
        T(pl011_tx_interrupt_asserts_while_fifo_empty),
        T(pl011_id_registers_identify_a_primecell_uart),
        T(pl011_narrow_and_odd_accesses_are_harmless),
        T(pl011_stores_line_control_registers),
        T(pl011_loopback_returns_output_as_input),
        T(pl011_reset_lowers_the_line_and_empties_fifo),
        T(pl011_mirror_matches_register_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
