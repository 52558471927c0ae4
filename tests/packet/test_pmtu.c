/* SPDX-License-Identifier: MIT */
/*
 * Path MTU discovery for UDP (RFC 1191; Linux's IP_MTU_DISCOVER modes), packet level: the
 * peer answers a datagram with an ICMP "fragmentation needed" quoting it, as a router
 * would; what the endpoint reports, what the next datagrams look like on the wire (size,
 * DF, fragments) and what IP_MTU says are checked for each mode: WANT (the default: fragment,
 * DF only on what fits, EMSGSIZE once on a connected endpoint), DO (EMSGSIZE), DONT (no DF,
 * no error) and PROBE (the link MTU, not the path's). Then the cache itself: a message about
 * no endpoint of ours changes nothing, an unconnected endpoint's datagram lowers the path
 * MTU without an error, and after 10 minutes the link MTU is back.
 */
#include <string.h>

#include "harness.h"
#include "wire/checksum.h"

#define ST struct nt *t = *state

static uint8_t data[4000];

/* A UDP endpoint on port 5000, connected to the peer's port 6000 unless @unconnected. */
static struct ns_ep *udp_ep(struct nt *t, bool unconnected)
{
	struct ns_ep *ep = NULL;
	struct ns_sockaddr b = nt_sa(NT_ADDR_ZERO, 5000), peer = nt_sa(NT_ADDR_PEER, 6000);

	assert_int_equal(ns_ep_new(t->s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &ep), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &b), NS_OK);
	if (!unconnected)
		assert_int_equal(ns_ep_connect(ep, &peer), NS_OK);
	return ep;
}

static ns_err send_n(struct ns_ep *ep, uint32_t n)
{
	struct ns_sockaddr to = nt_sa(NT_ADDR_PEER, 6000);
	struct ns_write_opts o = {.to = &to};
	size_t w = 0;

	return ns_ep_write(ep, data, n, &o, &w);
}

/* Send @n bytes, capture the datagram (one frame, DF as @df) and answer it with a "frag
 * needed" for @mtu quoting it. */
static void send_and_frag_needed(struct nt *t, struct ns_ep *ep, uint32_t n, int64_t df,
                                 uint16_t mtu)
{
	const struct nt_frame *f;
	uint8_t quote[28];

	assert_int_equal(send_n(ep, n), NS_OK);
	f = nt_expect_udp(t, NT_UDP(.df = df, .ulen = 8 + n));
	memcpy(quote, f->l3, 28);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = mtu, .payload = quote, .len = 28));
}

static int64_t ip_mtu(struct ns_ep *ep)
{
	int64_t v = 0;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU, &v), NS_OK);
	return v;
}

/* Read the next @n frames: IPv4 fragments of at most @mtu bytes, DF clear; returns the
 * payload bytes they carry. */
static uint32_t expect_fragments(struct nt *t, uint32_t n, uint32_t mtu)
{
	uint32_t total = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct nt_frame *f = nt_expect_ipv4(t, NT_IPV4(.df = 0, .mf = i + 1 < n));

		assert_true(f->ip.total_len <= mtu);
		assert_int_equal(f->ip.frag_off, total);
		total += f->ip.total_len - f->ip.hdr_len;
	}
	return total;
}

/* WANT, Linux's default: the path MTU drops to 1000; the connected endpoint's next write
 * returns EMSGSIZE once (a hard error, Linux's __udp4_lib_err()); then a 1200-byte datagram
 * leaves in two fragments without DF, and a 900-byte one whole with DF. */
static void want_fragments_and_reports_once(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);
	int64_t mode = -1;

	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU_DISCOVER, &mode), NS_OK);
	assert_int_equal(mode, NS_PMTUDISC_WANT);
	assert_int_equal(ip_mtu(ep), 1500);
	send_and_frag_needed(t, ep, 1400, 1, 1000);
	assert_int_equal(ip_mtu(ep), 1000);
	assert_int_equal(ns_ep_readiness(ep, NS_EV_ERR) & NS_EV_ERR, NS_EV_ERR);
	assert_int_equal(send_n(ep, 1200), NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	assert_int_equal(send_n(ep, 1200), NS_OK);
	assert_int_equal(expect_fragments(t, 2, 1000), 1208);
	assert_int_equal(send_n(ep, 900), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .mf = 0, .ip_len = 928));
	ns_ep_close(ep);
}

/* DO: a datagram over the path MTU is refused with EMSGSIZE; one that fits goes with DF. */
static void do_refuses_too_big(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);

	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DO), NS_OK);
	assert_int_equal(send_n(ep, 1473), NS_ERR_MESSAGE_TOO_LONG);
	send_and_frag_needed(t, ep, 1400, 1, 1000);
	assert_int_equal(send_n(ep, 1200), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(send_n(ep, 1200), NS_ERR_MESSAGE_TOO_LONG); /* every time */
	nt_expect_nothing(t);
	/* A datagram that fits meets the pending error first (Linux: sock_alloc_send_skb()
	 * reports sk_err after ip_append_data()'s size check), then goes. */
	assert_int_equal(send_n(ep, 972), NS_ERR_MESSAGE_TOO_LONG);
	assert_int_equal(send_n(ep, 972), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .ip_len = 1000));
	ns_ep_close(ep);
}

