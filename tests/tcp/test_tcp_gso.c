/* SPDX-License-Identifier: MIT */
/*
 * TCP with segmentation and checksum offload, on the virtual clock.
 *
 * With NS_CAP_HW_GSO the channel carries GSO packets whole (a veth or a TAP with TSO): the
 * tests read the packet itself and check its descriptor, lengths, header, options and the
 * partial checksum (the folded pseudo-header sum, virtio NEEDS_CSUM semantics). With
 * NS_CAP_SW_GSO the NIC cuts them: the frames on the wire must be exactly what a sender
 * without offloads would have sent, every checksum right. Inbound, a 60 KiB segment in one
 * frame (as the kernel's GRO/TSO sends up a TAP) is taken and ACKed, and a packet marked
 * NS_PKT_CSUM_VERIFIED skips the checksum that a plain one must pass.
 *
 * The peer's SYN offers MSS 1460, SACK and timestamps, so every data segment carries the
 * 12 bytes of TSopt: the MSS is 1448 and segment i starts at s0 + 1448 * i.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"
#include "wire/checksum.h"

#define ST      struct tt *t = *state
#define MSS     1448u
#define SEG(i)  (s0 + MSS * (i))
#define ETH_LEN 14u

static uint8_t data[256 * 1024]; /* the default send buffer */

static void fill(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
}

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

static int csum_setup(void **state)
{
	return setup_caps(state, NS_CAP_TX_CSUM_OFFLOAD);
}

static void open_ts_sack(struct tt *t)
{
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1, .ts = 1,
	                          .tsval = 100, .tsecr = 0));
	assert_true(tt_ep(t->c)->flags & TCP_F_TS);
	assert_int_equal(tt_ep(t->c)->mss, MSS);
}

/* What gso_next() found in the next outbound packet, read whole off the channel. */
struct gso_pkt {
	struct ns_gso gso;
	uint16_t flags;      /* pkt->flags */
	uint16_t csum_start; /* pkt->csum_start (from the network header) */
	uint16_t csum_off;
	struct ipv4_repr ip;
	struct tcp_repr h;
	uint32_t len; /* payload bytes */
	uint8_t payload[65536];
};

static struct gso_pkt gp;

/* Take the next outbound packet; check its IPv4 header and that the TCP checksum field
 * holds exactly the folded pseudo-header sum over its full length (partial). */
static const struct gso_pkt *gso_next(struct tt *t)
{
	struct ns_pkt *p = ns_channel_read(t->nt.link);
	const uint8_t *ip, *th;
	uint32_t l4;

	assert_non_null(p);
	assert_true(p->len > ETH_LEN);
	ip = ns_pkt_data(p) + ETH_LEN;
	assert_int_equal(ipv4_parse(&gp.ip, ip, p->len - ETH_LEN, true), IPV4_OK);
	assert_int_equal(gp.ip.total_len, p->len - ETH_LEN);
	assert_int_equal(gp.ip.proto, NS_IPPROTO_TCP);
	l4 = gp.ip.total_len - gp.ip.hdr_len;
	th = ip + gp.ip.hdr_len;
	assert_int_equal(tcp_parse(&gp.h, th, l4), TCP_OK);
	gp.gso = p->gso;
	gp.flags = p->flags;
	gp.csum_start = p->csum_start;
	gp.csum_off = p->csum_off;
	gp.len = l4 - gp.h.hdr_len;
	memcpy(gp.payload, th + gp.h.hdr_len, gp.len);
	assert_true(p->flags & NS_PKT_CSUM_PARTIAL);
	assert_int_equal(p->csum_start, gp.ip.hdr_len);
	assert_int_equal(p->csum_off, 16);
	assert_int_equal(gp.h.csum,
	                 csum_fold(csum_pseudo_v4(gp.ip.src, gp.ip.dst, NS_IPPROTO_TCP, l4)));
	ns_pkt_free(p);
	t->rnxt = gp.h.seq + gp.len + !!(gp.h.flags & TCP_FIN);
	return &gp;
}

/* ---------------------------------------------------------------- HW GSO: super-segments */

