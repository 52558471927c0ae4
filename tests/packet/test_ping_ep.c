/* SPDX-License-Identifier: MIT */
/*
 * Packet-level tests of ping endpoints (src/raw/ping.c, Linux's SOCK_DGRAM ICMP sockets):
 * echo requests with the endpoint's identifier and checksum, replies demultiplexed by
 * identifier (and bound address, never the peer), identifiers as ports, ICMP errors and
 * failed resolution as pending errors, and a ping between two stacks.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netstack/raw.h"
#include "twostack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

static struct ns_ep *ping_open(struct nt *t)
{
	return nt_ep_open(t, NS_AF_INET, NS_IPPROTO_ICMP);
}

/* An echo request as an application writes it: the id and checksum are the stack's. */
static size_t echo_msg(uint8_t *b, uint16_t seq, const char *payload)
{
	size_t n = strlen(payload);

	b[0] = ICMPV4_ECHO_REQUEST;
	b[1] = 0;
	wr16(b + 2, 0xffff); /* garbage: replaced */
	wr16(b + 4, 0x9999); /* likewise */
	wr16(b + 6, seq);
	memcpy(b + 8, payload, n);
	return 8 + n;
}

static ns_err ping_to(struct ns_ep *ep, struct ns_addr to, uint16_t seq, const char *payload)
{
	uint8_t b[256];
	size_t len = echo_msg(b, seq, payload), n = 0;
	struct ns_sockaddr sa = {.addr = to, .port = 1234 /* ignored */};
	ns_err err = ns_ep_write(ep, b, len, &(struct ns_write_opts){.to = &sa}, &n);

	if (err == NS_OK)
		assert_int_equal(n, len);
	return err;
}

static uint16_t ident(struct ns_ep *ep)
{
	struct ns_sockaddr la;

	assert_int_equal(ns_ep_local_addr(ep, &la), NS_OK);
	return la.port;
}

static void bind_id(struct ns_ep *ep, struct ns_addr a, uint16_t id, ns_err want)
{
	struct ns_sockaddr sa = {.addr = a, .port = id};

	assert_int_equal(ns_ep_bind(ep, &sa), want);
}

/* ---------------------------------------------------------------- echo */

/* The request leaves with the endpoint's identifier (drawn from the ephemeral range), the
 * application's sequence number and data, a right checksum, DF and the default TTL. */
static void request_carries_identifier(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t);
	uint16_t id;

	assert_int_equal(ident(ep), 0);
	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 7, "abcdefgh"), NS_OK);
	id = ident(ep);
	assert_true(id >= 32768 && id <= 60999);
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_PEER, .src = NT_ADDR_US, .dst = NT_ADDR_PEER,
	                          .ttl = 64, .df = 1, .ip_len = 36, .type = ICMPV4_ECHO_REQUEST,
	                          .code = 0, .id = id, .seq = 7, .payload = "abcdefgh"));
	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 8, ""), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.id = id, .seq = 8, .len = 0));
	assert_int_equal(nt_stat(t, NS_STAT_PING_TX), 2);
	ns_ep_close(ep);
}

/* A reply with the identifier is read whole (header included, as it arrived); one with
 * another identifier reaches nobody. */
static void reply_read_whole(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t);
	uint8_t frame[128], buf[128];
	struct ns_read_result res;
	uint16_t id;
	uint32_t n;

	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 1, "x"), NS_OK);
	nt_discard(t);
	id = ident(ep);
	n = nt_build_icmp(NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = id, .seq = 1, .payload = "pong"),
	                  frame, sizeof(frame));
	nt_send_frame(t, frame, n);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = (uint16_t)(id + 1), .seq = 1));
	assert_int_equal(ns_ep_readiness(ep, NS_EV_IN), NS_EV_IN);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 12);
	assert_memory_equal(buf, frame + 14 + 20, 12);
	assert_true(ns_addr_eq(&res.from.addr, &NT_ADDR_PEER));
	assert_int_equal(res.from.port, 0);
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_PING_RX), 1);
	assert_int_equal(nt_drops(t, NS_DROP_PING_NO_ENDPOINT), 1);
	nt_expect_nothing(t); /* no error about a reply */
	ns_ep_close(ep);
}

