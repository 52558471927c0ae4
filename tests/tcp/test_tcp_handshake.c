/* SPDX-License-Identifier: MIT */
/*
 * TCP connection establishment: passive and active open with and without options,
 * simultaneous open, the listen backlog, and RSTs for segments to no endpoint
 * (RFC 9293 3.5, 3.10.7.1-3; RFC 7323; RFC 2018).
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

static struct tcp_stack *tt_ep_stack(struct tt *t)
{
	return tcp_stack_of(t->nt.s);
}

static void passive_open_synack_answers_every_option(void **state)
{
	ST;
	const struct tt_rx *sa;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .wscale = 7, .sack_perm = 1, .ts = 1,
	                  .tsval = 4242, .window = 64240));
	sa = tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1, .mss = 1460,
	                         .wscale = 7, .sack_perm = 1, .ts = 1, .tsecr = 4242,
	                         .window = 65535, .sport = TT_PORT, .dport = TT_PEER_PORT, .len = 0,
	                         .df = 1, .ttl = 64));
	/* The handshake completes with the ACK; TS from now on in every segment. */
	tt_send(t, TT_SEG(.ts = 1, .tsval = 4243, .tsecr = sa->h.tsval));
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	assert_true(t->lev & NS_EV_IN);
	/* 1460 - 12 bytes of timestamp option per segment (RFC 7323 3.2, RFC 9293 3.7.1). */
	assert_int_equal(tt_ep(t->c)->mss, 1448);
	assert_int_equal(tt_ep(t->c)->snd_wscale, 7);
	tt_write(t->c, "hi", 2);
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .payload = "hi", .ts = 1, .tsecr = 4243,
	                    .window = 131072 >> 7));
	tt_finish(t);
}

static void passive_open_without_options_answers_none(void **state)
{
	ST;
	const struct tt_rx *sa;

	tt_listen(t);
	sa = tt_passive_open(t, TT_SEG(.flags = TCP_SYN));
	assert_int_equal(sa->h.mss, 1460); /* MSS is always sent */
	assert_int_equal(sa->h.wscale, -1);
	assert_false(sa->h.sack_permitted);
	assert_false(sa->h.has_ts);
	/* No MSS option from the peer: 536 (RFC 9293 3.7.1). */
	assert_int_equal(tt_ep(t->c)->mss, 536);
	tt_finish(t);
}

static void passive_open_established_after_ack_then_accept(void **state)
{
	ST;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	/* Not acceptable before the handshake completes. */
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_ERR_WOULD_BLOCK);
	assert_int_equal(ns_ep_readiness(t->l, NS_EV_IN), 0);
	tt_send(t, TT_SEG());
	assert_int_equal(ns_ep_readiness(t->l, NS_EV_IN), NS_EV_IN);
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	assert_int_equal(ns_ep_readiness(t->c, NS_EV_OUT), NS_EV_OUT);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void synack_retransmitted_at_rto_then_dropped(void **state)
{
	ST;
	uint64_t t0;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK));
	t0 = nt_now(&t->nt);
	/* RFC 6298 2.1: 1 s initial RTO, doubling; synack_retries (5) then silence. */
	for (int i = 0; i < 5; i++) {
		uint64_t at = t0 + ((2ull << i) - 1) * NS_SEC;

		nt_advance(&t->nt, at - 1 - nt_now(&t->nt));
		tt_expect_nothing(t);
		nt_advance(&t->nt, 1);
		tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	}
	nt_advance(&t->nt, 64 * NS_SEC);
	tt_expect_nothing(t);
	assert_int_equal(tt_ep(t->l)->synq_len, 0);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

