/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (src/devices/virtio_blk.c): request parsing, status reporting
 * and in-flight bookkeeping, over an in-memory disk that completes requests
 * at once, later (when the input says), or refuses them.
 *
 * Input: byte 0 the disk (capacity 0..63 sectors, read-only, discard), then
 * driver operations (fuzz_support.h) and device operations: a well-formed
 * request of any type and sector, completing a pending request with success
 * or an error, a new backend mood. Checked against the backend contract in
 * backend.h: every request arrives bounds-checked against the capacity, data
 * in whole sectors inside RAM, writes never on a read-only disk, discard only
 * when offered, at most VIRTIO_BLK_MAX_INFLIGHT requests outstanding, each
 * completed once; RAM bounds (ASan).
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/virtio_blk.h"

#define MAX_SECTORS 64u
#define MAX_PENDING (2u * VIRTIO_BLK_MAX_INFLIGHT)

struct fx {
    struct fz_guest g;
    struct fz_driver d;
    struct virtio_blk blk;
    struct vmm_blk_backend be;
    uint8_t disk[MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE];
    uint8_t mood; /* 0 sync ok, 1 async, 2 sync error, 3 refuse */
    struct vmm_blk_req *pending[MAX_PENDING];
    unsigned nr_pending;
};

static struct fx fx;

static bool range_ok(const struct fx *f, uint64_t sector, uint64_t nr)
{
    return sector <= f->be.nr_sectors && nr <= f->be.nr_sectors - sector;
}

static void check_req(struct fx *f, const struct vmm_blk_req *req)
{
    size_t bytes = 0;

    FZ_CHECK(req->complete != NULL);
    switch (req->op) {
    case VMM_BLK_READ:
    case VMM_BLK_WRITE:
        FZ_CHECK(req->op == VMM_BLK_READ || !f->be.read_only);
        for (unsigned i = 0; i < req->nr_iov; i++) {
            FZ_CHECK(fz_guest_owns(&f->g, req->iov[i].base, req->iov[i].len));
            bytes += req->iov[i].len;
        }
        FZ_CHECK(bytes % VIRTIO_BLK_SECTOR_SIZE == 0);
        FZ_CHECK(range_ok(f, req->sector, bytes / VIRTIO_BLK_SECTOR_SIZE));
        break;
    case VMM_BLK_FLUSH:
        break;
    case VMM_BLK_DISCARD:
    case VMM_BLK_WRITE_ZEROES:
        FZ_CHECK(f->be.can_discard && !f->be.read_only);
        FZ_CHECK(range_ok(f, req->sector, req->nr_sectors));
        break;
    default:
        FZ_CHECK(!"unknown block op");
    }
}

/* Carry out @req on the disk; 0 or a negative code. */
static int do_req(struct fx *f, struct vmm_blk_req *req)
{
    uint8_t *p = f->disk + req->sector * VIRTIO_BLK_SECTOR_SIZE;

    switch (req->op) {
    case VMM_BLK_READ:
        for (unsigned i = 0; i < req->nr_iov; p += req->iov[i].len, i++)
            memcpy(req->iov[i].base, p, req->iov[i].len);
        break;
    case VMM_BLK_WRITE:
        for (unsigned i = 0; i < req->nr_iov; p += req->iov[i].len, i++)
            memcpy(p, req->iov[i].base, req->iov[i].len);
        break;
    case VMM_BLK_DISCARD:
    case VMM_BLK_WRITE_ZEROES:
        memset(p, 0, req->nr_sectors * VIRTIO_BLK_SECTOR_SIZE);
        break;
    default:
        break;
    }
    return 0;
}

static int be_submit(void *ctx, struct vmm_blk_req *req)
{
    struct fx *f = ctx;

    check_req(f, req);
    for (unsigned i = 0; i < f->nr_pending; i++)
        FZ_CHECK(f->pending[i] != req); /* a request is not reused before it completes */
    switch (f->mood & 3) {
    case 0:
        req->complete(req, do_req(f, req));
        return 0;
    case 1:
        FZ_CHECK(f->nr_pending < VIRTIO_BLK_MAX_INFLIGHT);
        f->pending[f->nr_pending++] = req;
        return 0;
    case 2:
        req->complete(req, -VMM_EIO);
        return 0;
    default:
        return -VMM_EIO;
    }
}

