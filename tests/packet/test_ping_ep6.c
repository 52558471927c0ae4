/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of IPv6 ping endpoints (src/raw/ping.c, ns_proto_ping6; Linux's
 * SOCK_DGRAM IPPROTO_ICMPV6 sockets): echo requests of type 128 with the endpoint's
 * identifier and a checksum over the pseudo-header, replies of type 129 by identifier,
 * ICMPv6 errors (packet too big soft, as Linux), link-local binds.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/raw.h"
#include "wire/bytes.h"

static struct ns_ep *ping6_open(struct nt *t)
{
	return nt_ep_open(t, NS_AF_INET6, NS_IPPROTO_ICMPV6);
}

static size_t echo6(uint8_t *b, uint8_t type, uint16_t seq, const char *payload)
{
	size_t n = strlen(payload);

	memset(b, 0xee, 8); /* the checksum and identifier are the stack's */
	b[0] = type;
	b[1] = 0;
	wr16(b + 6, seq);
	memcpy(b + 8, payload, n);
	return 8 + n;
}

static ns_err ping6_to(struct ns_ep *ep, struct ns_addr to, uint16_t seq, const char *payload)
{
	uint8_t b[128];
	struct ns_sockaddr sa = {.addr = to};

	return ns_ep_write(ep, b, echo6(b, ICMPV6_ECHO_REQUEST, seq, payload),
	                   &(struct ns_write_opts){.to = &sa}, NULL);
}

static uint16_t ident(struct ns_ep *ep)
{
	struct ns_sockaddr la;

	assert_int_equal(ns_ep_local_addr(ep, &la), NS_OK);
	return la.port;
}

/* The request: type 128, our identifier, the caller's sequence and data, the checksum over
 * the RFC 8200 8.1 pseudo-header (the checker sums it); the reply with our identifier is
 * read whole, one with another is not. */
static void ping6_round_trip(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping6_open(t);
	uint8_t frame[128], buf[128];
	struct ns_read_result res;
	uint16_t id;
	uint32_t n;

	assert_int_equal(ping6_to(ep, NT6_ADDR_PEER, 5, "hello six"), NS_OK);
	id = ident(ep);
	assert_true(id >= 32768 && id <= 60999);
	nt6_expect_icmp(t,
	                NT6_ICMP(.eth_dst = NT_MAC_PEER, .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER,
	                         .hop_limit = 64, .type = ICMPV6_ECHO_REQUEST, .code = 0, .id = id,
	                         .seq = 5, .payload = "hello six"));
	n = nt6_build_icmp(
	    NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .id = id, .seq = 5, .payload = "hello six"), frame,
	    sizeof(frame));
	nt_send_frame(t, frame, n);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .id = (uint16_t)(id ^ 1)));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 17);
	assert_memory_equal(buf, frame + 14 + 40, 17);
	assert_true(ns_addr_eq(&res.from.addr, &NT6_ADDR_PEER));
	assert_int_equal(res.from.port, 0);
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_PING_NO_ENDPOINT), 1);
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

/* ping_supported() for IPv6: only type 128 code 0. */
static void ping6_write_rules(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping6_open(t), *v4 = NULL;
	struct ns_sockaddr to = {.addr = NT6_ADDR_PEER}, v4to = {.addr = NT_ADDR_PEER};
	uint8_t b[16];

	echo6(b, ICMPV4_ECHO_REQUEST, 1, "");
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &v4to}, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	echo6(b, ICMPV6_ECHO_REQUEST, 1, "");
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &v4to}, NULL),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	/* ping_v6_sendmsg(): no v4-mapped destination, no link-local one without a NIC. */
	to.addr = NT6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1);
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	to.addr = NT6_LL_PEER;
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	to.addr = NT6_ALL_NODES;
	assert_int_equal(ns_ep_write(ep, b, 8, &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_ICMPV6, NULL, &v4),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_ICMP, NULL, &v4),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	ns_ep_close(ep);
}

/* Errors: port unreachable is hard (a connected endpoint hears it), packet too big soft
 * (only NS_IP_RECVERR hears it), as icmpv6_err_convert(). */
