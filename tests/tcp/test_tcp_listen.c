/* SPDX-License-Identifier: MIT */
/*
 * A listener's side of RFC 9293 3.10.7.2 and its queues: which flag combinations it drops
 * (as Linux's tcp_rcv_state_process()), the SYN queue (a half-open connection can leave
 * from anywhere in it), the accept queue bounded by the backlog, and what a full one does.
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

static void listener_drops_nonsense_flag_combinations(void **state)
{
	ST;

	tt_listen(t);
	/* SYN+FIN: Linux drops it silently (it is a scanner's trick, not a connection). */
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_FIN, .seq = 1, .mss = 1460));
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_FLAGS), 1);
	/* SYN+RST, a RST, a FIN, a bare segment: dropped, never answered (RFC 9293
	 * 3.10.7.2 first and fourth). */
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_RST, .seq = 1));
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = 1));
	tt_send(t, TT_SEG(.flags = TCP_FIN, .seq = 1));
	tt_send(t, TT_SEG(.flags = TCP_PSH, .seq = 1, .payload = "data"));
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_LISTEN_BAD), 4);
	/* Anything with ACK (SYN+ACK, FIN+ACK): <SEQ=SEG.ACK><CTL=RST> (second). */
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = 1, .ack = 5000));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 5000, .ack = 0, .window = 0, .len = 0));
	tt_send(t, TT_SEG(.flags = TCP_FIN | TCP_ACK, .seq = 1, .ack = 6000));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 6000, .len = 0));
	/* No connection came of any of it. */
	assert_int_equal(tt_ep(t->l)->synq_len, 0);
	assert_int_equal(tt_ep(t->l)->acceptq_len, 0);
	tt_finish(t);
}

/* Three handshakes in SYN-RECEIVED; the middle one is reset. The queue is doubly linked,
 * so it leaves in O(1) and the others stay intact and complete in any order. */
static void half_open_connection_leaves_the_middle_of_the_syn_queue(void **state)
{
	ST;
	uint32_t iss[3];
	struct ns_ep *a, *b, *none;
	struct tcp_ep *l;

	tt_listen(t);
	l = tt_ep(t->l);
	for (int i = 0; i < 3; i++) {
		tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000 + i, .seq = 100, .mss = 1460));
		iss[i] =
		    tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000 + i, .ack = 101))
		        ->h.seq;
	}
	assert_int_equal(l->synq_len, 3);
	tt_send(t, TT_SEG(.flags = TCP_RST, .sport = 1001, .seq = 101));
	tt_expect_nothing(t);
	assert_int_equal(l->synq_len, 2);
	/* The last one first, then the first: accept() hands them out in that order. */
	tt_send(t, TT_SEG(.sport = 1002, .seq = 101, .ack = iss[2] + 1));
	tt_send(t, TT_SEG(.sport = 1000, .seq = 101, .ack = iss[0] + 1));
	assert_int_equal(l->synq_len, 0);
	assert_int_equal(l->acceptq_len, 2);
	assert_int_equal(ns_ep_accept(t->l, NULL, &a, NULL), NS_OK);
	assert_int_equal(ns_ep_accept(t->l, NULL, &b, NULL), NS_OK);
	assert_int_equal(tt_ep(a)->tep.id.rport, 1002);
	assert_int_equal(tt_ep(b)->tep.id.rport, 1000);
	assert_int_equal(ns_ep_accept(t->l, NULL, &none, NULL), NS_ERR_WOULD_BLOCK);
	/* The reset one never reached the accept queue. A late ACK for it finds no
	 * connection, and the listener answers it with a RST (it is no cookie). */
	tt_send(t, TT_SEG(.sport = 1001, .seq = 101, .ack = iss[1] + 1));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .dport = 1001, .seq = iss[1] + 1));
	ns_ep_close(a);
	ns_ep_close(b);
	tt_finish(t);
}

/* The accept queue holds at most the backlog: a SYN that arrives while it is full is
 * dropped (the peer retries), and is answered once accept() made room. */
static void full_accept_queue_drops_syn_until_accept(void **state)
{
	ST;
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};
	struct ns_ep *c;
	uint32_t iss;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 1), NS_OK);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000, .seq = 100));
	iss = tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000))->h.seq;
	tt_send(t, TT_SEG(.sport = 1000, .seq = 101, .ack = iss + 1));
	assert_true(ns_ep_readiness(t->l, NS_EV_IN) & NS_EV_IN);
	/* Full: a second SYN is dropped, counted. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = 500));
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_LISTEN_OVERFLOW), 1);
	assert_int_equal(ns_ep_accept(t->l, NULL, &c, NULL), NS_OK);
	/* The peer's retransmitted SYN now gets its SYN-ACK. */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = 500));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001, .ack = 501));
	ns_ep_close(c);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(listener_drops_nonsense_flag_combinations),
	    T(half_open_connection_leaves_the_middle_of_the_syn_queue),
	    T(full_accept_queue_drops_syn_until_accept),
	};

	return cmocka_run_group_tests_name("tcp_listen", tests, NULL, NULL);
}
