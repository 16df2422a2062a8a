#!/usr/bin/env python3
# Verifies a PRAMANA receipt chain without kavachos (format: docs/receipts.md).
# Usage: verify-receipts.py SESSION.jsonl PUBKEY.pem  -> prints CLEAN and exits 0 if intact.
# Needs Python 3 and the openssl(1) of OpenSSL >= 3.0 (Ed25519 with -rawin).
import hashlib, json, subprocess, sys, tempfile

def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

def ed25519_ok(pubkey, msg, sig):
    with tempfile.NamedTemporaryFile() as m, tempfile.NamedTemporaryFile() as s:
        m.write(msg), s.write(sig), m.flush(), s.flush()
        return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pubkey, "-rawin",
                               "-in", m.name, "-sigfile", s.name], capture_output=True).returncode == 0

def no_float(s):
    raise ValueError("not an integer: " + s)

def verify(data, pubkey):
    if not data.endswith(b"\n"):
        return "TRUNCATED: torn last line" if data else "MALFORMED: empty file"
    prev, since, ended, closed, signed = None, 0, False, False, -1
    for seq, line in enumerate(data[:-1].split(b"\n")):
        try:
            r = json.loads(line, parse_float=no_float, parse_constant=no_float)
            h, t = r.pop("hash"), r["type"]
            if prev is None:
                sid, chain = r["session"], r["payload"]["chain"]
                prev = hashlib.sha256(b"PRAMANA-GENESIS\0" + sid.encode()).hexdigest()
            ok = line == canon(dict(r, hash=h)) and hashlib.sha256(canon(r)).hexdigest() == h
            ok = ok and r["v"] == 1 and r["seq"] == seq and r["prev"] == prev and r["session"] == sid
            ok = ok and not closed and (t == "SESSION_START") == (seq == 0) and (t == "CHECKPOINT" or not ended)
            if t == "CHECKPOINT":
                p, key_id = r["payload"], chain["key_id"]
                msg = canon({"count": seq, "domain": "PRAMANA-CHECKPOINT", "hash": prev, "key_id": key_id,
                             "seq": seq - 1, "session": sid, "v": 1})
                ok = ok and p == dict(p, count=seq, hash=prev, key_id=key_id, seq=seq - 1)
                ok = ok and ed25519_ok(pubkey, msg, bytes.fromhex(p["sig"]))
                since, closed, signed = 0, ended, seq - 1
            else:
                since, ended = since + 1, ended or t == "SESSION_END"
            ok = ok and since <= chain["checkpoint_every"]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
            ok = False
        if not ok:
            return f"CHAIN_BROKEN at seq {seq}"
        prev = h
    return "CLEAN" if closed else f"INCOMPLETE: no SESSION_END + final checkpoint; signed through seq {signed}"

if __name__ == "__main__":
    verdict = verify(open(sys.argv[1], "rb").read(), sys.argv[2])
    print(verdict)
    sys.exit(verdict != "CLEAN")
