/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The block backend over an sDDF blk client (src/backends/sddf/blk.c, built
 * into this test as is) against a fake virtualiser: requests cut into
 * slot-sized pieces with the right blocks and data, completions only on the
 * virtualiser's response, FLUSH ordering, 4 KiB alignment and partition
 * bounds, read-only, and bogus indices and ids from the virtualiser. Built
 * here against tests/unit/sddf (a mirror of sDDF's queue layout) and, with
 * SDDF set, by tools/sel4gen/test_sel4gen.py against the real headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../src/backends/sddf/blk.c"

#define CAP 8u
#define SLOT 8192u
#define DATA (4 * SLOT)
#define DISK_BLOCKS 16u

struct fx {
    blk_req_queue_t *req;
    blk_resp_queue_t *resp;
    blk_storage_info_t info;
    uint8_t *data;
    struct vmm_sddf_blk b;
    unsigned notifies;
    struct vmm_blk_req reqs[40];
    int status[40];
    unsigned completed[40];
    struct vmm_blk_req *resubmit; /* submitted again from complete() */
    uint8_t guest[64 * 1024];
};

static struct fx *cur;

static void notify(void *ctx)
{
    ((struct fx *)ctx)->notifies++;
}

static void complete(struct vmm_blk_req *req, int status)
{
    struct fx *f = cur;
    size_t i = (size_t)(req - f->reqs);

    f->status[i] = status;
    f->completed[i]++;
    if (f->resubmit == req) {
        f->resubmit = NULL;
        req->op = VMM_BLK_FLUSH;
        assert_int_equal(f->b.backend.submit(f->b.backend.ctx, req), 0);
    }
}

static int setup_conn(void **state, bool read_only)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct vmm_sddf_blk_conn c;

    f->req = calloc(1, sizeof(blk_req_queue_t) + CAP * sizeof(blk_req_t));
    f->resp = calloc(1, sizeof(blk_resp_queue_t) + CAP * sizeof(blk_resp_t));
    f->data = aligned_alloc(4096, DATA);
    memset(f->data, 0, DATA);
    c = (struct vmm_sddf_blk_conn){.req_queue = f->req,
                                   .resp_queue = f->resp,
                                   .capacity = CAP,
                                   .storage_info = &f->info,
                                   .data = f->data,
                                   .data_size = DATA,
                                   .slot_size = SLOT,
                                   .read_only = read_only};
    assert_int_equal(vmm_sddf_blk_init(&f->b, &c, notify, f), 0);
    cur = f;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_conn(state, false);
}

static int setup_ro(void **state)
{
    return setup_conn(state, true);
}

static int teardown(void **state)
{
    struct fx *f = *state;

    free(f->req);
    free(f->resp);
    free(f->data);
    free(f);
    return 0;
}

static void publish(struct fx *f, uint64_t blocks, bool ro)
{
    f->info.capacity = blocks;
    f->info.read_only = ro;
    f->info.ready = true;
}

static int submit(struct fx *f, unsigned i, enum vmm_blk_op op, uint64_t sector,
                  struct vmm_iov *iov, unsigned nr_iov)
{
    f->reqs[i] = (struct vmm_blk_req){
        .op = op, .sector = sector, .iov = iov, .nr_iov = nr_iov, .complete = complete};
    return f->b.backend.submit(f->b.backend.ctx, &f->reqs[i]);
}

static unsigned queued(struct fx *f)
{
    return f->req->tail - f->req->head;
}

static blk_req_t take(struct fx *f)
{
    blk_req_t r;

    assert_true(queued(f) > 0);
    r = f->req->buffers[f->req->head % CAP];
    f->req->head++;
    return r;
}

static void respond(struct fx *f, uint32_t id, blk_resp_status_t st)
{
    f->resp->buffers[f->resp->tail % CAP] = (blk_resp_t){.status = st, .id = id};
    f->resp->tail++;
}

/* The layout blk.c relies on, identical in the mirror and in sDDF. */
static void sddf_layout_matches(void **state)
{
    (void)state;
    assert_int_equal(sizeof(blk_req_t), 32);
    assert_int_equal(offsetof(blk_req_t, io_or_offset), 8);
    assert_int_equal(offsetof(blk_req_t, count), 24);
    assert_int_equal(offsetof(blk_req_t, id), 28);
    assert_int_equal(sizeof(blk_resp_t), 12);
    assert_int_equal(offsetof(blk_resp_t, id), 8);
    assert_int_equal(offsetof(blk_req_queue_t, buffers), 16);
    assert_int_equal(offsetof(blk_resp_queue_t, buffers), 8);
    assert_int_equal(offsetof(blk_storage_info_t, ready), 65);
    assert_int_equal(offsetof(blk_storage_info_t, capacity), 80);
    assert_int_equal(BLK_REQ_FLUSH, 2);
}

