/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: RACK-TLP loss detection (RFC 8985).
 *
 * RACK ("recent acknowledgment") decides that a segment is lost by time, not by counting
 * duplicates: once a segment sent later has been delivered (cumulatively ACKed or
 * SACKed), an earlier one still missing after RACK.rtt + RACK.reo_wnd is lost (6.2 step
 * 5). TLP ("tail loss probe") covers the case where nothing later gets delivered because
 * the tail itself was lost: instead of waiting for the RTO, a probe timeout (PTO, about
 * two SRTTs) sends one segment, new data if any or else the last one again, whose ACK
 * (with SACK) lets RACK or RFC 6675 repair the loss (7).
 *
 * Records. Each transmitted segment gets a 24-byte struct tcp_rack_rec (end sequence,
 * flags, transmit time, two links) in a ring that tiles [SND.UNA, SND.MAX) in sequence
 * order. The ring's size is a power of two (16 at first, doubled when full, up to one
 * record per 512 bytes of send buffer, 64..8192); when it is full a new segment is merged
 * into the last record, so memory is bounded by the send buffer and nothing is allocated
 * per segment. A merged record is retransmitted from its start, an MSS at a time, and
 * counts as one.
 *
 * Costs per ACK do not grow with the number of records (as Linux's tsorted list):
 *   - the records in flight, neither SACKed nor marked lost, are also linked in order of
 *     transmission (a retransmission moves its record to the tail). Loss detection walks
 *     that list from the oldest and stops at the first record not sent before the most
 *     recently delivered one: records it marks lost leave the list, so each walk costs
 *     the records it marks plus those still inside the reordering window;
 *   - SACKed state comes from the scoreboard (sack.c): tcp_sack_rcv() reports the ranges
 *     each block newly covers, and only the records overlapping them (found by binary
 *     search in the sequence-ordered ring) are looked at;
 *   - pipe (bytes neither SACKed nor lost) and the number of lost records are counters
 *     updated as records change;
 *   - the first lost record is found from a low-water mark (lost_from), which only moves
 *     back when a record below it is marked lost.
 * An RTO, which marks everything lost, and an undo, which unmarks it, cost O(records).
 *
 * Per ACK (after the scoreboard and SND.UNA moved):
 *   step 1/2  records newly delivered update RACK.xmit_ts/end_seq/rtt, unless they were
 *             retransmitted and the ACK came sooner than min_RTT (it acknowledges the
 *             original: 6.2 step 2);
 *   step 3    a never-retransmitted segment delivered below RACK.fack means reordering
 *             (so does a D-SACK);
 *   step 4    reo_wnd = min_RTT/4 * reo_wnd_mult, capped at SRTT; zero while no
 *             reordering was seen and either in recovery or DupThresh segments are
 *             SACKed; each D-SACK round raises the multiplier, kept 16 recoveries;
 *   step 5    detect losses; segments not yet overdue set the reordering timer.
 * Losses found start recovery (sack.c), whose retransmissions take the lost records in
 * sequence order.
 *
 * Timers: rtx_timer is the RTO, the persist timer, RACK's reordering timer
 * (TCP_F_REO_TIMER) or the PTO (TCP_F_TLP_TIMER). tcp_rack_schedule() runs after every
 * output: a pending reordering deadline wins; otherwise, after new data or an ACK of new
 * data outside recovery, the PTO replaces the RTO (7.2): PTO = 2 SRTT, plus WCDelAckT =
 * 200 ms when one segment is in flight, at least 10 ms, and no later than the RTO would
 * have fired (as Linux's tcp_schedule_loss_probe()).
 * After a probe the RTO is armed; one probe per episode (TLP.end_seq). If the probe was a
 * retransmission and its ACK brings no D-SACK, the probe repaired a real loss and the
 * congestion controller reduces once (7.4.2).
 *
 * Transmit times are made strictly increasing (a nanosecond's nudge when the clock did
 * not move), so RACK's "sent after" (6.2) follows the order of transmission, which a
 * coarse or virtual clock would otherwise leave to the sequence-number tie-break, and the
 * time list is sorted by construction (records one retransmission covers share its time
 * and follow each other in sequence order, which is RACK's tie-break).
 *
 * Limits: no timestamp-based ambiguity check (min_RTT only); min_RTT is the minimum over
 * the connection, not a windowed filter.
 */
#include <stdlib.h>

#include "tcp/tcp.h"

#define RACK_RECS_INIT 16
#define RACK_RECS_MIN  64
#define RACK_RECS_MAX  8192
#define RACK_WCDELACK  (200 * NS_MSEC) /* RFC 8985 7.2 WCDelAckT */
#define RACK_PTO_MIN   (10 * NS_MSEC)
#define RACK_DUPTHRESH 3

static uint64_t now_ns(const struct tcp_ep *ep)
{
	return ns_stack_now(ep->ep.stack);
}

/* Ring index of the @i-th record from the head (the ring size is a power of two). */
static uint32_t rec_idx(const struct tcp_rack *r, uint32_t i)
{
	return (r->head + i) & (r->cap - 1);
}

static struct tcp_rack_rec *rec_at(const struct tcp_rack *r, uint32_t i)
{
	return &r->rec[rec_idx(r, i)];
}

/* Where the @i-th record starts, as the counters see it. */
static uint32_t rec_start(const struct tcp_rack *r, uint32_t i)
{
	return i == 0 ? r->una : rec_at(r, i - 1)->end;
}

/* Does the record count in pipe (RFC 8985: neither SACKed nor lost)? */
static bool in_flight(const struct tcp_rack_rec *x)
{
	return !(x->flags & (TCP_RR_SACKED | TCP_RR_LOST));
}

/* The first record (sequence order) that ends after @seq: records [0, result) end at or
 * before it. Binary search; the ring is sorted by end. */
static uint32_t rec_find(const struct tcp_rack *r, uint32_t seq)
{
	uint32_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (seq_gt(rec_at(r, mid)->end, seq))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---------------------------------------------------------------- the time list */

static void tlist_unlink(struct tcp_rack *r, uint32_t k)
{
	struct tcp_rack_rec *x = &r->rec[k];

	if (x->tprev != TCP_RACK_NIL)
		r->rec[x->tprev].tnext = x->tnext;
	else
		r->thead = x->tnext;
	if (x->tnext != TCP_RACK_NIL)
		r->rec[x->tnext].tprev = x->tprev;
	else
		r->ttail = x->tprev;
	x->tprev = x->tnext = TCP_RACK_NIL;
}

static void tlist_append(struct tcp_rack *r, uint32_t k)
{
	struct tcp_rack_rec *x = &r->rec[k];

	x->tnext = TCP_RACK_NIL;
	x->tprev = r->ttail;
	if (r->ttail != TCP_RACK_NIL)
		r->rec[r->ttail].tnext = k;
	else
		r->thead = k;
	r->ttail = k;
}

/* Insert @k by its transmit time, searching from the tail (used by undo only). */
static void tlist_insert_sorted(struct tcp_rack *r, uint32_t k)
{
	struct tcp_rack_rec *x = &r->rec[k];
	uint32_t p = r->ttail;

	while (p != TCP_RACK_NIL && r->rec[p].xmit > x->xmit)
		p = r->rec[p].tprev;
	if (p == r->ttail) {
		tlist_append(r, k);
		return;
	}
	x->tprev = p;
	x->tnext = p == TCP_RACK_NIL ? r->thead : r->rec[p].tnext;
	r->rec[x->tnext].tprev = k;
	if (p == TCP_RACK_NIL)
		r->thead = k;
	else
		r->rec[p].tnext = k;
}

/* A record changes flags: keep pipe, the lost count and the time list right. */
static void rec_set_flags(struct tcp_rack *r, uint32_t i, uint32_t flags)
{
	uint32_t k = rec_idx(r, i);
	struct tcp_rack_rec *x = &r->rec[k];
	uint32_t len = x->end - rec_start(r, i);
	bool was = in_flight(x),
	     was_lost = (x->flags & (TCP_RR_SACKED | TCP_RR_LOST)) == TCP_RR_LOST;
	bool now, now_lost;

	x->flags = flags;
	now = in_flight(x);
	now_lost = (flags & (TCP_RR_SACKED | TCP_RR_LOST)) == TCP_RR_LOST;
	if (was && !now) {
		r->pipe -= len;
		tlist_unlink(r, k);
	} else if (!was && now) {
		r->pipe += len;
		tlist_append(r, k); /* only ever with a fresh transmit time */
	}
	r->nlost += now_lost;
	r->nlost -= was_lost;
	if (now_lost && !was_lost && seq_lt(rec_start(r, i), r->lost_from))
		r->lost_from = rec_start(r, i);
}

/* ---------------------------------------------------------------- the ring */

/* Most records the ring may grow to: about one per 512 bytes of send buffer, a power of
 * two within bounds. */
static uint32_t rack_cap_max(const struct tcp_ep *ep)
{
	uint32_t want = ep->snd.limit / 512 + 16, cap = RACK_RECS_MIN;

	while (cap < RACK_RECS_MAX && cap * 2 <= want)
		cap *= 2;
	return cap;
}

/* The record ring starts small and doubles when full (up to rack_cap_max()), so a short
 * connection (a request, a response, a FIN) costs 384 bytes and one allocation, while a
 * bulk flow soon has a record per segment in flight. Growth copies the records in order
 * into the new array (ring and time-list indices renumbered): amortised O(1) per record. */
static bool rack_reserve(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;
	uint32_t cap, max = rack_cap_max(ep), old = r->cap;
	struct tcp_rack_rec *rec;

	if (r->rec && (r->n < r->cap || r->cap >= max))
		return true;
	cap = r->rec ? r->cap * 2 : RACK_RECS_INIT;
	if (cap > max)
		cap = max;
	rec = malloc(cap * sizeof(*rec));
	if (!rec)
		return r->rec != NULL; /* keep the full ring (the last record grows) */
	for (uint32_t i = 0; i < r->n; i++) {
		struct tcp_rack_rec x = *rec_at(r, i);

		if (x.tprev != TCP_RACK_NIL)
			x.tprev = (x.tprev - r->head) & (old - 1);
		if (x.tnext != TCP_RACK_NIL)
			x.tnext = (x.tnext - r->head) & (old - 1);
		rec[i] = x;
	}
	if (r->rec) {
		if (r->thead != TCP_RACK_NIL)
			r->thead = (r->thead - r->head) & (old - 1);
		if (r->ttail != TCP_RACK_NIL)
			r->ttail = (r->ttail - r->head) & (old - 1);
	} else {
		r->fack = r->una = r->lost_from = ep->snd_una;
		r->thead = r->ttail = TCP_RACK_NIL;
		r->pipe = r->nlost = 0;
	}
	free(r->rec);
	r->rec = rec;
	r->cap = cap;
	r->head = 0;
	return true;
}

void tcp_rack_free(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;

	free(r->rec);
	r->rec = NULL;
	r->cap = r->head = r->n = 0;
	r->thead = r->ttail = TCP_RACK_NIL;
	r->pipe = r->nlost = 0;
}

/* RFC 8985 6.2: was (t1, seq1) sent after (t2, seq2)? */
static bool sent_after(uint64_t t1, uint32_t seq1, uint64_t t2, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && seq_gt(seq1, seq2));
}

void tcp_rack_sent(struct tcp_ep *ep, uint32_t seq, uint32_t end, bool rexmit)
{
	struct tcp_rack *r = &ep->rack;
	uint64_t now;
	uint32_t last;

	if (!(ep->flags & TCP_F_RACK) || !seq_lt(seq, end) || !rack_reserve(ep))
		return;
	/* Transmit times strictly increase, so "sent after" means sent after even when
	 * the clock has not moved between two sends (a 1 ns nudge; RTTs are unaffected). */
	now = now_ns(ep);
	if (now <= r->last_xmit)
		now = r->last_xmit + 1;
	r->last_xmit = now;
	if (!r->n)
		r->una = ep->snd_una;
	last = r->n ? rec_at(r, r->n - 1)->end : r->una;
	if (rexmit) {
		/* The records [seq, end) overlaps: sent again now, back in flight. */
		for (uint32_t i = rec_find(r, seq); i < r->n; i++) {
			struct tcp_rack_rec *x = rec_at(r, i);
			bool was = in_flight(x);

			if (!seq_lt(rec_start(r, i), end))
				break;
			x->xmit = now;
			rec_set_flags(r, i, (x->flags & ~(uint32_t)TCP_RR_LOST) | TCP_RR_RETRANS);
			/* Still in flight: its time is now the newest, so it moves to the tail
			 * (back in flight, rec_set_flags() appended it already). */
			if (was && in_flight(x)) {
				tlist_unlink(r, rec_idx(r, i));
				tlist_append(r, rec_idx(r, i));
			}
		}
	}
	/* What lies beyond the last record is new: one more record (or, with the ring
	 * full, a longer last one, in flight again from now). */
	if (!seq_gt(end, last))
		return;
	if (r->n == r->cap) {
		uint32_t i = r->n - 1;
		struct tcp_rack_rec *x = rec_at(r, i);

		rec_set_flags(r, i, x->flags | TCP_RR_LOST); /* out of the list and pipe */
		x->end = end;
		x->xmit = now;
		rec_set_flags(r, i, x->flags & TCP_RR_RETRANS);
	} else {
		uint32_t i = r->n++;
		struct tcp_rack_rec *x = rec_at(r, i);

		x->end = end;
		x->flags = 0;
		x->xmit = now;
		r->pipe += end - last;
		tlist_append(r, rec_idx(r, i));
	}
	r->pto_rearm = true;
}

/* Is [s, e) wholly SACKed? */
static bool sacked(const struct tcp_ep *ep, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < ep->nsb; i++)
		if (seq_le(ep->sb[i].left, s) && seq_ge(ep->sb[i].right, e))
			return true;
	return false;
}

/* RFC 8985 6.2 step 3 (or a D-SACK): the network reorders. */
static void rack_reordered(struct tcp_rack *r)
{
	r->reordering_seen = true;
	r->reord_seen++;
}

/* RFC 8985 6.2 steps 1-2: a record was delivered. */
static void rack_update(struct tcp_ep *ep, const struct tcp_rack_rec *x)
{
	struct tcp_rack *r = &ep->rack;
	uint64_t now = now_ns(ep), rtt = now > x->xmit ? now - x->xmit : 0;

	/* Step 2: an ACK sooner than min_RTT after a retransmission is for the original. */
	if ((x->flags & TCP_RR_RETRANS) && r->min_rtt && rtt < r->min_rtt - 1)
		return;
	if (!r->min_rtt || rtt + 1 < r->min_rtt)
		r->min_rtt = rtt + 1; /* +1: 0 means "no sample" */
	if (sent_after(x->xmit, x->end, r->xmit_ts, r->end_seq)) {
		r->rtt = rtt;
		r->xmit_ts = x->xmit;
		r->end_seq = x->end;
	}
}

void tcp_rack_ack_begin(struct tcp_ep *ep)
{
	ep->rack.fack_prior = ep->rack.fack;
}

void tcp_rack_sacked(struct tcp_ep *ep, uint32_t l, uint32_t rr)
{
	struct tcp_rack *r = &ep->rack;

	if (!(ep->flags & TCP_F_RACK) || !r->rec)
		return;
	for (uint32_t i = rec_find(r, l); i < r->n; i++) {
		struct tcp_rack_rec *x = rec_at(r, i);
		uint32_t s = seq_max(rec_start(r, i), ep->snd_una);

		if (!seq_lt(rec_start(r, i), rr))
			break;
		if ((x->flags & TCP_RR_SACKED) || !sacked(ep, s, x->end))
			continue;
		rec_set_flags(r, i, (x->flags | TCP_RR_SACKED) & ~(uint32_t)TCP_RR_LOST);
		rack_update(ep, x);
		if (!(x->flags & TCP_RR_RETRANS) && seq_lt(x->end, r->fack))
			rack_reordered(r); /* step 3 */
		if (seq_gt(x->end, r->fack))
			r->fack = x->end;
	}
}

static uint32_t sacked_bytes(const struct tcp_ep *ep)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < ep->nsb; i++)
		n += ep->sb[i].right - ep->sb[i].left;
	return n;
}

