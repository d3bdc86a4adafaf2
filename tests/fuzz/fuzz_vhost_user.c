/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user reply parser (src/virtio/vhost_user_msg.c): what a
 * hostile backend can send stdvmm. The input is a series of records
 * {request (1 byte), config size (1 byte, x2), length (2 bytes), bytes};
 * each is checked as the socket backend does: the header first, then the
 * whole message against the request it answers.
 *
 * Checked: an accepted reply answers that request, has exactly that
 * request's payload size, its GET_CONFIG range lies in the message and in
 * 256 bytes; the parser never reads outside the record (ASan).
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/vhost_user.h"

static const uint32_t reqs[] = {
    VHOST_USER_GET_FEATURES,   VHOST_USER_GET_PROTOCOL_FEATURES,
    VHOST_USER_GET_VRING_BASE, VHOST_USER_GET_QUEUE_NUM,
    VHOST_USER_GET_CONFIG,     VHOST_USER_SET_MEM_TABLE,
    VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_FEATURES,
};

static void one(const uint8_t *rec, size_t len, uint32_t req, uint32_t config_size)
{
    struct vmm_vhost_reply r;
    uint32_t size = 0;
    /* A copy of exactly @len bytes, so ASan sees any read past it. */
    uint8_t *buf = malloc(len ? len : 1);

    FZ_CHECK(buf != NULL);
    memcpy(buf, rec, len);
    if (vmm_vhost_check_header(buf, len, req, &size) == 0)
        FZ_CHECK(size <= VHOST_USER_MAX_PAYLOAD && vmm_get_le32(buf) == req);
    if (vmm_vhost_parse_reply(buf, len, req, config_size, &r) == 0) {
        FZ_CHECK(r.request == req && len == VHOST_USER_HDR_SIZE + (size_t)size);
        if (req == VHOST_USER_GET_CONFIG) {
            FZ_CHECK(r.config_size == config_size && config_size > 0);
            FZ_CHECK(r.config_offset + r.config_size <= VHOST_USER_MAX_CONFIG);
            FZ_CHECK(r.config == buf + VHOST_USER_HDR_SIZE + VHOST_USER_CONFIG_HDR);
            FZ_CHECK(size == VHOST_USER_CONFIG_HDR + config_size);
        } else {
            FZ_CHECK(size == 8);
        }
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;

    for (unsigned n = 0; n < 64 && size - pos >= 4; n++) {
        uint32_t req = reqs[data[pos] % (sizeof(reqs) / sizeof(reqs[0]))];
        uint32_t config_size = (uint32_t)data[pos + 1] * 2u;
        size_t len = vmm_get_le16(data + pos + 2);

        pos += 4;
        if (len > size - pos)
            len = size - pos;
        one(data + pos, len, req, config_size);
        pos += len;
    }
    return 0;
}
