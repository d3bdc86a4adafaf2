/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm's net switch: a Microkit PD built against sDDF's queue headers
 * that takes the place of sDDF's tx virtualiser (network/components/
 * virt_tx.c at 5febd61c sends every client frame to the driver) and sits
 * between the driver and sDDF's rx virtualiser, so that clients (VMs)
 * behind one NIC reach each other; QEMU's user network does not switch
 * frames between two MACs behind it.
 *
 *   tx  a client's frame to another client's MAC is copied into an rx DMA
 *       buffer the switch keeps back and queued to the rx virtualiser, which
 *       routes it by MAC like a frame from the wire; a broadcast goes that
 *       way (to every client; each VMM drops its own) and to the driver;
 *       anything else goes to the driver, as sDDF's virt_tx would send it.
 *   rx  the driver's frames pass through (cut to their real length: sDDF's
 *       virtio-net driver reports every rx buffer as 2048 bytes); of the buffers the rx
 *       virtualiser frees, up to loop_buffers stay here for the tx copies,
 *       the rest go back to the driver.
 *
 * Every descriptor from a queue is checked (alignment, range, length); a
 * bad one is dropped and counted. No loop runs longer than a queue's
 * capacity per notification. Configuration: sel4_net_switch.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <os/sddf.h>
#include <sddf/network/queue.h>
#include <sddf/util/cache.h>
#include <sddf/util/printf.h>
#include "sel4_net_switch.h"
#include "stdvmm/sddf_net.h"

__attribute__((__section__(".net_switch_config"))) sel4_net_switch_config_t config;

#define MAX_POOL 1024

static net_queue_handle_t drv_rx, drv_tx, virt_rx;
static net_queue_handle_t cli_tx[SEL4_NET_SWITCH_MAX_CLIENTS];
static uint8_t macs[SEL4_NET_SWITCH_MAX_CLIENTS][6];
static uint64_t pool[MAX_POOL]; /* io addresses of rx buffers kept back */
static uint32_t pool_len, pool_max;
static bool notify_drv_rx, notify_drv_tx, notify_virt_rx;
static bool notify_cli[SEL4_NET_SWITCH_MAX_CLIENTS];
static unsigned long dropped, bad_desc;

static bool rx_io_ok(uint64_t io)
{
    uint64_t base = config.rx_data.io_addr;

    return io >= base && vmm_sddf_net_desc_check(io - base, 0, drv_rx.capacity, false) == 0;
}

/* Queue lengths that make no sense (a broken peer) count as empty. */
static bool has_active(net_queue_handle_t *h)
{
    uint16_t n = net_queue_length(h->active);

    return n != 0 && n <= h->capacity;
}

static bool has_free(net_queue_handle_t *h)
{
    uint16_t n = net_queue_length(h->free);

    return n != 0 && n <= h->capacity;
}

/* sDDF's net_queue_full_active() compares an int difference of the u16
 * indices, which is wrong once the tail has wrapped and the head not. */
static bool full_active(net_queue_handle_t *h)
{
    return net_queue_length(h->active) >= h->capacity;
}

/* The driver's received frames go to the rx virtualiser as they are. */
static void rx_forward(void)
{
    for (uint32_t i = 0; i < drv_rx.capacity && has_active(&drv_rx); i++) {
        net_buff_desc_t d;
        uintptr_t vaddr;

        if (full_active(&virt_rx))
            break;
        net_dequeue_active(&drv_rx, &d);
        if (!rx_io_ok(d.io_or_offset) || d.len > NET_BUFFER_SIZE) {
            bad_desc++; /* not one of the DMA buffers: it is lost */
            continue;
        }
        /* The driver says every buffer is full: cut the frame to its length. */
        vaddr = (uintptr_t)config.rx_data.region.vaddr + (d.io_or_offset - config.rx_data.io_addr);
        cache_clean_and_invalidate(vaddr, vaddr + d.len);
        d.len = (uint16_t)vmm_sddf_net_frame_len((const uint8_t *)vaddr, d.len);
        net_enqueue_active(&virt_rx, d);
        notify_virt_rx = true;
    }
    net_request_signal_active(&drv_rx);
}

/* Buffers the rx virtualiser freed: refill the pool, the rest to the driver. */
static void free_forward(void)
{
    for (uint32_t i = 0; i < virt_rx.capacity && has_free(&virt_rx); i++) {
        net_buff_desc_t d;

        net_dequeue_free(&virt_rx, &d);
        if (!rx_io_ok(d.io_or_offset)) {
            bad_desc++;
            continue;
        }
        if (pool_len < pool_max) {
            pool[pool_len++] = d.io_or_offset;
            continue;
        }
        d.len = 0;
        if (net_enqueue_free(&drv_rx, d) != 0) {
            bad_desc++;
            continue;
        }
        notify_drv_rx = true;
    }
    net_request_signal_free(&virt_rx);
}

/* The driver sent these: back to the client whose data region holds them. */
static void tx_return(void)
{
    for (uint32_t i = 0; i < drv_tx.capacity && has_free(&drv_tx); i++) {
        net_buff_desc_t d;
        int c;

        net_dequeue_free(&drv_tx, &d);
        for (c = 0; c < config.num_clients; c++) {
            uint64_t base = config.clients[c].tx_data.io_addr;

            if (d.io_or_offset >= base &&
                vmm_sddf_net_desc_check(d.io_or_offset - base, 0, cli_tx[c].capacity, false) == 0)
                break;
        }
        if (c == config.num_clients) {
            bad_desc++;
            continue;
        }
        d.io_or_offset -= config.clients[c].tx_data.io_addr;
        d.len = 0;
        if (net_enqueue_free(&cli_tx[c], d) != 0) {
            bad_desc++;
            continue;
        }
        notify_cli[c] = true;
    }
    net_request_signal_free(&drv_tx);
}

