/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of raw IPv4 endpoints (src/raw/raw.c, Linux raw(7)): what a raw
 * endpoint reads (the datagram exactly as the wire had it, IPv4 header included), in
 * addition to the stack's own handling; the address, peer, NIC, protocol and ICMP filters;
 * sends with the stack's header and with the caller's (IP_HDRINCL, and what Linux fills in);
 * ICMP errors; buffers; and a stack that refuses raw endpoints.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "netstack/raw.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define PROTO_X 253 /* NT_DEF_PROTO: no transport has it */

/* The IPv4 datagram inside a frame the harness built: its bytes and total length. */
static const uint8_t *datagram(const uint8_t *frame, uint32_t *len)
{
	*len = rd16(frame + 14 + 2);
	return frame + 14;
}

/* ---------------------------------------------------------------- receive */

/* A raw ICMP endpoint reads the echo request with its IPv4 header, byte for byte as it
 * arrived (TTL, TOS, id, DF, checksum), while the stack still answers it. */
static void raw_icmp_reads_echo_request_as_sent(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_ICMP);
	uint8_t frame[256], buf[256];
	struct ns_read_result res;
	uint32_t dlen;
	uint32_t n = nt_build_icmp(NT_ICMP(.type = ICMPV4_ECHO_REQUEST, .ttl = 33, .tos = 0x10,
	                                   .ip_id = 0x1111, .df = 1, .id = 0x77, .seq = 5,
	                                   .payload = "hello raw"),
	                           frame, sizeof(frame));
	const uint8_t *d = datagram(frame, &dlen);

	nt_send_frame(t, frame, n);
	nt_expect_icmp(
	    t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 0x77, .seq = 5, .payload = "hello raw"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), &res), dlen);
	assert_int_equal(res.total, dlen);
	assert_int_equal(dlen, 20 + 8 + 9);
	assert_memory_equal(buf, d, dlen);
	assert_true(ns_addr_eq(&res.from.addr, &NT_ADDR_PEER));
	assert_int_equal(res.from.port, 0);
	assert_int_equal(res.from.nic, NT_NIC);
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_RAW_RX), 1);
	ns_ep_close(ep);
}

/* IPv4 options are part of the header the endpoint reads; Ethernet padding is not part of
 * the datagram. */
static void raw_reads_options_not_padding(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	static const uint8_t opts[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
	uint8_t frame[128], buf[128];
	uint32_t dlen;
	uint32_t n =
	    nt_build_ipv4(NT_IPV4(.ip_opts = opts, .ip_opts_len = 4, .payload = "ab", .pad = 0xee),
	                  frame, sizeof(frame));
	const uint8_t *d = datagram(frame, &dlen);

	assert_int_equal(n, 60);
	assert_int_equal(dlen, 26);
	nt_send_frame(t, frame, n);
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 26);
	assert_memory_equal(buf, d, 26);
	assert_int_equal(buf[0], 0x46);
	nt_expect_nothing(t); /* a raw endpoint took it: no protocol unreachable */
	ns_ep_close(ep);
}

/* A truncated read reports the datagram's full length and consumes it. */
static void raw_read_truncates(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_read_result res;
	uint8_t buf[8];

	nt_send_ipv4(t, NT_IPV4(.payload = "0123456789"));
	assert_int_equal(ns_ep_read(ep, buf, 4, NS_MSG_PEEK, &res), NS_OK);
	assert_int_equal(res.count, 4);
	assert_int_equal(res.total, 30);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 8);
	assert_int_equal(res.total, 30);
	nt_expect_empty(ep);
	ns_ep_close(ep);
}

/* Raw UDP endpoints receive in addition to UDP: the datagram reaches the UDP endpoint too,
 * and one for a closed port still draws a port unreachable (Linux). */
