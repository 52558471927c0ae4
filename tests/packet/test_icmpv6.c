/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: ICMPv6 (RFC 4443) on the harness6 world: the errors the stack sends and
 * when it must not (2.4(e)), their rate limit (2.4(f)), the errors it receives and how they
 * reach a UDP endpoint, and malformed messages. The errors only a forwarding node sends
 * are in test_ipv6_forward.c.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/endpoint.h"
#include "netstack/stats.h"

static struct ns_ep *udp6_open(struct nt *t, struct ns_waiter_queue *wq, uint16_t lport,
                               bool connect)
{
	struct ns_ep *ep;
	struct ns_sockaddr local = {.addr = NT6_ADDR_US, .port = lport};
	struct ns_sockaddr peer = {.addr = NT6_ADDR_PEER, .port = NT_DEF_SPORT};

	ns_waiter_queue_init(wq);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_UDP, wq, &ep), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &local), NS_OK);
	if (connect)
		assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	return ep;
}

/* ---------------------------------------------------------------- errors sent */

/* RFC 4443 3.1 code 4, quoting the datagram from its IPv6 header. */
static void port_unreachable_sent(void **state)
{
	struct nt *t = *state;
	const struct nt6_frame *f;
	struct ns_addr peer = NT6_ADDR_PEER;

	nt6_send_udp(t, NT6_UDP(.dport = 9, .payload = "anyone?"));
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_PORT,
	                                .rest = 0, .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER,
	                                .hop_limit = 64));
	assert_int_equal(f->payload_len, IPV6_HLEN + UDP_HLEN + 7);
	assert_memory_equal(ipv6_get_src(f->payload), peer.a, 16);
	assert_int_equal(rd16(f->payload + IPV6_HLEN + 2), 9);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ERRORS_TX), 1);
	assert_int_equal(nt_drops(t, NS_DROP_PORT_UNREACHABLE), 1);
	nt_expect_nothing(t);
}

/* RFC 4443 2.4(c): the quote stops where the error would exceed 1280 bytes. */
static void error_fits_minimum_mtu(void **state)
{
	static uint8_t big[1400];
	struct nt *t = *state;
	const struct nt6_frame *f;

	memset(big, 'x', sizeof(big));
	nt6_send_udp(t, NT6_UDP(.dport = 9, .payload = big, .len = sizeof(big)));
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_PORT));
	assert_int_equal(IPV6_HLEN + f->ip.payload_len, IPV6_MIN_MTU);
	nt_expect_nothing(t);
}

/* RFC 4443 2.4(e): what is never answered. */
static void errors_never_sent(void **state)
{
	struct nt *t = *state;
	uint8_t d[8] = {IPV6_NH_ICMPV6, 0, 0x9e, 4, 0, 0, 0, 0};
	struct ns_addr g = NT6(0xff, 0x02, [15] = 0x42);

	/* (e.3) a closed port at a group we joined. */
	assert_int_equal(ns_ipv6_join(t->s, NT_NIC, &g), NS_OK);
	nt_discard(t); /* the join's report */
	nt6_send_udp(t, NT6_UDP(.dst = g, .dport = 9, .payload = "group"));
	/* (e.4) a closed port, sent as a link-layer multicast. */
	nt6_send_udp(t, NT6_UDP(.eth_dst = NT_MAC(0x33, 0x33, 0, 0, 0, 1), .dport = 9));
	/* (e.6) from the unspecified address (dropped before UDP), or from a group. */
	nt6_send_icmp(t,
	              NT6_ICMP(.src = NT6_UNSPEC, .nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8));
	/* (e.1) about an ICMPv6 error: an error message with an option asking for one. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = 0, .rest = 0,
	                          .nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8,
	                          .payload = "quoted packet", .len = 13));
	/* (e.2) about a redirect. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_REDIRECT, .rest = 0, .hop_limit = 255,
	                          .nh = IPV6_NH_DSTOPTS, .ext = d, .ext_len = 8));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ERRORS_TX), 0);
	assert_int_equal(ns_ipv6_leave(t->s, NT_NIC, &g), NS_OK);
	nt_discard(t);
}

/* RFC 4443 2.4(f): a token bucket per destination (6 at once, then one a second) and
 * one for the stack. */
static void errors_rate_limited(void **state)
{
	struct nt *t = *state;
	int got = 0;

	for (int i = 0; i < 20; i++)
		nt6_send_udp(t, NT6_UDP(.dport = 9));
	while (nt_pending(t)) {
		nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = 4));
		got++;
	}
	assert_int_equal(got, 6);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 14);
	/* Another peer still gets its own. */
	nt6_send_udp(t, NT6_UDP(.src = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1), .dport = 9));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH,
	                            .dst = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1)));
	/* A second later, one more token. */
	nt_advance(t, NS_SEC);
	nt6_send_udp(t, NT6_UDP(.dport = 9));
	nt6_send_udp(t, NT6_UDP(.dport = 9));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .dst = NT6_ADDR_PEER));
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- errors received */

