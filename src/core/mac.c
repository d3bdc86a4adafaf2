/* SPDX-License-Identifier: BSD-2-Clause */
/* MAC address options; see include/stdvmm/mac.h. */
#include "stdvmm/mac.h"

static int mac_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool vmm_mac_parse(const char *s, size_t len, uint8_t mac[6])
{
    if (len != 17)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        int hi = mac_hex_digit(s[3 * i]), lo = mac_hex_digit(s[3 * i + 1]);

        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void vmm_mac_default(const char *name, size_t len, uint8_t mac[6])
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    mac[0] = 0x02; /* locally administered, unicast */
    mac[1] = 0x53; /* 'S' */
    for (unsigned i = 0; i < 4; i++)
        mac[2 + i] = (uint8_t)(h >> (8 * i));
}