static void refuses_until_ready_then_takes_capacity(void **state)
{
    struct fx *f = *state;
    struct vmm_iov iov = {f->guest, 4096};

    assert_int_equal(f->b.backend.block_size, 4096);
    assert_int_equal(f->b.backend.nr_sectors, 0);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &iov, 1), -VMM_EAGAIN);
    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &iov, 1), 0);
    assert_int_equal(f->b.backend.nr_sectors, DISK_BLOCKS * 8);
    assert_int_equal(queued(f), 1);
}

static void write_is_cut_into_slots_and_completes_on_response(void **state)
{
    struct fx *f = *state;
    /* 12 KiB in uneven pieces: two sDDF requests, 8 KiB + 4 KiB. */
    struct vmm_iov iov[3] = {{f->guest, 1000}, {f->guest + 1000, 9000}, {f->guest + 10000, 2288}};
    blk_req_t a, b;

    publish(f, DISK_BLOCKS, false);
    for (unsigned i = 0; i < 12288; i++)
        f->guest[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 16, iov, 3), 0);
    assert_int_equal(f->notifies, 0);
    vmm_sddf_blk_flush(&f->b);
    vmm_sddf_blk_flush(&f->b);
    assert_int_equal(f->notifies, 1); /* one notification for the batch */
    a = take(f);
    b = take(f);
    assert_int_equal(a.code, BLK_REQ_WRITE);
    assert_int_equal(a.block_number, 2); /* sector 16 */
    assert_int_equal(a.count, 2);
    assert_int_equal(b.block_number, 4);
    assert_int_equal(b.count, 1);
    assert_memory_equal(f->data + a.io_or_offset, f->guest, 8192);
    assert_memory_equal(f->data + b.io_or_offset, f->guest + 8192, 4096);
    respond(f, a.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 0);
    respond(f, b.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(f->status[0], 0);
    assert_int_equal(f->resp->head, 2);
}

static void read_copies_into_the_guest_across_pieces(void **state)
{
    struct fx *f = *state;
    struct vmm_iov iov[2] = {{f->guest, 512}, {f->guest + 20000, 8192 + 3584}};
    blk_req_t a, b;

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 8, iov, 2), 0);
    a = take(f);
    b = take(f);
    assert_int_equal(a.code, BLK_REQ_READ);
    assert_int_equal(a.block_number, 1);
    memset(f->data + a.io_or_offset, 0xa1, 8192);
    memset(f->data + b.io_or_offset, 0xb2, 4096);
    respond(f, b.id, BLK_RESP_OK); /* out of order */
    respond(f, a.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(f->status[0], 0);
    assert_int_equal(f->guest[0], 0xa1);
    assert_int_equal(f->guest[511], 0xa1);
    assert_int_equal(f->guest[20000 + 8192 - 512 - 1], 0xa1);
    assert_int_equal(f->guest[20000 + 8192 - 512], 0xb2);
    assert_int_equal(f->guest[20000 + 8192 + 3584 - 1], 0xb2);
    assert_int_equal(f->guest[20000 + 8192 + 3584], 0);
}

static void refuses_unaligned_and_out_of_partition(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096}, half = {f->guest, 2048};

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 1, &one, 1), -VMM_EINVAL);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &half, 1), -VMM_EINVAL);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, DISK_BLOCKS * 8, &one, 1), -VMM_ERANGE);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, UINT64_MAX - 7, &one, 1), -VMM_ERANGE);
    assert_int_equal(submit(f, 0, VMM_BLK_DISCARD, 0, NULL, 0), -VMM_ENOTSUP);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, NULL, 1), -VMM_EINVAL);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, DISK_BLOCKS * 8 - 8, &one, 1), 0); /* last block */
    assert_int_equal(queued(f), 1);
    assert_int_equal(f->b.refused, 6);
}

static void read_only_refuses_writes(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096};

    publish(f, DISK_BLOCKS, false);
    assert_true(f->b.backend.read_only);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &one, 1), -VMM_EPERM);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &one, 1), 0);
    assert_int_equal(queued(f), 1);
}

