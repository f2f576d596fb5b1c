#!/usr/bin/python3
"""Hostile fake LNS for tests/integration/l2tp_hostile.sh (a test tool).

Usage: l2tp_fake_lns.py BIND_ADDR SECRET LOGFILE [hostile|busy|silent-sccrq|silent-icrq|bad-sccrp|slow-icrq|lost-icrp]

Listens on BIND_ADDR:1701. When a LAC's SCCRQ arrives it first fires a burst of
broken datagrams at it (short, wrong version, control bits wrong, Length past
the datagram, AVP lengths below 6 or past the end, Message Type not first, an
oversized datagram, data and control for unknown tunnels, an SCCRQ of its own),
then answers properly (SCCRP with the Challenge Response, RFC 2661 5.1.1), and
misbehaves inside the tunnel: ICRP carrying an unknown mandatory AVP (4.2: the
LAC must clear the session with CDN result 2 error 8), a duplicate SCCRP (to be
re-acknowledged), then an SCCRP out of state (the LAC must send StopCCN result
7). Off-path attacks come with the burst (issue 8): an SCCRQ from the LNS's
own address with tunnel id 0 and an all-zero Tie Breaker (which must not close
the LAC's pending tunnel, RFC 2661 4.4.3), and forged ICMP port unreachables
that quote an 8-byte UDP header only, an SCCRQ with the wrong Assigned Tunnel
ID, and a bare header (none may cut the setup short). Writes one line per
thing it receives to LOGFILE ("rx StopCCN result=7 tid=4242"...).
Mode "busy": a well-behaved LNS that answers every ICRQ with CDN result 2,
error 7 ("try another"), to exercise the LAC's failover on CDN.
Mode "silent-sccrq": acknowledges the SCCRQ with a ZLB and never answers.
Mode "silent-icrq": brings the tunnel up, acknowledges the ICRQ with a ZLB
and does not answer it (HELLOs get a ZLB that shows nothing missing); when
the LAC gives up with a CDN that has no session ID of ours (it has none),
the ICRP goes out after all, crossing it: the LAC must clear that session with
a CDN to its session ID (logged as "rx CDN result=10 sid=33").
Mode "lost-icrp": brings the tunnel up, acknowledges the ICRQ with a ZLB and
answers it with an ICRP that is "lost" on the way three times (its Ns is
used, nothing is sent), as under heavy loss, and goes out at the fourth
transmission (7 s); meanwhile every message of the LAC (its HELLO) gets a
ZLB whose Ns shows the gap. The call must wait for it, not fail over.
Mode "slow-icrq": a slow LNS that answers: brings the tunnel up, sends a
HELLO every 0.5 s, holds each ICRQ back unacknowledged for its first three
transmissions (answering each with a ZLB that acknowledges nothing new, as an
LNS with a full receive window would), then takes it and answers with a good
ICRP; the call must not fail over at a setup deadline shorter than that.
Mode "bad-sccrp": answers the SCCRQ with an SCCRP that carries an unknown
mandatory AVP (the LAC must send StopCCN 2/8 to tunnel 4242, RFC 2661 4.1).
"""
import hashlib
import socket
import struct
import sys
import time

NAMES = {1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 10: "ICRQ",
         11: "ICRP", 12: "ICCN", 14: "CDN", 15: "WEN", 16: "SLI"}


def avp(t, val, m=True):
    return struct.pack("!HHH", (0x8000 if m else 0) | (6 + len(val)), 0, t) + val


def ctrl(tid, sid, ns, nr, body):
    return struct.pack("!HHHHHH", 0xC802, 12 + len(body), tid, sid, ns, nr) + body


def parse(pkt):
    if len(pkt) < 12:
        return None
    flags, length, tid, sid, ns, nr = struct.unpack("!HHHHHH", pkt[:12])
    if not flags & 0x8000:
        return None
    avps, p = {}, 12
    while p + 6 <= length:
        fl, vendor, t = struct.unpack("!HHH", pkt[p:p + 6])
        n = fl & 0x3FF
        if n < 6:
            break
        if vendor == 0:
            avps.setdefault(t, (fl, pkt[p + 6:p + n]))
        p += n
    mtype = struct.unpack("!H", avps[0][1])[0] if 0 in avps else 0
    return dict(tid=tid, sid=sid, ns=ns, nr=nr, type=mtype, avps=avps)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def forged_icmp(lac_ip, lac_port, my_ip, quoted):
    """ICMP port unreachable 'for' a datagram LAC:lac_port -> my_ip:1701 whose
    UDP payload was `quoted` (sent from a raw socket: the kernel adds our IP)."""
    udp_len = 8 + len(quoted)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0x1234, 0, 64, 17, 0,
                      socket.inet_aton(lac_ip), socket.inet_aton(my_ip))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    body = struct.pack("!BBHI", 3, 3, 0, 0) + iph + struct.pack("!HHHH", lac_port, 1701, udp_len, 0) + quoted
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    r.sendto(body, (lac_ip, 0))
    r.close()


