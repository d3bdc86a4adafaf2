/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (src/devices/virtio_blk.c) over the sDDF blk backend
 * (src/backends/sddf/blk.c, built into this target as is, against the
 * mirror of sDDF's queue layout in tests/unit/sddf), between a hostile
 * guest driver and a hostile blk virtualiser: the seL4 port's disk path
 * with both of its untrusted ends. The virtualiser takes requests, answers
 * them honestly (reads from and writes to a small disk through the data
 * region) or with any id and status, and lies about queue indices and the
 * storage information.
 *
 * Input: byte 0 the queues (capacity, slots) and the partition (capacity,
 * read-only, when it is published), then driver operations (fuzz_support.h)
 * and virtualiser operations. Checked: every request the backend queues
 * (what an honest virtualiser trusts) has a known code, a slot's worth of
 * data inside the data region at its slot, whole blocks inside the
 * partition the backend saw, no write on a read-only partition, an id of a
 * slot; the backend's bookkeeping stays in bounds; the device's in-flight
 * count never exceeds its table; RAM, queues and data region bounds
 * (ASan); at most FZ_LOG_LINES_MAX log lines per input.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_blk.h"
#include "../../src/backends/sddf/blk.c"

#define BLOCK VMM_SDDF_BLK_BLOCK
#define MAX_CAP 16u
#define DISK_BLOCKS 8u
#define MAX_TAKEN 64u

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_blk blk;
    struct vmm_sddf_blk b;
    blk_req_queue_t *req;
    blk_resp_queue_t *resp;
    blk_storage_info_t info;
    uint8_t *data;
    size_t data_size;
    uint32_t cap, slot_size;
    uint32_t vhead, vtail; /* the virtualiser's own indices */
    blk_req_t taken[MAX_TAKEN];
    unsigned nr_taken;
    uint8_t disk[DISK_BLOCKS * BLOCK];
};

static struct fx fx;

static void notify(void *ctx)
{
    (void)ctx;
}

/* An honest virtualiser checks nothing more than this (sDDF's blk
 * virtualiser trusts the request's offset and count for its copy). */
static void check_req(const struct fx *f, const blk_req_t *r)
{
    uint64_t blocks = f->b.backend.nr_sectors / SECTORS_PER_BLOCK;

    FZ_CHECK(r->id < f->b.nr_slots);
    FZ_CHECK(r->io_or_offset == (uint64_t)r->id * f->slot_size);
    switch (r->code) {
    case BLK_REQ_FLUSH:
        FZ_CHECK(r->count == 0);
        break;
    case BLK_REQ_WRITE:
        FZ_CHECK(!f->b.backend.read_only);
        /* fall through */
    case BLK_REQ_READ:
        FZ_CHECK(r->count >= 1 && (uint32_t)r->count * BLOCK <= f->slot_size);
        FZ_CHECK(r->io_or_offset + (uint64_t)r->count * BLOCK <= f->data_size);
        FZ_CHECK(r->block_number <= blocks && r->count <= blocks - r->block_number);
        break;
    default:
        FZ_CHECK(!"unknown sDDF blk request code");
    }
}

/* Take up to @max queued requests, as the virtualiser does (its indices
 * are free-running, as sDDF's: they wrap on purpose). */
VMM_WRAPS static void take(struct fx *f, unsigned max)
{
    uint32_t n = __atomic_load_n(&f->req->tail, __ATOMIC_ACQUIRE) - f->vhead;

    if (n > f->cap)
        return;
    for (uint32_t i = 0; i < n && i < max && f->nr_taken < MAX_TAKEN; i++) {
        blk_req_t r = f->req->buffers[f->vhead % f->cap];

        check_req(f, &r);
        f->vhead++;
        f->taken[f->nr_taken++] = r;
    }
    f->req->head = f->vhead;
}

