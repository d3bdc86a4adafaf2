/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Error convention: every stdvmm function that can fail returns 0 (or a
 * non-negative count) on success and a negative VMM_E* code on failure.
 * The values equal Linux errno values so a hosted port can pass them to
 * strerror(); the core itself needs no <errno.h> and links freestanding.
 */
#ifndef STDVMM_ERR_H
#define STDVMM_ERR_H

#define VMM_EPERM 1
#define VMM_ENOENT 2
#define VMM_EIO 5
#define VMM_E2BIG 7
#define VMM_ENOEXEC 8
#define VMM_EAGAIN 11
#define VMM_ENOMEM 12
#define VMM_EACCES 13
#define VMM_EFAULT 14
#define VMM_EBUSY 16
#define VMM_EEXIST 17
#define VMM_ENODEV 19
#define VMM_EINVAL 22
#define VMM_ENOSPC 28
#define VMM_EPIPE 32
#define VMM_ERANGE 34
#define VMM_ENOSYS 38
#define VMM_EPROTO 71
#define VMM_ENOTSUP 95
#define VMM_ETIMEDOUT 110
#define VMM_ECANCELED 125

/* Short text for a VMM_E* code (positive or negative); never NULL. */
const char *vmm_strerror(int err);

#endif