/* Replies go to the endpoint whose identifier they carry. */
static void identifier_demux(void **state)
{
	struct nt *t = *state;
	struct ns_ep *a = ping_open(t), *b = ping_open(t);
	uint8_t buf[64];
	struct ns_read_result res;

	bind_id(a, NT_ADDR_ZERO, 1000, NS_OK);
	bind_id(b, NT_ADDR_ZERO, 1001, NS_OK);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 1001, .seq = 11));
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 1000, .seq = 10));
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 1001, .seq = 12));
	assert_int_equal(ns_ep_read(a, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(rd16(buf + 6), 10);
	nt_expect_empty(a);
	assert_int_equal(ns_ep_read(b, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(rd16(buf + 6), 11);
	assert_int_equal(ns_ep_read(b, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(rd16(buf + 6), 12);
	nt_expect_empty(b);
	/* An echo request with that identifier is the stack's to answer, not theirs. */
	nt_send_icmp_echo(t, NT_ICMP(.id = 1000));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 1000));
	nt_expect_empty(a);
	ns_ep_close(a);
	ns_ep_close(b);
}

/* Identifiers are ports: explicit binds, conflicts whatever the address (Linux
 * ping_get_port()), SO_REUSEADDR sharing, release on close. */
static void identifiers_as_ports(void **state)
{
	struct nt *t = *state;
	struct ns_subnet second = {.addr = NT_V4(192, 0, 2, 3), .prefix = 24};
	struct ns_ep *a = ping_open(t), *b = ping_open(t), *c;
	uint8_t buf[64];

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &second), NS_OK);
	nt_discard(t);
	bind_id(a, NT_ADDR_US, 5000, NS_OK);
	bind_id(a, NT_ADDR_US, 5001, NS_ERR_INVALID_ENDPOINT_STATE);
	bind_id(b, NT_ADDR_US, 5000, NS_ERR_PORT_IN_USE);
	bind_id(b, NT_V4(192, 0, 2, 3), 5000, NS_ERR_PORT_IN_USE);
	bind_id(b, NT_V4(192, 0, 2, 255), 0, NS_ERR_BAD_LOCAL_ADDRESS);
	bind_id(b, NT_V4(198, 51, 100, 1), 0, NS_ERR_BAD_LOCAL_ADDRESS);
	ns_ep_close(a);
	bind_id(b, NT_ADDR_US, 5000, NS_OK); /* released by close */

	/* Both with SO_REUSEADDR: shared; the newest gets the replies. */
	c = ping_open(t);
	a = ping_open(t);
	assert_int_equal(ns_ep_set_opt(c, NS_SO_REUSEADDR, 1), NS_OK);
	assert_int_equal(ns_ep_set_opt(a, NS_SO_REUSEADDR, 1), NS_OK);
	bind_id(c, NT_ADDR_ZERO, 6000, NS_OK);
	bind_id(a, NT_ADDR_ZERO, 6000, NS_OK);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 6000));
	assert_int_equal(ns_ep_read(a, buf, sizeof(buf), 0, NULL), NS_OK);
	nt_expect_empty(c);
	ns_ep_close(a);
	ns_ep_close(b);
	ns_ep_close(c);
}

/* A bound address filters on the reply's destination. */
static void bound_address_filters(void **state)
{
	struct nt *t = *state;
	struct ns_subnet second = {.addr = NT_V4(192, 0, 2, 3), .prefix = 24};
	struct ns_ep *ep = ping_open(t);
	uint8_t buf[64];

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &second), NS_OK);
	nt_discard(t);
	bind_id(ep, NT_ADDR_US, 4242, NS_OK);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .dst = NT_V4(192, 0, 2, 3), .id = 4242));
	nt_expect_empty(ep);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 4242));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_OK);
	/* Requests go out from the bound address. */
	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 1, "b"), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.src = NT_ADDR_US, .id = 4242));
	ns_ep_close(ep);
}

