/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: IPv6 forwarding (RFC 8200 3, 5; RFC 4443 3; RFC 4291 2.5.6) on the
 * harness6 world with forwarding on: hop limit, time exceeded, no route, packet too big
 * with the next link's MTU, link-local and martian addresses kept in, no multicast, and
 * address unreachable when the next hop does not resolve. A second NIC (2001:db8:2::1/64,
 * MTU 1280) leads to REMOTE.
 */
#include <string.h>

#include "harness6.h"
#include "netstack/stats.h"

#define REMOTE NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 5)
#define FAR    NT6(0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 1) /* behind the default route */
#define SENDER NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 7)

static const struct ns_mac mac_remote = {{2, 0, 0, 0, 2, 5}};

static struct ns_link *add_nic2(struct nt *t, bool neighbor)
{
	struct ns_channel_config cc = {.mtu = 1280,
	                               .header = NS_LINK_HDR_ETHERNET,
	                               .mac = {{2, 0, 0, 0, 2, 1}},
	                               .caps = NS_CAP_RESOLUTION_REQUIRED};
	struct ns_link *l = ns_channel_new(&cc);
	struct ns_subnet a = {.addr = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1), .prefix = 64};
	struct ns_addr remote = REMOTE;

	assert_non_null(l);
	assert_int_equal(ns_stack_add_nic(t->s, 2, l, "nt1"), NS_OK);
	assert_int_equal(ns_stack_add_address(t->s, 2, &a), NS_OK);
	if (neighbor)
		assert_int_equal(ns_stack_add_static_neighbor(t->s, 2, &remote, &mac_remote),
		                 NS_OK);
	while (ns_channel_pending(l))
		ns_pkt_free(ns_channel_read(l));
	return l;
}

static void del_nic2(struct nt *t, struct ns_link *l)
{
	while (ns_channel_pending(l))
		ns_pkt_free(ns_channel_read(l));
	assert_int_equal(ns_stack_remove_nic(t->s, 2), NS_OK);
	ns_link_destroy(l);
}

/* Through the default route, back out of the NIC it came in on: hop limit one lower,
 * everything else as it was (no checksum to fix). */
static void forwarded_with_hop_limit_decremented(void **state)
{
	struct nt *t = *state;

	nt6_send_udp(t, NT6_UDP(.src = SENDER, .dst = FAR, .hop_limit = 9, .tclass = 0x10,
	                        .flow = 0x12345, .dport = 53, .payload = "query"));
	nt6_expect_udp(t, NT6_UDP(.eth_src = NT_MAC_US, .eth_dst = NT_MAC_PEER, .src = SENDER,
	                          .dst = FAR, .hop_limit = 8, .tclass = 0x10, .flow = 0x12345,
	                          .dport = 53, .payload = "query"));
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
	nt_expect_nothing(t);
}

/* Between two NICs. */
static void forwarded_between_nics(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = add_nic2(t, true);
	struct ns_pkt *p;
	struct ipv6_repr ip;

	nt6_send_udp(t, NT6_UDP(.dst = REMOTE, .hop_limit = 64, .payload = "across"));
	p = ns_channel_read(l);
	assert_non_null(p);
	assert_memory_equal(ns_pkt_data(p), mac_remote.b, 6);
	assert_int_equal(ipv6_parse(&ip, ns_pkt_data(p) + 14, p->len - 14), IPV6_OK);
	assert_int_equal(ip.hop_limit, 63);
	assert_memory_equal(ip.dst, REMOTE.a, 16);
	ns_pkt_free(p);
	nt_expect_nothing(t);
	del_nic2(t, l);
}

/* RFC 4443 3.3: a hop limit that would reach 0: time exceeded, code 0. */
static void hop_limit_expired(void **state)
{
	struct nt *t = *state;
	const struct nt6_frame *f;

	nt6_send_udp(t, NT6_UDP(.dst = FAR, .hop_limit = 1));
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_TIME_EXCEEDED, .code = ICMPV6_EXC_HOPLIMIT,
	                                .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER));
	assert_int_equal(ipv6_get_hop_limit(f->payload), 1);
	nt6_send_udp(t, NT6_UDP(.dst = FAR, .hop_limit = 0));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_TIME_EXCEEDED, .code = 0));
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_HOP_LIMIT), 2);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
	nt_expect_nothing(t);
}

