/* SPDX-License-Identifier: BSD-2-Clause */
/* The attacking guest's virtio-vsock driver (see vsock_drv.h). */
#include "vsock_drv.h"

/* Rings (0x0000 rx, 0x1000 tx), receive buffers (0x2000), transmit
 * buffers (0x3000). */
static uint8_t vs_mem[0x4000] __attribute__((aligned(4096)));
struct vdev *vs_dev;
struct vs_queue vs_rxq, vs_txq;
bool vs_indirect;

static void vs_set_addr(unsigned reg, uint64_t gpa)
{
    vdev_set(vs_dev, reg, (uint32_t)gpa);
    vdev_set(vs_dev, reg + 4, (uint32_t)(gpa >> 32));
}

static bool vs_queue_setup(struct vs_queue *vq, unsigned q, unsigned num, uint8_t *area)
{
    vq->q = q;
    vq->num = num;
    vq->desc = (volatile struct vdesc *)(void *)area;
    vq->avail = (volatile uint16_t *)(void *)(area + 0x400);
    vq->used = area + 0x800;
    vq->avail_idx = vq->used_seen = 0;
    vdev_set(vs_dev, R_QUEUE_SEL, q);
    if (vdev_reg(vs_dev, R_QUEUE_NUM_MAX) < num)
        return false;
    vdev_set(vs_dev, R_QUEUE_NUM, num);
    vs_set_addr(R_QUEUE_DESC, (uintptr_t)area);
    vs_set_addr(R_QUEUE_DRIVER, (uintptr_t)(area + 0x400));
    vs_set_addr(R_QUEUE_DEVICE, (uintptr_t)(area + 0x800));
    barrier_full();
    vdev_set(vs_dev, R_QUEUE_READY, 1);
    return vdev_reg(vs_dev, R_QUEUE_READY) == 1;
}

bool vs_init(void)
{
    const uint32_t ok = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
    uint32_t feat0;

    vdev_set(vs_dev, R_STATUS, 0);
    memset(vs_mem, 0, sizeof(vs_mem));
    vdev_set(vs_dev, R_STATUS, S_ACK);
    vdev_set(vs_dev, R_STATUS, S_ACK | S_DRIVER);
    vdev_set(vs_dev, R_DEV_FEATURES_SEL, 0);
    vdev_set(vs_dev, R_DRV_FEATURES_SEL, 0);
    /* F_STREAM, INDIRECT_DESC */
    feat0 = vdev_reg(vs_dev, R_DEV_FEATURES) & (1u | F_INDIRECT);
    vs_indirect = (feat0 & F_INDIRECT) != 0;
    vdev_set(vs_dev, R_DRV_FEATURES, feat0);
    vdev_set(vs_dev, R_DRV_FEATURES_SEL, 1);
    vdev_set(vs_dev, R_DRV_FEATURES, 1u); /* VERSION_1 */
    vdev_set(vs_dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(vdev_status(vs_dev) & S_FEATURES_OK))
        return false;
    if (!vs_queue_setup(&vs_rxq, VS_RXQ, RX_NUM, vs_mem) ||
        !vs_queue_setup(&vs_txq, VS_TXQ, TX_NUM, vs_mem + 0x1000))
        return false;
    vdev_set(vs_dev, R_STATUS, ok);
    return (vdev_status(vs_dev) & 0xffu) == ok;
}

bool vs_healthy(void)
{
    return !(vdev_status(vs_dev) & S_NEEDS_RESET);
}

uint8_t *vs_rx_buf(unsigned slot)
{
    return vs_mem + 0x2000 + slot * RX_BUF;
}

/* Post receive slot @slot with @len bytes of room (memory writes only). */
void vs_rx_post(unsigned slot, uint32_t len)
{
    vs_rxq.desc[slot] = (struct vdesc){(uintptr_t)vs_rx_buf(slot), len, VRING_DESC_F_WRITE, 0};
    vs_rxq.avail[2 + vs_rxq.avail_idx % RX_NUM] = (uint16_t)slot;
    __asm__ volatile("dmb ishst" ::: "memory");
    vs_rxq.avail_idx++;
    vs_rxq.avail[1] = vs_rxq.avail_idx;
}

