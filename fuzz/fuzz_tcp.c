/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a libFuzzer target for one TCP connection's life, past the handshake.
 *
 * fuzz_frame.c feeds whole frames, which cannot get beyond SYN-RECEIVED: the fuzzer would
 * have to guess our ISS (a keyed hash) to complete a handshake. Here the harness plays the
 * peer's side of the handshake itself, reading our SYN-ACK, and the input then scripts the
 * rest as records interpreted relative to the connection's state, as lwIP's
 * tcp_create_rx_segment() does: sequence numbers as offsets from the peer's next one,
 * acknowledgements as offsets below the highest sequence number we sent, SACK blocks
 * inside what we sent, timestamps echoing ours (or stale), flags, windows, payload sizes,
 * and the application's reads, writes, shutdowns, closes and socket options, with the
 * virtual clock moved between them so every timer (RTO, RACK's reordering timer and TLP,
 * persist, delayed ACK, FIN_WAIT_2, TIME_WAIT) gets to fire. That reaches trimming, the
 * RFC 5961 checks, SACK scoring, RACK, PRR, undo, the receive queues and auto-tuning,
 * the TIME_WAIT cap and the forwarder with inputs no peer in a test would send.
 *
 * Input: 4 bytes of set-up, then 8-byte records (see the code). Byte 0 picks the way in:
 * a dual-stack IPv6 listener on [::]:80 reached over IPv4 (a v4-mapped child) or IPv6, or
 * the TCP forwarder for any address (NIC promiscuous, spoofing on), accepting inside its
 * callback or after it; and the options the peer's SYN offers and TCP settings.
 *
 * Each input gets a fresh stack (so an input behaves the same whatever ran before) on a
 * header-less channel link (no ARP or NDP in the way). Oracles, besides the sanitizers:
 * after every record the connection's invariants are checked (sequence-space order,
 * buffer bounds, out-of-order and SACK ranges in bounds, RACK's counters recounted by
 * tcp_rack_check(), TCP_INFO's byte counts within what is outstanding); at the end the
 * application closes what it holds, the clock runs until nothing is left, and no endpoint
 * and no packet may remain: a connection a peer can keep alive for ever, or a leak, aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/netstack.h"
#include "netstack/tcp.h"
#include "tcp/tcp.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NIC       1
#define PEER_PORT 40000
#define PEER_ISS  1000000u
#define REC_LEN   8
#define MAX_RECS  512

static struct {
	struct ns_vclock clock;
	struct ns_stack *s;
	struct ns_link *link;
	struct ns_ep *listener;
	struct ns_ep *ep; /* the connection, while the application holds it */
	struct tcp_ep *tep;
	/* The forwarder: the request the harness waits for, and how to answer it. */
	struct ns_tcp_fwd_req *req;
	bool want_req, accept_inside;
	/* The peer's view. */
	uint8_t fam;
	struct ns_addr local, peer; /* ours (the SYN's destination), the peer's */
	uint16_t lport;
	uint32_t pseq; /* the peer's next sequence number */
	uint32_t rnxt; /* one past the highest sequence number the stack sent */
	bool seen;     /* rnxt is valid (a segment of the connection was seen) */
	bool ts;       /* the peer uses timestamps */
	uint32_t tsval, ts_echo;
	bool trace; /* FUZZ_TCP_TRACE set: each record and the state after it, to stderr */
} F;

static uint8_t pay[65536];

/* An invariant broke: a finding. The line says which. */
#define check(ok) check_at((ok), #ok, __LINE__)
static void check_at(bool ok, const char *what, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tcp.c:%d: invariant broken: %s\n", line, what);
		abort();
	}
}

/* ---------------------------------------------------------------- the peer's segments */

struct seg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint32_t len;
	uint16_t mss;
	int8_t wscale;
	bool sack_perm, ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[6];
};

