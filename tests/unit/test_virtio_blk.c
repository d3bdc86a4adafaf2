/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk driven like a guest would, through virtio-mmio and split
 * virtqueues in a mock guest memory, on a real temporary image file
 * (blk_file) or on a fake backend that records what reaches it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/virtio_blk.h"
#include "support/test_driver.h"
#include "support/test_guest.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (4ull << 20)
#define BASE 0x0a000000ull
#define LINE 16u
#define QNUM 16
#define DISK_SECTORS 64u
#define DISK_BYTES (DISK_SECTORS * 512u)
#define NO_STATUS 0xaau

#define FEATURES_NO_FLUSH                                                                          \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |                    \
     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))
#define FEATURES (FEATURES_NO_FLUSH | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))

struct fx {
    struct test_guest g;
    struct virtio_blk blk;
    struct test_vq q;
    struct blk_file file;
    char path[64];
    uint8_t before[DISK_BYTES]; /* file contents after setup */
    /* fake backend */
    struct vmm_blk_backend fake;
    enum vmm_blk_op ops[32];
    unsigned nr_ops;
    int fake_status; /* passed to complete() */
    int fake_refuse; /* returned by submit() when non-zero */
    bool fake_defer; /* keep requests instead of completing them */
    struct vmm_blk_req *deferred[16];
    unsigned nr_deferred;
};

/* ---------------------------------------------------------------- fixtures */

static uint8_t pattern(size_t off)
{
    return (uint8_t)(off * 7 + off / 512 + 1);
}

static void read_file(struct fx *f, uint8_t *buf)
{
    assert_int_equal(pread(f->file.fd, buf, DISK_BYTES, 0), DISK_BYTES);
}

static void assert_file_unchanged(struct fx *f)
{
    static uint8_t now[DISK_BYTES];

    read_file(f, now);
    assert_memory_equal(now, f->before, DISK_BYTES);
}

static int fake_submit(void *ctx, struct vmm_blk_req *req)
{
    struct fx *f = ctx;

    if (f->fake_refuse)
        return f->fake_refuse;
    assert_true(f->nr_ops < 32);
    f->ops[f->nr_ops++] = req->op;
    if (f->fake_defer) {
        assert_true(f->nr_deferred < 16);
        f->deferred[f->nr_deferred++] = req;
        return 0;
    }
    req->complete(req, f->fake_status);
    return 0;
}

static void start_device(struct fx *f, const struct vmm_blk_backend *be, const char *serial,
                         uint64_t features)
{
    assert_int_equal(vmm_virtio_blk_init(&f->blk, &f->g.vm, "vda", BASE, LINE, be, serial), 0);
    assert_int_equal(vmm_vm_add_device(&f->g.vm, vmm_virtio_blk_device(&f->blk)), 0);
    test_vmmio_bringup(&f->g, BASE, features, &f->q, 1, QNUM);
}

static struct fx *new_fixture(void)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    test_guest_init(&f->g, RAM_BASE, RAM_SIZE);
    f->file.fd = -1;
    return f;
}

