/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: router discovery (RFC 4861 6), stateless address autoconfiguration
 * (RFC 4862 5.5, RFC 7217) and redirects (RFC 4861 8) on the harness6 world, on the
 * virtual clock. The router is fe80::1 (the peer's MAC).
 */
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"
#include "wire/checksum.h"

#define PFX1     NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1)
#define SLAAC1   NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [8] = 0, 0, 0, 0xff, 0xfe, 0, 0, 2)
#define FAR      NT6(0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 1) /* beyond the router */
#define INFINITE 0xffffffffu

struct ra_prefix {
	struct ns_addr prefix;
	uint8_t len, flags;
	uint32_t valid, preferred;
};

/* A router advertisement from fe80::1 to all-nodes with these options. */
static void send_ra(struct nt *t, uint8_t cur_hop, uint16_t lifetime, const struct ra_prefix *p,
                    size_t np, uint32_t mtu, bool slla, int64_t hop_limit)
{
	uint8_t body[256];
	uint32_t n = 8; /* reachable time, retrans timer: 0 */

	memset(body, 0, 8);
	for (size_t i = 0; i < np; i++) {
		struct ndp_prefix pi = {.prefix_len = p[i].len,
		                        .flags = p[i].flags,
		                        .valid = p[i].valid,
		                        .preferred = p[i].preferred};

		memcpy(pi.prefix, p[i].prefix.a, 16);
		n += ndp_opt_emit_prefix(body + n, &pi);
	}
	if (mtu)
		n += ndp_opt_emit_mtu(body + n, mtu);
	if (slla)
		n += ndp_opt_emit_lla(body + n, NDP_OPT_SLLA, &NT_MAC_PEER.m);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = hop_limit,
	                          .rest = (int64_t)((uint32_t)cur_hop << 24 | lifetime),
	                          .payload = body, .len = n));
}

static bool has_route(struct nt *t, struct ns_addr dest, uint8_t len, struct ns_addr gw)
{
	struct ns_route_entry r[32];
	size_t n = ns_stack_routes(t->s, r, 32);

	for (size_t i = 0; i < n && i < 32; i++) {
		struct ns_subnet d = r[i].dest;

		if (d.prefix == len && d.addr.family == NS_AF_INET6 &&
		    memcmp(d.addr.a, dest.a, 16) == 0 &&
		    (ns_addr_is_any(&gw) ? ns_addr_is_any(&r[i].gateway)
		                         : ns_addr_eq(&r[i].gateway, &gw)))
			return true;
	}
	return false;
}

static enum ns_ipv6_addr_state state_of(struct nt *t, struct ns_addr a)
{
	return ns_ipv6_addr_state(t->s, NT_NIC, &a);
}

/* ---------------------------------------------------------------- routers */

/* RFC 4861 6.3.4: a router lifetime makes a default route through the router, which goes
 * when the lifetime runs out (6.3.5). */
static void default_router_and_expiry(void **state)
{
	struct nt *t = *state;
	struct ns_addr far = FAR;
	struct ns_route rt;
	struct ns_route_entry def = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                             .gateway = NT6_ADDR_PEER,
	                             .nic = NT_NIC};

	/* Only the router's route: take the harness's own default route away. */
	assert_int_equal(ns_stack_remove_route(t->s, &def), NS_OK);
	assert_int_not_equal(ns_route_find(t->s, 0, NULL, &far, &rt), NS_OK);
	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_RA_RX), 1);
	assert_true(has_route(t, NT6(0), 0, NT6_LL_PEER));
	assert_int_equal(ns_route_find(t->s, 0, NULL, &far, &rt), NS_OK);
	assert_memory_equal(rt.next_hop.a, NT6_LL_PEER.a, 16);
	/* The router's MAC came with the advertisement: no solicitation needed. */
	nt6_send_icmp(t, NT6_ICMP(.src = FAR, .seq = 1));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .dst = FAR, .eth_dst = NT_MAC_PEER));
	/* A new advertisement extends the lifetime; then it runs out. */
	nt_advance(t, 500 * NS_SEC);
	nt_discard(t); /* NUD of the router on the way */
	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	nt_advance(t, 500 * NS_SEC);
	assert_true(has_route(t, NT6(0), 0, NT6_LL_PEER));
	nt_advance(t, 101 * NS_SEC);
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	assert_int_not_equal(ns_route_find(t->s, 0, NULL, &far, &rt), NS_OK);
	nt_discard(t);
}

