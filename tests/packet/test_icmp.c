/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of ICMPv4 (src/net/icmpv4.c): echo (RFC 792, RFC 1122 3.2.2.6),
 * errors sent (RFC 1122 3.2.2, RFC 1812 4.3.2.3 quoting, the rate limit) and errors
 * received (mapped to NS_CTRL_* for the transport).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "wire/checksum.h"

static uint8_t pattern[2048];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
}

/* ---------------------------------------------------------------- echo */

static void echo_round_trip(struct nt *t, uint32_t n)
{
	nt_send_icmp_echo(t, NT_ICMP(.id = 0xbeef, .seq = 77, .payload = pattern, .len = n));
	nt_expect_icmp(t, NT_ICMP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER, .src = NT_ADDR_US,
	                          .dst = NT_ADDR_PEER, .ttl = 64, .ip_len = 28 + n, .mf = 0,
	                          .frag_off = 0, .type = ICMPV4_ECHO_REPLY, .code = 0, .id = 0xbeef,
	                          .seq = 77, .payload = pattern, .len = n));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_RX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_REPLY_TX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_TX), 1);
}

static void echo_reply_empty_payload(void **state)
{
	echo_round_trip(*state, 0);
}

static void echo_reply_one_byte(void **state)
{
	echo_round_trip(*state, 1);
}

static void echo_reply_56_bytes(void **state)
{
	echo_round_trip(*state, 56);
}

static void echo_reply_full_mtu(void **state)
{
	echo_round_trip(*state, 1472);
}

static void echo_reply_keeps_tos(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.tos = 0x28, .payload = "abc"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .tos = 0x28, .payload = "abc"));
}

static void echo_to_broadcast_ignored(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.eth_dst = NT_MAC_BCAST, .dst = NT_ADDR_BCAST));
	nt_send_icmp_echo(t, NT_ICMP(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255)));
	nt_send_icmp_echo(
	    t, NT_ICMP(.eth_dst = NT_MAC(0x01, 0, 0x5e, 0, 0, 1), .dst = NT_V4(224, 0, 0, 1)));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_RX), 3);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_ECHO_BCAST), 3);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_TX), 0);
}

static void echo_with_bad_checksum_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_icmp_echo(t, NT_ICMP(.csum = 0x1234, .payload = "data"));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_BAD_CSUM), 1);
	assert_int_equal(nt_stat(t, NS_STAT_RX_MALFORMED), 1);
}

static void icmp_shorter_than_header_dropped(void **state)
{
	struct nt *t = *state;

	nt_send_ipv4(t,
	             NT_IPV4(.ip_proto = IP_PROTO_ICMP, .payload = "\x08\x00\xf7\xff", .len = 4));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_TRUNCATED), 1);
}

static void echo_reply_and_unknown_types_not_answered(void **state)
{
	struct nt *t = *state;

	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY));
	nt_send_icmp(t, NT_ICMP(.type = 42, .rest = 0));
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_TIMESTAMP, .payload = "123456789012", .len = 12));
	nt_expect_nothing(t);
	/* The echo reply went looking for a ping endpoint (test_ping_ep.c) and found none. */
	assert_int_equal(nt_drops(t, NS_DROP_PING_NO_ENDPOINT), 1);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_UNHANDLED), 2);
}

/* ---------------------------------------------------------------- errors sent */

static void protocol_unreachable_quotes_datagram(void **state)
{
	struct nt *t = *state;
	uint8_t frame[128];
	uint32_t n = nt_build_ipv4(NT_IPV4(.ip_proto = 253, .payload = "twelve bytes", .len = 12),
	                           frame, sizeof(frame));

	nt_send_frame(t, frame, n);
	/* RFC 1122 3.2.2.1: code 2; the quote is the whole 32-byte datagram (not the frame
	 * padding). TOS: internetwork control, as Linux. */
	nt_expect_icmp(t, NT_ICMP(.src = NT_ADDR_US, .dst = NT_ADDR_PEER, .tos = 0xc0, .ttl = 64,
	                          .type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PROTO,
	                          .rest = 0, .payload = frame + 14, .len = 32));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NO_PROTO), 1);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_DEST_UNREACH_TX), 1);
}

