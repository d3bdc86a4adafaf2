#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/vhost/run.sh's log -> a Markdown table (results.md, and the
vhost-bench section of docs/PERFORMANCE.md). Fails when a VMM got no
number for a metric (the suite is broken), never because of a speed."""
import argparse
import re
import statistics
import sys

VMMS = [("stdvmm", "stdvmm, own virtio-blk"),
        ("stdvmm-vhost", "stdvmm + qemu-storage-daemon (vhost-user)"),
        ("qemu-vhost", "QEMU + qemu-storage-daemon (vhost-user)")]
KEYS = [("blk_seq_write_mbs", "sequential write, 1 MiB O_DIRECT (MB/s)"),
        ("blk_seq_read_mbs", "sequential read, 1 MiB O_DIRECT (MB/s)"),
        ("blk_randread_iops", "random read, 4 KiB O_DIRECT (IOPS)"),
        ("exits", "exits to stdvmm's user space, whole run")]
BEGIN, END = "<!-- vhost-bench:begin -->", "<!-- vhost-bench:end -->"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--md")
    ap.add_argument("--command", default="make bench-vhost")
    ap.add_argument("--reps", default="?")
    ap.add_argument("--settings", default="")
    a = ap.parse_args()
    samples, notes = {}, []
    line_re = re.compile(r"BENCH vmm=(\S+) rep=(\d+) kind=vblk (\w+)=([0-9.]+)")
    with open(a.log, errors="replace") as f:
        for line in f:
            line = line.replace("\r", "").strip()
            m = line_re.search(line)
            if m:
                samples.setdefault((m.group(1), m.group(3)), []).append(float(m.group(4)))
            elif line.startswith("BENCH-NOTE versions:"):
                notes.append(line[len("BENCH-NOTE versions: "):])
    rows, broken = [], []
    head = "| metric | " + " | ".join(n for _, n in VMMS) + " | stdvmm+vhost / QEMU+vhost |"
    rows.append(head)
    rows.append("|" + " --- |" * (len(VMMS) + 2))
    for key, label in KEYS:
        med = {}
        cells = []
        for vmm, _ in VMMS:
            v = samples.get((vmm, key))
            if not v:
                if key != "exits" or vmm.startswith("stdvmm"):
                    broken.append(f"{vmm} {key}")
                cells.append("—")
                continue
            med[vmm] = statistics.median(v)
            cells.append(f"{med[vmm]:.0f}" if med[vmm] >= 100 else f"{med[vmm]:.1f}")
        ratio = "—"
        if key != "exits" and med.get("stdvmm-vhost") and med.get("qemu-vhost"):
            ratio = f"{med['stdvmm-vhost'] / med['qemu-vhost']:.2f}"
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    text = "\n".join([
        f"Medians of {a.reps} repetition(s) (`{a.command}`; {a.settings}); "
        "higher is better except exits. QEMU counts no exits here (—).",
        "",
        *rows,
        "",
        "Versions: " + ("; ".join(notes) if notes else "unknown"),
    ]) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    if a.md and not broken:
        with open(a.md) as f:
            doc = f.read()
        if BEGIN in doc and END in doc:
            pre, rest = doc.split(BEGIN, 1)
            _, post = rest.split(END, 1)
            doc = pre + BEGIN + "\n" + text + END + post
        else:
            doc += "\n" + BEGIN + "\n" + text + END + "\n"
        with open(a.md, "w") as f:
            f.write(doc)
    if broken:
        print("bench-vhost: no number for: " + ", ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
