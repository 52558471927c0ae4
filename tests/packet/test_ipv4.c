/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of IPv4 (src/net/ipv4.c): header validation with a drop reason per
 * fault (RFC 791, RFC 1122 3.2.1), lengths from the header not the frame, options,
 * fragments, source and destination rules, forwarding (RFC 1812) and the write path.
 */
#include <string.h>

#include "harness.h"
#include "wire/checksum.h"

#define REMOTE NT_ADDR_REMOTE

/* An echo request with 56 bytes of data: the frame the validation tests start from. */
static uint32_t echo_frame(uint8_t *buf, uint32_t cap)
{
	return nt_build_icmp(
	    NT_ICMP(.payload = "0123456789abcdef0123456789abcdef0123456789abcdef01234567"), buf,
	    cap);
}

/* ---------------------------------------------------------------- header validation */

static void truncated_frames_dropped_at_every_length(void **state)
{
	struct nt *t = *state;
	uint8_t frame[128];
	uint32_t n = echo_frame(frame, sizeof(frame));

	assert_int_equal(n, 14 + 20 + 8 + 56);
	for (uint32_t len = 0; len < n; len++)
		nt_send_frame(t, frame, len);
	nt_expect_nothing(t);
	/* Below the Ethernet header the link drops them; the rest are short IPv4. */
	assert_int_equal(t->link->rx_errors, 14);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TRUNCATED), n - 14);
	assert_int_equal(nt_stat(t, NS_STAT_RX_MALFORMED), n - 14);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RX), 0);
	/* The whole frame is still answered. */
	nt_send_frame(t, frame, n);
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .len = 56));
}

static void bad_header_checksum_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.ip_csum = 0xdead));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_CSUM), 1);
	assert_int_equal(nt_stat(t, NS_STAT_RX_MALFORMED), 1);
}

static void bad_version_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.version = 6));
	nt_send_icmp_echo(t, NT_ICMP(.version = 5));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_VERSION), 2);
}

static void ihl_below_five_dropped(void **state)
{
	struct nt *t = *state;

	for (int ihl = 0; ihl < 5; ihl++)
		nt_send_icmp_echo(t, NT_ICMP(.ihl = ihl));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_IHL), 5);
}

static void ihl_beyond_total_length_dropped(void **state)
{
	struct nt *t = *state;

	/* A 28-byte datagram whose header claims 32 or 60 bytes. */
	nt_send_icmp_echo(t, NT_ICMP(.ihl = 8));
	nt_send_icmp_echo(t, NT_ICMP(.ihl = 15));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_IHL), 2);
}

static void total_length_beyond_frame_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.payload = "abcd", .ip_len = 100));
	/* Longer than the 60-byte frame the link delivers, too. */
	nt_send_icmp_echo(t, NT_ICMP(.ip_len = 47));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TRUNCATED), 2);
}

static void total_length_below_header_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.ip_len = 19));
	nt_send_icmp_echo(t, NT_ICMP(.ip_len = 0));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_TOTAL_LEN), 2);
}

static void reserved_flag_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t frame[128];
	uint32_t n = echo_frame(frame, sizeof(frame));

	/* RFC 791 3.1: bit 0 of the flags must be zero; fix the checksum so only it is
	 * wrong. */
	frame[14 + 6] |= 0x80;
	wr16(frame + 14 + 10, 0);
	wr16(frame + 14 + 10, csum_finish(csum_partial(frame + 14, 20, 0)));
	nt_send_frame(t, frame, n);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_FLAGS), 1);
}

static void padded_short_frame_uses_ip_length(void **state)
{
	struct nt *t = *state;
	const char data[] = "fourteen bytes";

	/* A 42-byte datagram in a 60-byte frame whose padding is not zero: the reply must
	 * echo exactly the 14 bytes the IP length covers. */
	nt_send_icmp_echo(t, NT_ICMP(.payload = data, .len = 14, .pad = 0xa5, .frame_len = 60));
	nt_expect_icmp(
	    t, NT_ICMP(.ip_len = 42, .type = ICMPV4_ECHO_REPLY, .payload = data, .len = 14));
	/* The same datagram with a whole MTU of trailing junk. */
	nt_send_icmp_echo(t, NT_ICMP(.payload = data, .len = 14, .pad = 0x5a, .frame_len = 1514));
	nt_expect_icmp(
	    t, NT_ICMP(.ip_len = 42, .type = ICMPV4_ECHO_REPLY, .payload = data, .len = 14));
}

/* ---------------------------------------------------------------- options */

