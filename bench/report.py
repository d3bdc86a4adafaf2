#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the emulated machine's log into results.json, results.png and the
table in docs/PERFORMANCE.md (between the bench:begin/end markers; the text
around them is kept). Lines read: "BENCH vmm=V rep=N kind=K key=value" and
"BENCH-NOTE ...". Exit status 1 only when a metric has no sample at all
(the suite is broken), never because of a speed."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

# name, title, unit, better, kind, key, peer vmm, target (op, value, against)
METRICS = [
    ("boot_init_console", "boot to /init (console marker)", "ms", "lower", "boot",
     "console_init_ms", "qemu", ("<=", 0.8, "ratio")),
    ("boot_init_timer", "boot to /init (stdvmm MMIO boot timer)", "ms", "lower", "boot",
     "boot_timer_ms", None, None),
    ("init_vs_kvmtool", "boot to /init, launch stopped there (vs kvmtool)", "ms", "lower",
     "init", "console_init_ms", "kvmtool", ("<=", 0.9, "ratio")),
    ("init_vs_qemu", "boot to /init, launch stopped there (vs QEMU)", "ms", "lower", "init",
     "console_init_ms", "qemu", None),
    ("exits_to_init", "stdvmm exits to user space until /init", "exits", "lower", "init",
     "exits", None, None),
    ("exits_per_boot", "stdvmm exits to user space, whole bench guest run", "exits", "lower",
     "boot", "exits", None, None),
    ("first_kvm_run", "start to first KVM_RUN", "ms", "lower", "start", "first_run_ms", "qemu",
     None),
    ("blk_seq_read", "virtio-blk sequential read, 1 MiB O_DIRECT", "MB/s", "higher", "boot",
     "blk_seq_read_mbs", "qemu", (">=", 1.0, "ratio")),
    ("blk_seq_write", "virtio-blk sequential write, 1 MiB O_DIRECT", "MB/s", "higher", "boot",
     "blk_seq_write_mbs", "qemu", (">=", 1.0, "ratio")),
    ("blk_rand_read", "virtio-blk 4 KiB random read", "IOPS", "higher", "boot",
     "blk_randread_iops", "qemu", (">=", 1.0, "ratio")),
    ("net_tx", "virtio-net TCP guest -> host", "MB/s", "higher", "boot", "net_tx_mbs", "qemu",
     (">=", 1.0, "ratio")),
    ("net_rx", "virtio-net TCP host -> guest", "MB/s", "higher", "boot", "net_rx_mbs", "qemu",
     (">=", 1.0, "ratio")),
    ("exit_vs_raw", "MMIO exit round trips vs raw KVM loop", "exits/s", "higher", "exit",
     "exit_per_s", "rawkvm", (">=", 0.85, "ratio")),
    ("exit_vs_qemu", "MMIO exit round trips vs QEMU", "exits/s", "higher", "exit", "exit_per_s",
     "qemu", None),
    ("mem_beyond_ram", "resident memory beyond guest RAM", "KiB", "lower", "boot",
     "footprint_beyond_ram_kb", "qemu", ("<=", 4096, "stdvmm")),
]
PEER_NAMES = {"qemu": "QEMU", "rawkvm": "raw KVM loop", "kvmtool": "kvmtool"}
# Rows whose peer is optional (bench/run.sh BENCH_KVMTOOL): left out when it has no samples.
OPTIONAL_PEERS = {"kvmtool"}
SHORT = {"boot_init_console": "boot to /init (console)", "boot_init_timer":
         "boot to /init (boot timer)", "first_kvm_run": "start to first KVM_RUN",
         "blk_seq_read": "blk seq read 1 MiB", "blk_seq_write": "blk seq write 1 MiB",
         "blk_rand_read": "blk 4 KiB random read", "net_tx": "TCP guest -> host",
         "net_rx": "TCP host -> guest", "exit_vs_raw": "MMIO exit round trips",
         "init_vs_kvmtool": "boot to /init, stopped (kvmtool)",
         "init_vs_qemu": "boot to /init, stopped (QEMU)", "exits_to_init": "exits to /init",
         "exits_per_boot": "exits, whole guest run",
         "mem_beyond_ram": "RSS beyond guest RAM", "binary_size": "binary size (+libs)"}


