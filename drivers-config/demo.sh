#!/usr/bin/env bash
# The main job on the embedded default: a veth pair with its peer in a
# network namespace, tq-server on our end through net_af_packet, and the
# kernel in the namespace as the client.  Cleans up on exit or Ctrl-C.
#   ./tachyon demo [--duration S]
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TQ_BUILD_DIR:-$TOP/build}
DURATION=20
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=$2; shift 2 ;;
	*) echo "usage: demo [--duration S]" >&2; exit 2 ;;
	esac
done

NS=tqdemo
ENG=tq0
PEER=tq0p
PREFIX=tachyon-demo
LOG=$(mktemp /tmp/tq-demo.XXXXXX)
DOC=$(mktemp -d /tmp/tq-demo-doc.XXXXXX)
SRV_PID=

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$SRV_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SRV_PID" 2>/dev/null || true
	fi
	ip link del "$ENG" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -f "$LOG"
	rm -rf "$DOC"
	echo "demo: cleaned up"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1;36m### %s\033[0m\n' "$*"; }

ip netns del "$NS" 2>/dev/null || true
ip link del "$ENG" 2>/dev/null || true
ip netns add "$NS"
ip link add "$ENG" type veth peer name "$PEER"
ip link set "$PEER" netns "$NS"
sysctl -qw "net.ipv6.conf.$ENG.disable_ipv6=1"
ip link set "$ENG" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev "$PEER"
ip netns exec "$NS" ip -6 addr add fd00::1/64 dev "$PEER" nodad
ip netns exec "$NS" ip link set "$PEER" up
# The kernel would hand us partial checksums on a veth otherwise.
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null

MEM=(--no-huge -m 512)
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 256 ] && mountpoint -q /dev/hugepages; then
	MEM=(-m 256)
fi

head -c 20000000 /dev/urandom >"$DOC/20mb.bin"
echo "served by the tachyon engine" >"$DOC/index.html"
say "starting tq-server on $ENG (net_af_packet), peer 10.0.0.1 / fd00::1 in netns $NS"
"$BUILD/apps/tq-server" "${MEM[@]}" --file-prefix "$PREFIX" -- \
	--config "$TOP/drivers-config/af_packet.ini" \
	--addr 10.0.0.2/24 --addr fd00::2/64 --udp-echo 7 --tcp-echo 7 \
	--http 80 --docroot "$DOC" --stats-interval 2 >"$LOG" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do
	grep -q "serving on" "$LOG" && break
	kill -0 "$SRV_PID" 2>/dev/null || { cat "$LOG"; exit 1; }
	sleep 0.1
done
grep "serving on" "$LOG"
tail -n +1 -f "$LOG" --pid "$SRV_PID" | grep --line-buffered '^\[stats\]' &

say "kernel client: ping 10.0.0.2 and ping -6 fd00::2"
ip netns exec "$NS" ping -c 3 -i 0.3 10.0.0.2
ip netns exec "$NS" ping -6 -c 3 -i 0.3 fd00::2

say "kernel client: UDP echo on port 7 (IPv4 and IPv6)"
echo "hello over IPv4" | ip netns exec "$NS" socat -t 1 - UDP4:10.0.0.2:7
echo "hello over IPv6" | ip netns exec "$NS" socat -t 1 - UDP6:[fd00::2]:7

say "kernel client: UDP to a closed port gets ICMP port unreachable"
if ip netns exec "$NS" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.0.0.2", 9999))
s.send(b"anyone?")
try:
    s.recv(100)
except ConnectionRefusedError:
    print("recv: Connection refused (ICMP port unreachable from the engine)")
PY
then :; fi

say "kernel client: HTTP over the engine's TCP (curl, IPv4 and IPv6)"
ip netns exec "$NS" curl -s http://10.0.0.2/index.html
want=$(sha256sum <"$DOC/20mb.bin" | cut -c1-16)
got=$(ip netns exec "$NS" curl -s -g -w '%{size_download} B in %{time_total} s\n' \
	-o >(sha256sum | cut -c1-16 >"$LOG.sha") "http://[fd00::2]/20mb.bin")
sleep 0.2
echo "curl: $got, sha256 $(cat "$LOG.sha") (file: $want)"
rm -f "$LOG.sha"

say "kernel client: TCP echo on port 7, and the connection as the engine sees it"
ip netns exec "$NS" python3 - "$BUILD/apps/tq-ctl" "$PREFIX" <<'PY'
import socket, subprocess, sys
s = socket.create_connection(("10.0.0.2", 7))
msg = b"round trip through the engine's TCP " * 1000
s.sendall(msg)
got = b""
while len(got) < len(msg):
    got += s.recv(65536)
print(f"echoed {len(got)} bytes, identical: {got == msg}")
print(subprocess.run([sys.argv[1], "--file-prefix", sys.argv[2], "conns"],
                     capture_output=True, text=True).stdout, end="")
s.close()
PY

say "a ${DURATION}s stream of UDP echoes while the engine prints live stats"
ip netns exec "$NS" python3 - "$DURATION" <<'PY'
import socket, sys, time
end = time.time() + float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
n = ok = 0
while time.time() < end:
    msg = b"x" * (n % 1400 + 1)
    s.sendto(msg, ("10.0.0.2", 7))
    n += 1
    try:
        if s.recv(2048) == msg:
            ok += 1
    except socket.timeout:
        pass
    if n % 200 == 0:
        time.sleep(0.05)
print(f"client: {n} sent, {ok} echoed back byte-exact")
PY

say "tq-ctl stats (nstat-like, from DPDK telemetry)"
"$BUILD/apps/tq-ctl" --file-prefix "$PREFIX" stats
