/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GDB remote protocol framing (gdb.h; GDB manual, "Overview" of the remote
 * protocol): $payload#xx with a modulo-256 checksum, '}' escapes (the next
 * byte XOR 0x20), '+'/'-' acks, and 0x03 outside a packet for an
 * interrupt. Run-length encoding is only sent by stubs, so a '*' from the
 * client is an ordinary byte. A payload longer than VMM_GDB_MAX_PACKET is
 * swallowed up to its end and refused with '-'.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/gdb.h"

enum { RX_IDLE = 0, RX_DATA, RX_CSUM1, RX_CSUM2 };

static int gdb_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum vmm_gdb_rx_event vmm_gdb_rx_byte(struct vmm_gdb_rx *rx, uint8_t c)
{
    int v;

    switch (rx->state) {
    case RX_IDLE:
        if (c == 0x03)
            return VMM_GDB_RX_INTERRUPT;
        if (c == '$') {
            rx->state = RX_DATA;
            rx->len = 0;
            rx->sum = 0;
            rx->escape = rx->overflow = false;
        }
        return VMM_GDB_RX_NONE; /* '+', '-' and noise between packets */
    case RX_DATA:
        if (c == '#' && !rx->escape) {
            rx->state = RX_CSUM1;
            return VMM_GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + c);
        if (c == '}' && !rx->escape) {
            rx->escape = true;
            return VMM_GDB_RX_NONE;
        }
        if (rx->escape)
            c ^= 0x20;
        rx->escape = false;
        if (rx->len >= VMM_GDB_MAX_PACKET)
            rx->overflow = true;
        else
            rx->buf[rx->len++] = (char)c;
        return VMM_GDB_RX_NONE;
    case RX_CSUM1:
        v = gdb_hexval(c);
        rx->csum = (uint8_t)((v < 0 ? 0 : v) << 4);
        rx->state = v < 0 ? RX_IDLE : RX_CSUM2;
        if (v < 0)
            return VMM_GDB_RX_BAD;
        return VMM_GDB_RX_NONE;
    default:
        v = gdb_hexval(c);
        rx->state = RX_IDLE;
        if (v < 0 || rx->overflow || (uint8_t)(rx->csum | v) != rx->sum)
            return VMM_GDB_RX_BAD;
        rx->buf[rx->len] = '\0';
        return VMM_GDB_RX_PACKET;
    }
}

size_t vmm_gdb_frame(const char *payload, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t sum = 0;
    size_t n = 0;

    if (cap < 4)
        return 0;
    out[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)payload[i];
        bool esc = c == '$' || c == '#' || c == '}' || c == '*';

        if (n + (esc ? 2 : 1) + 3 > cap)
            return 0;
        if (esc) {
            out[n++] = '}';
            sum = (uint8_t)(sum + '}');
            c ^= 0x20;
        }
        out[n++] = (char)c;
        sum = (uint8_t)(sum + c);
    }
    out[n++] = '#';
    out[n++] = hex[sum >> 4];
    out[n++] = hex[sum & 15];
    return n;
}
