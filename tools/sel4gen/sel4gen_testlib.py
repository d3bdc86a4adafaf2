# SPDX-License-Identifier: BSD-2-Clause
"""What the host tests of tools/sel4gen share (test_sel4gen.py,
test_sel4gen_time.py, test_sddf_net.py, test_sddf_blk.py): reading a
generated .system file, compiling generated sDDF configs against an sDDF
checkout, and building and running a C host test under ASan+UBSan.

The SDK-dependent parts take their inputs from the environment (SDDF,
MICROKIT_SDK, docs/SEL4.md); the skip decorators say SKIPPED without them.
"""
import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "../.."))

SDDF = os.environ.get("SDDF", "")
SDK = os.environ.get("MICROKIT_SDK", "")

needs_sddf_sdk_clang = unittest.skipUnless(
    SDDF and SDK and shutil.which("clang"),
    "SKIPPED: needs SDDF=<sDDF checkout>, MICROKIT_SDK and clang (docs/SEL4.md)")
needs_sddf_gcc = unittest.skipUnless(
    SDDF and shutil.which("gcc"), "SKIPPED: needs SDDF=<sDDF checkout> and gcc (docs/SEL4.md)")


def parse_system(sdf):
    """(root, regions, pds, maps, chans) of a .system file's text: regions and
    pds by name, maps {pd: {mr: vaddr}} (the PD's own maps, not its VM's),
    chans {(pd a, pd b): [(id at a, id at b), ...]} in the file's order."""
    root = ET.fromstring(sdf)
    regions = {m.get("name"): m for m in root.iter("memory_region")}
    pds = {pd.get("name"): pd for pd in root.iter("protection_domain")}
    maps = {name: {m.get("mr"): int(m.get("vaddr"), 16) for m in pd.findall("map")}
            for name, pd in pds.items()}
    chans = {}
    for ch in root.iter("channel"):
        (a, ia), (b, ib) = [(e.get("pd"), int(e.get("id"))) for e in ch.findall("end")]
        chans.setdefault((a, b), []).append((ia, ib))
    return root, regions, pds, maps, chans


def check_configs_compile(test, system, files, extra_flags=()):
    """Writes @system into a temporary directory and checks that each of its
    generated @files (names, or a prefix: every file whose name starts with it)
    compiles for aarch64 against SDDF's and the SDK's headers (@extra_flags
    after theirs)."""
    d = tempfile.mkdtemp()
    try:
        system.write(d)
        inc = os.path.join(SDK, "board/qemu_virt_aarch64/debug/include")
        if isinstance(files, str):
            files = sorted(f for f in os.listdir(d) if f.startswith(files))
        test.assertTrue(files, "no generated file to compile")
        for c in files:
            r = subprocess.run(["clang", "-target", "aarch64-none-elf", "-ffreestanding",
                                "-fsyntax-only", "-Wall", "-Wno-unused-function", "-Werror",
                                "-I", inc, "-I", os.path.join(SDDF, "include"),
                                "-I", os.path.join(SDDF, "include/microkit")] +
                               list(extra_flags) + [os.path.join(d, c)],
                               capture_output=True, text=True)
            test.assertEqual(r.returncode, 0, c + ": " + r.stderr[-2000:])
    finally:
        shutil.rmtree(d)


def check_host_test(test, name, args):
    """Builds the host test @name with gcc under ASan+UBSan from @args
    (include flags, sources, libraries) and checks that it exits with 0."""
    d = tempfile.mkdtemp()
    try:
        exe = os.path.join(d, name)
        r = subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g",
                            "-fsanitize=address,undefined", "-fno-sanitize-recover=all"] +
                           list(args) + ["-o", exe], capture_output=True, text=True)
        test.assertEqual(r.returncode, 0, r.stderr[-2000:])
        r = subprocess.run([exe], capture_output=True, text=True)
        test.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
    finally:
        shutil.rmtree(d)


def repo_path(*parts):
    """A path in the repository, for check_host_test's arguments."""
    return os.path.join(REPO, *parts)