static void send_seg(const struct seg *m)
{
	static uint8_t b[40 + 60 + sizeof(pay)];
	struct tcp_repr h;
	uint32_t ipl = F.fam == NS_AF_INET6 ? 40 : 20, hl, tl;

	memset(&h, 0, sizeof(h));
	h.src_port = PEER_PORT;
	h.dst_port = F.lport;
	h.seq = m->seq;
	h.ack = m->ack;
	h.flags = m->flags;
	h.window = m->window;
	h.mss = m->mss;
	h.wscale = m->wscale;
	h.sack_permitted = m->sack_perm;
	h.has_ts = m->ts;
	h.tsval = m->tsval;
	h.tsecr = m->tsecr;
	h.nsack = m->nsack > (m->ts ? 3 : 4) ? (m->ts ? 3 : 4) : m->nsack;
	for (unsigned i = 0; i < h.nsack; i++) {
		h.sack[i].left = m->sack[2 * i];
		h.sack[i].right = m->sack[2 * i + 1];
	}
	hl = (uint32_t)tcp_repr_hdr_len(&h);
	tl = hl + m->len;
	tcp_emit(&h, b + ipl);
	memcpy(b + ipl + hl, pay, m->len);
	if (F.fam == NS_AF_INET6) {
		struct ipv6_repr ip = {
		    .payload_len = (uint16_t)tl, .next_header = 6, .hop_limit = 64};

		memcpy(ip.src, F.peer.a, 16);
		memcpy(ip.dst, F.local.a, 16);
		ipv6_emit(&ip, b);
		tcp_set_csum(b + ipl, tl, csum_pseudo_v6(ip.src, ip.dst, 6, tl));
	} else {
		struct ipv4_repr ip = {.total_len = (uint16_t)(ipl + tl), .ttl = 64, .proto = 6};

		memcpy(ip.src, F.peer.a, 4);
		memcpy(ip.dst, F.local.a, 4);
		ipv4_emit(&ip, b);
		tcp_set_csum(b + ipl, tl, csum_pseudo_v4(ip.src, ip.dst, 6, tl));
	}
	ns_channel_inject_bytes(F.link, b, ipl + tl);
}

/* Read and free what the stack sent; follow the connection's highest sequence number and
 * latest timestamp. Returns the SYN-ACK's ISS + 1 if one went out (else 0). */
