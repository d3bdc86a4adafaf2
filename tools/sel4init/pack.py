#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Pack stdvmm-boot, an seL4 kernel and a root task into one bootable ELF.

    pack.py --loader boot.elf --kernel kernel.elf --root-task init.elf \
            --cores 4 -o image.elf

The image holds the loader's own segments and, at the first 4 KiB boundary
after the loader's end, the payload that ports/sel4-init/boot/payload.h
describes: the kernel's segments at their physical addresses, the root
task's segments right after the kernel (physical = virtual + pv_offset),
and the kernel's entry arguments. QEMU loads it with
-device loader,file=image.elf,cpu-num=0 (or -kernel image.elf).
Python standard library only.
"""
import argparse
import struct
import sys

MAGIC = 0x31544F4F424D4453  # "SDMBOOT1", payload.h
MAX_REGIONS = 16
DTB_MAX = 1 << 20  # room for QEMU's DTB between the kernel and the root task
PAGE = 0x1000
PT_LOAD = 1


class PackError(Exception):
    pass


def align_up(v, a):
    return (v + a - 1) & ~(a - 1)


def read_elf(path):
    """(entry, [(vaddr, paddr, filesz, memsz, data)]) of an AArch64 ELF64."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] != b"\x7fELF" or blob[4] != 2 or blob[5] != 1:
        raise PackError(f"{path}: not a little-endian ELF64 file")
    (e_type, e_machine, _, e_entry, e_phoff, _, _, _, e_phentsize, e_phnum) = struct.unpack_from(
        "<HHIQQQIHHH", blob, 16)
    if e_machine != 183:
        raise PackError(f"{path}: not an AArch64 ELF (machine {e_machine})")
    segs = []
    for i in range(e_phnum):
        (p_type, _, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _) = struct.unpack_from(
            "<IIQQQQQQ", blob, e_phoff + i * e_phentsize)
        if p_type != PT_LOAD or p_memsz == 0:
            continue
        segs.append((p_vaddr, p_paddr, p_filesz, p_memsz, blob[p_offset:p_offset + p_filesz]))
    if not segs:
        raise PackError(f"{path}: no loadable segment")
    return e_entry, segs


def build_payload(kernel, root, cores, payload_addr):
    k_entry, k_segs = kernel
    r_entry, r_segs = root
    voffs = {v - p for (v, p, _, _, _) in k_segs}
    if len(voffs) != 1:
        raise PackError("kernel segments have different virtual-physical offsets")
    voff = voffs.pop()
    k_end = max(p + m for (_, p, _, m, _) in k_segs)
    v_lo = min(v for (v, _, _, _, _) in r_segs) & ~(PAGE - 1)
    v_hi = align_up(max(v + m for (v, _, _, m, _) in r_segs), PAGE)
    dtb_paddr = align_up(k_end, PAGE)
    ui_p_start = dtb_paddr + DTB_MAX
    pv_offset = ui_p_start - v_lo
    ui_p_end = v_hi + pv_offset
    regions = [(p, f, m, d) for (_, p, f, m, d) in k_segs]
    regions += [(v + pv_offset, f, m, d) for (v, _, f, m, d) in r_segs]
    if len(regions) > MAX_REGIONS:
        raise PackError(f"{len(regions)} segments, the loader takes {MAX_REGIONS}")
    head = 12 * 8 + len(regions) * 32
    off = align_up(head, 16)
    table, data = b"", b""
    for (paddr, filesz, memsz, blob) in regions:
        table += struct.pack("<QQQQ", paddr, filesz, memsz, off + len(data))
        data += blob
        data += b"\0" * (align_up(len(data), 16) - len(data))
    size = off + len(data)
    hdr = struct.pack("<QQQQQQqQQQQQ", MAGIC, size, k_entry, voff, ui_p_start, ui_p_end,
                      pv_offset, r_entry, cores, dtb_paddr, DTB_MAX, len(regions))
    blob = hdr + table
    blob += b"\0" * (off - len(blob)) + data
    if payload_addr + size > ui_p_start and payload_addr < ui_p_end:
        raise PackError("the payload overlaps the root task's physical region")
    return blob, (ui_p_start, ui_p_end, pv_offset, r_entry)


def write_elf(path, entry, segs):
    """segs: [(paddr, filesz data, memsz)] -> ELF64 with one PT_LOAD each."""
    ehsize, phsize = 64, 56
    off = align_up(ehsize + phsize * len(segs), PAGE)
    phdrs, body = b"", b""
    for (addr, data, memsz) in segs:
        foff = off + len(body)
        phdrs += struct.pack("<IIQQQQQQ", PT_LOAD, 7, foff, addr, addr, len(data), memsz, PAGE)
        body += data + b"\0" * (align_up(len(data), PAGE) - len(data))
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, entry, ehsize, 0, 0, ehsize, phsize,
                               len(segs), 64, 0, 0)
    out = ehdr + phdrs
    out += b"\0" * (off - len(out)) + body
    with open(path, "wb") as f:
        f.write(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loader", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--root-task", required=True)
    ap.add_argument("--cores", type=int, required=True, help="the kernel's CONFIG_MAX_NUM_NODES")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    try:
        l_entry, l_segs = read_elf(a.loader)
        l_end = max(p + m for (_, p, _, m, _) in l_segs)
        payload_addr = align_up(l_end, PAGE)
        blob, ui = build_payload(read_elf(a.kernel), read_elf(a.root_task), a.cores, payload_addr)
        segs = [(p, d, m) for (_, p, _, m, d) in l_segs] + [(payload_addr, blob, len(blob))]
        write_elf(a.output, l_entry, segs)
    except (OSError, PackError) as e:
        print(f"pack.py: {e}", file=sys.stderr)
        return 1
    print(f"pack.py: {a.output}: payload at {payload_addr:#x} ({len(blob)} bytes), root task "
          f"{ui[0]:#x}..{ui[1]:#x} pv_offset {ui[2]:#x} entry {ui[3]:#x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
