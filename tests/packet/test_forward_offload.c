/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: forwarding packets that arrived with offload metadata, both families, as
 * Linux forwards them (ip_forward(), ip6_forward(), validate_xmit_skb()).
 *
 * The world is the harness's (peer 192.0.2.1 / 2001:db8::1 on NIC 1) with forwarding on
 * and a second channel NIC (198.51.100.2/24, 2001:db8:2::1/64) leading to REMOTE, whose
 * MTU and capabilities each test chooses: a link that segments (NS_CAP_HW_GSO) and finishes
 * checksums (NS_CAP_TX_CSUM_OFFLOAD), one that only finishes checksums, or a plain one.
 *
 * What the peer injects stands for what a TAP with a virtio-net header hands up:
 *   IN_FULL     a complete, correct transport checksum (no offload);
 *   IN_PARTIAL  NEEDS_CSUM: the field holds only the pseudo-header sum, the packet is
 *               NS_PKT_CSUM_PARTIAL with csum_start/csum_off (Linux's CHECKSUM_PARTIAL);
 *   IN_VALID    DATA_VALID, as on a GRO'd super-frame: the data is known good
 *               (NS_PKT_CSUM_VERIFIED) but the field is not the super-frame's checksum.
 * and a GSO super-frame carries a descriptor (type, MSS), as the kernel's TSO/GRO sets it.
 *
 * Every frame that leaves on the second NIC is checked: the MACs, the header fields a
 * router changes (TTL or hop limit one lower, the IPv4 header checksum right) and those it
 * must not change, the payload byte for byte, and the transport checksum: complete and
 * right, unless the packet leaves partial for a link that finishes it, and then exactly the
 * folded pseudo-header sum with csum_start/csum_off pointing at it.
 */
#include <stdlib.h>
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

#define REMOTE4  NT_V4(198, 51, 100, 9)
#define REMOTE6  NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 9)
#define ETH_LEN  14u
#define TCP_HLEN 32u /* with NOP NOP TS, as Linux's segments carry */
#define SPORT    40000
#define DPORT    5001
#define SEQ0     0x10000000u
#define IP_ID0   0x4242
#define MSS4     1448u
#define MSS6     1428u
#define CAPS_HW  (NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD)
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

static const struct ns_mac mac_nic2 = {{2, 0, 0, 0, 2, 1}};
static const struct ns_mac mac_remote = {{2, 0, 0, 0, 2, 9}};

enum csum_in { IN_FULL, IN_PARTIAL, IN_VALID };

static uint8_t frame[NS_PKT_GSO_SIZE];

static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 8));
}

/* ---------------------------------------------------------------- the second NIC */

static struct ns_link *nic2(struct nt *t, uint32_t mtu, uint32_t caps)
{
	struct ns_channel_config cc = {.mtu = mtu,
	                               .header = NS_LINK_HDR_ETHERNET,
	                               .mac = mac_nic2,
	                               .caps = NS_CAP_RESOLUTION_REQUIRED | caps};
	struct ns_link *l = ns_channel_new(&cc);
	struct ns_subnet a4 = {.addr = NT_V4(198, 51, 100, 2), .prefix = 24};
	struct ns_subnet a6 = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1), .prefix = 64};
	struct ns_addr r4 = REMOTE4, r6 = REMOTE6;

	assert_non_null(l);
	assert_int_equal(ns_stack_add_nic(t->s, 2, l, "nt1"), NS_OK);
	assert_int_equal(ns_stack_add_address(t->s, 2, &a4), NS_OK);
	assert_int_equal(ns_stack_add_address(t->s, 2, &a6), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(t->s, 2, &r4, &mac_remote), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(t->s, 2, &r6, &mac_remote), NS_OK);
	while (ns_channel_pending(l))
		ns_pkt_free(ns_channel_read(l));
	return l;
}

static void nic2_del(struct nt *t, struct ns_link *l)
{
	assert_int_equal(ns_channel_pending(l), 0);
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l);
}

/* ---------------------------------------------------------------- what the peer sends */

