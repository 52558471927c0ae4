/* SPDX-License-Identifier: MIT */
/*
 * Packet tests: Optimistic Duplicate Address Detection (RFC 4429) on the harness6 world,
 * on the virtual clock, with DAD on (the harness's own 2001:db8::2/64 and link-local address
 * have passed it when a test starts). One test per rule: an optimistic address is usable at
 * once for receiving and as a source (2.1, 3.3), its probe goes without the random delay
 * (3.3), DAD completes into a preferred address (3.3), a preferred address wins source
 * selection over it (2.1, RFC 6724 rule 3), a solicitation for it is answered without
 * Override (3.3), no solicitation is sent from it: a packet from it to an unresolved
 * neighbor goes through a default router, or waits for DAD to complete (2.2, 3.2), router
 * solicitations avoid it (3.2), a conflict deconfigures it and ends what used it (3.3), and
 * which addresses the stack makes optimistic by itself (3.1, 3.3).
 */
#include <string.h>

#include "harness6.h"
#include "netstack/endpoint.h"
#include "netstack/stats.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

#define NEW    NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x42)
#define NEWS   NT6_SNODE(0, 0, 0x42)
#define NB     NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 5) /* an on-link neighbor, unresolved */
#define NBS    NT6_SNODE(0, 0, 5)
#define OTHER  NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x42) /* 2001:db8:1::42 */
#define FARDST NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x99) /* 2001:db8:1::99 */
#define LL99   NT6(0xfe, 0x80, [15] = 0x99)
#define PFX5   NT6(0x20, 0x01, 0x0d, 0xb8, 0, 5)
#define PFX6   NT6(0x20, 0x01, 0x0d, 0xb8, 0, 6)
#define IID_US [8] = 0, 0, 0, 0xff, 0xfe, 0, 0, 2 /* EUI-64 of 02:00:00:00:00:02 */
#define SLAAC5 NT6(0x20, 0x01, 0x0d, 0xb8, 0, 5, IID_US)
#define SLAAC6 NT6(0x20, 0x01, 0x0d, 0xb8, 0, 6, IID_US)
#define MAC5   NT_MAC(0x02, 0, 0, 0, 0, 0x05)
#define MAC6   NT_MAC(0x02, 0, 0, 0, 0, 0x06)
#define PORT   7000

/* ---------------------------------------------------------------- helpers */

static enum ns_ipv6_addr_state state_of(struct nt *t, struct ns_addr a)
{
	return ns_ipv6_addr_state(t->s, NT_NIC, &a);
}

