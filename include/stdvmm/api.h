/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's protocol, portable (docs/API.md): one request per line,
 * a JSON object of a strict subset ({"cmd":"pause","id":7}), and one reply
 * line per request written with the small JSON writer below. The transport
 * (a UNIX socket on the KVM port) and the handling of each command are the
 * host's; parsing and formatting live here so every port shares them and
 * the fuzzer reaches them. No allocation, no libc beyond <string.h>.
 */
#ifndef STDVMM_API_H
#define STDVMM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_API_MAX_REQUEST 1024    /* bytes of one request line, newline excluded */
#define VMM_API_MAX_STRING 32       /* bytes of a string value or key, decoded */
#define VMM_API_MAX_ID 0xffffffffu  /* "id" is echoed back: 0..2^32-1 */
#define VMM_API_MAX_TIMEOUT 600000u /* "timeout_ms" of shutdown, 1..this */

enum vmm_api_cmd {
    VMM_API_INFO = 0,
    VMM_API_PAUSE,
    VMM_API_RESUME,
    VMM_API_REBOOT,
    VMM_API_SHUTDOWN,
    VMM_API_STOP,
    VMM_API_COUNTERS,
    VMM_API_NR_CMDS,
};

struct vmm_api_request {
    enum vmm_api_cmd cmd;
    bool has_id;
    uint32_t id;
    bool has_timeout;
    uint32_t timeout_ms; /* shutdown only */
};

/* Why a request was refused: the "error" string of the reply. */
enum vmm_api_error {
    VMM_API_ERR_NONE = 0,
    VMM_API_ERR_MALFORMED,   /* not a JSON object of the subset */
    VMM_API_ERR_UNKNOWN_CMD, /* "cmd" names no command */
    VMM_API_ERR_BAD_ARG,     /* an unknown, repeated or out-of-range key */
    VMM_API_ERR_TOO_LONG,    /* the line is longer than VMM_API_MAX_REQUEST */
    VMM_API_ERR_BUSY,        /* too many clients */
    VMM_API_ERR_STATE,       /* not possible in the VM's state */
    VMM_API_ERR_FAILED,      /* the host could not do it */
};

/*
 * Parse one request line @buf (@len bytes, no newline; need not be
 * NUL-terminated). 0 with @req filled, or a negative VMM_E* code with
 * *@err the reply's error and *@why a static one-line reason. Accepts only
 * an object with string keys: "cmd" (required, a command name), "id" and
 * "timeout_ms" (non-negative integers in range); whitespace between
 * tokens; escapes \" \\ \/ \b \f \n \r \t in strings.
 */
int vmm_api_parse(const char *buf, size_t len, struct vmm_api_request *req, enum vmm_api_error *err,
                  const char **why);

/* The command's name ("pause"), or NULL when out of range. */
const char *vmm_api_cmd_name(enum vmm_api_cmd cmd);

/* The error's reply string ("malformed"), or "failed" when out of range. */
const char *vmm_api_error_name(enum vmm_api_error err);

/*
 * A JSON writer into a fixed buffer: objects and arrays nest up to
 * VMM_JSON_MAX_DEPTH; commas are placed for the caller. When the buffer is
 * full @overflow is set and nothing more is written; vmm_json_finish()
 * then fails, so a cut reply is never sent.
 */
#define VMM_JSON_MAX_DEPTH 8

struct vmm_json {
    char *buf;
    size_t cap, len;
    bool overflow;
    unsigned depth;
    uint32_t has_item; /* bit d: the container at depth d has an item */
};

/* Start writing into @buf (@cap bytes, at least 2). */
void vmm_json_init(struct vmm_json *j, char *buf, size_t cap);
/* Open an object or array; @key names it inside an object (NULL in an array or at the top). */
void vmm_json_open(struct vmm_json *j, const char *key, char bracket);
/* Close the innermost object or array. */
void vmm_json_close(struct vmm_json *j, char bracket);
/* One member (or array item when @key is NULL): a string, escaped. */
void vmm_json_str(struct vmm_json *j, const char *key, const char *value);
/* One member: an unsigned integer. */
void vmm_json_u64(struct vmm_json *j, const char *key, uint64_t value);
/* One member: true or false. */
void vmm_json_bool(struct vmm_json *j, const char *key, bool value);
/* Append '\n' and a NUL: the reply's length (newline included), or
 * -VMM_ENOSPC when it did not fit or a container is still open. */
long vmm_json_finish(struct vmm_json *j);

/* The error reply for @err (@why as "detail", @req's id if it has one) into @j. */
void vmm_api_error_reply(struct vmm_json *j, const struct vmm_api_request *req,
                         enum vmm_api_error err, const char *why);

#endif
