/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: SACK-based loss recovery (RFC 6675) and D-SACK (RFC 2883).
 *
 * Sender side. The scoreboard ep->sb[] holds the ranges the peer has selectively
 * acknowledged (RFC 2018), sorted, disjoint and merged when they touch, all strictly above
 * SND.UNA and within the data queued (a SACK never covers our FIN). A block is taken only
 * if it lies in [max(SND.UNA, SEG.ACK), SND.UNA + data) and is not a D-SACK: per RFC 2883
 * 4, the first block is a D-SACK when it lies at or below SEG.ACK or inside the second
 * block; D-SACKs are counted (for spurious-retransmission undo) and never scored. The
 * scoreboard is bounded (TCP_SB_MAX ranges): a block that would need more is ignored,
 * which only makes us retransmit bytes the peer already has.
 *
 * From the scoreboard, with DupThresh = 3:
 *   IsLost(s)  (RFC 6675 4) s is unSACKed and either DupThresh discontiguous SACKed ranges
 *              or more than (DupThresh - 1) * SMSS SACKed bytes lie above it. Lost-ness is
 *              monotone in s, so it is one "lost edge": every hole below it is lost.
 *   pipe       (RFC 6675 4 SetPipe) in recovery: unSACKed bytes at or above the lost edge
 *              plus unSACKed bytes below HighRxt (retransmitted, so in flight again);
 *              outside recovery: unSACKed bytes in [SND.UNA, SND.NXT). Without SACK it is
 *              SND.NXT - SND.UNA (RFC 5681 FlightSize).
 * Recovery (RFC 6675 5) starts on the third duplicate ACK (an ACK that SACKs new data
 * counts as one) or when IsLost(SND.UNA), if SND.UNA has reached the last RecoveryPoint:
 * RecoveryPoint = SND.MAX, ssthresh = cwnd = the algorithm's ssthresh(), the segment at
 * SND.UNA is retransmitted. While in recovery, tcp_sack_output() sends NextSeg() rule 1
 * (the first lost hole above HighRxt) while cwnd - pipe >= 1 SMSS, and tcp_output() sends
 * new data (rule 2) into what remains, measuring flight as pipe. Recovery ends when
 * SND.UNA reaches RecoveryPoint. Holes not yet "lost" (rule 3) wait for more SACKs, RACK
 * or the RTO. After an RTO (RFC 6675 5.1) the scoreboard is kept, as Linux keeps it, and
 * the resend from SND.UNA skips SACKed ranges; a second consecutive RTO forgets it, in
 * case the peer reneged (RFC 2018 8).
 *
 * Limited transmit (RFC 3042) is implicit here: each SACKed segment lowers pipe, letting a
 * new segment out on each of the first duplicate ACKs; without SACK output.c allows up to
 * 2 SMSS beyond cwnd on the first two duplicate ACKs.
 *
 * Receiver side: a duplicate segment (wholly or partly below RCV.NXT, or overlapping bytes
 * already held out of order) is reported as the first SACK block of the next ACK (RFC 2883
 * 4, ep->dsack_out), once.
 *
 * Spurious-retransmission undo. A loss episode (SACK or NewReno fast retransmit, or the
 * first RTO) records SND.UNA, the TSval of its first retransmission and counts its
 * retransmissions. It proves spurious when (a) with timestamps, the first ACK of new data
 * echoes a TSval older than that retransmission's (Eifel, RFC 3522 3.2); (b) every
 * retransmission comes back as a D-SACK (RFC 2883 5, RFC 3708); or (c) after an RTO,
 * F-RTO (RFC 5682 2.1): the first ACK advances SND.UNA without reaching RecoveryPoint,
 * two new segments go out instead of resends, and the next ACK acknowledges data that was
 * never retransmitted (a duplicate instead means the timeout was real: go-back-N
 * resumes, cwnd at most 3 SMSS). The undo goes through the congestion-control ops
 * (tcp_cc_undo(), which restores what ssthresh() saved; without an undo hook,
 * tcp_cc_restore_prior()), forgets RACK's loss marks and, after a timeout, continues with
 * new data rather than resending (RFC 4015 3.2).
 *
 * The window in recovery: RFC 6675 5 step 4.2 sets cwnd = ssthresh at once, which stops
 * the sender until pipe falls below it and then lets a burst out. Proportional rate
 * reduction (RFC 6937, as Linux) replaces that step: each ACK lets out a share of what it
 * delivered, so the flight shrinks smoothly to ssthresh (tcp_cc_prr() in cc.c). At the end of
 * recovery cwnd = ssthresh.
 *
 * Limits: no rule 3/4 of NextSeg.
 */
