/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's control interface without seL4 (ports/sel4-init/ctl_proto.c
 * and ctl_acct.c, compiled in as is): decoding of hostile requests, the
 * rights of a badge, the VM state machine, and the per-VM chunk accounting
 * that makes create/destroy leave the free untyped byte count unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../ports/sel4-init/ut_alloc.c"
#include "../../ports/sel4-init/ctl_acct.c"
#include "../../ports/sel4-init/ctl_proto.c"

#define ADMIN SEL4INIT_CTL_BADGE(SEL4INIT_CTL_RIGHT_ADMIN, 0)
#define VIEW SEL4INIT_CTL_BADGE(SEL4INIT_CTL_RIGHT_VIEW, 1)

static void good_create(struct sel4init_ctl_create *c)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->name, "vm-1");
    strcpy(c->program, "tiny_vmm");
    c->ram_size = 16ull << 20;
    c->nr_vcpus = 2;
    c->vcpus[0] = (struct sel4init_vcpu){.core = 1, .priority = 100};
    c->vcpus[1] =
        (struct sel4init_vcpu){.core = 2, .priority = 99, .budget_us = 3000, .period_us = 10000};
    c->vmm_core = SEL4INIT_CTL_CORE_ANY;
    c->vmm_priority = 254;
}

static void ctl_create_round_trips(void **state)
{
    struct sel4init_ctl_create c;
    struct sel4init_ctl_req r;
    uint64_t mr[SEL4INIT_CTL_MAX_MR];
    int len;

    (void)state;
    good_create(&c);
    len = sel4init_ctl_encode_create(&c, mr);
    assert_int_equal(len, 8);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_CREATE, mr, (unsigned)len, ADMIN, &r), 0);
    assert_int_equal(r.op, SEL4INIT_CTL_CREATE);
    assert_string_equal(r.create.name, "vm-1");
    assert_string_equal(r.create.program, "tiny_vmm");
    assert_int_equal(r.create.ram_size, 16ull << 20);
    assert_int_equal(r.create.nr_vcpus, 2);
    assert_int_equal(r.create.vcpus[1].core, 2);
    assert_int_equal(r.create.vcpus[1].priority, 99);
    assert_int_equal(r.create.vcpus[1].budget_us, 3000);
    assert_int_equal(r.create.vcpus[1].period_us, 10000);
    assert_int_equal(r.create.vmm_core, SEL4INIT_CTL_CORE_ANY);
    assert_int_equal(r.create.vmm_priority, 254);
}

static void ctl_rights_come_from_the_badge(void **state)
{
    struct sel4init_ctl_create c;
    struct sel4init_ctl_req r;
    uint64_t mr[SEL4INIT_CTL_MAX_MR] = {0};
    int len;

    (void)state;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_INFO, mr, 0, VIEW, &r), 0);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_LIST, mr, 1, VIEW, &r), 0);
    for (unsigned op = SEL4INIT_CTL_START; op <= SEL4INIT_CTL_CAPS; op++) {
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, VIEW, &r), -VMM_EPERM);
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, ADMIN, &r), 0);
    }
    good_create(&c);
    len = sel4init_ctl_encode_create(&c, mr);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_CREATE, mr, (unsigned)len, VIEW, &r),
                     -VMM_EPERM);
    /* no rights bits (an unbadged capability), or a fault badge */
    for (unsigned op = 1; op < SEL4INIT_CTL_NR_OPS; op++) {
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, 0, &r), -VMM_EPERM);
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, SEL4INIT_CTL_BADGE(0, 3), &r), -VMM_EPERM);
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, ADMIN | SEL4INIT_CTL_BADGE_FAULT, &r),
                         -VMM_EPERM);
    }
    assert_int_equal(sel4init_ctl_decode(0, mr, 0, ADMIN, &r), -VMM_ENOSYS);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_NR_OPS, mr, 0, ADMIN, &r), -VMM_ENOSYS);
    assert_int_equal(sel4init_ctl_decode(1ull << 40, mr, 0, ADMIN, &r), -VMM_ENOSYS);
}

