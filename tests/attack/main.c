/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The attacking guest (tests/attack/README.md): probes the virtio-mmio
 * windows, attacks the platform (SMCCC, GIC, UART, addresses with no device)
 * and then each virtio device in turn, and finally proves that every device
 * still works. Verdicts go to the PL011 as ATTACK-PASS / ATTACK-FAIL lines,
 * then "ATTACK: done" and a PSCI SYSTEM_OFF.
 */
#include "guest.h"

#define MAX_DEVS 8u
#define SMCCC_NOT_SUPPORTED (-1)
#define PSCI_CPU_ON64 0xc4000003u
#define PSCI_AFFINITY_INFO64 0xc4000004u
#define PSCI_VERSION 0x84000000u
#define DEFAULT_GW 0x0a000202u /* 10.0.2.2: QEMU's user network */

void queue_attacks_run(struct vdev *devs, unsigned n, unsigned victim);
void net_rx_attacks_run(struct vdev *devs, unsigned n, unsigned victim, uint32_t ip, uint32_t gw);
/* Other modes, chosen with attack.mode=NAME on the command line. */
bool attack_mode(uint64_t dtb, const char *mode);
void console_flood_main(struct vdev *devs, unsigned n) __attribute__((noreturn));
void vsock_attacks_main(struct vdev *devs, unsigned n) __attribute__((noreturn));
void attack_main(uint64_t dtb);
void isv0_attacks(uint64_t virtio_base);

static uint8_t dev_areas[MAX_DEVS * VDEV_AREA] __attribute__((aligned(4096)));
static struct vdev devs[MAX_DEVS];

/* Function IDs no SMCCC implementation defines: each must come back as
 * NOT_SUPPORTED (an SMC may also be refused with an undefined-instruction
 * exception, which the vectors count and skip). */
static void smccc_attacks(void)
{
    static const uint32_t undefined[] = {
        0x840000ffu, 0xc40000ffu, 0x8400001fu, /* PSCI range, unassigned */
        0x8600fffeu, 0xc600fffeu,              /* vendor hypervisor service */
        0xbf00ff00u, 0xb0000000u,              /* trusted OS, yielding-style fast bit */
        0x04000000u, 0x00000000u, 0xffffffffu, /* yielding calls, garbage */
    };
    bool ok = true;
    int64_t r;

    for (unsigned i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++) {
        r = smccc_hvc(undefined[i] | 0xdead00000000ull, ~0ull, ~0ull, ~0ull);
        if (r != SMCCC_NOT_SUPPORTED) {
            out_str("ATTACK: hvc ");
            out_hex(undefined[i]);
            out_str(" returned ");
            out_hex((uint64_t)r);
            out_str("\n");
            ok = false;
        }
    }
    verdict(ok, "smccc", "undefined-function-ids-over-hvc", "a call did not return NOT_SUPPORTED");
    ok = true;
    for (unsigned i = 0; i < 3; i++) {
        unsigned long before = exceptions_taken;
        r = smccc_smc(undefined[i], 0, 0, 0);
        if (r != SMCCC_NOT_SUPPORTED && exceptions_taken == before)
            ok = false;
    }
    verdict(ok, "smccc", "undefined-function-ids-over-smc",
            "neither NOT_SUPPORTED nor an undefined-instruction exception");
    /* Real PSCI functions with impossible arguments: a CPU that does not
     * exist, an entry point outside RAM. Any error is fine; success is not. */
    r = smccc_hvc(PSCI_CPU_ON64, 0xff00ffull, 0x10000000ull, 0);
    ok = r < 0;
    r = smccc_hvc(PSCI_AFFINITY_INFO64, 0xffffffffffull, 7, 0);
    ok = ok && r < 0;
    verdict(ok, "psci", "impossible-arguments", "a call with impossible arguments succeeded");
    r = smccc_hvc(PSCI_VERSION, 0, 0, 0);
    verdict(r > 0, "psci", "still-answers", "PSCI_VERSION failed after the attacks");
}

/* Reads of every width and alignment over a range of @dev; writes only of
 * widths a register does not have, to offsets in @wr_lo..@wr_hi. */
static void sweep(uint64_t base, unsigned len, unsigned wr_lo, unsigned wr_hi)
{
    static const unsigned sizes[] = {1, 2, 4, 8};

    for (unsigned off = 0; off + 8 <= len; off++) {
        for (unsigned s = 0; s < 4; s++) {
            unsigned size = sizes[s];
            bool aligned = off % size == 0;
            uint64_t va = (aligned ? 0 : GUEST_NC_ALIAS) + base + off;

            (void)mmio_read(va, size);
            if (off >= wr_lo && off + size <= wr_hi && (size != 4 || !aligned))
                mmio_write(va, size, 0);
        }
    }
}

