/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: packet endpoints (the seed's PacketEndpoint; Linux packet(7),
 * net/packet/af_packet.c without the mmap rings).
 *
 * State: the packet endpoints of a stack sit on one of three kinds of list: ETH_P_ALL
 * (every frame, both directions: Linux's ptype_all), one of PK_BUCKETS lists hashed by
 * EtherType (inbound frames of that type: ptype_base), or the idle list (protocol 0:
 * nothing until bound). The raw module's tap hook is called by the NIC for inbound frames
 * while an endpoint has a protocol, and for outbound frames while an ETH_P_ALL endpoint
 * wants them (ns_raw_hook_users()); this file keeps those counts as endpoints are created,
 * bound, switched and closed.
 *
 * Receive (packet_tap): the frame is seen as the link has it. Inbound, the link already
 * consumed its header (pkt->hdr[NS_HDR_LINK]) and classified the destination MAC
 * (NS_PKT_BROADCAST, MULTICAST, OTHERHOST, else HOST); outbound, the NIC has not yet let the
 * link push it, so on Ethernet the header the link will write (pkt->link_dst, the NIC's MAC,
 * pkt->netproto) is put in front, unless the packet carries its own (NS_PKT_LINK_HDR, a
 * packet endpoint's raw frame), and the packet type is OUTGOING. Every matching endpoint
 * (protocol, and NIC binding) gets its own copy: NS_PACKET_RAW from the link header on,
 * NS_PACKET_DGRAM from the network header on, plus the link-level facts a read reports
 * (a struct ns_sockaddr_ll: NIC, EtherType, packet type, source MAC) kept in the copy's
 * headroom. As Linux's dev_queue_xmit_nit() (skb_loop_sk()), an endpoint never sees the
 * frames it sends itself. Targets are collected first (at most RAW_FANOUT_MAX), so waiter
 * callbacks that close, create or rebind endpoints cannot disturb the walk. Callbacks run
 * inside the transmit path, so a send from one taps again: past PK_TAP_DEPTH_MAX nested
 * taps nothing is copied (counted), which ends what would be an unbounded recursion.
 *
 * Send: NS_PACKET_RAW frames go out as written (NS_PKT_LINK_HDR tells the link not to push
 * a header), between the link header's length and MTU + header (+4 with an 802.1Q tag),
 * as packet_snd() checks; NS_PACKET_DGRAM payloads (at most the MTU) get a header to the
 * given MAC with the given EtherType from the link. Frames go straight to the NIC
 * (ns_nic_output_mac(): no routing, no neighbor resolution) and are never looped back into
 * the stack's own input, as on Linux.
 *
 * Limits: no PACKET_MMAP rings, fanout, BPF filters, VLAN offload metadata, vnet headers or
 * PACKET_ADD_MEMBERSHIP; statistics are the stack's counters (packet_rx, packet_tx,
 * drop_packet_rcvbuf_full), not PACKET_STATISTICS.
 */
#include <stdlib.h>
#include <string.h>

#include "netstack/stack.h"
#include "raw/raw.h"

#define PK_BUCKETS  16 /* Linux's PTYPE_HASH_SIZE */
#define ETH_HLEN    14
#define ETH_P_8021Q 0x8100
#define VLAN_HLEN   4
/* Headroom of a queued copy, where its struct ns_sockaddr_ll waits for the read. */
#define LL_ROOM ((uint32_t)((sizeof(struct ns_sockaddr_ll) + 15u) & ~15u))
/* Taps nested deeper than this deliver nothing: waiter callbacks run inside the transmit
 * path, and two endpoints that each send what they see would otherwise recurse without
 * end (Linux bounds transmit recursion the same way, XMIT_RECURSION_LIMIT 8). */
#define PK_TAP_DEPTH_MAX 4

enum pk_list { PK_IDLE = 0, PK_ALL, PK_PROTO };

struct pk_ep;

struct packet_state {
	struct pk_ep *all;
	struct pk_ep *proto[PK_BUCKETS];
	struct pk_ep *idle;
	const struct pk_ep *sending; /* the endpoint whose frame is going out, if any */
	uint8_t depth;               /* taps in progress (a callback's send nests one) */
};

/*
 * A packet endpoint.
 * @kind:     NS_PACKET_RAW or NS_PACKET_DGRAM
 * @proto:    EtherType bound to (host order): NS_ETH_P_ALL, another one, or 0 (none)
 * @nic:      NIC bound to (0: every NIC)
 * @list:     which list it is on (from @proto)
 * @dg:       the receive queue, pending error and buffer sizes (no shutdown: always 0)
 */
struct pk_ep {
	struct ns_ep ep;
	struct ns_deferred release;
	struct packet_state *ps;
	struct pk_ep *prev, *next;
	int kind;
	uint16_t proto;
	uint8_t list;
	bool closed;
	bool ignore_outgoing;
	uint32_t nic;
	struct dgram_sock dg;
};

static inline struct pk_ep *to_pk(struct ns_ep *ep)
{
	return (struct pk_ep *)ep;
}

/* ---------------------------------------------------------------- lists and hook counts */

static enum pk_list list_of(uint16_t proto)
{
	return proto == 0 ? PK_IDLE : proto == NS_ETH_P_ALL ? PK_ALL : PK_PROTO;
}

static struct pk_ep **list_head(struct packet_state *ps, enum pk_list l, uint16_t proto)
{
	switch (l) {
	case PK_ALL:
		return &ps->all;
	case PK_PROTO:
		return &ps->proto[(proto ^ (proto >> 8)) & (PK_BUCKETS - 1)];
	case PK_IDLE:
	default:
		return &ps->idle;
	}
}

/* What endpoint @p (as it stands) adds to each hook's users, times @sign. */
static void count_hooks(struct pk_ep *p, int sign)
{
	struct ns_stack *s = p->ep.stack;

	if (p->list != PK_IDLE)
		ns_raw_hook_users(s, NS_RAW_HOOK_LINK_IN, sign);
	if (p->list == PK_ALL && !p->ignore_outgoing)
		ns_raw_hook_users(s, NS_RAW_HOOK_LINK_OUT, sign);
}

static void pk_link(struct pk_ep *p)
{
	struct pk_ep **head;

	p->list = (uint8_t)list_of(p->proto);
	head = list_head(p->ps, (enum pk_list)p->list, p->proto);
	p->prev = NULL;
	p->next = *head;
	if (*head)
		(*head)->prev = p;
	*head = p;
	count_hooks(p, 1);
}

static void pk_unlink(struct pk_ep *p)
{
	struct pk_ep **head = list_head(p->ps, (enum pk_list)p->list, p->proto);

	count_hooks(p, -1);
	if (p->prev)
		p->prev->next = p->next;
	else
		*head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

/* ---------------------------------------------------------------- receive */

/* The frame a tap is shown, as up to two pieces (a synthesised header and the packet). */
struct frame {
	const uint8_t *hdr; /* link header (NULL: none) */
	uint32_t hdr_len;
	const uint8_t *net; /* network header on */
	uint32_t net_len;
	struct ns_sockaddr_ll ll; /* what a read reports */
};

static bool link_is_ethernet(struct ns_stack *s, const struct ns_nic *nic)
{
	struct ns_link *l = ns_stack_nic_link(s, ns_nic_id(nic));

	return l && l->ops->header_type && l->ops->header_type(l) == NS_LINK_HDR_ETHERNET;
}

/* Describe @pkt as packet endpoints see it (the theory of operation); @eh is room for a
 * synthesised Ethernet header. */
static void frame_of(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                     bool outbound, uint8_t eh[ETH_HLEN], struct frame *f)
{
	bool eth = link_is_ethernet(s, nic);

	memset(f, 0, sizeof(*f));
	f->ll.nic = ns_nic_id(nic);
	f->ll.protocol = pkt->netproto;
	f->ll.hatype = eth ? NS_ARPHRD_ETHER : NS_ARPHRD_NONE;
	f->net = ns_pkt_data(pkt);
	f->net_len = pkt->len;
	if (!outbound) {
		f->ll.pkttype = (pkt->flags & NS_PKT_BROADCAST)   ? NS_PACKET_BROADCAST
		                : (pkt->flags & NS_PKT_MULTICAST) ? NS_PACKET_MULTICAST
		                : (pkt->flags & NS_PKT_OTHERHOST) ? NS_PACKET_OTHERHOST
		                                                  : NS_PACKET_HOST;
		if (eth && pkt->hdr[NS_HDR_LINK].len == ETH_HLEN &&
		    pkt->hdr[NS_HDR_LINK].off + ETH_HLEN == pkt->head) {
			f->hdr = pkt->buf + pkt->hdr[NS_HDR_LINK].off;
			f->hdr_len = ETH_HLEN;
			f->ll.halen = 6;
			f->ll.addr = pkt->link_src;
		}
		return;
	}
	f->ll.pkttype = NS_PACKET_OUTGOING;
	if (!eth)
		return;
	f->ll.halen = 6;
	if (pkt->flags & NS_PKT_LINK_HDR) {
		/* A raw frame from a packet endpoint: its own header, its own source MAC. */
		if (pkt->len < ETH_HLEN)
			return;
		f->hdr = ns_pkt_data(pkt);
		f->hdr_len = ETH_HLEN;
		f->net += ETH_HLEN;
		f->net_len -= ETH_HLEN;
		memcpy(f->ll.addr.b, f->hdr + 6, 6);
		return;
	}
	/* The header the link will push (ns_link_eth_push()). */
	f->ll.addr = ns_nic_mac(nic);
	memcpy(eh, pkt->link_dst.b, 6);
	memcpy(eh + 6, f->ll.addr.b, 6);
	eh[12] = (uint8_t)(pkt->netproto >> 8);
	eh[13] = (uint8_t)pkt->netproto;
	f->hdr = eh;
	f->hdr_len = ETH_HLEN;
}

static bool pk_wants(const struct pk_ep *p, const struct packet_state *ps, uint32_t nic,
                     uint16_t protocol, bool outbound)
{
	if (p->closed || (p->nic && p->nic != nic))
		return false;
	if (outbound)
		return p->list == PK_ALL && !p->ignore_outgoing && p != ps->sending;
	return p->list == PK_ALL || p->proto == protocol;
}

void packet_tap(struct ns_stack *s, struct packet_state *ps, struct ns_nic *nic,
                const struct ns_pkt *pkt, bool outbound)
{
	struct pk_ep *to[RAW_FANOUT_MAX];
	uint32_t nic_id = ns_nic_id(nic);
	uint8_t eh[ETH_HLEN];
	struct frame f;
	int n = 0;

	if (ps->depth >= PK_TAP_DEPTH_MAX) {
		ns_drop(s, NULL, NS_DROP_PACKET_TAP_NESTED);
		return;
	}
	frame_of(s, nic, pkt, outbound, eh, &f);
	struct pk_ep *lists[2] = {ps->all,
	                          outbound ? NULL : *list_head(ps, PK_PROTO, f.ll.protocol)};

	for (int l = 0; l < 2; l++) {
		for (struct pk_ep *p = lists[l]; p; p = p->next) {
			if (!pk_wants(p, ps, nic_id, f.ll.protocol, outbound))
				continue;
			if (n == RAW_FANOUT_MAX) {
				ns_drop(s, NULL, NS_DROP_RAW_FANOUT_LIMIT);
				goto serve;
			}
			to[n++] = p;
		}
	}
serve:
	ps->depth++;
	for (int i = 0; i < n; i++) {
		struct pk_ep *p = to[i];
		struct ns_pkt *c;

		if (p->closed) /* by a callback earlier in this walk */
			continue;
		if (dgram_rq_full(&p->dg.rq)) {
			ns_drop(s, NULL, NS_DROP_PACKET_RCVBUF_FULL);
			continue;
		}
		if (p->kind == NS_PACKET_RAW)
			c = raw_copy(s, LL_ROOM, f.hdr, f.hdr_len, f.net, f.net_len);
		else
			c = raw_copy(s, LL_ROOM, f.net, f.net_len, NULL, 0);
		if (!c)
			continue;
		/* What a read reports, kept in front of the frame. */
		memcpy(c->buf, &f.ll, sizeof(f.ll));
		ns_stat_inc(s, NS_STAT_PACKET_RX);
		dgram_enqueue(&p->ep, &p->dg, c);
	}
	ps->depth--;
}

/* ---------------------------------------------------------------- endpoint API */

static ns_err pk_bind_ll(struct ns_ep *ep, const struct ns_sockaddr_ll *a)
{
	struct pk_ep *p = to_pk(ep);
	uint16_t proto = a->protocol ? a->protocol : p->proto; /* packet_bind(): 0 keeps it */

	if (a->nic && !ns_nic_find(ep->stack, a->nic))
		return NS_ERR_UNKNOWN_DEVICE; /* ENODEV */
	pk_unlink(p);
	p->proto = proto;
	p->nic = a->nic;
	pk_link(p);
	return NS_OK;
}

/* An 802.1Q-tagged Ethernet frame may carry 4 bytes more than the MTU (Linux
 * packet_extra_vlan_len_allowed()). */
static bool eth_vlan_tagged(const uint8_t *frame, size_t len)
{
	return len >= ETH_HLEN && (frame[12] << 8 | frame[13]) == ETH_P_8021Q;
}

static ns_err pk_write(struct ns_ep *ep, const void *buf, size_t len,
                       const struct ns_write_opts *opts, size_t *written)
{
	struct pk_ep *p = to_pk(ep);
	struct ns_stack *s = ep->stack;
	const struct ns_sockaddr_ll *ll = opts ? opts->ll_to : NULL;
	/* packet_snd(): an address names the NIC (0 names none) and protocol; without one
	 * the bound ones are used. */
	uint32_t nic_id = ll ? ll->nic : p->nic;
	uint16_t proto = ll ? ll->protocol : p->proto;
	struct ns_nic *nic = ns_nic_find(s, nic_id);
	const uint8_t *b = buf;
	struct ns_pkt *pkt;
	struct ns_mac dst;
	ns_err err;

	*written = 0;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	if (!nic)
		return NS_ERR_UNKNOWN_DEVICE; /* Linux: ENXIO */
	err = dgram_send_check(&p->dg);
	if (err)
		return err;
	bool eth = link_is_ethernet(s, nic);
	uint32_t mtu = ns_nic_mtu(nic);

	if (p->kind == NS_PACKET_RAW) {
		uint32_t hl = eth ? ETH_HLEN : 0;

		if (len > (size_t)mtu + hl + (eth && eth_vlan_tagged(b, len) ? VLAN_HLEN : 0))
			return NS_ERR_MESSAGE_TOO_LONG;
		/* dev_validate_header(): at least the link header, and not empty. */
		if (len < hl || len == 0)
			return NS_ERR_INVALID_ARGUMENT;
		pkt = ns_pkt_from(buf, (uint32_t)len);
		if (!pkt) {
			ns_drop(s, NULL, NS_DROP_NO_MEMORY);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		if (eth) {
			/* Sent as written, source MAC included; an unset protocol is read from
			 * the frame, as packet_parse_headers() does. */
			pkt->flags |= NS_PKT_LINK_HDR;
			memcpy(dst.b, b, 6);
			pkt->netproto = proto ? proto : (uint16_t)(b[12] << 8 | b[13]);
		} else {
			pkt->netproto = proto ? proto : ns_link_ip_version_proto(pkt);
			memset(&dst, 0, sizeof(dst));
		}
	} else {
		if (len > mtu)
			return NS_ERR_MESSAGE_TOO_LONG;
		/* A cooked frame on Ethernet needs a destination (dev_hard_header() fails
		 * without one: EINVAL), with a full-length address. */
		if (eth && (!ll || ll->halen < 6))
			return NS_ERR_INVALID_ARGUMENT;
		pkt = ns_pkt_from(buf, (uint32_t)len);
		if (!pkt) {
			ns_drop(s, NULL, NS_DROP_NO_MEMORY);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		pkt->netproto = proto;
		dst = eth ? ll->addr : (struct ns_mac){{0}};
	}
	/* Our own frame is not shown back to us (Linux skb_loop_sk()); nested sends from
	 * waiter callbacks restore the outer sender. */
	const struct pk_ep *outer = p->ps->sending;

	p->ps->sending = p;
	err = ns_nic_output_mac(s, nic, &dst, pkt);
	p->ps->sending = outer;
	if (err)
		return err;
	ns_stat_inc(s, NS_STAT_PACKET_TX);
	*written = len;
	return NS_OK;
}

static ns_err pk_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                      struct ns_read_result *res)
{
	struct pk_ep *p = to_pk(ep);
	struct ns_pkt *pkt;
	ns_err err = dgram_read(&p->dg, buf, len, res, &pkt);

	if (err || !pkt)
		return err;
	memcpy(&res->ll, pkt->buf, sizeof(res->ll));
	res->from.nic = res->ll.nic;
	dgram_read_done(&p->dg, flags);
	return NS_OK;
}

static uint32_t pk_readiness(struct ns_ep *ep, uint32_t mask)
{
	return dgram_readiness(&to_pk(ep)->dg, mask);
}

static void pk_release(struct ns_deferred *d)
{
	struct pk_ep *p = (struct pk_ep *)(void *)((char *)d - offsetof(struct pk_ep, release));
	struct ns_stack *s = p->ep.stack;

	free(p);
	ns_ep_live_add(s, -1);
}

static void pk_close(struct ns_ep *ep)
{
	struct pk_ep *p = to_pk(ep);

	if (p->closed)
		return;
	pk_unlink(p);
	p->closed = true;
	dgram_rq_flush(&p->dg.rq);
	ns_ep_defer_free(ep->stack, &p->release, pk_release);
}

static ns_err pk_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t v)
{
	struct pk_ep *p = to_pk(ep);

	switch (opt) {
	case NS_PACKET_IGNORE_OUTGOING:
		count_hooks(p, -1);
		p->ignore_outgoing = v != 0;
		count_hooks(p, 1);
		return NS_OK;
	default:
		/* The buffers; no IP-level options. NIC binding is ns_ep_bind_ll()'s. */
		return dgram_set_sock_opt(&p->dg, opt, v);
	}
}

static ns_err pk_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *v)
{
	struct pk_ep *p = to_pk(ep);

	switch (opt) {
	case NS_PACKET_IGNORE_OUTGOING:
		*v = p->ignore_outgoing;
		return NS_OK;
	default:
		return dgram_get_sock_opt(&p->dg, opt, v);
	}
}

static ns_err pk_local_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct pk_ep *p = to_pk(ep);

	/* The binding: NIC, and the protocol as the "port". */
	memset(a, 0, sizeof(*a));
	a->nic = p->nic;
	a->port = p->proto;
	return NS_OK;
}