static void hw_gso_bulk_sends_super_segments(void **state)
{
	ST;
	const struct gso_pkt *g;
	struct tcp_ep *ep;
	uint32_t s0, tsval;

	fill();
	tt_listen(t);
	/* Window scaling: the peer's window (8 MiB) never limits the packets. */
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1, .ts = 1,
	                          .tsval = 100, .tsecr = 0, .wscale = 7));
	ep = tt_ep(t->c);
	assert_int_equal(ep->mss, MSS);
	s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	/* The initial window, 10 segments (RFC 6928), leaves as one GSO packet. */
	g = gso_next(t);
	assert_int_equal(g->gso.type, NS_GSO_TCPV4);
	assert_int_equal(g->gso.mss, MSS);
	assert_int_equal(g->gso.l3_len, 20);
	assert_int_equal(g->gso.csum_off, 16);
	assert_int_equal(g->len, 10 * MSS);
	assert_int_equal(g->ip.total_len, 20 + 32 + 10 * MSS);
	assert_true(g->ip.df);
	assert_int_equal(g->h.seq, SEG(0));
	assert_int_equal(g->h.ack, t->pseq);
	assert_int_equal(g->h.flags, TCP_ACK); /* more data follows: no PSH */
	assert_true(g->h.has_ts);
	assert_int_equal(g->h.tsecr, 100);
	assert_int_equal(g->h.nsack, 0);
	assert_memory_equal(g->payload, data, 10 * MSS);
	tsval = g->h.tsval;
	tt_expect_nothing(t);
	assert_int_equal(ep->snd_nxt, SEG(10));
	/* RACK keeps a record per segment on the wire. */
	assert_int_equal(ep->rack.n, 10);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_TX), 1);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_SW_SEGMENTS), 0);

	/* One ACK of everything, 2 ms later (before the loss probe): slow start grows cwnd
	 * by 8 segments (CUBIC's HyStart++ L); the 18 segments it allows go as one packet. */
	nt_advance(&t->nt, 2 * NS_MSEC);
	tt_send(t, TT_SEG(.ack = SEG(10), .ts = 1, .tsval = 101, .tsecr = tsval));
	assert_int_equal(ep->cwnd, 18 * MSS);
	g = gso_next(t);
	assert_int_equal(g->len, 18 * MSS);
	assert_int_equal(g->h.seq, SEG(10));
	assert_int_equal(g->gso.mss, MSS);
	assert_int_equal(g->h.tsecr, 101);
	assert_memory_equal(g->payload, data + 10 * MSS, 18 * MSS);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 2 * NS_MSEC);
	tt_send(t, TT_SEG(.ack = SEG(28), .ts = 1, .tsval = 102, .tsecr = g->h.tsval));
	/* The rest of the 100 KiB, ACKed round by round, as cwnd and the 64 KiB goal (45
	 * segments: a 65232-byte IP packet) allow; the last packet ends with PSH. */
	uint32_t left = sizeof(data) - 28 * MSS, got = 0, max = 0;
	while (got < left) {
		assert_true(nt_pending(&t->nt) > 0);
		while (nt_pending(&t->nt)) {
			g = gso_next(t);
			assert_int_equal(g->h.seq, SEG(28) + got);
			assert_true(g->len <= 45 * MSS);
			assert_int_equal(g->ip.total_len, 20 + 32 + g->len);
			assert_memory_equal(g->payload, data + 28 * MSS + got, g->len);
			got += g->len;
			assert_int_equal(g->h.flags, got == left ? TCP_ACK | TCP_PSH : TCP_ACK);
			assert_int_equal(g->gso.type, g->len > MSS ? NS_GSO_TCPV4 : NS_GSO_NONE);
			if (g->len > max)
				max = g->len;
		}
		nt_advance(&t->nt, 2 * NS_MSEC);
		tt_send(t,
		        TT_SEG(.ack = SEG(28) + got, .ts = 1, .tsval = 102, .tsecr = g->h.tsval));
	}
	assert_int_equal(got, left);
	assert_int_equal(max, 45 * MSS);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void hw_gso_fin_and_psh_ride_on_the_packet(void **state)
{
	ST;
	const struct gso_pkt *g;
	uint32_t s0;

	fill();
	open_ts_sack(t);
	s0 = t->rnxt;
	/* The initial window goes; 5000 more bytes and the FIN wait for cwnd. */
	tt_write(t->c, data, 10 * MSS + 5000);
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	g = gso_next(t);
	assert_int_equal(g->len, 10 * MSS);
	assert_int_equal(g->h.flags, TCP_ACK);
	tt_expect_nothing(t);
	/* Three full segments and a short last one, which may go: the FIN is queued. */
	tt_send(t, TT_SEG(.ack = SEG(10), .ts = 1, .tsval = 101, .tsecr = g->h.tsval));
	g = gso_next(t);
	assert_int_equal(g->len, 5000);
	assert_int_equal(g->gso.mss, MSS);
	assert_int_equal(g->h.flags, TCP_ACK | TCP_PSH | TCP_FIN);
	assert_int_equal(g->h.seq, SEG(10));
	assert_memory_equal(g->payload, data + 10 * MSS, 5000);
	tt_expect_nothing(t);
	assert_int_equal(tt_state(t->c), TCP_FIN_WAIT_1);
	tt_send(t, TT_SEG(.ack = SEG(10) + 5001, .ts = 1, .tsval = 102, .tsecr = g->h.tsval));
	assert_int_equal(tt_state(t->c), TCP_FIN_WAIT_2);
	tt_finish(t);
}

