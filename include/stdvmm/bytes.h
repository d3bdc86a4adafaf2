/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Little-endian access to byte buffers: virtio structures (virtio 1.2
 * section 1.4: little-endian), arm64 Image headers, A64 instructions and
 * translation table descriptors (SCTLR_EL1.EE = 0). Byte by byte, so any
 * alignment and any host byte order work. Freestanding: no libc.
 */
#ifndef STDVMM_BYTES_H
#define STDVMM_BYTES_H

#include <stdint.h>

/* The @n (1..8) bytes at @p as a little-endian number. */
static inline uint64_t vmm_get_le(const void *p, unsigned n)
{
    const uint8_t *b = p;
    uint64_t v = 0;

    for (unsigned i = n; i > 0; i--)
        v = v << 8 | b[i - 1];
    return v;
}

/* Store the low @n (1..8) bytes of @v at @p, least significant first. */
static inline void vmm_put_le(void *p, uint64_t v, unsigned n)
{
    uint8_t *b = p;

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t vmm_get_le16(const void *p)
{
    return (uint16_t)vmm_get_le(p, 2);
}

static inline uint32_t vmm_get_le32(const void *p)
{
    return (uint32_t)vmm_get_le(p, 4);
}

static inline uint64_t vmm_get_le64(const void *p)
{
    return vmm_get_le(p, 8);
}

static inline void vmm_put_le16(void *p, uint16_t v)
{
    vmm_put_le(p, v, 2);
}

static inline void vmm_put_le32(void *p, uint32_t v)
{
    vmm_put_le(p, v, 4);
}

static inline void vmm_put_le64(void *p, uint64_t v)
{
    vmm_put_le(p, v, 8);
}

/* A value loaded whole from little-endian memory (an atomic ring access,
 * say) to host order, and back: a byte swap on big-endian hosts only. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define vmm_le16_to_cpu(x) __builtin_bswap16(x)
#define vmm_le32_to_cpu(x) __builtin_bswap32(x)
#define vmm_le64_to_cpu(x) __builtin_bswap64(x)
#else
#define vmm_le16_to_cpu(x) ((uint16_t)(x))
#define vmm_le32_to_cpu(x) ((uint32_t)(x))
#define vmm_le64_to_cpu(x) ((uint64_t)(x))
#endif
#define vmm_cpu_to_le16(x) vmm_le16_to_cpu(x)
#define vmm_cpu_to_le32(x) vmm_le32_to_cpu(x)
#define vmm_cpu_to_le64(x) vmm_le64_to_cpu(x)

#endif