void vs_rx_kick(void)
{
    barrier_full();
    vdev_set(vs_dev, R_QUEUE_NOTIFY, VS_RXQ);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Take one used receive buffer, if any; its slot in *@slot. */
bool vs_rx_get(struct vs_pkt *p, unsigned *slot)
{
    volatile uint32_t *elem;
    const uint8_t *b;

    if (*(volatile uint16_t *)(void *)(vs_rxq.used + 2) == vs_rxq.used_seen)
        return false;
    __asm__ volatile("dmb ishld" ::: "memory");
    elem = (volatile uint32_t *)(void *)(vs_rxq.used + 4 + 8 * (vs_rxq.used_seen % RX_NUM));
    *slot = elem[0] % RX_NUM;
    p->used_len = elem[1];
    vs_rxq.used_seen++;
    b = vs_rx_buf(*slot);
    p->src_port = get32(b + 16);
    p->dst_port = get32(b + 20);
    p->len = get32(b + 24);
    p->op = (uint16_t)(b[30] | b[31] << 8);
    p->buf_alloc = get32(b + 36);
    return true;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void make_hdr(uint8_t *b, uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport,
                     uint32_t len, uint16_t type, uint16_t op, uint32_t buf_alloc)
{
    memset(b, 0, HDR_LEN);
    put32(b, (uint32_t)src_cid);
    put32(b + 4, (uint32_t)(src_cid >> 32));
    put32(b + 8, (uint32_t)dst_cid);
    put32(b + 12, (uint32_t)(dst_cid >> 32));
    put32(b + 16, sport);
    put32(b + 20, dport);
    put32(b + 24, len);
    b[28] = (uint8_t)type;
    b[29] = (uint8_t)(type >> 8);
    b[30] = (uint8_t)op;
    b[31] = (uint8_t)(op >> 8);
    put32(b + 36, buf_alloc);
}

/* Send @len bytes of vs_mem's transmit slot as one packet and wait for it. */
bool vs_tx_send(const uint8_t *pkt, uint32_t len)
{
    unsigned slot = vs_txq.avail_idx % TX_NUM;
    uint8_t *b = vs_mem + 0x3000 + slot * TX_BUF;
    volatile uint16_t *used_idx = (volatile uint16_t *)(void *)(vs_txq.used + 2);

    memcpy(b, pkt, len);
    vs_txq.desc[slot] = (struct vdesc){(uintptr_t)b, len, 0, 0};
    vs_txq.avail[2 + vs_txq.avail_idx % TX_NUM] = (uint16_t)slot;
    barrier_full();
    vs_txq.avail_idx++;
    vs_txq.avail[1] = vs_txq.avail_idx;
    barrier_full();
    vdev_set(vs_dev, R_QUEUE_NOTIFY, VS_TXQ);
    for (unsigned i = 0; i < 2000000; i++) {
        if (*used_idx != vs_txq.used_seen) {
            vs_txq.used_seen++;
            return true;
        }
    }
    return false;
}

bool vs_tx_hdr(uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport, uint32_t len,
               uint16_t type, uint16_t op, uint32_t chain_len)
{
    uint8_t b[TX_BUF];

    memset(b, 0, sizeof(b));
    make_hdr(b, src_cid, dst_cid, sport, dport, len, type, op, 65536);
    return vs_tx_send(b, chain_len);
}

/* Look for a packet to guest port @port with op @op among what has
 * arrived, reposting every buffer taken; bounded. */
bool vs_rx_expect(uint16_t op, uint32_t port)
{
    bool seen = false;

    for (unsigned i = 0; i < 200000 && !seen; i++) {
        struct vs_pkt p;
        unsigned slot;

        while (vs_rx_get(&p, &slot)) {
            if (p.op == op && p.dst_port == port)
                seen = true;
            vs_rx_post(slot, RX_BUF);
        }
    }
    return seen;
}

void vs_rx_drain(void)
{
    struct vs_pkt p;
    unsigned slot;

    for (unsigned i = 0; i < 1000; i++)
        while (vs_rx_get(&p, &slot))
            vs_rx_post(slot, RX_BUF);
}