static void raw_udp_in_addition_to_udp(void **state)
{
	struct nt *t = *state;
	struct ns_ep *raw = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_UDP), *udp = NULL;
	struct ns_sockaddr bind = {.addr = NT_ADDR_US, .port = 7};
	uint8_t buf[128];

	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &udp), NS_OK);
	assert_int_equal(ns_ep_bind(udp, &bind), NS_OK);
	nt_send_udp(t, NT_UDP(.dport = 7, .payload = "to udp"));
	assert_int_equal(nt_read(raw, buf, sizeof(buf), NULL), 20 + 8 + 6);
	assert_int_equal(buf[9], NS_IPPROTO_UDP);
	assert_memory_equal(buf + 28, "to udp", 6);
	assert_int_equal(nt_read(udp, buf, sizeof(buf), NULL), 6);

	nt_send_udp(t, NT_UDP(.dport = 9999, .payload = "closed"));
	assert_int_equal(nt_read(raw, buf, sizeof(buf), NULL), 20 + 8 + 6);
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PORT));
	ns_ep_close(raw);
	ns_ep_close(udp);
}

/* A protocol only a raw endpoint speaks draws no protocol unreachable; without one (or
 * with one of another protocol) it does. */
static void raw_endpoint_silences_protocol_unreachable(void **state)
{
	struct nt *t = *state;
	struct ns_ep *other = nt_raw_open(t, NS_AF_INET, PROTO_X - 1);
	struct ns_ep *ep;

	nt_send_ipv4(t, NT_IPV4(.payload = "x"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PROTO));
	ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	nt_send_ipv4(t, NT_IPV4(.payload = "x"));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_NO_PROTO), 1);
	nt_expect_empty(other);
	ns_ep_close(ep);
	ns_ep_close(other);
}

/* Each endpoint of the protocol gets its own copy; endpoints of other protocols none. */
static void raw_every_endpoint_gets_a_copy(void **state)
{
	struct nt *t = *state;
	struct ns_ep *a = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_ICMP),
	             *b = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_ICMP);
	struct ns_ep *u = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_UDP);
	uint8_t x[128], y[128];

	nt_send_icmp_echo(t, NT_ICMP(.payload = "both"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY));
	assert_int_equal(nt_read(a, x, sizeof(x), NULL), 32);
	assert_int_equal(nt_read(b, y, sizeof(y), NULL), 32);
	assert_memory_equal(x, y, 32);
	nt_expect_empty(u);
	assert_int_equal(nt_stat(t, NS_STAT_RAW_RX), 2);
	ns_ep_close(a);
	ns_ep_close(b);
	ns_ep_close(u);
}

/* A bound address filters on the destination, a connected peer on the source (Linux
 * raw_v4_match()). */
static void raw_address_and_peer_filters(void **state)
{
	struct nt *t = *state;
	struct ns_ep *bound = nt_raw_open(t, NS_AF_INET, PROTO_X),
	             *conn = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_sockaddr us = {.addr = NT_ADDR_US};
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	struct ns_sockaddr bc = {.addr = NT_V4(192, 0, 2, 255)};
	struct ns_read_result res;
	uint8_t buf[64];

	assert_int_equal(ns_ep_bind(bound, &us), NS_OK);
	assert_int_equal(ns_ep_connect(conn, &peer), NS_OK);
	/* To us from the peer: both. */
	nt_send_ipv4(t, NT_IPV4(.payload = "1"));
	nt_read(bound, buf, sizeof(buf), NULL);
	nt_read(conn, buf, sizeof(buf), NULL);
	/* From another host: only the bound one. */
	nt_send_ipv4(t, NT_IPV4(.src = NT_V4(192, 0, 2, 77), .payload = "2"));
	assert_int_equal(nt_read(bound, buf, sizeof(buf), &res), 21);
	assert_true(ns_addr_eq(&res.from.addr, &NT_V4(192, 0, 2, 77)));
	nt_expect_empty(conn);
	/* To the subnet broadcast: the connected one (local address: the route's source) no,
	 * the bound one no; an endpoint bound to the broadcast address yes. */
	ns_ep_close(bound);
	bound = nt_raw_open(t, NS_AF_INET, PROTO_X);
	assert_int_equal(ns_ep_bind(bound, &bc), NS_OK);
	nt_send_ipv4(
	    t, NT_IPV4(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255), .payload = "3"));
	assert_int_equal(nt_read(bound, buf, sizeof(buf), NULL), 21);
	nt_expect_empty(conn);
	nt_expect_nothing(t);
	/* Disconnecting forgets the peer and the address connect chose. */
	struct ns_sockaddr unspec = {.addr = {.family = NS_AF_UNSPEC}};

	assert_int_equal(ns_ep_connect(conn, &unspec), NS_OK);
	assert_int_equal(ns_ep_peer_addr(conn, &peer), NS_ERR_NOT_CONNECTED);
	nt_send_ipv4(
	    t, NT_IPV4(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255), .payload = "4"));
	nt_read(conn, buf, sizeof(buf), NULL);
	nt_read(bound, buf, sizeof(buf), NULL);
	ns_ep_close(bound);
	ns_ep_close(conn);
}