static void ctl_lengths_and_ids_are_exact(void **state)
{
    struct sel4init_ctl_req r;
    uint64_t mr[SEL4INIT_CTL_MAX_MR] = {0};

    (void)state;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_INFO, mr, 1, ADMIN, &r), -VMM_EINVAL);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_LIST, mr, 0, ADMIN, &r), -VMM_EINVAL);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_LIST, mr, 2, ADMIN, &r), -VMM_EINVAL);
    mr[0] = SEL4INIT_MAX_VMS;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_LIST, mr, 1, ADMIN, &r), -VMM_EINVAL);
    mr[0] = SEL4INIT_MAX_VMS - 1;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_LIST, mr, 1, ADMIN, &r), 0);
    assert_int_equal(r.index, SEL4INIT_MAX_VMS - 1);
    for (unsigned op = SEL4INIT_CTL_START; op <= SEL4INIT_CTL_CAPS; op++) {
        mr[0] = 0x305;
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, ADMIN, &r), 0);
        assert_int_equal(r.id, 0x305);
        assert_int_equal(sel4init_ctl_decode(op, mr, 0, ADMIN, &r), -VMM_EINVAL);
        assert_int_equal(sel4init_ctl_decode(op, mr, 2, ADMIN, &r), -VMM_EINVAL);
        mr[0] = 1ull << 32;
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, ADMIN, &r), -VMM_EINVAL);
        mr[0] = 0x100 | SEL4INIT_MAX_VMS; /* table index out of range */
        assert_int_equal(sel4init_ctl_decode(op, mr, 1, ADMIN, &r), -VMM_EINVAL);
    }
}

static void ctl_move_names_a_device_and_a_vm_or_nobody(void **state)
{
    struct sel4init_ctl_req r;
    uint64_t mr[SEL4INIT_CTL_MAX_MR] = {0};

    (void)state;
    mr[0] = SEL4INIT_MAX_DEVICES - 1;
    mr[1] = 0x201;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, VIEW, &r), -VMM_EPERM);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, ADMIN, &r), 0);
    assert_int_equal(r.device, SEL4INIT_MAX_DEVICES - 1);
    assert_int_equal(r.id, 0x201);
    mr[1] = SEL4INIT_CTL_NOBODY;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, ADMIN, &r), 0);
    assert_int_equal(r.id, SEL4INIT_CTL_NOBODY);
    /* exact length, device and VM index in range, id in 32 bits */
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 1, ADMIN, &r), -VMM_EINVAL);
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 3, ADMIN, &r), -VMM_EINVAL);
    mr[0] = SEL4INIT_MAX_DEVICES;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, ADMIN, &r), -VMM_EINVAL);
    mr[0] = 0;
    mr[1] = 0x100 | SEL4INIT_MAX_VMS;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, ADMIN, &r), -VMM_EINVAL);
    mr[1] = 1ull << 32;
    assert_int_equal(sel4init_ctl_decode(SEL4INIT_CTL_MOVE, mr, 2, ADMIN, &r), -VMM_EINVAL);
    assert_string_equal(sel4init_ctl_op_name(SEL4INIT_CTL_MOVE), "move");
}

/* Decode @mr as a CREATE of @len words. */
static int create(const uint64_t *mr, unsigned len)
{
    struct sel4init_ctl_req r;

    return sel4init_ctl_decode(SEL4INIT_CTL_CREATE, mr, len, ADMIN, &r);
}