static int setup_file_mode(void **state, bool ro)
{
    struct fx *f = new_fixture();
    char err[256] = "";
    char spec[80];
    int fd;

    strcpy(f->path, "/tmp/stdvmm-blk-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    for (size_t i = 0; i < DISK_BYTES; i++)
        f->before[i] = pattern(i);
    assert_int_equal(write(fd, f->before, DISK_BYTES), DISK_BYTES);
    close(fd);
    snprintf(spec, sizeof(spec), "%s%s", f->path, ro ? ",ro" : "");
    assert_int_equal(vmm_blk_file_open(&f->file, spec, err, sizeof(err)), 0);
    start_device(f, &f->file.backend, NULL, FEATURES);
    *state = f;
    return 0;
}

static int setup_file(void **state)
{
    return setup_file_mode(state, false);
}

static int setup_file_ro(void **state)
{
    return setup_file_mode(state, true);
}

static void init_fake(struct fx *f, bool can_discard)
{
    f->fake = (struct vmm_blk_backend){
        .nr_sectors = DISK_SECTORS, .can_discard = can_discard, .submit = fake_submit, .ctx = f};
}

static int setup_fake_mode(void **state, bool can_discard)
{
    struct fx *f = new_fixture();

    init_fake(f, can_discard);
    start_device(f, &f->fake, "serial-0123456789abcdefXYZ", FEATURES);
    *state = f;
    return 0;
}

static int setup_fake(void **state)
{
    return setup_fake_mode(state, true);
}

static int setup_fake_nodiscard(void **state)
{
    return setup_fake_mode(state, false);
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (f->file.fd >= 0) {
        vmm_blk_file_close(&f->file);
        unlink(f->path);
    }
    test_guest_free(&f->g);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- driver side */

static uint64_t alloc(struct fx *f, uint32_t len)
{
    return test_guest_alloc(&f->g, len ? len : 1, 16);
}

/* A 16-byte request header in guest RAM. */
static uint64_t header(struct fx *f, uint32_t type, uint64_t sector)
{
    uint64_t gpa = alloc(f, VIRTIO_BLK_HDR_SIZE);
    uint8_t h[VIRTIO_BLK_HDR_SIZE] = {0};

    for (unsigned i = 0; i < 4; i++)
        h[i] = (uint8_t)(type >> (8 * i));
    for (unsigned i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sector >> (8 * i));
    test_guest_write(&f->g, gpa, h, sizeof(h));
    return gpa;
}

static uint64_t status_byte(struct fx *f)
{
    uint64_t gpa = alloc(f, 1);
    uint8_t v = NO_STATUS;

    test_guest_write(&f->g, gpa, &v, 1);
    return gpa;
}

/* Kick and collect exactly one used element; returns its length. */
static uint32_t kick_one(struct fx *f, uint16_t head)
{
    uint32_t id, len;

    test_vmmio_kick(&f->g, BASE, 0);
    assert_true(test_vq_get_used(&f->q, &id, &len));
    assert_int_equal(id, head);
    return len;
}

static uint8_t guest_byte(struct fx *f, uint64_t gpa)
{
    uint8_t v;

    test_guest_read(&f->g, gpa, &v, 1);
    return v;
}

/* header, optional data, status: returns the status; *used gets the length. */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
                       bool writable, uint32_t *used)
{
    struct test_buf b[3];
    unsigned n = 0;
    uint64_t st = status_byte(f);
    uint32_t l;

    b[n++] = (struct test_buf){header(f, type, sector), VIRTIO_BLK_HDR_SIZE, false};
    if (len > 0)
        b[n++] = (struct test_buf){data, len, writable};
    b[n++] = (struct test_buf){st, 1, true};
    l = kick_one(f, test_vq_add(&f->q, b, n));
    if (used != NULL)
        *used = l;
    return guest_byte(f, st);
}

static uint64_t guest_data(struct fx *f, uint32_t len, uint8_t fill)
{
    uint64_t gpa = alloc(f, len);

    memset(test_guest_ptr(&f->g, gpa, len), fill, len);
    return gpa;
}

static uint32_t device_status(struct fx *f)
{
    return test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_STATUS);
}

static uint64_t cfg(struct fx *f, uint32_t off, unsigned size)
{
    return test_mmio_read(&f->g, BASE + VIRTIO_MMIO_CONFIG + off, size);
}

