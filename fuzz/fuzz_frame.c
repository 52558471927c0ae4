/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a libFuzzer target for the inbound frame path.
 *
 * One stack, made once, lives for the whole run: NIC 1 is an Ethernet channel link at
 * 192.0.2.2/24 and 2001:db8::2/64 (with fe80::ff:fe00:2, its link-local address; no DAD,
 * so that no input can take the address away for the rest of the run) with static neighbors
 * 192.0.2.1 and 2001:db8::1, NIC 2 a channel without a link header (raw IP, as on a TUN) at
 * 198.51.100.2/24, and a UDP endpoint is bound on port 7 (IPv4 and, dual-stack, IPv6).
 *
 * The last input byte steers (it also stays in the frame, where it reads as padding or
 * payload): bit 0 injects the bytes as a raw IP packet on NIC 2 as well; bit 1 makes the
 * IPv4 header checksum and the ICMP/UDP/TCP checksum right before injecting, so mutations
 * reach the protocol logic instead of dying at checksum validation (with bit 1 clear, bad
 * checksums get exercised); bits 2..7 move the virtual clock forward by that many times
 * 20 ms, so neighbor, ARP and rate-limit timers fire. Each input is injected as an Ethernet
 * frame on NIC 1, then the timers are polled, the UDP endpoint is drained (each datagram
 * echoed, which exercises the output path too) and every outbound frame is read and freed.
 * The same bytes are handed to each wire parser directly, and to the software segmenter
 * (ns_gso_segment()) as a GSO packet whose descriptor the first two bytes choose.
 *
 * Raw, packet and ping endpoints (src/raw) are open too: a raw ICMP endpoint, a packet
 * endpoint of each kind (NS_ETH_P_ALL raw, IPv4 cooked) and a ping endpoint with identifier
 * 0x1234. What they read goes back out through their own send paths: raw ICMP datagrams,
 * header included, through an IP_HDRINCL endpoint to their (foreign) source, so fuzzed
 * headers reach write_hdrincl; frames the packet endpoints saw come in, out of the NIC they
 * came from; echo replies as new requests.
 *
 * A second stack forwards (ns_stack_config.forwarding): the same frame comes in on its NIC 1
 * (192.0.2.2/24, 2001:db8::2/64) with offload metadata the second-to-last input bytes
 * choose (partial checksum and its offsets, known-good checksum, a GSO descriptor), as a
 * TAP's virtio-net header would give it, and anything not for it is routed out: IPv4 by
 * default through NIC 2 (a link that segments and finishes checksums), IPv6 through NIC 3
 * (a plain link, MTU 1280), so forward.c, ns_gso_prepare(), software GSO and software
 * checksums all see hostile metadata.
 *
 * State cannot grow without bound: everything the stack sends is freed after each input, the
 * endpoint's receive queue is emptied, the neighbor table has a fixed bound, and every
 * 4096 inputs the clock jumps two minutes ahead so cached state expires. A crash, a sanitizer
 * report or a leak at exit is a finding.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/netstack.h"
#include "netstack/proto.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmpv4.h"
#include "wire/icmpv6.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	bool ready;
	struct ns_ep *ep6; /* UDP [::]:7, IPv6 only */
	struct ns_vclock clock;
	struct ns_stack *stack;
	struct ns_link *eth, *raw;
	struct ns_waiter_queue wq;
	struct ns_ep *ep;
	struct ns_ep *raw_icmp, *hdrincl, *pk_all, *pk_ip, *ping;
	uint64_t inputs;
	/* The forwarding stack and its links: in, out for IPv4 (HW GSO + csum), out for IPv6. */
	struct ns_stack *fwd;
	struct ns_link *fin, *fout4, *fout6;
} F;

static void die(const char *what)
{
	(void)what;
	abort(); /* set-up failures are bugs too */
}

static void add_nic(uint32_t id, struct ns_link *link, const char *subnet)
{
	struct ns_subnet sn;
	if (!link || ns_stack_add_nic(F.stack, id, link, "fz") != NS_OK)
		die("nic");
	if (!ns_subnet_parse(subnet, &sn) || ns_stack_add_address(F.stack, id, &sn) != NS_OK)
		die("address");
	struct ns_route_entry r = {.dest = sn, .nic = id};
	r.dest.addr.a[3] = 0;
	if (ns_stack_add_route(F.stack, &r) != NS_OK)
		die("route");
}

