/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: TCP endpoints, their lifetime, their buffers, and the state machine's
 * one door, tcp_set_state().
 *
 * Lifetime. An endpoint is referenced by the application (TCP_F_APP, from ns_ep_new() or
 * accept() until close()), by its listener (a child not yet accepted: ep->listener), and by
 * whatever is running on it right now (ep->busy: every entry point, packet, timer or API
 * call, is bracketed by tcp_ep_enter()/tcp_ep_leave()). It is freed when it is CLOSED and
 * none of these hold it, in tcp_ep_leave(), never in the middle of processing. After close()
 * an endpoint may live on (FIN exchange, TIME_WAIT) with nobody to notify.
 *
 * Deferred effects. Input, timers and API calls only set flags and pending events;
 * tcp_ep_leave() then runs the send policy (tcp_output), sends an owed ACK or arms the
 * delayed-ACK timer, notifies the waiter queue (once, with every event gathered), and frees
 * a finished orphan. Waiter callbacks may therefore call back into the endpoint safely.
 *
 * Buffers. Send: a ring of SO_SNDBUF bytes whose byte 0 is snd_una; write() copies in once,
 * tcp_xmit() copies each segment out once. Receive: a ring of SO_RCVBUF bytes, in-order
 * bytes from the head, out-of-order bytes at their offset beyond (input.c); read() copies
 * out once. Both are allocated on first use, so an idle or listening endpoint holds none.
 *
 * The accept queue: children move from the listener's SYN queue to its accept queue when
 * their handshake completes, bounded by the backlog; accept() hands one to the application
 * with the waiter queue it supplies. Closing a listener resets its queued children.
 *
 * Limits: close() never blocks; SO_LINGER with a timeout bounds how long the FIN may go
 * unacknowledged before the connection is reset, and SO_LINGER 0 resets at once.
 */
#include "tcp/tcp.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
#define TCP_STATE_NAME_(n) #n,
    TCP_STATE_MAP(TCP_STATE_NAME_)
#undef TCP_STATE_NAME_
};

const char *tcp_state_name(enum tcp_state st)
{
	return (unsigned)st < TCP_STATE_COUNT ? state_names[st] : "?";
}

static uint64_t now_ns(const struct tcp_ep *ep)
{
	return ns_stack_now(ep->ep.stack);
}

/* ---------------------------------------------------------------- rings */

