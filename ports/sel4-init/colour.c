/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm-init's cache colouring (colour.h): bookkeeping only. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../sel4/sel4_fmt.h"
#include "colour.h"
#include "stdvmm/err.h"

#define FRAME (1ull << SEL4INIT_FRAME_BITS)

static uint64_t all_colours(unsigned nr)
{
    return nr >= 64 ? ~0ull : (1ull << nr) - 1;
}

static unsigned popcount(uint64_t m)
{
    unsigned n = 0;

    for (; m != 0; m &= m - 1)
        n++;
    return n;
}

static uint64_t round_frame(uint64_t x)
{
    return (x + FRAME - 1) & ~(FRAME - 1);
}

unsigned sel4init_colours_nr(const struct sel4init_llc *llc)
{
    uint64_t way;

    if (llc->size == 0 || llc->ways == 0 || llc->line == 0 || llc->size % llc->ways != 0)
        return 0;
    way = llc->size / llc->ways;
    if (way % FRAME != 0 || way % llc->line != 0 || way / FRAME > SEL4INIT_MAX_COLOURS)
        return 0;
    return (unsigned)(way / FRAME);
}

unsigned sel4init_colour_of(uint64_t paddr, unsigned nr)
{
    return (unsigned)((paddr >> SEL4INIT_FRAME_BITS) % nr);
}

static bool in_mask(uint64_t frame, unsigned nr, uint64_t mask)
{
    return ((mask >> (frame % nr)) & 1) != 0;
}

int sel4init_set_colours(struct sel4init_system *sys, struct sel4init_vm *vm, unsigned first,
                         unsigned count)
{
    if (vm == NULL)
        return -VMM_EINVAL;
    if (count == 0 || first >= SEL4INIT_MAX_COLOURS || count > SEL4INIT_MAX_COLOURS - first) {
        sys->error = "cache colours outside 0..63 (sel4init_set_colours)";
        return -VMM_ERANGE;
    }
    vm->colours |= all_colours(count) << first;
    return 0;
}

void sel4init_colour_fmt(uint64_t mask, char *buf, size_t len)
{
    size_t at = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (unsigned c = 0; c < 64 && at < len; c++) {
        unsigned e = c;

        if (((mask >> c) & 1) == 0)
            continue;
        while (e + 1 < 64 && ((mask >> (e + 1)) & 1) != 0)
            e++;
        if (e == c)
            sel4_snprintf(buf + at, len - at, "%s%u", at != 0 ? "," : "", c);
        else
            sel4_snprintf(buf + at, len - at, "%s%u-%u", at != 0 ? "," : "", c, e);
        while (at < len && buf[at] != '\0')
            at++;
        c = e;
    }
}

/* Frames with a colour in @mask among frame numbers [lo, hi). */
static uint64_t frames_in(uint64_t lo, uint64_t hi, unsigned nr, uint64_t mask)
{
    uint64_t periods, n;

    if (hi <= lo)
        return 0;
    periods = (hi - lo) / nr;
    n = periods * popcount(mask & all_colours(nr));
    for (uint64_t f = lo + periods * nr; f < hi; f++)
        n += in_mask(f, nr, mask) ? 1 : 0;
    return n;
}

/* The free frame numbers [*lo, *hi) of a normal untyped; false if none. */
static bool ut_frames(const struct sel4init_ut *u, uint64_t *lo, uint64_t *hi)
{
    uint64_t size, off;

    if (u->device || u->size_bits < SEL4INIT_FRAME_BITS)
        return false;
    size = 1ull << u->size_bits;
    off = round_frame(u->used);
    if (off >= size)
        return false;
    *lo = (u->paddr + off) >> SEL4INIT_FRAME_BITS;
    *hi = (u->paddr + size) >> SEL4INIT_FRAME_BITS;
    return true;
}

uint64_t sel4init_colour_supply(const struct sel4init_ut_pool *p, unsigned nr, uint64_t mask)
{
    uint64_t sum = 0, lo, hi;

    if (nr == 0)
        return 0;
    for (unsigned i = 0; i < p->n; i++) {
        if (ut_frames(&p->ut[i], &lo, &hi))
            sum += frames_in(lo, hi, nr, mask);
    }
    return sum << SEL4INIT_FRAME_BITS;
}

void sel4init_colour_init(struct sel4init_colour_alloc *a, unsigned nr)
{
    a->nr = nr;
    a->n = 0;
    a->hint = 0;
    a->hint_mask = 0;
}

int sel4init_colour_take(struct sel4init_colour_alloc *a, uint64_t mask, unsigned *chunk,
                         unsigned *j, uint64_t *paddr)
{
    if (a->nr == 0 || (mask & all_colours(a->nr)) == 0)
        return -VMM_EINVAL;
    if (mask != a->hint_mask) {
        a->hint = 0;
        a->hint_mask = mask;
    }
    for (unsigned c = a->hint; c < a->n; c++) {
        struct sel4init_colour_chunk *ch = &a->chunk[c];
        uint64_t first = ch->paddr >> SEL4INIT_FRAME_BITS;

        for (unsigned k = 0; k < ch->n; k++) {
            if (((ch->taken[k / 64] >> (k % 64)) & 1) != 0 || !in_mask(first + k, a->nr, mask))
                continue;
            ch->taken[k / 64] |= 1ull << (k % 64);
            *chunk = c;
            *j = k;
            *paddr = ch->paddr + ((uint64_t)k << SEL4INIT_FRAME_BITS);
            return 0;
        }
        /* frames are only taken, never returned: nothing for @mask here any more */
        a->hint = c + 1;
    }
    return -VMM_ENOENT;
}

