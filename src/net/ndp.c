/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: Neighbor Discovery for a host (RFC 4861), duplicate address
 * detection (with Optimistic DAD, RFC 4429) and stateless address autoconfiguration (RFC
 * 4862, RFC 7217, RFC 7527).
 *
 * Link addresses live in the core's neighbor cache (src/core/neigh.c, which runs the NUD
 * states of RFC 4861 7.3.2 for ARP and NDP alike); this file speaks the protocol around it:
 * it sends neighbor solicitations when the cache asks (ndp_solicit(): to the target's
 * solicited-node group, or unicast for a NUD probe), answers solicitations for our
 * addresses, and turns what solicitations, advertisements, router advertisements and
 * redirects teach into ns_neigh_update() calls with the flags of RFC 4861 7.2.3-7.2.5. It
 * keeps, per NIC (struct ndp_if, found by NIC id), the addresses it looks after, the
 * default routers, the on-link prefixes and the redirects learnt, each with its own timer,
 * in fixed-size tables (nothing a peer sends can grow them).
 *
 * Validation (RFC 4861 6.1.2, 7.1.1, 7.1.2, 8.1): every ND message must arrive with hop
 * limit 255 (so from the link itself), code 0, its fixed length, and options of non-zero
 * length that stay inside it; a solicitation from the unspecified address must be for a
 * solicited-node group and carry no source link-layer address; an advertisement to a group
 * must not be solicited; router advertisements and redirects must come from a link-local
 * address. Failures are dropped as NDP_MALFORMED. A message that came with a Fragment
 * header is ignored (RFC 6980 5, as Linux's suppress_frag_ndisc).
 *
 * Addresses (RFC 4862). When a NIC gets its first IPv6 address (or ns_ipv6_enable()), IPv6
 * comes up on it: it gets a link-local address fe80::/64 (5.3) from the EUI-64 of its MAC,
 * or from an RFC 7217 stable identifier when configured or when the link has no MAC.
 * Every address joins its solicited-node group (mld.c) and, where the link resolves
 * addresses and DAD is on, stays tentative (NS_ADDR_F_TENTATIVE: not local, not a source;
 * or optimistic, below) while DAD runs (5.4): after a random delay of up to
 * MAX_RTR_SOLICITATION_DELAY (1 s, 5.4.2, as Linux), DupAddrDetectTransmits solicitations
 * from :: carrying an RFC 7527 nonce, one RetransTimer apart, then one more RetransTimer.
 * An advertisement for the address, or a solicitation for it from :: that is not our own
 * looped back (its nonce differs), means another node has it (5.4.3, 5.4.4): the address
 * is marked duplicate, counted and removed from the NIC (ns_ipv6_addr_state() still
 * reports it), and an autoconfigured stable one is formed again with the next DAD_Counter
 * (RFC 7217 6, up to IDGEN_RETRIES times). Once the link-local address is usable, router
 * solicitations go out (RFC 4861 6.3.7: after a random delay of up to 1 s,
 * ipv6_rtr_solicits of them, 4 s apart, until an advertisement arrives), with our
 * link-layer address unless sent from ::.
 *
 * Optimistic DAD (RFC 4429), for an address added with NS_ADDR_F_OPTIMISTIC, and with
 * ipv6_optimistic_dad for the link-local address and SLAAC ones formed from an
 * advertisement that carried the router's link-layer address (3.3), never on a router: the
 * address is OPTIMISTIC (NS_ADDR_F_OPTIMISTIC), assigned at once (it receives and is a
 * source, one that source selection takes only when nothing better is there, as a
 * deprecated one: 2.1), and its probe goes without the random delay (3.3); DAD runs as for
 * a tentative address and ends in the same states, and a conflict deconfigures it the same
 * way (its removal ends the TCP connections that used it). Meanwhile Neighbor Discovery
 * keeps it from overriding anyone's cache (2.2, 3.2, 3.3): a solicitation for it from a
 * unicast source is answered without the Override flag; no neighbor solicitation is ever
 * sent from it, and a packet from it to a neighbor not yet resolved is not resolved: ipv6.c
 * sends it through a default router whose link-layer address is known, or it waits in the
 * neighbor cache and the question is asked (from the then preferred address) when DAD
 * completes (ns_neigh_solicit_incomplete()); router solicitations go from another
 * link-local address or ::.
 *
 * Router advertisements (6.3.4), taken unless the stack forwards or accept_ra is off: the
 * Cur Hop Limit becomes the NIC's default; a Reachable Time and a Retrans Timer become the
 * NIC's BaseReachableTime and RetransTimer for its IPv6 neighbors and DAD (as Linux, at
 * least 100 ms and 10 ms; the reachable time at most MAX_REACHABLE_TIME, 1 h); a router
 * lifetime puts the router in the default router list (NDP_MAX_ROUTERS, each a default
 * route through it on the NIC, metric 1024 as Linux's, removed when the lifetime runs out,
 * a lifetime of 0 arrives, or an advertisement from it clears the R flag, 7.2.5); the
 * source link-layer address updates the router's neighbor entry (created if needed,
 * IsRouter set); an MTU option between 1280 and the link's MTU becomes the NIC's IPv6
 * MTU; each prefix option with L set becomes an on-link route for its valid lifetime
 * (metric 256), and with A set (and SLAAC on) an address: prefix plus our 64-bit
 * identifier (5.5.3: prefixes of another length, link-local ones, and preferred > valid
 * lifetimes are ignored), preferred until the preferred lifetime ends (then deprecated:
 * still valid, a source only when nothing else is) and removed when the valid lifetime
 * does. A later advertisement updates the lifetimes with the two-hour rule of 5.5.3(e), so
 * a forged advertisement cannot expire an address early.
 *
 * Redirects (8.1, 8.3) are honoured only from the current first-hop router for the
 * destination (the route lookup's next hop), never while forwarding: the target's
 * link-layer address goes to the neighbor cache and a host route (/128) to the destination
 * through the target (or on-link when target = destination) is installed for
 * NDP_REDIRECT_NS, at most NDP_MAX_REDIRECTS of them (the oldest replaced).
 *
 * Answers: a solicitation for an address assigned to the receiving NIC (not merely to
 * another NIC: unlike ARP, IPv6 answers per link, as Linux) or inside one of its address
 * ranges is answered with an advertisement from that address, carrying our link-layer
 * address, Solicited set unless it came from :: (then to all-nodes, 7.2.4), Override set
 * except for range addresses (which we answer for like a proxy), Router set when
 * forwarding. Its sender's link-layer address is cached (created STALE, 7.2.3).
 *
 * Limits: no router preference (RFC 4191), RDNSS or route information options;
 * no DHCPv6 (the M and O flags are ignored); no SEND (RFC 3971); routers (forwarding on)
 * send no router advertisements and no redirects.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net6.h"
#include "netstack/stack.h"
#include "netstack/timer.h"
#include "wire/icmpv6.h"

#define NDP_MAX_ADDRS     32 /* addresses looked after per NIC, duplicates remembered */
#define NDP_MAX_ROUTERS   8  /* default router list (RFC 4861 6.3.4: bounded) */
#define NDP_MAX_PREFIXES  16 /* on-link prefixes */
#define NDP_MAX_REDIRECTS 16
#define NDP_REDIRECT_NS   (600 * NS_SEC)
#define NDP_NIC_ADDRS     32 /* more than a NIC holds: a buffer for ns_stack_nic_addresses() */
/* RFC 4861 10. */
#define MAX_RTR_SOLICITATION_DELAY NS_SEC
#define RTR_SOLICITATION_INTERVAL  (4 * NS_SEC)
#define MAX_REACHABLE_MS           3600000u /* MAX_REACHABLE_TIME */
/* Linux's floors for what advertisements set (ndisc_router_discovery()). */
#define MIN_REACHABLE_MS 100u
#define MIN_RETRANS_MS   10u
/* RFC 4862 5.5.3(e). */
#define TWO_HOURS_S 7200u
#define INFINITE_S  0xffffffffu
/* RFC 7217 6. */
#define IDGEN_RETRIES 3
/* Linux's route metrics for routes learnt from router advertisements. */
#define METRIC_DEFAULT_ROUTER 1024
#define METRIC_PREFIX         256
#define IID_SALT              0x6e6470696964ull /* "ndpiid" */
#define NS_FOREVER            UINT64_MAX

enum ndp_origin { ORIGIN_MANUAL, ORIGIN_LINK_LOCAL, ORIGIN_SLAAC };

struct ndp_if;

/* An address NDP looks after (one assigned to the NIC, or one found duplicate). */
struct ndp_addr {
	bool used;
	uint8_t state;         /* enum ns_ipv6_addr_state; NONE while an autoconfigured one is
	                        * being added; TENTATIVE or OPTIMISTIC while DAD runs */
	uint8_t origin;        /* enum ndp_origin */
	bool joined;           /* member of its solicited-node group */
	bool slaac_optimistic; /* SLAAC: the advertisement allowed Optimistic DAD */
	uint8_t dad_sent;
	uint8_t dad_counter; /* RFC 7217 DAD_Counter */
	uint8_t nonce[6];    /* RFC 7527: tells our own looped solicitation apart */
	struct ns_subnet sn;
	uint64_t valid_until, preferred_until; /* ns; NS_FOREVER: infinite */
	uint64_t since;                        /* when it was added (oldest duplicate goes) */
	struct ns_timer timer;                 /* DAD steps, then lifetimes */
	struct ndp_if *ifp;
};

struct ndp_router {
	bool used;
	struct ns_addr addr;
	struct ns_timer timer;
	struct ndp_if *ifp;
};

struct ndp_onlink {
	bool used;
	struct ns_subnet pfx;
	struct ns_timer timer;
	struct ndp_if *ifp;
};

struct ndp_redirect {
	bool used;
	struct ns_addr dest, target;
	uint64_t since;
	struct ns_timer timer;
	struct ndp_if *ifp;
};

struct ndp_if {
	struct ndp_if *next;
	struct ndp_state *st;
	uint32_t nic;
	bool up;         /* IPv6 runs on the NIC */
	bool rs_started; /* router solicitation begun */
	bool ra_seen;
	uint8_t rs_sent;
	uint8_t cur_hop_limit; /* from router advertisements; 0: the stack's */
	bool ns_held;          /* a solicitation was not sent for a packet from an optimistic
	                        * address (RFC 4429 3.2): ask again when DAD completes */
	struct ns_timer rs_timer;
	struct ndp_addr addrs[NDP_MAX_ADDRS];
	struct ndp_router routers[NDP_MAX_ROUTERS];
	struct ndp_onlink onlink[NDP_MAX_PREFIXES];
	struct ndp_redirect redirects[NDP_MAX_REDIRECTS];
};

struct ndp_state {
	struct ns_stack *s;
	struct ndp_if *ifs;
};

static void addr_timer(struct ns_stack *s, struct ns_timer *t);
static void router_timer(struct ns_stack *s, struct ns_timer *t);
static void onlink_timer(struct ns_stack *s, struct ns_timer *t);
static void redirect_timer(struct ns_stack *s, struct ns_timer *t);
static void rs_timer(struct ns_stack *s, struct ns_timer *t);
static void rs_start(struct ns_stack *s, struct ndp_if *ifp);

static struct ns_addr v6(const uint8_t a[16])
{
	return ns_addr_v6_from_bytes(a);
}

static const struct ns_addr all_nodes = {NS_AF_INET6, {0xff, 0x02, [15] = 1}};
static const struct ns_addr all_routers = {NS_AF_INET6, {0xff, 0x02, [15] = 2}};
static const struct ns_addr unspecified = {NS_AF_INET6, {0}};

static uint64_t now_ns(struct ns_stack *s)
{
	return ns_stack_now(s);
}

/* now + @secs, saturating; infinity stays infinite. */
static uint64_t deadline_s(struct ns_stack *s, uint32_t secs)
{
	if (secs == INFINITE_S)
		return NS_FOREVER;
	return now_ns(s) + (uint64_t)secs * NS_SEC;
}

static uint64_t random_upto(struct ns_stack *s, uint64_t max)
{
	return ns_stack_random(s) % (max + 1);
}

static bool nic_resolves(const struct ns_nic *nic)
{
	return (ns_nic_caps(nic) & NS_CAP_RESOLUTION_REQUIRED) &&
	       !(ns_nic_caps(nic) & NS_CAP_LOOPBACK);
}

/* ---------------------------------------------------------------- per-NIC state */

struct ndp_state *ndp_new(struct ns_stack *s)
{
	struct ndp_state *n = calloc(1, sizeof(*n));

	if (n)
		n->s = s;
	return n;
}

static void ifp_free(struct ns_stack *s, struct ndp_if *ifp)
{
	ns_timer_cancel(s, &ifp->rs_timer);
	for (int i = 0; i < NDP_MAX_ADDRS; i++)
		ns_timer_cancel(s, &ifp->addrs[i].timer);
	for (int i = 0; i < NDP_MAX_ROUTERS; i++)
		ns_timer_cancel(s, &ifp->routers[i].timer);
	for (int i = 0; i < NDP_MAX_PREFIXES; i++)
		ns_timer_cancel(s, &ifp->onlink[i].timer);
	for (int i = 0; i < NDP_MAX_REDIRECTS; i++)
		ns_timer_cancel(s, &ifp->redirects[i].timer);
	free(ifp);
}

void ndp_free(struct ns_stack *s, struct ndp_state *n)
{
	if (!n)
		return;
	while (n->ifs) {
		struct ndp_if *ifp = n->ifs;

		n->ifs = ifp->next;
		ifp_free(s, ifp);
	}
	free(n);
}

static struct ndp_if *ifp_find(struct ns_stack *s, const struct ns_nic *nic)
{
	struct ndp_state *n = ipv6_ndp(s);

	if (!n || !nic)
		return NULL;
	for (struct ndp_if *ifp = n->ifs; ifp; ifp = ifp->next)
		if (ifp->nic == ns_nic_id(nic))
			return ifp;
	return NULL;
}

static struct ndp_if *ifp_get(struct ns_stack *s, struct ns_nic *nic)
{
	struct ndp_state *n = ipv6_ndp(s);
	struct ndp_if *ifp = ifp_find(s, nic);

	if (ifp || !n)
		return ifp;
	ifp = calloc(1, sizeof(*ifp));
	if (!ifp) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NULL;
	}
	ifp->st = n;
	ifp->nic = ns_nic_id(nic);
	ns_timer_init(&ifp->rs_timer, rs_timer, ifp);
	for (int i = 0; i < NDP_MAX_ADDRS; i++) {
		ifp->addrs[i].ifp = ifp;
		ns_timer_init(&ifp->addrs[i].timer, addr_timer, &ifp->addrs[i]);
	}
	for (int i = 0; i < NDP_MAX_ROUTERS; i++) {
		ifp->routers[i].ifp = ifp;
		ns_timer_init(&ifp->routers[i].timer, router_timer, &ifp->routers[i]);
	}
	for (int i = 0; i < NDP_MAX_PREFIXES; i++) {
		ifp->onlink[i].ifp = ifp;
		ns_timer_init(&ifp->onlink[i].timer, onlink_timer, &ifp->onlink[i]);
	}
	for (int i = 0; i < NDP_MAX_REDIRECTS; i++) {
		ifp->redirects[i].ifp = ifp;
		ns_timer_init(&ifp->redirects[i].timer, redirect_timer, &ifp->redirects[i]);
	}
	ifp->next = n->ifs;
	n->ifs = ifp;
	return ifp;
}