bool tcp_ring_reserve(struct tcp_ring *r)
{
	if (r->buf)
		return true;
	r->buf = malloc(r->limit);
	if (!r->buf)
		return false;
	r->cap = r->limit;
	r->head = 0;
	return true;
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	if (!n)
		return; /* a zero-length read may have no buffer (memcpy's pointers must not
		         * be NULL even then) */
	uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(dst, r->buf + pos, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
	if (!n)
		return; /* as tcp_ring_copy_out() */
	uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(r->buf + pos, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

void tcp_ring_drop(struct tcp_ring *r, uint32_t n)
{
	if (!n)
		return;
	r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
	r->len -= n;
}

bool tcp_ring_grow(struct tcp_ring *r, uint32_t cap)
{
	uint8_t *b;

	if (!r->buf) {
		r->limit = cap;
		return true;
	}
	b = malloc(cap);
	if (!b)
		return false;
	/* Everything from the head, in order: unread bytes and, beyond them, out-of-order
	 * bytes at their offsets. */
	tcp_ring_copy_out(r, 0, b, r->cap);
	free(r->buf);
	r->buf = b;
	r->head = 0;
	r->cap = r->limit = cap;
	return true;
}

static uint32_t ring_space(const struct tcp_ring *r)
{
	uint32_t cap = r->buf ? r->cap : r->limit;

	return cap > r->len ? cap - r->len : 0;
}

void tcp_ring_apply_limit(struct tcp_ring *r, bool may_realloc)
{
	if (r->buf && r->len == 0 && may_realloc && r->cap != r->limit)
		tcp_ring_free(r); /* the next use allocates r->limit bytes */
}

/* A new SO_*BUF size takes effect on the ring at once if it holds nothing, else when the
 * ring next empties (tcp_ring_apply_limit() after a read or an ACK); it never shrinks
 * below what it holds. */
static void ring_set_limit(struct tcp_ring *r, uint32_t limit, bool may_realloc)
{
	r->limit = limit;
	tcp_ring_apply_limit(r, may_realloc);
}

/* After the peer's FIN has been taken in TIME-WAIT no byte can arrive any more: an empty
 * receive ring is no longer needed. */
static void tcp_release_read_ring(struct tcp_ep *ep)
{
	if (ep->state == TCP_TIME_WAIT && ep->rcv.len == 0 && ep->nooo == 0)
		tcp_ring_free(&ep->rcv);
}

/* ---------------------------------------------------------------- receive-buffer tuning */

/*
 * Receive-buffer auto-tuning, as Linux's dynamic right-sizing (tcp_rcv_space_adjust(),
 * after Fisk and Feng's DRS): the window a receiver advertises caps the sender at one
 * window per RTT, so a fixed 128 KiB buffer caps a 50 ms path at 20 Mbit/s. Instead, once
 * per receiver RTT, the bytes the application consumed in that RTT are measured; if that
 * grew, the buffer becomes 2x it (losses need a spare RTT's worth) plus 16 segments, plus
 * twice the growth (a sender in slow start doubles each RTT, and this window is for the
 * next one), up to cfg.rcvbuf_max (tcp_rmem[2]) and what the window scale can express.
 * The buffer only grows, so the advertised right edge never moves left (RFC 9293 3.8.6).
 * An explicit SO_RCVBUF locks the size (Linux's SOCK_RCVBUF_LOCK).
 *
 * The receiver's RTT (Linux's rcv_rtt_est): with timestamps, the age of the TSecr on
 * incoming full-sized data (a sample per new echo, smoothed by 1/8); without, the time it
 * takes for one advertised window of data to arrive (its minimum: it is never below the
 * RTT). Until a sample exists the sender-side SRTT stands in.
 */
void tcp_rcv_rtt_measure(struct tcp_ep *ep, const struct tcp_seg *g)
{
	uint64_t now = now_ns(ep);

	if ((ep->flags & TCP_F_TS) && g->h.has_ts && g->h.tsecr) {
		uint32_t ms;

		if (g->h.tsecr == ep->rcv_rtt_tsecr || g->len < ep->rcv_mss)
			return;
		ep->rcv_rtt_tsecr = g->h.tsecr;
		ms = tcp_ts_now(ep) - g->h.tsecr;
		if (ms == 0 || ms >= 0x7fffffffu)
			return;
		if (!ep->rcv_rtt)
			ep->rcv_rtt = (uint64_t)ms * NS_MSEC;
		else
			ep->rcv_rtt = ep->rcv_rtt - ep->rcv_rtt / 8 + (uint64_t)ms * NS_MSEC / 8;
		return;
	}
	if (ep->rcv_rtt_time) {
		uint64_t d;

		if (seq_lt(ep->rcv_nxt, ep->rcv_rtt_seq))
			return;
		d = now > ep->rcv_rtt_time ? now - ep->rcv_rtt_time : 1;
		if (!ep->rcv_rtt || d < ep->rcv_rtt)
			ep->rcv_rtt = d;
	}
	ep->rcv_rtt_seq =
	    ep->rcv_nxt + (seq_gt(ep->rcv_adv, ep->rcv_nxt) ? ep->rcv_adv - ep->rcv_nxt : 0);
	ep->rcv_rtt_time = now;
}

void tcp_rcv_space_adjust(struct tcp_ep *ep)
{
	const struct tcp_config *c = &ep->ts->cfg;
	uint64_t now = now_ns(ep), rtt = ep->rcv_rtt, copied;

	if (!rtt && (ep->flags & TCP_F_RTT_VALID))
		rtt = ep->srtt;
	if (!rtt || now - ep->rcvq_time < rtt)
		return;
	copied = ep->bytes_read - ep->rcvq_seq;
	if (copied > ep->rcvq_space) {
		if (c->moderate_rcvbuf && !ep->rcvbuf_locked) {
			uint64_t space = ep->rcvq_space ? ep->rcvq_space : 1;
			uint64_t win = 2 * copied + 16ull * tcp_adv_mss(ep);
			uint64_t max = (uint64_t)65535 << ep->rcv_wscale;

			/* Linux: rcvwin += 2 * rcvwin * (copied - space) / space. */
			win += 2 * (win * (copied - space) / space);
			if (max > c->rcvbuf_max)
				max = c->rcvbuf_max;
			if (win > max)
				win = max;
			if (win > ep->rcv.limit && tcp_ring_grow(&ep->rcv, (uint32_t)win))
				ns_stat_inc(ep->ep.stack, NS_STAT_TCP_RCVBUF_GROWN);
		}
		ep->rcvq_space = copied > UINT32_MAX ? UINT32_MAX : (uint32_t)copied;
	}
	ep->rcvq_seq = ep->bytes_read;
	ep->rcvq_time = now;
}

/* ---------------------------------------------------------------- lifetime */

static uint8_t tcp_wscale_default(const struct tcp_config *c)
{
	uint8_t ws = 0;

	while (ws < TCP_MAX_WSCALE && (c->rcvbuf_max >> ws) > 65535)
		ws++;
	return ws;
}

struct tcp_ep *tcp_ep_alloc(struct tcp_stack *ts, uint8_t family)
{
	const struct tcp_config *c = &ts->cfg;
	struct tcp_ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->ep.ops = &tcp_ep_ops;
	ep->ep.stack = ts->s;
	ep->tep.ops = &tcp_tep_ops;
	ep->tep.transproto = NS_IPPROTO_TCP;
	ep->tep.family = family;
	ep->tep.id.local.family = family;
	ep->tep.id.remote.family = family;
	ep->port_addr.family = family;
	ep->ts = ts;
	ep->state = TCP_CLOSED;
	ep->snd.limit = c->sndbuf;
	ep->rcv.limit = c->rcvbuf;
	ep->rcv_wscale = tcp_wscale_default(c);
	ep->rto = c->rto_initial_ns;
	ep->peer_mss = 536;
	ep->mss = 536;
	ep->rcv_mss = 536; /* as Linux's initial estimate (TCP_MSS_DEFAULT) */
	ep->keepidle_ns = c->keepidle_ns;
	ep->keepintvl_ns = c->keepintvl_ns;
	ep->keepcnt = c->keepcnt;
	ep->linger_s = -1;
	ep->cc = &tcp_cc_cubic;
	tcp_timers_init(ep);
	ep->all_next = ts->all;
	if (ts->all)
		ts->all->all_prev = ep;
	ts->all = ep;
	ts->nall++;
	ns_ep_live_add(ts->s, 1);
	return ep;
}

/* Take @c off its listener's SYN or accept queue: O(1), both are doubly linked. */
static void tcp_listen_unlink(struct tcp_ep *c)
{
	struct tcp_ep *l = c->listener;

	if (!l)
		return;
	if (c->q_in == TCP_Q_SYN) {
		if (c->q_prev)
			c->q_prev->q_next = c->q_next;
		else
			l->synq = c->q_next;
		if (c->q_next)
			c->q_next->q_prev = c->q_prev;
		l->synq_len--;
	} else if (c->q_in == TCP_Q_ACCEPT) {
		if (c->q_prev)
			c->q_prev->q_next = c->q_next;
		else
			l->acceptq = c->q_next;
		if (c->q_next)
			c->q_next->q_prev = c->q_prev;
		else
			l->acceptq_tail = c->q_prev;
		l->acceptq_len--;
	}
	c->listener = NULL;
	c->q_next = c->q_prev = NULL;
	c->q_in = TCP_Q_NONE;
}

void tcp_listen_add_child(struct tcp_ep *l, struct tcp_ep *c)
{
	c->listener = l;
	c->q_in = TCP_Q_SYN;
	c->q_prev = NULL;
	c->q_next = l->synq;
	if (l->synq)
		l->synq->q_prev = c;
	l->synq = c;
	l->synq_len++;
}

static void tcp_release_port(struct tcp_ep *ep)
{
	if (!(ep->flags & TCP_F_PORT))
		return;
	ns_ports_release(ep->ep.stack, NS_IPPROTO_TCP, &ep->port_addr, ep->tep.id.lport, ep);
	ep->flags &= ~(TCP_F_PORT | TCP_F_EPHEMERAL);
}

static void tcp_unregister(struct tcp_ep *ep)
{
	if (!(ep->flags & TCP_F_REGISTERED))
		return;
	ns_demux_unregister(ep->ep.stack, &ep->tep);
	ep->flags &= ~TCP_F_REGISTERED;
}

ns_err tcp_ep_register(struct tcp_ep *ep)
{
	ns_err err = ns_demux_register(ep->ep.stack, &ep->tep);

	if (err == NS_OK)
		ep->flags |= TCP_F_REGISTERED;
	return err;
}

void tcp_ep_destroy(struct tcp_ep *ep)
{
	struct tcp_stack *ts = ep->ts;

	if (ep->state == TCP_TIME_WAIT)
		ts->ntw--;
	tcp_timers_cancel(ep);
	tcp_unregister(ep);
	tcp_release_port(ep);
	tcp_listen_unlink(ep);
	tcp_ring_free(&ep->snd);
	tcp_ring_free(&ep->rcv);
	tcp_rack_free(ep);
	if (ep->all_prev)
		ep->all_prev->all_next = ep->all_next;
	else
		ts->all = ep->all_next;
	if (ep->all_next)
		ep->all_next->all_prev = ep->all_prev;
	ts->nall--;
	ns_ep_live_add(ts->s, -1);
	free(ep);
}

void tcp_notify(struct tcp_ep *ep, uint32_t events)
{
	ep->pending_ev |= events;
}

void tcp_ep_enter(struct tcp_ep *ep)
{
	ep->busy++;
}

static void tcp_flush_events(struct tcp_ep *ep)
{
	uint32_t ev = ep->pending_ev;

	ep->pending_ev = 0;
	if (ev && ep->ep.wq)
		ns_waiter_notify(ep->ep.wq, ev);
}

void tcp_ep_leave(struct tcp_ep *ep)
{
	struct tcp_ep *l = ep->listener;

	if (ep->state != TCP_CLOSED && ep->state != TCP_LISTEN) {
		tcp_output(ep);
		if (ep->flags & TCP_F_ACK_NOW)
			tcp_send_ack(ep);
		else if (ep->flags & TCP_F_ACK_DELAYED)
			tcp_delack_arm(ep);
	}
	tcp_flush_events(ep);
	if (l)
		tcp_flush_events(l);
	if (--ep->busy == 0 && ep->state == TCP_CLOSED && !(ep->flags & TCP_F_APP) && !ep->listener)
		tcp_ep_destroy(ep);
}

void tcp_ep_abort(struct tcp_ep *ep, ns_err err, bool send_rst, const char *reason)
{
	if (send_rst && tcp_state_synchronized(ep->state))
		tcp_send_rst(ep);
	ep->so_error = err;
	ep->flags |= TCP_F_RESET;
	tcp_set_state(ep, TCP_CLOSED, reason);
}

/* ---------------------------------------------------------------- the state machine */

static void tcp_listen_stop(struct tcp_ep *l);

/* Entry actions of each state. */
static void tcp_enter_state(struct tcp_ep *ep, enum tcp_state from)
{
	switch (ep->state) {
	case TCP_CLOSED:
		tcp_timers_cancel(ep);
		tcp_unregister(ep);
		if (ep->flags & TCP_F_EPHEMERAL)
			tcp_release_port(ep);
		if (from == TCP_LISTEN)
			tcp_listen_stop(ep);
		tcp_listen_unlink(ep);
		ep->pending_ev |= NS_EV_IN | NS_EV_OUT | NS_EV_HUP;
		if (ep->so_error != NS_OK)
			ep->pending_ev |= NS_EV_ERR;
		break;
	case TCP_ESTABLISHED: {
		uint32_t q = (ep->rcv.limit < 65535 ? ep->rcv.limit : 65535) / (2u * ep->rcv_mss);

		/* Quick ACKs at connection start, as Linux's tcp_incr_quickack() on the first
		 * data: the first segments are ACKed at once (up to 16, and no more than half
		 * the window in segments), so the peer's slow start is not held back by
		 * delayed ACKs (RFC 5681 4.2 allows it). */
		ep->quickack = (uint8_t)(q < TCP_QUICKACK_START ? q : TCP_QUICKACK_START);
		/* Auto-tuning's first baseline (Linux's tcp_init_buffer_space()): what an
		 * initial window of segments would bring. */
		ep->rcvq_space = ep->ts->cfg.init_cwnd_segs * (uint32_t)tcp_adv_mss(ep);
		if (ep->rcvq_space > ep->rcv.limit)
			ep->rcvq_space = ep->rcv.limit;
		ep->rcvq_seq = ep->bytes_read;
		ep->rcvq_time = now_ns(ep);
		tcp_cc_init(ep);
		ep->una_since = now_ns(ep);
		ep->last_rcv = now_ns(ep);
		tcp_keepalive_reset(ep);
		ep->pending_ev |= NS_EV_OUT;
		break;
	}
	case TCP_CLOSE_WAIT:
		ep->pending_ev |= NS_EV_IN | NS_EV_RDHUP;
		break;
	case TCP_FIN_WAIT_2:
		ns_timer_cancel(ep->ep.stack, &ep->keep_timer);
		if (!(ep->flags & TCP_F_APP))
			tcp_fin_wait_2_arm(ep);
		break;
	case TCP_TIME_WAIT:
		/* A bounded table (Linux's tcp_max_tw_buckets): past it the connection closes
		 * at once, after the ACK it owes (of the peer's FIN), as Linux's tcp_time_wait()
		 * without a bucket. The peer's retransmitted FIN would then draw a RST. */
		if (++ep->ts->ntw > ep->ts->cfg.max_tw) {
			ns_stat_inc(ep->ep.stack, NS_STAT_TCP_TW_OVERFLOW);
			if (ep->flags & TCP_F_ACK_NOW)
				tcp_send_ack(ep);
			tcp_set_state(ep, TCP_CLOSED, "TIME_WAIT table full: closed at once");
			break;
		}
		/* Nothing left to send: only the 2*MSL timer runs (and ACKs of FINs). */
		tcp_rtx_stop(ep);
		ns_timer_cancel(ep->ep.stack, &ep->delack_timer);
		tcp_timewait_arm(ep);
		/* RFC 9293 3.10.7.4: in TIME-WAIT only a retransmitted FIN is answered, so the
		 * buffers go back now, not after 2*MSL: our FIN is acknowledged (the send ring is
		 * empty), RACK has nothing in flight, and the receive ring follows once the
		 * application has read what is left (tcp_release_read_ring). A server's
		 * TIME-WAITs then cost the endpoint struct alone. */
		if (ep->snd.len == 0)
			tcp_ring_free(&ep->snd);
		tcp_rack_free(ep);
		tcp_release_read_ring(ep);
		ep->pending_ev |= NS_EV_IN | NS_EV_HUP;
		break;
	case TCP_FIN_WAIT_1:
	case TCP_LAST_ACK:
		ns_timer_cancel(ep->ep.stack, &ep->keep_timer);
		if (ep->close_deadline)
			tcp_linger_arm(ep);
		break;
	default:
		break;
	}
}

void tcp_set_state(struct tcp_ep *ep, enum tcp_state to, const char *reason)
{
	enum tcp_state from = ep->state;

	if (from == to)
		return;
	if (from == TCP_TIME_WAIT)
		ep->ts->ntw--;
	ep->state = to;
	if (ep->ts->trace)
		ep->ts->trace(ep->ts->trace_ctx, ep, from, to, reason);
	tcp_enter_state(ep, from);
}

/* ---------------------------------------------------------------- listening */

bool tcp_listen_child_established(struct tcp_ep *c)
{
	struct tcp_ep *l = c->listener;

	if (l->acceptq_len >= l->backlog)
		return false;
	tcp_listen_unlink(c);
	c->listener = l;
	c->q_in = TCP_Q_ACCEPT;
	c->q_next = NULL;
	c->q_prev = l->acceptq_tail;
	if (l->acceptq_tail)
		l->acceptq_tail->q_next = c;
	else
		l->acceptq = c;
	l->acceptq_tail = c;
	l->acceptq_len++;
	l->pending_ev |= NS_EV_IN;
	return true;
}

/* Drop every child: half-open ones silently, established ones with a RST (as Linux's
 * inet_csk_listen_stop: the peer believes it is connected). */
static void tcp_listen_stop(struct tcp_ep *l)
{
	struct tcp_ep *c;

	while ((c = l->synq) || (c = l->acceptq)) {
		bool established = c->state != TCP_SYN_RCVD;

		tcp_listen_unlink(c);
		tcp_ep_enter(c);
		if (established)
			tcp_ep_abort(c, NS_ERR_CONNECTION_ABORTED, true,
			             "listener closed before accept()");
		else
			tcp_set_state(c, TCP_CLOSED,
			              "listener closed: half-open connection dropped");
		tcp_ep_leave(c);
	}
}

/* ---------------------------------------------------------------- ns_ep_ops */

/* The family the application uses: IPv6 for an IPv6 endpoint that is IPv4 inside. */
static uint8_t tcp_api_family(const struct tcp_ep *ep)
{
	return ep->v4mapped ? NS_AF_INET6 : ep->tep.family;
}

static bool tcp_addr_ok(const struct tcp_ep *ep, const struct ns_sockaddr *a)
{
	return a->addr.family == tcp_api_family(ep);
}

/* RFC 4291 2.5.5.2: ::ffff:a.b.c.d names an IPv4 address on an IPv6 endpoint. */
static bool tcp_is_v4mapped(const struct ns_addr *a)
{
	static const uint8_t pfx[12] = {[10] = 0xff, [11] = 0xff};

	return a->family == NS_AF_INET6 && memcmp(a->a, pfx, 12) == 0;
}

/* An address as the application sees it. */
static struct ns_addr tcp_api_addr(const struct tcp_ep *ep, const struct ns_addr *a)
{
	struct ns_addr m = {.family = NS_AF_INET6, .a = {[10] = 0xff, [11] = 0xff}};

	if (!ep->v4mapped || a->family != NS_AF_INET)
		return *a;
	memcpy(m.a + 12, a->a, 4);
	return m;
}

/* An IPv6 endpoint becomes IPv4 inside, for a v4-mapped address (Linux's dual-stack
 * sockets). False with IPV6_V6ONLY, or when it is bound to an IPv6 address already. */
static bool tcp_go_v4(struct tcp_ep *ep)
{
	if (ep->v6only || ((ep->flags & TCP_F_PORT) && ep->tep.family == NS_AF_INET6 &&
	                   !ns_addr_is_any(&ep->tep.id.local)))
		return false;
	if (ep->tep.family == NS_AF_INET6) {
		ep->tep.family = NS_AF_INET;
		memset(&ep->tep.id.local, 0, sizeof(ep->tep.id.local));
		ep->tep.id.local.family = NS_AF_INET;
		memset(&ep->tep.id.remote, 0, sizeof(ep->tep.id.remote));
		ep->tep.id.remote.family = NS_AF_INET;
		ep->tep.flags &= (uint8_t)~NS_TEP_V4MAPPED;
		ep->v4mapped = true;
	}
	return true;
}

static ns_err tcp_bind(struct ns_ep *nep, const struct ns_sockaddr *a)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	struct ns_stack *s = nep->stack;
	struct ns_addr any = {.family = ep->tep.family};
	struct ns_addr laddr, res;
	unsigned rflags = 0;
	uint16_t port = a->port;
	bool dual;
	ns_err err;

	if (ep->state != TCP_CLOSED || (ep->flags & TCP_F_PORT))
		return NS_ERR_ALREADY_BOUND;
	if (!tcp_addr_ok(ep, a))
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	laddr = a->addr;
	if (tcp_is_v4mapped(&laddr)) {
		if (!tcp_go_v4(ep))
			return NS_ERR_INVALID_ARGUMENT; /* Linux: EINVAL with IPV6_V6ONLY */
		laddr = ns_addr_v4_from_bytes(a->addr.a + 12);
		any.family = NS_AF_INET;
	}
	if (!ns_addr_is_any(&laddr) && !ns_stack_find_local(s, &laddr)) {
		struct ns_nic *nic = a->nic ? ns_nic_find(s, a->nic) : NULL;

		if (!nic || !(ns_nic_owns_addr(s, nic, &laddr) || ns_nic_spoofing(nic)))
			return NS_ERR_BAD_LOCAL_ADDRESS;
	}
	/* A dual-stack endpoint on :: holds the port for both families. */
	dual = ep->tep.family == NS_AF_INET6 && !ep->v6only && ns_addr_is_any(&laddr);
	res = laddr;
	if (dual)
		memset(&res, 0, sizeof(res)); /* the port table's "any family" */
	if (ep->flags & TCP_F_REUSEADDR)
		rflags |= NS_TEP_REUSEADDR;
	if (ep->flags & TCP_F_REUSEPORT)
		rflags |= NS_TEP_REUSEPORT;
	if (port)
		err = ns_ports_reserve(s, NS_IPPROTO_TCP, &res, port, rflags, ep);
	else
		err = ns_ports_pick_ephemeral(s, NS_IPPROTO_TCP, &res, &any, 0, rflags, ep, &port);
	if (err != NS_OK)
		return err;
	ep->flags |= TCP_F_PORT;
	ep->port_addr = res;
	ep->tep.id.local = laddr;
	ep->tep.id.lport = port;
	ep->tep.flags = (uint8_t)(rflags | (dual ? NS_TEP_V4MAPPED : 0u));
	if (a->nic)
		ep->tep.nic = a->nic;
	return NS_OK;
}

static ns_err tcp_listen(struct ns_ep *nep, int backlog)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	struct ns_sockaddr any = {.addr = {.family = ep->tep.family}};
	ns_err err;

	/* As Linux: at least one, at most somaxconn (4096). */
	if (backlog < 1)
		backlog = 1;
	if (backlog > 4096)
		backlog = 4096;
	if (ep->state == TCP_LISTEN) {
		ep->backlog = (uint32_t)backlog;
		return NS_OK;
	}
	if (ep->state != TCP_CLOSED)
		return NS_ERR_INVALID_ENDPOINT_STATE;
	if (!(ep->flags & TCP_F_PORT)) {
		err = tcp_bind(nep, &any); /* autobind, as Linux */
		if (err != NS_OK)
			return err;
	}
	ep->backlog = (uint32_t)backlog;
	memset(&ep->tep.id.remote, 0, sizeof(ep->tep.id.remote));
	ep->tep.id.remote.family = ep->tep.family;
	ep->tep.id.rport = 0;
	err = tcp_ep_register(ep);
	if (err != NS_OK)
		return err;
	ep->flags &= ~TCP_F_RESET;
	ep->so_error = NS_OK;
	tcp_set_state(ep, TCP_LISTEN, "listen()");
	return NS_OK;
}

static ns_err tcp_accept(struct ns_ep *nep, struct ns_waiter_queue *wq, struct ns_ep **out,
                         struct ns_sockaddr *peer)
{
	struct tcp_ep *l = tcp_ep_of(nep), *c = l->acceptq;

	if (l->state != TCP_LISTEN)
		return NS_ERR_INVALID_ENDPOINT_STATE;
	if (!c)
		return NS_ERR_WOULD_BLOCK;
	tcp_listen_unlink(c);
	c->ep.wq = wq;
	c->flags |= TCP_F_APP;
	if (peer) {
		peer->addr = tcp_api_addr(c, &c->tep.id.remote);
		peer->port = c->tep.id.rport;
		peer->nic = c->route.nic;
	}
	*out = &c->ep;
	return NS_OK;
}

/* connect() on an endpoint that is already connecting or connected. */
static ns_err tcp_connect_again(struct tcp_ep *ep)
{
	switch (ep->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		return NS_ERR_ALREADY_CONNECTING;
	case TCP_LISTEN:
		return NS_ERR_INVALID_ENDPOINT_STATE;
	default:
		/* As Linux: the first connect() after the non-blocking one completed reports
		 * success, later ones EISCONN. */
		if (ep->flags & TCP_F_CONNECTING) {
			ep->flags &= ~TCP_F_CONNECTING;
			return NS_OK;
		}
		return NS_ERR_ALREADY_CONNECTED;
	}
}

static ns_err tcp_connect_prepare(struct tcp_ep *ep, const struct ns_sockaddr *a)
{
	struct ns_stack *s = ep->ep.stack;
	uint32_t nic = a->nic ? a->nic : ep->tep.nic;
	const struct ns_addr *local = NULL;
	ns_err err;

	if ((ep->flags & TCP_F_PORT) && !ns_addr_is_any(&ep->tep.id.local))
		local = &ep->tep.id.local;
	err = ns_route_find(s, nic, local, &a->addr, &ep->route);
	if (err != NS_OK)
		return err;
	ep->have_route = true;
	ep->tep.id.local = ep->route.local;
	ep->tep.id.remote = a->addr;
	ep->tep.id.rport = a->port;
	if (!(ep->flags & TCP_F_PORT)) {
		uint16_t port;
		unsigned rflags = (ep->flags & TCP_F_REUSEADDR) ? NS_TEP_REUSEADDR : 0;

		err = ns_ports_pick_ephemeral(s, NS_IPPROTO_TCP, &ep->route.local, &a->addr,
		                              a->port, rflags, ep, &port);
		if (err != NS_OK)
			return err;
		ep->flags |= TCP_F_PORT | TCP_F_EPHEMERAL;
		ep->port_addr = ep->route.local;
		ep->tep.id.lport = port;
	}
	err = tcp_ep_register(ep);
	if (err != NS_OK && (ep->flags & TCP_F_EPHEMERAL))
		tcp_release_port(ep);
	return err;
}

static ns_err tcp_connect(struct ns_ep *nep, const struct ns_sockaddr *a)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	ns_err err;

	if (ep->state != TCP_CLOSED)
		return tcp_connect_again(ep);
	if (ep->flags & TCP_F_CONNECTING) {
		/* The attempt failed: report why, once. */
		err = ep->so_error != NS_OK ? ep->so_error : NS_ERR_CONNECTION_REFUSED;
		ep->flags &= ~TCP_F_CONNECTING;
		ep->so_error = NS_OK;
		return err;
	}
	if (!tcp_addr_ok(ep, a))
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (a->port == 0 || ns_addr_is_any(&a->addr))
		return NS_ERR_INVALID_ARGUMENT;
	if (tcp_is_v4mapped(&a->addr)) {
		/* An IPv4 connection behind v4-mapped addresses (Linux: ENETUNREACH with
		 * IPV6_V6ONLY or from an IPv6 binding). */
		struct ns_sockaddr v4 = *a;

		if (!tcp_go_v4(ep))
			return NS_ERR_NETWORK_UNREACHABLE;
		v4.addr = ns_addr_v4_from_bytes(a->addr.a + 12);
		err = tcp_connect_prepare(ep, &v4);
	} else if (ep->v4mapped) {
		return NS_ERR_NETWORK_UNREACHABLE; /* bound to a v4-mapped address */
	} else {
		/* A connection is found by its 4-tuple, never as a dual-stack wildcard. */
		ep->tep.flags &= (uint8_t)~NS_TEP_V4MAPPED;
		err = tcp_connect_prepare(ep, a);
	}
	if (err != NS_OK)
		return err;
	tcp_ep_enter(ep);
	ep->flags &= ~(TCP_F_RESET | TCP_F_FIN_RCVD | TCP_F_FIN_QUEUED | TCP_F_FIN_SENT);
	ep->so_error = NS_OK;
	ep->iss = tcp_isn(ep->ts, &ep->tep.id);
	ep->ts_offset = tcp_ts_offset(ep->ts, &ep->tep.id);
	ep->snd_una = ep->snd_sml = ep->recover = ep->iss;
	ep->snd_nxt = ep->snd_max = ep->iss + 1;
	tcp_update_mss(ep);
	tcp_set_state(ep, TCP_SYN_SENT, "connect(): active open");
	tcp_send_syn(ep);
	ep->rtt_seq = ep->iss + 1;
	ep->rtt_start = now_ns(ep);
	ep->flags |= TCP_F_RTT_TIMING | TCP_F_CONNECTING;
	tcp_rtx_arm(ep);
	tcp_ep_leave(ep);
	return NS_ERR_CONNECT_STARTED;
}

