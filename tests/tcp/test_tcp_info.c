/* SPDX-License-Identifier: MIT */
/*
 * ns_ep_get_tcp_info(): the TCP_INFO-style report matches what the packets on the wire
 * made of the connection: negotiated options and sizes, RTT and RTO, windows, byte and
 * segment counters, and the loss-recovery state through a timeout and a SACK recovery.
 */
#include <string.h>

#include "tcp_test.h"

#include "netstack/tcp.h"

#define ST struct tt *t = *state

static struct ns_tcp_info info_of(struct ns_ep *ep)
{
	struct ns_tcp_info i;

	memset(&i, 0xa5, sizeof(i)); /* every field must be written */
	assert_int_equal(ns_ep_get_tcp_info(ep, &i), NS_OK);
	return i;
}

static void info_reports_negotiated_options_and_sizes(void **state)
{
	ST;
	struct ns_tcp_info i;

	tt_listen(t);
	i = info_of(t->l);
	assert_int_equal(i.state, NS_TCP_LISTEN);
	assert_int_equal(i.options, 0);
	assert_int_equal(i.unacked, 0);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1400, .wscale = 5, .sack_perm = 1,
	                          .ts = 1, .tsval = 77));
	i = info_of(t->c);
	assert_int_equal(i.state, NS_TCP_ESTABLISHED);
	assert_int_equal(i.ca_state, NS_TCP_CA_OPEN);
	assert_int_equal(i.options, NS_TCPI_OPT_TIMESTAMPS | NS_TCPI_OPT_SACK | NS_TCPI_OPT_WSCALE);
	assert_int_equal(i.snd_wscale, 5);
	assert_int_equal(i.rcv_wscale, 7);      /* covers the 6 MiB maximum buffer */
	assert_int_equal(i.congestion, 0);      /* CUBIC */
	assert_int_equal(i.snd_mss, 1400 - 12); /* the peer's MSS less the timestamps */
	assert_int_equal(i.advmss, 1460);
	assert_int_equal(i.pmtu, 1500);
	assert_int_equal(i.snd_cwnd, 10 * 1388); /* RFC 6928 */
	assert_int_equal(i.snd_ssthresh, UINT32_MAX);
	assert_int_equal(i.snd_wnd, 65535u << 5); /* the ACK's window, scaled */
	assert_int_equal(i.rcv_space, 131072);
	assert_int_equal(i.snd_space, 262144);
	assert_int_equal(i.retransmits, 0);
	assert_int_equal(i.total_retrans, 0);
	assert_int_equal(i.bytes_sent, 0);
	assert_int_equal(i.segs_out, 1); /* the SYN-ACK */
	assert_int_equal(i.segs_in, 2);  /* SYN, ACK */
	assert_int_equal(i.data_segs_out, 0);
	assert_int_equal(i.last_data_sent_ms, 0);
	tt_finish(t);
}

static void info_counts_bytes_segments_and_rtt(void **state)
{
	ST;
	static uint8_t data[3000];
	struct ns_tcp_info i;
	char b[100];

	tt_established(t);
	tt_write(t->c, data, sizeof(data));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 1460));
	tt_expect(t, TT_SEG(.len = 80));
	i = info_of(t->c);
	assert_int_equal(i.unacked, 3000);
	assert_int_equal(i.in_flight, 3000);
	assert_int_equal(i.notsent, 0);
	nt_advance(&t->nt, 30 * NS_MSEC);
	tt_send(t, TT_SEG(.ack = t->rnxt, .payload = "hello, forty bytes of data from the peer"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .len = 0)); /* quick ACK */
	nt_advance(&t->nt, 5 * NS_MSEC);
	i = info_of(t->c);
	assert_int_equal(i.bytes_sent, 3000);
	assert_int_equal(i.bytes_acked, 3000);
	assert_int_equal(i.delivered, 3000);
	assert_int_equal(i.bytes_retrans, 0);
	assert_int_equal(i.bytes_received, 40);
	assert_int_equal(i.rcv_queued, 40);
	assert_int_equal(i.data_segs_out, 3);
	assert_int_equal(i.data_segs_in, 1);
	assert_int_equal(i.segs_out, 5); /* SYN-ACK, three data segments, the ACK */
	assert_int_equal(i.segs_in, 3);
	assert_int_equal(i.unacked, 0);
	/* RFC 6298: the handshake gave a first sample of 0 (no virtual time passed), the
	 * timed segment one of 30 ms: SRTT = 30/8, RTTVAR = 30/4 (2.3), RTO at the 200 ms
	 * floor. */
	assert_int_equal(i.rtt_us, 3750);
	assert_int_equal(i.rttvar_us, 7500);
	assert_int_equal(i.rto_us, 200000);
	assert_int_equal(i.last_data_sent_ms, 35);
	assert_int_equal(i.last_data_recv_ms, 5);
	assert_int_equal(i.last_ack_recv_ms, 5);
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 40);
	assert_int_equal(info_of(t->c).rcv_queued, 0);
	tt_finish(t);
}