static uint32_t drain(void)
{
	struct ns_pkt *p;
	uint32_t synack = 0;

	while ((p = ns_channel_read(F.link))) {
		const uint8_t *d = ns_pkt_data(p);
		uint32_t ipl = 0, len = p->len;
		struct tcp_repr h;

		if (len >= 40 && (d[0] >> 4) == 6 && d[6] == 6)
			ipl = 40;
		else if (len >= 20 && (d[0] >> 4) == 4 && d[9] == 6)
			ipl = (d[0] & 15u) * 4;
		if (ipl && ipl < len && tcp_parse(&h, d + ipl, len - ipl) == TCP_OK &&
		    h.dst_port == PEER_PORT && h.src_port == F.lport) {
			uint32_t end = h.seq + (len - ipl - h.hdr_len) + !!(h.flags & TCP_SYN) +
			               !!(h.flags & TCP_FIN);

			if ((h.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
				synack = h.seq + 1;
			if (!(h.flags & TCP_RST) && (!F.seen || seq_gt(end, F.rnxt))) {
				F.rnxt = end;
				F.seen = true;
			}
			if (h.has_ts)
				F.ts_echo = h.tsval;
		}
		ns_pkt_free(p);
	}
	return synack;
}

/* ---------------------------------------------------------------- invariants */

static void check_conn(void)
{
	const struct tcp_ep *ep = F.tep;
	struct ns_tcp_info ti;

	if (!ep)
		return;
	check(seq_le(ep->snd_una, ep->snd_nxt) && seq_le(ep->snd_nxt, ep->snd_max));
	check(ep->snd_max - ep->snd_una <= ep->snd.len + 2);
	check(ep->snd.buf ? ep->snd.len <= ep->snd.cap : ep->snd.len == 0);
	check(ep->rcv.buf ? ep->rcv.len <= ep->rcv.cap : ep->rcv.len == 0);
	check(ep->nooo <= TCP_OOO_MAX && ep->nsb <= TCP_SB_MAX);
	for (unsigned i = 0; i < ep->nooo; i++) {
		const struct tcp_range *r = &ep->ooo[i];

		/* Beyond RCV.NXT, sorted, disjoint, stored inside the ring. */
		check(seq_gt(r->left, ep->rcv_nxt) && seq_lt(r->left, r->right));
		check(i == 0 || seq_gt(r->left, ep->ooo[i - 1].right));
		check(ep->rcv.buf && ep->rcv.len + (r->right - ep->rcv_nxt) <= ep->rcv.cap);
	}
	if (tcp_state_synchronized(ep->state) && ep->state != TCP_TIME_WAIT)
		for (unsigned i = 0; i < ep->nsb; i++) {
			const struct tcp_range *r = &ep->sb[i];

			check(seq_ge(r->left, ep->snd_una) && seq_lt(r->left, r->right));
			check(seq_le(r->right, ep->snd_una + ep->snd.len));
			check(i == 0 || seq_gt(r->left, ep->sb[i - 1].right));
		}
	check(tcp_rack_check(ep));
	check(ns_ep_get_tcp_info(F.ep, &ti) == NS_OK);
	check(ti.sacked <= ti.unacked && ti.lost <= ti.unacked);
	if ((ep->flags & TCP_F_RACK) && ep->rack.rec)
		check(ti.in_flight <= ti.unacked);
}

/* ---------------------------------------------------------------- the forwarder */

static void on_syn(void *ctx, struct ns_tcp_fwd_req *req, const struct ns_tcp_fwd_id *id)
{
	(void)ctx;
	(void)id;
	if (!F.want_req || F.req) {
		ns_tcp_fwd_refuse(req, true); /* a stray SYN */
		return;
	}
	F.want_req = false;
	if (F.accept_inside) {
		if (ns_tcp_fwd_accept(req, NULL, &F.ep) != NS_OK)
			ns_tcp_fwd_refuse(req, false);
		return;
	}
	F.req = req;
}

/* ---------------------------------------------------------------- set-up */

static void tune(struct tcp_config *c, uint8_t b)
{
	c->rack = !(b & 1);
	c->timestamps = true;
	c->max_tw = (b & 2) ? 0 : 4;
	c->rcvbuf = (b & 4) ? 4096 : c->rcvbuf;
	c->sndbuf = (b & 8) ? 8192 : c->sndbuf;
	c->syncookies = !(b & 16);
}

static bool make_stack(uint8_t tuning)
{
	struct ns_stack_config cfg;
	struct ns_channel_config ch = {.header = NS_LINK_HDR_NONE, .queue_len = 4096};
	struct ns_subnet a4, a6;
	struct ns_route_entry r4 = {.nic = NIC}, r6 = {.nic = NIC};

	ns_vclock_init(&F.clock, NS_SEC);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &F.clock.base;
	cfg.seed = 0x7cb;
	cfg.ipv6_dad = false;
	cfg.ipv6_rtr_solicits = 0;
	if (ns_stack_new(&cfg, &F.s) != NS_OK)
		return false;
	F.link = ns_channel_new(&ch);
	if (!F.link || ns_stack_add_nic(F.s, NIC, F.link, "fz") != NS_OK)
		return false;
	r4.dest.addr.family = NS_AF_INET;
	r6.dest.addr.family = NS_AF_INET6;
	if (!ns_subnet_parse("192.0.2.2/24", &a4) || !ns_subnet_parse("2001:db8::2/64", &a6) ||
	    ns_stack_add_address(F.s, NIC, &a4) != NS_OK ||
	    ns_stack_add_address(F.s, NIC, &a6) != NS_OK || ns_stack_add_route(F.s, &r4) != NS_OK ||
	    ns_stack_add_route(F.s, &r6) != NS_OK)
		return false;
	tune(tcp_config(F.s), tuning);
	return true;
}

/* The handshake, the peer's side played by the harness. False if the connection could
 * not be made (then the input just ends). */
static bool open_conn(const uint8_t *in)
{
	uint8_t mode = in[0], wsb = in[2];
	bool fwd = mode & 2;
	struct ns_addr far4 = ns_addr_v4(198, 51, 100, 7), far6, any6 = {.family = NS_AF_INET6};
	struct seg m = {.seq = PEER_ISS, .flags = TCP_SYN, .window = 65535, .wscale = -1};
	uint32_t iss1;

	F.fam = (mode & 1) ? NS_AF_INET6 : NS_AF_INET;
	if (!ns_addr_parse("2001:db8::1", &F.peer) || !ns_addr_parse("2001:db8:77::7", &far6))
		return false;
	if (F.fam == NS_AF_INET) {
		F.peer = ns_addr_v4(192, 0, 2, 1);
		F.local = fwd ? far4 : ns_addr_v4(192, 0, 2, 2);
	} else if (fwd) {
		F.local = far6;
	} else if (!ns_addr_parse("2001:db8::2", &F.local)) {
		return false;
	}
	F.lport = fwd ? 443 : 80;
	if (fwd) {
		if (ns_stack_set_promiscuous(F.s, NIC, true) != NS_OK ||
		    ns_stack_set_spoofing(F.s, NIC, true) != NS_OK ||
		    ns_tcp_forwarder_set(F.s, on_syn, NULL, 4) != NS_OK)
			return false;
		F.want_req = true;
		F.accept_inside = mode & 4;
	}
	/* A dual-stack listener on [::]:80 either way (IPv4 SYNs to it become v4-mapped). */
	struct ns_sockaddr la = {.addr = any6, .port = 80};

	if (ns_ep_new(F.s, NS_AF_INET6, NS_IPPROTO_TCP, NULL, &F.listener) != NS_OK ||
	    ns_ep_bind(F.listener, &la) != NS_OK || ns_ep_listen(F.listener, 4) != NS_OK)
		return false;
	if (mode & 8)
		(void)ns_ep_set_opt(F.listener, NS_SO_RCVBUF, 3000 + in[3] * 64);
	if (mode & 16)
		(void)ns_ep_set_opt(F.listener, NS_TCP_NODELAY, 1);

	m.mss = (uint16_t)(in[1] < 8 ? 0 : in[1] * 8); /* 0: none (536) */
	m.wscale = (mode & 32) ? (int8_t)(wsb & 15) : -1;
	m.sack_perm = mode & 64;
	m.ts = F.ts = mode & 128;
	F.tsval = 5000;
	m.tsval = F.tsval;
	send_seg(&m);
	F.pseq = PEER_ISS + 1;
	if (fwd && F.req) {
		if (ns_tcp_fwd_accept(F.req, NULL, &F.ep) != NS_OK) {
			ns_tcp_fwd_refuse(F.req, true);
			F.req = NULL;
			return false;
		}
		F.req = NULL;
	}
	iss1 = drain();
	if (!iss1)
		return false; /* e.g. no route for a forwarded address */
	m = (struct seg){.seq = F.pseq,
	                 .ack = iss1,
	                 .flags = TCP_ACK,
	                 .window = 65535,
	                 .ts = F.ts,
	                 .tsval = ++F.tsval,
	                 .tsecr = F.ts_echo,
	                 .wscale = -1};
	send_seg(&m);
	drain();
	if (!fwd) {
		struct ns_sockaddr from;

		if (ns_ep_accept(F.listener, NULL, &F.ep, &from) != NS_OK)
			return false;
	}
	if (!F.ep)
		return false;
	F.tep = tcp_ep_of(F.ep);
	return true;
}

/* ---------------------------------------------------------------- the records */

static void app_close(void)
{
	if (F.ep) {
		ns_ep_close(F.ep);
		F.ep = NULL;
		F.tep = NULL;
	}
}

static void do_segment(const uint8_t *r)
{
	static const uint32_t unit[4] = {1, 97, 1460, 40000};
	struct seg m = {.wscale = -1};
	int8_t dseq = (int8_t)r[2];

	if (r[0] & 0x20)
		m.flags = r[1]; /* anything, SYN and RST included */
	else
		m.flags = (uint8_t)(TCP_ACK | (r[1] & (TCP_FIN | TCP_PSH)));
	m.seq = F.pseq + (uint32_t)((int32_t)dseq * (int32_t)unit[(r[0] >> 3) & 3]);
	if (r[3] == 255)
		m.ack = F.rnxt + 1000; /* beyond what we sent */
	else
		m.ack = F.rnxt - (uint32_t)r[3] * ((r[0] & 0x40) ? 1u : 512u);
	m.window = (uint16_t)(r[4] * 257u);
	m.len = r[5] * 8u;
	m.nsack = r[6] & 3;
	for (unsigned k = 0; k < m.nsack; k++) {
		uint32_t left = F.rnxt - (((uint32_t)(r[6] >> 2) + 1 + 9 * k) * 256u);

		m.sack[2 * k] = left;
		m.sack[2 * k + 1] = left + ((((uint32_t)r[7] >> (2 * k)) & 3) + 1) * 256u;
	}
	if (F.ts) {
		m.ts = true;
		if (!(r[7] & 0x80))
			F.tsval += r[7] & 1;
		m.tsval = (r[7] & 0x80) ? F.tsval - 100000 : F.tsval; /* stale: PAWS */
		m.tsecr = (r[7] & 0x40) ? F.ts_echo + 12345 : F.ts_echo;
	}
	send_seg(&m);
	if (dseq == 0 && !(m.flags & TCP_RST))
		F.pseq += m.len + !!(m.flags & TCP_SYN) + !!(m.flags & TCP_FIN);
}

static void do_app(const uint8_t *r)
{
	static uint8_t buf[65536];
	size_t n;

	switch (r[0] & 7) {
	case 5:
		(void)ns_ep_read(F.ep, buf, (size_t)r[1] * 64u, (r[2] & 1) ? NS_MSG_PEEK : 0, NULL);
		break;
	case 6: {
		struct ns_write_opts o = {.flags = (r[2] & 1) ? NS_MSG_MORE : 0};

		(void)ns_ep_write(F.ep, pay, (size_t)r[1] * 128u, &o, &n);
		break;
	}
	default:
		switch (r[1] & 7) {
		case 0:
			(void)ns_ep_shutdown(F.ep, NS_SHUT_WR);
			break;
		case 1:
			(void)ns_ep_shutdown(F.ep, NS_SHUT_RD);
			break;
		case 2:
			app_close();
			break;
		case 3:
			(void)ns_ep_set_opt(F.ep, NS_SO_RCVBUF, (int64_t)r[2] * 1024);
			break;
		case 4:
			(void)ns_ep_set_opt(F.ep, NS_SO_SNDBUF, (int64_t)r[2] * 1024);
			break;
		case 5:
			(void)ns_ep_set_opt(F.ep, NS_TCP_NODELAY, r[2] & 1);
			break;
		case 6:
			(void)ns_ep_set_opt(F.ep, NS_TCP_CORK, r[2] & 1);
			break;
		default:
			(void)ns_ep_set_opt(F.ep, NS_SO_LINGER, (int64_t)(r[2] & 3) - 1);
			break;
		}
	}
}

static void run_record(const uint8_t *r)
{
	switch (r[0] & 7) {
	case 0:
	case 1:
	case 2:
	case 3:
		do_segment(r);
		break;
	case 4:
		F.clock.now += (uint64_t)(r[1] + 1) * ((uint64_t)1 << (r[2] & 15)) * 1000;
		ns_stack_poll(F.s);
		break;
	default:
		if (F.ep)
			do_app(r);
		break;
	}
	drain();
	if (F.trace && F.tep) {
		const struct tcp_ep *e = F.tep;

		fprintf(
		    stderr,
		    "rec %02x %02x %02x %02x %02x %02x %02x %02x: %s una %u nxt %u max %u "
		    "sndlen %u | rcv_nxt %u adv %u rcvlen %u cap %u nooo %u [%u %u) | peer %u\n",
		    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tcp_state_name(e->state),
		    e->snd_una, e->snd_nxt, e->snd_max, e->snd.len, e->rcv_nxt, e->rcv_adv,
		    e->rcv.len, e->rcv.cap, e->nooo, e->nooo ? e->ooo[0].left : 0,
		    e->nooo ? e->ooo[0].right : 0, F.pseq);
	}
	/* A connection that reached CLOSED is still the application's: its state stays
	 * checkable until close. */
	check_conn();
}

/* The application lets go of everything; time runs until nothing is left. */
static void finish(void)
{
	app_close();
	if (F.listener)
		ns_ep_close(F.listener);
	F.listener = NULL;
	if (F.req)
		ns_tcp_fwd_refuse(F.req, false);
	F.req = NULL;
	for (int i = 0; i < 100000 && ns_stack_endpoints_live(F.s) > 0; i++) {
		uint64_t next = ns_stack_next_deadline(F.s);

		if (next == UINT64_MAX)
			break;
		if (next > F.clock.now)
			F.clock.now = next;
		ns_stack_poll(F.s);
		drain();
	}
	drain();
	check(ns_stack_endpoints_live(F.s) == 0); /* nothing a peer can keep alive */
	check(ns_pkt_live() == 0);                /* nothing leaked */
	ns_stack_free(F.s);
	F.s = NULL;
	ns_link_destroy(F.link);
	F.link = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nrec;

	if (size < 4)
		return 0;
	memset(&F, 0, sizeof(F));
	F.trace = getenv("FUZZ_TCP_TRACE") != NULL;
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7 + 3);
	if (!make_stack(data[3])) {
		abort(); /* set-up failures are bugs */
	}
	if (open_conn(data)) {
		/* Something to send, so ACKs, SACKs and losses have data to act on. */
		size_t n;

		(void)ns_ep_write(F.ep, pay, (size_t)(data[1] & 0x3f) * 1024u, NULL, &n);
		drain();
		check_conn();
		nrec = (size - 4) / REC_LEN;
		if (nrec > MAX_RECS)
			nrec = MAX_RECS;
		for (size_t i = 0; i < nrec; i++)
			run_record(data + 4 + i * REC_LEN);
	}
	finish();
	return 0;
}
