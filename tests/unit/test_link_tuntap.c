/* SPDX-License-Identifier: MIT */
/*
 * TAP/TUN links against the Linux kernel, inside a private network namespace made at the start
 * of main(). It needs root (CI runs as root): without a private namespace the test FAILS
 * rather than skipping, so a missing capability can never pass as green. Addresses: 192.0.2.0/24 on
 * the TAPs, 198.51.100.0/24 on the TUN, nothing else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netstack/link.h"

/* ---- kernel-side helpers (ioctls on an AF_INET socket in our namespace) ---- */

static int ctl_sock(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	return s;
}

static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static void sin_set(struct sockaddr *sa, const char *ip)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void if_ioctl(unsigned long req, const char *name, struct ifreq *ifr)
{
	int s = ctl_sock();
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	int rc = ioctl(s, req, ifr);
	if (rc < 0)
		fail_msg("ioctl 0x%lx %s: %s", req, name, strerror(errno));
	close(s);
}

/* Give the kernel side @ip with @mask (and a point-to-point peer if @peer). */
static void kernel_addr(const char *dev, const char *ip, const char *mask, const char *peer)
{
	struct ifreq ifr;
	ifr_init(&ifr, dev);
	sin_set(&ifr.ifr_addr, ip);
	if_ioctl(SIOCSIFADDR, dev, &ifr);
	if (mask) {
		ifr_init(&ifr, dev);
		sin_set(&ifr.ifr_netmask, mask);
		if_ioctl(SIOCSIFNETMASK, dev, &ifr);
	}
	if (peer) {
		ifr_init(&ifr, dev);
		sin_set(&ifr.ifr_dstaddr, peer);
		if_ioctl(SIOCSIFDSTADDR, dev, &ifr);
	}
}

static short kernel_flags(const char *dev)
{
	struct ifreq ifr;
	ifr_init(&ifr, dev);
	if_ioctl(SIOCGIFFLAGS, dev, &ifr);
	return ifr.ifr_flags;
}

static int kernel_mtu(const char *dev)
{
	struct ifreq ifr;
	ifr_init(&ifr, dev);
	if_ioctl(SIOCGIFMTU, dev, &ifr);
	return ifr.ifr_mtu;
}

static struct ns_mac kernel_mac(const char *dev)
{
	struct ifreq ifr;
	struct ns_mac m;
	ifr_init(&ifr, dev);
	if_ioctl(SIOCGIFHWADDR, dev, &ifr);
	memcpy(m.b, ifr.ifr_hwaddr.sa_data, 6);
	return m;
}

/* A permanent kernel neighbour entry, so the kernel sends to us without asking by ARP. */
static void kernel_neigh(const char *dev, const char *ip, const struct ns_mac *mac)
{
	struct arpreq r;
	memset(&r, 0, sizeof(r));
	sin_set(&r.arp_pa, ip);
	r.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(r.arp_ha.sa_data, mac->b, 6);
	r.arp_flags = ATF_PERM | ATF_COM;
	snprintf(r.arp_dev, sizeof(r.arp_dev), "%s", dev);
	int s = ctl_sock();
	if (ioctl(s, SIOCSARP, &r) < 0)
		fail_msg("SIOCSARP %s: %s", ip, strerror(errno));
	close(s);
}

/* A UDP socket bound to @ip:@port with a receive timeout. */
static int kernel_udp(const char *ip, uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in sin;
	sin_set((struct sockaddr *)&sin, ip);
	sin.sin_port = htons(port);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		fail_msg("bind %s:%u: %s", ip, port, strerror(errno));
	struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static void kernel_sendto(int s, const char *ip, uint16_t port, const char *msg)
{
	struct sockaddr_in sin;
	sin_set((struct sockaddr *)&sin, ip);
	sin.sin_port = htons(port);
	ssize_t n = sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&sin, sizeof(sin));
	if (n < 0)
		fail_msg("sendto %s:%u: %s", ip, port, strerror(errno));
}

/* ---- frames ---- */

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ip4(uint8_t *b, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, b), 1);
}

static struct ns_pkt *arp_request(const struct ns_mac *sha, const char *spa, const char *tpa)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 28);
	uint8_t *a = ns_pkt_data(p);
	memset(a, 0, 28);
	put16(a, 1);          /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, sha->b, 6);
	ip4(a + 14, spa);
	ip4(a + 24, tpa);
	p->netproto = 0x0806;
	memset(p->link_dst.b, 0xff, 6);
	return p;
}

/*
 * An IPv4 packet with a @l4len-byte transport segment (header first, already filled in by the
 * caller at the returned packet's head + 20). The IPv4 header checksum is filled in; the
 * transport checksum field is left to the caller.
 */
static struct ns_pkt *ipv4_pkt(const char *src, const char *dst, uint8_t proto, uint32_t l4len)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 20 + l4len);
	assert_non_null(p);
	uint8_t *ip = ns_pkt_data(p);
	memset(ip, 0, 20 + l4len);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	ip4(ip + 12, src);
	ip4(ip + 16, dst);
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	p->netproto = 0x0800;
	return p;
}

static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint32_t sum = sum16(0, ip + 12, 8);
	return sum + proto + l4len;
}

enum csum_mode { CSUM_FULL, CSUM_PARTIAL, CSUM_BAD };

