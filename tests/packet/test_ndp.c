/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: Neighbor Discovery for neighbors (RFC 4861 7) and duplicate address
 * detection (RFC 4862 5.4) on the harness6 world, on the virtual clock. A neighbor's state
 * is observed on the wire: where an echo reply to it goes, and which solicitations the
 * stack sends when (multicast while INCOMPLETE, nothing while REACHABLE or STALE, a unicast
 * probe DELAY_FIRST_PROBE_TIME after a STALE entry is used).
 */
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"

#define NB   NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 5) /* a neighbor with no static entry */
#define MAC5 NT_MAC(0x02, 0, 0, 0, 0, 0x05)
#define MAC6 NT_MAC(0x02, 0, 0, 0, 0, 0x06)

/* An echo request from @src (MAC @mac): its reply shows where the stack sends to @src. */
static void ping_from(struct nt *t, struct ns_addr src, struct nt_mac mac, int seq)
{
	nt6_send_icmp(t, NT6_ICMP(.src = src, .eth_src = mac, .seq = seq));
}

static void expect_reply_to(struct nt *t, struct ns_addr dst, struct nt_mac mac, int seq)
{
	nt6_expect_icmp(
	    t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .dst = dst, .eth_dst = mac, .seq = seq));
}

static void send_na(struct nt *t, struct ns_addr src, struct ns_addr dst, struct ns_addr target,
                    uint8_t flags, const struct ns_mac *tlla)
{
	uint8_t body[32];
	uint32_t n = nt6_nd_target(body, &target, NDP_OPT_TLLA, tlla, NULL);

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = src, .dst = dst, .hop_limit = 255,
	                          .rest = (int64_t)flags << 24, .payload = body, .len = n,
	                          .eth_src = tlla ? (struct nt_mac){true, *tlla} : NT_MAC_PEER));
}

static void send_ns(struct nt *t, struct ns_addr src, struct ns_addr dst, struct ns_addr target,
                    const struct ns_mac *slla, const uint8_t *nonce)
{
	uint8_t body[40];
	uint32_t n = nt6_nd_target(body, &target, NDP_OPT_SLLA, slla, nonce);

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .src = src, .dst = dst, .hop_limit = 255,
	                          .rest = 0, .payload = body, .len = n));
}

/* The multicast solicitation for @target (INCOMPLETE), with our link-layer address. */
static void expect_multicast_ns(struct nt *t, struct ns_addr target, struct ns_addr sn)
{
	struct ndp_repr r;
	struct ns_mac m;

	nt6_expect_nd(t, ICMPV6_ND_NS, NT6_ICMP(.src = NT6_ADDR_US, .dst = sn), &r);
	assert_memory_equal(r.target, target.a, 16);
	assert_true(nt6_nd_lla(&r, NDP_OPT_SLLA, &m));
	assert_memory_equal(m.b, NT_MAC_US.m.b, 6);
}

/* The unicast probe for @target (PROBE: to its cached MAC). */
static void expect_unicast_ns(struct nt *t, struct ns_addr target, struct nt_mac mac)
{
	struct ndp_repr r;

	nt6_expect_nd(t, ICMPV6_ND_NS, NT6_ICMP(.dst = target, .eth_dst = mac), &r);
	assert_memory_equal(r.target, target.a, 16);
}

/* Resolve NB: ping from it, answer the solicitation, get the reply. */
static void resolve_nb(struct nt *t, uint8_t flags)
{
	ping_from(t, NB, MAC5, 1);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	send_na(t, NB, NT6_ADDR_US, NB, flags, &MAC5.m);
	expect_reply_to(t, NB, MAC5, 1);
}

/* ---------------------------------------------------------------- resolution and NUD */

/* INCOMPLETE: MAX_MULTICAST_SOLICIT (3) solicitations RetransTimer (1 s) apart, then the
 * entry fails. */
static void resolution_fails_after_three(void **state)
{
	struct nt *t = *state;

	ping_from(t, NB, MAC5, 1);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	nt_expect_nothing(t);
	nt_advance(t, NS_SEC);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	nt_advance(t, NS_SEC);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	nt_advance(t, NS_SEC);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 1);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NS_TX), 3);
}

