/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The attacking guest's vsock cases (attack.mode=vsock; outer.sh runs stdvmm
 * with --cpus 2 --vsock cid=3,uds=/tmp/v.sock and a host program listening
 * on /tmp/v.sock_5000 that sends as fast as it can):
 *  - malformed packets (short header, len not matching the payload, forged
 *    source CID, wrong type, wrong destination, unknown op, CREDIT_REQUEST
 *    flood, REQUEST to a port nobody listens on): each is answered with an
 *    RST or ignored, never a stuck or reset device;
 *  - the connection table filled (REQUESTs whose RSTs cannot be delivered
 *    because no receive buffer is posted), then drained;
 *  - issue 10, point 1: receive buffers with room for a header and no
 *    payload, refilled by both vCPUs as fast as the device takes them
 *    (memory writes only, no exit), while the host sends data; then vCPU 1
 *    stops refilling and times one exit, served under the VM lock: the old
 *    device loop kept the lock for as long as vCPU 0 went on refilling.
 * Then the guest keeps flooding until stdvmm is stopped with SIGTERM.
 */
#include "vsock_drv.h"

#define FLOOD_PORT 5000u /* outer.sh's listener */
#define DEAD_PORT 5001u  /* nobody listens */
#define FLOOD_SECS 4u
#define PSCI_CPU_ON64 0xc4000003u
#define SLOW_TABLE 256u /* VIRTQ_MAX_CHAIN: the most stdvmm walks per buffer */

/* The flood's buffer: an indirect table of one 44-byte and 255 empty
 * descriptors, so taking a buffer costs the device far more than the one
 * store it costs the guest to give it back. */
static struct vdesc slow_table[SLOW_TABLE] __attribute__((aligned(16)));
static uint8_t slow_hdr[HDR_LEN];

/* Read by smp.S with the MMU off: filled and cleaned to memory by vCPU 0. */
struct smp_boot {
    uint64_t mair, tcr, ttbr0, vbar, sp, sctlr, fn;
};
struct smp_boot attack_smp_boot __attribute__((aligned(64)));
void attack_secondary_entry(void);
static uint8_t vcpu1_stack[16384] __attribute__((aligned(16)));
static volatile unsigned long heartbeats;

/* ---- vCPU 1: what it does is chosen by vCPU 0 */
enum vcpu1_mode {
    VCPU1_HEARTBEAT, /* PL011 flag reads, counted: exits under the VM lock */
    VCPU1_REFILL,    /* keeps the receive ring full, with vCPU 0 (no exits) */
    VCPU1_PROBE,     /* one timed exit, then spin without exits */
};
static volatile enum vcpu1_mode vcpu1_mode;
static volatile bool vcpu1_refilling, vcpu1_probed;
static volatile uint64_t vcpu1_probe_ticks;
static uint64_t counter(void);
static unsigned long idle_kicks, max_burst;
static uint16_t kick_used; /* the used index at the last kick */

/* A kick, and the largest number of buffers the device took after one. */
static void flood_kick(uint16_t used)
{
    static bool kicked;

    if (!kicked)
        kick_used = used;
    kicked = true;
    if ((uint16_t)(used - kick_used) > max_burst)
        max_burst = (uint16_t)(used - kick_used);
    kick_used = used;
    vs_rx_kick();
}

static void refill_once(void);

static void vcpu1_main(void)
{
    for (;;) {
        switch (vcpu1_mode) {
        case VCPU1_HEARTBEAT:
            (void)rd32(GUEST_UART + 0x18);
            heartbeats++;
            break;
        case VCPU1_REFILL:
            vcpu1_refilling = true;
            refill_once();
            break;
        case VCPU1_PROBE:
            if (!vcpu1_probed) {
                uint64_t t0 = counter();
                (void)rd32(GUEST_UART + 0x18);
                vcpu1_probe_ticks = counter() - t0;
                vcpu1_probed = true;
            }
            break;
        }
    }
}

#define SYSREG_READ(name, v) __asm__ volatile("mrs %0, " #name : "=r"(v))

