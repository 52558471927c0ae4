/* SPDX-License-Identifier: MIT */
/*
 * Raw, packet and ping endpoints next to the Linux kernel's own raw, packet and ICMP
 * sockets: the stack on a TAP in a private network namespace made at the start of main(),
 * the kernel at the other end (192.0.2.1/24, the stack 192.0.2.2/24). Each test makes the
 * same traffic visible on both sides and checks that our endpoints read exactly what the
 * kernel's read for the same frames (an AF_PACKET socket's frame and sockaddr_ll, a raw
 * socket's datagram with its IPv4 header), and that what we send is what Linux sends
 * (IP_HDRINCL filling in the same fields, packet sockets' raw and cooked frames).
 *
 * It needs root (CI runs as root): without a private namespace it FAILS rather than
 * skipping. Only 192.0.2.0/24 is used, inside the namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netstack/netstack.h"
#include "netstack/proto.h"

#define DEV        "nsraw0"
#define KERNEL_IP  "192.0.2.1"
#define STACK_IP   "192.0.2.2"
#define KERNEL_IP6 "2001:db8::1"
#define STACK_IP6  "2001:db8::2"
#define PROTO_X    253 /* RFC 3692 experimental */
#define ETH_P_TEST 0x88b5

static const struct ns_mac our_mac = {{0x02, 0, 0, 0, 0, 0x02}};

/* ---------------------------------------------------------------- bytes */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t inet_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---------------------------------------------------------------- the kernel's side */

static void if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", DEV);
	if (ioctl(s, req, ifr) < 0)
		fail_msg("ioctl 0x%lx %s: %s", req, DEV, strerror(errno));
	close(s);
}

static void sin_set(struct sockaddr *sa, const char *ip)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static struct ns_mac kernel_mac(void)
{
	struct ifreq ifr = {0};
	struct ns_mac m;

	if_ioctl(SIOCGIFHWADDR, &ifr);
	memcpy(m.b, ifr.ifr_hwaddr.sa_data, 6);
	return m;
}

/* The kernel's address, and a permanent neighbour entry for ours (no ARP either way). */
static void kernel_setup(void)
{
	struct ifreq ifr = {0};
	struct arpreq r = {0};
	int s;

	sin_set(&ifr.ifr_addr, KERNEL_IP);
	if_ioctl(SIOCSIFADDR, &ifr);
	memset(&ifr, 0, sizeof(ifr));
	sin_set(&ifr.ifr_netmask, "255.255.255.0");
	if_ioctl(SIOCSIFNETMASK, &ifr);
	sin_set(&r.arp_pa, STACK_IP);
	r.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(r.arp_ha.sa_data, our_mac.b, 6);
	r.arp_flags = ATF_PERM | ATF_COM;
	snprintf(r.arp_dev, sizeof(r.arp_dev), "%s", DEV);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	if (ioctl(s, SIOCSARP, &r) < 0)
		fail_msg("SIOCSARP: %s", strerror(errno));
	close(s);
}

/* The kernel's IPv6 address, without duplicate address detection (so it is usable at
 * once): accept_dad off for the device first, then SIOCSIFADDR on an AF_INET6 socket. */
struct in6_ifreq_ {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static void kernel_setup6(void)
{
	char path[128];
	struct in6_ifreq_ r = {.prefixlen = 64, .ifindex = (int)if_nametoindex(DEV)};
	FILE *f;
	int s;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", DEV);
	f = fopen(path, "w");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	fputs("0\n", f);
	fclose(f);
	assert_int_equal(inet_pton(AF_INET6, KERNEL_IP6, &r.addr), 1);
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	if (ioctl(s, SIOCSIFADDR, &r) < 0)
		fail_msg("SIOCSIFADDR (IPv6): %s", strerror(errno));
	close(s);
}

/* An AF_PACKET socket on the TAP: every frame, both directions, as Linux's packet(7). */
static int kernel_packet_socket(int type, uint16_t proto)
{
	int s = socket(AF_PACKET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
	                          .sll_protocol = htons(proto),
	                          .sll_ifindex = (int)if_nametoindex(DEV)};

	assert_true(s >= 0);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		fail_msg("bind AF_PACKET: %s", strerror(errno));
	return s;
}

static int kernel_raw_socket(int proto)
{
	int s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	assert_true(s >= 0);
	return s;
}

static void kernel_sendto(int s, const void *buf, size_t len, const char *ip)
{
	struct sockaddr_in sin;

	sin_set((struct sockaddr *)&sin, ip);
	if (sendto(s, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin)) != (ssize_t)len)
		fail_msg("sendto: %s", strerror(errno));
}