static void options_skipped(void **state)
{
	struct nt *t = *state;
	/* NOP, then an RFC 791 timestamp option (type 68, length 12, pointer 5, flags 0)
	 * with room for two stamps, then End of Option List and padding. */
	const uint8_t opts[16] = {1, 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = opts, .ip_opts_len = 16, .payload = "opt"));
	/* Answered; our reply carries no options. */
	nt_expect_icmp(t, NT_ICMP(.ihl = 5, .type = ICMPV4_ECHO_REPLY, .payload = "opt"));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_OPTIONS), 0);
}

static void malformed_options_dropped(void **state)
{
	struct nt *t = *state;
	const uint8_t too_long[4] = {68, 12, 5, 0}; /* length runs past the header */
	const uint8_t too_short[4] = {1, 7, 1, 0};  /* length below 2 */
	const uint8_t cut[4] = {1, 1, 1, 130};      /* no room for the length octet */

	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = too_long, .ip_opts_len = 4));
	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = too_short, .ip_opts_len = 4));
	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = cut, .ip_opts_len = 4));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_OPTIONS), 3);
}

/* ---------------------------------------------------------------- delivery rules */

/* Fragments wait for their datagram (the rules are test_frag.c's): nothing is delivered
 * or answered until it is whole. */
static void fragments_held_for_reassembly(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.mf = 1, .payload = "first..."));
	nt_send_udp(t, NT_UDP(.mf = 1, .frag_off = 1480, .dport = 9999));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_REQDS), 2);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RX), 0);
	assert_int_equal(nt_stat(t, NS_STAT_UDP_RX), 0);
}

static void not_for_us_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.dst = NT_V4(192, 0, 2, 99)));
	nt_send_icmp_echo(t, NT_ICMP(.dst = REMOTE));
	/* A multicast group we are not in. */
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC(1, 0, 0x5e, 0, 0, 0xfb),
	                      .dst = NT_V4(224, 0, 0, 251), .dport = 5353));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NOT_FOR_US), 3);
}

static void bad_sources_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.src = NT_ADDR_BCAST));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(192, 0, 2, 255)));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(224, 0, 0, 5)));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(127, 0, 0, 1)));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_ADDR_US));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_ADDR_ZERO));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 6);
}

static void promiscuous_accepts_any_destination(void **state)
{
	struct nt *t = *state;

	assert_int_equal(ns_stack_set_promiscuous(t->s, NT_NIC, true), NS_OK);
	assert_int_equal(ns_stack_set_spoofing(t->s, NT_NIC, true), NS_OK);
	nt_send_icmp_echo(t, NT_ICMP(.dst = REMOTE, .payload = "x"));
	/* Answered from the address it was sent to (spoofing lets us use it). */
	nt_expect_icmp(t, NT_ICMP(.src = REMOTE, .dst = NT_ADDR_PEER, .type = ICMPV4_ECHO_REPLY,
	                          .payload = "x"));
}

/* ---------------------------------------------------------------- forwarding */

static int setup_forwarding(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.forwarding = true));
}

static void forwarded_with_ttl_decremented(void **state)
{
	struct nt *t = *state;

	/* From the peer to a host behind it: out again through the default route, with the
	 * TTL one lower and a valid (incrementally updated) checksum. */
	nt_send_udp(t, NT_UDP(.src = NT_V4(192, 0, 2, 7), .dst = REMOTE, .ttl = 9, .tos = 0x10,
	                      .ip_id = 0x7777, .dport = 53, .payload = "query"));
	nt_expect_udp(t, NT_UDP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER,
	                        .src = NT_V4(192, 0, 2, 7), .dst = REMOTE, .ttl = 8, .tos = 0x10,
	                        .ip_id = 0x7777, .dport = 53, .payload = "query"));
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
}

static void forward_ttl_expiry_sends_time_exceeded(void **state)
{
	struct nt *t = *state;

	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ttl = 1));
	nt_expect_icmp(t, NT_ICMP(.src = NT_ADDR_US, .dst = NT_ADDR_PEER,
	                          .type = ICMPV4_TIME_EXCEEDED, .code = 0));
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ttl = 0));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_TIME_EXCEEDED, .code = 0));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TTL_EXPIRED), 2);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
}

static void link_local_and_martians_not_forwarded(void **state)
{
	struct nt *t = *state;

	/* RFC 3927 7 and RFC 1812 5.3.7. */
	nt_send_udp(t, NT_UDP(.dst = NT_V4(169, 254, 1, 1)));
	nt_send_udp(t, NT_UDP(.src = NT_V4(169, 254, 1, 1), .dst = REMOTE));
	nt_send_udp(t, NT_UDP(.dst = NT_V4(240, 0, 0, 1)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_MARTIAN), 3);
	/* A source in 0.0.0.0/8 no longer gets this far: it is a martian source on input
	 * (RFC 1122 3.2.1.3; Linux), forwarded or not. */
	nt_send_udp(t, NT_UDP(.src = NT_V4(0, 1, 2, 3), .dst = REMOTE));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 1);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
}

