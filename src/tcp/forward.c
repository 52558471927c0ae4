/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the TCP forwarder (the seed's tcp.Forwarder), the application's
 * say over SYNs that no endpoint and no listener takes (include/netstack/tcp.h).
 *
 * handle_unknown (proto.c) offers such a SYN here first (tcp_fwd_offer()), and so does a
 * TIME_WAIT connection that a new SYN reuses (RFC 6191) when no listener takes it, with
 * the ISS the new incarnation must start from. A request is a
 * small struct holding the SYN's header (sequence number, window, options) and its
 * 4-tuple; it is registered in the demuxer under that exact 4-tuple, so while the
 * application thinks, the peer's retransmitted SYNs (and anything else on the 4-tuple)
 * reach the request, which drops and counts them, instead of being offered again or
 * answered with a RST. The number pending is bounded (max_in_flight): beyond it SYNs are
 * dropped, and the peer's SYN retransmission is the retry, as gVisor's forwarder does.
 *
 * Accepting unregisters the request and puts a connection in its place: a new endpoint
 * with the request's 4-tuple takes the SYN exactly as a listener's child would
 * (tcp_passive_open(): options negotiated, SYN-ACK sent and retransmitted) but belongs to
 * the application from the start, like a connecting endpoint: NS_EV_OUT says the
 * handshake completed, an error (RST, retries exhausted) comes through NS_SO_ERROR.
 * Refusing sends <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 3.10.7.1), as a
 * closed port would have. Either way the request is freed.
 *
 * The function the application installs runs inside the input path; it may answer at
 * once or keep the request for later (from its own loop). Requests left when the stack is
 * freed die with it (tcp_fwd_fini()).
 */
#include "tcp/tcp.h"

#include <stdlib.h>
#include <string.h>

#include "netstack/tcp.h"

struct ns_tcp_fwd_req {
	struct ns_tep tep; /* the 4-tuple, held in the demuxer while pending */
	struct tcp_stack *ts;
	struct ns_tcp_fwd_req *next, *prev; /* ts->fwd_reqs */
	struct tcp_repr syn;                /* the SYN's header and options */
	uint32_t seglen;                    /* SEG.LEN of the SYN (SYN flag + payload) */
	uint32_t nic;                       /* where it came in */
	uint32_t iss;                       /* the ISS to use (RFC 6191 reuse), 0: RFC 6528 */
};

/* Anything for a 4-tuple whose request is pending: dropped. */
static void fwd_tep_deliver(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct ns_tcp_fwd_req *r = tcp_container_of(t, struct ns_tcp_fwd_req, tep);

	ns_drop(r->ts->s, pkt, NS_DROP_TCP_FWD_PENDING);
}

static void fwd_tep_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	(void)t;
	(void)ctrl;
	(void)info;
	(void)pkt;
}

/* We have sent nothing on this 4-tuple yet, so no ICMP error can be about a segment of
 * ours (RFC 5927 4.1): refusing the quote keeps a forged "fragmentation needed" from
 * lowering the path MTU to the peer (ns_deliver_control() then reports it as no one's). */
static bool fwd_tep_quote_ok(struct ns_tep *t, struct ns_pkt *pkt)
{
	(void)t;
	(void)pkt;
	return false;
}

static const struct ns_tep_ops fwd_tep_ops = {
    .deliver = fwd_tep_deliver,
    .control = fwd_tep_control,
    .quote_ok = fwd_tep_quote_ok,
};

static void fwd_free(struct ns_tcp_fwd_req *r)
{
	struct tcp_stack *ts = r->ts;

	if (r->tep.registered)
		ns_demux_unregister(ts->s, &r->tep);
	if (r->prev)
		r->prev->next = r->next;
	else
		ts->fwd_reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	ts->fwd_pending--;
	free(r);
}

