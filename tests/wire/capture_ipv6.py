#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture the IPv6 frames tests/wire/test_ipv6.c and test_icmpv6.c use as vectors.

Run as root inside a network namespace made for it (nothing leaves it):

    ip netns add capv6 && ip netns exec capv6 python3 tests/wire/capture_ipv6.py; ip netns del capv6

It opens tap0 (the kernel side 2001:db8::1/64, MAC 02:00:00:00:00:01), plays the peer
2001:db8::2 (02:00:00:00:00:02) by writing frames into the TAP, and prints every frame the
kernel sends, in hex, between "---" lines naming what provoked it: the kernel's own MLDv2
reports, DAD and router solicitation when the link comes up; its neighbor solicitation and
echo request for `ping -6`; its echo reply, port unreachable and parameter problems for
frames written here; its neighbor advertisement; and a router advertisement from radvd.
"""
import fcntl, os, struct, select, time, sys, subprocess, socket
TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"tap0", IFF_TAP | IFF_NO_PI))
def sh(c): subprocess.run(c, shell=True, check=True)
sh("ip link set tap0 address 02:00:00:00:00:01")
sh("ip addr add 2001:db8::1/64 dev tap0 nodad")
sh("ip link set tap0 up")
US = bytes.fromhex("020000000002"); PEER = bytes.fromhex("020000000001")
def a6(s): return socket.inet_pton(socket.AF_INET6, s)
def csum(d):
    if len(d) % 2: d += b"\0"
    s = sum(struct.unpack("!%dH" % (len(d)//2), d))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def ip6(src, dst, nh, pl, hl=64):
    return struct.pack("!IHBB", 6<<28, len(pl), nh, hl) + a6(src) + a6(dst) + pl
def l4(src, dst, proto, msg, coff):
    ph = a6(src)+a6(dst)+struct.pack("!IxxxB", len(msg), proto)
    c = csum(ph+msg)
    return msg[:coff]+struct.pack("!H", c)+msg[coff+2:]
def eth(dst, pl): return dst + US + b"\x86\xdd" + pl
frames = []
def drain(t):
    end = time.time()+t
    while time.time() < end:
        r,_,_ = select.select([fd],[],[],0.05)
        if r:
            f = os.read(fd, 65536)
            frames.append(f)
            print(sys.argv[1] if len(sys.argv)>1 else "", f.hex(), flush=True)
drain(1.5)
print("--- ping", flush=True)
p = subprocess.Popen("ping -6 -c1 -s 16 -p 6e657473746b 2001:db8::2", shell=True, stdout=subprocess.DEVNULL)
drain(0.3)
# answer NS with NA
ns = [f for f in frames if len(f)>54 and f[12:14]==b"\x86\xdd" and f[54]==135]
if ns:
    na = bytes([136,0,0,0,0x60,0,0,0])+a6("2001:db8::2")+bytes([2,1])+US
    os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",58,l4("2001:db8::2","2001:db8::1",58,na,2),255)))
drain(1)
p.wait()
print("--- echo to kernel", flush=True)
echo = bytes([128,0,0,0,0x42,0x42,0,7])+b"netstack ping!"
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",58,l4("2001:db8::2","2001:db8::1",58,echo,2))))
drain(0.5)
print("--- udp closed", flush=True)
u = struct.pack("!HHHH", 40000, 9, 13, 0)+b"hello"
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",17,l4("2001:db8::2","2001:db8::1",17,u,6))))
drain(0.5)
print("--- unknown nh behind dst opts", flush=True)
d = bytes([253,0,1,4,0,0,0,0]) + b"payload!"
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",60,d)))
drain(0.5)
print("--- unknown option 0x80 (discard+icmp) in dst opts", flush=True)
d = bytes([59,0,0x80,4,0,0,0,0])
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",60,d)))
drain(0.5)
print("--- routing type 0 segleft 1", flush=True)
rh = bytes([59,2,0,1,0,0,0,0]) + a6("2001:db8::3")
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",43,rh)))
drain(0.5)
print("--- frag of echo (first of two)", flush=True)
body = bytes([128,0,0,0,0x43,0x21,0,2]) + bytes(range(256))*2
m = l4("2001:db8::2","2001:db8::1",58,body,2)
fh = struct.pack("!BBHI",58,0,1,0xbeef)
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",44,fh+m[:256])))
fh = struct.pack("!BBHI",58,0,(256//8)<<3,0xbeef)
os.write(fd, eth(PEER, ip6("2001:db8::2","2001:db8::1",44,fh+m[256:])))
drain(0.5)
print("--- NS from us for kernel", flush=True)
ns = bytes([135,0,0,0,0,0,0,0])+a6("2001:db8::1")+bytes([1,1])+US
os.write(fd, eth(bytes.fromhex("3333ff000001"), ip6("2001:db8::2","ff02::1:ff00:1",58,l4("2001:db8::2","ff02::1:ff00:1",58,ns,2),255)))
drain(0.5)
print("--- radvd", flush=True)
open("/tmp/cap/radvd.conf","w").write("""interface tap0 { AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 4; AdvLinkMTU 1400; AdvDefaultLifetime 1800;
 prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 86400; AdvPreferredLifetime 14400; }; };""")
sh("sysctl -qw net.ipv6.conf.all.forwarding=1")
r = subprocess.Popen("radvd -n -C /tmp/cap/radvd.conf -p /tmp/cap/radvd.pid -m stderr", shell=True)
drain(2.5)
r.terminate(); r.wait()
drain(0.5)