static void ctl_create_refuses_every_bad_field(void **state)
{
    struct sel4init_ctl_create c;
    uint64_t mr[SEL4INIT_CTL_MAX_MR + 4], m[SEL4INIT_CTL_MAX_MR + 4];
    static const uint8_t bad_chars[] = {'A', '/', ' ', '.', 0x80, 0xff, 1};
    int len;

    (void)state;
    good_create(&c);
    len = sel4init_ctl_encode_create(&c, mr);
    assert_int_equal(create(mr, (unsigned)len), 0);
    /* length: no vCPU, more than SEL4INIT_MAX_VCPUS */
    assert_int_equal(create(mr, 6), -VMM_EINVAL);
    memcpy(m, mr, sizeof(mr));
    for (unsigned i = 8; i < SEL4INIT_CTL_MAX_MR + 1; i++)
        m[i] = m[6];
    assert_int_equal(create(m, SEL4INIT_CTL_MAX_MR), 0);
    assert_int_equal(create(m, SEL4INIT_CTL_MAX_MR + 1), -VMM_EINVAL);
    /* names: each bad character at each position of both names */
    for (unsigned w = 0; w < 4; w += 2) {
        for (unsigned pos = 0; pos < 4; pos++) {
            for (unsigned k = 0; k < sizeof(bad_chars); k++) {
                memcpy(m, mr, sizeof(mr));
                m[w] &= ~(0xffull << (8 * pos));
                m[w] |= (uint64_t)bad_chars[k] << (8 * pos);
                assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
            }
        }
        memcpy(m, mr, sizeof(mr));
        m[w] = 0; /* empty */
        assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
        m[w] = 0x6161616161616161ull; /* 16 letters: no terminating NUL */
        m[w + 1] = 0x6161616161616161ull;
        assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
        m[w + 1] = 0x0061616161616161ull; /* 15 letters: fine */
        assert_int_equal(create(m, (unsigned)len), 0);
        m[w] = 0x61;
        m[w + 1] = 0x6100000000000000ull; /* bytes after the NUL */
        assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
    }
    /* RAM: zero, not 2 MiB aligned, too big */
    static const uint64_t bad_ram[] = {0, 4096, (2ull << 20) + 1, SEL4INIT_CTL_MAX_RAM * 2, ~0ull};
    for (unsigned k = 0; k < sizeof(bad_ram) / sizeof(bad_ram[0]); k++) {
        memcpy(m, mr, sizeof(mr));
        m[4] = bad_ram[k];
        assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
    }
    /* VMM word: reserved bits, priority 0 or above the maximum */
    static const uint64_t bad_vmm[] = {1ull << 16, 1ull << 63, 0x00ff, 0xff00 | 1, 0};
    for (unsigned k = 0; k < sizeof(bad_vmm) / sizeof(bad_vmm[0]); k++) {
        memcpy(m, mr, sizeof(mr));
        m[5] = bad_vmm[k];
        assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
    }
    /* vCPU word: priority 0, not below the VMM's, core "any" */
    memcpy(m, mr, sizeof(mr));
    m[6] = 1;
    assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
    m[6] = 1 | (254u << 8);
    assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
    m[6] = 0xff | (100u << 8);
    assert_int_equal(create(m, (unsigned)len), -VMM_EINVAL);
}

static void ctl_encode_refuses_what_it_cannot_carry(void **state)
{
    struct sel4init_ctl_create c;
    uint64_t mr[SEL4INIT_CTL_MAX_MR];

    (void)state;
    good_create(&c);
    memcpy(c.name, "abcdefghijklmnop", 16); /* no NUL */
    assert_int_equal(sel4init_ctl_encode_create(&c, mr), -VMM_EINVAL);
    good_create(&c);
    c.nr_vcpus = 0;
    assert_int_equal(sel4init_ctl_encode_create(&c, mr), -VMM_EINVAL);
    good_create(&c);
    c.vcpus[0].budget_us = 1ull << 24;
    assert_int_equal(sel4init_ctl_encode_create(&c, mr), -VMM_ERANGE);
}

static void ctl_states_move_as_documented(void **state)
{
    unsigned next;
    bool fresh;

    (void)state;
    assert_int_equal(
        sel4init_ctl_next_state(SEL4INIT_VM_CREATED, SEL4INIT_CTL_START, &next, &fresh), 0);
    assert_int_equal(next, SEL4INIT_VM_RUNNING);
    assert_false(fresh);
    assert_int_equal(
        sel4init_ctl_next_state(SEL4INIT_VM_RUNNING, SEL4INIT_CTL_START, &next, &fresh),
        -VMM_EBUSY);
    assert_int_equal(sel4init_ctl_next_state(SEL4INIT_VM_RUNNING, SEL4INIT_CTL_STOP, &next, &fresh),
                     0);
    assert_int_equal(next, SEL4INIT_VM_STOPPED);
    assert_int_equal(sel4init_ctl_next_state(SEL4INIT_VM_STOPPED, SEL4INIT_CTL_STOP, &next, &fresh),
                     -VMM_EBUSY);
    assert_int_equal(
        sel4init_ctl_next_state(SEL4INIT_VM_STOPPED, SEL4INIT_CTL_START, &next, &fresh), 0);
    assert_true(fresh); /* a stopped VM starts from scratch */
    assert_int_equal(
        sel4init_ctl_next_state(SEL4INIT_VM_RUNNING, SEL4INIT_CTL_RESTART, &next, &fresh), 0);
    assert_true(fresh);
    assert_int_equal(next, SEL4INIT_VM_RUNNING);
    assert_int_equal(
        sel4init_ctl_next_state(SEL4INIT_VM_STOPPED, SEL4INIT_CTL_DESTROY, &next, &fresh), 0);
    assert_int_equal(next, SEL4INIT_VM_FREE);
    for (unsigned op = SEL4INIT_CTL_START; op < SEL4INIT_CTL_NR_OPS; op++)
        assert_int_equal(sel4init_ctl_next_state(SEL4INIT_VM_FREE, op, &next, &fresh), -VMM_ENOENT);
    assert_int_equal(sel4init_ctl_next_state(77, SEL4INIT_CTL_DESTROY, &next, &fresh), -VMM_ENOENT);
}

