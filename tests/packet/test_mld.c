/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: multicast listening, MLDv2 (RFC 3810) with MLDv1 compatibility (RFC 2710),
 * on the harness6 world and the virtual clock: the reports a join and a leave send, the
 * answers to queries and when they come, query validation, and delivery to joined groups.
 * At setup the NIC is in ff02::1:ff00:2, the solicited-node group of both 2001:db8::2 and
 * fe80::ff:fe00:2.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/endpoint.h"
#include "netstack/stats.h"

#define G1  NT6(0xff, 0x05, [15] = 0x31) /* site scope */
#define G2  NT6(0xff, 0x0e, [15] = 0x32) /* global scope */
#define SN2 NT6_SNODE(0, 0, 2)

static void join(struct nt *t, struct ns_addr g)
{
	assert_int_equal(ns_ipv6_join(t->s, NT_NIC, &g), NS_OK);
}

static void leave(struct nt *t, struct ns_addr g)
{
	assert_int_equal(ns_ipv6_leave(t->s, NT_NIC, &g), NS_OK);
}

/* One report with one record of @type for @g. */
static void expect_report(struct nt *t, uint8_t type, struct ns_addr g)
{
	struct mld2_record r[4];
	size_t n;
	const struct nt6_frame *f = nt6_expect_mld2(t, r, 4, &n);

	assert_memory_equal(f->ip.src, NT6_LL_US.a, 16);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].type, type);
	assert_int_equal(r[0].nsources, 0);
	assert_memory_equal(r[0].group, g.a, 16);
}

/* A query from fe80::1 (hop limit 1, to @dst) for @group, MLDv2 unless @v1. */
static void send_query(struct nt *t, struct ns_addr dst, struct ns_addr group, uint32_t mrd_ms,
                       bool v1, int64_t hop, struct ns_addr src)
{
	struct mld_query q = {.v2 = true, .max_resp_ms = mrd_ms, .qrv = 2, .qqi_s = 125};
	uint8_t m[28];
	size_t n;

	memcpy(q.group, group.a, 16);
	n = mld_query_emit(&q, m);
	if (v1) {
		wr16(m + 4, (uint16_t)mrd_ms);
		n = MLD1_LEN;
	}
	/* The 8-byte ICMPv6 header carries the maximum response code in bytes 4..5. */
	nt6_send_icmp(t,
	              NT6_ICMP(.type = ICMPV6_MLD_QUERY, .src = src, .dst = dst, .hop_limit = hop,
	                       .rest = (int64_t)rd32(m + 4), .payload = m + 8, .len = n - 8));
}

/* Advance in 100 ms steps up to @max_ns; returns when the first frame appeared. */
static uint64_t wait_frame(struct nt *t, uint64_t max_ns)
{
	uint64_t waited = 0;

	while (!nt_pending(t) && waited <= max_ns) {
		nt_advance(t, 100 * NS_MSEC);
		waited += 100 * NS_MSEC;
	}
	return waited;
}

/* ---------------------------------------------------------------- join and leave */

/* RFC 3810 6.1: a join is reported at once (CHANGE_TO_EXCLUDE {}) and once more within the
 * Unsolicited Report Interval (1 s), from the link-local address, with Router Alert. */
static void join_reported(void **state)
{
	struct nt *t = *state;

	join(t, G1);
	expect_report(t, MLD2_CHANGE_TO_EXCLUDE, G1);
	nt_expect_nothing(t);
	nt_advance(t, NS_SEC);
	expect_report(t, MLD2_CHANGE_TO_EXCLUDE, G1);
	nt_advance(t, 10 * NS_SEC);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_MLD_REPORTS_TX), 2);
}

/* Joins are counted; the last leave sends CHANGE_TO_INCLUDE {} twice, then the group is
 * gone. */
