"""Lab probe for an LNS (a test tool, not part of lac-core).

Usage:
  l2tp_probe.py HOST [PORT] [SECRET]
      Tunnel check: SCCRQ (RFC 2661 6.1) with a Challenge; expects an SCCRP
      (6.2) whose Challenge Response matches SECRET when one is given (4.2,
      5.1.1); closes with StopCCN (6.4).
  l2tp_probe.py HOST PORT SECRET --session USER PASSWORD [--ping ADDR] [--hold S]
      Whole call as a minimal LAC plus subscriber: tunnel, ICRQ/ICRP/ICCN
      (6.10-6.12), then PPP inside the session as the LNS drives it: LCP
      (RFC 1661), CHAP-MD5 (RFC 1994) or PAP (RFC 1334), IPCP (RFC 1332) with
      the address the LNS assigns; optionally an ICMP echo to ADDR through the
      session. Prints "outcome=up addr=A ping=ok" or the failure; CDN and
      StopCCN at the end.
Exit 0 on success, 1 with a one-line reason otherwise.
"""
import hashlib
import os
import socket
import struct
import sys
import time

SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO = 1, 2, 3, 4, 6
ICRQ, ICRP, ICCN, CDN = 10, 11, 12, 14
PPP_LCP, PPP_PAP, PPP_CHAP, PPP_IPCP, PPP_IP = 0xC021, 0xC023, 0xC223, 0x8021, 0x0021


class ProbeError(Exception):
    pass


def avp(attr, value, mandatory=True):
    flags = 0x8000 if mandatory else 0
    return struct.pack("!HHH", flags | (6 + len(value)), 0, attr) + value


def parse_avps(pkt, off, end):
    avps = {}
    while off + 6 <= end:
        fl, vendor, attr = struct.unpack("!HHH", pkt[off:off + 6])
        alen = fl & 0x3FF
        if alen < 6 or off + alen > end:
            break
        if vendor == 0:
            avps[attr] = pkt[off + 6:off + alen]
        off += alen
    return avps


def u16(b):
    return struct.unpack("!H", b)[0] if b is not None and len(b) == 2 else -1