/* ---------------------------------------------------------------- the stack's side */

struct world {
	struct ns_link *tap;
	struct ns_stack *s;
	struct ns_mac kmac;
	int64_t pkts0;
};

static void world_up(struct world *w)
{
	struct ns_stack_config cfg;
	char err[256] = "";
	struct ns_tuntap_config tc = {
	    .kind = NS_TAP, .name = DEV, .mac = our_mac, .bring_up = true};
	struct ns_subnet a;
	struct ns_addr k;

	memset(w, 0, sizeof(*w));
	w->pkts0 = ns_pkt_live();
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.seed = 0x72617700;
	cfg.ipv6_dad = false;
	cfg.ipv6_rtr_solicits = 0;
	assert_int_equal(ns_stack_new(&cfg, &w->s), NS_OK);
	w->tap = ns_tuntap_open(&tc, err, sizeof(err));
	if (!w->tap)
		fail_msg("ns_tuntap_open: %s", err);
	assert_int_equal(ns_stack_add_nic(w->s, 1, w->tap, DEV), NS_OK);
	assert_true(ns_subnet_parse(STACK_IP "/24", &a));
	assert_int_equal(ns_stack_add_address(w->s, 1, &a), NS_OK);
	kernel_setup();
	w->kmac = kernel_mac();
	assert_true(ns_addr_parse(KERNEL_IP, &k));
	assert_int_equal(ns_stack_add_static_neighbor(w->s, 1, &k, &w->kmac), NS_OK);
	/* IPv6: ours without DAD, the kernel's too; the kernel finds us by NDP. */
	kernel_setup6();
	assert_true(ns_subnet_parse(STACK_IP6 "/64", &a));
	assert_int_equal(ns_stack_add_address(w->s, 1, &a), NS_OK);
	assert_true(ns_addr_parse(KERNEL_IP6, &k));
	assert_int_equal(ns_stack_add_static_neighbor(w->s, 1, &k, &w->kmac), NS_OK);
}

static void world_down(struct world *w)
{
	ns_stack_free(w->s);
	ns_link_destroy(w->tap);
	assert_int_equal(ns_pkt_live(), w->pkts0);
}

/* Run the stack for a while: frames in, timers. */
static void run(struct world *w, int ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct pollfd p = {.fd = ns_link_poll_fd(w->tap), .events = POLLIN};

		ns_link_process(w->tap, 64);
		ns_stack_poll(w->s);
		poll(&p, 1, 5);
	} while (ms_since(&t0) < ms);
}

/* ---------------------------------------------------------------- reading frames */

struct frame {
	uint8_t b[2048];
	size_t len;
	struct sockaddr_ll sll;   /* the kernel's view */
	struct ns_sockaddr_ll ll; /* ours */
};

/* An IPv4 frame carrying protocol @proto and, for ICMP, type @type (or any type if < 0);
 * or an IPv6 one without extension headers, for protocol 58. */
static bool is_ip(const uint8_t *f, size_t n, uint8_t proto, int type)
{
	if (proto == IPPROTO_ICMPV6)
		return n > 14 + 40 && get16(f + 12) == 0x86dd && f[14 + 6] == proto &&
		       (type < 0 || f[14 + 40] == type);
	if (n < 14 + 20 || get16(f + 12) != 0x0800 || f[14 + 9] != proto)
		return false;
	return type < 0 || (n > 14 + 20 && f[14 + (f[14] & 15) * 4] == type);
}

/* The next frame the kernel's packet socket @s reads with @pkttype that @want accepts (IPv6
 * router solicitations and MLD reports from the kernel are skipped), within 2 s. */
