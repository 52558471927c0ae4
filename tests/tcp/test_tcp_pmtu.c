/* SPDX-License-Identifier: MIT */
/*
 * Path MTU discovery for TCP (RFC 1191, RFC 8201; the seed's ControlPacketTooBig): an
 * ICMP "fragmentation needed" about a segment in flight lowers the MSS and the segment is
 * resent in pieces that fit; errors that quote nothing we have in flight, or MTUs below
 * the floor, cannot shrink the connection further than Linux lets them.
 */
#include <string.h>

#include "tcp_test.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

#define ST struct tt *t = *state

/* An ICMP destination unreachable / fragmentation needed from a router on the path,
 * quoting our segment's IPv4 header and first 8 bytes (ports and sequence number). */
static void send_frag_needed(struct tt *t, uint32_t seq, uint16_t mtu)
{
	uint8_t q[28];

	memset(q, 0, sizeof(q));
	q[0] = 0x45;
	wr16(q + 2, 1500);
	q[6] = 0x40; /* DF */
	q[8] = 64;
	q[9] = NS_IPPROTO_TCP;
	memcpy(q + 12, NT_ADDR_US.a, 4);
	memcpy(q + 16, NT_ADDR_PEER.a, 4);
	wr16(q + 10, csum_finish(csum_partial(q, 20, 0)));
	wr16(q + 20, t->port);
	wr16(q + 22, TT_PEER_PORT);
	wr32(q + 24, seq);
	nt_send_icmp(&t->nt, NT_ICMP(.src = NT_V4(198, 51, 100, 1), .type = 3, .code = 4,
	                             .mtu = mtu, .payload = q, .len = sizeof(q)));
}

static void frag_needed_lowers_mss_and_resends_in_smaller_segments(void **state)
{
	ST;
	static uint8_t data[3000];
	uint32_t una;
	int64_t mss;

	tt_established(t);
	tt_write(t->c, data, sizeof(data));
	una = tt_expect(t, TT_SEG(.len = 1460))->h.seq;
	tt_expect(t, TT_SEG(.seq = una + 1460, .len = 1460));
	tt_expect(t, TT_SEG(.seq = una + 2920, .len = 80));
	/* A 1280-byte hop: 1240 bytes of payload (20 IPv4, 20 TCP) go again at once. */
	send_frag_needed(t, una, 1280);
	tt_expect(t, TT_SEG(.seq = una, .len = 1240));
	assert_int_equal(ns_ep_get_opt(t->c, NS_TCP_MAXSEG, &mss), NS_OK);
	assert_int_equal(mss, 1240);
	/* The peer ACKs that; the rest follows the go-back-N of the lost full-size ones at
	 * the RTO, in segments that fit. */
	tt_send(t, TT_SEG(.ack = una + 1240));
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.seq = una + 1240, .len = 1240));
	tt_finish(t);
}

static void frag_needed_below_the_floor_stops_at_552(void **state)
{
	ST;
	static uint8_t data[3000];
	uint32_t una;

	tt_established(t);
	tt_write(t->c, data, 1460);
	una = tt_expect(t, TT_SEG(.len = 1460))->h.seq;
	/* RFC 1191 allows 68; a forged tiny MTU would make the connection crawl. Linux's
	 * ip_rt_min_pmtu: 552, so 512 bytes of payload. */
	send_frag_needed(t, una, 100);
	tt_expect(t, TT_SEG(.seq = una, .len = 512));
	tt_finish(t);
}

static void frag_needed_for_data_not_in_flight_is_ignored(void **state)
{
	ST;
	static uint8_t data[1460];
	uint32_t una;
	int64_t mss;

	tt_established(t);
	tt_write(t->c, data, sizeof(data));
	una = tt_expect(t, TT_SEG(.len = 1460))->h.seq;
	/* RFC 5927 4.1: the quoted sequence number must be in flight, else it is forged. */
	send_frag_needed(t, una + 5000, 576);
	send_frag_needed(t, una - 1, 576);
	tt_expect_nothing(t);
	assert_int_equal(ns_ep_get_opt(t->c, NS_TCP_MAXSEG, &mss), NS_OK);
	assert_int_equal(mss, 1460);
	tt_finish(t);
}

/* RFC 8201 4 (RFC 8200 5): an IPv6 Packet Too Big below 1280 does not take the path
 * below the minimum link MTU. Checked on the endpoint itself until the stack has an IPv6
 * network layer to send it through: a connected IPv6 endpoint with 100 bytes in flight. */
static void ipv6_packet_too_big_floor_is_1280(void **state)
{
	ST;
	struct ns_ep *e;
	struct tcp_ep *ep;
	struct ns_pkt *q;
	uint8_t quote[8] = {0};

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET6, NS_IPPROTO_TCP, NULL, &e), NS_OK);
	ep = tt_ep(e);
	ep->state = TCP_ESTABLISHED;
	ep->have_route = true;
	ep->route.mtu = 1500;
	ep->peer_mss = 1440;
	ep->snd_una = 1000;
	ep->snd_nxt = ep->snd_max = 1100;
	tcp_update_mss(ep);
	assert_int_equal(ep->mss, 1440);
	wr32(quote + 4, 1000);
	q = ns_pkt_alloc(NS_PKT_HEADROOM, sizeof(quote));
	assert_non_null(q);
	memcpy(ns_pkt_data(q), quote, sizeof(quote));
	ep->tep.ops->control(&ep->tep, NS_CTRL_PACKET_TOO_BIG, 600, q);
	assert_int_equal(ep->route.mtu, 1280);
	assert_int_equal(ep->mss, 1280 - 40 - 20);
	ns_pkt_free(q);
	ep->state = TCP_CLOSED;
	ep->snd_una = ep->snd_nxt = ep->snd_max;
	ep->have_route = false;
	ns_ep_close(e);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(frag_needed_lowers_mss_and_resends_in_smaller_segments),
	    T(frag_needed_below_the_floor_stops_at_552),
	    T(frag_needed_for_data_not_in_flight_is_ignored),
	    T(ipv6_packet_too_big_floor_is_1280),
	};

	return cmocka_run_group_tests_name("tcp_pmtu", tests, NULL, NULL);
}