static void raw_bind_rules(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_sockaddr other = {.addr = NT_V4(198, 51, 100, 1)};
	struct ns_sockaddr mc = {.addr = NT_V4(224, 0, 0, 1)};
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	struct ns_sockaddr us = {.addr = NT_ADDR_US}, la;

	assert_int_equal(ns_ep_bind(ep, &other), NS_ERR_BAD_LOCAL_ADDRESS);
	assert_int_equal(ns_ep_bind(ep, &mc), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &us), NS_OK); /* rebinding is allowed until connect */
	assert_int_equal(ns_ep_local_addr(ep, &la), NS_OK);
	assert_true(ns_addr_eq(&la.addr, &NT_ADDR_US));
	assert_int_equal(la.port, PROTO_X); /* a raw endpoint's "port" is its protocol */
	assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &us), NS_ERR_INVALID_ENDPOINT_STATE);
	assert_int_equal(ns_ep_peer_addr(ep, &la), NS_OK);
	assert_true(ns_addr_eq(&la.addr, &NT_ADDR_PEER));
	ns_ep_close(ep);
}

/* NS_SO_BINDTODEVICE: only datagrams that came in on that NIC. */
static void raw_nic_filter(void **state)
{
	struct nt *t = *state;
	struct ns_channel_config cc = {.header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, 0, 0x22}}};
	struct ns_link *l2 = ns_channel_new(&cc);
	struct ns_ep *on1 = nt_raw_open(t, NS_AF_INET, PROTO_X),
	             *on2 = nt_raw_open(t, NS_AF_INET, PROTO_X);
	uint8_t buf[64];
	int64_t v;

	assert_int_equal(ns_stack_add_nic(t->s, 2, l2, "nt1"), NS_OK);
	assert_int_equal(ns_ep_set_opt(on1, NS_SO_BINDTODEVICE, NT_NIC), NS_OK);
	assert_int_equal(ns_ep_set_opt(on2, NS_SO_BINDTODEVICE, 2), NS_OK);
	assert_int_equal(ns_ep_set_opt(on2, NS_SO_BINDTODEVICE, 9), NS_ERR_UNKNOWN_DEVICE);
	assert_int_equal(ns_ep_get_opt(on2, NS_SO_BINDTODEVICE, &v), NS_OK);
	assert_int_equal(v, 2);
	nt_send_ipv4(t, NT_IPV4(.payload = "nic1"));
	assert_int_equal(nt_read(on1, buf, sizeof(buf), NULL), 24);
	nt_expect_empty(on2);
	ns_ep_close(on1);
	ns_ep_close(on2);
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l2);
}

/* NS_ICMP_FILTER (Linux ICMP_FILTER): bit n set drops type n; types from 32 up always
 * pass; a message too short to carry a type never reaches a raw ICMP endpoint. */
static void raw_icmp_filter(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_ICMP),
	             *udp = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_UDP);
	uint8_t buf[128];
	int64_t v;

	assert_int_equal(ns_ep_set_opt(udp, NS_ICMP_FILTER, 1), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_set_opt(ep, NS_ICMP_FILTER, 1u << ICMPV4_ECHO_REQUEST), NS_OK);
	assert_int_equal(ns_ep_get_opt(ep, NS_ICMP_FILTER, &v), NS_OK);
	assert_int_equal(v, 1u << ICMPV4_ECHO_REQUEST);
	nt_send_icmp_echo(t, NT_ICMP(.payload = "filtered"));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY)); /* the stack still answers */
	nt_expect_empty(ep);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .payload = "passes"));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 34);
	assert_int_equal(buf[20], ICMPV4_ECHO_REPLY);
	nt_send_icmp(t, NT_ICMP(.type = 40, .rest = 0));
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 28);
	/* A 4-byte ICMP message: blocked whatever the filter says. */
	assert_int_equal(ns_ep_set_opt(ep, NS_ICMP_FILTER, 0), NS_OK);
	nt_send_ipv4(t,
	             NT_IPV4(.ip_proto = IP_PROTO_ICMP, .payload = "\x08\x00\xf7\xff", .len = 4));
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_TRUNCATED), 1);
	ns_ep_close(ep);
	ns_ep_close(udp);
}