int sel4init_colour_grow(struct sel4init_colour_alloc *a, struct sel4init_ut_pool *p, uint64_t mask,
                         unsigned *ut, unsigned *chunk)
{
    unsigned best = p->n;
    uint64_t lo = 0, hi = 0, n, pa;
    int ret;

    if (a->nr == 0 || (mask & all_colours(a->nr)) == 0)
        return -VMM_EINVAL;
    if (a->n >= SEL4INIT_COLOUR_MAX_CHUNKS)
        return -VMM_ENOSPC;
    for (unsigned i = 0; i < p->n; i++) {
        if (!ut_frames(&p->ut[i], &lo, &hi))
            continue;
        n = hi - lo < SEL4INIT_COLOUR_CHUNK_FRAMES ? hi - lo : SEL4INIT_COLOUR_CHUNK_FRAMES;
        if (frames_in(lo, lo + n, a->nr, mask) == 0)
            continue;
        if (best == p->n || p->ut[i].size_bits < p->ut[best].size_bits)
            best = i;
    }
    if (best == p->n)
        return -VMM_ENOMEM;
    ut_frames(&p->ut[best], &lo, &hi);
    n = hi - lo < SEL4INIT_COLOUR_CHUNK_FRAMES ? hi - lo : SEL4INIT_COLOUR_CHUNK_FRAMES;
    /* n frames, one after the other: the free index moves as n retypes of one */
    for (uint64_t k = 0; k < n; k++) {
        ret = sel4init_ut_consume(p, best, SEL4INIT_FRAME_BITS, &pa);
        if (ret < 0)
            return ret;
    }
    a->chunk[a->n] =
        (struct sel4init_colour_chunk){.paddr = lo << SEL4INIT_FRAME_BITS, .n = (unsigned)n};
    *ut = best;
    *chunk = a->n++;
    return 0;
}

static int colour_fail(char *msg, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int colour_fail(char *msg, size_t len, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sel4_vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return err;
}

/* The names of the VMs in @set (bits over @idx[]) joined with ", ". */
static void vm_names(const struct sel4init_system *sys, const unsigned idx[], unsigned set,
                     char *buf, size_t len)
{
    size_t at = 0;

    buf[0] = '\0';
    for (unsigned j = 0; set >> j != 0 && at < len; j++) {
        if (((set >> j) & 1) == 0)
            continue;
        sel4_snprintf(buf + at, len - at, "%s%s", at != 0 ? ", " : "", sys->vms[idx[j]].name);
        while (at < len && buf[at] != '\0')
            at++;
    }
}

int sel4init_colour_check(const struct sel4init_system *sys, const uint64_t need[],
                          const struct sel4init_ut_pool *p, char *msg, size_t len)
{
    unsigned idx[SEL4INIT_MAX_VMS], k = 0, nr = sel4init_colours_nr(&sys->llc);
    char names[120], cols[120];

    if (len > 0)
        msg[0] = '\0';
    for (unsigned i = 0; i < sys->nr_vms && i < SEL4INIT_MAX_VMS; i++) {
        const struct sel4init_vm *vm = &sys->vms[i];

        if (vm->colours == 0)
            continue;
        if (nr == 0)
            return colour_fail(msg, len, -VMM_EINVAL,
                               "%s has cache colours, but the llc (%llu bytes, %u ways, %u-byte "
                               "lines) has none: its way size must be a multiple of 4 KiB and of "
                               "the line, at most 64 pages",
                               vm->name, (unsigned long long)sys->llc.size, sys->llc.ways,
                               sys->llc.line);
        if ((vm->colours & ~all_colours(nr)) != 0) {
            sel4init_colour_fmt(vm->colours, cols, sizeof(cols));
            return colour_fail(msg, len, -VMM_ERANGE,
                               "%s has cache colours %s, but the llc has %u colours (0-%u)",
                               vm->name, cols, nr, nr - 1);
        }
        idx[k++] = i;
    }
    /* Every group of coloured VMs, smallest groups first (Hall's condition). */
    for (unsigned size = 1; size <= k; size++) {
        for (unsigned set = 1; set < (1u << k); set++) {
            uint64_t mask = 0, sum = 0, have;

            if (popcount(set) != size)
                continue;
            for (unsigned j = 0; j < k; j++) {
                if (((set >> j) & 1) != 0) {
                    mask |= sys->vms[idx[j]].colours;
                    sum += need[idx[j]];
                }
            }
            have = sel4init_colour_supply(p, nr, mask);
            if (sum <= have)
                continue;
            vm_names(sys, idx, set, names, sizeof(names));
            sel4init_colour_fmt(mask, cols, sizeof(cols));
            return colour_fail(msg, len, -VMM_ENOMEM,
                               "%s need%s %llu KiB of memory in cache colours %s of %u, the free "
                               "memory has %llu KiB of those colours",
                               names, size == 1 ? "s" : " together",
                               (unsigned long long)(sum >> 10), cols, nr,
                               (unsigned long long)(have >> 10));
        }
    }
    return 0;
}