/* Complete pending request @i (the backend may run it long after submit). */
static void complete_one(struct fx *f, unsigned i, bool fail)
{
    struct vmm_blk_req *req = f->pending[i];

    f->pending[i] = f->pending[--f->nr_pending];
    req->complete(req, fail ? -VMM_EIO : do_req(f, req));
}

/* A request as a driver writes it: header, data buffers, status byte. */
static void add_request(struct fx *f, uint8_t op, struct fz_in *in)
{
    static const uint32_t types[8] = {VIRTIO_BLK_T_IN,
                                      VIRTIO_BLK_T_OUT,
                                      VIRTIO_BLK_T_FLUSH,
                                      VIRTIO_BLK_T_GET_ID,
                                      VIRTIO_BLK_T_DISCARD,
                                      VIRTIO_BLK_T_WRITE_ZEROES,
                                      2,
                                      0xffffffffu};
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE] = {0};
    uint8_t c = fz_u8(in);
    uint32_t type = types[c & 7];
    uint64_t sector = (c & 0x80) ? fz_u64(in) : fz_u8(in) % (MAX_SECTORS + 2);
    unsigned nd = (c >> 3) & 3, n = 0;
    uint32_t lens[8], wmask = 0;

    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    for (unsigned i = 0; i < nd; i++) {
        uint8_t l = fz_u8(in);

        lens[n] = (l & 0x80) ? l : (1u + (l & 7)) * VIRTIO_BLK_SECTOR_SIZE;
        if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES)
            lens[n] = VIRTIO_BLK_DISCARD_SEG_SIZE;
        wmask |= (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) ? 1u << n : 0;
        n++;
    }
    lens[n] = (c & 0x20) ? 0 : 1; /* the status byte */
    wmask |= 1u << n;
    n++;
    (void)fz_driver_add_chain_hdr(&f->d, 0, hdr, VIRTIO_BLK_HDR_SIZE, lens, n, wmask, c & 0x40, in);
    if (!(op & 0x80))
        fz_driver_kick(&f->d, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t disk = fz_u8(&in);
    unsigned ops = 0;

    fz_guest_init(&f->g, 1);
    f->nr_pending = 0;
    f->mood = fz_u8(&in);
    memset(f->disk, 0xd5, sizeof(f->disk));
    f->be = (struct vmm_blk_backend){
        .nr_sectors = disk & 63,
        .read_only = disk & 0x40,
        .can_discard = disk & 0x80,
        .submit = be_submit,
        .ctx = f,
    };
    FZ_CHECK(vmm_virtio_blk_init(&f->blk, &f->g.vm, "fuzz-blk", FZ_DEV_BASE, FZ_DEV_IRQ, &f->be,
                                 (disk & 1) ? "a-serial-number-longer-than-20" : NULL) == 0);
    FZ_CHECK(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->blk)) == 0);
    fz_driver_init(&f->d, &f->g, FZ_DEV_BASE, 1);
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        uint8_t op = fz_u8(&in);

        if (fz_driver_op(&f->d, op, &in))
            continue;
        switch ((op >> 4) & 3) {
        case 0:
            add_request(f, op, &in);
            break;
        case 1:
            if (f->nr_pending > 0)
                complete_one(f, fz_u8(&in) % f->nr_pending, op & 0x80);
            break;
        case 2:
            f->mood = fz_u8(&in);
            break;
        default: /* the backend catches up with everything */
            while (f->nr_pending > 0)
                complete_one(f, 0, op & 0x80);
            break;
        }
    }
    /* Drain: every request completes exactly once, even after resets. */
    f->mood = 0;
    for (unsigned i = 0; f->nr_pending > 0; i++) {
        FZ_CHECK(i < 64 * VIRTIO_BLK_MAX_INFLIGHT);
        complete_one(f, 0, false);
    }
    FZ_CHECK(f->blk.inflight == 0);
    fz_guest_free(&f->g);
    return 0;
}