static void port_unreachable_for_closed_udp_port(void **state)
{
	struct nt *t = *state;
	uint8_t frame[128];
	uint32_t n = nt_build_udp(NT_UDP(.sport = 5555, .dport = 9999, .payload = "ping"), frame,
	                          sizeof(frame));

	nt_send_frame(t, frame, n);
	nt_expect_icmp(t, NT_ICMP(.src = NT_ADDR_US, .dst = NT_ADDR_PEER, .eth_dst = NT_MAC_PEER,
	                          .type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT,
	                          .payload = frame + 14, .len = 20 + 8 + 4));
	assert_int_equal(nt_stat(t, NS_STAT_UDP_NO_PORT), 1);
	assert_int_equal(nt_drops(t, NS_DROP_PORT_UNREACHABLE), 1);
}

static void error_quote_limited_to_576_bytes(void **state)
{
	struct nt *t = *state;
	uint8_t frame[1600];
	uint32_t n = nt_build_udp(NT_UDP(.dport = 9999, .payload = pattern, .len = 1000), frame,
	                          sizeof(frame));

	nt_send_frame(t, frame, n);
	/* RFC 1812 4.3.2.3: as much as fits in 576 bytes: 576 - 20 - 8 quoted. */
	nt_expect_icmp(t, NT_ICMP(.ip_len = 576, .type = ICMPV4_DEST_UNREACH,
	                          .code = ICMPV4_UNREACH_PORT, .payload = frame + 14, .len = 548));
}

static void error_rate_limit_lets_first_out_and_refills(void **state)
{
	struct nt *t = *state;

	/* Burst 2, one token a second. */
	for (int i = 0; i < 5; i++)
		nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 3);

	nt_advance(t, 999 * NS_MSEC);
	nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_expect_nothing(t);
	nt_advance(t, 1 * NS_MSEC);
	nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 5);

	/* A quiet period fills the bucket again: a new burst of two. */
	nt_advance(t, 10 * NS_SEC);
	for (int i = 0; i < 3; i++)
		nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_DEST_UNREACH_TX), 5);
}

static int setup_rate(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.icmp_rate = 1, .icmp_burst = 2));
}

static void no_error_about_broadcast(void **state)
{
	struct nt *t = *state;

	/* RFC 1122 3.2.2: nothing about IP broadcasts, multicasts, or link broadcasts. */
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .dst = NT_ADDR_BCAST, .dport = 9999));
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255), .dport = 9));
	nt_send_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_BCAST, .dst = NT_ADDR_BCAST, .ip_proto = 253));
	nt_send_udp(t, NT_UDP(.eth_dst = NT_MAC_BCAST, .dport = 9999));
	nt_send_ipv4(t, NT_IPV4(.eth_dst = NT_MAC(0x01, 0, 0x5e, 0, 0, 1),
	                        .dst = NT_V4(224, 0, 0, 1), .ip_proto = 253));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_TX), 0);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NO_PROTO), 2);
}

static void no_error_about_non_unicast_source(void **state)
{
	struct nt *t = *state;

	/* Class E passes the IPv4 source check but names no host (RFC 1122 3.2.2). */
	nt_send_ipv4(t, NT_IPV4(.src = NT_V4(240, 0, 0, 1), .ip_proto = 253));
	nt_send_udp(t, NT_UDP(.src = NT_V4(250, 1, 2, 3), .dport = 9999));
	/* Zero and loopback sources do not even get that far (martians). */
	nt_send_udp(t, NT_UDP(.src = NT_ADDR_ZERO, .dport = 9999));
	nt_send_ipv4(t, NT_IPV4(.src = NT_V4(127, 0, 0, 1), .ip_proto = 253));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_TX), 0);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NO_PROTO), 1);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_BAD_SRC), 2);
}

/* Forwarding makes the stack send errors about ICMP messages and fragments in transit. */
static int setup_forwarding(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.forwarding = true));
}