/* The NS_ADDR_F_* flags of @a on the NIC, -1 if it is not there. */
static int flags_of(struct nt *t, struct ns_addr a)
{
	struct ns_addr_info info[16];
	size_t n = ns_stack_nic_addresses(t->s, NT_NIC, info, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (ns_addr_eq(&info[i].addr.addr, &a))
			return (int)info[i].flags;
	return -1;
}

static void add_optimistic(struct nt *t, struct ns_addr a, uint8_t prefix)
{
	struct ns_subnet sn = {.addr = a, .prefix = prefix};

	assert_int_equal(ns_stack_add_address_flags(t->s, NT_NIC, &sn, NS_ADDR_F_OPTIMISTIC),
	                 NS_OK);
	assert_int_equal(state_of(t, a), NS_IPV6_ADDR_OPTIMISTIC);
	assert_int_equal(flags_of(t, a), NS_ADDR_F_OPTIMISTIC);
}

static bool is_mld_report(const struct nt6_frame *f)
{
	return f->upper == IPV6_NH_ICMPV6 && f->l4_len > 0 && f->l4[0] == ICMPV6_MLD2_REPORT;
}

/* The next frame that is not an MLD report (joins and leaves send theirs around what the
 * tests look at), or NULL when there is none. */
static const struct nt6_frame *next_frame(struct nt *t)
{
	while (nt_pending(t)) {
		const struct nt6_frame *f = nt6_expect_raw(t, NT6_RAW(.hop_limit = NT_ANY));

		if (!is_mld_report(f))
			return f;
	}
	return NULL;
}

static void expect_only_mld(struct nt *t)
{
	const struct nt6_frame *f = next_frame(t);

	if (f)
		fail_msg("unexpected frame: next header %u, first byte %u", f->upper,
		         f->l4_len ? f->l4[0] : 0);
}

/* A neighbor solicitation as the stack sent it. */
struct ns_seen {
	struct ns_addr src, dst;
	struct ns_mac eth_dst;
	struct ndp_repr r;
	uint8_t msg[128]; /* r points into it */
};

/* The next frame but MLD reports must be a neighbor solicitation. */
static void expect_ns(struct nt *t, struct ns_seen *s)
{
	const struct nt6_frame *f = next_frame(t);

	assert_non_null(f);
	assert_int_equal(f->upper, IPV6_NH_ICMPV6);
	assert_int_equal(f->l4[0], ICMPV6_ND_NS);
	assert_int_equal(f->ip.hop_limit, 255);
	assert_true(f->l4_len <= sizeof(s->msg));
	memcpy(s->msg, f->l4, f->l4_len);
	assert_true(ndp_parse(&s->r, s->msg, f->l4_len));
	s->src = ns_addr_v6_from_bytes(f->ip.src);
	s->dst = ns_addr_v6_from_bytes(f->ip.dst);
	s->eth_dst = f->eth.dst;
}

static bool has_option(const struct ndp_repr *r, uint8_t type)
{
	struct ndp_opt_iter it;
	struct ndp_opt o;

	ndp_opt_iter_init(&it, r->opts, r->opts_len);
	while (ndp_opt_next(&it, &o) > 0)
		if (o.type == type)
			return true;
	return false;
}

/* The DAD probe for @a: from ::, to its solicited-node group @sn, a nonce and no
 * link-layer address (RFC 4862 5.4.2, RFC 7527); its nonce into @nonce. */
static void expect_probe(struct nt *t, struct ns_addr a, struct ns_addr sn, uint8_t nonce[6])
{
	struct ns_seen s;
	struct ndp_opt_iter it;
	struct ndp_opt o;

	expect_ns(t, &s);
	assert_true(ns_addr_is_any(&s.src));
	assert_true(ns_addr_eq(&s.dst, &sn));
	assert_memory_equal(s.r.target, a.a, 16);
	ndp_opt_iter_init(&it, s.r.opts, s.r.opts_len);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(o.type, NDP_OPT_NONCE);
	assert_true(ndp_opt_nonce(&o, nonce));
	assert_int_equal(ndp_opt_next(&it, &o), 0);
}

static void send_ns(struct nt *t, struct ns_addr src, struct ns_addr dst, struct ns_addr target,
                    const struct ns_mac *slla, const uint8_t *nonce, struct nt_mac eth_src)
{
	uint8_t body[40];
	uint32_t n = nt6_nd_target(body, &target, NDP_OPT_SLLA, slla, nonce);

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .src = src, .dst = dst, .hop_limit = 255,
	                          .rest = 0, .payload = body, .len = n, .eth_src = eth_src));
}

static void send_na(struct nt *t, struct ns_addr src, struct ns_addr dst, struct ns_addr target,
                    uint8_t flags, struct nt_mac mac)
{
	uint8_t body[32];
	uint32_t n = nt6_nd_target(body, &target, NDP_OPT_TLLA, &mac.m, NULL);

	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = src, .dst = dst, .hop_limit = 255,
	                          .rest = (int64_t)flags << 24, .payload = body, .len = n,
	                          .eth_src = mac));
}

/* A router advertisement from fe80::1 (router lifetime 600 s) with one autonomous,
 * on-link /64 prefix, with or without the router's link-layer address. */
static void send_ra(struct nt *t, struct ns_addr prefix, bool slla)
{
	uint8_t body[64];
	struct ndp_prefix pi = {.prefix_len = 64,
	                        .flags = NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO,
	                        .valid = 3600,
	                        .preferred = 1800};
	uint32_t n = 8; /* reachable time, retrans timer: 0 */

	memset(body, 0, sizeof(body));
	memcpy(pi.prefix, prefix.a, 16);
	n += ndp_opt_emit_prefix(body + n, &pi);
	if (slla)
		n += ndp_opt_emit_lla(body + n, NDP_OPT_SLLA, &NT_MAC_PEER.m);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_RA, .src = NT6_LL_PEER, .dst = NT6_ALL_NODES,
	                          .hop_limit = 255, .rest = 600, .payload = body, .len = n));
}

static struct ns_ep *udp_bound(struct nt *t, struct ns_addr local)
{
	struct ns_ep *ep;
	struct ns_sockaddr sa = {.addr = local, .port = PORT};

	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_UDP, NULL, &ep), NS_OK);
	if (local.family)
		assert_int_equal(ns_ep_bind(ep, &sa), NS_OK);
	return ep;
}

static ns_err udp_send(struct ns_ep *ep, struct ns_addr to)
{
	struct ns_sockaddr sa = {.addr = to, .port = 9};
	struct ns_write_opts wo = {.to = &sa};
	size_t n;

	return ns_ep_write(ep, "hi", 2, &wo, &n);
}

