/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Compiler annotations shared by the portable code.
 *
 * VMM_WRAPS marks a function whose unsigned arithmetic wraps on purpose
 * (free-running 32-bit counters such as virtio-vsock's tx_cnt and fwd_cnt,
 * compared by difference, or guest addresses computed modulo 2^64 as the CPU
 * does): clang's unsigned-integer-overflow and unsigned-shift-base checks,
 * which the fuzzers enable (Makefile FUZZ_SAN), are off inside it. Everything else
 * must not wrap: ring indices are narrowed with explicit casts, and
 * overflow checks are written as "len > UINT64_MAX - base", never as
 * "base + len < base".
 */
#ifndef STDVMM_COMPILER_H
#define STDVMM_COMPILER_H

#if defined(__clang__)
#define VMM_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow", "unsigned-shift-base")))
#else
#define VMM_WRAPS
#endif

#endif
