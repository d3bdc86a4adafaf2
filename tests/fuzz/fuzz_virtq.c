/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The split virtqueue walker (src/virtio/virtq.c) against a guest that
 * writes anything into its 64 KiB of RAM.
 *
 * Input: byte 0 features (bit 0 EVENT_IDX, bit 1 INDIRECT, bit 2 rings from
 * the input instead of the default layout), bytes 1-2 queue size (a power of
 * two 1..256 unless bit 15 asks for the raw value), then with bit 2 three
 * 16-bit ring offsets; then operations: overlay RAM bytes, write a
 * descriptor, pop (gather + scatter the chain), push used, ring fields,
 * notification suppression. Finally every available chain is popped.
 * Checked: the walker never touches memory outside the RAM buffers (ASan),
 * every segment it returns lies inside one RAM region, totals add up, heads
 * are in range, a violation leaves a reason, and every call returns.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/virtq.h"

#define MAX_OUTSTANDING 512u

struct fx {
    struct fz_guest g;
    struct virtq vq;
    struct virtq_chain chain;
    uint16_t heads[MAX_OUTSTANDING];
    unsigned nr_heads;
    uint8_t scratch[0x10000];
};

static struct fx fx;

static void check_chain(const struct fx *f, const struct virtq_chain *c)
{
    uint64_t tot[2] = {0, 0};
    unsigned n = (unsigned)c->nr_readable + c->nr_writable;

    FZ_CHECK(c->head < f->vq.num);
    FZ_CHECK(n <= VIRTQ_MAX_CHAIN);
    for (unsigned i = 0; i < n; i++) {
        FZ_CHECK(c->seg[i].len > 0);
        FZ_CHECK(fz_guest_owns(&f->g, c->seg[i].base, c->seg[i].len));
        tot[i >= c->nr_readable] += c->seg[i].len;
    }
    FZ_CHECK(tot[0] == c->readable_len && tot[1] == c->writable_len);
}

/* Pop one chain; on success gather and scatter all of it. Returns pop's result. */
static int pop_one(struct fx *f, struct fz_in *in)
{
    int ret = vmm_virtq_pop(&f->vq, &f->chain);
    size_t n, want;

    if (ret < 0) {
        FZ_CHECK(f->vq.fault != NULL);
        return ret;
    }
    if (ret == 0)
        return 0;
    FZ_CHECK(ret == 1);
    check_chain(f, &f->chain);
    want = f->chain.readable_len < sizeof(f->scratch) ? f->chain.readable_len : sizeof(f->scratch);
    n = vmm_virtq_chain_gather(&f->chain, 0, f->scratch, sizeof(f->scratch));
    FZ_CHECK(n == want);
    /* An offset inside the chain, from the input. */
    (void)vmm_virtq_chain_gather(&f->chain, fz_u16(in), f->scratch, fz_u16(in));
    memset(f->scratch, 0xa5, sizeof(f->scratch));
    want = f->chain.writable_len < sizeof(f->scratch) ? f->chain.writable_len : sizeof(f->scratch);
    n = vmm_virtq_chain_scatter(&f->chain, 0, f->scratch, sizeof(f->scratch));
    FZ_CHECK(n == want);
    (void)vmm_virtq_chain_scatter(&f->chain, fz_u16(in), f->scratch, fz_u16(in));
    if (f->nr_heads < MAX_OUTSTANDING)
        f->heads[f->nr_heads++] = f->chain.head;
    return 1;
}

static void write_desc(struct fx *f, struct fz_in *in)
{
    uint16_t idx = fz_u16(in);
    uint64_t addr = fz_addr(in);
    uint32_t len = fz_u32(in);
    uint8_t fl = fz_u8(in);
    uint16_t flags = fl & 0x80 ? fz_u16(in) : fl & 7;
    uint16_t next = fz_u16(in);
    uint8_t raw[16];

    if (f->vq.num == 0)
        return;
    if (!(len & 0x80000000u))
        len &= 0x3fff;
    memcpy(raw, &addr, 8);
    memcpy(raw + 8, &len, 4);
    memcpy(raw + 12, &flags, 2);
    memcpy(raw + 14, &next, 2);
    (void)vmm_guest_write(&f->g.vm.mem, f->vq.desc_gpa + (idx % f->vq.num) * 16u, raw, 16);
}

