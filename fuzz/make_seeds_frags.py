#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed inputs of fuzz/corpus-frags/ for fuzz_frags.c (run once; the files are
committed). Each seed is a control byte and an exchange (see the theory of operation there):
mode 1 cuts one IP packet by a cut list, mode 0 sends a list of length-prefixed IP packets.
The stack is 192.0.2.2 / 2001:db8::2 with UDP echo on port 7; the peer is .1 / ::1."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-frags")
A4_US, A4_PEER = bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1])
A6_US = bytes.fromhex("20010db8000000000000000000000002")
A6_PEER = bytes.fromhex("20010db8000000000000000000000001")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(proto, payload, opts=b"", ident=0x99, off=0, mf=False):
    ihl = (20 + len(opts)) // 4
    flags = (0x2000 if mf else 0) | (off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), ident, flags,
                    64, proto, 0, A4_PEER, A4_US) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(nh, payload, tclass=0):
    return struct.pack("!IHBB", 6 << 28 | tclass << 20, len(payload), nh, 64) + A6_PEER + A6_US + payload


def udp(n, sport=40000):
    return struct.pack("!HHHH", sport, 7, 8 + n, 0) + bytes((i * 7) & 0xFF for i in range(n))


def echo6(n):
    return struct.pack("!BBHHH", 128, 0, 0, 0x1234, 1) + bytes(i & 0xFF for i in range(n))


def echo4(n):
    return struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + bytes(i & 0xFF for i in range(n))


def frag6(nh, off, more, ident, data, pre=b"", pre_nh=None):
    fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
    first = pre_nh if pre else 44
    return ipv6(first, pre + fh + data)


def frames(*pkts):
    return b"".join(struct.pack("!H", len(p)) + p for p in pkts)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


os.makedirs(OUT, exist_ok=True)
# Mode 1 (cut), checksum fixed (0x03): the packet, then one byte per fragment.
write("cut_udp6_3000", b"\x03" + ipv6(17, udp(3000)) + bytes([0x7f, 0x7f, 0x7f]))
write("cut_udp6_reverse", b"\x03" + ipv6(17, udp(2000)) + bytes([0x3f, 0xbf, 0xbf, 0x3f]))
write("cut_echo6_small_pieces", b"\x03" + ipv6(58, echo6(600)) + bytes([0x07] * 12))
dstopts = bytes([17, 0, 1, 4, 0, 0, 0, 0])
write("cut_udp6_dstopts", b"\x03" + ipv6(60, dstopts + udp(1500)) + bytes([0x1f, 0x9f]))
write("cut_udp6_64k", b"\x03" + ipv6(17, udp(65000)) + bytes([0x7f] * 64))
write("cut_udp4_3000", b"\x03" + ipv4(17, udp(3000)) + bytes([0x7f, 0x7f, 0x7f]))
write("cut_udp4_options", b"\x03" + ipv4(17, udp(1400), opts=bytes([1] * 40)) + bytes([0x3f, 0xbf]))
write("cut_echo4", b"\x03" + ipv4(1, echo4(1800)) + bytes([0x3f, 0x3f]))
# Mode 0 (frames): overlaps, duplicates, an atomic fragment, a hop-by-hop header behind a
# Fragment header, fragments past 65535 with an unfragmentable part.
d = udp(200)
write("frames_overlap6", b"\x00" + frames(frag6(17, 0, True, 5, d[:104]),
                                           frag6(17, 96, False, 5, d[96:])))
write("frames_dup6", b"\x00" + frames(frag6(17, 0, True, 6, d[:104]), frag6(17, 0, True, 6, d[:104]),
                                       frag6(17, 104, False, 6, d[104:])))
write("frames_atomic6", b"\x00" + frames(frag6(17, 0, False, 7, d)))
hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0])
write("frames_hbh_after_frag", b"\x00" + frames(frag6(0, 0, False, 8, hbh + d)))
write("frames_unfrag_too_long", b"\x00" + frames(
    frag6(17, 0, True, 9, d[:104], pre=bytes([44, 0, 1, 4, 0, 0, 0, 0]), pre_nh=60),
    frag6(17, 65528, False, 9, d[:7])))
write("frames_overlap4", b"\x00" + frames(ipv4(17, d[:104], ident=10, mf=True),
                                          ipv4(17, d[96:], ident=10, off=96)))
write("frames_trim4", b"\x00" + frames(ipv4(17, d[:107], ident=11, mf=True),
                                       ipv4(17, d[104:], ident=11, off=104)))
