/* SPDX-License-Identifier: MIT */
/*
 * What a GSO packet counts as, and what packet endpoints see of it.
 *
 * A GSO packet stands for the MSS-sized segments the device (or the NIC in software) cuts
 * it into, and everything counted per segment counts those, as Linux does with
 * tcp_skb_pcount(): TCP_INFO's segs_out and data_segs_out, the stack's tcp_tx counter
 * (Linux's OutSegs), and on the way in segs_in and data_segs_in for a GRO'd or TSO
 * super-frame (Linux's tcp_segs_in() counts gso_segs), while tcp_rx counts packets as
 * Linux's InSegs counts skbs.
 *
 * Packet endpoints bound to NS_ETH_P_ALL see what goes to the link, as Linux's
 * dev_queue_xmit_nit(): a GSO packet whole for a link that segments it (NS_CAP_HW_GSO),
 * each segment for one that does not (the NIC cuts it: NS_CAP_SW_GSO), byte for byte the
 * frames the link writes.
 */
#include <stdlib.h>
#include <string.h>

#include "netstack/raw.h"
#include "netstack/tcp.h"
#include "tcp_test.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define ST      struct tt *t = *state
#define MSS     1460u
#define ETH_LEN 14u

static uint8_t data[64 * 1024];

static int setup_caps(void **state, uint32_t caps)
{
	struct tt *t = malloc(sizeof(*t));

	assert_non_null(t);
	tt_setup_caps(t, NULL, caps);
	*state = t;
	return 0;
}

static int hw_setup(void **state)
{
	return setup_caps(state, NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD);
}

static int sw_setup(void **state)
{
	return setup_caps(state, NS_CAP_SW_GSO);
}

/* Established with MSS 1460 and window scaling (the peer's window never limits). */
static void open_big(struct tt *t)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .wscale = 7));
	assert_int_equal(tt_ep(t->c)->mss, MSS);
}

static struct ns_tcp_info info(struct tt *t)
{
	struct ns_tcp_info i;

	assert_int_equal(ns_ep_get_tcp_info(t->c, &i), NS_OK);
	return i;
}

/* ---------------------------------------------------------------- counters */

/* The initial window, 10 segments, leaves as one GSO packet: 10 segments out, 10 data
 * segments, tcp_tx 10. */
static void gso_packet_counts_its_segments_out(void **state)
{
	ST;
	struct ns_tcp_info before, after;
	uint64_t tx0;
	struct ns_pkt *p;

	open_big(t);
	before = info(t);
	tx0 = nt_stat(&t->nt, NS_STAT_TCP_TX);
	tt_write(t->c, data, 10 * MSS);
	p = ns_channel_read(t->nt.link);
	assert_non_null(p);
	assert_int_equal(p->gso.type, NS_GSO_TCPV4);
	assert_int_equal(p->len, ETH_LEN + 20 + 20 + 10 * MSS);
	ns_pkt_free(p);
	tt_expect_nothing(t);
	after = info(t);
	assert_int_equal(after.segs_out - before.segs_out, 10);
	assert_int_equal(after.data_segs_out - before.data_segs_out, 10);
	assert_int_equal(after.bytes_sent - before.bytes_sent, 10 * MSS);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_TX) - tx0, 10);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_TX), 1);
	/* A short one stands for one segment, as before. */
	t->rnxt += 10 * MSS;
	tt_send(t, TT_SEG(.ack = t->rnxt));
	tt_write(t->c, data, 100);
	tt_expect(t, TT_SEG(.len = 100));
	after = info(t);
	assert_int_equal(after.segs_out - before.segs_out, 11);
	assert_int_equal(after.data_segs_out - before.data_segs_out, 11);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_TX) - tx0, 11);
	tt_finish(t);
}

/* Inject a super-frame from the peer (a GRO'd or TSO packet: one TCP segment of @len
 * payload bytes at @seq, gso.mss @mss), its checksum right. */
static void inject_super(struct tt *t, uint32_t seq, uint32_t len, uint16_t mss)
{
	static uint8_t frame[NT_FRAME_MAX];
	uint8_t *ip = frame + ETH_LEN, *th = ip + 20;
	struct ns_pkt *p;

	memcpy(frame, NT_MAC_US.m.b, 6);
	memcpy(frame + 6, NT_MAC_PEER.m.b, 6);
	wr16(frame + 12, 0x0800);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(40 + len));
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = NS_IPPROTO_TCP;
	memcpy(ip + 12, NT_ADDR_PEER.a, 4);
	memcpy(ip + 16, NT_ADDR_US.a, 4);
	wr16(ip + 10, csum_finish(csum_partial(ip, 20, 0)));
	wr16(th, TT_PEER_PORT);
	wr16(th + 2, TT_PORT);
	wr32(th + 4, seq);
	wr32(th + 8, t->rnxt);
	th[12] = 5 << 4;
	th[13] = TCP_ACK;
	wr16(th + 14, 65535);
	memcpy(th + 20, data + (seq - t->pseq), len);
	wr16(th + 16,
	     csum_finish(csum_partial(th, 20 + len,
	                              csum_pseudo_v4(ip + 12, ip + 16, NS_IPPROTO_TCP, 20 + len))));
	p = ns_pkt_from(frame, ETH_LEN + 40 + len);
	assert_non_null(p);
	p->gso = (struct ns_gso){.type = NS_GSO_TCPV4, .mss = mss};
	ns_channel_inject(t->nt.link, p);
}