static uint64_t device_features(struct fx *f)
{
    uint64_t v = 0;

    for (uint32_t sel = 0; sel < 2; sel++) {
        test_vmmio_write(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
        v |= (uint64_t)test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
    }
    return v;
}

/* ---------------------------------------------------------------- features and config */

static void blk_offers_features_and_config(void **state)
{
    struct fx *f = *state;
    uint64_t feat = device_features(f);

    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    assert_int_equal(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_QUEUE_NUM_MAX),
                     VIRTIO_BLK_QUEUE_SIZE);
    assert_true(feat & VIRTIO_BIT(VIRTIO_F_VERSION_1));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
    assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_RO));
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 8), DISK_SECTORS);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 4), DISK_SECTORS);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY + 4, 4), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_SIZE_MAX, 4), VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTIO_BLK_SEG_MAX);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_BLK_SIZE + 1, 1), 2); /* little endian */
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4), VIRTIO_BLK_MAX_DISCARD_SECTORS);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4), 1);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 4), 8);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 4),
                     VIRTIO_BLK_MAX_DISCARD_SECTORS);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 4), 1);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1), 1);
    assert_int_equal(cfg(f, 16, 4), 0); /* geometry: not offered */
}

static void blk_ro_offers_ro_and_no_discard(void **state)
{
    struct fx *f = *state;
    uint64_t feat = device_features(f);

    assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_RO));
    assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
    assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1), 0);
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_CAPACITY, 8), DISK_SECTORS);
}

/* ---------------------------------------------------------------- I/O on a file */

static void blk_in_reads_the_file(void **state)
{
    struct fx *f = *state;
    uint64_t data = guest_data(f, 1024, 0);
    uint32_t used;

    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 3, data, 1024, true, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 1025);
    assert_memory_equal(test_guest_ptr(&f->g, data, 1024), f->before + 3 * 512, 1024);
    assert_true(test_guest_irq(&f->g, LINE));
    assert_int_equal(f->file.reads, 1);
}

static void blk_out_then_in_round_trips(void **state)
{
    struct fx *f = *state;
    uint64_t out = guest_data(f, 1536, 0x5a), in = guest_data(f, 1536, 0);
    uint8_t now[DISK_BYTES];
    uint32_t used;

    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, out, 1536, false, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 1);
    read_file(f, now);
    memset(f->before + 10 * 512, 0x5a, 1536);
    assert_memory_equal(now, f->before, DISK_BYTES); /* exactly those sectors changed */
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 10, in, 1536, true, NULL), VIRTIO_BLK_S_OK);
    assert_memory_equal(test_guest_ptr(&f->g, in, 1536), test_guest_ptr(&f->g, out, 1536), 1536);
}

/* Header split in two, data over three buffers, the status byte sharing the
 * last data buffer; and the same through an indirect table. */
static void blk_accepts_split_header_and_scattered_data(void **state)
{
    struct fx *f = *state;
    uint64_t hdr = header(f, VIRTIO_BLK_T_IN, 1);
    uint64_t d0 = guest_data(f, 512, 0), d1 = guest_data(f, 1024, 0);
    uint64_t d2 = guest_data(f, 513, NO_STATUS);
    struct test_buf b[5] = {
        {hdr, 8, false}, {hdr + 8, 8, false}, {d0, 512, true}, {d1, 1024, true}, {d2, 513, true}};

    assert_int_equal(kick_one(f, test_vq_add(&f->q, b, 5)), 2049);
    assert_int_equal(guest_byte(f, d2 + 512), VIRTIO_BLK_S_OK);
    assert_memory_equal(test_guest_ptr(&f->g, d0, 512), f->before + 512, 512);
    assert_memory_equal(test_guest_ptr(&f->g, d1, 1024), f->before + 1024, 1024);
    assert_memory_equal(test_guest_ptr(&f->g, d2, 512), f->before + 2048, 512);

    memset(test_guest_ptr(&f->g, d0, 512), 0, 512);
    b[4].len = 1;
    b[4].gpa = status_byte(f);
    assert_int_equal(kick_one(f, test_vq_add_indirect(&f->q, b, 5)), 1537);
    assert_int_equal(guest_byte(f, b[4].gpa), VIRTIO_BLK_S_OK);
    assert_memory_equal(test_guest_ptr(&f->g, d0, 512), f->before + 512, 512);
}

