/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: IPv6 header validation and the extension-header chain (RFC 8200), on the
 * harness6 world. An ICMPv6 echo request is the upper layer that shows a packet got
 * through: its reply comes back; a refused packet is answered with the parameter problem
 * RFC 8200 4 asks for (pointer checked) or dropped with its counted reason.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"

#define SEQ 5

static void send_echo(struct nt *t, uint8_t nh, const uint8_t *ext, size_t len)
{
	nt6_send_icmp(t, NT6_ICMP(.nh = nh, .ext = ext, .ext_len = (int64_t)len, .seq = SEQ,
	                          .payload = "chain"));
}

static void expect_echo_reply(struct nt *t)
{
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_ADDR_US,
	                            .dst = NT6_ADDR_PEER, .seq = SEQ, .payload = "chain",
	                            .hop_limit = 64, .nh = IPV6_NH_ICMPV6));
}

/* The parameter problem for the packet just sent: code, pointer, and the quote. */
static void expect_param_problem(struct nt *t, uint8_t code, uint32_t ptr)
{
	const struct nt6_frame *f =
	    nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PARAM_PROBLEM, .code = code, .rest = ptr,
	                                .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER));
	struct ns_addr peer = NT6_ADDR_PEER;

	/* RFC 4443 3.4: the invoking packet, from its IPv6 header. */
	assert_true(f->payload_len >= IPV6_HLEN);
	assert_int_equal(ipv6_get_version(f->payload), 6);
	assert_memory_equal(ipv6_get_src(f->payload), peer.a, 16);
}

/* One extension header of @type whose next header is @next: 8 bytes (options headers
 * carry a PadN of 4, a routing header is type 0 with segments left 0, a fragment header
 * is atomic). */
static size_t ext_hdr(uint8_t *p, uint8_t type, uint8_t next)
{
	memset(p, 0, 8);
	p[0] = next;
	switch (type) {
	case IPV6_NH_HOPOPTS:
	case IPV6_NH_DSTOPTS:
		p[2] = IPV6_OPT_PADN;
		p[3] = 4;
		break;
	case IPV6_NH_ROUTING:
		p[2] = IPV6_RT_TYPE0;
		p[3] = 0;
		break;
	case IPV6_NH_FRAGMENT:
		p[4] = 0x12; /* an identification; offset 0, M clear */
		break;
	}
	return 8;
}

/* A chain of @n headers of @types, the last naming @upper; returns its length. */
static size_t chain(uint8_t *buf, const uint8_t *types, size_t n, uint8_t upper)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += ext_hdr(buf + len, types[i], i + 1 < n ? types[i + 1] : upper);
	return len;
}

/* ---------------------------------------------------------------- header validation */

static void echo_request_answered(void **state)
{
	struct nt *t = *state;
	const struct nt6_frame *f;

	nt6_send_icmp(t, NT6_ICMP(.seq = 9, .tclass = 0x28, .payload = "hello v6"));
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .code = 0, .id = NT_DEF_ECHO_ID,
	                                .seq = 9, .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER,
	                                .hop_limit = 64, .tclass = 0x28, .payload = "hello v6",
	                                .eth_dst = NT_MAC_PEER, .eth_src = NT_MAC_US));
	/* RFC 6437: a flow label hashed from the flow, never 0. */
	assert_int_not_equal(f->ip.flow, 0);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ECHO_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ECHO_REPLY_TX), 1);
	nt_expect_nothing(t);
}

/* The flow label of one flow stays the same; another flow's differs. */
static void flow_label_stable_per_flow(void **state)
{
	struct nt *t = *state;
	uint32_t a, b;

	nt6_send_icmp(t, NT6_ICMP(.seq = 1));
	a = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY))->ip.flow;
	nt6_send_icmp(t, NT6_ICMP(.seq = 2));
	b = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY))->ip.flow;
	assert_int_equal(a, b);
	nt6_send_icmp(t, NT6_ICMP(.seq = 3, .src = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 7)));
	b = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY))->ip.flow;
	assert_int_not_equal(a, b);
	nt_expect_nothing(t);
}

static void truncated_and_bad_version_dropped(void **state)
{
	struct nt *t = *state;

	/* A payload length longer than the frame. */
	nt6_send_icmp(t, NT6_ICMP(.plen = 200));
	/* A frame shorter than the fixed header. */
	nt6_send_icmp(t, NT6_ICMP(.frame_len = 14 + 39));
	nt6_send_icmp(t, NT6_ICMP(.version = 4));
	nt6_send_icmp(t, NT6_ICMP(.version = 7));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_TRUNCATED), 2);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_VERSION), 2);
}