void ndp_nic_removed(struct ns_stack *s, struct ns_nic *nic)
{
	struct ndp_state *n = ipv6_ndp(s);

	if (!n)
		return;
	for (struct ndp_if **pp = &n->ifs; *pp; pp = &(*pp)->next) {
		struct ndp_if *ifp = *pp;

		if (ifp->nic != ns_nic_id(nic))
			continue;
		*pp = ifp->next;
		ifp_free(s, ifp);
		return;
	}
}

static struct ns_nic *ifp_nic(struct ndp_if *ifp)
{
	return ns_nic_find(ifp->st->s, ifp->nic);
}

uint8_t ndp_cur_hop_limit(struct ns_stack *s, struct ns_nic *nic)
{
	struct ndp_if *ifp = ifp_find(s, nic);

	return ifp ? ifp->cur_hop_limit : 0;
}

/* ---------------------------------------------------------------- sending */

/* Start an ND message of @len bytes (fixed part from @r) with room for @opts_len option
 * bytes behind it; returns the packet (head at the message) or NULL (counted). */
static struct ns_pkt *nd_msg(struct ns_stack *s, const struct ndp_repr *r, uint32_t opts_len)
{
	uint32_t fixed = ndp_fixed_len(r->type);
	struct ns_pkt *m = icmpv6_alloc(s, fixed + opts_len);

