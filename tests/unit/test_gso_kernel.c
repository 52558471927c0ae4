/* SPDX-License-Identifier: MIT */
/*
 * Software segmentation (ns_gso_segment(), src/link/gso.c) byte for byte against the Linux
 * kernel's own GSO, inside a private network namespace made at the start of main() (root
 * needed, as for test_link_tuntap: without the namespace the test FAILS, never skips).
 *
 * The kernel is made to segment in software: a super-packet goes in through TAP nsgso0 with
 * a virtio-net header (NEEDS_CSUM and a GSO type, as our TCP or a forwarder sends it), the
 * kernel routes it (forwarding on) out of TAP nsgso1, which has no offloads at all, so
 * validate_xmit_skb() cuts it with skb_gso_segment() and finishes every checksum in software
 * (tcp_gso_segment(), __udp_gso_segment(), inet_gso_segment(), ipv6_gso_segment()); or out
 * of TAP nsgso2, which has checksum offload (a vnet header with TUN_F_CSUM) but no TSO, so
 * the segments come with their checksums partial. We read the segments off the TAP and
 * compare each, from the network header on, with what ns_gso_segment() makes of the same
 * super-packet after the same forwarding step (TTL or hop limit one lower), checksums
 * finished or left partial alike: lengths, IPv4 ids and header checksums, sequence numbers, TCP
 * flags per segment (CWR on the first, PSH and FIN on the last), options, payload and transport
 * checksums must all be identical. TCP and UDP (UDP_L4), IPv4 and IPv6, with a short last
 * segment and with payload a multiple of the segment size.
 *
 * Addresses: 192.0.2.0/24 and 2001:db8::/64 on nsgso0 (kernel .1, us .2), 198.51.100.0/25
 * and 2001:db8:1::/64 on nsgso1 (kernel .1, a static neighbor .9 the segments go to),
 * 198.51.100.128/25 and 2001:db8:2::/64 on nsgso2 (kernel .129 and ::1, neighbor .137 and
 * ::9).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netstack/link.h"
#include "netstack/proto.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define MAX_SEGS 16

static const uint8_t us4[4] = {192, 0, 2, 2};
static const uint8_t us6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
/* Behind nsgso1 (plain) and nsgso2 (checksum offload only). */
static const uint8_t far4[2][4] = {{198, 51, 100, 9}, {198, 51, 100, 137}};
static const uint8_t far6[2][16] = {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 9},
                                    {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 9}};
static const struct ns_mac far_mac = {{0x02, 0, 0, 0, 0x01, 0x09}};

static struct ns_link *in;     /* nsgso0: a vnet header, we write */
static struct ns_link *out[2]; /* nsgso1: no offloads; nsgso2: checksum offload only */
static struct ns_mac kmac0;    /* the kernel side of nsgso0 */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("%s: failed", cmd);
}

/* Set a sysctl of our namespace to 1. */
static void sysctl_on(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs("1\n", f) < 0 || fclose(f) != 0)
		fail_msg("%s: %s", path, strerror(errno));
}