static void platform_attacks(void)
{
    /* GIC distributor: reads only (writes would change routing). */
    sweep(GUEST_GICD, 0x100, 1, 0);
    verdict(true, "gicd", "every-size-and-alignment", "");
    /* PL011: wrong-width writes to the ID registers, garbage to the
     * read-only flag and status registers, all widths read. */
    sweep(GUEST_UART, 0x50, 1, 0);
    sweep(GUEST_UART + 0xfe0, 0x20, 0, 0x20);
    wr32(GUEST_UART + 0x18, 0xffffffffu); /* UARTFR */
    wr32(GUEST_UART + 0x3c, 0xffffffffu); /* UARTRIS */
    wr32(GUEST_UART + 0x40, 0xffffffffu); /* UARTMIS */
    mmio_load_pair(GUEST_UART);
    verdict(true, "pl011", "every-size-and-alignment", "");
    /* Nothing there: between devices, unused virtio windows, past RAM. */
    sweep(0x0b000000u, 0x40, 0, 0x40);
    sweep(GUEST_VIRTIO_BASE + (GUEST_VIRTIO_SLOTS - 1) * GUEST_VIRTIO_STRIDE, 0x40, 0, 0x40);
    for (unsigned i = 0; i < 16; i++) {
        (void)mmio_read(guest_ram_end + i * 0x100000u, 8);
        mmio_write(guest_ram_end + i * 0x100000u, 4, 0xdeadbeef);
    }
    verdict(true, "unmapped", "accesses-where-no-device-is", "");
}

/* Is every device named in @want (comma-separated: net, blk, console, rng,
 * vsock) among the @n found? */
static bool devices_present(const char *want, unsigned n)
{
    static const struct {
        const char *name;
        uint32_t id;
    } ids[] = {{"net", 1}, {"blk", 2}, {"console", 3}, {"rng", 4}, {"vsock", 19}};

    while (*want != '\0') {
        size_t len = 0;
        uint32_t id = 0;
        bool found = false;

        while (want[len] != '\0' && want[len] != ',')
            len++;
        for (unsigned k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
            if (strlen(ids[k].name) == len && memcmp(ids[k].name, want, len) == 0)
                id = ids[k].id;
        for (unsigned i = 0; i < n; i++)
            found |= id != 0 && devs[i].id == id;
        if (!found)
            return false;
        want += len + (want[len] == ',');
    }
    return true;
}

/* The devices the run must have: attack.devices= on the command line
 * (the seL4 test: console,blk,net), else what tests/attack/run.sh gives. */
static void final_proofs(uint64_t dtb, unsigned n)
{
    char want[64] = "blk,rng,console";

    for (unsigned i = 0; i < n; i++) {
        struct vdev *d = &devs[i];
        bool ok =
            vdev_init(d) && vdev_request_ok(d, "ATTACK-CONSOLE: hello from the attacking guest\n");

        verdict(ok, d->name, "works-after-all-attacks", "a correct request did not complete");
    }
    (void)attack_arg(dtb, "attack.devices", want, sizeof(want));
    out_str("ATTACK: devices wanted: ");
    out_str(want);
    out_str("\n");
    verdict(devices_present(want, n), "setup", "wanted-devices-present",
            "a device named by attack.devices= (default blk,rng,console) is missing");
}

void attack_main(uint64_t dtb)
{
    uint32_t ip = attack_ipv4(dtb, "attack.ip"), gw = attack_ipv4(dtb, "attack.gw");
    unsigned n;

    fdt_read_memory(dtb);
    out_str("ATTACK: start, DTB at ");
    out_hex(dtb);
    out_str(", RAM ends at ");
    out_hex(guest_ram_end);
    out_str("\n");
    n = vdev_probe(devs, MAX_DEVS, dev_areas);
    for (unsigned i = 0; i < n; i++) {
        out_str("ATTACK: found ");
        out_str(devs[i].name);
        out_str(" at ");
        out_hex(devs[i].base);
        out_str("\n");
    }
    if (attack_mode(dtb, "console-flood"))
        console_flood_main(devs, n);
    if (attack_mode(dtb, "vsock"))
        vsock_attacks_main(devs, n);
    /* Before anything else: the walker's chain bound (the first attack).
     * net: its receiveq too, with frames from the gateway (net_attacks.c). */
    for (unsigned i = 0; i < n; i++) {
        queue_attacks_run(devs, n, i);
        if (devs[i].id == 1)
            net_rx_attacks_run(devs, n, i, ip, gw != 0 ? gw : DEFAULT_GW);
    }
    smccc_attacks();
    platform_attacks();
    if (n > 0)
        isv0_attacks(devs[0].base);
    final_proofs(dtb, n);
    out_str("ATTACK: exceptions taken by the guest: ");
    out_dec(exceptions_taken);
    out_str("\nATTACK: summary: ");
    out_dec(verdicts_passed);
    out_str(" passed, ");
    out_dec(verdicts_failed);
    out_str(" failed\nATTACK: done\n");
    psci_system_off();
}
