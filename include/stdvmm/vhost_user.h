/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user message layer (QEMU docs/interop/vhost-user.rst): the
 * frontend's requests built into bytes and the backend's replies checked
 * before anything in them is used. Portable (no I/O, no allocation): the
 * KVM port's socket backend (src/backends/posix/vhost_user*.c) sends and
 * receives the bytes; a seL4 driver-VM transport can reuse the same set
 * (docs/ARCHITECTURE.md, "Backends in another VM").
 *
 * A message is a 12-byte header {request, flags, size} and `size` payload
 * bytes, in the host's byte order (little endian on every stdvmm host).
 * The parser is strict: a reply must carry the version, the reply flag and
 * nothing else, answer the request it follows, and have exactly the payload
 * size that request's reply has; anything else is -VMM_EPROTO.
 */
#ifndef STDVMM_VHOST_USER_H
#define STDVMM_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Requests of the frontend (the spec's "Front-end message types"). */
enum vmm_vhost_req {
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_GET_VRING_BASE = 11,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_SET_VRING_ERR = 14,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_GET_QUEUE_NUM = 17,
    VHOST_USER_SET_VRING_ENABLE = 18,
    VHOST_USER_GET_CONFIG = 24,
};

#define VHOST_USER_HDR_SIZE 12u
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_FLAG_VERSION_MASK 0x3u
#define VHOST_USER_FLAG_REPLY 0x4u
#define VHOST_USER_FLAG_NEED_REPLY 0x8u

/* GET_FEATURES bit that is not a virtio bit: protocol features exist. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
/* Protocol feature bits stdvmm may use. */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9

/* Vring fd messages: index in bits 0..7, bit 8 = no fd passed. */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD 0x100u

#define VHOST_USER_MAX_REGIONS 8u  /* memory table without CONFIGURE_MEM_SLOTS */
#define VHOST_USER_MAX_CONFIG 256u /* GET_CONFIG payload */
#define VHOST_USER_REGION_SIZE 32u /* gpa, size, user address, mmap offset */
#define VHOST_USER_CONFIG_HDR 12u  /* offset, size, flags */
#define VHOST_USER_MAX_PAYLOAD (8u + VHOST_USER_MAX_REGIONS * VHOST_USER_REGION_SIZE)

/* One message as bytes: header + payload, ready to send or just received. */
struct vmm_vhost_msg {
    uint8_t buf[VHOST_USER_HDR_SIZE + VHOST_USER_MAX_PAYLOAD];
    uint32_t len; /* bytes of buf in use */
};

/* A memory-table region (guest RAM only). */
struct vmm_vhost_region {
    uint64_t gpa, size, uaddr, mmap_offset;
};

/* A checked reply. */
struct vmm_vhost_reply {
    uint32_t request;
    uint64_t u64;           /* u64 replies (features, acks) */
    uint32_t index, num;    /* vring state replies */
    uint32_t config_offset; /* GET_CONFIG */
    uint32_t config_size;
    const uint8_t *config; /* points into the message */
};

/* Name of request @req for messages ("GET_FEATURES"), "unknown" if none. */
const char *vmm_vhost_req_name(uint32_t req);

/* A request with no payload (GET_FEATURES, SET_OWNER...). */
void vmm_vhost_msg_plain(struct vmm_vhost_msg *m, uint32_t req, bool need_reply);

/* A request with a u64 payload (SET_FEATURES, SET_VRING_KICK...). */
void vmm_vhost_msg_u64(struct vmm_vhost_msg *m, uint32_t req, uint64_t val, bool need_reply);

/* A vring state request (SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE). */
void vmm_vhost_msg_state(struct vmm_vhost_msg *m, uint32_t req, uint32_t index, uint32_t num,
                         bool need_reply);

/* SET_VRING_ADDR with the frontend's addresses of the three ring parts. */
void vmm_vhost_msg_addr(struct vmm_vhost_msg *m, uint32_t index, uint64_t desc, uint64_t used,
                        uint64_t avail, bool need_reply);

/* SET_MEM_TABLE with @n (1..VHOST_USER_MAX_REGIONS) regions; the fds go
 * with it as ancillary data. -VMM_EINVAL for a bad count. */
int vmm_vhost_msg_mem_table(struct vmm_vhost_msg *m, const struct vmm_vhost_region *r, unsigned n,
                            bool need_reply);

/* GET_CONFIG of @size (1..VHOST_USER_MAX_CONFIG) bytes at @offset. */
int vmm_vhost_msg_get_config(struct vmm_vhost_msg *m, uint32_t offset, uint32_t size);

/* Check a received header (@len bytes, at least VHOST_USER_HDR_SIZE): a
 * reply of this version to @expect, with a payload of at most
 * VHOST_USER_MAX_PAYLOAD bytes; its size into *@size. -VMM_EPROTO else. */
int vmm_vhost_check_header(const uint8_t *hdr, size_t len, uint32_t expect, uint32_t *size);

/*
 * Parse a whole reply (@len bytes: header and payload) to request @expect
 * (with @config_size for GET_CONFIG, the size asked for) into @out; every
 * field is checked for that request's reply. 0 or -VMM_EPROTO.
 */
int vmm_vhost_parse_reply(const uint8_t *buf, size_t len, uint32_t expect, uint32_t config_size,
                          struct vmm_vhost_reply *out);

/* True if request @req has a reply of its own (GET_*). */
bool vmm_vhost_req_has_reply(uint32_t req);

#endif