static void forward_beyond_mtu_needs_fragmentation(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nt_add_small_nic(t);
	static uint8_t data[1000];
	struct ns_pkt *p;

	/* DF: "fragmentation needed" with the next-hop MTU (RFC 1191 3). */
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .df = 1, .payload = data, .len = sizeof(data)));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                          .mtu = 576));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TOO_BIG), 1);
	/* Without DF it is fragmented (test_frag.c checks the fragments). */
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .payload = data, .len = sizeof(data)));
	nt_expect_nothing(t);
	for (int i = 0; i < 2; i++) {
		p = ns_channel_read(l);
		assert_non_null(p);
		ns_pkt_free(p);
	}
	assert_null(ns_channel_read(l));
	/* What fits goes through the small NIC. */
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .payload = data, .len = 500));
	p = ns_channel_read(l);
	assert_non_null(p);
	assert_int_equal(p->len, 14 + 20 + 8 + 500);
	ns_pkt_free(p);
	nt_remove_small_nic(t, l);
}

static void not_forwarded_when_forwarding_is_off(void **state)
{
	struct nt *t = *state;

	nt_send_udp(t, NT_UDP(.dst = REMOTE));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NOT_FOR_US), 1);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
}

/* ---------------------------------------------------------------- the write path */

static int setup_probe(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.probe = true));
}

static void write_builds_header(void **state)
{
	struct nt *t = *state;
	struct nt_probe p;
	const struct nt_frame *f;
	uint16_t id;

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	assert_int_equal(nt_probe_send(t, &p, 10, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER,
	                              .src = NT_ADDR_US, .dst = NT_ADDR_PEER, .version = 4,
	                              .ihl = 5, .tos = 0, .ip_len = 20 + 8 + 10, .df = 0, .mf = 0,
	                              .frag_off = 0, .ttl = 64, .ip_proto = NT_PROBE_PROTO));
	id = f->ip.id;
	assert_int_equal(
	    nt_probe_send(t, &p, 0, &(struct ns_write_params){.ttl = 5, .tos = 0xb8, .df = true}),
	    NS_OK);
	nt_expect_ipv4(
	    t, NT_IPV4(.ip_len = 28, .ttl = 5, .tos = 0xb8, .df = 1, .ip_id = (uint16_t)(id + 1)));
	nt_probe_close(t, &p);
}

static void write_larger_than_mtu_refused(void **state)
{
	struct nt *t = *state;
	struct nt_probe p;

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	/* 20 + 8 + 1473 > 1500 with DF: refused (EMSGSIZE); without, test_frag.c. */
	assert_int_equal(nt_probe_send(t, &p, 1473, &(struct ns_write_params){.df = true}),
	                 NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	assert_int_equal(nt_probe_send(t, &p, 1472, NULL), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 1500, .frame_len = 1514));
	nt_probe_close(t, &p);
}

static void write_to_own_address_loops_back(void **state)
{
	struct nt *t = *state;
	struct nt_probe a, b;

	nt_probe_open(t, &a, 1000, NT_ADDR_US, 2000);
	nt_probe_open(t, &b, 2000, NT_ADDR_US, 1000);
	assert_int_equal(nt_probe_send(t, &a, 5, NULL), NS_OK);
	assert_int_equal(b.delivered, 1);
	assert_int_equal(a.delivered, 0);
	nt_expect_nothing(t);
	nt_probe_close(t, &a);
	nt_probe_close(t, &b);
}

static void write_broadcast_goes_to_broadcast_mac(void **state)
{
	struct nt *t = *state;
	struct nt_probe p;

	nt_probe_open(t, &p, 1000, NT_ADDR_BCAST, 2000);
	assert_int_equal(nt_probe_send(t, &p, 4, NULL), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_BCAST, .src = NT_ADDR_US, .dst = NT_ADDR_BCAST,
	                          .ip_proto = NT_PROBE_PROTO));
	/* The looped copy found no listener and, being a broadcast, got no ICMP error. */
	nt_expect_nothing(t);
	nt_probe_close(t, &p);
}