#include <string.h>

#include "tcp/tcp.h"

#define TCP_DUPTHRESH      3
#define TCP_RECOVERY_BURST 64 /* holes retransmitted per call, a bound on the loop */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* One past the last byte of data sent (a SACK can cover nothing beyond; the FIN is not
 * data). */
static uint32_t data_end(const struct tcp_ep *ep)
{
	uint32_t sent = ep->snd_max - ep->snd_una;

	return ep->snd_una + min_u32(sent, ep->snd.len);
}

/* ---------------------------------------------------------------- the scoreboard */

/* Forget what SND.UNA has passed. */
static void sb_trim(struct tcp_ep *ep)
{
	unsigned i = 0, k = 0;

	for (; i < ep->nsb; i++) {
		struct tcp_range r = ep->sb[i];

		if (seq_le(r.right, ep->snd_una))
			continue;
		if (seq_lt(r.left, ep->snd_una))
			r.left = ep->snd_una;
		ep->sb[k++] = r;
	}
	ep->nsb = (uint8_t)k;
}

static uint32_t sb_bytes(const struct tcp_ep *ep)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < ep->nsb; i++)
		n += ep->sb[i].right - ep->sb[i].left;
	return n;
}

bool tcp_range_insert(struct tcp_range *v, unsigned *n, unsigned max, struct tcp_range r,
                      unsigned *at)
{
	unsigned lo = 0, hi, k;

	/* v[lo, hi) overlap or touch r: the ones that neither end before it starts nor start
	 * after it ends (v is sorted and disjoint, so they are consecutive). */
	while (lo < *n && seq_lt(v[lo].right, r.left))
		lo++;
	hi = lo;
	while (hi < *n && !seq_gt(v[hi].left, r.right)) {
		r.left = seq_min(r.left, v[hi].left);
		r.right = seq_max(r.right, v[hi].right);
		hi++;
	}
	k = *n - (hi - lo) + 1;
	if (k > max)
		return false;
	if (hi != lo + 1)
		memmove(&v[lo + 1], &v[hi], (*n - hi) * sizeof(*v));
	v[lo] = r;
	*n = k;
	if (at)
		*at = lo;
	return true;
}

uint32_t tcp_sack_skip(const struct tcp_ep *ep, uint32_t seq, uint32_t *limit)
{
	for (unsigned i = 0; i < ep->nsb; i++) {
		if (seq_in(seq, ep->sb[i].left, ep->sb[i].right))
			seq = ep->sb[i].right;
		else if (seq_gt(ep->sb[i].left, seq)) {
			if (seq_lt(ep->sb[i].left, *limit))
				*limit = ep->sb[i].left;
			break;
		}
	}
	return seq;
}

/* Bytes of [lo, hi) that are not SACKed. */
static uint32_t unsacked(const struct tcp_ep *ep, uint32_t lo, uint32_t hi)
{
	uint32_t n;

	if (!seq_lt(lo, hi))
		return 0;
	n = hi - lo;
	for (unsigned i = 0; i < ep->nsb; i++) {
		uint32_t l = seq_max(ep->sb[i].left, lo), r = seq_min(ep->sb[i].right, hi);

		if (seq_lt(l, r))
			n -= r - l;
	}
	return n;
}

/* RFC 6675 4 IsLost(), as an edge: an unSACKed s is lost iff s < the edge. */
static uint32_t lost_edge(const struct tcp_ep *ep)
{
	uint32_t bytes = 0;
	unsigned cnt = 0;

	for (unsigned i = ep->nsb; i-- > 0;) {
		cnt++;
		bytes += ep->sb[i].right - ep->sb[i].left;
		if (cnt >= TCP_DUPTHRESH || bytes > (TCP_DUPTHRESH - 1) * (uint32_t)ep->mss)
			return ep->sb[i].left;
	}
	return ep->snd_una;
}

uint32_t tcp_sack_bytes(const struct tcp_ep *ep)
{
	return sb_bytes(ep);
}