/* INCOMPLETE -> REACHABLE -> STALE -> DELAY -> PROBE -> REACHABLE, then PROBE -> gone. */
static void nud_state_transitions(void **state)
{
	struct nt *t = *state;
	struct ns_addr nb = NB;
	struct ns_mac m;

	resolve_nb(t, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &nb, &m));
	assert_memory_equal(m.b, MAC5.m.b, 6);
	/* REACHABLE: used for ReachableTime (15..45 s) without a question. */
	ping_from(t, NB, MAC5, 2);
	expect_reply_to(t, NB, MAC5, 2);
	nt_advance(t, 46 * NS_SEC);
	nt_expect_nothing(t);
	/* STALE: still used, and that use starts DELAY... */
	ping_from(t, NB, MAC5, 3);
	expect_reply_to(t, NB, MAC5, 3);
	nt_advance(t, 4 * NS_SEC);
	nt_expect_nothing(t);
	/* ...which after DELAY_FIRST_PROBE_TIME (5 s) probes by unicast. */
	nt_advance(t, NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	/* A solicited answer makes it REACHABLE: no more probes. */
	send_na(t, NB, NT6_ADDR_US, NB, NDP_NA_SOLICITED, NULL);
	nt_advance(t, 10 * NS_SEC);
	nt_expect_nothing(t);
	/* Once more to PROBE, and no answer: MAX_UNICAST_SOLICIT probes, then gone. */
	nt_advance(t, 40 * NS_SEC);
	ping_from(t, NB, MAC5, 4);
	expect_reply_to(t, NB, MAC5, 4);
	nt_advance(t, 5 * NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	nt_advance(t, NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	nt_advance(t, NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	nt_advance(t, NS_SEC);
	nt_expect_nothing(t);
	assert_false(ns_stack_neighbor(t->s, NT_NIC, &nb, &m));
	/* The next packet starts over with a multicast solicitation. */
	ping_from(t, NB, MAC5, 5);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	nt_discard(t);
}

/* RFC 4861 7.2.5: an unsolicited advertisement (S clear) resolves an INCOMPLETE entry to
 * STALE; one for an address we have no entry for is ignored. */
static void unsolicited_advertisements(void **state)
{
	struct nt *t = *state;
	struct ns_addr nb = NB, other = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 6);
	struct ns_mac m;

	send_na(t, other, NT6_ALL_NODES, other, NDP_NA_OVERRIDE, &MAC6.m);
	assert_false(ns_stack_neighbor(t->s, NT_NIC, &other, &m));
	ping_from(t, NB, MAC5, 1);
	expect_multicast_ns(t, NB, NT6_SNODE(0, 0, 5));
	/* No link-layer address: nothing learnt, still INCOMPLETE. */
	send_na(t, NB, NT6_ADDR_US, NB, NDP_NA_SOLICITED | NDP_NA_OVERRIDE, NULL);
	nt_expect_nothing(t);
	assert_false(ns_stack_neighbor(t->s, NT_NIC, &nb, &m));
	send_na(t, NB, NT6_ALL_NODES, NB, NDP_NA_OVERRIDE, &MAC5.m);
	expect_reply_to(t, NB, MAC5, 1);
	/* STALE with a packet sent: DELAY, then a probe. */
	nt_advance(t, 5 * NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	nt_discard(t);
}

/* RFC 4861 7.2.5: without Override a different address is not believed (a REACHABLE entry
 * only turns STALE); with it, the address is replaced. */
static void override_flag_rules(void **state)
{
	struct nt *t = *state;
	struct ns_addr nb = NB;
	struct ns_mac m;

	resolve_nb(t, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	send_na(t, NB, NT6_ADDR_US, NB, NDP_NA_SOLICITED, &MAC6.m);
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &nb, &m));
	assert_memory_equal(m.b, MAC5.m.b, 6);
	/* It went STALE: the next use leads to a probe 5 s later, to the old address. */
	ping_from(t, NB, MAC5, 2);
	expect_reply_to(t, NB, MAC5, 2);
	nt_advance(t, 5 * NS_SEC);
	expect_unicast_ns(t, NB, MAC5);
	/* With Override the new address wins. */
	send_na(t, NB, NT6_ADDR_US, NB, NDP_NA_OVERRIDE, &MAC6.m);
	ping_from(t, NB, MAC6, 3);
	expect_reply_to(t, NB, MAC6, 3);
	nt_discard(t);
}

/* RFC 4861 7.1.2: what makes an advertisement invalid. */
static void bad_advertisements_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t body[24];
	struct ns_addr nb = NB, all_nodes = NT6_ALL_NODES;
	uint32_t n = nt6_nd_target(body, &nb, NDP_OPT_TLLA, &MAC5.m, NULL);

	/* Hop limit other than 255: it did not come from the link. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .hop_limit = 254,
	                          .rest = NDP_NA_OVERRIDE << 24, .payload = body, .len = n));
	/* Code other than 0. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .code = 1, .src = NB, .hop_limit = 255,
	                          .rest = NDP_NA_OVERRIDE << 24, .payload = body, .len = n));
	/* Solicited, to a group. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = NDP_NA_SOLICITED << 24, .payload = body,
	                          .len = n));
	/* Shorter than 24 bytes. */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .hop_limit = 255, .rest = 0,
	                          .payload = body, .len = 15));
	/* An option of length 0. */
	body[17] = 0;
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .hop_limit = 255, .rest = 0,
	                          .payload = body, .len = n));
	/* A multicast target. */
	n = nt6_nd_target(body, &all_nodes, NDP_OPT_TLLA, &MAC5.m, NULL);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .hop_limit = 255, .rest = 0,
	                          .payload = body, .len = n));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_MALFORMED), 6);
	/* An advertisement for one of our own addresses: a conflict, never cached. */
	send_na(t, NT6_ADDR_US, NT6_ALL_NODES, NT6_ADDR_US, NDP_NA_OVERRIDE, &MAC6.m);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_ADDR_CONFLICT), 1);
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- answering solicitations */

