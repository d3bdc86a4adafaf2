#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The chart of the seL4 blk and net results (issue 11 point 10).

    bench/sel4_chart.py [--check] [PERFORMANCE_MD [SVG]]

Reads the numbers recorded in docs/PERFORMANCE.md -- the table under
"## seL4: virtio-blk over sDDF blk" (write and read MB/s per run, stdvmm on
seL4 and QEMU's direct boot) and the one under "## seL4: TCP between two
VMs" (bytes and seconds per transfer) -- and writes from them
  - a text bar chart between the `sel4-chart:begin` / `sel4-chart:end`
    markers of that file, and
  - the same bars as an SVG image (default docs/sel4_io.svg).
Python's standard library only. --check writes nothing and fails when the
chart or the image in the tree differ from what the tables give (a test that
the chart was regenerated after the numbers changed).
"""
import os
import re
import sys

BEGIN = "<!-- sel4-chart:begin (bench/sel4_chart.py) -->"
END = "<!-- sel4-chart:end -->"
BLK_HEADING = "## seL4: virtio-blk over sDDF blk"
NET_HEADING = "## seL4: TCP between two VMs"
WIDTH = 40  # characters of the longest text bar


def section_rows(text, heading):
    """The data rows (lists of cell strings) of the first table after @heading."""
    start = text.find(heading)
    if start < 0:
        raise ValueError("no section %r" % heading)
    rows, in_table = [], False
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                in_table = True
            elif in_table:
                rows.append(cells)
        elif in_table:
            break
    if not rows:
        raise ValueError("no table under %r" % heading)
    return rows


def numbers(cell):
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", cell.replace(",", ""))]


def bars(text):
    """[(group, label, value, unit)] from the two tables."""
    out = []
    for cells in section_rows(text, BLK_HEADING):
        # | path | write MB/s (runs) | median | read MB/s (runs) | median |
        if len(cells) != 5:
            raise ValueError("blk table row with %d cells: %r" % (len(cells), cells))
        name = "seL4 stdvmm + sDDF" if cells[0].startswith("seL4") else "QEMU direct"
        out.append(("blk write (median)", name, numbers(cells[2])[0], "MB/s"))
        out.append(("blk read (median)", name, numbers(cells[4])[0], "MB/s"))
    out.sort(key=lambda b: b[0], reverse=True)  # write before read
    for cells in section_rows(text, NET_HEADING):
        # | direction | bytes | time | rate |
        if len(cells) != 4:
            raise ValueError("net table row with %d cells: %r" % (len(cells), cells))
        nbytes, secs = numbers(cells[1])[0], numbers(cells[2])[0]
        out.append(("TCP between two VMs", cells[0], nbytes / secs / 1000.0, "KB/s"))
    return out


def text_chart(data):
    lines = ["```"]
    groups = []
    for g, _, _, _ in data:
        if g not in groups:
            groups.append(g)
    lw = max(len(label) for _, label, _, _ in data)
    for g in groups:
        rows = [d for d in data if d[0] == g]
        top = max(v for _, _, v, _ in rows) or 1.0
        lines.append("%s (%s)" % (g, rows[0][3]))
        for _, label, v, _ in rows:
            n = int(round(v / top * WIDTH))
            lines.append("  %-*s %s %.1f" % (lw, label, "#" * max(n, 1), v))
    lines.append("```")
    return "\n".join(lines)


def svg_chart(data):
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    x0, bar_w, row_h, y = 330, 360, 22, 30
    parts = []
    groups = []
    for g, _, _, _ in data:
        if g not in groups:
            groups.append(g)
    for g in groups:
        rows = [d for d in data if d[0] == g]
        top = max(v for _, _, v, _ in rows) or 1.0
        parts.append('<text x="10" y="%d" font-weight="bold">%s (%s)</text>'
                     % (y, esc(g), rows[0][3]))
        y += row_h
        for _, label, v, _ in rows:
            w = max(1, int(round(v / top * bar_w)))
            colour = "#4a7ab0" if "seL4" in label or "vm" in label else "#a0a0a0"
            parts.append('<text x="20" y="%d">%s</text>' % (y, esc(label)))
            parts.append('<rect x="%d" y="%d" width="%d" height="14" fill="%s"/>'
                         % (x0, y - 12, w, colour))
            parts.append('<text x="%d" y="%d">%.1f</text>' % (x0 + w + 6, y, v))
            y += row_h
        y += 8
    head = ('<svg xmlns="http://www.w3.org/2000/svg" width="780" height="%d" '
            'font-family="sans-serif" font-size="13">' % (y + 10))
    title = ('<text x="10" y="14" font-size="11">seL4 blk and net results of '
             'docs/PERFORMANCE.md (bench/sel4_chart.py)</text>')
    return "\n".join(["<!-- SPDX-License-Identifier: BSD-2-Clause -->", head, title] + parts
                     + ["</svg>", ""])


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    md = args[0] if args else os.path.join(root, "docs", "PERFORMANCE.md")
    svg = args[1] if len(args) > 1 else os.path.join(os.path.dirname(md), "sel4_io.svg")
    with open(md) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        print("sel4_chart: no %s / %s markers in %s" % (BEGIN, END, md), file=sys.stderr)
        return 1
    data = bars(text)
    head, rest = text.split(BEGIN, 1)
    new_text = head + BEGIN + "\n" + text_chart(data) + "\n" + END + rest.split(END, 1)[1]
    new_svg = svg_chart(data)
    if check:
        old_svg = open(svg).read() if os.path.exists(svg) else ""
        if new_text != text or new_svg != old_svg:
            print("sel4_chart: the chart in %s or %s is not what the tables give; run "
                  "bench/sel4_chart.py" % (md, svg), file=sys.stderr)
            return 1
        return 0
    with open(md, "w") as f:
        f.write(new_text)
    with open(svg, "w") as f:
        f.write(new_svg)
    print("sel4_chart: %d bars -> %s, %s" % (len(data), md, svg))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
