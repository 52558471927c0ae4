/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: IPv6 (RFC 8200; addressing RFC 4291; host requirements RFC 8504).
 *
 * This file owns the IPv6 header and the extension-header chain in both directions, and the
 * per-stack IPv6 state, which holds NDP's and MLD's (ndp.c, mld.c). ICMPv6 (icmpv6.c) is
 * part of IPv6: inbound ICMPv6 never reaches the transport demuxer, and every ICMPv6 error
 * leaves through icmpv6_send_error(). IPv6 resolves its own link addresses (`resolves` =
 * 0x86dd): the neighbor cache asks ndp_solicit().
 *
 * Raw endpoints (src/raw): in local delivery the upper layer's raw endpoints get copies
 * first (ns_deliver_raw(), from the upper-layer header on, as Linux), before ICMPv6 or the
 * transport; a next header only raw endpoints take gets no parameter problem. Their
 * IPV6_HDRINCL datagrams go out as written (ipv6_write_hdrincl()).
 *
 * Inbound (ipv6_deliver), each failure dropped and counted with its reason:
 *  1. the header: length, version, payload length against the frame, which is then trimmed
 *     to 40 + payload length (Ethernet pads short frames);
 *  2. addresses (RFC 4291, as Linux's ip6_rcv_core): a multicast or v4-mapped source, a
 *     multicast destination of scope 0 (reserved, 2.7) or of interface-local scope arriving
 *     from outside, a v4-mapped destination, and loopback (::1) either way from outside
 *     are refused;
 *  3. the destination: one of our unicast addresses (the weak host model, as IPv4: an
 *     address assigned to any NIC, tentative ones excepted, RFC 4862 5.4, and link-local
 *     ones only on their own NIC, RFC 4007 6; ranges and promiscuous mode of the
 *     receiving NIC), or a multicast group the NIC has joined (mld.c; all-nodes always;
 *     every solicited-node group on a NIC with IPv6 address ranges, which it answers
 *     solicitations for); anything else is forwarded when the stack forwards, unless it
 *     came as a link-layer multicast or broadcast, and dropped otherwise;
 *  4. the extension-header chain (RFC 8200 4), walked in place without copying, in any
 *     order and any number of times, except that a hop-by-hop header must come first (4.1:
 *     anywhere else, behind a Fragment header too, it is an unrecognised next header). At
 *     most IPV6_MAX_EXT headers and IPV6_MAX_OPTS options per options header (Linux's
 *     max_{hbh,dst}_opts_number); padding must be zero and no run of it longer than 7
 *     bytes (RFC 4942 2.1.9.5, as Linux). An unrecognised option is handled by its two
 *     high bits (4.2): skip; discard; discard with a parameter problem (code 2) even to a
 *     multicast destination; discard with one only to a unicast destination. The only
 *     option understood is Router Alert in hop-by-hop (RFC 2711), which MLD is told of. A
 *     routing header with segments left 0 is skipped (4.4); with segments left, every type
 *     is refused with a parameter problem (code 0) at its type: type 0 by RFC 5095 3, the
 *     others because no routing type is implemented. A fragment header goes to
 *     reassembly (frag6.c: RFC 8200 4.5, RFC 5722, an atomic fragment at once per RFC
 *     6946), and the walk goes on in the whole packet once it is there, whose header (hop
 *     limit, traffic class with the ECN field combined) is the first fragment's; ICMPv6
 *     learns that it came in fragments (ND ignores such messages, RFC 6980). No Next
 *     Header (59) ends the packet;
 *  5. local delivery (a GSO super-frame's descriptor checked against it first, and a UDP
 *     one cut into the datagrams it stands for: forward.c): ICMPv6 to icmpv6.c, everything
 *     else to ns_deliver_transport() (not from the unspecified source: only ND and MLD
 *     come from ::). A next header nobody takes is answered with a parameter problem
 *     code 1 pointing at the octet that named it (RFC 8200 4, as Linux does even for
 *     upper-layer protocols); a closed port with destination unreachable code 4 (RFC 4443
 *     3.1).
 *
 * Forwarding (RFC 8200, RFC 4443, RFC 4291 2.5.6), when the stack forwards: the hop-by-hop
 * header is processed first (4.3), then packets from or to link-local, loopback,
 * unspecified or multicast addresses are not forwarded (a link-local source gets
 * destination unreachable "beyond scope of source address", code 2, as Linux sends); a hop
 * limit that would reach 0 gets time exceeded (code 0); no route, destination unreachable
 * code 0; a packet larger than the next link's MTU (its IPv6 MTU, not a path MTU learnt as
 * a sender, as Linux; each segment's for a GSO super-frame), packet too big with that MTU
 * (routers never fragment, RFC 8200 5). Offload metadata is kept as forward.c says. The hop
 * limit is decremented in place (no checksum to fix). Multicast is never forwarded, and no
 * redirects are sent.
 *
 * Outbound (ipv6_write): a 40-byte header without extension headers. Hop limit: the
 * sender's, else the NIC's (a router advertisement's Cur Hop Limit, RFC 4861 6.3.4), else
 * the stack's ipv6_hop_limit. Traffic class from the sender. Flow label (RFC 6437): a
 * keyed hash of the flow (addresses, protocol, ports), 20 bits and never 0, so a flow keeps
 * its label and labels reveal nothing across flows (Linux's auto_flowlabels); or 0 when
 * configured off. Local destinations loop back; multicast ones go out to the 33:33 MAC with
 * a copy looped back when the NIC is a member (IPV6_MULTICAST_LOOP, as Linux); unicast
 * goes to the route's next hop through the neighbor cache, except that a packet from an
 * optimistic address (RFC 4429) whose next hop is unresolved goes through a default router
 * whose link-layer address is known, where there is one (ipv6_route_out()). A packet over
 * the route's MTU (the path MTU, RFC 8201, where one was learnt) is fragmented here at the
 * source (frag6.c) unless its sender wants it whole (wp->df), which then gets
 * MESSAGE_TOO_LONG.
 *
 * Limits: no jumbograms (RFC 2675); no IPsec (AH and ESP are unrecognised next headers);
 * no multicast routing; no mobility or segment-routing headers (they are routing types
 * refused with segments left, or unrecognised next headers).
 */
#include <stdlib.h>
#include <string.h>

#include "net/forward.h"
#include "net/frag.h"
#include "net/ip.h"
#include "net/net6.h"
#include "netstack/stack.h"
#include "wire/icmpv6.h"

#define IPV6_MAX_EXT  16 /* extension headers per packet */
#define IPV6_MAX_OPTS 8  /* non-padding options per options header (Linux's default) */
#define IPV6_MAX_PAD  7  /* bytes of consecutive padding (RFC 4942 2.1.9.5) */
#define FLOW_SALT     0x697076366677ull /* "ipv6fw" */

struct ipv6_state {
	struct ndp_state *ndp;
	struct mld_state *mld;
	struct frag_state *frag; /* reassembly (frag.c, frag6.c) */
};

static struct ipv6_state *state_of(struct ns_stack *s)
{
	return ns_netproto_priv(s, NS_ETHERTYPE_IPV6);
}

struct ndp_state *ipv6_ndp(struct ns_stack *s)
{
	struct ipv6_state *st = state_of(s);

	return st ? st->ndp : NULL;
}

struct mld_state *ipv6_mld(struct ns_stack *s)
{
	struct ipv6_state *st = state_of(s);

	return st ? st->mld : NULL;
}

static ns_err ipv6_init(struct ns_stack *s, void **priv)
{
	struct ipv6_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NS_ERR_NO_MEMORY;
	st->ndp = ndp_new(s);
	st->mld = mld_new(s);
	st->frag = frag_new(s);
	if (!st->ndp || !st->mld || !st->frag) {
		ndp_free(s, st->ndp);
		mld_free(s, st->mld);
		frag_free(s, st->frag);
		free(st);
		return NS_ERR_NO_MEMORY;
	}
	*priv = st;
	return NS_OK;
}

static void ipv6_fini(struct ns_stack *s, void *priv)
{
	struct ipv6_state *st = priv;

	ndp_free(s, st->ndp);
	mld_free(s, st->mld);
	frag_free(s, st->frag);
	free(st);
}

struct frag_state *ipv6_frag(struct ns_stack *s)
{
	struct ipv6_state *st = state_of(s);

	return st ? st->frag : NULL;
}

static struct ns_addr v6(const uint8_t a[16])
{
	return ns_addr_v6_from_bytes(a);
}

uint8_t ipv6_hop_limit(struct ns_stack *s, struct ns_nic *nic)
{
	uint8_t h = nic ? ndp_cur_hop_limit(s, nic) : 0;

	if (!h)
		h = ns_stack_config(s)->ipv6_hop_limit;
	return h ? h : 64;
}

/* ---------------------------------------------------------------- header validation */

/* Where a packet for the destination goes. */
enum ipv6_dest { DEST_OTHER, DEST_LOCAL, DEST_MULTICAST };

/* Steps 1 and 2. The addresses are refused as Linux's ip6_rcv_core() does. */
static bool ipv6_check_header(struct ns_nic *nic, struct ns_pkt *pkt, struct ipv6_repr *ip,
                              enum ns_drop_reason *why)
{
	enum ipv6_err e = ipv6_parse(ip, ns_pkt_data(pkt), pkt->len);
	bool inside = (pkt->flags & NS_PKT_LOOPED) || (ns_nic_caps(nic) & NS_CAP_LOOPBACK);

	if (e != IPV6_OK) {
		*why = e == IPV6_E_VERSION ? NS_DROP_IPV6_BAD_VERSION : NS_DROP_IPV6_TRUNCATED;
		return false;
	}
	ns_pkt_trim(pkt, IPV6_HLEN + ip->payload_len);
	/* RFC 4291 2.7: "multicast addresses must not be used as source addresses"; 2.5.5.2:
	 * v4-mapped addresses never appear on the wire; 2.5.3: loopback never leaves a node. */
	if (ipv6_addr_is_multicast(ip->src) || ipv6_addr_is_v4mapped(ip->src) ||
	    (!inside && ipv6_addr_is_loopback(ip->src))) {
		*why = NS_DROP_IPV6_BAD_SRC;
		return false;
	}
	/* RFC 4291 2.7: scope 0 is reserved ("silently dropped"); interface-local scope is
	 * for loopback transmission only. */
	if (ipv6_addr_is_v4mapped(ip->dst) || (!inside && ipv6_addr_is_loopback(ip->dst)) ||
	    (ipv6_addr_is_multicast(ip->dst) &&
	     (ipv6_mcast_scope(ip->dst) == 0 || (!inside && ipv6_mcast_scope(ip->dst) == 1)))) {
		*why = NS_DROP_IPV6_BAD_DST;
		return false;
	}
	return true;
}

/* Step 3: the destination's class. */
static enum ipv6_dest ipv6_classify_dst(struct ns_stack *s, struct ns_nic *nic,
                                        const uint8_t dst[16])
{
	struct ns_addr a = v6(dst);

	/* A NIC with address ranges answers solicitations for all of them, so it listens to
	 * every solicited-node group (ndp.c drops solicitations for targets not ours). */
	if (ipv6_addr_is_multicast(dst))
		return mld_is_member(s, nic, &a) || ns_nic_promiscuous(nic) ||
		               (ipv6_addr_is_solicited_node(dst) &&
		                ns_nic_has_ranges(nic, NS_AF_INET6))
		           ? DEST_MULTICAST
		           : DEST_OTHER;
	switch (ns_stack_match_local(s, nic, &a)) {
	case NS_ADDR_ASSIGNED:
		/* RFC 4007 6: a link-local address is ours only on its own link (the weak host
		 * model holds for wider scopes, as in Linux). */
		if (ipv6_addr_is_link_local(dst) && !ns_nic_owns_addr(s, nic, &a))
			return DEST_OTHER;
		return DEST_LOCAL;
	case NS_ADDR_RANGE:
	case NS_ADDR_PROMISCUOUS:
		return DEST_LOCAL;
	default:
		return DEST_OTHER;
	}
}

/* ---------------------------------------------------------------- extension headers */

/* The state of a walk along the header chain. Offsets count from the IPv6 header. */
struct ipv6_walk {
	uint32_t ip_off; /* the IPv6 header, from pkt->buf */
	uint32_t off;    /* the header being looked at */
	uint32_t nh_off; /* the octet whose value named it (for parameter problems) */
	uint8_t nh;      /* its type */
	unsigned count;  /* extension headers passed */
	bool mcast;      /* the destination is a multicast address */
	bool router_alert;
	bool fragmented; /* a Fragment header was passed (reassembled, or atomic) */
};

enum walk_result { WALK_NEXT, WALK_UPPER, WALK_DONE };

static const uint8_t *walk_ptr(const struct ns_pkt *pkt, const struct ipv6_walk *w)
{
	return pkt->buf + w->ip_off + w->off;
}

static uint32_t walk_avail(const struct ns_pkt *pkt, const struct ipv6_walk *w)
{
	return pkt->head + pkt->len - w->ip_off - w->off;
}

/* Drop @pkt after answering it with a parameter problem @code pointing at @ptr. */
static enum walk_result param_problem(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                                      const struct ipv6_walk *w, uint8_t code, uint32_t ptr,
                                      enum ns_drop_reason why)
{
	icmpv6_send_error(s, nic, pkt, w->ip_off, ICMPV6_PARAM_PROBLEM, code, ptr);
	ns_drop(s, pkt, why);
	return WALK_DONE;
}

/*
 * RFC 8200 4.2: the options of the hop-by-hop or destination options header at w->off,
 * @len bytes long. Returns WALK_NEXT when the packet goes on, else WALK_DONE (dropped,
 * answered where 4.2 says so).
 */
static enum walk_result ipv6_options(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                                     struct ipv6_walk *w, uint32_t len, bool hbh)
{
	struct ipv6_opt_iter it;
	struct ipv6_opt o;
	unsigned opts = 0, pad = 0;
	int r;

	ipv6_opt_iter_init(&it, walk_ptr(pkt, w), len);
	while ((r = ipv6_opt_next(&it, &o)) > 0) {
		if (o.type == IPV6_OPT_PAD1 || o.type == IPV6_OPT_PADN) {
			/* RFC 4942 2.1.9.5: padding is at most 7 bytes and carries zeros;
			 * anything else is a covert channel or an attack, and Linux drops it. */
			pad += o.type == IPV6_OPT_PAD1 ? 1u : 2u + o.len;
			for (unsigned i = 0; i < o.len; i++)
				if (o.data[i] != 0)
					pad = IPV6_MAX_PAD + 1;
			if (pad > IPV6_MAX_PAD) {
				ns_drop(s, pkt, NS_DROP_IPV6_BAD_OPTIONS);
				return WALK_DONE;
			}
			continue;
		}
		pad = 0;
		if (++opts > IPV6_MAX_OPTS) {
			ns_drop(s, pkt, NS_DROP_IPV6_EXT_LIMIT);
			return WALK_DONE;
		}
		if (hbh && o.type == IPV6_OPT_ROUTER_ALERT && o.len == 2) {
			w->router_alert = true;
			continue;
		}
		switch (ipv6_opt_action(o.type)) {
		case IPV6_OPT_SKIP:
			continue;
		case IPV6_OPT_DISCARD:
			ns_drop(s, pkt, NS_DROP_IPV6_UNKNOWN_OPTION);
			return WALK_DONE;
		case IPV6_OPT_DISCARD_ICMP:
			return param_problem(s, nic, pkt, w, ICMPV6_PARAM_OPTION, w->off + o.off,
			                     NS_DROP_IPV6_UNKNOWN_OPTION);
		case IPV6_OPT_DISCARD_UCAST:
			/* RFC 4443 2.4(e.3, e.4): only action 10 is answered to a group, be it
			 * the IPv6 destination or the link-layer one. */
			if (w->mcast || (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST))) {
				ns_drop(s, pkt, NS_DROP_IPV6_UNKNOWN_OPTION);
				return WALK_DONE;
			}
			return param_problem(s, nic, pkt, w, ICMPV6_PARAM_OPTION, w->off + o.off,
			                     NS_DROP_IPV6_UNKNOWN_OPTION);
		}
	}
	if (r < 0) {
		ns_drop(s, pkt, NS_DROP_IPV6_BAD_OPTIONS);
		return WALK_DONE;
	}
	return WALK_NEXT;
}

/*
 * RFC 8200 4.5: a fragment goes to reassembly (frag6.c), which keeps it until the packet is
 * whole (an atomic fragment, RFC 6946, is whole at once) and then hands back the whole
 * packet, which may be another buffer: *@pktp is replaced, and the walk goes on in it past
 * the unfragmentable part, at the header the first fragment's Fragment header named.
 * Returns WALK_NEXT, or WALK_DONE when the fragment was kept or dropped (and answered).
 */
static enum walk_result ipv6_reassemble(struct ns_stack *s, struct ns_nic *nic,
                                        struct ns_pkt **pktp, struct ipv6_walk *w)
{
	struct ns_pkt *pkt = *pktp;
	struct ipv6_frag_repr f;
	const uint8_t *ip6 = pkt->buf + w->ip_off;
	uint32_t at = w->ip_off + w->off, body;
	uint8_t nh;

	if (!ipv6_frag_parse(&f, walk_ptr(pkt, w), walk_avail(pkt, w))) {
		ns_drop(s, pkt, NS_DROP_IPV6_BAD_EXT);
		return WALK_DONE;
	}
	/* frag6.c's view: the IPv6 header recorded, the head at the Fragment header. */
	pkt->hdr[NS_HDR_NETWORK].off = w->ip_off;
	pkt->hdr[NS_HDR_NETWORK].len = IPV6_HLEN;
	pkt->src = v6(ipv6_get_src(ip6));
	pkt->dst = v6(ipv6_get_dst(ip6));
	pkt->len -= at - pkt->head;
	pkt->head = at;
	pkt = frag_ipv6_reassemble(s, nic, pkt, w->ip_off + w->nh_off, &nh);
	*pktp = pkt;
	if (!pkt)
		return WALK_DONE;
	/* Back to this file's view: the head at the IPv6 header, the walk's offsets from it. */
	w->ip_off = pkt->hdr[NS_HDR_NETWORK].off;
	body = pkt->head - w->ip_off;
	pkt->hdr[NS_HDR_NETWORK].len = 0;
	pkt->head = w->ip_off;
	pkt->len += body;
	w->off = body;
	w->nh_off = pkt->user;
	w->nh = nh;
	w->fragmented = true;
	return WALK_NEXT;
}

/*
 * One step of the chain: process the extension header w->nh at w->off and move past it.
 * WALK_UPPER when w->nh is not an extension header (the upper layer, or one nothing here
 * walks); WALK_DONE when the packet was dropped (and answered where the RFC says so).
 */
static enum walk_result ipv6_ext_step(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt **pktp,
                                      struct ipv6_walk *w)
{
	struct ns_pkt *pkt = *pktp;
	struct ipv6_rh_repr rh;
	uint32_t len;

	if (!ipv6_nh_is_ext(w->nh))
		return WALK_UPPER;
	/* RFC 8200 4.1: hop-by-hop only right after the IPv6 header. Anywhere else it is an
	 * unrecognised next header, as Linux answers it; behind a Fragment header too, though
	 * taking that out (an atomic fragment) may have left it at offset 40. */
	if (w->nh == IPV6_NH_HOPOPTS && (w->off != IPV6_HLEN || w->fragmented))
		return param_problem(s, nic, pkt, w, ICMPV6_PARAM_NEXT_HDR, w->nh_off,
		                     NS_DROP_IPV6_UNKNOWN_NEXT_HEADER);
	if (++w->count > IPV6_MAX_EXT) {
		ns_drop(s, pkt, NS_DROP_IPV6_EXT_LIMIT);
		return WALK_DONE;
	}
	if (w->nh == IPV6_NH_FRAGMENT)
		return ipv6_reassemble(s, nic, pktp, w);
	len = ipv6_ext_len(w->nh, walk_ptr(pkt, w), walk_avail(pkt, w));
	if (len == 0) {
		ns_drop(s, pkt, NS_DROP_IPV6_BAD_EXT);
		return WALK_DONE;
	}
	switch (w->nh) {
	case IPV6_NH_HOPOPTS:
	case IPV6_NH_DSTOPTS:
		if (ipv6_options(s, nic, pkt, w, len, w->nh == IPV6_NH_HOPOPTS) != WALK_NEXT)
			return WALK_DONE;
		break;
	case IPV6_NH_ROUTING:
		ipv6_rh_parse(&rh, walk_ptr(pkt, w), len);
		/* RFC 8200 4.4: with segments left 0 the header is ignored; otherwise an
		 * unrecognised type (every type here; type 0 by RFC 5095 3) is refused. */
		if (rh.segments_left != 0)
			return param_problem(s, nic, pkt, w, ICMPV6_PARAM_HEADER, w->off + 2,
			                     NS_DROP_IPV6_BAD_ROUTING);
		break;
	default:
		break;
	}
	w->nh_off = w->off;
	w->nh = *walk_ptr(pkt, w);
	w->off += len;
	return WALK_NEXT;
}

/* ---------------------------------------------------------------- local delivery */

/* Step 5: the upper layer w->nh at w->off. Consumes @pkt. */
static void ipv6_upper_one(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                           const struct ipv6_repr *ip, const struct ipv6_walk *w)
{
	/* The header in the buffer, not *ip: after reassembly it is the first fragment's,
	 * with the ECN field of every fragment combined (RFC 3168 5.3), where *ip was parsed
	 * from the fragment that completed the packet. */
	const uint8_t *h = pkt->buf + w->ip_off;
	enum ns_deliver_result res;
	bool raw;

	if (w->nh == IPV6_NH_NONE) {
		/* RFC 8200 4.7: nothing follows; whatever bytes do are ignored. */
		ns_drop(s, pkt, NS_DROP_IPV6_NO_NEXT_HEADER);
		return;
	}
	pkt->src = v6(ip->src);
	pkt->dst = v6(ip->dst);
	pkt->ttl = ipv6_get_hop_limit(h);
	pkt->tos = ipv6_get_tclass(h);
	pkt->transproto = w->nh;
	if (w->mcast)
		pkt->flags |= NS_PKT_MULTICAST;
	/* The IPv6 header and every extension header are this packet's network header. */
	ns_pkt_consume(pkt, NS_HDR_NETWORK, w->off);
	/* Raw endpoints of the upper layer get their copies first, whatever happens next
	 * (Linux ip6_protocol_deliver_rcu(): raw6_local_deliver(), then the protocol). */
	raw = ns_deliver_raw(s, pkt);
	if (w->nh == IPV6_NH_ICMPV6) {
		pkt->user = (w->router_alert ? IPV6_RX_ROUTER_ALERT : 0) |
		            (w->fragmented ? IPV6_RX_FRAGMENTED : 0);
		icmpv6_deliver(s, nic, pkt);
		return;
	}
	/* Only ND and MLD speak from the unspecified address (RFC 4861 7.2.2, RFC 3810 5.2.13). */
	if (ipv6_addr_is_unspecified(ip->src)) {
		ns_drop(s, pkt, NS_DROP_IPV6_NO_SOURCE);
		return;
	}
	res = ns_deliver_transport(s, pkt);
	if (res == NS_DELIVER_NO_PROTO && raw) {
		/* A protocol only raw endpoints speak: no parameter problem (Linux). */
		ns_stat_inc(s, NS_STAT_RX_DELIVERED);
		ns_pkt_free(pkt);
		return;
	}
	if (res == NS_DELIVER_NO_PROTO) {
		/* RFC 8200 4: an unrecognised Next Header is answered with a parameter problem,
		 * code 1, pointing at it; Linux does so for upper-layer protocols too. */
		icmpv6_send_error(s, nic, pkt, w->ip_off, ICMPV6_PARAM_PROBLEM,
		                  ICMPV6_PARAM_NEXT_HDR, w->nh_off);
		ns_drop(s, pkt, NS_DROP_IPV6_UNKNOWN_NEXT_HEADER);
	} else if (res == NS_DELIVER_PORT_UNREACHABLE) {
		icmpv6_send_error(s, nic, pkt, w->ip_off, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_PORT,
		                  0);
		ns_drop(s, pkt, NS_DROP_PORT_UNREACHABLE);
	}
}

/* Step 5 for a packet that may be a super-frame (forward.c): checked against its headers; a
 * UDP one goes up as the datagrams it stands for, each at the head of its own buffer, which
 * differ from it only in their lengths and checksums (none of which *ip is read for). No
 * super-frame is a fragment, atomic or not (reassembly clears the descriptor). Consumes. */
static void ipv6_upper(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                       const struct ipv6_repr *ip, const struct ipv6_walk *w)
{
	struct ipv6_walk ws = *w;

	if (pkt->gso.type != NS_GSO_NONE && w->fragmented) {
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return;
	}
	pkt = fwd_local_gso(s, pkt, true, w->nh);
	if (pkt && !pkt->next) {
		ipv6_upper_one(s, nic, pkt, ip, w);
		return;
	}
	while (pkt) {
		struct ns_pkt *next = pkt->next;

		pkt->next = NULL;
		ws.ip_off = pkt->head;
		/* An application's callback during the one before may have removed the NIC. */
		nic = ns_nic_find(s, pkt->nic);
		if (nic)
			ipv6_upper_one(s, nic, pkt, ip, &ws);
		else
			ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		pkt = next;
	}
}

/* ---------------------------------------------------------------- forwarding */

/* RFC 4291 2.5.6 and 2.5.3, RFC 8200 4: addresses a router keeps to their link or node. */
static bool ipv6_forwardable(const uint8_t a[16])
{
	return !ipv6_addr_is_link_local(a) && !ipv6_addr_is_loopback(a) &&
	       !ipv6_addr_is_unspecified(a) && !ipv6_addr_is_multicast(a);
}

/* Forward @pkt (head at its validated, trimmed header; hop-by-hop processed). Consumes. */
static void ipv6_forward(struct ns_stack *s, struct ns_nic *in, struct ns_pkt *pkt,
                         const struct ipv6_repr *ip)
{
	struct ns_addr dst = v6(ip->dst);
	struct ns_route r;
	struct ns_nic *out;
	uint32_t mtu, net_len;
	uint16_t flags;

	if (!ipv6_forwardable(ip->src) || !ipv6_forwardable(ip->dst)) {
		/* RFC 4443 3.1: a link-local source beyond its scope (Linux answers it). */
		if (ipv6_addr_is_link_local(ip->src) && ipv6_forwardable(ip->dst))
			icmpv6_send_error(s, in, pkt, pkt->head, ICMPV6_DEST_UNREACH,
			                  ICMPV6_UNREACH_BEYOND_SCOPE, 0);
		ns_drop(s, pkt, NS_DROP_IPV6_MARTIAN);
		return;
	}
	/* RFC 8200 3 / RFC 4443 3.3: a hop limit that would reach 0 ends here. */
	if (ip->hop_limit <= 1) {
		icmpv6_send_error(s, in, pkt, pkt->head, ICMPV6_TIME_EXCEEDED, ICMPV6_EXC_HOPLIMIT,
		                  0);
		ns_drop(s, pkt, NS_DROP_IPV6_HOP_LIMIT);
		return;
	}
	if (ns_route_find(s, 0, NULL, &dst, &r) != NS_OK ||
	    (r.flags & (NS_ROUTE_LOCAL | NS_ROUTE_MULTICAST)) || !(out = ns_nic_find(s, r.nic))) {
		icmpv6_send_error(s, in, pkt, pkt->head, ICMPV6_DEST_UNREACH,
		                  ICMPV6_UNREACH_NOROUTE, 0);
		ns_drop(s, pkt, NS_DROP_NO_ROUTE);
		return;
	}
	/* Offload metadata (forward.c): a super-frame is held against the MTU per segment. */
	if (!fwd_offload(pkt, IPV6_HLEN, &net_len, &flags)) {
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return;
	}
	/* RFC 8200 5: routers do not fragment; the source learns the MTU (RFC 8201). The
	 * next link's MTU, not a path MTU learnt as a sender (r.mtu), which is about our own
	 * packets: Linux's ip6_forward() asks ip6_dst_mtu_maybe_forward() for the device's,
	 * and ip6_pkt_too_big() holds a GSO packet's segments against it. */
	mtu = ns_nic_ipv6_mtu(out);
	if (net_len > mtu) {
		icmpv6_send_error(s, in, pkt, pkt->head, ICMPV6_PACKET_TOO_BIG, 0, mtu);
		ns_drop(s, pkt, NS_DROP_IPV6_TOO_BIG);
		return;
	}
	if (ns_pkt_headroom(pkt) < ns_nic_max_header_len(out)) {
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return;
	}
	ns_pkt_data(pkt)[7]--; /* no header checksum to patch */
	pkt->flags = flags;
	pkt->netproto = NS_ETHERTYPE_IPV6;
	ns_stat_inc(s, NS_STAT_IP_FORWARDED);
	ns_nic_output(s, out, &r.next_hop, &r.local, pkt);
}

/* ---------------------------------------------------------------- inbound entry point */

static void ipv6_deliver(struct ns_stack *s, void *priv, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct ipv6_repr ip;
	struct ipv6_walk w = {.off = IPV6_HLEN, .nh_off = 6};
	enum ns_drop_reason why;
	enum ipv6_dest dest;
	enum walk_result r;

	(void)priv;
	if (!ipv6_check_header(nic, pkt, &ip, &why)) {
		ns_drop(s, pkt, why);
		return;
	}
	dest = ipv6_classify_dst(s, nic, ip.dst);
	if (dest == DEST_OTHER) {
		if (ipv6_addr_is_multicast(ip.dst) || !ns_stack_config(s)->forwarding) {
			ns_drop(s, pkt, NS_DROP_IPV6_NOT_FOR_US);
			return;
		}
		/* As IPv4 (RFC 1812 5.3.4) and Linux's ip6_forward: what came as a link-layer
		 * multicast or broadcast is not forwarded. */
		if (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)) {
			ns_drop(s, pkt, NS_DROP_IPV6_LINK_MCAST);
			return;
		}
	}
	w.ip_off = pkt->head;
	w.nh = ip.next_header;
	w.mcast = dest == DEST_MULTICAST;
	/* RFC 8200 4.3: the hop-by-hop header is examined by every node on the path. */
	if (w.nh == IPV6_NH_HOPOPTS && ipv6_ext_step(s, nic, &pkt, &w) == WALK_DONE)
		return;
	if (dest == DEST_OTHER) {
		ipv6_forward(s, nic, pkt, &ip);
		return;
	}
	while ((r = ipv6_ext_step(s, nic, &pkt, &w)) == WALK_NEXT)
		;
	if (r == WALK_UPPER)
		ipv6_upper(s, nic, pkt, &ip, &w);
}

/* ---------------------------------------------------------------- outbound */

/* RFC 6437 3: a flow label from a keyed hash of the flow's 5-tuple, as Linux's
 * auto_flowlabels: stable for the flow, unrelated across flows, never 0. */
static uint32_t ipv6_flow_label(struct ns_stack *s, const struct ns_addr *src,
                                const struct ns_addr *dst, const struct ns_pkt *pkt)
{
	uint8_t key[37];
	const uint8_t *ports = ns_pkt_peek(pkt, 0, 4);
	uint32_t h;

	memcpy(key, src->a, 16);
	memcpy(key + 16, dst->a, 16);
	key[32] = pkt->transproto;
	if (ports && (pkt->transproto == IPV6_NH_TCP || pkt->transproto == IPV6_NH_UDP))
		memcpy(key + 33, ports, 4);
	else
		memset(key + 33, 0, 4);
	h = (uint32_t)ns_hash_keyed(s, FLOW_SALT, key, sizeof(key)) & 0xfffffu;
	return h ? h : 1;
}

/* Push the 40-byte header. Returns false (pkt dropped and counted) without headroom. */
static bool ipv6_push_header(struct ns_stack *s, struct ns_pkt *pkt, const struct ns_addr *src,
                             const struct ns_addr *dst, uint8_t nh, uint8_t hop_limit,
                             uint8_t tclass, uint32_t flow)
{
	uint32_t payload = pkt->len;
	struct ipv6_repr ip = {
	    .tclass = tclass, .flow = flow, .next_header = nh, .hop_limit = hop_limit};
	uint8_t *h = ns_pkt_push(pkt, NS_HDR_NETWORK, IPV6_HLEN);

	if (!h) {
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return false;
	}
	/* A GSO packet's lengths are rewritten per segment by the link. */
	ip.payload_len = (uint16_t)(payload > UINT16_MAX ? UINT16_MAX : payload);
	memcpy(ip.src, src->a, 16);
	memcpy(ip.dst, dst->a, 16);
	ipv6_emit(&ip, h);
	pkt->netproto = NS_ETHERTYPE_IPV6;
	pkt->src = *src;
	pkt->dst = *dst;
	return true;
}

ns_err ipv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
                 const struct ns_addr *dst, uint8_t hop_limit, unsigned flags,
                 const struct ns_mac *mac, struct ns_pkt *pkt)
{
	uint8_t nh = pkt->transproto;

	if (!nic) {
		ns_pkt_free(pkt);
		return NS_ERR_UNKNOWN_NIC;
	}
	if (flags & IPV6_SEND_ROUTER_ALERT) {
		/* RFC 2711 2.1 / RFC 3810 5: Router Alert (MLD), then PadN to 8 bytes, as
		 * Linux lays it out. */
		static const uint8_t ra[6] = {IPV6_OPT_ROUTER_ALERT, 2, 0, IPV6_RA_MLD,
		                              IPV6_OPT_PADN,         0};
		uint8_t *h = ns_pkt_push(pkt, NS_HDR_NETWORK, 8);

		if (!h) {
			ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		h[0] = nh;
		h[1] = 0;
		memcpy(h + 2, ra, sizeof(ra));
		nh = IPV6_NH_HOPOPTS;
	}
	if (!ipv6_push_header(s, pkt, src, dst, nh, hop_limit, 0, 0))
		return NS_ERR_NO_BUFFER_SPACE;
	if (flags & IPV6_SEND_ROUTER_ALERT)
		pkt->hdr[NS_HDR_NETWORK].len += 8; /* the hop-by-hop header is part of it */
	pkt->nic = ns_nic_id(nic);
	if (mac)
		return ns_nic_output_mac(s, nic, mac, pkt);
	return ns_nic_output(s, nic, dst, src, pkt);
}

/* A multicast we send loops back to the NIC's own listeners when the NIC joined the
 * group (the broadcast and multicast of IPv4 always do). */
static bool ipv6_loops(struct ns_stack *s, struct ns_nic *nic, const struct ns_route *r)
{
	return (r->flags & NS_ROUTE_MULTICAST) && mld_is_member(s, nic, &r->remote);
}

/*
 * RFC 4429 3.2: "When a node has a unicast packet to send from an Optimistic Address to a
 * neighbor, but does not know the neighbor's link-layer address, it MUST NOT perform
 * address resolution. It SHOULD forward the packet to a default router on the link in the
 * hope that the packet will be redirected. Otherwise, it SHOULD buffer the packet until
 * DAD is complete." So the route a unicast packet leaves by is @r, except when @r's source
 * is optimistic on its NIC and its next hop is not resolved: then it is @r through a
 * default router on that NIC whose link-layer address is known, copied into *@via (as
 * Linux's ip6_dst_lookup_tail() takes the default route then), if there is one; if there
 * is not, the packet waits in the neighbor cache, ndp_solicit() asking nothing until DAD
 * completes.
 */
static const struct ns_route *ipv6_route_out(struct ns_stack *s, struct ns_nic *nic,
                                             const struct ns_route *r, struct ns_route *via)
{
	struct ns_addr router;
	int f;

	if (r->flags & (NS_ROUTE_LOCAL | NS_ROUTE_MULTICAST | NS_ROUTE_BROADCAST))
		return r;
	f = ns_nic_addr_flags(nic, &r->local);
	if (f < 0 || !(f & NS_ADDR_F_OPTIMISTIC) ||
	    !(ns_nic_caps(nic) & NS_CAP_RESOLUTION_REQUIRED) ||
	    ns_stack_neighbor(s, r->nic, &r->next_hop, NULL) ||
	    !ns_route_default_router(s, r->nic, NS_AF_INET6, &router))
		return r;
	ns_stat_inc(s, NS_STAT_NDP_OPTIMISTIC_VIA_ROUTER);
	*via = *r;
	via->next_hop = router;
	return via;
}

static ns_err ipv6_write(struct ns_stack *s, void *priv, const struct ns_route *r,
                         struct ns_pkt *pkt, const struct ns_write_params *wp)
{
	static const struct ns_write_params defaults;
	struct ns_nic *nic = ns_nic_find(s, r->nic);
	struct ns_route via;
	uint32_t flow = 0;
	bool fragment;
	uint8_t hl;

	(void)priv;
	if (!wp)
		wp = &defaults;
	if (!nic) {
		ns_pkt_free(pkt);
		return NS_ERR_UNKNOWN_NIC;
	}
	/* RFC 8200 4.5: over the path MTU, the source fragments (routers never do), unless
	 * the sender wants it whole (wp->df: TCP, UDP under IP_PMTUDISC_DO/PROBE), which then
	 * learns the limit (Linux's EMSGSIZE). GSO packets are cut to size by the link; a
	 * looped one never meets a link. */
	if (pkt->gso.type == NS_GSO_NONE && pkt->len > UINT16_MAX) {
		ns_pkt_free(pkt);
		return NS_ERR_MESSAGE_TOO_LONG;
	}
	fragment = pkt->gso.type == NS_GSO_NONE && !(r->flags & NS_ROUTE_LOCAL) &&
	           pkt->len + IPV6_HLEN > r->mtu;
	if (fragment && wp->df) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_pkt_free(pkt);
		return NS_ERR_MESSAGE_TOO_LONG;
	}
	if (ns_stack_config(s)->ipv6_flowlabel)
		flow = ipv6_flow_label(s, &r->local, &r->remote, pkt);
	hl = wp->ttl ? wp->ttl : ipv6_hop_limit(s, nic);
	if (!ipv6_push_header(s, pkt, &r->local, &r->remote, pkt->transproto, hl, wp->tos, flow))
		return NS_ERR_NO_BUFFER_SPACE;
	if (pkt->gso.type != NS_GSO_NONE)
		pkt->gso.l3_len = IPV6_HLEN;
	pkt->nic = r->nic;
	/* RFC 8200 4.5: fragmented at the source (frag6.c). */
	return ip_output(s, nic, ipv6_route_out(s, nic, r, &via), pkt, ipv6_loops(s, nic, r),
	                 fragment ? frag_ipv6_fragment : NULL);
}

