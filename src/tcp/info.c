/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a connection's counters and its TCP_INFO-style report.
 *
 * The counters are kept where things happen, at the cost of an add each: every segment
 * tcp_xmit() builds passes tcp_count_xmit() (segments, data bytes, retransmitted bytes,
 * which also give PRR its prr_out); input counts segments, in-order bytes and
 * out-of-order segments. A GSO packet counts as the segments it stands for both ways
 * (Linux's tcp_skb_pcount() and gso_segs); the ACK path counts bytes acknowledged and, through
 * tcp_count_delivered(), bytes delivered (newly ACKed plus newly SACKed, RFC 6937's
 * DeliveredData), from which a delivery rate is sampled: the bytes delivered over an
 * interval at least one SRTT long, divided by its length. The sample is not corrected for
 * application-limited periods (the draft delivery-rate estimator's app-limited marking is
 * not built), so it is a floor of what the path can carry.
 *
 * ns_ep_get_tcp_info() reads them and the state of the connection into struct
 * ns_tcp_info (include/netstack/tcp.h); what has to be derived (bytes believed lost, the
 * loss-recovery state) is computed then, never on the data path.
 */
#include "tcp/tcp.h"

#include <string.h>

#include "netstack/tcp.h"

/* The public state numbers are the internal ones. */
_Static_assert(NS_TCP_CLOSED == (int)TCP_CLOSED && NS_TCP_LISTEN == (int)TCP_LISTEN &&
                   NS_TCP_SYN_SENT == (int)TCP_SYN_SENT && NS_TCP_SYN_RCVD == (int)TCP_SYN_RCVD &&
                   NS_TCP_ESTABLISHED == (int)TCP_ESTABLISHED &&
                   NS_TCP_FIN_WAIT_1 == (int)TCP_FIN_WAIT_1 &&
                   NS_TCP_FIN_WAIT_2 == (int)TCP_FIN_WAIT_2 &&
                   NS_TCP_CLOSE_WAIT == (int)TCP_CLOSE_WAIT && NS_TCP_CLOSING == (int)TCP_CLOSING &&
                   NS_TCP_LAST_ACK == (int)TCP_LAST_ACK && NS_TCP_TIME_WAIT == (int)TCP_TIME_WAIT,
               "ns_tcp_state follows tcp_state");

void tcp_count_xmit(struct tcp_ep *ep, uint32_t seq, uint32_t len, uint32_t segs)
{
	ep->segs_out += segs;
	if (!len)
		return;
	ep->data_segs_out += segs;
	ep->bytes_sent += len;
	ep->last_data_sent = ns_stack_now(ep->ep.stack);
	if (seq_lt(seq, ep->snd_max))
		ep->bytes_retrans += len;
}

void tcp_count_delivered(struct tcp_ep *ep, uint32_t bytes)
{
	uint64_t now, t;

	if (!bytes)
		return;
	ep->delivered += bytes;
	now = ns_stack_now(ep->ep.stack);
	if (!ep->rate_t0) {
		ep->rate_t0 = now;
		ep->rate_delivered0 = ep->delivered - bytes;
		return;
	}
	t = now - ep->rate_t0;
	if (!t || t < ((ep->flags & TCP_F_RTT_VALID) ? ep->srtt : NS_MSEC))
		return;
	ep->delivery_rate = (ep->delivered - ep->rate_delivered0) * NS_SEC / t;
	ep->rate_t0 = now;
	ep->rate_delivered0 = ep->delivered;
}

static uint32_t to_us(uint64_t ns)
{
	uint64_t us = ns / 1000;

	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static uint32_t ms_since(uint64_t now, uint64_t t)
{
	uint64_t ms;

	if (!t)
		return 0;
	ms = (now - t) / NS_MSEC;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static uint8_t ca_state(const struct tcp_ep *ep)
{
	if (ep->flags & TCP_F_IN_RECOVERY)
		return NS_TCP_CA_RECOVERY;
	/* After an RTO: the backoff holds until new data is acknowledged, the go-back-N
	 * resend until it reaches what was sent. */
	if (ep->backoff && !(ep->flags & TCP_F_PERSIST) && ep->snd_una != ep->snd_max)
		return NS_TCP_CA_LOSS;
	if (seq_lt(ep->snd_nxt, ep->snd_max) || ep->frto)
		return NS_TCP_CA_LOSS;
	if (ep->dupacks || ep->nsb)
		return NS_TCP_CA_DISORDER;
	return NS_TCP_CA_OPEN;
}

ns_err ns_ep_get_tcp_info(struct ns_ep *nep, struct ns_tcp_info *o)
{
	const struct tcp_ep *ep;
	uint64_t now;
	uint32_t cap;

	if (!nep || !o || nep->ops != &tcp_ep_ops)
		return NS_ERR_NOT_SUPPORTED;
	ep = tcp_ep_of(nep);
	now = ns_stack_now(nep->stack);
	memset(o, 0, sizeof(*o));
	o->state = (uint8_t)ep->state;
	o->ca_state = ca_state(ep);
	o->options = (uint8_t)(((ep->flags & TCP_F_TS) ? NS_TCPI_OPT_TIMESTAMPS : 0) |
	                       ((ep->flags & TCP_F_SACK) ? NS_TCPI_OPT_SACK : 0) |
	                       ((ep->flags & TCP_F_WS) ? NS_TCPI_OPT_WSCALE : 0));
	if (ep->flags & TCP_F_WS) {
		o->snd_wscale = ep->snd_wscale;
		o->rcv_wscale = ep->rcv_wscale;
	}
	o->congestion = (uint8_t)tcp_cc_selected(ep);
	o->retransmits = ep->backoff;
	o->probes = ep->probes_out > ep->keep_probes ? ep->probes_out : ep->keep_probes;

	o->snd_mss = ep->mss;
	o->rcv_mss = ep->rcv_mss;
	o->advmss = tcp_adv_mss(ep);
	o->pmtu = ep->have_route ? ep->route.mtu : 0;

	if (ep->flags & TCP_F_RTT_VALID) {
		o->rtt_us = to_us(ep->srtt);
		o->rttvar_us = to_us(ep->rttvar);
	}
	o->rto_us = to_us(ep->rto);
	o->min_rtt_us = ep->rack.min_rtt ? to_us(ep->rack.min_rtt - 1) : 0;
	o->rcv_rtt_us = to_us(ep->rcv_rtt);

	if (tcp_state_synchronized(ep->state)) {
		o->snd_cwnd = ep->cwnd;
		o->snd_ssthresh = ep->ssthresh;
		o->snd_wnd = ep->snd_wnd;
		o->rcv_wnd = seq_gt(ep->rcv_adv, ep->rcv_nxt) ? ep->rcv_adv - ep->rcv_nxt : 0;
		o->unacked = ep->snd_max - ep->snd_una;
		o->in_flight = tcp_pipe(ep);
		o->sacked = tcp_sack_bytes(ep);
		o->lost = tcp_lost_bytes(ep);
		cap = ep->snd_max - ep->snd_una;
		o->notsent = ep->snd.len > cap ? ep->snd.len - cap : 0;
	}
	o->rcv_space = ep->rcv.buf ? ep->rcv.cap : ep->rcv.limit;
	o->snd_space = ep->snd.buf ? ep->snd.cap : ep->snd.limit;
	o->rcv_queued = ep->rcv.len;
	o->reord_seen = ep->rack.reord_seen;
	o->reo_wnd_us = to_us(tcp_rack_reo_wnd_now(ep));
	o->total_retrans = ep->total_retrans;
	o->undos = ep->undos;
	o->dsack_dups = ep->dsacks_rcvd;
	o->rcv_ooopack = ep->rcv_ooopack;
	o->segs_out = ep->segs_out;
	o->segs_in = ep->segs_in;
	o->data_segs_out = ep->data_segs_out;
	o->data_segs_in = ep->data_segs_in;

	o->bytes_sent = ep->bytes_sent;
	o->bytes_retrans = ep->bytes_retrans;
	o->bytes_acked = ep->bytes_acked;
	o->bytes_received = ep->bytes_received;
	o->delivered = ep->delivered;
	o->delivery_rate = ep->delivery_rate;

	o->last_data_sent_ms = ms_since(now, ep->last_data_sent);
	o->last_data_recv_ms = ms_since(now, ep->last_data_recv);
	o->last_ack_recv_ms = ms_since(now, ep->last_ack_recv);
	return NS_OK;
}