/* The virtualiser's storage info says read-only: writes refused too. */
static void published_read_only_refuses_writes(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096};

    publish(f, DISK_BLOCKS, true);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &one, 1), -VMM_EPERM);
    assert_int_equal(queued(f), 0);
}

static void flush_waits_for_older_and_blocks_newer(void **state)
{
    struct fx *f = *state;
    struct vmm_iov w = {f->guest, 4096}, r = {f->guest + 4096, 4096};
    blk_req_t a, fl, rd;

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &w, 1), 0);
    assert_int_equal(submit(f, 1, VMM_BLK_FLUSH, 0, NULL, 0), 0);
    assert_int_equal(submit(f, 2, VMM_BLK_READ, 8, &r, 1), 0);
    assert_int_equal(queued(f), 1); /* only the write */
    a = take(f);
    respond(f, a.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(queued(f), 1); /* now the flush, still not the read */
    fl = take(f);
    assert_int_equal(fl.code, BLK_REQ_FLUSH);
    respond(f, fl.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[1], 1);
    assert_int_equal(f->status[1], 0);
    assert_int_equal(f->b.flushes, 1);
    rd = take(f);
    assert_int_equal(rd.code, BLK_REQ_READ);
}

/* More pieces than slots: the rest goes out as responses free slots. */
static void slots_limit_requests_in_flight(void **state)
{
    struct fx *f = *state;
    struct vmm_iov big = {f->guest, 6 * SLOT};

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &big, 1), 0);
    assert_int_equal(queued(f), 4); /* 4 slots */
    for (unsigned i = 0; i < 4; i++)
        respond(f, take(f).id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 0);
    assert_int_equal(queued(f), 2);
    respond(f, take(f).id, BLK_RESP_OK);
    respond(f, take(f).id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(f->status[0], 0);
}

/* A device reset (backend.h cancel()): what was not sent completes at
 * once, cancelled; what is at the virtualiser sends no more pieces, writes
 * nothing into the guest when it is answered, and completes then; the
 * backend works on. */
static void reset_cancels_and_keeps_late_reads_out_of_the_guest(void **state)
{
    struct fx *f = *state;
    struct vmm_iov big = {f->guest, 6 * SLOT}, one = {f->guest + 60000, 4096};
    blk_req_t r[4];

    publish(f, DISK_BLOCKS, false);
    assert_non_null(f->b.backend.cancel);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &big, 1), 0);  /* 4 of 6 pieces out */
    assert_int_equal(submit(f, 1, VMM_BLK_FLUSH, 0, NULL, 0), 0); /* waits for 0 */
    for (unsigned i = 0; i < 4; i++) {
        r[i] = take(f);
        memset(f->data + r[i].io_or_offset, 0xa5, SLOT);
    }
    memset(f->guest, 0x11, 6 * SLOT);
    f->b.backend.cancel(f->b.backend.ctx);
    assert_int_equal(f->completed[0], 0); /* pieces at the virtualiser */
    assert_int_equal(f->completed[1], 1);
    assert_int_equal(f->status[1], -VMM_ECANCELED);
    for (unsigned i = 0; i < 4; i++)
        respond(f, r[i].id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(queued(f), 0); /* no more pieces */
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(f->status[0], -VMM_ECANCELED);
    for (unsigned i = 0; i < 6 * SLOT; i++)
        assert_int_equal(f->guest[i], 0x11);
    assert_int_equal(f->b.errors, 0);
    assert_int_equal(f->b.flushes, 0); /* the cancelled FLUSH is not one */
    /* a new request after the reset is served as usual */
    assert_int_equal(submit(f, 2, VMM_BLK_READ, 8, &one, 1), 0);
    r[0] = take(f);
    memset(f->data + r[0].io_or_offset, 0x5a, 4096);
    respond(f, r[0].id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[2], 1);
    assert_int_equal(f->status[2], 0);
    assert_int_equal(f->guest[60000], 0x5a);
}

static void error_fails_the_request_and_stops_its_pieces(void **state)
{
    struct fx *f = *state;
    struct vmm_iov big = {f->guest, 6 * SLOT};

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &big, 1), 0);
    respond(f, take(f).id, BLK_RESP_ERR_IO);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(queued(f), 3); /* nothing new after the error */
    for (unsigned i = 0; i < 3; i++)
        respond(f, take(f).id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(f->status[0], -VMM_EIO);
    assert_int_equal(queued(f), 0);
}