/* RFC 8985 6.2 step 4: D-SACK rounds, then the window. */
static uint64_t rack_reo_wnd(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;

	if (r->dsack_round_on && seq_ge(ep->snd_una, r->dsack_round))
		r->dsack_round_on = false;
	if (ep->dsacks_rcvd != r->dsacks_seen) {
		r->dsacks_seen = ep->dsacks_rcvd;
		rack_reordered(r);
		if (!r->dsack_round_on) {
			r->dsack_round_on = true;
			r->dsack_round = ep->snd_max;
			if (r->reo_wnd_mult < 255)
				r->reo_wnd_mult++;
			r->reo_wnd_persist = 16;
		}
	}
	return tcp_rack_reo_wnd_now(ep);
}

/* RFC 8985 6.2 step 5: mark what is overdue; the latest deadline of the rest sets the
 * reordering timer. Walks the records in flight oldest first and stops at the first one
 * not sent before RACK.xmit_ts: every later one was sent later still. True if any
 * record is (now) lost. */
static bool rack_detect(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;
	uint64_t now = now_ns(ep), reo = rack_reo_wnd(ep), timeout = 0;
	uint32_t k, next;

	r->reo_deadline = 0;
	if (!r->xmit_ts)
		return r->nlost != 0;
	for (k = r->thead; k != TCP_RACK_NIL; k = next) {
		struct tcp_rack_rec *x = &r->rec[k];
		uint64_t due;

		next = x->tnext;
		if (!sent_after(r->xmit_ts, r->end_seq, x->xmit, x->end))
			break;
		due = x->xmit + r->rtt + reo;
		if (due <= now)
			rec_set_flags(r, (k - r->head) & (r->cap - 1), x->flags | TCP_RR_LOST);
		else if (!timeout || due - now > timeout)
			timeout = due - now;
	}
	if (timeout)
		r->reo_deadline = now + timeout;
	return r->nlost != 0;
}

