#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel TCP client for the integration tests.

  tcp_stream_client.py echo ADDR PORT BYTES [--timeout S]
      send BYTES random bytes to an echo service while reading the echo
      back; the echo must be byte-exact (sha256 of both printed).
  tcp_stream_client.py refused ADDR PORT
      connect must fail with ECONNREFUSED (the engine's RST).
Exits 0 on success, 1 with a reason otherwise.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading
import time


def echo(addr, port, nbytes, timeout):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    data = os.urandom(nbytes)
    got = bytearray()
    err = []

    def reader():
        try:
            while True:
                b = s.recv(1 << 18)
                if not b:
                    break
                got.extend(b)
        except Exception as e:  # noqa: BLE001 - reported below
            err.append(e)

    th = threading.Thread(target=reader)
    th.start()
    t0 = time.time()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    th.join(timeout * 2)
    dt = time.time() - t0
    s.close()
    sent = hashlib.sha256(data).hexdigest()
    back = hashlib.sha256(bytes(got)).hexdigest()
    print(f"sent {nbytes} B sha256 {sent[:16]}, echoed {len(got)} B "
          f"sha256 {back[:16]}, {dt:.2f} s, "
          f"{2 * nbytes * 8 / dt / 1e6:.0f} Mbit/s both ways")
    if err:
        print(f"reader error: {err[0]!r}")
        return 1
    return 0 if sent == back else 1


def refused(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((addr, port))
    except ConnectionRefusedError:
        print("connect: ECONNREFUSED")
        return 0
    except Exception as e:  # noqa: BLE001
        print(f"connect: {e!r}, expected ECONNREFUSED")
        return 1
    print("connect succeeded, expected ECONNREFUSED")
    return 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "refused"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("nbytes", type=int, nargs="?", default=0)
    p.add_argument("--timeout", type=float, default=20)
    a = p.parse_args()
    if a.mode == "echo":
        return echo(a.addr, a.port, a.nbytes, a.timeout)
    return refused(a.addr, a.port)


if __name__ == "__main__":
    sys.exit(main())
