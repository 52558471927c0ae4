#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the IPv6, NDP, MLD and fragment seed inputs of fuzz/corpus/ (run once; the files are
committed). Each seed is an Ethernet frame to the fuzz stack (02:00:00:00:00:02 at 192.0.2.2
and 2001:db8::2) followed by one control byte (see fuzz_frame.c): 0x02 asks the target to fix
checksums, so mutations reach the protocol logic."""
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
US, PEER = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")


def a6(s):
    return ipaddress.IPv6Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + a6(src) + a6(dst) + payload


def icmp6(src, dst, typ, code, body, hlim=255, ext=b"", ext_nh=None):
    msg = bytes([typ, code, 0, 0]) + body
    ph = a6(src) + a6(dst) + struct.pack("!IxxxB", len(msg), 58)
    c = csum(ph + msg)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    if ext:
        return ipv6(src, dst, ext_nh, ext + msg, hlim)
    return ipv6(src, dst, 58, msg, hlim)


def eth(dst, ethertype, payload):
    return dst + PEER + struct.pack("!H", ethertype) + payload


def write(name, frame):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(frame + b"\x02")


def mcast_mac(addr):
    return b"\x33\x33" + a6(addr)[12:]


def main():
    slla = bytes([1, 1]) + PEER
    write("ipv6_echo", eth(US, 0x86DD, icmp6("2001:db8::1", "2001:db8::2", 128, 0,
                                             struct.pack("!HH", 0x1234, 1) + b"ping" * 8, 64)))
    sn = "ff02::1:ff00:2"
    write("ndp_ns", eth(mcast_mac(sn), 0x86DD,
                        icmp6("2001:db8::1", sn, 135, 0, b"\0" * 4 + a6("2001:db8::2") + slla)))
    write("ndp_ns_dad", eth(mcast_mac(sn), 0x86DD,
                            icmp6("::", sn, 135, 0, b"\0" * 4 + a6("2001:db8::2"))))
    write("ndp_na", eth(US, 0x86DD, icmp6("2001:db8::1", "2001:db8::2", 136, 0,
                                          bytes([0x60, 0, 0, 0]) + a6("2001:db8::1") +
                                          bytes([2, 1]) + PEER)))
    prefix = bytes([3, 4, 64, 0xC0]) + struct.pack("!III", 86400, 14400, 0) + \
        a6("2001:db8:1::")
    mtu = bytes([5, 1, 0, 0]) + struct.pack("!I", 1400)
    write("ndp_ra", eth(mcast_mac("ff02::1"), 0x86DD,
                        icmp6("fe80::1", "ff02::1", 134, 0,
                              bytes([64, 0]) + struct.pack("!HII", 1800, 0, 0) + slla +
                              mtu + prefix)))
    # MLDv2 general query with a hop-by-hop Router Alert (RFC 3810 5, RFC 2711).
    hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])
    query = struct.pack("!H", 1000) + b"\0\0" + b"\0" * 16 + bytes([2, 125]) + b"\0\0"
    write("mld_query", eth(mcast_mac("ff02::1"), 0x86DD,
                           icmp6("fe80::1", "ff02::1", 130, 0, query, 1, hbh, 0)))
    # UDP to the echo port behind hop-by-hop and destination options (PadN).
    udp = struct.pack("!HHHH", 4000, 7, 8 + 5, 0) + b"hello"
    dst_opts = bytes([17, 0, 1, 4, 0, 0, 0, 0])
    hbh2 = bytes([60, 0, 1, 4, 0, 0, 0, 0])
    write("ipv6_ext_udp", eth(US, 0x86DD,
                              ipv6("2001:db8::1", "2001:db8::2", 0, hbh2 + dst_opts + udp)))
    # Two fragments of one ICMPv6 echo request (RFC 8200 4.5).
    body = struct.pack("!HH", 0x4321, 2) + bytes(range(256)) * 6
    whole = icmp6("2001:db8::1", "2001:db8::2", 128, 0, body, 64)[40:]
    first, rest = whole[:1232], whole[1232:]
    fh1 = struct.pack("!BBHI", 58, 0, (0 << 3) | 1, 0xBEEF)
    fh2 = struct.pack("!BBHI", 58, 0, (1232 // 8) << 3, 0xBEEF)
    write("ipv6_frag_first", eth(US, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 44, fh1 + first)))
    write("ipv6_frag_last", eth(US, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 44, fh2 + rest)))
    # MLDv1 query (24 bytes: RFC 3810 8.2 compatibility), and an MLDv2 group query.
    q1 = struct.pack("!H", 1000) + b"\0\0" + b"\0" * 16
    write("mld_query_v1", eth(mcast_mac("ff02::1"), 0x86DD,
                              icmp6("fe80::1", "ff02::1", 130, 0, q1, 1, hbh, 0)))
    # A redirect from the router to us for 2001:db8:99::1 through fe80::7 (RFC 4861 4.5).
    tlla7 = bytes([2, 1]) + bytes.fromhex("020000000007")
    write("ndp_redirect", eth(US, 0x86DD,
                              icmp6("fe80::1", "2001:db8::2", 137, 0,
                                    b"\0" * 4 + a6("fe80::7") + a6("2001:db8:99::1") + tlla7)))
    # An unknown option with action 10 in destination options before an echo request.
    dopt = bytes([58, 0, 0x9E, 4, 0, 0, 0, 0])
    write("ipv6_unknown_option", eth(US, 0x86DD,
                                     icmp6("2001:db8::1", "2001:db8::2", 128, 0,
                                           struct.pack("!HH", 7, 7) + b"opt", 64, dopt, 60)))
    # A type 0 routing header with segments left (RFC 5095: refused).
    rh0 = bytes([58, 2, 0, 1, 0, 0, 0, 0]) + a6("2001:db8::9")
    write("ipv6_rh0", eth(US, 0x86DD,
                          icmp6("2001:db8::1", "2001:db8::2", 128, 0,
                                struct.pack("!HH", 8, 8), 64, rh0, 43)))
    # A packet too big about a datagram we sent, and an echo to our link-local address.
    quoted = ipv6("2001:db8::2", "2001:db8::1", 17, struct.pack("!HHHH", 7, 4000, 8, 0))
    write("icmpv6_packet_too_big", eth(US, 0x86DD,
                                       icmp6("2001:db8::1", "2001:db8::2", 2, 0,
                                             struct.pack("!I", 1280) + quoted, 64)))
    write("ipv6_echo_ll", eth(US, 0x86DD, icmp6("fe80::1", "fe80::ff:fe00:2", 128, 0,
                                                struct.pack("!HH", 9, 9) + b"ll", 64)))
    # UDP to the dual-stack echo port over IPv6.
    u6 = struct.pack("!HHHH", 4000, 7, 8 + 4, 0) + b"echo"
    ph = a6("2001:db8::1") + a6("2001:db8::2") + struct.pack("!IxxxB", len(u6), 17)
    u6 = u6[:6] + struct.pack("!H", csum(ph + u6)) + u6[8:]
    write("ipv6_udp_echo", eth(US, 0x86DD, ipv6("2001:db8::1", "2001:db8::2", 17, u6)))
    # Two IPv4 fragments of one UDP datagram to the echo port.
    data = bytes(range(200)) * 8
    u = struct.pack("!HHHH", 4000, 7, 8 + len(data), 0) + data
    for name, off, mf, part in (("ipv4_frag_first", 0, 1, u[:800]), ("ipv4_frag_last", 100, 0,
                                                                      u[800:])):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), 0x77, (mf << 13) | off, 64,
                        17, 0, bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        write(name, eth(US, 0x0800, h + part))


if __name__ == "__main__":
    main()
