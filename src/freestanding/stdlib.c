/* SPDX-License-Identifier: BSD-2-Clause */
/* strtoul for programs without a C library (libfdt parses unit addresses
 * with it). Bases 0 (auto: 0x, 0 or decimal), 2..36; saturates at ULONG_MAX. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    const char *p = s;
    unsigned long v = 0;
    int neg = 0, any = 0, d;

    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        if (end != NULL)
            *end = (char *)(size_t)s;
        return 0;
    }
    for (; (d = digit_value(*p)) < base; p++) {
        any = 1;
        if (v > (ULONG_MAX - (unsigned long)d) / (unsigned long)base)
            v = ULONG_MAX;
        else
            v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end != NULL)
        *end = (char *)(size_t)(any ? p : s);
    return neg ? -v : v;
}
