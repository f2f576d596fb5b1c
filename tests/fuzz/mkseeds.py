#!/usr/bin/python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ from the unit tests'
byte vectors and text fixtures (tests/unit/*.c, policy/realmctl/example.json),
wrapped in each harness's input format (see the comment atop fuzz_<target>.c).
Re-run after the unit vectors change: tests/fuzz/mkseeds.py
Files named crash-* (known findings) are left alone."""
import ast
import hashlib
import os
import re
import struct
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CORPUS = os.path.join(TOP, 'tests', 'fuzz', 'corpus')


def src(path):
    with open(os.path.join(TOP, path), encoding='utf-8', errors='replace') as f:
        return f.read()


def c_arrays(text):
    """name -> bytes for every `uint8_t name[] = { 0x.., ... };`."""
    out = {}
    for m in re.finditer(r'uint8_t\s+(\w+)\[\]\s*=\s*\{([^}]*)\}', text):
        vals = re.findall(r'0x[0-9a-fA-F]+|\b\d+\b', re.sub(r'/\*.*?\*/', '', m.group(2), flags=re.S))
        try:
            out[m.group(1)] = bytes(int(v, 0) & 0xff for v in vals)
        except ValueError:
            pass
    return out


def c_string_runs(text):
    """Every run of adjacent C string literals, joined and unescaped."""
    runs = []
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
        lits = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        try:
            s = ''.join(ast.literal_eval('"' + l + '"') for l in lits)
        except (SyntaxError, ValueError):
            continue
        runs.append(s.encode('utf-8', errors='surrogateescape'))
    return runs


def hexs(s):
    return bytes.fromhex(s.replace(' ', '').replace('\n', ''))


class Out:
    def __init__(self, target):
        self.dir = os.path.join(CORPUS, target)
        os.makedirs(self.dir, exist_ok=True)
        for f in os.listdir(self.dir):
            if not f.startswith('crash-'):
                os.unlink(os.path.join(self.dir, f))
        self.n = 0

    def add(self, name, data):
        name = re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:40]
        with open(os.path.join(self.dir, '%02d-%s' % (self.n, name)), 'wb') as f:
            f.write(data)
        self.n += 1


# ---- L2TP ----
def l2tp_hide(avp_type, value, secret, rv):
    """RFC 2661 4.3: hidden subformat (length, value, no padding), XOR chain."""
    plain = struct.pack('>H', len(value)) + value
    out = b''
    prev = struct.pack('>H', avp_type) + secret + rv
    for i in range(0, len(plain), 16):
        b = hashlib.md5(prev).digest()
        chunk = bytes(p ^ k for p, k in zip(plain[i:i + 16], b))
        out += chunk
        prev = secret + chunk
    return out


def avp(t, val, m=True, h=False):
    flags = (0x8000 if m else 0) | (0x4000 if h else 0)
    return struct.pack('>HHH', flags | (6 + len(val)), 0, t) + val


def seeds_l2tp():
    o = Out('l2tp')
    text = src('tests/unit/test_l2tp_codec.c')
    block = text[text.index('vectors[] = {'):]
    block = block[:block.index('};')]
    for m in re.finditer(r'\{\s*"(\w+)",\s*\w+,\s*((?:"[^"]*"\s*)+)\}', block):
        name, body = m.group(1), hexs(''.join(re.findall(r'"([^"]*)"', m.group(2))))
        hdr = struct.pack('>HHHHHH', 0xc802, 12 + len(body), 1, 0, 0, 0)
        o.add('dgram-' + name, b'\x00' + hdr + body)
        o.add('body-' + name, b'\x01' + body)
        o.add('nosecret-' + name, b'\x02' + body)
        o.add('walk-' + name, b'\x03' + body)
    # hidden AVPs under the harness's secret: ICCN and SCCRQ with a hidden Host Name
    secret, rv = b'tunnel-secret', b'0123456789abcdef'
    body = (avp(0, struct.pack('>H', 12)) + avp(36, rv) +
            avp(24, l2tp_hide(24, struct.pack('>I', 1000000), secret, rv), h=True) +
            avp(19, struct.pack('>I', 2)) +
            avp(30, l2tp_hide(30, b'user@realm.example', secret, rv), m=False, h=True) +
            avp(29, struct.pack('>H', 2), m=False) +
            avp(32, l2tp_hide(32, struct.pack('>H', 9), secret, rv), m=False, h=True))
    o.add('hidden-ICCN', b'\x01' + body)
    o.add('hidden-walk', b'\x03' + body)
    body = (avp(0, struct.pack('>H', 1)) + avp(2, b'\x01\x00') + avp(3, b'\x00\x00\x00\x03') +
            avp(36, rv) + avp(7, l2tp_hide(7, b'lac1', secret, rv), h=True) +
            avp(9, struct.pack('>H', 0x1234)) + avp(11, l2tp_hide(11, b'challenge-16-oct', secret, rv), h=True))
    hdr = struct.pack('>HHHHHH', 0xc802, 12 + len(body), 0, 0, 0, 0)
    o.add('hidden-SCCRQ', b'\x00' + hdr + body)
    # data messages: plain, L, S, O bits
    ppp = bytes.fromhex('ff03c021010100040000')
    o.add('data-plain', b'\x00' + struct.pack('>HHH', 0x0002, 7, 9) + ppp)
    o.add('data-len', b'\x00' + struct.pack('>HHHH', 0x4002, 8 + len(ppp), 7, 9) + ppp)
    o.add('data-seq', b'\x00' + struct.pack('>HHHHH', 0x0802, 7, 9, 3, 4) + ppp)
    o.add('data-offset', b'\x00' + struct.pack('>HHHH', 0x0202, 7, 9, 2) + b'\0\0' + ppp)
    o.add('zlb', b'\x00' + struct.pack('>HHHHHH', 0xc802, 12, 1, 2, 3, 4))