static void hw_gso_nagle_holds_only_the_short_tail(void **state)
{
	ST;
	const struct gso_pkt *g;
	uint32_t s0;

	fill();
	open_ts_sack(t);
	s0 = t->rnxt;
	/* A short last segment with nothing short in flight goes (Minshall's Nagle). */
	tt_write(t->c, data, 3 * MSS + 100);
	g = gso_next(t);
	assert_int_equal(g->len, 3 * MSS + 100);
	assert_int_equal(g->h.flags, TCP_ACK | TCP_PSH);
	tt_expect_nothing(t);
	/* Now one is: the next write's full segments go, its short tail waits. */
	tt_write(t->c, data + 3 * MSS + 100, 2 * MSS + 10);
	g = gso_next(t);
	assert_int_equal(g->h.seq, SEG(3) + 100);
	assert_int_equal(g->len, 2 * MSS);
	assert_int_equal(g->h.flags, TCP_ACK);
	tt_expect_nothing(t);
	/* The ACK of the short segment releases the tail. */
	tt_send(t, TT_SEG(.ack = SEG(3) + 100, .ts = 1, .tsval = 101, .tsecr = g->h.tsval));
	g = gso_next(t);
	assert_int_equal(g->h.seq, SEG(5) + 100);
	assert_int_equal(g->len, 10);
	assert_int_equal(g->gso.type, NS_GSO_NONE);
	assert_int_equal(g->h.flags, TCP_ACK | TCP_PSH);
	assert_memory_equal(g->payload, data + 5 * MSS + 100, 10);
	tt_expect_nothing(t);
	tt_finish(t);
}

/* Linux's ip_select_ident_segs(): a GSO packet takes as many IPv4 ids as it stands for
 * segments (the device numbers them id, id + 1, ...), so the next packet's segments never
 * reuse one of them: two datagrams of one flow with one id are what RFC 6864 4.1 forbids
 * once DF is off (as on a path held at the PMTU floor) and a router fragments them. */
