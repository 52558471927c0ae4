/* SPDX-License-Identifier: MIT */
/*
 * Closing TCP connections: active close through FIN_WAIT_1/2 and TIME_WAIT (2*MSL), passive
 * close through CLOSE_WAIT and LAST_ACK, simultaneous close, half-close, abortive close
 * (unread data, SO_LINGER 0), data after close, and RFC 6191 reuse of a TIME_WAIT 4-tuple
 * (RFC 9293 3.6, 3.10.4, 3.10.7.4).
 */
#include <string.h>

#include "tcp_test.h"

#define ST           struct tt *t = *state
#define TIME_WAIT_NS (60 * NS_SEC) /* 2 * MSL, MSL = 30 s */

static void active_close_time_wait_expires_at_2msl(void **state)
{
	ST;
	char b[4];

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_FIN_WAIT_1);
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(ns_ep_write(t->c, "x", 1, NULL, NULL), NS_ERR_CLOSED_FOR_SEND);
	tt_send(t, TT_SEG());
	assert_int_equal(tt_state(t->c), TCP_FIN_WAIT_2);
	/* Half-close: the peer still sends. */
	tt_send(t, TT_SEG(.payload = "late"));
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 4);
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(tt_state(t->c), TCP_TIME_WAIT);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	ns_ep_close(t->c);
	t->c = NULL;
	nt_advance(&t->nt, TIME_WAIT_NS - 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 2);
	nt_advance(&t->nt, 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1); /* the listener */
	tt_expect_nothing(t);
	tt_finish(t);
}

static void time_wait_acks_retransmitted_fin_and_restarts(void **state)
{
	ST;
	uint32_t fin_seq;

	tt_established(t);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	fin_seq = t->pseq;
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = fin_seq + 1));
	nt_advance(&t->nt, 30 * NS_SEC);
	/* The peer did not get our ACK and sends its FIN again: ACK, 2*MSL from now. */
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = fin_seq));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = fin_seq + 1));
	nt_advance(&t->nt, TIME_WAIT_NS - 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 2);
	nt_advance(&t->nt, 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

static void passive_close_close_wait_then_last_ack(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .payload = "bye"));
	/* RFC 9293 3.10.7.4 eighth: the FIN is acknowledged at once. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(tt_state(t->c), TCP_CLOSE_WAIT);
	assert_true(t->cev & NS_EV_RDHUP);
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 3);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	/* Our side may still send. */
	tt_write(t->c, "ok", 2);
	tt_expect(t, TT_SEG(.payload = "ok"));
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = t->rnxt - 2 + 2));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 2);
	tt_send(t, TT_SEG());
	/* LAST_ACK -> CLOSED: gone, no TIME_WAIT on this side. */
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_expect_nothing(t);
	tt_finish(t);
}

/* Out-of-order data beyond the peer's FIN (a broken or hostile peer: the FIN at RCV.NXT,
 * bytes after it held out of order) can never be delivered. As Linux's tcp_fin(), it is
 * dropped when the FIN is taken: no SACK block keeps reporting it, and the receive ring
 * is not pinned through TIME_WAIT. Found by fuzz/fuzz_tcp.c. */
static void data_held_beyond_the_fin_is_dropped(void **state)
{
	ST;
	char b[8];

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	tt_send(t, TT_SEG(.seq = t->pseq + 1, .payload = "after"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .nsack = 1,
	                    .sack = {t->pseq + 1, t->pseq + 6}));
	assert_int_equal(tt_ep(t->c)->nooo, 1);
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = t->pseq));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq + 1, .nsack = 0));
	assert_int_equal(tt_state(t->c), TCP_CLOSE_WAIT);
	assert_int_equal(tt_ep(t->c)->nooo, 0);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	tt_finish(t);
}

static void simultaneous_close_through_closing(void **state)
{
	ST;
	uint32_t our_fin;

	tt_established(t);
	our_fin = t->rnxt;
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = our_fin));
	/* The peer's FIN crosses ours: it does not acknowledge our FIN. */
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .ack = our_fin));
	assert_int_equal(tt_state(t->c), TCP_CLOSING);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = our_fin + 1, .ack = t->pseq));
	tt_send(t, TT_SEG(.ack = our_fin + 1));
	assert_int_equal(tt_state(t->c), TCP_TIME_WAIT);
	tt_finish(t);
}

static void fin_retransmitted_at_rto(void **state)
{
	ST;

	tt_established(t);
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = t->rnxt - 1));
	tt_finish(t);
}

