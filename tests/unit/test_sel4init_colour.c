/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's cache colouring (ports/sel4-init/colour.c, no seL4
 * dependency, compiled in as is), against a model of the kernel's retype:
 * every chunk of frames lands where the allocator says, every frame handed
 * out has a colour of its VM's set and is handed out once, no frame of a
 * wanted colour is lost (the count equals the supply computed beforehand),
 * and an impossible colouring is refused with a message naming VMs and
 * colours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../ports/sel4/sel4_fmt.c"
#include "../../ports/sel4-init/colour.c"
#include "../../ports/sel4-init/ut_alloc.c"

#define MEM_BASE 0x60000000ull
#define MEM_FRAMES ((0x71000000ull - MEM_BASE) >> 12)

/* The kernel's free index of each bootinfo untyped, and who owns each frame. */
static struct model {
    uint64_t paddr[SEL4INIT_MAX_UT], free[SEL4INIT_MAX_UT];
    unsigned bits[SEL4INIT_MAX_UT];
    uint8_t owner[MEM_FRAMES]; /* 0 free, 1 in a chunk, 2 handed out */
} m;
static struct sel4init_colour_alloc alloc;

static void model_init(const struct sel4init_ut_pool *p)
{
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < p->n; i++) {
        m.paddr[i] = p->ut[i].paddr;
        m.free[i] = p->ut[i].used;
        m.bits[i] = p->ut[i].size_bits;
    }
}

static uint8_t *owner(uint64_t pa)
{
    uint64_t fn = (pa - MEM_BASE) >> 12;

    assert_true(pa >= MEM_BASE && fn < MEM_FRAMES);
    return &m.owner[fn];
}

/* Retype chunk @c's frames from untyped @ut as the kernel does (each frame at
 * the free index rounded up to 4 KiB); they must be where the chunk says. */
static void model_chunk(unsigned ut, unsigned c)
{
    const struct sel4init_colour_chunk *ch = &alloc.chunk[c];

    assert_true(ch->n >= 1 && ch->n <= SEL4INIT_COLOUR_CHUNK_FRAMES);
    for (unsigned k = 0; k < ch->n; k++) {
        uint64_t start = (m.free[ut] + 0xfff) & ~0xfffull;

        assert_true(start + 0x1000 <= (1ull << m.bits[ut]));
        assert_int_equal(m.paddr[ut] + start, ch->paddr + ((uint64_t)k << 12));
        m.free[ut] = start + 0x1000;
        assert_int_equal(*owner(m.paddr[ut] + start), 0);
        *owner(m.paddr[ut] + start) = 1;
    }
}

/* Frames of @mask until none is left; every one checked. */
static uint64_t take_all(struct sel4init_ut_pool *p, uint64_t mask, unsigned nr)
{
    uint64_t frames = 0, pa;
    unsigned c, j, ut;
    int ret;

    for (unsigned steps = 0; steps < 1000000; steps++) {
        ret = sel4init_colour_take(&alloc, mask, &c, &j, &pa);
        if (ret == -VMM_ENOENT) {
            ret = sel4init_colour_grow(&alloc, p, mask, &ut, &c);
            if (ret == -VMM_ENOMEM)
                return frames;
            assert_int_equal(ret, 0);
            model_chunk(ut, c);
            continue;
        }
        assert_int_equal(ret, 0);
        assert_int_equal(pa, alloc.chunk[c].paddr + ((uint64_t)j << 12));
        assert_true(((mask >> sel4init_colour_of(pa, nr)) & 1) != 0);
        assert_int_equal(*owner(pa), 1);
        *owner(pa) = 2;
        frames++;
    }
    fail_msg("the allocator did not run out");
    return 0;
}

static void pool3(struct sel4init_ut_pool *p)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(sel4init_ut_add(p, MEM_BASE, 24, false), 0);   /* 16 MiB */
    assert_int_equal(sel4init_ut_add(p, 0x70000000, 22, false), 0); /* 4 MiB */
    assert_int_equal(sel4init_ut_add(p, 0x61000000, 20, false), 0); /* 1 MiB */
    assert_int_equal(sel4init_ut_add(p, 0x9000000, 12, true), 0);   /* device: never */
    p->ut[0].used = 0x2080; /* some kernel objects first: frames from 0x60003000 */
}

