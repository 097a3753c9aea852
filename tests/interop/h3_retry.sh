#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# h3_retry: address validation (RFC 9000 8.1) in tq-server --h3 against
# ngtcp2's gtlsclient over af_packet (as tests/integration/h3_test.sh):
#  - --quic-retry on: gtlsclient is sent a Retry, brings its token back
#    and downloads byte-exact; Retry sent, token accepted, NEW_TOKEN sent
#    counted, three NEW_CONNECTION_IDs issued; the NEW_TOKEN token saved by gtlsclient (--token-file)
#    validates a later Initial from its address: no Retry, the token
#    accepted; from another address it is refused, and Retried;
#  - tokens refused, by reason, with a probe in Python: garbage (not
#    ours: treated as no token, so Retried again), a Retry token from
#    another address (the IPv4 one's, sent over IPv6) and the same one
#    once expired (10 s): not Retried again (the client takes no second
#    Retry) but closed at once, an Initial with CONNECTION_CLOSE
#    INVALID_TOKEN (RFC 9000 8.1.3) that the probe decrypts;
#  - --quic-retry auto --quic-retry-threshold 3: of five new clients at
#    once three go through, the fourth and fifth get a Retry, and
#    gtlsclient right after still completes, through a Retry.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init h3retry
tq_require_tools gtlsclient sha256sum head
py=$(tq_python)

doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon over h3</h1>' >"$doc/index.html"
head -c 300000 /dev/urandom >"$doc/r300k.bin"
sha() { sha256sum <"$1" | cut -c1-64; }

# get DIR [GTLSCLIENT OPTIONS...] -- URI...
get() {
	local dir=$1
	shift
	local -a opts=()
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	tq_peer timeout 60 gtlsclient -q --exit-on-all-streams-close \
		--timeout=10s --download="$dir" "${opts[@]}" \
		"$TQ_ENG4" 4433 "$@" >"$dir.log" 2>&1 ||
		{ tail -20 "$dir.log" >&2; return 1; }
}

# probe.py HOST PORT MODE [TOKENFILE]: one client Initial (garbage
# payload, a valid long header, padded to 1200) and what comes back.
#   retry  : no token; prints "retry" and saves the Retry's token
#   bad    : a garbage token; prints retry/none/other
#   replay : the saved token; prints retry/none/other, or close:CODE for
#            a server Initial (opened with the Initial keys of the DCID
#            sent) whose first frame is CONNECTION_CLOSE
#   burstN : N Initials without a token back to back, each from its own
#            port; prints what each got, in order
#   floodN : the same, waiting for nothing
probe=$TQ_TMP/probe.py
cat >"$probe" <<'PY'
import hashlib, hmac, os, socket, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tf = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
def varint(n):
    if n < 64: return bytes([n])
    if n < 16384: return bytes([0x40 | n >> 8, n & 0xff])
    raise ValueError
def rdvarint(b, i):
    n = 1 << (b[i] >> 6)
    v = b[i] & 0x3f
    for k in range(1, n):
        v = v << 8 | b[i + k]
    return v, i + n
# RFC 9001 5.2 and 5.4: the server's Initial keys of a DCID, by hand
def label(secret, name, n):
    full = b'tls13 ' + name
    info = n.to_bytes(2, 'big') + bytes([len(full)]) + full + b'\x00'
    return hmac.new(secret, info + b'\x01', hashlib.sha256).digest()[:n]
def open_server_initial(b, dcid):
    salt = bytes.fromhex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a')
    ss = label(hmac.new(salt, dcid, hashlib.sha256).digest(), b'server in', 32)
    key, iv, hp = label(ss, b'quic key', 16), label(ss, b'quic iv', 12), \
        label(ss, b'quic hp', 16)
    i = 5
    i += 1 + b[i]
    i += 1 + b[i]
    tl, i = rdvarint(b, i)
    ln, i = rdvarint(b, i + tl)
    e = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = e.update(b[i + 4:i + 20]) + e.finalize()
    first = b[0] ^ (mask[0] & 0x0f)
    pnl = (first & 3) + 1
    pnb = bytes(b[i + k] ^ mask[1 + k] for k in range(pnl))
    nonce = bytes(x ^ y for x, y in
                  zip(iv, int.from_bytes(pnb, 'big').to_bytes(12, 'big')))
    return AESGCM(key).decrypt(nonce, b[i + pnl:i + ln],
                               bytes([first]) + b[1:i] + pnb)
