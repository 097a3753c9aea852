#!/usr/bin/env bash
# The main job on the embedded default: a veth pair with its peer in a
# network namespace, tq-server on our end through net_af_xdp (else
# net_af_packet), and the kernel in the namespace as the client; then
# tq-gen, a second engine on a second veth, drives tq-server (the
# namespace routes between them) and nginx in the namespace.  Cleans up
# on exit or Ctrl-C.
#   ./tachyon demo [--duration S] [--pmd af_packet|af_xdp]
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TQ_BUILD_DIR:-$TOP/build}
DURATION=20
# af_xdp by default (about 6x af_packet's packet rate on a veth), falling
# back to af_packet with a one-line note where it cannot start (no bpffs,
# a kernel or sandbox without AF_XDP).
PMD=af_xdp
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=$2; shift 2 ;;
	--pmd) PMD=$2; shift 2 ;;
	*) echo "usage: demo [--duration S] [--pmd af_packet|af_xdp]" >&2; exit 2 ;;
	esac
done
case $PMD in
af_packet|af_xdp) ;;
*) echo "demo: --pmd af_packet or af_xdp" >&2; exit 2 ;;
esac

NS=tqdemo
ENG=tq0
PEER=tq0p
GEN=tq1
GENPEER=tq1p
PREFIX=tachyon-demo
LOG=$(mktemp /tmp/tq-demo.XXXXXX)
DOC=$(mktemp -d /tmp/tq-demo-doc.XXXXXX)
SRV_PID=
GEN_PID=
NGINX_PID=

stop_pid() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

cleanup() {
	trap - EXIT INT TERM
	stop_pid "$GEN_PID"
	stop_pid "$NGINX_PID"
	stop_pid "$SRV_PID"
	ip link del "$GEN" 2>/dev/null || true
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
ip link del "$GEN" 2>/dev/null || true
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
# The PMD asked for; af_xdp falls back to af_packet where it cannot start.
start_server() {
	"$BUILD/apps/tq-server" "${MEM[@]}" --file-prefix "$PREFIX" -- \
		--config "$TOP/drivers-config/$1.ini" \
		--addr 10.0.0.2/24 --addr fd00::2/64 --gateway 10.0.0.1 \
		--udp-echo 7 --tcp-echo 7 \
		--http 80 --docroot "$DOC" --stats-interval 2 >"$LOG" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 100); do
		grep -q "serving on" "$LOG" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
if [ "$PMD" = af_xdp ]; then
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
	ulimit -l unlimited 2>/dev/null || true
fi
say "starting tq-server on $ENG (net_$PMD), peer 10.0.0.1 / fd00::1 in netns $NS"
if [ "$PMD" = af_packet ]; then
	start_server af_packet || { cat "$LOG"; exit 1; }
elif ! start_server af_xdp; then
	stop_pid "$SRV_PID"
	echo "net_af_xdp did not start here ($(grep -v '^libbpf' "$LOG" | tail -1)); using net_af_packet"
	PMD=af_packet
	start_server af_packet || { cat "$LOG"; exit 1; }
fi
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

# tq-gen: a second engine on its own veth (tq1, peer in the namespace,
# which forwards between 10.0.1.0/24 and 10.0.0.0/24).  Its worker
# shares CPU 0 with its control thread; tq-server's worker is on CPU 1.
ip link add "$GEN" type veth peer name "$GENPEER"
ip link set "$GENPEER" netns "$NS"
sysctl -qw "net.ipv6.conf.$GEN.disable_ipv6=1"
ip link set "$GEN" up
ip netns exec "$NS" ip addr add 10.0.1.1/24 dev "$GENPEER"
ip netns exec "$NS" ip link set "$GENPEER" up
ip netns exec "$NS" ethtool -K "$GENPEER" tx off >/dev/null
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
GMEM=(--no-huge -m 512)
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 256 ] && mountpoint -q /dev/hugepages; then
	GMEM=(-m 256)
fi
gen() {
	"$BUILD/apps/tq-gen" --lcores 0@0,1@0 "${GMEM[@]}" --no-pci \
		--file-prefix "$PREFIX-gen" \
		--vdev="net_af_packet1,iface=$GEN,framecnt=4096" \
		--log-level=lib.eal:warning -- \
		--addr 10.0.1.2/24 --gateway 10.0.1.1 "$@" &
	GEN_PID=$!
	wait "$GEN_PID" || true
	GEN_PID=
}

say "tq-gen drives tq-server, engine to engine through the namespace: 16 connections, 5 s"
gen --url http://10.0.0.2/index.html --connections 16 --duration 5

say "tq-gen drives nginx in the namespace: 32 connections, one request each, 5 s"
if command -v nginx >/dev/null; then
	mkdir -p "$DOC/nginx"
	cat >"$DOC/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $DOC/nginx/nginx.pid;
error_log $DOC/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $DOC/nginx/body;
	proxy_temp_path $DOC/nginx/proxy;
	fastcgi_temp_path $DOC/nginx/fastcgi;
	uwsgi_temp_path $DOC/nginx/uwsgi;
	scgi_temp_path $DOC/nginx/scgi;
	server { listen 10.0.1.1:8080; root $DOC; }
}
NGINX
	chmod 755 "$DOC"
	chmod 644 "$DOC/index.html"
	ip netns exec "$NS" nginx -c "$DOC/nginx/nginx.conf" -p "$DOC/nginx" \
		-e "$DOC/nginx/error.log" >/dev/null 2>&1 &
	for _ in $(seq 50); do
		NGINX_PID=$(cat "$DOC/nginx/nginx.pid" 2>/dev/null || true)
		[ -n "$NGINX_PID" ] && break
		sleep 0.1
	done
	gen --url http://10.0.1.1:8080/index.html --connections 32 \
		--requests-per-conn 1 --duration 5
else
	echo "nginx is not installed (apt-get install nginx-light): skipped"
fi