static struct ns_mac kernel_mac(const char *dev)
{
	struct ifreq ifr;
	struct ns_mac m;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	memcpy(m.b, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return m;
}

static int setup(void **state)
{
	char err[256] = "";
	struct ns_tuntap_config c0 = {.kind = NS_TAP,
	                              .name = "nsgso0",
	                              .vnet_hdr = true,
	                              .offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	                              .bring_up = true,
	                              .mac = {{0x02, 0, 0, 0, 0, 0x02}}};
	struct ns_tuntap_config c1 = {
	    .kind = NS_TAP, .name = "nsgso1", .bring_up = true, .mac = far_mac};
	struct ns_tuntap_config c2 = {.kind = NS_TAP,
	                              .name = "nsgso2",
	                              .vnet_hdr = true,
	                              .offloads = TUN_F_CSUM,
	                              .bring_up = true,
	                              .mac = far_mac};

	(void)state;
	in = ns_tuntap_open(&c0, err, sizeof(err));
	if (!in)
		fail_msg("ns_tuntap_open nsgso0: %s", err);
	out[0] = ns_tuntap_open(&c1, err, sizeof(err));
	if (!out[0])
		fail_msg("ns_tuntap_open nsgso1: %s", err);
	out[1] = ns_tuntap_open(&c2, err, sizeof(err));
	if (!out[1])
		fail_msg("ns_tuntap_open nsgso2: %s", err);
	kmac0 = kernel_mac("nsgso0");
	sysctl_on("/proc/sys/net/ipv4/ip_forward");
	sysctl_on("/proc/sys/net/ipv6/conf/all/forwarding");
	sh("ip addr add 192.0.2.1/24 dev nsgso0 && ip addr add 2001:db8::1/64 dev nsgso0 nodad");
	sh("ip addr add 198.51.100.1/25 dev nsgso1 && "
	   "ip addr add 2001:db8:1::1/64 dev nsgso1 nodad");
	sh("ip addr add 198.51.100.129/25 dev nsgso2 && "
	   "ip addr add 2001:db8:2::1/64 dev nsgso2 nodad");
	sh("ip neigh add 198.51.100.9 lladdr 02:00:00:00:01:09 dev nsgso1 nud permanent && "
	   "ip neigh add 2001:db8:1::9 lladdr 02:00:00:00:01:09 dev nsgso1 nud permanent");
	sh("ip neigh add 198.51.100.137 lladdr 02:00:00:00:01:09 dev nsgso2 nud permanent && "
	   "ip neigh add 2001:db8:2::9 lladdr 02:00:00:00:01:09 dev nsgso2 nud permanent");
	/* The kernel must not need to ask who we are (its replies are not what we test). */
	sh("ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev nsgso0 nud permanent && "
	   "ip neigh add 2001:db8::2 lladdr 02:00:00:00:00:02 dev nsgso0 nud permanent");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ns_link_destroy(in);
	ns_link_destroy(out[0]);
	ns_link_destroy(out[1]);
	return 0;
}

enum kind { TCP4, TCP6, UDP4, UDP6 };

static uint8_t pay(uint32_t i)
{
	return (uint8_t)(i * 29 + (i >> 7) + 3);
}

/* The super-packet @k, @plen payload bytes for GSO in @mss pieces, network header first, its
 * transport checksum partial (the pseudo-header sum over the whole length), as our TCP
 * leaves it or ns_gso_prepare() makes it. */
static struct ns_pkt *super_packet(enum kind k, uint32_t plen, uint16_t mss, uint8_t tcp_flags,
                                   int o)
{
	static const uint8_t ts[12] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0x12, 0x34};
	bool v6 = k == TCP6 || k == UDP6, tcp = k == TCP4 || k == TCP6;
	uint32_t l3 = v6 ? 40 : 20, l4h = tcp ? 32 : 8, l4 = l4h + plen;
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, l3 + l4);
	uint8_t *ip, *th, proto = tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP;
	uint32_t ps;

	assert_non_null(p);
	ip = ns_pkt_data(p);
	th = ip + l3;
	memset(ip, 0, l3 + l4h);
	if (v6) {
		wr32(ip, 0x60012345u); /* a flow label, as Linux's auto labels */
		wr16(ip + 4, (uint16_t)l4);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, us6, 16);
		memcpy(ip + 24, far6[o], 16);
		ps = csum_pseudo_v6(us6, far6[o], proto, l4);
	} else {
		ip[0] = 0x45;
		ip[1] = 0x02; /* ECT(0) */
		wr16(ip + 2, (uint16_t)(l3 + l4));
		wr16(ip + 4, 0xfff0); /* the ids of the segments wrap past 0xffff */
		wr16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, us4, 4);
		memcpy(ip + 16, far4[o], 4);
		wr16(ip + 10, csum_finish(csum_partial(ip, 20, 0)));
		ps = csum_pseudo_v4(us4, far4[o], proto, l4);
	}
	wr16(th, 40000);
	wr16(th + 2, 5001);
	if (tcp) {
		wr32(th + 4, 0xfffff000u); /* sequence numbers wrap too */
		wr32(th + 8, 0x01020304u);
		th[12] = (l4h / 4) << 4;
		th[13] = tcp_flags;
		wr16(th + 14, 501);
		memcpy(th + 20, ts, sizeof(ts));
	} else {
		wr16(th + 4, (uint16_t)l4);
	}
	for (uint32_t i = 0; i < plen; i++)
		th[l4h + i] = pay(i);
	wr16(th + (tcp ? 16 : 6), csum_fold(ps));
	p->netproto = v6 ? 0x86dd : 0x0800;
	p->flags = NS_PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)l3;
	p->csum_off = tcp ? 16 : 6;
	p->gso = (struct ns_gso){.type = tcp ? (v6 ? NS_GSO_TCPV6 : NS_GSO_TCPV4) : NS_GSO_UDP_L4,
	                         .needs_csum = 1,
	                         .mss = mss,
	                         .l3_len = (uint16_t)l3,
	                         .csum_off = tcp ? 16 : 6};
	return p;
}