static void hw_gso_ipv4_ids_reserved_per_segment(void **state)
{
	ST;
	const struct gso_pkt *g;
	uint16_t id;

	fill();
	open_ts_sack(t);
	/* Four segments, then two (the short tail waits: Nagle), then the tail, all at one
	 * instant (the id counter makes no idle jump). */
	tt_write(t->c, data, 3 * MSS + 100);
	g = gso_next(t);
	assert_int_equal(g->len, 3 * MSS + 100);
	id = g->ip.id;
	tt_write(t->c, data + 3 * MSS + 100, 2 * MSS + 10);
	g = gso_next(t);
	assert_int_equal(g->len, 2 * MSS);
	assert_int_equal(g->ip.id, (uint16_t)(id + 4));
	tt_send(t, TT_SEG(.ack = g->h.seq, .ts = 1, .tsval = 101, .tsecr = g->h.tsval));
	g = gso_next(t);
	assert_int_equal(g->len, 10);
	assert_int_equal(g->ip.id, (uint16_t)(id + 6));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void hw_gso_peer_window_cuts_the_packet(void **state)
{
	ST;
	const struct gso_pkt *g;
	uint32_t s0;

	fill();
	tt_listen(t);
	/* A 4000-byte window: two full segments, and 1104 bytes (less than half the largest
	 * window offered, RFC 9293 3.8.6.2.1) wait. */
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1, .ts = 1,
	                          .tsval = 100, .tsecr = 0, .window = 4000));
	tt_send(t, TT_SEG(.window = 4000, .ts = 1, .tsval = 100)); /* the window from an ACK */
	s0 = t->rnxt;
	tt_write(t->c, data, 20 * MSS);
	g = gso_next(t);
	assert_int_equal(g->h.seq, SEG(0));
	assert_int_equal(g->len, 2 * MSS);
	assert_int_equal(g->gso.mss, MSS);
	tt_expect_nothing(t);
	tt_finish(t);
}

/* ---------------------------------------------------------------- loss inside a packet */

static void hw_gso_loss_inside_super_segment_resent_alone(void **state)
{
	ST;
	const struct gso_pkt *g;
	struct tcp_ep *ep;
	uint32_t s0, tsv;

	fill();
	open_ts_sack(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 10 * MSS);
	g = gso_next(t);
	assert_int_equal(g->len, 10 * MSS);
	tsv = g->h.tsval;
	tt_expect_nothing(t);
	/* The device cut it; segment 3 was lost on the way. The peer ACKs 0-2 and SACKs
	 * 4-9 as they arrive. */
	nt_advance(&t->nt, 5 * NS_MSEC);
	tt_send(t, TT_SEG(.ack = SEG(3), .ts = 1, .tsval = 101, .tsecr = tsv));
	for (int i = 5; i <= 10; i++)
		tt_send(t, TT_SEG(.ack = SEG(3), .ts = 1, .tsval = 101, .tsecr = tsv, .nsack = 1,
		                  .sack = {SEG(4), SEG(i)}));
	/* RACK (a record per segment: segment 3 was sent before the SACKed ones) and RFC
	 * 6675 (three segments' worth SACKed above it) agree: segment 3, alone, one MSS. */
	tt_expect(t, TT_SEG(.seq = SEG(3), .len = MSS, .payload = data + 3 * MSS));
	assert_int_equal(ep->total_retrans, 1);
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	/* Nothing else is resent: the other nine segments are delivered. */
	while (nt_pending(&t->nt)) {
		const struct gso_pkt *n = gso_next(t);

		assert_true(seq_ge(n->h.seq, SEG(10)));
	}
	tt_send(t, TT_SEG(.ack = SEG(10), .ts = 1, .tsval = 102, .tsecr = tsv));
	assert_int_equal(ep->total_retrans, 1);
	assert_int_equal(ep->nsb, 0);
	nt_discard(&t->nt);
	tt_finish(t);
}

static void hw_gso_lost_packet_probed_then_resent_per_segment(void **state)
{
	ST;
	const struct gso_pkt *g;
	struct tcp_ep *ep;
	uint32_t s0, segs = 0;

	fill();
	open_ts_sack(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 10 * MSS);
	g = gso_next(t);
	assert_int_equal(g->len, 10 * MSS);
	tt_expect_nothing(t);
	/* The whole packet is lost. The tail loss probe (RFC 8985 7.3) resends the last
	 * segment, alone. */
	while (!nt_pending(&t->nt))
		nt_advance(&t->nt, NS_MSEC);
	g = gso_next(t);
	assert_int_equal(g->h.seq, SEG(9));
	assert_int_equal(g->len, MSS);
	assert_int_equal(g->gso.type, NS_GSO_NONE);
	assert_int_equal(ep->total_retrans, 1);
	tt_expect_nothing(t);
	/* Then the RTO resends from SND.UNA, one cwnd's worth; every resent segment is
	 * counted, whether it went alone or in a GSO packet. */
	while (!nt_pending(&t->nt))
		nt_advance(&t->nt, NS_MSEC);
	while (nt_pending(&t->nt)) {
		g = gso_next(t);
		assert_int_equal(g->h.seq, SEG(segs));
		assert_int_equal(g->len % MSS, 0);
		segs += g->len / MSS;
	}
	assert_true(segs >= 1);
	assert_int_equal(ep->total_retrans, 1 + segs);
	tt_send(t, TT_SEG(.ack = SEG(10), .ts = 1, .tsval = 101, .tsecr = g->h.tsval));
	assert_int_equal(ep->snd_una, SEG(10));
	assert_int_equal(ep->rack.n, 0);
	nt_discard(&t->nt);
	tt_finish(t);
}

