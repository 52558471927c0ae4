#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed inputs for fuzz/fuzz_tcp.c (its theory of operation gives the format): each way
in (dual-stack listener over IPv4 and IPv6, the forwarder answering inside or after its
callback) with and without SACK, timestamps and window scaling, followed by a short
script: data from the peer, cumulative and selective ACKs that leave holes, a quiet
period for RACK and the RTO, reads, writes, a FIN and a close. Writes fuzz/corpus-tcp/."""
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-tcp")

SEG, CLOCK, READ, WRITE, CTL = 0, 4, 5, 6, 7


def rec(op, *b):
    b = list(b) + [0] * (7 - len(b))
    return bytes([op] + b)


SCRIPTS = {
    "bulk": [
        rec(SEG, 0, 0, 0, 255, 100),          # 800 bytes in order, ACK of everything
        rec(CLOCK, 50, 10),                   # 50 ms
        rec(READ, 255),
        rec(SEG, 0, 0, 20, 255, 0, 0x05, 0x3),  # ACK leaving 10 KB, one SACK block
        rec(SEG, 0, 0, 20, 255, 0, 0x0a, 0xf),  # more SACK blocks: RACK/RFC 6675 loss
        rec(CLOCK, 200, 12),
        rec(SEG, 0, 0, 0, 255),
        rec(WRITE, 200),
        rec(CLOCK, 100, 14),
        rec(SEG, 0, TCP_FIN := 1, 0, 0, 255),  # FIN
        rec(CTL, 2),                           # close
    ],
    "reorder": [
        rec(SEG | 0x10, 0, 3, 0, 255, 50),     # out of order by 3 x 97 bytes
        rec(SEG | 0x10, 0, 1, 0, 255, 20),
        rec(SEG, 0, 0, 0, 255, 37),            # fills the hole
        rec(READ, 40),
        rec(SEG | 0x20, 0x02, 0xff, 0, 255, 4),  # SYN just below RCV.NXT with data
        rec(SEG | 0x20, 0x04, 5, 0, 255),      # RST in the window
        rec(CLOCK, 10, 15),
        rec(CTL, 0),                           # shutdown(SHUT_WR)
        rec(SEG, 0x11, 0, 0, 255),
    ],
    "zerownd": [
        rec(SEG, 0, 0, 0, 0),                  # window 0
        rec(WRITE, 100),
        rec(CLOCK, 255, 15),
        rec(SEG, 0, 0, 0, 0),
        rec(CTL, 2),
        rec(CLOCK, 255, 15),
        rec(SEG, 0, 0, 0, 0),
    ],
    "rcvbuf": [
        rec(CTL, 3, 4),                        # SO_RCVBUF 4 KB
        rec(SEG, 0, 0, 0, 255, 255),
        rec(SEG, 0, 0, 0, 255, 255),
        rec(SEG | 0x08, 0, 2, 0, 255, 200),
        rec(READ, 100, 1),                     # peek
        rec(READ, 255),
        rec(CLOCK, 100, 10),
        rec(READ, 255),
    ],
}

MODES = [0x00, 0xE0, 0xE1, 0x02, 0xE2, 0xE6, 0xE3, 0x1C | 0xE0]


def main():
    os.makedirs(OUT, exist_ok=True)
    for mode in MODES:
        for name, script in SCRIPTS.items():
            data = bytes([mode, 182, 7, 0]) + b"".join(script)
            with open(os.path.join(OUT, f"{name}-{mode:02x}"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
