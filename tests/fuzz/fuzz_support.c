/* SPDX-License-Identifier: BSD-2-Clause */
/* Input reader, fuzz guest and hostile virtio-mmio driver (fuzz_support.h). */
#include <stdarg.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/log.h"
#include "stdvmm/virtq.h"

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

/* ------------------------------------------------------------------ input */

uint8_t fz_u8(struct fz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

uint16_t fz_u16(struct fz_in *in)
{
    uint16_t lo = fz_u8(in);

    return (uint16_t)(lo | fz_u8(in) << 8);
}

uint32_t fz_u32(struct fz_in *in)
{
    uint32_t lo = fz_u16(in);

    return lo | (uint32_t)fz_u16(in) << 16;
}

uint64_t fz_u64(struct fz_in *in)
{
    uint64_t lo = fz_u32(in);

    return lo | (uint64_t)fz_u32(in) << 32;
}

size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out)
{
    size_t n = in->n < max ? in->n : max;

    *out = in->p;
    in->p += n;
    in->n -= n;
    return n;
}

size_t fz_fill(struct fz_in *in, void *dst, size_t len)
{
    const uint8_t *src;
    uint8_t *out = dst;
    size_t n = fz_take(in, len, &src);

    memcpy(out, src, n);
    for (size_t i = n; i < len; i++)
        out[i] = (uint8_t)(i * 31u + 7u);
    return len;
}

/* ------------------------------------------------------------------ guest */

static char log_buf[512];
static unsigned log_lines; /* at INFO and above, since fz_log_init() */

/* Format every message (so a wrong argument type shows up under the
 * sanitizers) and drop it; abort when one input made more than
 * FZ_LOG_LINES_MAX lines at INFO and above: a guest-triggerable line that
 * is not rate-limited (issue 10, point 3). */
static void fz_log_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    vsnprintf(log_buf, sizeof(log_buf), fmt, ap);
    if (level <= VMM_LOG_INFO && ++log_lines > FZ_LOG_LINES_MAX) {
        fprintf(stderr, "fuzz: invariant broken: more than %u log lines for one input, last: %s\n",
                FZ_LOG_LINES_MAX, log_buf);
        abort();
    }
}

void fz_log_init(void)
{
    log_lines = 0;
    vmm_log_set_sink(fz_log_sink, getenv("FUZZ_QUIET_LOG") ? VMM_LOG_ERROR : VMM_LOG_DEBUG);
}

static int fz_irq_set(void *port, unsigned line, bool level)
{
    struct fz_guest *g = port;

    (void)level;
    FZ_CHECK(line < VMM_MAX_IRQ_LINES);
    g->irq_calls++;
    return 0;
}

static const struct vmm_port_ops fz_port_ops = {.irq_set = fz_irq_set};

void fz_guest_init(struct fz_guest *g, unsigned nr_vcpus)
{
    memset(g, 0, sizeof(*g));
    fz_log_init();
    FZ_CHECK(vmm_vm_init(&g->vm, "fuzz", nr_vcpus) == 0);
    vmm_vm_set_port(&g->vm, &fz_port_ops, g);
    for (unsigned i = 0; i < 2; i++) {
        g->ram[i] = calloc(1, FZ_RAM_HALF);
        FZ_CHECK(g->ram[i] != NULL);
        FZ_CHECK(vmm_vm_add_ram(&g->vm, FZ_RAM_GPA + i * FZ_RAM_HALF, FZ_RAM_HALF, g->ram[i]) == 0);
    }
}

void fz_guest_free(struct fz_guest *g)
{
    for (unsigned i = 0; i < 2; i++) {
        free(g->ram[i]);
        g->ram[i] = NULL;
    }
}

bool fz_guest_owns(const struct fz_guest *g, const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;

    for (unsigned i = 0; i < 2; i++) {
        uintptr_t lo = (uintptr_t)g->ram[i];

        if (a >= lo && len <= FZ_RAM_HALF && a - lo <= FZ_RAM_HALF - len)
            return true;
    }
    return false;
}

uint64_t fz_addr(struct fz_in *in)
{
    uint8_t mode = fz_u8(in);

    if ((mode & 7) == 0)
        return fz_u64(in);
    /* RAM and 256 bytes either side of it. */
    return FZ_RAM_GPA - 0x100 + fz_u32(in) % (FZ_RAM_SIZE + 0x200);
}

uint64_t fz_mmio(struct fz_guest *g, uint64_t addr, unsigned size, bool write, uint64_t value)
{
    struct vmm_access acc = {.addr = addr, .size = (uint8_t)size, .write = write, .value = value};

    (void)vmm_vm_mmio(&g->vm, &acc);
    return write ? 0 : acc.value;
}