/* Super-frames from the host (segment size 1448): each counts the segments it was made of
 * in segs_in and data_segs_in (Linux's tcp_segs_in()), and in rcv_ooopack when it is out
 * of order (tcp_data_queue_ofo() adds gso_segs); tcp_rx counts packets. The peer's segment
 * size is the super-frame's gso.mss, not its length (Linux's tcp_measure_rcv_mss()). */
static void superframes_count_their_segments_in(void **state)
{
	ST;
	static uint8_t buf[32768];
	const uint32_t len = 20 * 1024, segs = (len + 1447) / 1448;
	struct ns_tcp_info before, after;
	uint64_t rx0;
	uint32_t p0, got = 0;

	open_big(t);
	before = info(t);
	rx0 = nt_stat(&t->nt, NS_STAT_TCP_RX);
	p0 = t->pseq;
	/* The second one first: out of order (a duplicate ACK), then the first. */
	inject_super(t, p0 + len, len, 1448);
	tt_expect(t, TT_SEG(.ack = p0, .len = 0));
	after = info(t);
	assert_int_equal(after.rcv_ooopack - before.rcv_ooopack, segs);
	assert_int_equal(after.rcv_mss, 1448);
	inject_super(t, p0, len, 1448);
	t->pseq += 2 * len;
	tt_expect(t, TT_SEG(.ack = p0 + 2 * len, .len = 0));
	tt_expect_nothing(t);
	after = info(t);
	assert_int_equal(after.segs_in - before.segs_in, 2 * segs);
	assert_int_equal(after.data_segs_in - before.data_segs_in, 2 * segs);
	assert_int_equal(after.rcv_ooopack - before.rcv_ooopack, segs);
	assert_int_equal(after.bytes_received - before.bytes_received, 2 * len);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_RX) - rx0, 2);
	while (got < 2 * len) {
		size_t n = tt_read(t->c, buf, sizeof(buf));

		assert_memory_equal(buf, data + got, n);
		got += (uint32_t)n;
	}
	tt_finish(t);
}

/* ---------------------------------------------------------------- packet endpoints */

static struct ns_ep *tap_open(struct tt *t)
{
	struct ns_ep *ep = NULL;

	assert_int_equal(ns_ep_new_packet(t->nt.s, NS_PACKET_RAW, NS_ETH_P_ALL, NULL, &ep), NS_OK);
	return ep;
}

/* Software GSO: the tap sees the ten segments, each the frame the link writes. */
static void tap_sees_each_software_segment(void **state)
{
	ST;
	static uint8_t buf[2048];
	struct ns_ep *ep;
	struct ns_read_result r;

	open_big(t);
	ep = tap_open(t);
	tt_write(t->c, data, 10 * MSS);
	assert_int_equal(nt_pending(&t->nt), 10);
	for (int i = 0; i < 10; i++) {
		struct ns_pkt *p = ns_channel_read(t->nt.link);

		assert_non_null(p);
		assert_int_equal(p->len, ETH_LEN + 20 + 20 + MSS);
		assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &r), NS_OK);
		assert_int_equal(r.ll.pkttype, NS_PACKET_OUTGOING);
		assert_int_equal(r.count, p->len);
		assert_memory_equal(buf, ns_pkt_data(p), p->len);
		assert_int_equal(rd32(buf + ETH_LEN + 24), t->rnxt + (uint32_t)i * MSS);
		ns_pkt_free(p);
	}
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &r), NS_ERR_WOULD_BLOCK);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_SW_SEGMENTS), 10);
	ns_ep_close(ep);
	tt_finish(t);
}

/* A link that segments: the tap sees the GSO packet whole, as it goes to the device. */
static void tap_sees_superframe_for_segmenting_link(void **state)
{
	ST;
	static uint8_t buf[65536];
	struct ns_ep *ep;
	struct ns_read_result r;
	struct ns_pkt *p;

	open_big(t);
	ep = tap_open(t);
	tt_write(t->c, data, 10 * MSS);
	p = ns_channel_read(t->nt.link);
	assert_non_null(p);
	assert_int_equal(p->gso.type, NS_GSO_TCPV4);
	tt_expect_nothing(t);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &r), NS_OK);
	assert_int_equal(r.count, ETH_LEN + 20 + 20 + 10 * MSS);
	assert_memory_equal(buf, ns_pkt_data(p), p->len);
	assert_int_equal(ns_ep_read(ep, buf, sizeof(buf), 0, &r), NS_ERR_WOULD_BLOCK);
	ns_pkt_free(p);
	ns_ep_close(ep);
	tt_finish(t);
}

int main(void)
{
#define THW(f) cmocka_unit_test_setup_teardown(f, hw_setup, tt_cm_teardown)
#define TSW(f) cmocka_unit_test_setup_teardown(f, sw_setup, tt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    THW(gso_packet_counts_its_segments_out),
	    THW(superframes_count_their_segments_in),
	    TSW(tap_sees_each_software_segment),
	    THW(tap_sees_superframe_for_segmenting_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