bool tcp_fwd_offer(struct tcp_stack *ts, const struct tcp_seg *g, uint32_t iss_hint)
{
	const struct ns_pkt *pkt = g->pkt;
	struct ns_tcp_fwd_req *r;
	struct ns_tcp_fwd_id id;

	if (!ts->fwd_fn || (g->h.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return false;
	if (ts->fwd_pending >= ts->fwd_max) {
		ns_drop(ts->s, NULL, NS_DROP_TCP_FWD_FULL);
		return true;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ns_drop(ts->s, NULL, NS_DROP_NO_MEMORY);
		return true;
	}
	r->ts = ts;
	r->syn = g->h;
	r->seglen = tcp_seg_seqlen(g);
	r->nic = pkt->nic;
	r->iss = iss_hint;
	r->tep.ops = &fwd_tep_ops;
	r->tep.transproto = NS_IPPROTO_TCP;
	r->tep.family = pkt->dst.family;
	r->tep.id.local = pkt->dst;
	r->tep.id.lport = g->h.dst_port;
	r->tep.id.remote = pkt->src;
	r->tep.id.rport = g->h.src_port;
	if (ns_demux_register(ts->s, &r->tep) != NS_OK) {
		free(r);
		ns_drop(ts->s, NULL, NS_DROP_NO_MEMORY);
		return true;
	}
	r->next = ts->fwd_reqs;
	if (r->next)
		r->next->prev = r;
	ts->fwd_reqs = r;
	ts->fwd_pending++;
	ns_stat_inc(ts->s, NS_STAT_TCP_FWD_REQUESTS);
	ns_tcp_fwd_get_id(r, &id);
	ts->fwd_fn(ts->fwd_ctx, r, &id);
	return true;
}

void tcp_fwd_fini(struct tcp_stack *ts)
{
	while (ts->fwd_reqs)
		fwd_free(ts->fwd_reqs);
}

ns_err ns_tcp_forwarder_set(struct ns_stack *s, ns_tcp_forwarder_fn fn, void *ctx,
                            uint32_t max_in_flight)
{
	struct tcp_stack *ts = s ? tcp_stack_of(s) : NULL;

	if (!ts)
		return NS_ERR_UNKNOWN_PROTOCOL;
	if (fn && (max_in_flight < 1 || max_in_flight > 65536))
		return NS_ERR_INVALID_ARGUMENT;
	ts->fwd_fn = fn;
	ts->fwd_ctx = ctx;
	ts->fwd_max = fn ? max_in_flight : 0;
	return NS_OK;
}

void ns_tcp_fwd_get_id(const struct ns_tcp_fwd_req *r, struct ns_tcp_fwd_id *id)
{
	memset(id, 0, sizeof(*id));
	id->local.addr = r->tep.id.local;
	id->local.port = r->tep.id.lport;
	id->local.nic = r->nic;
	id->remote.addr = r->tep.id.remote;
	id->remote.port = r->tep.id.rport;
	id->remote.nic = r->nic;
}

ns_err ns_tcp_fwd_accept(struct ns_tcp_fwd_req *r, struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct tcp_stack *ts = r->ts;
	struct tcp_ep *c;
	ns_err err;

	c = tcp_ep_alloc(ts, r->tep.family);
	if (!c)
		return NS_ERR_NO_MEMORY;
	c->tep.id = r->tep.id;
	err = ns_route_find(ts->s, r->nic, &c->tep.id.local, &c->tep.id.remote, &c->route);
	if (err != NS_OK) {
		tcp_ep_destroy(c);
		return err;
	}
	c->have_route = true;
	/* The connection takes the 4-tuple over from the request. */
	ns_demux_unregister(ts->s, &r->tep);
	err = tcp_ep_register(c);
	if (err != NS_OK) {
		tcp_ep_destroy(c);
		if (ns_demux_register(ts->s, &r->tep) != NS_OK)
			r->tep.registered = false;
		return err;
	}
	c->ep.wq = wq;
	c->flags |= TCP_F_APP;
	tcp_ep_enter(c);
	tcp_passive_open(c, &r->syn, r->iss, "forwarder: SYN accepted, SYN-ACK sent");
	tcp_ep_leave(c);
	ns_stat_inc(ts->s, NS_STAT_TCP_FWD_ACCEPTED);
	fwd_free(r);
	*out = &c->ep;
	return NS_OK;
}

void ns_tcp_fwd_refuse(struct ns_tcp_fwd_req *r, bool send_rst)
{
	struct tcp_stack *ts = r->ts;

	ns_stat_inc(ts->s, NS_STAT_TCP_FWD_REFUSED);
	if (send_rst)
		tcp_send_rst_to(ts, r->nic, &r->tep.id, 0, r->syn.seq + r->seglen,
		                TCP_RST | TCP_ACK);
	fwd_free(r);
}
