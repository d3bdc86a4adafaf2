/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console sanitiser (include/stdvmm/posix/console.h): guest output made
 * safe for a terminal or a log that an operator reads. What passes: \n, \r,
 * \t, printable ASCII and well-formed UTF-8 that is not a C1 or bidi control.
 * Everything else is written as "\xNN" per byte, which the guest cannot turn
 * back into a control byte.
 */
#include <string.h>
#include "stdvmm/posix/console.h"

static const char san_marker[] = "stdvmm"; /* how stdvmm's own log lines start */
#define SAN_MARKER_LEN (sizeof(san_marker) - 1)

void vmm_console_sanitizer_init(struct vmm_console_sanitizer *s)
{
    memset(s, 0, sizeof(*s));
    s->line_start = true;
}

static size_t san_escape(uint8_t *out, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";

    out[0] = '\\';
    out[1] = 'x';
    out[2] = (uint8_t)hex[c >> 4];
    out[3] = (uint8_t)hex[c & 0xf];
    return 4;
}

static size_t san_escape_seq(struct vmm_console_sanitizer *s, uint8_t *out)
{
    size_t n = 0;

    for (unsigned i = 0; i < s->seq_len; i++)
        n += san_escape(out + n, s->seq[i]);
    s->seq_len = s->seq_need = 0;
    return n;
}

/* Code points that pass as UTF-8 but steer a terminal or reorder text. */
static bool san_unicode_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls (0x9b is CSI) */
           (cp >= 0x202a && cp <= 0x202e) || /* bidi embeddings and overrides */
           (cp >= 0x2066 && cp <= 0x2069);   /* bidi isolates */
}

/* The collected sequence is complete: pass it if it is a valid, harmless
 * code point (no overlong form, surrogate or value past U+10FFFF). */
static size_t san_finish_seq(struct vmm_console_sanitizer *s, uint8_t *out)
{
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t cp = s->seq[0] & (0x7fu >> s->seq_need);

    for (unsigned i = 1; i < s->seq_need; i++)
        cp = cp << 6 | (s->seq[i] & 0x3fu);
    if (cp < min_cp[s->seq_need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
        san_unicode_control(cp))
        return san_escape_seq(s, out);
    size_t len = s->seq_need;

    memcpy(out, s->seq, len);
    s->seq_len = s->seq_need = 0;
    return len;
}

/* Bytes of a partial "stdvmm" at the start of a line, now known to be
 * something else: they are ordinary text. */
static size_t san_release_held(struct vmm_console_sanitizer *s, uint8_t *out)
{
    size_t n = s->held;

    memcpy(out, san_marker, n);
    s->held = 0;
    s->line_start = false;
    return n;
}

static size_t san_byte(struct vmm_console_sanitizer *s, uint8_t c, uint8_t *out)
{
    size_t n = 0;

    if (s->seq_need != 0) {
        if ((c & 0xc0) == 0x80) {
            s->seq[s->seq_len++] = c;
            return s->seq_len == s->seq_need ? san_finish_seq(s, out) : 0;
        }
        n += san_escape_seq(s, out); /* cut short: escape it, then c afresh */
    }
    if (s->held != 0) {
        if (c == (uint8_t)san_marker[s->held]) {
            if (++s->held < SAN_MARKER_LEN)
                return n;
            /* A guest line that would read as one of stdvmm's own. */
            n += san_escape(out + n, (uint8_t)san_marker[0]);
            memcpy(out + n, san_marker + 1, SAN_MARKER_LEN - 1);
            s->held = 0;
            s->line_start = false;
            return n + SAN_MARKER_LEN - 1;
        }
        n += san_release_held(s, out + n);
    }
    if (c == '\n' || c == '\r') {
        out[n++] = c;
        s->line_start = true;
        return n;
    }
    if (s->line_start && c == (uint8_t)san_marker[0]) {
        s->held = 1;
        return n;
    }
    s->line_start = false;
    if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
        out[n++] = c;
    } else if (c >= 0xc2 && c <= 0xf4) { /* a UTF-8 lead byte */
        s->seq[0] = c;
        s->seq_len = 1;
        s->seq_need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    } else { /* C0 controls, DEL, stray continuation bytes, invalid leads */
        n += san_escape(out + n, c);
    }
    return n;
}

size_t vmm_console_sanitize(struct vmm_console_sanitizer *s, const uint8_t *in, size_t len,
                            uint8_t *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += san_byte(s, in[i], out + n);
    return n;
}

size_t vmm_console_sanitize_end(struct vmm_console_sanitizer *s, uint8_t *out)
{
    size_t n = 0;

    if (s->seq_need != 0)
        n += san_escape_seq(s, out);
    if (s->held != 0)
        n += san_release_held(s, out + n);
    return n;
}
