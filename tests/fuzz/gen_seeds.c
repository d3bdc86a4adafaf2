/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the seed corpora tests/fuzz/corpus/<target>/<name>: a few
 * hand-made valid inputs per target, spelled in each target's input format
 * (see the comment at the top of every fuzz_<target>.c and fuzz_support.c).
 * Run with `make fuzz-seeds`; the output is committed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/arm64.h"
#include "stdvmm/psci.h"
#include "stdvmm/virtio.h"
#include "stdvmm/virtio_blk.h"
#include "stdvmm/virtio_console.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_vsock.h"
#include "stdvmm/virtq.h"

#define RAM_GPA 0x40000000ull

struct seed {
    uint8_t b[8192];
    size_t n;
};

static const char *out_dir;

static void u8(struct seed *s, unsigned v)
{
    if (s->n >= sizeof(s->b)) {
        fprintf(stderr, "gen_seeds: seed too long\n");
        exit(1);
    }
    s->b[s->n++] = (uint8_t)v;
}

static void u16(struct seed *s, unsigned v)
{
    u8(s, v & 0xff);
    u8(s, (v >> 8) & 0xff);
}

static void u32(struct seed *s, uint32_t v)
{
    u16(s, v & 0xffff);
    u16(s, v >> 16);
}

static void u64(struct seed *s, uint64_t v)
{
    u32(s, (uint32_t)v);
    u32(s, (uint32_t)(v >> 32));
}

static void bytes(struct seed *s, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(s, ((const uint8_t *)p)[i]);
}

static void str(struct seed *s, const char *t)
{
    bytes(s, t, strlen(t));
}

static void save(const char *target, const char *name, const struct seed *s)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* fz_addr(): mode 1, then an offset from RAM_GPA - 0x100. */
static void addr(struct seed *s, uint64_t gpa)
{
    u8(s, 1);
    u32(s, (uint32_t)(gpa - (RAM_GPA - 0x100)));
}

/* ------------------------------------------------------------------ virtq */

static void seed_desc(struct seed *s, unsigned idx, uint64_t gpa, uint32_t len, unsigned flags,
                      unsigned next)
{
    u8(s, 1); /* write_desc */
    u16(s, idx);
    addr(s, gpa);
    u32(s, len);
    u8(s, flags);
    u16(s, next);
}

static void seed_publish(struct seed *s, unsigned idx, unsigned head)
{
    u8(s, 7);
    u16(s, idx);
    u16(s, head);
}

static void seed_pop(struct seed *s)
{
    u8(s, 2);
    u16(s, 0);
    u16(s, 64);
    u16(s, 0);
    u16(s, 64);
}