/* As Linux, a connected endpoint takes replies from any source; connect binds an
 * identifier and the route's source; disconnect gives back what bind did not name. */
static void connected(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER}, la;
	struct ns_sockaddr unspec = {.addr = {.family = NS_AF_UNSPEC}};
	uint8_t b[64];
	size_t n;
	uint16_t id;

	assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	id = ident(ep);
	assert_int_not_equal(id, 0);
	assert_int_equal(ns_ep_local_addr(ep, &la), NS_OK);
	assert_true(ns_addr_eq(&la.addr, &NT_ADDR_US));
	n = echo_msg(b, 3, "conn");
	assert_int_equal(ns_ep_write(ep, b, n, NULL, &n), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.dst = NT_ADDR_PEER, .id = id, .seq = 3));
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .src = NT_V4(192, 0, 2, 77), .id = id));
	assert_int_equal(ns_ep_read(ep, b, sizeof(b), 0, NULL), NS_OK);
	assert_int_equal(ns_ep_peer_addr(ep, &la), NS_OK);
	assert_true(ns_addr_eq(&la.addr, &NT_ADDR_PEER));
	assert_int_equal(ns_ep_connect(ep, &unspec), NS_OK);
	assert_int_equal(ident(ep), 0);
	assert_int_equal(ns_ep_peer_addr(ep, &la), NS_ERR_NOT_CONNECTED);
	n = echo_msg(b, 4, "");
	assert_int_equal(ns_ep_write(ep, b, n, NULL, &n), NS_ERR_DESTINATION_REQUIRED);
	/* A bound identifier survives disconnect. */
	bind_id(ep, NT_ADDR_ZERO, 777, NS_OK);
	assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	assert_int_equal(ns_ep_connect(ep, &unspec), NS_OK);
	assert_int_equal(ident(ep), 777);
	ns_ep_close(ep);
}

/* What a write must be (ping_common_sendmsg()), and where it may go. */
static void write_rules(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	struct ns_write_opts o = {.to = &peer};
	static uint8_t big[65536];
	uint8_t b[64];
	size_t n = echo_msg(b, 1, "");

	assert_int_equal(ns_ep_write(ep, b, 7, &o, NULL), NS_ERR_INVALID_ARGUMENT);
	b[0] = ICMPV4_ECHO_REPLY;
	assert_int_equal(ns_ep_write(ep, b, n, &o, NULL), NS_ERR_INVALID_ARGUMENT);
	b[0] = ICMPV4_ECHO_REQUEST;
	b[1] = 1;
	assert_int_equal(ns_ep_write(ep, b, n, &o, NULL), NS_ERR_INVALID_ARGUMENT);
	b[1] = 0;
	assert_int_equal(ns_ep_write(ep, b, n, NULL, NULL), NS_ERR_DESTINATION_REQUIRED);
	assert_int_equal(ident(ep), 0); /* nothing bound by the failures before the address */
	echo_msg(big, 1, "");
	assert_int_equal(ns_ep_write(ep, big, 65536, &o, NULL), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ns_ep_write(ep, big, 1480, &o, NULL), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.ip_len = 1500, .df = 1));
	/* Larger: fragmented (IP_PMTUDISC_WANT), or refused under DO. */
	assert_int_equal(ns_ep_write(ep, big, 1481, &o, NULL), NS_OK);
	nt_expect_ipv4(t, NT_IPV4(.ip_proto = 1, .ip_len = 1500, .df = 0, .mf = 1));
	nt_expect_ipv4(t, NT_IPV4(.ip_proto = 1, .ip_len = 21, .frag_off = 1480, .mf = 0));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DO), NS_OK);
	assert_int_equal(ns_ep_write(ep, big, 1481, &o, NULL), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(ping_to(ep, NT_V4(192, 0, 2, 255), 1, "bc"), NS_ERR_BROADCAST_DISABLED);
	assert_int_equal(ns_ep_set_opt(ep, NS_SO_BROADCAST, 1), NS_OK);
	assert_int_equal(ping_to(ep, NT_V4(192, 0, 2, 255), 1, "bc"), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.eth_dst = NT_MAC_BCAST, .dst = NT_V4(192, 0, 2, 255)));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TTL, 3), NS_OK);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_TOS, 0x10), NS_OK);
	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 2, "t"), NS_OK);
	nt_expect_icmp(t, NT_ICMP(.ttl = 3, .tos = 0x10, .seq = 2));
	ns_ep_close(ep);
}

