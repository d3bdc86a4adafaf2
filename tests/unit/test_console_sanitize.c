/* SPDX-License-Identifier: BSD-2-Clause */
/* The console sanitiser (src/backends/posix/console_sanitize.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/posix/console.h"

/* Sanitise @in in pieces of @piece bytes (0: in one call), then end. */
static void check(const char *in, size_t len, size_t piece, const char *want)
{
    struct vmm_console_sanitizer s;
    uint8_t out[VMM_CONSOLE_SANITIZE_MAX(256)];
    size_t n = 0;

    assert_true(len <= 256);
    vmm_console_sanitizer_init(&s);
    if (piece == 0)
        piece = len ? len : 1;
    for (size_t off = 0; off < len; off += piece) {
        size_t k = len - off < piece ? len - off : piece;
        n += vmm_console_sanitize(&s, (const uint8_t *)in + off, k, out + n);
    }
    n += vmm_console_sanitize_end(&s, out + n);
    out[n] = '\0';
    assert_string_equal((const char *)out, want);
}

#define CHECK(in, want)                                                                            \
    do {                                                                                           \
        check(in, sizeof(in) - 1, 0, want);                                                        \
        check(in, sizeof(in) - 1, 1, want);                                                        \
    } while (0)

static void sanitize_passes_text_newlines_tabs_and_utf8(void **state)
{
    (void)state;
    CHECK("login: root\r\n\tcol\n", "login: root\r\n\tcol\n");
    CHECK("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xa7\n",
          "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xa7\n");
}

static void sanitize_escapes_control_bytes_and_escape_sequences(void **state)
{
    (void)state;
    CHECK("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07");
    CHECK("a\bb\x7f\x0c\x0b\x00z", "a\\x08b\\x7f\\x0c\\x0b\\x00z");
}

static void sanitize_escapes_c1_bidi_and_malformed_utf8(void **state)
{
    (void)state;
    CHECK("\x9b"
          "31m",
          "\\x9b31m"); /* 8-bit CSI */
    CHECK("\xc2\x9b"
          "31m",
          "\\xc2\\x9b31m"); /* CSI as UTF-8 */
    CHECK("a\xe2\x80\xae"
          "b",
          "a\\xe2\\x80\\xaeb");                        /* RIGHT-TO-LEFT OVERRIDE */
    CHECK("\xc0\xaf", "\\xc0\\xaf");                   /* overlong '/' */
    CHECK("\xe0\x80\xaf", "\\xe0\\x80\\xaf");          /* overlong, 3 bytes */
    CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
    CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    CHECK("\xe2\x80"
          "A",
          "\\xe2\\x80A");                     /* cut short by ASCII */
    CHECK("\xe2\x80\x1b", "\\xe2\\x80\\x1b"); /* cut short by ESC */
    CHECK("\x80\xff", "\\x80\\xff");          /* stray bytes */
    CHECK("end\xf0\x9f", "end\\xf0\\x9f");    /* unfinished at the end */
}

static void sanitize_marks_guest_lines_that_look_like_stdvmm_lines(void **state)
{
    (void)state;
    CHECK("stdvmm: the guest powered off\n", "\\x73tdvmm: the guest powered off\n");
    CHECK("boot\nstdvmm: fake\rstdvmm: fake\n", "boot\n\\x73tdvmm: fake\r\\x73tdvmm: fake\n");
    /* not at the start of a line, or not the whole word: unchanged */
    CHECK("say stdvmm: hi\n", "say stdvmm: hi\n");
    CHECK("stdvmx\nstd\nsh-5.2# \ns", "stdvmx\nstd\nsh-5.2# \ns");
    CHECK("\tstdvmm\n", "\tstdvmm\n");
    CHECK("ss\n", "ss\n");
}

/* The output never exceeds the documented bound, whatever the input. */
static void sanitize_stays_within_its_size_bound(void **state)
{
    struct vmm_console_sanitizer s;
    uint8_t in[97], out[VMM_CONSOLE_SANITIZE_MAX(sizeof(in))];
    (void)state;

    srand(10);
    vmm_console_sanitizer_init(&s);
    for (unsigned round = 0; round < 2000; round++) {
        size_t len = (size_t)rand() % sizeof(in), n;
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)(round & 1 ? rand() : "stdvm\n\xe2\x80\xc2"[rand() % 9]);
        n = vmm_console_sanitize(&s, in, len, out);
        assert_true(n <= VMM_CONSOLE_SANITIZE_MAX(len));
        for (size_t i = 0; i < n; i++) /* no control byte but \n \r \t */
            assert_true(out[i] >= 0x20 || out[i] == '\n' || out[i] == '\r' || out[i] == '\t');
    }
    assert_true(vmm_console_sanitize_end(&s, out) <= 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sanitize_passes_text_newlines_tabs_and_utf8),
        cmocka_unit_test(sanitize_escapes_control_bytes_and_escape_sequences),
        cmocka_unit_test(sanitize_escapes_c1_bidi_and_malformed_utf8),
        cmocka_unit_test(sanitize_marks_guest_lines_that_look_like_stdvmm_lines),
        cmocka_unit_test(sanitize_stays_within_its_size_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