/* A full receive buffer drops (counted), and such an endpoint does not count as having
 * taken a datagram: the protocol unreachable goes out (Linux raw_v4_input()). */
static void raw_rcvbuf_full(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	int64_t v;
	int got = 0;
	uint8_t buf[64];

	assert_int_equal(ns_ep_set_opt(ep, NS_SO_RCVBUF, 1), NS_OK);
	assert_int_equal(ns_ep_get_opt(ep, NS_SO_RCVBUF, &v), NS_OK);
	assert_int_equal(v, 2304); /* Linux's SOCK_MIN_RCVBUF */
	for (int i = 0; i < 4; i++)
		nt_send_ipv4(t, NT_IPV4(.payload = "fill"));
	while (ns_ep_read(ep, buf, sizeof(buf), 0, NULL) == NS_OK)
		got++;
	assert_int_equal(got, 2); /* 2048-byte buffers: the second one reaches the limit */
	assert_int_equal(nt_drops(t, NS_DROP_RAW_RCVBUF_FULL), 2);
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PROTO));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PROTO));
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

/* More endpoints match than a packet is copied to: the first 64 get it, the rest count. */
static void raw_fanout_is_bounded(void **state)
{
	struct nt *t = *state;
	struct ns_ep *eps[65];
	uint8_t buf[64];
	int got = 0;

	for (int i = 0; i < 65; i++)
		eps[i] = nt_raw_open(t, NS_AF_INET, PROTO_X);
	nt_send_ipv4(t, NT_IPV4(.payload = "many"));
	for (int i = 0; i < 65; i++)
		if (ns_ep_read(eps[i], buf, sizeof(buf), 0, NULL) == NS_OK)
			got++;
	assert_int_equal(got, 64);
	assert_int_equal(nt_drops(t, NS_DROP_RAW_FANOUT_LIMIT), 1);
	for (int i = 0; i < 65; i++)
		ns_ep_close(eps[i]);
}

/* A waiter callback that closes another raw endpoint in the middle of the fan-out: the
 * closed one gets nothing and its memory outlives the walk (ASan would say otherwise). */
struct closer {
	struct ns_waiter_entry e;
	struct ns_ep **victim;
	int calls;
};

static void close_victim(struct ns_waiter_entry *e, uint32_t ev)
{
	struct closer *c = e->ctx;

	(void)ev;
	c->calls++;
	if (*c->victim) {
		ns_ep_close(*c->victim);
		*c->victim = NULL;
	}
}

static void raw_close_during_fanout(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue q1, q2;
	struct ns_ep *a = NULL, *b = NULL;
	struct closer c = {.victim = &a};
	uint8_t buf[64];

	ns_waiter_queue_init(&q1);
	ns_waiter_queue_init(&q2);
	assert_int_equal(ns_ep_new_raw(t->s, NS_AF_INET, PROTO_X, &q1, &a), NS_OK);
	assert_int_equal(ns_ep_new_raw(t->s, NS_AF_INET, PROTO_X, &q2, &b), NS_OK);
	/* b was created last: it is served first, and its callback closes a. */
	ns_waiter_entry_init(&c.e, close_victim, &c);
	ns_waiter_register(&q2, &c.e, NS_EV_IN);
	nt_send_ipv4(t, NT_IPV4(.payload = "x"));
	assert_int_equal(c.calls, 1);
	assert_null(a);
	assert_int_equal(ns_ep_readiness(b, NS_EV_IN), NS_EV_IN);
	nt_read(b, buf, sizeof(buf), NULL);
	assert_int_equal(nt_stat(t, NS_STAT_RAW_RX), 1);
	ns_waiter_unregister(&c.e);
	ns_ep_close(b);
}

/* ---------------------------------------------------------------- send */

/* Without IP_HDRINCL the stack builds the header: our address, the endpoint's protocol, TTL
 * and TOS options, DF (IP_PMTUDISC_WANT); the payload follows as written. */
