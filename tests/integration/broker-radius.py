#!/usr/bin/python3
"""A tiny RADIUS client for tests/integration/broker.sh.

Why not only radclient: the checks need the request authenticator, which
radclient does not show, to decrypt Tunnel-Password (RFC 2868 3.5) and to
verify the reply's Message-Authenticator (RFC 3579 3.2) and Response
Authenticator (RFC 2865 3) ourselves, and to see the attribute order on the
wire. Standard library only (Debian's /usr/bin/python3).

usage: broker-radius.py SERVER PORT SECRET USER PASSWORD [--dnis ID] [--no-ma] [--timeout S]
       broker-radius.py SERVER PORT SECRET --status       (Status-Server, RFC 5997)
prints one line per fact:
  code=Access-Accept|Access-Reject|none
  response_auth=ok|bad
  ma=first|present|absent   ma_valid=1|0
  attr=NAME tag=T value=V    (Tunnel-Password already decrypted; in wire order)
"""
import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys

CODES = {2: "Access-Accept", 3: "Access-Reject", 11: "Access-Challenge"}
# RFC 2868 section 3: attributes carrying a tag octet
TAGGED = {64: "Tunnel-Type", 65: "Tunnel-Medium-Type", 66: "Tunnel-Client-Endpoint",
          67: "Tunnel-Server-Endpoint", 69: "Tunnel-Password", 81: "Tunnel-Private-Group-Id",
          82: "Tunnel-Assignment-Id", 83: "Tunnel-Preference", 90: "Tunnel-Client-Auth-Id",
          91: "Tunnel-Server-Auth-Id"}
INTEGER_TAGGED = {64, 65, 83}   # tag octet, then 3-octet value (RFC 2868 3.1, 3.2, 3.8)
OTHER = {1: "User-Name", 6: "Service-Type", 7: "Framed-Protocol", 8: "Framed-IP-Address",
         18: "Reply-Message", 80: "Message-Authenticator"}


def encrypt_password(password, secret, authenticator):
    """RFC 2865 5.2 User-Password hiding."""
    p = password + b"\0" * (-len(password) % 16 or (16 if not password else 0))
    out, last = b"", authenticator
    for i in range(0, len(p), 16):
        b = hashlib.md5(secret + last).digest()
        c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
        out += c
        last = c
    return out


def decrypt_tunnel_password(value, secret, req_auth):
    """RFC 2868 3.5: salt(2) + ciphertext; plaintext = length octet + data + padding."""
    if len(value) < 18 or (len(value) - 2) % 16:
        raise ValueError("Tunnel-Password of %d octets" % len(value))
    salt, cipher = value[:2], value[2:]
    plain, last = b"", req_auth + salt
    for i in range(0, len(cipher), 16):
        b = hashlib.md5(secret + last).digest()
        c = cipher[i:i + 16]
        plain += bytes(x ^ y for x, y in zip(c, b))
        last = c
    n = plain[0]
    if n > len(plain) - 1:
        raise ValueError("Tunnel-Password length octet %d too large" % n)
    return plain[1:1 + n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("port", type=int)
    ap.add_argument("secret")
    ap.add_argument("user", nargs="?", default="")
    ap.add_argument("password", nargs="?", default="")
    ap.add_argument("--status", action="store_true")
    ap.add_argument("--dnis")
    ap.add_argument("--no-ma", action="store_true")
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    secret = a.secret.encode()

    req_auth = os.urandom(16)
    ident = os.urandom(1)[0]
    attrs = b""

    def attr(t, v):
        return struct.pack("!BB", t, len(v) + 2) + v

    if not a.status:
        attrs += attr(1, a.user.encode("utf-8", "surrogateescape"))
        attrs += attr(2, encrypt_password(a.password.encode(), secret, req_auth))
    attrs += attr(4, socket.inet_aton("10.99.1.2"))          # NAS-IP-Address
    if a.dnis:
        attrs += attr(30, a.dnis.encode())
    if not a.no_ma:
        attrs += attr(80, b"\0" * 16)
    length = 20 + len(attrs)
    pkt = struct.pack("!BBH", 12 if a.status else 1, ident, length) + req_auth + attrs
    if not a.no_ma:
        mac = hmac.new(secret, pkt, hashlib.md5).digest()
        pkt = pkt[:-16] + mac

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.sendto(pkt, (a.server, a.port))
    try:
        while True:
            rep, _ = s.recvfrom(4096)
            if len(rep) >= 20 and rep[1] == ident:
                break
    except socket.timeout:
        print("code=none")
        return 0

    code, _, rlen = struct.unpack("!BBH", rep[:4])
    rep = rep[:rlen]
    print("code=%s" % CODES.get(code, str(code)))
    check = hashlib.md5(rep[:4] + req_auth + rep[20:] + secret).digest()
    print("response_auth=%s" % ("ok" if check == rep[4:20] else "bad"))

    off, first, ma_off = 20, True, None
    lines = []
    while off + 2 <= len(rep):
        t, ln = rep[off], rep[off + 1]
        if ln < 2 or off + ln > len(rep):
            print("malformed=attribute at %d" % off)
            return 1
        v = rep[off + 2:off + ln]
        if t == 80:
            ma_off = off
            print("ma=%s" % ("first" if first else "present"))
        elif t in TAGGED:
            tag = v[0] if v and v[0] <= 0x1F else 0
            if t in INTEGER_TAGGED:
                val = str(int.from_bytes(v[1:4], "big"))
            elif t == 69:
                try:
                    val = decrypt_tunnel_password(v[1:], secret, req_auth).decode("utf-8", "replace")
                except ValueError as e:
                    val = "undecryptable:%s" % e
            else:
                val = (v[1:] if tag else v).decode("utf-8", "replace")
            lines.append("attr=%s tag=%d value=%s" % (TAGGED[t], tag, val))
        elif t == 8 and ln == 6:
            lines.append("attr=Framed-IP-Address tag=0 value=%s" % socket.inet_ntoa(v))
        else:
            name = OTHER.get(t, "Attr-%d" % t)
            if t in (6, 7) and ln == 6:
                val = str(int.from_bytes(v, "big"))
            else:
                val = v.decode("utf-8", "replace")
            lines.append("attr=%s tag=0 value=%s" % (name, val))
        first = False
        off += ln
    if ma_off is None:
        print("ma=absent")
        print("ma_valid=0")
    else:
        zeroed = rep[:4] + req_auth + rep[20:ma_off + 2] + b"\0" * 16 + rep[ma_off + 18:]
        mac = hmac.new(secret, zeroed, hashlib.md5).digest()
        print("ma_valid=%d" % (1 if mac == rep[ma_off + 2:ma_off + 18] else 0))
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
