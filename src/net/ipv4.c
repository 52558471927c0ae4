/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: IPv4 (RFC 791; host rules RFC 1122 3.2.1; forwarding RFC 1812).
 *
 * This file owns the IPv4 header in both directions and the per-stack IPv4 state (the
 * identification counters). ICMP is part of IPv4 (icmpv4.c): inbound ICMP never reaches
 * the transport demuxer, and every ICMP error leaves through icmpv4_send_error().
 *
 * Raw endpoints (src/raw): every locally delivered datagram is offered to them
 * (ns_deliver_raw()) before ICMP or the transport sees it, and a protocol only they speak
 * draws no protocol unreachable. Their IP_HDRINCL datagrams go out through
 * ipv4_write_hdrincl(), which fills in only what Linux's raw_send_hdrinc() does.
 *
 * Inbound (ipv4_deliver), in this order, each failure dropped and counted with its reason:
 *  1. the header: version, IHL, total length, header checksum (always verified in software:
 *     link RX offload covers transport checksums only), the reserved flag, and options
 *     walked structurally (RFC 791 3.1); a loose or strict source route (LSRR 0x83, SSRR
 *     0x89) drops the datagram, as Linux with accept_source_route=0 and RFC 7126 4.3/4.4
 *     advise (they let a sender steer replies around filters); other options are ignored;
 *  2. the packet is trimmed to the total length: frames under 60 bytes arrive padded, so
 *     lengths come from the IP header, never from the frame;
 *  3. the destination is classified once (ns_stack_match_local(): the weak host model of
 *     RFC 1122 3.3.4.2, as Linux: an address assigned to any of our NICs is ours whichever
 *     NIC the datagram came in on; ranges, broadcasts and promiscuous mode are per NIC),
 *     and so is the source, which must name one host: not broadcast, multicast, loopback,
 *     in 0.0.0.0/8 ("this network", RFC 1122 3.2.1.3 (a), RFC 6890) except 0.0.0.0 itself
 *     to a broadcast (a DHCP client, RFC 2131 4.1), and not one of our own addresses
 *     arriving from outside (martians, RFC 1812 5.3.7);
 *  4. the destination: ours (assigned, in a range, promiscuous), a broadcast, or the
 *     all-hosts group 224.0.0.1 (RFC 1112 7.2) is delivered locally; anything else is
 *     forwarded when the stack forwards (RFC 1812 5.2: TTL, route, next-hop MTU), else
 *     dropped as not ours. A datagram that came as a link-layer broadcast or multicast is
 *     never forwarded (RFC 1812 5.3.4; Linux drops what is not PACKET_HOST in
 *     ip_forward);
 *  5. local delivery: a fragment goes to reassembly (frag.c: RFC 791 3.2, RFC 815), which
 *     keeps it until its datagram is whole and then hands the whole datagram back; a GSO
 *     super-frame's descriptor is checked against it and a UDP one cut into the datagrams
 *     it stands for (forward.c, as Linux's udp_rcv_segment()); then
 *     pkt->src/dst/ttl/tos/transproto are set, the header consumed, and ICMP is handled
 *     in icmpv4.c while everything else goes to ns_deliver_transport(). A protocol nobody
 *     registered is answered with protocol unreachable, a closed port with port
 *     unreachable (RFC 1122 3.2.2.1).
 * pkt->flags keeps the link's packet type and gains NS_PKT_BROADCAST/MULTICAST for IP
 * broadcast and multicast destinations, so both the demuxer (deliver to every match) and
 * the ICMP error rules (RFC 1122 3.2.2: nothing about link or IP broadcasts) see them.
 *
 * Outbound (ipv4_write): a 20-byte header without options; a datagram over the route's MTU
 * (the path MTU, where one was learnt) is refused with MESSAGE_TOO_LONG when the sender
 * asked for DF and fragmented otherwise (frag.c); DF is cleared on a path held at the 552-byte
 * floor (Linux's locked MTU) unless the sender is in IP_PMTUDISC_DO or PROBE mode.
 * Then local routes loop back (whole: they meet no link),
 * broadcast and multicast routes go to the destination address (the neighbor code maps the
 * MAC) with a copy looped back to local listeners as Linux and the seed do, and unicast
 * goes to the route's next hop. The Identification follows RFC 7739 5.3 (hash-based): one
 * keyed hash of (source, destination, protocol) picks a counter in a table of ID_TABLE
 * counters, each started at a random value, and gives an offset added to it, so ids are
 * sequential per destination (a GSO packet takes one per segment it stands for, which the
 * device numbers on from its own) (RFC 6864 asks uniqueness per (src, dst, proto) within the
 * datagram lifetime) yet one peer learns nothing of the traffic to others from them (a
 * single global counter is the side channel RFC 7739 3 describes). As Linux does, a counter
 * unused for a while also jumps by a random amount below the idle milliseconds, so a host
 * sharing a counter cannot count another's datagrams.
 *
 * Forwarding fragments a datagram without DF that is too big for the next hop's link
 * (its MTU, not a path MTU learnt as a sender: Linux's ip_forward_use_pmtu=0) and answers
 * one with DF with "fragmentation needed" and that MTU (RFC 1191 3). A packet that came
 * with offload metadata keeps it (forward.c): a GSO super-frame is held against the MTU per
 * segment and goes on whole (the out link, or the NIC in software, segments it), or,
 * without DF and with segments too big, is segmented here and each segment fragmented; a
 * partial checksum leaves partial.
 *
 * Limits: options are never acted on (source routes are refused, record route is not
 * filled in); no multicast group membership beyond all-hosts; no ICMP redirects when
 * forwarding back out of the arrival NIC.
 */
#include <stdlib.h>
#include <string.h>

#include "net/forward.h"
#include "net/frag.h"
#include "net/ip.h"
#include "net/net.h"
#include "netstack/stack.h"
#include "wire/checksum.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

#define ID_TABLE  2048u /* RFC 7739 5.3 TABLE_LENGTH (Linux's minimum ip_idents size) */
#define ID_SALT   0x69707634696400ull /* "ipv4id" */
#define NS_PER_MS 1000000ull

struct ipv4_id {
	uint16_t next;  /* the counter */
	uint32_t stamp; /* when it was last used (ms), for the idle jump */
};

struct ipv4_state {
	struct frag_state *frag; /* reassembly (frag.c) */
	struct ipv4_id ids[ID_TABLE];
};

static ns_err ipv4_init(struct ns_stack *s, void **priv)
{
	struct ipv4_state *st = calloc(1, sizeof(*st));
	uint32_t now_ms = (uint32_t)(ns_stack_now(s) / NS_PER_MS);

	if (!st)
		return NS_ERR_NO_MEMORY;
	st->frag = frag_new(s);
	if (!st->frag) {
		free(st);
		return NS_ERR_NO_MEMORY;
	}
	/* RFC 7739 5.3: every counter starts at a random value, so ids reveal neither how
	 * long the stack has run nor how much it has sent. One draw from the stack's PRNG
	 * seeds a local xorshift64 for the table. */
	uint64_t x = ns_stack_random(s) | 1;

	for (uint32_t i = 0; i < ID_TABLE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		st->ids[i].next = (uint16_t)(x >> 24);
		st->ids[i].stamp = now_ms;
	}
	*priv = st;
	return NS_OK;
}

/* RFC 7739 5.3: id = F(src, dst, proto) + table[G(src, dst, proto)]++, F and G taken from
 * one keyed hash; a counter idle for d ms first jumps by a random amount below d (Linux
 * ip_idents_reserve). @segs ids are taken: a GSO packet's segments are numbered id, id + 1,
 * ... by whoever cuts it (Linux's ip_select_ident_segs()). */
static uint16_t ipv4_next_id(struct ns_stack *s, struct ipv4_state *st, const uint8_t src[4],
                             const uint8_t dst[4], uint8_t proto, uint32_t segs)
{
	uint8_t key[9];
	uint64_t h;
	struct ipv4_id *c;
	uint32_t now_ms = (uint32_t)(ns_stack_now(s) / NS_PER_MS);

	memcpy(key, src, 4);
	memcpy(key + 4, dst, 4);
	key[8] = proto;
	h = ns_hash_keyed(s, ID_SALT, key, sizeof(key));
	c = &st->ids[(h >> 16) & (ID_TABLE - 1)];
	if (now_ms != c->stamp) {
		uint32_t idle = now_ms - c->stamp;

		c->next = (uint16_t)(c->next + ns_stack_random(s) % idle);
		c->stamp = now_ms;
	}
	c->next = (uint16_t)(c->next + segs);
	return (uint16_t)((uint16_t)h + (uint16_t)(c->next - segs));
}

/* The segments the GSO packet @pkt (head at its transport header, which is recorded) stands
 * for; 1 for any other packet. */
static uint32_t ipv4_gso_segs(const struct ns_pkt *pkt)
{
	uint32_t th = pkt->hdr[NS_HDR_TRANSPORT].len;

	if (pkt->gso.type == NS_GSO_NONE || !pkt->gso.mss || th >= pkt->len)
		return 1;
	return (pkt->len - th + pkt->gso.mss - 1u) / pkt->gso.mss;
}

static void ipv4_fini(struct ns_stack *s, void *priv)
{
	struct ipv4_state *st = priv;

	frag_free(s, st->frag);
	free(st);
}

struct frag_state *ipv4_frag(struct ns_stack *s)
{
	struct ipv4_state *st = ns_netproto_priv(s, NS_ETHERTYPE_IPV4);

	return st ? st->frag : NULL;
}

static struct ns_addr v4(const uint8_t a[4])
{
	return ns_addr_v4_from_bytes(a);
}

bool ipv4_is_bcast_dst(struct ns_stack *s, struct ns_nic *nic, const uint8_t dst[4])
{
	struct ns_addr a = v4(dst);

	return ipv4_is_broadcast(dst) || ipv4_is_multicast(dst) ||
	       ns_nic_match_addr(s, nic, &a) == NS_ADDR_BROADCAST;
}

/* ---------------------------------------------------------------- header validation */

/*
 * The drop reason for a header ipv4_parse() refused. Where the total length and the IHL
 * disagree, a total length that cannot even hold a minimal header is blamed; otherwise the
 * IHL is (it claims more header than the datagram has). A frame shorter than the datagram
 * it carries is truncated (Linux counts it in InTruncatedPkts).
 */
static enum ns_drop_reason parse_drop_reason(enum ipv4_err e, const uint8_t *b, uint32_t len)
{
	unsigned total, hdr;

	switch (e) {
	case IPV4_E_VERSION:
		return NS_DROP_IPV4_BAD_VERSION;
	case IPV4_E_IHL:
		return NS_DROP_IPV4_BAD_IHL;
	case IPV4_E_CSUM:
		return NS_DROP_IPV4_BAD_CSUM;
	case IPV4_E_FRAG:
		return NS_DROP_IPV4_BAD_FLAGS;
	default:
		break;
	}
	if (len < IPV4_MIN_HLEN)
		return NS_DROP_IPV4_TRUNCATED;
	total = ipv4_get_total_len(b);
	hdr = ipv4_get_hdr_len(b);
	if (total < IPV4_MIN_HLEN)
		return NS_DROP_IPV4_BAD_TOTAL_LEN;
	if (hdr > total)
		return NS_DROP_IPV4_BAD_IHL;
	return NS_DROP_IPV4_TRUNCATED;
}

#define IPOPT_LSRR 0x83 /* RFC 791 3.1: loose source and record route */
#define IPOPT_SSRR 0x89 /* RFC 791 3.1: strict source and record route */

/*
 * RFC 791 3.1: an option is a single octet (End of Option List 0, No Operation 1) or a type
 * octet, a length octet counting both, and data. Every length must stay inside the header;
 * after End of Option List the rest is padding. Returns false for malformed options (with
 * *@why set), or for a source route option (RFC 7126 4.3, 4.4: drop; Linux
 * accept_source_route=0).
 */
static bool ipv4_options_ok(const uint8_t *opt, uint32_t len, enum ns_drop_reason *why)
{
	uint32_t i = 0;

	while (i < len) {
		if (opt[i] == 0)
			return true;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i) {
			*why = NS_DROP_IPV4_BAD_OPTIONS;
			return false;
		}
		if (opt[i] == IPOPT_LSRR || opt[i] == IPOPT_SSRR) {
			*why = NS_DROP_IPV4_SOURCE_ROUTE;
			return false;
		}
		i += opt[i + 1];
	}
	return true;
}

/* Steps 1 and 2: validate the header at the head of @pkt and trim to its total length. */
static bool ipv4_check_header(struct ns_pkt *pkt, struct ipv4_repr *ip, enum ns_drop_reason *why)
{
	const uint8_t *b = ns_pkt_data(pkt);
	enum ipv4_err e = ipv4_parse(ip, b, pkt->len, true);

	if (e != IPV4_OK) {
		*why = parse_drop_reason(e, b, pkt->len);
		return false;
	}
	if (!ipv4_options_ok(b + IPV4_MIN_HLEN, ip->hdr_len - IPV4_MIN_HLEN, why))
		return false;
	ns_pkt_trim(pkt, ip->total_len);
	return true;
}

/* Step 4: where a datagram for the destination goes. */
enum ipv4_dest { DEST_OTHER, DEST_LOCAL, DEST_BROADCAST, DEST_MULTICAST };

/*
 * Step 3: RFC 1122 3.2.1.3 / RFC 1812 5.3.7: a source that does not name one host, as
 * Linux's martian-source rules: broadcast, multicast, loopback from outside, anything in
 * 0.0.0.0/8 except 0.0.0.0 itself to a broadcast (a DHCP client, RFC 2131 4.1), or one of
 * our own addresses arriving from outside (accept_local=0). Looped packets and loopback
 * links legitimately carry the last two. @dest: the destination's class, already known.
 */
static bool ipv4_src_ok(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                        const struct ipv4_repr *ip, enum ipv4_dest dest)
{
	struct ns_addr a;
	enum ns_addr_match m;
	bool inside;

	if (ipv4_is_broadcast(ip->src) || ipv4_is_multicast(ip->src))
		return false;
	if (ip->src[0] == 0) /* RFC 1122 3.2.1.3 (a)/(b): "this network" */
		return ipv4_is_unspecified(ip->src) && dest == DEST_BROADCAST;
	a = v4(ip->src);
	m = ns_stack_match_local(s, nic, &a);
	if (m == NS_ADDR_BROADCAST)
		return false;
	inside = (pkt->flags & NS_PKT_LOOPED) || (ns_nic_caps(nic) & NS_CAP_LOOPBACK);
	if (inside)
		return true;
	return !ipv4_is_loopback(ip->src) && m != NS_ADDR_ASSIGNED;
}

/* ---------------------------------------------------------------- local delivery */

/* Answer a datagram no transport took (RFC 1122 3.2.2.1), then drop it. */
static void ipv4_unreachable(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                             enum ns_deliver_result res)
{
	uint32_t ip_off = pkt->hdr[NS_HDR_NETWORK].off;

	if (res == NS_DELIVER_NO_PROTO) {
		icmpv4_send_error(s, nic, pkt, ip_off, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PROTO,
		                  0);
		ns_drop(s, pkt, NS_DROP_IPV4_NO_PROTO);
		return;
	}
	icmpv4_send_error(s, nic, pkt, ip_off, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_PORT, 0);
	ns_drop(s, pkt, NS_DROP_PORT_UNREACHABLE);
}

/* One whole datagram (head at its header, no fragment) up to the transport. Consumes. */
static void ipv4_local_up(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                          const struct ipv4_repr *ip, enum ipv4_dest dest)
{
	enum ns_deliver_result res;
	bool raw;

	pkt->src = v4(ip->src);
	pkt->dst = v4(ip->dst);
	pkt->ttl = ip->ttl;
	pkt->tos = ip->tos;
	pkt->transproto = ip->proto;
	/* Cannot fail: hdr_len <= total_len == pkt->len after the trim. */
	ns_pkt_consume(pkt, NS_HDR_NETWORK, ip->hdr_len);
	/* Raw endpoints get their copies first, whatever happens to the datagram next
	 * (Linux ip_protocol_deliver_rcu(): raw_local_deliver(), then the protocol). */
	raw = ns_deliver_raw(s, pkt);
	if (ip->proto == IP_PROTO_ICMP) {
		icmpv4_deliver(s, nic, pkt, dest == DEST_BROADCAST || dest == DEST_MULTICAST);
		return;
	}
	res = ns_deliver_transport(s, pkt);
	if (res == NS_DELIVER_NO_PROTO && raw) {
		/* A protocol only raw endpoints speak: they took it, no protocol unreachable
		 * (Linux counts it delivered). */
		ns_stat_inc(s, NS_STAT_RX_DELIVERED);
		ns_pkt_free(pkt);
		return;
	}
	if (res == NS_DELIVER_NO_PROTO || res == NS_DELIVER_PORT_UNREACHABLE)
		ipv4_unreachable(s, nic, pkt, res);
}

static void ipv4_local_deliver(struct ns_stack *s, struct ipv4_state *st, struct ns_nic *nic,
                               struct ns_pkt *pkt, struct ipv4_repr *ip, enum ipv4_dest dest)
{
	/* RFC 791 3.2 / RFC 815 (frag.c): a fragment is kept until its datagram is whole,
	 * which then goes on as if it had arrived in one piece (*ip re-parsed from it; no
	 * GSO descriptor survives reassembly). */
	if (ip->mf || ip->frag_off) {
		pkt = frag_ipv4_reassemble(s, st->frag, pkt, ip);
		if (!pkt)
			return;
	}
	/* A super-frame (forward.c): checked against its headers; a UDP one goes up as the
	 * datagrams it stands for, which differ from it only in their lengths, id and
	 * checksums, none of which *ip is read for. */
	pkt = fwd_local_gso(s, pkt, false, ip->proto);
	if (pkt && !pkt->next) {
		ipv4_local_up(s, nic, pkt, ip, dest);
		return;
	}
	while (pkt) {
		struct ns_pkt *next = pkt->next;

		pkt->next = NULL;
		/* An application's callback during the one before may have removed the NIC. */
		nic = ns_nic_find(s, pkt->nic);
		if (nic)
			ipv4_local_up(s, nic, pkt, ip, dest);
		else
			ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		pkt = next;
	}
}

/* ---------------------------------------------------------------- forwarding */

/*
 * RFC 1812 5.3.7 (martians) and RFC 3927 7 (link-local): addresses a router must not
 * forward from or to: 0/8, loopback 127/8, link-local 169.254/16, multicast and class E
 * (we do no multicast routing).
 */
static bool ipv4_forwardable(const uint8_t a[4])
{
	return a[0] != 0 && a[0] != 127 && !(a[0] == 169 && a[1] == 254) && a[0] < 224;
}

/* RFC 1812 5.3.1 / RFC 1624: decrement the TTL and patch the checksum incrementally. */
static void ipv4_dec_ttl(uint8_t *h)
{
	uint16_t old = rd16(h + 8);

	h[8]--;
	wr16(h + 10, csum_update16(rd16(h + 10), old, rd16(h + 8)));
}

/* Fragment @pkt (head at its header) for @mtu and send every fragment to @next_hop on @nic
 * (RFC 791 3.2, frag.c). Consumes @pkt. Returns the first error, or NS_OK. */
static ns_err ipv4_output_frags(struct ns_stack *s, struct ns_nic *nic,
                                const struct ns_addr *next_hop, const struct ns_addr *local,
                                struct ns_pkt *pkt, uint32_t mtu)
{
	return ip_output_chain(s, nic, next_hop, local, frag_ipv4_fragment(s, pkt, mtu));
}

/* Cut the GSO packet @pkt (head at its header) into its segments and fragment each for
 * @mtu, as Linux's ip_finish_output_gso() does for a super-frame without DF whose segments
 * do not fit the next link. Consumes @pkt. */
static ns_err ipv4_output_gso_frags(struct ns_stack *s, struct ns_nic *nic,
                                    const struct ns_addr *next_hop, const struct ns_addr *local,
                                    struct ns_pkt *pkt, uint32_t mtu)
{
	struct ns_pkt *segs;
	ns_err err = ns_gso_segment(pkt, false, &segs), e;

	ns_pkt_free(pkt);
	if (err != NS_OK) {
		/* ns_gso_prepare() accepted its headers: only memory can be short. */
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	while (segs) {
		struct ns_pkt *seg = segs;

		segs = seg->next;
		seg->next = NULL;
		ns_stat_inc(s, NS_STAT_GSO_SW_SEGMENTS);
		if (seg->len > mtu)
			e = ipv4_output_frags(s, nic, next_hop, local, seg, mtu);
		else
			e = ns_nic_output(s, nic, next_hop, local, seg);
		if (e != NS_OK && err == NS_OK)
			err = e;
	}
	return err;
}

/* Forward @pkt (head at its validated, trimmed header) per RFC 1812 5.2. Consumes @pkt. */
static void ipv4_forward(struct ns_stack *s, struct ns_nic *in, struct ns_pkt *pkt,
                         const struct ipv4_repr *ip)
{
	struct ns_addr dst = v4(ip->dst);
	struct ns_route r;
	struct ns_nic *out;
	uint32_t mtu, net_len;
	uint16_t flags;
	bool too_big;

	if (!ipv4_forwardable(ip->src) || !ipv4_forwardable(ip->dst)) {
		ns_drop(s, pkt, NS_DROP_IPV4_MARTIAN);
		return;
	}
	/* RFC 1812 5.3.1: a datagram whose TTL would reach 0 dies here, with a time exceeded. */
	if (ip->ttl <= 1) {
		icmpv4_send_error(s, in, pkt, pkt->head, ICMPV4_TIME_EXCEEDED, ICMPV4_EXC_TTL, 0);
		ns_drop(s, pkt, NS_DROP_IPV4_TTL_EXPIRED);
		return;
	}
	if (ns_route_find(s, 0, NULL, &dst, &r) != NS_OK) {
		icmpv4_send_error(s, in, pkt, pkt->head, ICMPV4_DEST_UNREACH, ICMPV4_UNREACH_NET,
		                  0);
		ns_drop(s, pkt, NS_DROP_NO_ROUTE);
		return;
	}
	/* RFC 2644: directed broadcasts are not forwarded by default. */
	if (r.flags & (NS_ROUTE_LOCAL | NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST) ||
	    !(out = ns_nic_find(s, r.nic))) {
		ns_drop(s, pkt, NS_DROP_IPV4_NOT_FOR_US);
		return;
	}
	/* Offload metadata (forward.c): a super-frame is held against the MTU per segment. */
	if (!fwd_offload(pkt, ip->hdr_len, &net_len, &flags)) {
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return;
	}
	/* RFC 1812 5.2.6 / RFC 1191 3: too big for the next hop's link (its MTU, not a path
	 * MTU we learnt as a sender, as Linux with ip_forward_use_pmtu=0): DF gets
	 * "fragmentation needed" with that MTU, the rest is fragmented (RFC 791 3.2), a
	 * super-frame's segments each (Linux's ip_exceeds_mtu() and ip_finish_output_gso()). */
	mtu = ns_nic_mtu(out);
	too_big = net_len > mtu;
	if (too_big && ip->df) {
		icmpv4_send_error(s, in, pkt, pkt->head, ICMPV4_DEST_UNREACH,
		                  ICMPV4_UNREACH_FRAG_NEEDED, mtu);
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_IPV4_TOO_BIG);
		return;
	}
	if (ns_pkt_headroom(pkt) < ns_nic_max_header_len(out)) {
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return;
	}
	ipv4_dec_ttl(ns_pkt_data(pkt));
	/* The packet turns outbound: inbound packet-type flags no longer hold, and its
	 * checksum leaves partial or complete as fwd_offload() said. */
	pkt->flags = flags;
	pkt->netproto = NS_ETHERTYPE_IPV4;
	pkt->nic = ns_nic_id(out);
	ns_stat_inc(s, NS_STAT_IP_FORWARDED);
	if (!too_big)
		ns_nic_output(s, out, &r.next_hop, &r.local, pkt);
	else if (pkt->gso.type != NS_GSO_NONE)
		ipv4_output_gso_frags(s, out, &r.next_hop, &r.local, pkt, mtu);
	else
		ipv4_output_frags(s, out, &r.next_hop, &r.local, pkt, mtu);
}

/* ---------------------------------------------------------------- inbound entry point */

/* Step 3: the destination's class, in one pass over the addresses (weak host). */
static enum ipv4_dest ipv4_classify_dst(struct ns_stack *s, struct ns_nic *nic,
                                        const uint8_t dst[4])
{
	static const uint8_t all_hosts[4] = {224, 0, 0, 1};
	struct ns_addr a = v4(dst);

	switch (ns_stack_match_local(s, nic, &a)) {
	case NS_ADDR_ASSIGNED:
	case NS_ADDR_RANGE:
		return DEST_LOCAL;
	case NS_ADDR_BROADCAST:
		return DEST_BROADCAST;
	case NS_ADDR_PROMISCUOUS:
		return ipv4_is_multicast(dst) ? DEST_MULTICAST : DEST_LOCAL;
	case NS_ADDR_NONE:
		break;
	}
	/* Group membership (IGMP) slots in here; every host is in all-hosts. */
	if (memcmp(dst, all_hosts, 4) == 0)
		return DEST_MULTICAST;
	return DEST_OTHER;
}

static void ipv4_deliver(struct ns_stack *s, void *priv, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct ipv4_repr ip;
	enum ns_drop_reason why;
	enum ipv4_dest dest;

	if (!ipv4_check_header(pkt, &ip, &why)) {
		ns_drop(s, pkt, why);
		return;
	}
	dest = ipv4_classify_dst(s, nic, ip.dst);
	if (!ipv4_src_ok(s, nic, pkt, &ip, dest)) {
		ns_drop(s, pkt, NS_DROP_IPV4_BAD_SRC);
		return;
	}
	switch (dest) {
	case DEST_BROADCAST:
		pkt->flags |= NS_PKT_BROADCAST;
		break;
	case DEST_MULTICAST:
		pkt->flags |= NS_PKT_MULTICAST;
		break;
	case DEST_LOCAL:
		break;
	case DEST_OTHER:
		if (!ns_stack_config(s)->forwarding) {
			ns_drop(s, pkt, NS_DROP_IPV4_NOT_FOR_US);
		} else if (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)) {
			/* RFC 1812 5.3.4: a datagram that arrived as a link-layer broadcast or
			 * multicast is not forwarded (Linux: ip_forward drops !PACKET_HOST). At
			 * this point the flags are the link's: the IP destination is unicast. */
			ns_drop(s, pkt, NS_DROP_IPV4_LINK_BCAST);
		} else {
			ipv4_forward(s, nic, pkt, &ip);
		}
		return;
	}
	ipv4_local_deliver(s, priv, nic, pkt, &ip, dest);
}

/* ---------------------------------------------------------------- outbound */

static ns_err ipv4_write(struct ns_stack *s, void *priv, const struct ns_route *r,
                         struct ns_pkt *pkt, const struct ns_write_params *wp)
{
	static const struct ns_write_params defaults;
	struct ipv4_state *st = priv;
	struct ns_nic *nic = ns_nic_find(s, r->nic);
	uint32_t total = pkt->len + IPV4_MIN_HLEN, segs;
	struct ipv4_repr ip = {0};
	bool gso, fragment, df;
	uint8_t *h;

	if (!wp)
		wp = &defaults;
	if (!nic) {
		ns_pkt_free(pkt);
		return NS_ERR_UNKNOWN_NIC;
	}
	/* RFC 791 3.2: a datagram over the route's MTU (the path MTU where one was learnt)
	 * is fragmented, unless DF forbids it: then the sender learns the limit (Linux's
	 * EMSGSIZE). GSO packets are cut to size by the link; a looped one never meets a
	 * link. At the path MTU floor DF is cleared (see below), so routers may fragment on a
	 * path narrower than the floor. */
	gso = pkt->gso.type != NS_GSO_NONE;
	if (!gso && total > UINT16_MAX) {
		ns_pkt_free(pkt);
		return NS_ERR_MESSAGE_TOO_LONG;
	}
	fragment = !gso && !(r->flags & NS_ROUTE_LOCAL) && total > r->mtu;
	/* Linux (ip_dont_fragment(): a locked MTU metric) and RFC 1191 6.1: once the path MTU
	 * is held at the floor (ns_route_pmtu_update()), DF goes off, but for senders in DO
	 * or PROBE mode (wp->df_always; Linux's __ip_make_skb()). */
	df = wp->df && (wp->df_always || !(r->mtu <= NS_IPV4_MIN_PMTU && r->mtu < ns_nic_mtu(nic)));
	if (fragment && df) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_pkt_free(pkt);
		return NS_ERR_MESSAGE_TOO_LONG;
	}
	segs = ipv4_gso_segs(pkt);
	h = ns_pkt_push(pkt, NS_HDR_NETWORK, IPV4_MIN_HLEN);
	if (!h) {
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	ip.tos = wp->tos;
	ip.total_len = (uint16_t)(total > UINT16_MAX ? UINT16_MAX : total);
	ip.id = ipv4_next_id(s, st, r->local.a, r->remote.a, pkt->transproto, segs);
	ip.df = df;
	ip.ttl = wp->ttl ? wp->ttl : ns_stack_config(s)->default_ttl;
	ip.proto = pkt->transproto;
	memcpy(ip.src, r->local.a, 4);
	memcpy(ip.dst, r->remote.a, 4);
	ipv4_emit(&ip, h);
	if (pkt->gso.type != NS_GSO_NONE)
		pkt->gso.l3_len = IPV4_MIN_HLEN;
	pkt->netproto = NS_ETHERTYPE_IPV4;
	pkt->nic = r->nic;
	pkt->src = r->local;
	pkt->dst = r->remote;
	/* A copy of every broadcast and multicast loops back to local listeners. */
	return ip_output(s, nic, r, pkt, r->flags & (NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST),
	                 fragment ? frag_ipv4_fragment : NULL);
}

/*
 * raw(7) IP_HDRINCL (the seed's WriteHeaderIncludedPacket): the caller's header goes out as
 * written, but for what Linux's raw_send_hdrinc() fills in: the total length and the
 * header checksum always, the source when it is 0.0.0.0 (the route's), and the
 * identification when it is 0 and DF is clear (as ip_select_ident() without a socket: an
 * atomic datagram keeps id 0, which RFC 6864 4.1 allows). A header whose IHL is below 5
 * is not touched at all ("we don't modify invalid header"), one whose IHL runs past the
 * datagram is refused. The route is the caller's destination, not the header's. There is
 * no fragmentation: above the MTU is MESSAGE_TOO_LONG, as Linux's EMSGSIZE.
 */
static ns_err ipv4_write_hdrincl(struct ns_stack *s, void *priv, const struct ns_route *r,
                                 struct ns_pkt *pkt)
{
	struct ipv4_state *st = priv;
	struct ns_nic *nic = ns_nic_find(s, r->nic);
	uint8_t *h = ns_pkt_peek(pkt, 0, IPV4_MIN_HLEN);
	uint32_t hl = 0;
	ns_err err = NS_OK;

	if (!nic)
		err = NS_ERR_UNKNOWN_NIC;
	else if (pkt->len > r->mtu || pkt->len > UINT16_MAX)
		err = NS_ERR_MESSAGE_TOO_LONG;
	else if (!h || (hl = ipv4_get_hdr_len(h)) > pkt->len)
		err = NS_ERR_INVALID_ARGUMENT;
	if (err != NS_OK) {
		ns_pkt_free(pkt);
		return err;
	}
	memset(pkt->hdr, 0, sizeof(pkt->hdr));
	if (hl >= IPV4_MIN_HLEN) {
		if (ipv4_is_unspecified(ipv4_get_src(h)))
			memcpy(h + 12, r->local.a, 4);
		wr16(h + 2, (uint16_t)pkt->len);
		if (ipv4_get_id(h) == 0 && !(rd16(h + 6) & IPV4_FLAG_DF))
			wr16(h + 4, ipv4_next_id(s, st, h + 12, h + 16, ipv4_get_proto(h), 1));
		wr16(h + 10, 0);
		wr16(h + 10, csum_finish(csum_partial(h, hl, 0)));
		/* Recorded like a datagram we built, so a failed resolution is reported to
		 * the raw endpoints of its protocol as a control (ipv4_resolution_failed()). */
		pkt->hdr[NS_HDR_NETWORK] =
		    (struct ns_hdr_ref){.off = pkt->head, .len = (uint16_t)hl};
		if (pkt->len > hl)
			pkt->hdr[NS_HDR_TRANSPORT] = (struct ns_hdr_ref){
			    .off = pkt->head + hl, .len = (uint16_t)(pkt->len - hl)};
	}
	pkt->transproto = ipv4_get_proto(h);
	pkt->flags &= (uint16_t)~NS_PKT_CSUM_PARTIAL;
	memset(&pkt->gso, 0, sizeof(pkt->gso));
	pkt->netproto = NS_ETHERTYPE_IPV4;
	pkt->nic = r->nic;
	pkt->src = v4(ipv4_get_src(h));
	pkt->dst = r->remote;
	/* As ipv4_write() sends: no fragmentation here, whatever the protocol does for its
	 * own datagrams. */
	return ip_output(s, nic, r, pkt, r->flags & (NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST),
	                 NULL);
}

/*
 * A datagram could not be sent because its next hop did not resolve. One we originated
 * (every local sender pushed a transport or ICMP header, so NS_HDR_TRANSPORT is recorded)
 * becomes NS_CTRL_HOST_UNREACHABLE for the endpoint that sent it; a forwarded one is
 * answered with ICMP host unreachable (RFC 1812 5.2.7.1).
 */
static void ipv4_resolution_failed(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	struct ipv4_repr ip;
	struct ns_addr src, dst;

	(void)priv;
	if (ipv4_parse(&ip, ns_pkt_data(pkt), pkt->len, false) != IPV4_OK) {
		ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
		return;
	}
	if (!pkt->hdr[NS_HDR_TRANSPORT].len) {
		icmpv4_send_error(s, ns_nic_find(s, pkt->nic), pkt, pkt->head, ICMPV4_DEST_UNREACH,
		                  ICMPV4_UNREACH_HOST, 0);
		ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
		return;
	}
	ns_pkt_trim(pkt, ip.total_len);
	/* Only a first fragment carries the transport header the endpoint is found by. */
	if (ip.frag_off == 0 && pkt->len >= ip.hdr_len + 8u) {
		src = v4(ip.src);
		dst = v4(ip.dst);
		ns_pkt_consume(pkt, NS_HDR_NETWORK, ip.hdr_len);
		ns_deliver_control(s, ip.proto, &src, &dst, NS_CTRL_HOST_UNREACHABLE, 0, pkt);
	}
	ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
}

const struct ns_netproto_ops ns_proto_ipv4 = {
    .name = "ipv4",
    .number = NS_ETHERTYPE_IPV4,
    .family = NS_AF_INET,
    .max_header_len = IPV4_MIN_HLEN,
    .init = ipv4_init,
    .fini = ipv4_fini,
    .deliver = ipv4_deliver,
    .write = ipv4_write,
    .resolves = 0,
    .resolution_failed = ipv4_resolution_failed,
    .write_hdrincl = ipv4_write_hdrincl,
};