	if (m)
		ndp_emit(r, ns_pkt_data(m));
	return m;
}

/* Does @nic have a link-layer address worth announcing? */
static bool nic_has_mac(const struct ns_nic *nic)
{
	static const struct ns_mac zero;
	struct ns_mac m = ns_nic_mac(nic);

	return (ns_nic_caps(nic) & NS_CAP_RESOLUTION_REQUIRED) && !ns_mac_eq(&m, &zero);
}

/* May a neighbor solicitation come from @a (flags @f as ns_nic_addr_flags() gives them)?
 * Not from a tentative address (RFC 4862 5.4), nor from an optimistic one (RFC 4429 2.2:
 * its source link-layer address option would override the rightful owner's entries in
 * its neighbors' caches). */
static bool nd_source_ok(int f)
{
	return f >= 0 && !(f & (NS_ADDR_F_TENTATIVE | NS_ADDR_F_OPTIMISTIC));
}

/* A usable source on @nic for a solicitation for @target: @prefer if it is an address of
 * @nic that may be one (RFC 4861 7.2.2), else the one source selection picks, else any
 * other that may be one (7.2.2's "any one of the addresses assigned to the interface"),
 * link-local first, as Linux's ndisc_solicit() falls back to its link-local address. */
static bool nd_source(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *prefer,
                      const struct ns_addr *target, struct ns_addr *out)
{
	struct ns_addr_info info[NDP_NIC_ADDRS];
	struct ns_route r;
	size_t n;

	if (prefer && prefer->family == NS_AF_INET6 && !ns_addr_is_any(prefer) &&
	    nd_source_ok(ns_nic_addr_flags(nic, prefer))) {
		*out = *prefer;
		return true;
	}
	if (ns_route_find(s, ns_nic_id(nic), NULL, target, &r) == NS_OK &&
	    r.local.family == NS_AF_INET6 && nd_source_ok(ns_nic_addr_flags(nic, &r.local))) {
		*out = r.local;
		return true;
	}
	n = ns_stack_nic_addresses(s, ns_nic_id(nic), info, NDP_NIC_ADDRS);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n && i < NDP_NIC_ADDRS; i++) {
			const struct ns_addr *c = &info[i].addr.addr;

			if (c->family == NS_AF_INET6 && nd_source_ok((int)info[i].flags) &&
			    (pass == 1 || ipv6_addr_is_link_local(c->a))) {
				*out = *c;
				return true;
			}
		}
	}
	return false;
}

ns_err ndp_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *target,
                   const struct ns_addr *local, const struct ns_mac *remote_mac)
{
	struct ndp_repr r = {.type = ICMPV6_ND_NS};
	struct ns_addr src, dst;
	bool lla = nic_has_mac(nic);
	struct ns_pkt *m;
	ns_err err;
	int f;

	if (!target || target->family != NS_AF_INET6 || ipv6_addr_is_multicast(target->a))
		return NS_ERR_INVALID_ARGUMENT;
	f = local && local->family == NS_AF_INET6 ? ns_nic_addr_flags(nic, local) : -1;
	/* What waits came from an address that is no longer ours (removed, or found a
	 * duplicate while it was optimistic): RFC 4862 5.5.4, it "MUST NOT be used as a source
	 * address". Nothing is asked, so the entry fails and its packets are dropped. */
	if (f < 0 && local && local->family == NS_AF_INET6 && !ns_addr_is_any(local) &&
	    !ns_stack_find_local(s, local) && !ns_nic_owns_addr(s, nic, local) &&
	    !ns_nic_spoofing(nic))
		return NS_ERR_BAD_LOCAL_ADDRESS;
	/* RFC 4429 3.2: a packet from an optimistic address whose next hop is unknown MUST NOT
	 * make us resolve it (ipv6.c sends it through a default router where it can); it
	 * waits on the neighbor entry until DAD completes, when the question is asked again
	 * (ns_neigh_solicit_incomplete()). A NUD probe prompted by its packets waits the same
	 * way: no solicitation is ever sent from an optimistic address (2.2). Nor is one sent
	 * while no address may be the source yet (all tentative or optimistic). */
	if ((f >= 0 && (f & NS_ADDR_F_OPTIMISTIC)) || !nd_source(s, nic, local, target, &src)) {
		struct ndp_if *ifp = ifp_find(s, nic);

		if (ifp)
			ifp->ns_held = true;
		return f >= 0 && (f & NS_ADDR_F_OPTIMISTIC) ? NS_ERR_WOULD_BLOCK : NS_ERR_NO_ROUTE;
	}
	/* RFC 4861 7.2.2: to the solicited-node group, or unicast to confirm (7.3.3). */
	if (remote_mac) {
		dst = *target;
	} else {
		dst.family = NS_AF_INET6;
		ipv6_solicited_node(target->a, dst.a);
	}
	memcpy(r.target, target->a, 16);
	m = nd_msg(s, &r, lla ? NDP_OPT_LLA_LEN : 0);
	if (!m)
		return NS_ERR_NO_BUFFER_SPACE;
	if (lla) {
		struct ns_mac mac = ns_nic_mac(nic);

		ndp_opt_emit_lla(ns_pkt_data(m) + NDP_NS_LEN, NDP_OPT_SLLA, &mac);
	}
	err = icmpv6_send(s, nic, &src, &dst, NDP_HOP_LIMIT, 0, remote_mac, m);
	if (err == NS_OK)
		ns_stat_inc(s, NS_STAT_NDP_NS_TX);
	return err;
}

/* RFC 4862 5.4.2: a DAD probe for @a: from ::, to its solicited-node group, no source
 * link-layer address, an RFC 7527 nonce. */
static void dad_send(struct ns_stack *s, struct ns_nic *nic, const struct ndp_addr *a)
{
	struct ndp_repr r = {.type = ICMPV6_ND_NS};
	struct ns_addr dst = {.family = NS_AF_INET6};
	struct ns_pkt *m;

	memcpy(r.target, a->sn.addr.a, 16);
	ipv6_solicited_node(a->sn.addr.a, dst.a);
	m = nd_msg(s, &r, NDP_OPT_NONCE_LEN);
	if (!m)
		return;
	ndp_opt_emit_nonce(ns_pkt_data(m) + NDP_NS_LEN, a->nonce);
	if (icmpv6_send(s, nic, &unspecified, &dst, NDP_HOP_LIMIT, 0, NULL, m) == NS_OK)
		ns_stat_inc(s, NS_STAT_NDP_NS_TX);
}

/* RFC 4861 7.2.4: an advertisement for our @target to @dst with @flags. */
static void na_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *target,
                    const struct ns_addr *dst, uint8_t flags)
{
	struct ndp_repr r = {.type = ICMPV6_ND_NA, .na_flags = flags};
	bool lla = nic_has_mac(nic);
	struct ns_pkt *m;

	memcpy(r.target, target->a, 16);
	m = nd_msg(s, &r, lla ? NDP_OPT_LLA_LEN : 0);
	if (!m)
		return;
	if (lla) {
		struct ns_mac mac = ns_nic_mac(nic);

		ndp_opt_emit_lla(ns_pkt_data(m) + NDP_NA_LEN, NDP_OPT_TLLA, &mac);
	}
	if (icmpv6_send(s, nic, target, dst, NDP_HOP_LIMIT, 0, NULL, m) == NS_OK)
		ns_stat_inc(s, NS_STAT_NDP_NA_TX);
}

/* ---------------------------------------------------------------- addresses */

static struct ndp_addr *addr_find(struct ndp_if *ifp, const struct ns_addr *a)
{
	for (int i = 0; i < NDP_MAX_ADDRS; i++)
		if (ifp->addrs[i].used && ns_addr_eq(&ifp->addrs[i].sn.addr, a))
			return &ifp->addrs[i];
	return NULL;
}

/* Is duplicate address detection running on @a (tentative, or optimistic: RFC 4429)? */
static bool dad_running(const struct ndp_addr *a)
{
	return a->state == NS_IPV6_ADDR_TENTATIVE || a->state == NS_IPV6_ADDR_OPTIMISTIC;
}

/* A free record; the oldest duplicate one is forgotten when none is free. The NIC holds
 * fewer addresses (NS_NIC_MAX_ADDRS) than there are records, so an address on it always
 * has one. */
