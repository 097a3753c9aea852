#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Both kernel ends of proxy_reload_test (tq-proxy's config reload).

server ADDR PORT NAME: a TCP backend; each connection sends a line:
    who          answer NAME and a newline, close
    big N        answer NAME, a newline and N bytes of a pattern, close
http ADDR PORT NAME: an HTTP/1.1 backend (keep-alive): GET /who answers
  NAME, GET /big/N answers N bytes of the pattern.
client ADDR PORT who: print the name of the backend that answered.
client ADDR PORT big N RATE: read N bytes at RATE bytes/s at most and
  check them; print the backend's name.
hclient ADDR PORT N SIGNAL: one keep-alive HTTP connection, N requests
  of /who one after the other; before each after the first, wait for
  the file SIGNAL to appear (the test reloads in between), then print
  the names that answered, one per line.
hbig ADDR PORT N RATE: GET /big/N read at RATE bytes/s and checked.
"""
import hashlib
import os
import socket
import sys
import threading
import time


def pattern(n):
    block = hashlib.sha256(b"reload").digest() * 4096
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


def read_line(c):
    buf = b""
    while not buf.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            break
        buf += b
    return buf.decode().strip()


def serve_tcp(c, name):
    try:
        cmd = read_line(c).split()
        c.sendall(name.encode() + b"\n")
        if cmd and cmd[0] == "big":
            c.sendall(pattern(int(cmd[1])))
    except OSError:
        pass
    finally:
        c.close()


def read_head(c, buf):
    while b"\r\n\r\n" not in buf:
        b = c.recv(65536)
        if not b:
            return None, buf
        buf += b
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def serve_http(c, name):
    buf = b""
    try:
        while True:
            head, buf = read_head(c, buf)
            if head is None:
                return
            path = head.split("\r\n")[0].split()[1]
            if path.startswith("/big/"):
                body = pattern(int(path[5:]))
            else:
                body = name.encode() + b"\n"
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                      b"X-Backend: %s\r\n\r\n" % (len(body), name.encode())
                      + body)
    except OSError:
        pass
    finally:
        c.close()


def server(addr, port, name, fn):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c, name), daemon=True).start()


def connect(addr, port, rcvbuf=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(20)
    s.connect((addr, port))
    return s


def slow_read(s, n, rate, buf=b""):
    got = bytearray(buf)
    t0 = time.monotonic()
    while len(got) < n:
        b = s.recv(min(16384, n - len(got)))
        if not b:
            raise EOFError("closed after %d of %d bytes" % (len(got), n))
        got += b
        ahead = len(got) / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    if bytes(got) != pattern(n):
        raise ValueError("%d bytes differ from the pattern" % n)
    return time.monotonic() - t0


def client(addr, port, mode, args):
    s = connect(addr, port, 65536 if mode == "big" else 0)
    if mode == "who":
        s.sendall(b"who\n")
        print(read_line(s))
        return
    n, rate = int(args[0]), int(args[1])
    s.sendall(b"big %d\n" % n)
    name = read_line(s)
    secs = slow_read(s, n, rate)
    if s.recv(1):
        raise ValueError("bytes past the end")
    print("%s %d bytes in %.1f s" % (name, n, secs))


def http_get(s, path, buf):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    head, buf = read_head(s, buf)
    if head is None or not head.startswith("HTTP/1.1 200"):
        raise ValueError("answer %r" % head)
    length = 0
    for f in head.split("\r\n")[1:]:
        k, _, v = f.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    return length, buf


def hclient(addr, port, n, signal):
    s = connect(addr, port)
    buf = b""
    names = []
    for i in range(n):
        if i:
            for _ in range(300):
                if os.path.exists(signal + str(i)):
                    break
                time.sleep(0.1)
            else:
                raise TimeoutError("no %s%d" % (signal, i))
        length, buf = http_get(s, "/who", buf)
        while len(buf) < length:
            b = s.recv(65536)
            if not b:
                raise EOFError("closed inside an answer")
            buf += b
        names.append(buf[:length].decode().strip())
        buf = buf[length:]
        # The test waits for this before it reloads.
        open(signal + "got" + str(i), "w").close()
    print("\n".join(names))


def hbig(addr, port, n, rate):
    s = connect(addr, port, 65536)
    length, buf = http_get(s, "/big/%d" % n, b"")
    if length != n:
        raise ValueError("Content-Length %d, not %d" % (length, n))
    secs = slow_read(s, n, rate, buf)
    print("%d bytes in %.1f s" % (n, secs))


if __name__ == "__main__":
    try:
        if sys.argv[1] == "server":
            server(sys.argv[2], int(sys.argv[3]), sys.argv[4], serve_tcp)
        elif sys.argv[1] == "http":
            server(sys.argv[2], int(sys.argv[3]), sys.argv[4], serve_http)
        elif sys.argv[1] == "client":
            client(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                   sys.argv[5:])
        elif sys.argv[1] == "hclient":
            hclient(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    sys.argv[5])
        elif sys.argv[1] == "hbig":
            hbig(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                 int(sys.argv[5]))
    except Exception as e:  # the test prints it
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
