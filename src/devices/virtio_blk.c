/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (virtio 1.2 section 5.2). See include/stdvmm/virtio_blk.h for
 * what is offered and how each malformed request is answered.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio_blk.h"

#define BLK_REQUESTQ 0u
#define BLK_PENDING 0xffu /* not a status: the backend has the request */

static struct virtio_blk *to_blk(struct virtio_mmio *vdev)
{
    return vdev->priv;
}

/* Guest mistakes that get a status: log the first, count the rest. */
static uint8_t bad_request(struct virtio_blk *blk, uint8_t status, const char *why)
{
    if (vmm_ratelimit_first(&blk->rl_bad_request))
        vmm_warn("%s: bad request: %s (further ones counted)", blk->vdev.dev.name, why);
    return status;
}

/* [sector, sector + nr) inside the disk, without overflow. */
static bool range_ok(const struct virtio_blk *blk, uint64_t sector, uint64_t nr)
{
    uint64_t cap = blk->backend->nr_sectors;

    return sector <= cap && nr <= cap - sector;
}

/*
 * Describe bytes [skip, total - trim) of @segs[0..n) in slot->iov. Returns
 * false when that takes more than VIRTIO_BLK_SEG_MAX pieces.
 */
static bool collect(struct virtio_blk_slot *s, const struct vmm_iov *segs, unsigned n, size_t skip,
                    size_t trim, uint32_t *bytes)
{
    size_t total = 0, end, pos = 0;
    unsigned nr = 0;

    for (unsigned i = 0; i < n; i++)
        total += segs[i].len;
    end = total >= skip + trim ? total - trim : skip;
    *bytes = (uint32_t)(end - skip); /* the walker keeps each direction below 4 GiB */
    for (unsigned i = 0; i < n && pos < end; pos += segs[i].len, i++) {
        size_t from = skip > pos ? skip - pos : 0;
        size_t to = end - pos < segs[i].len ? end - pos : segs[i].len;

        if (from >= to)
            continue;
        if (nr == VIRTIO_BLK_SEG_MAX)
            return false;
        s->iov[nr++] = (struct vmm_iov){(uint8_t *)segs[i].base + from, to - from};
    }
    s->req.iov = s->iov;
    s->req.nr_iov = nr;
    return true;
}

static void blk_complete(struct vmm_blk_req *req, int status);

/* Hand @s to the backend; BLK_PENDING, or IOERR when it refuses. */
static uint8_t submit(struct virtio_blk *blk, struct virtio_blk_slot *s, enum vmm_blk_op op)
{
    int ret;

    s->req.op = op;
    s->req.complete = blk_complete;
    s->req.cookie = s;
    ret = blk->backend->submit(blk->backend->ctx, &s->req);
    if (ret >= 0)
        return BLK_PENDING;
    if (vmm_ratelimit_first(&blk->rl_backend))
        vmm_warn("%s: backend refused a request: %s (further errors counted)", blk->vdev.dev.name,
                 vmm_strerror(ret));
    return VIRTIO_BLK_S_IOERR;
}

/* IN (read into the guest) and OUT (write from the guest), 5.2.6. */
static uint8_t start_rw(struct virtio_blk *blk, struct virtio_blk_slot *s, uint64_t sector,
                        bool write)
{
    const struct virtq_chain *c = &blk->chain;
    uint32_t bytes;
    bool fits;

    if (write) {
        if (blk->backend->read_only)
            return bad_request(blk, VIRTIO_BLK_S_IOERR, "write to a read-only disk");
        if (c->writable_len != 1)
            return bad_request(blk, VIRTIO_BLK_S_IOERR, "write with device-writable data");
        fits = collect(s, c->seg, c->nr_readable, VIRTIO_BLK_HDR_SIZE, 0, &bytes);
    } else {
        if (c->readable_len != VIRTIO_BLK_HDR_SIZE)
            return bad_request(blk, VIRTIO_BLK_S_IOERR, "read into device-readable data");
        fits = collect(s, vmm_virtq_chain_writable(c), c->nr_writable, 0, 1, &bytes);
    }
    if (!fits)
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "more data segments than seg_max");
    if (bytes % VIRTIO_BLK_SECTOR_SIZE != 0)
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "data not a multiple of 512 bytes");
    s->req.sector = sector;
    s->req.nr_sectors = bytes / VIRTIO_BLK_SECTOR_SIZE;
    if (!range_ok(blk, sector, s->req.nr_sectors))
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "sectors beyond the end of the disk");
    if (bytes == 0)
        return VIRTIO_BLK_S_OK;
    if (write) {
        s->flush_after = !vmm_virtio_mmio_has_feature(&blk->vdev, VIRTIO_BLK_F_FLUSH);
        return submit(blk, s, VMM_BLK_WRITE);
    }
    s->data_len = bytes;
    return submit(blk, s, VMM_BLK_READ);
}

