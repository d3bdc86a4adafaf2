#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""netget.py HOST PORT [TIMEOUT]: connect to a guest's test server (the
seL4 guest's port 7000, tests/sel4/guest/init, here through QEMU's
hostfwd), print its first line as "GOT <line>" and the MD5 of the rest.
Retries the connection until TIMEOUT (s, default 60): slirp accepts the
host connection before the guest answers, so an early try gets EOF."""
import hashlib
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 60.0)
    while True:
        data = b""
        try:
            with socket.create_connection((host, port), timeout=30) as s:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError as e:
            data = b""
            err = e
        else:
            err = "empty answer"
        if b"\n" in data:
            break
        if time.monotonic() >= deadline:
            print("netget: %s:%d: %s" % (host, port, err))
            return 1
        time.sleep(2)
    first, _, rest = data.partition(b"\n")
    print("GOT %s" % first.decode(errors="replace"))
    print("%s  -" % hashlib.md5(rest).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
