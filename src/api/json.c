/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's JSON writer (api.h): members and containers into a
 * fixed buffer, commas placed here, strings escaped (RFC 8259 7: '"', '\\'
 * and control bytes; bytes >= 0x7f as \u00XX so a reply is always ASCII).
 * A reply that does not fit is refused whole by vmm_json_finish().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/api.h"
#include "stdvmm/err.h"

void vmm_json_init(struct vmm_json *j, char *buf, size_t cap)
{
    memset(j, 0, sizeof(*j));
    j->buf = buf;
    j->cap = cap;
    if (cap < 2)
        j->overflow = true;
}

/* Room is kept for the final "\n\0". */
static void json_put(struct vmm_json *j, const char *s, size_t n)
{
    if (j->overflow || n > j->cap - 2 - j->len) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void json_putc(struct vmm_json *j, char c)
{
    json_put(j, &c, 1);
}

static void json_string(struct vmm_json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    json_putc(j, '"');
    for (; *s != '\0' && !j->overflow; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            json_put(j, esc, 2);
        } else if (c < 0x20 || c >= 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            json_put(j, esc, 6);
        } else {
            json_putc(j, (char)c);
        }
    }
    json_putc(j, '"');
}

/* The comma before an item and its key. */
static void json_item(struct vmm_json *j, const char *key)
{
    uint32_t bit = 1u << j->depth;

    if (j->has_item & bit)
        json_putc(j, ',');
    j->has_item |= bit;
    if (key != NULL) {
        json_string(j, key);
        json_putc(j, ':');
    }
}

void vmm_json_open(struct vmm_json *j, const char *key, char bracket)
{
    if (j->depth + 1 >= VMM_JSON_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    json_item(j, key);
    json_putc(j, bracket);
    j->depth++;
    j->has_item &= ~(1u << j->depth);
}

void vmm_json_close(struct vmm_json *j, char bracket)
{
    if (j->depth == 0) {
        j->overflow = true;
        return;
    }
    j->depth--;
    json_putc(j, bracket);
}

void vmm_json_str(struct vmm_json *j, const char *key, const char *value)
{
    json_item(j, key);
    json_string(j, value != NULL ? value : "");
}

void vmm_json_u64(struct vmm_json *j, const char *key, uint64_t value)
{
    char digits[20];
    size_t n = 0;

    json_item(j, key);
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    json_put(j, digits + sizeof(digits) - n, n);
}

void vmm_json_bool(struct vmm_json *j, const char *key, bool value)
{
    json_item(j, key);
    if (value)
        json_put(j, "true", 4);
    else
        json_put(j, "false", 5);
}

long vmm_json_finish(struct vmm_json *j)
{
    if (j->overflow || j->depth != 0 || j->cap < 2)
        return -VMM_ENOSPC;
    j->buf[j->len++] = '\n';
    j->buf[j->len] = '\0';
    return (long)j->len;
}

void vmm_api_error_reply(struct vmm_json *j, const struct vmm_api_request *req,
                         enum vmm_api_error err, const char *why)
{
    vmm_json_open(j, NULL, '{');
    vmm_json_bool(j, "ok", false);
    if (req != NULL && req->has_id)
        vmm_json_u64(j, "id", req->id);
    vmm_json_str(j, "error", vmm_api_error_name(err));
    if (why != NULL)
        vmm_json_str(j, "detail", why);
    vmm_json_close(j, '}');
}