/* The next frame but MLD reports must be our UDP datagram "hi" to port 9. */
static const struct nt6_frame *expect_udp(struct nt *t)
{
	const struct nt6_frame *f = next_frame(t);

	assert_non_null(f);
	assert_int_equal(f->upper, IPV6_NH_UDP);
	assert_true(f->l4_len == 10);
	assert_int_equal(f->l4[3], 9);
	return f;
}

/* A TCP segment from the peer (2001:db8::1:PORT+1) to @dst:PORT. */
static void send_tcp(struct nt *t, struct ns_addr dst, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct ns_addr src = NT6_ADDR_PEER;
	struct tcp_repr r = {.src_port = PORT + 1,
	                     .dst_port = PORT,
	                     .seq = seq,
	                     .ack = ack,
	                     .flags = flags,
	                     .window = 65535,
	                     .wscale = -1};
	uint8_t seg[64];
	size_t n = tcp_emit(&r, seg);

	tcp_set_csum(seg, n, csum_pseudo_v6(src.a, dst.a, IPV6_NH_TCP, (uint32_t)n));
	nt6_send_raw(t, NT6_RAW(.src = src, .dst = dst, .nh = IPV6_NH_TCP, .payload = seg,
	                        .len = (int64_t)n));
}

/* The next frame but MLD reports must be a TCP segment from @src to the peer. */
static void expect_tcp(struct nt *t, struct ns_addr src, struct tcp_repr *r)
{
	const struct nt6_frame *f = next_frame(t);

	assert_non_null(f);
	assert_int_equal(f->upper, IPV6_NH_TCP);
	assert_memory_equal(f->ip.src, src.a, 16);
	assert_memory_equal(f->ip.dst, NT6_ADDR_PEER.a, 16);
	assert_int_equal(tcp_parse(r, f->l4, f->l4_len), TCP_OK);
	assert_true(tcp_csum_ok(f->l4, f->l4_len,
	                        csum_pseudo_v6(f->ip.src, f->ip.dst, IPV6_NH_TCP, f->l4_len)));
}

/* ---------------------------------------------------------------- usable at once */

/* RFC 4429 3.3 (and 2.1): an optimistic address is "configured and available for use on the
 * interface immediately": echo requests to it are answered, and an endpoint bound to it
 * sends from it, before any time passes. */
static void optimistic_address_usable_at_once(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep;
	const struct nt6_frame *f;

	add_optimistic(t, NEW, 64);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OPTIMISTIC), 1);
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 1));
	f = next_frame(t);
	assert_non_null(f);
	assert_int_equal(f->upper, IPV6_NH_ICMPV6);
	assert_int_equal(f->l4[0], ICMPV6_ECHO_REPLY);
	assert_memory_equal(f->ip.src, NEW.a, 16);
	assert_memory_equal(f->ip.dst, NT6_ADDR_PEER.a, 16);
	/* As a source: bound to it, to the peer (whose link-layer address is known). */
	ep = udp_bound(t, NEW);
	assert_int_equal(udp_send(ep, NT6_ADDR_PEER), NS_OK);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, NEW.a, 16);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_OPTIMISTIC);
	ns_ep_close(ep);
	nt_discard(t);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
}

/* RFC 4429 3.3: "The host SHOULD NOT delay before sending Neighbor Solicitation messages":
 * the probe goes at once (a tentative address waits a random time of up to 1 s first). */
static void optimistic_probe_sent_without_delay(void **state)
{
	struct nt *t = *state;
	uint8_t nonce[6];

	add_optimistic(t, NEW, 64);
	nt_advance(t, 0);
	expect_probe(t, NEW, NEWS, nonce);
	expect_only_mld(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NS_TX), 1);
	nt_advance(t, 2 * NS_SEC);
	nt_discard(t);
}

/* RFC 4429 3.3: "When DAD completes for an Optimistic Address, the address is no longer
 * Optimistic and it becomes Preferred" (RFC 4862: RetransTimer after the last probe). Our
 * own probe looped back (RFC 7527 nonce) is no conflict on the way. */
static void dad_completes_optimistic_becomes_preferred(void **state)
{
	struct nt *t = *state;
	uint8_t nonce[6];

	add_optimistic(t, NEW, 64);
	nt_advance(t, 0);
	expect_probe(t, NEW, NEWS, nonce);
	send_ns(t, NT6_UNSPEC, NEWS, NEW, NULL, nonce, NT_MAC_US);
	nt_advance(t, NS_SEC - NS_MSEC);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_OPTIMISTIC);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 0);
	nt_advance(t, NS_MSEC);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(flags_of(t, NEW), 0);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 1);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_FAILED), 0);
	expect_only_mld(t);
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 2));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NEW, .seq = 2));
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- source selection */