struct spec {
	bool v6;
	uint8_t proto; /* NS_IPPROTO_TCP or NS_IPPROTO_UDP */
	uint32_t plen; /* payload bytes */
	bool no_df;
	enum csum_in csum;
	uint16_t gso_mss; /* 0: no GSO descriptor */
	/* Deliberately wrong metadata (the malformed-input tests). */
	uint8_t gso_type;   /* 0: the one that matches */
	int32_t csum_start; /* 0: the transport header's offset */
};

static uint32_t l3_len(const struct spec *sp)
{
	return sp->v6 ? 40u : 20u;
}

static uint32_t l4_hlen(const struct spec *sp)
{
	return sp->proto == NS_IPPROTO_TCP ? TCP_HLEN : 8u;
}

static uint16_t csum_at(uint8_t proto)
{
	return proto == NS_IPPROTO_TCP ? 16 : 6;
}

static uint32_t pseudo(bool v6, const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	return v6 ? csum_pseudo_v6(ip + 8, ip + 24, proto, l4len)
	          : csum_pseudo_v4(ip + 12, ip + 16, proto, l4len);
}

/* Build the frame @sp describes from the peer to REMOTE into frame[]; returns its length. */
static uint32_t build(const struct spec *sp)
{
	uint32_t l3 = l3_len(sp), l4 = l4_hlen(sp) + sp->plen, len = ETH_LEN + l3 + l4;
	uint8_t *e = frame, *ip = frame + ETH_LEN, *th = ip + l3;
	struct ns_addr src = sp->v6 ? NT6_ADDR_PEER : NT_ADDR_PEER;
	struct ns_addr dst = sp->v6 ? REMOTE6 : REMOTE4;

	assert_true(len <= sizeof(frame));
	memcpy(e, NT_MAC_US.m.b, 6);
	memcpy(e + 6, NT_MAC_PEER.m.b, 6);
	wr16(e + 12, sp->v6 ? ETH_IPV6 : ETH_IPV4);
	memset(ip, 0, l3);
	if (sp->v6) {
		wr32(ip, 0x60000000u);
		wr16(ip + 4, (uint16_t)l4);
		ip[6] = sp->proto;
		ip[7] = 64;
		memcpy(ip + 8, src.a, 16);
		memcpy(ip + 24, dst.a, 16);
	} else {
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(l3 + l4));
		wr16(ip + 4, IP_ID0);
		wr16(ip + 6, sp->no_df ? 0 : 0x4000);
		ip[8] = 64;
		ip[9] = sp->proto;
		memcpy(ip + 12, src.a, 4);
		memcpy(ip + 16, dst.a, 4);
		wr16(ip + 10, csum_finish(csum_partial(ip, l3, 0)));
	}
	if (sp->proto == NS_IPPROTO_TCP) {
		static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

		wr16(th, SPORT);
		wr16(th + 2, DPORT);
		wr32(th + 4, SEQ0);
		wr32(th + 8, 1);
		th[12] = (TCP_HLEN / 4) << 4;
		th[13] = TCP_ACK | TCP_PSH;
		wr16(th + 14, 1000);
		wr16(th + 16, 0);
		wr16(th + 18, 0);
		memcpy(th + 20, ts, sizeof(ts));
	} else {
		wr16(th, SPORT);
		wr16(th + 2, DPORT);
		wr16(th + 4, (uint16_t)l4);
		wr16(th + 6, 0);
	}
	for (uint32_t i = 0; i < sp->plen; i++)
		th[l4_hlen(sp) + i] = pat(i);
	/* The transport checksum as the sender left it. */
	uint8_t *field = th + csum_at(sp->proto);
	switch (sp->csum) {
	case IN_FULL:
		wr16(field, csum_finish(csum_partial(th, l4, pseudo(sp->v6, ip, sp->proto, l4))));
		break;
	case IN_PARTIAL:
		wr16(field, csum_fold(pseudo(sp->v6, ip, sp->proto, l4)));
		break;
	case IN_VALID:
		wr16(field, 0xdead); /* a GRO'd frame keeps its first segment's checksum */
		break;
	}
	return len;
}