static struct ndp_addr *addr_alloc(struct ns_stack *s, struct ndp_if *ifp)
{
	struct ndp_addr *v = NULL;

	for (int i = 0; i < NDP_MAX_ADDRS && !v; i++)
		if (!ifp->addrs[i].used)
			v = &ifp->addrs[i];
	for (int i = 0; i < NDP_MAX_ADDRS && !v; i++) {
		struct ndp_addr *c = &ifp->addrs[i];

		if (c->state == NS_IPV6_ADDR_DUPLICATE && (!v || c->since < v->since))
			v = c;
	}
	if (!v)
		return NULL;
	ns_timer_cancel(s, &v->timer);
	v->used = true;
	v->state = NS_IPV6_ADDR_NONE;
	v->origin = ORIGIN_MANUAL;
	v->joined = false;
	v->slaac_optimistic = false;
	v->dad_sent = 0;
	v->dad_counter = 0;
	memset(v->nonce, 0, sizeof(v->nonce));
	memset(&v->sn, 0, sizeof(v->sn));
	v->valid_until = v->preferred_until = NS_FOREVER;
	v->since = now_ns(s);
	return v;
}

/* RFC 5453: interface identifiers reserved for anycast and other uses. */
static bool iid_reserved(const uint8_t iid[8])
{
	static const uint8_t zero[8];
	static const uint8_t anycast[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t pmip[5] = {0x02, 0x00, 0x5e, 0xff, 0xfe};

	return memcmp(iid, zero, 8) == 0 || (memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80) ||
	       memcmp(iid, pmip, 5) == 0;
}

/*
 * The interface identifier for @prefix (its first 8 bytes) on @nic: the modified EUI-64 of
 * the MAC (RFC 4291 2.5.1, appendix A: the universal/local bit flipped), or, when
 * configured or without a MAC, RFC 7217's F(Prefix, Net_Iface, Network_ID, DAD_Counter,
 * secret_key), the secret being the stack's and the network identifier left out.
 */
static void make_iid(struct ns_stack *s, struct ns_nic *nic, const uint8_t prefix[8],
                     uint8_t counter, uint8_t iid[8])
{
	struct ns_mac mac = ns_nic_mac(nic);

	if (!ns_stack_config(s)->ipv6_stable_iid && nic_has_mac(nic)) {
		iid[0] = mac.b[0] ^ 0x02;
		iid[1] = mac.b[1];
		iid[2] = mac.b[2];
		iid[3] = 0xff;
		iid[4] = 0xfe;
		iid[5] = mac.b[3];
		iid[6] = mac.b[4];
		iid[7] = mac.b[5];
		return;
	}
	for (unsigned c = counter;; c++) {
		uint8_t key[19];
		uint32_t id = ns_nic_id(nic);
		uint64_t h;

		memcpy(key, prefix, 8);
		memcpy(key + 8, &id, 4);
		memcpy(key + 12, mac.b, 6);
		key[18] = (uint8_t)c;
		h = ns_hash_keyed(s, IID_SALT, key, sizeof(key));
		for (int i = 0; i < 8; i++)
			iid[i] = (uint8_t)(h >> (56 - 8 * i));
		if (!iid_reserved(iid))
			return;
	}
}

/* Arm @a's timer for its next lifetime event (none for infinite lifetimes). */
static void addr_arm_lifetime(struct ns_stack *s, struct ndp_addr *a)
{
	uint64_t when = a->state == NS_IPV6_ADDR_PREFERRED ? a->preferred_until : a->valid_until;

	if (a->state == NS_IPV6_ADDR_PREFERRED && when == NS_FOREVER)
		when = a->valid_until;
	if (when == NS_FOREVER)
		ns_timer_cancel(s, &a->timer);
	else
		ns_timer_arm(s, &a->timer, when);
}

/* The address is usable: preferred (or deprecated if its preferred lifetime is over). */
static void addr_assign(struct ns_stack *s, struct ns_nic *nic, struct ndp_addr *a)
{
	bool deprecated = a->preferred_until <= now_ns(s);

	a->state = deprecated ? NS_IPV6_ADDR_DEPRECATED : NS_IPV6_ADDR_PREFERRED;
	ns_nic_set_addr_flags(s, nic, &a->sn.addr, deprecated ? NS_ADDR_F_DEPRECATED : 0);
	addr_arm_lifetime(s, a);
	if (ipv6_addr_is_link_local(a->sn.addr.a))
		rs_start(s, a->ifp);
}

static void slaac_form(struct ns_stack *s, struct ns_nic *nic, struct ndp_if *ifp,
                       const uint8_t prefix[8], uint8_t counter, uint64_t valid_until,
                       uint64_t preferred_until, bool optimistic);

/* RFC 4862 5.4.5: another node has @a. An optimistic address goes the same way (RFC 4429
 * 3.3: deconfigured as a tentative one), and removing it from the NIC ends what used it
 * (the core tells the transports: TCP aborts its connections from it). Consumes nothing;
 * may free @a's record's slot use. */
static void dad_failed(struct ns_stack *s, struct ns_nic *nic, struct ndp_addr *a)
{
	uint8_t prefix[8];
	uint64_t valid = a->valid_until, preferred = a->preferred_until;
	bool retry = a->origin == ORIGIN_SLAAC && ns_stack_config(s)->ipv6_stable_iid &&
	             a->dad_counter < IDGEN_RETRIES;
	bool optimistic = a->slaac_optimistic;
	uint8_t counter = a->dad_counter;
	struct ns_addr addr = a->sn.addr;

	memcpy(prefix, a->sn.addr.a, 8);
	ns_timer_cancel(s, &a->timer);
	a->state = NS_IPV6_ADDR_DUPLICATE;
	ns_stat_inc(s, NS_STAT_NDP_DAD_FAILED);
	/* Off the NIC; ndp_address_removed() leaves its group and keeps the record. */
	ns_stack_remove_address(s, ns_nic_id(nic), &addr);
	/* RFC 7217 6: a stable identifier is formed again with the next DAD_Counter. */
	if (retry)
		slaac_form(s, nic, a->ifp, prefix, (uint8_t)(counter + 1), valid, preferred,
		           optimistic);
}

static void addr_timer(struct ns_stack *s, struct ns_timer *t)
{
	struct ndp_addr *a = t->arg;
	struct ns_nic *nic = ifp_nic(a->ifp);
	uint64_t now = now_ns(s);

	if (!nic)
		return;
	switch (a->state) {
	case NS_IPV6_ADDR_TENTATIVE:
	case NS_IPV6_ADDR_OPTIMISTIC:
		/* RFC 4862 5.4.2: DupAddrDetectTransmits probes RetransTimer apart, then one
		 * more RetransTimer for an answer. */
		if (a->dad_sent < ns_stack_config(s)->ipv6_dad_transmits) {
			a->dad_sent++;
			ns_timer_arm(s, &a->timer,
			             now + ns_neigh_retrans_time(s, nic, NS_AF_INET6));
			dad_send(s, nic, a);
			return;
		}
		/* RFC 4429 3.3: an optimistic address becomes preferred (or deprecated) as a
		 * tentative one does. */
		ns_stat_inc(s, NS_STAT_NDP_DAD_OK);
		addr_assign(s, nic, a);
		/* A source may speak for the packets held meanwhile (RFC 4429 3.2). */
		if (a->ifp->ns_held) {
			a->ifp->ns_held = false;
			ns_neigh_solicit_incomplete(s, nic, NS_AF_INET6);
		}
		return;
	case NS_IPV6_ADDR_PREFERRED:
	case NS_IPV6_ADDR_DEPRECATED:
		if (now >= a->valid_until) {
			/* RFC 4862 5.5.4: an invalid address is removed. */
			struct ns_addr addr = a->sn.addr;

			ns_stack_remove_address(s, ns_nic_id(nic), &addr);
			return;
		}
		if (a->state == NS_IPV6_ADDR_PREFERRED && now >= a->preferred_until) {
			a->state = NS_IPV6_ADDR_DEPRECATED;
			ns_nic_set_addr_flags(s, nic, &a->sn.addr, NS_ADDR_F_DEPRECATED);
		}
		addr_arm_lifetime(s, a);
		return;
	default:
		return;
	}
}

static bool nic_has_link_local(const struct ns_nic *nic, struct ns_stack *s)
{
	struct ns_addr_info info[NDP_NIC_ADDRS];
	size_t n = ns_stack_nic_addresses(s, ns_nic_id(nic), info, NDP_NIC_ADDRS);

	for (size_t i = 0; i < n && i < NDP_NIC_ADDRS; i++)
		if (info[i].addr.addr.family == NS_AF_INET6 &&
		    ipv6_addr_is_link_local(info[i].addr.addr.a))
			return true;
	return false;
}

/* IPv6 comes up on the NIC: its link-local address (RFC 4862 5.3), which leads to router
 * solicitation once usable; without one, solicitation starts at once. */
static void ifp_up(struct ns_stack *s, struct ns_nic *nic, struct ndp_if *ifp)
{
	static const uint8_t ll_prefix[8] = {0xfe, 0x80};
	struct ns_subnet ll = {.addr = {.family = NS_AF_INET6}, .prefix = 64};
	struct ndp_addr *a;

	ifp->up = true;
	if (!ns_stack_config(s)->ipv6_link_local || (ns_nic_caps(nic) & NS_CAP_LOOPBACK) ||
	    nic_has_link_local(nic, s)) {
		rs_start(s, ifp);
		return;
	}
	memcpy(ll.addr.a, ll_prefix, 8);
	make_iid(s, nic, ll_prefix, 0, ll.addr.a + 8);
	a = addr_alloc(s, ifp);
	if (!a)
		return;
	a->sn = ll;
	a->origin = ORIGIN_LINK_LOCAL;
	a->state = NS_IPV6_ADDR_NONE;
	if (ns_stack_add_address(s, ns_nic_id(nic), &ll) != NS_OK)
		a->used = false;
}

ns_err ndp_enable(struct ns_stack *s, struct ns_nic *nic)
{
	struct ndp_if *ifp = ifp_get(s, nic);

	if (!ifp)
		return NS_ERR_NO_MEMORY;
	if (!ifp->up)
		ifp_up(s, nic, ifp);
	return NS_OK;
}

/*
 * Should @a run Optimistic DAD (RFC 4429)? When the caller asked for it
 * (ns_stack_add_address_flags(): the flags it asked for are the address's flags until
 * this runs); or, with ipv6_optimistic_dad, for the addresses the stack forms itself from
 * identifiers most likely unique (3.1): the link-local one, as Linux's
 * addrconf_add_linklocal(), and a SLAAC one when the advertisement carried the router's
 * link-layer address (3.3: "A host that does not know the SLLAO of its router SHOULD NOT
 * configure a new address as Optimistic"), never on a router (3.3: "A router SHOULD NOT
 * configure an Optimistic Address"; Linux: not while forwarding).
 */
static bool want_optimistic(struct ns_stack *s, struct ns_nic *nic, const struct ndp_addr *a)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);
	int f = ns_nic_addr_flags(nic, &a->sn.addr);

	if (f >= 0 && (f & NS_ADDR_F_OPTIMISTIC))
		return true;
	if (!cfg->ipv6_optimistic_dad || cfg->forwarding)
		return false;
	return a->origin == ORIGIN_LINK_LOCAL || (a->origin == ORIGIN_SLAAC && a->slaac_optimistic);
}

