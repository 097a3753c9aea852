#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""UDP echo client for the integration tests (standard library only).

Sends datagrams of random sizes to an echo service one at a time, waits
for each echo (retrying on timeout) and compares it byte for byte.

  udp_echo_client.py ADDR PORT [--count N] [--max-size N] [--big N]
                     [--big-max N] [--sports N] [--timeout S] [--retries N]
                     [--max-retry-pct P] [--seed N]

Exits 0 when every datagram came back intact and no more than
--max-retry-pct percent needed a retry; 1 otherwise.
"""
import argparse
import hashlib
import os
import random
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1000,
                    help="datagrams in all (default 1000)")
    ap.add_argument("--max-size", type=int, default=1472,
                    help="sizes are uniform in 1..N (default 1472)")
    ap.add_argument("--big", type=int, default=0,
                    help="how many of --count get a size above --max-size")
    ap.add_argument("--big-max", type=int, default=8000,
                    help="largest size of the big ones (default 8000)")
    ap.add_argument("--sports", type=int, default=1,
                    help="spread the datagrams over N source ports")
    ap.add_argument("--timeout", type=float, default=0.5)
    ap.add_argument("--retries", type=int, default=4,
                    help="resends of one datagram before giving up")
    ap.add_argument("--max-retry-pct", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()

    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4),
                                                            "big")
    rng = random.Random(seed)
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    socks = []
    for _ in range(a.sports):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect((a.addr, a.port))
        s.settimeout(a.timeout)
        socks.append(s)

    sizes = [rng.randint(1, a.max_size) for _ in range(a.count - a.big)]
    sizes += [rng.randint(a.max_size + 1, a.big_max) for _ in range(a.big)]
    rng.shuffle(sizes)

    sent_digests = set()  # of everything sent, to tell late echoes apart
    retried = lost = mismatched = late = 0
    nbytes = 0
    t0 = time.monotonic()
    for i, size in enumerate(sizes):
        s = socks[i % len(socks)]
        payload = rng.randbytes(size) if hasattr(rng, "randbytes") else \
            bytes(rng.getrandbits(8) for _ in range(size))
        tries = 0
        ok = False  # True: echoed; None: a wrong echo; False: none yet
        while tries <= a.retries and ok is False:
            if tries == 1:
                retried += 1  # count datagrams that needed any retry
            s.send(payload)
            tries += 1
            deadline = time.monotonic() + a.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    got = s.recv(65535)
                except socket.timeout:
                    break
                except ConnectionRefusedError:
                    print(f"datagram {i} ({size} bytes): ECONNREFUSED",
                          file=sys.stderr)
                    break
                if got == payload:
                    ok = True
                    break
                if hashlib.sha256(got).digest() in sent_digests:
                    late += 1  # an echo of an earlier, retried datagram
                    continue
                mismatched += 1
                common = min(size, len(got))
                diff = next((k for k in range(common)
                             if got[k] != payload[k]), common)
                print(f"datagram {i}: sent {size} bytes, got {len(got)} "
                      f"that match nothing sent (first difference at byte "
                      f"{diff})", file=sys.stderr)
                ok = None
                break
        sent_digests.add(hashlib.sha256(payload).digest())
        if ok:
            nbytes += size
        elif ok is False:
            lost += 1
            print(f"datagram {i} ({size} bytes): no echo after {tries} "
                  f"tries", file=sys.stderr)
    dt = time.monotonic() - t0
    n = len(sizes)
    pct = 100.0 * retried / n if n else 0.0
    print(f"{a.addr} port {a.port}: {n} datagrams ({a.big} above "
          f"{a.max_size} bytes, largest {max(sizes) if sizes else 0}), "
          f"{nbytes} bytes echoed in {dt:.2f} s over {len(socks)} source "
          f"port(s); retried {retried} ({pct:.2f}%), lost {lost}, "
          f"mismatched {mismatched}, late duplicates {late}; seed {seed}")
    if lost or mismatched or pct > a.max_retry_pct:
        print("FAIL", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