static struct ns_pkt *udp4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                           const char *msg, enum csum_mode mode)
{
	uint32_t len = 8 + (uint32_t)strlen(msg);
	struct ns_pkt *p = ipv4_pkt(src, dst, 17, len);
	uint8_t *ip = ns_pkt_data(p), *u = ip + 20;
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)len);
	memcpy(u + 8, msg, strlen(msg));
	uint32_t ps = pseudo_sum(ip, 17, len);
	if (mode == CSUM_PARTIAL) {
		put16(u + 6, fold(ps));
		p->flags |= NS_PKT_CSUM_PARTIAL;
		p->csum_start = 20;
		p->csum_off = 6;
	} else {
		uint16_t c = (uint16_t)~fold(sum16(ps, u, len));
		put16(u + 6, mode == CSUM_BAD ? (uint16_t)(c ^ 0x1234) : c);
	}
	return p;
}

/* ---- capturing what the link delivers ---- */

typedef bool (*match_fn)(const struct ns_pkt *pkt, const void *arg);

struct capture {
	struct ns_link_dispatcher d;
	match_fn match;
	const void *arg;
	struct ns_pkt *hit; /* first matching packet, kept */
	int seen;
};

static void cap_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct capture *c = (struct capture *)d;
	c->seen++;
	if (!c->hit && c->match(pkt, c->arg))
		c->hit = pkt;
	else
		ns_pkt_free(pkt); /* IPv6 router solicitations, MLD reports, ... */
}

/* Run the link until a delivered packet matches, or 3 seconds pass. */
static struct ns_pkt *wait_for(struct ns_link *l, match_fn match, const void *arg)
{
	struct capture c = {.d.deliver = cap_deliver, .match = match, .arg = arg};
	struct timespec t0, t;
	l->ops->attach(l, &c.d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ns_link_process(l, 32);
		if (c.hit)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > 3000)
			break;
		struct pollfd pfd = {.fd = ns_link_poll_fd(l), .events = POLLIN};
		poll(&pfd, 1, 100);
	}
	l->ops->attach(l, NULL);
	return c.hit;
}

struct arp_want {
	struct ns_mac tha;
	uint8_t spa[4], tpa[4];
};

static bool is_arp_reply(const struct ns_pkt *p, const void *arg)
{
	const struct arp_want *w = arg;
	const uint8_t *a = ns_pkt_peek(p, 0, 28);
	return p->netproto == 0x0806 && a && get16(a + 6) == 2 && !memcmp(a + 14, w->spa, 4) &&
	       !memcmp(a + 18, w->tha.b, 6) && !memcmp(a + 24, w->tpa, 4);
}

struct udp_want {
	uint8_t dst[4];
	uint16_t dport;
	const char *msg;
};

static bool is_udp(const struct ns_pkt *p, const void *arg)
{
	const struct udp_want *w = arg;
	size_t n = strlen(w->msg);
	const uint8_t *ip = ns_pkt_peek(p, 0, 28 + (uint32_t)n);
	return p->netproto == 0x0800 && ip && ip[0] == 0x45 && ip[9] == 17 &&
	       !memcmp(ip + 16, w->dst, 4) && get16(ip + 22) == w->dport &&
	       !memcmp(ip + 28, w->msg, n);
}

static bool is_tcp_rst(const struct ns_pkt *p, const void *arg)
{
	const uint8_t *ip = ns_pkt_peek(p, 0, 40);
	return p->netproto == 0x0800 && ip && ip[0] == 0x45 && ip[9] == 6 &&
	       get16(ip + 22) == *(const uint16_t *)arg && (ip[33] & 0x04);
}

static bool dev_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* ---- tests ---- */

static void arp_exchange(bool vnet, uint32_t offloads, uint32_t mtu)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TAP,
	                               .name = "nstap0",
	                               .mtu = mtu,
	                               .vnet_hdr = vnet,
	                               .offloads = offloads,
	                               .bring_up = true};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	assert_string_equal(l->ops->kind, "tap");
	assert_true(dev_exists("nstap0"));
	assert_true(kernel_flags("nstap0") & IFF_UP);
	assert_int_equal(ns_link_mtu(l), mtu ? mtu : 1500);
	assert_int_equal(kernel_mtu("nstap0"), mtu ? (int)mtu : 1500);
	assert_int_equal(l->ops->header_type(l), NS_LINK_HDR_ETHERNET);
	assert_int_equal(l->ops->max_header_len(l), 14);
	assert_true(ns_link_caps(l) & NS_CAP_RESOLUTION_REQUIRED);
	assert_true(ns_link_poll_fd(l) >= 0);

	/* Our MAC: random, locally administered, unicast, and not the kernel side's. */
	struct ns_mac ours = l->ops->link_addr(l), theirs = kernel_mac("nstap0");
	assert_int_equal(ours.b[0] & 3, 2);
	assert_false(ns_mac_eq(&ours, &theirs));

	kernel_addr("nstap0", "192.0.2.1", "255.255.255.0", NULL);
	struct ns_pkt *req = arp_request(&ours, "192.0.2.2", "192.0.2.1");
	assert_int_equal(ns_link_write(l, &req, 1), 1);
	assert_int_equal(l->tx_frames, 1);
	assert_int_equal(l->tx_bytes, 42);

	struct arp_want w = {.tha = ours};
	ip4(w.spa, "192.0.2.1");
	ip4(w.tpa, "192.0.2.2");
	struct ns_pkt *rep = wait_for(l, is_arp_reply, &w);
	assert_non_null(rep);
	assert_memory_equal(rep->link_src.b, theirs.b, 6);
	assert_memory_equal(ns_pkt_peek(rep, 8, 6), theirs.b, 6);
	assert_int_equal(rep->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST | NS_PKT_OTHERHOST), 0);
	assert_int_equal(rep->hdr[NS_HDR_LINK].len, 14);
	assert_true(l->rx_frames >= 1);
	assert_int_equal(l->rx_errors, 0);
	ns_pkt_free(rep);

	ns_link_destroy(l);
	/* We created it, so it went with the fd. */
	assert_false(dev_exists("nstap0"));
	assert_int_equal(ns_pkt_live(), live);
}

