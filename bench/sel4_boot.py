#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Boot-to-/init times of stdvmm on seL4 against QEMU's direct boot
(bench/sel4_boot.sh builds the images and calls this).

    sel4_boot.py OUT REPS TIMEOUT KERNEL INITRD NAME=LOADER_IMG...

Each repetition boots, for the full boot log and for `quiet`, QEMU directly
(-kernel KERNEL -initrd INITRD -append the io guest's command line; with
-smp 4 as the seL4 runs, and with -smp 1, the VM's one CPU) and every
NAME=LOADER_IMG of that log mode (with -smp 4, and with each -smp N of
BENCH_SEL4_SMP, default "4", as NAME-smpN; NAME ends in -full or -quiet; a qemu_args
file next to LOADER_IMG adds its arguments, gen/qemu_net.args the NIC its
sDDF net driver expects on a -netdev user, and a system with an sDDF blk
subsystem gets OUT/disk.img from tests/sel4/mkdisk.sh), in an order
that rotates each repetition so a changing machine load falls on all alike.
A run's time is from starting QEMU to the guest's `SEL4-GUEST: reached
/init` line on the serial port; beside it the QEMU process's CPU time (user +
system, all threads) at that line, which a loaded host inflates less than
the wall time (it still counts TLB and cache misses the load causes). Writes
OUT/results.json (every sample) and
OUT/table.md (medians, min-max, and the median and range of the
per-repetition ratios to the direct boot of the same repetition and log
mode) and prints the table. `sel4_boot.py --report OUT` rewrites the table
from OUT/results.json.
"""
import json
import os
import select
import statistics
import subprocess
import sys
import time

MACHINE = ["-machine", "virt,virtualization=on,highmem=off,secure=off", "-cpu", "cortex-a53",
           "-m", "2G", "-nographic", "-monitor", "none"]
CMDLINE = "console=ttyAMA0 earlycon rdinit=/init panic=-1 stdvmm.test=shell"
MARKER = b"SEL4-GUEST: reached /init"


def cpu_seconds(pid):
    """User + system CPU time of process @pid so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def boot(args, timeout, log_path):
    """(seconds from starting QEMU to MARKER, QEMU's CPU seconds by then), or
    (None, None) (timeout, QEMU ended)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(["qemu-system-aarch64"] + args, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    took = cpu = None
    try:
        while time.monotonic() - t0 < timeout:
            r, _, _ = select.select([proc.stdout], [], [], 0.02)
            if not r:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if out.find(MARKER, max(0, len(out) - len(chunk) - len(MARKER))) >= 0:
                took = time.monotonic() - t0
                cpu = cpu_seconds(proc.pid)
                break
    finally:
        proc.kill()
        proc.wait()
    with open(log_path, "wb") as f:
        f.write(out)
    return took, cpu


def report(out):
    """Write OUT/table.md from OUT/results.json and print it; 1 if a variant never booted."""
    with open(os.path.join(out, "results.json")) as f:
        res = json.load(f)
    reps, names, runs = res["reps"], res["variants"], res["runs"]
    samples = {n: [r["seconds"] for r in runs if r["variant"] == n and r["seconds"]]
               for n in names}
    med = {n: statistics.median(s) for n, s in samples.items() if s}
    by_rep = {(r["rep"], r["variant"]): r["seconds"] for r in runs}
    cpu_rep = {(r["rep"], r["variant"]): r.get("cpu") for r in runs}

    def paired(n, ref, table=by_rep):
        """Median of the per-repetition ratios n / ref (same repetition, same log mode)."""
        rs = [table[(i, n)] / table[(i, ref)] for i in range(reps)
              if table.get((i, n)) and table.get((i, ref))]
        return "%.2fx (%.2f-%.2f)" % (statistics.median(rs), min(rs), max(rs)) if rs else "-"

    lines = ["| variant | runs | median (s) | min-max (s) | / direct -smp 4 | / direct -smp 1 "
             "| QEMU CPU median (s) | CPU / direct -smp 4 | CPU / direct -smp 1 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for n in names:
        s = samples[n]
        if not s:
            lines.append("| %s | 0 | FAILED | | | | | | |" % n)
            continue
        mode = n.rsplit("-", 1)[1]
        cpus = [cpu_rep[(i, n)] for i in range(reps) if cpu_rep.get((i, n))]
        lines.append("| %s | %d | %.2f | %.2f-%.2f | %s | %s | %s | %s | %s |" % (
            n, len(s), med[n], min(s), max(s), paired(n, "direct-smp4-" + mode),
            paired(n, "direct-smp1-" + mode),
            "%.2f" % statistics.median(cpus) if cpus else "-",
            paired(n, "direct-smp4-" + mode, cpu_rep), paired(n, "direct-smp1-" + mode, cpu_rep)))
    loads = [r["load1"] for r in runs]
    lines.append("")
    lines.append("%d repetitions, 1-minute load average %.1f-%.1f during the runs." %
                 (reps, min(loads), max(loads)))
    table = "\n".join(lines) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table)
    print(table)
    return 0 if all(samples[n] for n in names) else 1


def main():
    if sys.argv[1] == "--report":
        return report(sys.argv[2])
    out, reps, timeout, kernel, initrd = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        sys.argv[4], sys.argv[5]
    images = dict(a.split("=", 1) for a in sys.argv[6:])
    os.makedirs(out, exist_ok=True)
    variants = {}
    for mode, append in (("full", ""), ("quiet", " quiet")):
        direct = ["-kernel", kernel, "-initrd", initrd, "-append", CMDLINE + append]
        variants["direct-smp4-" + mode] = MACHINE + ["-smp", "4"] + direct
        variants["direct-smp1-" + mode] = MACHINE + ["-smp", "1"] + direct
    for name, img in images.items():
        # QEMU's -device loader arguments for the guest images, if the system has them.
        extra = []
        sysdir = os.path.dirname(img)
        for path, more in (("qemu_args", []), ("gen/qemu_net.args", ["-netdev", "user,id=net0"])):
            path = os.path.join(sysdir, path)
            if os.path.exists(path):
                with open(path) as f:
                    extra += f.read().split() + more
        # The disk the system's sDDF virtio-blk driver needs (read-only use at boot).
        if os.path.exists(os.path.join(sysdir, "gen", "sddf_blk_virt.c")):
            disk = os.path.join(out, "disk.img")
            if not os.path.exists(disk):
                subprocess.run(["tests/sel4/mkdisk.sh", disk], check=True, stdout=subprocess.DEVNULL)
            extra += ["-global", "virtio-mmio.force-legacy=false",
                      "-drive", "file=%s,if=none,format=raw,id=hd" % disk,
                      "-device", "virtio-blk-device,drive=hd"]
        # -smp 4 as the runs; BENCH_SEL4_SMP="4 1" adds each image on a
        # one-CPU machine too (Microkit's kernel uses core 0 only), as NAME-smp1-MODE.
        for smp in os.environ.get("BENCH_SEL4_SMP", "4").split():
            base, mode = name.rsplit("-", 1)
            vname = name if smp == "4" else "%s-smp%s-%s" % (base, smp, mode)
            variants[vname] = MACHINE + ["-smp", smp, "-kernel", img] + extra
    names = list(variants)
    samples = {n: [] for n in names}
    runs = []
    for rep in range(reps):
        k = rep % len(names)
        for name in names[k:] + names[:k]:
            load = os.getloadavg()[0]
            t, cpu = boot(variants[name], timeout, os.path.join(out, name + ".log"))
            runs.append({"rep": rep, "variant": name, "seconds": t, "cpu": cpu, "load1": load})
            if t is not None:
                samples[name].append(t)
            print("rep %d %-22s %s  (load %.1f)" % (
                rep, name, "%.2f s, QEMU CPU %.2f s" % (t, cpu) if t else "FAILED", load),
                flush=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"reps": reps, "variants": names, "runs": runs}, f, indent=1)
    return report(out)


if __name__ == "__main__":
    sys.exit(main())