static void gw16(struct fz_guest *g, uint64_t gpa, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    (void)vmm_guest_write(&g->vm.mem, gpa, b, sizeof(b));
}

static void gw_desc(struct fz_guest *g, uint64_t gpa, uint64_t addr, uint32_t len, uint16_t flags,
                    uint16_t next)
{
    uint8_t b[VIRTQ_DESC_SIZE];

    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(addr >> (8 * i));
    for (unsigned i = 0; i < 4; i++)
        b[8 + i] = (uint8_t)(len >> (8 * i));
    b[12] = (uint8_t)flags;
    b[13] = (uint8_t)(flags >> 8);
    b[14] = (uint8_t)next;
    b[15] = (uint8_t)(next >> 8);
    (void)vmm_guest_write(&g->vm.mem, gpa, b, sizeof(b));
}

/* ------------------------------------------------------------------ driver */

/* Queue q's rings: 8 KiB per queue in the first RAM half. */
#define RING_STRIDE 0x2000u
#define AVAIL_OFF 0x1000u
#define USED_OFF 0x1400u

void fz_driver_init(struct fz_driver *d, struct fz_guest *g, uint64_t base, unsigned nr_queues)
{
    memset(d, 0, sizeof(*d));
    d->g = g;
    d->base = base;
    d->nr_queues = nr_queues < VIRTIO_MMIO_MAX_QUEUES ? nr_queues : VIRTIO_MMIO_MAX_QUEUES;
    d->data_next = FZ_RAM_GPA + FZ_RAM_HALF;
}

static void reg_write(struct fz_driver *d, uint32_t reg, uint32_t v)
{
    fz_mmio(d->g, d->base + reg, 4, true, v);
}

static uint32_t reg_read(struct fz_driver *d, uint32_t reg)
{
    return (uint32_t)fz_mmio(d->g, d->base + reg, 4, false, 0);
}

void fz_driver_kick(struct fz_driver *d, unsigned q)
{
    reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

void fz_driver_bringup(struct fz_driver *d, uint64_t features, uint16_t num)
{
    reg_write(d, VIRTIO_MMIO_STATUS, 0);
    reg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    reg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
    }
    reg_write(d, VIRTIO_MMIO_STATUS,
              VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < d->nr_queues; q++) {
        struct fz_vq *vq = &d->q[q];
        uint64_t rings = FZ_RAM_GPA + q * RING_STRIDE;
        uint32_t max;

        reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
        max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
        *vq = (struct fz_vq){.desc = rings, .avail = rings + AVAIL_OFF, .used = rings + USED_OFF};
        vq->num = num > max ? (uint16_t)max : num;
        if (vq->num == 0)
            continue;
        reg_write(d, VIRTIO_MMIO_QUEUE_NUM, vq->num);
        reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc);
        reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(vq->desc >> 32));
        reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)vq->avail);
        reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(vq->avail >> 32));
        reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)vq->used);
        reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(vq->used >> 32));
        gw16(d->g, vq->avail + 2, 0);
        reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    reg_write(d, VIRTIO_MMIO_STATUS,
              VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                  VIRTIO_STATUS_DRIVER_OK);
}

/* Guest address of @len bytes in the data half (wrapping round). */
static uint64_t data_alloc(struct fz_driver *d, uint32_t len)
{
    const uint64_t start = FZ_RAM_GPA + FZ_RAM_HALF, end = start + FZ_RAM_HALF;
    uint64_t gpa;

    d->data_next = (d->data_next + 15) & ~15ull;
    if (len > end - d->data_next)
        d->data_next = start;
    gpa = d->data_next;
    d->data_next += len;
    return gpa;
}

static void publish(struct fz_driver *d, struct fz_vq *vq, uint16_t head)
{
    gw16(d->g, vq->avail + 4 + 2u * (vq->avail_idx & (vq->num - 1u)), head);
    vq->avail_idx = (uint16_t)(vq->avail_idx + 1);
    gw16(d->g, vq->avail + 2, vq->avail_idx);
}

int fz_driver_add_chain_hdr(struct fz_driver *d, unsigned q, const void *hdr, uint32_t hdr_len,
                            const uint32_t *lens, unsigned n, uint32_t writable_mask, bool indirect,
                            struct fz_in *in)
{
    uint64_t addr[17];
    uint32_t len[17], flags[17];
    unsigned nb = 0;
    struct fz_vq *vq;
    uint16_t head, idx;

