/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console (virtio 1.2 section 5.3), device ID 3: one port, no
 * MULTIPORT, no SIZE. Queue 0 is receiveq (host to guest), queue 1 is
 * transmitq (guest to host). VIRTIO_CONSOLE_F_EMERG_WRITE is offered: a
 * byte written to emerg_wr goes straight to the backend.
 *
 * Output: every byte the guest transmits is offered to backend->write(); if
 * the backend takes fewer (it is full or failed), the rest is DROPPED and
 * counted in tx_dropped, and the chain is still returned, because a Linux
 * guest spins until its transmit buffer comes back. Input: the port pushes
 * bytes with vmm_virtio_console_rx(); when the guest posts receive buffers the
 * device calls backend->rx_ready() so the rest can be offered.
 */
#ifndef STDVMM_VIRTIO_CONSOLE_H
#define STDVMM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/virtio.h"

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
#define VIRTIO_CONSOLE_QUEUE_SIZE 64

struct virtio_console {
    struct virtio_mmio vdev;
    const struct vmm_stream_backend *backend;
    struct virtq_chain chain; /* scratch for the chain being handled */
    unsigned long tx_bytes;   /* bytes the backend took */
    unsigned long tx_dropped; /* bytes the backend refused, lost */
    struct vmm_ratelimit rl_drop;
};

/* Set up @con as device @name at @base with line @irq writing to @backend
 * (which must outlive it); then add vmm_virtio_console_device(@con) to @vm. */
int vmm_virtio_console_init(struct virtio_console *con, struct vmm_vm *vm, const char *name,
                            uint64_t base, unsigned irq, const struct vmm_stream_backend *backend);

/* The struct vmm_device to pass to vmm_vm_add_device(). */
static inline struct vmm_device *vmm_virtio_console_device(struct virtio_console *con)
{
    return vmm_virtio_mmio_device(&con->vdev);
}

/* Deliver host input: copies up to @len bytes into the guest's receive
 * buffers and returns how many it took (0 when none are posted or the
 * device is not live). */
size_t vmm_virtio_console_rx(struct virtio_console *con, const uint8_t *buf, size_t len);

#endif