static void blk_flush_reaches_fdatasync(void **state)
{
    struct fx *f = *state;

    assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(f->file.flushes, 1);
}

static void blk_get_id_returns_the_name_as_serial(void **state)
{
    struct fx *f = *state;
    uint64_t id = guest_data(f, VIRTIO_BLK_ID_BYTES, 0xff);
    const char want[VIRTIO_BLK_ID_BYTES] = "vda";
    uint32_t used;

    assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, true, &used),
                     VIRTIO_BLK_S_OK);
    assert_int_equal(used, VIRTIO_BLK_ID_BYTES + 1);
    assert_memory_equal(test_guest_ptr(&f->g, id, VIRTIO_BLK_ID_BYTES), want, sizeof(want));
}

/* Bytes [from, to) of the file are zero, and the rest as before. */
static void assert_zeroed(struct fx *f, size_t from, size_t to)
{
    memset(f->before + from, 0, to - from);
    assert_file_unchanged(f);
}

/* One discard/write-zeroes request with one segment (or @nseg copies). */
static uint8_t discard(struct fx *f, uint32_t type, uint64_t sector, uint32_t nr, uint32_t flags,
                       unsigned nseg)
{
    uint64_t seg = alloc(f, 16 * nseg);

    for (unsigned s = 0; s < nseg; s++) {
        uint8_t b[16];

        for (unsigned i = 0; i < 8; i++)
            b[i] = (uint8_t)(sector >> (8 * i));
        for (unsigned i = 0; i < 4; i++) {
            b[8 + i] = (uint8_t)(nr >> (8 * i));
            b[12 + i] = (uint8_t)(flags >> (8 * i));
        }
        test_guest_write(&f->g, seg + 16 * s, b, 16);
    }
    return request(f, type, 0, seg, 16 * nseg, false, NULL);
}

static void blk_discard_and_write_zeroes_read_back_zeroes(void **state)
{
    struct fx *f = *state;

    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 8, 8, 0, 1), VIRTIO_BLK_S_OK);
    assert_zeroed(f, 8 * 512, 16 * 512);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, 20, 3, 0, 1), VIRTIO_BLK_S_OK);
    assert_zeroed(f, 20 * 512, 23 * 512);
    assert_int_equal(
        discard(f, VIRTIO_BLK_T_WRITE_ZEROES, 60, 4, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, 1),
        VIRTIO_BLK_S_OK);
    assert_zeroed(f, 60 * 512, DISK_BYTES);
    assert_int_equal(f->file.discards, 1);
    assert_int_equal(f->file.write_zeroes, 2);
}

static void blk_refuses_bad_discard_segments(void **state)
{
    struct fx *f = *state;

    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, 1),
                     VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 2, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 2), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 60, 5, 0, 1), VIRTIO_BLK_S_IOERR);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX, 2, 0, 1),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 0, 0, false, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, alloc(f, 8), 8, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_file_unchanged(f);
}

static void blk_ro_refuses_writes_with_ioerr(void **state)
{
    struct fx *f = *state;
    uint64_t data = guest_data(f, 512, 0x11);
    uint32_t used;

    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, data, 512, false, &used), VIRTIO_BLK_S_IOERR);
    assert_int_equal(used, 1);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, data, 512, true, NULL), VIRTIO_BLK_S_OK);
    assert_file_unchanged(f);
    assert_int_equal(f->file.writes, 0);
}

/* ---------------------------------------------------------------- malformed requests */