/* ---------------------------------------------------------------- SW GSO on the wire */

static void sw_gso_frames_are_mss_sized_and_checksummed(void **state)
{
	ST;
	uint32_t s0, id0 = 0, tsval = 0;
	const uint32_t total = 9 * MSS + 500;

	fill();
	open_ts_sack(t);
	s0 = t->rnxt;
	/* The initial window first (ten frames); the rest and the FIN wait for its ACK and
	 * then leave together as one GSO packet. */
	tt_write(t->c, data, 10 * MSS + total);
	assert_int_equal(ns_ep_shutdown(t->c, NS_SHUT_WR), NS_OK);
	for (uint32_t i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = MSS, .flags = TCP_ACK));
	tt_expect_nothing(t);
	s0 += 10 * MSS;
	tt_send(t, TT_SEG(.ack = s0, .ts = 1, .tsval = 101));
	/* One GSO packet of 10 segments, cut by the NIC: 10 frames, each exactly what a
	 * sender without offloads sends, full checksums verified by the checker. */
	for (uint32_t i = 0; i < 10; i++) {
		uint32_t len = i < 9 ? MSS : 500;
		const struct tt_rx *r =
		    tt_expect(t, TT_SEG(.seq = SEG(i), .ack = t->pseq, .len = len,
		                        .payload = data + 10 * MSS + i * MSS,
		                        .flags = i < 9 ? TCP_ACK : TCP_ACK | TCP_PSH | TCP_FIN,
		                        .ts = 1, .tsecr = 101, .ip_len = 20 + 32 + len, .df = 1));
		const struct nt_frame *f = &t->nt.rx;

		assert_false(f->csum_partial);
		if (i == 0) {
			id0 = f->ip.id;
			tsval = r->h.tsval;
		}
		/* IPv4 ids follow each other, as a device's TSO makes them. */
		assert_int_equal(f->ip.id, (uint16_t)(id0 + i));
		assert_int_equal(r->h.tsval, tsval);
	}
	tt_expect_nothing(t);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_TX), 2);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_SW_SEGMENTS), 20);
	tt_send(t, TT_SEG(.ack = s0 + total + 1, .ts = 1, .tsval = 102, .tsecr = tsval));
	assert_int_equal(tt_state(t->c), TCP_FIN_WAIT_2);
	tt_finish(t);
}

static void sw_gso_sack_blocks_repeat_in_every_segment(void **state)
{
	ST;
	uint32_t s0, p0;

	fill();
	open_ts_sack(t);
	s0 = t->rnxt;
	/* The peer's data arrives with a hole: our ACKs carry a SACK block, which takes 12
	 * bytes from every segment (MSS 1436), and every segment repeats it. */
	p0 = t->pseq;
	tt_send(t, TT_SEG(.seq = p0 + 100, .payload = "late", .len = 4, .ts = 1, .tsval = 101));
	tt_expect(t, TT_SEG(.ack = p0, .nsack = 1, .sack = {p0 + 100, p0 + 104}));
	tt_write(t->c, data, 5 * 1436);
	for (uint32_t i = 0; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1436 * i, .len = 1436, .ack = p0, .nsack = 1,
		                    .sack = {p0 + 100, p0 + 104}, .ip_len = 1500));
	tt_expect_nothing(t);
	tt_finish(t);
}

