/* SPDX-License-Identifier: MIT */
/*
 * SYN cookies (RFC 4987 3.6): a listener whose SYN queue is full answers with a cookie
 * SYN-ACK and keeps nothing; the peer's ACK rebuilds the connection. A forged or stale
 * ACK draws a RST and creates nothing. The listener's backlog is 1, so the first SYN
 * (from port 1000) fills the SYN queue and later ones (from 1001...) get cookies.
 */
#include <string.h>

#include "tcp_test.h"

#define ST       struct tt *t = *state
#define PEER_ISN 5000u

static void listen_backlog_1_and_fill(struct tt *t)
{
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 1), NS_OK);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000, .seq = 1, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000));
	assert_int_equal(tt_ep(t->l)->synq_len, 1);
}

/* A cookie SYN-ACK to port 1001 for @syn; returns its ISN. */
static uint32_t cookie_synack(struct tt *t, const struct tt_seg *syn, const struct tt_seg *want)
{
	const struct tt_rx *rx;

	tt_send(t, syn);
	rx = tt_expect(t, want);
	assert_int_equal(tt_ep(t->l)->synq_len, 1); /* nothing kept */
	return rx->h.seq;
}

static struct ns_ep *accept_one(struct tt *t)
{
	struct ns_ep *c = NULL;

	assert_int_equal(ns_ep_accept(t->l, NULL, &c, NULL), NS_OK);
	return c;
}

static void full_syn_queue_still_completes_handshake_by_cookie(void **state)
{
	ST;
	uint32_t iss;
	int64_t live;
	struct tcp_ep *ep;
	char buf[8];

	listen_backlog_1_and_fill(t);
	live = ns_stack_endpoints_live(t->nt.s);
	iss =
	    cookie_synack(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = PEER_ISN, .mss = 1400),
	                  TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001, .ack = PEER_ISN + 1,
	                         .mss = 1460, .wscale = -1, .sack_perm = 0, .ts = 0));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), live);
	/* The ACK (with data) rebuilds the connection: MSS 1300 from the table (the largest
	 * entry not above the peer's 1400). */
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1, .payload = "hi",
	                  .flags = TCP_ACK | TCP_PSH));
	t->c = accept_one(t);
	ep = tt_ep(t->c);
	assert_int_equal(ep->state, TCP_ESTABLISHED);
	assert_int_equal(ep->peer_mss, 1300);
	assert_int_equal(ep->iss, iss);
	assert_int_equal(ep->snd_una, iss + 1);
	assert_int_equal(ep->rcv_nxt, PEER_ISN + 3);
	assert_false(ep->flags & (TCP_F_WS | TCP_F_SACK | TCP_F_TS));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	tt_finish(t);
}

static void cookie_timestamp_carries_window_scale_and_sack(void **state)
{
	ST;
	uint32_t iss, tsval;
	const struct tt_rx *rx;
	struct tcp_ep *ep;

	listen_backlog_1_and_fill(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = PEER_ISN, .mss = 1460,
	                  .wscale = 7, .sack_perm = 1, .ts = 1, .tsval = 777));
	rx = tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001, .ack = PEER_ISN + 1,
	                         .sack_perm = 1, .ts = 1, .tsecr = 777));
	iss = rx->h.seq;
	tsval = rx->h.tsval;
	assert_true(rx->h.wscale >= 0);
	/* Linux's layout: the peer's shift (7) and the SACK bit (16) in TSval's low 6 bits. */
	assert_int_equal(tsval & 0x3f, 7 | 16);
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1, .ts = 1, .tsval = 778,
	                  .tsecr = tsval));
	t->c = accept_one(t);
	ep = tt_ep(t->c);
	assert_int_equal(ep->state, TCP_ESTABLISHED);
	assert_true(ep->flags & TCP_F_WS);
	assert_int_equal(ep->snd_wscale, 7);
	assert_true(ep->flags & TCP_F_SACK);
	assert_true(ep->flags & TCP_F_TS);
	assert_int_equal(ep->ts_recent, 778);
	tt_finish(t);
}

static void forged_cookie_ack_is_reset_and_creates_nothing(void **state)
{
	ST;
	uint32_t iss;
	int64_t live;

	listen_backlog_1_and_fill(t);
	live = ns_stack_endpoints_live(t->nt.s);
	iss =
	    cookie_synack(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = PEER_ISN, .mss = 1460),
	                  TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001));
	/* Wrong acknowledgment numbers: off in the hashed part, or in the counter. */
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1 + 1000));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = iss + 1 + 1000, .dport = 1001));
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1 + (1u << 24)));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = iss + 1 + (1u << 24), .dport = 1001));
	/* A blind guess from another port. */
	tt_send(t, TT_SEG(.sport = 1002, .seq = PEER_ISN + 1, .ack = iss + 1));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .dport = 1002));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), live);
	assert_int_equal(tt_ep(t->l)->acceptq_len, 0);
	tt_finish(t);
}

static void stale_cookie_is_rejected(void **state)
{
	ST;
	uint32_t iss;
	int64_t live;

	listen_backlog_1_and_fill(t);
	iss =
	    cookie_synack(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = PEER_ISN, .mss = 1460),
	                  TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001));
	/* Two counter periods later (the first child gave up meanwhile)... */
	nt_advance(&t->nt, 120 * NS_SEC);
	nt_discard(&t->nt);
	assert_int_equal(tt_ep(t->l)->synq_len, 0);
	/* ...with the listener overflowing again (so cookies are accepted at all), the old
	 * cookie has expired. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000, .seq = 1, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000));
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1003, .seq = 1, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1003));
	live = ns_stack_endpoints_live(t->nt.s);
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = iss + 1, .dport = 1001));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), live);
	tt_finish(t);
}

static void cookie_valid_a_minute_later(void **state)
{
	ST;
	uint32_t iss;

	listen_backlog_1_and_fill(t);
	iss =
	    cookie_synack(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = PEER_ISN, .mss = 1460),
	                  TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001));
	nt_advance(&t->nt, 59 * NS_SEC);
	nt_discard(&t->nt);
	tt_send(t, TT_SEG(.sport = 1001, .seq = PEER_ISN + 1, .ack = iss + 1));
	t->c = accept_one(t);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(full_syn_queue_still_completes_handshake_by_cookie),
	    T(cookie_timestamp_carries_window_scale_and_sack),
	    T(forged_cookie_ack_is_reset_and_creates_nothing),
	    T(stale_cookie_is_rejected),
	    T(cookie_valid_a_minute_later),
	};

	return cmocka_run_group_tests_name("tcp_syncookie", tests, NULL, NULL);
}