void ndp_address_added(struct ns_stack *s, struct ns_nic *nic, const struct ns_subnet *sn)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);
	struct ndp_if *ifp = ifp_get(s, nic);
	struct ns_addr group = {.family = NS_AF_INET6};
	struct ndp_addr *a;

	if (!ifp)
		return;
	a = addr_find(ifp, &sn->addr);
	if (a && a->state == NS_IPV6_ADDR_DUPLICATE) {
		/* Added again after DAD failed: try again, as a new address. */
		a->used = false;
		a = NULL;
	}
	if (!a) {
		a = addr_alloc(s, ifp);
		if (!a)
			return; /* cannot happen: the NIC holds fewer addresses than we track */
		a->sn = *sn;
		a->origin = ORIGIN_MANUAL;
	}
	a->sn.prefix = sn->prefix;
	/* RFC 4862 5.4.2: join the solicited-node group before probing. */
	ipv6_solicited_node(sn->addr.a, group.a);
	a->joined = mld_join(s, nic, &group) == NS_OK;
	if (!ifp->up)
		ifp_up(s, nic, ifp);
	if (cfg->ipv6_dad && cfg->ipv6_dad_transmits > 0 && nic_resolves(nic)) {
		uint64_t r = ns_stack_random(s);

		a->dad_sent = 0;
		memcpy(a->nonce, &r, 6);
		if (want_optimistic(s, nic, a)) {
			/* RFC 4429 3.3: available for use at once, flagged Optimistic, and the
			 * probe goes without the random delay ("The host SHOULD NOT delay
			 * before sending Neighbor Solicitation messages"; Linux's
			 * addrconf_dad_kick() too). */
			a->state = NS_IPV6_ADDR_OPTIMISTIC;
			ns_nic_set_addr_flags(s, nic, &sn->addr, NS_ADDR_F_OPTIMISTIC);
			ns_stat_inc(s, NS_STAT_NDP_DAD_OPTIMISTIC);
			ns_timer_arm(s, &a->timer, now_ns(s));
			return;
		}
		a->state = NS_IPV6_ADDR_TENTATIVE;
		ns_nic_set_addr_flags(s, nic, &sn->addr, NS_ADDR_F_TENTATIVE);
		ns_timer_arm(s, &a->timer, now_ns(s) + random_upto(s, MAX_RTR_SOLICITATION_DELAY));
		return;
	}
	/* No DAD: an Optimistic request is moot (Linux refuses NODAD with OPTIMISTIC). */
	addr_assign(s, nic, a);
}

void ndp_address_removed(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *addr)
{
	struct ndp_if *ifp = ifp_find(s, nic);
	struct ndp_addr *a = ifp ? addr_find(ifp, addr) : NULL;

	if (!a)
		return;
	if (a->joined) {
		struct ns_addr group = {.family = NS_AF_INET6};

		ipv6_solicited_node(addr->a, group.a);
		mld_leave(s, nic, &group);
		a->joined = false;
	}
	ns_timer_cancel(s, &a->timer);
	if (a->state != NS_IPV6_ADDR_DUPLICATE)
		a->used = false;
}

enum ns_ipv6_addr_state ndp_addr_state(struct ns_stack *s, struct ns_nic *nic,
                                       const struct ns_addr *addr)
{
	struct ndp_if *ifp = ifp_find(s, nic);
	struct ndp_addr *a = ifp ? addr_find(ifp, addr) : NULL;
	int f;

	if (a && a->state != NS_IPV6_ADDR_NONE)
		return (enum ns_ipv6_addr_state)a->state;
	f = ns_nic_addr_flags(nic, addr);
	if (f < 0 || addr->family != NS_AF_INET6)
		return NS_IPV6_ADDR_NONE;
	if (f & NS_ADDR_F_TENTATIVE)
		return NS_IPV6_ADDR_TENTATIVE;
	if (f & NS_ADDR_F_OPTIMISTIC)
		return NS_IPV6_ADDR_OPTIMISTIC;
	return f & NS_ADDR_F_DEPRECATED ? NS_IPV6_ADDR_DEPRECATED : NS_IPV6_ADDR_PREFERRED;
}

/* ---------------------------------------------------------------- router solicitation */

static void rs_send(struct ns_stack *s, struct ns_nic *nic)
{
	struct ndp_repr r = {.type = ICMPV6_ND_RS};
	struct ns_addr src = unspecified;
	struct ns_addr_info info[NDP_NIC_ADDRS];
	size_t n = ns_stack_nic_addresses(s, ns_nic_id(nic), info, NDP_NIC_ADDRS);
	bool lla;
	struct ns_pkt *m;

	/* RFC 4861 6.3.7: from a link-local address, or :: before one is usable. RFC 4429 3.2:
	 * never from an optimistic one with our link-layer address, and they "SHOULD be sent
	 * from a non-Optimistic or the Unspecified Address": :: then. */
	for (size_t i = 0; i < n && i < NDP_NIC_ADDRS; i++) {
		if (info[i].addr.addr.family == NS_AF_INET6 &&
		    ipv6_addr_is_link_local(info[i].addr.addr.a) &&
		    !(info[i].flags & (NS_ADDR_F_TENTATIVE | NS_ADDR_F_OPTIMISTIC))) {
			src = info[i].addr.addr;
			break;
		}
	}
	/* RFC 4861 4.1: no source link-layer address from the unspecified address. */
	lla = nic_has_mac(nic) && !ns_addr_is_any(&src);
	m = nd_msg(s, &r, lla ? NDP_OPT_LLA_LEN : 0);
	if (!m)
		return;
	if (lla) {
		struct ns_mac mac = ns_nic_mac(nic);

		ndp_opt_emit_lla(ns_pkt_data(m) + NDP_RS_LEN, NDP_OPT_SLLA, &mac);
	}
	if (icmpv6_send(s, nic, &src, &all_routers, NDP_HOP_LIMIT, 0, NULL, m) == NS_OK)
		ns_stat_inc(s, NS_STAT_NDP_RS_TX);
}

