/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The payload stdvmm-boot carries (written by tools/sel4init/pack.py, which
 * must keep this layout): the seL4 kernel and the root task as regions to
 * copy to physical addresses, and the kernel's entry arguments. All fields
 * are little-endian 64-bit words; it starts at the first 4 KiB boundary
 * after the loader's _end.
 */
#ifndef STDVMM_SEL4INIT_PAYLOAD_H
#define STDVMM_SEL4INIT_PAYLOAD_H

#include <stdint.h>

#define BOOT_PAYLOAD_MAGIC 0x31544f4f424d4453ull /* "SDMBOOT1" */
#define BOOT_MAX_REGIONS 16

struct boot_region {
    uint64_t paddr;  /* where it goes */
    uint64_t filesz; /* bytes copied from the payload */
    uint64_t memsz;  /* filesz..memsz is zeroed */
    uint64_t offset; /* of the bytes, from the payload's start */
};

struct boot_payload {
    uint64_t magic;
    uint64_t size;           /* the whole payload, bytes */
    uint64_t kernel_entry;   /* virtual address of the kernel's _start */
    uint64_t kernel_voffset; /* kernel virtual - physical address */
    uint64_t ui_p_start;     /* root task image, physical [start, end) */
    uint64_t ui_p_end;
    int64_t pv_offset; /* root task physical - virtual address */
    uint64_t v_entry;  /* root task entry (virtual) */
    uint64_t nr_cores; /* the kernel's CONFIG_MAX_NUM_NODES */
    /* Where the DTB QEMU gave goes: between the kernel and the root task,
     * as the kernel wants its reserved regions in ascending order. */
    uint64_t dtb_paddr;
    uint64_t dtb_max;
    uint64_t nr_regions;
    struct boot_region regions[];
};

#endif