/* ---------------------------------------------------------------- errors */

/* Answer the last request @ep sent (captured from the wire) with ICMP @type/@code. */
static void answer_with_error(struct nt *t, struct ns_ep *ep, uint8_t type, uint8_t code)
{
	const struct nt_frame *f;
	uint8_t quote[28];

	assert_int_equal(ping_to(ep, NT_ADDR_PEER, 1, "errs"), NS_OK);
	f = nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REQUEST));
	memcpy(quote, f->l3, 28);
	nt_send_icmp(t,
	             NT_ICMP(.type = type, .code = code, .rest = 0, .payload = quote, .len = 28));
}

/* ping_err(): hard errors on connected endpoints, every error with NS_IP_RECVERR, nothing
 * for an unconnected endpoint without it. */
static void icmp_errors(void **state)
{
	struct nt *t = *state;
	struct ns_ep *un = ping_open(t), *conn = ping_open(t), *rerr = ping_open(t);
	struct ns_sockaddr peer = {.addr = NT_ADDR_PEER};
	uint8_t buf[64];
	int64_t v;

	assert_int_equal(ns_ep_connect(conn, &peer), NS_OK);
	assert_int_equal(ns_ep_set_opt(rerr, NS_IP_RECVERR, 1), NS_OK);
	answer_with_error(t, un, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PORT);
	assert_int_equal(ns_ep_readiness(un, NS_EV_ERR), 0);
	answer_with_error(t, conn, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PORT);
	assert_int_equal(ns_ep_readiness(conn, NS_EV_ERR | NS_EV_IN), NS_EV_ERR | NS_EV_IN);
	assert_int_equal(ns_ep_read(conn, buf, sizeof(buf), 0, NULL), NS_ERR_CONNECTION_REFUSED);
	answer_with_error(t, conn, ICMPV4_TIME_EXCEEDED, ICMPV4_EXC_TTL); /* soft */
	assert_int_equal(ns_ep_readiness(conn, NS_EV_ERR), 0);
	answer_with_error(t, rerr, ICMPV4_TIME_EXCEEDED, ICMPV4_EXC_TTL);
	assert_int_equal(ns_ep_get_opt(rerr, NS_SO_ERROR, &v), NS_OK);
	assert_int_equal(v, NS_ERR_HOST_UNREACHABLE);
	answer_with_error(t, rerr, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_NET);
	assert_int_equal(ping_to(rerr, NT_ADDR_PEER, 1, "x"), NS_ERR_NETWORK_UNREACHABLE);
	nt_expect_nothing(t);
	ns_ep_close(un);
	ns_ep_close(conn);
	ns_ep_close(rerr);
}

/* A request whose next hop never resolves: host unreachable for the endpoint that sent it
 * (with NS_IP_RECVERR: the error is soft). */
static void resolution_failure(void **state)
{
	struct nt t;
	struct ns_ep *ep;
	uint8_t buf[64];

	(void)state;
	nt_setup(&t, NT_OPTS(.no_neighbor = true));
	ep = ping_open(&t);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_RECVERR, 1), NS_OK);
	assert_int_equal(ping_to(ep, NT_V4(192, 0, 2, 9), 1, "arp"), NS_OK);
	nt_advance(&t, 5 * NS_SEC);
	nt_discard(&t); /* the ARP requests */
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, NULL), NS_ERR_HOST_UNREACHABLE);
	ns_ep_close(ep);
	nt_teardown(&t);
}