/* A router lifetime of 0 removes the router at once; so does an advertisement from it
 * without the R flag (RFC 4861 7.2.5). */
static void router_leaves(void **state)
{
	struct nt *t = *state;
	uint8_t body[24];
	struct ns_addr ll = NT6_LL_PEER;
	uint32_t n;

	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	assert_true(has_route(t, NT6(0), 0, NT6_LL_PEER));
	send_ra(t, 0, 0, NULL, 0, 0, true, 255);
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	assert_true(has_route(t, NT6(0), 0, NT6_LL_PEER));
	n = nt6_nd_target(body, &ll, NDP_OPT_TLLA, &NT_MAC_PEER.m, NULL);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = (int64_t)NDP_NA_OVERRIDE << 24,
	                          .payload = body, .len = n));
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	nt_expect_nothing(t);
}

/* RFC 4861 6.3.4: Cur Hop Limit becomes the default; the MTU option, if valid, the link's
 * IPv6 MTU. */
static void hop_limit_and_mtu(void **state)
{
	struct nt *t = *state;
	struct ns_addr peer = NT6_ADDR_PEER;
	struct ns_route rt;

	send_ra(t, 42, 600, NULL, 0, 1400, true, 255);
	nt6_send_icmp(t, NT6_ICMP(.seq = 1));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .hop_limit = 42));
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &rt), NS_OK);
	assert_int_equal(rt.mtu, 1400);
	/* Below 1280 or above the link's: ignored. */
	send_ra(t, 0, 600, NULL, 0, 1000, true, 255);
	send_ra(t, 0, 600, NULL, 0, 9000, true, 255);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &rt), NS_OK);
	assert_int_equal(rt.mtu, 1400);
	/* IPv4 routes keep the link's. */
	{
		struct ns_addr v4 = NT_ADDR_PEER;

		assert_int_equal(ns_route_find(t->s, 0, NULL, &v4, &rt), NS_OK);
		assert_int_equal(rt.mtu, 1500);
	}
	nt_expect_nothing(t);
}

#define NB   NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 5) /* a neighbor with no static entry */
#define MAC5 NT_MAC(0x02, 0, 0, 0, 0, 0x05)

/* RFC 4861 6.3.4: a non-zero Reachable Time becomes BaseReachableTime for the NIC's IPv6
 * neighbors (ReachableTime drawn from 0.5 to 1.5 times it, 6.3.2), a non-zero Retrans
 * Timer the RetransTimer (solicitations and probes that far apart). With 2000 ms and
 * 500 ms: solicitations 500 ms apart; an entry REACHABLE at most 3 s, then STALE, so a use
 * 3 s later leads to a probe 5 s after it (DELAY_FIRST_PROBE_TIME). Zero fields change
 * nothing; IPv4 neighbors keep the stack's times. */
static void reachable_and_retrans_times(void **state)
{
	struct nt *t = *state;
	struct ns_addr nb = NB;
	uint8_t ra[8], body[32];
	uint32_t n;

	wr32(ra, 2000);
	wr32(ra + 4, 500);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = 0, .payload = ra, .len = 8));
	wr32(ra, 0); /* and one with zeros, which keeps them */
	wr32(ra + 4, 0);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = 0, .payload = ra, .len = 8));
	nt6_send_icmp(t, NT6_ICMP(.src = NB, .eth_src = MAC5, .seq = 1));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NT6_SNODE(0, 0, 5)));
	nt_advance(t, 500 * NS_MSEC - 1);
	nt_expect_nothing(t);
	nt_advance(t, 1);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NT6_SNODE(0, 0, 5)));
	n = nt6_nd_target(body, &nb, NDP_OPT_TLLA, &MAC5.m, NULL);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = NB, .hop_limit = 255,
	                          .rest = (int64_t)(NDP_NA_SOLICITED | NDP_NA_OVERRIDE) << 24,
	                          .payload = body, .len = n, .eth_src = MAC5));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .dst = NB, .eth_dst = MAC5));
	nt_advance(t, 3 * NS_SEC + 1);
	nt_expect_nothing(t);
	nt6_send_icmp(t, NT6_ICMP(.src = NB, .eth_src = MAC5, .seq = 2));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .dst = NB, .eth_dst = MAC5));
	nt_advance(t, 5 * NS_SEC);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NB, .eth_dst = MAC5));
	/* The next probe RetransTimer later. */
	nt_advance(t, 500 * NS_MSEC);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NB, .eth_dst = MAC5));
	nt_discard(t);
}

