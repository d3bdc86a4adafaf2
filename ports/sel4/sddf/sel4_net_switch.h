/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration of stdvmm's net switch PD (sel4_net_switch.c), which takes
 * the place of sDDF's tx virtualiser so that VMs behind one NIC reach each
 * other. tools/sel4gen/sddf_net.py writes it (section .net_switch_config).
 * Uses sDDF's own resource types (sddf/network/config.h).
 */
#ifndef SEL4_NET_SWITCH_H
#define SEL4_NET_SWITCH_H

#include <stdint.h>
#include <sddf/network/config.h>

#define SEL4_NET_SWITCH_MAX_CLIENTS 16
#define SEL4_NET_SWITCH_MAGIC                                                                      \
    {                                                                                              \
        's', 'V', 'M', 'M', 0x1                                                                    \
    }

typedef struct sel4_net_switch_client {
    net_connection_resource_t tx;     /* the client's tx queues (we consume active) */
    device_region_resource_t tx_data; /* its tx buffers; io_addr: physical, for the driver */
    uint8_t mac_addr[6];
} sel4_net_switch_client_t;

typedef struct sel4_net_switch_config {
    char magic[5];
    net_connection_resource_t drv_rx;  /* to the driver, as its rx virtualiser */
    net_connection_resource_t drv_tx;  /* to the driver, as its tx virtualiser */
    net_connection_resource_t virt_rx; /* to sDDF's rx virtualiser, as its driver */
    device_region_resource_t rx_data;  /* the rx DMA buffers (io_addr: physical) */
    uint16_t loop_buffers;             /* rx buffers kept back for frames between clients */
    sel4_net_switch_client_t clients[SEL4_NET_SWITCH_MAX_CLIENTS];
    uint8_t num_clients;
} sel4_net_switch_config_t;

#endif