static void rs_start(struct ns_stack *s, struct ndp_if *ifp)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);

	if (ifp->rs_started || ifp->ra_seen || !cfg->ipv6_accept_ra || cfg->forwarding ||
	    cfg->ipv6_rtr_solicits == 0)
		return;
	ifp->rs_started = true;
	ifp->rs_sent = 0;
	ns_timer_arm(s, &ifp->rs_timer, now_ns(s) + random_upto(s, MAX_RTR_SOLICITATION_DELAY));
}

static void rs_timer(struct ns_stack *s, struct ns_timer *t)
{
	struct ndp_if *ifp = t->arg;
	struct ns_nic *nic = ifp_nic(ifp);

	if (!nic || ifp->ra_seen || ifp->rs_sent >= ns_stack_config(s)->ipv6_rtr_solicits)
		return;
	ifp->rs_sent++;
	if (ifp->rs_sent < ns_stack_config(s)->ipv6_rtr_solicits)
		ns_timer_arm(s, &ifp->rs_timer, now_ns(s) + RTR_SOLICITATION_INTERVAL);
	rs_send(s, nic);
}

/* ---------------------------------------------------------------- routers and prefixes */

static struct ns_route_entry router_route(const struct ndp_router *r)
{
	struct ns_route_entry e = {.dest = {.addr = {.family = NS_AF_INET6}, .prefix = 0},
	                           .gateway = r->addr,
	                           .nic = r->ifp->nic,
	                           .metric = METRIC_DEFAULT_ROUTER};
	return e;
}

static void router_del(struct ns_stack *s, struct ndp_router *r)
{
	struct ns_route_entry e = router_route(r);

	ns_timer_cancel(s, &r->timer);
	ns_stack_remove_route(s, &e);
	r->used = false;
}

static void router_timer(struct ns_stack *s, struct ns_timer *t)
{
	/* RFC 4861 6.3.5: the router's lifetime ran out. */
	router_del(s, t->arg);
}

static struct ndp_router *router_find(struct ndp_if *ifp, const struct ns_addr *a)
{
	for (int i = 0; i < NDP_MAX_ROUTERS; i++)
		if (ifp->routers[i].used && ns_addr_eq(&ifp->routers[i].addr, a))
			return &ifp->routers[i];
	return NULL;
}

/* RFC 4861 6.3.4: the default router list. */
static void router_update(struct ns_stack *s, struct ndp_if *ifp, const struct ns_addr *src,
                          uint16_t lifetime)
{
	struct ndp_router *r = router_find(ifp, src);
	struct ns_route_entry e;

	if (lifetime == 0) {
		if (r)
			router_del(s, r);
		return;
	}
	if (!r) {
		for (int i = 0; i < NDP_MAX_ROUTERS && !r; i++)
			if (!ifp->routers[i].used)
				r = &ifp->routers[i];
		if (!r)
			return; /* the list is full: the routers we have serve */
		r->addr = *src;
		e = router_route(r);
		if (ns_stack_add_route(s, &e) != NS_OK)
			return;
		r->used = true;
	}
	ns_timer_arm(s, &r->timer, now_ns(s) + (uint64_t)lifetime * NS_SEC);
}

static void onlink_del(struct ns_stack *s, struct ndp_onlink *o)
{
	struct ns_route_entry e = {.dest = o->pfx, .nic = o->ifp->nic, .metric = METRIC_PREFIX};

	ns_timer_cancel(s, &o->timer);
	ns_stack_remove_route(s, &e);
	o->used = false;
}

static void onlink_timer(struct ns_stack *s, struct ns_timer *t)
{
	onlink_del(s, t->arg); /* RFC 4861 6.3.5: the prefix's valid lifetime ran out */
}

/* The network part of @p (host bits cleared). */
static struct ns_subnet prefix_subnet(const struct ndp_prefix *p)
{
	struct ns_subnet sn = {.addr = {.family = NS_AF_INET6}, .prefix = p->prefix_len};

	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;

		if (lo + 8 <= p->prefix_len)
			sn.addr.a[i] = p->prefix[i];
		else if (lo < p->prefix_len)
			sn.addr.a[i] =
			    (uint8_t)(p->prefix[i] & (0xff << (8 - (p->prefix_len - lo))));
	}
	return sn;
}

/* RFC 4861 6.3.4: an on-link prefix (the L flag). */
static void onlink_update(struct ns_stack *s, struct ndp_if *ifp, const struct ndp_prefix *p)
{
	struct ns_subnet sn = prefix_subnet(p);
	struct ndp_onlink *o = NULL, *free_slot = NULL;

	for (int i = 0; i < NDP_MAX_PREFIXES; i++) {
		struct ndp_onlink *c = &ifp->onlink[i];

		if (c->used && c->pfx.prefix == sn.prefix && ns_addr_eq(&c->pfx.addr, &sn.addr))
			o = c;
		else if (!c->used && !free_slot)
			free_slot = c;
	}
	if (p->valid == 0) {
		if (o)
			onlink_del(s, o); /* "time out the prefix immediately" */
		return;
	}
	if (!o) {
		struct ns_route_entry e = {.dest = sn, .nic = ifp->nic, .metric = METRIC_PREFIX};

		if (!free_slot || ns_stack_add_route(s, &e) != NS_OK)
			return;
		o = free_slot;
		o->pfx = sn;
		o->used = true;
	}
	if (p->valid == INFINITE_S)
		ns_timer_cancel(s, &o->timer);
	else
		ns_timer_arm(s, &o->timer, deadline_s(s, p->valid));
}

/* Add the autoconfigured address for @prefix (8 bytes) with identifier counter @counter. */
static void slaac_form(struct ns_stack *s, struct ns_nic *nic, struct ndp_if *ifp,
                       const uint8_t prefix[8], uint8_t counter, uint64_t valid_until,
                       uint64_t preferred_until, bool optimistic)
{
	struct ns_subnet sn = {.addr = {.family = NS_AF_INET6}, .prefix = 64};
	struct ndp_addr *a;

	memcpy(sn.addr.a, prefix, 8);
	make_iid(s, nic, prefix, counter, sn.addr.a + 8);
	if (ns_nic_addr_flags(nic, &sn.addr) >= 0)
		return; /* configured by hand already */
	a = addr_find(ifp, &sn.addr);
	if (a && a->state == NS_IPV6_ADDR_DUPLICATE)
		return; /* this one was found duplicate: not again */
	a = addr_alloc(s, ifp);
	if (!a)
		return;
	a->sn = sn;
	a->origin = ORIGIN_SLAAC;
	a->state = NS_IPV6_ADDR_NONE;
	a->slaac_optimistic = optimistic;
	a->dad_counter = counter;
	a->valid_until = valid_until;
	a->preferred_until = preferred_until;
	if (ns_stack_add_address(s, ns_nic_id(nic), &sn) != NS_OK) {
		a->used = false;
		return;
	}
	ns_stat_inc(s, NS_STAT_NDP_SLAAC_ADDRS);
}

/* RFC 4862 5.5.3: stateless autoconfiguration from a prefix with the A flag, from an
 * advertisement that gave its router's link-layer address or not (@router_lla: RFC 4429
 * 3.3 allows Optimistic DAD only then). */