static void raw_send_with_stack_header(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	const struct nt_frame *f;

	assert_int_equal(nt_send_to(ep, "payload", 7, NT_ADDR_PEER), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER,
	                              .src = NT_ADDR_US, .dst = NT_ADDR_PEER, .ihl = 5, .tos = 0,
	                              .ip_len = 27, .df = 1, .mf = 0, .frag_off = 0, .ttl = 64,
	                              .ip_proto = PROTO_X, .payload = "payload"));
	(void)f;
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TTL, 9), NS_OK);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TOS, 0xb8), NS_OK);
	assert_int_equal(nt_send_to(ep, "", 0, NT_V4(198, 51, 100, 5)), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_PEER, .dst = NT_V4(198, 51, 100, 5), .ttl = 9,
	                          .tos = 0xb8, .ip_len = 20, .ip_proto = PROTO_X, .len = 0));
	assert_int_equal(nt_stat(t, NS_STAT_RAW_TX), 2);
	ns_ep_close(ep);
}

static void raw_send_rules(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	static uint8_t big[1600];
	size_t n;

	assert_int_equal(ns_ep_write(ep, "x", 1, NULL, &n), NS_ERR_DESTINATION_REQUIRED);
	assert_int_equal(nt_send_to(ep, "x", 1, NT_V4(192, 0, 2, 255)), NS_ERR_BROADCAST_DISABLED);
	assert_int_equal(ns_ep_set_opt(ep, NS_SO_BROADCAST, 1), NS_OK);
	assert_int_equal(nt_send_to(ep, "x", 1, NT_V4(192, 0, 2, 255)), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255)));
	/* IP_PMTUDISC_WANT (the default): DF on what fits, a larger datagram fragmented
	 * without it; DO refuses it (EMSGSIZE), DONT never sets DF. */
	assert_int_equal(nt_send_to(ep, big, 1480, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 1500, .df = 1, .mf = 0));
	assert_int_equal(nt_send_to(ep, big, 1481, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 1500, .df = 0, .mf = 1, .frag_off = 0));
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 21, .df = 0, .mf = 0, .frag_off = 1480));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DO), NS_OK);
	assert_int_equal(nt_send_to(ep, big, 1481, NT_ADDR_PEER), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DONT), NS_OK);
	assert_int_equal(nt_send_to(ep, big, 10, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 30, .df = 0));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, 4), NS_ERR_INVALID_OPTION_VALUE);
	int64_t mtu;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU, &mtu), NS_ERR_NOT_CONNECTED);
	/* Connected: no destination needed. */
	assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU, &mtu), NS_OK);
	assert_int_equal(mtu, 1500);
	assert_int_equal(ns_ep_write(ep, "c", 1, NULL, &n), NS_OK);
	assert_int_equal(n, 1);
	nt_expect_ipv4(t, NT_IPV4(.dst = NT_ADDR_PEER, .src = NT_ADDR_US, .payload = "c"));
	assert_int_equal(ns_ep_shutdown(ep, NS_SHUT_WR), NS_OK);
	assert_int_equal(ns_ep_write(ep, "c", 1, NULL, &n), NS_ERR_CLOSED_FOR_SEND);
	ns_ep_close(ep);
}

/* Build a 20-byte IPv4 header + @plen payload bytes into @b as a caller of IP_HDRINCL would:
 * the fields the tests care about; the rest zero. */
static uint32_t hdrincl_dgram(uint8_t *b, uint8_t ihl, uint16_t id, bool df, uint8_t ttl,
                              uint8_t proto, struct ns_addr src, struct ns_addr dst,
                              const char *payload)
{
	uint32_t plen = (uint32_t)strlen(payload);

	memset(b, 0, 20);
	b[0] = (uint8_t)(0x40 | ihl);
	b[1] = 0x20;
	wr16(b + 4, id);
	wr16(b + 6, df ? IPV4_FLAG_DF : 0);
	b[8] = ttl;
	b[9] = proto;
	memcpy(b + 12, src.a, 4);
	memcpy(b + 16, dst.a, 4);
	memcpy(b + 20, payload, plen);
	return 20 + plen;
}

/* IP_HDRINCL: the caller's header goes out as written except for what Linux fills in:
 * total length and checksum always, the source and the id when they are zero. */
