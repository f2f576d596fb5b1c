#!/usr/bin/python3
"""Propagation delay of a provisioning change to one or more brokers.

Starts CMD (e.g. a realmctl command) and asks every broker for USER as fast
as it answers until its reply shows the change. With --redis it also
SUBSCRIBEs to the change channel and measures from the moment the change's
notification arrived (the writer's MULTI/EXEC committed it) to the first
reply that showed it ("ms"); "cmd_ms" is from CMD's start (process start-up
included: 30-80 ms on a loaded machine). Without --redis, or when CMD
publishes nothing, "ms" counts from its start.

usage: broker-propagate.py SECRET USER WANT --broker ADDR:PORT [...] [--rounds N] -- CMD...
WANT: accept:ENDPOINT   an Access-Accept whose Tunnel-Server-Endpoints hold ENDPOINT
      without:ENDPOINT  any reply that does not hold ENDPOINT (Reject included)
      reject            an Access-Reject
With --rounds N, CMD is run N times; each CMD must toggle the state, so
WANT is given as WANT1/WANT2 and alternates (e.g. without:10.0.0.1/accept:10.0.0.1).
Output: one line per broker and round "broker=ADDR:PORT round=R ms=X cmd_ms=Y"
(or ms=timeout), then per broker "broker=ADDR:PORT p50_ms=X p99_ms=Y max_ms=Z n=N".
Standard library only.
"""
import argparse
import hashlib
import hmac
import os
import select
import socket
import struct
import subprocess
import sys
import time


def encrypt_password(password, secret, authenticator):
    p = password + b"\0" * (-len(password) % 16 or (16 if not password else 0))
    out, last = b"", authenticator
    for i in range(0, len(p), 16):
        b = hashlib.md5(secret + last).digest()
        c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
        out += c
        last = c
    return out


def request(secret, user, ident):
    req_auth = os.urandom(16)

    def attr(t, v):
        return struct.pack("!BB", t, len(v) + 2) + v
    attrs = attr(1, user.encode()) + attr(2, encrypt_password(b"x", secret, req_auth))
    attrs += attr(4, socket.inet_aton("10.99.1.2")) + attr(80, b"\0" * 16)
    pkt = struct.pack("!BBH", 1, ident, 20 + len(attrs)) + req_auth + attrs
    mac = hmac.new(secret, pkt, hashlib.md5).digest()
    return pkt[:-16] + mac


def endpoints(rep):
    """(code, [Tunnel-Server-Endpoint values]) of a reply."""
    code = rep[0]
    out, off = [], 20
    while off + 2 <= len(rep):
        t, ln = rep[off], rep[off + 1]
        if ln < 2:
            break
        v = rep[off + 2:off + ln]
        if t == 67:
            tag = v[0] if v and v[0] <= 0x1F else 0
            out.append((v[1:] if tag else v).decode("ascii", "replace"))
        off += ln
    return code, out


def shows(want, rep):
    code, eps = endpoints(rep)
    kind, _, ep = want.partition(":")
    if kind == "accept":
        return code == 2 and ep in eps
    if kind == "without":
        return ep not in eps
    if kind == "reject":
        return code == 3
    raise SystemExit("bad WANT %r" % want)


def subscribe(redis):
    """A socket SUBSCRIBEd to the change channel, or None."""
    if not redis:
        return None
    host, port = redis.rsplit(":", 1)
    r = socket.create_connection((host, int(port)), timeout=2)
    r.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$17\r\nrealm_lns:changes\r\n")
    buf = b""
    while buf.count(b"\r\n") < 6:      # *3, $9, subscribe, $17, channel, :1
        buf += r.recv(4096)
    r.setblocking(False)
    return r


def measure(brokers, secret, user, want, cmd, timeout, redis):
    """{broker: (ms from the change's notification, ms from CMD's start)}."""
    socks = {}
    for b in brokers:
        host, port = b.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((host, int(port)))
        s.setblocking(False)
        socks[s] = b
    sub = subscribe(redis)
    ident = {s: 0 for s in socks}
    sent = {}
    done = {}
    t_commit = None
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for s in socks:
        ident[s] = (ident[s] + 1) & 0xff
        s.send(request(secret, user, ident[s]))
        sent[s] = t0
    while len(done) < len(socks) and time.monotonic() - t0 < timeout:
        pending = [s for s in socks if socks[s] not in done]
        r, _, _ = select.select(pending + ([sub] if sub else []), [], [], 0.05)
        now = time.monotonic()
        if sub in r:
            # the latest notification: a CMD of several writes commits with its last
            if sub.recv(4096):
                t_commit = now
        if proc.poll() is not None and t_commit is None and not sub:
            t_commit = t0
        for s in r:
            if s is sub:
                continue
            try:
                rep = s.recv(4096)
            except OSError:
                continue
            if len(rep) < 20 or rep[1] != ident[s]:
                continue
            if shows(want, rep) and (t_commit is not None or proc.poll() is not None):
                done[socks[s]] = now
                continue
            ident[s] = (ident[s] + 1) & 0xff
            s.send(request(secret, user, ident[s]))
            sent[s] = now
        for s in pending:
            if socks[s] not in done and s not in r and now - sent[s] > 0.2:
                ident[s] = (ident[s] + 1) & 0xff
                s.send(request(secret, user, ident[s]))
                sent[s] = now
    rc = proc.wait()
    if rc != 0:
        print("command failed: rc=%d: %s" % (rc, " ".join(cmd)), file=sys.stderr)
    for s in socks:
        s.close()
    if sub:
        sub.close()
    base = t_commit if t_commit is not None else t0
    return {b: (max(0.0, (t - base) * 1000.0), (t - t0) * 1000.0) for b, t in done.items()}


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        raise SystemExit(__doc__)
    i = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("secret")
    ap.add_argument("user")
    ap.add_argument("want")
    ap.add_argument("--broker", action="append", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--redis", help="HOST:PORT: time from the change's notification (the commit)")
    a = ap.parse_args(argv[:i])
    cmd = argv[i + 1:]
    wants = a.want.split("/")
    results = {b: [] for b in a.broker}
    for r in range(a.rounds):
        done = measure(a.broker, a.secret.encode(), a.user, wants[r % len(wants)], cmd, a.timeout,
                       a.redis)
        for b in a.broker:
            ms = done.get(b)
            print("broker=%s round=%d ms=%s cmd_ms=%s" %
                  (b, r + 1, "%.1f" % ms[0] if ms else "timeout", "%.1f" % ms[1] if ms else "-"))
            results[b].append(ms[0] if ms else float("inf"))
    for b in a.broker:
        v = results[b]
        print("broker=%s p50_ms=%.1f p99_ms=%.1f max_ms=%.1f n=%d" %
              (b, pct(v, 50), pct(v, 99), max(v), len(v)))
    return 0 if all(x != float("inf") for v in results.values() for x in v) else 1


if __name__ == "__main__":
    sys.exit(main())