/* RFC 4429 2.1: an optimistic address is treated as deprecated, "available for use but
 * should not be used if another suitable address is available" (RFC 6724 rule 3 before
 * rule 8, as Linux without use_optimistic). 2001:db8:1::42/128 shares 120 bits with the
 * destination 2001:db8:1::99 and 2001:db8::2/64 only 47, yet the preferred one is the
 * source until DAD completes; then the longer match wins. */
static void preferred_beats_optimistic_in_source_selection(void **state)
{
	struct nt *t = *state;
	struct ns_addr dst = FARDST;
	struct ns_route r;
	struct ns_ep *ep = udp_bound(t, (struct ns_addr){0});
	const struct nt6_frame *f;

	add_optimistic(t, OTHER, 128);
	nt_discard(t);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &dst, &r), NS_OK);
	assert_true(ns_addr_eq(&r.local, &NT6_ADDR_US));
	assert_int_equal(udp_send(ep, FARDST), NS_OK);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, NT6_ADDR_US.a, 16);
	assert_int_equal(f->eth.dst.b[5], 1); /* through the default router, the peer */
	nt_advance(t, NS_SEC);
	nt_discard(t);
	assert_int_equal(state_of(t, OTHER), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &dst, &r), NS_OK);
	assert_true(ns_addr_eq(&r.local, &OTHER));
	assert_int_equal(udp_send(ep, FARDST), NS_OK);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, OTHER.a, 16);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* Treated as deprecated, not as tentative: with nothing better on the NIC, the optimistic
 * address is the source (RFC 4429 2.1). The stack here has no other global address (the
 * harness adds none) and its link-local one is still tentative. */
static void optimistic_address_is_the_source_when_alone(void **state)
{
	struct nt *t = *state;
	struct ns_addr peer = NT6_ADDR_PEER;
	struct ns_ep *ep = udp_bound(t, (struct ns_addr){0});
	struct ns_route r;
	const struct nt6_frame *f;

	add_optimistic(t, NEW, 64);
	assert_int_equal(ns_stack_add_static_neighbor(t->s, NT_NIC, &peer, &NT_MAC_PEER.m), NS_OK);
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_TENTATIVE);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_true(ns_addr_eq(&r.local, &NEW));
	nt_discard(t);
	assert_int_equal(udp_send(ep, NT6_ADDR_PEER), NS_OK);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, NEW.a, 16);
	ns_ep_close(ep);
	nt_advance(t, 3 * NS_SEC);
	nt_discard(t);
}

/* ---------------------------------------------------------------- Neighbor Discovery */

/* RFC 4429 3.3: "The node MUST reply to a Neighbor Solicitation for an Optimistic Address
 * from a unicast address, but the reply MUST have the Override flag cleared (O=0)"; the
 * same question for a preferred address gets O=1, and so does the optimistic one once DAD
 * has completed. */
static void solicitation_for_optimistic_answered_without_override(void **state)
{
	struct nt *t = *state;
	struct ndp_repr r;
	struct ns_mac m;

	add_optimistic(t, NEW, 64);
	nt_discard(t);
	send_ns(t, NB, NEWS, NEW, &MAC5.m, NULL, MAC5);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NEW, .dst = NB, .eth_dst = MAC5), &r);
	assert_memory_equal(r.target, NEW.a, 16);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED);
	assert_true(nt6_nd_lla(&r, NDP_OPT_TLLA, &m));
	assert_memory_equal(m.b, NT_MAC_US.m.b, 6);
	expect_only_mld(t);
	/* A preferred address answers with Override. */
	send_ns(t, NB, NT6_SNODE(0, 0, 2), NT6_ADDR_US, &MAC5.m, NULL, MAC5);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NT6_ADDR_US, .dst = NB), &r);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	/* And so does NEW once DAD has completed. */
	nt_advance(t, NS_SEC);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t);
	send_ns(t, NB, NEWS, NEW, &MAC5.m, NULL, MAC5);
	nt6_expect_nd(t, ICMPV6_ND_NA, NT6_ICMP(.src = NEW, .dst = NB), &r);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	nt_expect_nothing(t);
}

/* RFC 4429 2.2 and 3.2: no neighbor solicitation from an optimistic address (its source
 * link-layer address could override the rightful owner's entries), and a packet from it
 * to a neighbor whose link-layer address is unknown is not resolved: with no default router
 * it waits until DAD completes, and then the question goes from the now preferred address,
 * with our link-layer address. */
