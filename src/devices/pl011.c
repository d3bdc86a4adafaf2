/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ARM PrimeCell UART (PL011), ARM DDI 0183 (r1p5). Transmission completes
 * at once, so the TX FIFO always reads empty; reception goes through a
 * 16-entry FIFO (a 1-byte holding register while LCR_H.FEN is clear).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libfdt.h>
#include "stdvmm/err.h"
#include "stdvmm/irq.h"
#include "stdvmm/log.h"
#include "stdvmm/pl011.h"
#include "stdvmm/vm.h"

static const char pl011_compatible[] = "arm,pl011\0arm,primecell";

/* UARTPeriphID0-3 then UARTPCellID0-3, one byte per word (3.3.14-3.3.21).
 * Revision 0 in PeriphID2[7:4] tells Linux the FIFOs are 16 deep. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* IFLS.RXIFLSEL (3.3.9) as FIFO entries: 1/8, 1/4, 1/2, 3/4, 7/8 full. */
static const uint8_t rx_trigger_levels[8] = {2, 4, 8, 12, 14, 8, 8, 8};

static bool fifo_enabled(const struct pl011 *uart)
{
    return (uart->lcr_h & PL011_LCR_H_FEN) != 0;
}

static unsigned rx_capacity(const struct pl011 *uart)
{
    return fifo_enabled(uart) ? PL011_FIFO_DEPTH : 1;
}

static unsigned rx_trigger(const struct pl011 *uart)
{
    return fifo_enabled(uart) ? rx_trigger_levels[(uart->ifls >> 3) & 7] : 1;
}

/* UARTINTR is the OR of the masked interrupts (3.4); the line is level. */
static void update_irq(struct pl011 *uart)
{
    bool level = (uart->ris & uart->imsc) != 0;

    if (level == uart->irq_level || uart->dev.irq == VMM_IRQ_NONE || uart->vm == NULL)
        return;
    uart->irq_level = level;
    vmm_irq_set(uart->vm, uart->dev.irq, level);
}

/* Room appeared in the receive FIFO: let a refused backend try again. */
static void notify_rx_room(struct pl011 *uart)
{
    if (!uart->rx_blocked || uart->rx_count >= rx_capacity(uart))
        return;
    uart->rx_blocked = false;
    if (uart->backend != NULL && uart->backend->rx_ready != NULL)
        uart->backend->rx_ready(uart->backend->ctx);
}

/* Receive interrupt (3.4.3): RXINTR when the FIFO reaches the trigger
 * level; the receive timeout is modelled as expiring at once, so RTINTR
 * is raised with every arrival and both clear as the FIFO drains. */
static size_t rx_push(struct pl011 *uart, const uint8_t *buf, size_t len)
{
    size_t n = 0;

    while (n < len && uart->rx_count < rx_capacity(uart)) {
        uart->rx_fifo[(uart->rx_head + uart->rx_count) % PL011_FIFO_DEPTH] = buf[n++];
        uart->rx_count++;
    }
    if (n > 0) {
        uart->ris |= PL011_INT_RT;
        if (uart->rx_count >= rx_trigger(uart))
            uart->ris |= PL011_INT_RX;
    }
    if (n < len)
        uart->rx_blocked = true;
    return n;
}

static uint32_t rx_pop(struct pl011 *uart)
{
    uint32_t data;

    if (uart->rx_count == 0)
        return 0;
    data = uart->rx_fifo[uart->rx_head];
    uart->rx_head = (uart->rx_head + 1) % PL011_FIFO_DEPTH;
    uart->rx_count--;
    if (uart->rx_count < rx_trigger(uart))
        uart->ris &= ~PL011_INT_RX;
    if (uart->rx_count == 0)
        uart->ris &= ~PL011_INT_RT;
    return data; /* error bits [11:8] always clear: no framing on a virtual line */
}

static void tx_byte(struct pl011 *uart, uint8_t byte)
{
    long ret = 0;

    if ((uart->cr & (PL011_CR_LBE | PL011_CR_UARTEN)) == (PL011_CR_LBE | PL011_CR_UARTEN)) {
        bool blocked = uart->rx_blocked; /* only the backend's refusals count */

        rx_push(uart, &byte, 1); /* loopback (3.3.8): a full FIFO drops it */
        uart->rx_blocked = blocked;
    } else if (uart->backend != NULL && uart->backend->write != NULL) {
        ret = uart->backend->write(uart->backend->ctx, &byte, 1);
        if (ret < 1) {
            uart->tx_dropped++;
            if (vmm_ratelimit_first(&uart->rl_tx_error))
                vmm_warn("%s: backend refused output (%ld); dropping bytes", uart->dev.name, ret);
        }
    }
    /* The FIFO is empty again: at or below any trigger level (3.4.3). */
    uart->ris |= PL011_INT_TX;
}

