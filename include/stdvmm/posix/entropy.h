/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host entropy as an entropy backend (hosted: Linux getrandom(2), flags 0:
 * it blocks only until the host's CRNG is first initialised, early in host
 * boot). Each fill() is bounded by its length; the virtio-rng device bounds
 * that per request.
 */
#ifndef STDVMM_POSIX_ENTROPY_H
#define STDVMM_POSIX_ENTROPY_H

#include <stddef.h>
#include "stdvmm/backend.h"
#include "stdvmm/posix/syscalls.h"

/* Fill @be to read getrandom(2); there is nothing to close. */
void vmm_posix_entropy_init(struct vmm_entropy_backend *be);

/* The backend's fill(): @len bytes from getrandom(2), retrying EINTR and
 * short reads; returns @len, the bytes got before an error, or -errno. */
long vmm_posix_entropy_fill(void *ctx, void *buf, size_t len);

/* The system calls the entropy backend makes after set-up (seccomp). */
extern const struct vmm_posix_syscalls vmm_posix_entropy_syscalls;

#endif