static void packet_from_optimistic_waits_for_dad_without_solicitation(void **state)
{
	struct nt *t = *state;
	struct ns_route_entry def = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                             .gateway = NT6_ADDR_PEER,
	                             .nic = NT_NIC};
	struct ns_ep *ep;
	struct ns_seen s;
	struct ns_mac m;
	const struct nt6_frame *f;
	uint8_t nonce[6];

	assert_int_equal(ns_stack_remove_route(t->s, &def), NS_OK);
	add_optimistic(t, NEW, 64);
	ep = udp_bound(t, NEW);
	assert_int_equal(udp_send(ep, NB), NS_OK);
	nt_advance(t, 0);
	/* Only DAD's own probe from :: goes out: no question from NEW, nor from another of
	 * our addresses on its behalf. */
	expect_probe(t, NEW, NEWS, nonce);
	expect_only_mld(t);
	nt_advance(t, NS_SEC - NS_MSEC);
	expect_only_mld(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NS_TX), 1);
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 0);
	/* DAD completes: the question goes at once, from NEW, with our link-layer address. */
	nt_advance(t, NS_MSEC);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_PREFERRED);
	expect_ns(t, &s);
	assert_true(ns_addr_eq(&s.src, &NEW));
	assert_true(ns_addr_eq(&s.dst, &NBS));
	assert_memory_equal(s.r.target, NB.a, 16);
	assert_true(nt6_nd_lla(&s.r, NDP_OPT_SLLA, &m));
	assert_memory_equal(m.b, NT_MAC_US.m.b, 6);
	/* The answer lets the datagram that waited go. */
	send_na(t, NB, NEW, NB, NDP_NA_SOLICITED | NDP_NA_OVERRIDE, MAC5);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, NEW.a, 16);
	assert_memory_equal(f->ip.dst, NB.a, 16);
	assert_memory_equal(f->eth.dst.b, MAC5.m.b, 6);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_OPTIMISTIC_VIA_ROUTER), 0);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* RFC 4429 3.2: "It SHOULD forward the packet to a default router on the link in the hope
 * that the packet will be redirected": with a default router whose link-layer address is
 * known, the datagram from NEW to the unresolved NB goes to the router's MAC at once, and
 * nothing is asked. Once NEW is preferred, NB is resolved as usual. */
static void packet_from_optimistic_goes_through_default_router(void **state)
{
	struct nt *t = *state;
	struct ns_ep *ep;
	struct ns_seen s;
	const struct nt6_frame *f;
	uint8_t nonce[6];

	add_optimistic(t, NEW, 64);
	ep = udp_bound(t, NEW);
	assert_int_equal(udp_send(ep, NB), NS_OK);
	f = expect_udp(t);
	assert_memory_equal(f->ip.src, NEW.a, 16);
	assert_memory_equal(f->ip.dst, NB.a, 16);
	assert_memory_equal(f->eth.dst.b, NT_MAC_PEER.m.b, 6);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_OPTIMISTIC_VIA_ROUTER), 1);
	nt_advance(t, 0);
	expect_probe(t, NEW, NEWS, nonce);
	expect_only_mld(t);
	/* Preferred: now NB is asked for, and the next datagram waits for its answer. */
	nt_advance(t, NS_SEC);
	nt_discard(t);
	assert_int_equal(udp_send(ep, NB), NS_OK);
	expect_ns(t, &s);
	assert_true(ns_addr_eq(&s.src, &NEW));
	assert_true(has_option(&s.r, NDP_OPT_SLLA));
	send_na(t, NB, NEW, NB, NDP_NA_SOLICITED | NDP_NA_OVERRIDE, MAC5);
	f = expect_udp(t);
	assert_memory_equal(f->eth.dst.b, MAC5.m.b, 6);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_OPTIMISTIC_VIA_ROUTER), 1);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* RFC 4429 3.2: "A node MUST NOT send a Router Solicitation with a SLLAO from an Optimistic
 * Address. Router Solicitations SHOULD be sent from a non-Optimistic or the Unspecified
 * Address": with only an optimistic link-local address (fe80::99 given by hand, no
 * automatic one), the first solicitation goes from :: without our link-layer address; the
 * next one, after DAD, from fe80::99 with it. */
static void router_solicitation_not_from_optimistic_address(void **state)
{
	struct nt *t = *state;
	struct ns_addr ll = LL99;
	bool early = false, late = false;

	add_optimistic(t, ll, 64);
	for (int i = 0; i < 10 && !late; i++) {
		const struct nt6_frame *f;

		nt_advance(t, NS_SEC);
		while ((f = next_frame(t)) != NULL) {
			struct ndp_repr r;
			struct ns_mac m;

			if (f->upper != IPV6_NH_ICMPV6 || f->l4[0] != ICMPV6_ND_RS)
				continue;
			assert_true(ndp_parse(&r, f->l4, f->l4_len));
			assert_memory_equal(f->ip.dst, NT6_ALL_ROUTERS.a, 16);
			if (ipv6_addr_is_unspecified(f->ip.src)) {
				/* Sent while fe80::99 was optimistic. */
				assert_false(late);
				assert_false(nt6_nd_lla(&r, NDP_OPT_SLLA, &m));
				early = true;
			} else {
				assert_memory_equal(f->ip.src, ll.a, 16);
				assert_int_equal(state_of(t, ll), NS_IPV6_ADDR_PREFERRED);
				assert_true(nt6_nd_lla(&r, NDP_OPT_SLLA, &m));
				late = true;
			}
		}
	}
	assert_true(early);
	assert_true(late);
	nt_advance(t, 10 * NS_SEC);
	nt_discard(t);
}

