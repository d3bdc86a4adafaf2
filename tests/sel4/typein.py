#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Boot a loader image in QEMU and type into its serial port, expect-style.

    typein.py LOG TIMEOUT QEMU-ARGS... -- STEP...

Each STEP is `wait:TEXT` (wait until TEXT appears in the output since the
last `type` step, so several waits may match in any order), `type:TEXT` (send TEXT, backslash escapes allowed: \\r,
\\x1c), `sleep:SECONDS` or `host:COMMAND` (run a shell command on the host
while QEMU runs, e.g. a client of a hostfwd port; its output goes into the
log as "host| " lines, and a nonzero exit fails the step). Everything QEMU prints goes to LOG. Exit status
0 when every step passed, 1 (naming the step) otherwise. QEMU is killed at
the end.
"""
import os
import select
import subprocess
import sys
import time


def main():
    log_path, timeout = sys.argv[1], float(sys.argv[2])
    sep = sys.argv.index("--")
    qemu, steps = sys.argv[3:sep], sys.argv[sep + 1:]
    deadline = time.monotonic() + timeout
    proc = subprocess.Popen(qemu, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b""
    seen = 0  # output before this offset came before the last typing
    status = 0
    with open(log_path, "wb") as log:
        def pump(until):
            nonlocal out
            while time.monotonic() < until:
                r, _, _ = select.select([proc.stdout], [], [], 0.2)
                if r:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        return False
                    out += chunk
                    log.write(chunk)
                    log.flush()
                    return True
            return True

        try:
            for step in steps:
                kind, _, arg = step.partition(":")
                if kind == "wait":
                    want = arg.encode()
                    while out.find(want, seen) < 0:
                        if time.monotonic() >= deadline or not pump(deadline):
                            print("typein: step %r: not seen before the timeout" % step)
                            status = 1
                            break
                    if status:
                        break
                elif kind == "type":
                    data = arg.encode().decode("unicode_escape").encode("latin-1")
                    seen = len(out)
                    for b in data:  # one byte at a time, like a person typing
                        proc.stdin.write(bytes([b]))
                        proc.stdin.flush()
                        pump(time.monotonic() + 0.05)
                elif kind == "sleep":
                    end = time.monotonic() + float(arg)
                    while time.monotonic() < end and pump(end):
                        pass
                elif kind == "host":
                    seen = len(out)
                    # QEMU's output keeps being read while the command runs.
                    with open(log_path + ".host", "w+b") as hout:
                        cmd = subprocess.Popen(["sh", "-c", arg], stdout=hout,
                                               stderr=subprocess.STDOUT)
                        while cmd.poll() is None and time.monotonic() < deadline:
                            pump(time.monotonic() + 0.2)
                        if cmd.poll() is None:
                            cmd.kill()
                        rc = cmd.wait()
                        hout.seek(0)
                        text = hout.read()
                    for line in text.splitlines():
                        log.write(b"host| " + line + b"\n")
                    log.flush()
                    if rc != 0:
                        print("typein: step %r: exit status %d" % (step, rc))
                        status = 1
                        break
                else:
                    print("typein: bad step %r" % step)
                    status = 1
                    break
            pump(time.monotonic() + 1)
        finally:
            proc.kill()
            proc.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