#define REMOTE NT_V4(198, 51, 100, 9)

static void time_exceeded_quotes_forwarded_datagram(void **state)
{
	struct nt *t = *state;
	uint8_t frame[128];
	uint32_t n = nt_build_icmp(NT_ICMP(.dst = REMOTE, .ttl = 1, .payload = "abcdefgh"), frame,
	                           sizeof(frame));

	nt_send_frame(t, frame, n);
	nt_expect_icmp(t,
	               NT_ICMP(.src = NT_ADDR_US, .dst = NT_ADDR_PEER, .type = ICMPV4_TIME_EXCEEDED,
	                       .code = ICMPV4_EXC_TTL, .payload = frame + 14, .len = 36));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TTL_EXPIRED), 1);
}

static void no_error_about_icmp_error(void **state)
{
	struct nt *t = *state;
	uint8_t quote[28] = {0x45, 0, 0,   28, 0,   0, 0,   0, 64, 17,
	                     0,    0, 198, 51, 100, 9, 192, 0, 2,  1};

	/* RFC 1122 3.2.2: an ICMP error in transit whose TTL runs out gets no error... */
	nt_send_icmp(t,
	             NT_ICMP(.dst = REMOTE, .ttl = 1, .type = ICMPV4_DEST_UNREACH,
	                     .code = ICMPV4_UNREACH_PORT, .rest = 0, .payload = quote, .len = 28));
	/* ... nor does an ICMP type we do not know (Linux's rule). */
	nt_send_icmp(t, NT_ICMP(.dst = REMOTE, .ttl = 1, .type = 42, .rest = 0));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TTL_EXPIRED), 2);
	/* An ICMP query does. */
	nt_send_icmp_echo(t, NT_ICMP(.dst = REMOTE, .ttl = 1));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_TIME_EXCEEDED));
}

static void no_error_about_later_fragment(void **state)
{
	struct nt *t = *state;

	/* RFC 1122 3.2.2: only about the first fragment. */
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ttl = 1, .frag_off = 8, .mf = 1));
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ttl = 1, .frag_off = 16));
	nt_expect_nothing(t);
	nt_send_udp(t, NT_UDP(.dst = REMOTE, .ttl = 1, .mf = 1));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_TIME_EXCEEDED));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TTL_EXPIRED), 3);
}

/* ---------------------------------------------------------------- errors received */

static int setup_probe(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.probe = true));
}

/* An ICMP error from the peer quoting a probe datagram we sent from port 1000 to 2000. */
static void send_error_about_probe(struct nt *t, int64_t type, int64_t code, int64_t rest)
{
	const uint8_t quote[28] = {0x45, 0,    0,    36,   0x12, 0x34, 0x40, 0, 64, NT_PROBE_PROTO,
	                           0,    0,    192,  0,    2,    2,    192,  0, 2,  1,
	                           0x03, 0xe8, 0x07, 0xd0, 0,    16,   0,    0};

	nt_send_icmp(t, NT_ICMP(.type = type, .code = code, .rest = rest, .payload = quote,
	                        .len = sizeof(quote)));
}

