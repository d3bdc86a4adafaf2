/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by tap.c (options, open, receive, the thread) and tap_tx.c
 * (guest frames out). */
#ifndef STDVMM_TAP_INTERNAL_H
#define STDVMM_TAP_INTERNAL_H

#include "stdvmm/posix/net.h"

/* Take / drop the VM lock (if one was attached). */
void vmm_tap_lock(struct vmm_tap *t);
void vmm_tap_unlock(struct vmm_tap *t);

/* Make the thread's poll return. */
void vmm_tap_wake(struct vmm_tap *t);

/* The backend's tx() and tx_kick() (called by the device, lock held). */
int vmm_tap_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov);
void vmm_tap_tx_kick(void *ctx);

/* Write what the transmit ring holds (the thread is stopping). */
void vmm_tap_tx_flush(struct vmm_tap *t);

#endif