static void info_reports_timeout_then_recovery(void **state)
{
	ST;
	struct ns_tcp_info i;
	uint32_t una;

	tt_established(t);
	tt_write(t->c, "lost", 4);
	una = tt_expect(t, TT_SEG(.payload = "lost"))->h.seq;
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.seq = una, .payload = "lost"));
	i = info_of(t->c);
	assert_int_equal(i.ca_state, NS_TCP_CA_LOSS);
	assert_int_equal(i.retransmits, 1);
	assert_int_equal(i.total_retrans, 1);
	assert_int_equal(i.bytes_retrans, 4);
	assert_int_equal(i.bytes_sent, 8);
	assert_int_equal(i.lost, 4);
	assert_int_equal(i.snd_cwnd, 1460); /* RFC 5681 loss window */
	tt_send(t, TT_SEG(.ack = una + 4));
	i = info_of(t->c);
	assert_int_equal(i.ca_state, NS_TCP_CA_OPEN);
	assert_int_equal(i.retransmits, 0);
	assert_int_equal(i.lost, 0);
	tt_finish(t);
}

#define SEG(k) (s0 + 1460u * (k))

static void info_reports_sack_recovery(void **state)
{
	ST;
	static uint8_t data[10 * 1460];
	struct ns_tcp_info i;
	uint32_t s0;

	tcp_config(t->nt.s)->rack = false;
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	for (int k = 0; k < 10; k++)
		tt_expect(t, TT_SEG(.seq = SEG(k), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(2)}));
	i = info_of(t->c);
	assert_int_equal(i.ca_state, NS_TCP_CA_DISORDER);
	assert_int_equal(i.sacked, 1460);
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(3)}));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(0), .len = 1460));
	i = info_of(t->c);
	assert_int_equal(i.ca_state, NS_TCP_CA_RECOVERY);
	assert_int_equal(i.sacked, 3 * 1460);
	assert_int_equal(i.lost, 1460);          /* segment 0, below 3 SACKed */
	assert_int_equal(i.in_flight, 7 * 1460); /* 4..9 and the resent 0 */
	assert_int_equal(i.unacked, 10 * 1460);
	assert_int_equal(i.total_retrans, 1);
	assert_int_equal(i.delivered, 3 * 1460);
	tt_send(t, TT_SEG(.ack = SEG(10)));
	i = info_of(t->c);
	assert_int_equal(i.ca_state, NS_TCP_CA_OPEN);
	assert_int_equal(i.delivered, 10 * 1460);
	assert_int_equal(i.bytes_acked, 10 * 1460);
	assert_int_equal(i.sacked, 0);
	assert_true(i.snd_ssthresh < UINT32_MAX);
	tt_finish(t);
}

static void info_of_a_non_tcp_endpoint_is_refused(void **state)
{
	ST;
	struct ns_ep *u;
	struct ns_tcp_info i;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_UDP, NULL, &u), NS_OK);
	assert_int_equal(ns_ep_get_tcp_info(u, &i), NS_ERR_NOT_SUPPORTED);
	ns_ep_close(u);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(info_reports_negotiated_options_and_sizes), T(info_counts_bytes_segments_and_rtt),
	    T(info_reports_timeout_then_recovery),        T(info_reports_sack_recovery),
	    T(info_of_a_non_tcp_endpoint_is_refused),
	};

	return cmocka_run_group_tests_name("tcp_info", tests, NULL, NULL);
}