/* Queue our FIN (RFC 9293 3.10.4 CLOSE): "enter FIN-WAIT-1" at once; it is sent after the
 * data already queued. */
static void tcp_queue_fin(struct tcp_ep *ep, const char *why)
{
	if (ep->flags & TCP_F_FIN_QUEUED)
		return;
	switch (ep->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		ep->flags |= TCP_F_FIN_QUEUED;
		tcp_set_state(ep, TCP_FIN_WAIT_1, why);
		break;
	case TCP_CLOSE_WAIT:
		ep->flags |= TCP_F_FIN_QUEUED;
		tcp_set_state(ep, TCP_LAST_ACK, why);
		break;
	default:
		break;
	}
}

static ns_err tcp_shutdown(struct ns_ep *nep, int how)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	ns_err err = NS_OK;

	tcp_ep_enter(ep);
	switch (ep->state) {
	case TCP_CLOSED:
		err = NS_ERR_NOT_CONNECTED;
		break;
	case TCP_LISTEN:
		/* As Linux: shutting a listener's read side stops it listening. */
		if (how & NS_SHUT_RD)
			tcp_set_state(ep, TCP_CLOSED, "shutdown() of a listener");
		break;
	case TCP_SYN_SENT:
		tcp_set_state(ep, TCP_CLOSED, "shutdown() during SYN_SENT");
		break;
	default:
		if (how & NS_SHUT_RD) {
			ep->flags |= TCP_F_SHUT_RD;
			ep->pending_ev |= NS_EV_IN;
		}
		if (how & NS_SHUT_WR)
			tcp_queue_fin(ep, "shutdown(SHUT_WR): FIN queued");
		break;
	}
	tcp_ep_leave(ep);
	return err;
}