/* GET_ID: the serial, NUL padded to 20 bytes, in the writable data. */
static uint8_t get_id(struct virtio_blk *blk, struct virtio_blk_slot *s)
{
    const struct virtq_chain *c = &blk->chain;
    uint32_t room = c->writable_len - 1;
    uint32_t n = room < VIRTIO_BLK_ID_BYTES ? room : VIRTIO_BLK_ID_BYTES;

    s->data_len = (uint32_t)vmm_virtq_chain_scatter(c, 0, blk->serial, n);
    return VIRTIO_BLK_S_OK;
}

/* DISCARD and WRITE_ZEROES with one struct virtio_blk_discard_write_zeroes. */
static uint8_t start_discard(struct virtio_blk *blk, struct virtio_blk_slot *s, bool zeroes)
{
    const struct virtq_chain *c = &blk->chain;
    uint32_t seg_bytes = c->readable_len - VIRTIO_BLK_HDR_SIZE;
    uint8_t seg[VIRTIO_BLK_DISCARD_SEG_SIZE];
    uint32_t flags, nr;
    uint64_t sector;

    if (!blk->backend->can_discard)
        return bad_request(blk, VIRTIO_BLK_S_UNSUPP, "discard/write-zeroes not offered");
    if (blk->backend->read_only)
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "discard/write-zeroes on a read-only disk");
    if (seg_bytes == 0 || seg_bytes % VIRTIO_BLK_DISCARD_SEG_SIZE != 0)
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "discard/write-zeroes without a segment");
    if (seg_bytes > VIRTIO_BLK_DISCARD_SEG_SIZE)
        return bad_request(blk, VIRTIO_BLK_S_UNSUPP, "more than one discard/write-zeroes segment");
    vmm_virtq_chain_gather(c, VIRTIO_BLK_HDR_SIZE, seg, sizeof(seg));
    sector = vmm_get_le64(seg);
    nr = vmm_get_le32(seg + 8);
    flags = vmm_get_le32(seg + 12);
    /* 5.2.6.2: unknown flags, and UNMAP on a discard, are UNSUPP. */
    if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0 || (!zeroes && flags != 0))
        return bad_request(blk, VIRTIO_BLK_S_UNSUPP, "discard/write-zeroes flags");
    if (nr > VIRTIO_BLK_MAX_DISCARD_SECTORS || !range_ok(blk, sector, nr))
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "discard/write-zeroes range");
    if (nr == 0)
        return VIRTIO_BLK_S_OK;
    s->req.sector = sector;
    s->req.nr_sectors = nr;
    s->req.unmap = (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0;
    if (!zeroes)
        return submit(blk, s, VMM_BLK_DISCARD);
    s->flush_after = !vmm_virtio_mmio_has_feature(&blk->vdev, VIRTIO_BLK_F_FLUSH);
    return submit(blk, s, VMM_BLK_WRITE_ZEROES);
}