static void fin_follows_queued_data(void **state)
{
	ST;

	tt_established(t);
	tt_write(t->c, "last words", 10);
	tt_expect(t, TT_SEG(.payload = "last words"));
	tt_write(t->c, "!", 1); /* held by Nagle... */
	ns_ep_close(t->c);      /* ...and pushed, with the FIN, by close */
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK | TCP_PSH, .payload = "!"));
	tt_finish(t);
}

static void close_with_unread_data_sends_rst(void **state)
{
	ST;

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.payload = "unread"));
	ns_ep_close(t->c);
	t->c = NULL;
	/* RFC 2525 2.17, as Linux: data would be lost silently otherwise. */
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = t->rnxt, .ack = t->pseq));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

static void linger_zero_close_sends_rst(void **state)
{
	ST;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_LINGER, 0), NS_OK);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = t->rnxt));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void data_after_close_draws_rst(void **state)
{
	ST;

	tt_established(t);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_send(t, TT_SEG());
	tt_send(t, TT_SEG(.payload = "anyone?"));
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK));
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

static void orphan_fin_wait_2_times_out(void **state)
{
	ST;

	tt_established(t);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_send(t, TT_SEG());
	nt_advance(&t->nt, 60 * NS_SEC - 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 2);
	nt_advance(&t->nt, 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

/* Put the accepted connection in TIME_WAIT (we close first), as a server would. */
static uint32_t server_time_wait(struct tt *t)
{
	uint32_t peer_fin;

	tt_established(t);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	peer_fin = t->pseq;
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = peer_fin + 1));
	return peer_fin + 1;
}

static void time_wait_reused_by_syn_with_higher_sequence(void **state)
{
	ST;
	uint32_t old_snd = t->rnxt;
	uint32_t rcv_nxt = server_time_wait(t);
	const struct tt_rx *sa;

	old_snd = t->rnxt;
	/* RFC 6191 / RFC 1122 4.2.2.13: a SYN above the old RCV.NXT starts a new connection,
	 * with an ISS above the old incarnation's (as Linux: SND.NXT + 65535 + 2). */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = rcv_nxt + 100000, .mss = 1460));
	sa = tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = rcv_nxt + 100001));
	assert_int_equal(sa->h.seq, old_snd + 65535 + 2);
	t->pseq = rcv_nxt + 100001;
	tt_send(t, TT_SEG());
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void time_wait_answers_old_syn_with_ack(void **state)
{
	ST;
	uint32_t rcv_nxt = server_time_wait(t);

	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = rcv_nxt - 1000, .mss = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = rcv_nxt));
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_ERR_WOULD_BLOCK);
	tt_finish(t);
}

/* Linux's tcp_max_tw_buckets: with the TIME_WAIT table full, an active close ends at
 * once, after it has ACKed the peer's FIN, and is counted. */
static void time_wait_table_full_closes_at_once(void **state)
{
	ST;
	tcp_config(t->nt.s)->max_tw = 1;
	tt_established(t);
	/* The first connection takes the one TIME_WAIT slot. */
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .len = 0));
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_ep(t->l)->ts->ntw, 1);
	/* A second connection from another port. */
	t->rnxt = 0;
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 2000, .seq = 7000, .mss = 1460));
	t->rnxt =
	    tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 2000, .ack = 7001))->h.seq + 1;
	tt_send(t, TT_SEG(.sport = 2000, .seq = 7001));
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .dport = 2000, .seq = t->rnxt, .len = 0));
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .sport = 2000, .seq = 7001));
	/* Its FIN is ACKed all the same, then it is gone: no TIME_WAIT. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .dport = 2000, .ack = 7002, .len = 0));
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_TW_OVERFLOW), 1);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 2); /* the listener, the first */
	/* A retransmission of that FIN finds no connection: RST. */
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .sport = 2000, .seq = 7001));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .dport = 2000, .len = 0));
	/* The slot frees after 2*MSL. */
	nt_advance(&t->nt, TIME_WAIT_NS);
	assert_int_equal(tt_ep(t->l)->ts->ntw, 0);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

/* RFC 6191 with timestamps: the SYN's TSval, not its sequence number, decides. A SYN
 * below the old RCV.NXT but with a newer TSval opens a new connection; one with an older
 * TSval is an old duplicate, answered with the TIME_WAIT ACK. */
