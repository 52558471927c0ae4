#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the forwarding seed inputs of fuzz/corpus/ (run once; the files are committed): TCP
frames from 192.0.2.1 / 2001:db8::1 to hosts behind fuzz_frame.c's forwarding stack
(198.51.100.9, 2001:db8:3::9), large enough to be GSO super-frames. The last three bytes are
control (see fuzz_frame.c): the third-to-last is the metadata's extra byte (x: the GSO
segment size / 8, or the checksum start), the second-to-last the metadata byte (m), the last
the control byte (0x02: fix checksums). Each asks for a different offload case: a partial
checksum, a GSO super-frame with a partial checksum, a known-good one."""
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
US, PEER = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")


def tcp(payload_len):
    opts = bytes([1, 1, 8, 10]) + struct.pack("!II", 1, 2)
    hdr = struct.pack("!HHIIBBHHH", 40000, 5001, 1000, 1, (32 // 4) << 4, 0x18, 1000, 0, 0)
    return hdr + opts + bytes(i % 251 for i in range(payload_len))


def ipv4(dst, payload):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x4242, 0x4000, 64, 6, 0,
                       ipaddress.IPv4Address("192.0.2.1").packed,
                       ipaddress.IPv4Address(dst).packed) + payload


def ipv6(dst, payload):
    return (struct.pack("!IHBB", 6 << 28, len(payload), 6, 64) +
            ipaddress.IPv6Address("2001:db8::1").packed +
            ipaddress.IPv6Address(dst).packed + payload)


def frame(l3, v6, x, m):
    eth = US + PEER + struct.pack("!H", 0x86DD if v6 else 0x0800)
    return eth + l3 + bytes([x, m, 0x02])


# m: bit 0 partial (bit 6: start 40 rather than 20), bits 4-5 the offset (0: 16), bit 2 GSO,
# bits 3-4 its type (1 TCPv4, 2 TCPv6), bits 6-7 added to the segment size x * 8.
SEEDS = {
    "fwd_v4_partial": frame(ipv4("198.51.100.9", tcp(1000)), False, 20, 0x01),
    "fwd_v4_gso_partial": frame(ipv4("198.51.100.9", tcp(8 * 1448)), False, 181, 0x0D),
    "fwd_v4_gso_valid": frame(ipv4("198.51.100.9", tcp(8 * 1448)), False, 181, 0x0E),
    "fwd_v6_gso_partial": frame(ipv6("2001:db8:3::9", tcp(6 * 1208)), True, 150, 0x55),
    "fwd_v6_partial": frame(ipv6("2001:db8:3::9", tcp(500)), True, 40, 0x41),
}

for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
