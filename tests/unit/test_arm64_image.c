/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64 Image header parsing (Linux Documentation/arch/arm64/booting.rst). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A header like a v3.17+ kernel's, followed by @size - 64 bytes of "code". */
static void make_image(uint8_t *buf, size_t size, uint64_t text_offset, uint64_t image_size,
                       uint64_t flags)
{
    memset(buf, 0xaa, size);
    memset(buf, 0, VMM_ARM64_IMAGE_HEADER_SIZE);
    put_le(buf + 8, text_offset, 8);
    put_le(buf + 16, image_size, 8);
    put_le(buf + 24, flags, 8);
    memcpy(buf + 56, "ARM\x64", 4);
}

static void image_accepts_good_header(void **state)
{
    uint8_t img[4096];
    struct vmm_arm64_image out = {0};
    (void)state;
    make_image(img, sizeof(img), 0x80000, 0x123000, 0xa);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), 0);
    assert_int_equal(out.text_offset, 0x80000);
    assert_int_equal(out.image_size, 0x123000);
    assert_int_equal(out.flags, 0xa);
}

/* The first 64 bytes of Debian's 6.1 arm64 kernel (an EFI "MZ" stub). */
static void image_accepts_debian_kernel_header(void **state)
{
    static const uint8_t hdr[64] = {
        0x4d, 0x5a, 0x40, 0xfa, 0x46, 0x63, 0x4e, 0x14, 0,    0,    0,    0,    0,    0, 0, 0,
        0,    0,    0xab, 0x01, 0,    0,    0,    0,    0x0a, 0,    0,    0,    0,    0, 0, 0,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0,
        0,    0,    0,    0,    0,    0,    0,    0,    0x41, 0x52, 0x4d, 0x64, 0x40, 0, 0, 0};
    struct vmm_arm64_image out = {0};
    (void)state;
    assert_int_equal(vmm_arm64_parse_image(hdr, sizeof(hdr), &out), 0);
    assert_int_equal(out.text_offset, 0);
    assert_int_equal(out.image_size, 0x1ab0000);
    assert_int_equal(out.flags, 0xa);
}

static void image_rejects_bad_magic(void **state)
{
    uint8_t img[256];
    struct vmm_arm64_image out;
    (void)state;
    make_image(img, sizeof(img), 0, 0x10000, 0);
    img[59] = 0x65; /* "ARMe" */
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
    make_image(img, sizeof(img), 0, 0x10000, 0);
    memcpy(img + 56, "\x64MRA", 4); /* byte-swapped magic */
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
}

static void image_rejects_truncated_header(void **state)
{
    uint8_t img[64];
    struct vmm_arm64_image out;
    (void)state;
    make_image(img, sizeof(img), 0, 0x10000, 0);
    assert_int_equal(vmm_arm64_parse_image(img, 64, &out), 0);
    assert_int_equal(vmm_arm64_parse_image(img, 63, &out), -VMM_ENOEXEC);
    assert_int_equal(vmm_arm64_parse_image(img, 0, &out), -VMM_ENOEXEC);
    assert_int_equal(vmm_arm64_parse_image(NULL, 64, &out), -VMM_ENOEXEC);
}

static void image_size_zero_means_legacy_text_offset_and_file_size(void **state)
{
    uint8_t img[8192];
    struct vmm_arm64_image out = {0};
    (void)state;
    /* Pre-3.17: text_offset of unspecified endianness, image_size 0. */
    make_image(img, sizeof(img), 0x0000080000000000ull, 0, 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), 0);
    assert_int_equal(out.text_offset, VMM_ARM64_IMAGE_LEGACY_TEXT_OFFSET);
    assert_int_equal(out.text_offset, 0x80000);
    assert_int_equal(out.image_size, sizeof(img));
    assert_int_equal(out.flags, 0);
}

static void image_rejects_big_endian_kernel(void **state)
{
    uint8_t img[256];
    struct vmm_arm64_image out;
    (void)state;
    make_image(img, sizeof(img), 0, 0x10000, VMM_ARM64_IMAGE_FLAG_BE | 0x2);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
}

static void image_rejects_image_size_smaller_than_file(void **state)
{
    uint8_t img[4096];
    struct vmm_arm64_image out;
    (void)state;
    make_image(img, sizeof(img), 0, sizeof(img) - 1, 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
    make_image(img, sizeof(img), 0, sizeof(img), 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), 0);
}

static void image_rejects_sizes_that_overflow(void **state)
{
    uint8_t img[256];
    struct vmm_arm64_image out;
    (void)state;
    make_image(img, sizeof(img), 0x200000, UINT64_MAX - 0x1000, 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
    make_image(img, sizeof(img), UINT64_MAX, 0x1000, 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), -VMM_ENOEXEC);
    /* Exactly reaching the top of the address space does not overflow. */
    make_image(img, sizeof(img), 0x1000, UINT64_MAX - 0x1000, 0);
    assert_int_equal(vmm_arm64_parse_image(img, sizeof(img), &out), 0);
}

static void image_problem_names_each_rejection(void **state)
{
    uint8_t img[256];
    const char *why;
    (void)state;
    make_image(img, sizeof(img), 0, 0x10000, 0);
    assert_null(vmm_arm64_image_problem(img, sizeof(img)));
    assert_non_null(strstr(vmm_arm64_image_problem(img, 10), "header"));
    img[56] = 'X';
    assert_non_null(strstr(vmm_arm64_image_problem(img, sizeof(img)), "magic"));
    make_image(img, sizeof(img), 0, 0x10000, VMM_ARM64_IMAGE_FLAG_BE);
    assert_non_null(strstr(vmm_arm64_image_problem(img, sizeof(img)), "big-endian"));
    make_image(img, sizeof(img), 0, 100, 0);
    why = vmm_arm64_image_problem(img, sizeof(img));
    assert_non_null(strstr(why, "smaller than the file"));
    make_image(img, sizeof(img), UINT64_MAX, 0x1000, 0);
    assert_non_null(strstr(vmm_arm64_image_problem(img, sizeof(img)), "overflows"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_accepts_good_header),
        cmocka_unit_test(image_accepts_debian_kernel_header),
        cmocka_unit_test(image_rejects_bad_magic),
        cmocka_unit_test(image_rejects_truncated_header),
        cmocka_unit_test(image_size_zero_means_legacy_text_offset_and_file_size),
        cmocka_unit_test(image_rejects_big_endian_kernel),
        cmocka_unit_test(image_rejects_image_size_smaller_than_file),
        cmocka_unit_test(image_rejects_sizes_that_overflow),
        cmocka_unit_test(image_problem_names_each_rejection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