def send(token):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    dcid, scid = os.urandom(8), os.urandom(8)
    hdr = bytes([0xc3]) + bytes.fromhex('00000001') + bytes([8]) + dcid + \
        bytes([8]) + scid + varint(len(token)) + token
    rest = 1200 - len(hdr) - 2
    s.sendto(hdr + varint(rest) + os.urandom(rest), (host, port))
    return s, scid, dcid
def answer(s, scid, dcid):
    try:
        b, _ = s.recvfrom(2000)
    except socket.timeout:
        return 'none', None
    if b[0] & 0xb0 == 0x80 and b[1:5] == bytes.fromhex('00000001'):
        try:
            p = open_server_initial(b, dcid).lstrip(b'\x00')
        except Exception:
            return 'other', None
        if p[0] != 0x1c:
            return 'other', None
        return 'close:%d' % rdvarint(p, 1)[0], None
    if b[0] & 0xb0 != 0xb0 or b[1:5] != bytes.fromhex('00000001'):
        return 'other', None
    i = 5
    dl = b[i]; rdcid = b[i + 1:i + 1 + dl]; i += 1 + dl
    sl = b[i]; i += 1 + sl
    tok = b[i:len(b) - 16]
    if rdcid != scid or not tok:
        return 'other', None
    return 'retry', tok
if mode.startswith('flood'):
    for _ in range(int(mode[5:])):
        send(b'')
    sys.exit(0)
if mode.startswith('burst'):
    socks = [send(b'') for _ in range(int(mode[5:]))]
    print(' '.join(answer(*x)[0] for x in socks))
    sys.exit(0)
token = b''
if mode == 'bad':
    token = os.urandom(80)
elif mode == 'replay':
    token = open(tf, 'rb').read()
got, tok = answer(*send(token))
if got == 'retry' and mode == 'retry':
    open(tf, 'wb').write(tok)
print(got)
PY

# ---- --quic-retry on ----
tq_engine_up af_packet 10.96 fd96:96 -- --h3 4433 --docroot "$doc" \
	--quic-retry on
tf=$TQ_TMP/token
d=$TQ_TMP/dl-on
get "$d" --token-file="$tf" -- "https://$TQ_ENG4:4433/index.html" \
	"https://$TQ_ENG4:4433/r300k.bin" || tq_fail "retry on: gtlsclient failed"
for f in index.html r300k.bin; do
	[[ $(sha "$d/$f") == "$(sha "$doc/$f")" ]] ||
		tq_fail "retry on: $f differs"
done
rs=$(tq_ctr QuicRetrySent)
acc=$(tq_ctr QuicTokensAccepted)
((rs == 1)) || tq_fail "retry on: QuicRetrySent $rs, want 1"
((acc == 1)) || tq_fail "retry on: QuicTokensAccepted $acc, want 1"
(($(tq_ctr QuicHandshakeFails) == 0)) || tq_fail "retry on: handshake failed"
(($(tq_ctr QuicNewTokensSent) >= 1)) || tq_fail "retry on: no NEW_TOKEN sent"
[[ -s $tf ]] || tq_fail "retry on: gtlsclient saved no NEW_TOKEN token"
# RFC 9000 5.1.1: NEW_CONNECTION_ID up to our cap of 4 (gtlsclient's
# limit is higher): three besides the handshake's
(($(tq_ctr QuicCidsIssued) == 3)) || tq_fail "QuicCidsIssued $(tq_ctr QuicCidsIssued), want 3"
tq_pass "retry on: Retry sent, its token accepted, byte-exact; NEW_TOKEN saved"

