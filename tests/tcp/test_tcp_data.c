/* SPDX-License-Identifier: MIT */
/*
 * TCP data transfer on an established connection: exact ACKs, delayed ACKs, out-of-order
 * data and SACK blocks, the receive window (zero window, updates), Nagle and cork, send
 * buffer back-pressure (RFC 9293 3.8, 3.10.7.4; RFC 1122 4.2.3; RFC 5681 4.2; RFC 2018).
 * The peer's SYN carries only MSS 1460 unless a test says otherwise, so windows are
 * unscaled and segments carry no timestamps.
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

static void peer_data_acked_after_delayed_ack_timeout(void **state)
{
	ST;
	char buf[16];

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .payload = "hello"));
	assert_true(t->cev & NS_EV_IN);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 40 * NS_MSEC - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	/* RFC 1122 4.2.3.2; receiver SWS (RFC 9293 3.8.6.2.2) keeps the right edge. */
	tt_expect(
	    t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .window = 65530, .len = 0));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ns_ep_read(t->c, buf, sizeof(buf), 0, NULL), NS_ERR_WOULD_BLOCK);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void second_full_segment_acked_at_once(void **state)
{
	ST;

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.len = 1460));
	/* RFC 5681 4.2: an ACK for at least every second full-sized segment. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void our_data_carries_ack_and_psh(void **state)
{
	ST;

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.payload = "ping"));
	tt_write(t->c, "pong", 4);
	/* The reply carries the owed ACK: no separate ACK, no delayed-ACK timer left. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .seq = t->rnxt, .ack = t->pseq,
	                    .payload = "pong"));
	nt_advance(&t->nt, NS_SEC / 10);
	tt_expect_nothing(t);
	tt_send(t, TT_SEG());
	assert_int_equal(tt_ep(t->c)->snd_una, t->rnxt);
	assert_false(ns_timer_armed(&tt_ep(t->c)->rtx_timer));
	tt_finish(t);
}

static void large_write_is_cut_at_mss(void **state)
{
	ST;
	static uint8_t data[4000];

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	tt_established(t);
	tt_write(t->c, data, sizeof(data));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .payload = data, .len = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .payload = data + 1460, .len = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .payload = data + 2920, .len = 1080));
	tt_expect_nothing(t);
	tt_finish(t);
}

static int setup_sack(struct tt *t)
{
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	return 0;
}

static void out_of_order_draws_dup_ack_with_sack_then_fill(void **state)
{
	ST;
	uint32_t p = t->pseq;
	char buf[64];

	setup_sack(t);
	p = t->pseq;
	tt_send(t, TT_SEG(.seq = p + 10, .payload = "0123456789"));
	/* RFC 5681 4.2 / RFC 2018 4: at once, with the block the segment made. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 1, .sack = {p + 10, p + 20}));
	tt_send(t, TT_SEG(.seq = p + 30, .payload = "abcde"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 2,
	                    .sack = {p + 30, p + 35, p + 10, p + 20}));
	assert_int_equal(ns_ep_readiness(t->c, NS_EV_IN), 0);
	/* Filling the first hole: an immediate ACK up to the second. */
	tt_send(t, TT_SEG(.seq = p, .payload = "ABCDEFGHIJ"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 20, .nsack = 1, .sack = {p + 30, p + 35}));
	tt_send(t, TT_SEG(.seq = p + 20, .payload = "klmnopqrst"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 35, .nsack = 0));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 35);
	assert_memory_equal(buf, "ABCDEFGHIJ0123456789klmnopqrstabcde", 35);
	tt_finish(t);
}

static void duplicate_data_draws_ack_and_is_not_delivered_twice(void **state)
{
	ST;
	char buf[16];
	uint32_t p;

	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	p = t->pseq;
	tt_send(t, TT_SEG(.payload = "abc"));
	tt_send(t, TT_SEG(.seq = p, .payload = "abc"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 3));
	/* Overlapping: only the new part is taken. */
	tt_send(t, TT_SEG(.seq = p + 1, .payload = "bcdef"));
	t->pseq = p + 6;
	nt_advance(&t->nt, 40 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 6));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	tt_finish(t);
}