static void bogus_virtualiser_values_are_ignored(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096};
    blk_req_t a;

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_READ, 0, &one, 1), 0);
    a = take(f);
    respond(f, 63, BLK_RESP_OK);       /* no such slot */
    respond(f, a.id + 1, BLK_RESP_OK); /* a free slot */
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 0);
    assert_int_equal(f->b.bad_responses, 2);
    f->resp->tail += 1000; /* a tail far ahead: nothing read */
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 0);
    assert_int_equal(f->b.bad_responses, 3);
    f->resp->tail -= 1000;
    respond(f, a.id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    /* A request-queue head beyond our tail: queue nothing. */
    f->req->head = f->req->tail + 5;
    assert_int_equal(submit(f, 1, VMM_BLK_READ, 0, &one, 1), 0);
    assert_int_equal(f->req->tail, f->req->head - 5);
    f->req->head = f->req->tail;
}

static void capacity_overflow_is_refused(void **state)
{
    struct fx *f = *state;

    publish(f, UINT64_MAX / 4, false);
    assert_true(vmm_sddf_blk_ready(&f->b));
    assert_int_equal(f->b.backend.nr_sectors, 0);
}

static void too_many_requests_are_refused(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096};

    publish(f, DISK_BLOCKS, false);
    for (unsigned i = 0; i < VMM_SDDF_BLK_MAX_OPS; i++)
        assert_int_equal(submit(f, i, VMM_BLK_READ, 0, &one, 1), 0);
    assert_int_equal(submit(f, VMM_SDDF_BLK_MAX_OPS, VMM_BLK_READ, 0, &one, 1), -VMM_EBUSY);
}

/* The device submits a FLUSH from complete() (write-through): queued
 * within the handler and sent at its end. */
static void submit_from_complete_is_sent(void **state)
{
    struct fx *f = *state;
    struct vmm_iov one = {f->guest, 4096};

    publish(f, DISK_BLOCKS, false);
    assert_int_equal(submit(f, 0, VMM_BLK_WRITE, 0, &one, 1), 0);
    f->resubmit = &f->reqs[0];
    respond(f, take(f).id, BLK_RESP_OK);
    vmm_sddf_blk_notified(&f->b);
    assert_int_equal(f->completed[0], 1);
    assert_int_equal(take(f).code, BLK_REQ_FLUSH);
}

static void init_refuses_bad_connections(void **state)
{
    struct fx *f = *state;
    struct vmm_sddf_blk b;
    struct vmm_sddf_blk_conn c = f->b.conn;

    c.slot_size = 1000;
    assert_int_equal(vmm_sddf_blk_init(&b, &c, notify, f), -VMM_EINVAL);
    c = f->b.conn;
    c.data_size = 4096;
    assert_int_equal(vmm_sddf_blk_init(&b, &c, notify, f), -VMM_EINVAL);
    c = f->b.conn;
    c.capacity = 0;
    assert_int_equal(vmm_sddf_blk_init(&b, &c, notify, f), -VMM_EINVAL);
    c = f->b.conn;
    c.data = f->data + 512;
    assert_int_equal(vmm_sddf_blk_init(&b, &c, notify, f), -VMM_EINVAL);
    c = f->b.conn;
    assert_int_equal(vmm_sddf_blk_init(&b, &c, NULL, f), -VMM_EINVAL);
    c.capacity = 2; /* slots never exceed the response queue */
    assert_int_equal(vmm_sddf_blk_init(&b, &c, notify, f), 0);
    assert_int_equal(b.nr_slots, 2);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sddf_layout_matches),
        T(refuses_until_ready_then_takes_capacity),
        T(write_is_cut_into_slots_and_completes_on_response),
        T(read_copies_into_the_guest_across_pieces),
        T(refuses_unaligned_and_out_of_partition),
        cmocka_unit_test_setup_teardown(read_only_refuses_writes, setup_ro, teardown),
        T(published_read_only_refuses_writes),
        T(flush_waits_for_older_and_blocks_newer),
        T(slots_limit_requests_in_flight),
        T(error_fails_the_request_and_stops_its_pieces),
        T(reset_cancels_and_keeps_late_reads_out_of_the_guest),
        T(bogus_virtualiser_values_are_ignored),
        T(capacity_overflow_is_refused),
        T(too_many_requests_are_refused),
        T(submit_from_complete_is_sent),
        T(init_refuses_bad_connections),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