static bool start_vcpu1(void)
{
    struct smp_boot *b = &attack_smp_boot;

    SYSREG_READ(mair_el1, b->mair);
    SYSREG_READ(tcr_el1, b->tcr);
    SYSREG_READ(ttbr0_el1, b->ttbr0);
    SYSREG_READ(vbar_el1, b->vbar);
    SYSREG_READ(sctlr_el1, b->sctlr);
    b->sp = (uintptr_t)(vcpu1_stack + sizeof(vcpu1_stack));
    b->fn = (uintptr_t)vcpu1_main;
    __asm__ volatile("dc civac, %0\n\tdsb sy" ::"r"(b) : "memory");
    return smccc_hvc(PSCI_CPU_ON64, 1, (uintptr_t)attack_secondary_entry, 0) == 0;
}

static uint64_t counter(void)
{
    uint64_t v;

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
    return v;
}

static uint64_t counter_hz(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v ? v : 62500000;
}

/* ---- the attacks */

static void malformed_packets(void)
{
    bool ok;

    ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7000, DEAD_PORT, 0, TYPE_STREAM, OP_RW, 20) && vs_healthy();
    verdict(ok, "virtio-vsock", "header-shorter-than-44-bytes", "transmit stuck or device reset");
    ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7001, DEAD_PORT, 100, TYPE_STREAM, OP_RW, HDR_LEN) &&
         vs_rx_expect(OP_RST, 7001) && vs_healthy();
    verdict(ok, "virtio-vsock", "len-not-matching-the-payload", "no RST, or device reset");
    ok = vs_tx_hdr(99, HOST_CID, 7002, DEAD_PORT, 0, TYPE_STREAM, OP_REQUEST, HDR_LEN) &&
         !vs_rx_expect(OP_RST, 7002) && vs_healthy();
    verdict(ok, "virtio-vsock", "forged-source-cid-ignored", "answered, or device reset");
    ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7003, DEAD_PORT, 0, 2, OP_REQUEST, HDR_LEN) &&
         vs_rx_expect(OP_RST, 7003) && vs_healthy();
    verdict(ok, "virtio-vsock", "seqpacket-type-refused", "no RST, or device reset");
    ok = vs_tx_hdr(GUEST_CID, 7, 7004, DEAD_PORT, 0, TYPE_STREAM, OP_REQUEST, HDR_LEN) &&
         vs_rx_expect(OP_RST, 7004) && vs_healthy();
    verdict(ok, "virtio-vsock", "destination-not-the-host-refused", "no RST, or device reset");
    ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7005, DEAD_PORT, 0, TYPE_STREAM, OP_REQUEST, HDR_LEN) &&
         vs_rx_expect(OP_RST, 7005) && vs_healthy();
    verdict(ok, "virtio-vsock", "request-to-a-port-nobody-listens-on", "no RST, or device reset");
    ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7006, DEAD_PORT, 0, TYPE_STREAM, 99, HDR_LEN) &&
         vs_rx_expect(OP_RST, 7006) && vs_healthy();
    verdict(ok, "virtio-vsock", "unknown-op-refused", "no RST, or device reset");
    ok = true;
    for (unsigned i = 0; i < 300 && ok; i++)
        ok = vs_tx_hdr(GUEST_CID, HOST_CID, 7007, DEAD_PORT, 0, TYPE_STREAM, OP_CREDIT_REQUEST,
                       HDR_LEN);
    vs_rx_drain();
    verdict(ok && vs_healthy(), "virtio-vsock", "credit-request-flood",
            "transmit stuck or device reset");
}

/* Fill the connection table: REQUESTs to a dead port with no receive
 * buffer posted, so the RSTs that would free the slots cannot be sent. */