/* An error from the peer about the datagram @ep sent: ICMPv6 header, then the datagram as
 * we sent it (the last frame the checker took), cut to @quote bytes. */
static void send_error_about(struct nt *t, const struct nt6_frame *sent, uint8_t type, uint8_t code,
                             uint32_t rest, uint32_t quote)
{
	uint32_t n = IPV6_HLEN + sent->ip.payload_len;

	if (quote && quote < n)
		n = quote;
	nt6_send_icmp(
	    t, NT6_ICMP(.type = type, .code = code, .rest = rest, .payload = sent->l3, .len = n));
}

static ns_err send_and_error(struct nt *t, struct ns_ep *ep, uint8_t type, uint8_t code,
                             uint32_t rest)
{
	size_t w;
	int64_t err;
	const struct nt6_frame *f;
	uint8_t copy[256];
	struct nt6_frame saved;

	assert_int_equal(ns_ep_write(ep, "ping", 4, NULL, &w), NS_OK);
	f = nt6_expect_udp(t, NT6_UDP(.src = NT6_ADDR_US, .dst = NT6_ADDR_PEER, .payload = "ping"));
	memcpy(&saved, f, offsetof(struct nt6_frame, b));
	memcpy(copy, f->l3, IPV6_HLEN + f->ip.payload_len);
	saved.l3 = copy;
	send_error_about(t, &saved, type, code, rest, 0);
	assert_int_equal(ns_ep_get_opt(ep, NS_SO_ERROR, &err), NS_OK);
	return (ns_err)err;
}

/* Linux's icmpv6_err_convert(): each error as the errno a connected UDP socket sees. */
static void errors_reach_udp(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue wq;
	struct ns_ep *ep = udp6_open(t, &wq, 5000, true);

	assert_int_equal(send_and_error(t, ep, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_PORT, 0),
	                 NS_ERR_CONNECTION_REFUSED);
	assert_int_equal(send_and_error(t, ep, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_ADMIN, 0),
	                 NS_ERR_HOST_UNREACHABLE);
	assert_int_equal(send_and_error(t, ep, ICMPV6_PACKET_TOO_BIG, 0, 1280),
	                 NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(send_and_error(t, ep, ICMPV6_PARAM_PROBLEM, 0, 6),
	                 NS_ERR_MALFORMED_HEADER);
	/* Soft errors: only with IP_RECVERR, as Linux. */
	assert_int_equal(send_and_error(t, ep, ICMPV6_TIME_EXCEEDED, 0, 0), NS_OK);
	assert_int_equal(send_and_error(t, ep, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_NOROUTE, 0),
	                 NS_OK);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_RECVERR, 1), NS_OK);
	assert_int_equal(send_and_error(t, ep, ICMPV6_TIME_EXCEEDED, 0, 0),
	                 NS_ERR_HOST_UNREACHABLE);
	/* RFC 4443 2.4(b): an error of unknown type still reaches the sender. */
	assert_int_equal(send_and_error(t, ep, 100, 0, 0), NS_ERR_MALFORMED_HEADER);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ERRORS_RX), 8);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* The quote may carry extension headers before the transport header. */