    if (q >= d->nr_queues || d->q[q].num == 0 || n > 16)
        return -1;
    vq = &d->q[q];
    if (hdr != NULL) {
        addr[nb] = data_alloc(d, hdr_len);
        len[nb] = hdr_len;
        flags[nb++] = 0;
        (void)vmm_guest_write(&d->g->vm.mem, addr[0], hdr, hdr_len);
    }
    for (unsigned i = 0; i < n; i++, nb++) {
        uint32_t l = lens[i] > FZ_RAM_HALF ? FZ_RAM_HALF : lens[i];
        void *p;

        addr[nb] = data_alloc(d, l);
        len[nb] = lens[i];
        flags[nb] = (writable_mask >> i) & 1 ? VIRTQ_DESC_F_WRITE : 0;
        p = vmm_gpa_to_hva(&d->g->vm.mem, addr[nb], l);
        if (p != NULL && !flags[nb])
            fz_fill(in, p, l < 64 ? l : 64);
    }
    if (nb == 0)
        return -1;
    if (indirect) {
        uint64_t table = data_alloc(d, nb * VIRTQ_DESC_SIZE);

        for (unsigned i = 0; i < nb; i++)
            gw_desc(d->g, table + i * VIRTQ_DESC_SIZE, addr[i], len[i],
                    (uint16_t)(flags[i] | (i + 1 < nb ? VIRTQ_DESC_F_NEXT : 0)), (uint16_t)(i + 1));
        head = vq->next_desc++ & (vq->num - 1u);
        gw_desc(d->g, vq->desc + head * VIRTQ_DESC_SIZE, table, nb * VIRTQ_DESC_SIZE,
                VIRTQ_DESC_F_INDIRECT, 0);
    } else {
        head = idx = vq->next_desc & (vq->num - 1u);
        for (unsigned i = 0; i < nb; i++) {
            uint16_t next = (uint16_t)((idx + 1) & (vq->num - 1u));

            gw_desc(d->g, vq->desc + idx * VIRTQ_DESC_SIZE, addr[i], len[i],
                    (uint16_t)(flags[i] | (i + 1 < nb ? VIRTQ_DESC_F_NEXT : 0)), next);
            idx = next;
        }
        vq->next_desc = (uint16_t)(vq->next_desc + nb);
    }
    publish(d, vq, head);
    return head;
}

int fz_driver_add_chain(struct fz_driver *d, unsigned q, const uint32_t *lens, unsigned n,
                        uint32_t writable_mask, bool indirect, struct fz_in *in)
{
    return fz_driver_add_chain_hdr(d, q, NULL, 0, lens, n, writable_mask, indirect, in);
}

static unsigned size_code(uint8_t c)
{
    static const unsigned sizes[8] = {4, 4, 4, 1, 2, 8, 3, 0};

    return sizes[c & 7];
}

/* Any access near the window, of any size. */
static void op_raw_access(struct fz_driver *d, struct fz_in *in)
{
    uint16_t off = fz_u16(in);
    uint8_t c = fz_u8(in);
    uint64_t value = fz_u64(in);

    fz_mmio(d->g, d->base - 0x10 + off % (VIRTIO_MMIO_WINDOW + 0x20), size_code(c), c & 0x80,
            value);
}

static void op_raw_desc(struct fz_driver *d, struct fz_in *in)
{
    struct fz_vq *vq = &d->q[fz_u8(in) % VIRTIO_MMIO_MAX_QUEUES];
    uint16_t idx = fz_u16(in);
    uint64_t addr = fz_addr(in);
    uint32_t len = fz_u32(in);
    uint8_t fl = fz_u8(in);
    uint16_t flags = fl & 0x80 ? fz_u16(in) : fl & 7;
    uint16_t next = fz_u16(in);

    if (vq->num == 0)
        return;
    if (!(len & 0x80000000u))
        len &= 0x1fff;
    gw_desc(d->g, vq->desc + (idx & (vq->num - 1u)) * VIRTQ_DESC_SIZE, addr, len, flags, next);
}

static void op_add_chain(struct fz_driver *d, struct fz_in *in)
{
    uint8_t c = fz_u8(in);
    unsigned q = c % VIRTIO_MMIO_MAX_QUEUES, n = 1 + ((c >> 2) & 7);
    uint32_t lens[8];
    uint8_t wmask = fz_u8(in);

    for (unsigned i = 0; i < n; i++)
        lens[i] = fz_u16(in) % 0x1001;
    (void)fz_driver_add_chain(d, q, lens, n, wmask, c & 0x20, in);
    if (c & 0x40)
        fz_driver_kick(d, q);
}