/* RFC 4861 7.2.3-7.2.4: answered from the target, Solicited and Override, with our
 * link-layer address; the sender's address is cached STALE. */
static void solicitation_answered(void **state)
{
	struct nt *t = *state;
	struct ns_addr nb = NB;
	struct ndp_repr r;
	struct ns_mac m;

	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_ADDR_US, &MAC5.m, NULL);
	nt6_expect_nd(
	    t, ICMPV6_ND_NA,
	    NT6_ICMP(.src = NT6_ADDR_US, .dst = NB, .eth_dst = MAC5, .eth_src = NT_MAC_US), &r);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	assert_memory_equal(r.target, NT6_ADDR_US.a, 16);
	assert_true(nt6_nd_lla(&r, NDP_OPT_TLLA, &m));
	assert_memory_equal(m.b, NT_MAC_US.m.b, 6);
	assert_true(ns_stack_neighbor(t->s, NT_NIC, &nb, &m));
	assert_memory_equal(m.b, MAC5.m.b, 6);
	/* The link-local address answers too. */
	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_LL_US, &MAC5.m, NULL);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NT6_LL_US, .dst = NB), &r);
	/* From :: (another node's DAD for our address): to all-nodes, not solicited. */
	send_ns(t, NT6_UNSPEC, NT6_SNODE(0, 0, 2), NT6_ADDR_US, NULL, NULL);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NT6_ADDR_US, .dst = NT6_ALL_NODES), &r);
	assert_int_equal(r.na_flags, NDP_NA_OVERRIDE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NA_TX), 3);
	nt_discard(t);
}

/* An address range is answered for like a proxy: Override clear (RFC 4861 7.2.4). */
static void range_answered_without_override(void **state)
{
	struct nt *t = *state;
	struct ns_subnet range = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x77), .prefix = 64};
	struct ns_addr target = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x77, [15] = 9);
	struct ndp_repr r;

	assert_int_equal(ns_stack_add_address_range(t->s, NT_NIC, &range), NS_OK);
	send_ns(t, NT6_ADDR_PEER, NT6_SNODE(0, 0, 9), target, &NT_MAC_PEER.m, NULL);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = target, .dst = NT6_ADDR_PEER), &r);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED);
	nt_expect_nothing(t);
}

/* RFC 6980 5: a solicitation with a Fragment header (atomic here) is not answered, though
 * the same one whole is. */