static void table_exhaustion(void)
{
    unsigned rsts = 0, nr_free = 0;
    uint16_t free_slots[RX_NUM];
    struct vs_pkt p;
    unsigned slot;
    bool ok = true;

    vs_rx_drain();
    /* Let the device use up every posted buffer (one RST each), and keep
     * the buffers back. */
    for (unsigned i = 0; i < RX_NUM && ok; i++)
        ok = vs_tx_hdr(GUEST_CID, HOST_CID, 8000 + i, DEAD_PORT, 0, TYPE_STREAM, OP_REQUEST,
                       HDR_LEN);
    for (unsigned i = 0; i < 100000 && nr_free < RX_NUM; i++)
        while (nr_free < RX_NUM && vs_rx_get(&p, &slot))
            free_slots[nr_free++] = (uint16_t)slot;
    /* Now every refused connection keeps its slot until its RST can go. */
    for (unsigned i = 0; i < 100 && ok; i++)
        ok = vs_tx_hdr(GUEST_CID, HOST_CID, 8100 + i, DEAD_PORT, 0, TYPE_STREAM, OP_REQUEST,
                       HDR_LEN);
    verdict(ok && nr_free == RX_NUM && vs_healthy(), "virtio-vsock", "connection-table-full",
            "transmit stuck, buffers not used, or device reset");
    /* Give the buffers back: the pending RSTs drain and free the table. */
    for (unsigned i = 0; i < nr_free; i++)
        vs_rx_post(free_slots[i], RX_BUF);
    for (unsigned round = 0; round < 8; round++) {
        vs_rx_kick();
        for (unsigned i = 0; i < 100000; i++) {
            while (vs_rx_get(&p, &slot)) {
                rsts += p.op == OP_RST;
                vs_rx_post(slot, RX_BUF);
            }
        }
    }
    out_str("ATTACK-VSOCK: RSTs after the table filled: ");
    out_dec(rsts);
    out_str("\n");
    verdict(rsts >= 64 && vs_healthy(), "virtio-vsock", "connection-table-drains",
            "fewer than 64 RSTs once buffers were posted again");
}

/* Keep every receive buffer posted: as the device returns buffers in order
 * and each goes back to the avail slot it came from, a refill is one store
 * of the avail index (no exit). */
static void refill_once(void)
{
    vs_rxq.avail[1] = (uint16_t)(*(volatile uint16_t *)(void *)(vs_rxq.used + 2) + RX_NUM);
}

/* Refill until @until (counter ticks), or forever if 0; returns the
 * buffers the device used meanwhile. When it has taken nothing for 200 ms
 * (long enough for its last call to have ended), a kick tells it buffers
 * are there: after a short send the backend waits for one. */
static unsigned long refill_until(uint64_t until)
{
    volatile uint16_t *used_idx = (volatile uint16_t *)(void *)(vs_rxq.used + 2);
    uint16_t start = *used_idx, u = start, last = start;
    uint64_t idle = counter_hz() / 5, moved = counter();

    for (unsigned long i = 0;; i++) {
        u = *used_idx;
        vs_rxq.avail[1] = (uint16_t)(u + RX_NUM);
        if ((i & 255) != 0)
            continue;
        uint64_t now = counter();
        if (until != 0 && now >= until)
            break;
        if (u != last) {
            last = u;
            moved = now;
        } else if (now - moved >= idle) {
            idle_kicks++;
            flood_kick(u);
            moved = counter();
        }
    }
    if ((uint16_t)(u - kick_used) > max_burst)
        max_burst = (uint16_t)(u - kick_used);
    vs_rxq.avail_idx = (uint16_t)(u + RX_NUM);
    vs_rxq.used_seen = u;
    return (uint16_t)(u - start);
}

