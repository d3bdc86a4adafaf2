/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM program's ELF, as linked into stdvmm-init: its loadable segments
 * (bounds-checked against the image, below SEL4INIT_VMM_PROG_TOP) and entry.
 */
#include <stdint.h>
#include <string.h>
#include "elf.h"
#include "stdvmm/err.h"
#include "stdvmm/sel4init.h"

#define EM_AARCH64 183
#define PT_LOAD 1

static uint64_t rd(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int init_elf_parse(const unsigned char *img, size_t size, struct init_elf *out)
{
    uint64_t phoff, phentsize, phnum;

    memset(out, 0, sizeof(*out));
    if (size < 64 || memcmp(img, "\177ELF", 4) != 0 || img[4] != 2 || img[5] != 1 ||
        rd(img + 18, 2) != EM_AARCH64)
        return -VMM_ENOEXEC;
    out->entry = rd(img + 24, 8);
    phoff = rd(img + 32, 8);
    phentsize = rd(img + 54, 2);
    phnum = rd(img + 56, 2);
    if (phentsize < 56 || phoff > size || phnum > (size - phoff) / phentsize)
        return -VMM_ENOEXEC;
    for (uint64_t i = 0; i < phnum; i++) {
        const unsigned char *ph = img + phoff + i * phentsize;
        struct init_elf_seg *s;

        if (rd(ph, 4) != PT_LOAD || rd(ph + 40, 8) == 0)
            continue;
        if (out->nr_segs == INIT_ELF_MAX_SEGS)
            return -VMM_E2BIG;
        s = &out->segs[out->nr_segs++];
        s->offset = rd(ph + 8, 8);
        s->vaddr = rd(ph + 16, 8);
        s->filesz = rd(ph + 32, 8);
        s->memsz = rd(ph + 40, 8);
        if (s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset ||
            s->vaddr > SEL4INIT_VMM_PROG_TOP || s->memsz > SEL4INIT_VMM_PROG_TOP - s->vaddr)
            return -VMM_ENOEXEC;
        s->data = img + s->offset;
    }
    return out->nr_segs == 0 ? -VMM_ENOEXEC : 0;
}
