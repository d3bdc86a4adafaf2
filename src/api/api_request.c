/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's request parser (api.h, docs/API.md): a strict subset
 * of JSON (RFC 8259) written by hand, bounded by the line it is given.
 * Only what a request needs: one object, string keys, string or
 * non-negative integer values. Everything else (arrays, nested objects,
 * true/false/null, fractions, exponents, \u escapes) is refused with a
 * reason; so are unknown keys, repeated keys and trailing bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/api.h"
#include "stdvmm/err.h"

struct api_lex {
    const char *p, *end;
    const char *why;
    enum vmm_api_error err;
};

static const char *const api_cmd_names[VMM_API_NR_CMDS] = {
    [VMM_API_INFO] = "info",         [VMM_API_PAUSE] = "pause",       [VMM_API_RESUME] = "resume",
    [VMM_API_REBOOT] = "reboot",     [VMM_API_SHUTDOWN] = "shutdown", [VMM_API_STOP] = "stop",
    [VMM_API_COUNTERS] = "counters",
};

const char *vmm_api_cmd_name(enum vmm_api_cmd cmd)
{
    return (unsigned)cmd < VMM_API_NR_CMDS ? api_cmd_names[cmd] : NULL;
}

const char *vmm_api_error_name(enum vmm_api_error err)
{
    switch (err) {
    case VMM_API_ERR_MALFORMED:
        return "malformed";
    case VMM_API_ERR_UNKNOWN_CMD:
        return "unknown-command";
    case VMM_API_ERR_BAD_ARG:
        return "bad-argument";
    case VMM_API_ERR_TOO_LONG:
        return "too-long";
    case VMM_API_ERR_BUSY:
        return "busy";
    case VMM_API_ERR_STATE:
        return "invalid-state";
    default:
        return "failed";
    }
}

static int api_fail(struct api_lex *lx, enum vmm_api_error err, const char *why)
{
    if (lx->why == NULL) {
        lx->why = why;
        lx->err = err;
    }
    return -VMM_EINVAL;
}

static void api_skip_ws(struct api_lex *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
        lx->p++;
}

/* Expect the byte @c after optional whitespace. */
static bool api_take(struct api_lex *lx, char c)
{
    api_skip_ws(lx);
    if (lx->p < lx->end && *lx->p == c) {
        lx->p++;
        return true;
    }
    return false;
}

/* A string into @out (NUL-terminated, at most VMM_API_MAX_STRING bytes). */
static int api_string(struct api_lex *lx, char out[VMM_API_MAX_STRING + 1])
{
    size_t n = 0;

    if (!api_take(lx, '"'))
        return api_fail(lx, VMM_API_ERR_MALFORMED, "expected a string");
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p++;

        if (c == '"') {
            out[n] = '\0';
            return 0;
        }
        if (c < 0x20 || c >= 0x7f)
            return api_fail(lx, VMM_API_ERR_MALFORMED,
                            "control or non-ASCII byte in a string (only printable ASCII)");
        if (c == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e;

            if (lx->p >= lx->end)
                break;
            e = *lx->p != '\0' ? strchr(from, *lx->p) : NULL;
            if (e == NULL)
                return api_fail(lx, VMM_API_ERR_MALFORMED,
                                "unsupported escape in a string (no \\u)");
            c = (unsigned char)to[e - from];
            lx->p++;
        }
        if (n >= VMM_API_MAX_STRING)
            return api_fail(lx, VMM_API_ERR_BAD_ARG, "string longer than 32 bytes");
        out[n++] = (char)c;
    }
    return api_fail(lx, VMM_API_ERR_MALFORMED, "unterminated string");
}

/* A non-negative integer up to @max: no sign, fraction, exponent or
 * leading zero. */
static int api_uint(struct api_lex *lx, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *start;

    api_skip_ws(lx);
    start = lx->p;
    while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
        unsigned d = (unsigned)(*lx->p - '0');

        if (v > (max - d) / 10)
            return api_fail(lx, VMM_API_ERR_BAD_ARG, "number out of range");
        v = v * 10 + d;
        lx->p++;
    }
    if (lx->p == start)
        return api_fail(lx, VMM_API_ERR_MALFORMED,
                        "expected a non-negative integer or a string value");
    if (lx->p - start > 1 && *start == '0')
        return api_fail(lx, VMM_API_ERR_MALFORMED, "leading zero in a number");
    if (lx->p < lx->end && (*lx->p == '.' || *lx->p == 'e' || *lx->p == 'E'))
        return api_fail(lx, VMM_API_ERR_BAD_ARG, "only integers are accepted");
    *out = v;
    return 0;
}

