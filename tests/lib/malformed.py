#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send malformed frames to the engine with scapy and check its counters.

Run as the kernel peer (inside its network namespace), with Debian's
python3 (it has scapy):

  malformed.py --iface IF --dst-mac MAC --src4 A --dst4 A --src6 A
               --dst6 A --ctl PATH --prefix P [--mode af_packet|tap]

Headers are built byte by byte here, so each defect is exactly the one
named; scapy sends them (sendp of raw bytes on IF).  After each class the
named counters (read with tq-ctl -z) must have grown by at least the
number of frames sent.  Prints one line per class; exits 1 if any failed.
"""
import argparse
import ipaddress
import struct
import subprocess
import sys
import time

from scapy.all import Ether, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0

ETH_IP4, ETH_IP6, ETH_ARP = 0x0800, 0x86DD, 0x0806


def csum(b):
    """RFC 1071 Internet checksum of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Peer:
    def __init__(self, a):
        self.a = a
        self.src_mac = get_if_hwaddr(a.iface)
        self.s4 = ipaddress.IPv4Address(a.src4).packed
        self.d4 = ipaddress.IPv4Address(a.dst4).packed
        self.s6 = ipaddress.IPv6Address(a.src6).packed
        self.d6 = ipaddress.IPv6Address(a.dst6).packed
        self.ident = 0x4000

    def eth(self, etype, payload=b""):
        return bytes(Ether(dst=self.a.dst_mac, src=self.src_mac,
                           type=etype)) + payload

    def ip4(self, payload, proto=17, ver=4, ihl=None, tot=None,
            frag=0, options=b"", bad_csum=False, ident=None):
        if ihl is None:
            ihl = (20 + len(options)) // 4
        if tot is None:
            tot = 20 + len(options) + len(payload)
        if ident is None:
            self.ident += 1
            ident = self.ident
        h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, tot, ident,
                        frag, 64, proto, 0, self.s4, self.d4) + options
        c = csum(h)
        if bad_csum:
            c ^= 0x5A5A
        h = h[:10] + struct.pack("!H", c) + h[12:]
        return self.eth(ETH_IP4, h + payload)

    def ip6(self, payload, nh=17, plen=None):
        if plen is None:
            plen = len(payload)
        h = struct.pack("!IHBB16s16s", 6 << 28, plen, nh, 64, self.s6,
                        self.d6)
        return self.eth(ETH_IP6, h + payload)

    def udp(self, data, v6=False, dport=7, sport=40007, ulen=None,
            cks="good"):
        ln = 8 + len(data)
        if ulen is None:
            ulen = ln
        h = struct.pack("!HHHH", sport, dport, ulen, 0)
        if v6:
            ph = self.s6 + self.d6 + struct.pack("!IxxxB", ln, 17)
        else:
            ph = self.s4 + self.d4 + struct.pack("!xBH", 17, ln)
        c = csum(ph + h + data) or 0xFFFF
        if cks == "bad":
            c ^= 0x1234
        elif cks == "zero":
            c = 0
        return h[:6] + struct.pack("!H", c) + data

    def arp(self, hlen=6, plen=4, op=1, truncate=None):
        sha = bytes(int(x, 16) for x in self.src_mac.split(":"))
        body = struct.pack("!HHBBH", 1, ETH_IP4, hlen, plen, op)
        body += sha + b"\0" * (hlen - 6) + self.s4 + b"\0" * (plen - 4)
        body += b"\0" * hlen + self.d4 + b"\0" * (plen - 4)
        if truncate:
            body = body[:truncate]
        return self.eth(ETH_ARP, body)


def counters(a):
    out = subprocess.run([a.ctl, "--file-prefix", a.prefix, "-z", "stats"],
                         capture_output=True, text=True, check=True).stdout
    c = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2:
            c[f[0]] = int(f[1])
    return c