static void hdrincl_fills_what_linux_fills(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	const struct nt_frame *f;
	uint8_t b[64];
	uint32_t n;
	int64_t v;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_HDRINCL, &v), NS_OK);
	assert_int_equal(v, 0);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_HDRINCL, 1), NS_OK);
	n = hdrincl_dgram(b, 5, 0, false, 7, 99, NT_ADDR_ZERO, NT_ADDR_PEER, "hdr");
	wr16(b + 2, 0xdead); /* a wrong length and checksum: both are replaced */
	wr16(b + 10, 0xbeef);
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_PEER, .src = NT_ADDR_US,
	                              .dst = NT_ADDR_PEER, .tos = 0x20, .ip_len = 23, .df = 0,
	                              .ttl = 7, .ip_proto = 99, .payload = "hdr"));
	assert_int_not_equal(f->ip.id, 0); /* DF clear: the stack picks one */

	/* DF set and id 0: stays 0 (ip_select_ident() without a socket; RFC 6864 4.1). A
	 * source and id given are kept, ours or not. */
	n = hdrincl_dgram(b, 5, 0, true, 1, 99, NT_V4(198, 51, 100, 7), NT_ADDR_PEER, "df");
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.src = NT_V4(198, 51, 100, 7), .ip_id = 0, .df = 1, .ttl = 1,
	                          .ip_len = 22, .payload = "df"));
	n = hdrincl_dgram(b, 5, 0x4321, false, 64, 99, NT_ADDR_US, NT_ADDR_PEER, "id");
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_id = 0x4321, .df = 0));
	assert_int_equal(nt_stat(t, NS_STAT_RAW_TX), 3);
	ns_ep_close(ep);
}

/* The route follows the write's destination, not the header's; the header's destination
 * goes out untouched. Options in the header are kept and summed. */
static void hdrincl_routes_by_destination_given(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_RAW); /* IP_HDRINCL implied */
	static const uint8_t opt[4] = {1, 1, 1, 0};
	uint8_t b[64];
	uint32_t n;
	int64_t v;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_HDRINCL, &v), NS_OK);
	assert_int_equal(v, 1);
	n = hdrincl_dgram(b + 4, 5, 0x1000, false, 5, 17, NT_ADDR_US, NT_V4(198, 51, 100, 9), "o");
	/* Make room for a 4-byte option: IHL 6. */
	memmove(b, b + 4, 20);
	memcpy(b + 20, opt, 4);
	b[24] = 'o';
	b[0] = 0x46;
	n += 4;
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.eth_dst = NT_MAC_PEER, .dst = NT_V4(198, 51, 100, 9), .ihl = 6,
	                          .ip_len = 25, .ip_proto = 17, .payload = "o"));
	ns_ep_close(ep);
}

/* What IP_HDRINCL refuses, and the header it sends untouched (IHL below 5). */
static void hdrincl_bad_headers(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_RAW);
	static uint8_t big[1600];
	const struct nt_frame *f;
	uint8_t b[64];
	uint32_t n;

	/* Shorter than a header: EINVAL. */
	assert_int_equal(nt_send_to(ep, "\x45\0\0\0", 4, NT_ADDR_PEER), NS_ERR_INVALID_ARGUMENT);
	/* IHL beyond the datagram: EINVAL. */
	n = hdrincl_dgram(b, 15, 1, false, 64, 1, NT_ADDR_US, NT_ADDR_PEER, "abc");
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_ERR_INVALID_ARGUMENT);
	/* Above the MTU: EMSGSIZE. */
	hdrincl_dgram(big, 5, 1, false, 64, 1, NT_ADDR_US, NT_ADDR_PEER, "");
	assert_int_equal(nt_send_to(ep, big, 1501, NT_ADDR_PEER), NS_ERR_MESSAGE_TOO_LONG);
	/* IHL 4: nothing is filled in; the bytes go out exactly as given. */
	n = hdrincl_dgram(b, 4, 0, false, 64, 1, NT_ADDR_ZERO, NT_ADDR_PEER, "raw!");
	assert_int_equal(nt_send_to(ep, b, n, NT_ADDR_PEER), NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 14 + n);
	assert_memory_equal(f->b + 14, b, n);
	assert_int_equal(f->eth.type, 0x0800);
	nt_expect_empty(ep); /* IPPROTO_RAW endpoints receive nothing here */
	ns_ep_close(ep);
}