def parse(log):
    samples = {}  # (vmm, kind, key) -> {rep: value}
    notes = []
    pat = re.compile(r"^BENCH vmm=(\S+) rep=(\d+) kind=(\S+) (\w+)=([-0-9.]+)\s*$")
    with open(log, "r", errors="replace") as f:
        for raw in f:
            line = raw.replace("\r", "").replace("\0", "").rstrip("\n")
            m = pat.match(line)
            if m:
                vmm, rep, kind, key, val = m.groups()
                samples.setdefault((vmm, kind, key), {})[int(rep)] = float(val)
            elif line.startswith("BENCH-NOTE") or line.startswith("BENCH-ERROR"):
                notes.append(line)
    return samples, notes


def median(xs):
    return statistics.median(xs) if xs else None


def fmt(v, unit=""):
    if v is None:
        return "—"
    if abs(v) >= 100:
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s


def build(samples, args):
    out = {}
    for name, title, unit, better, kind, key, peer, target in METRICS:
        a = samples.get(("stdvmm", kind, key), {})
        b = samples.get((peer, kind, key), {}) if peer else {}
        if peer in OPTIONAL_PEERS and not b:
            continue
        ratios = [a[r] / b[r] for r in sorted(a) if r in b and b[r]]
        e = {
            "title": title, "unit": unit, "better": better,
            "stdvmm": {"samples": [a[r] for r in sorted(a)], "median": median(list(a.values()))},
        }
        if peer:
            e["peer"] = {"name": PEER_NAMES[peer], "samples": [b[r] for r in sorted(b)],
                         "median": median(list(b.values()))}
            e["ratio_samples"] = ratios
            e["ratio_median"] = median(ratios)
        if target:
            op, val, against = target
            got = e["ratio_median"] if against == "ratio" else e["stdvmm"]["median"]
            e["target"] = f"{'ratio' if against == 'ratio' else 'stdvmm'} {op} {val}"
            e["target_met"] = None if got is None else (got <= val if op == "<=" else got >= val)
        out[name] = e
    ratio = args.stdvmm_bytes / args.peer_bytes if args.peer_bytes else None
    out["binary_size"] = {
        "title": "binary size (QEMU: binary + shared libraries)", "unit": "bytes",
        "better": "lower", "stdvmm": {"samples": [args.stdvmm_bytes], "median": args.stdvmm_bytes},
        "peer": {"name": "QEMU", "samples": [args.peer_bytes], "median": args.peer_bytes},
        "ratio_samples": [ratio], "ratio_median": ratio,
    }
    return out


def chart(metrics, png):
    """One small bar panel per metric, in its own unit."""
    names = [n for n in metrics if metrics[n]["stdvmm"]["median"] is not None]
    cols = 4
    rows = (len(names) + cols - 1) // cols
    g = [f"set terminal pngcairo size {cols * 330},{rows * 300} font 'sans,9'",
         f"set output '{png}'",
         "set style fill solid 0.8 border -1", "set boxwidth 0.6", "set yrange [0:*]",
         "set grid ytics", "unset key", "set termoption noenhanced",
         f"set multiplot layout {rows},{cols} title 'stdvmm vs QEMU (medians; "
         "emulated AArch64 machine, KVM inside)'"]
    for n in names:
        m = metrics[n]
        rows_ = [("stdvmm", m["stdvmm"]["median"], 1)]
        if "peer" in m and m["peer"]["median"] is not None:
            rows_.append((m["peer"]["name"].replace("raw KVM loop", "raw KVM"),
                          m["peer"]["median"], 2))
        if n == "exit_vs_raw" and metrics["exit_vs_qemu"]["peer"]["median"] is not None:
            rows_.append(("QEMU", metrics["exit_vs_qemu"]["peer"]["median"], 2))
        if n == "exit_vs_qemu":
            continue
        unit, scale = m["unit"], 1
        if unit == "bytes":
            unit, scale = "MiB", 1 / 1048576
        g.append(f'set title "{SHORT.get(n, n)}\\n({unit}, {m["better"]} is better)"')
        g.append(f"set xrange [-0.7:{len(rows_) - 0.3}]")
        g.append("$d << EOD")
        for label, v, color in rows_:
            g.append(f'"{label}" {v * scale} {color}')
        g.append("EOD")
        g.append("plot $d using 0:2:3:xtic(1) with boxes lc variable")
    g.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(g) + "\n", text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench: gnuplot failed: {e}", file=sys.stderr)
        return False
    return True