bool tcp_rack_ack(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;

	if (!(ep->flags & TCP_F_RACK) || !r->rec)
		return false;
	/* Cumulatively acknowledged records. */
	while (r->n) {
		struct tcp_rack_rec *x = rec_at(r, 0);

		if (!seq_le(x->end, ep->snd_una))
			break;
		if (!(x->flags & TCP_RR_SACKED)) {
			rack_update(ep, x);
			if (!(x->flags & TCP_RR_RETRANS) && seq_lt(x->end, r->fack_prior))
				rack_reordered(r); /* step 3 */
		}
		rec_set_flags(r, 0, TCP_RR_SACKED); /* out of pipe, the list, the lost count */
		r->una = x->end;
		r->head = (r->head + 1) & (r->cap - 1);
		r->n--;
		r->pto_rearm = true;
	}
	/* The first record, partly acknowledged. */
	if (r->n && seq_gt(ep->snd_una, r->una)) {
		if (in_flight(rec_at(r, 0)))
			r->pipe -= ep->snd_una - r->una;
		r->una = ep->snd_una;
	}
	if (!r->n) {
		r->head = 0;
		r->una = ep->snd_una;
	}
	/* Keep the lost mark within the records (sequence comparisons stay valid). */
	if (!r->nlost || seq_lt(r->lost_from, r->una))
		r->lost_from = r->una;
	if (seq_gt(ep->snd_una, r->fack))
		r->fack = ep->snd_una;
	/* RFC 8985 7.4: the probe's fate, once the ACK covers it. */
	if (r->tlp_out && seq_ge(ep->snd_una, r->tlp_end)) {
		r->tlp_out = false;
		if (r->tlp_rexmit && ep->dsacks_rcvd == r->tlp_dsacks &&
		    !(ep->flags & TCP_F_IN_RECOVERY)) {
			/* 7.4.2: no D-SACK: the probe repaired a loss; reduce once. */
			ep->ssthresh = ep->cc->ssthresh(ep);
			ep->cwnd = ep->ssthresh;
			ep->cwnd_acc = 0;
			if (ep->cc->on_loss)
				ep->cc->on_loss(ep, false);
		}
	}
	return rack_detect(ep);
}

