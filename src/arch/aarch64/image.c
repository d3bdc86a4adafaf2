/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arm64 Linux Image header, Linux Documentation/arch/arm64/booting.rst
 * section 4 "Call the kernel image":
 *   0  code0, 4 code1, 8 text_offset, 16 image_size, 24 flags,
 *   32 res2, 40 res3, 48 res4, 56 magic "ARM\x64", 60 res5 (PE offset)
 * All fields little endian (since v3.17).
 */
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/arm64.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"

/* The checks of booting.rst; returns NULL or what is wrong with the Image. */
static const char *check_image(const void *data, size_t size, struct vmm_arm64_image *out)
{
    const uint8_t *hdr = data;
    uint64_t text_offset, image_size, flags;

    if (data == NULL || size < VMM_ARM64_IMAGE_HEADER_SIZE)
        return "shorter than the 64-byte arm64 Image header";
    if (vmm_get_le32(hdr + 56) != VMM_ARM64_IMAGE_MAGIC)
        return "no \"ARM\\x64\" magic at offset 56 (not an uncompressed arm64 Image)";
    text_offset = vmm_get_le64(hdr + 8);
    image_size = vmm_get_le64(hdr + 16);
    flags = vmm_get_le64(hdr + 24);
    if (image_size == 0) {
        /* Pre-3.17 kernel: fields of unspecified endianness; booting.rst says
         * text_offset may then be assumed to be 0x80000, and the kernel needs
         * no more than its file. */
        text_offset = VMM_ARM64_IMAGE_LEGACY_TEXT_OFFSET;
        image_size = size;
        flags = 0;
    }
    if (flags & VMM_ARM64_IMAGE_FLAG_BE)
        return "big-endian kernel (header flags bit 0), not supported";
    if (image_size < size)
        return "header image_size is smaller than the file";
    if (text_offset > UINT64_MAX - image_size)
        return "header text_offset + image_size overflows";
    out->text_offset = text_offset;
    out->image_size = image_size;
    out->flags = flags;
    return NULL;
}

int vmm_arm64_parse_image(const void *data, size_t size, struct vmm_arm64_image *out)
{
    return check_image(data, size, out) == NULL ? 0 : -VMM_ENOEXEC;
}

const char *vmm_arm64_image_problem(const void *data, size_t size)
{
    struct vmm_arm64_image img;

    return check_image(data, size, &img);
}
