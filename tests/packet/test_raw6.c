/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of raw IPv6 endpoints (src/raw/raw.c, Linux raw(7) and ipv6(7)): they
 * read from the upper-layer header on, after any extension headers; ICMPv6 ones have their
 * checksum verified and computed (and IPV6_CHECKSUM does the same for other protocols),
 * ICMP6_FILTER; IPV6_HDRINCL sends as written; errors; a protocol only they speak gets no
 * parameter problem.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/raw.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define PROTO_X 253

/* ---------------------------------------------------------------- receive */

/* A raw ICMPv6 endpoint reads the echo request from its ICMPv6 header on (no IPv6 header,
 * as Linux), while the stack still answers. */
static void raw6_reads_upper_layer(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_ICMPV6);
	uint8_t frame[256], buf[256];
	struct ns_read_result res;
	uint32_t n =
	    nt6_build_icmp(NT6_ICMP(.id = 9, .seq = 2, .payload = "six"), frame, sizeof(frame));

	nt_send_frame(t, frame, n);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .id = 9, .seq = 2));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), 11);
	assert_memory_equal(buf, frame + 14 + 40, 11);
	assert_true(ns_addr_eq(&res.from.addr, &NT6_ADDR_PEER));
	assert_int_equal(res.from.port, 0);
	assert_int_equal(res.from.nic, NT_NIC);
	nt_expect_empty(ep);
	ns_ep_close(ep);
}

/* Extension headers are the network layer's: the endpoint reads what follows them. */
static void raw6_reads_after_extension_headers(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	/* Destination options: next header 253, length 0, PadN of 4. */
	static const uint8_t dopts[8] = {PROTO_X, 0, 1, 4, 0, 0, 0, 0};
	uint8_t buf[64];

	nt6_send_raw(t, NT6_RAW(.nh = 60, .ext = dopts, .ext_len = 8, .payload = "after ext"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 9);
	assert_memory_equal(buf, "after ext", 9);
	nt_expect_nothing(t); /* taken by a raw endpoint: no parameter problem */
	ns_ep_close(ep);
}

/* Without a raw endpoint an unknown next header gets a parameter problem; with one it is
 * taken (Linux). */
static void raw6_silences_parameter_problem(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep;

	nt6_send_raw(t, NT6_RAW(.payload = "x"));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PARAM_PROBLEM, .code = ICMPV6_PARAM_NEXT_HDR));
	ep = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	nt6_send_raw(t, NT6_RAW(.payload = "x"));
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

/* ICMPv6 raw endpoints verify the checksum (rawv6_rcv_skb()): a bad one is not read. */
static void raw6_icmpv6_checksum_verified(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_ICMPV6),
	             *x = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	uint8_t buf[64];
	int64_t v;

	assert_int_equal(ns_ep_get_opt(ep, NS_IPV6_CHECKSUM, &v), NS_OK);
	assert_int_equal(v, 2);
	assert_int_equal(ns_ep_get_opt(x, NS_IPV6_CHECKSUM, &v), NS_OK);
	assert_int_equal(v, -1);
	nt6_send_icmp(t, NT6_ICMP(.csum = 0x1234));
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_RAW_BAD_CSUM), 1);
	assert_int_equal(nt_drops(t, NS_DROP_ICMPV6_BAD_CSUM), 1);
	nt_expect_nothing(t);
	/* A protocol without a checksum offset reads whatever came. */
	nt6_send_raw(t, NT6_RAW(.payload = "\xff\xff\xff\xff", .len = 4));
	assert_int_equal(nt_read(x, buf, sizeof(buf), NULL), 4);
	ns_ep_close(ep);
	ns_ep_close(x);
}

/* ICMP6_FILTER: set bits block types; short messages never reach the endpoint. */
static void raw6_icmp6_filter(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_ICMPV6),
	             *x = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	struct ns_ep *v4 = NULL;
	uint32_t f[8] = {0}, g[8];
	uint8_t buf[64];

	assert_int_equal(ns_ep_new_raw(t->s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &v4), NS_OK);
	assert_int_equal(ns_ep_set_icmp6_filter(x, f), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_set_icmp6_filter(v4, f), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_set_opt(ep, NS_ICMP_FILTER, 1), NS_ERR_NOT_SUPPORTED);
	f[ICMPV6_ECHO_REQUEST >> 5] |= 1u << (ICMPV6_ECHO_REQUEST & 31);
	assert_int_equal(ns_ep_set_icmp6_filter(ep, f), NS_OK);
	assert_int_equal(ns_ep_get_icmp6_filter(ep, g), NS_OK);
	assert_memory_equal(f, g, sizeof(f));
	nt6_send_icmp(t, NT6_ICMP(.payload = "blocked"));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY));
	nt_expect_empty(ep);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .payload = "passes"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 14);
	assert_int_equal(buf[0], ICMPV6_ECHO_REPLY);
	ns_ep_close(ep);
	ns_ep_close(x);
	ns_ep_close(v4);
}