# ---- RADIUS and DAE ----
def seeds_radius():
    o = Out('radius')
    v = c_arrays(src('tests/unit/test_radius_codec.c'))
    for name, data in sorted(v.items()):
        if not name.startswith('vec_'):
            continue
        if name.endswith(('_acc', '_rej')):
            o.add('reply-' + name, b'\x00' + data)
            o.add('resign-' + name, b'\x04' + data)
        o.add('check-' + name, b'\x03' + data)
    acc = v.get('vec_tunnel_acc', b'')
    off = 20
    while off + 2 <= len(acc) and acc[off + 1] >= 2:
        if acc[off] == 69:          # Tunnel-Password: tag, salt, string
            o.add('password', b'\x02' + acc[off + 3:off + acc[off + 1]])
        off += acc[off + 1]
    d = c_arrays(src('tests/unit/test_dae.c'))
    for name, data in sorted(d.items()):
        if name.startswith('vec_'):
            o.add('dae-' + name, bytes([1 | 32]) + data)
            o.add('dae-resign-' + name, bytes([1 | 4 | 32]) + data)
            o.add('dae-ma-' + name, bytes([1 | 4 | 16 | 32]) + data)


# ---- PPPoE ----
def seeds_pppoe():
    o = Out('pppoe')
    v = c_arrays(src('tests/unit/test_pppoe_codec.c'))
    for name, data in sorted(v.items()):
        if len(data) < 20:
            continue
        et = data[12:14]
        o.add(name, (b'\x01' if et == b'\x88\x64' else b'\x00') + data)


def seeds_pppoe_server():
    o = Out('pppoe_server')
    v = c_arrays(src('tests/unit/test_pppoe_codec.c'))
    padi = v.get('padi', b'')
    lcp = bytes.fromhex('c02101010014010405d402060000000005061122334407020802')[0:]
    inj = lambda fr: bytes([0]) + struct.pack('>H', len(fr)) + fr
    for cfg in (0x00, 0x01, 0x02, 0x03, 0x04, 0x0c, 0x10, 0x20, 0x40, 0x60, 0x80):
        o.add('dialogue-cfg%02x' % cfg, bytes([cfg]) + inj(padi) + bytes([1]) +
              bytes([3, len(lcp)]) + lcp + bytes([6, 0, len(lcp)]) + lcp + bytes([4]))
    o.add('two-sessions', bytes([0x08]) + inj(padi) + bytes([1, 1]) + inj(padi) + bytes([1, 5, 3, 1]) +
          bytes([3, 4, 0xc0, 0x21, 9, 1, 7, 0, 7, 1]))
    o.add('stale-cookie', bytes([0x10]) + inj(padi) + bytes([5, 3, 1, 2, 40, 0x55]))
    for name, data in sorted(v.items()):
        if len(data) >= 20:
            o.add('inject-' + name, bytes([0]) + inj(data) + bytes([1]))