/* Copy a frame into a kept-back rx buffer and hand it to the rx virtualiser. */
static void loop_deliver(const uint8_t *frame, uint16_t len)
{
    uint64_t io;

    if (pool_len == 0 || full_active(&virt_rx)) {
        dropped++;
        return;
    }
    io = pool[--pool_len];
    memcpy((uint8_t *)config.rx_data.region.vaddr + (io - config.rx_data.io_addr), frame, len);
    net_enqueue_active(&virt_rx, (net_buff_desc_t){.io_or_offset = io, .len = len});
    notify_virt_rx = true;
}

static void give_back(int c, net_buff_desc_t d)
{
    d.len = 0;
    if (net_enqueue_free(&cli_tx[c], d) == 0)
        notify_cli[c] = true;
    else
        bad_desc++;
}

static void tx_client(int c)
{
    net_queue_handle_t *h = &cli_tx[c];

    for (uint32_t i = 0; i < h->capacity && has_active(h); i++) {
        net_buff_desc_t d;
        const uint8_t *frame;
        int to;

        if (full_active(&drv_tx))
            break; /* cannot happen: the driver has room for every client buffer */
        net_dequeue_active(h, &d);
        if (vmm_sddf_net_desc_check(d.io_or_offset, d.len, h->capacity, true) < 0) {
            bad_desc++;
            if (vmm_sddf_net_desc_check(d.io_or_offset, 0, h->capacity, false) == 0)
                give_back(c, d);
            continue;
        }
        frame = (const uint8_t *)config.clients[c].tx_data.region.vaddr + d.io_or_offset;
        to = vmm_sddf_net_route(frame, d.len, (const uint8_t(*)[6])macs, config.num_clients,
                                (unsigned)c);
        if (to == VMM_SDDF_NET_ROUTE_DROP) {
            give_back(c, d);
            continue;
        }
        if (to >= 0 || to == VMM_SDDF_NET_ROUTE_BROADCAST)
            loop_deliver(frame, d.len);
        if (to >= 0) {
            give_back(c, d);
            continue;
        }
        d.io_or_offset += config.clients[c].tx_data.io_addr;
        net_enqueue_active(&drv_tx, d);
        notify_drv_tx = true;
    }
    net_request_signal_active(h);
}

/* Something waits in a queue we consume (after asking for signals). */
static bool pending(void)
{
    bool any = has_active(&drv_rx) || has_free(&virt_rx) || has_free(&drv_tx);

    for (int c = 0; c < config.num_clients && !any; c++)
        any = has_active(&cli_tx[c]);
    return any;
}

static void run(void)
{
    /* Each pass drains every queue and then asks its producer for a
     * signal; an entry that arrived in between (its producer saw no need
     * to signal) is taken by the next pass. Bounded: producers that keep
     * producing also keep signalling. */
    for (int pass = 0; pass < 64; pass++) {
        tx_return();
        free_forward();
        rx_forward();
        for (int c = 0; c < config.num_clients; c++)
            tx_client(c);
        /* Frames between clients used pool buffers; freed ones may refill it. */
        free_forward();
        if (!pending())
            break;
    }

    if (notify_drv_rx && net_require_signal_free(&drv_rx)) {
        net_cancel_signal_free(&drv_rx);
        sddf_notify(config.drv_rx.id);
    }
    if (notify_drv_tx && net_require_signal_active(&drv_tx)) {
        net_cancel_signal_active(&drv_tx);
        sddf_notify(config.drv_tx.id);
    }
    if (notify_virt_rx && net_require_signal_active(&virt_rx)) {
        net_cancel_signal_active(&virt_rx);
        sddf_notify(config.virt_rx.id);
    }
    for (int c = 0; c < config.num_clients; c++) {
        if (notify_cli[c] && net_require_signal_free(&cli_tx[c])) {
            net_cancel_signal_free(&cli_tx[c]);
            sddf_notify(config.clients[c].tx.id);
        }
        notify_cli[c] = false;
    }
    notify_drv_rx = notify_drv_tx = notify_virt_rx = false;
}

void notified(sddf_channel ch)
{
    (void)ch;
    run();
}

void init(void)
{
    static const char magic[5] = SEL4_NET_SWITCH_MAGIC;

    if (memcmp(config.magic, magic, sizeof(magic)) != 0 ||
        config.num_clients > SEL4_NET_SWITCH_MAX_CLIENTS) {
        sddf_dprintf("NET_SWITCH|ERROR: bad configuration\n");
        config.num_clients = 0;
        return;
    }
    net_queue_init(&drv_rx, config.drv_rx.free_queue.vaddr, config.drv_rx.active_queue.vaddr,
                   config.drv_rx.num_buffers);
    net_queue_init(&drv_tx, config.drv_tx.free_queue.vaddr, config.drv_tx.active_queue.vaddr,
                   config.drv_tx.num_buffers);
    net_queue_init(&virt_rx, config.virt_rx.free_queue.vaddr, config.virt_rx.active_queue.vaddr,
                   config.virt_rx.num_buffers);
    for (int c = 0; c < config.num_clients; c++) {
        net_queue_init(&cli_tx[c], config.clients[c].tx.free_queue.vaddr,
                       config.clients[c].tx.active_queue.vaddr, config.clients[c].tx.num_buffers);
        memcpy(macs[c], config.clients[c].mac_addr, 6);
    }
    pool_max = config.loop_buffers < MAX_POOL ? config.loop_buffers : MAX_POOL;
    run();
}