static void fwd_nic(uint32_t id, struct ns_link *link, const char *a4, const char *a6)
{
	struct ns_subnet sn;

	if (!link || ns_stack_add_nic(F.fwd, id, link, "fw") != NS_OK)
		die("fwd nic");
	if (!ns_subnet_parse(a4, &sn) || ns_stack_add_address(F.fwd, id, &sn) != NS_OK ||
	    !ns_subnet_parse(a6, &sn) || ns_stack_add_address(F.fwd, id, &sn) != NS_OK)
		die("fwd address");
}

static void setup_fwd(void)
{
	struct ns_stack_config cfg;
	struct ns_channel_config in = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{0x02, 0, 0, 0, 0, 0x02}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED,
	                               .queue_len = 256};
	struct ns_channel_config o4 = in, o6 = in;
	struct ns_mac nh_mac = {{0x02, 0, 0, 0, 0, 0x09}};
	struct ns_addr nh4 = ns_addr_v4(198, 51, 100, 9), nh6;

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &F.clock.base;
	cfg.seed = 0xf0d;
	cfg.ipv6_dad = false;
	cfg.forwarding = true;
	if (ns_stack_new(&cfg, &F.fwd) != NS_OK)
		die("fwd stack");
	o4.caps |= NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD;
	o4.mac.b[5] = 0x12;
	o6.mtu = 1280;
	o6.mac.b[5] = 0x13;
	F.fin = ns_channel_new(&in);
	F.fout4 = ns_channel_new(&o4);
	F.fout6 = ns_channel_new(&o6);
	fwd_nic(1, F.fin, "192.0.2.2/24", "2001:db8::2/64");
	fwd_nic(2, F.fout4, "198.51.100.2/24", "2001:db8:2::2/64");
	fwd_nic(3, F.fout6, "203.0.113.2/24", "2001:db8:3::2/64");
	if (!ns_addr_parse("2001:db8:3::9", &nh6) ||
	    ns_stack_add_static_neighbor(F.fwd, 2, &nh4, &nh_mac) != NS_OK ||
	    ns_stack_add_static_neighbor(F.fwd, 3, &nh6, &nh_mac) != NS_OK)
		die("fwd neighbors");
	struct ns_route_entry r4 = {
	    .dest = {.addr = {.family = NS_AF_INET}}, .gateway = nh4, .nic = 2};
	struct ns_route_entry r6 = {
	    .dest = {.addr = {.family = NS_AF_INET6}}, .gateway = nh6, .nic = 3};
	if (ns_stack_add_route(F.fwd, &r4) != NS_OK || ns_stack_add_route(F.fwd, &r6) != NS_OK)
		die("fwd routes");
}

/* Inject @frame into the forwarding stack with offload metadata chosen by @m and @x. */
static void fwd_inject(const uint8_t *frame, size_t size, uint8_t m, uint8_t x)
{
	struct ns_pkt *p = ns_pkt_from(frame, (uint32_t)size), *q;
	static const uint16_t offs[4] = {16, 6, 2, 0};

	if (!p)
		return;
	if (m & 1) {
		p->flags = NS_PKT_CSUM_PARTIAL;
		p->csum_start = (uint16_t)(m & 0x80 ? x : (m & 0x40 ? 40 : 20));
		p->csum_off = offs[(m >> 4) & 3];
	} else if (m & 2) {
		p->flags = NS_PKT_CSUM_VERIFIED;
	}
	if (m & 4) {
		p->gso.type = (uint8_t)((m >> 3) & 3);
		p->gso.mss = (uint16_t)(x * 8 + (m >> 6));
	}
	ns_channel_inject(F.fin, p);
	F.clock.now += NS_MSEC;
	ns_stack_poll(F.fwd);
	while ((q = ns_channel_read(F.fin)))
		ns_pkt_free(q);
	while ((q = ns_channel_read(F.fout4)))
		ns_pkt_free(q);
	while ((q = ns_channel_read(F.fout6)))
		ns_pkt_free(q);
}

