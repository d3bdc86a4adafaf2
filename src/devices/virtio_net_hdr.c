/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct virtio_net_hdr (virtio 1.2 section 5.1.6): flags, gso_type,
 * hdr_len, gso_size, csum_start, csum_offset, num_buffers, little-endian.
 * A header from the guest goes on to the host kernel, which checks it again;
 * this refuses what is plainly wrong or not negotiated, so that a bad header
 * costs one counted drop and never reaches a backend that trusts the device.
 */
#include <string.h>
#include "virtio_net_hdr.h"
#include "stdvmm/bytes.h"

#define HDR_FLAGS 0u
#define HDR_GSO_TYPE 1u
#define HDR_HDR_LEN 2u
#define HDR_GSO_SIZE 4u
#define HDR_CSUM_START 6u
#define HDR_CSUM_OFFSET 8u

static bool has(uint64_t features, unsigned bit)
{
    return (features & VIRTIO_BIT(bit)) != 0;
}

/* The feature that allows each offload in each direction (5.1.3.1). */
struct hdr_rules {
    unsigned csum, tso4, tso6, ecn, ufo;
};

static const struct hdr_rules rules[] = {
    [VIRTIO_NET_DIR_TX] = {VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
                           VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_UFO},
    [VIRTIO_NET_DIR_RX] = {VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
                           VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_UFO},
};

static const char *check_gso(const struct hdr_rules *r, uint8_t gso_type, uint64_t features)
{
    uint8_t base = gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

    if ((gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
        (base == VIRTIO_NET_HDR_GSO_NONE || !has(features, r->ecn)))
        return "GSO ECN bit not negotiated or without GSO";
    switch (base) {
    case VIRTIO_NET_HDR_GSO_NONE:
        return NULL;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        return has(features, r->tso4) ? NULL : "TCPv4 segmentation not negotiated";
    case VIRTIO_NET_HDR_GSO_TCPV6:
        return has(features, r->tso6) ? NULL : "TCPv6 segmentation not negotiated";
    case VIRTIO_NET_HDR_GSO_UDP:
        return has(features, r->ufo) ? NULL : "UDP fragmentation not negotiated";
    default:
        return "unknown gso_type";
    }
}

const char *vmm_virtio_net_hdr_check(const uint8_t in[VIRTIO_NET_HDR_LEN], size_t frame_len,
                                     uint64_t features, enum virtio_net_dir dir,
                                     uint8_t out[VIRTIO_NET_HDR_LEN], bool *gso)
{
    const struct hdr_rules *r = &rules[dir];
    uint8_t flags = in[HDR_FLAGS], gso_type = in[HDR_GSO_TYPE];
    uint32_t csum_start = vmm_get_le16(in + HDR_CSUM_START);
    uint32_t csum_offset = vmm_get_le16(in + HDR_CSUM_OFFSET);
    uint16_t hdr_len = vmm_get_le16(in + HDR_HDR_LEN), gso_size = vmm_get_le16(in + HDR_GSO_SIZE);
    const char *why;
    uint8_t keep;

    *gso = false;
    memset(out, 0, VIRTIO_NET_HDR_LEN);
    if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(features, r->csum))
        return "checksum offload not negotiated";
    why = check_gso(r, gso_type, features);
    if (why != NULL)
        return why;
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        /* The 16-bit checksum field at csum_start + csum_offset must be in the frame. */
        if (csum_start + csum_offset + 2u > frame_len)
            return "csum_start + csum_offset beyond the frame";
        vmm_put_le16(out + HDR_CSUM_START, (uint16_t)csum_start);
        vmm_put_le16(out + HDR_CSUM_OFFSET, (uint16_t)csum_offset);
    }
    if (gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        if (gso_size == 0)
            return "GSO with gso_size 0";
        if (hdr_len > frame_len)
            return "hdr_len beyond the frame";
        out[HDR_GSO_TYPE] = gso_type;
        vmm_put_le16(out + HDR_HDR_LEN, hdr_len);
        vmm_put_le16(out + HDR_GSO_SIZE, gso_size);
        *gso = true;
    }
    /* The driver only sets NEEDS_CSUM (5.1.6.2); DATA_VALID goes to the guest
     * only where GUEST_CSUM was negotiated (5.1.6.4). */
    keep = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    if (dir == VIRTIO_NET_DIR_RX && has(features, VIRTIO_NET_F_GUEST_CSUM))
        keep |= VIRTIO_NET_HDR_F_DATA_VALID;
    out[HDR_FLAGS] = flags & keep;
    return NULL;
}

unsigned vmm_virtio_net_hdr_offloads(uint64_t features)
{
    unsigned o = 0;

    /* Segmentation offloads need checksum offload (5.1.3.1): without
     * GUEST_CSUM the host may hand the guest nothing partial. */
    if (!has(features, VIRTIO_NET_F_GUEST_CSUM))
        return 0;
    o |= VMM_NET_OFFLOAD_CSUM;
    if (has(features, VIRTIO_NET_F_GUEST_TSO4))
        o |= VMM_NET_OFFLOAD_TSO4;
    if (has(features, VIRTIO_NET_F_GUEST_TSO6))
        o |= VMM_NET_OFFLOAD_TSO6;
    if ((o & (VMM_NET_OFFLOAD_TSO4 | VMM_NET_OFFLOAD_TSO6)) &&
        has(features, VIRTIO_NET_F_GUEST_ECN))
        o |= VMM_NET_OFFLOAD_TSO_ECN;
    return o;
}