VMM_WRAPS static void respond_raw(struct fx *f, uint32_t id, blk_resp_status_t status)
{
    if (f->vtail - __atomic_load_n(&f->resp->head, __ATOMIC_ACQUIRE) >= f->cap)
        return; /* full, as far as the virtualiser can tell */
    f->resp->buffers[f->vtail % f->cap] = (blk_resp_t){.status = status, .id = id};
    f->vtail++;
    __atomic_store_n(&f->resp->tail, f->vtail, __ATOMIC_RELEASE);
}

/* Carry out taken request @i on the disk (blocks past it read as zero,
 * writes there are lost) and answer it. */
static void answer(struct fx *f, unsigned i, bool fail)
{
    blk_req_t r = f->taken[i];
    uint8_t *slot = f->data + r.io_or_offset;

    f->taken[i] = f->taken[--f->nr_taken];
    for (unsigned k = 0; !fail && r.code != BLK_REQ_FLUSH && k < r.count; k++) {
        uint64_t blk = r.block_number + k;
        uint8_t *p = blk < DISK_BLOCKS ? f->disk + blk * BLOCK : NULL;

        if (r.code == BLK_REQ_READ) {
            if (p != NULL)
                memcpy(slot + (size_t)k * BLOCK, p, BLOCK);
            else
                memset(slot + (size_t)k * BLOCK, 0, BLOCK);
        } else if (p != NULL) {
            memcpy(p, slot + (size_t)k * BLOCK, BLOCK);
        }
    }
    respond_raw(f, r.id, fail ? BLK_RESP_ERR_IO : BLK_RESP_OK);
}

/* A well-formed request in whole 4 KiB blocks, sometimes not. */
static void add_request(struct fx *f, uint8_t op, struct fz_in *in)
{
    static const uint32_t types[4] = {VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
                                      VIRTIO_BLK_T_IN};
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE] = {0};
    uint8_t c = fz_u8(in);
    uint32_t type = types[c & 3];
    uint64_t sector = (c & 0x80) ? fz_u64(in) : (uint64_t)(fz_u8(in) % (DISK_BLOCKS + 2)) * 8u;
    unsigned nd = type == VIRTIO_BLK_T_FLUSH ? 0 : 1 + ((c >> 2) & 1), n = 0;
    uint32_t lens[4], wmask = 0;

    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    for (unsigned i = 0; i < nd; i++) {
        uint8_t l = fz_u8(in);

        lens[n] = (l & 0x80) ? (uint32_t)(l & 0x7f) * VIRTIO_BLK_SECTOR_SIZE : BLOCK;
        wmask |= type == VIRTIO_BLK_T_IN ? 1u << n : 0;
        n++;
    }
    lens[n] = 1; /* the status byte */
    wmask |= 1u << n;
    n++;
    (void)fz_driver_add_chain_hdr(&f->d, 0, hdr, VIRTIO_BLK_HDR_SIZE, lens, n, wmask, c & 0x40, in);
    if (!(op & 0x80))
        fz_driver_kick(&f->d, 0);
}

/* The virtualiser's operations (op bits 4..6). */
VMM_WRAPS static void virt_op(struct fx *f, uint8_t op, struct fz_in *in)
{
    switch ((op >> 4) & 7) {
    case 0:
        add_request(f, op, in);
        break;
    case 1:
        take(f, 1u + fz_u8(in) % MAX_CAP);
        break;
    case 2: /* answer some taken requests, then notify */
        for (unsigned k = fz_u8(in) % 4u + 1u; k > 0 && f->nr_taken > 0; k--)
            answer(f, fz_u8(in) % f->nr_taken, op & 0x80);
        vmm_sddf_blk_notified(&f->b);
        break;
    case 3: { /* a response with any id and status */
        uint8_t c = fz_u8(in);
        uint32_t id = c & 0x80 ? fz_u32(in) : c % (f->b.nr_slots + 2u);

        respond_raw(f, id, (blk_resp_status_t)(fz_u8(in) % 6u));
        if (op & 0x80)
            vmm_sddf_blk_notified(&f->b);
        break;
    }
    case 4: /* lies about the indices */
        if (op & 0x80)
            f->req->head = f->req->tail + (uint32_t)(int8_t)fz_u8(in);
        else
            __atomic_store_n(&f->resp->tail, f->resp->head + (uint32_t)(int8_t)fz_u8(in),
                             __ATOMIC_RELEASE);
        vmm_sddf_blk_notified(&f->b);
        break;
    case 5: { /* the storage information, published or changed */
        uint8_t c = fz_u8(in);

        f->info.capacity = c & 0x80 ? fz_u64(in) : c & 15u;
        f->info.read_only = c & 0x40;
        __atomic_store_n(&f->info.ready, (c & 0x20) != 0, __ATOMIC_RELEASE);
        break;
    }
    case 6: /* the virtualiser's indices back to the truth */
        f->req->head = f->vhead;
        f->resp->tail = f->vtail;
        vmm_sddf_blk_notified(&f->b);
        break;
    default:
        vmm_sddf_blk_notified(&f->b);
        break;
    }
}

