#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A UDP NAT for one client, that rebinds mid-flow.

  nat_relay.py LISTEN_PORT SERVER_IP SERVER_PORT --after BYTES
               [--listen-ip IP] [--src IP] [--new-src IP] [--stats FILE]

Datagrams from a client to LISTEN_IP:LISTEN_PORT (127.0.0.1) go out to the server
from one socket (the NAT's mapping, bound to --src if given); what the
server sends to that socket comes back to the client.  Once BYTES have
come back from the server, the mapping changes as a NAT's does when
its entry expires: a new socket (another port, on --new-src if given)
carries the client's datagrams from then on, and the old one is closed,
so what the server still sends to the old port is lost.  The client
does nothing and knows nothing of it: the server must follow (RFC 9000
9.3), validate the new path and go on.

On SIGTERM or SIGINT, writes "key value" lines to --stats: datagrams
each way on each mapping, and whether the rebinding happened.
"""
import argparse
import select
import signal
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('listen_port', type=int)
    ap.add_argument('server_ip')
    ap.add_argument('server_port', type=int)
    ap.add_argument('--after', type=int, required=True)
    ap.add_argument('--listen-ip', default='127.0.0.1')
    ap.add_argument('--src', default='')
    ap.add_argument('--new-src', default='')
    ap.add_argument('--stats', default='')
    a = ap.parse_args()
    server = (a.server_ip, a.server_port)

    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind((a.listen_ip, a.listen_port))
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.bind((a.src, 0))
    st = {'old_up': 0, 'old_down': 0, 'new_up': 0, 'new_down': 0,
          'rebound': 0, 'old_port': out.getsockname()[1], 'new_port': 0}
    client = None
    down_bytes = 0
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f'nat_relay: {a.listen_ip}:{a.listen_port} -> {server}, mapped '
          f'port {st["old_port"]}', flush=True)

    while not stop:
        try:
            r, _, _ = select.select([front, out], [], [], 0.5)
        except InterruptedError:
            continue
        for s in r:
            if s is front:
                data, client = front.recvfrom(65535)
                out.sendto(data, server)
                st['new_up' if st['rebound'] else 'old_up'] += 1
                continue
            data, src = out.recvfrom(65535)
            if src != server or client is None:
                continue
            front.sendto(data, client)
            st['new_down' if st['rebound'] else 'old_down'] += 1
            down_bytes += len(data)
            if not st['rebound'] and down_bytes >= a.after:
                # the mapping expires: a new one, the old one gone
                out.close()
                out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                out.bind((a.new_src, 0))
                st['rebound'] = 1
                st['new_port'] = out.getsockname()[1]
                print(f'nat_relay: rebound after {down_bytes} bytes to '
                      f'{out.getsockname()}', flush=True)
                break
    if a.stats:
        with open(a.stats, 'w') as f:
            for k, v in st.items():
                f.write(f'{k} {v}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