/* DONT: no DF at all, fragments to the path MTU, and a "frag needed" is no error. */
static void dont_never_sets_df(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);

	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DONT), NS_OK);
	send_and_frag_needed(t, ep, 1400, 0, 1000);
	assert_int_equal(ns_ep_readiness(ep, NS_EV_ERR) & NS_EV_ERR, 0);
	assert_int_equal(send_n(ep, 1200), NS_OK);
	assert_int_equal(expect_fragments(t, 2, 1000), 1208);
	assert_int_equal(send_n(ep, 100), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 0, .ip_len = 128));
	ns_ep_close(ep);
}

/* PROBE: sized by the link, whatever the path says: 1200 bytes go whole with DF after a
 * "frag needed" for 1000, and more than the link takes is refused. */
static void probe_uses_link_mtu(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);

	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_PROBE), NS_OK);
	send_and_frag_needed(t, ep, 1400, 1, 1000);
	assert_int_equal(ip_mtu(ep), 1000);
	(void)send_n(ep, 1); /* the pending EMSGSIZE */
	nt_discard(t);
	assert_int_equal(send_n(ep, 1200), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .ip_len = 1228));
	assert_int_equal(send_n(ep, 1473), NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

/* At the 552-byte floor (a "frag needed" for less: the path MTU is held there, Linux's
 * locked MTU) DF goes off so that routers may fragment on the narrower path, for WANT;
 * a DO endpoint keeps DF on everything (Linux's __ip_make_skb(): DO and PROBE always set
 * it). */
static void floor_clears_df_unless_do(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);

	send_and_frag_needed(t, ep, 1400, 1, 300);
	assert_int_equal(ip_mtu(ep), 552);
	(void)send_n(ep, 1); /* the pending EMSGSIZE */
	nt_discard(t);
	assert_int_equal(send_n(ep, 500), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 0, .ip_len = 528));
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DO), NS_OK);
	assert_int_equal(send_n(ep, 500), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .ip_len = 528));
	assert_int_equal(send_n(ep, 525), NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	ns_ep_close(ep);
}

/* Bad option values; IP_MTU is read-only and needs a connected endpoint (ENOTCONN). */
static void options_checked(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, true);
	int64_t v;

	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, 4), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, -1), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU, 1000), NS_ERR_UNKNOWN_PROTOCOL_OPTION);
	assert_int_equal(ns_ep_get_opt(ep, NS_IP_MTU, &v), NS_ERR_NOT_CONNECTED);
	ns_ep_close(ep);
}

/* An unconnected endpoint's datagram lowers the path MTU (the quote names an endpoint of
 * ours) but, without IP_RECVERR, reports nothing (Linux). A quote about a port nobody has,
 * or from an address not ours, changes nothing. */
static void cache_needs_an_endpoint_of_ours(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, true);
	struct ns_route r;
	struct ns_addr peer = NT_ADDR_PEER;
	const struct nt_frame *f;
	uint8_t quote[28], bad[28];

	assert_int_equal(send_n(ep, 1400), NS_OK);
	f = nt_expect_udp(t, NT_UDP(.df = 1));
	memcpy(quote, f->l3, 28);
	memcpy(bad, quote, 28);
	wr16(bad + 20, 5001); /* another source port: no endpoint */
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = 1000, .payload = bad, .len = 28));
	memcpy(bad, quote, 28);
	bad[15] = 99; /* not our address */
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = 1000, .payload = bad, .len = 28));
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_PMTU_NOT_OURS), 2);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_int_equal(r.mtu, 1500);
	nt_send_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = 1000, .payload = quote, .len = 28));
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_int_equal(r.mtu, 1000);
	assert_int_equal(ns_ep_readiness(ep, NS_EV_ERR) & NS_EV_ERR, 0);
	/* The next datagram over 1000 bytes is fragmented. */
	assert_int_equal(send_n(ep, 1400), NS_OK);
	assert_int_equal(expect_fragments(t, 2, 1000), 1408);
	ns_ep_close(ep);
}

/* RFC 1191 6.3: after 10 minutes the estimate is forgotten and the link MTU tried again;
 * the generation moves so a connected endpoint's cached route sees it. */
static void path_mtu_expires(void **state)
{
	ST;
	struct ns_ep *ep = udp_ep(t, false);
	uint32_t gen;

	send_and_frag_needed(t, ep, 1400, 1, 1000);
	(void)send_n(ep, 1); /* the pending EMSGSIZE */
	nt_discard(t);
	assert_int_equal(ip_mtu(ep), 1000);
	gen = ns_stack_generation(t->s);
	nt_advance(t, 600 * NS_SEC - NS_MSEC);
	assert_int_equal(ip_mtu(ep), 1000);
	nt_advance(t, NS_MSEC);
	assert_int_equal(ip_mtu(ep), 1500);
	assert_true(ns_stack_generation(t->s) != gen);
	assert_int_equal(send_n(ep, 1400), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .ip_len = 1428));
	ns_ep_close(ep);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(want_fragments_and_reports_once),
	    T(do_refuses_too_big),
	    T(dont_never_sets_df),
	    T(probe_uses_link_mtu),
	    T(floor_clears_df_unless_do),
	    T(options_checked),
	    T(cache_needs_an_endpoint_of_ours),
	    T(path_mtu_expires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
