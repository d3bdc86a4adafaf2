/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PL011 UART model (src/devices/pl011.c): register accesses of any
 * offset, width and value through the MMIO bus, host input, and a backend
 * that takes all, nothing or fails. Checked: reads fit their width, rx never
 * claims more bytes than offered, the interrupt line only changes through
 * the port; RAM-free, so ASan guards the FIFO indices.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/pl011.h"

#define UART_BASE 0x09000000ull

struct fx {
    struct fz_guest g;
    struct pl011 uart;
    struct vmm_stream_backend be;
    uint8_t mood;
};

static struct fx fx;

static long be_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fx *f = ctx;

    FZ_CHECK(len > 0 && len <= 4096);
    (void)buf[len - 1];
    switch (f->mood % 3) {
    case 0:
        return (long)len;
    case 1:
        return 0;
    default:
        return -VMM_EIO;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[8] = {4, 4, 4, 1, 2, 8, 3, 4};
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->mood = fz_u8(&in);
    f->be = (struct vmm_stream_backend){.write = be_write, .ctx = f};
    vmm_pl011_init(&f->uart, &f->g.vm, "uart", UART_BASE, 1, 2, &f->be);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, &f->uart.dev) == 0);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        switch (op & 3) {
        case 0:
        case 1: { /* a register access: mostly aligned, in the window */
            uint16_t off = fz_u16(&in);
            unsigned sz = sizes[(op >> 2) & 7];
            uint64_t value = fz_u64(&in), got;

            if (!(op & 0x20))
                off &= 0xffc;
            got = fz_mmio(&f->g, UART_BASE + off % (PL011_MMIO_SIZE + 8), sz, op & 0x80, value);
            if (!(op & 0x80) && sz < 8)
                FZ_CHECK(got >> (8 * sz) == 0);
            break;
        }
        case 2: {
            const uint8_t *bytes;
            size_t n = fz_take(&in, fz_u8(&in) % 40, &bytes);

            FZ_CHECK(vmm_pl011_rx(&f->uart, bytes, n) <= n);
            break;
        }
        default:
            if (op & 0x80)
                vmm_pl011_reset(&f->uart);
            else
                f->mood = op >> 2;
            break;
        }
    }
    fz_guest_free(&f->g);
    return 0;
}