static void slaac_update(struct ns_stack *s, struct ns_nic *nic, struct ndp_if *ifp,
                         const struct ndp_prefix *p, bool router_lla)
{
	struct ndp_addr *a = NULL;
	uint64_t now = now_ns(s);

	if (!ns_stack_config(s)->ipv6_slaac || p->valid == 0 || p->preferred > p->valid ||
	    ipv6_addr_is_link_local(p->prefix))
		return;
	/* (d): prefix length plus our 64-bit identifier must make 128. */
	if (p->prefix_len != 64)
		return;
	for (int i = 0; i < NDP_MAX_ADDRS && !a; i++) {
		struct ndp_addr *c = &ifp->addrs[i];

		if (c->used && c->origin == ORIGIN_SLAAC &&
		    memcmp(c->sn.addr.a, p->prefix, 8) == 0 && c->state != NS_IPV6_ADDR_DUPLICATE)
			a = c;
	}
	if (!a) {
		slaac_form(s, nic, ifp, p->prefix, 0, deadline_s(s, p->valid),
		           deadline_s(s, p->preferred), router_lla);
		return;
	}
	/* (e): the preferred lifetime is reset; the valid one by the two-hour rule, so
	 * that an unauthenticated advertisement cannot cut an address's life short. */
	a->preferred_until = deadline_s(s, p->preferred);
	{
		uint64_t remaining = a->valid_until == NS_FOREVER ? NS_FOREVER
		                     : a->valid_until > now       ? a->valid_until - now
		                                                  : 0;
		uint64_t two_hours = (uint64_t)TWO_HOURS_S * NS_SEC;

		if (p->valid > TWO_HOURS_S || deadline_s(s, p->valid) > a->valid_until)
			a->valid_until = deadline_s(s, p->valid);
		else if (remaining > two_hours)
			a->valid_until = now + two_hours;
		/* else: remaining <= 2 h, the advertisement is ignored for the valid life */
	}
	if (a->state == NS_IPV6_ADDR_DEPRECATED && a->preferred_until > now) {
		a->state = NS_IPV6_ADDR_PREFERRED;
		ns_nic_set_addr_flags(s, nic, &a->sn.addr, 0);
	}
	if (a->state == NS_IPV6_ADDR_PREFERRED || a->state == NS_IPV6_ADDR_DEPRECATED)
		addr_arm_lifetime(s, a);
}

/* ---------------------------------------------------------------- redirects */

static struct ns_route_entry redirect_route(const struct ndp_redirect *r)
{
	struct ns_route_entry e = {.dest = {.addr = r->dest, .prefix = 128}, .nic = r->ifp->nic};

	if (!ns_addr_eq(&r->target, &r->dest))
		e.gateway = r->target;
	return e;
}

static void redirect_del(struct ns_stack *s, struct ndp_redirect *r)
{
	struct ns_route_entry e = redirect_route(r);

	ns_timer_cancel(s, &r->timer);
	ns_stack_remove_route(s, &e);
	r->used = false;
}

static void redirect_timer(struct ns_stack *s, struct ns_timer *t)
{
	redirect_del(s, t->arg);
}

/* RFC 4861 8.3: route @dest through @target from now on (a /128 host route). */
static void redirect_install(struct ns_stack *s, struct ndp_if *ifp, const struct ns_addr *dest,
                             const struct ns_addr *target)
{
	struct ndp_redirect *r = NULL;
	struct ns_route_entry e;

	/* The destination's own entry, else a free one, else the oldest. */
	for (int i = 0; i < NDP_MAX_REDIRECTS && !r; i++)
		if (ifp->redirects[i].used && ns_addr_eq(&ifp->redirects[i].dest, dest))
			r = &ifp->redirects[i];
	for (int i = 0; i < NDP_MAX_REDIRECTS && !r; i++)
		if (!ifp->redirects[i].used)
			r = &ifp->redirects[i];
	if (!r) {
		r = &ifp->redirects[0];
		for (int i = 1; i < NDP_MAX_REDIRECTS; i++)
			if (ifp->redirects[i].since < r->since)
				r = &ifp->redirects[i];
	}
	if (r->used)
		redirect_del(s, r);
	r->dest = *dest;
	r->target = *target;
	r->since = now_ns(s);
	e = redirect_route(r);
	if (ns_stack_add_route(s, &e) != NS_OK)
		return;
	r->used = true;
	ns_timer_arm(s, &r->timer, now_ns(s) + NDP_REDIRECT_NS);
}

/* ---------------------------------------------------------------- receiving */

/* The options that matter of an ND message; false if any option is malformed. */
struct nd_opts {
	bool have_lla;
	struct ns_mac lla; /* source or target link-layer address, whichever the type has */
	bool have_nonce;
	uint8_t nonce[6];
};

static bool nd_options(const struct ndp_repr *r, uint8_t lla_type, struct nd_opts *o)
{
	struct ndp_opt_iter it;
	struct ndp_opt opt;
	int rc;

	memset(o, 0, sizeof(*o));
	ndp_opt_iter_init(&it, r->opts, r->opts_len);
	while ((rc = ndp_opt_next(&it, &opt)) > 0) {
		if (opt.type == lla_type && !o->have_lla)
			o->have_lla = ndp_opt_lla(&opt, &o->lla);
		else if (opt.type == NDP_OPT_NONCE && !o->have_nonce)
			o->have_nonce = ndp_opt_nonce(&opt, o->nonce);
	}
	/* RFC 1812 3.3.2 (and the core's rule): a group MAC is no neighbor's address. */
	if (o->have_lla && ns_mac_is_multicast(&o->lla))
		return false;
	return rc == 0;
}

