/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user messages as bytes (vhost_user.h). Building is plain layout;
 * parsing trusts nothing: the backend is another process, possibly
 * compromised, and its replies are checked field by field before use.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/vhost_user.h"

const char *vmm_vhost_req_name(uint32_t req)
{
    switch (req) {
    case VHOST_USER_GET_FEATURES:
        return "GET_FEATURES";
    case VHOST_USER_SET_FEATURES:
        return "SET_FEATURES";
    case VHOST_USER_SET_OWNER:
        return "SET_OWNER";
    case VHOST_USER_SET_MEM_TABLE:
        return "SET_MEM_TABLE";
    case VHOST_USER_SET_VRING_NUM:
        return "SET_VRING_NUM";
    case VHOST_USER_SET_VRING_ADDR:
        return "SET_VRING_ADDR";
    case VHOST_USER_SET_VRING_BASE:
        return "SET_VRING_BASE";
    case VHOST_USER_GET_VRING_BASE:
        return "GET_VRING_BASE";
    case VHOST_USER_SET_VRING_KICK:
        return "SET_VRING_KICK";
    case VHOST_USER_SET_VRING_CALL:
        return "SET_VRING_CALL";
    case VHOST_USER_SET_VRING_ERR:
        return "SET_VRING_ERR";
    case VHOST_USER_GET_PROTOCOL_FEATURES:
        return "GET_PROTOCOL_FEATURES";
    case VHOST_USER_SET_PROTOCOL_FEATURES:
        return "SET_PROTOCOL_FEATURES";
    case VHOST_USER_GET_QUEUE_NUM:
        return "GET_QUEUE_NUM";
    case VHOST_USER_SET_VRING_ENABLE:
        return "SET_VRING_ENABLE";
    case VHOST_USER_GET_CONFIG:
        return "GET_CONFIG";
    default:
        return "unknown";
    }
}

bool vmm_vhost_req_has_reply(uint32_t req)
{
    switch (req) {
    case VHOST_USER_GET_FEATURES:
    case VHOST_USER_GET_PROTOCOL_FEATURES:
    case VHOST_USER_GET_VRING_BASE:
    case VHOST_USER_GET_QUEUE_NUM:
    case VHOST_USER_GET_CONFIG:
        return true;
    default:
        return false;
    }
}

static void put_header(struct vmm_vhost_msg *m, uint32_t req, uint32_t size, bool need_reply)
{
    memset(m->buf, 0, VHOST_USER_HDR_SIZE + size);
    vmm_put_le32(m->buf, req);
    vmm_put_le32(m->buf + 4, VHOST_USER_VERSION | (need_reply ? VHOST_USER_FLAG_NEED_REPLY : 0));
    vmm_put_le32(m->buf + 8, size);
    m->len = VHOST_USER_HDR_SIZE + size;
}

void vmm_vhost_msg_plain(struct vmm_vhost_msg *m, uint32_t req, bool need_reply)
{
    put_header(m, req, 0, need_reply);
}

void vmm_vhost_msg_u64(struct vmm_vhost_msg *m, uint32_t req, uint64_t val, bool need_reply)
{
    put_header(m, req, 8, need_reply);
    vmm_put_le64(m->buf + VHOST_USER_HDR_SIZE, val);
}

void vmm_vhost_msg_state(struct vmm_vhost_msg *m, uint32_t req, uint32_t index, uint32_t num,
                         bool need_reply)
{
    put_header(m, req, 8, need_reply);
    vmm_put_le32(m->buf + VHOST_USER_HDR_SIZE, index);
    vmm_put_le32(m->buf + VHOST_USER_HDR_SIZE + 4, num);
}

/* Payload: index, flags (no logging), descriptor, used, available, log. */
void vmm_vhost_msg_addr(struct vmm_vhost_msg *m, uint32_t index, uint64_t desc, uint64_t used,
                        uint64_t avail, bool need_reply)
{
    uint8_t *p = m->buf + VHOST_USER_HDR_SIZE;

    put_header(m, VHOST_USER_SET_VRING_ADDR, 40, need_reply);
    vmm_put_le32(p, index);
    vmm_put_le64(p + 8, desc);
    vmm_put_le64(p + 16, used);
    vmm_put_le64(p + 24, avail);
}