uint32_t tcp_lost_bytes(const struct tcp_ep *ep)
{
	if ((ep->flags & TCP_F_RACK) && ep->rack.rec)
		return tcp_rack_lost_bytes(ep);
	if ((ep->flags & TCP_F_SACK) && (ep->flags & TCP_F_IN_RECOVERY))
		return unsacked(ep, ep->snd_una, seq_max(lost_edge(ep), ep->snd_una));
	/* NewReno: the segment at SND.UNA, while recovering (or after a timeout). */
	if ((ep->flags & TCP_F_IN_RECOVERY) || (ep->backoff && ep->snd_una != ep->snd_max))
		return min_u32(ep->mss, ep->snd_max - ep->snd_una);
	return 0;
}

uint32_t tcp_pipe(const struct tcp_ep *ep)
{
	if (!(ep->flags & TCP_F_SACK)) {
		uint32_t flight = ep->snd_nxt - ep->snd_una;

		/* NewReno recovery: each duplicate ACK means a segment left the network
		 * (Linux's emulated "reno SACKs"; the lost head, resent, counts once). */
		if ((ep->flags & TCP_F_IN_RECOVERY) && ep->reno_sacked < flight)
			return flight - ep->reno_sacked;
		return flight;
	}
	/* RACK (RFC 8985): what is neither SACKed nor marked lost, from its records. */
	if ((ep->flags & TCP_F_RACK) && ep->rack.rec)
		return tcp_rack_pipe(ep);
	if (!(ep->flags & TCP_F_IN_RECOVERY))
		return unsacked(ep, ep->snd_una, ep->snd_nxt);
	/* RFC 6675 SetPipe: each unSACKed octet counts once unless lost, once more if
	 * retransmitted. */
	return unsacked(ep, seq_max(lost_edge(ep), ep->snd_una), ep->snd_max) +
	       unsacked(ep, ep->snd_una, seq_max(ep->high_rxt, ep->snd_una));
}

/* The parts of [l, r) the scoreboard does not cover yet, into @gap (at most nsb + 1). */
static unsigned sb_gaps(const struct tcp_ep *ep, uint32_t l, uint32_t r, struct tcp_range *gap)
{
	uint32_t cur = l;
	unsigned n = 0;

	for (unsigned i = 0; i < ep->nsb && seq_lt(cur, r); i++) {
		if (!seq_gt(ep->sb[i].right, cur))
			continue;
		if (!seq_lt(ep->sb[i].left, r))
			break;
		if (seq_gt(ep->sb[i].left, cur))
			gap[n++] = (struct tcp_range){cur, ep->sb[i].left};
		cur = ep->sb[i].right;
	}
	if (seq_lt(cur, r))
		gap[n++] = (struct tcp_range){cur, r};
	return n;
}

uint32_t tcp_sack_rcv(struct tcp_ep *ep, const struct tcp_seg *g)
{
	const struct tcp_repr *h = &g->h;
	uint32_t base = seq_max(ep->snd_una, h->ack), end = data_end(ep), before;
	unsigned i = 0;

	tcp_rack_ack_begin(ep);
	ep->sacked_prior = before = sb_bytes(ep);
	if (!(ep->flags & TCP_F_SACK) || !h->nsack)
		return 0;
	/* RFC 2883 4: a first block at or below the cumulative ACK, or inside the second
	 * block, reports a duplicate, not new data. */
	if (seq_le(h->sack[0].right, h->ack) ||
	    (h->nsack > 1 && seq_ge(h->sack[0].left, h->sack[1].left) &&
	     seq_le(h->sack[0].right, h->sack[1].right))) {
		ep->dsacks_rcvd++;
		ep->dsack_in.left = h->sack[0].left;
		ep->dsack_in.right = h->sack[0].right;
		i = 1;
	}
	for (; i < h->nsack; i++) {
		uint32_t l = h->sack[i].left, r = h->sack[i].right;
		unsigned nsb = ep->nsb, ngap;
		struct tcp_range gap[TCP_SB_MAX + 1];

		/* Validation: a block must lie within what we sent and the peer has not
		 * cumulatively acknowledged; anything else is ignored. */
		if (!seq_lt(l, r) || seq_lt(l, base) || seq_gt(r, end))
			continue;
		/* What the block adds to the scoreboard, for RACK: only records there can
		 * have become SACKed (at most one gap more than the ranges it spans). */
		ngap = sb_gaps(ep, l, r, gap);
		/* A block that would need more than TCP_SB_MAX ranges is ignored. */
		if (!tcp_range_insert(ep->sb, &nsb, TCP_SB_MAX, (struct tcp_range){l, r}, NULL))
			continue;
		ep->nsb = (uint8_t)nsb;
		for (unsigned k = 0; k < ngap; k++)
			tcp_rack_sacked(ep, gap[k].left, gap[k].right);
	}
	/* SND.UNA is about to move to SEG.ACK: the caller trims through tcp_sack_on_ack(). */
	return sb_bytes(ep) - before;
}