def seeds_l2tp_engine():
    """Dialogues in fuzz_l2tp_engine.c's operation language: a call set up
    through SCCRP/ICRP with the LNS's acknowledgements, then traffic, then one
    way of ending, under each configuration bit."""
    o = Out('l2tp_engine')
    lcp = bytes.fromhex('ff03c02101010004')
    setup = lambda lns: bytes([0, 0, 1, lns, 4, 3, 0, 2, lns, 3, 0])
    traffic = bytes([7, 0, 0, len(lcp)]) + lcp + bytes([11, 0, len(lcp)]) + lcp
    for cfg in (0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x10, 0x20, 0x40, 0x80):
        o.add('call-cfg%02x' % cfg, bytes([cfg]) + setup(0) + traffic + bytes([4, 0, 1, 0, 9, 100]))
    o.add('owner-close', bytes([0x01]) + setup(0) + traffic + bytes([10, 0, 1, 9, 255, 3, 0]))
    o.add('shutdown', bytes([0x01]) + setup(0) + traffic + bytes([14, 1]))
    o.add('stopccn-established', bytes([0x00]) + setup(0) + bytes([5, 0, 6]))
    # StopCCN during setup: the call fails over to the second LNS and comes up there
    o.add('failover', bytes([0x02, 0, 0, 5, 0, 2, 1, 1, 4, 3, 1, 2, 1, 3, 1]) + traffic)
    o.add('setup-timeout', bytes([0x02, 0, 0] + [9, 255] * 6))
    o.add('bad-challenge', bytes([0x01, 0, 0, 1, 2, 4, 9, 50]))
    o.add('lns-challenge', bytes([0x01, 0, 0, 1, 4, 4, 3, 0, 9, 50]))
    o.add('icmp-refused', bytes([0x00, 0, 0, 13, 2, 64, 0, 9, 30]))
    o.add('two-calls', bytes([0x08, 0, 0, 0, 1, 1, 0, 4, 3, 0, 2, 0x10, 2, 0x30, 3, 0]) + traffic +
          bytes([12, 0, 0, 12, 1, 1]))
    o.add('hello', bytes([0x40]) + setup(0) + bytes([9, 50, 3, 0, 9, 50, 15, 1]))
    o.add('raw-ctrl', bytes([0x00]) + setup(0) + bytes([6, 16, 0, 0, 10]) +
          bytes.fromhex('8008000000230000ffff'))
    o.add('raw-datagram', bytes([0x00]) + setup(0) + bytes([8, 0, 0, 12]) +
          bytes.fromhex('c80200140064000000020003'))
    # call_open's modes (octet bits 2-4), each through a whole call
    for mode in range(1, 8):
        op = mode << 2 | 2
        o.add('mode%d' % mode, bytes([0x02, 0, op, 1, 0, 4, 3, 0, 2, 0, 3, 0]) + traffic +
              bytes([4, 0, 0x81, 0, 9, 100]))
    o.add('mode4-failover', bytes([0x02, 0, 4 << 2, 5, 0, 2, 9, 10]))
    o.add('mode5-reject', bytes([0x02, 0, 5 << 2, 5, 0, 2, 9, 10]))
    # an SCCRQ from a stranger (this LAC takes no incoming tunnels)
    sccrq = (avp(0, struct.pack('>H', 1)) + avp(2, b'\x01\x00') + avp(3, struct.pack('>I', 3)) +
             avp(7, b'stranger') + avp(9, struct.pack('>H', 42)))
    dg = struct.pack('>HHHHHH', 0xc802, 12 + len(sccrq), 0, 0, 0, 0) + sccrq
    o.add('stray-sccrq', bytes([0x00, 8, 2]) + struct.pack('>H', len(dg)) + dg)
    # SLI from the LNS on an established call (ACCM AVP 35)
    sli = avp(35, struct.pack('>HII', 0, 0, 0xffffffff))
    o.add('sli-from-lns', bytes([0x00]) + setup(0) + bytes([6, 16, 0, 0, len(sli)]) + sli)