static void setup(void)
{
	struct ns_stack_config cfg;
	ns_vclock_init(&F.clock, NS_SEC);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &F.clock.base;
	cfg.seed = 0x5eed;
	cfg.ipv6_dad = false;
	if (ns_stack_new(&cfg, &F.stack) != NS_OK)
		die("stack");

	struct ns_channel_config eth = {
	    .header = NS_LINK_HDR_ETHERNET,
	    .mac = {{0x02, 0, 0, 0, 0, 0x02}},
	    .queue_len = 256,
	};
	struct ns_channel_config raw = {.header = NS_LINK_HDR_NONE, .queue_len = 256};
	F.eth = ns_channel_new(&eth);
	F.raw = ns_channel_new(&raw);
	add_nic(1, F.eth, "192.0.2.2/24");
	add_nic(2, F.raw, "198.51.100.2/24");

	struct ns_addr peer = ns_addr_v4(192, 0, 2, 1);
	struct ns_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x01}};
	if (ns_stack_add_static_neighbor(F.stack, 1, &peer, &peer_mac) != NS_OK)
		die("neighbor");
	struct ns_subnet a6;
	struct ns_addr peer6;
	if (!ns_subnet_parse("2001:db8::2/64", &a6) || !ns_addr_parse("2001:db8::1", &peer6) ||
	    ns_stack_add_address(F.stack, 1, &a6) != NS_OK ||
	    ns_stack_add_static_neighbor(F.stack, 1, &peer6, &peer_mac) != NS_OK)
		die("ipv6");
	struct ns_sockaddr any6 = {.addr = {.family = NS_AF_INET6}, .port = 7};
	if (ns_ep_new(F.stack, NS_AF_INET6, NS_IPPROTO_UDP, NULL, &F.ep6) != NS_OK ||
	    ns_ep_set_opt(F.ep6, NS_IPV6_V6ONLY, 1) != NS_OK || ns_ep_bind(F.ep6, &any6) != NS_OK)
		die("endpoint6");

	ns_waiter_queue_init(&F.wq);
	if (ns_ep_new(F.stack, NS_AF_INET, NS_IPPROTO_UDP, &F.wq, &F.ep) != NS_OK)
		die("endpoint");
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET}, .port = 7};
	if (ns_ep_bind(F.ep, &any) != NS_OK)
		die("bind");
	struct ns_sockaddr ident = {.addr = {.family = NS_AF_INET}, .port = 0x1234};
	if (ns_ep_new_raw(F.stack, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &F.raw_icmp) != NS_OK ||
	    ns_ep_new_raw(F.stack, NS_AF_INET, NS_IPPROTO_RAW, NULL, &F.hdrincl) != NS_OK ||
	    ns_ep_new_packet(F.stack, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &F.pk_all) != NS_OK ||
	    ns_ep_new_packet(F.stack, NS_PACKET_DGRAM, 0x0800, NULL, &F.pk_ip) != NS_OK ||
	    ns_ep_new(F.stack, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &F.ping) != NS_OK ||
	    ns_ep_bind(F.ping, &ident) != NS_OK)
		die("raw endpoints");
	setup_fwd();
	F.ready = true;
}

/* Read what the raw, packet and ping endpoints got and send it back out (see the theory
 * of operation). Nothing is sent to our own addresses, so nothing loops for ever. */
static void drain_raw(void)
{
	static uint8_t buf[65536];
	struct ns_read_result res;
	size_t written;
	int64_t v;

	for (int i = 0; i < 64; i++) {
		bool any = false;

		if (ns_ep_read(F.raw_icmp, buf, sizeof(buf), 0, &res) == NS_OK) {
			struct ns_write_opts wo = {.to = &res.from};

			any = true;
			if (!ns_stack_find_local(F.stack, &res.from.addr))
				(void)ns_ep_write(F.hdrincl, buf, res.count, &wo, &written);
		}
		if (ns_ep_read(F.pk_all, buf, sizeof(buf), 0, &res) == NS_OK) {
			struct ns_write_opts wo = {.ll_to = &res.ll};

			any = true;
			if (res.ll.pkttype != NS_PACKET_OUTGOING)
				(void)ns_ep_write(F.pk_all, buf, res.count, &wo, &written);
		}
		if (ns_ep_read(F.pk_ip, buf, sizeof(buf), 0, &res) == NS_OK) {
			struct ns_sockaddr_ll to = res.ll;
			struct ns_write_opts wo = {.ll_to = &to};

			any = true;
			to.halen = 6;
			(void)ns_ep_write(F.pk_ip, buf, res.count, &wo, &written);
		}
		if (ns_ep_read(F.ping, buf, sizeof(buf), 0, &res) == NS_OK && res.count >= 8) {
			struct ns_write_opts wo = {.to = &res.from};

			any = true;
			buf[0] = 8; /* the reply becomes a request */
			buf[1] = 0;
			if (!ns_stack_find_local(F.stack, &res.from.addr))
				(void)ns_ep_write(F.ping, buf, res.count, &wo, &written);
		}
		if (!any)
			break;
	}
	(void)ns_ep_get_opt(F.raw_icmp, NS_SO_ERROR, &v);
	(void)ns_ep_get_opt(F.ping, NS_SO_ERROR, &v);
}

