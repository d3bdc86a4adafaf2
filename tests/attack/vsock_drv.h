/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The attacking guest's small virtio-vsock driver (vsock_drv.c): a receive
 * and a transmit queue in one 16 KiB area, packets built and parsed by
 * hand, every wait bounded. Used by vsock_attacks.c.
 */
#ifndef ATTACK_VSOCK_DRV_H
#define ATTACK_VSOCK_DRV_H

#include "guest.h"

#define VS_RXQ 0u
#define VS_TXQ 1u
#define RX_NUM 64u
#define TX_NUM 8u
#define HDR_LEN 44u
#define RX_BUF 64u  /* room for a header and 20 bytes (control packets) */
#define TX_BUF 256u /* one packet per transmit slot */
#define GUEST_CID 3u
#define HOST_CID 2u
#define VSOCK_CONFIG_CID 0x100u
#define F_INDIRECT (1u << 28)

#define OP_REQUEST 1u
#define OP_RESPONSE 2u
#define OP_RST 3u
#define OP_RW 5u
#define OP_CREDIT_UPDATE 6u
#define OP_CREDIT_REQUEST 7u
#define TYPE_STREAM 1u

struct vs_queue {
    unsigned q, num;
    volatile struct vdesc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[] */
    volatile uint8_t *used;   /* flags, idx, ring[] of {id, len} */
    uint16_t avail_idx, used_seen;
};

/* The fields of a received packet the attacks look at. */
struct vs_pkt {
    uint16_t op;
    uint32_t src_port, dst_port, len, buf_alloc;
    uint32_t used_len;
};

extern struct vdev *vs_dev;
extern struct vs_queue vs_rxq, vs_txq;
extern bool vs_indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */

/* Reset vs_dev, negotiate VERSION_1 (+ STREAM, INDIRECT_DESC if offered),
 * set up both queues and go DRIVER_OK; false if refused. */
bool vs_init(void);
/* vs_dev is not in DEVICE_NEEDS_RESET. */
bool vs_healthy(void);
/* Receive slot @slot's buffer (RX_BUF bytes). */
uint8_t *vs_rx_buf(unsigned slot);
/* Post receive slot @slot with @len bytes of room (memory writes only). */
void vs_rx_post(unsigned slot, uint32_t len);
/* Notify the receive queue. */
void vs_rx_kick(void);
/* Take one used receive buffer, if any: its packet in *@p, slot in *@slot. */
bool vs_rx_get(struct vs_pkt *p, unsigned *slot);
/* Send @len bytes as one packet and wait (bounded) until it is used. */
bool vs_tx_send(const uint8_t *pkt, uint32_t len);
/* Send a header with these fields in a chain of @chain_len bytes. */
bool vs_tx_hdr(uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport, uint32_t len,
               uint16_t type, uint16_t op, uint32_t chain_len);
/* True if a packet @op to guest port @port arrives (bounded wait); every
 * buffer taken meanwhile is posted again. */
bool vs_rx_expect(uint16_t op, uint32_t port);
/* Take and post again whatever has arrived. */
void vs_rx_drain(void);

#endif