static void time_wait_reused_by_syn_with_newer_timestamp(void **state)
{
	ST;
	uint32_t peer_fin;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 5000));
	ns_ep_close(t->c);
	t->c = NULL;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .ts = 1, .tsecr = 5000));
	peer_fin = t->pseq;
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .ts = 1, .tsval = 5001));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = peer_fin + 1));
	/* Older TSval (and a lower sequence number): an old duplicate. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = peer_fin - 500, .ts = 1, .tsval = 4000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = peer_fin + 1, .len = 0));
	/* Newer TSval, lower sequence number: a new incarnation (RFC 6191 2). */
	nt_advance(&t->nt, 600 * NS_MSEC); /* past the ACK rate limit for SYNs */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = peer_fin - 500, .mss = 1460, .ts = 1,
	                  .tsval = 6000));
	tt_expect(
	    t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .ack = peer_fin - 499, .ts = 1, .tsecr = 6000));
	t->pseq = peer_fin - 499;
	tt_send(t, TT_SEG(.ts = 1, .tsval = 6001));
	assert_int_equal(ns_ep_accept(t->l, &t->cwq, &t->c, NULL), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

/* Half-close the other way round: the peer has sent its FIN (CLOSE_WAIT), and a whole
 * stream still flows from us, acknowledged as usual, before our own FIN. */
static void close_wait_keeps_sending_until_our_fin(void **state)
{
	ST;
	static uint8_t data[5000];
	uint32_t s0;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(tt_state(t->c), TCP_CLOSE_WAIT);
	s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	for (int i = 0; i < 3; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1460 * i, .ack = t->pseq, .len = 1460));
	tt_expect(t, TT_SEG(.seq = s0 + 4380, .len = 620));
	tt_send(t, TT_SEG(.ack = s0 + 5000));
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	assert_int_equal(tt_state(t->c), TCP_LAST_ACK);
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = s0 + 5000, .len = 0));
	tt_send(t, TT_SEG(.ack = s0 + 5001));
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	tt_finish(t);
}

/* shutdown(SHUT_RD), as Linux: reads report end of stream at once; what the peer still
 * sends is acknowledged (the connection is not reset) and never reaches the reader. */
static void shutdown_read_side_reads_end_of_stream(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_RD), NS_OK);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	tt_send(t, TT_SEG(.payload = "late"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	/* Our side still sends. */
	tt_write(t->c, "out", 3);
	tt_expect(t, TT_SEG(.payload = "out"));
	tt_finish(t);
}

/* SO_LINGER with a timeout: close() returns at once; if the FIN is still unacknowledged
 * when the time is up, the connection is reset. */
static void linger_timeout_resets_an_unacknowledged_close(void **state)
{
	ST;
	uint32_t fin;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_LINGER, 2), NS_OK);
	tt_write(t->c, "last", 4);
	tt_expect(t, TT_SEG(.payload = "last"));
	ns_ep_close(t->c);
	t->c = NULL;
	fin = t->rnxt;
	tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = fin, .len = 0));
	/* The peer never answers: RTO retransmissions at 0.2, 0.6 and 1.4 s... */
	nt_advance(&t->nt, 2 * NS_SEC - 1);
	while (nt_pending(&t->nt))
		tt_expect(t, TT_SEG(.flags = TCP_FIN | TCP_ACK | TCP_PSH, .payload = "last"));
	nt_advance(&t->nt, 1);
	/* ...and at 2 s the linger deadline: RST. */
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = fin + 1));
	tt_expect_nothing(t);
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(active_close_time_wait_expires_at_2msl),
	    T(data_held_beyond_the_fin_is_dropped),
	    T(time_wait_acks_retransmitted_fin_and_restarts),
	    T(passive_close_close_wait_then_last_ack),
	    T(simultaneous_close_through_closing),
	    T(fin_retransmitted_at_rto),
	    T(fin_follows_queued_data),
	    T(close_with_unread_data_sends_rst),
	    T(linger_zero_close_sends_rst),
	    T(data_after_close_draws_rst),
	    T(orphan_fin_wait_2_times_out),
	    T(time_wait_reused_by_syn_with_higher_sequence),
	    T(time_wait_answers_old_syn_with_ack),
	    T(time_wait_table_full_closes_at_once),
	    T(time_wait_reused_by_syn_with_newer_timestamp),
	    T(close_wait_keeps_sending_until_our_fin),
	    T(shutdown_read_side_reads_end_of_stream),
	    T(linger_timeout_resets_an_unacknowledged_close),
	};

	return cmocka_run_group_tests_name("tcp_close", tests, NULL, NULL);
}