static void kernel_read_frame(int s, struct frame *fr, int pkttype, uint8_t proto, int type)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 2000) {
		socklen_t sl = sizeof(fr->sll);
		ssize_t n = recvfrom(s, fr->b, sizeof(fr->b), 0, (struct sockaddr *)&fr->sll, &sl);

		if (n < 0) {
			struct pollfd p = {.fd = s, .events = POLLIN};

			poll(&p, 1, 10);
			continue;
		}
		fr->len = (size_t)n;
		if (fr->sll.sll_pkttype == pkttype && is_ip(fr->b, fr->len, proto, type))
			return;
	}
	fail_msg("the kernel's packet socket saw no such frame");
}

/* The next frame our packet endpoint reads with @pkttype that is an IPv4 @proto/@type. */
static void our_read_frame(struct world *w, struct ns_ep *ep, struct frame *fr, uint8_t pkttype,
                           uint8_t proto, int type)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 2000) {
		struct ns_read_result r;

		if (ns_ep_read(ep, fr->b, sizeof(fr->b), 0, &r) != NS_OK) {
			run(w, 10);
			continue;
		}
		fr->len = r.count;
		fr->ll = r.ll;
		if (r.ll.pkttype == pkttype && is_ip(fr->b, fr->len, proto, type))
			return;
	}
	fail_msg("our packet endpoint saw no such frame");
}

/* The kernel's raw socket @s: the next datagram of ICMP type @type (with its IP header). */
static size_t kernel_read_dgram(int s, uint8_t *buf, size_t cap, int type, bool v6)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 2000) {
		ssize_t n = recv(s, buf, cap, 0);

		if (n < 0) {
			struct pollfd p = {.fd = s, .events = POLLIN};

			poll(&p, 1, 10);
			continue;
		}
		/* IPv4 raw sockets read the IP header too; IPv6 ones (version 6 is not a
		 * valid first nibble of ICMPv6 types here) start at the ICMPv6 header. */
		if (type < 0 ||
		    (v6 ? n > 0 && buf[0] == type : n > 20 && buf[(buf[0] & 15) * 4] == type))
			return (size_t)n;
	}
	fail_msg("the kernel's raw socket read nothing");
	return 0;
}

/* Our endpoint @ep: the next datagram, within 2 s. */
static size_t our_read_dgram(struct world *w, struct ns_ep *ep, uint8_t *buf, size_t cap)
{
	struct timespec t0;
	struct ns_read_result r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 2000) {
		if (ns_ep_read(ep, buf, cap, 0, &r) == NS_OK)
			return r.count;
		run(w, 10);
	}
	fail_msg("our endpoint read nothing");
	return 0;
}

static size_t echo(uint8_t *b, uint8_t type, uint16_t id, uint16_t seq, const char *data)
{
	size_t n = strlen(data);

	b[0] = type;
	b[1] = 0;
	put16(b + 2, 0);
	put16(b + 4, id);
	put16(b + 6, seq);
	memcpy(b + 8, data, n);
	put16(b + 2, inet_csum(b, 8 + n));
	return 8 + n;
}

/* ---------------------------------------------------------------- tests */

/* The kernel pings us. Our packet endpoint reads the request frame exactly as the kernel's
 * packet socket saw it leave, with the same sockaddr_ll but for the packet type; our raw
 * ICMP endpoint reads it as a datagram exactly as a Linux raw socket reads one (IPv4 header
 * and all); and the other way round for our reply. */