/* RFC 4861 6.1.2: what makes an advertisement invalid; and a router ignores them. */
static void bad_advertisements(void **state)
{
	struct nt *t = *state;

	send_ra(t, 0, 600, NULL, 0, 0, true, 64); /* not from the link */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_ADDR_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = 600, .payload = "\0\0\0\0\0\0\0\0",
	                          .len = 8)); /* not from a link-local address */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = 600, .payload = "\0\0\0", .len = 3));
	assert_int_equal(nt_drops(t, NS_DROP_NDP_MALFORMED), 3);
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	nt_expect_nothing(t);
}

/* RFC 6980 5: an ND message in fragments, or with an atomic Fragment header, is ignored
 * (Linux's suppress_frag_ndisc): fragmentation is how rogue advertisements slip past
 * RA-Guard (RFC 7113). An advertisement with a prefix, first as two fragments, then as
 * an atomic fragment, installs nothing; sent whole, it does. */
static void fragmented_advertisement_ignored(void **state)
{
	struct nt *t = *state;
	struct ns_addr src = NT6_LL_PEER, dst = NT6_ALL_NODES, slaac = SLAAC1;
	struct ndp_prefix pi = {.prefix_len = 64,
	                        .flags = NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO,
	                        .valid = 3600,
	                        .preferred = 1800};
	uint8_t ra[48] = {ICMPV6_ND_RA, 0, 0, 0, 64, 0, 0x07, 0x08}, fh[8] = {IPV6_NH_ICMPV6};

	memcpy(pi.prefix, PFX1.a, 16);
	ndp_opt_emit_prefix(ra + 16, &pi);
	wr16(ra + 2, csum_finish(csum_partial(ra, sizeof(ra),
	                                      csum_pseudo_v6(src.a, dst.a, IPV6_NH_ICMPV6, 48))));
	wr32(fh + 4, 77);
	wr16(fh + 2, 1); /* offset 0, M */
	nt6_send_raw(t, NT6_RAW(.src = src, .dst = dst, .hop_limit = 255, .nh = IPV6_NH_FRAGMENT,
	                        .ext = fh, .ext_len = 8, .payload = ra, .len = 24));
	wr16(fh + 2, 24); /* offset 24, last */
	nt6_send_raw(t, NT6_RAW(.src = src, .dst = dst, .hop_limit = 255, .nh = IPV6_NH_FRAGMENT,
	                        .ext = fh, .ext_len = 8, .payload = ra + 24, .len = 24));
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 1);
	wr16(fh + 2, 0); /* atomic */
	nt6_send_raw(t, NT6_RAW(.src = src, .dst = dst, .hop_limit = 255, .nh = IPV6_NH_FRAGMENT,
	                        .ext = fh, .ext_len = 8, .payload = ra, .len = sizeof(ra)));
	assert_int_equal(nt_drops(t, NS_DROP_NDP_FRAGMENTED), 2);
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	assert_int_equal(state_of(t, slaac), NS_IPV6_ADDR_NONE);
	nt_expect_nothing(t);
	/* Whole, it counts. */
	nt6_send_raw(t, NT6_RAW(.src = src, .dst = dst, .hop_limit = 255, .nh = IPV6_NH_ICMPV6,
	                        .payload = ra, .len = sizeof(ra)));
	assert_true(has_route(t, NT6(0), 0, NT6_LL_PEER));
	assert_int_equal(state_of(t, slaac), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t); /* the new address's MLD report */
}

static void router_ignores_advertisements(void **state)
{
	struct nt *t = *state;

	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_IGNORED), 1);
	assert_false(has_route(t, NT6(0), 0, NT6_LL_PEER));
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- SLAAC */

/* RFC 4862 5.5.3: an autonomous /64 gives prefix + EUI-64 (02:00:00:00:00:02 ->
 * ::ff:fe00:2), preferred, then deprecated, then gone; the on-link prefix is a route for its
 * valid lifetime. */