static void ctl_vm_info_round_trips(void **state)
{
    struct sel4init_ctl_vm_info a = {.id = 0x1203,
                                     .state = SEL4INIT_VM_RUNNING,
                                     .nr_vcpus = 2,
                                     .vmm_core = 3,
                                     .vcpu_cores = 0xc,
                                     .ram_size = 128ull << 20,
                                     .ut_bytes = 256ull << 20,
                                     .ut_used = 170ull << 20},
                                b;
    uint64_t mr[8];

    (void)state;
    strcpy(a.name, "linux-1");
    sel4init_ctl_encode_info(&a, mr);
    sel4init_ctl_decode_info(mr, &b);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void chunk_sizes_and_pieces(void **state)
{
    uint64_t off[SEL4INIT_CHUNK_MAX_PIECES], sum = 0;
    unsigned bits[SEL4INIT_CHUNK_MAX_PIECES], n;

    (void)state;
    assert_int_equal(sel4init_chunk_bits(0), 22);
    assert_int_equal(sel4init_chunk_bits(2ull << 20), 22);
    assert_int_equal(sel4init_chunk_bits((2ull << 20) + 1), 23);
    assert_int_equal(sel4init_chunk_bits(158ull << 20), 28);
    assert_int_equal(sel4init_chunk_bits(1ull << 60), 0);
    n = sel4init_chunk_split(24, off, bits);
    assert_int_equal(n, 5); /* 8, 4, 2 MiB and 2 x 1 MiB */
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(off[i], sum);
        assert_int_equal(off[i] & ((1ull << bits[i]) - 1), 0); /* aligned to its size */
        sum += 1ull << bits[i];
    }
    assert_int_equal(sum, 1ull << 24);
    assert_int_equal(sel4init_chunk_split(47, off, bits), 28);
    assert_int_equal(sel4init_chunk_split(21, off, bits), 0);
}

/* A pool like QEMU virt's with 2 GiB: a used untyped (the boot objects),
 * free ones of several sizes, a device untyped. */
static void pool(struct sel4init_ut_pool *p)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(sel4init_ut_add(p, 0x60800000, 23, false), 0);
    p->ut[0].used = 0x123000;
    assert_int_equal(sel4init_ut_add(p, 0x61000000, 24, false), 0);
    assert_int_equal(sel4init_ut_add(p, 0x80000000, 30, false), 0);
    assert_int_equal(sel4init_ut_add(p, 0x9000000, 12, true), 0);
}

static void chunks_100_cycles_leave_the_free_count_unchanged(void **state)
{
    struct sel4init_ut_pool p;
    struct sel4init_chunks cs;
    unsigned rel[SEL4INIT_MAX_CHUNKS], ci;
    uint64_t free0;
    bool carved;
    int reset;

    (void)state;
    pool(&p);
    sel4init_chunks_init(&cs, &p);
    free0 = sel4init_chunks_free_bytes(&cs, &p);
    assert_int_equal(free0, (1ull << 23) - 0x123000 + (1ull << 24) + (1ull << 30));
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(sel4init_chunk_take(&cs, &p, 23, &ci, &carved), 0);
        assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0 - (1ull << 23));
        /* the only chunk of an untyped nothing else used: it is reset each time */
        assert_true(carved);
        assert_int_equal(cs.c[ci].parent, 1);
        assert_int_equal(sel4init_chunk_give(&cs, &p, ci, rel, &reset), 1);
        assert_int_equal(rel[0], ci);
        assert_int_equal(reset, 1);
        assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0);
    }
    assert_int_equal(p.ut[1].used, 0);
    /* giving twice, or a chunk never taken, changes nothing */
    assert_int_equal(sel4init_chunk_give(&cs, &p, ci, rel, &reset), 0);
    assert_int_equal(sel4init_chunk_give(&cs, &p, SEL4INIT_MAX_CHUNKS, rel, &reset), 0);
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0);
}