static void tune_small_rcvbuf(struct tcp_config *c)
{
	c->rcvbuf = 4096;
}

static void zero_window_then_update_after_read(void **state)
{
	ST;
	static char buf[8192];

	tune_small_rcvbuf(tcp_config(t->nt.s)); /* before any endpoint exists */
	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.len = 1460));
	tt_send(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 4096 - 2920));
	tt_send(t, TT_SEG(.len = 1176));
	nt_advance(&t->nt, 40 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 0));
	/* RFC 9293 3.10.7.4: nothing is acceptable in a zero window but the ACK. */
	tt_send(t, TT_SEG(.len = 100));
	t->pseq -= 100;
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 0));
	assert_int_equal(ns_ep_readiness(t->c, NS_EV_IN), NS_EV_IN);
	/* Reading half (>= MSS) reopens it: a window update at once. */
	assert_int_equal(ns_ep_read(t->c, buf, 2048, 0, NULL), NS_OK);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 2048));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 2048);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 4096));
	tt_finish(t);
}

static void receiver_sws_no_update_for_small_read(void **state)
{
	ST;
	char buf[100];

	tune_small_rcvbuf(tcp_config(t->nt.s)); /* before any endpoint exists */
	tt_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	tt_send(t, TT_SEG(.len = 1460));
	tt_send(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .window = 4096 - 2920));
	/* 100 bytes read: less than min(MSS, buffer/2), not worth an update. */
	assert_int_equal(ns_ep_read(t->c, buf, sizeof(buf), 0, NULL), NS_OK);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void peek_leaves_data_queued(void **state)
{
	ST;
	char buf[8];
	struct ns_read_result r;

	tt_established(t);
	tt_send(t, TT_SEG(.payload = "peek"));
	assert_int_equal(ns_ep_read(t->c, buf, 2, NS_MSG_PEEK, &r), NS_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "peek", 4);
	nt_advance(&t->nt, 40 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_ACK));
	tt_finish(t);
}

static void nagle_holds_small_segment_until_ack(void **state)
{
	ST;

	tt_established(t);
	tt_write(t->c, "a", 1);
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .payload = "a"));
	tt_write(t->c, "b", 1);
	tt_write(t->c, "c", 1);
	tt_expect_nothing(t); /* RFC 9293 3.7.4: a short segment is outstanding */
	tt_send(t, TT_SEG());
	tt_expect(t, TT_SEG(.flags = TCP_ACK | TCP_PSH, .payload = "bc"));
	tt_finish(t);
}

static void nodelay_sends_small_segments_at_once(void **state)
{
	ST;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_NODELAY, 1), NS_OK);
	tt_write(t->c, "a", 1);
	tt_write(t->c, "b", 1);
	tt_expect(t, TT_SEG(.payload = "a"));
	tt_expect(t, TT_SEG(.payload = "b"));
	tt_finish(t);
}

static void cork_holds_until_uncorked(void **state)
{
	ST;
	struct ns_write_opts more = {.flags = NS_MSG_MORE};
	size_t n;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CORK, 1), NS_OK);
	tt_write(t->c, "abc", 3);
	tt_expect_nothing(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CORK, 0), NS_OK);
	tt_expect(t, TT_SEG(.payload = "abc"));
	tt_send(t, TT_SEG());
	/* NS_MSG_MORE corks one write. */
	assert_int_equal(ns_ep_write(t->c, "de", 2, &more, &n), NS_OK);
	tt_expect_nothing(t);
	tt_write(t->c, "f", 1);
	tt_expect(t, TT_SEG(.payload = "def"));
	tt_finish(t);
}