static void error_quote_with_extension_headers(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue wq;
	struct ns_ep *ep = udp6_open(t, &wq, 5001, true);
	uint8_t q[IPV6_HLEN + 8 + UDP_HLEN];
	struct ipv6_repr ip = {.payload_len = 16, .next_header = IPV6_NH_DSTOPTS, .hop_limit = 64};
	int64_t err;

	memcpy(ip.src, NT6_ADDR_US.a, 16);
	memcpy(ip.dst, NT6_ADDR_PEER.a, 16);
	ipv6_emit(&ip, q);
	memset(q + IPV6_HLEN, 0, 8);
	q[IPV6_HLEN] = IPV6_NH_UDP;
	q[IPV6_HLEN + 2] = IPV6_OPT_PADN;
	q[IPV6_HLEN + 3] = 4;
	wr16(q + IPV6_HLEN + 8, 5001);
	wr16(q + IPV6_HLEN + 10, NT_DEF_SPORT);
	wr16(q + IPV6_HLEN + 12, 8);
	wr16(q + IPV6_HLEN + 14, 0);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_PORT,
	                          .rest = 0, .payload = q, .len = sizeof(q)));
	assert_int_equal(ns_ep_get_opt(ep, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_REFUSED);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* An error quoting a packet we could not have sent (another source), or too little of
 * one, is refused. */
static void bad_quotes_refused(void **state)
{
	struct nt *t = *state;
	uint8_t q[IPV6_HLEN + UDP_HLEN];
	struct ipv6_repr ip = {.payload_len = 8, .next_header = IPV6_NH_UDP, .hop_limit = 64};

	memcpy(ip.src, NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x77).a, 16);
	memcpy(ip.dst, NT6_ADDR_PEER.a, 16);
	ipv6_emit(&ip, q);
	memset(q + IPV6_HLEN, 0, UDP_HLEN);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = 4, .rest = 0, .payload = q,
	                          .len = sizeof(q)));
	memcpy(ip.src, NT6_ADDR_US.a, 16);
	ipv6_emit(&ip, q);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = 4, .rest = 0, .payload = q,
	                          .len = IPV6_HLEN + 4));
	nt6_send_icmp(
	    t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .rest = 1400, .payload = q, .len = 20));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ICMPV6_BAD_QUOTE), 3);
}

/* ---------------------------------------------------------------- malformed */

static void malformed_messages_dropped(void **state)
{
	struct nt *t = *state;

	nt6_send_icmp(t, NT6_ICMP(.csum = 0x1234));
	nt6_send_raw(t, NT6_RAW(.upper = IPV6_NH_ICMPV6, .payload = "\x80\x00\x00", .len = 4));
	/* An informational type nobody knows (RFC 4443 2.4(a)): discarded. */
	nt6_send_icmp(t, NT6_ICMP(.type = 200, .rest = 0));
	/* An echo request from the unspecified address cannot be answered. */
	nt6_send_icmp(t, NT6_ICMP(.src = NT6_UNSPEC));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_ICMPV6_BAD_CSUM), 1);
	assert_int_equal(nt_drops(t, NS_DROP_ICMPV6_TRUNCATED), 1);
	assert_int_equal(nt_drops(t, NS_DROP_ICMPV6_UNHANDLED), 1);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NO_SOURCE), 1);
}

/* An echo request that arrives with little headroom is still answered (the reply moves
 * to a fresh packet), and a large one comes back whole. */
static void large_echo(void **state)
{
	static uint8_t data[1400];
	struct nt *t = *state;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	nt6_send_icmp(t, NT6_ICMP(.seq = 77, .payload = data, .len = sizeof(data)));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .seq = 77, .payload = data,
	                            .len = sizeof(data)));
	nt_expect_nothing(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(port_unreachable_sent),
	    T(error_fits_minimum_mtu),
	    T(errors_never_sent),
	    T(errors_rate_limited),
	    T(errors_reach_udp),
	    T(error_quote_with_extension_headers),
	    T(bad_quotes_refused),
	    T(malformed_messages_dropped),
	    T(large_echo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
