/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's request parser and JSON writer (src/api/): any bytes
 * as a request line. Checked: a parsed request is in range (a command, an
 * id <= 2^32-1, a timeout only for shutdown and within 1..600000); a
 * refused one has a reason; the reply written for it into buffers of every
 * size is either refused whole or one printable-ASCII line; a request that
 * parses also parses when it is re-written in canonical form.
 */
#include <stdio.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/api.h"
#include "stdvmm/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const struct vmm_api_request *req, enum vmm_api_error err, const char *why,
                        size_t cap)
{
    char buf[512];
    struct vmm_json j;
    long n;

    vmm_json_init(&j, buf, cap);
    if (err == VMM_API_ERR_NONE) {
        vmm_json_open(&j, NULL, '{');
        vmm_json_bool(&j, "ok", true);
        if (req->has_id)
            vmm_json_u64(&j, "id", req->id);
        vmm_json_str(&j, "cmd", vmm_api_cmd_name(req->cmd));
        vmm_json_close(&j, '}');
    } else {
        vmm_api_error_reply(&j, req, err, why);
    }
    n = vmm_json_finish(&j);
    if (n < 0)
        return;
    FZ_CHECK((size_t)n < cap && buf[n] == '\0' && buf[n - 1] == '\n');
    for (long i = 0; i < n - 1; i++)
        FZ_CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmm_api_request req, again;
    enum vmm_api_error err, err2;
    const char *why, *why2;
    char line[128];
    int ret = vmm_api_parse((const char *)data, size, &req, &err, &why);

    if (ret == 0) {
        FZ_CHECK(err == VMM_API_ERR_NONE && why == NULL);
        FZ_CHECK(vmm_api_cmd_name(req.cmd) != NULL);
        FZ_CHECK(size <= VMM_API_MAX_REQUEST);
        FZ_CHECK(!req.has_timeout || (req.cmd == VMM_API_SHUTDOWN && req.timeout_ms >= 1 &&
                                      req.timeout_ms <= VMM_API_MAX_TIMEOUT));
        snprintf(line, sizeof(line), "{\"cmd\":\"%s\"", vmm_api_cmd_name(req.cmd));
        if (req.has_id)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), ",\"id\":%u", req.id);
        if (req.has_timeout)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), ",\"timeout_ms\":%u",
                     req.timeout_ms);
        strcat(line, "}");
        FZ_CHECK(vmm_api_parse(line, strlen(line), &again, &err2, &why2) == 0);
        FZ_CHECK(again.cmd == req.cmd && again.has_id == req.has_id && again.id == req.id &&
                 again.has_timeout == req.has_timeout && again.timeout_ms == req.timeout_ms);
    } else {
        FZ_CHECK(ret == -VMM_EINVAL && err != VMM_API_ERR_NONE && why != NULL);
        FZ_CHECK(size > VMM_API_MAX_REQUEST ? err == VMM_API_ERR_TOO_LONG
                                            : err != VMM_API_ERR_TOO_LONG);
    }
    for (size_t cap = 2; cap <= 512; cap += cap < 64 ? 7 : 61)
        check_reply(&req, err, why, cap);
    return 0;
}