def table(metrics, args, notes):
    lines = ["<!-- bench:begin (generated by bench/report.py; edit outside these markers) -->",
             "", f"Command: `{args.command}` ({args.reps} repetition(s), interleaved stdvmm, "
             f"{'kvmtool, ' if 'init_vs_kvmtool' in metrics else ''}QEMU; {args.settings}).",
             "",
             f"- Build host: {args.host}",
             f"- Emulated machine: {args.outer_qemu}, `-machine virt,virtualization=on,"
             "gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 2G`, Debian's arm64 kernel "
             "with KVM",
             f"- Peer: {args.peer_package}, `qemu-system-aarch64 -enable-kvm -machine "
             "virt,gic-version=3 -cpu host`, virtio-mmio devices, no vhost",
             "- Guests: 1 vCPU, 256 MiB (exit loop: 64 MiB), the same kernel, initramfs and "
             "command line under both VMMs"]
    if "init_vs_kvmtool" in metrics:
        version = next((n.split("kvmtool:", 1)[1].strip() for n in notes
                        if n.startswith("BENCH-NOTE kvmtool:")), "version unknown")
        lines.append(f"- Second peer (boot to /init only, BENCH_KVMTOOL): kvmtool ({version}, "
                     "a static lkvm built from source by whoever ran the bench), `lkvm run "
                     "--console serial --nodefaults --virtio-transport mmio`, same disk and tap; "
                     "its 8250 console means `console=ttyS0` where the others have ttyAMA0")
    for n in notes:
        if "versions:" in n:
            lines.append(f"- Versions inside the machine: {n.split('versions:', 1)[1].strip()}")
            break
    for n in notes:
        if n.startswith("BENCH-NOTE transparent huge pages:"):
            lines.append(f"- Transparent huge pages in the machine: "
                         f"{n.split('pages:', 1)[1].strip()}")
            break
    lines += ["", "| metric | unit | stdvmm | peer | stdvmm/peer (median of ratios) | target | met |",
              "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for n, m in metrics.items():
        peer = m.get("peer")
        ratio = m.get("ratio_median")
        met = m.get("target_met")
        lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(
            m["title"], m["unit"], fmt(m["stdvmm"]["median"]),
            f"{fmt(peer['median'])} ({peer['name']})" if peer else "—",
            f"{ratio:.3f}" if ratio is not None else "—", m.get("target", "—"),
            "—" if met is None else ("yes" if met else "**no**")))
    lines += ["", "Raw samples, per-repetition ratios and notes: `build/bench/results.json`; "
              "chart: `build/bench/results.png`.", "", "<!-- bench:end -->"]
    return "\n".join(lines) + "\n"


def write_md(path, text):
    old = open(path).read() if os.path.exists(path) else ""
    b, e = old.find("<!-- bench:begin"), old.find("<!-- bench:end -->")
    if b >= 0 and e > b:
        new = old[:b] + text + old[e + len("<!-- bench:end -->\n"):]
    else:
        new = old + ("\n" if old else "# stdvmm performance\n\n") + text
    with open(path, "w") as f:
        f.write(new)


def main():
    p = argparse.ArgumentParser()
    for o in ("--log", "--json", "--png", "--command", "--host", "--outer-qemu",
              "--peer-package", "--settings"):
        p.add_argument(o, required=True)
    p.add_argument("--md")
    p.add_argument("--reps", type=int, required=True)
    p.add_argument("--stdvmm-bytes", type=int, required=True)
    p.add_argument("--peer-bytes", type=int, required=True)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args()
    samples, notes = parse(args.log)
    metrics = build(samples, args)
    doc = {"command": args.command, "repetitions": args.reps, "settings": args.settings,
           "host": args.host, "emulated_machine": args.outer_qemu, "peer": args.peer_package,
           "metrics": metrics, "notes": notes,
           "all_samples": {f"{v}/{k}/{key}": [vals[r] for r in sorted(vals)]
                           for (v, k, key), vals in sorted(samples.items())}}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
    ok_chart = chart(metrics, args.png)
    if args.md:
        write_md(args.md, table(metrics, args, notes))
    broken = [n for n, m in metrics.items() if m["stdvmm"]["median"] is None or
              ("peer" in m and m["peer"]["median"] is None)]
    for n, m in metrics.items():
        r = m.get("ratio_median")
        print(f"bench: {n:18} stdvmm {fmt(m['stdvmm']['median']):>10} "
              f"peer {fmt(m.get('peer', {}).get('median')):>10} "
              f"ratio {'—' if r is None else f'{r:.3f}':>6} {m.get('target', '')}")
    for n in notes:
        print(n)
    print(f"bench: wrote {args.json}, {args.png}" + (f", {args.md}" if args.md else ""))
    if broken or not ok_chart:
        print(f"bench: BROKEN: no samples for {', '.join(broken) or '(chart failed)'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