# gtlsclient 0.12 cannot read back the token file it writes ("Could
# not read token"), so the probe brings the NEW_TOKEN token back from
# the same address: no Retry, the token accepted; from another address
# it counts for nothing (RFC 9000 8.1.3): Retried.
nt=$TQ_TMP/new-token
"$py" -c 'import base64, sys
l = [x for x in open(sys.argv[1]).read().split() if not x.startswith("-----") and x not in ("BEGIN", "END", "QUIC", "TOKEN-----")]
open(sys.argv[2], "wb").write(base64.b64decode("".join(l)))' "$tf" "$nt"
[[ -s $nt ]] || tq_fail "NEW_TOKEN: no token in gtlsclient's file"
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 replay "$nt")
[[ $got == none ]] || tq_fail "NEW_TOKEN token: got '$got', want no Retry"
(($(tq_ctr QuicRetrySent) == rs)) ||
	tq_fail "NEW_TOKEN: a Retry was sent although the token was valid"
(($(tq_ctr QuicTokensAccepted) == acc + 1)) ||
	tq_fail "NEW_TOKEN: token not accepted ($(tq_ctr QuicTokensAccepted))"
got=$(tq_peer "$py" "$probe" "$TQ_ENG6" 4433 replay "$nt")
[[ $got == retry ]] || tq_fail "NEW_TOKEN token from another address: got '$got', want a Retry"
(($(tq_ctr QuicTokensWrongAddr) == 1)) ||
	tq_fail "QuicTokensWrongAddr $(tq_ctr QuicTokensWrongAddr)"
tq_pass "NEW_TOKEN token: accepted without a Retry; from another address, Retried"

# ---- tokens refused ----
rt=$TQ_TMP/retry-token
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 retry "$rt")
[[ $got == retry ]] || tq_fail "no token: got '$got', want a Retry"
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 bad)
[[ $got == retry ]] || tq_fail "garbage token: got '$got', want a Retry"
(($(tq_ctr QuicTokensBad) == 1)) || tq_fail "QuicTokensBad $(tq_ctr QuicTokensBad)"
# INVALID_TOKEN is 0x0b
got=$(tq_peer "$py" "$probe" "$TQ_ENG6" 4433 replay "$rt")
[[ $got == close:11 ]] || tq_fail "token from another address: got '$got', want close:11"
(($(tq_ctr QuicTokensWrongAddr) == 2)) ||
	tq_fail "QuicTokensWrongAddr $(tq_ctr QuicTokensWrongAddr)"
sleep 10.5
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 replay "$rt")
[[ $got == close:11 ]] || tq_fail "expired token: got '$got', want close:11"
(($(tq_ctr QuicTokensExpired) == 1)) ||
	tq_fail "QuicTokensExpired $(tq_ctr QuicTokensExpired)"
(($(tq_ctr QuicInvalidTokenSent) == 2)) ||
	tq_fail "QuicInvalidTokenSent $(tq_ctr QuicInvalidTokenSent), want 2"
tq_pass "tokens refused and counted: garbage (Retried), another address, expired (closed with INVALID_TOKEN)"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"

# ---- --quic-retry auto ----
tq_engine_up af_packet 10.97 fd97:97 -- --h3 4433 --docroot "$doc" \
	--quic-retry auto --quic-retry-threshold 3
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 burst5)
[[ $got == 'none none none retry retry' ]] ||
	tq_fail "auto: five Initials at once got '$got', want 3 taken, then Retry"
tq_peer "$py" "$probe" "$TQ_ENG4" 4433 flood5 2>/dev/null || true
d=$TQ_TMP/dl-auto
get "$d" -- "https://$TQ_ENG4:4433/index.html" || tq_fail "auto: gtlsclient failed"
[[ $(sha "$d/index.html") == "$(sha "$doc/index.html")" ]] ||
	tq_fail "auto: index.html differs"
(($(tq_ctr QuicRetrySent) >= 3 && $(tq_ctr QuicTokensAccepted) >= 1)) ||
	tq_fail "auto: QuicRetrySent $(tq_ctr QuicRetrySent), QuicTokensAccepted $(tq_ctr QuicTokensAccepted)"
tq_pass "auto: Retry past 3 Initials/s, gtlsclient completed through it"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_pass "all checks passed"