/* Issue 10, point 1. Returns after the verdicts, with the flood running on. */
static void header_only_flood(void)
{
    unsigned long used;
    uint64_t hz, start, until;
    bool established = false;
    struct vs_pkt p;
    unsigned slot;

    vs_rx_drain();
    /* Every buffer from now on has room for a header and no payload (the
     * device reads a descriptor when it takes the buffer). */
    for (unsigned i = 0; i < RX_NUM; i++)
        vs_rxq.desc[i].len = HDR_LEN;
    barrier_full();
    if (!vs_tx_hdr(GUEST_CID, HOST_CID, 6000, FLOOD_PORT, 0, TYPE_STREAM, OP_REQUEST, HDR_LEN)) {
        verdict(false, "virtio-vsock", "flood-connection-established", "REQUEST not taken");
        return;
    }
    for (unsigned i = 0; i < 2000000 && !established; i++) {
        while (vs_rx_get(&p, &slot)) {
            established |= p.op == OP_RESPONSE && p.dst_port == 6000;
            vs_rx_post(slot, HDR_LEN);
        }
    }
    verdict(established, "virtio-vsock", "flood-connection-established",
            "no RESPONSE from the host listener on port 5000");
    if (!established)
        return;
    /* All 64 buffers become the same slow one, if indirect tables are on. */
    if (vs_indirect) {
        for (unsigned i = 0; i < SLOW_TABLE; i++)
            slow_table[i] =
                (struct vdesc){(uintptr_t)slow_hdr, i == 0 ? HDR_LEN : 0,
                               VRING_DESC_F_WRITE | (i + 1 < SLOW_TABLE ? VRING_DESC_F_NEXT : 0),
                               (uint16_t)(i + 1)};
        for (unsigned i = 0; i < RX_NUM; i++)
            vs_rxq.desc[i] =
                (struct vdesc){(uintptr_t)slow_table, sizeof(slow_table), VRING_DESC_F_INDIRECT, 0};
        barrier_full();
    }
    /* vCPU 1 joins the refilling, a kick starts the device, and a second
     * later vCPU 1 stops refilling and times one exit: the old device loop
     * held the VM lock for as long as vCPU 0 kept refilling. */
    vcpu1_mode = VCPU1_REFILL;
    while (!vcpu1_refilling)
        ;
    hz = counter_hz();
    start = counter();
    flood_kick(*(volatile uint16_t *)(void *)(vs_rxq.used + 2));
    used = refill_until(start + hz);
    vcpu1_mode = VCPU1_PROBE;
    used += refill_until(start + (1 + FLOOD_SECS) * hz);
    until = counter() + 5 * hz;
    while (!vcpu1_probed && counter() < until)
        ;
    out_str("ATTACK-VSOCK: flood: the device used ");
    out_dec(used);
    out_str(" header-only buffers after ");
    out_dec(idle_kicks + 1);
    out_str(" kicks (at most ");
    out_dec(max_burst);
    out_str(" after one); an exit on vCPU 1 took ");
    if (vcpu1_probed)
        out_dec(vcpu1_probe_ticks * 1000 / hz);
    else
        out_str("more than 5000");
    out_str(" ms\n");
    /* stdvmm serves a notification with one call per connection, bounded
     * by the queue size (then it waits for the next notification): more
     * after one kick means a loop that runs for as long as the guest
     * refills. (Where refills are quick enough, the exit below waits too.) */
    verdict(max_burst <= RX_NUM, "virtio-vsock", "header-only-buffers-bounded-per-notification",
            "the device took more than a queue's worth of buffers after one notification");
    verdict(vcpu1_probed && vcpu1_probe_ticks < hz / 2, "virtio-vsock",
            "header-only-buffers-stall-no-vcpu",
            "an exit on vCPU 1 waited for the VM lock while the device filled header-only buffers");
}

void vsock_attacks_main(struct vdev *devs, unsigned n) __attribute__((noreturn));
void vsock_attacks_main(struct vdev *devs, unsigned n)
{
    for (unsigned i = 0; i < n && vs_dev == NULL; i++)
        if (devs[i].id == 19)
            vs_dev = &devs[i];
    if (vs_dev == NULL || !vs_init()) {
        verdict(false, "virtio-vsock", "setup", "no vsock device, or it refused the driver");
        out_str("ATTACK: done\n");
        psci_system_off();
    }
    out_str("ATTACK-VSOCK: guest CID ");
    out_dec(vdev_reg(vs_dev, VSOCK_CONFIG_CID));
    out_str("\n");
    for (unsigned i = 0; i < RX_NUM; i++)
        vs_rx_post(i, RX_BUF);
    vs_rx_kick();
    verdict(start_vcpu1(), "psci", "second-vcpu-started", "CPU_ON of vCPU 1 failed");
    malformed_packets();
    table_exhaustion();
    header_only_flood();
    out_str("ATTACK-VSOCK: flooding until stopped\n");
    out_str("ATTACK: summary: ");
    out_dec(verdicts_passed);
    out_str(" passed, ");
    out_dec(verdicts_failed);
    out_str(" failed\nATTACK: done\n");
    /* Keep refilling (no exits) until SIGTERM: stdvmm must still stop. */
    refill_until(0);
    for (;;)
        ;
}