static void duplicate_syn_in_syn_rcvd_resends_synack(void **state)
{
	ST;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .seq = TT_PEER_ISS));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .seq = TT_PEER_ISS));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = TT_PEER_ISS + 1));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void active_open_sends_syn_with_options_and_completes(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	const struct tt_rx *r;
	uint32_t iss;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_ALREADY_CONNECTING);
	assert_int_equal(ns_ep_readiness(t->c, NS_EV_OUT), 0);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN, .dport = TT_PEER_PORT, .mss = 1460, .wscale = 7,
	                        .sack_perm = 1, .ts = 1, .tsecr = 0, .window = 65535, .len = 0));
	iss = r->h.seq;
	t->port = r->h.src_port;
	assert_true(t->port >= 32768 && t->port <= 60999);
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = iss + 1, .mss = 1400, .wscale = 2,
	                  .window = 1000));
	/* Our window is scaled from now on (7): the 128 KiB buffer. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = iss + 1, .ack = TT_PEER_ISS + 1, .len = 0,
	                    .ts = 0, .window = 131072 >> 7));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	assert_true(t->cev & NS_EV_OUT);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_OK); /* reports completion once */
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_ALREADY_CONNECTED);
	/* The SYN-ACK's window is not scaled (RFC 7323 2.2); MSS from the peer. */
	assert_int_equal(tt_ep(t->c)->snd_wnd, 1000);
	assert_int_equal(tt_ep(t->c)->mss, 1400);
	assert_true(tt_ep(t->c)->flags & TCP_F_WS);
	assert_int_equal(tt_ep(t->c)->snd_wscale, 2);
	assert_false(tt_ep(t->c)->flags & (TCP_F_TS | TCP_F_SACK));
	tt_finish(t);
}

static void active_open_refused_by_rst(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	const struct tt_rx *r;
	int64_t err;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN));
	t->port = r->h.src_port;
	/* A RST without an acceptable ACK is ignored in SYN-SENT (RFC 5961 3.2). */
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = 0));
	assert_int_equal(tt_state(t->c), TCP_SYN_SENT);
	tt_send(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = r->h.seq + 1));
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_true(t->cev & NS_EV_ERR);
	assert_int_equal(ns_ep_get_opt(t->c, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_CONNECTION_REFUSED);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void active_open_syn_retries_then_timeout(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	tt_expect(t, TT_SEG(.flags = TCP_SYN));
	/* syn_retries = 6: retransmissions at 1, 3, 7, 15, 31, 63 s; failure at 127 s. */
	for (int i = 0; i < 6; i++) {
		nt_advance(&t->nt, (1ull << i) * NS_SEC);
		tt_expect(t, TT_SEG(.flags = TCP_SYN));
	}
	nt_advance(&t->nt, 64 * NS_SEC - 1);
	assert_int_equal(tt_state(t->c), TCP_SYN_SENT);
	nt_advance(&t->nt, 1);
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_TIMEOUT);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void simultaneous_open_reaches_established(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	const struct tt_rx *r;
	uint32_t iss;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN));
	iss = r->h.seq;
	t->port = r->h.src_port;
	/* RFC 9293 3.5 figure 8: the SYNs cross. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460));
	assert_int_equal(tt_state(t->c), TCP_SYN_RCVD);
	tt_expect(
	    t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = iss, .ack = TT_PEER_ISS + 1, .mss = 1460));
	/* The peer's SYN-ACK completes it (as Linux accepts it in SYN-RECEIVED). */
	tt_send(
	    t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = TT_PEER_ISS, .ack = iss + 1, .mss = 1460));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	assert_true(t->cev & NS_EV_OUT);
	tt_write(t->c, "x", 1);
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .seq = iss + 1, .ack = TT_PEER_ISS + 1,
	                    .payload = "x"));
	tt_finish(t);
}

static void rst_answers_syn_to_closed_port(void **state)
{
	ST;

	t->port = 81;
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = 5000, .mss = 1460));
	/* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = 5001, .window = 0,
	                    .sport = 81, .dport = TT_PEER_PORT, .len = 0, .ts = 0));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_NO_ENDPOINT), 1);
	tt_finish(t);
}

static void rst_answers_ack_and_data_to_closed_port(void **state)
{
	ST;

	t->port = 81;
	/* With ACK: <SEQ=SEG.ACK><CTL=RST>. */
	tt_send(t, TT_SEG(.flags = TCP_ACK, .seq = 7, .ack = 12345, .payload = "data"));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 12345, .ack = 0));
	/* Without ACK, data and FIN count: ACK = SEQ + 4 + 1. */
	tt_send(t, TT_SEG(.flags = TCP_FIN, .seq = 100, .payload = "data"));
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = 0, .ack = 105));
	tt_finish(t);
}