static void echo_to_own_address_answered_locally(void **state)
{
	struct nt *t = *state;
	struct ns_pkt *pkt = ns_pkt_alloc(NS_PKT_HEADROOM + ICMPV4_HLEN, 4);
	struct icmpv4_repr m = {.type = ICMPV4_ECHO_REQUEST, .id = 1, .seq = 2};
	struct ns_addr us = NT_ADDR_US;
	struct ns_route r;

	memcpy(ns_pkt_data(pkt), "self", 4);
	icmpv4_emit(&m, ns_pkt_push(pkt, NS_HDR_TRANSPORT, ICMPV4_HLEN), ICMPV4_HLEN + 4);
	pkt->transproto = IP_PROTO_ICMP;
	assert_int_equal(ns_route_find(t->s, 0, NULL, &us, &r), NS_OK);
	assert_true(r.flags & NS_ROUTE_LOCAL);
	assert_int_equal(ns_netproto_write(t->s, &r, pkt, NULL), NS_OK);
	/* Request and reply both stayed inside the stack. */
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_REPLY_TX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RX), 2);
}

/* ---------------------------------------------------------------- review regressions */

static void this_network_sources_dropped(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep;
	struct ns_sockaddr b = {.addr = NT_ADDR_ZERO, .port = 67};
	char buf[8];

	/* RFC 1122 3.2.1.3 (a)/(b): 0.0.0.0/8 names no host we could answer (a ping from
	 * 0.1.2.3 used to be answered). */
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(0, 1, 2, 3)));
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(0, 0, 0, 1)));
	nt_send_udp(t, NT_UDP(.src = NT_V4(0, 255, 255, 255), .dport = 9999));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 3);
	/* 0.0.0.0 itself to a broadcast is a DHCP client (RFC 2131 4.1): delivered. */
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &ep), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &b), NS_OK);
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .src = NT_ADDR_ZERO, .dst = NT_ADDR_BCAST,
	                      .sport = 68, .dport = 67, .payload = "dhcp"));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_OK);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 3);
	ns_ep_close(ep);
}

static void source_route_options_dropped(void **state)
{
	struct nt *t = *state;
	/* LSRR and SSRR (RFC 791 3.1) with one hop, then End of Option List. */
	const uint8_t lsrr[8] = {0x83, 7, 4, 10, 0, 0, 1, 0};
	const uint8_t ssrr[8] = {0x89, 7, 4, 10, 0, 0, 1, 0};
	/* Record route (7) is harmless: still answered. */
	const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};

	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = lsrr, .ip_opts_len = 8, .payload = "l"));
	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = ssrr, .ip_opts_len = 8, .payload = "s"));
	nt_send_udp(t, NT_UDP(.ip_opts = lsrr, .ip_opts_len = 8, .dport = 9999));
	/* RFC 7126 4.3/4.4, Linux accept_source_route=0: dropped, no reply, no error. */
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_SOURCE_ROUTE), 3);
	nt_send_icmp_echo(t, NT_ICMP(.ip_opts = rr, .ip_opts_len = 8, .payload = "r"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .payload = "r"));
}

static void source_route_not_forwarded(void **state)
{
	struct nt *t = *state;
	const uint8_t lsrr[8] = {0x83, 7, 4, 10, 0, 0, 1, 0};

	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ip_opts = lsrr, .ip_opts_len = 8));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_SOURCE_ROUTE), 1);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
}

static void link_broadcast_for_unicast_destination_not_forwarded(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nt_add_small_nic(t);
	struct ns_pkt *p;

	/* RFC 1812 5.3.4: a datagram that came as a link-layer broadcast or multicast is not
	 * forwarded (Linux: ip_forward drops what is not PACKET_HOST). It used to be. */
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .dst = REMOTE, .payload = "b"));
	nt_send_udp(
	    t, NT_UDP(.eth_dst = NT_MAC(0x01, 0, 0x5e, 0, 0, 1), .dst = REMOTE, .payload = "m"));
	assert_int_equal(ns_channel_pending(l), 0);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_LINK_BCAST), 2);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
	/* Sent to our MAC, the same datagram is forwarded. */
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .payload = "u"));
	p = ns_channel_read(l);
	assert_non_null(p);
	ns_pkt_free(p);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
	nt_remove_small_nic(t, l);
}

