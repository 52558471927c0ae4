/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the TCP transport protocol as the stack sees it.
 *
 * Owns the per-stack TCP state (struct tcp_stack: settings, the list of every endpoint, the
 * challenge-ACK budget) and the ns_transproto_ops vtable: init/fini, new_endpoint, port
 * parsing for the demuxer, handle_unknown (the seed's HandleUnknownDestinationPacket), and
 * address_removed (connections from an address no longer ours end).
 *
 * Inbound segments reach TCP two ways: the demuxer found an endpoint (tcp_tep_ops.deliver in
 * endpoint.c) or it did not (handle_unknown here). Both validate through tcp_seg_parse():
 * the checksum unless the link verified it (NS_PKT_CSUM_VERIFIED), then the header and
 * options. Malformed segments are dropped and counted (NS_DROP_TCP_*), never answered.
 *
 * A segment to no endpoint is answered with a RST per RFC 9293 3.10.7.1 (none for a RST,
 * none for a broadcast or multicast destination, RFC 1122 4.2.3.10), and counted as
 * NS_DROP_TCP_NO_ENDPOINT. With a forwarder installed (forward.c), a SYN is offered to
 * the application first, which accepts or refuses it.
 *
 * fini runs before the stack tears down the demuxer and the timer wheel, so it can
 * unregister and cancel as it frees every endpoint (including ones the app never closed).
 */
#include "tcp/tcp.h"

#include <stdlib.h>
#include <string.h>

#include "netstack/link.h"
#include "wire/checksum.h"

static void tcp_config_defaults(struct tcp_config *c)
{
	c->rto_initial_ns = 1 * NS_SEC;
	c->rto_min_ns = 200 * NS_MSEC;
	c->rto_max_ns = 120 * NS_SEC;
	c->delack_ns = 40 * NS_MSEC;
	c->msl_ns = 30 * NS_SEC;
	c->fin_timeout_ns = 60 * NS_SEC;
	c->keepidle_ns = 7200 * NS_SEC;
	c->keepintvl_ns = 75 * NS_SEC;
	c->keepcnt = 9;
	c->syn_retries = 6;
	c->synack_retries = 5;
	c->retries2 = 15;
	c->rcvbuf = 131072;
	c->sndbuf = 262144;
	c->rcvbuf_max = 6u << 20;
	c->sndbuf_max = 4u << 20;
	c->init_cwnd_segs = 10;
	c->challenge_ack_limit = 1000;
	c->oow_ratelimit_ns = 500 * NS_MSEC;
	c->max_tw = 32768;
	c->moderate_rcvbuf = true;
	c->timestamps = true;
	c->window_scaling = true;
	c->sack = true;
	c->rack = true;
	c->syncookies = true;
}

static ns_err tcp_proto_init(struct ns_stack *s, void **priv)
{
	struct tcp_stack *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NS_ERR_NO_MEMORY;
	ts->s = s;
	ts->challenge_slot = UINT64_MAX;
	tcp_config_defaults(&ts->cfg);
	*priv = ts;
	return NS_OK;
}

static void tcp_proto_fini(struct ns_stack *s, void *priv)
{
	struct tcp_stack *ts = priv;

	tcp_fwd_fini(ts);
	/* Listener links first: a child must not unlink itself from a freed listener. */
	for (struct tcp_ep *ep = ts->all; ep; ep = ep->all_next)
		ep->listener = NULL;
	while (ts->all)
		tcp_ep_destroy(ts->all);
	free(ts);
}

struct tcp_stack *tcp_stack_of(struct ns_stack *s)
{
	return ns_transproto_priv(s, NS_IPPROTO_TCP);
}

struct tcp_config *tcp_config(struct ns_stack *s)
{
	struct tcp_stack *ts = tcp_stack_of(s);

	return ts ? &ts->cfg : NULL;
}

void tcp_set_trace(struct ns_stack *s, tcp_trace_fn fn, void *ctx)
{
	struct tcp_stack *ts = tcp_stack_of(s);

	if (ts) {
		ts->trace = fn;
		ts->trace_ctx = ctx;
	}
}

static ns_err tcp_new_endpoint(struct ns_stack *s, void *priv, uint8_t family,
                               struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct tcp_ep *ep = tcp_ep_alloc(priv, family);

	if (!ep)
		return NS_ERR_NO_MEMORY;
	ep->ep.wq = wq;
	ep->flags |= TCP_F_APP;
	*out = &ep->ep;
	return NS_OK;
}

static bool tcp_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	if (len < 4)
		return false;
	*sport = tcp_get_src_port(h);
	*dport = tcp_get_dst_port(h);
	return true;
}