static void tcp_close(struct ns_ep *nep)
{
	struct tcp_ep *ep = tcp_ep_of(nep);

	tcp_ep_enter(ep);
	ep->flags &= ~TCP_F_APP;
	ep->ep.wq = NULL;
	switch (ep->state) {
	case TCP_LISTEN:
		tcp_set_state(ep, TCP_CLOSED, "close() of a listener");
		break;
	case TCP_SYN_SENT:
		tcp_set_state(ep, TCP_CLOSED, "close() during SYN_SENT");
		break;
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		if (ep->rcv.len || ep->linger_s == 0) {
			/* RFC 9293 3.10.4 ABORT / RFC 2525 2.17: unread data would be lost
			 * silently; SO_LINGER 0 asks for an abortive close. Both reset. */
			tcp_ep_abort(ep, NS_ERR_ABORTED, true,
			             ep->linger_s == 0 ? "close() with SO_LINGER 0: RST"
			                               : "close() with unread data: RST");
			break;
		}
		if (ep->linger_s > 0)
			ep->close_deadline = now_ns(ep) + (uint64_t)ep->linger_s * NS_SEC;
		tcp_queue_fin(ep, "close(): FIN queued");
		if (ep->close_deadline && ep->state != TCP_TIME_WAIT)
			tcp_linger_arm(ep);
		break;
	case TCP_FIN_WAIT_2:
		tcp_fin_wait_2_arm(ep);
		break;
	default: /* CLOSED, TIME_WAIT: nothing to do */
		break;
	}
	tcp_ep_leave(ep);
}

