"""Health probe for an LNS: does it answer an L2TP SCCRQ with an SCCRP?

Usage: l2tp_probe.py HOST [PORT] [SECRET]
Sends an SCCRQ (RFC 2661 6.1) with a Challenge, expects an SCCRP (6.2) whose
Challenge Response matches SECRET when one is given (4.2, 5.1.1), then closes
the tunnel with a StopCCN (6.4) so the LNS keeps no state. Exit 0 on success,
1 with a one-line reason otherwise. A lab tool, not part of lac-core.
"""
import hashlib
import os
import socket
import struct
import sys

SCCRQ, SCCRP, SCCCN, STOPCCN, ZLB = 1, 2, 3, 4, None


def avp(attr, value, mandatory=True):
    flags = 0x8000 if mandatory else 0
    return struct.pack("!HHH", flags | (6 + len(value)), 0, attr) + value


def control(tid, ns, nr, avps):
    body = b"".join(avps)
    return struct.pack("!HHHHHH", 0xC802, 12 + len(body), tid, 0, ns, nr) + body


def parse(pkt):
    flags, length, tid, sid, ns, nr = struct.unpack("!HHHHHH", pkt[:12])
    avps = {}
    off = 12
    while off + 6 <= min(length, len(pkt)):
        fl, vendor, attr = struct.unpack("!HHH", pkt[off:off + 6])
        alen = fl & 0x3FF
        if alen < 6 or off + alen > len(pkt):
            break
        if vendor == 0:
            avps[attr] = pkt[off + 6:off + alen]
        off += alen
    return tid, ns, nr, avps


def main():
    host = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 1701
    secret = sys.argv[3].encode() if len(sys.argv) > 3 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    my_tid = 0x4242
    challenge = os.urandom(16)
    avps = [avp(0, struct.pack("!H", SCCRQ)), avp(2, b"\x01\x00"),
            avp(7, b"lab-probe"), avp(3, struct.pack("!I", 3)),
            avp(9, struct.pack("!H", my_tid))]
    if secret is not None:
        avps.append(avp(11, challenge))
    sock.sendto(control(0, 0, 0, avps), (host, port))
    try:
        pkt, _ = sock.recvfrom(4096)
    except socket.timeout:
        print("no answer to SCCRQ from %s:%d" % (host, port))
        return 1
    tid, ns, nr, got = parse(pkt)
    mtype = struct.unpack("!H", got[0])[0] if 0 in got and len(got[0]) == 2 else -1
    if mtype != SCCRP:
        print("expected SCCRP, got message type %d" % mtype)
        return 1
    peer_tid = struct.unpack("!H", got[9])[0] if 9 in got else 0
    ok = True
    if secret is not None:
        want = hashlib.md5(bytes([SCCRP]) + secret + challenge).digest()
        if got.get(13) != want:
            print("SCCRP challenge response does not match the secret")
            ok = False
    # Close politely: StopCCN, result 1 (general request to clear).
    stop = control(peer_tid, 1, ns + 1, [avp(0, struct.pack("!H", STOPCCN)),
                                         avp(9, struct.pack("!H", my_tid)),
                                         avp(1, struct.pack("!H", 1))])
    sock.sendto(stop, (host, port))
    if ok:
        print("SCCRP from %s:%d tunnel %d host %s" % (
            host, port, peer_tid, got.get(7, b"?").decode(errors="replace")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