class Tunnel:
    """Just enough of a LAC control connection: Ns/Nr, ZLB acks, no window."""

    def __init__(self, host, port, secret):
        self.peer = (host, port)
        self.secret = secret
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.my_tid = 0x4242
        self.peer_tid = 0
        self.ns = 0
        self.nr = 0
        self.data = []  # PPP frames received for our session

    def send_ctl(self, avps, zlb=False):
        body = b"".join(avps)
        hdr = struct.pack("!HHHHHH", 0xC802, 12 + len(body), self.peer_tid,
                          getattr(self, "peer_sid", 0) if avps and u16(avps[0][6:8]) in (CDN, ICCN) else 0,
                          self.ns, self.nr)
        self.sock.sendto(hdr + body, self.peer)
        if not zlb:
            self.ns = (self.ns + 1) & 0xFFFF

    def send_data(self, sid, frame):
        hdr = struct.pack("!HHH", 0x0002, self.peer_tid, sid)
        self.sock.sendto(hdr + frame, self.peer)

    def recv(self, timeout):
        """Next control message (type, avps) or None on timeout; data frames are queued."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                pkt, _ = self.sock.recvfrom(4096)
            except socket.timeout:
                return None
            if len(pkt) < 6:
                continue
            flags = struct.unpack("!H", pkt[:2])[0]
            if not flags & 0x8000:  # data message
                off = 2
                if flags & 0x4000:
                    off += 2
                off += 4
                if flags & 0x0800:
                    off += 4
                if flags & 0x0200:
                    off += 2 + struct.unpack("!H", pkt[off:off + 2])[0]
                self.data.append(pkt[off:])
                if not self.wanting_ctl:
                    return ("data", None)
                continue
            length, tid, sid, ns, nr = struct.unpack("!HHHHH", pkt[2:12])
            if length == 12:  # ZLB ack
                continue
            if ns != self.nr:  # duplicate or out of order: ack again, drop
                self.send_ctl([], zlb=True)
                continue
            self.nr = (self.nr + 1) & 0xFFFF
            avps = parse_avps(pkt, 12, min(length, len(pkt)))
            mtype = u16(avps.get(0))
            if mtype == HELLO:
                self.send_ctl([], zlb=True)
                continue
            return (mtype, avps)

    wanting_ctl = True

    def expect(self, want, timeout=5):
        got = self.recv(timeout)
        if got is None:
            raise ProbeError("no answer from %s:%d (waiting for message type %d)" % (self.peer + (want,)))
        mtype, avps = got
        if mtype == STOPCCN or mtype == CDN:
            res = avps.get(1, b"")
            raise ProbeError("LNS sent %s result %d %s" % ("StopCCN" if mtype == STOPCCN else "CDN",
                             u16(res[:2]) if len(res) >= 2 else -1, res[4:].decode(errors="replace")))
        if mtype != want:
            raise ProbeError("expected message type %d, got %d" % (want, mtype))
        return avps

    def open(self):
        challenge = os.urandom(16)
        avps = [avp(0, struct.pack("!H", SCCRQ)), avp(2, b"\x01\x00"), avp(7, b"lab-probe"),
                avp(3, struct.pack("!I", 3)), avp(9, struct.pack("!H", self.my_tid))]
        if self.secret is not None:
            avps.append(avp(11, challenge))
        self.send_ctl(avps)
        got = self.expect(SCCRP)
        self.peer_tid = u16(got.get(9))
        self.peer_name = got.get(7, b"?").decode(errors="replace")
        if self.secret is not None:
            want = hashlib.md5(bytes([SCCRP]) + self.secret + challenge).digest()
            if got.get(13) != want:
                raise ProbeError("SCCRP challenge response does not match the secret")
        cccn = [avp(0, struct.pack("!H", SCCCN))]
        if 11 in got:
            if self.secret is None:
                raise ProbeError("LNS wants tunnel authentication and no secret was given")
            cccn.append(avp(13, hashlib.md5(bytes([SCCCN]) + self.secret + got[11]).digest()))
        self.send_ctl(cccn)

    def close(self):
        self.send_ctl([avp(0, struct.pack("!H", STOPCCN)), avp(9, struct.pack("!H", self.my_tid)),
                       avp(1, struct.pack("!H", 1))])


def ppp(proto, code, ident, data):
    return b"\xff\x03" + struct.pack("!HBBH", proto, code, ident, 4 + len(data)) + data


def ip_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_echo(src, dst, ident, seq):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"realm-lns-lab"
    icmp = icmp[:2] + struct.pack("!H", ip_checksum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return hdr + icmp


def session(tun, user, password, ping, hold):
    my_sid = 0x0101
    tun.send_ctl([avp(0, struct.pack("!H", ICRQ)), avp(14, struct.pack("!H", my_sid)),
                  avp(15, struct.pack("!I", 1))])
    got = tun.expect(ICRP)
    tun.peer_sid = u16(got.get(14))
    tun.send_ctl([avp(0, struct.pack("!H", ICCN)), avp(24, struct.pack("!I", 10000000)),
                  avp(19, struct.pack("!I", 1))])
    sid = tun.peer_sid
    magic = os.urandom(4)
    lcp_up = {"ours": False, "theirs": False}
    auth_done = False
    addr = None
    ipcp_req = b"\0\0\0\0"
    ipcp_acked = False
    ident = 1
    tun.send_data(sid, ppp(PPP_LCP, 1, ident, b"\x05\x06" + magic))
    tun.wanting_ctl = False
    deadline = time.time() + 20
    ping_state = None
    result = {}
    while time.time() < deadline:
        if not tun.data:
            got = tun.recv(max(0.05, deadline - time.time()))
            if got is None:
                break
            if got[0] != "data":
                mtype = got[0]
                if mtype in (CDN, STOPCCN):
                    raise ProbeError("LNS closed the %s" % ("session" if mtype == CDN else "tunnel"))
                continue
            continue
        frame = tun.data.pop(0)
        if frame[:2] == b"\xff\x03":
            frame = frame[2:]
        if len(frame) >= 1 and frame[0] & 1:
            proto, info = frame[0], frame[1:]
        elif len(frame) >= 2:
            proto, info = struct.unpack("!H", frame[:2])[0], frame[2:]
        else:
            continue
        if proto == PPP_IP:
            if len(info) >= 28 and info[9] == 1 and info[20] == 0:
                result["ping"] = "ok"
                result["rtt_ms"] = int((time.time() - ping_state) * 1000)
                break
            continue
        if len(info) < 4:
            continue
        code, rid, length = struct.unpack("!BBH", info[:4])
        data = info[4:length]
        if proto == PPP_LCP:
            if code == 1:  # Configure-Request: accept whatever the LNS wants
                tun.send_data(sid, ppp(PPP_LCP, 2, rid, data))
                lcp_up["theirs"] = True
                opts = data
                auth = None
                while len(opts) >= 2 and opts[1] >= 2:
                    if opts[0] == 3:
                        auth = struct.unpack("!H", opts[2:4])[0]
                    opts = opts[opts[1]:]
                result["auth"] = {PPP_CHAP: "chap", PPP_PAP: "pap"}.get(auth, "none")
                if auth == PPP_PAP:
                    u, p = user.encode(), password.encode()
                    tun.send_data(sid, ppp(PPP_PAP, 1, 1, bytes([len(u)]) + u + bytes([len(p)]) + p))
            elif code == 2:
                lcp_up["ours"] = True
            elif code in (3, 4):  # Nak/Reject of our magic: send an empty request
                ident += 1
                tun.send_data(sid, ppp(PPP_LCP, 1, ident, b""))
            elif code == 9:  # Echo-Request
                tun.send_data(sid, ppp(PPP_LCP, 10, rid, magic + data[4:]))
            elif code == 5:
                tun.send_data(sid, ppp(PPP_LCP, 6, rid, b""))
                raise ProbeError("LNS terminated LCP")
        elif proto == PPP_CHAP and code == 1:
            vlen = data[0]
            challenge = data[1:1 + vlen]
            resp = hashlib.md5(bytes([rid]) + password.encode() + challenge).digest()
            tun.send_data(sid, ppp(PPP_CHAP, 2, rid, bytes([16]) + resp + user.encode()))
        elif (proto == PPP_CHAP and code == 3) or (proto == PPP_PAP and code == 2):
            auth_done = True
            ident += 1
            tun.send_data(sid, ppp(PPP_IPCP, 1, ident, b"\x03\x06" + ipcp_req))
        elif (proto == PPP_CHAP and code == 4) or (proto == PPP_PAP and code == 3):
            raise ProbeError("authentication rejected by the LNS: %s" % data[:80].decode(errors="replace"))
        elif proto == PPP_IPCP:
            if code == 1:
                tun.send_data(sid, ppp(PPP_IPCP, 2, rid, data))
                opts = data
                while len(opts) >= 6:
                    if opts[0] == 3:
                        result["peer"] = socket.inet_ntoa(opts[2:6])
                    opts = opts[max(opts[1], 2):]
            elif code == 3:  # Nak: the LNS names our address
                opts = data
                while len(opts) >= 2 and opts[1] >= 2:
                    if opts[0] == 3 and opts[1] == 6:
                        ipcp_req = opts[2:6]
                    opts = opts[opts[1]:]
                ident += 1
                tun.send_data(sid, ppp(PPP_IPCP, 1, ident, b"\x03\x06" + ipcp_req))
            elif code == 4:
                ident += 1
                tun.send_data(sid, ppp(PPP_IPCP, 1, ident, b""))
            elif code == 2:
                ipcp_acked = True
                addr = socket.inet_ntoa(ipcp_req) if ipcp_req != b"\0\0\0\0" else None
                result["addr"] = addr
                if not ping:
                    break
                ping_state = time.time()
                tun.send_data(sid, b"\xff\x03" + struct.pack("!H", PPP_IP) +
                              icmp_echo(ipcp_req, socket.inet_aton(ping), 0x5151, 1))
        elif proto not in (PPP_LCP, PPP_CHAP, PPP_PAP, PPP_IPCP):
            ident += 1  # Protocol-Reject (e.g. IPv6CP, CCP)
            tun.send_data(sid, ppp(PPP_LCP, 8, ident, struct.pack("!H", proto) + info))
    if not auth_done:
        raise ProbeError("authentication did not finish")
    if not ipcp_acked:
        raise ProbeError("IPCP did not open")
    if ping and result.get("ping") != "ok":
        result["ping"] = "timeout"
    if hold:
        time.sleep(hold)
    tun.wanting_ctl = True
    tun.send_ctl([avp(0, struct.pack("!H", CDN)), avp(14, struct.pack("!H", my_sid)),
                  avp(1, struct.pack("!H", 3))])
    return result


def main(argv):
    args = argv[1:]
    opts = {}
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--session":
            opts["user"], opts["password"] = args[i + 1], args[i + 2]
            i += 3
        elif a in ("--ping", "--hold"):
            opts[a[2:]] = args[i + 1]
            i += 2
        else:
            pos.append(a)
            i += 1
    if not pos:
        print(__doc__.strip())
        return 2
    host = pos[0]
    port = int(pos[1]) if len(pos) > 1 else 1701
    secret = pos[2].encode() if len(pos) > 2 else None
    tun = Tunnel(host, port, secret)
    try:
        tun.open()
        if "user" not in opts:
            print("SCCRP from %s:%d tunnel %d host %s" % (host, port, tun.peer_tid, tun.peer_name))
            tun.close()
            return 0
        res = session(tun, opts["user"], opts["password"], opts.get("ping"), float(opts.get("hold", 0)))
        tun.close()
        line = "outcome=up lns=%s tid=%d sid=%d addr=%s auth=%s" % (
            tun.peer_name, tun.peer_tid, tun.peer_sid, res.get("addr"), res.get("auth"))
        if opts.get("ping"):
            line += " ping=%s" % res.get("ping")
            if "rtt_ms" in res:
                line += " rtt_ms=%d" % res["rtt_ms"]
        print(line)
        return 0 if not opts.get("ping") or res.get("ping") == "ok" else 1
    except ProbeError as e:
        print("outcome=failed reason=%s" % str(e).replace(" ", "_") if "user" in opts else str(e))
        try:
            tun.close()
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