static ns_err tcp_read_error(struct tcp_ep *ep)
{
	ns_err err;

	if (ep->so_error != NS_OK) {
		err = ep->so_error;
		ep->so_error = NS_OK;
		return err;
	}
	if ((ep->flags & (TCP_F_FIN_RCVD | TCP_F_SHUT_RD | TCP_F_RESET)))
		return NS_ERR_CLOSED_FOR_RECEIVE; /* end of stream: 0 bytes */
	switch (ep->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
		return NS_ERR_NOT_CONNECTED;
	default:
		return NS_ERR_WOULD_BLOCK;
	}
}

static ns_err tcp_read(struct ns_ep *nep, void *buf, size_t len, unsigned flags,
                       struct ns_read_result *res)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	uint32_t n;
	ns_err err = NS_OK;

	res->count = res->total = 0;
	tcp_ep_enter(ep);
	if (!ep->rcv.len || (ep->flags & TCP_F_SHUT_RD)) {
		err = tcp_read_error(ep);
		goto out;
	}
	n = len < ep->rcv.len ? (uint32_t)len : ep->rcv.len;
	tcp_ring_copy_out(&ep->rcv, 0, buf, n);
	if (!(flags & NS_MSG_PEEK)) {
		tcp_ring_drop(&ep->rcv, n);
		ep->bytes_read += n;
		if (tcp_state_synchronized(ep->state))
			tcp_rcv_space_adjust(ep);
		tcp_ring_apply_limit(&ep->rcv, ep->nooo == 0);
		tcp_release_read_ring(ep);
		/* The freed space may be worth a window update (RFC 9293 3.8.6.2.2). */
		if (tcp_state_synchronized(ep->state) && tcp_window_update_due(ep))
			ep->flags |= TCP_F_ACK_NOW;
	}
	res->count = res->total = n;
	res->from.addr = tcp_api_addr(ep, &ep->tep.id.remote);
	res->from.port = ep->tep.id.rport;
	res->from.nic = ep->route.nic;