/* ---------------------------------------------------------------- sending */

/* Retransmit [seq, seq + len): Karn's rule and the RTO as for any retransmission. */
static bool sack_retransmit(struct tcp_ep *ep, uint32_t seq, uint32_t len)
{
	uint8_t flags = TCP_ACK;

	if (seq + len == data_end(ep))
		flags |= TCP_PSH;
	if (tcp_xmit(ep, seq, flags, len) != NS_OK)
		return false;
	tcp_rack_sent(ep, seq, seq + len, true);
	tcp_undo_count(ep);
	ep->flags &= ~TCP_F_RTT_TIMING; /* RFC 6298 3 */
	ep->total_retrans++;
	if (seq_gt(seq + len, ep->high_rxt))
		ep->high_rxt = seq + len;
	if (!ns_timer_armed(&ep->rtx_timer) || (ep->flags & TCP_F_PERSIST))
		tcp_rtx_arm(ep);
	return true;
}

void tcp_sack_output(struct tcp_ep *ep)
{
	if (!(ep->flags & TCP_F_SACK) || !(ep->flags & TCP_F_IN_RECOVERY))
		return;
	for (unsigned n = 0; n < TCP_RECOVERY_BURST; n++) {
		uint32_t edge = lost_edge(ep), lim = data_end(ep), s;

		/* RFC 6675 5 step (C): while cwnd - pipe >= 1 SMSS. */
		if (ep->cwnd < tcp_pipe(ep) + ep->mss)
			return;
		/* With RACK, "lost" is what RACK marked (RFC 8985 6.2). */
		if ((ep->flags & TCP_F_RACK) && ep->rack.rec) {
			uint32_t len;

			if (!tcp_rack_next_lost(ep, tcp_cur_mss(ep), &s, &len) ||
			    !sack_retransmit(ep, s, len))
				return;
			continue;
		}
		/* NextSeg() rule 1: the first unSACKed, lost byte above HighRxt. */
		s = tcp_sack_skip(ep, seq_max(ep->high_rxt, ep->snd_una), &lim);
		if (!seq_lt(s, edge) || !seq_lt(s, lim))
			return;
		if (!sack_retransmit(ep, s, min_u32(tcp_cur_mss(ep), lim - s)))
			return;
	}
}

/* ---------------------------------------------------------------- recovery */

/* RFC 6675 5 step (4): enter loss recovery, the window reduced by PRR (RFC 6937). */
static void sack_enter_recovery(struct tcp_ep *ep, uint32_t delivered)
{
	uint32_t lim = data_end(ep);

	ep->recover = ep->snd_max; /* RecoveryPoint = HighData */
	tcp_cc_prr_begin(ep);
	ep->ssthresh = ep->cc->ssthresh(ep);
	ep->cwnd_acc = 0;
	ep->flags |= TCP_F_IN_RECOVERY;
	ep->high_rxt = ep->snd_una;
	tcp_undo_begin(ep, false);
	ep->rack.tlp_out = false;
	tcp_cc_prr(ep, delivered);
	/* RACK's lost segments go out through tcp_sack_output(). */
	if ((ep->flags & TCP_F_RACK) && ep->rack.rec) {
		uint32_t s, len;

		if (tcp_rack_next_lost(ep, tcp_cur_mss(ep), &s, &len))
			return;
	}
	/* Step 4.3: retransmit the first segment, the one at SND.UNA (up to the first
	 * SACKed byte). */
	tcp_sack_skip(ep, ep->snd_una, &lim);
	if (lim == ep->snd_una) /* SACKed at SND.UNA: a reneging peer; resend anyway */
		lim = data_end(ep);
	if (seq_lt(ep->snd_una, lim))
		sack_retransmit(ep, ep->snd_una, min_u32(tcp_cur_mss(ep), lim - ep->snd_una));
}