uint32_t tcp_rack_pipe(const struct tcp_ep *ep)
{
	return ep->rack.pipe;
}

bool tcp_rack_next_lost(const struct tcp_ep *ep, uint32_t max, uint32_t *seq, uint32_t *len)
{
	struct tcp_rack *r = (struct tcp_rack *)&ep->rack; /* lost_from is a cache */
	uint32_t data_end = ep->snd_una + ep->snd.len;

	if (!r->nlost)
		return false;
	for (uint32_t i = rec_find(r, r->lost_from); i < r->n; i++) {
		const struct tcp_rack_rec *x = rec_at(r, i);
		uint32_t s, lim;

		if ((x->flags & (TCP_RR_SACKED | TCP_RR_LOST)) != TCP_RR_LOST)
			continue;
		lim = seq_min(x->end, data_end); /* a lone FIN is left to the RTO */
		s = tcp_sack_skip(ep, seq_max(rec_start(r, i), ep->snd_una), &lim);
		if (!seq_lt(s, lim)) {
			r->lost_from = x->end; /* nothing here will ever be worth resending */
			continue;
		}
		r->lost_from = rec_start(r, i);
		*seq = s;
		*len = lim - s < max ? lim - s : max;
		return true;
	}
	r->lost_from = r->n ? rec_at(r, r->n - 1)->end : r->una;
	return false;
}