/* What the kernel sent out of nsgso1: segments to the far address, network header first. */
struct caught {
	struct ns_link_dispatcher d;
	int o; /* which way out */
	bool v6;
	uint8_t proto;
	struct ns_pkt *seg[MAX_SEGS];
	int n;
};

static void caught_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct caught *c = (struct caught *)d;
	const uint8_t *ip = ns_pkt_peek(pkt, 0, 40);
	bool hit = false;

	(void)link;
	if (ip && c->v6)
		hit = pkt->netproto == 0x86dd && ip[6] == c->proto &&
		      !memcmp(ip + 24, far6[c->o], 16);
	else if (ip)
		hit =
		    pkt->netproto == 0x0800 && ip[9] == c->proto && !memcmp(ip + 16, far4[c->o], 4);
	if (hit && c->n < MAX_SEGS)
		c->seg[c->n++] = pkt;
	else
		ns_pkt_free(pkt); /* the kernel's own ND, MLD, ... */
}

/* Cut the super-packet @k both ways, with @o choosing the way out: 0 through nsgso1, every
 * checksum finished; 1 through nsgso2, which finishes checksums itself, so the kernel leaves
 * each segment's partial (NEEDS_CSUM: the pseudo-header sum in the field) and so must
 * ns_gso_segment() with csum_offload. */