/* A HDRINCL datagram to one of our own addresses is delivered to us like any other. */
static void hdrincl_to_ourselves_is_delivered(void **state)
{
	struct nt *t = *state;
	struct ns_ep *tx = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_RAW),
	             *rx = nt_raw_open(t, NS_AF_INET, PROTO_X);
	uint8_t b[64], buf[64];
	uint32_t n = hdrincl_dgram(b, 5, 0, false, 64, PROTO_X, NT_ADDR_ZERO, NT_ADDR_US, "me");
	struct ns_read_result res;

	assert_int_equal(nt_send_to(tx, b, n, NT_ADDR_US), NS_OK);
	assert_int_equal(nt_read(rx, buf, sizeof(buf), &res), 22);
	assert_memory_equal(buf + 12, NT_ADDR_US.a, 4); /* the source was filled in */
	assert_int_equal(rd16(buf + 2), 22);
	assert_int_equal(csum_finish(csum_partial(buf, 20, 0)), 0);
	assert_true(ns_addr_eq(&res.from.addr, &NT_ADDR_US));
	nt_expect_nothing(t);
	ns_ep_close(tx);
	ns_ep_close(rx);
}

/* ---------------------------------------------------------------- errors */

/* Send @payload from @ep to the peer and answer it with ICMP @type/@code quoting it. */
static void provoke_error(struct nt *t, struct ns_ep *ep, uint8_t type, uint8_t code)
{
	uint8_t quote[64];
	const struct nt_frame *f;

	assert_int_equal(nt_send_to(ep, "12345678", 8, NT_ADDR_PEER), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.dst = NT_ADDR_PEER));
	memcpy(quote, f->l3, 28);
	nt_send_icmp(t,
	             NT_ICMP(.type = type, .code = code, .rest = 0, .payload = quote, .len = 28));
}

/* ICMP errors about a raw endpoint's datagrams: hard ones on a connected endpoint, every
 * one with NS_IP_RECVERR, none on an unconnected endpoint without it (Linux raw_err()). */
static void raw_icmp_errors(void **state)
{
	struct nt *t = *state;
	struct ns_ep *un = nt_raw_open(t, NS_AF_INET, PROTO_X),
	             *conn = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_ep *rerr = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	uint8_t buf[64];
	int64_t v;

	assert_int_equal(ns_ep_connect(conn, &peer), NS_OK);
	assert_int_equal(ns_ep_set_opt(rerr, NS_IP_RECVERR, 1), NS_OK);
	provoke_error(t, un, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PROTO);
	assert_int_equal(ns_ep_read(conn, buf, sizeof(buf), 0, NULL),
	                 NS_ERR_UNKNOWN_PROTOCOL_OPTION); /* ENOPROTOOPT */
	assert_int_equal(ns_ep_readiness(rerr, NS_EV_ERR), NS_EV_ERR);
	assert_int_equal(ns_ep_get_opt(rerr, NS_SO_ERROR, &v), NS_OK);
	assert_int_equal(v, NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	assert_int_equal(ns_ep_readiness(un, NS_EV_ERR), 0);
	/* A soft error: only NS_IP_RECVERR hears of it. */
	provoke_error(t, un, ICMPV4_TIME_EXCEEDED, ICMPV4_EXC_TTL);
	assert_int_equal(ns_ep_readiness(conn, NS_EV_ERR), 0);
	assert_int_equal(ns_ep_write(rerr, "x", 1, &(struct ns_write_opts){.to = &peer}, NULL),
	                 NS_ERR_HOST_UNREACHABLE);
	assert_int_equal(ns_ep_readiness(rerr, NS_EV_ERR), 0);
	ns_ep_close(un);
	ns_ep_close(conn);
	ns_ep_close(rerr);
}

/* A raw ICMP endpoint hears of errors about ICMP it sent, and also reads the error message
 * itself (it is an ICMP datagram). */
static void raw_icmp_endpoint_reads_errors_too(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, NS_IPPROTO_ICMP);
	uint8_t echo[8] = {ICMPV4_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1}, buf[128];
	const struct nt_frame *f;
	uint8_t quote[28];

	assert_int_equal(ns_ep_set_opt(ep, NS_IP_RECVERR, 1), NS_OK);
	wr16(echo + 2, csum_finish(csum_partial(echo, 8, 0)));
	assert_int_equal(nt_send_to(ep, echo, 8, NT_ADDR_PEER), NS_OK);
	f = nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REQUEST, .id = 1, .seq = 1));
	memcpy(quote, f->l3, 28);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_HOST, .rest = 0,
	                        .payload = quote, .len = 28));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_ERR_HOST_UNREACHABLE);
	assert_int_equal(nt_read(ep, buf, sizeof(buf), NULL), 20 + 8 + 28);
	assert_int_equal(buf[20], ICMPV4_DEST_UNREACH);
	ns_ep_close(ep);
}