out:
	tcp_ep_leave(ep);
	return err;
}

static ns_err tcp_write_state_error(struct tcp_ep *ep)
{
	switch (ep->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		return (ep->flags & TCP_F_FIN_QUEUED) ? NS_ERR_CLOSED_FOR_SEND : NS_OK;
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		return NS_ERR_WOULD_BLOCK; /* connect() in progress */
	case TCP_CLOSED:
		if (ep->so_error != NS_OK) {
			ns_err err = ep->so_error;

			ep->so_error = NS_OK;
			return err;
		}
		return (ep->flags & TCP_F_RESET) ? NS_ERR_CONNECTION_RESET : NS_ERR_NOT_CONNECTED;
	case TCP_LISTEN:
		return NS_ERR_NOT_CONNECTED;
	default:
		return NS_ERR_CLOSED_FOR_SEND;
	}
}

static ns_err tcp_write(struct ns_ep *nep, const void *buf, size_t len,
                        const struct ns_write_opts *opts, size_t *written)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	ns_err err;
	uint32_t n;

	tcp_ep_enter(ep);
	err = tcp_write_state_error(ep);
	if (err != NS_OK)
		goto out;
	n = ring_space(&ep->snd);
	if (len < n)
		n = (uint32_t)len;
	if (!n && len) {
		err = NS_ERR_WOULD_BLOCK; /* back-pressure: NS_EV_OUT says when */
		goto out;
	}
	if (!tcp_ring_reserve(&ep->snd)) {
		err = NS_ERR_NO_BUFFER_SPACE;
		goto out;
	}
	tcp_ring_copy_in(&ep->snd, ep->snd.len, buf, n);
	ep->snd.len += n;
	if (opts && (opts->flags & NS_MSG_MORE))
		ep->flags |= TCP_F_MORE;
	else
		ep->flags &= ~TCP_F_MORE;
	*written = n;