size_t vmm_pl011_rx(struct pl011 *uart, const uint8_t *buf, size_t len)
{
    size_t n = rx_push(uart, buf, len);

    update_irq(uart);
    return n;
}

static uint32_t read_flags(const struct pl011 *uart)
{
    /* Modem inputs read as a connected cable; TX never busy or full. */
    uint32_t fr = PL011_FR_TXFE | PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD;

    if (uart->rx_count == 0)
        fr |= PL011_FR_RXFE;
    if (uart->rx_count >= rx_capacity(uart))
        fr |= PL011_FR_RXFF;
    return fr;
}

/* Value of the 32-bit register at @reg; @consume allows DR's pop. */
static int read_reg(struct pl011 *uart, uint64_t reg, bool consume, uint32_t *val)
{
    switch (reg) {
    case PL011_DR:
        *val = consume ? rx_pop(uart) : 0;
        return 0;
    case PL011_RSR:
        *val = 0;
        return 0;
    case PL011_FR:
        *val = read_flags(uart);
        return 0;
    case PL011_ILPR:
        *val = uart->ilpr;
        return 0;
    case PL011_IBRD:
        *val = uart->ibrd;
        return 0;
    case PL011_FBRD:
        *val = uart->fbrd;
        return 0;
    case PL011_LCR_H:
        *val = uart->lcr_h;
        return 0;
    case PL011_CR:
        *val = uart->cr;
        return 0;
    case PL011_IFLS:
        *val = uart->ifls;
        return 0;
    case PL011_IMSC:
        *val = uart->imsc;
        return 0;
    case PL011_RIS:
        *val = uart->ris;
        return 0;
    case PL011_MIS:
        *val = uart->ris & uart->imsc;
        return 0;
    case PL011_ICR:
        *val = 0;
        return 0;
    case PL011_DMACR:
        *val = uart->dmacr;
        return 0;
    default:
        if (reg >= PL011_ID_BASE && reg < PL011_MMIO_SIZE) {
            *val = pl011_id[(reg - PL011_ID_BASE) / 4];
            return 0;
        }
        *val = 0;
        return -VMM_ENOENT;
    }
}

static void write_reg(struct pl011 *uart, uint64_t reg, uint32_t val)
{
    switch (reg) {
    case PL011_DR:
        tx_byte(uart, (uint8_t)val);
        break;
    case PL011_RSR: /* UARTECR: clears error flags, of which there are none */
        break;
    case PL011_ILPR:
        uart->ilpr = val & 0xff;
        break;
    case PL011_IBRD:
        uart->ibrd = val & 0xffff;
        break;
    case PL011_FBRD:
        uart->fbrd = val & 0x3f;
        break;
    case PL011_LCR_H:
        uart->lcr_h = val & 0xff;
        break;
    case PL011_CR:
        uart->cr = val & 0xff87; /* bits 6:3 reserved */
        break;
    case PL011_IFLS:
        uart->ifls = val & 0x3f;
        break;
    case PL011_IMSC:
        uart->imsc = val & PL011_INT_ALL;
        break;
    case PL011_ICR:
        uart->ris &= ~(val & PL011_INT_ALL);
        break;
    case PL011_DMACR: /* no DMA: stored, otherwise ignored */
        uart->dmacr = val & 0x7;
        break;
    default: /* FR, RIS, MIS, IDs: read-only; writes are ignored */
        break;
    }
    /* FIFO depth or trigger level may have changed. */
    if (uart->rx_count < rx_trigger(uart))
        uart->ris &= ~PL011_INT_RX;
}

static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void warn_bad_access(struct pl011 *uart, const char *what, uint64_t offset, unsigned size)
{
    if (vmm_ratelimit_first(&uart->rl_bad_access))
        vmm_warn("%s: %s of %u bytes at offset 0x%llx ignored (further ones counted)",
                 uart->dev.name, what, size, (unsigned long long)offset);
}

/* Any width at any offset reads the containing 32-bit register shifted
 * into place; only an access covering DR's low byte consumes data. */
