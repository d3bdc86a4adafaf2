/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueue walker (virtio 1.2 section 2.7). See include/stdvmm/virtq.h
 * for the rules enforced. Ring fields shared with the driver are accessed
 * with single 16/32-bit atomic loads and stores (the rings are aligned, see
 * vmm_virtq_enable()); descriptors are copied out once and only the copy is used.
 */
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/virtq.h"

/* Offsets inside the rings (2.7.6, 2.7.8). */
#define AVAIL_FLAGS 0u
#define AVAIL_IDX 2u
#define AVAIL_RING 4u
#define USED_FLAGS 0u
#define USED_IDX 2u
#define USED_RING 4u
#define USED_ELEM_SIZE 8u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static uint16_t ring_load16(const uint8_t *p)
{
    return vmm_le16_to_cpu(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void ring_store16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)(void *)p, vmm_cpu_to_le16(v), __ATOMIC_RELAXED);
}

static void ring_store32(uint8_t *p, uint32_t v)
{
    __atomic_store_n((uint32_t *)(void *)p, vmm_cpu_to_le32(v), __ATOMIC_RELAXED);
}

/* One copy of a descriptor; the guest may rewrite it while we look. */
static void desc_read(const uint8_t *p, struct virtq_desc *d)
{
    uint8_t raw[VIRTQ_DESC_SIZE];

    memcpy(raw, p, sizeof(raw));
    d->addr = vmm_get_le64(raw);
    d->len = vmm_get_le32(raw + 8);
    d->flags = vmm_get_le16(raw + 12);
    d->next = vmm_get_le16(raw + 14);
}

int vmm_virtq_fail(struct virtq *vq, int err, const char *why)
{
    vq->fault = why;
    return err;
}

void vmm_virtq_reset(struct virtq *vq, uint16_t num_max)
{
    memset(vq, 0, sizeof(*vq));
    vq->num_max = num_max > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : num_max;
}

static bool aligned(uint64_t gpa, uint64_t align)
{
    return (gpa & (align - 1)) == 0;
}

int vmm_virtq_enable(struct virtq *vq, const struct vmm_mem *mem, bool event_idx, bool indirect)
{
    uint16_t num = vq->num;

    vq->ready = false;
    if (num == 0 || num > vq->num_max || (num & (num - 1)) != 0)
        return vmm_virtq_fail(vq, -VMM_EINVAL,
                              "queue size is not a power of two up to QueueNumMax");
    if (!aligned(vq->desc_gpa, VIRTQ_DESC_ALIGN) || !aligned(vq->avail_gpa, VIRTQ_AVAIL_ALIGN) ||
        !aligned(vq->used_gpa, VIRTQ_USED_ALIGN))
        return vmm_virtq_fail(vq, -VMM_EINVAL, "misaligned ring");
    vq->desc = vmm_gpa_to_hva(mem, vq->desc_gpa, (uint64_t)VIRTQ_DESC_SIZE * num);
    vq->avail = vmm_gpa_to_hva(mem, vq->avail_gpa, VIRTQ_AVAIL_BYTES(num));
    vq->used = vmm_gpa_to_hva(mem, vq->used_gpa, VIRTQ_USED_BYTES(num));
    if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
        return vmm_virtq_fail(vq, -VMM_EFAULT, "ring outside guest RAM");
    vq->mem = mem;
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->no_notify = false;
    vq->last_avail = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;
    ring_store16(vq->used + USED_FLAGS, 0);
    ring_store16(vq->used + USED_IDX, 0);
    vq->ready = true;
    return 0;
}

void vmm_virtq_disable(struct virtq *vq)
{
    vq->ready = false;
    vq->desc = vq->avail = vq->used = NULL;
}

bool vmm_virtq_has_avail(struct virtq *vq)
{
    return vq->ready && ring_load16(vq->avail + AVAIL_IDX) != vq->last_avail;
}

/* Walk state of one chain. */
struct walk {
    struct virtq_chain *chain;
    bool seen_writable;
    uint64_t total[2]; /* readable, writable */
};