static void op_ring_field(struct fz_driver *d, struct fz_in *in)
{
    uint8_t c = fz_u8(in);
    struct fz_vq *vq = &d->q[c % VIRTIO_MMIO_MAX_QUEUES];
    uint16_t v = fz_u16(in);

    if (vq->num == 0)
        return;
    switch ((c >> 2) & 3) {
    case 0: /* avail flags */
        gw16(d->g, vq->avail, v);
        break;
    case 1: /* used_event */
        gw16(d->g, vq->avail + 4 + 2u * vq->num, v);
        break;
    case 2: /* avail idx, and the driver's shadow */
        vq->avail_idx = v;
        gw16(d->g, vq->avail + 2, v);
        break;
    default: /* publish a raw head */
        publish(d, vq, v);
        break;
    }
}

static void op_ram_write(struct fz_driver *d, struct fz_in *in)
{
    uint64_t gpa = FZ_RAM_GPA + fz_u16(in) % FZ_RAM_SIZE;
    const uint8_t *src;
    size_t n = fz_take(in, fz_u8(in), &src);

    (void)vmm_guest_write(&d->g->vm.mem, gpa, src, n);
}

bool fz_driver_op(struct fz_driver *d, uint8_t op, struct fz_in *in)
{
    switch (op & 15) {
    case 0:
        op_raw_access(d, in);
        return true;
    case 1: { /* aligned 32-bit register write */
        uint32_t reg = (uint32_t)(fz_u8(in) * 4u) & 0x1fcu;

        reg_write(d, reg, fz_u32(in));
        return true;
    }
    case 2: { /* bring-up: transport features from the op, device bits raw */
        uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | fz_u32(in);
        uint8_t shift = fz_u8(in);

        if (op & 0x10)
            features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
        if (op & 0x20)
            features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
        if (!(op & 0x40)) /* mostly only what is offered */
            features &= (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) |
                        VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                        VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
        fz_driver_bringup(d, features, (uint16_t)(1u << (shift % 9)));
        return true;
    }
    case 3:
        op_raw_desc(d, in);
        return true;
    case 4: {
        struct fz_vq *vq = &d->q[fz_u8(in) % VIRTIO_MMIO_MAX_QUEUES];
        uint16_t head = fz_u16(in);

        if (vq->num != 0)
            publish(d, vq, head);
        return true;
    }
    case 5:
        fz_driver_kick(d, op & 0x80 ? fz_u32(in) : (op >> 4) & 3u);
        return true;
    case 6:
        op_add_chain(d, in);
        return true;
    case 7:
        op_ram_write(d, in);
        return true;
    case 8:
        op_ring_field(d, in);
        return true;
    case 9: /* read a register or config bytes, acknowledge interrupts */
        fz_mmio(d->g, d->base + (fz_u16(in) % VIRTIO_MMIO_WINDOW), size_code(op >> 4), false, 0);
        reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS));
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ device tree */

static uint64_t fdt_u64_prop(const void *fdt, int node, const char *name)
{
    int len;
    const fdt64_t *p = fdt_getprop(fdt, node, name, &len);

    FZ_CHECK(p != NULL && len == 8);
    return fdt64_ld(p);
}

unsigned fz_fdt_check(const void *buf, size_t bufsize, const char *bootargs, uint64_t initrd_start,
                      uint64_t initrd_end)
{
    unsigned nodes = 0;
    int node, depth = 0, chosen;

    FZ_CHECK(fdt_check_full(buf, bufsize) == 0);
    FZ_CHECK(fdt_totalsize(buf) <= bufsize);
    /* Depth drops below 0 once past the root's end. */
    for (node = 0; node >= 0 && depth >= 0; node = fdt_next_node(buf, node, &depth)) {
        int len, prop;

        FZ_CHECK(fdt_get_name(buf, node, &len) != NULL);
        fdt_for_each_property_offset(prop, buf, node)
        {
            const char *name;

            FZ_CHECK(fdt_getprop_by_offset(buf, prop, &name, &len) != NULL && name != NULL);
        }
        FZ_CHECK(prop == -FDT_ERR_NOTFOUND);
        nodes++;
    }
    FZ_CHECK(node >= 0 || node == -FDT_ERR_NOTFOUND);
    chosen = fdt_path_offset(buf, "/chosen");
    FZ_CHECK(chosen >= 0);
    if (bootargs != NULL) {
        int len;
        const char *p = fdt_getprop(buf, chosen, "bootargs", &len);

        FZ_CHECK(p != NULL && (size_t)len == strlen(bootargs) + 1 && strcmp(p, bootargs) == 0);
    }
    if (initrd_end > initrd_start) {
        FZ_CHECK(fdt_u64_prop(buf, chosen, "linux,initrd-start") == initrd_start);
        FZ_CHECK(fdt_u64_prop(buf, chosen, "linux,initrd-end") == initrd_end);
    }
    return nodes;
}