static void parse_all(const uint8_t *d, size_t n)
{
	struct eth_repr eth;
	struct arp_repr arp;
	struct ipv4_repr ip;
	struct icmpv4_repr icmp;
	struct udp_repr udp;
	struct tcp_repr tcp;
	static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {192, 0, 2, 2};

	(void)eth_parse(&eth, d, n);
	(void)arp_parse(&arp, d, n);
	(void)ipv4_parse(&ip, d, n, true);
	(void)ipv4_parse(&ip, d, n, false);
	(void)icmpv4_parse(&icmp, d, n, true);
	(void)icmpv4_parse(&icmp, d, n, false);
	(void)udp_parse(&udp, d, n);
	(void)udp_csum_ok(d, n, csum_pseudo_v4(a, b, 17, (uint32_t)n), true);
	(void)tcp_parse(&tcp, d, n);
	(void)tcp_csum_ok(d, n, csum_pseudo_v4(a, b, 6, (uint32_t)n));
	(void)csum_fold(csum_partial(d, n, 0));
	struct ipv6_repr ip6;
	struct ipv6_frag_repr fr6;
	struct ipv6_rh_repr rh6;
	struct icmpv6_repr icmp6;
	struct ndp_repr nd;
	struct mld_query mq;
	struct mld2_record_iter mit;
	struct mld2_record mr;
	struct ipv6_opt_iter oit;
	struct ipv6_opt o6;
	(void)ipv6_parse(&ip6, d, n);
	(void)ipv6_frag_parse(&fr6, d, n);
	(void)ipv6_rh_parse(&rh6, d, n);
	(void)ipv6_ext_len(n ? d[0] : 0, d, n);
	ipv6_opt_iter_init(&oit, d, (uint32_t)n);
	while (ipv6_opt_next(&oit, &o6) > 0)
		;
	(void)icmpv6_parse(&icmp6, d, n);
	if (ndp_parse(&nd, d, n))
		(void)ndp_opts_valid(nd.opts, nd.opts_len);
	(void)mld_query_parse(&mq, d, n);
	if (mld2_report_parse(&mit, d, n))
		while (mld2_record_next(&mit, &mr) > 0)
			;
	uint8_t opts[IPV4_MAX_HLEN - IPV4_MIN_HLEN];
	size_t olen = n < sizeof(opts) ? n : sizeof(opts);
	memcpy(opts, d, olen);
	(void)ipv4_options_fragment(opts, olen);

	/* Software GSO over arbitrary headers: the first two bytes pick the descriptor (type
	 * and segment size), the rest is the packet. Whatever it is, the segmenter must refuse
	 * it cleanly or cut it into packets it fully owns. */
	if (n >= 2 && n - 2 <= 65535) {
		struct ns_pkt *p = ns_pkt_from(d + 2, (uint32_t)(n - 2)), *segs = NULL;

		if (p) {
			p->gso.type = (uint8_t)(d[0] & 3);
			p->gso.mss = (uint16_t)(((d[0] >> 2) | (uint32_t)d[1] << 6) & 0x3fff);
			if (ns_gso_segment(p, d[1] & 0x80, &segs) == NS_OK)
				ns_pkt_free_list(segs);
			/* What a router does with it: validate, make partial, cut, finish. */
			if (ns_gso_prepare(p, NULL) == NS_OK &&
			    ns_gso_segment(p, d[1] & 0x40, &segs) == NS_OK) {
				for (struct ns_pkt *g = segs; g; g = g->next)
					(void)ns_pkt_csum_finish(g);
				ns_pkt_free_list(segs);
			}
			p->flags = NS_PKT_CSUM_PARTIAL;
			p->csum_start = (uint16_t)(d[0] * 2u);
			p->csum_off = (uint16_t)(d[1] & 0x3f);
			(void)ns_pkt_csum_finish(p);
			ns_pkt_free(p);
		}
	}
}

/* Put right the IPv4 header checksum and the transport checksum of the packet at @ip, if
 * its header hangs together; anything else is left as it is. */