/* Inject frame[0..len) with @sp's offload metadata, as a TAP's vnet header gives it. */
static void inject(struct nt *t, const struct spec *sp, uint32_t len)
{
	struct ns_pkt *p = ns_pkt_from(frame, len);
	uint32_t l3 = l3_len(sp);

	assert_non_null(p);
	if (sp->csum == IN_PARTIAL) {
		p->flags = NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED;
		p->csum_start = (uint16_t)(sp->csum_start ? (uint32_t)sp->csum_start : l3);
		p->csum_off = csum_at(sp->proto);
	} else if (sp->csum == IN_VALID) {
		p->flags = NS_PKT_CSUM_VERIFIED;
	}
	if (sp->gso_mss) {
		p->gso.type = sp->gso_type ? sp->gso_type
		              : sp->proto == NS_IPPROTO_UDP
		                  ? NS_GSO_UDP_L4
		                  : (sp->v6 ? NS_GSO_TCPV6 : NS_GSO_TCPV4);
		p->gso.mss = sp->gso_mss;
		if (sp->csum == IN_PARTIAL) {
			p->gso.needs_csum = 1;
			p->gso.l3_len = (uint16_t)l3;
			p->gso.csum_off = csum_at(sp->proto);
		}
	}
	ns_channel_inject(t->link, p);
}

static void send_spec(struct nt *t, const struct spec *sp)
{
	inject(t, sp, build(sp));
}

/* ---------------------------------------------------------------- what leaves on NIC 2 */

struct out {
	struct ns_gso gso;
	bool partial;
	uint32_t ip_len; /* network-layer bytes */
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;
	uint8_t ttl;
	const uint8_t *l4; /* transport header (or fragment payload) */
	uint32_t l4_len;
	uint32_t seq, plen; /* TCP: sequence number and payload bytes */
	uint8_t tcp_flags;
	uint8_t b[NS_PKT_GSO_SIZE];
};

static struct out o;

/* Take the next frame off @l and check everything a router must get right; the transport
 * checksum too unless the frame is a fragment (the caller reassembles). */
static const struct out *take(struct ns_link *l, bool v6, uint8_t proto)
{
	struct ns_pkt *p = ns_channel_read(l);
	struct ns_addr src = v6 ? NT6_ADDR_PEER : NT_ADDR_PEER;
	struct ns_addr dst = v6 ? REMOTE6 : REMOTE4;
	const uint8_t *ip;
	uint32_t l3;

	assert_non_null(p);
	assert_true(p->len > ETH_LEN && p->len <= sizeof(o.b));
	memset(&o, 0, sizeof(o) - sizeof(o.b));
	memcpy(o.b, ns_pkt_data(p), p->len);
	o.gso = p->gso;
	o.partial = (p->flags & NS_PKT_CSUM_PARTIAL) != 0;
	assert_memory_equal(o.b, mac_remote.b, 6);
	assert_memory_equal(o.b + 6, mac_nic2.b, 6);
	ip = o.b + ETH_LEN;
	if (v6) {
		struct ipv6_repr r;

		assert_int_equal(rd16(o.b + 12), ETH_IPV6);
		assert_int_equal(ipv6_parse(&r, ip, p->len - ETH_LEN), IPV6_OK);
		assert_int_equal(r.payload_len + 40u, p->len - ETH_LEN);
		assert_int_equal(r.next_header, proto);
		o.ttl = r.hop_limit;
		l3 = 40;
		o.ip_len = 40u + r.payload_len;
	} else {
		struct ipv4_repr r;

		assert_int_equal(rd16(o.b + 12), ETH_IPV4);
		assert_int_equal(ipv4_parse(&r, ip, p->len - ETH_LEN, true), IPV4_OK);
		assert_int_equal(r.total_len, p->len - ETH_LEN);
		assert_int_equal(r.proto, proto);
		assert_memory_equal(r.src, src.a, 4);
		assert_memory_equal(r.dst, dst.a, 4);
		o.ttl = r.ttl;
		o.id = r.id;
		o.df = r.df;
		o.mf = r.mf;
		o.frag_off = r.frag_off;
		l3 = r.hdr_len;
		o.ip_len = r.total_len;
	}
	if (v6) {
		assert_memory_equal(ip + 8, src.a, 16);
		assert_memory_equal(ip + 24, dst.a, 16);
	}
	assert_int_equal(o.ttl, 63);
	o.l4 = ip + l3;
	o.l4_len = o.ip_len - l3;
	if (o.partial) {
		/* Partial: the link finishes it at csum_start/csum_off (virtio NEEDS_CSUM). */
		assert_int_equal(p->csum_start, l3);
		assert_int_equal(p->csum_off, csum_at(proto));
		assert_int_equal(rd16(o.l4 + csum_at(proto)),
		                 csum_fold(pseudo(v6, ip, proto, o.l4_len)));
	} else if (!o.mf && !o.frag_off) {
		assert_int_equal(
		    csum_fold(csum_partial(o.l4, o.l4_len, pseudo(v6, ip, proto, o.l4_len))),
		    0xffff);
	}
	if (proto == NS_IPPROTO_TCP && !o.frag_off) {
		assert_true(o.l4_len >= TCP_HLEN);
		assert_int_equal(o.l4[12] >> 4, TCP_HLEN / 4);
		o.seq = rd32(o.l4 + 4);
		o.tcp_flags = o.l4[13];
		o.plen = o.l4_len - TCP_HLEN;
		if (!o.mf)
			for (uint32_t i = 0; i < o.plen; i++)
				if (o.l4[TCP_HLEN + i] != pat(o.seq - SEQ0 + i))
					fail_msg("payload byte %u of seq %#x differs", i, o.seq);
	}
	ns_pkt_free(p);
	return &o;
}

