#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Crafted-segment checks against the engine's TCP, run as the kernel peer
inside its namespace with Debian's python3 (scapy).

  tcp_attack.py rst --iface IF --dst-mac MAC --src A --dst A --port P
      A real kernel connection to the echo port P; a forged RST inside the
      window but not at rcv_nxt must draw a challenge ACK and leave the
      connection working (RFC 5961 3.2); a RST at exactly rcv_nxt must
      reset it.
  tcp_attack.py synflood --iface IF --dst-mac MAC --src-net PFX --dst A
                --port P --count N
      N SYNs from spoofed addresses of the peer's own /24 while a real
      kernel client connects and echoes: the client must be served.
  tcp_attack.py overrun --iface IF --dst-mac MAC --src A --dst A --port P
      A real kernel connection to P, a service that does not read (with a
      small receive buffer); the client fills most of the window, then a
      forged segment at rcv_nxt runs past the window's right edge: the
      engine must keep only what fits and ACK exactly that (RcvPruned).
Prints what it saw; exits 1 on failure.
"""
import argparse
import socket
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, conf, get_if_hwaddr, sendp

conf.verb = 0


def echo_once(sock, data):
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        b = sock.recv(65536)
        if not b:
            raise ConnectionError("EOF")
        got += b
    return got == data


def connect_sniffed(a):
    """A kernel connection to the port, with every TCP segment of that
    port on the interface collected (in the returned list) from before
    its SYN."""
    seen = []

    def note(p):
        if TCP in p:
            seen.append(p)

    sniff = AsyncSniffer(iface=a.iface, prn=note, store=False,
                         filter=f"tcp and host {a.dst} and port {a.port}")
    sniff.start()
    time.sleep(0.5)
    s = socket.create_connection((a.dst, a.port), timeout=5)
    return s, s.getsockname()[1], seen, sniff


def rst(a):
    s, lport, seen, sniff = connect_sniffed(a)
    ok = echo_once(s, b"before the forged reset")
    time.sleep(0.3)

    def next_seq():
        # The engine's rcv_nxt: the end of the client's last segment.
        last = None
        for p in seen:
            t = p[TCP]
            # the client's own segments, not our forged RSTs
            if p[IP].src == a.src and t.sport == lport and \
                    not t.flags & 0x04:
                end = t.seq + len(bytes(t.payload)) + \
                    (1 if t.flags & 0x03 else 0)
                if last is None or ((end - last) & 0xFFFFFFFF) < 0x80000000:
                    last = end
        return last & 0xFFFFFFFF

    mac = get_if_hwaddr(a.iface)

    def forge(seq):
        return (Ether(src=mac, dst=a.dst_mac) /
                IP(src=a.src, dst=a.dst) /
                TCP(sport=lport, dport=a.port, flags="R", seq=seq))

    rcv_nxt = next_seq()
    before = len(seen)
    sendp(forge((rcv_nxt + 1000) & 0xFFFFFFFF), iface=a.iface)
    time.sleep(0.5)
    challenge = [p for p in seen[before:]
                 if p[IP].src == a.dst and p[TCP].flags & 0x10 and
                 not p[TCP].flags & 0x04 and p[TCP].ack == rcv_nxt]
    alive = echo_once(s, b"after the in-window reset")
    print(f"in-window RST (seq rcv_nxt+1000): challenge ACKs seen "
          f"{len(challenge)}, connection alive {alive}")
    if not (ok and challenge and alive):
        sniff.stop()
        return 1
    time.sleep(0.3)
    rcv_nxt = next_seq()
    before = len(seen)
    sendp(forge(rcv_nxt), iface=a.iface)
    time.sleep(0.5)
    reset = False
    try:
        s.sendall(b"after the exact reset")
        s.settimeout(3)
        s.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        reset = True
    except socket.timeout:
        reset = False
    sniff.stop()
    print(f"exact RST (seq rcv_nxt): connection reset {reset}")
    return 0 if reset else 1


def synflood(a):
    result = {}

    def client():
        t0 = time.time()
        try:
            s = socket.create_connection((a.dst, a.port), timeout=10)
            result["ok"] = echo_once(s, b"x" * 100000)
            s.close()
        except OSError as e:
            result["ok"] = False
            result["err"] = repr(e)
        result["secs"] = time.time() - t0

    mac = get_if_hwaddr(a.iface)
    base = a.src_net.rsplit(".", 1)[0]
    pkts = [Ether(src=mac, dst=a.dst_mac) /
            IP(src=f"{base}.{100 + i % 150}", dst=a.dst) /
            TCP(sport=1024 + i, dport=a.port, flags="S", seq=i * 7919,
                options=[("MSS", 1460), ("SAckOK", b""),
                         ("Timestamp", (i, 0)), ("NOP", None),
                         ("WScale", 7)])
            for i in range(a.count)]
    half = len(pkts) // 2
    sendp(pkts[:half], iface=a.iface)
    th = threading.Thread(target=client)
    th.start()
    sendp(pkts[half:], iface=a.iface)
    th.join(20)
    print(f"flood of {a.count} spoofed SYNs; real client served "
          f"{result.get('ok')} in {result.get('secs', 0):.2f} s "
          f"{result.get('err', '')}")
    return 0 if result.get("ok") else 1


def overrun(a):
    s, lport, seen, sniff = connect_sniffed(a)
    s.sendall(b"f" * a.fill)
    time.sleep(0.5)

    def opts(p):
        return dict((k, v) for k, v in p[TCP].options
                    if isinstance(k, str))

    mine = [p for p in seen if p[IP].src == a.src and p[TCP].sport == lport]
    theirs = [p for p in seen if p[IP].src == a.dst and
              p[TCP].dport == lport]
    synack = [p for p in theirs if p[TCP].flags & 0x12 == 0x12]
    if not mine or not synack or len(theirs) < 2:
        sniff.stop()
        print(f"saw {len(mine)} client and {len(theirs)} engine segments")
        return 1
    shift = opts(synack[0]).get("WScale", 0)
    last = theirs[-1][TCP]
    rcv_nxt, room = last.ack, last.window << shift
    tsval = opts(mine[-1]).get("Timestamp", (0, 0))[0]
    tsecr = opts(last).get("Timestamp", (0, 0))[0]
    n = room + 400
    mac = get_if_hwaddr(a.iface)
    before = len(seen)
    sendp(Ether(src=mac, dst=a.dst_mac) /
          IP(src=a.src, dst=a.dst) /
          TCP(sport=lport, dport=a.port, flags="PA", seq=rcv_nxt,
              ack=last.seq, window=1024,
              options=[("NOP", None), ("NOP", None),
                       ("Timestamp", (tsval, tsecr))]) /
          (b"o" * n), iface=a.iface)
    time.sleep(0.5)
    sniff.stop()
    want = (rcv_nxt + room) & 0xFFFFFFFF
    acks = [p[TCP].ack for p in seen[before:] if p[IP].src == a.dst]
    s.close()
    print(f"window {room} at rcv_nxt {rcv_nxt}: sent {n} bytes there, "
          f"engine ACKed {acks} (want {want})")
    return 0 if want in acks else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["rst", "synflood", "overrun"])
    p.add_argument("--iface", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src")
    p.add_argument("--src-net")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--fill", type=int, default=3500)
    a = p.parse_args()
    return {"rst": rst, "synflood": synflood, "overrun": overrun}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