out:
	tcp_ep_leave(ep); /* sends */
	return err;
}

static bool tcp_writable(const struct tcp_ep *ep)
{
	uint32_t space = ring_space(&ep->snd);

	return (ep->state == TCP_ESTABLISHED || ep->state == TCP_CLOSE_WAIT) &&
	       !(ep->flags & TCP_F_FIN_QUEUED) && space > 0 && space >= ep->snd.len / 2;
}

static uint32_t tcp_readiness(struct ns_ep *nep, uint32_t mask)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	uint32_t ev = 0;

	if (ep->state == TCP_LISTEN)
		return (ep->acceptq_len ? NS_EV_IN : 0) & mask;
	if (ep->rcv.len || (ep->flags & (TCP_F_FIN_RCVD | TCP_F_SHUT_RD | TCP_F_RESET)))
		ev |= NS_EV_IN;
	if (ep->flags & TCP_F_FIN_RCVD)
		ev |= NS_EV_RDHUP;
	if (tcp_writable(ep))
		ev |= NS_EV_OUT;
	if (ep->so_error != NS_OK)
		ev |= NS_EV_ERR;
	/* As Linux's tcp_poll: HUP once closed or shut down both ways. */
	if (ep->state == TCP_CLOSED ||
	    ((ep->flags & TCP_F_FIN_RCVD) && (ep->flags & TCP_F_FIN_QUEUED)))
		ev |= NS_EV_HUP;
	if (ep->state == TCP_CLOSED && !(ep->flags & TCP_F_CONNECTING))
		ev |= NS_EV_OUT;
	return ev & mask;
}

