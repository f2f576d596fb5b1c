#!/usr/bin/python3
"""Sends one RFC 5176 Disconnect-Request built from its arguments, so that the
same arguments give the same bytes (radclient 3.2 cannot fix the Identifier),
each run from a new source port; prints the answer as radclient would name it.

usage: dae_send.py HOST:PORT SECRET ID ATTR=VALUE...
  ATTR: Acct-Session-Id, User-Name (text), Event-Timestamp (Unix seconds)
Prints "Received Disconnect-ACK" / "Received Disconnect-NAK" plus
"Error-Cause = N", or "No reply from server"."""
import hashlib
import hmac
import socket
import struct
import sys

TYPES = {"User-Name": (1, "s"), "Acct-Session-Id": (44, "s"), "Event-Timestamp": (55, "u")}


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    secret = sys.argv[2].encode()
    ident = int(sys.argv[3])
    attrs = b"\x50\x12" + bytes(16)  # Message-Authenticator first, zeroed
    for a in sys.argv[4:]:
        name, val = a.split("=", 1)
        t, kind = TYPES[name]
        v = val.encode() if kind == "s" else struct.pack(">I", int(val))
        attrs += bytes([t, 2 + len(v)]) + v
    length = 20 + len(attrs)
    # RFC 5176 2.3 / RFC 3579 3.2: HMAC with a zero authenticator, then the
    # Request Authenticator over the signed packet
    pkt = struct.pack(">BBH", 40, ident, length) + bytes(16) + attrs
    mac = hmac.new(secret, pkt, hashlib.md5).digest()
    pkt = pkt[:22] + mac + pkt[38:]
    auth = hashlib.md5(pkt + secret).digest()
    pkt = pkt[:4] + auth + pkt[20:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(pkt, (host, int(port)))
    try:
        ans, _ = s.recvfrom(4096)
    except socket.timeout:
        print("No reply from server")
        return
    check = hashlib.md5(ans[:4] + auth + ans[20:] + secret).digest()
    if check != ans[4:20]:
        print("reply with a bad Response Authenticator")
        return
    print({41: "Received Disconnect-ACK", 42: "Received Disconnect-NAK"}.get(ans[0], "code %d" % ans[0]))
    off = 20
    while off + 2 <= len(ans):
        t, n = ans[off], ans[off + 1]
        if t == 101 and n == 6:
            print("Error-Cause = %d" % struct.unpack(">I", ans[off + 2:off + 6])[0])
        off += max(n, 2)


main()