static void check_state(const struct fx *f)
{
    const struct vmm_sddf_blk *b = &f->b;

    FZ_CHECK(b->nr_order <= VMM_SDDF_BLK_MAX_OPS);
    FZ_CHECK(b->slots_used <= b->nr_slots);
    FZ_CHECK(f->blk.inflight <= VIRTIO_BLK_MAX_INFLIGHT);
    for (unsigned k = 0; k < b->nr_order; k++)
        FZ_CHECK(b->order[k] < VMM_SDDF_BLK_MAX_OPS && b->ops[b->order[k]].req != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t setup = fz_u8(&in), part = fz_u8(&in);
    struct vmm_sddf_blk_conn conn;
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->cap = 1u + (setup & 15u);
    f->slot_size = (1u + ((setup >> 4) & 1u)) * BLOCK;
    f->data_size = (size_t)(1u + ((setup >> 5) & 3u)) * f->slot_size;
    f->req = calloc(1, sizeof(blk_req_queue_t) + f->cap * sizeof(blk_req_t));
    f->resp = calloc(1, sizeof(blk_resp_queue_t) + f->cap * sizeof(blk_resp_t));
    f->data = aligned_alloc(BLOCK, f->data_size);
    FZ_CHECK(f->req != NULL && f->resp != NULL && f->data != NULL);
    memset(f->data, 0xd5, f->data_size);
    memset(f->disk, 0x5d, sizeof(f->disk));
    f->vhead = f->vtail = 0;
    f->nr_taken = 0;
    /* Published before the device starts (the usual case) or later. */
    f->info = (blk_storage_info_t){.capacity = part & 15u, .read_only = part & 0x40};
    f->info.ready = part & 0x20;
    conn = (struct vmm_sddf_blk_conn){.req_queue = f->req,
                                      .resp_queue = f->resp,
                                      .capacity = f->cap,
                                      .storage_info = &f->info,
                                      .data = f->data,
                                      .data_size = f->data_size,
                                      .slot_size = f->slot_size,
                                      .read_only = part & 0x80};
    FZ_CHECK(vmm_sddf_blk_init(&f->b, &conn, notify, f) == 0);
    FZ_CHECK(vmm_virtio_blk_init(&f->blk, &f->g.vm, "fuzz-sddf-blk", FZ_DEV_BASE, FZ_DEV_IRQ,
                                 &f->b.backend, NULL) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->blk)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 1);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (!fz_driver_op(&f->d, op, &in))
            virt_op(f, op, &in);
        vmm_sddf_blk_flush(&f->b); /* the port: after every exit or notification */
        check_state(f);
    }
    /* An honest virtualiser catches up: what is still queued completes. */
    f->req->head = f->vhead;
    f->resp->tail = f->vtail;
    for (unsigned round = 0; round < 2u * VMM_SDDF_BLK_MAX_SLOTS; round++) {
        take(f, MAX_CAP);
        while (f->nr_taken > 0)
            answer(f, 0, false);
        vmm_sddf_blk_notified(&f->b);
        check_state(f);
    }
    fz_guest_free(&f->g);
    free(f->req);
    free(f->resp);
    free(f->data);
    return 0;
}