/* May a new recovery start now? (RFC 6675 5: not before RecoveryPoint is reached.) */
static bool may_recover(const struct tcp_ep *ep)
{
	return ep->snd_una != ep->snd_max && !seq_lt(ep->snd_una, ep->recover) &&
	       !(ep->flags & TCP_F_IN_RECOVERY);
}

void tcp_sack_rack_lost(struct tcp_ep *ep)
{
	if (may_recover(ep))
		sack_enter_recovery(ep, 0);
}

void tcp_sack_on_ack(struct tcp_ep *ep, uint32_t acked, bool dupish)
{
	uint32_t sacked, delivered;
	bool rack_lost;

	sb_trim(ep);
	if (seq_lt(ep->high_rxt, ep->snd_una))
		ep->high_rxt = ep->snd_una;
	/* RFC 6937 DeliveredData: the change in SND.UNA plus the change in SACKed bytes
	 * (bytes leaving the scoreboard for the cumulative ACK were counted when SACKed). */
	sacked = sb_bytes(ep);
	delivered = acked + sacked > ep->sacked_prior ? acked + sacked - ep->sacked_prior : 0;
	ep->sacked_prior = sacked;
	tcp_count_delivered(ep, delivered);
	rack_lost = tcp_rack_ack(ep);
	if (ep->flags & TCP_F_IN_RECOVERY) {
		/* RFC 6675 5 step (1)/(2): recovery ends once RecoveryPoint is acknowledged;
		 * cwnd stays at ssthresh (RFC 5681 3.2 step 6). */
		if (seq_ge(ep->snd_una, ep->recover)) {
			ep->flags &= ~TCP_F_IN_RECOVERY;
			ep->dupacks = 0;
			ep->cwnd = ep->ssthresh;
			ep->cwnd_acc = 0;
			if (ep->cc->on_loss)
				ep->cc->on_loss(ep, false);
			/* RFC 8985 6.2 step 4: the D-SACK-widened window lasts 16 recoveries. */
			if (ep->rack.reo_wnd_persist && --ep->rack.reo_wnd_persist == 0)
				ep->rack.reo_wnd_mult = 1;
		} else {
			tcp_cc_prr(ep, delivered);
		}
		return;
	}
	if (acked) {
		ep->dupacks = 0;
		ep->cc->cong_avoid(ep, acked);
	} else if (dupish && ep->dupacks < 255) {
		ep->dupacks++;
	}
	if (!may_recover(ep))
		return;
	/* RACK (RFC 8985) when on, else RFC 6675's IsLost(SND.UNA); the third duplicate
	 * ACK in either case (an ACK without SACK blocks still counts). */
	if (ep->dupacks >= TCP_DUPTHRESH ||
	    ((ep->flags & TCP_F_RACK) && ep->rack.rec ? rack_lost
	                                              : seq_lt(ep->snd_una, lost_edge(ep))))
		sack_enter_recovery(ep, delivered);
}

void tcp_sack_rto(struct tcp_ep *ep)
{
	ep->high_rxt = ep->snd_una;
	tcp_rack_rto(ep);
	/* RFC 2018 8 / RFC 6675 5.1: the peer may have discarded SACKed data. Trust the
	 * scoreboard through one timeout (the resend skips SACKed ranges), not two. */
	if (ep->backoff > 0)
		ep->nsb = 0;
}

/* ---------------------------------------------------------------- D-SACK (receiver) */

void tcp_sack_note_dup(struct tcp_ep *ep, uint32_t left, uint32_t right)
{
	if (!(ep->flags & TCP_F_SACK) || !seq_lt(left, right))
		return;
	/* RFC 2883 4: one duplicate per ACK, the first block; the latest one wins. */
	ep->dsack_out.left = left;
	ep->dsack_out.right = right;
	ep->flags |= TCP_F_DSACK_OWED | TCP_F_ACK_NOW;
}

/* ---------------------------------------------------------------- undo */