def main():
    bind, secret, logfile = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else "hostile"
    busy = mode == "busy"
    log = open(logfile, "w", buffering=1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, 1701))
    my_ns, lac_nr, lac_tid, lac_sid = 0, 0, 0, 0
    sccrp = None
    peer, held = None, {}
    lost = None         # lost-icrp: (due time, datagram) of the ICRP not yet "delivered"
    if mode in ("slow-icrq", "lost-icrp"):
        s.settimeout(0.5)
    while True:
        try:
            pkt, addr = s.recvfrom(8192)
        except socket.timeout:
            if lost and time.time() >= lost[0]:
                log.write("tx ICRP delivered\n")
                s.sendto(lost[1], peer)
                lost = None
            if mode == "lost-icrp":
                continue
            if peer and sccrp:
                s.sendto(ctrl(lac_tid, 0, my_ns, lac_nr, avp(0, b"\x00\x06")), peer)
                my_ns = (my_ns + 1) & 0xFFFF
            continue
        m = parse(pkt)
        if m is None:
            continue
        if m["tid"] in (555, 556):
            res = struct.unpack("!H", m["avps"][1][1][:2])[0] if 1 in m["avps"] else -1
            log.write("rx stray-%s result=%d tid=%d\n" % (NAMES.get(m["type"], "ZLB"), res, m["tid"]))
            continue
        if m["type"] == 0:
            continue
        if mode == "slow-icrq" and m["type"] == 10 and m["ns"] == lac_nr:
            held[m["ns"]] = held.get(m["ns"], 0) + 1
            if held[m["ns"]] <= 3:
                log.write("rx ICRQ held transmission=%d\n" % held[m["ns"]])
                s.sendto(ctrl(lac_tid, 0, my_ns, lac_nr, b""), addr)
                continue
        if m["ns"] == lac_nr:
            lac_nr = (lac_nr + 1) & 0xFFFF
        name = NAMES.get(m["type"], str(m["type"]))
        extra = ""
        if 1 in m["avps"]:
            v = m["avps"][1][1]
            extra = " result=%d" % struct.unpack("!H", v[:2])[0]
            if len(v) >= 4:
                extra += " error=%d" % struct.unpack("!H", v[2:4])[0]
        if m["type"] == 14:
            extra += " sid=%d" % m["sid"]
        log.write("rx %s%s tid=%d\n" % (name, extra, m["tid"]))

        def send(body, sid=0):
            nonlocal my_ns
            s.sendto(ctrl(lac_tid, sid, my_ns, lac_nr, body), addr)
            my_ns = (my_ns + 1) & 0xFFFF

        def zlb():
            s.sendto(ctrl(lac_tid, 0, my_ns, lac_nr, b""), addr)

        if m["type"] == 1 and mode == "silent-sccrq":
            lac_tid = struct.unpack("!H", m["avps"][9][1])[0]
            zlb()
        elif m["type"] == 1:
            lac_tid = struct.unpack("!H", m["avps"][9][1])[0]
            chal = m["avps"][11][1] if 11 in m["avps"] else b""
            t = lac_tid
            hello = avp(0, b"\x00\x06")
            burst = [
                b"\xc8\x02\x00",                                            # short
                ctrl(t, 0, 0, 1, hello)[:2].replace(b"\x02", b"\x03") + ctrl(t, 0, 0, 1, hello)[2:],  # version 3
                struct.pack("!HHHH", 0xC002, 8, t, 0),                       # control without S
                struct.pack("!HHHHHH", 0xC802, 200, t, 0, 0, 1) + hello,     # Length past the end
                ctrl(t, 0, 0, 1, avp(0, b"\x00\x02") + b"\x80\x03\x00\x00\x00"),      # AVP length 3
                ctrl(t, 0, 0, 1, avp(0, b"\x00\x02") + b"\x83\xff\x00\x00\x00\x07"),  # AVP past the end
                ctrl(t, 0, 0, 1, avp(9, b"\x10\x92") + hello),               # Message Type not first
                ctrl(t, 0, 0, 1, hello + b"\x00" * 6000),                    # oversized datagram
                bytes(range(100)),                                           # noise
                struct.pack("!HHH", 0x0002, t, 999) + b"\xff\x03\xc0\x21",  # data, tunnel not up
                ctrl(0x7777, 0, 0, 1, hello),                                # unknown tunnel
                ctrl(0, 0, 0, 0, avp(0, b"\x00\x01") + avp(2, b"\x01\x00") + avp(3, b"\x00\x00\x00\x03")
                     + avp(7, b"fake") + avp(9, struct.pack("!H", 555))),  # SCCRQ to us
            ]
            for b in burst if mode == "hostile" else []:
                s.sendto(b, addr)
            if mode == "hostile":
                # Off-path: a zero tie breaker from the LNS's address, then ICMP
                # errors that do not quote the LAC's SCCRQ.
                s.sendto(ctrl(0, 0, 0, 0, avp(0, b"\x00\x01") + avp(2, b"\x01\x00")
                              + avp(3, b"\x00\x00\x00\x03") + avp(5, b"\x00" * 8) + avp(7, b"spoof")
                              + avp(9, struct.pack("!H", 556))), addr)
                wrong = ctrl(0, 0, 0, 0, avp(0, b"\x00\x01") + avp(2, b"\x01\x00")
                             + avp(9, struct.pack("!H", t ^ 0x5A5A)))
                for q in (b"", wrong, ctrl(0, 0, 0, 0, b"")):
                    forged_icmp(addr[0], addr[1], bind, q)
                zlb()
                time.sleep(0.5)
            resp = hashlib.md5(bytes([2]) + secret + chal).digest()
            sccrp = (avp(0, b"\x00\x02") + avp(2, b"\x01\x00") + avp(3, b"\x00\x00\x00\x03")
                     + avp(7, b"fake-lns") + avp(9, struct.pack("!H", 4242)) + avp(10, b"\x00\x04")
                     + avp(13, resp))
            if mode == "bad-sccrp":
                send(sccrp + avp(99, b"boom"))
            else:
                send(sccrp)
            peer = addr
        elif m["type"] == 10 and mode == "slow-icrq":
            lac_sid = struct.unpack("!H", m["avps"][14][1])[0]
            send(avp(0, b"\x00\x0b") + avp(14, b"\x00\x21"), sid=lac_sid)
        elif m["type"] == 10 and mode == "silent-icrq":
            lac_sid = struct.unpack("!H", m["avps"][14][1])[0]
            zlb()
        elif m["type"] == 14 and mode == "silent-icrq" and m["sid"] == 0:
            zlb()
            send(avp(0, b"\x00\x0b") + avp(14, b"\x00\x21"), sid=lac_sid)
        elif m["type"] == 10 and mode == "lost-icrp":
            lac_sid = struct.unpack("!H", m["avps"][14][1])[0]
            zlb()
            lost = (time.time() + 7, ctrl(lac_tid, lac_sid, my_ns, lac_nr, avp(0, b"\x00\x0b") + avp(14, b"\x00\x21")))
            my_ns = (my_ns + 1) & 0xFFFF
            log.write("tx ICRP lost\n")
        elif m["type"] == 10 and busy:
            sid = struct.unpack("!H", m["avps"][14][1])[0]
            send(avp(0, b"\x00\x0e") + avp(1, b"\x00\x02\x00\x07busy") + avp(14, b"\x00\x22"), sid=sid)
        elif m["type"] == 10:
            lac_sid = struct.unpack("!H", m["avps"][14][1])[0]
            # ICRP with an unknown mandatory AVP (type 99).
            send(avp(0, b"\x00\x0b") + avp(14, b"\x00\x21") + avp(99, b"boom"), sid=lac_sid)
        elif m["type"] == 14 and mode == "hostile":
            # A duplicate of SCCRP (Ns 0): must only be acknowledged.
            s.sendto(ctrl(lac_tid, 0, 0, lac_nr, sccrp), addr)
            # SCCRP again with a fresh Ns: out of state.
            send(sccrp)
        elif m["type"] == 4:
            zlb()
            log.write("done\n")
        else:
            zlb()


if __name__ == "__main__":
    main()