static void no_rst_for_rst_bad_checksum_or_broadcast(void **state)
{
	ST;

	t->port = 81;
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = 9));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .csum = 0x1234));
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_CSUM), 1);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .dst = NT_V4(192, 0, 2, 255), .eth_dst = NT_MAC_BCAST));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void ack_to_listener_draws_rst(void **state)
{
	ST;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_ACK, .seq = 1, .ack = 777));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 777));
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = 1));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void backlog_bounds_half_open_connections(void **state)
{
	ST;
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};

	tcp_config(t->nt.s)->syncookies = false; /* with cookies: test_tcp_syncookie.c */
	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 2), NS_OK);
	for (int i = 0; i < 3; i++)
		tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000 + i, .seq = 1));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001));
	tt_expect_nothing(t); /* without SYN cookies the third waits for a retry */
	assert_int_equal(tt_ep(t->l)->synq_len, 2);
	tt_finish(t);
}

static void listener_close_resets_unaccepted_connections(void **state)
{
	ST;

	tt_listen(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK));
	tt_send(t, TT_SEG());
	ns_ep_close(t->l);
	t->l = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = t->rnxt));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 0);
	tt_finish(t);
}

/* Simultaneous open where the peer, already ESTABLISHED, completes it with a plain ACK
 * of our SYN (RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT
 * then enter ESTABLISHED"). */
static void simultaneous_open_completed_by_a_plain_ack(void **state)
{
	ST;
	struct ns_sockaddr to = {.addr = NT_ADDR_PEER, .port = TT_PEER_PORT};
	const struct tt_rx *r;
	uint32_t iss;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->cwq, &t->c), NS_OK);
	assert_int_equal(ns_ep_connect(t->c, &to), NS_ERR_CONNECT_STARTED);
	r = tt_expect(t, TT_SEG(.flags = TCP_SYN));
	iss = r->h.seq;
	t->port = r->h.src_port;
	tt_send(t, TT_SEG(.flags = TCP_SYN, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = iss, .ack = TT_PEER_ISS + 1));
	/* An ACK of something we never sent is refused first (a RST, SYN-RECEIVED). */
	tt_send(t, TT_SEG(.ack = iss + 5));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = iss + 5));
	assert_int_equal(tt_state(t->c), TCP_SYN_RCVD);
	tt_send(t, TT_SEG(.ack = iss + 1, .payload = "hi"));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = TT_PEER_ISS + 3, .len = 0));
	tt_finish(t);
}

/* RFC 6528 3: ISN = M + F(4-tuple, secret), M a 4 us clock. The same 4-tuple's ISN moves
 * with the clock (one per 4 us); a 4-tuple one port away starts somewhere unrelated. */
static void isn_is_a_4us_clock_plus_a_keyed_hash_of_the_tuple(void **state)
{
	ST;
	struct tcp_stack *ts = tt_ep_stack(t);
	struct ns_tep_id a = {
	    .local = NT_ADDR_US, .remote = NT_ADDR_PEER, .lport = 80, .rport = 40000};
	struct ns_tep_id b = a;
	uint32_t i0, i1, j0;

	b.rport = 40001;
	i0 = tcp_isn(ts, &a);
	j0 = tcp_isn(ts, &b);
	nt_advance(&t->nt, NS_SEC);
	i1 = tcp_isn(ts, &a);
	assert_int_equal(i1 - i0, 250000); /* 1 s / 4 us */
	assert_true(i0 - j0 > 1000000 && j0 - i0 > 1000000);
	assert_int_equal(tcp_isn(ts, &b) - j0, 250000);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(passive_open_synack_answers_every_option),
	    T(passive_open_without_options_answers_none),
	    T(passive_open_established_after_ack_then_accept),
	    T(synack_retransmitted_at_rto_then_dropped),
	    T(duplicate_syn_in_syn_rcvd_resends_synack),
	    T(active_open_sends_syn_with_options_and_completes),
	    T(active_open_refused_by_rst),
	    T(active_open_syn_retries_then_timeout),
	    T(simultaneous_open_reaches_established),
	    T(simultaneous_open_completed_by_a_plain_ack),
	    T(isn_is_a_4us_clock_plus_a_keyed_hash_of_the_tuple),
	    T(rst_answers_syn_to_closed_port),
	    T(rst_answers_ack_and_data_to_closed_port),
	    T(no_rst_for_rst_bad_checksum_or_broadcast),
	    T(ack_to_listener_draws_rst),
	    T(backlog_bounds_half_open_connections),
	    T(listener_close_resets_unaccepted_connections),
	};

	return cmocka_run_group_tests_name("tcp_handshake", tests, NULL, NULL);
}