/*
 * A raw endpoint's IPV6_HDRINCL datagram (Linux's rawv6_send_hdrinc()): sent exactly as the
 * caller wrote it, nothing filled in (IPv6 has no header checksum, and Linux fills in no
 * field), along the route to the caller's destination. At least the 40-byte header, at
 * most the route MTU (no fragmentation: MESSAGE_TOO_LONG, Linux's EMSGSIZE).
 */
static ns_err ipv6_write_hdrincl(struct ns_stack *s, void *priv, const struct ns_route *r,
                                 struct ns_pkt *pkt)
{
	struct ns_nic *nic = ns_nic_find(s, r->nic);
	struct ns_route via;
	ns_err err = NS_OK;

	(void)priv;
	if (!nic)
		err = NS_ERR_UNKNOWN_NIC;
	else if (pkt->len > r->mtu)
		err = NS_ERR_MESSAGE_TOO_LONG;
	else if (pkt->len < IPV6_HLEN)
		err = NS_ERR_INVALID_ARGUMENT;
	if (err != NS_OK) {
		ns_pkt_free(pkt);
		return err;
	}
	memset(pkt->hdr, 0, sizeof(pkt->hdr));
	pkt->hdr[NS_HDR_NETWORK] = (struct ns_hdr_ref){.off = pkt->head, .len = IPV6_HLEN};
	pkt->transproto = ipv6_get_next_header(ns_pkt_data(pkt));
	pkt->flags &= (uint16_t)~NS_PKT_CSUM_PARTIAL;
	memset(&pkt->gso, 0, sizeof(pkt->gso));
	pkt->netproto = NS_ETHERTYPE_IPV6;
	pkt->nic = r->nic;
	pkt->src = v6(ipv6_get_src(ns_pkt_data(pkt)));
	pkt->dst = r->remote;
	return ip_output(s, nic, ipv6_route_out(s, nic, r, &via), pkt, ipv6_loops(s, nic, r), NULL);
}