static void leave_reported_after_last(void **state)
{
	struct nt *t = *state;

	join(t, G1);
	join(t, G1);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	leave(t, G1);
	nt_advance(t, 2 * NS_SEC);
	nt_expect_nothing(t);
	leave(t, G1);
	expect_report(t, MLD2_CHANGE_TO_INCLUDE, G1);
	nt_advance(t, 2 * NS_SEC);
	expect_report(t, MLD2_CHANGE_TO_INCLUDE, G1);
	nt_expect_nothing(t);
	assert_int_equal(ns_ipv6_leave(t->s, NT_NIC, &(struct ns_addr)G1),
	                 NS_ERR_BAD_LOCAL_ADDRESS);
	/* Packets to it are no longer accepted. */
	nt6_send_icmp(t, NT6_ICMP(.dst = G1));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1);
}

/* RFC 3810 6: nothing is reported for all-nodes or interface-local groups. */
static void unreported_groups(void **state)
{
	struct nt *t = *state;
	struct ns_addr bad = NT6_ADDR_US;

	join(t, NT6_ALL_NODES);
	join(t, NT6(0xff, 0x01, [15] = 0x33));
	nt_advance(t, 2 * NS_SEC);
	nt_expect_nothing(t);
	leave(t, NT6_ALL_NODES);
	leave(t, NT6(0xff, 0x01, [15] = 0x33));
	nt_advance(t, 2 * NS_SEC);
	nt_expect_nothing(t);
	assert_int_equal(ns_ipv6_join(t->s, NT_NIC, &bad), NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_ipv6_join(t->s, 9, &bad), NS_ERR_UNKNOWN_NIC);
}

/* A joined group's datagrams reach a UDP endpoint; the group's echo requests are
 * answered. */
static void joined_group_delivered(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue wq;
	struct ns_ep *ep;
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET6}, .port = 4242};
	struct ns_read_result res;
	char buf[16];

	join(t, G2);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	ns_waiter_queue_init(&wq);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_UDP, &wq, &ep), NS_OK);
	assert_int_equal(ns_ep_bind(ep, &any), NS_OK);
	nt6_send_udp(t, NT6_UDP(.dst = G2, .dport = 4242, .payload = "to the group"));
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 12);
	assert_memory_equal(buf, "to the group", 12);
	assert_memory_equal(res.from.addr.a, NT6_ADDR_PEER.a, 16);
	ns_ep_close(ep);
	nt6_send_icmp(t, NT6_ICMP(.dst = G2, .seq = 3));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_ADDR_US, .seq = 3));
	nt_expect_nothing(t);
}

/* Sending to a group we are in loops a copy back (IPV6_MULTICAST_LOOP, as Linux). */
static void own_multicast_looped(void **state)
{
	struct nt *t = *state;
	struct ns_waiter_queue wq;
	struct ns_ep *rx, *tx;
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET6}, .port = 4343};
	struct ns_sockaddr to = {.addr = G2, .port = 4343, .nic = NT_NIC};
	struct ns_write_opts wo = {.to = &to};
	struct ns_read_result res;
	char buf[8];
	size_t w;

	join(t, G2);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	ns_waiter_queue_init(&wq);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_UDP, &wq, &rx), NS_OK);
	assert_int_equal(ns_ep_bind(rx, &any), NS_OK);
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_UDP, &wq, &tx), NS_OK);
	assert_int_equal(ns_ep_write(tx, "loop", 4, &wo, &w), NS_OK);
	nt6_expect_udp(t, NT6_UDP(.dst = G2, .dport = 4343, .hop_limit = 1,
	                          .eth_dst = NT_MAC(0x33, 0x33, 0, 0, 0, 0x32), .payload = "loop"));
	assert_int_equal(ns_ep_read(rx, buf, sizeof(buf), 0, &res), NS_OK);
	assert_int_equal(res.count, 4);
	ns_ep_close(rx);
	ns_ep_close(tx);
	nt_expect_nothing(t);
}

static void too_many_groups(void **state)
{
	struct nt *t = *state;
	int i;

	/* The table holds 64 groups, one of them taken by the solicited-node group. */
	for (i = 0; i < 63; i++)
		join(t, NT6(0xff, 0x0e, [14] = 1, [15] = (uint8_t)i));
	assert_int_equal(ns_ipv6_join(t->s, NT_NIC, &(struct ns_addr)NT6(0xff, 0x0e, [15] = 0xff)),
	                 NS_ERR_NO_BUFFER_SPACE);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
}