/* Expect @n TCP segments of @mss (the last shorter) for @plen payload bytes on @l: the
 * cut a device doing TSO makes (sequence numbers, ids, PSH on the last only). */
static void expect_segments(struct ns_link *l, bool v6, uint32_t plen, uint32_t mss, bool partial)
{
	uint32_t n = (plen + mss - 1) / mss;

	for (uint32_t i = 0; i < n; i++) {
		const struct out *g = take(l, v6, NS_IPPROTO_TCP);
		uint32_t want = plen - i * mss < mss ? plen - i * mss : mss;

		assert_int_equal(g->gso.type, NS_GSO_NONE);
		assert_int_equal(g->partial, partial);
		assert_int_equal(g->seq, SEQ0 + i * mss);
		assert_int_equal(g->plen, want);
		assert_int_equal(g->tcp_flags, i + 1 < n ? TCP_ACK : TCP_ACK | TCP_PSH);
		if (!v6) {
			assert_int_equal(g->id, (uint16_t)(IP_ID0 + i));
			assert_true(g->df);
		}
	}
	assert_null(ns_channel_read(l));
}

/* ---------------------------------------------------------------- partial checksums */

/* NEEDS_CSUM on a packet of MTU size: a link that cannot finish it gets it finished in
 * software (Linux's skb_checksum_help() in validate_xmit_skb()), TCP and UDP, both
 * families. Before, the partial sum left as if it were the checksum. */
static void partial_checksum_finished_for_plain_link(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, 0);

	for (int v6 = 0; v6 < 2; v6++) {
		send_spec(t,
		          &(struct spec){
		              .v6 = v6, .proto = NS_IPPROTO_TCP, .plen = 1000, .csum = IN_PARTIAL});
		assert_false(take(l, v6, NS_IPPROTO_TCP)->partial);
		assert_int_equal(o.plen, 1000);
		send_spec(t,
		          &(struct spec){
		              .v6 = v6, .proto = NS_IPPROTO_UDP, .plen = 333, .csum = IN_PARTIAL});
		assert_false(take(l, v6, NS_IPPROTO_UDP)->partial);
	}
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 4);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* A link with TX checksum offload gets the packet partial, offsets intact. */
static void partial_checksum_left_for_offload_link(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, NS_CAP_TX_CSUM_OFFLOAD);

	for (int v6 = 0; v6 < 2; v6++) {
		send_spec(t,
		          &(struct spec){
		              .v6 = v6, .proto = NS_IPPROTO_TCP, .plen = 1000, .csum = IN_PARTIAL});
		assert_true(take(l, v6, NS_IPPROTO_TCP)->partial);
		send_spec(t, &(struct spec){
		                 .v6 = v6, .proto = NS_IPPROTO_UDP, .plen = 1, .csum = IN_PARTIAL});
		assert_true(take(l, v6, NS_IPPROTO_UDP)->partial);
	}
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* A complete checksum, verified by the link or not, goes on as it came (only the TTL and
 * the header checksum change): nothing recomputes it. */