/* Parse the chain in blk->chain into @s: a status, or BLK_PENDING. */
static uint8_t start_request(struct virtio_blk *blk, struct virtio_blk_slot *s)
{
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
    uint32_t type;
    uint64_t sector;

    if (blk->chain.readable_len < VIRTIO_BLK_HDR_SIZE)
        return bad_request(blk, VIRTIO_BLK_S_IOERR, "header shorter than 16 readable bytes");
    vmm_virtq_chain_gather(&blk->chain, 0, hdr, sizeof(hdr));
    type = vmm_get_le32(hdr);
    sector = vmm_get_le64(hdr + 8);
    switch (type) {
    case VIRTIO_BLK_T_IN:
        return start_rw(blk, s, sector, false);
    case VIRTIO_BLK_T_OUT:
        return start_rw(blk, s, sector, true);
    case VIRTIO_BLK_T_FLUSH:
        return submit(blk, s, VMM_BLK_FLUSH);
    case VIRTIO_BLK_T_GET_ID:
        return get_id(blk, s);
    case VIRTIO_BLK_T_DISCARD:
        return start_discard(blk, s, false);
    case VIRTIO_BLK_T_WRITE_ZEROES:
        return start_discard(blk, s, true);
    default:
        return bad_request(blk, VIRTIO_BLK_S_UNSUPP, "unknown request type");
    }
}

static int process_queue(struct virtio_blk *blk);

/* Report @status for @s to the driver (unless the device was reset since)
 * and free the slot. */
static void finish(struct virtio_blk *blk, struct virtio_blk_slot *s, uint8_t status)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&blk->vdev, BLK_REQUESTQ);

    if (status != VIRTIO_BLK_S_OK && s->generation == blk->generation)
        blk->errors++;
    if (vq != NULL && s->generation == blk->generation) {
        uint32_t len = 1 + (status == VIRTIO_BLK_S_OK ? s->data_len : 0);

        __atomic_store_n(s->status, status, __ATOMIC_RELAXED);
        if (vmm_virtq_push_used(vq, s->head, len) == 0) {
            if (blk->processing)
                blk->pushed = true;
            else
                vmm_virtio_mmio_notify_used(&blk->vdev, BLK_REQUESTQ);
        }
    }
    s->busy = false;
    blk->inflight--;
    if (blk->stalled && !blk->processing) {
        int ret;

        blk->stalled = false;
        ret = process_queue(blk);
        if (ret < 0)
            vmm_virtio_mmio_queue_error(&blk->vdev, BLK_REQUESTQ, ret);
    }
}

static void blk_complete(struct vmm_blk_req *req, int status)
{
    struct virtio_blk_slot *s = req->cookie;
    struct virtio_blk *blk = s->blk;

    if (status < 0 && status != -VMM_ECANCELED && vmm_ratelimit_first(&blk->rl_backend))
        vmm_warn("%s: I/O error at sector %llu: %s (further errors counted)", blk->vdev.dev.name,
                 (unsigned long long)req->sector, vmm_strerror(status));
    if (status >= 0 && s->flush_after) {
        uint8_t st;

        s->flush_after = false;
        st = submit(blk, s, VMM_BLK_FLUSH);
        if (st != BLK_PENDING)
            finish(blk, s, st);
        return;
    }
    finish(blk, s, status < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static struct virtio_blk_slot *free_slot(struct virtio_blk *blk)
{
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
        if (!blk->slots[i].busy)
            return &blk->slots[i];
    }
    return NULL;
}

/* Pop and start one request; 1 started, 0 queue empty, <0 violation. */
static int pop_request(struct virtio_blk *blk, struct virtq *vq, struct virtio_blk_slot *s)
{
    const struct vmm_iov *last;
    uint8_t status;
    int ret = vmm_virtq_pop(vq, &blk->chain);

    if (ret <= 0)
        return ret;
    if (blk->chain.nr_writable == 0) {
        return vmm_virtq_fail(vq, -VMM_EINVAL, "virtio-blk request without a writable status byte");
    }
    last = &blk->chain.seg[blk->chain.nr_readable + blk->chain.nr_writable - 1];
    memset(&s->req, 0, sizeof(s->req));
    s->status = (uint8_t *)last->base + last->len - 1;
    s->head = blk->chain.head;
    s->data_len = 0;
    s->flush_after = false;
    s->generation = blk->generation;
    s->busy = true;
    blk->inflight++;
    blk->requests++;
    status = start_request(blk, s);
    if (status != BLK_PENDING)
        finish(blk, s, status);
    return 1;
}

/* Start every available request, at most a queue's worth per call. */
static int process_queue(struct virtio_blk *blk)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&blk->vdev, BLK_REQUESTQ);
    int ret = 0;

    if (vq == NULL || blk->processing)
        return 0;
    blk->processing = true;
    for (unsigned n = 0; n < vq->num; n++) {
        struct virtio_blk_slot *s = free_slot(blk);

        if (s == NULL) {
            blk->stalled = true; /* a completion restarts the loop */
            break;
        }
        ret = pop_request(blk, vq, s);
        if (ret <= 0)
            break;
    }
    blk->processing = false;
    if (blk->pushed) {
        blk->pushed = false;
        vmm_virtio_mmio_notify_used(&blk->vdev, BLK_REQUESTQ);
    }
    return ret < 0 ? ret : 0;
}

