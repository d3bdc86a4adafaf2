/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net's receiveq (queue 0). A device reads a receive chain only when
 * a frame arrives for it (virtio 1.2 5.1.6.3), so queue_attacks.c, which
 * kicks and looks at once, attacks net on its transmitq. Here each of its
 * malformed-chain attacks is posted on the receiveq instead, and then a
 * frame is made to arrive: an ARP request for the gateway (attack.gw=,
 * default 10.0.2.2, QEMU's user network) from our address (attack.ip=)
 * goes out on the transmitq, and the gateway's answer comes back to our
 * MAC. The device must then be in DEVICE_NEEDS_RESET, no other device.
 * First, with a correct receive buffer, some frame must arrive: the proof
 * that frames do come back. Without attack.ip= these attacks are not run
 * (one line says so; a test that wants them checks their verdicts).
 */
#include "guest.h"

#define NET_HDR_LEN 12u
#define ARP_LEN 42u
#define RX_BUF_LEN (NET_HDR_LEN + 1514u)
#define TRIES 3u

static uint8_t rx_area[VDEV_AREA] __attribute__((aligned(4096)));

/* The receiveq of @tx's device, with its rings in rx_area. */
static struct vdev rx_view(const struct vdev *tx)
{
    struct vdev r = *tx;

    r.q = 0;
    r.area = rx_area;
    r.desc = (struct vdesc *)(void *)rx_area;
    r.avail = (uint16_t *)(void *)(rx_area + 0x400);
    r.used = rx_area + 0x800;
    r.buf = rx_area + 0x1000;
    r.avail_idx = 0;
    r.used_seen = 0;
    return r;
}

static void put_ip(uint8_t *p, uint32_t ip)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(ip >> (24 - 8 * i));
}

/* Broadcast "who has @gw? tell @ip" on the transmitq and wait until the
 * device has taken it. */
static void send_arp(struct vdev *tx, uint32_t ip, uint32_t gw)
{
    static const uint8_t arp_head[10] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
    uint8_t *b = tx->buf, *f = b + NET_HDR_LEN;
    uint32_t len;

    memset(b, 0, NET_HDR_LEN + ARP_LEN);
    memset(f, 0xff, 6);
    for (unsigned i = 0; i < 6; i++)
        f[6 + i] = f[22 + i] = (uint8_t)mmio_read(tx->base + 0x100 + i, 1);
    memcpy(f + 12, arp_head, sizeof(arp_head));
    put_ip(f + 28, ip);
    put_ip(f + 38, gw);
    tx->desc[0] = (struct vdesc){(uintptr_t)b, NET_HDR_LEN + ARP_LEN, 0, 0};
    vdev_submit(tx, 0);
    (void)vdev_wait_used(tx, &len);
}

/* Wait up to 2 s for @d to be in DEVICE_NEEDS_RESET. */
static bool wait_needs_reset(const struct vdev *d)
{
    uint64_t end = vdev_now() + 2 * vdev_hz();

    do {
        if (vdev_status(d) & S_NEEDS_RESET)
            return true;
    } while (vdev_now() < end);
    return false;
}

static const char *rx_name(const char *name)
{
    static char what[64];
    size_t n = strlen(name);

    if (n > sizeof(what) - 4)
        n = sizeof(what) - 4;
    memcpy(what, "rx-", 3);
    memcpy(what + 3, name, n);
    what[3 + n] = '\0';
    return what;
}

void net_rx_attacks_run(struct vdev *devs, unsigned n, unsigned victim, uint32_t ip, uint32_t gw);
void net_rx_attacks_run(struct vdev *devs, unsigned n, unsigned victim, uint32_t ip, uint32_t gw)
{
    struct vdev *tx = &devs[victim];
    struct vdev rx = rx_view(tx);
    bool got = false;
    uint32_t len = 0;

    if (ip == 0) {
        out_str("ATTACK: virtio-net receiveq attacks not run: no attack.ip= on the command line\n");
        return;
    }
    if (vdev_init_pair(tx, &rx)) {
        rx.desc[0] = (struct vdesc){(uintptr_t)rx.buf, RX_BUF_LEN, VRING_DESC_F_WRITE, 0};
        vdev_submit(&rx, 0);
        for (unsigned t = 0; t < TRIES && !got; t++) {
            send_arp(tx, ip, gw);
            got = vdev_wait_used(&rx, &len) && len > NET_HDR_LEN + 14u && len <= RX_BUF_LEN;
        }
    }
    verdict(got, tx->name, "rx-a-frame-arrives", "no frame came back for the ARP request");
    for (unsigned i = 0;; i++) {
        const char *name;
        bool reset = false, others_ok = true;

        if (!vdev_init_pair(tx, &rx)) {
            verdict(false, tx->name, "rx-setup", "the device refused two queues");
            break;
        }
        name = queue_chain_attack(i, &rx);
        if (name == NULL)
            break;
        /* (A frame already waiting may have been delivered at the kick.) */
        reset = (vdev_status(tx) & S_NEEDS_RESET) != 0;
        for (unsigned t = 0; t < TRIES && !reset; t++) {
            send_arp(tx, ip, gw);
            reset = wait_needs_reset(tx);
        }
        for (unsigned o = 0; o < n; o++)
            if (o != victim && (vdev_status(&devs[o]) & S_NEEDS_RESET))
                others_ok = false;
        if (!reset)
            verdict(false, tx->name, rx_name(name), "the device is not in DEVICE_NEEDS_RESET");
        else
            verdict(others_ok, tx->name, rx_name(name),
                    "another device entered DEVICE_NEEDS_RESET");
    }
    vdev_set(tx, R_STATUS, 0);
}
