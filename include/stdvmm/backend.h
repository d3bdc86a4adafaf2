/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Backend interfaces: where a device model's I/O goes. A device model sees
 * only these structs; a backend (stdio, a file, a tap, an sDDF queue, a
 * queue to another VM) fills them in. Both sides are non-blocking.
 */
#ifndef STDVMM_BACKEND_H
#define STDVMM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/*
 * Byte stream (consoles, UARTs). Output: the device calls write() with
 * bytes the guest sent; the backend returns how many it took (>= 0) or a
 * negative VMM_E* code. Input: the backend pushes host bytes into the
 * device through the device's own rx function (e.g. pl011_rx()), which
 * returns how many the guest had room for; when the guest frees room the
 * device calls rx_ready() so the backend can offer the rest.
 */
struct vmm_stream_backend {
    long (*write)(void *ctx, const uint8_t *buf, size_t len);
    void (*rx_ready)(void *ctx); /* optional */
    void *ctx;
};

#endif