/* ---------------------------------------------------------------- checksum offload alone */

static void tx_csum_offload_leaves_checksums_partial(void **state)
{
	ST;
	const struct gso_pkt *g;
	uint32_t s0;

	fill();
	open_ts_sack(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 3 * MSS);
	/* No GSO: three ordinary segments, their checksums left to the link. */
	for (uint32_t i = 0; i < 3; i++) {
		g = gso_next(t);
		assert_int_equal(g->gso.type, NS_GSO_NONE);
		assert_int_equal(g->h.seq, SEG(i));
		assert_int_equal(g->len, MSS);
	}
	tt_expect_nothing(t);
	tt_finish(t);
}

/* ---------------------------------------------------------------- inbound */

/* A TCP segment from the peer built into @frame (Ethernet + IPv4 + TCP); its length. */
static uint32_t build_seg(struct tt *t, uint8_t *frame, uint32_t cap, uint32_t seq, uint32_t len,
                          bool bad_csum)
{
	static uint8_t seg[65536];
	struct tcp_repr h = {.src_port = TT_PEER_PORT,
	                     .dst_port = t->port,
	                     .seq = seq,
	                     .ack = t->rnxt,
	                     .flags = TCP_ACK,
	                     .window = 65535,
	                     .wscale = -1};
	struct ns_addr us = NT_ADDR_US, peer = NT_ADDR_PEER;
	uint32_t hl = (uint32_t)tcp_repr_hdr_len(&h);

	tcp_emit(&h, seg);
	for (uint32_t i = 0; i < len; i++)
		seg[hl + i] = (uint8_t)(seq + i);
	tcp_set_csum(seg, hl + len, csum_pseudo_v4(peer.a, us.a, NS_IPPROTO_TCP, hl + len));
	if (bad_csum)
		seg[16] ^= 0x5a;
	return nt_build_ipv4(NT_IPV4(.ip_proto = NS_IPPROTO_TCP, .payload = seg, .len = hl + len),
	                     frame, cap);
}

static void inbound_super_segment_accepted_and_acked(void **state)
{
	ST;
	static uint8_t frame[NT_FRAME_MAX], buf[65536];
	const uint32_t len = 60 * 1024;
	uint32_t n, p0;
	struct ns_pkt *p;

	tt_established(t);
	p0 = t->pseq;
	/* 60 KiB of payload in one frame: a GRO'd or TSO packet from the host, larger than
	 * our MSS, with the device's "checksum partial but known good" mark. */
	n = build_seg(t, frame, sizeof(frame), p0, len, false);
	assert_int_equal(n, ETH_LEN + 20 + 20 + len);
	p = ns_pkt_from(frame, n);
	assert_non_null(p);
	p->gso = (struct ns_gso){.type = NS_GSO_TCPV4, .mss = 1460};
	p->flags |= NS_PKT_CSUM_VERIFIED;
	ns_channel_inject(t->nt.link, p);
	t->pseq += len;
	/* More than two full-sized segments' worth: ACKed at once. */
	tt_expect(t, TT_SEG(.ack = p0 + len, .len = 0));
	tt_expect_nothing(t);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_GSO_RX), 1);
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), len);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(p0 + i))
			fail_msg("byte %u differs", i);
	tt_finish(t);
}

static void inbound_largest_ipv4_packet_accepted(void **state)
{
	ST;
	static uint8_t frame[NT_FRAME_MAX], buf[65536];
	const uint32_t len = 65535 - 20 - 20; /* IPv4 total length 65535, the most there is */
	uint32_t n, p0;

	tt_established(t);
	p0 = t->pseq;
	/* Without the device's "verified" mark: the checksum over 64 KiB is checked, and
	 * right. */
	n = build_seg(t, frame, sizeof(frame), p0, len, false);
	assert_int_equal(n, ETH_LEN + 65535);
	nt_send_frame(&t->nt, frame, n);
	t->pseq += len;
	tt_expect(t, TT_SEG(.ack = p0 + len, .len = 0));
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), len);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(p0 + i))
			fail_msg("byte %u differs", i);
	tt_finish(t);
}

