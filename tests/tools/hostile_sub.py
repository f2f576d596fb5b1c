#!/usr/bin/python3
"""Hostile stream subscribers for tests/integration/lac_hostile.sh (issue 8).

PPP in RFC 1662 HDLC-like framing over TCP, as lac-core's stream access
speaks it. Each mode prints one `key=value ...` summary line and exits 0
(the suite judges the figures).

  burst HOST:PORT COUNT PARALLEL FRAMES   LCP Configure-Request bursts with a
        closed receive window, then a TCP reset, COUNT connections
  slowloris HOST:PORT COUNT SECONDS       a byte at a time; counts how many the
        LAC closed by itself
  flood HOST:PORT COUNT HOLD              COUNT connections at once; counts the
        ones served (LCP arrives), refused (closed at once) and left waiting
  renegotiate HOST:PORT USER PASSWORD OTHER   authenticates as USER while also
        answering the challenge as OTHER, then renegotiates LCP and answers
        the new challenge as OTHER
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time


def fcs16(data):
    fcs = 0xFFFF
    for b in data:
        fcs ^= b
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs ^ 0xFFFF


def hdlc(frame):
    body = frame + struct.pack('<H', fcs16(frame))
    out = bytearray(b'\x7e')
    for b in body:
        if b < 0x20 or b in (0x7d, 0x7e):
            out += bytes((0x7d, b ^ 0x20))
        else:
            out.append(b)
    out.append(0x7e)
    return bytes(out)


def ppp(proto, payload):
    return hdlc(b'\xff\x03' + struct.pack('>H', proto) + payload)


def lcp(code, ident, data=b''):
    return ppp(0xC021, struct.pack('>BBH', code, ident, 4 + len(data)) + data)


class Deframer:
    def __init__(self):
        self.buf = bytearray()

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            try:
                start = self.buf.index(0x7e)
                end = self.buf.index(0x7e, start + 1)
            except ValueError:
                break
            raw = self.buf[start + 1:end]
            del self.buf[:end]
            out = bytearray()
            esc = False
            for b in raw:
                if esc:
                    out.append(b ^ 0x20)
                    esc = False
                elif b == 0x7d:
                    esc = True
                else:
                    out.append(b)
            if len(out) >= 6 and fcs16(bytes(out[:-2])) == struct.unpack('<H', out[-2:])[0]:
                f = bytes(out[:-2])
                if f[:2] == b'\xff\x03':
                    f = f[2:]
                frames.append((struct.unpack('>H', f[:2])[0], f[2:]))
        return frames


def addr(spec):
    host, port = spec.rsplit(':', 1)
    return host, int(port)


def burst(spec, count, parallel, frames):
    a = addr(spec)
    done = failed = 0
    burst_bytes = b''.join(lcp(1, i & 0xff, b'\x05\x06' + os.urandom(4)) for i in range(frames))
    left = count
    while left > 0:
        socks = []
        for _ in range(min(parallel, left)):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            try:
                s.connect(a)
                s.setblocking(False)
                socks.append(s)
            except OSError:
                failed += 1
                s.close()
        left -= parallel
        for s in socks:
            try:
                s.send(burst_bytes)
            except OSError:
                pass
        time.sleep(0.05)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            s.close()
            done += 1
    print(f'mode=burst connections={done} connect_failed={failed} frames_each={frames}')


def slowloris(spec, count, seconds):
    a = addr(spec)
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.connect(a)
        s.setblocking(False)
        socks.append(s)
    frame = lcp(1, 1, b'\x05\x06\x11\x22\x33\x44')
    closed = set()
    t0 = time.time()
    i = 0
    while time.time() - t0 < seconds:
        for s in socks:
            if s in closed:
                continue
            try:
                s.send(frame[i % len(frame):i % len(frame) + 1])
            except OSError:
                closed.add(s)
        r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.5)
        for s in r:
            try:
                if not s.recv(4096):
                    closed.add(s)
            except OSError:
                closed.add(s)
        i += 1
    for s in socks:
        s.close()
    print(f'mode=slowloris connections={count} closed_by_lac={len(closed)} seconds={seconds}')


def flood(spec, count, hold):
    a = addr(spec)
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(a)
        except BlockingIOError:
            pass
        socks.append(s)
    served, refused = set(), set()
    t0 = time.time()
    while time.time() - t0 < hold:
        pending = [s for s in socks if s not in served and s not in refused]
        if not pending:
            break
        r, _, _ = select.select(pending, [], [], 0.2)
        for s in r:
            try:
                data = s.recv(4096)
                (served if data else refused).add(s)
            except OSError:
                refused.add(s)
    waiting = count - len(served) - len(refused)
    for s in socks:
        s.close()
    print(f'mode=flood connections={count} served={len(served)} refused={len(refused)} waiting={waiting}')


class Client:
    def __init__(self, spec):
        self.s = socket.create_connection(addr(spec), timeout=10)
        self.d = Deframer()
        self.pending = []

    def send(self, data):
        self.s.sendall(data)

    def recv(self, timeout=10):
        if self.pending:
            return self.pending.pop(0)
        self.s.settimeout(timeout)
        while True:
            data = self.s.recv(4096)
            if not data:
                return None
            frames = self.d.feed(data)
            if frames:
                self.pending = frames[1:]
                return frames[0]

    def until(self, want, timeout=10):
        """Answers LCP as a willing peer until want(proto, payload) is true."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            f = self.recv(timeout)
            if f is None:
                return None
            proto, p = f
            if want(proto, p):
                return f
            if proto == 0xC021 and p[0] == 1:       # ConfReq: ack as is
                self.send(ppp(0xC021, b'\x02' + p[1:]))
            elif proto == 0x8021 and p[0] == 1:     # IPCP ConfReq: ack
                self.send(ppp(0x8021, b'\x02' + p[1:]))
            elif proto == 0x8021 and p[0] == 3:     # IPCP ConfNak: take what is offered
                self.send(ppp(0x8021, b'\x01' + bytes(((p[1] + 1) & 0xff,)) + p[2:]))
            elif proto == 0xC021 and p[0] == 9:     # Echo-Request
                self.send(ppp(0xC021, b'\x0a' + p[1:4] + b'\x00\x00\x00\x00' + p[8:]))
        return None