/* ---------------------------------------------------------------- queries */

/* RFC 3810 6.2: a general query is answered after a random delay within its Maximum
 * Response Delay by one report of every group's current state (MODE_IS_EXCLUDE {}). */
static void general_query_answered(void **state)
{
	struct nt *t = *state;
	struct mld2_record r[4];
	size_t n;
	uint64_t waited;
	bool sn = false, g1 = false;

	join(t, G1);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	send_query(t, NT6_ALL_NODES, NT6(0), 2000, false, 1, NT6_LL_PEER);
	assert_int_equal(nt_stat(t, NS_STAT_MLD_QUERIES_RX), 1);
	waited = wait_frame(t, 2 * NS_SEC);
	assert_true(waited <= 2 * NS_SEC);
	nt6_expect_mld2(t, r, 4, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].type, MLD2_MODE_IS_EXCLUDE);
		sn |= memcmp(r[i].group, SN2.a, 16) == 0;
		g1 |= memcmp(r[i].group, G1.a, 16) == 0;
	}
	assert_true(sn && g1);
	nt_advance(t, 5 * NS_SEC);
	nt_expect_nothing(t);
}

/* The delay is random: across many queries the answers spread over the window. */
static void query_delay_spread(void **state)
{
	struct nt *t = *state;
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < 20; i++) {
		uint64_t w;

		send_query(t, NT6_ALL_NODES, NT6(0), 1000, false, 1, NT6_LL_PEER);
		w = wait_frame(t, 2 * NS_SEC);
		assert_true(w <= NS_SEC);
		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
		nt_discard(t);
		nt_advance(t, 2 * NS_SEC);
	}
	assert_true(hi - lo >= 500 * NS_MSEC);
	/* A Maximum Response Delay of 0 means at once. */
	send_query(t, NT6_ALL_NODES, NT6(0), 0, false, 1, NT6_LL_PEER);
	nt_advance(t, NS_MSEC);
	assert_int_equal(nt_pending(t), 1);
	nt_discard(t);
}

/* Rule 1: a second general query while an answer is due sooner adds nothing. */
static void pending_answer_covers_query(void **state)
{
	struct nt *t = *state;

	send_query(t, NT6_ALL_NODES, NT6(0), 1000, false, 1, NT6_LL_PEER);
	send_query(t, NT6_ALL_NODES, NT6(0), 30000, false, 1, NT6_LL_PEER);
	nt_advance(t, NS_SEC);
	assert_int_equal(nt_pending(t), 1);
	nt_discard(t);
	nt_advance(t, 30 * NS_SEC);
	nt_expect_nothing(t);
}

/* A group-specific query is answered with that group alone, if we are in it. */
static void group_query_answered(void **state)
{
	struct nt *t = *state;

	join(t, G1);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	send_query(t, G1, G1, 1000, false, 1, NT6_LL_PEER);
	nt_advance(t, NS_SEC);
	expect_report(t, MLD2_MODE_IS_EXCLUDE, G1);
	send_query(t, G2, G2, 1000, false, 1, NT6_LL_PEER);
	nt_advance(t, 2 * NS_SEC);
	nt_expect_nothing(t);
}

/* RFC 3810 5.1.14: queries from anything but a link-local address are discarded; hop
 * limit 1; 25..27 bytes is no query (8.1). */