/* RFC 4443 3.1 code 0: no route. */
static void no_route(void **state)
{
	struct nt *t = *state;
	struct ns_route_entry def = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                             .gateway = NT6_ADDR_PEER,
	                             .nic = NT_NIC};

	assert_int_equal(ns_stack_remove_route(t->s, &def), NS_OK);
	nt6_send_udp(t, NT6_UDP(.dst = FAR));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_NOROUTE));
	assert_int_equal(nt_drops(t, NS_DROP_NO_ROUTE), 1);
	nt_expect_nothing(t);
}

/* RFC 8200 5: routers never fragment; the source gets packet too big with the MTU. */
static void packet_too_big(void **state)
{
	static uint8_t data[1300];
	struct nt *t = *state;
	struct ns_link *l = add_nic2(t, true);
	struct ns_pkt *p;

	nt6_send_udp(t, NT6_UDP(.dst = REMOTE, .payload = data, .len = sizeof(data)));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1280,
	                            .dst = NT6_ADDR_PEER));
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_TOO_BIG), 1);
	/* Exactly 1280 goes through. */
	nt6_send_udp(t, NT6_UDP(.dst = REMOTE, .payload = data, .len = 1280 - 48));
	p = ns_channel_read(l);
	assert_non_null(p);
	assert_int_equal(p->len, 14 + 1280);
	ns_pkt_free(p);
	nt_expect_nothing(t);
	del_nic2(t, l);
}

/* A path MTU the stack learnt as a sender is its own business: forwarding checks the next
 * link's MTU (Linux's ip6_forward(): ip6_dst_mtu_maybe_forward()), so a packet that fits
 * the link goes through though the path MTU to its destination is lower. */
static void forwarding_uses_link_mtu_not_path_mtu(void **state)
{
	static uint8_t data[1500];
	struct nt *t = *state;
	struct ns_addr far = FAR;
	struct ns_route r;

	ns_route_pmtu_update(t->s, &far, 1280);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &far, &r), NS_OK);
	assert_int_equal(r.mtu, 1280);
	nt6_send_udp(t, NT6_UDP(.dst = FAR, .payload = data, .len = 1400));
	nt6_expect_udp(t, NT6_UDP(.src = NT6_ADDR_PEER, .dst = FAR, .plen = 1408));
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_TOO_BIG), 0);
	/* Over the link's: packet too big with the link's MTU. */
	nt6_send_udp(t, NT6_UDP(.dst = FAR, .payload = data, .len = 1500 - 47));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1500,
	                            .dst = NT6_ADDR_PEER));
	nt_expect_nothing(t);
}

/* RFC 4291 2.5.6: link-local sources and destinations stay on their link (a link-local
 * source is told, RFC 4443 3.1 code 2, as Linux does); nor are loopback, unspecified or
 * multicast addresses routed. */
static void link_local_and_martians_kept(void **state)
{
	struct nt *t = *state;

	struct ns_addr ll = NT6_LL_PEER;

	assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &ll, &NT_MAC_PEER.m), NS_OK);
	nt6_send_udp(t, NT6_UDP(.src = NT6_LL_PEER, .dst = FAR));
	nt6_expect_icmp(t,
	                NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_BEYOND_SCOPE,
	                         .dst = NT6_LL_PEER, .src = NT6_LL_US));
	nt6_send_udp(t, NT6_UDP(.dst = NT6(0xfe, 0x80, [15] = 0x99)));
	nt6_send_udp(t, NT6_UDP(.src = NT6_UNSPEC, .dst = FAR));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_MARTIAN), 3);
	/* A group nobody here joined is not routed either. */
	nt6_send_udp(t, NT6_UDP(.dst = NT6(0xff, 0x0e, [15] = 9)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 0);
}