static void fragmented_solicitation_ignored(void **state)
{
	struct nt *t = *state;
	struct ns_addr us = NT6_ADDR_US;
	struct ndp_repr r;
	uint8_t body[32], fh[8] = {IPV6_NH_ICMPV6, 0, 0, 0, 0, 0, 0, 5};
	uint32_t n = nt6_nd_target(body, &us, NDP_OPT_SLLA, &MAC5.m, NULL);

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .src = NB, .dst = NT6_SNODE(0, 0, 2),
	                          .hop_limit = 255, .rest = 0, .nh = IPV6_NH_FRAGMENT, .ext = fh,
	                          .ext_len = 8, .payload = body, .len = n));
	assert_int_equal(nt_drops(t, NS_DROP_NDP_FRAGMENTED), 1);
	nt_expect_nothing(t);
	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_ADDR_US, &MAC5.m, NULL);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NT6_ADDR_US, .dst = NB), &r);
	nt_expect_nothing(t);
}

static void bad_solicitations_dropped(void **state)
{
	struct nt *t = *state;
	uint8_t body[32];
	struct ns_addr us = NT6_ADDR_US;
	uint32_t n = nt6_nd_target(body, &us, NDP_OPT_SLLA, &MAC5.m, NULL);

	/* For an address that is not ours (sent to ours: to its own group it would not even
	 * reach us). */
	send_ns(t, NB, NT6_ADDR_US, NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 9), &MAC5.m, NULL);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_NOT_FOR_US), 1);
	/* From :: with a source link-layer address, or not to a solicited-node group. */
	send_ns(t, NT6_UNSPEC, NT6_SNODE(0, 0, 2), NT6_ADDR_US, &MAC5.m, NULL);
	send_ns(t, NT6_UNSPEC, NT6_ADDR_US, NT6_ADDR_US, NULL, NULL);
	/* Hop limit 64. */
	nt6_send_icmp(
	    t, NT6_ICMP(.type = ICMPV6_ND_NS, .src = NB, .rest = 0, .payload = body, .len = n));
	/* A multicast target. */
	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_ALL_NODES, &MAC5.m, NULL);
	/* A group link-layer address. */
	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_ADDR_US, &NT_MAC_BCAST.m, NULL);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_MALFORMED), 5);
	/* Router solicitations are for routers: a host is not in ff02::2, and one sent to
	 * its unicast address is ignored. */
	nt6_send_icmp(
	    t, NT6_ICMP(.type = ICMPV6_ND_RS, .dst = NT6_ALL_ROUTERS, .hop_limit = 255, .rest = 0));
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RS, .hop_limit = 255, .rest = 0));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_IGNORED), 1);
}

/* ---------------------------------------------------------------- DAD */

#define NEW  NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x42)
#define NEWS NT6_SNODE(0, 0, 0x42)

/* Add NEW with DAD running and take its probe: returns its nonce. */
static void add_and_probe(struct nt *t, uint8_t nonce[6])
{
	struct ns_subnet a = {.addr = NEW, .prefix = 64};
	struct ns_addr addr = NEW;
	struct ndp_repr r;
	struct ndp_opt_iter it;
	struct ndp_opt o;
	size_t nrec;
	struct mld2_record rec[4];
	static uint8_t msg[64];

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
	assert_int_equal(ns_ipv6_addr_state(t->s, NT_NIC, &addr), NS_IPV6_ADDR_TENTATIVE);
	/* RFC 4862 5.4.2: the solicited-node group is joined first. */
	nt6_expect_mld2(t, rec, 4, &nrec);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec[0].type, MLD2_CHANGE_TO_EXCLUDE);
	assert_memory_equal(rec[0].group, NEWS.a, 16);
	/* Then, within MAX_RTR_SOLICITATION_DELAY, the probe from :: with a nonce (the
	 * join's second report goes out in the same second, before or after it). */
	nt_advance(t, NS_SEC);
	{
		bool found = false;

		while (nt_pending(t)) {
			const struct nt6_frame *f =
			    nt6_expect_icmp(t, NT6_ICMP(.hop_limit = NT_ANY));

			if (f->icmp.type == ICMPV6_MLD2_REPORT)
				continue;
			assert_int_equal(f->icmp.type, ICMPV6_ND_NS);
			assert_memory_equal(f->ip.src, NT6_UNSPEC.a, 16);
			assert_memory_equal(f->ip.dst, NEWS.a, 16);
			assert_int_equal(f->ip.hop_limit, 255);
			/* The next frame overwrites the checker's buffer: keep a copy. */
			assert_true(f->l4_len <= sizeof(msg));
			memcpy(msg, f->l4, f->l4_len);
			assert_true(ndp_parse(&r, msg, f->l4_len));
			found = true;
		}
		assert_true(found);
	}
	assert_memory_equal(r.target, addr.a, 16);
	ndp_opt_iter_init(&it, r.opts, r.opts_len);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(o.type, NDP_OPT_NONCE); /* and no link-layer address */
	assert_true(ndp_opt_nonce(&o, nonce));
	assert_int_equal(ndp_opt_next(&it, &o), 0);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 0);
}

