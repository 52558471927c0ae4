/* SPDX-License-Identifier: MIT */
/*
 * Path MTU discovery for TCP (RFC 1191 6.4, RFC 5927), end to end: the peer answers a
 * segment with an ICMP "fragmentation needed" that quotes it, as a router would; the stack
 * validates it (icmpv4.c: our address; TCP: a sequence number in flight), lowers the path
 * MTU for the destination (route.c) and the connection's MSS (tcp proto.c), resends what no
 * longer fits, and every later segment fits. Forged messages (sequence outside the window,
 * not our address, no such connection) change nothing. Old routers' MTU 0 uses the RFC 1191
 * plateau table; a tiny MTU stops at the 552-byte floor and DF goes off there.
 */
#include <string.h>

#include "tcp_test.h"
#include "wire/icmpv4.h"

#define ST struct tt *t = *state

static uint8_t data[20000];

/* Write @n bytes and read every segment the stack sends; returns the first's quote: its IP
 * header and the first 8 bytes of its TCP header, 28 bytes into @quote. */
static uint32_t write_and_capture(struct tt *t, uint32_t n, uint8_t quote[28], uint32_t *nseg)
{
	const struct tt_rx *r;
	uint32_t seq0;

	tt_write(t->c, data, n);
	r = tt_expect(t, TT_SEG(.flags = TCP_ACK, .len = TT_MSS, .df = 1, .ip_len = 1500));
	seq0 = r->h.seq;
	memcpy(quote, t->nt.rx.l3, 28);
	*nseg = 1;
	while (nt_pending(&t->nt)) {
		tt_expect(t, TT_SEG());
		(*nseg)++;
	}
	return seq0;
}

static void frag_needed(struct tt *t, int64_t mtu, const uint8_t quote[28])
{
	nt_send_icmp(&t->nt,
	             NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                     .mtu = mtu, .payload = quote, .len = 28));
}

static uint32_t route_mtu(struct tt *t)
{
	struct ns_route r;
	struct ns_addr peer = NT_ADDR_PEER;

	assert_int_equal(ns_route_find(t->nt.s, 0, NULL, &peer, &r), NS_OK);
	return r.mtu;
}

/* RFC 1191 6.4: the MSS drops to the new MTU less 40, the first unacknowledged segment goes
 * again at that size at once, and new data comes in segments that fit. */
static void frag_needed_lowers_segment_size(void **state)
{
	ST;
	uint8_t quote[28];
	uint32_t seq0, nseg;
	const struct tt_rx *r;

	tt_established(t);
	seq0 = write_and_capture(t, 6000, quote, &nseg);
	assert_true(nseg >= 4);
	frag_needed(t, 1000, quote);
	tt_expect(t, TT_SEG(.seq = seq0, .len = 960, .ip_len = 1000, .df = 1));
	assert_int_equal(tt_ep(t->c)->mss, 960);
	assert_int_equal(route_mtu(t), 1000);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_PMTU_UPDATES), 1);
	/* Everything acknowledged; new data is cut to the new size. */
	tt_send(t, TT_SEG(.ack = t->rnxt));
	while (nt_pending(&t->nt))
		tt_expect(t, TT_SEG());
	tt_send(t, TT_SEG(.ack = t->rnxt));
	tt_write(t->c, data, 5000);
	for (uint32_t sent = 0; nt_pending(&t->nt);) {
		r = tt_expect(t, TT_SEG(.df = 1));
		assert_true(r->len <= 960);
		assert_true(t->nt.rx.ip.total_len <= 1000);
		sent += r->len;
		if (!nt_pending(&t->nt) && sent < 5000)
			tt_send(t, TT_SEG(.ack = t->rnxt));
	}
	tt_finish(t);
}

/* RFC 5927 4.1: a quote whose sequence number is not in SND.UNA..SND.NXT is forged or
 * stale; one about a datagram not from us, or about no connection, likewise. Nothing
 * changes and no segment goes out. */
static void bogus_frag_needed_ignored(void **state)
{
	ST;
	uint8_t quote[28], bad[28];
	uint32_t seq0, nseg;

	tt_established(t);
	seq0 = write_and_capture(t, 3000, quote, &nseg);
	/* Sequence number outside the window. */
	memcpy(bad, quote, 28);
	wr32(bad + 24, seq0 - 100000);
	frag_needed(t, 1000, bad);
	/* Not from our address. */
	memcpy(bad, quote, 28);
	bad[15] = 77;
	frag_needed(t, 1000, bad);
	/* No such connection (another source port). */
	memcpy(bad, quote, 28);
	wr16(bad + 20, 1234);
	frag_needed(t, 1000, bad);
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_ICMP_PMTU_NOT_OURS), 3);
	assert_int_equal(tt_ep(t->c)->mss, TT_MSS);
	assert_int_equal(route_mtu(t), 1500);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_PMTU_UPDATES), 0);
	/* The genuine one still works after them. */
	frag_needed(t, 1200, quote);
	tt_expect(t, TT_SEG(.seq = seq0, .len = 1160, .ip_len = 1200));
	tt_finish(t);
}

/* RFC 1191 5: a router that predates RFC 1191 sends MTU 0; the next plateau below the
 * quoted datagram's length (1500) is 1492. */
static void mtu_zero_uses_plateau(void **state)
{
	ST;
	uint8_t quote[28];
	uint32_t seq0, nseg;

	tt_established(t);
	seq0 = write_and_capture(t, 3000, quote, &nseg);
	frag_needed(t, 0, quote);
	tt_expect(t, TT_SEG(.seq = seq0, .len = 1452, .ip_len = 1492));
	assert_int_equal(route_mtu(t), 1492);
	tt_finish(t);
}

/* A forged tiny MTU stops at Linux's 552-byte floor; at the floor DF is cleared, so a
 * router on a narrower path fragments instead of dropping (Linux's locked MTU). */
static void tiny_mtu_floored_and_df_cleared(void **state)
{
	ST;
	uint8_t quote[28];
	uint32_t seq0, nseg;

	tt_established(t);
	seq0 = write_and_capture(t, 3000, quote, &nseg);
	frag_needed(t, 296, quote);
	tt_expect(t, TT_SEG(.seq = seq0, .len = 512, .ip_len = 552, .df = 0));
	assert_int_equal(route_mtu(t), 552);
	tt_finish(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(frag_needed_lowers_segment_size),
	    T(bogus_frag_needed_ignored),
	    T(mtu_zero_uses_plateau),
	    T(tiny_mtu_floored_and_df_cleared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