/* One "key": value member into @req; @seen has one bit per known key. */
static int api_member(struct api_lex *lx, struct vmm_api_request *req, unsigned *seen)
{
    char key[VMM_API_MAX_STRING + 1], val[VMM_API_MAX_STRING + 1];
    uint64_t num;
    unsigned bit;

    if (api_string(lx, key) < 0)
        return -VMM_EINVAL;
    if (!api_take(lx, ':'))
        return api_fail(lx, VMM_API_ERR_MALFORMED, "expected ':' after a key");
    if (strcmp(key, "cmd") == 0)
        bit = 1;
    else if (strcmp(key, "id") == 0)
        bit = 2;
    else if (strcmp(key, "timeout_ms") == 0)
        bit = 4;
    else
        return api_fail(lx, VMM_API_ERR_BAD_ARG, "unknown key (cmd, id, timeout_ms)");
    if (*seen & bit)
        return api_fail(lx, VMM_API_ERR_BAD_ARG, "repeated key");
    *seen |= bit;
    if (bit == 1) {
        if (api_string(lx, val) < 0)
            return -VMM_EINVAL;
        for (unsigned c = 0; c < VMM_API_NR_CMDS; c++) {
            if (strcmp(val, api_cmd_names[c]) == 0) {
                req->cmd = (enum vmm_api_cmd)c;
                return 0;
            }
        }
        return api_fail(lx, VMM_API_ERR_UNKNOWN_CMD, "unknown command");
    }
    if (api_uint(lx, bit == 2 ? VMM_API_MAX_ID : VMM_API_MAX_TIMEOUT, &num) < 0)
        return -VMM_EINVAL;
    if (bit == 2) {
        req->has_id = true;
        req->id = (uint32_t)num;
    } else {
        if (num == 0)
            return api_fail(lx, VMM_API_ERR_BAD_ARG, "timeout_ms must be 1..600000");
        req->has_timeout = true;
        req->timeout_ms = (uint32_t)num;
    }
    return 0;
}

static int api_object(struct api_lex *lx, struct vmm_api_request *req)
{
    unsigned seen = 0;

    if (!api_take(lx, '{'))
        return api_fail(lx, VMM_API_ERR_MALFORMED, "a request is a JSON object");
    if (!api_take(lx, '}')) {
        for (;;) {
            if (api_member(lx, req, &seen) < 0)
                return -VMM_EINVAL;
            if (api_take(lx, '}'))
                break;
            if (!api_take(lx, ','))
                return api_fail(lx, VMM_API_ERR_MALFORMED, "expected ',' or '}'");
        }
    }
    api_skip_ws(lx);
    if (lx->p != lx->end)
        return api_fail(lx, VMM_API_ERR_MALFORMED, "bytes after the object");
    if (!(seen & 1))
        return api_fail(lx, VMM_API_ERR_BAD_ARG, "no \"cmd\"");
    if (req->has_timeout && req->cmd != VMM_API_SHUTDOWN)
        return api_fail(lx, VMM_API_ERR_BAD_ARG, "timeout_ms is only for shutdown");
    return 0;
}

int vmm_api_parse(const char *buf, size_t len, struct vmm_api_request *req, enum vmm_api_error *err,
                  const char **why)
{
    struct api_lex lx = {.p = buf, .end = buf + len};
    int ret;

    memset(req, 0, sizeof(*req));
    if (len > VMM_API_MAX_REQUEST)
        ret = api_fail(&lx, VMM_API_ERR_TOO_LONG, "request longer than 1024 bytes");
    else
        ret = api_object(&lx, req);
    *err = ret == 0 ? VMM_API_ERR_NONE : lx.err;
    *why = ret == 0 ? NULL : lx.why;
    if (ret < 0)
        req->cmd = VMM_API_NR_CMDS; /* keeps the id for the error reply */
    return ret;
}