static void seeds_virtq(void)
{
    struct seed s = {0};

    /* Queue of 8, one chain: 64 readable bytes then 64 writable. */
    u8(&s, 0);
    u16(&s, 3);
    seed_desc(&s, 0, RAM_GPA + 0x8000, 64, VIRTQ_DESC_F_NEXT, 1);
    seed_desc(&s, 1, RAM_GPA + 0x8100, 64, VIRTQ_DESC_F_WRITE, 0);
    seed_publish(&s, 0, 0);
    seed_pop(&s);
    u8(&s, 3); /* push used */
    u16(&s, 0);
    u32(&s, 64);
    u8(&s, 4); /* need interrupt */
    save("fuzz_virtq", "direct-chain", &s);

    /* INDIRECT negotiated: a table of two descriptors written as raw RAM. */
    s.n = 0;
    u8(&s, 2);
    u16(&s, 4);
    u8(&s, 0); /* overlay RAM at +0x9000 */
    u16(&s, 0x9000);
    u8(&s, 32);
    u64(&s, RAM_GPA + 0x8000);
    u32(&s, 100);
    u16(&s, VIRTQ_DESC_F_NEXT);
    u16(&s, 1);
    u64(&s, RAM_GPA + 0x8200);
    u32(&s, 200);
    u16(&s, VIRTQ_DESC_F_WRITE);
    u16(&s, 0);
    seed_desc(&s, 5, RAM_GPA + 0x9000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    seed_publish(&s, 0, 5);
    seed_pop(&s);
    u8(&s, 3);
    u16(&s, 0);
    u32(&s, 200);
    save("fuzz_virtq", "indirect-chain", &s);

    /* EVENT_IDX: used_event, notify suppression on and off. */
    s.n = 0;
    u8(&s, 1);
    u16(&s, 2);
    seed_desc(&s, 0, RAM_GPA + 0x8000, 16, 0, 0);
    seed_publish(&s, 0, 0);
    u8(&s, 5);
    seed_pop(&s);
    u8(&s, 3);
    u16(&s, 0);
    u32(&s, 0);
    u8(&s, 4);
    u8(&s, 6);
    save("fuzz_virtq", "event-idx", &s);

    /* A zero-length descriptor that links to itself: the chain TTL must end it. */
    s.n = 0;
    u8(&s, 0);
    u16(&s, 3);
    seed_desc(&s, 0, RAM_GPA + 0x8000, 0, VIRTQ_DESC_F_NEXT, 0);
    seed_publish(&s, 0, 0);
    seed_pop(&s);
    save("fuzz_virtq", "self-loop", &s);
}

/* ------------------------------------------------------------------ driver ops */

/* fz_driver_op 2: bring-up with EVENT_IDX/INDIRECT as asked, @num entries. */
static void bringup(struct seed *s, bool event_idx, bool indirect, uint32_t dev_features,
                    unsigned log2_num)
{
    u8(s, 0x02 | (event_idx ? 0x10 : 0) | (indirect ? 0x20 : 0));
    u32(s, dev_features);
    u8(s, log2_num);
}

/* fz_driver_op 6: a chain of @n buffers (<= 8) on @q, writable per @wmask,
 * kicked; readable buffers then take min(len, 64) bytes from @fill. */
static void chain(struct seed *s, unsigned q, unsigned n, unsigned wmask, const uint16_t *lens,
                  bool indirect, const char *fill)
{
    u8(s, 6);
    u8(s, q | ((n - 1) << 2) | (indirect ? 0x20 : 0) | 0x40);
    u8(s, wmask);
    for (unsigned i = 0; i < n; i++)
        u16(s, lens[i]);
    for (unsigned i = 0; i < n; i++) {
        if (!((wmask >> i) & 1)) {
            size_t want = lens[i] < 64 ? lens[i] : 64;

            for (size_t k = 0; k < want; k++)
                u8(s, fill && fill[k % strlen(fill)] ? (uint8_t)fill[k % strlen(fill)] : 0);
        }
    }
}

static void reg_write(struct seed *s, unsigned reg, uint32_t v)
{
    u8(s, 1);
    u8(s, reg / 4);
    u32(s, v);
}

static void read_ack(struct seed *s, unsigned off)
{
    u8(s, 9);
    u16(s, off);
}

static void seeds_virtio_mmio(void)
{
    struct seed s = {0};
    const uint16_t lens[3] = {32, 13, 48};

    u8(&s, 0x09); /* 2 queues, config 1..31 bytes with config_write */
    u8(&s, 63);   /* QueueNumMax 64 */
    bringup(&s, true, true, 1, 4);
    chain(&s, 0, 3, 4, lens, false, "abc");
    chain(&s, 1, 2, 0, lens, true, "xyz");
    read_ack(&s, VIRTIO_MMIO_INTERRUPT_STATUS);
    read_ack(&s, VIRTIO_MMIO_CONFIG);
    reg_write(&s, VIRTIO_MMIO_STATUS, 0);
    save("fuzz_virtio_mmio", "bringup-two-chains", &s);

    /* The registers one by one, as Linux probes them. */
    s.n = 0;
    u8(&s, 0x04);
    u8(&s, 255);
    for (unsigned r = 0; r <= VIRTIO_MMIO_CONFIG_GENERATION; r += 4)
        read_ack(&s, r);
    reg_write(&s, VIRTIO_MMIO_STATUS, 1);
    reg_write(&s, VIRTIO_MMIO_STATUS, 3);
    reg_write(&s, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    read_ack(&s, VIRTIO_MMIO_DEVICE_FEATURES);
    reg_write(&s, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    reg_write(&s, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    reg_write(&s, VIRTIO_MMIO_STATUS, 11);
    reg_write(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
    reg_write(&s, VIRTIO_MMIO_QUEUE_NUM, 16);
    reg_write(&s, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RAM_GPA);
    reg_write(&s, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RAM_GPA + 0x1000);
    reg_write(&s, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RAM_GPA + 0x1400);
    reg_write(&s, VIRTIO_MMIO_QUEUE_READY, 1);
    reg_write(&s, VIRTIO_MMIO_STATUS, 15);
    reg_write(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    save("fuzz_virtio_mmio", "register-probe", &s);
}

static void seeds_console(void)
{
    struct seed s = {0};
    const uint16_t tx[1] = {5}, rx[1] = {16};

    u8(&s, 0); /* backend takes everything */
    bringup(&s, true, true, 1u << VIRTIO_CONSOLE_F_EMERG_WRITE, 3);
    chain(&s, VIRTIO_CONSOLE_TXQ, 1, 0, tx, false, "hello");
    chain(&s, VIRTIO_CONSOLE_RXQ, 1, 1, rx, false, NULL);
    u8(&s, 0x0a); /* host input */
    u8(&s, 3);
    str(&s, "abc");
    reg_write(&s, VIRTIO_MMIO_CONFIG + 8, 'X'); /* emerg_wr */
    read_ack(&s, VIRTIO_MMIO_INTERRUPT_STATUS);
    save("fuzz_virtio_console", "tx-rx-emerg", &s);

    s.n = 0;
    u8(&s, 1); /* backend takes half */
    bringup(&s, false, false, 0, 2);
    chain(&s, VIRTIO_CONSOLE_TXQ, 1, 0, tx, false, "hello");
    u8(&s, 0x1a | (2 << 5)); /* backend now full */
    chain(&s, VIRTIO_CONSOLE_TXQ, 1, 0, tx, false, "again");
    save("fuzz_virtio_console", "backend-full", &s);
}

static void seeds_rng(void)
{
    struct seed s = {0};
    const uint16_t lens[2] = {64, 4096};

    u8(&s, 0);
    bringup(&s, true, false, 0, 3);
    chain(&s, 0, 2, 3, lens, false, NULL);
    u8(&s, 0x0a); /* process */
    save("fuzz_virtio_rng", "two-buffers", &s);

    s.n = 0;
    u8(&s, 3); /* backend fails, then recovers */
    bringup(&s, false, true, 0, 2);
    chain(&s, 0, 1, 1, lens, true, NULL);
    u8(&s, 0x1a); /* mood 0 */
    u8(&s, 0x0a);
    save("fuzz_virtio_rng", "retry-after-error", &s);
}

/* A virtio-blk request (fuzz_virtio_blk.c add_request). */
static void blk_req(struct seed *s, unsigned type_idx, unsigned sector, unsigned nd,
                    const uint8_t *seg_codes, const char *fill)
{
    u8(s, 0x0a);
    u8(s, type_idx | (nd << 3));
    u8(s, sector);
    for (unsigned i = 0; i < nd; i++)
        u8(s, seg_codes[i]);
    /* The header is written by the target; readable data takes fill bytes. */
    if (fill)
        for (unsigned i = 0; i < 64 * nd; i++)
            u8(s, (uint8_t)fill[i % strlen(fill)]);
}

static void seeds_blk(void)
{
    struct seed s = {0};
    const uint8_t one = 0, two[2] = {0, 1};
    uint32_t features = (1u << VIRTIO_BLK_F_FLUSH) | (1u << VIRTIO_BLK_F_DISCARD) |
                        (1u << VIRTIO_BLK_F_WRITE_ZEROES) | (1u << VIRTIO_BLK_F_SEG_MAX);

    u8(&s, 0x80 | 16); /* 16 sectors, discard */
    u8(&s, 0);         /* synchronous */
    bringup(&s, true, true, features, 4);
    blk_req(&s, 1, 2, 2, two, "data"); /* OUT */
    blk_req(&s, 0, 2, 1, &one, NULL);  /* IN */
    blk_req(&s, 2, 0, 0, NULL, NULL);  /* FLUSH */
    blk_req(&s, 3, 0, 1, &one, NULL);  /* GET_ID */
    save("fuzz_virtio_blk", "out-in-flush-getid", &s);

    s.n = 0;
    u8(&s, 0x80 | 32);
    u8(&s, 1); /* asynchronous: complete later */
    bringup(&s, false, false, features, 3);
    blk_req(&s, 0, 1, 1, &one, NULL);
    blk_req(&s, 1, 3, 1, &one, "w");
    u8(&s, 0x1a); /* complete one */
    u8(&s, 0);
    reg_write(&s, VIRTIO_MMIO_STATUS, 0); /* reset with one in flight */
    u8(&s, 0x3a);                         /* complete the rest */
    save("fuzz_virtio_blk", "async-reset", &s);

    s.n = 0;
    u8(&s, 0x80 | 63);
    u8(&s, 0);
    bringup(&s, false, false, features, 3);
    u8(&s, 0x0a); /* DISCARD of sectors 8..15 */
    u8(&s, 4 | (1 << 3));
    u8(&s, 0);
    u8(&s, 0);
    u64(&s, 8);
    u32(&s, 8);
    u32(&s, 0);
    save("fuzz_virtio_blk", "discard", &s);
}

/* fuzz_sddf_blk.c: a request of one 4 KiB block at block @blk (type index
 * 0 IN, 1 OUT, 2 FLUSH), kicked; OUT data from @fill. */
static void sddf_blk_req(struct seed *s, unsigned type_idx, unsigned blk, const char *fill)
{
    u8(s, 0x0a);
    u8(s, type_idx);
    u8(s, blk);
    if (type_idx != 2)
        u8(s, 0); /* one 4 KiB buffer */
    if (type_idx == 1)
        for (unsigned i = 0; i < 64; i++)
            u8(s, (uint8_t)fill[i % strlen(fill)]);
}

/* fuzz_sddf_blk.c: the virtualiser takes what is queued and answers @n. */
static void sddf_blk_serve(struct seed *s, unsigned n, bool fail)
{
    u8(s, 0x1a);
    u8(s, 15);
    u8(s, 0x2a | (fail ? 0x80 : 0));
    u8(s, n - 1);
    for (unsigned i = 0; i < n; i++)
        u8(s, 0);
}

static void seeds_sddf_blk(void)
{
    struct seed s = {0};
    uint32_t features = (1u << VIRTIO_BLK_F_FLUSH) | (1u << VIRTIO_BLK_F_BLK_SIZE);

    u8(&s, 0x77); /* 8-entry queues, 8 KiB slots, 4 slots */
    u8(&s, 0x28); /* 8 blocks, published at once */
    bringup(&s, false, true, features, 3);
    sddf_blk_req(&s, 1, 1, "data");
    sddf_blk_serve(&s, 1, false);
    sddf_blk_req(&s, 0, 1, NULL);
    sddf_blk_serve(&s, 1, false);
    sddf_blk_req(&s, 2, 0, NULL);
    sddf_blk_serve(&s, 1, false);
    save("fuzz_sddf_blk", "write-read-flush", &s);

    s.n = 0;
    u8(&s, 0x13); /* 4-entry queues, 8 KiB slots, 1 slot */
    u8(&s, 0x04); /* 4 blocks, not yet published */
    bringup(&s, false, false, features, 2);
    sddf_blk_req(&s, 0, 0, NULL); /* refused: not ready */
    u8(&s, 0x5a);                 /* publish: 4 blocks, read-only */
    u8(&s, 0x64);
    sddf_blk_req(&s, 0, 2, NULL);
    sddf_blk_req(&s, 1, 2, "ro"); /* refused: read-only */
    u8(&s, 0x1a);                 /* take */
    u8(&s, 3);
    u8(&s, 0xba); /* a response for an id not in flight */
    u8(&s, 5);
    u8(&s, 3);
    u8(&s, 0x4a); /* response tail far ahead */
    u8(&s, 0x7f);
    reg_write(&s, VIRTIO_MMIO_STATUS, 0); /* reset with a read in flight */
    u8(&s, 0x6a);                         /* indices back to the truth */
    sddf_blk_serve(&s, 1, true);
    save("fuzz_sddf_blk", "hostile-virtualiser", &s);
}

static void seeds_sddf_net(void)
{
    struct seed s = {0};
    const uint16_t rx[1] = {1526}, tx[1] = {12 + 60};
    uint32_t features = (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_MTU);

    u8(&s, 2); /* 4-entry queues */
    bringup(&s, false, false, features, 3);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    chain(&s, VIRTIO_NET_TXQ, 1, 0, tx, false, "\xff\xff\xff\xff\xff\xff\x02");
    u8(&s, 0x2a); /* the switch takes the frame */
    u8(&s, 7);
    u8(&s, 0x0a); /* the copier brings one, to our MAC */
    u16(&s, 60);
    for (unsigned i = 0; i < 64; i++)
        u8(&s, i < 6 ? 0xff : 0x40 + i);
    u8(&s, 1);
    save("fuzz_sddf_net", "tx-then-rx", &s);

    /* An rx descriptor of whole buffers far outside the region: the
     * backend formed its address before checking it (UBSan). */
    s.n = 0;
    u8(&s, 0);
    bringup(&s, false, false, features, 2);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    u8(&s, 0x1a);
    u8(&s, 1);
    u64(&s, 0xffffffffffff0000ull);
    u16(&s, 60);
    save("fuzz_sddf_net", "rx-offset-overflow", &s);
}

/* fuzz_virtio_net.c gen_hdr(), structured form: flags (NEEDS_CSUM = 1),
 * gso_type index (0 none, 1 TCPv4, 2 TCPv6, 3 UDP, 4/5 TCPv4/v6 + ECN,
 * 6 ECN alone), then narrow fields. */
static void net_hdr(struct seed *s, unsigned flags, unsigned gso_idx, unsigned hdr_len,
                    unsigned gso_size, unsigned csum_start, unsigned csum_offset)
{
    u8(s, 2 | (flags & 3) << 2 | (gso_idx & 7) << 4);
    u8(s, hdr_len);
    u16(s, gso_size);
    u8(s, csum_start);
    u8(s, csum_offset);
}

/* The start of a host frame of @len bytes (length class and flags in
 * @class_bits); its header and first bytes follow in the input. In a batch
 * (op 0x7a) frames come without the op byte. */
static void net_batch_frame(struct seed *s, unsigned class_bits, uint32_t len)
{
    u8(s, class_bits);
    if ((class_bits & 3) == 0)
        u8(s, len);
    else if ((class_bits & 3) == 1)
        u16(s, len);
    else
        u32(s, len);
}

static void net_host_frame_vnet(struct seed *s, unsigned class_bits, uint32_t len)
{
    u8(s, 0x0a);
    net_batch_frame(s, class_bits, len);
}

static void net_frame_bytes(struct seed *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        u8(s, i < 6 ? 0xff : i);
}

/* vnet_hdr backend (byte 0 bit 7): offloads negotiated, a TSO frame each
 * way, a checksum-offload batch, then a reset (set_offloads(0)). */
static void seeds_net_vnet(void)
{
    struct seed s = {0};
    const uint16_t rx[1] = {1526};
    uint32_t features = (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_MTU) |
                        (1u << VIRTIO_NET_F_MRG_RXBUF) | (1u << VIRTIO_NET_F_STATUS) |
                        (1u << VIRTIO_NET_F_CSUM) | (1u << VIRTIO_NET_F_GUEST_CSUM) |
                        (1u << VIRTIO_NET_F_GUEST_TSO4) | (1u << VIRTIO_NET_F_GUEST_TSO6) |
                        (1u << VIRTIO_NET_F_GUEST_ECN) | (1u << VIRTIO_NET_F_HOST_TSO4) |
                        (1u << VIRTIO_NET_F_HOST_TSO6) | (1u << VIRTIO_NET_F_HOST_ECN);

    u8(&s, 0x80);
    bringup(&s, true, true, features, 4);
    for (unsigned i = 0; i < 5; i++)
        chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    net_host_frame_vnet(&s, 2, 4000); /* TCPv4 GSO, 4000 bytes over 3 buffers */
    net_hdr(&s, 1, 1, 54, 1448, 34, 16);
    net_frame_bytes(&s, 64);
    u8(&s, 0x2a); /* a TCPv6 GSO frame from the guest, in two pieces */
    u8(&s, 0x40 | 1);
    net_hdr(&s, 1, 2, 74, 1428, 54, 16);
    u16(&s, 74);
    u16(&s, 3000);
    net_frame_bytes(&s, 64);
    net_frame_bytes(&s, 64);
    u8(&s, 0x7a); /* a batch of two frames: a partial checksum, no offload */
    u8(&s, 1);
    net_batch_frame(&s, 0, 60);
    net_hdr(&s, 1, 0, 0, 0, 34, 6);
    net_frame_bytes(&s, 60);
    net_batch_frame(&s, 0, 60);
    u8(&s, 0); /* zero header */
    net_frame_bytes(&s, 60);
    read_ack(&s, VIRTIO_MMIO_INTERRUPT_STATUS);
    reg_write(&s, VIRTIO_MMIO_STATUS, 0);
    save("fuzz_virtio_net", "vnet-tso", &s);

    /* Only CSUM / GUEST_CSUM negotiated, no MRG_RXBUF, set_offloads
     * refusing (bit 5): headers asking for more are dropped both ways, a
     * header cut short, then one good frame each way. */
    s.n = 0;
    features =
        (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_CSUM) | (1u << VIRTIO_NET_F_GUEST_CSUM);
    u8(&s, 0x80 | 0x20);
    bringup(&s, false, false, features, 3);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    net_host_frame_vnet(&s, 1, 1600); /* TCPv4 GSO not negotiated */
    net_hdr(&s, 1, 1, 54, 1448, 34, 16);
    net_frame_bytes(&s, 64);
    net_host_frame_vnet(&s, 0, 60); /* ECN without GSO */
    net_hdr(&s, 0, 6, 0, 0, 0, 0);
    net_frame_bytes(&s, 60);
    net_host_frame_vnet(&s, 0, 60); /* checksum field past the frame */
    net_hdr(&s, 1, 0, 0, 0, 200, 16);
    net_frame_bytes(&s, 60);
    net_host_frame_vnet(&s, 4, 7); /* cut 7 bytes into the header */
    u8(&s, 0);
    net_frame_bytes(&s, 7);
    u8(&s, 0x2a); /* TCPv4 GSO from the guest: not negotiated */
    u8(&s, 0x40);
    net_hdr(&s, 1, 1, 54, 1448, 34, 16);
    u16(&s, 1000);
    net_frame_bytes(&s, 64);
    u8(&s, 0x2a); /* a partial checksum from the guest: taken */
    u8(&s, 0x40);
    net_hdr(&s, 1, 0, 0, 0, 34, 16);
    u16(&s, 80);
    net_frame_bytes(&s, 64);
    net_host_frame_vnet(&s, 0, 80); /* a partial checksum to the guest */
    net_hdr(&s, 1, 0, 0, 0, 34, 16);
    net_frame_bytes(&s, 64);
    save("fuzz_virtio_net", "vnet-bad-headers", &s);
}

static void seeds_net(void)
{
    struct seed s = {0};
    const uint16_t rx[1] = {1526};
    uint32_t features = (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_MTU) |
                        (1u << VIRTIO_NET_F_MRG_RXBUF) | (1u << VIRTIO_NET_F_STATUS);

    u8(&s, 0);
    bringup(&s, true, true, features, 4);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    chain(&s, VIRTIO_NET_RXQ, 1, 1, rx, false, NULL);
    u8(&s, 0x0a); /* a 60-byte frame from the host */
    u8(&s, 0);
    u8(&s, 60);
    for (unsigned i = 0; i < 60; i++)
        u8(&s, i < 6 ? 0xff : i);
    u8(&s, 0x2a); /* a 60-byte frame from the guest */
    u8(&s, 0);
    u16(&s, 60);
    for (unsigned i = 0; i < 60; i++)
        u8(&s, i);
    save("fuzz_virtio_net", "rx-tx", &s);

    s.n = 0;
    u8(&s, 1 << 2); /* backend says EAGAIN */
    bringup(&s, false, false, (1u << VIRTIO_NET_F_MAC), 3);
    u8(&s, 0x2a);
    u8(&s, 1); /* two pieces */
    u16(&s, 20);
    u16(&s, 40);
    for (unsigned i = 0; i < 60; i++)
        u8(&s, i);
    u8(&s, 0x6a); /* mood: take */
    u8(&s, 0);
    u8(&s, 0x4a); /* tx_resume */
    u8(&s, 0x0a); /* a large frame with no room */
    u8(&s, 2);
    u32(&s, 9000);
    save("fuzz_virtio_net", "eagain-resume", &s);
    seeds_net_vnet();
}

/* A guest vsock packet with default addressing (fuzz_virtio_vsock.c). */
static void vsock_pkt(struct seed *s, unsigned op, unsigned src, unsigned dst, const char *payload)
{
    size_t n = payload ? strlen(payload) : 0;

    u8(s, 0x0a);
    u8(s, 0);
    u16(s, (unsigned)n);
    u8(s, src);
    u8(s, dst);
    u8(s, op);
    u8(s, 0);  /* flags */
    u32(s, 0); /* fwd_cnt */
    if (n)
        str(s, payload);
}

static void seeds_vsock(void)
{
    struct seed s = {0};

    u8(&s, 0); /* accept everything, consume at once */
    bringup(&s, true, false, 0, 4);
    u8(&s, 0x0c); /* post 4 receive buffers */
    u8(&s, 3);
    vsock_pkt(&s, VIRTIO_VSOCK_OP_REQUEST, 0, 0, NULL);
    vsock_pkt(&s, VIRTIO_VSOCK_OP_RW, 0, 0, "hello");
    vsock_pkt(&s, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, 0, NULL);
    vsock_pkt(&s, VIRTIO_VSOCK_OP_SHUTDOWN, 0, 0, NULL);
    vsock_pkt(&s, VIRTIO_VSOCK_OP_RST, 0, 0, NULL);
    save("fuzz_virtio_vsock", "guest-connect-send-close", &s);

    s.n = 0;
    u8(&s, 1 << 1); /* consume nothing at once */
    bringup(&s, false, false, 0, 4);
    u8(&s, 0x0c);
    u8(&s, 3);
    u8(&s, 0x0d); /* host connect to guest port 2001 */
    u8(&s, 0);
    u8(&s, 1);
    /* The guest answers from port 1001 to the host port the device chose. */
    vsock_pkt(&s, VIRTIO_VSOCK_OP_RESPONSE, 1, 0x81, NULL);
    u8(&s, 0x2d); /* host send 100 bytes on conn 0 */
    u8(&s, 0);
    u16(&s, 100);
    u8(&s, 0x0c);
    u8(&s, 1);
    u8(&s, 0x6d); /* consumed */
    u8(&s, 0);
    u16(&s, 10);
    u8(&s, 0xad); /* host reset */
    u8(&s, 0);
    save("fuzz_virtio_vsock", "host-connect-send-reset", &s);
}

/* ------------------------------------------------------------------ esr / psci */

static void seeds_esr_psci(void)
{
    struct seed s = {0};
    uint64_t dabt = ((uint64_t)VMM_ESR_EC_DABT_LOW << VMM_ESR_EC_SHIFT) | VMM_ESR_IL | (1u << 24) |
                    (2u << 22) | (3u << 16) | (1u << 6);

    u8(&s, 4);    /* 4 vCPUs, entry points checked */
    u8(&s, 0x80); /* a 32-bit store of w3 (raw ESR) */
    u64(&s, dabt);
    u64(&s, (0x09000000ull >> 12) << 4);
    u64(&s, 0x09000018ull);
    u64(&s, 0x1234);
    u64(&s, 0);
    u64(&s, 0);
    u8(&s, 0x80); /* a sign-extending byte load into x5 */
    u64(&s, ((uint64_t)VMM_ESR_EC_DABT_LOW << VMM_ESR_EC_SHIFT) | VMM_ESR_IL | (1u << 24) |
                (1u << 21) | (5u << 16) | (1u << 15));
    u64(&s, 0);
    u64(&s, 0);
    u64(&s, 0);
    u64(&s, 0x80);
    u64(&s, 0);
    u8(&s, 1); /* PSCI CPU_ON vCPU 1 at RAM start */
    u8(&s, 0);
    u8(&s, 7);
    u8(&s, 1 << 2);
    u8(&s, 1);
    u32(&s, 0x100);
    u8(&s, 3);
    u64(&s, 0xc0ffee);
    u8(&s, 1);
    u64(&s, 0);
    u8(&s, 1); /* AFFINITY_INFO of vCPU 1 */
    u8(&s, 0);
    u8(&s, 9);
    u8(&s, 1 << 2);
    u8(&s, 3);
    u64(&s, 0);
    u8(&s, 3);
    u64(&s, 0);
    u64(&s, 0);
    u8(&s, 1); /* CPU_OFF from vCPU 1 */
    u8(&s, 1);
    u8(&s, 6);
    u8(&s, 3);
    u64(&s, 0);
    u8(&s, 3);
    u64(&s, 0);
    u8(&s, 3);
    u64(&s, 0);
    u64(&s, 0);
    save("fuzz_esr_psci", "dabt-and-cpu-on", &s);

    s.n = 0;
    u8(&s, 0x82); /* 2 vCPUs, no RAM check */
    u8(&s, 0x04); /* a sysreg trap: MSR ICC_SGI1R_EL1, x2 */
    u64(&s, ((uint64_t)VMM_ESR_EC_SYSREG << VMM_ESR_EC_SHIFT) | VMM_ESR_IL | (3u << 20) |
                (5u << 17) | (0u << 14) | (12u << 10) | (2u << 5) | (11u << 1));
    for (unsigned i = 0; i < 5; i++)
        u64(&s, 0);
    u8(&s, 0x06); /* WFI */
    u64(&s, ((uint64_t)VMM_ESR_EC_WFX << VMM_ESR_EC_SHIFT) | VMM_ESR_IL);
    for (unsigned i = 0; i < 5; i++)
        u64(&s, 0);
    save("fuzz_esr_psci", "sysreg-wfi", &s);
}

/* ------------------------------------------------------------------ vgic */

static void vgic_reg(struct seed *s, bool bus, unsigned vcpu, bool write, bool redist, bool sgi,
                     unsigned off, uint64_t value)
{
    u8(s, bus ? 0x80 : 0);
    u8(s, vcpu);
    u8(s, (write ? 0x80 : 0) | (redist ? 0x40 : 0) | (sgi ? 0x20 : 0));
    u16(s, off);
    u64(s, value);
    u8(s, 0); /* is_pending probe */
    u16(s, 32);
}

static void vgic_line(struct seed *s, unsigned intid, bool level)
{
    u8(s, 3 | (level ? 0x80 : 0));
    u8(s, 0);
    u16(s, intid);
    u8(s, 0);
    u16(s, intid);
}

static void vgic_eoi(struct seed *s, unsigned vcpu, unsigned lr)
{
    u8(s, 4);
    u8(s, vcpu);
    u8(s, lr);
    u8(s, 0);
    u16(s, 0);
}

static void seeds_vgic(void)
{
    struct seed s = {0};

    u8(&s, 0x02);                                                 /* v2, 2 vCPUs */
    u8(&s, 0x31);                                                 /* 32 SPIs, 4 LRs */
    vgic_reg(&s, true, 0, true, false, false, 0x000, 3);          /* GICD_CTLR */
    vgic_reg(&s, true, 0, true, false, false, 0x104, 1);          /* ISENABLER1: SPI 32 */
    vgic_reg(&s, true, 0, true, false, false, 0x820, 0x02);       /* ITARGETSR8: vCPU 1 */
    vgic_reg(&s, true, 0, true, false, false, 0x100, 0xffff);     /* ISENABLER0: SGIs */
    vgic_reg(&s, true, 0, true, false, false, 0xf00, 0x02000005); /* SGIR: SGI 5 to vCPU 1 */
    vgic_line(&s, 32, true);
    vgic_eoi(&s, 1, 0);
    vgic_eoi(&s, 1, 1);
    vgic_reg(&s, false, 1, false, false, false, 0x004, 0); /* GICD_TYPER */
    save("fuzz_vgic", "v2-spi-sgi", &s);

    s.n = 0;
    u8(&s, 0x03);                                                  /* v3, 2 vCPUs */
    u8(&s, 0x21);                                                  /* 32 SPIs, 3 LRs */
    vgic_reg(&s, false, 0, true, false, false, 0x000, 0x12);       /* GICD_CTLR ARE+Grp1 */
    vgic_reg(&s, false, 0, true, true, false, 0x014, 0);           /* GICR_WAKER vCPU 0 */
    vgic_reg(&s, false, 1, true, true, false, 0x014, 0);           /* GICR_WAKER vCPU 1 */
    vgic_reg(&s, false, 0, true, true, true, 0x080, 0xffffffff);   /* IGROUPR0 */
    vgic_reg(&s, false, 0, true, true, true, 0x100, 0x0800ffff);   /* ISENABLER0: SGIs, PPI 27 */
    vgic_reg(&s, false, 0, true, false, false, 0x084, 0xffffffff); /* IGROUPR1 */
    vgic_reg(&s, false, 0, true, false, false, 0x104, 1);          /* ISENABLER1 */
    vgic_reg(&s, true, 0, true, false, false, 0x6100, 1);          /* IROUTER32: vCPU 1 */
    u8(&s, 5); /* ICC_SGI1R_EL1 from vCPU 0: SGI 3 to vCPU 1 */
    u8(&s, 0);
    u64(&s, (3ull << 24) | 2);
    u8(&s, 0);
    u16(&s, 3);
    vgic_line(&s, 32, true);
    u8(&s, 6); /* the virtual timer fires on vCPU 0 */
    u8(&s, 0);
    u8(&s, 0);
    u16(&s, 27);
    vgic_eoi(&s, 0, 0);
    vgic_eoi(&s, 1, 0);
    save("fuzz_vgic", "v3-sgi-spi-timer", &s);
}

/* ------------------------------------------------------------------ image / fdt */

static void image_header(struct seed *s, uint64_t text_offset, uint64_t image_size, uint64_t flags,
                         size_t file_len)
{
    size_t start = s->n;

    u32(s, 0x91005a4d); /* code0: "MZ" + add */
    u32(s, 0x14000000); /* code1: b */
    u64(s, text_offset);
    u64(s, image_size);
    u64(s, flags);
    u64(s, 0);
    u64(s, 0);
    u64(s, 0);
    u32(s, VMM_ARM64_IMAGE_MAGIC);
    u32(s, 0);
    while (s->n - start < file_len)
        u8(s, 0xd5);
}

static void image_seed(const char *name, unsigned opt, unsigned ramsel, uint64_t text_offset,
                       uint64_t image_size, uint64_t flags, size_t klen, size_t ilen,
                       const char *cmdline)
{
    struct seed s = {0};

    u8(&s, opt);
    u8(&s, ramsel);
    u16(&s, (unsigned)klen);
    u16(&s, (unsigned)ilen);
    u8(&s, cmdline ? (unsigned)strlen(cmdline) : 0);
    image_header(&s, text_offset, image_size, flags, klen);
    for (size_t i = 0; i < ilen; i++)
        u8(&s, (uint8_t)i);
    if (cmdline)
        str(&s, cmdline);
    save("fuzz_image", name, &s);
}

static void seeds_image(void)
{
    image_seed("kernel-initrd-cmdline", 0x07, 6, 0, 0x200000, 0xa, 256, 300,
               "console=hvc0 earlycon root=/dev/vda");
    image_seed("legacy-text-offset", 0x02, 2, 0, 0, 0, 128, 0, "quiet");
    image_seed("too-big-for-ram", 0x01, 1, 0x80000, 0x400000, 0xa, 64, 16, NULL);
    image_seed("big-endian", 0x00, 7, 0, 0x1000, 0x1, 64, 0, NULL);
    image_seed("ram-base-above", 0x18 | 0x02, 7, 0x1000, 0x100000, 0xa, 64, 0, "x");
}

static void seeds_fdt(void)
{
    struct seed s = {0};

    u8(&s, 0x80 | 0x08 | 0x04 | 0x02); /* 2 MiB buffer, cmdline, console, pl011 */
    u8(&s, 2);
    u8(&s, 1);
    u8(&s, 0);
    u64(&s, VMM_ARM64_RAM_BASE);
    u64(&s, 0x8000000);
    u8(&s, 20);
    str(&s, "console=ttyAMA0 ro x");
    save("fuzz_fdt", "pl011-console-cmdline", &s);

    s.n = 0;
    u8(&s, 0x10 | 0x08); /* 4 KiB buffer, initrd + stdout, fakes */
    u8(&s, 8);
    u8(&s, 2);
    u8(&s, 2);
    u64(&s, VMM_ARM64_RAM_BASE);
    u64(&s, 0x1000000);
    u64(&s, 0x100000000ull);
    u64(&s, 0x1000000);
    u8(&s, 0x04); /* fake 0: counted compatible list */
    u8(&s, 6);
    str(&s, "widget");
    u8(&s, 10);
    bytes(&s, "acme,w\0w2\0", 10);
    u8(&s, 5);
    u8(&s, 0x20); /* fake 1: no IRQ */
    u8(&s, 3);
    str(&s, "foo");
    u8(&s, 8);
    bytes(&s, "acme,foo", 8);
    u8(&s, 4);
    str(&s, "abcd");
    u8(&s, 14);
    str(&s, "/widget@b000000");
    u64(&s, VMM_ARM64_RAM_BASE + 0x2000000);
    u64(&s, VMM_ARM64_RAM_BASE + 0x2100000);
    save("fuzz_fdt", "fakes-initrd-small-buffer", &s);
}

static void seeds_pl011(void)
{
    struct seed s = {0};

    u8(&s, 0);
    u8(&s, 0x80); /* UARTCR = UARTEN | TXE | RXE */
    u16(&s, 0x30);
    u64(&s, 0x301);
    u8(&s, 0x80); /* UARTIMSC = RX | TX */
    u16(&s, 0x38);
    u64(&s, 0x30);
    u8(&s, 0x80); /* DR = 'A' */
    u16(&s, 0);
    u64(&s, 'A');
    u8(&s, 2); /* host input */
    u8(&s, 3);
    str(&s, "abc");
    u8(&s, 0); /* read FR, DR, MIS */
    u16(&s, 0x18);
    u64(&s, 0);
    u8(&s, 0);
    u16(&s, 0);
    u64(&s, 0);
    u8(&s, 0);
    u16(&s, 0x40);
    u64(&s, 0);
    u8(&s, 0x80); /* ICR */
    u16(&s, 0x44);
    u64(&s, 0x7ff);
    save("fuzz_pl011", "enable-tx-rx", &s);
}

/* ------------------------------------------------------------------ insn */

/* fuzz_insn: decoder word, register file, fault IPA offset, fail byte,
 * device value, then guest RAM from offset 0. */
static void insn_head(struct seed *s, uint32_t word, unsigned flags, uint16_t near)
{
    s->n = 0;
    u32(s, word);
    u8(s, flags);
    u16(s, near);
}

static void seeds_insn(void)
{
    struct seed s = {0};

    /* MMU off, EL1h: ldp w1, w2, [x3] at RAM + 0x100 on the device's first word. */
    insn_head(&s, 0x29400861u, 2, 0);
    u64(&s, 0);     /* TCR */
    u32(&s, 0);     /* TTBR0 offset */
    u16(&s, 0x100); /* PC offset */
    u8(&s, 0);      /* no register overrides */
    u16(&s, 4);     /* fault IPA offset: the second element */
    u8(&s, 0);      /* no failing register */
    u64(&s, 0x74726976u);
    for (unsigned i = 0; i < 0x100; i++) /* guest RAM from here */
        u8(&s, 0);
    u32(&s, 0x29400861u);
    save("fuzz_insn", "ldp-mmu-off", &s);

    /* MMU on (4K granule, T0SZ 25, level 1 blocks at TTBR0 = RAM + 0x1000),
     * EL1t: ldrsb x1, [x2, #-1]! with x2 one past the device base. */
    insn_head(&s, 0x389ffc41u, 4 | 0, 1);
    u64(&s, 1);               /* SCTLR.M */
    u64(&s, 25 | (1u << 23)); /* TCR: T0SZ 25, 4K, EPD1 */
    u32(&s, 0x1000);          /* TTBR0 offset */
    u16(&s, 0x100);           /* PC offset */
    u8(&s, 0);
    u16(&s, 0);
    u8(&s, 0);
    u64(&s, 0x80);
    {
        size_t ram0 = s.n;
        while (s.n < ram0 + 0x100)
            u8(&s, 0);
        u32(&s, 0x389ffc41u);
        while (s.n < ram0 + 0x1000)
            u8(&s, 0);
        u64(&s, 0x0ull | 0x401);        /* VA 0..1 GiB: the device */
        u64(&s, 0x40000000ull | 0x401); /* VA 1..2 GiB: RAM */
    }
    save("fuzz_insn", "ldrsb-pre-index-mmu-on", &s);
}

/* vhost-user replies (fuzz_vhost_user.c): {req index, config size / 2,
 * length, bytes} records. */
static void vhost_reply(struct seed *s, unsigned req_idx, unsigned cfg_half, uint32_t req,
                        uint32_t flags, uint32_t size)
{
    u8(s, req_idx);
    u8(s, cfg_half);
    u16(s, 12 + size);
    u32(s, req);
    u32(s, flags);
    u32(s, size);
}

static void seeds_vhost_user(void)
{
    struct seed s = {0};

    vhost_reply(&s, 0, 0, 1, 5, 8); /* GET_FEATURES */
    u64(&s, 0x170000000ull);
    vhost_reply(&s, 2, 0, 11, 5, 8); /* GET_VRING_BASE */
    u32(&s, 0);
    u32(&s, 42);
    vhost_reply(&s, 4, 30, 24, 5, 12 + 60); /* GET_CONFIG of 60 bytes */
    u32(&s, 0);
    u32(&s, 60);
    u32(&s, 0);
    for (int i = 0; i < 60; i++)
        u8(&s, i);
    vhost_reply(&s, 5, 0, 5, 5, 8); /* REPLY_ACK of SET_MEM_TABLE */
    u64(&s, 0);
    save("fuzz_vhost_user", "replies", &s);

    s.n = 0;
    vhost_reply(&s, 0, 0, 1, 5, 0xffffffu); /* a size far past the payload */
    u64(&s, 0);
    save("fuzz_vhost_user", "huge-size", &s);

    /* fuzz_vhost_dev: mood, bring-up of both queues, a chain (kicks),
     * the backend dies (device op 0x0a), the driver resets. */
    s.n = 0;
    u8(&s, 0);
    bringup(&s, true, true, 0, 4);
    {
        const uint16_t lens[2] = {64, 4096};

        chain(&s, 1, 2, 2, lens, false, "fuse");
    }
    u8(&s, 0x0a);
    reg_write(&s, 0x70, 0);
    save("fuzz_vhost_dev", "bringup-fail-reset", &s);
    s.n = 0;
    u8(&s, 1); /* the first start fails */
    bringup(&s, true, false, 0, 3);
    u8(&s, 0x1a); /* the next succeeds */
    reg_write(&s, 0x70, 0);
    bringup(&s, false, false, 0, 3);
    save("fuzz_vhost_dev", "start-fails-then-works", &s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) < 0 && errno != EEXIST) {
        perror(out_dir);
        return 1;
    }
    seeds_virtq();
    seeds_virtio_mmio();
    seeds_console();
    seeds_rng();
    seeds_blk();
    seeds_sddf_blk();
    seeds_sddf_net();
    seeds_net();
    seeds_vsock();
    seeds_esr_psci();
    seeds_vgic();
    seeds_image();
    seeds_fdt();
    seeds_pl011();
    seeds_insn();
    seeds_vhost_user();
    return 0;
}