static void test_tap_arp(void **state)
{
	arp_exchange(false, 0, 0);
}

static void test_tap_arp_vnet(void **state)
{
	arp_exchange(true, 0, 0);
}

static void test_tap_arp_jumbo(void **state)
{
	/* An MTU whose frames don't fit a standard packet: reads go through the link's buffer. */
	arp_exchange(false, 0, 9000);
}

/* UDP both ways on a TAP; with @vnet and checksum offload, or with software checksums. */
static void udp_exchange(bool vnet)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TAP,
	                               .name = "nstap0",
	                               .vnet_hdr = vnet,
	                               .offloads = vnet ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0,
	                               .bring_up = true,
	                               .mac = {{0x02, 0x00, 0x5e, 0x00, 0x02, 0x02}}};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	struct ns_mac ours = l->ops->link_addr(l), theirs = kernel_mac("nstap0");
	assert_true(ns_mac_eq(&ours, &cfg.mac));
	uint32_t caps = NS_CAP_RESOLUTION_REQUIRED;
	if (vnet)
		caps |= NS_CAP_RX_CSUM_OFFLOAD | NS_CAP_TX_CSUM_OFFLOAD | NS_CAP_HW_GSO;
	assert_int_equal(ns_link_caps(l), caps);
	kernel_addr("nstap0", "192.0.2.1", "255.255.255.0", NULL);
	kernel_neigh("nstap0", "192.0.2.2", &ours);

	/* Kernel to us. */
	int s = kernel_udp("192.0.2.1", 5555);
	kernel_sendto(s, "192.0.2.2", 7777, "hello tap");
	struct udp_want w = {.dport = 7777, .msg = "hello tap"};
	ip4(w.dst, "192.0.2.2");
	struct ns_pkt *p = wait_for(l, is_udp, &w);
	assert_non_null(p);
	assert_memory_equal(p->link_src.b, theirs.b, 6);
	assert_int_equal(p->flags & NS_PKT_OTHERHOST, 0);
	if (vnet) {
		/* The kernel left the checksum to the "device" (us): known good. */
		assert_true(p->flags & NS_PKT_CSUM_VERIFIED);
	} else {
		assert_false(p->flags & NS_PKT_CSUM_VERIFIED);
		const uint8_t *ip = ns_pkt_data(p);
		assert_int_equal(fold(sum16(pseudo_sum(ip, 17, 17), ip + 20, 17)), 0xffff);
	}
	ns_pkt_free(p);

	/* Us to the kernel: a bad checksum is dropped by the kernel, a partial one is finished
	 * (by the kernel with a vnet header, by the link without). */
	struct ns_pkt *out[2] = {
	    udp4("192.0.2.2", 7777, "192.0.2.1", 5555, "bad", CSUM_BAD),
	    udp4("192.0.2.2", 7777, "192.0.2.1", 5555, "partial", CSUM_PARTIAL),
	};
	out[0]->link_dst = theirs;
	out[1]->link_dst = theirs;
	assert_int_equal(ns_link_write(l, out, 2), 2);
	char buf[64];
	ssize_t n = recv(s, buf, sizeof(buf), 0);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "partial", 7);
	assert_int_equal(l->tx_errors, 0);

	if (vnet) {
		/* A 3000-byte TCP GSO segment (3 x 1000) to a closed port: the kernel takes it
		 * and answers with RST|ACK acknowledging all of it. */
		const uint32_t plen = 3000, seq = 1000;
		struct ns_pkt *t = ipv4_pkt("192.0.2.2", "192.0.2.1", 6, 20 + plen);
		uint8_t *ip = ns_pkt_data(t), *th = ip + 20;
		put16(th, 40000);
		put16(th + 2, 9);
		th[4] = (uint8_t)(seq >> 24);
		th[5] = (uint8_t)(seq >> 16);
		th[6] = (uint8_t)(seq >> 8);
		th[7] = (uint8_t)seq;
		th[12] = 5 << 4;
		th[13] = 0x08; /* PSH, no ACK */
		put16(th + 14, 65535);
		memset(th + 20, 'x', plen);
		put16(th + 16, fold(pseudo_sum(ip, 6, 20 + plen)));
		t->flags |= NS_PKT_CSUM_PARTIAL;
		t->csum_start = 20;
		t->csum_off = 16;
		t->gso = (struct ns_gso){.type = NS_GSO_TCPV4,
		                         .needs_csum = 1,
		                         .mss = 1000,
		                         .l3_len = 20,
		                         .csum_off = 16};
		t->link_dst = theirs;
		assert_int_equal(ns_link_write(l, &t, 1), 1);
		uint16_t port = 40000;
		struct ns_pkt *rst = wait_for(l, is_tcp_rst, &port);
		assert_non_null(rst);
		const uint8_t *rth = ns_pkt_data(rst) + 20;
		assert_int_equal(rth[13], 0x14); /* RST|ACK */
		assert_int_equal(get32(rth + 8), seq + plen);
		ns_pkt_free(rst);
		assert_int_equal(l->tx_errors, 0);
	}
	close(s);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_tap_udp_vnet_offload(void **state)
{
	udp_exchange(true);
}