/*
 * A packet could not be sent because its next hop did not resolve. One we originated
 * (NS_HDR_TRANSPORT recorded) becomes NS_CTRL_HOST_UNREACHABLE for its endpoint; a
 * forwarded one is answered with address unreachable (RFC 4443 3.1 code 3). A fragment
 * but the first of a datagram of ours (frag6.c sends them without a transport header) is
 * dropped: the first one reports the datagram, and an error to ourselves about the others
 * would find no endpoint and only spend the ICMP rate limit.
 */
static void ipv6_resolution_failed(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	struct ipv6_repr ip;
	struct ns_addr src, dst;
	uint32_t thl;

	(void)priv;
	if (ipv6_parse(&ip, ns_pkt_data(pkt), pkt->len) != IPV6_OK) {
		ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
		return;
	}
	src = v6(ip.src);
	dst = v6(ip.dst);
	if (!pkt->hdr[NS_HDR_TRANSPORT].len) {
		struct ipv6_frag_repr f;

		if (!(ip.next_header == IPV6_NH_FRAGMENT && ns_stack_find_local(s, &src) &&
		      ipv6_frag_parse(&f, ns_pkt_data(pkt) + IPV6_HLEN, pkt->len - IPV6_HLEN) &&
		      f.offset != 0))
			icmpv6_send_error(s, ns_nic_find(s, pkt->nic), pkt, pkt->head,
			                  ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_ADDR, 0);
		ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
		return;
	}
	/* What we send carries no extension header but MLD's hop-by-hop one and a first
	 * fragment's Fragment header: the transport header follows whatever this packet's
	 * network header was. */
	thl = pkt->hdr[NS_HDR_TRANSPORT].off - pkt->head;
	if (thl <= pkt->len && pkt->len - thl >= 8) {
		ns_pkt_consume(pkt, NS_HDR_NETWORK, thl);
		ns_deliver_control(s, pkt->transproto, &src, &dst, NS_CTRL_HOST_UNREACHABLE, 0,
		                   pkt);
	}
	ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
}