def seeds_dae_server():
    """Dialogues in fuzz_dae_server.c's operation language: requests from
    each client, retransmissions inside and after the duplicate window,
    replays, stale and missing Event-Timestamps, a stranger."""
    o = Out('dae_server')
    req = lambda code, ident, ts, user: bytes([1, code, ident, ts & 0xff, len(user)]) + user
    dialogue = (req(0x18, 7, 0, b'alice@corp.example') + bytes([2]) + bytes([3, 10, 2]) +
                req(0x19, 8, 0, b'bob') + req(0x1c, 9, 0, b'carol') + req(0x1a, 10, 0, b'eve') +
                req(0x38, 11, 0, b'alice') + req(0x58, 12, 0, b'alice') +
                req(0x18, 13, -100, b'late') + bytes([4, 40, 2]))
    for cfg in (0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x30, 0x0f):
        o.add('dialogue-cfg%02x' % cfg, bytes([cfg]) + dialogue)
    o.add('no-ma-required', bytes([0x01]) + req(0x10, 1, 0, b'x'))
    o.add('no-ts-required', bytes([0x02]) + req(0x08, 1, 0, b'x'))
    o.add('second-port', bytes([0x00]) + req(0x18, 1, 0, b'x') +
          bytes([0, 0x0f]) + struct.pack('>H', 0))
    o.add('flood', bytes([0x00, 5, 255, 1, 0x18, 1, 0, 1]) + b'x')
    raw = bytes([40, 5, 0, 26]) + bytes(16) + bytes([1, 6]) + b'user'
    o.add('raw-signed', bytes([0x00, 0, 0x04]) + struct.pack('>H', len(raw)) + raw)


# ---- HDLC ----
def fcs16(data):
    fcs = 0xffff
    for b in data:
        fcs ^= b
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs


def hdlc(frame, accm=0xffffffff):
    fcs = fcs16(frame) ^ 0xffff
    raw = frame + bytes([fcs & 0xff, fcs >> 8])
    out = bytearray([0x7e])
    for b in raw:
        if b in (0x7e, 0x7d) or (b < 0x20 and accm & (1 << b)):
            out += bytes([0x7d, b ^ 0x20])
        else:
            out.append(b)
    out.append(0x7e)
    return bytes(out)


PPP_FRAMES = [
    bytes.fromhex('ff03c02101010014010405dc02060000000005061122334407020802'),  # LCP ConfReq
    bytes.fromhex('ff03c0210201000a050611223344'),                              # LCP ConfAck
    bytes.fromhex('c02301060008037573650270'),                                  # PAP Auth-Req
    bytes.fromhex('ff03c2230101001810') + b'0123456789abcdef' + b'lac',         # CHAP Challenge
    bytes.fromhex('ff03802101010010030600000000810600000000'),                  # IPCP ConfReq
    bytes.fromhex('21' '4500001400000000400100000a0000020a000001'),             # IP, PFC
    bytes.fromhex('c0210901000800000000'),                                      # LCP Echo-Request
]


def seeds_hdlc():
    o = Out('hdlc')
    v = c_arrays(src('tests/unit/test_hdlc.c'))
    frames = [v['lcp_frame']] if 'lcp_frame' in v else []
    frames += PPP_FRAMES
    chunks = [b'\x00\xff\xff\xff\xff\xff\xff\xff\xff', b'\x00\x01\x02\x03\x05\x07\x0b\x0d\x40',
              b'\x05\x10\x01\x10\x01\x10\x01\x10\x01']
    for i, f in enumerate(frames):
        o.add('frame%d' % i, chunks[i % 3] + hdlc(f))
        o.add('frame%d-accm0' % i, chunks[(i + 1) % 3] + hdlc(f, 0))
    o.add('stream', chunks[1] + b''.join(hdlc(f) for f in frames) + b'\x7e\x7d\x7e' + hdlc(frames[0])[:-3])
    o.add('garbage', chunks[0] + b'\x7eabc\x7e\x7e\x7d\x7e' + hdlc(frames[-1]))


# ---- PPP ----
def seeds_ppp():
    o = Out('ppp')
    run = bytes([7, 4, 4, 7, 7, 4, 20, 7, 7, 7, 4, 20, 7, 7, 7, 7])
    for cfg in (0x00, 0x01, 0x02, 0x03, 0x04, 0x0c, 0x10, 0x21, 0x40, 0x41, 0x80, 0x9c, 0x63):
        o.add('b2b-cfg%02x' % cfg, bytes([cfg, 0]) + run + run)
        o.add('b2b-cfg%02x-reject' % cfg, bytes([cfg, 1]) + run + run)
    # step by step with drops, mutations, timers and closes
    o.add('drops', bytes([0, 0, 1, 9, 3, 1, 9, 4, 20, 7, 2, 5, 0x41, 7, 4, 100, 7, 7, 5, 7, 4, 50]))
    o.add('close-client', bytes([0, 0]) + run + bytes([13, 7, 4, 40, 7]))
    o.add('lower-down', bytes([1, 0]) + run + bytes([22, 7, 4, 40]))
    o.add('send-ip', bytes([0, 0]) + run + bytes([6, 20]) + bytes(range(0x45, 0x45 + 20)) + bytes([7, 14, 4, 0]))
    # raw frames injected into each side
    for i, f in enumerate(PPP_FRAMES):
        o.add('inject-lac-%d' % i, bytes([0, 0, 0, len(f)]) + f + bytes([7, 4, 20, 7]))
        o.add('inject-client-%d' % i, bytes([0, 0, 8, len(f)]) + f + bytes([7, 4, 20, 7]))


