#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the libFuzzer harnesses (tests/fuzz/corpus/).

Valid frames of every kind the host handles, in each harness's input
format (see the comment at the top of each fuzz_<name>.c):

  eth     records of whole Ethernet frames
  arp     records of [ctl][ARP packet]
  ipv4    records of [ctl][IPv4 packet]
  ipv6    records of [ctl][IPv6 packet]
  icmp    records of [ctl][ICMP or ICMPv6 message]
  udp     records of [ctl][UDP header and payload]
  tcp     [ctl] then records of TCP segments (header, options, payload)
  tcpopt  [syn][TCP options]
  http    [ctl][split, 2 bytes][HTTP/1.1 messages]
  quic_hdr    [ctl][a UDP payload: coalesced QUIC packets]
  quic_frame  [ctl][QUIC frames]
  quic_tp     [ctl][QUIC transport parameters]
  quic_tls    [ctl][TLS handshake messages: a ClientHello, or a ServerHello]
  quic_rxbuf  [ctl][4-byte reassembly operations]
  quic_recovery [ctl][3-byte recovery operations]
  quic_ack    [ctl][3-byte received-packet operations]
  quic_conn   records of [ctl][QUIC frames], each a 1-RTT packet from
              the client (ctl bit 0 clear) or the server
  qpack   [ctl][split][a QPACK field section, or encoder or decoder
          stream bytes]

