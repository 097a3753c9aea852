#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP servers that misbehave, for gen_errors_test (tq-gen).

gen_peer.py ADDR BASEPORT: one listener per behaviour, on BASEPORT + i:
  0 reset    a head and part of the body, then RST (SO_LINGER 0)
  1 garbage  bytes that are not an HTTP response
  2 404      a well-formed 404 (keep-alive)
  3 503      a well-formed 503 (keep-alive)
  4 chunked  a well-formed 200 with a chunked body (keep-alive)
  5 silent   reads the request and never answers
  6 close    reads the request and closes without answering
  7          nothing (a closed port)
  8 split    a well-formed 200 (keep-alive) sent in pieces 10 ms apart,
             the head cut mid-line, so it spans several reads
Prints "listening" once all are up.

gen_peer.py udp ADDR PORT [DROP]: a UDP echo that answers all but every
  DROP-th datagram (0: none dropped).
"""
import socket
import struct
import sys
import threading
import time

# BASEPORT + 7 stays closed: gen_errors_test's refused port.
MODES = ["reset", "garbage", "404", "503", "chunked", "silent", "close",
         None, "split"]
held = []


def read_request(c, buf):
    while b"\r\n\r\n" not in buf:
        b = c.recv(65536)
        if not b:
            return None
        buf += b
    i = buf.index(b"\r\n\r\n") + 4
    return buf[i:]


def serve(c, mode):
    buf = b""
    try:
        while True:
            buf = read_request(c, buf)
            if buf is None:
                break
            if mode == "reset":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                          b"\r\nabc")
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                break
            if mode == "garbage":
                c.sendall(b"this is not HTTP\r\n\r\n")
                continue
            if mode in ("404", "503"):
                body = b"no\n"
                reason = b"Not Found" if mode == "404" else \
                    b"Service Unavailable"
                c.sendall(b"HTTP/1.1 " + mode.encode() + b" " + reason +
                          b"\r\nContent-Length: 3\r\n\r\n" + body)
                continue
            if mode == "chunked":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                          b"\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n"
                          b"0\r\n\r\n")
                continue
            if mode == "split":
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for piece in (b"HTTP/1.1 200 O", b"K\r\nContent-Len",
                              b"gth: 5\r\nX-A: b\r", b"\n\r\nhel", b"lo"):
                    c.sendall(piece)
                    time.sleep(0.01)
                continue
            if mode == "silent":
                held.append(c)
                return
            break
    except OSError:
        pass
    c.close()


def listen(addr, port, mode):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    return s


def accept_loop(s, mode):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


def udp_echo(addr, port, drop):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    n = 0
    while True:
        b, peer = s.recvfrom(65536)
        n += 1
        if drop and n % drop == 0:
            continue
        s.sendto(b, peer)


def main():
    if sys.argv[1] == "udp":
        udp_echo(sys.argv[2], int(sys.argv[3]),
                 int(sys.argv[4]) if len(sys.argv) > 4 else 0)
        return
    addr, base = sys.argv[1], int(sys.argv[2])
    socks = [listen(addr, base + i, m) for i, m in enumerate(MODES) if m]
    for s, m in zip(socks, [m for m in MODES if m]):
        threading.Thread(target=accept_loop, args=(s, m),
                         daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