static ns_err tcp_set_opt(struct ns_ep *nep, enum ns_opt opt, int64_t v)
{
	struct tcp_ep *ep = tcp_ep_of(nep);
	const struct tcp_config *c = &ep->ts->cfg;
	ns_err err = NS_OK;

	tcp_ep_enter(ep);
	switch (opt) {
	case NS_TCP_NODELAY:
		ep->flags = v ? ep->flags | TCP_F_NODELAY : ep->flags & ~TCP_F_NODELAY;
		break;
	case NS_TCP_CORK:
		/* Uncorking sends what was held (tcp_ep_leave). */
		ep->flags = v ? ep->flags | TCP_F_CORK : ep->flags & ~TCP_F_CORK;
		break;
	case NS_SO_KEEPALIVE:
		ep->flags = v ? ep->flags | TCP_F_KEEPALIVE : ep->flags & ~TCP_F_KEEPALIVE;
		tcp_keepalive_reset(ep);
		break;
	case NS_TCP_KEEPIDLE:
	case NS_TCP_KEEPINTVL:
		if (v < 1 || v > 32767) {
			err = NS_ERR_INVALID_OPTION_VALUE;
			break;
		}
		if (opt == NS_TCP_KEEPIDLE)
			ep->keepidle_ns = (uint64_t)v * NS_SEC;
		else
			ep->keepintvl_ns = (uint64_t)v * NS_SEC;
		tcp_keepalive_reset(ep);
		break;
	case NS_TCP_KEEPCNT:
		if (v < 1 || v > 127)
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->keepcnt = (uint32_t)v;
		break;
	case NS_SO_RCVBUF:
	case NS_SO_SNDBUF: {
		uint32_t max = opt == NS_SO_RCVBUF ? c->rcvbuf_max : c->sndbuf_max;
		uint32_t b = v < 2048 ? 2048 : v > max ? max : (uint32_t)v;

		if (opt == NS_SO_RCVBUF) {
			ring_set_limit(&ep->rcv, b, ep->nooo == 0);
			ep->rcvbuf_locked = true; /* no auto-tuning from now on (as Linux) */
		} else
			ring_set_limit(&ep->snd, b, true);
		break;
	}
	case NS_SO_LINGER:
		ep->linger_s = v < 0 ? -1 : v > 3600 ? 3600 : (int32_t)v;
		break;
	case NS_TCP_MAXSEG:
		/* As Linux: 88..65535 (0 restores the default), effective for the SYN. */
		if (v != 0 && (v < 88 || v > 65535))
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->user_mss = (uint16_t)v;
		if (err == NS_OK && tcp_state_synchronized(ep->state))
			tcp_update_mss(ep);
		break;
	case NS_TCP_USER_TIMEOUT:
		if (v < 0)
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->user_timeout_ns = (uint64_t)v * NS_MSEC;
		break;
	case NS_TCP_QUICKACK:
		if (v)
			ep->quickack = 16;
		break;
	case NS_TCP_CONGESTION:
		err = tcp_cc_select(ep, v);
		break;
	case NS_SO_REUSEADDR:
		ep->flags = v ? ep->flags | TCP_F_REUSEADDR : ep->flags & ~TCP_F_REUSEADDR;
		break;
	case NS_SO_REUSEPORT:
		ep->flags = v ? ep->flags | TCP_F_REUSEPORT : ep->flags & ~TCP_F_REUSEPORT;
		break;
	case NS_SO_BINDTODEVICE:
		if (v < 0 || v > UINT32_MAX)
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->tep.nic = (uint32_t)v;
		break;
	case NS_IP_TTL:
		if (v < 0 || v > 255)
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->ttl = (uint8_t)v;
		break;
	case NS_IP_TOS:
		if (v < 0 || v > 255)
			err = NS_ERR_INVALID_OPTION_VALUE;
		else
			ep->tos = (uint8_t)v;
		break;
	case NS_IPV6_V6ONLY:
		/* Linux: IPv6 sockets only, and not once bound (EINVAL). */
		if (tcp_api_family(ep) != NS_AF_INET6)
			err = NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		else if (ep->flags & TCP_F_PORT)
			err = NS_ERR_INVALID_ENDPOINT_STATE;
		else
			ep->v6only = v != 0;
		break;
	default:
		err = NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		break;
	}
	tcp_ep_leave(ep);
	return err;
}

static ns_err tcp_get_opt(struct ns_ep *nep, enum ns_opt opt, int64_t *v)
{
	struct tcp_ep *ep = tcp_ep_of(nep);

	switch (opt) {
	case NS_TCP_NODELAY:
		*v = !!(ep->flags & TCP_F_NODELAY);
		return NS_OK;
	case NS_TCP_CORK:
		*v = !!(ep->flags & TCP_F_CORK);
		return NS_OK;
	case NS_SO_KEEPALIVE:
		*v = !!(ep->flags & TCP_F_KEEPALIVE);
		return NS_OK;
	case NS_TCP_KEEPIDLE:
		*v = (int64_t)(ep->keepidle_ns / NS_SEC);
		return NS_OK;
	case NS_TCP_KEEPINTVL:
		*v = (int64_t)(ep->keepintvl_ns / NS_SEC);
		return NS_OK;
	case NS_TCP_KEEPCNT:
		*v = ep->keepcnt;
		return NS_OK;
	case NS_SO_RCVBUF:
		*v = ep->rcv.limit;
		return NS_OK;
	case NS_SO_SNDBUF:
		*v = ep->snd.limit;
		return NS_OK;
	case NS_SO_LINGER:
		*v = ep->linger_s;
		return NS_OK;
	case NS_TCP_MAXSEG:
		/* As Linux: the current MSS once connected, else the user's or default. */
		*v = tcp_state_synchronized(ep->state) ? ep->mss
		     : ep->user_mss                    ? ep->user_mss
		                                       : 536;
		return NS_OK;
	case NS_TCP_USER_TIMEOUT:
		*v = (int64_t)(ep->user_timeout_ns / NS_MSEC);
		return NS_OK;
	case NS_TCP_CONGESTION:
		*v = tcp_cc_selected(ep);
		return NS_OK;
	case NS_TCP_QUICKACK:
		*v = ep->quickack != 0;
		return NS_OK;
	case NS_SO_ERROR:
		*v = ep->so_error;
		ep->so_error = NS_OK;
		return NS_OK;
	case NS_SO_REUSEADDR:
		*v = !!(ep->flags & TCP_F_REUSEADDR);
		return NS_OK;
	case NS_SO_REUSEPORT:
		*v = !!(ep->flags & TCP_F_REUSEPORT);
		return NS_OK;
	case NS_SO_BINDTODEVICE:
		*v = ep->tep.nic;
		return NS_OK;
	case NS_IP_TTL:
		*v = ep->ttl;
		return NS_OK;
	case NS_IP_TOS:
		*v = ep->tos;
		return NS_OK;
	case NS_IPV6_V6ONLY:
		if (tcp_api_family(ep) != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		*v = ep->v6only;
		return NS_OK;
	default:
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	}
}

static ns_err tcp_local_addr(struct ns_ep *nep, struct ns_sockaddr *a)
{
	struct tcp_ep *ep = tcp_ep_of(nep);

	a->addr = tcp_api_addr(ep, &ep->tep.id.local);
	a->port = ep->tep.id.lport;
	a->nic = ep->tep.nic;
	return NS_OK;
}

static ns_err tcp_peer_addr(struct ns_ep *nep, struct ns_sockaddr *a)
{
	struct tcp_ep *ep = tcp_ep_of(nep);

	if (ep->state == TCP_CLOSED || ep->state == TCP_LISTEN || ep->state == TCP_SYN_SENT)
		return NS_ERR_NOT_CONNECTED;
	a->addr = tcp_api_addr(ep, &ep->tep.id.remote);
	a->port = ep->tep.id.rport;
	a->nic = ep->route.nic;
	return NS_OK;
}

const struct ns_ep_ops tcp_ep_ops = {
    .close = tcp_close,
    .bind = tcp_bind,
    .connect = tcp_connect,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .shutdown = tcp_shutdown,
    .read = tcp_read,
    .write = tcp_write,
    .readiness = tcp_readiness,
    .set_opt = tcp_set_opt,
    .get_opt = tcp_get_opt,
    .local_addr = tcp_local_addr,
    .peer_addr = tcp_peer_addr,
};