/* ---------------------------------------------------------------- send */

/* The stack's header: our address, the endpoint's protocol, NS_IP_TTL as the hop limit. */
static void raw6_send_with_stack_header(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, PROTO_X);

	assert_int_equal(nt_send_to(ep, "v6 raw", 6, NT6_ADDR_PEER), NS_OK);
	nt6_expect_raw(t, NT6_RAW(.eth_dst = NT_MAC_PEER, .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER,
	                          .nh = PROTO_X, .hop_limit = 64, .plen = 6, .payload = "v6 raw"));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TTL, 3), NS_OK);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TOS, 0x20), NS_OK);
	assert_int_equal(nt_send_to(ep, "h", 1, NT6_ADDR_PEER), NS_OK);
	nt6_expect_raw(t, NT6_RAW(.hop_limit = 3, .tclass = 0x20, .payload = "h"));
	ns_ep_close(ep);
}

/* An ICMPv6 raw endpoint's messages get their checksum from the stack, whatever the caller
 * wrote; too short to hold it is refused. */
static void raw6_icmpv6_checksum_computed(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_ICMPV6);
	uint8_t m[12] = {ICMPV6_ECHO_REQUEST, 0, 0xde, 0xad, 0, 7, 0, 1, 'a', 'b', 'c', 'd'};

	assert_int_equal(nt_send_to(ep, m, sizeof(m), NT6_ADDR_PEER), NS_OK);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REQUEST, .id = 7, .seq = 1,
	                            .payload = "abcd")); /* the checker sums it */
	assert_int_equal(nt_send_to(ep, m, 3, NT6_ADDR_PEER), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_set_opt(ep, NS_IPV6_CHECKSUM, 4), NS_ERR_INVALID_ARGUMENT);
	ns_ep_close(ep);
}

/* IPV6_CHECKSUM on a raw UDP endpoint: the stack sums at the offset both ways. */
static void raw6_ipv6_checksum_option(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_UDP);
	uint8_t u[12] = {0x9c, 0x40, 0, 7, 0, 12, 0xff, 0xff, 'd', 'a', 't', 'a'};
	uint8_t buf[64];
	int64_t v;

	assert_int_equal(ns_ep_set_opt(ep, NS_IPV6_CHECKSUM, 5), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_set_opt(ep, NS_IPV6_CHECKSUM, 6), NS_OK);
	assert_int_equal(ns_ep_get_opt(ep, NS_IPV6_CHECKSUM, &v), NS_OK);
	assert_int_equal(v, 6);
	assert_int_equal(nt_send_to(ep, u, sizeof(u), NT6_ADDR_PEER), NS_OK);
	nt6_expect_udp(t, NT6_UDP(.sport = 40000, .dport = 7, .payload = "data")); /* summed */
	assert_int_equal(nt_send_to(ep, u, 7, NT6_ADDR_PEER), NS_ERR_INVALID_ARGUMENT);
	/* Inbound: a right checksum is read, a wrong one is not. */
	nt6_send_udp(t, NT6_UDP(.dport = 9, .payload = "good"));
	nt_discard(t); /* the port unreachable */
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 12);
	nt6_send_udp(t, NT6_UDP(.dport = 9, .csum = 0x4321, .payload = "bad!"));
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_RAW_BAD_CSUM), 1);
	assert_int_equal(ns_ep_set_opt(ep, NS_IPV6_CHECKSUM, -1), NS_OK);
	nt6_send_udp(t, NT6_UDP(.dport = 9, .csum = 0x4321, .payload = "bad!"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 12);
	ns_ep_close(ep);
}