static void test_tap_udp_software_csum(void **state)
{
	udp_exchange(false);
}

struct tcp_want {
	uint16_t dport;
	uint32_t len; /* IP total length */
};

static bool is_tcp_len(const struct ns_pkt *p, const void *arg)
{
	const struct tcp_want *w = arg;
	const uint8_t *ip = ns_pkt_peek(p, 0, 40);
	return p->netproto == 0x0800 && ip && ip[0] == 0x45 && ip[9] == 6 &&
	       get16(ip + 22) == w->dport && get16(ip + 2) == w->len;
}

/*
 * The kernel hands us a TSO super-frame (a GSO skb its TCP would send after TUNSETOFFLOAD
 * with TUN_F_TSO4): here injected on the kernel side of the TAP through an AF_PACKET socket
 * with PACKET_VNET_HDR, so the frame is exactly the one we choose. The link must read it
 * whole (4054 bytes, more than the MTU), with its GSO descriptor and the checksum marked
 * known good (NEEDS_CSUM: partial, the data never crossed a wire); with checksum offload
 * only, the kernel segments it first and we read MTU-sized frames with full checksums.
 */
static void gso_inbound(uint32_t offloads)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TAP,
	                               .name = "nstap0",
	                               .vnet_hdr = true,
	                               .offloads = offloads,
	                               .bring_up = true,
	                               .mac = {{0x02, 0x00, 0x5e, 0x00, 0x02, 0x02}}};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	struct ns_mac ours = l->ops->link_addr(l), theirs = kernel_mac("nstap0");
	bool tso = offloads & TUN_F_TSO4;

	int ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(ps >= 0);
	int one = 1;
	assert_int_equal(setsockopt(ps, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
	                          .sll_ifindex = (int)if_nametoindex("nstap0"),
	                          .sll_protocol = htons(0x0800)};
	assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

	/* virtio_net_hdr (10 bytes on a packet socket) + Ethernet + IPv4 + TCP + 4000. */
	static uint8_t f[10 + 14 + 20 + 20 + 4000];
	const uint32_t plen = 4000, l4 = 20 + plen;
	uint8_t *vh = f, *eth = f + 10, *ip = eth + 14, *th = ip + 20;
	memset(f, 0, sizeof(f));
	vh[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh[1] = VIRTIO_NET_HDR_GSO_TCPV4;
	uint16_t h16[4] = {14 + 20 + 20, 1000, 14 + 20, 16}; /* hdr_len gso_size csum_start off */
	memcpy(vh + 2, h16, sizeof(h16));                    /* host byte order */
	memcpy(eth, ours.b, 6);
	memcpy(eth + 6, theirs.b, 6);
	put16(eth + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4));
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	ip4(ip + 12, "192.0.2.1");
	ip4(ip + 16, "192.0.2.2");
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	put16(th, 40000);
	put16(th + 2, 5001);
	th[7] = 1; /* seq 1 */
	th[12] = 5 << 4;
	th[13] = 0x18; /* PSH|ACK */
	put16(th + 14, 65535);
	for (uint32_t i = 0; i < plen; i++)
		th[20 + i] = (uint8_t)i;
	put16(th + 16, fold(pseudo_sum(ip, 6, l4))); /* partial: the pseudo-header sum */
	ssize_t n = send(ps, f, sizeof(f), 0);
	if (n != (ssize_t)sizeof(f))
		fail_msg("send on the packet socket: %s", n < 0 ? strerror(errno) : "short");

	struct tcp_want w = {.dport = 5001, .len = tso ? 20 + l4 : 20 + 20 + 1000};
	struct ns_pkt *p = wait_for(l, is_tcp_len, &w);
	assert_non_null(p);
	const uint8_t *rip = ns_pkt_data(p);
	if (tso) {
		/* Whole: one frame larger than the MTU, the descriptor as sent. */
		assert_int_equal(p->len, 20 + l4);
		assert_int_equal(p->gso.type, NS_GSO_TCPV4);
		assert_int_equal(p->gso.mss, 1000);
		assert_true(p->flags & NS_PKT_CSUM_VERIFIED);
		assert_int_equal(p->csum_start, 20);
		assert_int_equal(p->csum_off, 16);
		assert_memory_equal(rip + 40, th + 20, plen);
	} else {
		/* Segmented by the kernel: the first 1000 bytes, checksum finished. */
		assert_int_equal(p->gso.type, NS_GSO_NONE);
		assert_int_equal(p->len, 20 + 20 + 1000);
		if (!(p->flags & NS_PKT_CSUM_VERIFIED))
			assert_int_equal(fold(sum16(pseudo_sum(rip, 6, 1020), rip + 20, 1020)),
			                 0xffff);
		assert_memory_equal(rip + 40, th + 20, 1000);
	}
	assert_int_equal(l->rx_errors, 0);
	ns_pkt_free(p);
	close(ps);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_tap_vnet_gso_inbound_whole(void **state)
{
	gso_inbound(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
}

static void test_tap_vnet_gso_inbound_segmented_without_tso(void **state)
{
	gso_inbound(TUN_F_CSUM);
}

/* ---- the test as the kernel side: any virtio-net header, both ways ---- */

/*
 * Put one end of a SOCK_SEQPACKET socketpair where the link's device fd was, so that the
 * test plays the kernel side of the TAP: it writes frames with whatever virtio-net header it
 * likes (the kernel's own AF_PACKET path validates a header before it reaches the device, so
 * it cannot send hostile ones) and reads what the link writes, header included. The pair
 * keeps record boundaries, as the device does. Returns the test's end.
 */
static int fake_kernel(struct ns_link *l)
{
	int sv[2], fd = ns_link_poll_fd(l);

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* The link reads without blocking; the flag belongs to the socket now under its fd. */
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(dup3(sv[0], fd, O_CLOEXEC), fd);
	close(sv[0]);
	return sv[1];
}

struct vnet_in {
	uint8_t flags, gso_type;
	uint16_t gso_size, csum_start, csum_offset;
	bool v6;       /* an IPv6 frame (else IPv4) */
	uint8_t proto; /* 6 or 17 */
	uint32_t plen; /* payload bytes */
	uint32_t cut;  /* frame cut to this many bytes (0: whole) */
};

/* Write the frame @v describes, preceded by its 12-byte virtio_net_hdr_v1 (host order), to
 * the link through @k; returns the frame's length (without the header). */
static uint32_t vnet_frame_in(int k, const struct ns_mac *ours, const struct vnet_in *v)
{
	static uint8_t b[12 + 14 + 40 + 20 + 8000];
	uint32_t l3 = v->v6 ? 40 : 20, l4h = v->proto == 6 ? 20 : 8, l4 = l4h + v->plen;
	uint32_t len = 14 + l3 + l4;
	uint8_t *vh = b, *eth = b + 12, *ip = eth + 14, *th = ip + l3;
	uint16_t h16[4] = {(uint16_t)(14 + l3 + l4h), v->gso_size, v->csum_start, v->csum_offset};

	assert_true(12 + len <= sizeof(b));
	memset(b, 0, 12 + len);
	vh[0] = v->flags;
	vh[1] = v->gso_type;
	memcpy(vh + 2, h16, sizeof(h16));
	memcpy(eth, ours->b, 6);
	eth[6] = 0x02;
	eth[11] = 0x01;
	put16(eth + 12, v->v6 ? 0x86dd : 0x0800);
	if (v->v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4);
		ip[6] = v->proto;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[23] = 1;
		ip[24] = 0x20;
		ip[25] = 0x01;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = v->proto;
		ip4(ip + 12, "192.0.2.1");
		ip4(ip + 16, "192.0.2.2");
		put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	}
	put16(th, 40000);
	put16(th + 2, 5001);
	if (v->proto == 6)
		th[12] = 5 << 4;
	else
		put16(th + 4, (uint16_t)l4);
	memset(th + l4h, 'x', v->plen);
	if (v->cut)
		len = v->cut;
	assert_int_equal(send(k, b, 12 + len, 0), (ssize_t)(12 + len));
	return len;
}

struct one {
	struct ns_link_dispatcher d;
	struct ns_pkt *pkt; /* the last packet delivered */
	int n;
};

static void one_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct one *o = (struct one *)d;

	(void)link;
	ns_pkt_free(o->pkt);
	o->pkt = pkt;
	o->n++;
}