/* RFC 4861 7.1.1 and 7.2.3-7.2.4, RFC 4862 5.4.3. Consumes @pkt. */
static void ns_in(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                  const struct ndp_repr *r)
{
	bool unspec = ipv6_addr_is_unspecified(pkt->src.a);
	struct ns_addr target = v6(r->target);
	struct ndp_if *ifp = ifp_find(s, nic);
	struct ndp_addr *a = ifp ? addr_find(ifp, &target) : NULL;
	struct nd_opts o;
	uint8_t flags;
	int f;

	ns_stat_inc(s, NS_STAT_NDP_NS_RX);
	if (ipv6_addr_is_multicast(r->target) || !nd_options(r, NDP_OPT_SLLA, &o) ||
	    (unspec && (!ipv6_addr_is_solicited_node(pkt->dst.a) || o.have_lla))) {
		ns_drop(s, pkt, NS_DROP_NDP_MALFORMED);
		return;
	}
	if (a && dad_running(a) && (unspec || a->state == NS_IPV6_ADDR_TENTATIVE)) {
		/* RFC 4862 5.4.3: from :: another node probes the same address (unless it is
		 * our own probe coming back: RFC 7527's nonce), which makes ours a duplicate,
		 * optimistic or not (RFC 4429 3.3: not answered, deconfigured); from a unicast
		 * source someone resolves it, and a tentative address ignores that. */
		if (unspec && !(o.have_nonce && memcmp(o.nonce, a->nonce, 6) == 0))
			dad_failed(s, nic, a);
		ns_stat_inc(s, NS_STAT_RX_DELIVERED);
		ns_pkt_free(pkt);
		return;
	}
	if (!ns_nic_owns_addr(s, nic, &target)) {
		ns_drop(s, pkt, NS_DROP_NDP_NOT_FOR_US);
		return;
	}
	/* 7.2.3: the sender's address is cached (created STALE, replaced if different). */
	if (!unspec && o.have_lla)
		ns_neigh_update(s, nic, &pkt->src, &o.lla, NS_NEIGH_CREATE | NS_NEIGH_OVERRIDE);
	/* 7.2.4: Override unless we answer for a range (like a proxy), or for an optimistic
	 * address (RFC 4429 3.3: "the reply MUST have the Override flag cleared", so the
	 * rightful owner's entries stay if it is a duplicate; Linux's ndisc_send_na());
	 * Solicited unless the question came from ::, which is answered to all-nodes. */
	f = ns_nic_addr_flags(nic, &target);
	flags = f >= 0 && !(f & NS_ADDR_F_OPTIMISTIC) ? NDP_NA_OVERRIDE : 0;
	if (!unspec)
		flags |= NDP_NA_SOLICITED;
	if (ns_stack_config(s)->forwarding)
		flags |= NDP_NA_ROUTER;
	na_send(s, nic, &target, unspec ? &all_nodes : &pkt->src, flags);
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

/* RFC 4861 7.1.2 and 7.2.5, RFC 4862 5.4.4. Consumes @pkt. */
static void na_in(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                  const struct ndp_repr *r)
{
	struct ns_addr target = v6(r->target);
	struct ndp_if *ifp = ifp_find(s, nic);
	struct ndp_addr *a = ifp ? addr_find(ifp, &target) : NULL;
	struct nd_opts o;
	unsigned flags = 0;

	ns_stat_inc(s, NS_STAT_NDP_NA_RX);
	if (ipv6_addr_is_multicast(r->target) || !nd_options(r, NDP_OPT_TLLA, &o) ||
	    (ipv6_addr_is_multicast(pkt->dst.a) && (r->na_flags & NDP_NA_SOLICITED))) {
		ns_drop(s, pkt, NS_DROP_NDP_MALFORMED);
		return;
	}
	if (a && dad_running(a)) {
		/* RFC 4862 5.4.4: someone has it; RFC 4429 3.3: an optimistic address too. */
		dad_failed(s, nic, a);
		ns_stat_inc(s, NS_STAT_RX_DELIVERED);
		ns_pkt_free(pkt);
		return;
	}
	if (ns_stack_find_local(s, &target)) {
		/* 5.4.4: a duplicate DAD missed; counted, and never cached. */
		ns_drop(s, pkt, NS_DROP_NDP_ADDR_CONFLICT);
		return;
	}
	if (r->na_flags & NDP_NA_SOLICITED)
		flags |= NS_NEIGH_SOLICITED;
	if (r->na_flags & NDP_NA_OVERRIDE)
		flags |= NS_NEIGH_OVERRIDE;
	if (r->na_flags & NDP_NA_ROUTER)
		flags |= NS_NEIGH_ROUTER;
	ns_neigh_update(s, nic, &target, o.have_lla ? &o.lla : NULL, flags);
	/* 7.2.5: a router that says it no longer is one leaves the default router list. */
	if (!(r->na_flags & NDP_NA_ROUTER) && ifp) {
		struct ndp_router *rt = router_find(ifp, &target);

		if (rt)
			router_del(s, rt);
	}
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

/* RFC 4861 6.1.2 and 6.3.4, RFC 4862 5.5.3. Consumes @pkt. */
static void ra_in(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                  const struct ndp_repr *r)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);
	struct ndp_opt_iter it;
	struct ndp_opt opt;
	struct nd_opts o;
	struct ndp_if *ifp;

	ns_stat_inc(s, NS_STAT_NDP_RA_RX);
	if (!ipv6_addr_is_link_local(pkt->src.a) || !nd_options(r, NDP_OPT_SLLA, &o)) {
		ns_drop(s, pkt, NS_DROP_NDP_MALFORMED);
		return;
	}
	/* A router ignores advertisements (Linux: accept_ra=1 only while not forwarding). */
	if (!cfg->ipv6_accept_ra || cfg->forwarding || !(ifp = ifp_get(s, nic))) {
		ns_drop(s, pkt, NS_DROP_NDP_IGNORED);
		return;
	}
	ifp->ra_seen = true;
	ns_timer_cancel(s, &ifp->rs_timer); /* 6.3.7: solicitation ends */
	if (r->cur_hop_limit)
		ifp->cur_hop_limit = r->cur_hop_limit;
	/* 6.3.4: non-zero Reachable Time and Retrans Timer (ms) are taken, for this NIC's IPv6
	 * neighbors. As Linux's ndisc_router_discovery(), no less than 100 ms and 10 ms; a
	 * reachable time over MAX_REACHABLE_TIME (10: 1 h, the most a router may send) is
	 * held there. */
	if (r->reachable_time || r->retrans_timer) {
		uint64_t reach = r->reachable_time, retrans = r->retrans_timer;

		if (reach && reach < MIN_REACHABLE_MS)
			reach = MIN_REACHABLE_MS;
		if (reach > MAX_REACHABLE_MS)
			reach = MAX_REACHABLE_MS;
		if (retrans && retrans < MIN_RETRANS_MS)
			retrans = MIN_RETRANS_MS;
		ns_neigh_set_ipv6_times(s, nic, reach * NS_MSEC, retrans * NS_MSEC);
	}
	router_update(s, ifp, &pkt->src, r->router_lifetime);
	if (o.have_lla)
		ns_neigh_update(s, nic, &pkt->src, &o.lla,
		                NS_NEIGH_CREATE | NS_NEIGH_OVERRIDE | NS_NEIGH_ROUTER);
	ndp_opt_iter_init(&it, r->opts, r->opts_len);
	while (ndp_opt_next(&it, &opt) > 0) {
		struct ndp_prefix p;
		uint32_t mtu;

		if (ndp_opt_mtu(&opt, &mtu)) {
			/* 6.3.4: a valid MTU is at least 1280 and no more than the link's. */
			if (mtu >= IPV6_MIN_MTU && mtu <= ns_nic_mtu(nic))
				ns_nic_set_ipv6_mtu(s, nic, mtu);
		} else if (ndp_opt_prefix(&opt, &p) && p.prefix_len <= 128 &&
		           !ipv6_addr_is_link_local(p.prefix)) {
			if (p.flags & NDP_PREFIX_ONLINK)
				onlink_update(s, ifp, &p);
			if (p.flags & NDP_PREFIX_AUTO)
				slaac_update(s, nic, ifp, &p, o.have_lla);
		}
	}
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

/* RFC 4861 8.1 and 8.3. Consumes @pkt. */
static void redirect_in(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                        const struct ndp_repr *r)
{
	struct ns_addr target = v6(r->target), dest = v6(r->dest);
	bool onlink = ns_addr_eq(&target, &dest);
	struct ns_route rt;
	struct nd_opts o;
	struct ndp_if *ifp;

	ns_stat_inc(s, NS_STAT_NDP_REDIRECTS_RX);
	if (!ipv6_addr_is_link_local(pkt->src.a) || ipv6_addr_is_multicast(r->dest) ||
	    (!onlink && !ipv6_addr_is_link_local(r->target)) || !nd_options(r, NDP_OPT_TLLA, &o)) {
		ns_drop(s, pkt, NS_DROP_NDP_MALFORMED);
		return;
	}
	/* 8.1: only the current first-hop router for the destination may redirect us; a
	 * router follows its own routes. */
	if (ns_stack_config(s)->forwarding ||
	    ns_route_find(s, ns_nic_id(nic), NULL, &dest, &rt) != NS_OK ||
	    rt.nic != ns_nic_id(nic) || (rt.flags & NS_ROUTE_LOCAL) ||
	    ns_addr_eq(&rt.next_hop, &dest) || !ns_addr_eq(&rt.next_hop, &pkt->src) ||
	    !(ifp = ifp_get(s, nic))) {
		ns_drop(s, pkt, NS_DROP_NDP_REDIRECT_REFUSED);
		return;
	}
	/* 8.3: the target's link-layer address, and IsRouter unless it is the destination. */
	if (o.have_lla)
		ns_neigh_update(s, nic, &target, &o.lla,
		                NS_NEIGH_CREATE | NS_NEIGH_OVERRIDE |
		                    (onlink ? 0u : (unsigned)NS_NEIGH_ROUTER));
	redirect_install(s, ifp, &dest, &target);
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

void ndp_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct ndp_repr r;

	/* RFC 6980 5: a message that came with a Fragment header (reassembled, or atomic) is
	 * ignored, as Linux's suppress_frag_ndisc does by default: fragmentation is how
	 * rogue advertisements get past RA-Guard (RFC 7113). */
	if (pkt->user & IPV6_RX_FRAGMENTED) {
		ns_drop(s, pkt, NS_DROP_NDP_FRAGMENTED);
		return;
	}
	/* RFC 4861 6.1, 7.1, 8.1: hop limit 255 proves the sender is on the link; code 0;
	 * the fixed part present; every option well formed. */
	if (pkt->ttl != NDP_HOP_LIMIT || !ndp_parse(&r, ns_pkt_data(pkt), pkt->len) ||
	    r.code != 0 || !ndp_opts_valid(r.opts, r.opts_len)) {
		ns_drop(s, pkt, NS_DROP_NDP_MALFORMED);
		return;
	}
	switch (r.type) {
	case ICMPV6_ND_NS:
		ns_in(s, nic, pkt, &r);
		return;
	case ICMPV6_ND_NA:
		na_in(s, nic, pkt, &r);
		return;
	case ICMPV6_ND_RA:
		ra_in(s, nic, pkt, &r);
		return;
	case ICMPV6_ND_REDIRECT:
		redirect_in(s, nic, pkt, &r);
		return;
	default:
		/* RFC 4861 6.2.6: solicitations are for routers. */
		ns_drop(s, pkt, NS_DROP_NDP_IGNORED);
		return;
	}
}
