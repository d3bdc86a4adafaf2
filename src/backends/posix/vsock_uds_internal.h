/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by vsock_uds.c (options, device callbacks, lifecycle) and
 * vsock_uds_io.c (the event-loop source). */
#ifndef STDVMM_VSOCK_UDS_INTERNAL_H
#define STDVMM_VSOCK_UDS_INTERNAL_H

#include "stdvmm/posix/net.h"

/* Take / drop the VM lock (if one was attached). */
void vmm_vsock_uds_lock(struct vmm_vsock_uds *u);
void vmm_vsock_uds_unlock(struct vmm_vsock_uds *u);

/* Make the poll loop look again. */
void vmm_vsock_uds_wake(struct vmm_vsock_uds *u);

/* A free slot for @fd in @state with its buffers, or NULL. */
struct vmm_vsock_uds_slot *vmm_vsock_uds_slot_alloc(struct vmm_vsock_uds *u, int fd, uint8_t state);

/* Close @s, count guest data it still held as lost, forget its connection. */
void vmm_vsock_uds_slot_free(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s);

/* Tie @s to device connection @conn. */
void vmm_vsock_uds_slot_bind(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s, int conn);

/* The backend's event-loop source. */
extern const struct vmm_loop_source_ops vmm_vsock_uds_source_ops;

#endif