/* A raw ICMP endpoint and a ping endpoint both see a reply. */
static void raw_and_ping_both_see_reply(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t), *raw = NULL;
	uint8_t buf[64];
	struct ns_read_result res;

	assert_int_equal(ns_ep_new_raw(t->s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &raw), NS_OK);
	bind_id(ep, NT_ADDR_ZERO, 99, NS_OK);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 99, .payload = "r"));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 9);
	assert_int_equal(ns_ep_read(raw, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 29);
	ns_ep_close(ep);
	ns_ep_close(raw);
}

static void rcvbuf_full(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = ping_open(t);
	uint8_t buf[64];
	int got = 0;

	assert_int_equal(ns_ep_set_opt(ep, NS_SO_RCVBUF, 0), NS_OK);
	bind_id(ep, NT_ADDR_ZERO, 1, NS_OK);
	for (int i = 0; i < 4; i++)
		nt_send_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .id = 1));
	while (ns_ep_read(ep, buf, sizeof(buf), 0, NULL) == NS_OK)
		got++;
	assert_int_equal(got, 2);
	assert_int_equal(nt_drops(t, NS_DROP_PING_RCVBUF_FULL), 2);
	ns_ep_close(ep);
}

static void families_and_options(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep = NULL;
	int64_t v;

	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_ICMP, NULL, &ep),
	                 NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	ep = ping_open(t);
	assert_int_equal(ns_ep_get_opt(ep, NS_IP_TTL, &v), NS_OK);
	assert_int_equal(v, 64);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_HDRINCL, 1), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	assert_int_equal(ns_ep_listen(ep, 1), NS_ERR_NOT_SUPPORTED);
	assert_int_equal(ns_ep_shutdown(ep, NS_SHUT_RD), NS_ERR_NOT_CONNECTED);
	assert_int_equal(ns_ep_read(ep, &v, sizeof(v), 0, NULL), NS_OK); /* end of file */
	ns_ep_close(ep);
}

/* ---------------------------------------------------------------- two stacks */

/* A ping endpoint on stack A pings stack B, which answers (and a raw ICMP endpoint on B
 * sees the request go by). */
static void ping_between_two_stacks(void **state)
{
	struct ns_impair_config ic = {0};
	struct ts_world *w = ts_new(&ic, 77);
	struct ns_ep *ping = NULL, *raw = NULL;
	struct ns_sockaddr b = {.addr = NT_V4(192, 0, 2, 2)};
	struct ns_read_result res;
	uint8_t msg[64], buf[128];
	size_t n = echo_msg(msg, 42, "between stacks");

	(void)state;
	assert_int_equal(ns_ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &ping), NS_OK);
	assert_int_equal(ns_ep_new_raw(w->b.s, NS_AF_INET, NS_IPPROTO_ICMP, NULL, &raw), NS_OK);
	assert_int_equal(ns_ep_connect(ping, &b), NS_OK);
	assert_int_equal(ns_ep_write(ping, msg, n, NULL, NULL), NS_OK);
	for (int i = 0; i < 4; i++)
		ts_pump(w);
	assert_int_equal(ns_ep_read(ping, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, n);
	assert_int_equal(buf[0], ICMPV4_ECHO_REPLY);
	assert_int_equal(rd16(buf + 4), ident(ping));
	assert_int_equal(rd16(buf + 6), 42);
	assert_memory_equal(buf + 8, "between stacks", n - 8);
	assert_int_equal(csum_finish(csum_partial(buf, n, 0)), 0);
	assert_true(ns_addr_eq(&res.from.addr, &b.addr));
	assert_int_equal(ns_ep_read(raw, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 20 + n);
	assert_int_equal(buf[20], ICMPV4_ECHO_REQUEST);
	ns_ep_close(ping);
	ns_ep_close(raw);
	ts_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt_cm_setup, nt_cm_teardown)
	    T(request_carries_identifier),
	    T(reply_read_whole),
	    T(identifier_demux),
	    T(identifiers_as_ports),
	    T(bound_address_filters),
	    T(connected),
	    T(write_rules),
	    T(icmp_errors),
	    T(raw_and_ping_both_see_reply),
	    T(rcvbuf_full),
	    T(families_and_options),
	    cmocka_unit_test(resolution_failure),
	    cmocka_unit_test(ping_between_two_stacks),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