static void slaac_address_and_lifetimes(void **state)
{
	struct nt *t = *state;
	struct ra_prefix p = {PFX1, 64, NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO, 100, 50};
	struct ns_addr a = SLAAC1, far = FAR;
	struct ns_route rt;

	send_ra(t, 0, 1800, &p, 1, 0, true, 255);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_SLAAC_ADDRS), 1);
	assert_true(has_route(t, PFX1, 64, NT6(0)));
	nt_discard(t); /* the new address's solicited-node join */
	nt6_send_icmp(t, NT6_ICMP(.dst = SLAAC1, .seq = 1));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = SLAAC1, .seq = 1));
	/* A destination in that prefix now leaves from that address (RFC 6724 rule 8). */
	{
		struct ns_addr in1 = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x33);

		assert_int_equal(ns_route_find(t->s, 0, NULL, &in1, &rt), NS_OK);
		assert_memory_equal(rt.local.a, a.a, 16);
	}
	nt_advance(t, 51 * NS_SEC);
	nt_discard(t);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_DEPRECATED);
	/* Deprecated: still answers, and is no source for new traffic when another is. */
	nt6_send_icmp(t, NT6_ICMP(.dst = SLAAC1, .seq = 2));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = SLAAC1, .seq = 2));
	assert_int_equal(ns_route_find(t->s, 0, NULL, &far, &rt), NS_OK);
	assert_memory_equal(rt.local.a, NT6_ADDR_US.a, 16);
	nt_advance(t, 50 * NS_SEC);
	nt_discard(t); /* the leave of its group */
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_NONE);
	assert_false(has_route(t, PFX1, 64, NT6(0)));
	nt6_send_icmp(t, NT6_ICMP(.dst = SLAAC1, .seq = 3));
	nt_expect_nothing(t);
}

/* RFC 4862 5.5.3(e): lifetimes from later advertisements, with the two-hour rule. */
static void slaac_two_hour_rule(void **state)
{
	struct nt *t = *state;
	struct ra_prefix p = {PFX1, 64, NDP_PREFIX_AUTO, 10000, 10000};
	struct ns_addr a = SLAAC1;

	send_ra(t, 0, 0, &p, 1, 0, false, 255);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_PREFERRED);
	/* 60 s, with 10000 s left (more than 2 h): cut to 2 h, not to 60 s. */
	p.valid = p.preferred = 60;
	send_ra(t, 0, 0, &p, 1, 0, false, 255);
	nt_advance(t, 3600 * NS_SEC);
	nt_discard(t);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_DEPRECATED);
	/* Now 1 h left (2 h or less): a shorter valid lifetime is ignored... */
	p.valid = p.preferred = 30;
	send_ra(t, 0, 0, &p, 1, 0, false, 255);
	nt_advance(t, 60 * NS_SEC);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_DEPRECATED);
	/* ...a longer one is taken (and the preferred lifetime always is). */
	p.valid = 5000;
	p.preferred = 4000;
	send_ra(t, 0, 0, &p, 1, 0, false, 255);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_PREFERRED);
	nt_advance(t, 4001 * NS_SEC);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_DEPRECATED);
	nt_advance(t, 1000 * NS_SEC);
	nt_discard(t);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_NONE);
}

/* RFC 4862 5.5.3 (b)-(d): what forms no address. */
static void slaac_ignored_prefixes(void **state)
{
	struct nt *t = *state;
	struct ra_prefix ps[] = {
	    {PFX1, 64, NDP_PREFIX_AUTO, 100, 200}, /* preferred > valid */
	    {NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2), 48, NDP_PREFIX_AUTO, 100, 50},   /* not a /64 */
	    {NT6(0xfe, 0x80), 64, NDP_PREFIX_AUTO, 100, 50},                     /* link-local */
	    {NT6(0x20, 0x01, 0x0d, 0xb8, 0, 3), 64, NDP_PREFIX_ONLINK, 100, 50}, /* no A flag */
	};
	struct ns_addr_info info[8];

	send_ra(t, 0, 0, ps, 4, 0, false, 255);
	assert_int_equal(ns_stack_nic_addresses(t->s, NT_NIC, info, 8), 3); /* v4, v6, LL */
	assert_true(has_route(t, NT6(0x20, 0x01, 0x0d, 0xb8, 0, 3), 64, NT6(0)));
	assert_int_equal(nt_stat(t, NS_STAT_NDP_SLAAC_ADDRS), 0);
	nt_expect_nothing(t);
}

/* RFC 7217: a stable identifier, not the MAC's; the same for the same prefix, another for
 * another prefix. */
