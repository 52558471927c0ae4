#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the IPv4 fragmentation and path MTU seed inputs of fuzz/corpus/ (run once; the files
are committed). Each seed is an Ethernet frame to the fuzz stack (02:00:00:00:00:02 at
192.0.2.2, a UDP endpoint on port 7) followed by one control byte (see fuzz_frame.c): 0x02
asks the target to fix checksums, so mutations reach the protocol logic."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
US, PEER = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
A_US, A_PEER = bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0x77, off=0, mf=False, df=False, opts=b""):
    ihl = (20 + len(opts)) // 4
    flags = (0x2000 if mf else 0) | (0x4000 if df else 0) | (off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), ident, flags,
                    64, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(payload):
    return US + PEER + struct.pack("!H", 0x0800) + payload


def write(name, frame):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(frame + b"\x02")


def main():
    data = bytes(range(256)) * 6
    # A middle fragment and a first fragment with a copied and a non-copied option.
    write("ipv4_frag_middle", eth(ipv4(A_PEER, A_US, 17, data[:1480], off=1480, mf=True)))
    opts = bytes([0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0])
    write("ipv4_frag_options", eth(ipv4(A_PEER, A_US, 17, data[:1000], mf=True, opts=opts)))
    # "Fragmentation needed" quoting a datagram from our UDP endpoint (port 7), MTU 1000 and
    # an old router's 0.
    udp = struct.pack("!HHHH", 7, 4000, 1408, 0)
    quote = ipv4(A_US, A_PEER, 17, udp, ident=0x1234, df=True)[:28]
    for name, mtu in (("icmp_frag_needed", 1000), ("icmp_frag_needed_mtu0", 0)):
        msg = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        write(name, eth(ipv4(A_PEER, A_US, 1, msg)))


if __name__ == "__main__":
    main()