static void write_is_partial_when_send_buffer_fills(void **state)
{
	ST;
	static uint8_t data[10000];
	size_t n = 0;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_SNDBUF, 4096), NS_OK);
	assert_int_equal(ns_ep_write(t->c, data, sizeof(data), NULL, &n), NS_OK);
	assert_int_equal(n, 4096);
	assert_int_equal(ns_ep_write(t->c, data, sizeof(data), NULL, &n), NS_ERR_WOULD_BLOCK);
	assert_int_equal(ns_ep_readiness(t->c, NS_EV_OUT), 0);
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 1176));
	t->cev = 0;
	tt_send(t, TT_SEG());
	assert_true(t->cev & NS_EV_OUT);
	assert_int_equal(ns_ep_write(t->c, data, sizeof(data), NULL, &n), NS_OK);
	assert_int_equal(n, 4096);
	tt_finish(t);
}

/* SO_SNDBUF and SO_RCVBUF set while their ring holds bytes take effect once it has
 * emptied (endpoint.c's ring_set_limit()), not never: a larger send buffer then takes
 * more, a larger receive buffer opens a larger window. */
static void buffer_sizes_set_with_data_queued_apply_once_drained(void **state)
{
	ST;
	static uint8_t data[300000];
	char b[16];
	size_t n = 0;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .wscale = 7));
	tt_write(t->c, "0123456789", 10);
	tt_expect(t, TT_SEG(.len = 10));
	tt_send(t, TT_SEG(.ack = t->rnxt - 10, .payload = "abc")); /* ours not ACKed yet */
	tt_expect(t, TT_SEG(.len = 0));
	assert_int_equal(tt_ep(t->c)->snd.len, 10);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_SNDBUF, 280000), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_RCVBUF, 1 << 20), NS_OK);
	/* Both rings drain: the peer ACKs our 10 bytes, we read its 3. */
	tt_send(t, TT_SEG());
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 3);
	assert_int_equal(ns_ep_write(t->c, data, sizeof(data), NULL, &n), NS_OK);
	assert_int_equal(n, 280000);
	/* The window of the next ACK covers the larger receive buffer (1 MiB >> 7). */
	tt_send(t, TT_SEG(.payload = "x"));
	while (nt_pending(&t->nt))
		if (tt_expect(t, TT_SEG())->h.window == (1 << 20) >> 7)
			break;
	assert_int_equal(tt_ep(t->c)->rcv.cap, 1 << 20);
	tt_finish(t);
}

/* Zero-length reads and writes with no buffer (recv(fd, NULL, 0), send(fd, NULL, 0)) are
 * legal and touch no memory: 0 bytes either way, the queued data left alone. */
static void zero_length_calls_without_a_buffer(void **state)
{
	ST;
	struct ns_read_result r;
	size_t n = 1;
	char b[8];

	tt_established(t);
	tt_send(t, TT_SEG(.payload = "abc"));
	tt_expect(t, TT_SEG(.len = 0));
	assert_int_equal(ns_ep_read(t->c, NULL, 0, 0, &r), NS_OK);
	assert_int_equal(r.count, 0);
	assert_int_equal(ns_ep_write(t->c, NULL, 0, NULL, &n), NS_OK);
	assert_int_equal(n, 0);
	tt_expect_nothing(t);
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 3);
	tt_finish(t);
}

static void sender_respects_peer_window(void **state)
{
	ST;
	static uint8_t data[3000];

	tt_established(t);
	tt_send(t, TT_SEG(.window = 1000));
	tt_write(t->c, data, sizeof(data));
	/* Half the largest window offered (65535) is more than 1000: SWS avoidance waits... */
	tt_expect_nothing(t);
	/* ...until the window opens. */
	tt_send(t, TT_SEG(.window = 2000));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.window = 65535));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 80, .flags = TCP_ACK | TCP_PSH));
	tt_finish(t);
}