static void slaac_stable_identifier(void **state)
{
	struct nt *t = *state;
	struct ra_prefix p[2] = {
	    {PFX1, 64, NDP_PREFIX_AUTO, 1000, 1000},
	    {NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2), 64, NDP_PREFIX_AUTO, 1000, 1000}};
	struct ns_addr_info info[8];
	size_t n;
	struct ns_addr a1 = {0}, a2 = {0};

	send_ra(t, 0, 0, p, 2, 0, false, 255);
	n = ns_stack_nic_addresses(t->s, NT_NIC, info, 8);
	for (size_t i = 0; i < n; i++) {
		if (memcmp(info[i].addr.addr.a, PFX1.a, 8) == 0)
			a1 = info[i].addr.addr;
		if (memcmp(info[i].addr.addr.a, p[1].prefix.a, 8) == 0)
			a2 = info[i].addr.addr;
	}
	assert_int_equal(a1.family, NS_AF_INET6);
	assert_int_equal(a2.family, NS_AF_INET6);
	assert_memory_not_equal(a1.a + 8, SLAAC1.a + 8, 8);
	assert_memory_not_equal(a1.a + 8, a2.a + 8, 8);
	/* The link-local address too is not EUI-64. */
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_NONE);
	nt_discard(t);
}

/* RFC 7217 6: DAD fails for a stable address: the next DAD_Counter gives another. */
static void slaac_stable_retry_after_dad_failure(void **state)
{
	struct nt *t = *state;
	struct ra_prefix p = {PFX1, 64, NDP_PREFIX_AUTO, 1000, 1000};
	struct ns_addr_info info[8];
	struct ns_addr first = {0}, second = {0};
	uint8_t body[32];
	uint32_t n;

	send_ra(t, 0, 0, &p, 1, 0, false, 255);
	n = (uint32_t)ns_stack_nic_addresses(t->s, NT_NIC, info, 8);
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(info[i].addr.addr.a, PFX1.a, 8) == 0)
			first = info[i].addr.addr;
	assert_int_equal(state_of(t, first), NS_IPV6_ADDR_TENTATIVE);
	n = nt6_nd_target(body, &first, NDP_OPT_TLLA, &NT_MAC_PEER.m, NULL);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = first, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = (int64_t)NDP_NA_OVERRIDE << 24,
	                          .payload = body, .len = n));
	assert_int_equal(state_of(t, first), NS_IPV6_ADDR_DUPLICATE);
	n = (uint32_t)ns_stack_nic_addresses(t->s, NT_NIC, info, 8);
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(info[i].addr.addr.a, PFX1.a, 8) == 0)
			second = info[i].addr.addr;
	assert_int_equal(second.family, NS_AF_INET6);
	assert_false(ns_addr_eq(&first, &second));
	assert_int_equal(state_of(t, second), NS_IPV6_ADDR_TENTATIVE);
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(state_of(t, second), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t);
}

/* ---------------------------------------------------------------- router solicitation */

/* RFC 4861 6.3.7: up to MAX_RTR_SOLICITATIONS (3), RTR_SOLICITATION_INTERVAL (4 s) apart,
 * from the link-local address once it is usable, with our link-layer address; an
 * advertisement ends them. */
static void router_solicitations(void **state)
{
	struct nt *t = *state;
	struct ns_subnet a = {.addr = NT6_ADDR_US, .prefix = 64};
	struct ndp_repr r;
	struct ns_mac m;
	int rs = 0;

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
	nt_advance(t, NS_SEC);
	while (nt_pending(t)) {
		const struct nt6_frame *f = nt6_expect_icmp(t, NT6_ICMP(.hop_limit = NT_ANY));

		if (f->icmp.type != ICMPV6_ND_RS)
			continue;
		assert_memory_equal(f->ip.src, NT6_LL_US.a, 16);
		assert_memory_equal(f->ip.dst, NT6_ALL_ROUTERS.a, 16);
		assert_int_equal(f->ip.hop_limit, 255);
		assert_true(ndp_parse(&r, f->l4, f->l4_len));
		assert_true(nt6_nd_lla(&r, NDP_OPT_SLLA, &m));
		rs++;
	}
	assert_int_equal(rs, 1);
	nt_advance(t, 4 * NS_SEC);
	nt6_expect_nd(t, ICMPV6_ND_RS, NT6_ICMP(.src = NT6_LL_US, .dst = NT6_ALL_ROUTERS), &r);
	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	nt_advance(t, 20 * NS_SEC);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_RS_TX), 2);
}

/* ns_ipv6_enable() without an address: link-local, then solicitation; an advertisement's
 * prefix then gives the NIC a global address. */
