#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel clients of proxy_test (tq-proxy in front of nginx backends).

get ADDR PORT PATH SHA256: one HTTP/1.0 GET; the body's SHA-256 must match.
halfclose ADDR PORT PATH SHA256: the same, but the write side is shut
  right after the request: the whole reply must still come.
rst ADDR PORT PATH: GET, read 100 KB, then close with SO_LINGER 0 (RST).
slow ADDR PORT PATH SHA256 RATE SECS: read at RATE bytes/s for SECS
  seconds (printing "slow" once it started), then at full speed; the
  body's SHA-256 must match.
"""
import hashlib
import socket
import struct
import sys
import time


def connect(addr, port, rcvbuf=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        # Small, so the slow reader's window closes soon.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(60)
    s.connect((addr, port))
    return s


def request(s, path):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.0\r\nHost: t\r\n\r\n")


def split_head(buf):
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return None, buf
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit("bad status: %r" % head[:80])
    return head, rest


def read_all(s, rate=0, secs=0):
    buf = bytearray()
    t0 = time.time()
    while True:
        if rate and time.time() - t0 < secs:
            b = s.recv(min(4096, rate // 10))
            time.sleep(len(b) / rate if b else 0)
        else:
            b = s.recv(262144)
        if not b:
            return bytes(buf)
        buf += b


def check(buf, want):
    head, body = split_head(buf)
    if head is None:
        sys.exit("no response head (%d bytes)" % len(buf))
    got = hashlib.sha256(body).hexdigest()
    if got != want:
        sys.exit("sha256 mismatch: %d bytes, %s" % (len(body), got))
    print("ok %d bytes" % len(body))


def main():
    mode, addr, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        sys.argv[4]
    s = connect(addr, port, 65536 if mode == "slow" else 0)
    request(s, path)
    if mode == "get":
        check(read_all(s), sys.argv[5])
    elif mode == "halfclose":
        s.shutdown(socket.SHUT_WR)
        check(read_all(s), sys.argv[5])
    elif mode == "rst":
        got = 0
        while got < 100000:
            b = s.recv(65536)
            if not b:
                sys.exit("reply ended early")
            got += len(b)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
        print("reset after %d bytes" % got)
    elif mode == "slow":
        rate, secs = int(sys.argv[6]), float(sys.argv[7])
        print("slow", flush=True)
        check(read_all(s, rate, secs), sys.argv[5])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
