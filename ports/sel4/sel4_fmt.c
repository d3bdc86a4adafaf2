/* SPDX-License-Identifier: BSD-2-Clause */
/* The formatter behind the VMM's log sink; see sel4_fmt.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sel4_fmt.h"

struct fmt_out {
    char *buf;
    size_t size, len;
};

static void fmt_putc(struct fmt_out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len++] = c;
}

static void fmt_puts(struct fmt_out *o, const char *s)
{
    if (s == NULL)
        s = "(null)";
    while (*s != '\0')
        fmt_putc(o, *s++);
}

static void fmt_num(struct fmt_out *o, uint64_t v, unsigned base, bool upper, unsigned width,
                    char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0 && n < sizeof(tmp));
    while (width > n && width-- > 0)
        fmt_putc(o, pad);
    while (n > 0)
        fmt_putc(o, tmp[--n]);
}

/* The argument for a conversion with @lng 'l's (or z). */
static uint64_t fmt_arg_unsigned(va_list *ap, unsigned lng)
{
    if (lng >= 2)
        return va_arg(*ap, unsigned long long);
    if (lng == 1)
        return va_arg(*ap, unsigned long);
    return va_arg(*ap, unsigned int);
}

static int64_t fmt_arg_signed(va_list *ap, unsigned lng)
{
    if (lng >= 2)
        return va_arg(*ap, long long);
    if (lng == 1)
        return va_arg(*ap, long);
    return va_arg(*ap, int);
}

static void fmt_conv(struct fmt_out *o, char c, unsigned lng, unsigned width, char pad, va_list *ap)
{
    int64_t s;

    switch (c) {
    case 's':
        fmt_puts(o, va_arg(*ap, const char *));
        break;
    case 'c':
        fmt_putc(o, (char)va_arg(*ap, int));
        break;
    case 'd':
    case 'i':
        s = fmt_arg_signed(ap, lng);
        if (s < 0) {
            fmt_putc(o, '-');
            fmt_num(o, (uint64_t)0 - (uint64_t)s, 10, false, width ? width - 1 : 0, pad);
        } else {
            fmt_num(o, (uint64_t)s, 10, false, width, pad);
        }
        break;
    case 'u':
        fmt_num(o, fmt_arg_unsigned(ap, lng), 10, false, width, pad);
        break;
    case 'x':
    case 'X':
        fmt_num(o, fmt_arg_unsigned(ap, lng), 16, c == 'X', width, pad);
        break;
    case 'p':
        fmt_puts(o, "0x");
        fmt_num(o, (uintptr_t)va_arg(*ap, void *), 16, false, 0, '0');
        break;
    case '%':
        fmt_putc(o, '%');
        break;
    default:
        fmt_putc(o, '%');
        fmt_putc(o, c);
        break;
    }
}

size_t sel4_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = {.buf = buf, .size = size, .len = 0};
    va_list args;

    va_copy(args, ap);
    while (*fmt != '\0') {
        unsigned lng = 0, width = 0;
        char pad = ' ';

        if (*fmt != '%') {
            fmt_putc(&o, *fmt++);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9' && width < 64)
            width = width * 10 + (unsigned)(*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng += *fmt == 'z' ? 2 : 1;
            fmt++;
        }
        if (*fmt == '\0')
            break;
        fmt_conv(&o, *fmt++, lng, width, pad, &args);
    }
    va_end(args);
    if (size > 0)
        buf[o.len] = '\0';
    return o.len;
}

size_t sel4_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = sel4_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