static void fix_transport(uint8_t proto, uint8_t *t, size_t tlen, uint32_t pseudo, bool v6)
{
	size_t off;
	switch (proto) {
	case 1: /* ICMP: no pseudo-header */
		off = 2;
		pseudo = 0;
		break;
	case 58: /* ICMPv6: pseudo-header (RFC 4443 2.3) */
		off = 2;
		break;
	case 17: /* UDP */
		off = 6;
		break;
	case 6: /* TCP */
		off = 16;
		break;
	default:
		return;
	}
	if (tlen < off + 2 || (proto == 1 && v6) || (proto == 58 && !v6))
		return;
	t[off] = t[off + 1] = 0;
	uint16_t c = csum_finish(csum_partial(t, tlen, pseudo));
	if (proto == 17 && c == 0)
		c = 0xffff; /* RFC 768: zero means "no checksum" */
	t[off] = (uint8_t)(c >> 8);
	t[off + 1] = (uint8_t)c;
}

/* IPv6 has no header checksum; the upper-layer checksum covers the RFC 8200 8.1
 * pseudo-header. Only a packet without extension headers is fixed. */
static void fix_checksums_v6(uint8_t *ip, size_t len)
{
	size_t plen = (size_t)ip[4] << 8 | ip[5];
	if (40 + plen > len)
		return;
	uint8_t nh = ip[6];
	fix_transport(nh, ip + 40, plen, csum_pseudo_v6(ip + 8, ip + 24, nh, (uint32_t)plen), true);
}

static void fix_checksums(uint8_t *ip, size_t len)
{
	if (len >= 40 && (ip[0] >> 4) == 6) {
		fix_checksums_v6(ip, len);
		return;
	}
	if (len < 20 || (ip[0] >> 4) != 4)
		return;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	size_t total = (size_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || total < ihl || total > len)
		return;
	ip[10] = ip[11] = 0;
	uint16_t c = csum_finish(csum_partial(ip, ihl, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;

	uint8_t *t = ip + ihl;
	size_t tlen = total - ihl;
	if ((ip[6] & 0x3f) || ip[7]) /* a fragment: its checksum covers the whole datagram */
		return;
	fix_transport(ip[9], t, tlen, csum_pseudo_v4(ip + 12, ip + 16, ip[9], (uint32_t)tlen),
	              false);
}

/* Echo what the IPv6 endpoint received (which exercises the IPv6 output path too). */
static void drain6(void)
{
	static uint8_t buf[65536];
	for (int i = 0; i < 256; i++) {
		struct ns_read_result res;
		ns_err e = ns_ep_read(F.ep6, buf, sizeof(buf), 0, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			break;
		if (e != NS_OK)
			continue;
		struct ns_write_opts wo = {.to = &res.from};
		size_t written;
		(void)ns_ep_write(F.ep6, buf, res.count, &wo, &written);
	}
	int64_t v;
	(void)ns_ep_get_opt(F.ep6, NS_SO_ERROR, &v);
}

static void drain(void)
{
	static uint8_t buf[65536];
	drain_raw();
	for (int i = 0; i < 256; i++) {
		struct ns_read_result res;
		ns_err e = ns_ep_read(F.ep, buf, sizeof(buf), 0, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			break;
		if (e != NS_OK)
			continue;
		struct ns_write_opts wo = {.to = &res.from};
		size_t written;
		(void)ns_ep_write(F.ep, buf, res.count, &wo, &written);
	}
	int64_t v;
	(void)ns_ep_get_opt(F.ep, NS_SO_ERROR, &v);
	drain6();
	struct ns_pkt *p;
	while ((p = ns_channel_read(F.eth)))
		ns_pkt_free(p);
	while ((p = ns_channel_read(F.raw)))
		ns_pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65536];

	if (!F.ready)
		setup();
	parse_all(data, size);
	if (size == 0 || size > sizeof(frame))
		return 0;

	uint8_t ctl = data[size - 1];
	memcpy(frame, data, size);
	if ((ctl & 2) && size >= 14 &&
	    ((frame[12] == 0x08 && frame[13] == 0x00) || (frame[12] == 0x86 && frame[13] == 0xdd)))
		fix_checksums(frame + 14, size - 14);
	ns_channel_inject_bytes(F.eth, frame, (uint32_t)size);
	if (size >= 3)
		fwd_inject(frame, size, data[size - 2], data[size - 3]);
	if (ctl & 1) {
		memcpy(frame, data, size);
		if (ctl & 2)
			fix_checksums(frame, size);
		ns_channel_inject_bytes(F.raw, frame, (uint32_t)size);
	}

	uint64_t step = (uint64_t)(ctl >> 2) * 20 * NS_MSEC + NS_MSEC;
	if (++F.inputs % 4096 == 0)
		step += 120 * NS_SEC;
	F.clock.now += step;
	ns_stack_poll(F.stack);
	drain();
	ns_stack_poll(F.stack);
	drain();
	return 0;
}