/* Frames shorter than 60 bytes arrive padded: lengths come from the IPv6 header. A
 * payload length shorter than what follows trims it (here, the echo data). */
static void padding_trimmed(void **state)
{
	struct nt *t = *state;

	nt6_send_icmp(t, NT6_ICMP(.seq = 3, .payload = "abc", .frame_len = 200, .pad = 0x55));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .seq = 3, .payload = "abc"));
	nt_expect_nothing(t);
}

static void bad_addresses_dropped(void **state)
{
	struct nt *t = *state;

	/* RFC 4291 2.7: no multicast source. */
	nt6_send_icmp(t, NT6_ICMP(.src = NT6_ALL_NODES));
	/* 2.5.5.2: no v4-mapped source or destination on the wire. */
	nt6_send_icmp(t, NT6_ICMP(.src = NT6([10] = 0xff, [11] = 0xff, 192, 0, 2, 1)));
	nt6_send_icmp(t, NT6_ICMP(.dst = NT6([10] = 0xff, [11] = 0xff, 192, 0, 2, 2)));
	/* 2.5.3: loopback never arrives from a link. */
	nt6_send_icmp(t, NT6_ICMP(.src = NT6([15] = 1)));
	nt6_send_icmp(t, NT6_ICMP(.dst = NT6([15] = 1)));
	/* 2.7: multicast of scope 0 (reserved) or 1 (interface-local) from outside. */
	nt6_send_icmp(t, NT6_ICMP(.dst = NT6(0xff, 0x00, [15] = 1)));
	nt6_send_icmp(t, NT6_ICMP(.dst = NT6(0xff, 0x01, [15] = 1)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_SRC), 3);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_DST), 4);
}

static void not_ours_dropped(void **state)
{
	struct nt *t = *state;

	nt6_send_icmp(t, NT6_ICMP(.dst = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 9)));
	/* A group we have not joined. */
	nt6_send_icmp(t, NT6_ICMP(.dst = NT6(0xff, 0x02, [15] = 0x99)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 2);
}

/* RFC 4443 4.1: an echo request to a group we are in is answered from a unicast address;
 * to the link-local all-nodes group too. */
static void multicast_echo_answered_from_unicast(void **state)
{
	struct nt *t = *state;

	nt6_send_icmp(t, NT6_ICMP(.dst = NT6_ALL_NODES, .seq = 4));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_ADDR_US,
	                            .dst = NT6_ADDR_PEER, .seq = 4));
	/* From a link-local source: answered from our link-local address. */
	{
		struct ns_addr ll = NT6_LL_PEER;

		assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &ll, &NT_MAC_PEER.m),
		                 NS_OK);
	}
	nt6_send_icmp(t, NT6_ICMP(.src = NT6_LL_PEER, .dst = NT6_ALL_NODES, .seq = 5));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_LL_US, .dst = NT6_LL_PEER,
	                            .seq = 5, .eth_dst = NT_MAC_PEER));
	nt_expect_nothing(t);
}

/* The link-local address came up with the first address: EUI-64 of 02:00:00:00:00:02. */
static void link_local_answers(void **state)
{
	struct nt *t = *state;
	struct ns_addr ll = NT6_LL_US;

	assert_int_equal(ns_ipv6_addr_state(t->s, NT_NIC, &ll), NS_IPV6_ADDR_PREFERRED);
	nt6_send_icmp(t, NT6_ICMP(.src = NT6_LL_PEER, .dst = NT6_LL_US, .seq = 8));
	/* The peer's link-local address is unknown: resolved first (RFC 4861 7.2.2), from
	 * the address the reply will come from. */
	{
		struct ndp_repr r;
		struct ns_mac m;

		nt6_expect_nd(t, ICMPV6_ND_NS,
		              NT6_ICMP(.src = NT6_LL_US, .dst = NT6_SNODE(0, 0, 1)), &r);
		assert_true(nt6_nd_lla(&r, NDP_OPT_SLLA, &m));
		assert_memory_equal(m.b, NT_MAC_US.m.b, 6);
	}
	{
		uint8_t body[32];
		struct ns_addr peer = NT6_LL_PEER;
		uint32_t n = nt6_nd_target(body, &peer, NDP_OPT_TLLA, &NT_MAC_PEER.m, NULL);

		nt6_send_icmp(t,
		              NT6_ICMP(.type = ICMPV6_ND_NA, .src = NT6_LL_PEER, .dst = NT6_LL_US,
		                       .hop_limit = 255,
		                       .rest = (int64_t)(NDP_NA_SOLICITED | NDP_NA_OVERRIDE) << 24,
		                       .payload = body, .len = n));
	}
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_LL_US, .dst = NT6_LL_PEER,
	                            .seq = 8, .eth_dst = NT_MAC_PEER));
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- extension headers */