static void kernel_pings_us(void **state)
{
	struct world w;
	struct ns_ep *pk = NULL, *raw = NULL;
	int kpk, kraw;
	uint8_t msg[64], d1[2048], d2[2048];
	struct frame kreq, ureq, krep, urep;
	size_t n, m;

	(void)state;
	world_up(&w);
	kpk = kernel_packet_socket(SOCK_RAW, ETH_P_ALL);
	kraw = kernel_raw_socket(IPPROTO_ICMP);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &pk), NS_OK);
	assert_int_equal(ns_ep_new_raw(w.s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &raw), NS_OK);
	run(&w, 50);
	while (ns_ep_read(pk, d1, sizeof(d1), 0, NULL) == NS_OK)
		; /* the kernel's IPv6 chatter at link-up */

	kernel_sendto(kraw, msg, echo(msg, 8, 0x4242, 1, "ping from linux"), STACK_IP);
	kernel_read_frame(kpk, &kreq, PACKET_OUTGOING, IPPROTO_ICMP, 8);
	our_read_frame(&w, pk, &ureq, NS_PACKET_HOST, IPPROTO_ICMP, 8);
	assert_int_equal(ureq.len, kreq.len);
	assert_memory_equal(ureq.b, kreq.b, kreq.len);
	assert_int_equal(ureq.ll.protocol, ntohs(kreq.sll.sll_protocol));
	assert_int_equal(ureq.ll.hatype, kreq.sll.sll_hatype);
	assert_int_equal(ureq.ll.halen, kreq.sll.sll_halen);
	assert_memory_equal(ureq.ll.addr.b, kreq.sll.sll_addr, 6); /* the kernel's MAC */

	n = our_read_dgram(&w, raw, d1, sizeof(d1));
	assert_int_equal(n, kreq.len - 14);
	assert_memory_equal(d1, kreq.b + 14, n);

	our_read_frame(&w, pk, &urep, NS_PACKET_OUTGOING, IPPROTO_ICMP, 0);
	kernel_read_frame(kpk, &krep, PACKET_HOST, IPPROTO_ICMP, 0);
	assert_int_equal(krep.len, urep.len);
	assert_memory_equal(krep.b, urep.b, urep.len);
	assert_memory_equal(urep.ll.addr.b, krep.sll.sll_addr, 6); /* our MAC, both */
	assert_memory_equal(urep.ll.addr.b, our_mac.b, 6);

	m = kernel_read_dgram(kraw, d2, sizeof(d2), 0, false);
	assert_int_equal(m, urep.len - 14);
	assert_memory_equal(d2, urep.b + 14, m);

	close(kpk);
	close(kraw);
	ns_ep_close(pk);
	ns_ep_close(raw);
	world_down(&w);
}

/* We ping the kernel from a ping endpoint: the kernel's raw socket reads our request, our
 * ping endpoint reads the kernel's reply, each exactly as sent. */
static void we_ping_the_kernel(void **state)
{
	struct world w;
	struct ns_ep *ping = NULL, *pk = NULL;
	struct ns_sockaddr to = {.port = 0};
	int kpk, kraw;
	uint8_t msg[64], buf[2048];
	struct frame ureq, krep;
	size_t n;

	(void)state;
	world_up(&w);
	assert_true(ns_addr_parse(KERNEL_IP, &to.addr));
	kpk = kernel_packet_socket(SOCK_RAW, ETH_P_ALL);
	kraw = kernel_raw_socket(IPPROTO_ICMP);
	assert_int_equal(ns_ep_new(w.s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &ping), NS_OK);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &pk), NS_OK);

	n = echo(msg, 8, 0, 7, "ping from netstack");
	assert_int_equal(ns_ep_write(ping, msg, n, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_OK);
	our_read_frame(&w, pk, &ureq, NS_PACKET_OUTGOING, IPPROTO_ICMP, 8);
	assert_int_equal(kernel_read_dgram(kraw, buf, sizeof(buf), 8, false), ureq.len - 14);
	assert_memory_equal(buf, ureq.b + 14, ureq.len - 14);

	kernel_read_frame(kpk, &krep, PACKET_OUTGOING, IPPROTO_ICMP, 0);
	n = our_read_dgram(&w, ping, buf, sizeof(buf));
	assert_int_equal(n, krep.len - 14 - 20);
	assert_memory_equal(buf, krep.b + 14 + 20, n);
	assert_int_equal(buf[0], 0);
	assert_int_equal(get16(buf + 6), 7);
	assert_memory_equal(buf + 8, "ping from netstack", 18);

	close(kpk);
	close(kraw);
	ns_ep_close(ping);
	ns_ep_close(pk);
	world_down(&w);
}