int vmm_vhost_msg_mem_table(struct vmm_vhost_msg *m, const struct vmm_vhost_region *r, unsigned n,
                            bool need_reply)
{
    uint8_t *p = m->buf + VHOST_USER_HDR_SIZE;

    if (n == 0 || n > VHOST_USER_MAX_REGIONS)
        return -VMM_EINVAL;
    put_header(m, VHOST_USER_SET_MEM_TABLE, 8 + n * VHOST_USER_REGION_SIZE, need_reply);
    vmm_put_le32(p, n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *q = p + 8 + i * VHOST_USER_REGION_SIZE;

        vmm_put_le64(q, r[i].gpa);
        vmm_put_le64(q + 8, r[i].size);
        vmm_put_le64(q + 16, r[i].uaddr);
        vmm_put_le64(q + 24, r[i].mmap_offset);
    }
    return 0;
}

int vmm_vhost_msg_get_config(struct vmm_vhost_msg *m, uint32_t offset, uint32_t size)
{
    uint8_t *p = m->buf + VHOST_USER_HDR_SIZE;

    if (size == 0 || size > VHOST_USER_MAX_CONFIG || offset > VHOST_USER_MAX_CONFIG - size)
        return -VMM_EINVAL;
    put_header(m, VHOST_USER_GET_CONFIG, VHOST_USER_CONFIG_HDR + size, false);
    vmm_put_le32(p, offset);
    vmm_put_le32(p + 4, size);
    return 0;
}

int vmm_vhost_check_header(const uint8_t *hdr, size_t len, uint32_t expect, uint32_t *size)
{
    uint32_t flags, sz;

    if (hdr == NULL || len < VHOST_USER_HDR_SIZE)
        return -VMM_EPROTO;
    flags = vmm_get_le32(hdr + 4);
    sz = vmm_get_le32(hdr + 8);
    if (vmm_get_le32(hdr) != expect || flags != (VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY) ||
        sz > VHOST_USER_MAX_PAYLOAD)
        return -VMM_EPROTO;
    *size = sz;
    return 0;
}

/* The payload size of the reply to @req (GET_CONFIG: for @config_size). */
static int reply_size(uint32_t req, uint32_t config_size, uint32_t *size)
{
    switch (req) {
    case VHOST_USER_GET_VRING_BASE:
        *size = 8; /* vring state */
        return 0;
    case VHOST_USER_GET_CONFIG:
        if (config_size == 0 || config_size > VHOST_USER_MAX_CONFIG)
            return -VMM_EPROTO;
        *size = VHOST_USER_CONFIG_HDR + config_size;
        return 0;
    case VHOST_USER_GET_FEATURES:
    case VHOST_USER_GET_PROTOCOL_FEATURES:
    case VHOST_USER_GET_QUEUE_NUM:
    default: /* REPLY_ACK of any other request: a u64 status */
        *size = 8;
        return 0;
    }
}

int vmm_vhost_parse_reply(const uint8_t *buf, size_t len, uint32_t expect, uint32_t config_size,
                          struct vmm_vhost_reply *out)
{
    const uint8_t *p = buf + VHOST_USER_HDR_SIZE;
    uint32_t size, want;

    if (vmm_vhost_check_header(buf, len, expect, &size) < 0 ||
        reply_size(expect, config_size, &want) < 0 || size != want ||
        len != VHOST_USER_HDR_SIZE + (size_t)size)
        return -VMM_EPROTO;
    memset(out, 0, sizeof(*out));
    out->request = expect;
    switch (expect) {
    case VHOST_USER_GET_VRING_BASE:
        out->index = vmm_get_le32(p);
        out->num = vmm_get_le32(p + 4);
        return 0;
    case VHOST_USER_GET_CONFIG:
        out->config_offset = vmm_get_le32(p);
        out->config_size = vmm_get_le32(p + 4);
        /* The backend answers for the range asked (flags are the frontend's). */
        if (out->config_size != config_size || out->config_offset > VHOST_USER_MAX_CONFIG ||
            out->config_size > VHOST_USER_MAX_CONFIG - out->config_offset)
            return -VMM_EPROTO;
        out->config = p + VHOST_USER_CONFIG_HDR;
        return 0;
    default:
        out->u64 = vmm_get_le64(p);
        return 0;
    }
}