/* RFC 8200 4.1: any order, any number of times; hop-by-hop only first. */
static void every_legal_order_delivered(void **state)
{
	static const uint8_t orders[][3] = {
	    {IPV6_NH_DSTOPTS, IPV6_NH_ROUTING, IPV6_NH_FRAGMENT},
	    {IPV6_NH_DSTOPTS, IPV6_NH_FRAGMENT, IPV6_NH_ROUTING},
	    {IPV6_NH_ROUTING, IPV6_NH_DSTOPTS, IPV6_NH_FRAGMENT},
	    {IPV6_NH_ROUTING, IPV6_NH_FRAGMENT, IPV6_NH_DSTOPTS},
	    {IPV6_NH_FRAGMENT, IPV6_NH_DSTOPTS, IPV6_NH_ROUTING},
	    {IPV6_NH_FRAGMENT, IPV6_NH_ROUTING, IPV6_NH_DSTOPTS},
	};
	struct nt *t = *state;
	uint8_t types[8], ext[64];
	int sent = 0;

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		for (int hbh = 0; hbh < 2; hbh++) {
			for (size_t k = 0; k <= 3; k++) {
				size_t n = 0, len;

				if (hbh)
					types[n++] = IPV6_NH_HOPOPTS;
				for (size_t i = 0; i < k; i++)
					types[n++] = orders[o][i];
				if (n == 0)
					continue;
				len = chain(ext, types, n, IPV6_NH_ICMPV6);
				send_echo(t, types[0], ext, len);
				expect_echo_reply(t);
				sent++;
			}
		}
	}
	/* Destination options twice (before a routing header and at the end, RFC 8200 4.1),
	 * and the recommended full order. */
	{
		static const uint8_t twice[] = {IPV6_NH_HOPOPTS, IPV6_NH_DSTOPTS, IPV6_NH_ROUTING,
		                                IPV6_NH_FRAGMENT, IPV6_NH_DSTOPTS};
		size_t len = chain(ext, twice, sizeof(twice), IPV6_NH_ICMPV6);

		send_echo(t, IPV6_NH_HOPOPTS, ext, len);
		expect_echo_reply(t);
		sent++;
	}
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ECHO_REPLY_TX), sent);
	nt_expect_nothing(t);
}

/* RFC 8200 4.1: a hop-by-hop header after another header is an unrecognised next header:
 * parameter problem code 1 pointing at the octet that named it (as Linux). */
static void hop_by_hop_not_first_refused(void **state)
{
	static const uint8_t types[] = {IPV6_NH_DSTOPTS, IPV6_NH_HOPOPTS};
	struct nt *t = *state;
	uint8_t ext[16];
	size_t len = chain(ext, types, 2, IPV6_NH_ICMPV6);

	send_echo(t, IPV6_NH_DSTOPTS, ext, len);
	expect_param_problem(t, ICMPV6_PARAM_NEXT_HDR, IPV6_HLEN); /* the dst header's NH */
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_NEXT_HEADER), 1);
	nt_expect_nothing(t);
}

/* An options header with one option of @type (4 data bytes) naming @next. */
static void opt_hdr(uint8_t p[8], uint8_t next, uint8_t type)
{
	p[0] = next;
	p[1] = 0;
	p[2] = type;
	p[3] = 4;
	memset(p + 4, 0, 4);
}

/* RFC 8200 4.2: the two high bits of an unrecognised option's type. */
static void unknown_option_actions(void **state)
{
	struct nt *t = *state;
	uint8_t d[8];

	/* 00: skipped. */
	opt_hdr(d, IPV6_NH_ICMPV6, 0x1e);
	send_echo(t, IPV6_NH_DSTOPTS, d, 8);
	expect_echo_reply(t);
	/* 01: dropped silently. */
	opt_hdr(d, IPV6_NH_ICMPV6, 0x5e);
	send_echo(t, IPV6_NH_DSTOPTS, d, 8);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_OPTION), 1);
	/* 10: parameter problem code 2 at the option's type octet (40 + 2). */
	opt_hdr(d, IPV6_NH_ICMPV6, 0x9e);
	send_echo(t, IPV6_NH_DSTOPTS, d, 8);
	expect_param_problem(t, ICMPV6_PARAM_OPTION, IPV6_HLEN + 2);
	/* 11: the same, to a unicast destination. */
	opt_hdr(d, IPV6_NH_ICMPV6, 0xde);
	send_echo(t, IPV6_NH_DSTOPTS, d, 8);
	expect_param_problem(t, ICMPV6_PARAM_OPTION, IPV6_HLEN + 2);
	/* The same in a hop-by-hop header. */
	opt_hdr(d, IPV6_NH_ICMPV6, 0x9e);
	send_echo(t, IPV6_NH_HOPOPTS, d, 8);
	expect_param_problem(t, ICMPV6_PARAM_OPTION, IPV6_HLEN + 2);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_OPTION), 4);
	nt_expect_nothing(t);
}

