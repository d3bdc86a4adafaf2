/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-vsock internals shared by the transmit side (virtio_vsock.c) and
 * the receive side and host API (virtio_vsock_rx.c). */
#ifndef STDVMM_VIRTIO_VSOCK_INTERNAL_H
#define STDVMM_VIRTIO_VSOCK_INTERNAL_H

#include "stdvmm/virtio_vsock.h"

/* Send the control packets connections owe the guest, as far as receive
 * buffers allow; the rest stay pending. */
void vmm_vsock_pump(struct virtio_vsock *vs);

/* Bytes the guest can still take on @c (peer buf_alloc minus in flight). */
uint32_t vmm_vsock_peer_credit(const struct vmm_virtio_vsock_conn *c);

/* Ask for a CREDIT_UPDATE when the guest's view of our free space lags
 * behind by half of buf_alloc or more. */
void vmm_vsock_check_credit_update(struct virtio_vsock *vs, struct vmm_virtio_vsock_conn *c);

/* Drop @c after a protocol error: tell the backend, owe the guest an RST. */
void vmm_vsock_conn_fail(struct virtio_vsock *vs, unsigned id);

/* Owe an RST for guest packet @h that matches no connection. */
void vmm_vsock_orphan_rst(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h);

#endif
