#!/usr/bin/env bash
# The built-in example: an agent under enforcement tries a forbidden
# syscall, a NOTIFY-tier call and a forbidden connection; the kernel refuses
# them, the violations are sealed, and the receipt chain is audited.
# Loopback only: a listener on 127.0.0.2:8080 is the one allowed destination.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo): it loads BPF programs" >&2; exit 3; }
K=build/kavachos
AGENT=build/tests/helpers/agent_violate
STATE=$(mktemp -d /tmp/kavachos-demo.XXXXXX)
trap 'kill $LISTENER 2>/dev/null || true' EXIT

python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", 8080)); s.listen(8); s.settimeout(30)
end = time.time() + 30
while time.time() < end:
    try: s.accept()[0].close()
    except OSError: break
' & LISTENER=$!
sleep 0.3

echo "== kavachos status"
$K status | sed -n '/^Enforcement/,$p'
echo
echo "== kavachos run --trust-mask=0xFF --domain=general --no-default-net --allow-net=127.0.0.2:8080"
echo "   agent: connect 127.0.0.2:8080 (allowed), then acct() (not in the profile),"
echo "   ptrace() (NOTIFY tier), connect 127.0.0.3:9 (not listed) -- three violations:"
echo "   the gate valve is now CRACKED, so 127.0.0.2:8080 (not an essential entry) is"
echo "   refused too"
set +e
$K run --state-dir="$STATE" --trust-mask=0xFF --domain=general --no-default-net \
	--allow-net=127.0.0.2:8080 -- "$AGENT" connect=127.0.0.2:8080 acct ptrace connect=127.0.0.3:9 \
	connect=127.0.0.2:8080
rc=$?
set -e
echo "agent exit status: $rc"
echo
echo "== sealed receipts (type: detail)"
python3 - "$STATE" <<'PY'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/sessions/ks-*.jsonl"):
    for line in open(f):
        r = json.loads(line); p = r.get("payload", {})
        detail = p.get("syscall") or p.get("address") or p.get("to") or p.get("filename") or ""
        if r["type"] == "EGRESS_DENY": detail = "%s:%s %s" % (p.get("address"), p.get("port"), p.get("hook"))
        print("  #%-3d %-16s %s" % (r["seq"], r["type"], detail))
PY
echo
echo "== kavachos audit --all"
$K audit --all --state-dir="$STATE"