static const struct ns_ep_ops pk_ep_ops = {
    .close = pk_close,
    /* No shutdown: packet(7) sockets have none (sock_no_shutdown(): EOPNOTSUPP). */
    .read = pk_read,
    .write = pk_write,
    .readiness = pk_readiness,
    .set_opt = pk_set_opt,
    .get_opt = pk_get_opt,
    .local_addr = pk_local_addr,
    .bind_ll = pk_bind_ll,
};

ns_err packet_new(struct ns_stack *s, struct packet_state *ps, int kind, uint16_t proto,
                  struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct pk_ep *p;

	if (kind != NS_PACKET_RAW && kind != NS_PACKET_DGRAM)
		return NS_ERR_INVALID_ARGUMENT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NS_ERR_NO_MEMORY;
	p->ep.ops = &pk_ep_ops;
	p->ep.stack = s;
	p->ep.wq = wq;
	p->ps = ps;
	p->kind = kind;
	p->proto = proto;
	dgram_init(&p->dg);
	pk_link(p);
	ns_ep_live_add(s, 1);
	*out = &p->ep;
	return NS_OK;
}

struct packet_state *packet_state_new(struct ns_stack *s)
{
	(void)s;
	return calloc(1, sizeof(struct packet_state));
}

void packet_state_free(struct ns_stack *s, struct packet_state *ps)
{
	(void)s;
	if (!ps)
		return;
	while (ps->all)
		pk_close(&ps->all->ep);
	while (ps->idle)
		pk_close(&ps->idle->ep);
	for (int i = 0; i < PK_BUCKETS; i++)
		while (ps->proto[i])
			pk_close(&ps->proto[i]->ep);
	free(ps);
}
