/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ARM PrimeCell UART (PL011), ARM DDI 0183. Enough of the device for Linux's
 * amba-pl011 driver in polled (earlycon=pl011,<addr>) and interrupt
 * (ttyAMA0) mode, and for simple polled guests. Transmission is immediate:
 * the TX FIFO always reads empty. The receive FIFO is 16 entries (1 with
 * LCR_H.FEN clear), filled by the backend through vmm_pl011_rx().
 */
#ifndef STDVMM_PL011_H
#define STDVMM_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/device.h"
#include "stdvmm/log.h"

struct vmm_vm;

#define PL011_MMIO_SIZE 0x1000u
#define PL011_FIFO_DEPTH 16u /* PeriphID revision 0: 16-entry FIFOs */

/* Register offsets, DDI 0183 section 3.2 "Summary of registers". */
#define PL011_DR 0x000
#define PL011_RSR 0x004 /* write: UARTECR */
#define PL011_FR 0x018
#define PL011_ILPR 0x020
#define PL011_IBRD 0x024
#define PL011_FBRD 0x028
#define PL011_LCR_H 0x02c
#define PL011_CR 0x030
#define PL011_IFLS 0x034
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_DMACR 0x048
#define PL011_ID_BASE 0xfe0 /* UARTPeriphID0..3, UARTPCellID0..3 */

/* UARTFR bits (3.3.3) */
#define PL011_FR_CTS (1u << 0)
#define PL011_FR_DSR (1u << 1)
#define PL011_FR_DCD (1u << 2)
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)
#define PL011_FR_RI (1u << 8)

#define PL011_LCR_H_FEN (1u << 4) /* 3.3.7 */
#define PL011_CR_UARTEN (1u << 0) /* 3.3.8 */
#define PL011_CR_LBE (1u << 7)
#define PL011_CR_TXE (1u << 8)
#define PL011_CR_RXE (1u << 9)

/* Interrupt bits shared by IMSC/RIS/MIS/ICR (3.3.10-3.3.13). */
#define PL011_INT_RX (1u << 4)
#define PL011_INT_TX (1u << 5)
#define PL011_INT_RT (1u << 6)
#define PL011_INT_ALL 0x7ffu

#define PL011_PERIPH_ID 0x00041011u
#define PL011_PCELL_ID 0xb105f00du

struct pl011 {
    struct vmm_device dev; /* add to the VM with vmm_vm_add_device(vm, &uart->dev) */
    struct vmm_vm *vm;
    const struct vmm_stream_backend *backend; /* may be NULL: output dropped */
    uint32_t clk_phandle; /* the device tree's 24 MHz clock for uartclk and apb_pclk */

    uint8_t rx_fifo[PL011_FIFO_DEPTH];
    unsigned rx_head, rx_count;

    uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    bool irq_level;  /* last level driven on dev.irq */
    bool rx_blocked; /* vmm_pl011_rx() refused bytes: call rx_ready() on room */

    unsigned long tx_dropped; /* bytes the backend refused */
    struct vmm_ratelimit rl_bad_access, rl_tx_error;
};

/*
 * Reset @uart and describe it as a device at @base on SPI @irq (or
 * VMM_IRQ_NONE) called @name: node "pl011@<base>", compatible
 * "arm,pl011\0arm,primecell", clocks = <@clk_phandle @clk_phandle> (the
 * platform's fixed clock node, e.g. VMM_ARM64_PHANDLE_APB_PCLK).
 */
void vmm_pl011_init(struct pl011 *uart, struct vmm_vm *vm, const char *name, uint64_t base,
                    unsigned irq, uint32_t clk_phandle, const struct vmm_stream_backend *backend);

/* Back to the power-on state (DDI 0183 reset values); the FIFO is emptied. */
void vmm_pl011_reset(struct pl011 *uart);

/* Offer host input to the guest; returns how many of @len bytes fit in the
 * receive FIFO. The device calls backend->rx_ready() when room appears. */
size_t vmm_pl011_rx(struct pl011 *uart, const uint8_t *buf, size_t len);

/*
 * Write into @regs (PL011_MMIO_SIZE / 4 words: a page the guest maps
 * read-only at the device's base, so its reads do not trap) what each
 * register reads as now: DR..DMACR, and with @ids also the ID block (which
 * never changes). DR reads as 0 without consuming: only valid for a UART
 * whose receive FIFO stays empty (input goes to another console).
 */
void vmm_pl011_mirror(struct pl011 *uart, volatile uint32_t *regs, bool ids);

/* The MMIO handlers behind uart->dev.ops (exported for tests and ports). */
extern const struct vmm_mmio_ops vmm_pl011_mmio_ops;

#endif