def main():
    ap = argparse.ArgumentParser()
    for k in ("iface", "dst-mac", "src4", "dst4", "src6", "dst6", "ctl",
              "prefix"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--mode", default="af_packet")
    a = ap.parse_args()
    p = Peer(a)
    pay = bytes(range(16))
    tap = a.mode == "tap"

    # (name, frames, counters whose sum must grow by >= len(frames)).
    # A class with counters None only has to leave the engine running
    # (the kernel deals with those frames before the engine sees them).
    classes = [
        # Linux pads a raw frame shorter than 14 bytes with zeros
        # (dev_validate_header), so EthTruncated cannot be reached from a
        # kernel peer: the padded frame has EtherType 0.
        ("eth: 10-byte frame (the kernel pads it to 14)",
         [p.eth(0x0800)[:10]],
         ["EthTruncated", "EthUnknownType", "EthNotForUs"]),
        ("eth: header only, unknown EtherType",
         [p.eth(0x88B5)], ["EthUnknownType"]),
        ("ipv4: truncated header (header only, 10 bytes)",
         [p.eth(ETH_IP4), p.ip4(b"")[:14 + 10]], ["IpInHdrErrors"]),
        ("ipv6: truncated header (20 bytes)",
         [p.ip6(b"")[:14 + 20]], ["Ip6InHdrErrors"]),
        ("udp: truncated header (4 bytes)",
         [p.ip4(b"\x9c\x47\x00\x07")], ["UdpInErrors"]),
        ("udp: length beyond the datagram",
         [p.ip4(p.udp(pay, ulen=200))], ["UdpInErrors"]),
        ("ipv4: total length beyond the frame",
         [p.ip4(p.udp(pay), tot=20 + 8 + 16 + 200)],
         ["IpInTruncatedPkts"]),
        ("ipv4: total length below the header",
         [p.ip4(p.udp(pay), tot=12)], ["IpInHdrErrors"]),
        ("ipv4: bad IHL (4, 15) and version (5)",
         [p.ip4(p.udp(pay), ihl=4), p.ip4(p.udp(b""), ihl=15),
          p.ip4(p.udp(pay), ver=5)], ["IpInHdrErrors"]),
        ("ipv4: bad header checksum",
         [p.ip4(p.udp(pay), bad_csum=True) for _ in range(3)],
         ["IpInCsumErrors"]),
        ("ipv4: bogus options (length 0; length past the header)",
         [p.ip4(p.udp(pay), options=b"\x07\x00\x00\x00"),
          p.ip4(p.udp(pay), options=b"\x44\x10\x05\x00")],
         ["IpInHdrErrors"]),
        ("udp/ipv4: bad checksum",
         [p.ip4(p.udp(pay, cks="bad")) for _ in range(3)],
         ["UdpInCsumErrors"]),
        ("udp/ipv6: bad checksum, zero checksum",
         [p.ip6(p.udp(pay, v6=True, cks="bad")),
          p.ip6(p.udp(pay, v6=True, cks="zero"))],
         ["UdpInCsumErrors"]),
        ("ipv6: payload length beyond the frame",
         [p.ip6(p.udp(pay, v6=True), plen=300)],
         ["Ip6InTruncatedPkts"]),
        ("ipv6: payload length 0 (jumbogram on Ethernet)",
         [p.ip6(p.udp(pay, v6=True), plen=0)], ["Ip6InHdrErrors"]),
        ("arp: bad hardware length, bad protocol length, truncated",
         [p.arp(hlen=8), p.arp(plen=16), p.arp(truncate=20)],
         ["ArpMalformed"]),
    ]
    # Overlapping IPv4 fragments: 0..15 (MF) and 8..23 (last): 32 bytes
    # of fragments for a 24-byte datagram.  net_af_packet's fanout
    # defrag hands IPv4 fragments to the kernel's reassembly first,
    # which drops overlaps (RFC 5722 style), so only tap shows the
    # engine's own handling.
    udp_full = p.udp(bytes(16))
    ident = 0x7777
    frags4 = [p.ip4(udp_full[:16], frag=0x2000, ident=ident),
              p.ip4(udp_full[8:24], frag=1, ident=ident),
              # and a duplicate first fragment of another datagram
              p.ip4(udp_full[:16], frag=0x2000, ident=ident + 1),
              p.ip4(udp_full[:16], frag=0x2000, ident=ident + 1)]
    if tap:
        classes.append(("ipv4: overlapping fragments, duplicate first",
                        frags4, ["IpReasmFails"]))
    else:
        classes.append(("ipv4: overlapping fragments (kernel drops them "
                        "first: af_packet fanout defrag)", frags4, None))

    def frag6(data, off, more, ident):
        fh = struct.pack("!BBHI", 17, 0, (off << 3) | more, ident)
        return p.ip6(fh + data, nh=44)

    u6 = p.udp(bytes(16), v6=True)
    classes.append(("ipv6: overlapping fragments",
                    [frag6(u6[:16], 0, 1, 0x99), frag6(u6[8:24], 1, 0, 0x99)],
                    ["Ip6ReasmFails"]))

    # A lone first fragment: the datagram never completes, and the
    # engine must give it up after --frag-timeout-ms (the test runs with
    # 1000 ms) and count that.
    lone4 = [p.ip4(udp_full[:16], frag=0x2000, ident=ident + 2)]
    if tap:
        classes.append(("ipv4: lone first fragment, reassembly times out",
                        lone4, ["IpReasmFails"]))
    classes.append(("ipv6: lone first fragment, reassembly times out",
                    [frag6(u6[:16], 0, 1, 0x9A)], ["Ip6ReasmFails"]))

    failed = 0
    for name, frames, names in classes:
        before = counters(a)
        refused = 0
        for f in frames:
            try:
                sendp(Raw(load=f), iface=a.iface)
            except OSError as e:
                refused += 1
                err = e
        sent = len(frames) - refused
        if sent == 0:
            print(f"skip  {name}: the kernel refuses to send it "
                  f"({err.strerror}); not reachable from a kernel peer")
            continue
        if names is None:
            time.sleep(0.3)
            after = counters(a)
            d = {k: after[k] - before.get(k, 0) for k in after
                 if after[k] != before.get(k, 0)}
            print(f"ok    {name}: engine alive; counters moved: {d}")
            continue
        deadline = time.monotonic() + 4  # > the reassembly timeout
        while True:
            after = counters(a)
            grew = sum(after[k] - before[k] for k in names)
            if grew >= sent or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if grew >= sent:
            parts = ", ".join(f"{k} +{after[k] - before[k]}" for k in names
                              if after[k] != before[k])
            print(f"ok    {name}: {parts} (sent {sent})")
        else:
            moved = {k: after[k] - before.get(k, 0) for k in after
                     if after[k] != before.get(k, 0)}
            print(f"FAIL  {name}: {'+'.join(names)} +{grew}, expected "
                  f">= {sent}; counters that moved: {moved}")
            failed += 1
    print(f"{len(classes)} classes, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