/*
 * A frame from the kernel side whose virtio-net header does not describe it, or describes
 * what the device never agreed to, is dropped and counted (rx_errors), never handed up with
 * its metadata trusted, as Linux's virtio_net_hdr_to_skb() refuses such a header: the
 * checksum must start past the link and network headers with its field inside the frame (a
 * short frame cannot have one), the field where the type's checksum is (TCP 16, UDP 6), a
 * GSO type the link knows with a non-zero size, UDP_L4 only with NEEDS_CSUM, and the ECN bit
 * only on a TCP type. Frames whose headers are good come up with their metadata.
 */
static void test_tap_vnet_hostile_headers(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TAP,
	                               .name = "nstap0",
	                               .vnet_hdr = true,
	                               .offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	                               .mac = {{0x02, 0x00, 0x5e, 0x00, 0x02, 0x02}}};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	int k = fake_kernel(l);
	struct one o = {.d.deliver = one_deliver};
	const uint8_t N = VIRTIO_NET_HDR_F_NEEDS_CSUM, TCP4 = VIRTIO_NET_HDR_GSO_TCPV4,
	              TCP6 = VIRTIO_NET_HDR_GSO_TCPV6, UDP4 = 5, ECN = VIRTIO_NET_HDR_GSO_ECN;
	const struct vnet_in bad[] = {
	    /* The checksum starts inside the Ethernet header, at the IP header, in it. */
	    {.flags = N, .csum_start = 0, .csum_offset = 16, .proto = 6, .plen = 100},
	    {.flags = N, .csum_start = 14, .csum_offset = 36, .proto = 6, .plen = 100},
	    {.flags = N, .csum_start = 14 + 10, .csum_offset = 26, .proto = 6, .plen = 100},
	    /* Its field past the frame, or the start itself. */
	    {.flags = N, .csum_start = 34, .csum_offset = 60000, .proto = 6, .plen = 100},
	    {.flags = N, .csum_start = 34, .csum_offset = 119, .proto = 6, .plen = 100},
	    {.flags = N, .csum_start = 65535, .csum_offset = 16, .proto = 6, .plen = 100},
	    /* NEEDS_CSUM on a frame too short to hold the field (Ethernet padding aside). */
	    {.flags = N, .csum_start = 34, .csum_offset = 16, .proto = 6, .cut = 14 + 20 + 10},
	    /* GSO: size 0, UFO, an unknown type, ECN alone or on UDP. */
	    {.flags = N,
	     .gso_type = TCP4,
	     .gso_size = 0,
	     .csum_start = 34,
	     .csum_offset = 16,
	     .proto = 6,
	     .plen = 3000},
	    {.flags = N,
	     .gso_type = VIRTIO_NET_HDR_GSO_UDP,
	     .gso_size = 1000,
	     .csum_start = 34,
	     .csum_offset = 6,
	     .proto = 17,
	     .plen = 3000},
	    {.gso_type = 9, .gso_size = 1000, .proto = 6, .plen = 3000},
	    {.gso_type = ECN, .proto = 6, .plen = 100},
	    {.flags = N,
	     .gso_type = UDP4 | ECN,
	     .gso_size = 1000,
	     .csum_start = 34,
	     .csum_offset = 6,
	     .proto = 17,
	     .plen = 3000},
	    /* UDP_L4 without NEEDS_CSUM, or with the field elsewhere; TCP with the UDP one. */
	    {.gso_type = UDP4, .gso_size = 1000, .proto = 17, .plen = 3000},
	    {.flags = N,
	     .gso_type = UDP4,
	     .gso_size = 1000,
	     .csum_start = 34,
	     .csum_offset = 16,
	     .proto = 17,
	     .plen = 3000},
	    {.flags = N,
	     .gso_type = TCP4,
	     .gso_size = 1000,
	     .csum_start = 34,
	     .csum_offset = 6,
	     .proto = 6,
	     .plen = 3000},
	    /* TCPV6: the checksum cannot start inside the 40-byte IPv6 header. */
	    {.flags = N,
	     .gso_type = TCP6,
	     .gso_size = 1000,
	     .csum_start = 34,
	     .csum_offset = 16,
	     .v6 = true,
	     .proto = 6,
	     .plen = 3000},
	};

	l->ops->attach(l, &o.d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vnet_frame_in(k, &cfg.mac, &bad[i]);
		assert_int_equal(ns_link_process(l, 8), 1);
		if (o.n)
			fail_msg("hostile header %zu was handed up", i);
		assert_int_equal(l->rx_errors, i + 1);
	}
	assert_int_equal(l->rx_frames, 0);

	/* Good ones. TSO with the ECN bit (CWR on the first segment): the descriptor. */
	vnet_frame_in(k, &cfg.mac,
	              &(struct vnet_in){.flags = N,
	                                .gso_type = TCP4 | ECN,
	                                .gso_size = 1000,
	                                .csum_start = 34,
	                                .csum_offset = 16,
	                                .proto = 6,
	                                .plen = 3000});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.pkt->gso.type, NS_GSO_TCPV4);
	assert_int_equal(o.pkt->gso.mss, 1000);
	assert_int_equal(o.pkt->flags & (NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED),
	                 NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED);
	assert_int_equal(o.pkt->csum_start, 20);
	assert_int_equal(o.pkt->csum_off, 16);
	/* TSO over IPv6, the checksum past its header. */
	vnet_frame_in(k, &cfg.mac,
	              &(struct vnet_in){.flags = N,
	                                .gso_type = TCP6,
	                                .gso_size = 1000,
	                                .csum_start = 54,
	                                .csum_offset = 16,
	                                .v6 = true,
	                                .proto = 6,
	                                .plen = 3000});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.pkt->gso.type, NS_GSO_TCPV6);
	assert_int_equal(o.pkt->csum_start, 40);
	/* A TCP super-frame without NEEDS_CSUM (Linux takes it: the checksum is complete). */
	vnet_frame_in(
	    k, &cfg.mac,
	    &(struct vnet_in){.gso_type = TCP4, .gso_size = 1000, .proto = 6, .plen = 3000});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.pkt->gso.type, NS_GSO_TCPV4);
	assert_int_equal(o.pkt->flags & (NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED), 0);
	/* UDP_L4, and a plain NEEDS_CSUM datagram whose field is its last two bytes. */
	vnet_frame_in(k, &cfg.mac,
	              &(struct vnet_in){.flags = N,
	                                .gso_type = UDP4,
	                                .gso_size = 1000,
	                                .csum_start = 34,
	                                .csum_offset = 6,
	                                .proto = 17,
	                                .plen = 3000});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.pkt->gso.type, NS_GSO_UDP_L4);
	assert_int_equal(o.pkt->csum_off, 6);
	vnet_frame_in(k, &cfg.mac,
	              &(struct vnet_in){
	                  .flags = N, .csum_start = 34, .csum_offset = 6, .proto = 17, .plen = 0});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 5);
	assert_int_equal(o.pkt->gso.type, NS_GSO_NONE);
	assert_true(o.pkt->flags & NS_PKT_CSUM_PARTIAL);
	/* DATA_VALID: known good, nothing partial. */
	vnet_frame_in(
	    k, &cfg.mac,
	    &(struct vnet_in){.flags = VIRTIO_NET_HDR_F_DATA_VALID, .proto = 6, .plen = 10});
	assert_int_equal(ns_link_process(l, 8), 1);
	assert_int_equal(o.n, 6);
	assert_int_equal(o.pkt->flags & (NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED),
	                 NS_PKT_CSUM_VERIFIED);
	assert_int_equal(l->rx_errors, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(l->rx_frames, 6);

	l->ops->attach(l, NULL);
	ns_pkt_free(o.pkt);
	close(k);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

/* The next record the link wrote to @k: its virtio-net header into @vh, the frame's length. */
static uint32_t vnet_frame_out(int k, uint8_t vh[12], uint8_t *frame, size_t cap)
{
	struct iovec iov[2] = {{.iov_base = vh, .iov_len = 12},
	                       {.iov_base = frame, .iov_len = cap}};
	ssize_t n = readv(k, iov, 2);

	assert_true(n >= 12);
	return (uint32_t)(n - 12);
}

/* A TCP packet of @plen payload bytes with @flags for GSO in @mss pieces (or none if 0),
 * its checksum partial as TCP leaves it; IPv4 or IPv6. */
static struct ns_pkt *tcp_gso_out(bool v6, uint8_t flags, uint32_t plen, uint16_t mss,
                                  const struct ns_mac *to)
{
	uint32_t l3 = v6 ? 40 : 20, l4 = 20 + plen;
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, l3 + l4);
	uint8_t *ip = ns_pkt_data(p), *th = ip + l3;

	memset(ip, 0, l3 + l4);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4);
		ip[6] = 6;
		ip[7] = 64;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(l3 + l4));
		ip[8] = 64;
		ip[9] = 6;
	}
	th[12] = 5 << 4;
	th[13] = flags;
	p->netproto = v6 ? 0x86dd : 0x0800;
	p->link_dst = *to;
	p->flags = NS_PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)l3;
	p->csum_off = 16;
	if (mss)
		p->gso = (struct ns_gso){.type = v6 ? NS_GSO_TCPV6 : NS_GSO_TCPV4,
		                         .needs_csum = 1,
		                         .mss = mss,
		                         .l3_len = (uint16_t)l3,
		                         .csum_off = 16};
	return p;
}