static void address_of_another_nic_is_local(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = nt_add_small_nic(t);

	/* The weak host model (RFC 1122 3.3.4.2; Linux): 198.51.100.1 is NIC 2's, the ping
	 * arrives on NIC 1 and is answered there, from that address. */
	nt_send_icmp_echo(t, NT_ICMP(.dst = NT_V4(198, 51, 100, 1), .payload = "weak"));
	nt_expect_icmp(t,
	               NT_ICMP(.eth_dst = NT_MAC_PEER, .src = NT_V4(198, 51, 100, 1),
	                       .dst = NT_ADDR_PEER, .type = ICMPV4_ECHO_REPLY, .payload = "weak"));
	/* A closed port there is answered like one of NIC 1's. */
	nt_send_udp(t, NT_UDP(.dst = NT_V4(198, 51, 100, 1), .dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.src = NT_V4(198, 51, 100, 1), .type = ICMPV4_DEST_UNREACH,
	                          .code = ICMPV4_UNREACH_PORT));
	/* Its directed broadcast stays NIC 2's: on NIC 1 it is no broadcast, and not ours. */
	nt_send_udp(t, NT_UDP(.dst = NT_V4(198, 51, 100, 255), .dport = 9999));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NOT_FOR_US), 1);
	/* A source claiming NIC 2's address from outside is a martian. */
	nt_send_icmp_echo(t, NT_ICMP(.src = NT_V4(198, 51, 100, 1)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 1);
	assert_int_equal(ns_channel_pending(l), 0);
	nt_remove_small_nic(t, l);
}

static void ip_id_counters_are_per_destination(void **state)
{
	struct nt *t = *state;
	struct nt_probe a, b;
	const struct nt_frame *f;
	uint16_t a1, a2, b1, b2;

	nt_probe_open(t, &a, 1000, NT_ADDR_PEER, 2000);
	nt_probe_open(t, &b, 1001, REMOTE, 2000);
	assert_int_equal(nt_probe_send(t, &a, 1, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = NT_ADDR_PEER));
	a1 = f->ip.id;
	assert_int_equal(nt_probe_send(t, &b, 1, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = REMOTE));
	b1 = f->ip.id;
	assert_int_equal(nt_probe_send(t, &a, 1, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = NT_ADDR_PEER));
	a2 = f->ip.id;
	assert_int_equal(nt_probe_send(t, &b, 1, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = REMOTE));
	b2 = f->ip.id;
	/* RFC 7739 5.3 / RFC 6864: sequential per (src, dst, proto)... */
	assert_int_equal(a2, (uint16_t)(a1 + 1));
	assert_int_equal(b2, (uint16_t)(b1 + 1));
	/* ... but not one global counter: the traffic to REMOTE did not move PEER's ids,
	 * and REMOTE's ids do not continue PEER's sequence. */
	assert_int_not_equal(b1, (uint16_t)(a1 + 1));
	/* After an idle while a counter jumps by a random amount (Linux), still unique. */
	nt_advance(t, 10 * NS_SEC);
	assert_int_equal(nt_probe_send(t, &a, 1, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = NT_ADDR_PEER));
	assert_int_not_equal(f->ip.id, a2);
	nt_probe_close(t, &a);
	nt_probe_close(t, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)  cmocka_unit_test_setup_teardown(fn, nt_cm_setup, nt_cm_teardown)
#define TF(fn) cmocka_unit_test_setup_teardown(fn, setup_forwarding, nt_cm_teardown)
#define TP(fn) cmocka_unit_test_setup_teardown(fn, setup_probe, nt_cm_teardown)
	    T(truncated_frames_dropped_at_every_length),
	    T(bad_header_checksum_dropped),
	    T(bad_version_dropped),
	    T(ihl_below_five_dropped),
	    T(ihl_beyond_total_length_dropped),
	    T(total_length_beyond_frame_dropped),
	    T(total_length_below_header_dropped),
	    T(reserved_flag_dropped),
	    T(padded_short_frame_uses_ip_length),
	    T(options_skipped),
	    T(malformed_options_dropped),
	    T(fragments_held_for_reassembly),
	    T(not_for_us_dropped),
	    T(bad_sources_dropped),
	    T(promiscuous_accepts_any_destination),
	    TF(forwarded_with_ttl_decremented),
	    TF(forward_ttl_expiry_sends_time_exceeded),
	    TF(link_local_and_martians_not_forwarded),
	    TF(forward_beyond_mtu_needs_fragmentation),
	    T(not_forwarded_when_forwarding_is_off),
	    TP(write_builds_header),
	    TP(write_larger_than_mtu_refused),
	    TP(write_to_own_address_loops_back),
	    TP(write_broadcast_goes_to_broadcast_mac),
	    T(echo_to_own_address_answered_locally),
	    T(this_network_sources_dropped),
	    T(source_route_options_dropped),
	    TF(source_route_not_forwarded),
	    TF(link_broadcast_for_unicast_destination_not_forwarded),
	    T(address_of_another_nic_is_local),
	    TP(ip_id_counters_are_per_destination),
#undef T
#undef TF
#undef TP
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
