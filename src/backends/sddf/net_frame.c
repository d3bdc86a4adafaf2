/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The checks and frame handling of the sDDF net backend that need no sDDF
 * header (include/stdvmm/sddf_net.h): descriptor validation, gathering a
 * guest frame into one buffer, and the switch's routing decision. Built
 * into the portable core (host unit tests) and into the net switch PD.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/sddf_net.h"

int vmm_sddf_net_desc_check(uint64_t offset, uint32_t len, uint32_t capacity, bool need_frame)
{
    if (offset % VMM_SDDF_NET_BUF != 0 || offset / VMM_SDDF_NET_BUF >= capacity)
        return -VMM_EINVAL;
    if (len > VMM_SDDF_NET_BUF || (need_frame && len < VMM_SDDF_NET_MIN_FRAME))
        return -VMM_EINVAL;
    return 0;
}

bool vmm_sddf_net_queue_ok(const struct vmm_sddf_net_queue *q)
{
    return q->free != NULL && q->active != NULL && q->data != NULL && q->capacity != 0 &&
           (q->capacity & (q->capacity - 1)) == 0 && q->capacity <= 32768 &&
           q->data_size / VMM_SDDF_NET_BUF >= q->capacity;
}

long vmm_sddf_net_gather(void *dst, size_t dst_size, const struct vmm_iov *iov, unsigned nr_iov)
{
    size_t total = 0;

    if (nr_iov > VMM_IOV_MAX)
        return -VMM_EINVAL;
    for (unsigned i = 0; i < nr_iov; i++) {
        if (iov[i].len > dst_size - total)
            return -VMM_EINVAL;
        total += iov[i].len;
    }
    if (total < VMM_SDDF_NET_MIN_FRAME)
        return -VMM_EINVAL;
    total = 0;
    for (unsigned i = 0; i < nr_iov; i++) {
        if (iov[i].len != 0)
            memcpy((uint8_t *)dst + total, iov[i].base, iov[i].len);
        total += iov[i].len;
    }
    return (long)total;
}

bool vmm_sddf_net_from(const uint8_t *frame, size_t len, const uint8_t mac[6])
{
    return len >= VMM_SDDF_NET_MIN_FRAME && memcmp(frame + 6, mac, 6) == 0;
}

int vmm_sddf_net_route(const uint8_t *frame, size_t len, const uint8_t (*macs)[6], unsigned nr,
                       unsigned from)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    if (len < VMM_SDDF_NET_MIN_FRAME)
        return VMM_SDDF_NET_ROUTE_DROP;
    if (memcmp(frame, bcast, 6) == 0)
        return VMM_SDDF_NET_ROUTE_BROADCAST;
    if (frame[0] & 1)
        return VMM_SDDF_NET_ROUTE_UPLINK; /* multicast: sDDF's rx virtualiser drops it */
    for (unsigned i = 0; i < nr; i++) {
        if (memcmp(frame, macs[i], 6) == 0)
            return i == from ? VMM_SDDF_NET_ROUTE_DROP : (int)i;
    }
    return VMM_SDDF_NET_ROUTE_UPLINK;
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

uint32_t vmm_sddf_net_frame_len(const uint8_t *frame, uint32_t len)
{
    unsigned type, l3;

    if (len < VMM_SDDF_NET_MIN_FRAME)
        return len;
    type = be16(frame + 12);
    l3 = 0;
    if (type == 0x0800 && len >= 14 + 20)
        l3 = be16(frame + 16); /* IPv4 total length */
    else if (type == 0x86dd && len >= 14 + 40)
        l3 = 40 + be16(frame + 18); /* IPv6 header + payload length */
    else if (type == 0x0806 && len >= 14 + 28)
        l3 = 28; /* ARP for IPv4 over Ethernet */
    if (l3 != 0 && l3 <= len - 14)
        return 14 + l3;
    return len > VMM_SDDF_NET_MAX_FRAME ? VMM_SDDF_NET_MAX_FRAME : len;
}
