/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ethernet MAC addresses as options give them: one parser and one default
 * for every layer that reads them (the machine layer's device options, the
 * tap backend's own), so the guest's and the tap's address always agree.
 */
#ifndef STDVMM_MAC_H
#define STDVMM_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse "XX:XX:XX:XX:XX:XX" of exactly @len characters (hex digits of
 * either case) into @mac. False, @mac partly written, if malformed. */
bool vmm_mac_parse(const char *s, size_t len, uint8_t mac[6]);

/* A stable locally administered unicast address derived from the @len
 * bytes of @name (FNV-1a): 02:53 followed by four hash bytes. */
void vmm_mac_default(const char *name, size_t len, uint8_t mac[6]);

#endif
