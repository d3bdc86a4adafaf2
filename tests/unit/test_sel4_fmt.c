/* SPDX-License-Identifier: BSD-2-Clause */
/* The seL4 VMM's log formatter (ports/sel4/sel4_fmt.c has no seL4
 * dependency, so it is compiled into this test as is). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../ports/sel4/sel4_fmt.c"

static void fmt_formats_the_conversions_the_core_uses(void **state)
{
    char buf[128];

    (void)state;
    sel4_snprintf(buf, sizeof(buf), "%s=%u %d %ld %lu %zu", "x", 42u, -7, -9000000000L,
                  123456789012ul, (size_t)5);
    assert_string_equal(buf, "x=42 -7 -9000000000 123456789012 5");
    sel4_snprintf(buf, sizeof(buf), "0x%llx %llu %08x %X %c%%", 0xdeadbeef00ull,
                  18446744073709551615ull, 0xabcu, 0xbeefu, 'q');
    assert_string_equal(buf, "0xdeadbeef00 18446744073709551615 00000abc BEEF q%");
}

static void fmt_truncates_and_terminates(void **state)
{
    char buf[8];
    size_t n;

    (void)state;
    memset(buf, 'Z', sizeof(buf));
    n = sel4_snprintf(buf, sizeof(buf), "%s", "0123456789");
    assert_int_equal(n, 7);
    assert_string_equal(buf, "0123456");
    n = sel4_snprintf(buf, 1, "abc");
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");
}

/* No format attribute: the odd formats below are on purpose. */
static size_t fmt_unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = sel4_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void fmt_survives_odd_formats(void **state)
{
    char buf[32];

    (void)state;
    fmt_unchecked(buf, sizeof(buf), "%s %w end%", (const char *)NULL);
    assert_string_equal(buf, "(null) %w end");
    sel4_snprintf(buf, sizeof(buf), "%d %u", -2147483647 - 1, 0u);
    assert_string_equal(buf, "-2147483648 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fmt_formats_the_conversions_the_core_uses),
        cmocka_unit_test(fmt_truncates_and_terminates),
        cmocka_unit_test(fmt_survives_odd_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