A record is a 2-byte big-endian length and that many bytes.  Standard
library only; the output is deterministic, so rerunning it changes
nothing unless this script changed.  Usage: make_corpus.py [outdir]
"""

import os
import shutil
import struct
import sys

HOST_MAC = bytes([0x02, 0, 0, 0, 0, 0x02])
PEER_MAC = bytes([0x02, 0, 0, 0, 0, 0xee])
BCAST_MAC = b"\xff" * 6
ALLNODES_MAC = bytes([0x33, 0x33, 0, 0, 0, 1])

ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
P_ICMP, P_TCP, P_UDP, P_ICMP6 = 1, 6, 17, 58
P_HOPOPTS, P_ROUTING, P_FRAGMENT, P_DSTOPTS, P_NONE = 0, 43, 44, 60, 59


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    if "::" in s:
        head, tail = s.split("::")
        h = [x for x in head.split(":") if x]
        t = [x for x in tail.split(":") if x]
        words = h + ["0"] * (8 - len(h) - len(t)) + t
    else:
        words = s.split(":")
    return b"".join(struct.pack("!H", int(w, 16)) for w in words)


HOST4, PEER4, BCAST4, UNRES4 = (ip4("10.0.0.2"), ip4("10.0.0.1"),
                                ip4("10.0.0.255"), ip4("10.0.0.5"))
HOST6, PEER6, UNRES6 = ip6("fd00::2"), ip6("fd00::1"), ip6("fd00::5")
HOSTLL, PEERLL = ip6("fe80::2"), ip6("fe80::1")
ALLNODES = ip6("ff02::1")
SNODE_HOST = ip6("ff02::1:ff00:2")


def csum(data, init=0):
    if len(data) % 2:
        data += b"\0"
    s = init + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def phdr(src, dst, proto, length):
    if len(src) == 4:
        ph = src + dst + struct.pack("!BBH", 0, proto, length)
    else:
        ph = src + dst + struct.pack("!I3xB", length, proto)
    return sum(struct.unpack("!%dH" % (len(ph) // 2), ph))


def l4_csum(src, dst, proto, l4, off):
    """l4 with its checksum (at off) filled in."""
    l4 = bytearray(l4)
    l4[off:off + 2] = b"\0\0"
    init = 0 if proto == P_ICMP else phdr(src, dst, proto, len(l4))
    c = csum(bytes(l4), init)
    if proto == P_UDP and c == 0:
        c = 0xFFFF
    l4[off:off + 2] = struct.pack("!H", c)
    return bytes(l4)


def eth(dst, etype, payload, src=PEER_MAC):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, opts=b"", ident=1, frag=0, ttl=64,
         tot=None):
    hl = 20 + len(opts)
    assert hl % 4 == 0
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0,
                    tot if tot is not None else hl + len(payload), ident,
                    frag, ttl, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + src + \
        dst + payload


def udp(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return l4_csum(src, dst, P_UDP, u, 6)


def icmp4(typ, code, body):
    return l4_csum(None, None, P_ICMP, struct.pack("!BBH", typ, code, 0) +
                   body, 2)


def icmp6(src, dst, typ, code, body):
    return l4_csum(src, dst, P_ICMP6, struct.pack("!BBH", typ, code, 0) +
                   body, 2)


def tcp_opts(mss=None, sack_perm=False, ts=None, ws=None, sack=(),
             tfo=None):
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack_perm:
        o += b"\x04\x02"
    if ts is not None:
        if not sack_perm:
            o += b"\x01\x01"
        o += struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if ws is not None:
        o += struct.pack("!BBBB", 1, 3, 3, ws)
    if sack:
        o += b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sack))
        for a, b in sack:
            o += struct.pack("!II", a, b)
    if tfo is not None:
        o += struct.pack("!BB", 34, 2 + len(tfo)) + tfo
    while len(o) % 4:
        o += b"\x01"
    return o


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


def tcp(sport, dport, seq, ack, flags, win=1024, opts=b"", data=b"",
        urp=0, src=None, dst=None):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                    ack & 0xFFFFFFFF, (20 + len(opts)) // 4 << 4, flags,
                    win, 0, urp) + opts + data
    if src is not None:
        t = l4_csum(src, dst, P_TCP, t, 16)
    return t


def rec(*items):
    return b"".join(struct.pack("!H", len(x)) + x for x in items)


def payload(n, seed=0):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


def arp(op, sha, sip, tha, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, op, sha, sip,
                       tha, tip)


def nd_ns(target, slla=True):
    body = b"\0\0\0\0" + target
    if slla:
        body += b"\x01\x01" + PEER_MAC
    return body


def nd_na(target, flags=0x60, tlla=True):
    body = bytes([flags, 0, 0, 0]) + target
    if tlla:
        body += b"\x02\x01" + PEER_MAC
    return body


def frag4(src, dst, proto, dgram, ident, pieces):
    """IPv4 fragments of dgram: pieces are (offset, length, more)."""
    return [ipv4(src, dst, proto, dgram[o:o + n], ident=ident,
                 frag=(o // 8) | (0x2000 if mf else 0))
            for o, n, mf in pieces]


def frag6(src, dst, nh, dgram, ident, pieces):
    out = []
    for o, n, mf in pieces:
        fh = struct.pack("!BBHI", nh, 0, o | (1 if mf else 0), ident)
        out.append(ipv6(src, dst, P_FRAGMENT, fh + dgram[o:o + n]))
    return out


def ext6(nh, body):
    """An extension header (hop-by-hop, dest opts, routing) padded to 8."""
    b = bytes([nh, 0]) + body
    pad = (-len(b)) % 8
    if pad == 1:
        b += b"\0"
    elif pad:
        b += bytes([1, pad - 2]) + b"\0" * (pad - 2)
    b = bytes([nh, len(b) // 8 - 1]) + b[2:]
    return b


# ---------------------------------------------------------------- packets

def l3_packets():
    """IPv4 and IPv6 packets (L3 on), by name, for ipv4/ipv6/eth."""
    v4, v6 = {}, {}
    u7 = udp(PEER4, HOST4, 5000, 7, b"hello, echo")
    v4["udp_echo"] = [ipv4(PEER4, HOST4, P_UDP, u7)]
    v4["udp_discard"] = [ipv4(PEER4, HOST4, P_UDP,
                              udp(PEER4, HOST4, 5000, 9, payload(100)))]
    v4["udp_unbound"] = [ipv4(PEER4, HOST4, P_UDP,
                              udp(PEER4, HOST4, 5000, 53, payload(40)))]
    v4["udp_nocsum"] = [ipv4(PEER4, HOST4, P_UDP, struct.pack(
        "!HHHH", 5000, 7, 12, 0) + b"nock")]
    v4["udp_bcast"] = [ipv4(PEER4, BCAST4, P_UDP,
                            udp(PEER4, BCAST4, 5000, 7, b"bcast"))]
    v4["icmp_echo"] = [ipv4(PEER4, HOST4, P_ICMP,
                            icmp4(8, 0, struct.pack("!HH", 1, 1) +
                                  payload(56)))]
    v4["icmp_unreach"] = [ipv4(PEER4, HOST4, P_ICMP, icmp4(
        3, 3, b"\0" * 4 + ipv4(HOST4, PEER4, P_UDP, u7)[:28]))]
    # options: NOP, record route (3 slots), timestamp, EOL
    rr = bytes([7, 15, 4]) + b"\0" * 12
    tsopt = bytes([68, 12, 5, 0]) + b"\0" * 8
    v4["opts_rr"] = [ipv4(PEER4, HOST4, P_UDP, u7,
                          opts=b"\x01" + rr)]
    v4["opts_ts"] = [ipv4(PEER4, HOST4, P_ICMP, icmp4(8, 0, b"\0\1\0\1"),
                          opts=tsopt)]
    v4["opts_eol"] = [ipv4(PEER4, HOST4, P_UDP, u7,
                           opts=b"\x01\x01\x01\x00")]
    v4["opts_router_alert"] = [ipv4(PEER4, HOST4, P_UDP, u7,
                                    opts=bytes([0x94, 4, 0, 0]))]
    dg = udp(PEER4, HOST4, 5001, 9, payload(120))
    v4["frag_two"] = frag4(PEER4, HOST4, P_UDP, dg, 77,
                           [(0, 64, True), (64, len(dg) - 64, False)])
    v4["frag_reversed"] = frag4(PEER4, HOST4, P_UDP, dg, 78,
                                [(64, len(dg) - 64, False),
                                 (0, 64, True)])
    v4["frag_overlap"] = frag4(PEER4, HOST4, P_UDP, dg, 79,
                               [(0, 72, True), (64, len(dg) - 64, False)])
    v4["frag_three"] = frag4(PEER4, HOST4, P_UDP, dg, 80,
                             [(0, 48, True), (48, 48, True),
                              (96, len(dg) - 96, False)])
    v4["frag_missing"] = frag4(PEER4, HOST4, P_UDP, dg, 81,
                               [(0, 64, True)])
    v4["frag_dup"] = frag4(PEER4, HOST4, P_UDP, dg, 82,
                           [(0, 64, True), (0, 64, True),
                            (64, len(dg) - 64, False)])
    t = tcp(40000, 80, 1000, 0, SYN, 65535,
            tcp_opts(1460, True, (1, 0), 7), src=PEER4, dst=HOST4)
    v4["tcp_syn"] = [ipv4(PEER4, HOST4, P_TCP, t)]
    v4["tcp_syn_closed"] = [ipv4(PEER4, HOST4, P_TCP, tcp(
        40000, 81, 1000, 0, SYN, 65535, src=PEER4, dst=HOST4))]
    v4["ttl0"] = [ipv4(PEER4, HOST4, P_UDP, u7, ttl=0)]
    v4["unknown_proto"] = [ipv4(PEER4, HOST4, 132, b"\0" * 16)]
    v4["not_ours"] = [ipv4(PEER4, ip4("10.0.0.9"), P_UDP, u7)]

    u6 = udp(PEER6, HOST6, 5000, 7, b"hello, echo")
    v6["udp_echo"] = [ipv6(PEER6, HOST6, P_UDP, u6)]
    v6["udp_unbound"] = [ipv6(PEER6, HOST6, P_UDP,
                              udp(PEER6, HOST6, 5000, 53, payload(40)))]
    v6["udp_allnodes"] = [ipv6(PEER6, ALLNODES, P_UDP,
                               udp(PEER6, ALLNODES, 5000, 7, b"mc"))]
    v6["icmp6_echo"] = [ipv6(PEER6, HOST6, P_ICMP6, icmp6(
        PEER6, HOST6, 128, 0, struct.pack("!HH", 1, 1) + payload(56)))]
    v6["ns"] = [ipv6(PEER6, SNODE_HOST, P_ICMP6, icmp6(
        PEER6, SNODE_HOST, 135, 0, nd_ns(HOST6)), hlim=255)]
    v6["na_unres"] = [ipv6(PEER6, HOST6, P_ICMP6, icmp6(
        PEER6, HOST6, 136, 0, nd_na(UNRES6)), hlim=255)]
    hbh = ext6(P_UDP, bytes([5, 2, 0, 0]))  # router alert
    v6["hbh_udp"] = [ipv6(PEER6, HOST6, P_HOPOPTS, hbh + u6)]
    dst = ext6(P_UDP, bytes([1, 4, 0, 0, 0, 0]))  # PadN
    v6["dstopts_udp"] = [ipv6(PEER6, HOST6, P_DSTOPTS, dst + u6)]
    hbh2 = ext6(P_DSTOPTS, b"")
    v6["hbh_dst_udp"] = [ipv6(PEER6, HOST6, P_HOPOPTS, hbh2 + dst + u6)]
    rt = bytes([P_UDP, 2, 0, 0]) + b"\0" * 4 + HOST6  # type 0, left 0
    v6["routing_done"] = [ipv6(PEER6, HOST6, P_ROUTING, rt + u6)]
    rt_left = bytes([P_UDP, 2, 0, 1]) + b"\0" * 4 + HOST6
    v6["routing_left"] = [ipv6(PEER6, HOST6, P_ROUTING, rt_left + u6)]
    v6["hbh_late"] = [ipv6(PEER6, HOST6, P_DSTOPTS,
                           ext6(P_HOPOPTS, b"") + ext6(P_UDP, b"") + u6)]
    v6["no_next"] = [ipv6(PEER6, HOST6, P_NONE, b"\0" * 8)]
    dg6 = udp(PEER6, HOST6, 5001, 9, payload(200))
    v6["frag_two"] = frag6(PEER6, HOST6, P_UDP, dg6, 0x1234,
                           [(0, 104, True), (104, len(dg6) - 104, False)])
    v6["frag_reversed"] = frag6(PEER6, HOST6, P_UDP, dg6, 0x1235,
                                [(104, len(dg6) - 104, False),
                                 (0, 104, True)])
    v6["frag_overlap"] = frag6(PEER6, HOST6, P_UDP, dg6, 0x1236,
                               [(0, 112, True),
                                (104, len(dg6) - 104, False)])
    v6["frag_atomic"] = [ipv6(PEER6, HOST6, P_FRAGMENT, struct.pack(
        "!BBHI", P_UDP, 0, 0, 0x1237) + u6)]
    v6["frag_missing"] = frag6(PEER6, HOST6, P_UDP, dg6, 0x1238,
                               [(0, 104, True)])
    # fragments carrying extension headers of the unfragmentable part
    v6["frag_dstopts"] = frag6(PEER6, HOST6, P_DSTOPTS, dst + u6, 0x1239,
                               [(0, 16, True),
                                (16, len(dst + u6) - 16, False)])
    t6 = tcp(40000, 80, 1000, 0, SYN, 65535,
             tcp_opts(1440, True, (1, 0), 7), src=PEER6, dst=HOST6)
    v6["tcp_syn"] = [ipv6(PEER6, HOST6, P_TCP, t6)]
    v6["not_ours"] = [ipv6(PEER6, ip6("fd00::9"), P_UDP, u6)]
    # long destination options before a datagram to a closed port: the
    # port unreachable quotes what fits in 1280 bytes
    opts = b"".join(bytes([1, 246]) + b"\0" * 246 for _ in range(4))
    v6["long_dstopts_unreach"] = [ipv6(PEER6, HOST6, P_DSTOPTS, ext6(
        P_UDP, opts) + udp(PEER6, HOST6, 5000, 53, payload(64)))]
    return v4, v6


def corpus_ipv4(v4):
    out = {}
    for name, pkts in v4.items():
        out[name] = rec(*[b"\0" + p for p in pkts])
    # the same with the harness fixing lengths and checksums
    out["fix_all_udp"] = rec(b"\x0a" + v4["udp_echo"][0])
    out["bcast_mac"] = rec(b"\x01" + v4["udp_bcast"][0])
    out["mixed"] = rec(*[b"\0" + p for p in v4["frag_two"] +
                         v4["icmp_echo"] + v4["udp_unbound"]])
    return out


def corpus_ipv6(v6):
    out = {}
    for name, pkts in v6.items():
        out[name] = rec(*[b"\0" + p for p in pkts])
    out["fix_all_udp"] = rec(b"\x06" + v6["hbh_udp"][0])
    out["mc_mac"] = rec(b"\x01" + v6["udp_allnodes"][0])
    return out


def corpus_eth(v4, v6):
    out = {}
    for name, pkts in v4.items():
        out["ip4_" + name] = rec(*[eth(BCAST_MAC if "bcast" in name else
                                       HOST_MAC, ETH_IPV4, p)
                                   for p in pkts])
    for name, pkts in v6.items():
        mac = ALLNODES_MAC if ("allnodes" in name or name == "ns") \
            else HOST_MAC
        if name == "ns":
            mac = bytes([0x33, 0x33, 0xff, 0, 0, 2])
        out["ip6_" + name] = rec(*[eth(mac, ETH_IPV6, p) for p in pkts])
    out["arp_request"] = rec(eth(BCAST_MAC, ETH_ARP, arp(
        1, PEER_MAC, PEER4, b"\0" * 6, HOST4)))
    out["arp_reply_unres"] = rec(eth(HOST_MAC, ETH_ARP, arp(
        2, PEER_MAC, UNRES4, HOST_MAC, HOST4)))
    out["arp_gratuitous"] = rec(eth(BCAST_MAC, ETH_ARP, arp(
        1, PEER_MAC, ip4("10.0.0.7"), b"\0" * 6, ip4("10.0.0.7"))))
    out["vlan"] = rec(eth(HOST_MAC, 0x8100, b"\x00\x05\x08\x00" +
                          v4["udp_echo"][0]))
    out["not_our_mac"] = rec(eth(bytes([2, 0, 0, 0, 0, 9]), ETH_IPV4,
                                 v4["udp_echo"][0]))
    out["runt"] = rec(HOST_MAC + PEER_MAC)
    # a conversation: ARP, ping, UDP, a TCP SYN, fragments
    out["mix"] = rec(eth(BCAST_MAC, ETH_ARP, arp(1, PEER_MAC, PEER4,
                                                  b"\0" * 6, HOST4)),
                     eth(HOST_MAC, ETH_IPV4, v4["icmp_echo"][0]),
                     eth(HOST_MAC, ETH_IPV6, v6["icmp6_echo"][0]),
                     eth(HOST_MAC, ETH_IPV4, v4["tcp_syn"][0]),
                     *[eth(HOST_MAC, ETH_IPV6, p) for p in v6["frag_two"]])
    # a jumbo frame: chained mbufs on the wire
    big = udp(PEER4, HOST4, 5000, 9, payload(4000))
    out["jumbo_udp"] = rec(eth(HOST_MAC, ETH_IPV4,
                               ipv4(PEER4, HOST4, P_UDP, big)))
    return out


def corpus_arp():
    z = b"\0" * 6
    return {
        "request": rec(b"\x01" + arp(1, PEER_MAC, PEER4, z, HOST4)),
        "request_unicast": rec(b"\0" + arp(1, PEER_MAC, PEER4, z, HOST4)),
        "request_other": rec(b"\x01" + arp(1, PEER_MAC, PEER4, z,
                                             ip4("10.0.0.9"))),
        "reply_unres": rec(b"\0" + arp(2, PEER_MAC, UNRES4, HOST_MAC,
                                       HOST4)),
        "reply_known": rec(b"\0" + arp(2, bytes([2, 0, 0, 0, 0, 0x77]),
                                       PEER4, HOST_MAC, HOST4)),
        "gratuitous": rec(b"\x01" + arp(1, PEER_MAC, ip4("10.0.0.7"), z,
                                        ip4("10.0.0.7"))),
        "claims_ours": rec(b"\x01" + arp(1, PEER_MAC, HOST4, z, HOST4)),
        "offlink": rec(b"\x01" + arp(1, PEER_MAC, ip4("192.168.1.1"), z,
                                     HOST4)),
        "many": rec(*[b"\x01" + arp(1, bytes([2, 0, 0, 0, 1, i]),
                                    ip4("10.0.0.%d" % (10 + i)), z, HOST4)
                      for i in range(12)]),
        "mcast_sender": rec(b"\x01" + arp(1, BCAST_MAC, PEER4, z, HOST4)),
    }


def corpus_icmp():
    echo = struct.pack("!HH", 7, 1) + payload(56)
    out = {
        "echo4": rec(b"\0" + icmp4(8, 0, echo)),
        "echo4_bcast": rec(b"\x04" + icmp4(8, 0, echo)),
        "echo_reply4": rec(b"\0" + icmp4(0, 0, echo)),
        "unreach4": rec(b"\0" + icmp4(3, 3, b"\0" * 4 + b"\x45" +
                                      b"\0" * 27)),
        "echo6": rec(b"\x11" + icmp6(PEER6, HOST6, 128, 0, echo)),
        "echo6_allnodes": rec(b"\x1d" + icmp6(PEER6, ALLNODES, 128, 0,
                                              echo)),
        "ns": rec(b"\x05" + icmp6(PEER6, SNODE_HOST, 135, 0,
                                  nd_ns(HOST6))),
        "ns_unicast": rec(b"\x01" + icmp6(PEER6, HOST6, 135, 0,
                                          nd_ns(HOST6))),
        "ns_no_slla": rec(b"\x05" + icmp6(PEER6, SNODE_HOST, 135, 0,
                                          nd_ns(HOST6, False))),
        "ns_dad": rec(b"\x25" + icmp6(ip6("::"), SNODE_HOST, 135, 0,
                                      nd_ns(HOST6, False))),
        "ns_linklocal": rec(b"\x41" + icmp6(PEERLL, HOSTLL, 135, 0,
                                            nd_ns(HOSTLL))),
        "ns_other": rec(b"\x01" + icmp6(PEER6, HOST6, 135, 0,
                                        nd_ns(ip6("fd00::9")))),
        "na_unres": rec(b"\x01" + icmp6(PEER6, HOST6, 136, 0,
                                        nd_na(UNRES6))),
        "na_known": rec(b"\x01" + icmp6(PEER6, HOST6, 136, 0,
                                        nd_na(PEER6, 0x20))),
        "na_allnodes": rec(b"\x0d" + icmp6(PEER6, ALLNODES, 136, 0,
                                           nd_na(UNRES6, 0x20))),
        "ns_hlim64": rec(b"\x11" + icmp6(PEER6, HOST6, 135, 0,
                                         nd_ns(HOST6))),
        "ns_bad_opt": rec(b"\x01" + icmp6(PEER6, HOST6, 135, 0, b"\0" * 4 +
                                          HOST6 + b"\x01\x00" + PEER_MAC)),
        "unreach6": rec(b"\x01" + icmp6(PEER6, HOST6, 1, 4, b"\0" * 4 +
                                        ipv6(HOST6, PEER6, P_UDP,
                                             b"\0" * 8))),
        "both": rec(b"\0" + icmp4(8, 0, echo),
                    b"\x01" + icmp6(PEER6, HOST6, 128, 0, echo)),
    }
    return out


def corpus_udp():
    def u(ctl, sport, dport, data, v6=False, nocsum=False):
        src, dst = (PEER6, HOST6) if v6 else (PEER4, HOST4)
        d = udp(src, dst, sport, dport, data)
        if nocsum:
            d = d[:6] + b"\0\0" + d[8:]
        return bytes([ctl | (1 if v6 else 0)]) + d

    return {
        "echo4": rec(u(0x10, 5000, 7, b"ping")),
        "echo6": rec(u(0x10, 5000, 7, b"ping", True)),
        "discard4": rec(u(0x20, 5000, 9, payload(512))),
        "unbound4": rec(u(0x30, 5000, 53, payload(64))),
        "unbound6": rec(u(0x30, 5000, 53, payload(64), True)),
        "as_given": rec(u(0x00, 1234, 7, b"x")),
        "nocsum4": rec(u(0x02, 5000, 7, b"zero", nocsum=True)),
        "nocsum6": rec(u(0x02, 5000, 7, b"zero", True, True)),
        "bcast4": rec(u(0x18, 5000, 7, b"b")),
        "allnodes6": rec(u(0x18, 5000, 7, b"m", True)),
        "len_fixed": rec(u(0x14, 5000, 7, payload(30))),
        "short": rec(b"\x00" + b"\x13\x88\x00\x07\x00\x04"),
        "empty": rec(u(0x10, 5000, 7, b"")),
        "big": rec(u(0x10, 5000, 7, payload(1400))),
        "jumbo": rec(u(0x20, 5000, 9, payload(6000))),
        "burst": rec(*[u(0x30, 5000 + i, 53, payload(8)) for i in range(8)]),
        "pad60": rec(u(0x90, 5000, 7, b"ping")),
        "pad60_6": rec(u(0x90, 5000, 7, b"ping", True)),
    }


def corpus_tcp():
    """[ctl] + records; seq/ack relative when ctl bit 1 is set."""
    ts = (1002, 0)
    o_ts = tcp_opts(ts=ts)
    out = {}

    def t(ctl, *segs, ctl2=0):
        return bytes([ctl, ctl2]) + rec(*segs)

    data = payload(100)
    out["data"] = t(0x02, tcp(0, 0, 0, 0, ACK | PSH, 1024, o_ts, data))
    out["data6"] = t(0x03, tcp(0, 0, 0, 0, ACK | PSH, 1024, o_ts, data))
    out["data_no_ts"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024, b"", data))
    out["two_full"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024, o_ts,
                                  payload(1436)),
                        tcp(0, 0, 1436, 0, ACK, 1024, o_ts, payload(1436)))
    out["fin"] = t(0x02, tcp(0, 0, 0, 0, ACK | FIN, 1024, o_ts))
    out["data_fin"] = t(0x02, tcp(0, 0, 0, 0, ACK | FIN | PSH, 1024, o_ts,
                                  data))
    out["rst"] = t(0x02, tcp(0, 0, 0, 0, RST, 0))
    out["rst_ack"] = t(0x02, tcp(0, 0, 0, 0, RST | ACK, 0))
    out["rst_inwindow"] = t(0x02, tcp(0, 0, 100, 0, RST, 0))
    out["syn"] = t(0x02, tcp(0, 0, 5000, 0, SYN, 65535,
                             tcp_opts(1460, True, (1, 0), 7)))
    out["syn_all_opts"] = t(0x00, tcp(0, 0, 5000, 0, SYN, 65535,
                                      tcp_opts(1460, True, (1, 0), 14)))
    # the listener's conversation: SYN, then the third ACK (relative ack)
    out["listener_handshake"] = t(
        0x02, tcp(0, 0, 7000, 0, SYN, 65535,
                  tcp_opts(1460, True, (50, 0), 7)),
        tcp(0, 0, 7001, 0, ACK, 1024, tcp_opts(ts=(51, 0)), b""),
        tcp(0, 0, 7001, 0, ACK | PSH, 1024, tcp_opts(ts=(52, 0)), data),
        tcp(0, 0, 7101, 0, ACK | FIN, 1024, tcp_opts(ts=(53, 0))))
    out["listener_handshake6"] = bytes([0x03]) + out["listener_handshake"][1:]
    # eight SYNs from eight ports, nobody accepting: the SYN queue (4)
    # fills and SYN cookies answer; then the third ACKs (ack relative to
    # each port's last SYN-ACK) come back with the cookies
    syns = [tcp(i, 0, 20000 + i, 0, SYN, 65535,
                tcp_opts(1460, True, (60, 0), 7)) for i in range(8)]
    acks = [tcp(i, 0, 20001 + i, 0, ACK, 1024, tcp_opts(ts=(61, 0)))
            for i in range(8)]
    out["syn_queue_cookies"] = bytes([0x02, 0x04]) + rec(*syns)
    out["syn_queue_cookies_ack"] = bytes([0x02, 0x04]) + rec(*syns[:4],
                                                             *acks[:4])
    out["cookies_no_ts"] = bytes([0x02, 0x04]) + rec(*[
        tcp(i, 0, 30000 + i, 0, SYN, 65535, tcp_opts(1400))
        for i in range(6)], *[tcp(i, 0, 30001 + i, 0, ACK, 512)
                              for i in range(4, 6)])
    out["accept_queue_full"] = bytes([0x02, 0x04]) + rec(*[
        x for i in range(5) for x in (syns[i], acks[i])])
    # the host's active open (ctl2 1): SYN-ACK, then data and FIN
    out["active_synack"] = t(0x02, tcp(0, 0, 5000, 0, SYN | ACK, 65535,
                                       tcp_opts(1460, True, (70, 0), 7)),
                             tcp(0, 0, 5001, 0, ACK | PSH, 1024,
                                 tcp_opts(ts=(71, 0)), data),
                             tcp(0, 0, 5101, 0, ACK | FIN, 1024,
                                 tcp_opts(ts=(72, 0))), ctl2=0x01)
    out["active_rst"] = t(0x02, tcp(0, 0, 0, 0, RST | ACK, 0), ctl2=0x01)
    out["active_simultaneous"] = t(0x02, tcp(0, 0, 5000, 0, SYN, 65535,
                                             tcp_opts(1460)),
                                   tcp(0, 0, 5001, 0, ACK, 1024),
                                   ctl2=0x01)
    out["active_tfo_cookie"] = t(0xc2, tcp(0, 0, 5000, 0, SYN | ACK, 65535,
                                           tcp_opts(1460, tfo=b"\x33" * 8)),
                                 ctl2=0x01)
    out["both_targets"] = t(0x02, tcp(0, 0, 5000, 0, SYN, 65535,
                                      tcp_opts(1460, True, (1, 0), 7)),
                            ctl2=0x02)
    out["pad60"] = t(0x02, tcp(0, 0, 0, 0, ACK | PSH, 1024, b"", b"x"),
                     ctl2=0x43)
    out["pad60_6"] = t(0x03, tcp(0, 0, 0, 0, ACK | PSH, 1024, b"", b"x"),
                       ctl2=0x43)
    out["conn_only_nodelay"] = t(0xd2, tcp(0, 0, 0, 0, ACK, 1024, o_ts),
                                 ctl2=0x1b)
    out["tfo_request"] = t(0x00, tcp(0, 0, 9000, 0, SYN, 65535,
                                     tcp_opts(1460, True, (1, 0), 7,
                                              tfo=b"")))
    out["tfo_cookie_data"] = t(0x00, tcp(0, 0, 9000, 0, SYN, 65535,
                                         tcp_opts(1460, tfo=b"\x11" * 8),
                                         data))
    out["syn_ack"] = t(0x02, tcp(0, 0, 0, 0, SYN | ACK, 65535,
                                 tcp_opts(1460)))
    out["syn_fin"] = t(0x02, tcp(0, 0, 0, 0, SYN | FIN, 65535))
    out["urg"] = t(0x02, tcp(0, 0, 0, 0, ACK | URG | PSH, 1024, o_ts,
                             data, urp=10))
    # the host has 6000 bytes in flight (ctl bit 4)
    out["ack_all"] = t(0x12, tcp(0, 0, 0, 6000, ACK, 1024, o_ts))
    out["ack_part"] = t(0x12, tcp(0, 0, 0, 1448, ACK, 1024, o_ts),
                        tcp(0, 0, 0, 2896, ACK, 1024, o_ts))
    # SACK blocks are relative too (to the host's first data byte)
    out["dupacks"] = t(0x12, *[tcp(0, 0, 0, 0, ACK, 1024, o_ts)
                               for _ in range(4)])
    out["sack_blocks"] = t(0x12, tcp(0, 0, 0, 0, ACK, 1024,
                                     tcp_opts(ts=ts, sack=[
                                         (1448, 2896), (4344, 5792),
                                         (100, 200)])))
    out["sack_recovery"] = t(0x12, *[
        tcp(0, 0, 0, 0, ACK, 1024, tcp_opts(ts=ts, sack=[(1448, e)]))
        for e in (2896, 4344, 5792, 6000)])
    out["sack_partial"] = t(0x12, *[
        tcp(0, 0, 0, 0, ACK, 1024, tcp_opts(ts=ts, sack=[(2896, e)]))
        for e in (4344, 5792, 6000)],
        tcp(0, 0, 0, 1448, ACK, 1024, tcp_opts(ts=ts, sack=[(2896, 6000)])),
        tcp(0, 0, 0, 6000, ACK, 1024, o_ts))
    out["zero_window"] = t(0x32, tcp(0, 0, 0, 0, ACK, 0, o_ts),
                           tcp(0, 0, 0, 0, ACK, 0, o_ts, payload(1400)))
    out["window_update"] = t(0x12, tcp(0, 0, 0, 0, ACK, 0, o_ts),
                             tcp(0, 0, 0, 0, ACK, 2048, o_ts))
    out["ooo"] = t(0x02, tcp(0, 0, 1000, 0, ACK, 1024, o_ts, payload(500)),
                   tcp(0, 0, 2000, 0, ACK, 1024, o_ts, payload(500)),
                   tcp(0, 0, 0, 0, ACK, 1024, o_ts, payload(1000)))
    out["ooo_overlap"] = t(0x02, tcp(0, 0, 1000, 0, ACK, 1024, o_ts,
                                     payload(500)),
                           tcp(0, 0, 1200, 0, ACK, 1024, o_ts,
                               payload(600)),
                           tcp(0, 0, 900, 0, ACK, 1024, o_ts, payload(900)))
    out["retransmit"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024, o_ts, data),
                          tcp(0, 0, 0, 0, ACK, 1024, o_ts, data))
    out["paws_old"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024,
                                  tcp_opts(ts=(5, 0)), data))
    out["beyond_window"] = t(0x22, tcp(0, 0, 0, 0, ACK, 1024, o_ts,
                                       payload(1400)),
                             *[tcp(0, 0, 1400 * i, 0, ACK, 1024, o_ts,
                                   payload(1400)) for i in range(1, 7)])
    out["shutdown_fin"] = t(0x42, tcp(0, 0, 0, 1, ACK | FIN, 1024, o_ts))
    out["shutdown_ack_then_fin"] = t(0x42, tcp(0, 0, 0, 1, ACK, 1024, o_ts),
                                     tcp(0, 0, 0, 1, ACK | FIN, 1024, o_ts))
    out["close_data"] = t(0x82, tcp(0, 0, 0, 0, ACK, 1024, o_ts, data))
    out["write_more"] = t(0xc2, tcp(0, 0, 0, 0, ACK, 4096, o_ts))
    out["bad_opts"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024,
                                  b"\x08\x01\x00\x00", data))
    out["bad_csum"] = t(0x0e, tcp(0, 0, 0, 0, ACK, 1024, o_ts, data))
    out["short_hdr"] = t(0x02, tcp(0, 0, 0, 0, ACK, 1024)[:16])
    out["challenge"] = t(0x02, tcp(0, 0, 50000, 0, ACK, 1024, o_ts, data),
                         tcp(0, 0, 0, 99999, ACK, 1024, o_ts))
    return out


def corpus_tcpopt():
    return {
        "syn_linux": b"\x01" + tcp_opts(1460, True, (1, 0), 7),
        "syn_mss": b"\x01" + tcp_opts(536),
        "syn_ws_big": b"\x01" + tcp_opts(ws=14) + b"\x03\x03\x0f\x00",
        "syn_tfo_req": b"\x01" + tcp_opts(1460, tfo=b""),
        "syn_tfo_cookie": b"\x01" + tcp_opts(tfo=b"\x42" * 8),
        "syn_tfo_long": b"\x01" + tcp_opts(tfo=b"\x42" * 16),
        "ts": b"\x00" + tcp_opts(ts=(1, 2)),
        "sack1": b"\x00" + tcp_opts(ts=(1, 2), sack=[(10, 20)]),
        "sack4": b"\x00" + tcp_opts(sack=[(1, 2), (3, 4), (5, 6), (7, 8)]),
        "eol": b"\x00\x01\x00\x02\x04",
        "len0": b"\x00\x05\x00",
        "len1": b"\x00\x02\x01\x00\x00",
        "past_end": b"\x00\x08\x0a\x00\x00",
        "unknown": b"\x00\x1e\x06\x00\x00\x00\x00\x01\x01",
        "nops": b"\x00" + b"\x01" * 40,
        "mss_nonsyn": b"\x00" + tcp_opts(1460, True, None, 7),
    }


def corpus_http():
    def h(ctl, text, split=7):
        return bytes([ctl]) + struct.pack("!H", split) + text

    get = b"GET /hello.txt HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    post = (b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
            b"hello")
    chunked = (b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;ext=\"v\"\r\nhello\r\n1A\r\n" + b"z" * 26 +
               b"\r\n0\r\nX-Sum: 1\r\n\r\n")
    return {
        "req_get": h(0, get),
        "req_pipeline": h(0, get + post + chunked + get, 40),
        "req_post": h(0, post),
        "req_chunked": h(0, chunked, 60),
        "req_chunked_small": h(8, chunked, 60),
        "req_te_cl": h(0, b"POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                       b"Transfer-Encoding: gzip, chunked\r\n\r\n"
                       b"3\r\nabc\r\n0\r\n\r\n"),
        "req_cl_list": h(0, b"PUT / HTTP/1.1\r\nContent-Length: 2, 2\r\n"
                         b"\r\nok"),
        "req_http10": h(0, b"\r\nGET / HTTP/1.0\r\nConnection: keep-alive"
                        b"\r\n\r\n"),
        "req_fold": h(0, b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"),
        "req_many_fields": h(8, b"GET / HTTP/1.1\r\n" +
                             b"".join(b"F%d: %d\r\n" % (i, i)
                                      for i in range(12)) + b"\r\n"),
        "resp_200": h(1, b"HTTP/1.1 200 OK\r\nContent-Length: 51\r\n"
                      b"Content-Type: text/plain\r\n\r\n"
                      b"Hello World! My content includes a trailing CRLF."
                      b"\r\n"),
        "resp_head": h(3, b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
                       b"HTTP/1.1 204 No Content\r\n\r\n"),
        "resp_1xx": h(1, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 "
                      b"Not Modified\r\nETag: x\r\n\r\n"),
        "resp_chunked": h(1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                          b"chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        "resp_to_close": h(1, b"HTTP/1.0 200 OK\r\n\r\nuntil the end"),
        "resp_connect": h(5, b"HTTP/1.1 200 Connection established\r\n"
                          b"\r\ntunnel"),
        "resp_101": h(1, b"HTTP/1.1 101 Switching Protocols\r\n"
                      b"Connection: upgrade\r\nUpgrade: x\r\n\r\n..."),
    }


def corpus_h3():
    """[ctl] then records [target][bytes]: see fuzz_h3.c."""
    def recs(ctl, *records):
        out = b""
        allr = [bytes([ctl])] + list(records)
        for r in allr:
            out += struct.pack("!H", len(r)) + r
        return out

    settings = b"\x00\x04\x00"
    qenc, qdec = b"\x02", b"\x03"
    # HEADERS with a QPACK block of static-table entries only:
    # required insert count 0, base 0; :method GET (17), :scheme https
    # (23), :path / (1), :authority literal "a".
    block = b"\x00\x00" + bytes([0xc0 | 17, 0xc0 | 23, 0xc0 | 1]) + \
        b"\x50\x01a"
    headers = b"\x01" + bytes([len(block)]) + block
    data = b"\x00\x03abc"
    return {
        "get": recs(2, b"\x00" + settings, b"\x01" + qenc,
                    b"\x02" + qdec, b"\x43" + headers),
        "get_tiny_pieces": recs(0, b"\x00" + settings, b"\x43" + headers),
        "post": recs(3, b"\x00" + settings, b"\x04" + headers,
                     b"\x44" + data),
        "data_first": recs(3, b"\x00" + settings, b"\x45" + data),
        "no_settings": recs(3, b"\x00\x00\x07\x01\x00"),
        "two_controls": recs(3, b"\x00" + settings, b"\x01" + settings),
        "reset": recs(3, b"\x00" + settings, b"\x06" + headers,
                      b"\x86\x0c"),
        "close_control": recs(3, b"\x40" + settings),
        "goaway": recs(3, b"\x00" + settings + b"\x07\x01\x00"),
    }


def qv(v, n=None):
    """A QUIC varint (RFC 9000 16), shortest unless n bytes are asked."""
    if n is None:
        n = 1 if v < 1 << 6 else 2 if v < 1 << 14 else 4 if v < 1 << 30 else 8
    pfx = {1: 0, 2: 0x40, 4: 0x80, 8: 0xC0}[n]
    b = bytearray(v.to_bytes(n, "big"))
    b[0] |= pfx
    return bytes(b)


def q_long(typ, dcid, scid, body, token=None, pn=b"\x00\x00\x00\x01",
           version=1):
    """An unprotected long-header packet; typ 0-3, pn length from pn."""
    first = bytes([0xC0 | typ << 4 | (len(pn) - 1)])
    h = (first + struct.pack("!I", version) + bytes([len(dcid)]) + dcid +
         bytes([len(scid)]) + scid)
    if typ == 0:
        token = token or b""
        h += qv(len(token)) + token
    return h + qv(len(pn) + len(body), 2) + pn + body


def q_short(dcid, body, pn=b"\x00\x01"):
    return bytes([0x40 | (len(pn) - 1)]) + dcid + pn + body


def q_crypto(off, data):
    return b"\x06" + qv(off) + qv(len(data)) + data


def q_ack(largest, delay, first, pairs=(), ecn=None):
    f = bytes([3 if ecn else 2]) + qv(largest) + qv(delay) + qv(len(pairs))
    f += qv(first) + b"".join(qv(g) + qv(n) for g, n in pairs)
    if ecn:
        f += b"".join(qv(c) for c in ecn)
    return f


def q_stream(typ, sid, data, off=0):
    f = bytes([0x08 | typ]) + qv(sid)
    if typ & 4:
        f += qv(off)
    if typ & 2:
        f += qv(len(data))
    return f + data


def q_frames():
    """One of every frame type (RFC 9000 19, RFC 9221), by name."""
    tok = bytes(range(0xA0, 0xB0))
    return {
        "padding": b"\x00" * 20,
        "ping": b"\x01",
        "ack": q_ack(16, 100, 2, [(1, 3), (0, 0)]),
        "ack_ecn": q_ack(0x1234567, 25, 0, [], (5, 70000, 1)),
        "reset_stream": b"\x04" + qv(4) + qv(0x101) + qv(1 << 20),
        "stop_sending": b"\x05" + qv(8) + qv(7),
        "crypto": q_crypto(0, b"\x01\x00\x00\x10" + b"c" * 16),
        "new_token": b"\x07" + qv(12) + b"t" * 12,
        "max_data": b"\x10" + qv(1 << 30),
        "max_stream_data": b"\x11" + qv(3) + qv(65535),
        "max_streams_bidi": b"\x12" + qv(1 << 60, 8),
        "max_streams_uni": b"\x13" + qv(3),
        "data_blocked": b"\x14" + qv(99),
        "stream_data_blocked": b"\x15" + qv(2) + qv(16384),
        "streams_blocked_bidi": b"\x16" + qv(100),
        "streams_blocked_uni": b"\x17" + qv(1 << 60, 8),
        "new_connection_id": b"\x18" + qv(7) + qv(3) + b"\x08" +
        b"newcid08" + tok,
        "retire_connection_id": b"\x19" + qv(12),
        "path_challenge": b"\x1a" + b"chalenge",
        "path_response": b"\x1b" + b"response",
        "connection_close": b"\x1c" + qv(0x7) + qv(0x6) + qv(6) + b"reason",
        "connection_close_app": b"\x1d" + qv(0x100) + qv(0),
        "handshake_done": b"\x1e",
        "datagram": b"\x30" + b"d" * 10,
        "datagram_len": b"\x31" + qv(4) + b"dgrm",
    }


def corpus_quic_hdr():
    cdcid = bytes.fromhex("8394c8f03e515708")
    sscid = bytes.fromhex("f067a5502a4262b5")
    crypto = q_crypto(0, b"\x01" + b"h" * 40)
    init = q_long(0, cdcid, b"", crypto + b"\x00" * (1178 - len(crypto)),
                  pn=b"\x00\x00\x00\x02")
    s_init = q_long(0, b"", sscid, q_ack(0, 0, 0) + q_crypto(0, b"s" * 90),
                    pn=b"\x00\x01")
    s_hs = q_long(2, b"", sscid, q_crypto(0, b"e" * 60), pn=b"\x00")
    d8 = b"conn-id8"
    coal = (q_long(0, d8, b"scid", q_crypto(0, b"x" * 30), token=b"tok") +
            q_long(1, d8, b"scid", q_stream(2, 0, b"early")) +
            q_long(2, d8, b"scid", q_crypto(0, b"y" * 20)) +
            q_short(d8, q_stream(3, 0, b"GET /")))
    other = (q_long(2, d8, b"scid", b"\x01" * 20) +
             q_long(2, b"otherdc8", b"scid", b"\x01" * 20) +
             q_short(d8, b"\x01" * 20))
    vn = (b"\xca" + b"\x00" * 4 + b"\x08" + cdcid + b"\x00" +
          struct.pack("!III", 1, 0x6B3343CF, 0x1A2A3A4A))
    unknown = (b"\xc0" + struct.pack("!I", 0x1A2A3A4A) + b"\x20" +
               bytes(range(32)) + b"\x04scid" + b"\x00" * 1100)
    retry = bytes.fromhex("ff000000010008f067a5502a4262b5746f6b656e"
                          "04a265ba2eff4d829058fb3f0f2496ba")
    long_cid = q_long(2, bytes(21), b"", b"\x01" * 4)
    return {
        "client_initial": b"\x00" + init,
        "server_initial_hs": b"\x08" + s_init + s_hs,
        "coalesced": b"\x08" + coal,
        "other_dcid": b"\x08" + other,
        "short_rfc9001": b"\x00" + bytes.fromhex("4200bff4") + b"p" * 20,
        "short_dcid8": b"\x08" + q_short(d8, b"\x01" * 30),
        "short_dcid20": b"\xf4" + q_short(bytes(range(20)), b"\x01" * 30,
                                          pn=b"\x12\x34\x56\x78"),
        "vn": b"\x00" + vn,
        "unknown_version": b"\x00" + unknown,
        "retry": b"\x00" + retry,
        "cid21": b"\x00" + long_cid,
        "zero_rtt": b"\x00" + q_long(1, d8, b"", q_stream(7, 4, b"x", 9)),
    }


def corpus_quic_frame():
    fr = q_frames()
    init_ok = ["padding", "ping", "ack", "ack_ecn", "crypto",
               "connection_close"]
    zero_rtt_bad = ["ack", "ack_ecn", "crypto", "handshake_done",
                    "new_token", "path_response", "retire_connection_id"]
    out = {}
    for name, f in fr.items():
        out["1rtt_" + name] = b"\x83" + f  # room 64
    out["1rtt_all"] = b"\xff" + b"".join(
        f for n, f in sorted(fr.items()) if n not in ("datagram",))
    out["initial"] = b"\x40" + b"".join(fr[n] for n in init_ok)
    out["handshake"] = b"\x22" + fr["ack_ecn"] + fr["crypto"] + fr["ping"]
    out["0rtt"] = b"\x31" + b"".join(
        f for n, f in sorted(fr.items())
        if n not in zero_rtt_bad and n != "datagram")
    out["initial_bad"] = b"\x00" + fr["stop_sending"]
    for t in range(8):
        out["stream_%d" % t] = bytes([0x43]) + q_stream(t, 4 * t + 1,
                                                       b"stream data %d" % t,
                                                       off=1000 * t)
    out["ack_many"] = b"\x7f" + q_ack(
        100000, 3, 5, [(i % 7, i % 3) for i in range(60)], (1, 2, 3))
    out["ack_below_zero"] = b"\x03" + q_ack(5, 0, 2, [(1, 1)])
    out["stream_max_offset"] = b"\x03" + q_stream(6, 0, b"", (1 << 62) - 1)
    return out


def q_tp(params):
    return b"".join(qv(i) + qv(len(v)) + v for i, v in params)


def corpus_quic_tp():
    client = [(0x01, qv(30000)), (0x03, qv(1472)), (0x04, qv(1 << 20)),
              (0x05, qv(1 << 18)), (0x06, qv(1 << 18)), (0x07, qv(1 << 18)),
              (0x08, qv(100)), (0x09, qv(3)), (0x0e, qv(8)),
              (0x0f, b"\x83\x94\xc8\xf0"), (0x20, qv(65535))]
    pref = (b"\x0a\x00\x00\x02\x11\x5c" + b"\xfd" + b"\x00" * 14 +
            b"\x01\x11\x5d" + b"\x04pref" + bytes(range(16)))
    server = [(0x00, bytes.fromhex("8394c8f03e515708")),
              (0x01, qv(60000)), (0x02, bytes(range(16))),
              (0x04, qv(1 << 24)), (0x08, qv(1 << 60, 8)),
              (0x0a, qv(20)), (0x0b, qv(16383)), (0x0c, b""),
              (0x0d, pref), (0x0f, b"srvscid8"), (0x10, b"retryscd")]
    grease = [(27, b"\xab"), (0x0f, b""), (31 * 2 + 27, b""),
              (31 * 1000 + 27, b"\x00\x00"), (0x4040, b"")]
    return {
        "client": b"\x00" + q_tp(client),
        "server": b"\x01" + q_tp(server),
        "grease": b"\x00" + q_tp(grease),
        "client_minimal": b"\x00" + q_tp([(0x0f, b"")]),
        "duplicate": b"\x00" + q_tp([(0x0f, b""), (0x01, qv(5)),
                                     (0x01, qv(6))]),
        "server_only_from_client": b"\x00" + q_tp(server),
    }


def tls_ext(typ, body):
    return struct.pack(">HH", typ, len(body)) + body


def tls_hs(typ, body):
    return bytes([typ]) + len(body).to_bytes(3, "big") + body


def client_hello(alpn=b"h3", tp=True, groups=(0x001d,), suites=(0x1301,
                 0x1302, 0x1303), sni=b"fuzz.test"):
    """A TLS 1.3 ClientHello as a QUIC client sends it (RFC 9001 8)."""
    shares = b""
    for g in groups:
        key = bytes(range(32)) if g == 0x001d else b"\x04" + bytes(64)
        shares += struct.pack(">HH", g, len(key)) + key
    exts = tls_ext(0x0000, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) +
                   sni)
    exts += tls_ext(0x000a, struct.pack(">HHHH", 6, 0x001d, 0x0017, 0x0018))
    exts += tls_ext(0x000d, struct.pack(">HHH", 4, 0x0403, 0x0804))
    exts += tls_ext(0x002b, b"\x02\x03\x04")
    exts += tls_ext(0x0033, struct.pack(">H", len(shares)) + shares)
    if alpn is not None:
        exts += tls_ext(0x0010, struct.pack(">HB", len(alpn) + 1,
                                            len(alpn)) + alpn)
    exts += tls_ext(0x002d, b"\x01\x01")
    if tp:
        exts += tls_ext(0x0039, q_tp([(0x0f, b"\x83\x94\xc8\xf0"),
                                      (0x04, qv(1 << 20))]))
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" +
            struct.pack(">H", 2 * len(suites)) +
            b"".join(struct.pack(">H", c) for c in suites) + b"\x01\x00" +
            struct.pack(">H", len(exts)) + exts)
    return tls_hs(1, body)


def corpus_quic_tls():
    """ctl bit 7: to a client (else a server); bits 0-6: provide size."""
    ch = client_hello()
    sh_exts = (tls_ext(0x002b, b"\x03\x04") +
               tls_ext(0x0033, struct.pack(">HH", 0x001d, 32) +
                       bytes(range(32, 64))))
    sh = tls_hs(2, b"\x03\x03" + bytes(range(64, 96)) + b"\x00" +
                b"\x13\x01\x00" + struct.pack(">H", len(sh_exts)) + sh_exts)
    return {
        "client_hello": b"\x00" + ch,
        "client_hello_bytewise": b"\x01" + ch,
        "client_hello_p256": b"\x00" + client_hello(groups=(0x0017,)),
        "client_hello_chacha": b"\x00" + client_hello(suites=(0x1303,)),
        "client_hello_no_tp": b"\x00" + client_hello(tp=False),
        "client_hello_alpn_hq": b"\x00" + client_hello(alpn=b"hq-interop"),
        "client_hello_no_alpn": b"\x00" + client_hello(alpn=None),
        "client_hello_no_share": b"\x00" + client_hello(groups=()),
        "server_hello": b"\x80" + sh,
        "server_hello_split": b"\x87" + sh,
    }


def rb_op(op, a=0, b=0):
    return bytes([op, a & 0xff, a >> 8, b])


def corpus_quic_rxbuf():
    # ctl: bit 0 CRYPTO, bits 1-5 descriptors - 1, bits 6-7 bound 64 << x
    stream = 31 << 1 | 3 << 6
    return {
        "in_order": bytes([stream]) + rb_op(0, 0, 100) + rb_op(0, 100, 100)
        + rb_op(2, 200, 50) + rb_op(3, 0, 255) + rb_op(7),
        "overlap": bytes([stream]) + rb_op(0, 50, 100) + rb_op(0, 10, 60)
        + rb_op(0, 0, 200) + rb_op(4) + rb_op(5, 0, 30) + rb_op(3, 0, 255),
        "holes": bytes([3 << 1 | 1 << 6]) + rb_op(0, 10, 5) + rb_op(0, 30, 5)
        + rb_op(0, 50, 5) + rb_op(0, 70, 5) + rb_op(0, 0, 100),
        "final": bytes([stream]) + rb_op(0, 0, 10) + rb_op(6, 20)
        + rb_op(2, 10, 10) + rb_op(1, 15, 10) + rb_op(3, 0, 50),
        "crypto": bytes([1 | 8 << 1]) + rb_op(0, 60, 10) + rb_op(0, 0, 4)
        + rb_op(3, 0, 4) + rb_op(0, 4, 60),
    }


def rc_op(op, space, x=0, y=0):
    return bytes([op | space << 3, x, y])


def corpus_quic_recovery():
    # ops: 0 send (x: size/flags, y: time/skip), 2 ack (x: back/ranges,
    # y: lengths), 3 ack with ECN, 4 time passes, 5 flags, 6 discard
    app, hs, ini = 2, 1, 0
    elicit = 0x40 | 50
    sends = b"".join(rc_op(0, app, elicit, 4) for _ in range(12))
    return {
        "acked": bytes([1]) + rc_op(5, 0, 1) + sends + rc_op(2, app, 0, 3)
        + rc_op(2, app, 0, 0xff) + rc_op(4, 0, 200, 1),
        "loss": bytes([1]) + rc_op(5, 0, 1) + sends + rc_op(2, app, 0x20, 0x0c)
        + rc_op(4, 0, 100, 1) + rc_op(4, 0, 255, 1),
        "pto": bytes([0]) + rc_op(0, ini, elicit, 0) + rc_op(4, 0, 255, 0)
        + rc_op(4, 0, 255, 0) + rc_op(0, hs, elicit, 0) + rc_op(5, 0, 8)
        + rc_op(4, 0, 255, 0) + rc_op(6, ini) + rc_op(4, 0, 255, 0),
        "ecn_cubic": bytes([7]) + sends + rc_op(3, app, 0x01, 0x31)
        + rc_op(3, app, 0x41, 0x05) + rc_op(0, app, elicit, 0)
        + rc_op(3, app, 0x01, 0),
        "violation": bytes([1]) + rc_op(2, app, 0x80, 0) + sends
        + rc_op(2, app, 0x80, 0) + rc_op(7, 0, 100) + rc_op(6, app)
        + rc_op(2, app, 0x80, 0),
    }


def ak_op(op, a=0, b=0):
    return bytes([op, a, b])


def corpus_quic_ack():
    # op bits: 0-1 kind (0 packet, 2 forget, 3 ACK), 2 up, 3 eliciting,
    # 4-5 ECN; a: distance; b: time step (and the ACK's room)
    up_el = 0 | 4 | 8
    in_order = b"".join(ak_op(up_el, 1, 8) for _ in range(10))
    holes = b"".join(ak_op(up_el, 2, 1) for _ in range(40))
    return {
        "in_order": bytes([2]) + ak_op(up_el, 0, 0) + in_order
        + ak_op(3, 0, 255),
        "reorder": bytes([2]) + in_order + ak_op(8, 3, 1) + ak_op(8, 3, 1)
        + ak_op(up_el | 0x30, 5, 1) + ak_op(3, 0, 255) + ak_op(2, 4, 0),
        "holes": bytes([2]) + holes + ak_op(8, 79, 1) + ak_op(3, 0, 6)
        + ak_op(3, 0, 255),
        "initial": bytes([0]) + ak_op(up_el, 0, 0) + ak_op(4, 1, 0)
        + ak_op(up_el | 0x20, 1, 0) + ak_op(3, 0, 100),
    }


def corpus_quic_conn():
    """Frames an established peer sends: each frame alone from either
    side, and a few sequences (streams opened, data, a reset, flow
    control, a close)."""
    out = {}
    for name, f in q_frames().items():
        out["client_" + name] = rec(b"\x00" + f)
        out["server_" + name] = rec(b"\x01" + f)
    out["streams"] = rec(b"\x00" + q_stream(6, 4, b"hello"),
                         b"\x01" + q_stream(6, 5, b"world"),
                         b"\x00" + q_stream(7, 4, b"!", 5),
                         b"\x01" + b"\x11" + qv(4) + qv(1 << 20))
    out["reset_after_data"] = rec(b"\x00" + q_stream(6, 8, payload(300)),
                                  b"\x00" + b"\x04" + qv(8) + qv(3) +
                                  qv(300),
                                  b"\x01" + b"\x05" + qv(8) + qv(9))
    out["flow"] = rec(b"\x00" + b"\x10" + qv(1 << 40),
                      b"\x01" + b"\x12" + qv(1000),
                      b"\x00" + q_stream(6, 0, payload(1000), 4000))
    out["close"] = rec(b"\x00" + q_stream(2, 12, b"x"),
                       b"\x01" + b"\x1d" + qv(0x100) + qv(0))
    return out


def corpus_qpack():
    """[ctl][split][bytes]: see fuzz_qpack.c."""
    def q(data, ctl=0xFF, split=3):
        return bytes([ctl, split]) + data

    def lit(name, value):
        # literal name (001 N=0 H=0, 3-bit length), short strings only
        assert len(name) < 7 and len(value) < 127
        return bytes([0x20 | len(name)]) + name + bytes([len(value)]) + \
            value

    def ref(idx, value):
        # literal with a static name reference (0101, 4-bit index)
        assert idx < 15 + 128 and len(value) < 127
        pre = bytes([0x50 | idx]) if idx < 15 else bytes([0x5F, idx - 15])
        return pre + bytes([len(value)]) + value

    # RFC 9204 B.1
    b1 = b"\x00\x00" + ref(1, b"/index.html")
    # :method GET, :scheme https, :authority, :path /, user-agent, accept
    req = (b"\x00\x00\xd1\xd7" + ref(0, b"example.com") + b"\xc1" +
           ref(95, b"x") + b"\xdd")
    # :status 200, content-length, content-type, a literal name
    resp = (b"\x00\x00\xd9" + ref(4, b"1024") + ref(44, b"text/html") +
            b"\x27\x01x-custom\x03foo")
    # RFC 7541 C.4.3's Huffman strings as a literal name and value, and
    # C.4.1's as a value
    huff = (b"\x00\x00\x2f\x01" +
            bytes.fromhex("25a849e95ba97d7f") + b"\x89" +
            bytes.fromhex("25a849e95bb8e8b4bf") + b"\x50\x8c" +
            bytes.fromhex("f1e3c2e5f23a6ba0ab90f4ff"))
    return {
        "b1": q(b1),
        "request": q(req),
        "request_small": q(req, ctl=0x22),
        "response": q(resp),
        "huffman": q(huff, split=9),
        "literal": q(b"\x00\x00" + lit(b"x-a", b"b") + lit(b"", b"")),
        "enc_stream": q(b"\x20\x20\x20", split=1),
        "dec_stream": q(b"\x41\x7f\x80\x01\x40", split=2),
        "dynamic": q(b"\x00\x00\x80"),
    }


def write(outdir, name, files):
    d = os.path.join(outdir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for fname, data in sorted(files.items()):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    return len(files)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here,
                                                                "corpus")
    v4, v6 = l3_packets()
    sets = {
        "eth": corpus_eth(v4, v6),
        "arp": corpus_arp(),
        "ipv4": corpus_ipv4(v4),
        "ipv6": corpus_ipv6(v6),
        "icmp": corpus_icmp(),
        "udp": corpus_udp(),
        "tcp": corpus_tcp(),
        "tcpopt": corpus_tcpopt(),
        "http": corpus_http(),
        "h3": corpus_h3(),
        "quic_hdr": corpus_quic_hdr(),
        "quic_frame": corpus_quic_frame(),
        "quic_tp": corpus_quic_tp(),
        "quic_tls": corpus_quic_tls(),
        "quic_rxbuf": corpus_quic_rxbuf(),
        "quic_recovery": corpus_quic_recovery(),
        "quic_ack": corpus_quic_ack(),
        "quic_conn": corpus_quic_conn(),
        "qpack": corpus_qpack(),
    }
    for name, files in sets.items():
        n = write(outdir, name, files)
        print("%-10s %3d seeds" % (name, n))


if __name__ == "__main__":
    main()