uint32_t tcp_rack_lost_bytes(const struct tcp_ep *ep)
{
	const struct tcp_rack *r = &ep->rack;
	uint32_t n = 0;

	/* TCP_INFO only: a walk is fine here. */
	for (uint32_t i = 0; i < r->n && r->nlost; i++) {
		const struct tcp_rack_rec *x = rec_at(r, i);

		if ((x->flags & (TCP_RR_SACKED | TCP_RR_LOST)) == TCP_RR_LOST)
			n += x->end - rec_start(r, i);
	}
	return n;
}

uint64_t tcp_rack_reo_wnd_now(const struct tcp_ep *ep)
{
	const struct tcp_rack *r = &ep->rack;
	uint64_t w;

	if (!(ep->flags & TCP_F_RACK))
		return 0;
	if (!r->reordering_seen && ((ep->flags & TCP_F_IN_RECOVERY) ||
	                            sacked_bytes(ep) >= RACK_DUPTHRESH * (uint32_t)ep->mss))
		return 0;
	w = (r->min_rtt ? r->min_rtt - 1 : 0) / 4 * (r->reo_wnd_mult ? r->reo_wnd_mult : 1);
	if ((ep->flags & TCP_F_RTT_VALID) && w > ep->srtt)
		w = ep->srtt;
	return w;
}