/* IPV6_HDRINCL (always on for NS_IPPROTO_RAW): the datagram goes out exactly as written. */
static void raw6_hdrincl_as_written(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, NS_IPPROTO_RAW);
	uint8_t d[48] = {0x60, 0, 0, 0, 0, 99 /* a wrong payload length */, PROTO_X, 7};
	const struct nt_frame *f;
	int64_t v;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_HDRINCL, &v), NS_OK);
	assert_int_equal(v, 1);
	memcpy(d + 8, NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x77).a, 16);
	memcpy(d + 24, NT6_ADDR_PEER.a, 16);
	memcpy(d + 40, "asitwas!", 8);
	assert_int_equal(nt_send_to(ep, d, sizeof(d), NT6_ADDR_PEER), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 14 + sizeof(d));
	assert_memory_equal(f->b + 14, d, sizeof(d));
	assert_int_equal(nt_send_to(ep, d, 39, NT6_ADDR_PEER), NS_ERR_INVALID_ARGUMENT);
	ns_ep_close(ep);
}

/* ---------------------------------------------------------------- errors */

static void provoke6(struct nt *t, struct ns_ep *ep, uint8_t type, uint8_t code, uint32_t rest)
{
	const struct nt6_frame *f;
	uint8_t quote[48];

	assert_int_equal(nt_send_to(ep, "12345678", 8, NT6_ADDR_PEER), NS_OK);
	f = nt6_expect_raw(t, NT6_RAW(.dst = NT6_ADDR_PEER));
	memcpy(quote, f->l3, 48);
	nt6_send_icmp(
	    t, NT6_ICMP(.type = type, .code = code, .rest = rest, .payload = quote, .len = 48));
}

/* Linux rawv6_err(): hard errors on a connected endpoint, all with NS_IP_RECVERR; packet
 * too big is soft in IPv6 (IPV6_PMTUDISC_WANT). */
static void raw6_errors(void **state)
{
	struct nt *t = *state;
	struct ns_ep *conn = nt_raw_open(t, NS_AF_INET6, PROTO_X),
	             *rerr = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	struct ns_sockaddr peer = {.addr = NT6_ADDR_PEER};
	uint8_t buf[64];

	assert_int_equal(ns_ep_connect(conn, &peer), NS_OK);
	assert_int_equal(ns_ep_set_opt(rerr, NS_IP_RECVERR, 1), NS_OK);
	provoke6(t, conn, ICMPV6_PACKET_TOO_BIG, 0, 1280);
	assert_int_equal(ns_ep_readiness(conn, NS_EV_ERR), 0);
	assert_int_equal(ns_ep_read(rerr, buf, sizeof(buf), 0, NULL), NS_ERR_MESSAGE_TOO_LONG);
	provoke6(t, conn, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_PORT, 0);
	assert_int_equal(ns_ep_read(conn, buf, sizeof(buf), 0, NULL), NS_ERR_CONNECTION_REFUSED);
	assert_int_equal(ns_ep_read(rerr, buf, sizeof(buf), 0, NULL), NS_ERR_CONNECTION_REFUSED);
	ns_ep_close(conn);
	ns_ep_close(rerr);
}

static void raw6_bind_rules(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET6, PROTO_X);
	struct ns_sockaddr ll = {.addr = NT6_LL_US};
	struct ns_sockaddr other = {.addr = NT6_ADDR_PEER};

	assert_int_equal(ns_ep_bind(ep, &ll), NS_ERR_INVALID_ARGUMENT); /* needs its NIC */
	ll.nic = NT_NIC;
	assert_int_equal(ns_ep_bind(ep, &ll), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &other), NS_ERR_BAD_LOCAL_ADDRESS);
	/* Bound to the link-local address: the global one's traffic is not ours. */
	nt6_send_raw(t, NT6_RAW(.payload = "g"));
	nt_expect_empty(ep);
	nt_discard(t);
	ns_ep_close(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	    T(raw6_reads_upper_layer),
	    T(raw6_reads_after_extension_headers),
	    T(raw6_silences_parameter_problem),
	    T(raw6_icmpv6_checksum_verified),
	    T(raw6_icmp6_filter),
	    T(raw6_send_with_stack_header),
	    T(raw6_icmpv6_checksum_computed),
	    T(raw6_ipv6_checksum_option),
	    T(raw6_hdrincl_as_written),
	    T(raw6_errors),
	    T(raw6_bind_rules),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