static void errors_received_reach_the_endpoint(void **state)
{
	static const struct {
		uint8_t type, code;
		uint32_t rest;
		enum ns_ctrl ctrl;
		uint32_t info;
	} cases[] = {
	    {ICMPV4_DEST_UNREACH, 0, 0, NS_CTRL_NET_UNREACHABLE, 0},
	    {ICMPV4_DEST_UNREACH, 1, 0, NS_CTRL_HOST_UNREACHABLE, 0},
	    {ICMPV4_DEST_UNREACH, 2, 0, NS_CTRL_PROTO_UNREACHABLE, 0},
	    {ICMPV4_DEST_UNREACH, 3, 0, NS_CTRL_PORT_UNREACHABLE, 0},
	    {ICMPV4_DEST_UNREACH, 4, 1400, NS_CTRL_PACKET_TOO_BIG, 1400},
	    {ICMPV4_DEST_UNREACH, 9, 0, NS_CTRL_ADMIN_PROHIBITED, 0},
	    {ICMPV4_DEST_UNREACH, 10, 0, NS_CTRL_ADMIN_PROHIBITED, 0},
	    {ICMPV4_DEST_UNREACH, 13, 0, NS_CTRL_ADMIN_PROHIBITED, 0},
	    {ICMPV4_TIME_EXCEEDED, 0, 0, NS_CTRL_TIME_EXCEEDED, 0},
	    {ICMPV4_TIME_EXCEEDED, 1, 0, NS_CTRL_TIME_EXCEEDED, 0},
	    {ICMPV4_PARAM_PROBLEM, 0, 9u << 24, NS_CTRL_PARAM_PROBLEM, 9},
	};
	static const uint8_t ports[8] = {0x03, 0xe8, 0x07, 0xd0, 0, 16, 0, 0};
	struct nt *t = *state;
	struct nt_probe p;

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_error_about_probe(t, cases[i].type, cases[i].code, cases[i].rest);
		assert_int_equal(p.controls, i + 1);
		assert_int_equal(p.ctrl, cases[i].ctrl);
		assert_int_equal(p.info, cases[i].info);
		assert_memory_equal(p.quote, ports, sizeof(ports));
	}
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ERRORS_RX), sizeof(cases) / sizeof(cases[0]));
	nt_probe_close(t, &p);
}

static void error_with_bad_quote_dropped(void **state)
{
	struct nt *t = *state;
	struct nt_probe p;
	uint8_t quote[28] = {0x45, 0,    0,    36,   0, 0,  0x40, 0, 64, NT_PROBE_PROTO,
	                     0,    0,    192,  0,    2, 2,  192,  0, 2,  1,
	                     0x03, 0xe8, 0x07, 0xd0, 0, 16, 0,    0};

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	/* Fewer than 8 bytes of the quoted transport header. */
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = 3, .rest = 0, .payload = quote,
	                        .len = 27));
	/* Not IPv4. */
	quote[0] = 0x65;
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = 3, .rest = 0, .payload = quote,
	                        .len = 28));
	/* IHL below 5. */
	quote[0] = 0x44;
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = 3, .rest = 0, .payload = quote,
	                        .len = 28));
	/* Nothing quoted at all. */
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_TIME_EXCEEDED, .code = 0, .rest = 0));
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_BAD_QUOTE), 4);
	assert_int_equal(p.controls, 0);
	nt_expect_nothing(t);
	nt_probe_close(t, &p);
}

static void error_about_unknown_endpoint_ignored(void **state)
{
	struct nt *t = *state;

	/* No endpoint sent the quoted datagram: nothing happens, nothing is answered. */
	send_error_about_probe(t, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PORT, 0);
	send_error_about_probe(t, ICMPV4_DEST_UNREACH, 99, 0);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ERRORS_RX), 2);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_UNHANDLED), 1);
}

/* ---------------------------------------------------------------- review regressions */

static void error_rate_limit_per_peer_lets_first_error_to_another_peer_out(void **state)
{
	struct nt *t = *state;
	struct ns_addr b = NT_V4(192, 0, 2, 7);
	struct ns_mac bmac = {{0x02, 0, 0, 0, 0, 0x07}};

	assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &b, &bmac), NS_OK);
	/* One host provokes 200 errors at once: it gets its own burst (6, as Linux's per-peer
	 * limit), not the whole stack-wide budget (50). */
	for (int i = 0; i < 200; i++)
		nt_send_udp(t, NT_UDP(.dport = 9999));
	assert_int_equal(nt_discard(t), 6);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 194);
	/* The first error to another peer goes out (it used to find the bucket empty). */
	nt_send_udp(t, NT_UDP(.eth_src = NT_MAC(0x02, 0, 0, 0, 0, 0x07), .src = b, .dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC(0x02, 0, 0, 0, 0, 0x07), .dst = b,
	                          .type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT));
	nt_expect_nothing(t);
	/* The flooder earns one token a second. */
	nt_advance(t, NS_SEC);
	nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_send_udp(t, NT_UDP(.dport = 9999));
	nt_expect_icmp(t, NT_ICMP(.dst = NT_ADDR_PEER, .type = ICMPV4_DEST_UNREACH));
	nt_expect_nothing(t);
}