static int blk_notify(struct virtio_mmio *vdev, unsigned q)
{
    return q == BLK_REQUESTQ ? process_queue(to_blk(vdev)) : 0;
}

static void blk_reset(struct virtio_mmio *vdev)
{
    struct virtio_blk *blk = to_blk(vdev);

    /* Requests still at the backend complete into the void; those it has
     * not started it drops, so no read lands in a buffer the driver has
     * taken back. */
    blk->generation++;
    blk->stalled = false;
    if (blk->backend->cancel != NULL)
        blk->backend->cancel(blk->backend->ctx);
}

/* The one queue was disabled: requests in flight complete into the void,
 * as after a reset. */
static void blk_queue_reset(struct virtio_mmio *vdev, unsigned q)
{
    (void)q;
    blk_reset(vdev);
}

static void blk_config_read(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf, unsigned len)
{
    const struct virtio_blk *blk = to_blk(vdev);
    uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE] = {0};

    vmm_put_le64(cfg + VIRTIO_BLK_CFG_CAPACITY, blk->backend->nr_sectors);
    vmm_put_le32(cfg + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
    vmm_put_le32(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    vmm_put_le32(cfg + VIRTIO_BLK_CFG_BLK_SIZE,
                 blk->backend->block_size != 0 ? blk->backend->block_size : VIRTIO_BLK_SECTOR_SIZE);
    if (blk->backend->can_discard) {
        vmm_put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
        vmm_put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
        vmm_put_le32(cfg + VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, VIRTIO_BLK_DISCARD_ALIGNMENT);
        vmm_put_le32(cfg + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
        vmm_put_le32(cfg + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 1);
        cfg[VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
    }
    memcpy(buf, cfg + offset, len); /* the transport keeps offset + len in range */
}

int vmm_virtio_blk_init(struct virtio_blk *blk, struct vmm_vm *vm, const char *name, uint64_t base,
                        unsigned irq, const struct vmm_blk_backend *backend, const char *serial)
{
    uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
                        VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
    size_t n;

    if (backend == NULL || backend->submit == NULL || name == NULL)
        return -VMM_EINVAL;
    if (backend->read_only)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
    if (backend->can_discard)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
    memset(blk, 0, sizeof(*blk));
    blk->backend = backend;
    blk->ops = (struct virtio_dev_ops){
        .device_id = VIRTIO_ID_BLOCK,
        .features = features,
        .nr_queues = 1,
        .queue_num_max = VIRTIO_BLK_QUEUE_SIZE,
        .config_size = VIRTIO_BLK_CONFIG_SIZE,
        .config_read = blk_config_read,
        .queue_notify = blk_notify,
        .reset = blk_reset,
        .queue_reset = blk_queue_reset,
    };
    if (serial == NULL)
        serial = name;
    n = strlen(serial);
    memcpy(blk->serial, serial, n < sizeof(blk->serial) ? n : sizeof(blk->serial));
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++)
        blk->slots[i].blk = blk;
    return vmm_virtio_mmio_init(&blk->vdev, &blk->ops, blk, vm, name, base, irq);
}