/* ---------------------------------------------------------------- conflicts */

/* RFC 4429 3.3: a solicitation for an optimistic address from :: (another node's DAD) is
 * not answered and makes it a duplicate, deconfigured as a tentative one is (RFC 4862
 * 5.4.3); our own probe looped back (same nonce) is no conflict. */
static void dad_probe_from_another_node_removes_optimistic_address(void **state)
{
	struct nt *t = *state;
	uint8_t nonce[6], other[6];

	add_optimistic(t, NEW, 64);
	nt_advance(t, 0);
	expect_probe(t, NEW, NEWS, nonce);
	send_ns(t, NT6_UNSPEC, NEWS, NEW, NULL, nonce, NT_MAC_US);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_OPTIMISTIC);
	memcpy(other, nonce, 6);
	other[0] ^= 1;
	send_ns(t, NT6_UNSPEC, NEWS, NEW, NULL, other, MAC6);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_DUPLICATE);
	assert_int_equal(flags_of(t, NEW), -1);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_FAILED), 1);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NA_TX), 0);
	expect_only_mld(t); /* the group's leave, and nothing else */
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 3));
	expect_only_mld(t);
	nt_advance(t, 3 * NS_SEC);
	nt_discard(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OK), 0);
}

/*
 * RFC 4429 3.3 and RFC 4862 5.4.4: an advertisement for an optimistic address means another
 * node has it: it is deconfigured, and what was using it ends. Here a TCP connection from
 * it (established while optimistic) is aborted with CONNECTION_ABORTED and sends nothing
 * more, not even a RST (a segment from an address that is another node's); a UDP endpoint
 * bound to it can no longer send (BAD_LOCAL_ADDRESS, Linux's EADDRNOTAVAIL); packets to it
 * are no longer ours.
 */
static void dad_conflict_removes_optimistic_address_and_ends_its_connections(void **state)
{
	struct nt *t = *state;
	struct ns_ep *tcp, *udp;
	struct ns_sockaddr local = {.addr = NEW, .port = PORT},
	                   peer = {.addr = NT6_ADDR_PEER, .port = PORT + 1};
	struct tcp_repr syn, ack;
	int64_t err = 0;
	char buf[8];
	struct ns_read_result rr;
	size_t n;

	add_optimistic(t, NEW, 64);
	nt_discard(t);
	/* A connection from NEW, established while it is optimistic. */
	assert_int_equal(ns_ep_new(t->s, NS_AF_INET6, NS_IPPROTO_TCP, NULL, &tcp), NS_OK);
	assert_int_equal(ns_ep_bind(tcp, &local), NS_OK);
	assert_int_equal(ns_ep_connect(tcp, &peer), NS_ERR_CONNECT_STARTED);
	expect_tcp(t, NEW, &syn);
	assert_int_equal(syn.flags, TCP_SYN);
	send_tcp(t, NEW, 5000, syn.seq + 1, TCP_SYN | TCP_ACK);
	expect_tcp(t, NEW, &ack);
	assert_int_equal(ack.flags, TCP_ACK);
	assert_int_equal(ns_ep_write(tcp, "abc", 3, NULL, &n), NS_OK);
	expect_tcp(t, NEW, &ack);
	assert_int_equal(ack.flags & TCP_PSH, TCP_PSH);
	udp = udp_bound(t, NEW);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_OPTIMISTIC);
	expect_only_mld(t);

	/* Another node (MAC6) says NEW is its own. */
	send_na(t, NEW, NT6_ALL_NODES, NEW, NDP_NA_OVERRIDE, MAC6);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_DUPLICATE);
	assert_int_equal(flags_of(t, NEW), -1);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_FAILED), 1);
	assert_int_equal(nt_stat(t, NS_STAT_TCP_ADDR_GONE_ABORTS), 1);
	assert_int_equal(ns_ep_get_opt(tcp, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_ABORTED);
	assert_int_not_equal(ns_ep_write(tcp, "d", 1, NULL, &n), NS_OK);
	rr.count = 0;
	assert_int_equal(ns_ep_read(tcp, buf, sizeof(buf), 0, &rr), NS_ERR_CLOSED_FOR_RECEIVE);
	assert_int_equal(rr.count, 0);
	assert_int_equal(udp_send(udp, NT6_ADDR_PEER), NS_ERR_BAD_LOCAL_ADDRESS);
	/* Nothing but the group's leave report: no RST, and no retransmission of "abc". */
	expect_only_mld(t);
	nt_advance(t, 10 * NS_SEC);
	expect_only_mld(t);
	/* The peer's segments and echo requests to NEW are not ours any more. */
	nt6_send_icmp(t, NT6_ICMP(.dst = NEW, .seq = 4));
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 1);
	send_tcp(t, NEW, 5001, ack.seq + 3, TCP_ACK);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_NOT_FOR_US), 2);
	expect_only_mld(t);
	ns_ep_close(tcp);
	ns_ep_close(udp);
	nt_advance(t, NS_SEC);
	nt_expect_nothing(t);
}