/* A "fragmentation needed" about a raw endpoint's datagram is believed (Linux raw_err()
 * updates the path MTU): the path MTU drops, the connected endpoint hears EMSGSIZE, and
 * what it sends next is fragmented to the new size. */
static void raw_frag_needed_lowers_path_mtu(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = nt_raw_open(t, NS_AF_INET, PROTO_X);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	static uint8_t big[1400];
	const struct nt_frame *f;
	uint8_t quote[28], buf[8];
	int64_t mtu;

	assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	assert_int_equal(ns_ep_write(ep, big, sizeof(big), NULL, NULL), NS_OK);
	f = nt_expect_ipv4(t, NT_IPV4(.ip_len = 1420, .df = 1));
	memcpy(quote, f->l3, 28);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = 1000, .payload = quote, .len = 28));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU, &mtu), NS_OK);
	assert_int_equal(mtu, 1000);
	assert_int_equal(ns_ep_write(ep, big, sizeof(big), NULL, NULL), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 996, .mf = 1, .df = 0));
	nt_expect_ipv4(t, NT_IPV4(.ip_len = 444, .mf = 0, .frag_off = 976));
	ns_ep_close(ep);
}

/* ---------------------------------------------------------------- configuration */

static void no_raw_module(struct ns_stack_config *cfg)
{
	cfg->raw = NULL;
}

static void raw_refused_when_disabled(void **state)
{
	struct nt t;
	struct ns_ep *ep = (struct ns_ep *)&t;

	(void)state;
	nt_setup(&t, NT_OPTS(.config = no_raw_module));
	assert_int_equal(ns_ep_new_raw(t.s, NS_AF_INET, 1, NULL, &ep), NS_ERR_NOT_PERMITTED);
	assert_null(ep);
	assert_int_equal(ns_ep_new_packet(t.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &ep),
	                 NS_ERR_NOT_PERMITTED);
	/* Nothing changes for the stack: unknown protocols still get unreachable. */
	nt_send_ipv4(&t, NT_IPV4(.payload = "x"));
	nt_expect_icmp(&t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_PROTO));
	nt_teardown(&t);
}

static void raw_arguments(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new_raw(t->s, 9, 1, NULL, &ep), NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	assert_int_equal(ns_ep_new_raw(NULL, NS_AF_INET, 1, NULL, &ep), NS_ERR_INVALID_ARGUMENT);
	ep = nt_raw_open(t, NS_AF_INET, 0); /* protocol 0: sends with 0, receives nothing */
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TTL, 256), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_listen(ep, 1), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(nt_send_to(ep, "z", 1, NT_ADDR_PEER), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_proto = 0, .payload = "z"));
	ns_ep_close(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt_cm_setup, nt_cm_teardown)
	    T(raw_icmp_reads_echo_request_as_sent),
	    T(raw_reads_options_not_padding),
	    T(raw_read_truncates),
	    T(raw_udp_in_addition_to_udp),
	    T(raw_endpoint_silences_protocol_unreachable),
	    T(raw_every_endpoint_gets_a_copy),
	    T(raw_address_and_peer_filters),
	    T(raw_bind_rules),
	    T(raw_nic_filter),
	    T(raw_icmp_filter),
	    T(raw_rcvbuf_full),
	    T(raw_fanout_is_bounded),
	    T(raw_close_during_fanout),
	    T(raw_send_with_stack_header),
	    T(raw_send_rules),
	    T(hdrincl_fills_what_linux_fills),
	    T(hdrincl_routes_by_destination_given),
	    T(hdrincl_bad_headers),
	    T(hdrincl_to_ourselves_is_delivered),
	    T(raw_icmp_errors),
	    T(raw_icmp_endpoint_reads_errors_too),
	    T(raw_frag_needed_lowers_path_mtu),
	    T(raw_arguments),
	    cmocka_unit_test(raw_refused_when_disabled),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