static void dad_passes(void **state)
{
	struct nt *t = *state;
	struct ns_addr addr = NEW;
	uint8_t nonce[6];

	add_and_probe(t, nonce);
	/* Tentative: not ours yet (RFC 4862 5.4). */
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 1));
	nt_expect_nothing(t);
	/* Our own probe looped back (same nonce, RFC 7527) is no conflict. */
	send_ns(t, NT6_UNSPEC, NEWS, NEW, NULL, nonce);
	/* A unicast solicitation for it is someone resolving it: ignored. */
	send_ns(t, NB, NEWS, NEW, &MAC5.m, NULL);
	nt_expect_nothing(t);
	/* RetransTimer after the one probe: preferred. */
	nt_advance(t, NS_SEC);
	assert_int_equal(ns_ipv6_addr_state(t->s, NT_NIC, &addr), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 1);
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 2));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NEW, .seq = 2));
	nt_expect_nothing(t);
}

/* RFC 4862 5.4.4: an advertisement for the tentative address: duplicate. */
static void dad_conflict_by_advertisement(void **state)
{
	struct nt *t = *state;
	struct ns_addr addr = NEW;
	uint8_t nonce[6];
	struct ns_addr_info info[8];
	size_t n;

	add_and_probe(t, nonce);
	send_na(t, NEW, NT6_ALL_NODES, NEW, NDP_NA_OVERRIDE, &MAC5.m);
	assert_int_equal(ns_ipv6_addr_state(t->s, NT_NIC, &addr), NS_IPV6_ADDR_DUPLICATE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_FAILED), 1);
	/* Off the NIC, and its group left (a leave report). */
	n = ns_stack_nic_addresses(t->s, NT_NIC, info, 8);
	for (size_t i = 0; i < n; i++)
		assert_false(ns_addr_eq(&info[i].addr.addr, &addr));
	{
		struct mld2_record rec[2];
		size_t nrec;

		nt6_expect_mld2(t, rec, 2, &nrec);
		assert_int_equal(rec[0].type, MLD2_CHANGE_TO_INCLUDE);
		assert_memory_equal(rec[0].group, NEWS.a, 16);
	}
	/* Never used: nothing answers, even after the DAD time. */
	nt_advance(t, 3 * NS_SEC);
	nt_discard(t); /* the leave's second report */
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW));
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 0);
}

/* RFC 4862 5.4.3: a probe for the same address from another node (another nonce, or
 * none): duplicate. */
static void dad_conflict_by_solicitation(void **state)
{
	struct nt *t = *state;
	struct ns_addr addr = NEW;
	uint8_t nonce[6], other[6];

	add_and_probe(t, nonce);
	memcpy(other, nonce, 6);
	other[5] ^= 1;
	send_ns(t, NT6_UNSPEC, NEWS, NEW, NULL, other);
	assert_int_equal(ns_ipv6_addr_state(t->s, NT_NIC, &addr), NS_IPV6_ADDR_DUPLICATE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_FAILED), 1);
	nt_discard(t);
	nt_advance(t, 3 * NS_SEC);
	nt_discard(t);
}

static int setup_dad(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true));
}

int main(void)
{
#define T(f)    cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
#define TDAD(f) cmocka_unit_test_setup_teardown(f, setup_dad, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(resolution_fails_after_three),     T(nud_state_transitions),
	    T(unsolicited_advertisements),       T(override_flag_rules),
	    T(bad_advertisements_dropped),       T(solicitation_answered),
	    T(range_answered_without_override),  T(bad_solicitations_dropped),
	    T(fragmented_solicitation_ignored),  TDAD(dad_passes),
	    TDAD(dad_conflict_by_advertisement), TDAD(dad_conflict_by_solicitation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