static void colour_geometry_and_format(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(sel4init_colours_nr(&(struct sel4init_llc){1 << 20, 16, 64}), 16);
    assert_int_equal(sel4init_colours_nr(&(struct sel4init_llc){2 << 20, 8, 64}), 64);
    assert_int_equal(sel4init_colours_nr(&(struct sel4init_llc){8 << 20, 2, 64}), 0);
    assert_int_equal(sel4init_colours_nr(&(struct sel4init_llc){1 << 20, 0, 64}), 0);
    assert_int_equal(sel4init_colours_nr(&(struct sel4init_llc){48 << 10, 16, 64}), 0);
    assert_int_equal(sel4init_colour_of(0x6000f000, 16), 15);
    assert_int_equal(sel4init_colour_of(0x60010000, 16), 0);
    assert_int_equal(sel4init_colour_of(0x60013fff, 16), 3);
    sel4init_colour_fmt(0x0f0full | (1ull << 13) | (1ull << 63), buf, sizeof(buf));
    assert_string_equal(buf, "0-3,8-11,13,63");
}

static void colour_set_colours_builds_the_mask(void **state)
{
    struct sel4init_system sys = {0};
    struct sel4init_vm vm = {0};

    (void)state;
    assert_int_equal(sel4init_set_colours(&sys, &vm, 8, 8), 0);
    assert_int_equal(vm.colours, 0xff00);
    assert_int_equal(sel4init_set_colours(&sys, &vm, 0, 2), 0);
    assert_int_equal(vm.colours, 0xff03);
    assert_int_equal(sel4init_set_colours(&sys, &vm, 60, 5), -VMM_ERANGE);
    assert_non_null(sys.error);
}

/* Two VMs with disjoint sets: every frame of each in its own set, none
 * lost; the second takes the frames the first's chunks left first. */
static void colour_two_disjoint_vms_get_every_frame_of_their_colours(void **state)
{
    struct sel4init_ut_pool p;
    uint64_t a_mask = 0x00ff, b_mask = 0xff00, supply_a, supply_b, pa;
    unsigned c, j, chunks;

    (void)state;
    pool3(&p);
    model_init(&p);
    sel4init_colour_init(&alloc, 16);
    supply_a = sel4init_colour_supply(&p, 16, a_mask);
    supply_b = sel4init_colour_supply(&p, 16, b_mask);
    /* 21 MiB - 12 KiB of frames, colours 0-7 12 KiB fewer (frames 0-2 used) */
    assert_int_equal(supply_a + supply_b, (21ull << 20) - 0x3000);
    assert_int_equal(supply_b - supply_a, 0x3000);
    assert_int_equal(take_all(&p, a_mask, 16) << 12, supply_a);
    chunks = alloc.n;
    assert_true(chunks > 0);
    /* vm-b's first frame comes from a chunk vm-a made, not a new one */
    assert_int_equal(sel4init_colour_take(&alloc, b_mask, &c, &j, &pa), 0);
    assert_true(c < chunks);
    assert_int_equal(*owner(pa), 1);
    *owner(pa) = 2;
    assert_int_equal((1 + take_all(&p, b_mask, 16)) << 12, supply_b);
    /* every frame of the pool was handed out, once */
    for (uint64_t f = 0; f < MEM_FRAMES; f++) {
        uint64_t a = MEM_BASE + (f << 12);
        bool in_pool = (a >= MEM_BASE + 0x3000 && a < MEM_BASE + (16 << 20)) ||
                       (a >= 0x70000000 && a < 0x70400000) || (a >= 0x61000000 && a < 0x61100000);

        assert_int_equal(m.owner[f], in_pool ? 2 : 0);
    }
}

/* Sets that start at unaligned colours and overlap others' leftovers. */
static void colour_odd_sets_lose_nothing(void **state)
{
    struct sel4init_ut_pool p;
    uint64_t s1, s2, s3;

    (void)state;
    pool3(&p);
    model_init(&p);
    sel4init_colour_init(&alloc, 16);
    s1 = sel4init_colour_supply(&p, 16, 0x0007);
    s2 = sel4init_colour_supply(&p, 16, 0xf000);
    s3 = sel4init_colour_supply(&p, 16, 0x0ff8);
    assert_int_equal(take_all(&p, 0x0007, 16) << 12, s1);
    assert_int_equal(take_all(&p, 0xf000, 16) << 12, s2);
    assert_int_equal(take_all(&p, 0x0ff8, 16) << 12, s3);
}