static uint32_t tcp_pseudo(const struct ns_addr *src, const struct ns_addr *dst, uint32_t len)
{
	if (src->family == NS_AF_INET6)
		return csum_pseudo_v6(src->a, dst->a, NS_IPPROTO_TCP, len);
	return csum_pseudo_v4(src->a, dst->a, NS_IPPROTO_TCP, len);
}

bool tcp_seg_parse(struct tcp_stack *ts, struct ns_pkt *pkt, struct tcp_seg *g)
{
	const uint8_t *h = ns_pkt_data(pkt);
	uint32_t len = pkt->len;

	if (len < TCP_MIN_HLEN) {
		ns_drop(ts->s, pkt, NS_DROP_TCP_TRUNCATED);
		return false;
	}
	/* RFC 9293 3.10.7 / MUST-2..3: verify the checksum of every segment. */
	if (!(pkt->flags & NS_PKT_CSUM_VERIFIED) &&
	    !tcp_csum_ok(h, len, tcp_pseudo(&pkt->src, &pkt->dst, len))) {
		ns_drop(ts->s, pkt, NS_DROP_TCP_BAD_CSUM);
		return false;
	}
	switch (tcp_parse(&g->h, h, len)) {
	case TCP_OK:
		break;
	case TCP_E_OFFSET:
	case TCP_E_OPTION:
		/* A data offset or an option length that runs past the segment (MUST-7). */
		ns_drop(ts->s, pkt, NS_DROP_TCP_BAD_OFFSET);
		return false;
	default:
		ns_drop(ts->s, pkt, NS_DROP_TCP_TRUNCATED);
		return false;
	}
	g->data = h + g->h.hdr_len;
	g->len = len - g->h.hdr_len;
	g->seq = g->h.seq;
	g->pkt = pkt;
	ns_stat_inc(ts->s, NS_STAT_TCP_RX);
	return true;
}

/* The segments outbound @pkt (head at its TCP header) stands for. */
static uint32_t tcp_pkt_gso_segs(const struct ns_pkt *pkt)
{
	uint32_t payload, hlen = (uint32_t)(ns_pkt_data(pkt)[12] >> 4) * 4;

	if (pkt->gso.type == NS_GSO_NONE || !pkt->gso.mss || hlen >= pkt->len)
		return 1;
	payload = pkt->len - hlen;
	return (payload + pkt->gso.mss - 1) / pkt->gso.mss;
}

ns_err tcp_send_pkt(struct ns_stack *s, const struct ns_route *r, struct ns_pkt *pkt, uint8_t ttl,
                    uint8_t tos)
{
	struct ns_write_params wp = {.ttl = ttl, .tos = tos, .df = true};
	uint32_t pseudo = tcp_pseudo(&r->local, &r->remote, pkt->len);

	/* Checksum offload, virtio NEEDS_CSUM semantics as UDP's: the field holds the folded
	 * pseudo-header sum and whoever finishes the packet sums from csum_start (the TCP
	 * header, offsets from the network header) to the end. A GSO packet is always
	 * partial: each segment's checksum is finished per segment, by the device or by
	 * ns_gso_segment(). A packet looped back locally counts as verified (nic.c). */
	if (pkt->gso.type != NS_GSO_NONE || (r->caps & NS_CAP_TX_CSUM_OFFLOAD)) {
		wr16(ns_pkt_data(pkt) + 16, csum_fold(pseudo));
		pkt->flags |= NS_PKT_CSUM_PARTIAL;
		pkt->csum_start = r->local.family == NS_AF_INET6 ? 40 : 20;
		pkt->csum_off = 16;
	} else {
		tcp_set_csum(ns_pkt_data(pkt), pkt->len, pseudo);
	}
	pkt->transproto = NS_IPPROTO_TCP;
	/* Per segment, a GSO packet counting those it stands for (Linux's OutSegs adds
	 * tcp_skb_pcount()); tcp_rx counts packets, as InSegs counts skbs. */
	ns_stat_add(s, NS_STAT_TCP_TX, tcp_pkt_gso_segs(pkt));
	return ns_netproto_write(s, r, pkt, &wp);
}