/* A caller-built IPv4 header with id, total length, checksum and source left zero. */
static size_t hdrincl(uint8_t *b, bool df, const char *dst, const char *data)
{
	size_t n = strlen(data);

	memset(b, 0, 20);
	b[0] = 0x45;
	b[1] = 0x10;
	put16(b + 6, df ? 0x4000 : 0);
	b[8] = 33;
	b[9] = PROTO_X;
	assert_int_equal(inet_pton(AF_INET, dst, b + 16), 1);
	memcpy(b + 20, data, n);
	return 20 + n;
}

/* IP_HDRINCL: the same caller header sent by Linux and by us comes out the same, but for
 * the addresses and the identification each picks (with DF clear; with DF set both leave
 * it 0). */
static void hdrincl_as_linux(void **state)
{
	struct world w;
	struct ns_ep *tx = NULL, *pk = NULL;
	struct ns_sockaddr to;
	int kpk, ktx, one = 1;
	uint8_t b[64];
	struct frame fk, fu;
	size_t n;

	(void)state;
	world_up(&w);
	assert_true(ns_addr_parse(KERNEL_IP, &to.addr));
	to.port = 0;
	to.nic = 0;
	kpk = kernel_packet_socket(SOCK_RAW, ETH_P_ALL);
	ktx = kernel_raw_socket(IPPROTO_RAW);
	assert_int_equal(setsockopt(ktx, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)), 0);
	assert_int_equal(ns_ep_new_raw(w.s, NS_AF_INET, NS_IPPROTO_RAW, NULL, &tx), NS_OK);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &pk), NS_OK);

	for (int df = 0; df < 2; df++) {
		n = hdrincl(b, df, STACK_IP, "hdrincl");
		kernel_sendto(ktx, b, n, STACK_IP);
		kernel_read_frame(kpk, &fk, PACKET_OUTGOING, PROTO_X, -1);
		n = hdrincl(b, df, KERNEL_IP, "hdrincl");
		assert_int_equal(ns_ep_write(tx, b, n, &(struct ns_write_opts){.to = &to}, NULL),
		                 NS_OK);
		our_read_frame(&w, pk, &fu, NS_PACKET_OUTGOING, PROTO_X, -1);
		assert_int_equal(fu.len, fk.len);
		uint8_t *ik = fk.b + 14, *iu = fu.b + 14;

		/* Filled in by both: the total length and a valid checksum. */
		assert_int_equal(get16(iu + 2), get16(ik + 2));
		assert_int_equal(inet_csum(ik, 20), 0);
		assert_int_equal(inet_csum(iu, 20), 0);
		/* The source: each its own address; the id: picked with DF clear, 0 with DF. */
		assert_memory_equal(ik + 12, iu + 16, 4);
		assert_memory_equal(iu + 12, ik + 16, 4);
		if (df) {
			assert_int_equal(get16(ik + 4), 0);
			assert_int_equal(get16(iu + 4), 0);
		} else {
			assert_int_not_equal(get16(ik + 4), 0);
			assert_int_not_equal(get16(iu + 4), 0);
		}
		/* Everything else as the caller wrote it, on both. */
		assert_memory_equal(iu, ik, 2);
		assert_memory_equal(iu + 6, ik + 6, 4);
		assert_memory_equal(iu + 20, ik + 20, fu.len - 14 - 20);
	}
	close(kpk);
	close(ktx);
	ns_ep_close(tx);
	ns_ep_close(pk);
	world_down(&w);
}

/* Frames from packet endpoints: a raw one arrives at the kernel byte for byte; a cooked one
 * gets the header Linux's cooked send would give it (checked against the kernel's own
 * cooked send in the other direction). */