/* A packet from an optimistic address that waits for DAD to complete (no default router)
 * never leaves if DAD finds the address duplicate instead: nothing is asked for its next
 * hop, whose entry fails (RFC 4862 5.5.4: an address that is not ours is no source). */
static void packet_held_for_a_duplicate_address_never_leaves(void **state)
{
	struct nt *t = *state;
	struct ns_route_entry def = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                             .gateway = NT6_ADDR_PEER,
	                             .nic = NT_NIC};
	struct ns_ep *ep;
	uint8_t nonce[6];

	assert_int_equal(ns_stack_remove_route(t->s, &def), NS_OK);
	add_optimistic(t, NEW, 64);
	ep = udp_bound(t, NEW);
	assert_int_equal(udp_send(ep, NB), NS_OK);
	nt_advance(t, 0);
	expect_probe(t, NEW, NEWS, nonce);
	send_na(t, NEW, NT6_ALL_NODES, NEW, NDP_NA_OVERRIDE, MAC6);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_DUPLICATE);
	nt_advance(t, 5 * NS_SEC);
	expect_only_mld(t);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_NS_TX), 1); /* the probe alone */
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 1);
	ns_ep_close(ep);
	nt_expect_nothing(t);
}

/* ---------------------------------------------------------------- which addresses */

/* ipv6_optimistic_dad (Linux's optimistic_dad) covers the addresses the stack forms itself
 * from identifiers most likely unique (RFC 4429 3.1): the link-local one is optimistic; an
 * address given by hand is not, unless asked for (3.1: "Optimistic DAD SHOULD NOT be used
 * for manually entered addresses"). */
static void stack_option_makes_link_local_optimistic_not_manual_addresses(void **state)
{
	struct nt *t = *state;
	struct ns_subnet a = {.addr = NT6_ADDR_US, .prefix = 64};
	struct ndp_repr r;

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_OPTIMISTIC);
	assert_int_equal(state_of(t, NT6_ADDR_US), NS_IPV6_ADDR_TENTATIVE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OPTIMISTIC), 1);
	/* The link-local address answers at once: the peer's question (without Override in
	 * the answer), then its echo request. */
	nt_discard(t); /* the joins' MLD reports */
	send_ns(t, NT6_LL_PEER, NT6_SNODE(0, 0, 2), NT6_LL_US, &NT_MAC_PEER.m, NULL, NT_MAC_PEER);
	nt6_expect_nd(
	    t, ICMPV6_ND_NA,
	    NT6_ICMP(.src = NT6_LL_US, .dst = NT6_LL_PEER, .rest = (int64_t)NDP_NA_SOLICITED << 24),
	    &r);
	nt6_send_icmp(t, NT6_ICMP(.src = NT6_LL_PEER, .dst = NT6_LL_US, .seq = 5));
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .src = NT6_LL_US, .seq = 5));
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(state_of(t, NT6_ADDR_US), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t);
}

/* RFC 4429 3.3: "A router SHOULD NOT configure an Optimistic Address" (Linux: not while
 * forwarding): the stack option does nothing on a router. */
static void router_makes_no_optimistic_address(void **state)
{
	struct nt *t = *state;
	struct ns_subnet a = {.addr = NT6_ADDR_US, .prefix = 64};

	assert_int_equal(ns_stack_add_address(t->s, NT_NIC, &a), NS_OK);
	assert_int_equal(state_of(t, NT6_LL_US), NS_IPV6_ADDR_TENTATIVE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OPTIMISTIC), 0);
	nt_advance(t, 3 * NS_SEC);
	nt_discard(t);
}

/* RFC 4429 3.3: "A host that does not know the SLLAO of its router SHOULD NOT configure a
 * new address as Optimistic": a SLAAC address from an advertisement with the router's
 * link-layer address is optimistic, one from an advertisement without it tentative. */