/*
 * What the kernel side reads: the virtio-net header Linux's virtio_net_hdr_from_skb() would
 * write for the same packet (NEEDS_CSUM with the offsets from the frame's start, the GSO
 * type, size and header length), the ECN bit on a TCP super-frame carrying CWR (Linux's
 * SKB_GSO_TCP_ECN: the kernel must keep CWR on the first segment only), and the frame.
 */
static void test_tap_vnet_header_out(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TAP,
	                               .name = "nstap0",
	                               .vnet_hdr = true,
	                               .offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	                               .mac = {{0x02, 0x00, 0x5e, 0x00, 0x02, 0x02}}};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	int k = fake_kernel(l);
	const struct ns_mac to = {{0x02, 0, 0, 0, 0, 0x01}};
	static uint8_t f[70000];
	uint8_t vh[12];
	const struct {
		bool v6;
		uint8_t flags;
		uint16_t mss;
		uint8_t vflags, vtype;
		uint16_t hdr_len, gso_size, csum_start, csum_off;
	} c[] = {
	    {false, 0x18, 1000, 1, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1000, 34, 16},
	    {false, 0x80 | 0x10, 1000, 1, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54,
	     1000, 34, 16},
	    {true, 0x80 | 0x10, 1400, 1, VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 74,
	     1400, 54, 16},
	    /* Not GSO: CWR means nothing to the header; the checksum is still partial. */
	    {false, 0x80 | 0x10, 0, 1, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 34, 16},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ns_pkt *p = tcp_gso_out(c[i].v6, c[i].flags, 3000, c[i].mss, &to);
		uint32_t want = 14 + p->len;

		assert_int_equal(ns_link_write(l, &p, 1), 1);
		assert_int_equal(vnet_frame_out(k, vh, f, sizeof(f)), want);
		uint16_t h16[4];
		memcpy(h16, vh + 2, sizeof(h16)); /* host byte order */
		assert_int_equal(vh[0], c[i].vflags);
		assert_int_equal(vh[1], c[i].vtype);
		assert_int_equal(h16[0], c[i].hdr_len);
		assert_int_equal(h16[1], c[i].gso_size);
		assert_int_equal(h16[2], c[i].csum_start);
		assert_int_equal(h16[3], c[i].csum_off);
		assert_memory_equal(f, to.b, 6);
		assert_memory_equal(f + 6, cfg.mac.b, 6);
		assert_int_equal(f[14 + (c[i].v6 ? 40 : 20) + 13], c[i].flags);
	}
	assert_int_equal(l->tx_errors, 0);
	close(k);
	ns_link_destroy(l);
	assert_int_equal(ns_pkt_live(), live);
}