/* RFC 4443 2.4(e.3) and RFC 8200 4.2: to a multicast destination, action 10 is answered
 * and action 11 is not. */
static void unknown_option_multicast_rule(void **state)
{
	struct nt *t = *state;
	uint8_t d[8];

	opt_hdr(d, IPV6_NH_ICMPV6, 0x9e);
	nt6_send_icmp(
	    t, NT6_ICMP(.dst = NT6_ALL_NODES, .nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8));
	nt6_expect_icmp(t,
	                NT6_ICMP(.type = ICMPV6_PARAM_PROBLEM, .code = ICMPV6_PARAM_OPTION,
	                         .rest = IPV6_HLEN + 2, .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER));
	opt_hdr(d, IPV6_NH_ICMPV6, 0xde);
	nt6_send_icmp(
	    t, NT6_ICMP(.dst = NT6_ALL_NODES, .nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8));
	nt_expect_nothing(t);
	/* A unicast destination sent as a link-layer multicast (2.4(e.4)): action 11 is not
	 * answered there either. */
	nt6_send_icmp(t, NT6_ICMP(.eth_dst = NT_MAC(0x33, 0x33, 0, 0, 0, 1), .nh = IPV6_NH_DSTOPTS,
	                          .ext = d, .ext_len = 8));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_OPTION), 3);
}

/* RFC 4942 2.1.9.5 (and Linux): padding carries zeros and runs at most 7 bytes. */
static void bad_padding_dropped(void **state)
{
	static const uint8_t nonzero_padn[8] = {IPV6_NH_ICMPV6, 0, IPV6_OPT_PADN, 4, 0, 1, 0, 0};
	static const uint8_t long_pad[16] = {IPV6_NH_ICMPV6, 1, IPV6_OPT_PADN, 12};
	static const uint8_t pad1s[8] = {IPV6_NH_ICMPV6, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t overrun[8] = {IPV6_NH_ICMPV6, 0, 0x1e, 9, 0, 0, 0, 0};
	struct nt *t = *state;

	send_echo(t, IPV6_NH_DSTOPTS, nonzero_padn, 8);
	send_echo(t, IPV6_NH_DSTOPTS, long_pad, 16);
	send_echo(t, IPV6_NH_DSTOPTS, overrun, 8);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_OPTIONS), 3);
	/* Six Pad1 in a row are fine. */
	send_echo(t, IPV6_NH_DSTOPTS, pad1s, 8);
	expect_echo_reply(t);
	nt_expect_nothing(t);
}

/* Linux's default: at most 8 options (besides padding) per options header. */
static void too_many_options_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t d[24] = {IPV6_NH_ICMPV6, 2};

	for (int i = 0; i < 9; i++) {
		d[2 + 2 * i] = 0x1e; /* skippable, no data */
		d[3 + 2 * i] = 0;
	}
	d[20] = IPV6_OPT_PADN;
	d[21] = 2;
	send_echo(t, IPV6_NH_DSTOPTS, d, 24);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_EXT_LIMIT), 1);
	/* Eight are accepted. */
	d[18] = IPV6_OPT_PADN;
	d[19] = 0;
	send_echo(t, IPV6_NH_DSTOPTS, d, 24);
	expect_echo_reply(t);
}

static void too_many_headers_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t types[17], ext[17 * 8];
	size_t len;

	for (int i = 0; i < 17; i++)
		types[i] = IPV6_NH_DSTOPTS;
	len = chain(ext, types, 17, IPV6_NH_ICMPV6);
	send_echo(t, IPV6_NH_DSTOPTS, ext, len);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_EXT_LIMIT), 1);
	len = chain(ext, types, 16, IPV6_NH_ICMPV6);
	send_echo(t, IPV6_NH_DSTOPTS, ext, len);
	expect_echo_reply(t);
}