static void blk_answers_malformed_requests_with_ioerr(void **state)
{
    struct fx *f = *state;
    uint64_t d = guest_data(f, 2048, 0x77);
    uint64_t hdr = header(f, VIRTIO_BLK_T_OUT, 0), st = status_byte(f);
    struct test_buf shorthdr[2] = {{hdr, 8, false}, {st, 1, true}};
    struct test_buf wrhdr[2] = {{hdr, 16, true}, {st, 1, true}};
    uint32_t used;

    assert_int_equal(kick_one(f, test_vq_add(&f->q, shorthdr, 2)), 1);
    assert_int_equal(guest_byte(f, st), VIRTIO_BLK_S_IOERR);
    assert_int_equal(kick_one(f, test_vq_add(&f->q, wrhdr, 2)), 1);
    assert_int_equal(guest_byte(f, st), VIRTIO_BLK_S_IOERR);
    /* not a multiple of 512; beyond the end; overflow; wrong direction */
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, d, 100, false, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, DISK_SECTORS, d, 512, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, d, 1024, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, UINT64_MAX, d, 512, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, (UINT64_MAX / 512) + 2, d, 1024, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, d, 512, true, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, d, 512, false, &used), VIRTIO_BLK_S_IOERR);
    assert_int_equal(used, 1);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, UINT64_MAX, d, 512, true, NULL),
                     VIRTIO_BLK_S_IOERR);
    for (unsigned i = 0; i < 2048; i++)
        assert_int_equal(guest_byte(f, d + i), 0x77); /* no IN wrote into it */
    assert_file_unchanged(f);
    assert_int_equal(device_status(f) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
    /* the last sector is still reachable */
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, d, 512, true, NULL),
                     VIRTIO_BLK_S_OK);
}

static void blk_answers_unknown_types_with_unsupp(void **state)
{
    struct fx *f = *state;
    const uint32_t types[] = {2, 3, 10, 14, 15, 0x80000001u};
    uint64_t d = guest_data(f, 512, 0x33);
    uint32_t used;

    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_int_equal(request(f, types[i], 0, d, 512, true, &used), VIRTIO_BLK_S_UNSUPP);
        assert_int_equal(used, 1);
    }
    assert_int_equal(guest_byte(f, d), 0x33);
    assert_file_unchanged(f);
}

static void blk_without_status_byte_needs_reset(void **state)
{
    struct fx *f = *state;
    uint64_t d = guest_data(f, 512, 0x44);
    struct test_buf b[2] = {{header(f, VIRTIO_BLK_T_OUT, 0), 16, false}, {d, 512, false}};
    uint32_t id, len;

    test_vq_add(&f->q, b, 2);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_false(test_vq_get_used(&f->q, &id, &len));
    assert_true(device_status(f) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(test_vmmio_read(&f->g, BASE, VIRTIO_MMIO_INTERRUPT_STATUS) &
                VIRTIO_MMIO_INT_CONFIG);
    assert_file_unchanged(f);
    /* after a reset the device works again */
    test_vmmio_bringup(&f->g, BASE, FEATURES, &f->q, 1, QNUM);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, d, 512, true, NULL), VIRTIO_BLK_S_OK);
    assert_memory_equal(test_guest_ptr(&f->g, d, 512), f->before, 512);
}

/* More data pieces than seg_max is IOERR; more buffers than the walker takes
 * is a virtqueue violation. Both through indirect tables. */
