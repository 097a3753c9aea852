#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Both kernel ends of proxy_test's second part (tq-proxy with a config
file, PROXY v2, timeouts, a backend's RST).

server ADDR PORT: a backend that expects a PROXY protocol v2 header on
  every connection, then a command line:
    who          answer "IP PORT" of the client the header names; close
    hash N       read to EOF, answer the SHA-256 of what came (hex and a
                 newline) and N bytes of a pattern, close (half-close)
    rst          send 200000 bytes, then reset (SO_LINGER 0)
    idle         read until the connection ends
client ADDR PORT who: the header must name this very client.
client ADDR PORT hash UP DOWN: send UP bytes, shut the write side, read
  to EOF: the hash and the DOWN bytes must match.
client ADDR PORT rst: the reset must reach the client after some bytes.
client ADDR PORT idle SECS: send nothing more; the proxy must reset the
  connection within SECS (and not before half of it).
"""
import hashlib
import ipaddress
import socket
import struct
import sys
import threading
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def pattern(n, seed):
    block = hashlib.sha256(bytes([seed])).digest() * 2048
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        b = c.recv(n - len(buf))
        if not b:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return buf


def read_ppv2(c):
    head = recv_exact(c, 16)
    if head[:12] != SIG or head[12] != 0x21:
        raise ValueError("no PROXY v2 header: %r" % head)
    fam, length = head[13], struct.unpack("!H", head[14:16])[0]
    body = recv_exact(c, length)
    if fam == 0x11:
        src = ipaddress.IPv4Address(body[0:4])
        sport = struct.unpack("!H", body[8:10])[0]
    elif fam == 0x21:
        src = ipaddress.IPv6Address(body[0:16])
        sport = struct.unpack("!H", body[32:34])[0]
    else:
        raise ValueError("family %#x" % fam)
    return str(src), sport


def read_line(c):
    line = b""
    while not line.endswith(b"\n"):
        line += recv_exact(c, 1)
    return line.decode().split()


def serve_one(c):
    try:
        src, sport = read_ppv2(c)
        cmd = read_line(c)
        if cmd[0] == "who":
            c.sendall(("%s %d\n" % (src, sport)).encode())
        elif cmd[0] == "hash":
            h = hashlib.sha256()
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
            c.sendall(h.hexdigest().encode() + b"\n" +
                      pattern(int(cmd[1]), 2))
        elif cmd[0] == "rst":
            c.sendall(pattern(200000, 3))
            time.sleep(0.2)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
        elif cmd[0] == "idle":
            while c.recv(65536):
                pass
    except (OSError, EOFError, ValueError) as e:
        print("backend:", e, flush=True)
    c.close()


def server(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def read_to_end(s):
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return bytes(got)
        got += b


def client(addr, port, mode, args):
    s = socket.create_connection((addr, port), timeout=30)
    if mode == "who":
        s.sendall(b"who\n")
        got = read_to_end(s).decode().split()
        me = s.getsockname()
        if got != [me[0], str(me[1])]:
            sys.exit("header named %r, the client is %r" % (got, me[:2]))
        print("header names %s %s" % tuple(got))
    elif mode == "hash":
        up, down = int(args[0]), int(args[1])
        data = pattern(up, 1)
        s.sendall(b"hash %d\n" % down + data)
        s.shutdown(socket.SHUT_WR)
        line, _, rest = read_to_end(s).partition(b"\n")
        if line != hashlib.sha256(data).hexdigest().encode():
            sys.exit("hash mismatch: %r" % line[:80])
        if rest != pattern(down, 2):
            sys.exit("download mismatch: %d bytes, want %d" %
                     (len(rest), down))
        print("up %d down %d ok" % (up, down))
    elif mode == "rst":
        s.sendall(b"rst\n")
        got = 0
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    sys.exit("orderly end after %d bytes, not a reset" % got)
                got += len(b)
        except ConnectionResetError:
            print("reset after %d bytes" % got)
    elif mode == "idle":
        secs = float(args[0])
        s.sendall(b"idle\n")
        s.settimeout(secs + 5)
        t0 = time.time()
        try:
            b = s.recv(1)
            sys.exit("got %r instead of a reset" % b)
        except ConnectionResetError:
            pass
        except socket.timeout:
            sys.exit("no reset within %.1f s" % (secs + 5))
        dt = time.time() - t0
        if dt < secs / 2 or dt > secs * 3:
            sys.exit("reset after %.2f s, idle timeout %.2f s" % (dt, secs))
        print("reset after %.2f s idle" % dt)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