static void run_op(struct fx *f, uint8_t op, struct fz_in *in)
{
    switch (op % 10) {
    case 0: { /* overlay RAM */
        uint64_t gpa = FZ_RAM_GPA + fz_u16(in) % FZ_RAM_SIZE;
        const uint8_t *src;
        size_t n = fz_take(in, fz_u8(in), &src);

        (void)vmm_guest_write(&f->g.vm.mem, gpa, src, n);
        break;
    }
    case 1:
        write_desc(f, in);
        break;
    case 2:
        (void)pop_one(f, in);
        break;
    case 3: { /* push used: an outstanding head, or any value */
        uint16_t v = fz_u16(in);
        uint16_t head = (op & 0x80) || f->nr_heads == 0 ? v : f->heads[v % f->nr_heads];
        int ret = vmm_virtq_push_used(&f->vq, head, fz_u32(in));

        FZ_CHECK(ret == 0 || head >= f->vq.num || !f->vq.ready);
        break;
    }
    case 4:
        (void)vmm_virtq_need_interrupt(&f->vq);
        break;
    case 5:
        vmm_virtq_disable_notify(&f->vq);
        break;
    case 6:
        (void)vmm_virtq_enable_notify(&f->vq);
        break;
    case 7: { /* publish: avail ring entry and index */
        uint16_t idx = fz_u16(in), head = fz_u16(in);
        uint8_t b[2] = {(uint8_t)head, (uint8_t)(head >> 8)};
        uint8_t i[2] = {(uint8_t)(idx + 1), (uint8_t)((idx + 1) >> 8)};

        if (f->vq.num == 0)
            break;
        (void)vmm_guest_write(&f->g.vm.mem, f->vq.avail_gpa + 4 + 2u * (idx % f->vq.num), b, 2);
        (void)vmm_guest_write(&f->g.vm.mem, f->vq.avail_gpa + 2, i, 2);
        break;
    }
    case 8:
        (void)vmm_virtq_has_avail(&f->vq);
        break;
    default: /* disable and enable again, as a driver resetting the queue */
        vmm_virtq_disable(&f->vq);
        (void)vmm_virtq_enable(&f->vq, &f->g.vm.mem, f->vq.event_idx, f->vq.indirect);
        f->nr_heads = 0;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t feat = fz_u8(&in);
    uint16_t num = fz_u16(&in);
    unsigned ops = 0;

    f->nr_heads = 0;
    fz_guest_init(&f->g, 1);
    vmm_virtq_reset(&f->vq, VIRTQ_MAX_SIZE);
    f->vq.num = num & 0x8000 ? (uint16_t)(num & 0x7fff) : (uint16_t)(1u << (num % 9));
    if (feat & 4) {
        f->vq.desc_gpa = FZ_RAM_GPA + fz_u16(&in);
        f->vq.avail_gpa = FZ_RAM_GPA + fz_u16(&in);
        f->vq.used_gpa = FZ_RAM_GPA + fz_u16(&in);
    } else {
        uint32_t n = f->vq.num;

        f->vq.desc_gpa = FZ_RAM_GPA;
        f->vq.avail_gpa = FZ_RAM_GPA + 16u * n;
        f->vq.used_gpa = (f->vq.avail_gpa + VIRTQ_AVAIL_BYTES(n) + 3) & ~3ull;
    }
    if (vmm_virtq_enable(&f->vq, &f->g.vm.mem, feat & 1, feat & 2) < 0) {
        FZ_CHECK(!f->vq.ready && f->vq.fault != NULL);
        fz_guest_free(&f->g);
        return 0;
    }
    while (fz_more(&in) && ops++ < FZ_MAX_OPS)
        run_op(f, fz_u8(&in), &in);
    /* Pop everything left: each success consumes one avail entry. */
    for (unsigned i = 0; i <= VIRTQ_MAX_SIZE && pop_one(f, &in) > 0; i++)
        FZ_CHECK(i < VIRTQ_MAX_SIZE);
    fz_guest_free(&f->g);
    return 0;
}