static ns_err ipv6_link_addr_request(struct ns_stack *s, void *priv, struct ns_nic *nic,
                                     const struct ns_addr *target, const struct ns_addr *local,
                                     const struct ns_mac *remote_mac)
{
	(void)priv;
	return ndp_solicit(s, nic, target, local, remote_mac);
}

static void ipv6_address_added(struct ns_stack *s, void *priv, struct ns_nic *nic,
                               const struct ns_subnet *a)
{
	(void)priv;
	if (a->addr.family == NS_AF_INET6)
		ndp_address_added(s, nic, a);
}

static void ipv6_address_removed(struct ns_stack *s, void *priv, struct ns_nic *nic,
                                 const struct ns_addr *a)
{
	(void)priv;
	if (a->family == NS_AF_INET6)
		ndp_address_removed(s, nic, a);
}

static void ipv6_nic_removed(struct ns_stack *s, void *priv, struct ns_nic *nic)
{
	(void)priv;
	ndp_nic_removed(s, nic);
	mld_nic_removed(s, nic);
}

/* ---------------------------------------------------------------- public API */

ns_err ns_ipv6_enable(struct ns_stack *s, uint32_t nic)
{
	struct ns_nic *n = ns_nic_find(s, nic);

	if (!state_of(s))
		return NS_ERR_UNKNOWN_PROTOCOL;
	if (!n)
		return NS_ERR_UNKNOWN_NIC;
	return ndp_enable(s, n);
}