static void bad_queries_dropped(void **state)
{
	struct nt *t = *state;

	send_query(t, NT6_ALL_NODES, NT6(0), 100, false, 1, NT6_ADDR_PEER);
	send_query(t, NT6_ALL_NODES, NT6(0), 100, false, 2, NT6_LL_PEER);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_MLD_QUERY, .src = NT6_LL_PEER,
	                          .dst = NT6_ALL_NODES, .hop_limit = 1, .rest = 0,
	                          .payload = "0123456789abcdefg", .len = 17));
	nt_advance(t, NS_SEC);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_MLD_MALFORMED), 3);
	/* Other listeners' reports are nothing to us. */
	{
		uint8_t m[32];
		struct mld2_record r = {.type = MLD2_MODE_IS_EXCLUDE};
		size_t n = mld2_report_emit(m, &r, 1);

		nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_MLD2_REPORT, .src = NT6_LL_PEER,
		                          .dst = NT6_MLDV2_ROUTERS, .hop_limit = 1,
		                          .rest = (int64_t)rd32(m + 4), .payload = m + 8,
		                          .len = n - 8));
	}
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1); /* not in ff02::16 */
}

/* Many groups: the answer is split so each report fits the minimum MTU. */
static void large_answer_split(void **state)
{
	struct nt *t = *state;
	struct mld2_record r[64];
	size_t n, total = 0;
	int reports = 0;

	for (int i = 0; i < 62; i++)
		join(t, NT6(0xff, 0x0e, [14] = 1, [15] = (uint8_t)i));
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	send_query(t, NT6_ALL_NODES, NT6(0), 0, false, 1, NT6_LL_PEER);
	nt_advance(t, NS_MSEC);
	while (nt_pending(t)) {
		const struct nt6_frame *f = nt6_expect_mld2(t, r, 64, &n);

		assert_true(IPV6_HLEN + f->ip.payload_len <= IPV6_MIN_MTU);
		total += n;
		reports++;
	}
	assert_int_equal(total, 63);
	assert_int_equal(reports, 2);
}

/* ---------------------------------------------------------------- MLDv1 compatibility */

/* RFC 3810 8.2: an MLDv1 querier turns reports into MLDv1 reports (to the group) and leaves
 * into dones (to ff02::2), and another listener's report suppresses ours (RFC 2710 4). */
static void mldv1_compatibility(void **state)
{
	struct nt *t = *state;
	const struct nt6_frame *f;

	join(t, G1);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
	send_query(t, NT6_ALL_NODES, NT6(0), 1000, true, 1, NT6_LL_PEER);
	nt_advance(t, NS_SEC);
	/* One MLDv1 report per group, each to its group. */
	for (int i = 0; i < 2; i++) {
		f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_MLD_REPORT, .hop_limit = 1));
		assert_true(f->router_alert);
		assert_memory_equal(f->l4 + 8, f->ip.dst, 16);
	}
	nt_expect_nothing(t);
	/* Suppression: a report for G1 heard before ours is due cancels ours. */
	send_query(t, G1, G1, 10000, true, 1, NT6_LL_PEER);
	{
		uint8_t m[MLD1_LEN];

		mld1_emit(m, ICMPV6_MLD_REPORT, G1.a);
		nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_MLD_REPORT, .src = NT6_LL_PEER, .dst = G1,
		                          .hop_limit = 1, .rest = 0, .payload = m + 8, .len = 16));
	}
	nt_advance(t, 11 * NS_SEC);
	nt_expect_nothing(t);
	/* A leave is an MLDv1 done to all routers, once. */
	leave(t, G1);
	f = nt6_expect_icmp(
	    t, NT6_ICMP(.type = ICMPV6_MLD_DONE, .dst = NT6_ALL_ROUTERS, .hop_limit = 1));
	assert_memory_equal(f->l4 + 8, G1.a, 16);
	nt_advance(t, 20 * NS_SEC);
	nt_expect_nothing(t);
	/* Once the MLDv1 querier is gone (2 x 125 s + 1 s), reports are MLDv2 again. */
	nt_advance(t, 260 * NS_SEC);
	join(t, G2);
	expect_report(t, MLD2_CHANGE_TO_EXCLUDE, G2);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(join_reported),          T(leave_reported_after_last), T(unreported_groups),
	    T(joined_group_delivered), T(own_multicast_looped),      T(too_many_groups),
	    T(general_query_answered), T(query_delay_spread),        T(pending_answer_covers_query),
	    T(group_query_answered),   T(bad_queries_dropped),       T(large_answer_split),
	    T(mldv1_compatibility),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