static void test_tun(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	struct ns_tuntap_config cfg = {.kind = NS_TUN, .name = "nstun0", .bring_up = true};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	assert_string_equal(l->ops->kind, "tun");
	assert_true(kernel_flags("nstun0") & IFF_UP);
	assert_int_equal(l->ops->header_type(l), NS_LINK_HDR_NONE);
	assert_int_equal(l->ops->max_header_len(l), 0);
	assert_int_equal(ns_link_caps(l), 0);
	struct ns_mac m = l->ops->link_addr(l), zero = {{0}};
	assert_true(ns_mac_eq(&m, &zero));
	kernel_addr("nstun0", "198.51.100.1", NULL, "198.51.100.2");

	int s = kernel_udp("198.51.100.1", 5555);
	kernel_sendto(s, "198.51.100.2", 9999, "hello tun");
	struct udp_want w = {.dport = 9999, .msg = "hello tun"};
	ip4(w.dst, "198.51.100.2");
	struct ns_pkt *p = wait_for(l, is_udp, &w);
	assert_non_null(p);
	assert_int_equal(p->hdr[NS_HDR_LINK].len, 0);
	assert_int_equal(p->len, 20 + 8 + 9);
	ns_pkt_free(p);

	struct ns_pkt *out = udp4("198.51.100.2", 9999, "198.51.100.1", 5555, "reply", CSUM_FULL);
	assert_int_equal(ns_link_write(l, &out, 1), 1);
	char buf[64];
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "reply", 5);

	/* A GSO packet cannot go out without a vnet header. */
	out = udp4("198.51.100.2", 9999, "198.51.100.1", 5555, "gso", CSUM_FULL);
	out->gso.type = NS_GSO_UDP_L4;
	out->gso.mss = 100;
	assert_int_equal(ns_link_write(l, &out, 1), 0);
	assert_int_equal(l->tx_errors, 1);

	close(s);
	ns_link_destroy(l);
	assert_false(dev_exists("nstun0"));
	assert_int_equal(ns_pkt_live(), live);
}