static void complete_checksum_forwarded_as_is(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, CAPS_HW);
	struct spec sp = {.proto = NS_IPPROTO_TCP, .plen = 700, .csum = IN_FULL};
	uint32_t len = build(&sp);
	uint8_t want[ETH_LEN + 20 + TCP_HLEN + 700];

	memcpy(want, frame, len);
	inject(t, &sp, len);
	assert_false(take(l, false, NS_IPPROTO_TCP)->partial);
	/* The transport header and payload are byte for byte what came in. */
	assert_memory_equal(o.l4, want + ETH_LEN + 20, TCP_HLEN + 700);
	struct ns_pkt *p = ns_pkt_from(frame, len);
	p->flags = NS_PKT_CSUM_VERIFIED;
	ns_channel_inject(t->link, p);
	assert_false(take(l, false, NS_IPPROTO_TCP)->partial);
	assert_memory_equal(o.l4, want + ETH_LEN + 20, TCP_HLEN + 700);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* ---------------------------------------------------------------- GSO super-frames, IPv4 */

/* A link that segments takes the super-frame whole: its descriptor kept (type, MSS, the
 * offsets rebuilt from the headers), the checksum partial over the whole transport length
 * whatever the inbound field held (a GRO'd frame's is stale: Linux's tcp4_gso_segment()
 * rewrites it for a packet that is not CHECKSUM_PARTIAL). */
static void superframe_whole_to_segmenting_link(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, CAPS_HW);

	for (int c = IN_PARTIAL; c <= IN_VALID; c++) {
		send_spec(t, &(struct spec){.proto = NS_IPPROTO_TCP,
		                            .plen = 10 * MSS4 + 100,
		                            .csum = (enum csum_in)c,
		                            .gso_mss = MSS4});
		take(l, false, NS_IPPROTO_TCP);
		assert_true(o.partial);
		assert_int_equal(o.gso.type, NS_GSO_TCPV4);
		assert_int_equal(o.gso.mss, MSS4);
		assert_int_equal(o.gso.l3_len, 20);
		assert_int_equal(o.gso.csum_off, 16);
		assert_int_equal(o.plen, 10 * MSS4 + 100);
		assert_int_equal(o.seq, SEQ0);
		assert_null(ns_channel_read(l));
	}
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 2);
	assert_int_equal(nt_stat(t, NS_STAT_GSO_SW_SEGMENTS), 0);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* A link that does not segment gets the segments (software GSO in the NIC), each with its
 * checksum computed; one that finishes checksums gets them partial. */
static void superframe_segmented_for_other_links(void **state)
{
	struct nt *t = *state;

	for (int caps = 0; caps < 2; caps++) {
		struct ns_link *l = nic2(t, 1500, caps ? NS_CAP_TX_CSUM_OFFLOAD : 0);

		for (int c = IN_PARTIAL; c <= IN_VALID; c++) {
			send_spec(t, &(struct spec){.proto = NS_IPPROTO_TCP,
			                            .plen = 7 * MSS4 + 5,
			                            .csum = (enum csum_in)c,
			                            .gso_mss = MSS4});
			expect_segments(l, false, 7 * MSS4 + 5, MSS4, caps);
		}
		nic2_del(t, l);
	}
	assert_int_equal(nt_stat(t, NS_STAT_GSO_SW_SEGMENTS), 4 * 8);
	nt_expect_nothing(t);
}

/* Linux's skb_gso_validate_network_len(): the MTU applies to each segment the super-frame
 * stands for, not to the super-frame. A segment of exactly the MTU goes; one byte more
 * and a DF super-frame gets "fragmentation needed" with the MTU (RFC 1191 3). */