static void packet_sends_as_linux(void **state)
{
	struct world w;
	struct ns_ep *raw = NULL, *cooked = NULL;
	int kraw, kcooked;
	uint8_t frame[64];
	struct ns_sockaddr_ll to = {.nic = 1, .protocol = ETH_P_TEST, .halen = 6};
	struct sockaddr_ll kto = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_TEST), .sll_halen = 6};
	struct frame fk, fu;
	struct ns_read_result r;
	struct timespec t0;

	(void)state;
	world_up(&w);
	kraw = kernel_packet_socket(SOCK_RAW, ETH_P_TEST);
	kcooked = kernel_packet_socket(SOCK_DGRAM, ETH_P_TEST);
	to.addr = w.kmac;
	kto.sll_ifindex = (int)if_nametoindex(DEV); /* the device exists now */
	memcpy(kto.sll_addr, our_mac.b, 6);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_RAW, ETH_P_TEST, NULL, &raw), NS_OK);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_DGRAM, ETH_P_TEST, NULL, &cooked), NS_OK);

	/* Raw, ours -> kernel: as written, source MAC included. */
	memcpy(frame, w.kmac.b, 6);
	memcpy(frame + 6, "\x02\x11\x22\x33\x44\x55", 6);
	put16(frame + 12, ETH_P_TEST);
	memset(frame + 14, 0x7e, sizeof(frame) - 14);
	assert_int_equal(
	    ns_ep_write(raw, frame, sizeof(frame), &(struct ns_write_opts){.ll_to = &to}, NULL),
	    NS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		socklen_t sl = sizeof(fk.sll);
		ssize_t n = recvfrom(kraw, fk.b, sizeof(fk.b), 0, (struct sockaddr *)&fk.sll, &sl);

		if (n == (ssize_t)sizeof(frame))
			break;
		if (ms_since(&t0) > 2000)
			fail_msg("the kernel never got our raw frame");
		run(&w, 10);
	}
	assert_memory_equal(fk.b, frame, sizeof(frame));
	assert_int_equal(fk.sll.sll_pkttype, PACKET_HOST);

	/* Cooked: the kernel sends to us, we send to the kernel; each side's raw reader
	 * sees the header its peer's cooked send built. */
	if (sendto(kcooked, "cooked!", 7, 0, (struct sockaddr *)&kto, sizeof(kto)) != 7)
		fail_msg("kernel cooked sendto: %s", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ns_ep_read(raw, fu.b, sizeof(fu.b), 0, &r) != NS_OK ||
	       r.ll.pkttype != NS_PACKET_HOST) {
		if (ms_since(&t0) > 2000)
			fail_msg("we never got the kernel's cooked frame");
		run(&w, 10);
	}
	fu.len = r.count;
	assert_int_equal(
	    ns_ep_write(cooked, "cooked!", 7, &(struct ns_write_opts){.ll_to = &to}, NULL), NS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		socklen_t sl = sizeof(fk.sll);
		ssize_t n = recvfrom(kraw, fk.b, sizeof(fk.b), 0, (struct sockaddr *)&fk.sll, &sl);

		if (n > 0 && fk.sll.sll_pkttype == PACKET_HOST) {
			fk.len = (size_t)n;
			break;
		}
		if (ms_since(&t0) > 2000)
			fail_msg("the kernel never got our cooked frame");
		run(&w, 10);
	}
	/* Linux's frame: our MAC, its MAC, the type, the payload; ours the mirror image. */
	assert_int_equal(fu.len, fk.len);
	assert_memory_equal(fu.b, fk.b + 6, 6);
	assert_memory_equal(fu.b + 6, fk.b, 6);
	assert_memory_equal(fu.b + 12, fk.b + 12, fk.len - 12);
	close(kraw);
	close(kcooked);
	ns_ep_close(raw);
	ns_ep_close(cooked);
	world_down(&w);
}

static void kernel_sendto6(int s, const void *buf, size_t len, const char *ip)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

	assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	if (sendto(s, buf, len, 0, (struct sockaddr *)&sin6, sizeof(sin6)) != (ssize_t)len)
		fail_msg("sendto (IPv6): %s", strerror(errno));
}

/* IPv6: the kernel pings us from a raw ICMPv6 socket (it sums the message). Our raw ICMPv6
 * endpoint reads the request as Linux's raw IPv6 sockets read, from the ICMPv6 header on;
 * the kernel's reads our reply the same way; the frames match both ways. */