static void compare_via(enum kind k, uint32_t plen, uint16_t mss, uint8_t tcp_flags, int o)
{
	bool v6 = k == TCP6 || k == UDP6, tcp = k == TCP4 || k == TCP6;
	struct caught c = {.d.deliver = caught_deliver,
	                   .o = o,
	                   .v6 = v6,
	                   .proto = tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP};
	uint32_t n = (plen + mss - 1) / mss;
	struct ns_pkt *p = super_packet(k, plen, mss, tcp_flags, o), *mine = ns_pkt_copy(p), *segs,
	              *s;
	int64_t live = ns_pkt_live();
	struct timespec t0, t;
	uint8_t *ip;

	assert_non_null(mine);
	assert_true(n <= MAX_SEGS);
	/* The kernel's: through nsgso0, forwarded and cut on the way out. */
	p->link_dst = kmac0;
	out[o]->ops->attach(out[o], &c.d);
	assert_int_equal(ns_link_write(in, &p, 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((uint32_t)c.n < n) {
		struct pollfd pfd = {.fd = ns_link_poll_fd(out[o]), .events = POLLIN};

		poll(&pfd, 1, 100);
		ns_link_process(out[o], 64);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 3000)
			fail_msg("kind %d via %d: the kernel sent %d segments of %u", k, o, c.n, n);
	}
	out[o]->ops->attach(out[o], NULL);
	/* Ours: the same forwarding step (the kernel's ip_decrease_ttl(), RFC 1624), then the
	 * software cut, checksums finished or left partial as the way out wants them. */
	ip = ns_pkt_data(mine);
	if (v6) {
		ip[7]--;
	} else {
		ip[8]--;
		wr16(ip + 10, 0);
		wr16(ip + 10, csum_finish(csum_partial(ip, 20, 0)));
	}
	assert_int_equal(ns_gso_segment(mine, o == 1, &segs), NS_OK);
	s = segs;
	for (uint32_t i = 0; i < n; i++, s = s->next) {
		assert_non_null(s);
		if (s->len != c.seg[i]->len)
			fail_msg("kind %d via %d segment %u: %u bytes, the kernel's %u", k, o, i,
			         s->len, c.seg[i]->len);
		for (uint32_t j = 0; j < s->len; j++)
			if (ns_pkt_data(s)[j] != ns_pkt_data(c.seg[i])[j])
				fail_msg("kind %d via %d segment %u byte %u: %#04x, the kernel's "
				         "%#04x",
				         k, o, i, j, ns_pkt_data(s)[j], ns_pkt_data(c.seg[i])[j]);
		if (o == 1) {
			/* What the kernel's header said of its segment, and what ours says. */
			assert_true(c.seg[i]->flags & NS_PKT_CSUM_PARTIAL);
			assert_int_equal(c.seg[i]->csum_start, s->csum_start);
			assert_int_equal(c.seg[i]->csum_off, s->csum_off);
			assert_int_equal(c.seg[i]->gso.type, NS_GSO_NONE);
		}
		ns_pkt_free(c.seg[i]);
	}
	assert_null(s);
	ns_pkt_free_list(segs);
	ns_pkt_free(mine);
	assert_int_equal(ns_pkt_live(), live - 2); /* p went to the kernel, mine is freed */
	assert_int_equal(in->tx_errors, 0);
}

static void compare(enum kind k, uint32_t plen, uint16_t mss, uint8_t tcp_flags)
{
	compare_via(k, plen, mss, tcp_flags, 0);
	compare_via(k, plen, mss, tcp_flags, 1);
}

static void tcp4_cut_as_the_kernel_cuts(void **state)
{
	(void)state;
	/* CWR, PSH and FIN on the super-packet; a short last segment; then whole ones. */
	compare(TCP4, 5000, 1400, 0x80 | 0x10 | 0x08 | 0x01);
	compare(TCP4, 4 * 1448, 1448, 0x10 | 0x08);
	compare(TCP4, 1000, 1400, 0x10); /* one segment: the packet as it is */
}

static void tcp6_cut_as_the_kernel_cuts(void **state)
{
	(void)state;
	compare(TCP6, 5000, 1400, 0x80 | 0x10 | 0x08 | 0x01);
	compare(TCP6, 3 * 1428, 1428, 0x10);
}

static void udp4_cut_as_the_kernel_cuts(void **state)
{
	(void)state;
	compare(UDP4, 5000, 1400, 0);
	compare(UDP4, 3 * 1200, 1200, 0);
}

static void udp6_cut_as_the_kernel_cuts(void **state)
{
	(void)state;
	compare(UDP6, 5000, 1400, 0);
	compare(UDP6, 2 * 1400 + 1, 1400, 0);
}

int main(void)
{
	if (unshare(CLONE_NEWNET) != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		fprintf(stderr, "FAIL: need a private network namespace and /dev/net/tun (%s)\n",
		        strerror(errno));
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tcp4_cut_as_the_kernel_cuts),
	    cmocka_unit_test(tcp6_cut_as_the_kernel_cuts),
	    cmocka_unit_test(udp4_cut_as_the_kernel_cuts),
	    cmocka_unit_test(udp6_cut_as_the_kernel_cuts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