static void superframe_mtu_checked_per_segment(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1400, CAPS_HW);
	uint32_t fit = 1400 - 20 - TCP_HLEN;

	send_spec(t, &(struct spec){.proto = NS_IPPROTO_TCP,
	                            .plen = 9 * fit,
	                            .csum = IN_PARTIAL,
	                            .gso_mss = (uint16_t)fit});
	take(l, false, NS_IPPROTO_TCP);
	assert_int_equal(o.gso.mss, fit);
	assert_int_equal(o.plen, 9 * fit);
	assert_null(ns_channel_read(l));
	send_spec(t, &(struct spec){.proto = NS_IPPROTO_TCP,
	                            .plen = 9 * (fit + 1),
	                            .csum = IN_PARTIAL,
	                            .gso_mss = (uint16_t)(fit + 1)});
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                          .mtu = 1400, .src = NT_ADDR_US, .dst = NT_ADDR_PEER));
	assert_null(ns_channel_read(l));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TOO_BIG), 1);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* Without DF, segments too big for the next link are cut from the super-frame and each is
 * fragmented (Linux's ip_finish_output_gso()): every fragment fits, and each segment,
 * reassembled, has its sequence number, payload and a right checksum. */
static void superframe_without_df_segmented_then_fragmented(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1000, CAPS_HW);
	static uint8_t seg[2000];
	uint32_t segs = 4, plen = segs * MSS4;

	send_spec(t, &(struct spec){.proto = NS_IPPROTO_TCP,
	                            .plen = plen,
	                            .no_df = true,
	                            .csum = IN_PARTIAL,
	                            .gso_mss = MSS4});
	for (uint32_t i = 0; i < segs; i++) {
		uint32_t have = 0;
		uint16_t id = 0;
		uint8_t ip[20] = {0};

		/* One segment: 1480 transport bytes, in fragments of 976 and 504. */
		do {
			take(l, false, NS_IPPROTO_TCP);
			assert_int_equal(o.gso.type, NS_GSO_NONE);
			assert_false(o.partial);
			assert_true(o.ip_len <= 1000);
			assert_int_equal(o.frag_off, have);
			if (!have) {
				id = o.id;
				memcpy(ip, o.b + ETH_LEN, 20);
			}
			assert_int_equal(o.id, id);
			memcpy(seg + have, o.l4, o.l4_len);
			have += o.l4_len;
		} while (o.mf);
		assert_int_equal(have, TCP_HLEN + MSS4);
		assert_int_equal(rd32(seg + 4), SEQ0 + i * MSS4);
		assert_int_equal(
		    csum_fold(csum_partial(seg, have, pseudo(false, ip, NS_IPPROTO_TCP, have))),
		    0xffff);
		for (uint32_t k = 0; k < MSS4; k++)
			assert_int_equal(seg[TCP_HLEN + k], pat(i * MSS4 + k));
	}
	assert_null(ns_channel_read(l));
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* A UDP super-frame (UDP_SEGMENT): each segment is a datagram of its own. */
static void udp_superframe_segmented(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, 0);

	send_spec(t, &(struct spec){.proto = NS_IPPROTO_UDP,
	                            .plen = 3 * 1000 + 1,
	                            .csum = IN_PARTIAL,
	                            .gso_mss = 1000});
	for (uint32_t i = 0; i < 4; i++) {
		take(l, false, NS_IPPROTO_UDP);
		assert_int_equal(o.l4_len, 8 + (i < 3 ? 1000 : 1));
		assert_int_equal(rd16(o.l4 + 4), o.l4_len);
		for (uint32_t k = 0; k < o.l4_len - 8; k++)
			assert_int_equal(o.l4[8 + k], pat(i * 1000 + k));
	}
	assert_null(ns_channel_read(l));
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* Offload metadata that does not match the headers is dropped as malformed, never sent
 * on with a checksum written somewhere else: a descriptor for the wrong protocol or
 * family, a zero MSS, checksum offsets inside the IP header or past the packet. */
static void bad_offload_metadata_dropped(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, 0);
	const struct spec bad[] = {
	    {.proto = NS_IPPROTO_UDP,
	     .plen = 3000,
	     .csum = IN_PARTIAL,
	     .gso_mss = 1000,
	     .gso_type = NS_GSO_TCPV4},
	    {.proto = NS_IPPROTO_TCP,
	     .plen = 3000,
	     .csum = IN_PARTIAL,
	     .gso_mss = 1000,
	     .gso_type = NS_GSO_TCPV6},
	    {.proto = NS_IPPROTO_TCP,
	     .plen = 3000,
	     .csum = IN_VALID,
	     .gso_mss = 1000,
	     .gso_type = 9},
	    {.proto = NS_IPPROTO_TCP, .plen = 100, .csum = IN_PARTIAL, .csum_start = 10},
	    {.proto = NS_IPPROTO_TCP, .plen = 100, .csum = IN_PARTIAL, .csum_start = 140},
	    {.v6 = true,
	     .proto = NS_IPPROTO_TCP,
	     .plen = 100,
	     .csum = IN_PARTIAL,
	     .csum_start = 30},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		send_spec(t, &bad[i]);
	/* A zero MSS: the descriptor says GSO but gives no size. */
	struct spec zero = {
	    .proto = NS_IPPROTO_TCP, .plen = 3000, .csum = IN_PARTIAL, .gso_mss = 1};
	uint32_t len = build(&zero);
	struct ns_pkt *p = ns_pkt_from(frame, len);
	p->flags = NS_PKT_CSUM_PARTIAL;
	p->csum_start = 20;
	p->csum_off = 16;
	p->gso.type = NS_GSO_TCPV4;
	ns_channel_inject(t->link, p);
	assert_null(ns_channel_read(l));
	assert_int_equal(nt_drops(t, NS_DROP_OFFLOAD_BAD), 7);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* ---------------------------------------------------------------- GSO super-frames, IPv6 */

/* Before, any super-frame longer than the link's MTU got a packet too big. */
static void v6_superframe_forwarded(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, CAPS_HW);

	send_spec(t, &(struct spec){.v6 = true,
	                            .proto = NS_IPPROTO_TCP,
	                            .plen = 20 * MSS6,
	                            .csum = IN_PARTIAL,
	                            .gso_mss = MSS6});
	take(l, true, NS_IPPROTO_TCP);
	assert_true(o.partial);
	assert_int_equal(o.gso.type, NS_GSO_TCPV6);
	assert_int_equal(o.gso.mss, MSS6);
	assert_int_equal(o.gso.l3_len, 40);
	assert_int_equal(o.plen, 20 * MSS6);
	assert_null(ns_channel_read(l));
	nic2_del(t, l);
	l = nic2(t, 1500, 0);
	for (int c = IN_PARTIAL; c <= IN_VALID; c++) {
		send_spec(t, &(struct spec){.v6 = true,
		                            .proto = NS_IPPROTO_TCP,
		                            .plen = 5 * MSS6,
		                            .csum = (enum csum_in)c,
		                            .gso_mss = MSS6});
		expect_segments(l, true, 5 * MSS6, MSS6, false);
	}
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 3);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

/* RFC 8200 5: routers do not fragment. Segments one byte over the MTU: packet too big
 * with the MTU, whatever the super-frame's length. */
static void v6_superframe_segments_too_big(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nic2(t, 1500, CAPS_HW);

	send_spec(t, &(struct spec){.v6 = true,
	                            .proto = NS_IPPROTO_TCP,
	                            .plen = 4 * (MSS6 + 1),
	                            .csum = IN_PARTIAL,
	                            .gso_mss = MSS6 + 1});
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1500,
	                            .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER));
	assert_null(ns_channel_read(l));
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_TOO_BIG), 1);
	nt_expect_nothing(t);
	nic2_del(t, l);
}

static int setup4(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.forwarding = true));
}

static int setup6(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.forwarding = true));
}

int main(void)
{
#define T4(f) cmocka_unit_test_setup_teardown(f, setup4, nt_cm_teardown)
#define T6(f) cmocka_unit_test_setup_teardown(f, setup6, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T6(partial_checksum_finished_for_plain_link),
	    T6(partial_checksum_left_for_offload_link),
	    T4(complete_checksum_forwarded_as_is),
	    T4(superframe_whole_to_segmenting_link),
	    T4(superframe_segmented_for_other_links),
	    T4(superframe_mtu_checked_per_segment),
	    T4(superframe_without_df_segmented_then_fragmented),
	    T4(udp_superframe_segmented),
	    T6(bad_offload_metadata_dropped),
	    T6(v6_superframe_forwarded),
	    T6(v6_superframe_segments_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