/* Create (or delete) a persistent device the way `ip tuntap add` does. */
static void persist(const char *name, short type, int on)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	struct ifreq ifr;
	ifr_init(&ifr, name);
	ifr.ifr_flags = type | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		fail_msg("TUNSETIFF %s: %s", name, strerror(errno));
	assert_int_equal(ioctl(fd, TUNSETPERSIST, on), 0);
	close(fd);
}

static void test_existing_device(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256] = "";
	persist("nstap1", IFF_TAP, 1);
	struct ifreq ifr;
	ifr_init(&ifr, "nstap1");
	ifr.ifr_mtu = 1400;
	if_ioctl(SIOCSIFMTU, "nstap1", &ifr);
	kernel_addr("nstap1", "192.0.2.129", "255.255.255.128", NULL);
	struct ns_mac kmac = kernel_mac("nstap1");

	/* Attached as it is: MTU, address, MAC and down state untouched. */
	struct ns_tuntap_config cfg = {.kind = NS_TAP, .name = "nstap1"};
	struct ns_link *l = ns_tuntap_open(&cfg, err, sizeof(err));
	if (!l)
		fail_msg("ns_tuntap_open: %s", err);
	assert_int_equal(ns_link_mtu(l), 1400);
	assert_false(kernel_flags("nstap1") & IFF_UP);
	ifr_init(&ifr, "nstap1");
	if_ioctl(SIOCGIFADDR, "nstap1", &ifr);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	assert_string_equal(inet_ntoa(sin->sin_addr), "192.0.2.129");
	struct ns_mac k2 = kernel_mac("nstap1");
	assert_true(ns_mac_eq(&kmac, &k2));

	/* Wrong kind for the existing device. */
	struct ns_tuntap_config tun = {.kind = NS_TUN, .name = "nstap1"};
	assert_null(ns_tuntap_open(&tun, err, sizeof(err)));
	assert_string_equal(err, "TUNSETIFF nstap1: Invalid argument");

	ns_link_destroy(l);
	/* Persistent: it stays. */
	assert_true(dev_exists("nstap1"));
	persist("nstap1", IFF_TAP, 0);
	assert_false(dev_exists("nstap1"));
	assert_int_equal(ns_pkt_live(), live);
}

static void test_errors(void **state)
{
	int64_t live = ns_pkt_live();
	char err[256];
	struct ns_tuntap_config cfg = {.kind = NS_TAP, .name = "nstap-name-too-long"};
	assert_null(ns_tuntap_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "tap device name \"nstap-name-too-long\": longer than 15 bytes");

	struct ns_tuntap_config off = {.kind = NS_TAP, .name = "nstap0", .offloads = TUN_F_CSUM};
	assert_null(ns_tuntap_open(&off, err, sizeof(err)));
	assert_string_equal(err, "tap nstap0: offloads 0x1 need vnet_hdr");

	/* A small error buffer truncates; no buffer at all is fine. */
	char small[8];
	assert_null(ns_tuntap_open(&cfg, small, sizeof(small)));
	assert_string_equal(small, "tap dev");
	assert_null(ns_tuntap_open(&cfg, NULL, 0));
	assert_null(ns_tuntap_open(NULL, err, sizeof(err)));

	{
		/* The kernel's own refusal comes back with the call that failed. */
		struct ns_tuntap_config bad = {.kind = NS_TAP, .name = "ns/tap"};
		assert_null(ns_tuntap_open(&bad, err, sizeof(err)));
		assert_string_equal(err, "TUNSETIFF ns/tap: Invalid argument");
		struct ns_tuntap_config mtu = {.kind = NS_TAP, .name = "nstap0", .mtu = 20};
		assert_null(ns_tuntap_open(&mtu, err, sizeof(err)));
		assert_string_equal(err, "SIOCSIFMTU nstap0 20: Invalid argument");
		assert_false(dev_exists("nstap0"));
	}
	assert_int_equal(ns_pkt_live(), live);
}

int main(void)
{
	if (unshare(CLONE_NEWNET) != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		fprintf(stderr, "FAIL: need a private network namespace and /dev/net/tun (%s)\n",
		        strerror(errno));
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_tap_arp),
	    cmocka_unit_test(test_tap_arp_vnet),
	    cmocka_unit_test(test_tap_arp_jumbo),
	    cmocka_unit_test(test_tap_udp_vnet_offload),
	    cmocka_unit_test(test_tap_udp_software_csum),
	    cmocka_unit_test(test_tap_vnet_gso_inbound_whole),
	    cmocka_unit_test(test_tap_vnet_gso_inbound_segmented_without_tso),
	    cmocka_unit_test(test_tap_vnet_hostile_headers),
	    cmocka_unit_test(test_tap_vnet_header_out),
	    cmocka_unit_test(test_tun),
	    cmocka_unit_test(test_existing_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
