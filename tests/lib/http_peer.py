#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The kernel ends of proxy_http_test (tq-proxy --mode http).

server ADDR PORT: an HTTP/1.1 backend, keep-alive (2 s idle at most),
  one thread per connection, request bodies by Content-Length or chunked.  Every answer
  has "X-Conn: N" (the connection's ordinal since the start) and
  "X-Req: M" (the request's on it).
    /sum        the SHA-256 and length of the request body ("HEX LEN\n")
    /chunked?N  N lines "line I\n", chunked, in several chunks
    /hang       read the request, never answer
    /toclose?N  N lines "line I\n", no length, ended by the close
    /stale      answered as the first request of a connection; as a
                later one, the connection is reset unanswered (a kept
                connection the server dropped just as the request came)
    /five       a 500 answer
    other       "PATH HOST XFF | FORWARDED\n" of the request
server ADDR PORT STATUS: the same, every answer with STATUS (a "500
  Internal Server Error" backend), /health too.
pipeline ADDR PORT PATH N [halfclose]: N GET requests in one write, one
  connection (then our FIN, with halfclose); the N answers must come in
  order (their bodies say the path given), then the end.
abuse ADDR PORT PATH: broken clients, one connection each: garbage, a
  head cut short then closed or reset, a body cut short, a reset in the
  middle of an answer, a request split byte by byte, an obs-fold, two
  Content-Lengths; every answer that comes must be a well-formed status
  line, and the byte-by-byte one a 200.
"""
import hashlib
import socket
import sys
import threading
import time

lock = threading.Lock()
nconn = [0]
forced = [None]


def read_line(f):
    line = f.readline(65537)
    if not line:
        raise EOFError
    return line


def read_head(f):
    lines = []
    while True:
        line = read_line(f)
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.rstrip(b"\r\n"))


def read_body(f, hdrs):
    te = hdrs.get("transfer-encoding", "")
    if "chunked" in te.lower():
        h = hashlib.sha256()
        n = 0
        while True:
            size = int(read_line(f).split(b";")[0].strip(), 16)
            if size == 0:
                while read_line(f) not in (b"\r\n", b"\n"):
                    pass
                return h, n
            data = f.read(size)
            h.update(data)
            n += len(data)
            read_line(f)
    cl = int(hdrs.get("content-length", "0"))
    h = hashlib.sha256()
    left = cl
    while left:
        data = f.read(min(left, 65536))
        if not data:
            raise EOFError
        h.update(data)
        left -= len(data)
    return h, cl


def serve(conn, ordinal):
    # An idle keep-alive connection is closed after 2 s, as servers do.
    conn.settimeout(2)
    f = conn.makefile("rb")
    req = 0
    try:
        while True:
            head = read_head(f)
            req += 1
            method, target, _ = head[0].decode().split(" ", 2)
            hdrs = {}
            for line in head[1:]:
                k, v = line.decode().split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
            h, n = read_body(f, hdrs)
            extra = "X-Conn: %d\r\nX-Req: %d\r\n" % (ordinal, req)
            if target.endswith("/stale") and req > 1:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            if "/toclose?" in target:
                cnt = int(target.split("?", 1)[1])
                out = ("HTTP/1.1 200 OK\r\n%s\r\n" % extra).encode()
                out += b"".join(("line %d\n" % i).encode()
                                for i in range(cnt))
                conn.sendall(out)
                return
            if target.endswith("/hang"):
                time.sleep(30)
                return
            if target.endswith("/sum"):
                body = ("%s %d\n" % (h.hexdigest(), n)).encode()
            elif "/chunked?" in target:
                cnt = int(target.split("?", 1)[1])
                out = ("HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked"
                       "\r\n\r\n" % extra).encode()
                for i in range(cnt):
                    d = ("line %d\n" % i).encode()
                    out += b"%x\r\n%s\r\n" % (len(d), d)
                out += b"0\r\n\r\n"
                if method == "HEAD":
                    out = out.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
                conn.sendall(out)
                continue
            else:
                body = ("%s %s %s | %s\n" % (
                    target, hdrs.get("host", "-"),
                    hdrs.get("x-forwarded-for", "-"),
                    hdrs.get("forwarded", "-"))).encode()
            status = "500 Internal Server Error" if target.endswith(
                "/five") else "200 OK"
            if forced[0]:
                status = forced[0]
            out = ("HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n" % (
                status, extra, len(body))).encode()
            if method != "HEAD":
                out += body
            conn.sendall(out)
            if hdrs.get("connection", "").lower() == "close":
                return
    except (EOFError, OSError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def server(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        with lock:
            nconn[0] += 1
            o = nconn[0]
        threading.Thread(target=serve, args=(c, o), daemon=True).start()


def pipeline(addr, port, path, n, half):
    s = socket.create_connection((addr, port), timeout=10)
    reqs = b"".join(b"GET %s?%d HTTP/1.1\r\nHost: p\r\n\r\n" %
                    (path.encode(), i) for i in range(n))
    s.sendall(reqs)
    if half:
        s.shutdown(socket.SHUT_WR)
    f = s.makefile("rb")
    for i in range(n):
        head = read_head(f)
        if b" 200 " not in head[0]:
            sys.exit("answer %d: %r" % (i, head[0]))
        cl = [int(x.split(b":")[1]) for x in head
              if x.lower().startswith(b"content-length:")][0]
        body = f.read(cl).decode()
        if not body.startswith("%s?%d " % (path, i)):
            sys.exit("answer %d out of order: %r" % (i, body))
    if half and f.read(1) != b"":
        sys.exit("more than the answers, or no end")
    print("%d pipelined answers in order" % n)


def abuse_one(addr, port, data, how):
    s = socket.create_connection((addr, port), timeout=5)
    try:
        if how == "bytes":
            for i in range(len(data)):
                s.send(data[i:i + 1])
                time.sleep(0.001)
        else:
            s.sendall(data)
        if how == "rst":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
            return None
        if how == "close":
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionError, socket.timeout):
                break
            if not d:
                break
            out += d
            if how == "rstmid" and len(out) > 100000:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
                return None
        return out
    finally:
        try:
            s.close()
        except OSError:
            pass


def abuse(addr, port, path):
    get = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode()
    cases = [
        (b"\x00\xff garbage \r\n\r\n", "close", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-a: b", "close", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-a: b", "rst", None),
        (b"POST /py/sum HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
         b"\r\n\r\nabc", "close", None),
        (b"POST /py/sum HTTP/1.1\r\nHost: x\r\nContent-Length: 100000"
         b"\r\n\r\nabc", "rst", None),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", "close",
         400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
         b"Content-Length: 2\r\n\r\nab", "close", 400),
        (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", "close", 505),
        (b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", "close", 501),
        (b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n", "rstmid", None),
        (get.replace(b"Host: x", b"Host: x\r\nConnection: close"), "bytes",
         200),
    ]
    for data, how, want in cases:
        out = abuse_one(addr, port, data, how)
        if want is None:
            continue
        if not out.startswith(b"HTTP/1.1 %d " % want):
            sys.exit("%r (%s): got %r" % (data[:40], how, out[:80]))
    print("%d broken clients answered or dropped" % len(cases))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        if len(sys.argv) > 4:
            forced[0] = "%s Forced" % sys.argv[4]
        server(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "pipeline":
        pipeline(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                 int(sys.argv[5]), len(sys.argv) > 6)
    elif sys.argv[1] == "abuse":
        abuse(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: see the docstring")