/* What came as a link-layer multicast is not forwarded. */
static void link_multicast_not_forwarded(void **state)
{
	struct nt *t = *state;

	nt6_send_udp(t, NT6_UDP(.dst = FAR, .eth_dst = NT_MAC(0x33, 0x33, 0, 0, 0, 1)));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_LINK_MCAST), 1);
}

/* The hop-by-hop header is examined on the way (RFC 8200 4.3): an option to discard with
 * an error stops the packet here. */
static void hop_by_hop_processed_when_forwarding(void **state)
{
	struct nt *t = *state;
	uint8_t h[8] = {IPV6_NH_UDP, 0, 0x9e, 4, 0, 0, 0, 0};

	nt6_send_udp(t, NT6_UDP(.dst = FAR, .nh = IPV6_NH_HOPOPTS, .ext = h, .ext_len = 8));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_PARAM_PROBLEM, .code = ICMPV6_PARAM_OPTION,
	                            .rest = IPV6_HLEN + 2));
	/* A skippable one goes through. */
	h[2] = 0x1e;
	nt6_send_udp(
	    t, NT6_UDP(.dst = FAR, .nh = IPV6_NH_HOPOPTS, .ext = h, .ext_len = 8, .hop_limit = 5));
	nt6_expect_udp(t, NT6_UDP(.dst = FAR, .hop_limit = 4, .nh = IPV6_NH_HOPOPTS));
	nt_expect_nothing(t);
}

/* RFC 4443 3.1 code 3: the next hop does not answer neighbor solicitations. */
static void address_unreachable(void **state)
{
	struct nt *t = *state;
	struct ns_link *l = add_nic2(t, false);
	int ns = 0;

	nt6_send_udp(t, NT6_UDP(.dst = REMOTE, .payload = "hello?"));
	nt_advance(t, 3 * NS_SEC);
	while (ns_channel_pending(l)) {
		struct ns_pkt *p = ns_channel_read(l);
		const uint8_t *b = ns_pkt_data(p);

		/* Neighbor solicitations (the NIC's MLD reports go out too). */
		if (p->len >= 14 + 48 && b[14 + 6] == IPV6_NH_ICMPV6 && b[14 + 40] == ICMPV6_ND_NS)
			ns++;
		ns_pkt_free(p);
	}
	assert_int_equal(ns, 3); /* MAX_MULTICAST_SOLICIT */
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_DEST_UNREACH, .code = ICMPV6_UNREACH_ADDR,
	                            .dst = NT6_ADDR_PEER));
	nt_expect_nothing(t);
	del_nic2(t, l);
}

/* Off: packets for others are dropped, not forwarded. */
static void not_forwarded_when_off(void **state)
{
	struct nt *t = *state;

	nt6_send_udp(t, NT6_UDP(.dst = FAR));
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1);
}

/* A router answers solicitations with the Router flag (RFC 4861 7.2.4). */
static void router_flag_in_advertisements(void **state)
{
	struct nt *t = *state;
	uint8_t body[32];
	struct ns_addr us = NT6_ADDR_US;
	uint32_t n = nt6_nd_target(body, &us, NDP_OPT_SLLA, &NT_MAC_PEER.m, NULL);
	struct ndp_repr r;

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NT6_SNODE(0, 0, 2), .hop_limit = 255,
	                          .rest = 0, .payload = body, .len = n));
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.dst = NT6_ADDR_PEER), &r);
	assert_int_equal(r.na_flags, NDP_NA_ROUTER | NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	nt_expect_nothing(t);
}

static int setup_fwd(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.forwarding = true));
}

int main(void)
{
#define TF(f) cmocka_unit_test_setup_teardown(f, setup_fwd, nt_cm_teardown)
#define T(f)  cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    TF(forwarded_with_hop_limit_decremented),
	    TF(forwarded_between_nics),
	    TF(hop_limit_expired),
	    TF(no_route),
	    TF(packet_too_big),
	    TF(forwarding_uses_link_mtu_not_path_mtu),
	    TF(link_local_and_martians_kept),
	    TF(link_multicast_not_forwarded),
	    TF(hop_by_hop_processed_when_forwarding),
	    TF(address_unreachable),
	    T(not_forwarded_when_off),
	    TF(router_flag_in_advertisements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