static void error_rate_limit_stack_wide_bucket_still_caps_many_peers(void **state)
{
	struct nt *t = *state;
	char buf[32];

	/* 60 different peers (behind the gateway), one error each: the per-peer buckets all
	 * allow, the stack-wide one (burst 50) stops the rest. */
	for (int i = 0; i < 60; i++) {
		struct ns_addr src;

		snprintf(buf, sizeof(buf), "198.51.100.%d", i + 1);
		assert_true(ns_addr_parse(buf, &src));
		nt_send_udp(t, NT_UDP(.src = src, .dport = 9999));
	}
	assert_int_equal(nt_discard(t), 50);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 10);
}

static void echo_request_turned_into_reply_in_place(void **state)
{
	struct nt *t = *state;
	uint8_t buf[256];
	uint32_t n = nt_build_icmp(
	    NT_ICMP(.type = ICMPV4_ECHO_REQUEST, .id = 0x77, .seq = 9, .payload = "in place"), buf,
	    sizeof(buf));
	struct ns_pkt *req = ns_pkt_from(buf, n), *rep;
	const uint8_t *ip, *icmp;

	assert_non_null(req);
	ns_channel_inject(t->link, req);
	rep = ns_channel_read(t->link);
	/* The request's own buffer carries the reply: nothing was allocated or copied. */
	assert_ptr_equal(rep, req);
	ip = ns_pkt_data(rep) + 14;
	icmp = ip + 20;
	assert_memory_equal(ip + 12, NT_ADDR_US.a, 4);
	assert_memory_equal(ip + 16, NT_ADDR_PEER.a, 4);
	assert_int_equal(icmp[0], ICMPV4_ECHO_REPLY);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(rd16(icmp + 4), 0x77);
	assert_int_equal(rd16(icmp + 6), 9);
	assert_memory_equal(icmp + 8, "in place", 8);
	/* RFC 1624: the incrementally updated checksum verifies. */
	assert_int_equal(csum_fold(csum_partial(icmp, 16, 0)), 0xffff);
	assert_int_equal(csum_fold(csum_partial(ip, 20, 0)), 0xffff);
	ns_pkt_free(rep);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_ECHO_REPLY_TX), 1);
	nt_expect_nothing(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(echo_reply_empty_payload, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_reply_one_byte, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_reply_56_bytes, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_reply_full_mtu, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_reply_keeps_tos, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_to_broadcast_ignored, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_with_bad_checksum_dropped, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(icmp_shorter_than_header_dropped, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_reply_and_unknown_types_not_answered, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(protocol_unreachable_quotes_datagram, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(port_unreachable_for_closed_udp_port, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(error_quote_limited_to_576_bytes, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(error_rate_limit_lets_first_out_and_refills, setup_rate,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(no_error_about_broadcast, nt_cm_setup, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(no_error_about_non_unicast_source, nt_cm_setup,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(time_exceeded_quotes_forwarded_datagram,
	                                    setup_forwarding, nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(no_error_about_icmp_error, setup_forwarding,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(no_error_about_later_fragment, setup_forwarding,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(errors_received_reach_the_endpoint, setup_probe,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(error_with_bad_quote_dropped, setup_probe,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(error_about_unknown_endpoint_ignored, setup_probe,
	                                    nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(
	        error_rate_limit_per_peer_lets_first_error_to_another_peer_out, nt_cm_setup,
	        nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(
	        error_rate_limit_stack_wide_bucket_still_caps_many_peers, nt_cm_setup,
	        nt_cm_teardown),
	    cmocka_unit_test_setup_teardown(echo_request_turned_into_reply_in_place, nt_cm_setup,
	                                    nt_cm_teardown),
	};

	fill_pattern();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