static void blk_refuses_oversized_chains(void **state)
{
    struct fx *f = *state;
    enum { N = VIRTQ_MAX_CHAIN + 1 };
    struct test_buf *b = calloc(N, sizeof(*b));
    uint64_t st = status_byte(f);
    uint64_t data = guest_data(f, 512 * (VIRTIO_BLK_SEG_MAX + 1), 0x66);
    uint32_t id, len;

    assert_non_null(b);
    b[0] = (struct test_buf){header(f, VIRTIO_BLK_T_OUT, 0), 16, false};
    for (unsigned i = 0; i <= VIRTIO_BLK_SEG_MAX; i++)
        b[1 + i] = (struct test_buf){data + 512 * i, 512, false};
    b[VIRTIO_BLK_SEG_MAX + 2] = (struct test_buf){st, 1, true};
    assert_int_equal(kick_one(f, test_vq_add_indirect(&f->q, b, VIRTIO_BLK_SEG_MAX + 3)), 1);
    assert_int_equal(guest_byte(f, st), VIRTIO_BLK_S_IOERR);
    assert_file_unchanged(f);

    for (unsigned i = 1; i < N - 1; i++)
        b[i] = (struct test_buf){data, 16, false};
    b[N - 1] = (struct test_buf){st, 1, true};
    test_vq_add_indirect(&f->q, b, N);
    test_vmmio_kick(&f->g, BASE, 0);
    assert_false(test_vq_get_used(&f->q, &id, &len));
    assert_true(device_status(f) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_file_unchanged(f);
    free(b);
}

/* ---------------------------------------------------------------- fake backend */

static void blk_fake_flush_and_get_id(void **state)
{
    struct fx *f = *state;
    uint64_t id = guest_data(f, 32, 0xff);
    uint32_t used;

    assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nr_ops, 1);
    assert_int_equal(f->ops[0], VMM_BLK_FLUSH);
    /* a serial longer than 20 bytes is cut; a short buffer gets what fits */
    assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, id, 32, true, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 21);
    assert_memory_equal(test_guest_ptr(&f->g, id, 20), "serial-0123456789abc", 20);
    assert_int_equal(guest_byte(f, id + 20), 0xff);
    assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, id, 4, true, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 5);
    assert_int_equal(f->nr_ops, 1); /* GET_ID never reaches the backend */
}

static void blk_is_write_through_without_flush_feature(void **state)
{
    struct fx *f = *state;
    uint64_t d = guest_data(f, 512, 1);

    test_vmmio_bringup(&f->g, BASE, FEATURES_NO_FLUSH, &f->q, 1, QNUM);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, d, 512, false, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nr_ops, 2);
    assert_int_equal(f->ops[0], VMM_BLK_WRITE);
    assert_int_equal(f->ops[1], VMM_BLK_FLUSH);
    /* with FLUSH negotiated, a write is just a write */
    test_vmmio_bringup(&f->g, BASE, FEATURES, &f->q, 1, QNUM);
    assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, d, 512, false, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(f->nr_ops, 3);
}

static void blk_reports_backend_errors_as_ioerr(void **state)
{
    struct fx *f = *state;
    uint64_t d = guest_data(f, 512, 0);
    uint32_t used;

    f->fake_status = -VMM_EIO;
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, d, 512, true, &used), VIRTIO_BLK_S_IOERR);
    assert_int_equal(used, 1);
    f->fake_status = 0;
    f->fake_refuse = -VMM_EINVAL;
    assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_IOERR);
}