/* Append one buffer to the chain, enforcing order, count, size and RAM. */
static int add_buffer(struct virtq *vq, struct walk *w, const struct virtq_desc *d)
{
    struct virtq_chain *c = w->chain;
    bool writable = (d->flags & VIRTQ_DESC_F_WRITE) != 0;
    void *hva;

    if (!writable && w->seen_writable)
        return vmm_virtq_fail(vq, -VMM_EINVAL, "device-readable buffer after a writable one");
    w->seen_writable |= writable;
    if (d->len == 0)
        return 0;
    if ((unsigned)c->nr_readable + c->nr_writable >= VIRTQ_MAX_CHAIN)
        return vmm_virtq_fail(vq, -VMM_E2BIG, "more buffers in a chain than stdvmm accepts");
    w->total[writable] += d->len;
    if (w->total[writable] > UINT32_MAX)
        return vmm_virtq_fail(vq, -VMM_E2BIG, "chain of 4 GiB or more");
    hva = vmm_gpa_to_hva(vq->mem, d->addr, d->len);
    if (hva == NULL)
        return vmm_virtq_fail(vq, -VMM_EFAULT, "buffer outside guest RAM");
    c->seg[c->nr_readable + c->nr_writable] = (struct vmm_iov){hva, d->len};
    if (writable)
        c->nr_writable++;
    else
        c->nr_readable++;
    return 0;
}

static int walk_indirect(struct virtq *vq, struct walk *w, const struct virtq_desc *ind)
{
    const uint8_t *table;
    uint32_t n, idx = 0;

    if (!vq->indirect)
        return vmm_virtq_fail(vq, -VMM_ENOTSUP, "indirect descriptor not negotiated");
    if (ind->flags & VIRTQ_DESC_F_NEXT)
        return vmm_virtq_fail(vq, -VMM_EINVAL, "indirect descriptor with NEXT");
    if (ind->len == 0 || ind->len % VIRTQ_DESC_SIZE != 0)
        return vmm_virtq_fail(vq, -VMM_EINVAL, "indirect table length not a multiple of 16");
    n = ind->len / VIRTQ_DESC_SIZE;
    if (n > VIRTQ_MAX_CHAIN)
        return vmm_virtq_fail(vq, -VMM_E2BIG, "indirect table longer than stdvmm accepts");
    table = vmm_gpa_to_hva(vq->mem, ind->addr, ind->len);
    if (table == NULL)
        return vmm_virtq_fail(vq, -VMM_EFAULT, "indirect table outside guest RAM");
    for (uint32_t ttl = n;; ttl--) {
        struct virtq_desc d;
        int ret;

        if (ttl == 0)
            return vmm_virtq_fail(vq, -VMM_E2BIG, "indirect chain longer than its table (loop?)");
        desc_read(table + (size_t)idx * VIRTQ_DESC_SIZE, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return vmm_virtq_fail(vq, -VMM_EINVAL, "nested indirect descriptor");
        ret = add_buffer(vq, w, &d);
        if (ret < 0)
            return ret;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= n)
            return vmm_virtq_fail(vq, -VMM_ERANGE, "indirect next index out of range");
        idx = d.next;
    }
}