static void enable_then_slaac(void **state)
{
	struct nt *t = *state;
	struct ra_prefix p = {PFX1, 64, NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO, 1000, 1000};
	struct ndp_repr r;

	assert_int_equal(ns_ipv6_enable(t->s, NT_NIC), NS_OK);
	assert_int_equal(ns_ipv6_enable(t->s, NT_NIC), NS_OK);
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_PREFERRED);
	nt_advance(t, NS_SEC);
	for (;;) {
		const struct nt6_frame *f = nt6_expect_icmp(t, NT6_ICMP(.hop_limit = NT_ANY));

		if (f->icmp.type == ICMPV6_ND_RS)
			break;
		assert_int_equal(f->icmp.type, ICMPV6_MLD2_REPORT);
	}
	send_ra(t, 0, 600, &p, 1, 0, true, 255);
	assert_int_equal(state_of(t, SLAAC1), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t);
	/* Reachable from off-link through the router it learnt. */
	nt6_send_icmp(t, NT6_ICMP(.src = FAR, .dst = SLAAC1, .seq = 4));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = SLAAC1, .dst = FAR,
	                            .eth_dst = NT_MAC_PEER, .seq = 4));
	(void)r;
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- redirects */

static void send_redirect(struct nt *t, struct ns_addr src, struct ns_addr target,
                          struct ns_addr dest, const struct ns_mac *tlla)
{
	uint8_t body[48];
	uint32_t n = 32;

	memcpy(body, target.a, 16);
	memcpy(body + 16, dest.a, 16);
	if (tlla)
		n += ndp_opt_emit_lla(body + n, NDP_OPT_TLLA, tlla);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_REDIRECT, .src = src, .dst = NT6_ADDR_US,
	                          .hop_limit = 255, .rest = 0, .payload = body, .len = n));
}

/* RFC 4861 8.1, 8.3: only from the current first-hop router; then the destination goes
 * through the target. */
static void redirect_honoured(void **state)
{
	struct nt *t = *state;
	struct ns_route_entry def = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                             .gateway = NT6_ADDR_PEER,
	                             .nic = NT_NIC};
	struct ns_addr target = NT6(0xfe, 0x80, [15] = 7);
	struct nt_mac mac7 = NT_MAC(0x02, 0, 0, 0, 0, 0x07);

	assert_int_equal(ns_stack_remove_route(t->s, &def), NS_OK);
	send_ra(t, 0, 600, NULL, 0, 0, true, 255);
	/* From another router: refused. */
	send_redirect(t, NT6(0xfe, 0x80, [15] = 9), target, FAR, &mac7.m);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_REDIRECT_REFUSED), 1);
	/* From a global address: invalid. */
	send_redirect(t, NT6_ADDR_PEER, target, FAR, &mac7.m);
	assert_int_equal(nt_drops(t, NS_DROP_NDP_MALFORMED), 1);
	nt6_send_icmp(t, NT6_ICMP(.src = FAR, .seq = 1));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .eth_dst = NT_MAC_PEER));
	/* From the router: the destination's packets go to the target from now on. */
	send_redirect(t, NT6_LL_PEER, target, FAR, &mac7.m);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_REDIRECTS_RX), 3);
	assert_true(has_route(t, FAR, 128, target));
	nt6_send_icmp(t, NT6_ICMP(.src = FAR, .seq = 2));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .dst = FAR, .eth_dst = mac7));
	/* For ten minutes. */
	nt_advance(t, 601 * NS_SEC);
	assert_false(has_route(t, FAR, 128, target));
	nt_discard(t);
}

static int setup_rs(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.rs = true, .no_address6 = true));
}

static int setup_router(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.forwarding = true));
}

static int setup_dad(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true, .stable_iid = true));
}

static int setup_stable(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.stable_iid = true));
}

int main(void)
{
#define T(f)     cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
#define TS(f, s) cmocka_unit_test_setup_teardown(f, s, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(default_router_and_expiry),
	    T(router_leaves),
	    T(hop_limit_and_mtu),
	    T(reachable_and_retrans_times),
	    T(bad_advertisements),
	    T(fragmented_advertisement_ignored),
	    TS(router_ignores_advertisements, setup_router),
	    T(slaac_address_and_lifetimes),
	    T(slaac_two_hour_rule),
	    T(slaac_ignored_prefixes),
	    TS(slaac_stable_identifier, setup_stable),
	    TS(slaac_stable_retry_after_dad_failure, setup_dad),
	    TS(router_solicitations, setup_rs),
	    TS(enable_then_slaac, setup_rs),
	    T(redirect_honoured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