static void ping6_errors(void **state)
{
	struct nt *t = *state;
	struct ns_ep *conn = ping6_open(t), *rerr = ping6_open(t);
	struct ns_sockaddr peer = {.addr = NT6_ADDR_PEER};
	const struct nt6_frame *f;
	uint8_t quote[56], buf[64], msg[16];
	size_t n = echo6(msg, ICMPV6_ECHO_REQUEST, 1, "");

	assert_int_equal(ns_ep_connect(conn, &peer), NS_OK);
	assert_int_equal(ns_ep_set_opt(rerr, NS_IP_RECVERR, 1), NS_OK);
	for (int i = 0; i < 2; i++) {
		struct ns_ep *ep = i ? rerr : conn;

		assert_int_equal(ping6_to(ep, NT6_ADDR_PEER, 1, "12345678"), NS_OK);
		f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REQUEST));
		memcpy(quote, f->l3, 56);
		nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1280,
		                          .payload = quote, .len = 56));
	}
	assert_int_equal(ns_ep_readiness(conn, NS_EV_ERR), 0);
	assert_int_equal(ns_ep_read(rerr, buf, sizeof(buf), 0, NULL), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_write(conn, msg, n, NULL, NULL), NS_OK);
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REQUEST));
	memcpy(quote, f->l3, 48);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_PORT,
	                          .rest = 0, .payload = quote, .len = 48));
	assert_int_equal(ns_ep_read(conn, buf, sizeof(buf), 0, NULL), NS_ERR_CONNECTION_REFUSED);
	ns_ep_close(conn);
	ns_ep_close(rerr);
}

/* A link-local bind names its NIC; requests to a link-local peer go from the link-local
 * address and the reply comes back to the endpoint. */
static void ping6_link_local(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping6_open(t);
	struct ns_sockaddr ll = {.addr = NT6_LL_US, .port = 4000};
	struct ns_sockaddr to = {.addr = NT6_LL_PEER, .nic = NT_NIC};
	uint8_t b[64];

	assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &NT6_LL_PEER, &NT_MAC_PEER.m),
	                 NS_OK);
	assert_int_equal(ns_ep_bind(ep, &ll), NS_ERR_INVALID_ARGUMENT);
	ll.nic = NT_NIC;
	assert_int_equal(ns_ep_bind(ep, &ll), NS_OK);
	assert_int_equal(ns_ep_write(ep, b, echo6(b, ICMPV6_ECHO_REQUEST, 2, "ll"),
	                             &(struct ns_write_opts){.to = &to}, NULL),
	                 NS_OK);
	nt6_expect_icmp(t, NT6_ICMP(.src = NT6_LL_US, .dst = NT6_LL_PEER, .id = 4000, .seq = 2));
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_LL_PEER, .dst = NT6_LL_US,
	                          .id = 4000, .seq = 2));
	assert_int_equal(ns_ep_read(ep, b, sizeof(b), 0, NULL), NS_OK);
	/* A reply to the global address is not for an endpoint bound to the link-local. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .id = 4000));
	nt_expect_empty(ep);
	ns_ep_close(ep);
}

/* A raw ICMPv6 endpoint and a ping endpoint both see a reply. */
static void raw6_and_ping6_both_see_reply(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping6_open(t), *raw = NULL;
	struct ns_sockaddr any = {.addr = NT6_UNSPEC, .port = 77};
	struct ns_read_result res;
	uint8_t buf[64];

	assert_int_equal(ns_ep_new_raw(t->s, NS_AF_INET6, NS_IPPROTO_ICMPV6, NULL, &raw), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &any), NS_OK);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .id = 77, .payload = "r"));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 9);
	assert_int_equal(ns_ep_read(raw, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 9);
	ns_ep_close(ep);
	ns_ep_close(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	    T(ping6_round_trip),
	    T(ping6_write_rules),
	    T(ping6_errors),
	    T(ping6_link_local),
	    T(raw6_and_ping6_both_see_reply),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