/* RFC 8200 4.4 and RFC 5095 3: routing headers with segments left. */
static void routing_headers(void **state)
{
	struct nt *t = *state;
	uint8_t rh[24] = {IPV6_NH_ICMPV6, 2, IPV6_RT_TYPE0, 1};

	/* Type 0 with an address left to visit: refused at its type (Linux's pointer 42). */
	memcpy(rh + 8, NT6_ADDR_PEER.a, 16);
	send_echo(t, IPV6_NH_ROUTING, rh, 24);
	expect_param_problem(t, ICMPV6_PARAM_HEADER, IPV6_HLEN + 2);
	/* An unknown type (Segment Routing, 4) with segments left: the same. */
	rh[2] = 4;
	send_echo(t, IPV6_NH_ROUTING, rh, 24);
	expect_param_problem(t, ICMPV6_PARAM_HEADER, IPV6_HLEN + 2);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_ROUTING), 2);
	/* Segments left 0: ignored, whatever the type. */
	rh[3] = 0;
	send_echo(t, IPV6_NH_ROUTING, rh, 24);
	expect_echo_reply(t);
	rh[2] = IPV6_RT_TYPE0;
	send_echo(t, IPV6_NH_ROUTING, rh, 24);
	expect_echo_reply(t);
	nt_expect_nothing(t);
}

/* RFC 8200 4: an unrecognised next header gets code 1 pointing at the octet naming it. */
static void unknown_next_header(void **state)
{
	struct nt *t = *state;
	uint8_t d[8];

	nt6_send_raw(t, NT6_RAW(.nh = 253, .payload = "whatever"));
	expect_param_problem(t, ICMPV6_PARAM_NEXT_HDR, 6); /* in the IPv6 header */
	ext_hdr(d, IPV6_NH_DSTOPTS, 253);
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8, .upper = 253,
	                        .payload = "payload!"));
	expect_param_problem(t, ICMPV6_PARAM_NEXT_HDR, IPV6_HLEN); /* Linux's pointer 40 */
	/* AH and ESP are extension headers nothing here implements. */
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_ESP, .payload = "encrypted....."));
	expect_param_problem(t, ICMPV6_PARAM_NEXT_HDR, 6);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_NEXT_HEADER), 3);
	nt_expect_nothing(t);
}

/* RFC 8200 4.7: No Next Header ends the packet, silently. */
static void no_next_header(void **state)
{
	struct nt *t = *state;
	uint8_t d[8];

	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_NONE, .payload = "ignored"));
	ext_hdr(d, IPV6_NH_DSTOPTS, IPV6_NH_NONE);
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NO_NEXT_HEADER), 2);
}

static void truncated_extension_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t d[8];

	/* Hdr Ext Len 1 (16 bytes) with 8 present. */
	ext_hdr(d, IPV6_NH_DSTOPTS, IPV6_NH_ICMPV6);
	d[1] = 1;
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8, .upper = 58));
	/* A header whose first octets are cut. */
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_HOPOPTS, .payload = "x", .len = 1));
	nt6_send_raw(t, NT6_RAW(.nh = IPV6_NH_FRAGMENT, .payload = "1234567", .len = 7));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_BAD_EXT), 3);
}

/* A real fragment goes to reassembly (test_frag6.c covers it): this one, with more to come
 * and 13 bytes, is refused with a parameter problem at the Payload Length (RFC 8200 4.5);
 * an atomic one (RFC 6946) is read through at once. */
static void fragments(void **state)
{
	struct nt *t = *state;
	uint8_t f[8] = {IPV6_NH_ICMPV6, 0, 0, 1, 0, 0, 0, 7}; /* offset 0, M set */

	send_echo(t, IPV6_NH_FRAGMENT, f, 8);
	expect_param_problem(t, 0, 4);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 1);
	f[3] = 0;
	send_echo(t, IPV6_NH_FRAGMENT, f, 8);
	expect_echo_reply(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(echo_request_answered),
	    T(flow_label_stable_per_flow),
	    T(truncated_and_bad_version_dropped),
	    T(padding_trimmed),
	    T(bad_addresses_dropped),
	    T(not_ours_dropped),
	    T(multicast_echo_answered_from_unicast),
	    T(link_local_answers),
	    T(every_legal_order_delivered),
	    T(hop_by_hop_not_first_refused),
	    T(unknown_option_actions),
	    T(unknown_option_multicast_rule),
	    T(bad_padding_dropped),
	    T(too_many_options_dropped),
	    T(too_many_headers_dropped),
	    T(routing_headers),
	    T(unknown_next_header),
	    T(no_next_header),
	    T(truncated_extension_dropped),
	    T(fragments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
