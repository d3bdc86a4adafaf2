/* SPDX-License-Identifier: BSD-2-Clause */
/* The loadable segments of a VMM program's ELF (elf.c). */
#ifndef STDVMM_SEL4INIT_ELF_H
#define STDVMM_SEL4INIT_ELF_H

#include <stddef.h>
#include <stdint.h>

#define INIT_ELF_MAX_SEGS 8

struct init_elf_seg {
    uint64_t vaddr, filesz, memsz, offset;
    const unsigned char *data;
};

struct init_elf {
    uint64_t entry;
    unsigned nr_segs;
    struct init_elf_seg segs[INIT_ELF_MAX_SEGS];
};

/* Parse the AArch64 ELF64 @img; 0 or -VMM_ENOEXEC / -VMM_E2BIG. */
int init_elf_parse(const unsigned char *img, size_t size, struct init_elf *out);

#endif