def chap_response(ident, password, challenge, name):
    value = hashlib.md5(bytes((ident,)) + password.encode() + challenge).digest()
    body = bytes((16,)) + value + name.encode()
    return ppp(0xC223, struct.pack('>BBH', 2, ident, 4 + len(body)) + body)


def renegotiate(spec, user, password, other):
    c = Client(spec)
    c.send(lcp(1, 1, b'\x05\x06\x01\x02\x03\x04'))
    is_chal = lambda proto, p: proto == 0xC223 and p[0] == 1
    f = c.until(lambda proto, p: is_chal(proto, p) or (proto == 0xC021 and p[0] == 2 and False))
    if f is None:
        print('mode=renegotiate first_auth=no_challenge')
        return
    # our ConfReq is acked in the background; answer the challenge twice
    _, p = f
    ident, clen = p[1], p[4]
    chal = p[5:5 + clen]
    c.send(chap_response(ident, password, chal, user))
    c.send(chap_response(ident, 'wrong', chal, other))
    f = c.until(lambda proto, p: proto == 0xC223 and p[0] in (3, 4), 15)
    first = 'success' if f and f[1][0] == 3 else 'failure' if f else 'none'
    # IPCP, so the link stays up while the suite looks (RFC 1332: ask for 0.0.0.0)
    c.send(ppp(0x8021, struct.pack('>BBH', 1, 1, 10) + b'\x03\x06\x00\x00\x00\x00'))
    c.until(lambda proto, p: proto == 0x8021 and p[0] == 2, 10)
    print(f'mode=renegotiate step=first_auth result={first}', flush=True)
    time.sleep(float(os.environ.get('HOSTILE_PAUSE', '2')))  # the suite reads lacctl meanwhile
    # renegotiate LCP, answer the new challenge as the other identity
    c.send(lcp(1, 2, b'\x05\x06\x05\x06\x07\x08'))
    f = c.until(is_chal, 15)
    if f is None:
        print('mode=renegotiate step=reauth result=no_challenge')
        return
    _, p = f
    ident, clen = p[1], p[4]
    c.send(chap_response(ident, password, p[5:5 + clen], other))
    f = c.until(lambda proto, p: proto == 0xC021 and p[0] == 5 or proto == 0xC223 and p[0] == 3, 15)
    if f is None:
        print('mode=renegotiate step=reauth result=closed')
    elif f[0] == 0xC021:
        print('mode=renegotiate step=reauth result=terminated')
    else:
        print('mode=renegotiate step=reauth result=accepted')


def main(argv):
    mode = argv[1]
    if mode == 'burst':
        burst(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif mode == 'slowloris':
        slowloris(argv[2], int(argv[3]), float(argv[4]))
    elif mode == 'flood':
        flood(argv[2], int(argv[3]), float(argv[4]))
    elif mode == 'renegotiate':
        renegotiate(argv[2], argv[3], argv[4], argv[5])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