# ---- realm names, schema ----
def seeds_realm_name():
    o = Out('realm_name')
    text = src('tests/unit/test_realm_name.c')
    names = sorted(set(s for s in c_string_runs(text) if b'@' in s or b'/' in s or b'\\' in s))
    dnis = [b'', b'5550100', b'+1 555 0100', b'12345678901234567890123456789012345678901234567890123456789012345']
    for i, n in enumerate(names[:40]):
        d = dnis[i % len(dnis)]
        opts = [0x00, 0x04, 0x0d, 0x25, 0x46, 0x17, 0x88][i % 7]
        o.add('name%d' % i, bytes([opts, min(len(n), 255)]) + n + d)


def seeds_realm_schema():
    o = Out('realm_schema')
    good = [(0, b'tunnel'), (0, b'local'), (1, b'weighted'), (1, b'round-robin'), (2, b'1'),
            (3, b'31'), (4, b'closed for maintenance'), (5, b'lac1'), (6, b'10.88.2.2'),
            (6, b'10.88.2.2:1702'), (6, b'[2001:db8::1]:1701'), (6, b'2001:db8::2'), (7, b'65535'),
            (8, b'1000'), (9, b'lns1-secret'), (10, b'a1'), (11, b'lns1'), (12, b'100'),
            (13, b'7'), (14, b'0'), (15, b'future')]
    for f, val in good:
        o.add('field%d-%s' % (f, val.decode()), bytes([0xa0 | f, len(val)]) + val)
    o.add('lns-complete', b''.join(bytes([0xa0 | f, len(v)]) + v for f, v in good if f >= 6))
    o.add('realm-complete', b''.join(bytes([0x70 | f, len(v)]) + v for f, v in good if f < 6))
    for name in (b'corp.example', b'*.corp.example', b'lns-1_a', b'5550100'):
        o.add('name-' + name.decode(), bytes([0x1f, len(name)]) + name)


# ---- realmctl documents ----
def seeds_realmctl_doc():
    o = Out('realmctl_doc')
    o.add('example', src('policy/realmctl/example.json').encode())
    o.add('example-known', b'\x02' + src('policy/realmctl/example.json').encode())
    for i, s in enumerate(c_string_runs(src('tests/unit/test_realmctl_doc.c'))):
        if s.lstrip().startswith(b'{') and len(s) > 10:
            o.add('test%d' % i, s)


# ---- lac-core configuration ----
def seeds_conf():
    o = Out('conf')
    for i, s in enumerate(c_string_runs(src('tests/unit/test_conf.c'))):
        if b'=' in s or s.startswith(b'['):
            o.add('test%d' % i, s)
    for path in ('lab.d/lac/lac.conf.in', 'lac-core/lac.conf.example', 'lab.d/lac.conf.in'):
        if os.path.exists(os.path.join(TOP, path)):
            o.add(os.path.basename(path), src(path).encode())


ALL = {'l2tp': seeds_l2tp, 'l2tp_engine': seeds_l2tp_engine, 'dae_server': seeds_dae_server, 'radius': seeds_radius, 'pppoe': seeds_pppoe,
       'pppoe_server': seeds_pppoe_server, 'hdlc': seeds_hdlc,
       'ppp': seeds_ppp, 'realm_name': seeds_realm_name, 'realm_schema': seeds_realm_schema,
       'realmctl_doc': seeds_realmctl_doc, 'conf': seeds_conf}

if __name__ == '__main__':
    for t in sys.argv[1:] or ALL:
        ALL[t]()
        print('%s: %d seeds' % (t, len([f for f in os.listdir(os.path.join(CORPUS, t)) if not f.startswith('crash-')])))
