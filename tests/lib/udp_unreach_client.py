#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Connected UDP socket to a closed port: recv must fail with ECONNREFUSED.

  udp_unreach_client.py ADDR PORT [--count N] [--timeout S]

Linux reports an ICMP/ICMPv6 port unreachable that quotes a datagram of
a connected socket as ECONNREFUSED on its next call, so this also checks
that the engine's ICMP error quotes enough of the datagram and matches
it.  Exits 0 when every try was refused.
"""
import argparse
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    refused = 0
    for i in range(a.count):
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(a.timeout)
            s.connect((a.addr, a.port))
            s.send(b"is anyone there %d" % i)
            try:
                data = s.recv(2048)
                print(f"try {i}: got {len(data)} bytes back from a closed "
                      f"port", file=sys.stderr)
            except ConnectionRefusedError:
                refused += 1
            except socket.timeout:
                print(f"try {i}: no error within {a.timeout} s (no ICMP "
                      f"port unreachable, or the kernel did not match it)",
                      file=sys.stderr)
    print(f"{a.addr} port {a.port}: {refused}/{a.count} refused "
          f"(ECONNREFUSED)")
    return 0 if refused == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