static int walk_chain(struct virtq *vq, struct virtq_chain *c, uint16_t head)
{
    struct walk w = {.chain = c};
    uint16_t idx = head;
    int ret;

    c->head = head;
    c->nr_readable = c->nr_writable = 0;
    for (unsigned ttl = vq->num;; ttl--) {
        struct virtq_desc d;

        if (ttl == 0)
            return vmm_virtq_fail(vq, -VMM_E2BIG, "chain longer than the queue (loop?)");
        desc_read(vq->desc + (size_t)idx * VIRTQ_DESC_SIZE, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            ret = walk_indirect(vq, &w, &d);
            break;
        }
        ret = add_buffer(vq, &w, &d);
        if (ret < 0 || !(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= vq->num)
            return vmm_virtq_fail(vq, -VMM_ERANGE, "next index out of range");
        idx = d.next;
    }
    c->readable_len = (uint32_t)w.total[0];
    c->writable_len = (uint32_t)w.total[1];
    return ret;
}

int vmm_virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
    uint16_t avail_idx, pending, head;
    int ret;

    if (!vq->ready)
        return 0;
    avail_idx = ring_load16(vq->avail + AVAIL_IDX);
    pending = (uint16_t)(avail_idx - vq->last_avail);
    if (pending == 0)
        return 0;
    if (pending > vq->num)
        return vmm_virtq_fail(vq, -VMM_ERANGE, "avail index more than the queue size ahead");
    /* Read the ring entry only after the index that published it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    head = ring_load16(vq->avail + AVAIL_RING + 2u * (vq->last_avail & (vq->num - 1u)));
    if (head >= vq->num)
        return vmm_virtq_fail(vq, -VMM_ERANGE, "head index out of range");
    ret = walk_chain(vq, chain, head);
    if (ret < 0)
        return ret;
    vq->last_avail = (uint16_t)(vq->last_avail + 1); /* wraps at 2^16 (2.7.6) */
    if (vq->counters != NULL) {
        vq->counters->requests++;
        vq->counters->bytes += chain->readable_len;
    }
    if (vq->event_idx && !vq->no_notify) {
        ring_store16(vq->used + USED_RING + USED_ELEM_SIZE * vq->num, vq->last_avail);
        /* The next avail idx load must not pass this store, or a kick is lost. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    return 1;
}

int vmm_virtq_push_used(struct virtq *vq, uint16_t head, uint32_t written)
{
    uint8_t *elem;

    if (!vq->ready || head >= vq->num)
        return -VMM_EINVAL;
    elem = vq->used + USED_RING + USED_ELEM_SIZE * (vq->used_idx & (vq->num - 1u));
    ring_store32(elem, head);
    ring_store32(elem + 4, written);
    /* The element must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq->used_idx = (uint16_t)(vq->used_idx + 1); /* wraps at 2^16 (2.7.8) */
    ring_store16(vq->used + USED_IDX, vq->used_idx);
    if (vq->counters != NULL)
        vq->counters->bytes += written;
    return 0;
}

bool vmm_virtq_need_interrupt(struct virtq *vq)
{
    uint16_t old = vq->signalled_used;

    if (!vq->ready || vq->used_idx == old)
        return false;
    vq->signalled_used = vq->used_idx;
    /* used->idx must be visible before we read the driver's suppression. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vq->event_idx) {
        uint16_t used_event = ring_load16(vq->avail + AVAIL_RING + 2u * vq->num);
        return vmm_virtq_need_event(used_event, vq->used_idx, old);
    }
    return !(ring_load16(vq->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void vmm_virtq_disable_notify(struct virtq *vq)
{
    vq->no_notify = true;
    if (vq->ready && !vq->event_idx)
        ring_store16(vq->used + USED_FLAGS, VIRTQ_USED_F_NO_NOTIFY);
}

bool vmm_virtq_enable_notify(struct virtq *vq)
{
    vq->no_notify = false;
    if (!vq->ready)
        return false;
    if (vq->event_idx)
        ring_store16(vq->used + USED_RING + USED_ELEM_SIZE * vq->num, vq->last_avail);
    else
        ring_store16(vq->used + USED_FLAGS, 0);
    /* Re-read avail idx only after the driver can see our request. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return vmm_virtq_has_avail(vq);
}

size_t vmm_virtq_chain_gather(const struct virtq_chain *chain, size_t off, void *dst, size_t len)
{
    uint8_t *out = dst;
    size_t done = 0;

    for (unsigned i = 0; i < chain->nr_readable && done < len; i++) {
        const struct vmm_iov *s = &chain->seg[i];
        size_t n;

        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        n = s->len - off;
        if (n > len - done)
            n = len - done;
        memcpy(out + done, (const uint8_t *)s->base + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t vmm_virtq_chain_scatter(const struct virtq_chain *chain, size_t off, const void *src,
                               size_t len)
{
    const struct vmm_iov *wr = vmm_virtq_chain_writable(chain);
    const uint8_t *in = src;
    size_t done = 0;

    for (unsigned i = 0; i < chain->nr_writable && done < len; i++) {
        const struct vmm_iov *s = &wr[i];
        size_t n;

        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        n = s->len - off;
        if (n > len - done)
            n = len - done;
        memcpy((uint8_t *)s->base + off, in + done, n);
        done += n;
        off = 0;
    }
    return done;
}