void tcp_rack_undo(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;

	/* The lost marks go: those records are back in flight, in the time list at their
	 * own transmit times. */
	for (uint32_t i = 0; i < r->n; i++) {
		struct tcp_rack_rec *x = rec_at(r, i);

		if ((x->flags & (TCP_RR_SACKED | TCP_RR_LOST)) != TCP_RR_LOST)
			continue;
		x->flags &= ~(uint32_t)TCP_RR_LOST;
		r->pipe += x->end - rec_start(r, i);
		r->nlost--;
		tlist_insert_sorted(r, rec_idx(r, i));
	}
	r->reo_deadline = 0;
}

void tcp_rack_rto(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;

	/* RFC 8985 6.3: everything outstanding and not SACKed is lost. */
	for (uint32_t i = 0; i < r->n; i++) {
		struct tcp_rack_rec *x = rec_at(r, i);

		if (in_flight(x))
			rec_set_flags(r, i, x->flags | TCP_RR_LOST);
	}
	r->tlp_out = false;
	r->reo_deadline = 0;
}

/* ---------------------------------------------------------------- timers */

static void rack_arm(struct tcp_ep *ep, uint64_t at, uint32_t kind)
{
	ep->flags = (ep->flags & ~(uint32_t)(TCP_F_TLP_TIMER | TCP_F_REO_TIMER)) | kind;
	ns_timer_arm(ep->ep.stack, &ep->rtx_timer, at);
}

void tcp_rack_schedule(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;
	uint64_t now, pto;

	if (!(ep->flags & TCP_F_RACK) || (ep->flags & TCP_F_PERSIST) ||
	    ep->snd_una == ep->snd_max || !ns_timer_armed(&ep->rtx_timer))
		return;
	now = now_ns(ep);
	if (r->reo_deadline) {
		if (r->reo_deadline < ep->rtx_timer.deadline || (ep->flags & TCP_F_TLP_TIMER))
			rack_arm(ep, r->reo_deadline, TCP_F_REO_TIMER);
		return;
	}
	if (!r->pto_rearm)
		return;
	r->pto_rearm = false;
	/* RFC 8985 7.2: only in the open state, one probe per episode, with an SRTT. */
	if ((ep->flags & TCP_F_IN_RECOVERY) || r->tlp_out || !(ep->flags & TCP_F_RTT_VALID) ||
	    ep->backoff)
		return;
	pto = 2 * ep->srtt;
	if (ep->snd_max - ep->snd_una <= ep->mss)
		pto += RACK_WCDELACK;
	if (pto < RACK_PTO_MIN)
		pto = RACK_PTO_MIN;
	/* Never later than the RTO would fire (as Linux: the probe takes its place). */
	if (!(ep->flags & TCP_F_TLP_TIMER) && ep->rtx_timer.deadline > now &&
	    now + pto > ep->rtx_timer.deadline)
		pto = ep->rtx_timer.deadline - now;
	rack_arm(ep, now + pto, TCP_F_TLP_TIMER);
}

