/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the attacking guest learns from its device tree, like a real guest:
 * where its RAM ends (the /memory node; stdvmm gives KVM runs 64 MiB and
 * the seL4 examples 256 MiB) and the values of attack.* words on the
 * command line (/chosen/bootargs). A small walk of the structure block
 * (devicetree specification 0.4, chapter 5), every offset bounded by the
 * blob's size; a DTB it cannot read leaves the defaults.
 */
#include "guest.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_MAX (1u << 20)
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

uint64_t guest_ram_end = GUEST_RAM_BASE + GUEST_RAM_DEFAULT;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static const uint8_t *fdt_blob(uint64_t dtb, uint32_t *size)
{
    const uint8_t *fdt = (const uint8_t *)(uintptr_t)dtb;

    /* RAM is mapped from its base for 1 GiB (start.S). */
    if (dtb < GUEST_RAM_BASE || dtb > GUEST_RAM_BASE + (1ull << 30) - FDT_MAX ||
        be32(fdt) != FDT_MAGIC)
        return NULL;
    *size = be32(fdt + 4);
    return *size <= FDT_MAX && *size >= 40 ? fdt : NULL;
}

/* Property @prop of the first node under the root whose name starts with
 * @node; NULL if there is none. Its length in *@len. */
static const uint8_t *fdt_prop(uint64_t dtb, const char *node, const char *prop, uint32_t *len)
{
    uint32_t size, off, strs, nstrs, depth = 0;
    const uint8_t *fdt = fdt_blob(dtb, &size);
    bool in_node = false;
    size_t nlen = strlen(node), plen = strlen(prop);

    if (fdt == NULL)
        return NULL;
    off = be32(fdt + 8);
    strs = be32(fdt + 12);
    nstrs = be32(fdt + 32);
    if (off >= size || strs >= size || nstrs > size - strs)
        return NULL;
    while (off <= size - 4) {
        uint32_t tok = be32(fdt + off);

        off += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)fdt + off;
            uint32_t n = 0;

            while (off + n < size && name[n] != '\0')
                n++;
            depth++;
            in_node = depth == 2 && n >= nlen && memcmp(name, node, nlen) == 0;
            off += (n + 4) & ~3u;
        } else if (tok == FDT_END_NODE) {
            if (depth == 0)
                return NULL;
            if (depth-- == 2)
                in_node = false;
        } else if (tok == FDT_PROP) {
            uint32_t vlen, name;

            if (off > size - 8)
                return NULL;
            vlen = be32(fdt + off);
            name = be32(fdt + off + 4);
            off += 8;
            if (vlen > size - off)
                return NULL;
            if (in_node && name < nstrs && nstrs - name > plen &&
                memcmp(fdt + strs + name, prop, plen + 1) == 0) {
                *len = vlen;
                return fdt + off;
            }
            off += (vlen + 3) & ~3u;
        } else if (tok != FDT_NOP) {
            return NULL; /* FDT_END or garbage */
        }
    }
    return NULL;
}

void fdt_read_memory(uint64_t dtb)
{
    uint32_t len = 0;
    const uint8_t *reg = fdt_prop(dtb, "memory", "reg", &len);
    uint64_t base, size;

    /* stdvmm's DTB: #address-cells = #size-cells = 2, RAM from the base. */
    if (reg == NULL || len < 16)
        return;
    base = be64(reg);
    size = be64(reg + 8);
    if (base == GUEST_RAM_BASE && size >= (1u << 20) && size <= (1ull << 30))
        guest_ram_end = base + size;
}

bool attack_arg(uint64_t dtb, const char *key, char *out, size_t max)
{
    uint32_t len = 0;
    const char *args = (const char *)fdt_prop(dtb, "chosen", "bootargs", &len);
    size_t klen = strlen(key);

    if (args == NULL || max == 0)
        return false;
    for (uint32_t i = 0; i + klen + 1 <= len; i++) {
        size_t n = 0;

        if ((i > 0 && args[i - 1] != ' ') || memcmp(args + i, key, klen) != 0 ||
            args[i + klen] != '=')
            continue;
        i += (uint32_t)klen + 1;
        while (i + n < len && args[i + n] != ' ' && args[i + n] != '\0' && n + 1 < max) {
            out[n] = args[i + n];
            n++;
        }
        out[n] = '\0';
        return true;
    }
    return false;
}

uint32_t attack_ipv4(uint64_t dtb, const char *key)
{
    char v[20];
    uint32_t ip = 0, part = 0;
    unsigned dots = 0, digits = 0;

    if (!attack_arg(dtb, key, v, sizeof(v)))
        return 0;
    for (const char *p = v;; p++) {
        if (*p >= '0' && *p <= '9' && digits < 3) {
            part = part * 10u + (uint32_t)(*p - '0');
            digits++;
        } else if ((*p == '.' || *p == '\0') && digits > 0 && part <= 255) {
            ip = ip << 8 | part;
            part = 0;
            digits = 0;
            if (*p == '\0')
                return dots == 3 ? ip : 0;
            dots++;
        } else {
            return 0;
        }
    }
}