static int pl011_mmio_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct pl011 *uart = opaque;
    unsigned shift = (unsigned)(offset & 3) * 8;
    uint32_t val = 0;

    if (read_reg(uart, offset & ~3ull, shift == 0, &val) < 0)
        warn_bad_access(uart, "read", offset, size);
    *value = (val >> shift) & size_mask(size);
    update_irq(uart);
    notify_rx_room(uart);
    return 0;
}

/* Narrow writes merge into the stored value; a write to DR's upper
 * (read-only error) bytes sends nothing. */
static int pl011_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pl011 *uart = opaque;
    uint64_t reg = offset & ~3ull;
    unsigned shift = (unsigned)(offset & 3) * 8;
    uint32_t mask = (uint32_t)((uint64_t)size_mask(size) << shift);
    uint32_t old = 0, val;

    if (reg == PL011_DR && shift != 0)
        return 0;
    if (reg != PL011_DR && reg != PL011_ICR && reg != PL011_RSR &&
        read_reg(uart, reg, false, &old) < 0) {
        warn_bad_access(uart, "write", offset, size);
        return 0;
    }
    val = (old & ~mask) | (uint32_t)((value & size_mask(size)) << shift);
    write_reg(uart, reg, val);
    update_irq(uart);
    notify_rx_room(uart);
    return 0;
}

void vmm_pl011_mirror(struct pl011 *uart, volatile uint32_t *regs, bool ids)
{
    uint32_t val;

    for (uint64_t reg = PL011_DR; reg <= PL011_DMACR; reg += 4) {
        (void)read_reg(uart, reg, false, &val); /* a hole reads as 0 */
        regs[reg / 4] = val;
    }
    for (uint64_t reg = PL011_ID_BASE; ids && reg < PL011_MMIO_SIZE; reg += 4)
        regs[reg / 4] = pl011_id[(reg - PL011_ID_BASE) / 4];
}

const struct vmm_mmio_ops vmm_pl011_mmio_ops = {
    .read = pl011_mmio_read,
    .write = pl011_mmio_write,
};

/* serial/arm,pl011.yaml: clocks = <uartclk apb_pclk>, both the 24 MHz
 * fixed clock the arm64 device tree defines. */
static int pl011_fdt_props(const struct vmm_device *dev, void *fdt)
{
    static const char clock_names[] = "uartclk\0apb_pclk";
    const struct pl011 *uart = dev->opaque;
    fdt32_t clocks[2] = {cpu_to_fdt32(uart->clk_phandle), cpu_to_fdt32(uart->clk_phandle)};
    int ret;

    ret = fdt_property(fdt, "clocks", clocks, sizeof(clocks));
    if (ret < 0)
        return ret;
    return fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names));
}

void vmm_pl011_reset(struct pl011 *uart)
{
    bool had_irq = uart->irq_level;

    uart->rx_head = uart->rx_count = 0;
    uart->ilpr = uart->ibrd = uart->fbrd = uart->lcr_h = 0;
    uart->cr = PL011_CR_RXE | PL011_CR_TXE; /* 0x300 */
    uart->ifls = 0x12;                      /* both FIFOs at 1/2 */
    uart->imsc = 0;
    uart->ris = PL011_INT_TX; /* the TX FIFO starts empty */
    uart->dmacr = 0;
    uart->irq_level = had_irq;
    update_irq(uart);
    notify_rx_room(uart);
}

static void pl011_dev_reset(struct vmm_device *dev)
{
    vmm_pl011_reset(dev->opaque);
}

void vmm_pl011_init(struct pl011 *uart, struct vmm_vm *vm, const char *name, uint64_t base,
                    unsigned irq, uint32_t clk_phandle, const struct vmm_stream_backend *backend)
{
    memset(uart, 0, sizeof(*uart));
    uart->vm = vm;
    uart->clk_phandle = clk_phandle;
    uart->backend = backend;
    uart->dev = (struct vmm_device){
        .name = name ? name : "pl011",
        .node_name = "pl011",
        .compatible = pl011_compatible,
        .compatible_len = sizeof(pl011_compatible),
        .base = base,
        .size = PL011_MMIO_SIZE,
        .irq = irq,
        .ops = &vmm_pl011_mmio_ops,
        .opaque = uart,
        .fdt_props = pl011_fdt_props,
        .reset = pl011_dev_reset,
    };
    vmm_pl011_reset(uart);
}