/* The out-of-order queue is bounded (TCP_OOO_MAX ranges): a segment that would open one
 * more is dropped and counted, still answered with a duplicate ACK carrying SACK blocks,
 * and the sender's retransmission brings it later; nothing held is lost. */
static void ooo_queue_is_bounded_and_counts_what_it_drops(void **state)
{
	ST;
	static const char stream[] = "abcdefghijklmnopqrstuvwxyz";
	char buf[32];
	uint32_t p;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	p = t->pseq;
	for (int i = 0; i < TCP_OOO_MAX; i++) {
		const struct tt_rx *r;

		tt_send(t, TT_SEG(.seq = p + 2 * i + 1, .payload = stream + 2 * i + 1, .len = 1));
		r = tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p));
		/* RFC 2018 4: the newest range first, up to four blocks without timestamps. */
		assert_int_equal(r->h.nsack, i < 4 ? i + 1 : 4);
		assert_int_equal(r->h.sack[0].left, p + 2 * i + 1);
		assert_int_equal(r->h.sack[0].right, p + 2 * i + 2);
	}
	assert_int_equal(tt_ep(t->c)->nooo, TCP_OOO_MAX);
	tt_send(t, TT_SEG(.seq = p + 17, .payload = stream + 17, .len = 1));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_OOO_FULL), 1);
	/* The holes filled at once: everything held joins the stream. */
	tt_send(t, TT_SEG(.seq = p, .payload = stream, .len = 17));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 17, .nsack = 0));
	tt_send(t, TT_SEG(.seq = p + 17, .payload = stream + 17, .len = 9));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 26));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 26);
	assert_memory_equal(buf, stream, 26);
	tt_finish(t);
}

/* RFC 5681 4.2: the segment that fills a hole is ACKed at once, and (as Linux's quick-ACK
 * mode after loss) so are the next few, so the sender's recovery is not slowed by
 * delayed ACKs; then delayed ACKs resume. */
static void quick_acks_follow_a_filled_hole(void **state)
{
	ST;
	static uint8_t data[300];
	uint32_t p;

	tt_established(t);
	tt_no_quickack(t);
	p = t->pseq;
	tt_send(t, TT_SEG(.seq = p + 100, .payload = data, .len = 100));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p)); /* duplicate ACK at once */
	tt_send(t, TT_SEG(.seq = p, .payload = data, .len = 100));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 200));
	t->pseq = p + 200;
	for (int i = 0; i < 7; i++) {
		tt_send(t, TT_SEG(.payload = "q"));
		tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	}
	tt_send(t, TT_SEG(.payload = "d"));
	tt_expect_nothing(t);
	nt_advance(&t->nt, 40 * NS_MSEC); /* RFC 1122 4.2.3.2: the delayed ACK */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(peer_data_acked_after_delayed_ack_timeout),
	    T(second_full_segment_acked_at_once),
	    T(our_data_carries_ack_and_psh),
	    T(large_write_is_cut_at_mss),
	    T(out_of_order_draws_dup_ack_with_sack_then_fill),
	    T(duplicate_data_draws_ack_and_is_not_delivered_twice),
	    T(zero_window_then_update_after_read),
	    T(receiver_sws_no_update_for_small_read),
	    T(peek_leaves_data_queued),
	    T(nagle_holds_small_segment_until_ack),
	    T(nodelay_sends_small_segments_at_once),
	    T(cork_holds_until_uncorked),
	    T(write_is_partial_when_send_buffer_fills),
	    T(buffer_sizes_set_with_data_queued_apply_once_drained),
	    T(zero_length_calls_without_a_buffer),
	    T(sender_respects_peer_window),
	    T(ooo_queue_is_bounded_and_counts_what_it_drops),
	    T(quick_acks_follow_a_filled_hole),
	};

	return cmocka_run_group_tests_name("tcp_data", tests, NULL, NULL);
}
