/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console (src/devices/virtio_console.c): transmit chains, receive
 * buffers, host input and the emergency-write register, with a backend
 * whose appetite the input decides (all, part, nothing, an error).
 *
 * Input: driver operations (fuzz_support.h) and device operations: host
 * input of up to 255 bytes, a new backend mood. Checked: the backend only
 * sees bytes from RAM buffers or the emergency register, the device never
 * claims to have taken more input than offered, RAM bounds (ASan).
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_console.h"

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_console con;
    struct vmm_stream_backend be;
    uint8_t mood; /* 0 take all, 1 take half, 2 take none, 3 fail */
    unsigned rx_ready_calls;
    unsigned long taken;
};

static struct fx fx;

static long be_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fx *f = ctx;
    volatile uint8_t sink = 0;

    FZ_CHECK(len > 0);
    for (size_t i = 0; i < len; i++) /* touch every byte: ASan checks it */
        sink ^= buf[i];
    (void)sink;
    switch (f->mood & 3) {
    case 0:
        f->taken += len;
        return (long)len;
    case 1:
        f->taken += len / 2;
        return (long)(len / 2);
    case 2:
        return 0;
    default:
        return -VMM_EIO;
    }
}

static void be_rx_ready(void *ctx)
{
    ((struct fx *)ctx)->rx_ready_calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->mood = fz_u8(&in);
    f->taken = 0;
    f->be = (struct vmm_stream_backend){.write = be_write, .rx_ready = be_rx_ready, .ctx = f};
    FZ_CHECK(vmm_virtio_console_init(&f->con, &f->g.vm, "fuzz-console", FZ_DEV_BASE, FZ_DEV_IRQ,
                                     &f->be) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_console_device(&f->con)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 2);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        if (op & 0x10) {
            f->mood = op >> 5;
        } else {
            const uint8_t *bytes;
            size_t n = fz_take(&in, fz_u8(&in), &bytes);

            FZ_CHECK(vmm_virtio_console_rx(&f->con, bytes, n) <= n);
        }
    }
    FZ_CHECK(f->con.tx_bytes == f->taken);
    fz_guest_free(&f->g);
    return 0;
}