/* RFC 8985 7.3: send a probe. */
static void rack_probe(struct tcp_ep *ep)
{
	struct tcp_rack *r = &ep->rack;
	uint32_t data_end = ep->snd_una + ep->snd.len, sent_end;
	uint32_t edge = ep->snd_una + ep->snd_wnd;

	r->tlp_dsacks = ep->dsacks_rcvd;
	/* New data if there is some and the peer's window takes it. */
	if (ep->snd_nxt == ep->snd_max && seq_lt(ep->snd_max, data_end) &&
	    seq_lt(ep->snd_max, edge)) {
		uint32_t before = ep->snd_max;

		tcp_output_force(ep);
		if (ep->snd_max != before) {
			r->tlp_rexmit = false;
			r->tlp_out = true;
			r->tlp_end = ep->snd_max;
			return;
		}
	}
	/* Otherwise the last segment sent, again. */
	sent_end = seq_min(ep->snd_max, data_end);
	if (seq_gt(sent_end, ep->snd_una)) {
		uint32_t mss = tcp_cur_mss(ep);
		uint32_t len = sent_end - ep->snd_una < mss ? sent_end - ep->snd_una : mss;
		uint32_t seq = sent_end - len;
		bool fin = (ep->flags & TCP_F_FIN_SENT) && sent_end == data_end;
		uint8_t flags = TCP_ACK | TCP_PSH | (fin ? TCP_FIN : 0);

		if (tcp_xmit(ep, seq, flags, len) != NS_OK)
			return;
		tcp_rack_sent(ep, seq, seq + len + fin, true);
		ep->flags &= ~TCP_F_RTT_TIMING; /* Karn */
		ep->total_retrans++;
		r->tlp_rexmit = true;
		r->tlp_out = true;
		r->tlp_end = ep->snd_max;
	}
}

void tcp_rack_timer(struct tcp_ep *ep)
{
	bool tlp = (ep->flags & TCP_F_TLP_TIMER) != 0;

	ep->flags &= ~(uint32_t)(TCP_F_TLP_TIMER | TCP_F_REO_TIMER);
	if (ep->snd_una == ep->snd_max)
		return;
	if (tlp) {
		rack_probe(ep);
	} else if (rack_detect(ep)) {
		/* RFC 8985 6.2: the reordering window passed, the segments are lost. */
		tcp_sack_rack_lost(ep);
	}
	tcp_rtx_arm(ep);
}

bool tcp_rack_check(const struct tcp_ep *ep)
{
	const struct tcp_rack *r = &ep->rack;
	uint32_t pipe = 0, nlost = 0, nlist = 0, inflight = 0, k, prev = TCP_RACK_NIL;
	uint64_t t = 0;

	if (!r->rec)
		return true;
	if (r->n && seq_gt(r->una, ep->snd_una))
		return false;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct tcp_rack_rec *x = rec_at(r, i);

		if (!seq_gt(x->end, rec_start(r, i)))
			return false; /* records are not empty and sorted */
		if (in_flight(x)) {
			pipe += x->end - rec_start(r, i);
			inflight++;
		} else if ((x->flags & (TCP_RR_SACKED | TCP_RR_LOST)) == TCP_RR_LOST) {
			nlost++;
		}
	}
	for (k = r->thead; k != TCP_RACK_NIL; k = r->rec[k].tnext) {
		const struct tcp_rack_rec *x = &r->rec[k];

		/* Times never decrease along the list (equal ones: one retransmission that
		 * covered several records, linked in sequence order). */
		if (((k - r->head) & (r->cap - 1)) >= r->n || !in_flight(x) || x->tprev != prev ||
		    x->xmit < t || ++nlist > r->n)
			return false;
		t = x->xmit;
		prev = k;
	}
	return prev == r->ttail && nlist == inflight && pipe == r->pipe && nlost == r->nlost;
}