void tcp_undo_begin(struct tcp_ep *ep, bool rto)
{
	ep->undo_marker = ep->snd_una;
	ep->undo_retrans = 0;
	ep->undo_dsacks = ep->dsacks_rcvd;
	ep->flags |= TCP_F_UNDO_OK;
	/* Eifel needs the TSval of the first retransmission: it is sent now. */
	if (ep->flags & TCP_F_TS) {
		ep->undo_tsval = tcp_ts_now(ep);
		ep->flags |= TCP_F_EIFEL;
	} else {
		ep->flags &= ~TCP_F_EIFEL;
	}
	/* RFC 5682 2.1 step 1: F-RTO after a first timeout outside recovery. */
	ep->frto = rto && !(ep->flags & TCP_F_IN_RECOVERY) ? 1 : 0;
}

void tcp_undo_count(struct tcp_ep *ep)
{
	if (ep->flags & TCP_F_UNDO_OK)
		ep->undo_retrans++;
}

/* The episode was spurious: undo its congestion response (RFC 4015, RFC 9438 4.9). */
static void tcp_undo(struct tcp_ep *ep, bool rto)
{
	if (ep->cc->undo)
		tcp_cc_undo(ep);
	else {
		tcp_cc_restore_prior(ep);
		ep->flags &= ~TCP_F_IN_RECOVERY;
		ep->dupacks = 0;
	}
	ep->flags &= ~(TCP_F_UNDO_OK | TCP_F_EIFEL);
	ep->frto = 0;
	ep->undos++;
	ep->recover = ep->snd_una;
	tcp_rack_undo(ep);
	/* RFC 4015 3.2: after a spurious timeout, carry on with new data rather than
	 * resending what is already there (no go-back-N). */
	if (rto)
		ep->snd_nxt = ep->snd_max;
}

void tcp_undo_on_ack(struct tcp_ep *ep, const struct tcp_seg *g, bool dup, bool advanced)
{
	bool rto = ep->frto != 0 || seq_lt(ep->snd_nxt, ep->snd_max);

	if (!(ep->flags & TCP_F_UNDO_OK))
		return;
	/* RFC 3522 3.2 Eifel: the first ACK of new data after the retransmission echoes a
	 * TSval older than the retransmission's: it was sent for the original. */
	if (advanced && (ep->flags & TCP_F_EIFEL)) {
		ep->flags &= ~TCP_F_EIFEL;
		if (g->h.has_ts && g->h.tsecr && seq_lt(g->h.tsecr, ep->undo_tsval)) {
			tcp_undo(ep, rto);
			return;
		}
	}
	/* RFC 2883 / RFC 3708: every retransmission of the episode came back as a D-SACK:
	 * the originals had all arrived. */
	if (ep->dsacks_rcvd != ep->undo_dsacks) {
		uint32_t l = ep->dsack_in.left, r = ep->dsack_in.right;

		ep->undo_dsacks = ep->dsacks_rcvd;
		if (ep->undo_retrans && seq_ge(l, ep->undo_marker) && seq_le(r, ep->snd_max)) {
			uint32_t segs = (r - l + ep->mss - 1) / ep->mss;

			ep->undo_retrans = segs >= ep->undo_retrans ? 0 : ep->undo_retrans - segs;
			if (!ep->undo_retrans) {
				tcp_undo(ep, rto);
				return;
			}
		}
	}
	/* RFC 5682 2.1 F-RTO. */
	if (ep->frto == 1) {
		/* Step 2: an ACK that advances SND.UNA but not up to RecoveryPoint suggests
		 * the originals were merely delayed: probe with new data (2b). Anything
		 * else (a duplicate, everything acknowledged) is conventional recovery. */
		if (advanced && seq_lt(g->h.ack, ep->recover))
			ep->frto = tcp_output_new(ep, 2) ? 2 : 0;
		else
			ep->frto = 0;
		return;
	}
	if (ep->frto == 2) {
		ep->frto = 0;
		if (advanced) {
			/* Step 3b: new data acknowledged without a retransmission: spurious. */
			tcp_undo(ep, true);
		} else {
			/* Step 3a: a duplicate (or anything not acknowledging new data): the
			 * timeout was genuine: resume the go-back-N resend. */
			ep->snd_nxt = ep->snd_una;
			if (ep->cwnd > 3u * ep->mss)
				ep->cwnd = 3u * ep->mss;
		}
	}
}
