#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check the qlog files of a directory (JSON-SEQ, RFC 7464; the
draft-ietf-quic-qlog schema as tachyon writes it).

  qlog_check.py DIR FILES [--sent N] [--received N] [--allow-cancelled]

Every file: records start with 0x1E and end with a newline, each parses
as JSON; the first is the header (qlog_format JSON-SEQ, a vantage point,
relative times); then events with time, name and data, times never
going back; connection_started first, connection_closed last, packets
both ways with a header and a frame list, key updates, and metrics
(recovery:metrics_updated) where ACKs came.  FILES: how many files must
be there.  --sent / --received: the packet counts the engine counted
over all of them: received exactly (each opened packet is logged),
sent within 5% or 3 (CONNECTION_CLOSE packets are logged, not counted).
--allow-cancelled: a load generator's connection that we closed before
any packet came back (the run ended) passes if it logged only packets
sent; not all of them may be such.  Prints a summary line; exits 1 with the reason on failure.
"""
import json
import os
import sys


def fail(msg):
    print('qlog_check: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def check_file(path, cancelled_ok=False):
    data = open(path, 'rb').read()
    if not data.startswith(b'\x1e'):
        fail(f'{path}: does not start with a record separator')
    recs = data.split(b'\x1e')[1:]
    if len(recs) < 3:
        fail(f'{path}: {len(recs)} records')
    out = []
    for i, r in enumerate(recs):
        if not r.endswith(b'\n'):
            fail(f'{path}: record {i} does not end with a newline')
        try:
            out.append(json.loads(r))
        except ValueError as e:
            fail(f'{path}: record {i} is no JSON ({e}): {r[:80]!r}')
    hdr, evs = out[0], out[1:]
    if hdr.get('qlog_format') != 'JSON-SEQ' or 'trace' not in hdr:
        fail(f'{path}: header {hdr}')
    tr = hdr['trace']
    if tr['vantage_point']['type'] not in ('client', 'server') or \
            tr['common_fields']['time_format'] != 'relative':
        fail(f'{path}: trace {tr}')
    last = -1.0
    names = {}
    for e in evs:
        for k in ('time', 'name', 'data'):
            if k not in e:
                fail(f'{path}: event without {k}: {e}')
        if e['time'] < last:
            fail(f'{path}: time goes back at {e}')
        last = e['time']
        names[e['name']] = names.get(e['name'], 0) + 1
        if e['name'].startswith('transport:packet_'):
            h = e['data']['header']
            if 'packet_type' not in h or 'packet_number' not in h or \
                    not isinstance(e['data']['frames'], list):
                fail(f'{path}: packet event {e}')
            for f in e['data']['frames']:
                if 'frame_type' not in f:
                    fail(f'{path}: frame {f}')
    if evs[0]['name'] != 'connectivity:connection_started':
        fail(f'{path}: first event {evs[0]["name"]}')
    if evs[-1]['name'] != 'connectivity:connection_closed':
        fail(f'{path}: last event {evs[-1]["name"]}')
    if not names.get('transport:packet_received') and cancelled_ok:
        # A load generator stops at the end of its run by closing what is
        # still in flight; a connection whose Initial never got an answer
        # by then has only packets sent.  Accept it only if it is exactly
        # that: closed by us, nothing but sent packets in between.
        cl = evs[-1]['data']
        if cl.get('owner') == 'local' and \
                set(names) == {'connectivity:connection_started',
                               'transport:packet_sent',
                               'connectivity:connection_closed'}:
            names['cancelled'] = 1
            return names
    for want in ('transport:packet_sent', 'transport:packet_received',
                 'security:key_updated', 'recovery:metrics_updated'):
        if not names.get(want):
            fail(f'{path}: no {want} ({names})')
    return names


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        fail('usage: qlog_check.py DIR FILES [--sent N] [--received N]')
    d, want = args[0], int(args[1])
    cancelled_ok = '--allow-cancelled' in args
    if cancelled_ok:
        args.remove('--allow-cancelled')
    opts = dict(zip(args[2::2], map(int, args[3::2])))
    files = sorted(f for f in os.listdir(d) if f.endswith('.sqlog'))
    if len(files) != want:
        fail(f'{len(files)} files in {d}, want {want}: {files}')
    sent = recv = lost = cancelled = 0
    for f in files:
        n = check_file(os.path.join(d, f), cancelled_ok)
        cancelled += n.get('cancelled', 0)
        sent += n.get('transport:packet_sent', 0)
        recv += n.get('transport:packet_received', 0)
        lost += n.get('recovery:packet_lost', 0)
    if cancelled and cancelled >= len(files):
        fail(f'all {len(files)} connections closed before any answer')
    if '--received' in opts and recv != opts['--received']:
        fail(f'{recv} packet_received events, the engine counted '
             f'{opts["--received"]}')
    if '--sent' in opts:
        c = opts['--sent']
        if abs(sent - c) > max(3, c // 20):
            fail(f'{sent} packet_sent events, the engine counted {c}')
    print(f'qlog_check: {len(files)} files, {sent} packets sent, {recv} '
          f'received, {lost} lost, {cancelled} closed unanswered at the end: '
          f'every record JSON, times monotonic')


main()