static void kernel_pings_us_v6(void **state)
{
	struct world w;
	struct ns_ep *pk = NULL, *raw = NULL;
	int kpk, kraw;
	uint8_t msg[64], d[2048];
	struct frame kreq, ureq, krep, urep;
	size_t n;

	(void)state;
	world_up(&w);
	kpk = kernel_packet_socket(SOCK_RAW, ETH_P_ALL);
	kraw = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	assert_true(kraw >= 0);
	assert_int_equal(ns_ep_new_packet(w.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &pk), NS_OK);
	assert_int_equal(ns_ep_new_raw(w.s, NS_AF_INET6, NS_IPPROTO_ICMPV6, NULL, &raw), NS_OK);
	run(&w, 50);

	n = echo(msg, 128, 0x6666, 3, "ping6 from linux");
	put16(msg + 2, 0); /* the kernel sums ICMPv6 itself */
	kernel_sendto6(kraw, msg, n, STACK_IP6);
	/* The kernel resolves us by NDP first: our stack answers while we wait. */
	our_read_frame(&w, pk, &ureq, NS_PACKET_HOST, IPPROTO_ICMPV6, 128);
	kernel_read_frame(kpk, &kreq, PACKET_OUTGOING, IPPROTO_ICMPV6, 128);
	assert_int_equal(ureq.len, kreq.len);
	assert_memory_equal(ureq.b, kreq.b, kreq.len);
	for (;;) { /* our raw endpoint also saw the kernel's neighbor solicitation */
		size_t m = our_read_dgram(&w, raw, d, sizeof(d));

		if (d[0] != 128)
			continue;
		assert_int_equal(m, kreq.len - 14 - 40);
		assert_memory_equal(d, kreq.b + 14 + 40, m);
		break;
	}
	our_read_frame(&w, pk, &urep, NS_PACKET_OUTGOING, IPPROTO_ICMPV6, 129);
	kernel_read_frame(kpk, &krep, PACKET_HOST, IPPROTO_ICMPV6, 129);
	assert_int_equal(krep.len, urep.len);
	assert_memory_equal(krep.b, urep.b, urep.len);
	n = kernel_read_dgram(kraw, d, sizeof(d), 129, true);
	assert_int_equal(n, urep.len - 14 - 40);
	assert_memory_equal(d, urep.b + 14 + 40, n);

	close(kpk);
	close(kraw);
	ns_ep_close(pk);
	ns_ep_close(raw);
	world_down(&w);
}

/* IPv6: our ping endpoint pings the kernel and reads its reply exactly as sent. */
static void we_ping_the_kernel_v6(void **state)
{
	struct world w;
	struct ns_ep *ping = NULL;
	struct ns_sockaddr to = {.port = 0};
	int kpk;
	uint8_t msg[64], buf[2048];
	struct frame krep;
	size_t n;

	(void)state;
	world_up(&w);
	assert_true(ns_addr_parse(KERNEL_IP6, &to.addr));
	kpk = kernel_packet_socket(SOCK_RAW, ETH_P_ALL);
	assert_int_equal(ns_ep_new(w.s, NS_AF_INET6, NS_IPPROTO_ICMPV6, NULL, &ping), NS_OK);
	n = echo(msg, 128, 0, 9, "ping6 from netstack");
	assert_int_equal(ns_ep_write(ping, msg, n, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_OK);
	n = our_read_dgram(&w, ping, buf, sizeof(buf));
	kernel_read_frame(kpk, &krep, PACKET_OUTGOING, IPPROTO_ICMPV6, 129);
	assert_int_equal(n, krep.len - 14 - 40);
	assert_memory_equal(buf, krep.b + 14 + 40, n);
	assert_int_equal(get16(buf + 6), 9);
	close(kpk);
	ns_ep_close(ping);
	world_down(&w);
}

int main(void)
{
	if (unshare(CLONE_NEWNET) != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		fprintf(stderr, "FAIL: need a private network namespace and /dev/net/tun (%s)\n",
		        strerror(errno));
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kernel_pings_us),    cmocka_unit_test(we_ping_the_kernel),
	    cmocka_unit_test(hdrincl_as_linux),   cmocka_unit_test(packet_sends_as_linux),
	    cmocka_unit_test(kernel_pings_us_v6), cmocka_unit_test(we_ping_the_kernel_v6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
