#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Both kernel ends of relay_test.

server ADDR PORT DOWN: accept connections; for each, read to EOF,
  answer with the SHA-256 of what came (hex, newline), then DOWN bytes of
  a pattern, then close.
client ADDR PORT UP DOWN: connect, send UP bytes of a pattern, shut the
  write side, read to EOF; check the hash line and the DOWN bytes.
  Exit 0 and print a summary when both match.
"""
import hashlib
import socket
import sys
import threading


def pattern(n, seed):
    block = hashlib.sha256(bytes([seed])).digest() * 2048
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


def serve_one(c, down):
    h = hashlib.sha256()
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
    c.sendall(h.hexdigest().encode() + b"\n" + pattern(down, 2))
    c.close()


def server(addr, port, down):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c, down),
                         daemon=True).start()


def client(addr, port, up, down):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.create_connection((addr, port), timeout=20)
    data = pattern(up, 1)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    line, _, rest = bytes(got).partition(b"\n")
    want = hashlib.sha256(data).hexdigest().encode()
    if line != want:
        sys.exit("hash mismatch: got %r want %r" % (line[:80], want))
    if rest != pattern(down, 2):
        sys.exit("download mismatch: %d bytes, want %d" % (len(rest), down))
    print("up %d down %d ok" % (up, down))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               int(sys.argv[5]))