static void chunks_of_a_shared_untyped_wait_for_each_other(void **state)
{
    struct sel4init_ut_pool p;
    struct sel4init_chunks cs;
    unsigned rel[SEL4INIT_MAX_CHUNKS], a, b, c;
    uint64_t free0;
    bool carved;
    int reset;

    (void)state;
    pool(&p);
    sel4init_chunks_init(&cs, &p);
    free0 = sel4init_chunks_free_bytes(&cs, &p);
    assert_int_equal(sel4init_chunk_take(&cs, &p, 26, &a, &carved), 0); /* 64 MiB */
    assert_int_equal(sel4init_chunk_take(&cs, &p, 28, &b, &carved), 0); /* 256 MiB */
    assert_int_equal(cs.c[a].parent, 2);
    assert_int_equal(cs.c[b].parent, 2);
    /* a at 0x80000000, b aligned up to 0x90000000: 192 MiB of padding */
    assert_int_equal(cs.c[b].paddr, 0x90000000);
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0 - (512ull << 20));
    /* a is free but b still holds the untyped: a stays as a free chunk */
    assert_int_equal(sel4init_chunk_give(&cs, &p, a, rel, &reset), 0);
    assert_int_equal(reset, -1);
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0 - (448ull << 20));
    /* the next 64 MiB VM gets a again */
    assert_int_equal(sel4init_chunk_take(&cs, &p, 26, &c, &carved), 0);
    assert_int_equal(c, a);
    assert_false(carved);
    assert_int_equal(sel4init_chunk_give(&cs, &p, c, rel, &reset), 0);
    assert_int_equal(sel4init_chunk_give(&cs, &p, b, rel, &reset), 2);
    assert_int_equal(reset, 2);
    assert_int_equal(p.ut[2].used, 0);
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0);
}

static void chunks_of_a_pinned_untyped_are_reused_not_reset(void **state)
{
    struct sel4init_ut_pool p;
    struct sel4init_chunks cs;
    unsigned rel[SEL4INIT_MAX_CHUNKS], a, b;
    uint64_t free0;
    bool carved;
    int reset;

    (void)state;
    pool(&p);
    p.ut[1].used = 0x1000; /* now every untyped that fits 4 MiB is in use */
    p.ut[2].used = 0x1000;
    sel4init_chunks_init(&cs, &p);
    free0 = sel4init_chunks_free_bytes(&cs, &p);
    assert_int_equal(sel4init_chunk_take(&cs, &p, 22, &a, &carved), 0);
    assert_true(carved);
    assert_int_equal(cs.c[a].parent, 0); /* the least padding: 0x2dd000 */
    assert_int_equal(sel4init_chunk_give(&cs, &p, a, rel, &reset), 0);
    assert_int_equal(reset, -1);
    /* that padding stays used in the pinned untyped; the chunk is free */
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0 - 0x2dd000);
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(sel4init_chunk_take(&cs, &p, 22, &b, &carved), 0);
        assert_int_equal(b, a);
        assert_false(carved);
        assert_int_equal(sel4init_chunk_give(&cs, &p, b, rel, &reset), 0);
    }
    assert_int_equal(sel4init_chunks_free_bytes(&cs, &p), free0 - 0x2dd000);
}

static void chunks_run_out_cleanly(void **state)
{
    struct sel4init_ut_pool p;
    struct sel4init_chunks cs;
    unsigned ci, n = 0;
    bool carved;
    int ret;

    (void)state;
    pool(&p);
    sel4init_chunks_init(&cs, &p);
    assert_int_equal(sel4init_chunk_take(&cs, &p, 21, &ci, &carved), -VMM_EINVAL);
    assert_int_equal(sel4init_chunk_take(&cs, &p, 31, &ci, &carved), -VMM_ENOMEM);
    while ((ret = sel4init_chunk_take(&cs, &p, 22, &ci, &carved)) == 0)
        n++;
    assert_int_equal(ret, -VMM_ENOSPC); /* the table is full first */
    assert_int_equal(n, SEL4INIT_MAX_CHUNKS);
    sel4init_chunk_untake(&cs, &p, ci, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ctl_create_round_trips),
        cmocka_unit_test(ctl_rights_come_from_the_badge),
        cmocka_unit_test(ctl_lengths_and_ids_are_exact),
        cmocka_unit_test(ctl_move_names_a_device_and_a_vm_or_nobody),
        cmocka_unit_test(ctl_create_refuses_every_bad_field),
        cmocka_unit_test(ctl_encode_refuses_what_it_cannot_carry),
        cmocka_unit_test(ctl_states_move_as_documented),
        cmocka_unit_test(ctl_vm_info_round_trips),
        cmocka_unit_test(chunk_sizes_and_pieces),
        cmocka_unit_test(chunks_100_cycles_leave_the_free_count_unchanged),
        cmocka_unit_test(chunks_of_a_shared_untyped_wait_for_each_other),
        cmocka_unit_test(chunks_of_a_pinned_untyped_are_reused_not_reset),
        cmocka_unit_test(chunks_run_out_cleanly),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