/* The seed's HandleUnknownDestinationPacket: no endpoint matched the segment. */
static enum ns_unknown_verdict tcp_handle_unknown(struct ns_stack *s, void *priv,
                                                  struct ns_pkt *pkt)
{
	struct tcp_stack *ts = priv;
	struct tcp_seg g;

	if (!tcp_seg_parse(ts, pkt, &g))
		return NS_UNKNOWN_MALFORMED;
	/* RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded"; RFC 1122
	 * 4.2.3.10: nothing answers a segment to a broadcast or multicast address. */
	if (!(g.h.flags & TCP_RST) && !(pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST))) {
		/* A SYN goes to the application's forwarder first, if it has one. */
		if (tcp_fwd_offer(ts, &g, 0)) {
			ns_pkt_free(pkt);
			return NS_UNKNOWN_HANDLED;
		}
		tcp_reply_rst(ts, &g);
	}
	ns_drop(s, pkt, NS_DROP_TCP_NO_ENDPOINT);
	return NS_UNKNOWN_HANDLED;
}

void tcp_send_rst_to(struct tcp_stack *ts, uint32_t nic, const struct ns_tep_id *id, uint32_t seq,
                     uint32_t ack, uint8_t flags)
{
	struct tcp_repr h;
	struct ns_route r;
	struct ns_pkt *pkt;

	if (ns_route_find(ts->s, nic, &id->local, &id->remote, &r) != NS_OK)
		return;
	memset(&h, 0, sizeof(h));
	h.src_port = id->lport;
	h.dst_port = id->rport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	h.wscale = -1;
	pkt = ns_pkt_alloc(NS_PKT_HEADROOM, 0);
	if (!pkt) {
		ns_drop(ts->s, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	tcp_emit(&h, ns_pkt_push(pkt, NS_HDR_TRANSPORT, TCP_MIN_HLEN));
	tcp_send_pkt(ts->s, &r, pkt, 0, 0);
}

/* ICMP errors about a segment this stack sent (RFC 5927, RFC 1122 4.2.3.9). */
static void tcp_tep_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt);

/*
 * @a is no longer ours (removed, its valid lifetime over, or found a duplicate by DAD after
 * it was used optimistically: RFC 4429 3.3 deconfigures it as a tentative one). RFC 4862
 * 5.5.4: an invalid address "MUST NOT be used as a source address in outgoing
 * communications", so every connection from it ends now, with CONNECTION_ABORTED
 * (ECONNABORTED, what Android's SOCK_DESTROY gives sockets on a lost address) and without a
 * RST: that would be a segment from an address that is not ours, perhaps another node's.
 * TIME_WAIT ones close quietly. Listeners bound to it stay, as Linux's: nothing reaches
 * them unless the address comes back.
 */
static void tcp_address_removed(struct ns_stack *s, void *priv, const struct ns_addr *a)
{
	struct tcp_stack *ts = priv;
	struct tcp_ep *ep, *next;

	for (ep = ts->all; ep; ep = next) {
		/* Only @ep can be freed below (a child leaves its listener's queues; nothing
		 * else goes), so its successor stays valid. */
		next = ep->all_next;
		if (ep->state == TCP_CLOSED || ep->state == TCP_LISTEN ||
		    !ns_addr_eq(&ep->tep.id.local, a))
			continue;
		tcp_ep_enter(ep);
		if (ep->state == TCP_TIME_WAIT) {
			tcp_set_state(ep, TCP_CLOSED, "local address removed");
		} else {
			ns_stat_inc(s, NS_STAT_TCP_ADDR_GONE_ABORTS);
			tcp_ep_abort(ep, NS_ERR_CONNECTION_ABORTED, false, "local address removed");
		}
		tcp_ep_leave(ep);
	}
}

const struct ns_transproto_ops ns_proto_tcp = {
    .name = "tcp",
    .number = NS_IPPROTO_TCP,
    .init = tcp_proto_init,
    .fini = tcp_proto_fini,
    .new_endpoint = tcp_new_endpoint,
    .parse_ports = tcp_parse_ports,
    .min_header_len = TCP_MIN_HLEN,
    .handle_unknown = tcp_handle_unknown,
    .address_removed = tcp_address_removed,
};

static void tcp_tep_deliver(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct tcp_ep *ep = tcp_container_of(t, struct tcp_ep, tep);
	struct tcp_seg g;

	if (!tcp_seg_parse(ep->ts, pkt, &g))
		return;
	tcp_ep_enter(ep);
	tcp_input(ep, &g);
	tcp_ep_leave(ep);
	ns_pkt_free(pkt);
}

/* The quoted sequence number must be one we have sent and not had acknowledged, or the
 * error may be forged (RFC 5927 4.1). */
static bool tcp_quote_in_flight(const struct tcp_ep *ep, struct ns_pkt *pkt)
{
	const uint8_t *q = ns_pkt_peek(pkt, 0, 8);
	uint32_t seq;

	if (!q)
		return false;
	seq = tcp_get_seq(q);
	if (ep->state == TCP_SYN_SENT)
		return seq == ep->iss;
	return seq_ge(seq, ep->snd_una) && seq_lt(seq, ep->snd_max);
}

static ns_err tcp_ctrl_err(enum ns_ctrl ctrl)
{
	switch (ctrl) {
	case NS_CTRL_PORT_UNREACHABLE:
	case NS_CTRL_PROTO_UNREACHABLE:
		return NS_ERR_CONNECTION_REFUSED;
	case NS_CTRL_NET_UNREACHABLE:
		return NS_ERR_NETWORK_UNREACHABLE;
	case NS_CTRL_HOST_UNREACHABLE:
	case NS_CTRL_ADMIN_PROHIBITED:
		return NS_ERR_HOST_UNREACHABLE;
	default:
		return NS_OK;
	}
}

/* Path MTU discovery (RFC 1191, RFC 8201): lower the MSS and resend what no longer fits. */
static void tcp_mtu_reduced(struct tcp_ep *ep, uint32_t mtu)
{
	/* Floors, so a forged tiny MTU cannot shred the connection: IPv4 Linux's
	 * ip_rt_min_pmtu (552); IPv6 the minimum link MTU, 1280 (RFC 8200 5, RFC 8201 4:
	 * a smaller Packet Too Big MTU is not acted on below it). */
	uint32_t floor = ep->tep.family == NS_AF_INET6 ? 1280 : 552;

	if (mtu < floor)
		mtu = floor;
	if (!ep->have_route || mtu >= ep->route.mtu)
		return;
	ep->route.mtu = mtu;
	tcp_update_mss(ep);
	if (ep->snd_una != ep->snd_max)
		tcp_retransmit_head(ep);
}

static void tcp_tep_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	struct tcp_ep *ep = tcp_container_of(t, struct tcp_ep, tep);
	ns_err err = tcp_ctrl_err(ctrl);

	if (ep->state == TCP_LISTEN || !tcp_quote_in_flight(ep, pkt))
		return;
	tcp_ep_enter(ep);
	if (ctrl == NS_CTRL_PACKET_TOO_BIG) {
		tcp_mtu_reduced(ep, info);
	} else if (err != NS_OK && ep->state == TCP_SYN_SENT) {
		/* As Linux: an unreachable during the handshake ends connect(). Once
		 * synchronized, errors are soft (RFC 1122 4.2.3.9: no abort). */
		tcp_ep_abort(ep, err, false, "SYN_SENT: ICMP destination unreachable");
	}
	tcp_ep_leave(ep);
}

/* ns_deliver_control() asks first: path MTU discovery believes an ICMP error only about a
 * segment in flight (RFC 5927 4.1). */
static bool tcp_tep_quote_ok(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct tcp_ep *ep = tcp_container_of(t, struct tcp_ep, tep);

	return ep->state != TCP_LISTEN && tcp_quote_in_flight(ep, pkt);
}

const struct ns_tep_ops tcp_tep_ops = {
    .deliver = tcp_tep_deliver,
    .control = tcp_tep_control,
    .quote_ok = tcp_tep_quote_ok,
};