static void slaac_optimistic_only_when_router_link_address_known(void **state)
{
	struct nt *t = *state;

	send_ra(t, PFX5, true);
	assert_int_equal(state_of(t, SLAAC5), NS_IPV6_ADDR_OPTIMISTIC);
	send_ra(t, PFX6, false);
	assert_int_equal(state_of(t, SLAAC6), NS_IPV6_ADDR_TENTATIVE);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_SLAAC_ADDRS), 2);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OPTIMISTIC), 1);
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(state_of(t, SLAAC5), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(state_of(t, SLAAC6), NS_IPV6_ADDR_PREFERRED);
	nt_discard(t);
}

/* The request is checked: Optimistic DAD is IPv6's, and no other flag may be asked for;
 * without DAD the request is moot and the address is simply preferred. */
static void optimistic_request_checked(void **state)
{
	struct nt *t = *state;
	struct ns_subnet v4 = {.addr = NT_V4(192, 0, 2, 9), .prefix = 24};
	struct ns_subnet v6 = {.addr = NEW, .prefix = 64};

	assert_int_equal(ns_stack_add_address_flags(t->s, NT_NIC, &v4, NS_ADDR_F_OPTIMISTIC),
	                 NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(ns_stack_add_address_flags(t->s, NT_NIC, &v6, NS_ADDR_F_TENTATIVE),
	                 NS_ERR_INVALID_ARGUMENT);
	assert_int_equal(flags_of(t, NEW), -1);
	nt_expect_nothing(t);
}

static void dad_off_makes_optimistic_request_moot(void **state)
{
	struct nt *t = *state;
	struct ns_subnet v6 = {.addr = NEW, .prefix = 64};

	assert_int_equal(ns_stack_add_address_flags(t->s, NT_NIC, &v6, NS_ADDR_F_OPTIMISTIC),
	                 NS_OK);
	assert_int_equal(state_of(t, NEW), NS_IPV6_ADDR_PREFERRED);
	assert_int_equal(flags_of(t, NEW), 0);
	assert_int_equal(nt_stat(t, NS_STAT_NDP_DAD_OPTIMISTIC), 0);
	nt_discard(t);
}

/* ---------------------------------------------------------------- fixtures */

static void cfg_optimistic(struct ns_stack_config *cfg)
{
	cfg->ipv6_optimistic_dad = true;
}

static void cfg_rs_no_link_local(struct ns_stack_config *cfg)
{
	cfg->ipv6_link_local = false;
}

static int setup_dad(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true));
}

/* No IPv6 address yet; the stack option on. */
static int setup_option(void **state)
{
	return nt6_cm_setup_opts(
	    state, NT6_OPTS(.dad = true, .no_address6 = true, .config = cfg_optimistic));
}

static int setup_option_router(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true, .no_address6 = true,
	                                         .forwarding = true, .config = cfg_optimistic));
}

/* The option on, 2001:db8::2 in place (and preferred), router advertisements taken. */
static int setup_option_slaac(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true, .config = cfg_optimistic));
}

/* No address; router solicitations on; no automatic link-local address. */
static int setup_rs(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true, .rs = true, .no_address6 = true,
	                                         .config = cfg_rs_no_link_local));
}

static int setup_alone(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.dad = true, .no_address6 = true));
}

int main(void)
{
#define T(f, s) cmocka_unit_test_setup_teardown(f, s, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(optimistic_address_usable_at_once, setup_dad),
	    T(optimistic_probe_sent_without_delay, setup_dad),
	    T(dad_completes_optimistic_becomes_preferred, setup_dad),
	    T(preferred_beats_optimistic_in_source_selection, setup_dad),
	    T(optimistic_address_is_the_source_when_alone, setup_alone),
	    T(solicitation_for_optimistic_answered_without_override, setup_dad),
	    T(packet_from_optimistic_waits_for_dad_without_solicitation, setup_dad),
	    T(packet_from_optimistic_goes_through_default_router, setup_dad),
	    T(router_solicitation_not_from_optimistic_address, setup_rs),
	    T(dad_probe_from_another_node_removes_optimistic_address, setup_dad),
	    T(dad_conflict_removes_optimistic_address_and_ends_its_connections, setup_dad),
	    T(packet_held_for_a_duplicate_address_never_leaves, setup_dad),
	    T(stack_option_makes_link_local_optimistic_not_manual_addresses, setup_option),
	    T(router_makes_no_optimistic_address, setup_option_router),
	    T(slaac_optimistic_only_when_router_link_address_known, setup_option_slaac),
	    T(optimistic_request_checked, setup_dad),
	    T(dad_off_makes_optimistic_request_moot, nt6_cm_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