static void blk_unsupp_discard_when_backend_cannot(void **state)
{
    struct fx *f = *state;

    assert_false(device_features(f) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
    assert_int_equal(discard(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 1), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(f->nr_ops, 0);
}

/* A backend's block_size (sDDF blk: 4 KiB) is what the guest reads as blk_size. */
static void blk_reports_backend_block_size(void **state)
{
    struct fx *f = *state;

    f->fake.block_size = 4096;
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_BLK_SIZE, 4), 4096);
    f->fake.block_size = 0;
    assert_int_equal(cfg(f, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
}

/* sector + length wrapping around 2^64 must not pass the range check. */
static void blk_rejects_sector_overflow_on_a_huge_disk(void **state)
{
    struct fx *f = *state;
    uint64_t d = guest_data(f, 1024, 0);

    f->fake.nr_sectors = UINT64_MAX;
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, UINT64_MAX - 1, d, 1024, true, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(discard(f, VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX - 1, 2, 0, 1),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->nr_ops, 0);
    assert_int_equal(request(f, VIRTIO_BLK_T_IN, UINT64_MAX - 2, d, 1024, true, NULL),
                     VIRTIO_BLK_S_OK);
    assert_int_equal(f->nr_ops, 1);
}

/* Later completions: in flight up to the slot limit, the rest resumes as
 * slots free up; a completion after a reset is dropped. */
static void blk_completes_asynchronously(void **state)
{
    struct fx *f = *state;
    enum { N = VIRTIO_BLK_MAX_INFLIGHT + 2 };
    uint64_t st[N];
    uint32_t id, len;

    f->fake_defer = true;
    for (unsigned i = 0; i < N; i++) {
        struct test_buf b[2] = {{header(f, VIRTIO_BLK_T_FLUSH, 0), 16, false},
                                {st[i] = status_byte(f), 1, true}};
        test_vq_add_indirect(&f->q, b, 2); /* one descriptor each */
    }
    test_vmmio_kick(&f->g, BASE, 0);
    assert_int_equal(f->nr_deferred, VIRTIO_BLK_MAX_INFLIGHT);
    assert_false(test_vq_get_used(&f->q, &id, &len));
    f->deferred[0]->complete(f->deferred[0], 0);
    assert_true(test_vq_get_used(&f->q, &id, &len));
    assert_int_equal(guest_byte(f, st[0]), VIRTIO_BLK_S_OK);
    assert_true(test_guest_irq(&f->g, LINE));
    assert_int_equal(f->nr_deferred, VIRTIO_BLK_MAX_INFLIGHT + 1); /* the stall resumed */
    f->deferred[1]->complete(f->deferred[1], 0);
    assert_int_equal(f->nr_deferred, N);
    /* reset: late completions must not touch the new rings */
    test_vmmio_bringup(&f->g, BASE, FEATURES, &f->q, 1, QNUM);
    for (unsigned i = 2; i < N; i++)
        f->deferred[i]->complete(f->deferred[i], 0);
    assert_false(test_vq_get_used(&f->q, &id, &len));
    assert_int_equal(guest_byte(f, st[N - 1]), NO_STATUS);
    f->fake_defer = false;
    assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
}

#define FILE_TEST(t) cmocka_unit_test_setup_teardown(t, setup_file, teardown)
#define RO_TEST(t) cmocka_unit_test_setup_teardown(t, setup_file_ro, teardown)
#define FAKE_TEST(t) cmocka_unit_test_setup_teardown(t, setup_fake, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FILE_TEST(blk_offers_features_and_config),
        RO_TEST(blk_ro_offers_ro_and_no_discard),
        FILE_TEST(blk_in_reads_the_file),
        FILE_TEST(blk_out_then_in_round_trips),
        FILE_TEST(blk_accepts_split_header_and_scattered_data),
        FILE_TEST(blk_flush_reaches_fdatasync),
        FILE_TEST(blk_get_id_returns_the_name_as_serial),
        FILE_TEST(blk_discard_and_write_zeroes_read_back_zeroes),
        FILE_TEST(blk_refuses_bad_discard_segments),
        RO_TEST(blk_ro_refuses_writes_with_ioerr),
        FILE_TEST(blk_answers_malformed_requests_with_ioerr),
        FILE_TEST(blk_answers_unknown_types_with_unsupp),
        FILE_TEST(blk_without_status_byte_needs_reset),
        FILE_TEST(blk_refuses_oversized_chains),
        FAKE_TEST(blk_fake_flush_and_get_id),
        FAKE_TEST(blk_is_write_through_without_flush_feature),
        FAKE_TEST(blk_reports_backend_errors_as_ioerr),
        FAKE_TEST(blk_reports_backend_block_size),
        cmocka_unit_test_setup_teardown(blk_unsupp_discard_when_backend_cannot,
                                        setup_fake_nodiscard, teardown),
        FAKE_TEST(blk_rejects_sector_overflow_on_a_huge_disk),
        FAKE_TEST(blk_completes_asynchronously),
    };

    test_log_capture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