/* The chunk table bounds the memory swept; grow says so. */
static void colour_chunk_table_full(void **state)
{
    struct sel4init_ut_pool p = {0};
    unsigned ut, c;

    (void)state;
    assert_int_equal(sel4init_ut_add(&p, 0x100000000ull, 31, false), 0); /* 2 GiB */
    sel4init_colour_init(&alloc, 16);
    for (unsigned i = 0; i < SEL4INIT_COLOUR_MAX_CHUNKS; i++) {
        assert_int_equal(sel4init_colour_grow(&alloc, &p, 1, &ut, &c), 0);
        assert_int_equal(alloc.chunk[c].n, 256);
    }
    assert_int_equal(sel4init_colour_grow(&alloc, &p, 1, &ut, &c), -VMM_ENOSPC);
}

static void colour_refuses_an_empty_or_foreign_mask(void **state)
{
    struct sel4init_ut_pool p;
    unsigned c, j;
    uint64_t pa;

    (void)state;
    pool3(&p);
    sel4init_colour_init(&alloc, 16);
    assert_int_equal(sel4init_colour_take(&alloc, 0, &c, &j, &pa), -VMM_EINVAL);
    assert_int_equal(sel4init_colour_grow(&alloc, &p, 1ull << 20, &c, &j), -VMM_EINVAL);
}

static void two_vms(struct sel4init_system *sys, uint64_t ca, uint64_t cb)
{
    memset(sys, 0, sizeof(*sys));
    sys->name = "colour";
    sys->llc = (struct sel4init_llc){1 << 20, 16, 64};
    sys->nr_vms = 3;
    sys->vms[0] = (struct sel4init_vm){.name = "vm-a", .colours = ca};
    sys->vms[1] = (struct sel4init_vm){.name = "vm-b", .colours = cb};
    sys->vms[2] = (struct sel4init_vm){.name = "plain"};
}

static void colour_check_refuses_impossible_colourings(void **state)
{
    struct sel4init_ut_pool p;
    struct sel4init_system sys;
    char msg[300];
    /* pool3 holds 21 MiB - 12 KiB: colours 8-15 hold 10.5 MiB, 0-7 12 KiB less */
    uint64_t need[3] = {8 << 20, 8 << 20, 100 << 20};

    (void)state;
    pool3(&p);
    two_vms(&sys, 0x00ff, 0xff00);
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), 0);
    need[1] = 11 << 20;
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), -VMM_ENOMEM);
    assert_string_equal(msg, "vm-b needs 11264 KiB of memory in cache colours 8-15 of 16, the "
                             "free memory has 10752 KiB of those colours");
    /* each fits alone, not both in the same colours */
    need[1] = 8 << 20;
    two_vms(&sys, 0x00ff, 0x00ff);
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), -VMM_ENOMEM);
    assert_non_null(strstr(msg, "vm-a, vm-b need together 16384 KiB"));
    assert_non_null(strstr(msg, "colours 0-7 of 16"));
    two_vms(&sys, 0x00ff, 1ull << 16);
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), -VMM_ERANGE);
    assert_string_equal(msg, "vm-b has cache colours 16, but the llc has 16 colours (0-15)");
    two_vms(&sys, 0x00ff, 0xff00);
    sys.llc.ways = 0;
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), -VMM_EINVAL);
    assert_non_null(strstr(msg, "vm-a has cache colours, but the llc"));
    /* no coloured VM: nothing to check, whatever the llc */
    two_vms(&sys, 0, 0);
    sys.llc.ways = 0;
    assert_int_equal(sel4init_colour_check(&sys, need, &p, msg, sizeof(msg)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(colour_geometry_and_format),
        cmocka_unit_test(colour_set_colours_builds_the_mask),
        cmocka_unit_test(colour_two_disjoint_vms_get_every_frame_of_their_colours),
        cmocka_unit_test(colour_odd_sets_lose_nothing),
        cmocka_unit_test(colour_chunk_table_full),
        cmocka_unit_test(colour_refuses_an_empty_or_foreign_mask),
        cmocka_unit_test(colour_check_refuses_impossible_colourings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