ns_err ns_ipv6_join(struct ns_stack *s, uint32_t nic, const struct ns_addr *group)
{
	struct ns_nic *n = ns_nic_find(s, nic);

	if (!state_of(s))
		return NS_ERR_UNKNOWN_PROTOCOL;
	if (!n)
		return NS_ERR_UNKNOWN_NIC;
	return mld_join(s, n, group);
}

ns_err ns_ipv6_leave(struct ns_stack *s, uint32_t nic, const struct ns_addr *group)
{
	struct ns_nic *n = ns_nic_find(s, nic);

	if (!state_of(s))
		return NS_ERR_UNKNOWN_PROTOCOL;
	if (!n)
		return NS_ERR_UNKNOWN_NIC;
	return mld_leave(s, n, group);
}

enum ns_ipv6_addr_state ns_ipv6_addr_state(struct ns_stack *s, uint32_t nic,
                                           const struct ns_addr *a)
{
	struct ns_nic *n = ns_nic_find(s, nic);

	if (!n || !a || !state_of(s))
		return NS_IPV6_ADDR_NONE;
	return ndp_addr_state(s, n, a);
}

const struct ns_netproto_ops ns_proto_ipv6 = {
    .name = "ipv6",
    .number = NS_ETHERTYPE_IPV6,
    .family = NS_AF_INET6,
    .max_header_len = IPV6_HLEN + 8, /* MLD's hop-by-hop header */
    .init = ipv6_init,
    .fini = ipv6_fini,
    .deliver = ipv6_deliver,
    .write = ipv6_write,
    .resolves = NS_ETHERTYPE_IPV6,
    .link_addr_request = ipv6_link_addr_request,
    .resolution_failed = ipv6_resolution_failed,
    .address_added = ipv6_address_added,
    .address_removed = ipv6_address_removed,
    .nic_removed = ipv6_nic_removed,
    .write_hdrincl = ipv6_write_hdrincl,
};