static void inbound_super_segment_out_of_order_is_sacked(void **state)
{
	ST;
	static uint8_t frame[NT_FRAME_MAX], buf[65536];
	const uint32_t big = 40 * 1024;
	uint32_t n, p0;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	p0 = t->pseq;
	/* The first 1000 bytes are late; a 40 KiB super-segment after them is queued out of
	 * order and reported in one SACK block. */
	n = build_seg(t, frame, sizeof(frame), p0 + 1000, big, false);
	nt_send_frame(&t->nt, frame, n);
	tt_expect(t, TT_SEG(.ack = p0, .nsack = 1, .sack = {p0 + 1000, p0 + 1000 + big}));
	n = build_seg(t, frame, sizeof(frame), p0, 1000, false);
	nt_send_frame(&t->nt, frame, n);
	tt_expect(t, TT_SEG(.ack = p0 + 1000 + big, .nsack = 0));
	t->pseq = p0 + 1000 + big;
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 1000 + big);
	for (uint32_t i = 0; i < 1000 + big; i++)
		if (buf[i] != (uint8_t)(p0 + i))
			fail_msg("byte %u differs", i);
	tt_finish(t);
}

static void csum_verified_skips_the_check(void **state)
{
	ST;
	static uint8_t frame[NT_FRAME_MAX], buf[64];
	uint32_t n, p0;
	struct ns_pkt *p;

	tt_established(t);
	p0 = t->pseq;
	/* A wrong checksum, but the link says it verified the segment: taken. */
	n = build_seg(t, frame, sizeof(frame), p0, 10, true);
	p = ns_pkt_from(frame, n);
	assert_non_null(p);
	p->flags |= NS_PKT_CSUM_VERIFIED;
	ns_channel_inject(t->nt.link, p);
	t->pseq += 10;
	assert_int_equal(tt_read(t->c, buf, sizeof(buf)), 10);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_CSUM), 0);
	nt_advance(&t->nt, NS_SEC);
	tt_expect(t, TT_SEG(.ack = p0 + 10));
	tt_finish(t);
}

static void bad_csum_without_verified_is_dropped(void **state)
{
	ST;
	static uint8_t frame[NT_FRAME_MAX];
	uint32_t n, p0;

	tt_established(t);
	p0 = t->pseq;
	n = build_seg(t, frame, sizeof(frame), p0, 10, true);
	nt_send_frame(&t->nt, frame, n);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_CSUM), 1);
	assert_int_equal(tt_ep(t->c)->rcv_nxt, p0);
	nt_advance(&t->nt, NS_SEC);
	tt_expect_nothing(t);
	/* The same bytes with a right checksum are taken. */
	n = build_seg(t, frame, sizeof(frame), p0, 10, false);
	nt_send_frame(&t->nt, frame, n);
	assert_int_equal(tt_ep(t->c)->rcv_nxt, p0 + 10);
	t->pseq += 10;
	nt_advance(&t->nt, NS_SEC);
	tt_expect(t, TT_SEG(.ack = p0 + 10));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(hw_gso_bulk_sends_super_segments, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_fin_and_psh_ride_on_the_packet, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_nagle_holds_only_the_short_tail, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_peer_window_cuts_the_packet, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_ipv4_ids_reserved_per_segment, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_loss_inside_super_segment_resent_alone, hw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(hw_gso_lost_packet_probed_then_resent_per_segment,
	                                    hw_setup, tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(sw_gso_frames_are_mss_sized_and_checksummed, sw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(sw_gso_sack_blocks_repeat_in_every_segment, sw_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(tx_csum_offload_leaves_checksums_partial, csum_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(inbound_super_segment_accepted_and_acked, tt_cm_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(inbound_largest_ipv4_packet_accepted, tt_cm_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(inbound_super_segment_out_of_order_is_sacked,
	                                    tt_cm_setup, tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(csum_verified_skips_the_check, tt_cm_setup,
	                                    tt_cm_teardown),
	    cmocka_unit_test_setup_teardown(bad_csum_without_verified_is_dropped, tt_cm_setup,
	                                    tt_cm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
