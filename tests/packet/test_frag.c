/* SPDX-License-Identifier: MIT */
/*
 * IPv4 fragmentation and reassembly, packet level (frag.c through ipv4.c): a stack on a
 * channel link with the virtual clock (tests/lib/harness.h).
 *
 * The peer's datagrams are built whole (a UDP datagram with its checksum, or an ICMP echo
 * request), cut into fragments by the test and injected in the order the test names;
 * what the stack sends back is read frame by frame, each fragment's header checked (sizes,
 * offsets, MF, one identification, header checksum) and the pieces put together again to
 * check the transport checksum and the bytes. Reassembly: every order (in, reverse,
 * seeded permutations), duplicates, overlaps, the timeout with and without the first
 * fragment, the memory cap under floods from one and from many sources, too long, bad
 * lengths, too many fragments. Fragmentation: UDP over the MTU, checksum offload, DF,
 * forwarding (fragments of fragments, copied options), local delivery without it. Every
 * test ends with the harness's leak check.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net/frag.h"
#include "wire/checksum.h"

#define ST struct nt *t = *state

#define OTHER_SRC NT_V4(192, 0, 2, 3)
#define REMOTE    NT_ADDR_REMOTE /* behind the second NIC when forwarding */

/* ---------------------------------------------------------------- helpers */

static uint8_t *pattern(uint32_t n, uint8_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed);
	return p;
}

/* A UDP datagram (header and checksum included) from @src:40000 to us:@dport. */
static uint8_t *udp_datagram(struct ns_addr src, uint16_t dport, const uint8_t *payload, uint32_t n)
{
	return nt_udp_datagram(src, NT_ADDR_US, dport, payload, n);
}

/* An ICMP echo request (8-byte header and @n data bytes). */
static uint8_t *echo_request(const uint8_t *data, uint32_t n, uint16_t seq)
{
	uint8_t *m = malloc(8 + n);

	assert_non_null(m);
	m[0] = ICMPV4_ECHO_REQUEST;
	m[1] = 0;
	wr16(m + 2, 0);
	wr16(m + 4, NT_DEF_ECHO_ID);
	wr16(m + 6, seq);
	memcpy(m + 8, data, n);
	wr16(m + 2, csum_finish(csum_partial(m, 8 + n, 0)));
	return m;
}

/* Fragment @i of @len bytes cut in pieces of @step (a multiple of 8). */
static void send_piece(struct nt *t, struct ns_addr src, uint8_t proto, uint16_t id,
                       const uint8_t *d, uint32_t len, uint32_t step, uint32_t i)
{
	uint32_t off = i * step, n = len - off < step ? len - off : step;

	nt_send_ipv4(t, NT_IPV4(.src = src, .ip_proto = proto, .ip_id = id, .frag_off = off,
	                        .mf = off + n < len, .payload = d + off, .len = n));
}

static uint32_t npieces(uint32_t len, uint32_t step)
{
	return (len + step - 1) / step;
}

/* Send every piece, in @order (NULL: in order). */
static void send_pieces(struct nt *t, struct ns_addr src, uint8_t proto, uint16_t id,
                        const uint8_t *d, uint32_t len, uint32_t step, const uint32_t *order)
{
	for (uint32_t i = 0; i < npieces(len, step); i++)
		send_piece(t, src, proto, id, d, len, step, order ? order[i] : i);
}

static void shuffle(uint32_t *a, uint32_t n, uint64_t *x)
{
	for (uint32_t i = 0; i < n; i++)
		a[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j, tmp;

		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		j = (uint32_t)(*x % (i + 1));
		tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
}

/*
 * Read the fragments of one datagram the stack sent on @link (@n of them, in order) and
 * put its payload together in @out. Each must be a fragment of the same datagram: the
 * offsets follow on, MF on all but the last, no fragment over @mtu, data in 8-byte units
 * but in the last, a valid header checksum, DF clear. Returns the payload length; *@hdr
 * gets the first fragment's header.
 */
static uint32_t collect(struct ns_link *link, uint32_t n, uint32_t mtu, uint8_t *out,
                        struct ipv4_repr *hdr)
{
	uint32_t off = 0;
	uint16_t id = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct ns_pkt *p = ns_channel_read(link);
		struct ipv4_repr ip;
		const uint8_t *l3;

		assert_non_null(p);
		assert_true(p->len > 14);
		l3 = ns_pkt_data(p) + 14;
		assert_int_equal(ipv4_parse(&ip, l3, p->len - 14, true), IPV4_OK);
		assert_true(ip.total_len <= mtu);
		assert_false(ip.df);
		if (i == 0) {
			*hdr = ip;
			id = ip.id;
		}
		assert_int_equal(ip.id, id);
		assert_int_equal(ip.frag_off, off);
		assert_int_equal(ip.mf, i + 1 < n);
		if (i + 1 < n)
			assert_int_equal((ip.total_len - ip.hdr_len) % 8, 0);
		memcpy(out + off, l3 + ip.hdr_len, ip.total_len - ip.hdr_len);
		off += ip.total_len - ip.hdr_len;
		ns_pkt_free(p);
	}
	return off;
}

static uint32_t collect_nt(struct nt *t, uint32_t n, uint32_t mtu, uint8_t *out,
                           struct ipv4_repr *hdr)
{
	return collect(t->link, n, mtu, out, hdr);
}

static bool udp_csum_valid(const struct ipv4_repr *ip, const uint8_t *d, uint32_t len)
{
	return csum_fold(csum_partial(
	           d, len, csum_pseudo_v4(ip->src, ip->dst, IP_PROTO_UDP, len))) == 0xffff;
}

static struct frag_state *fs(struct nt *t)
{
	return ipv4_frag(t->s);
}

/* ---------------------------------------------------------------- reassembly */

/* A 3000-byte ping in three fragments is answered, and the reply (3028 bytes) goes out in
 * three fragments of our own that the kernel can put together. */
static void echo_reassembled_and_reply_fragmented(void **state)
{
	ST;
	uint8_t *data = pattern(3000, 1), *req = echo_request(data, 3000, 5), out[4000];
	struct ipv4_repr ip;
	uint32_t n;

	send_pieces(t, NT_ADDR_PEER, IP_PROTO_ICMP, 0x4242, req, 3008, 1480, NULL);
	n = collect_nt(t, 3, 1500, out, &ip);
	assert_int_equal(n, 3008);
	assert_int_equal(ip.proto, IP_PROTO_ICMP);
	assert_memory_equal(ip.src, NT_ADDR_US.a, 4);
	assert_memory_equal(ip.dst, NT_ADDR_PEER.a, 4);
	assert_int_equal(out[0], ICMPV4_ECHO_REPLY);
	assert_int_equal(rd16(out + 6), 5);
	assert_int_equal(csum_fold(csum_partial(out, n, 0)), 0xffff);
	assert_memory_equal(out + 8, data, 3000);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_REQDS), 3);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 1);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_OKS), 1);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_CREATES), 3);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(frag_mem(fs(t)), 0);
	free(data);
	free(req);
}

static void udp_reassembled_in_reverse(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(5000, 2), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 5000);
	static const uint32_t rev[4] = {3, 2, 1, 0};

	send_pieces(t, NT_ADDR_PEER, IP_PROTO_UDP, 7, d, 5008, 1480, rev);
	nt_expect_read(ep, pl, 5000);
	nt_expect_empty(ep);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* Seeded permutations: 30 rounds of an 8000-byte datagram in 9 pieces of 904 bytes (not a
 * multiple of the link's natural 1480, so no fragment lines up with another datagram's). */
static void udp_reassembled_in_random_orders(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint32_t order[16];

	for (int round = 0; round < 30; round++) {
		uint8_t *pl = pattern(8000, (uint8_t)round),
		        *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 8000);

		assert_int_equal(npieces(8008, 904), 9);
		shuffle(order, 9, &x);
		send_pieces(t, NT_ADDR_PEER, IP_PROTO_UDP, (uint16_t)(100 + round), d, 8008, 904,
		            order);
		nt_expect_read(ep, pl, 8000);
		free(pl);
		free(d);
	}
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 30);
	assert_int_equal(frag_count(fs(t)), 0);
	ns_ep_close(ep);
}

/* Two datagrams with the same id, interleaved, apart by protocol (RFC 791's key). */
static void datagrams_keyed_by_protocol(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(2000, 3), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 2000);
	uint8_t *req = echo_request(pl, 2000, 9), out[2100];
	struct ipv4_repr ip;

	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 55, d, 2008, 1480, 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_ICMP, 55, req, 2008, 1480, 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_ICMP, 55, req, 2008, 1480, 1);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 55, d, 2008, 1480, 1);
	nt_expect_read(ep, pl, 2000);
	assert_int_equal(collect_nt(t, 2, 1500, out, &ip), 2008);
	assert_int_equal(out[0], ICMPV4_ECHO_REPLY);
	ns_ep_close(ep);
	free(pl);
	free(d);
	free(req);
}

/* Exact duplicates and a fragment inside a run already received are dropped alone; the
 * datagram still completes (RFC 5722 erratum 3089, Linux). */
static void duplicates_tolerated(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(3992, 4), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 3992);

	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 1);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 0); /* exact */
	/* 1000..1800: inside the run 0..2000 made of two fragments. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 8, .frag_off = 1000, .mf = 1,
	                        .payload = d + 1000, .len = 800));
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 3);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 3); /* exact, last */
	nt_expect_empty(ep);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 8, d, 4000, 1000, 2);
	nt_expect_read(ep, pl, 3992);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_DUPLICATE), 3);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_OVERLAP), 0);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* An overlap (data that straddles received and missing bytes) drops the whole datagram, as
 * Linux does since 2018 and RFC 5722 wants for IPv6. What comes later with that id starts
 * afresh (and here never completes). */
static void overlap_drops_datagram(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(2992, 5), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 2992);

	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 9, d, 3000, 1000, 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 9, d, 3000, 1000, 2);
	/* 800..1800 overlaps the first fragment's tail. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 9, .frag_off = 800, .mf = 1,
	                        .payload = d + 800, .len = 1000));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_OVERLAP), 3);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_FAILS), 1);
	assert_int_equal(frag_count(fs(t)), 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 9, d, 3000, 1000, 1);
	nt_expect_empty(ep);
	assert_int_equal(frag_count(fs(t)), 1);
	/* An overlap reaching into the next fragment (starting in a hole) counts too. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 9, .frag_off = 0, .mf = 1,
	                        .payload = d, .len = 1008));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_OVERLAP), 5);
	assert_int_equal(frag_count(fs(t)), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* RFC 1122 3.3.2 / RFC 792: 30 s after the first fragment arrived, time exceeded code 1
 * quoting it; a datagram whose first fragment never came times out silently. */
static void timeout_time_exceeded_with_first_fragment(void **state)
{
	ST;
	uint8_t *pl = pattern(2992, 6), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 2992);
	const struct nt_frame *f;

	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 10, d, 3000, 1000, 0);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 11, d, 3000, 1000, 1);
	nt_advance(t, 29 * NS_SEC + 999 * NS_MSEC);
	nt_expect_nothing(t);
	assert_int_equal(frag_count(fs(t)), 2);
	nt_advance(t, 1 * NS_MSEC);
	f = nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_TIME_EXCEEDED, .code = ICMPV4_EXC_FRAGTIME,
	                              .src = NT_ADDR_US, .dst = NT_ADDR_PEER));
	/* The quote: the first fragment's header (id 10, MF, offset 0) and data. */
	assert_true(f->payload_len >= 28);
	assert_int_equal(ipv4_get_id(f->payload), 10);
	assert_int_equal(rd16(f->payload + 6), IPV4_FLAG_MF);
	assert_memory_equal(f->payload + 20, d, 8);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TIMEOUT), 2);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_FAILS), 2);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(frag_mem(fs(t)), 0);
	free(pl);
	free(d);
}

/* RFC 791 3.2: a fragment with more to come carries a multiple of 8 bytes (one with fewer
 * than 8 is empty once trimmed); an empty one, a last one that ends before data already
 * received or disagrees with another last one, or data past the end all kill the datagram
 * (Linux's ip_frag_queue()). */
static void bad_lengths(void **state)
{
	ST;
	static uint8_t z[2000];

	nt_send_ipv4(
	    t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 20, .mf = 1, .payload = z, .len = 7));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 1);
	assert_int_equal(frag_count(fs(t)), 0);
	/* Empty, with nothing else of its datagram: dropped alone. */
	nt_send_ipv4(
	    t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 21, .frag_off = 8, .mf = 1, .len = 0));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 2);
	/* A last fragment ending at 1000, then data up to 1600. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 22, .frag_off = 800,
	                        .payload = z, .len = 200));
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 22, .frag_off = 1200, .mf = 1,
	                        .payload = z, .len = 400));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 4);
	assert_int_equal(frag_count(fs(t)), 0);
	/* Two last fragments that disagree. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 23, .frag_off = 800,
	                        .payload = z, .len = 200));
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 23, .frag_off = 1600,
	                        .payload = z, .len = 200));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 6);
	/* A last fragment that ends before data received. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 24, .frag_off = 1600, .mf = 1,
	                        .payload = z, .len = 400));
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 24, .frag_off = 800,
	                        .payload = z, .len = 200));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 8);
	/* An empty fragment of a datagram under way. */
	nt_send_ipv4(
	    t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 25, .mf = 1, .payload = z, .len = 8));
	nt_send_ipv4(
	    t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 25, .frag_off = 8, .mf = 1, .len = 0));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 10);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(nt_stat(t, NS_STAT_UDP_RX), 0);
	nt_expect_nothing(t);
}

/* A fragment with more to come whose data is not a multiple of 8 bytes is cut down to one
 * (Linux's ip_frag_queue(): "end &= ~7"; RFC 791 3.2 has senders send multiples of 8):
 * its excess bytes are not data, and the next fragment, at the 8-byte boundary, completes
 * the datagram. */
static void fragment_trimmed_to_8_bytes(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(1092, 16), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 1092), b[1004];

	memcpy(b, d, 1000);
	memset(b + 1000, 0xee, 4); /* not the datagram's: cut off */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 60, .mf = 1, .payload = b,
	                        .len = sizeof(b)));
	assert_int_equal(frag_count(fs(t)), 1);
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 60, .frag_off = 1000,
	                        .payload = d + 1000, .len = 100));
	nt_expect_read(ep, pl, 1092);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 0);
	assert_int_equal(frag_count(fs(t)), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* A datagram longer than the 16-bit total length allows: the fragment that proves it drops
 * the datagram (Linux gives up on it too). The largest legal end is fine. */
static void too_long_dropped(void **state)
{
	ST;
	static uint8_t z[1480];

	nt_send_ipv4(
	    t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 30, .mf = 1, .payload = z, .len = 1480));
	/* 20 + 64512 + 1008 = 65540 > 65535 */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 30, .frag_off = 64512,
	                        .payload = z, .len = 1008));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_LONG), 2);
	assert_int_equal(frag_count(fs(t)), 0);
	/* 20 + 64512 + 1003 = 65535: kept. */
	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 31, .frag_off = 64512,
	                        .payload = z, .len = 1003));
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_LONG), 2);
	assert_int_equal(frag_count(fs(t)), 1);
}

/* The whole datagram must fit 65535 bytes with the first fragment's header, options
 * included (Linux's ip_frag_reasm()): fragments that each fit, the first with 40 bytes of
 * options, make a 65555-byte datagram, dropped whole. */
static void too_long_with_first_fragment_options(void **state)
{
	ST;
	static const uint8_t nops[40] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	                                 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	                                 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint32_t len = 65515, first = 1440, step = 1480, sent = 0;
	uint8_t *pl = pattern(len - 8, 15), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, len - 8);

	nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 50, .mf = 1, .ip_opts = nops,
	                        .ip_opts_len = sizeof(nops), .payload = d, .len = first));
	sent++;
	for (uint32_t off = first; off < len; off += step) {
		uint32_t k = len - off < step ? len - off : step;

		nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = 50, .frag_off = off,
		                        .mf = off + k < len, .payload = d + off, .len = k));
		sent++;
	}
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 0);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_LONG), sent);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(frag_mem(fs(t)), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

static void four_frags(struct ns_stack_config *cfg)
{
	cfg->frag_max_frags = 4;
}

static int setup_four_frags(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.config = four_frags));
}

/* frag_max_frags: a fifth fragment of one datagram drops it. */
static void too_many_fragments(void **state)
{
	ST;
	uint8_t *pl = pattern(4992, 7), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 4992);

	for (uint32_t i = 0; i < 4; i++)
		send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 40, d, 5000, 1000, i);
	assert_int_equal(frag_count(fs(t)), 1);
	send_piece(t, NT_ADDR_PEER, IP_PROTO_UDP, 40, d, 5000, 1000, 4);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_MANY), 5);
	assert_int_equal(frag_count(fs(t)), 0);
	free(pl);
	free(d);
}

/* ---------------------------------------------------------------- memory */

static void small_cap(struct ns_stack_config *cfg)
{
	cfg->frag_mem_max = 256 * 1024;
	cfg->frag_src_max = 64 * 1024;
}

static int setup_small_cap(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.config = small_cap));
}

/* One source floods incomplete datagrams: it is held to its share (frag_src_max) and the
 * rest is refused; another source's datagram still completes. */
static void flood_from_one_source_held_to_its_share(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(1992, 8), *d = udp_datagram(OTHER_SRC, 7000, pl, 1992);
	static uint8_t z[1000];
	int64_t live0 = ns_pkt_live();

	for (uint32_t i = 0; i < 1000; i++) {
		nt_send_ipv4(t, NT_IPV4(.ip_proto = IP_PROTO_UDP, .ip_id = (uint16_t)i, .mf = 1,
		                        .payload = z, .len = sizeof(z)));
		assert_true(frag_mem(fs(t)) <= 64 * 1024);
	}
	assert_true(nt_drops(t, NS_DROP_FRAG_SRC_LIMIT) > 900);
	/* Held packets: no more than 64 KiB worth of pooled buffers. */
	assert_true(ns_pkt_live() - live0 <= 64 * 1024 / NS_PKT_STD_SIZE);
	send_pieces(t, OTHER_SRC, IP_PROTO_UDP, 1, d, 2000, 1000, NULL);
	nt_expect_read(ep, pl, 1992);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* Many sources (every address of 198.51.100.0/24 and 192.0.2.0/24, none over its share)
 * flood incomplete datagrams: memory never exceeds the cap, the oldest datagrams make way,
 * and a datagram whose fragments arrive together still completes in the middle of it. */
static void flood_from_many_sources_stays_under_cap(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 7000);
	uint8_t *pl = pattern(1992, 9), *d = udp_datagram(NT_ADDR_PEER, 7000, pl, 1992);
	static uint8_t z[1000];
	int64_t live0 = ns_pkt_live();
	uint32_t sent = 0;

	for (int round = 0; round < 3; round++) {
		for (uint32_t net = 0; net < 2; net++) {
			for (uint32_t h = 10; h < 250; h++) {
				struct ns_addr src =
				    net ? NT_V4(198, 51, 100, h) : NT_V4(192, 0, 2, h);

				nt_send_ipv4(t, NT_IPV4(.src = src, .ip_proto = IP_PROTO_UDP,
				                        .ip_id = (uint16_t)round, .mf = 1,
				                        .payload = z, .len = sizeof(z)));
				sent++;
				assert_true(frag_mem(fs(t)) <= 256 * 1024);
			}
		}
		/* Mid-flood, a datagram whose two fragments come back to back. */
		send_pieces(t, NT_ADDR_PEER, IP_PROTO_UDP, (uint16_t)(1000 + round), d, 2000, 1000,
		            NULL);
		nt_expect_read(ep, pl, 1992);
	}
	assert_int_equal(sent, 1440);
	assert_true(nt_drops(t, NS_DROP_FRAG_MEM) > 1000);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_SRC_LIMIT), 0);
	assert_true(ns_pkt_live() - live0 <= 256 * 1024 / NS_PKT_STD_SIZE);
	assert_true(frag_count(fs(t)) > 50);
	nt_discard(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* ---------------------------------------------------------------- fragmentation on send */

/* RFC 791 3.2: a 4000-byte UDP datagram leaves in fragments of 1480 data bytes: offsets 0,
 * 1480, 2960, MF on the first two, one identification, DF clear (it did not fit), each
 * header checksum right; put together, the UDP checksum holds. */
static void udp_send_fragmented(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 5000);
	uint8_t *pl = pattern(4000, 10), out[5000];
	struct ns_sockaddr to = nt_sa(NT_ADDR_PEER, 6000);
	struct ns_write_opts o = {.to = &to};
	struct ipv4_repr ip;
	size_t n = 0;

	assert_int_equal(ns_ep_write(ep, pl, 4000, &o, &n), NS_OK);
	assert_int_equal(n, 4000);
	assert_int_equal(collect_nt(t, 3, 1500, out, &ip), 4008);
	assert_int_equal(ip.proto, IP_PROTO_UDP);
	assert_int_equal(rd16(out + 4), 4008);
	assert_true(udp_csum_valid(&ip, out, 4008));
	assert_memory_equal(out + 8, pl, 4000);
	nt_expect_nothing(t);
	/* The next datagram gets the next identification; one that fits keeps DF. */
	assert_int_equal(ns_ep_write(ep, pl, 1472, &o, &n), NS_OK);
	nt_expect_udp(t, NT_UDP(.df = 1, .mf = 0, .ip_id = (uint16_t)(ip.id + 1), .ip_len = 1500));
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_OKS), 1);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_CREATES), 3);
	ns_ep_close(ep);
	free(pl);
}

static int setup_offload(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.caps = NS_CAP_TX_CSUM_OFFLOAD));
}

/* A checksum left for the link to finish cannot be finished across fragments: the stack
 * completes it before it cuts the datagram. */
static void offloaded_checksum_finished_before_fragmenting(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT_ADDR_ZERO, 5000);
	uint8_t *pl = pattern(3000, 11), out[4000];
	struct ns_sockaddr to = nt_sa(NT_ADDR_PEER, 6000);
	struct ns_write_opts o = {.to = &to};
	struct ipv4_repr ip;
	size_t n = 0;

	assert_int_equal(ns_ep_write(ep, pl, 3000, &o, &n), NS_OK);
	assert_int_equal(collect_nt(t, 3, 1500, out, &ip), 3008);
	assert_true(udp_csum_valid(&ip, out, 3008));
	ns_ep_close(ep);
	free(pl);
}

static int setup_probe(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.probe = true));
}

/* DF set and too big: refused (Linux's EMSGSIZE), nothing sent. Without DF: fragmented;
 * the largest datagram (65535 bytes) in 45 fragments; one byte more is refused. */
static void df_refused_else_fragmented(void **state)
{
	ST;
	struct nt_probe p;
	static uint8_t out[65536];
	struct ipv4_repr ip;

	nt_probe_open(t, &p, 1000, NT_ADDR_PEER, 2000);
	assert_int_equal(nt_probe_send(t, &p, 2000, &(struct ns_write_params){.df = true}),
	                 NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_FAILS), 1);
	assert_int_equal(nt_probe_send(t, &p, 65535 - 28, NULL), NS_OK);
	assert_int_equal(collect_nt(t, 45, 1500, out, &ip), 65515);
	for (uint32_t i = 0; i < 65535 - 28; i++)
		assert_int_equal(out[8 + i], (uint8_t)i);
	assert_int_equal(nt_probe_send(t, &p, 65535 - 27, NULL), NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	nt_probe_close(t, &p);
}

/* A GSO packet is the link's to cut into segments (NS_CAP_HW_GSO): the network layer sends
 * it whole, however far over the MTU, and never fragments it. */
static void gso_packet_not_fragmented(void **state)
{
	ST;
	struct ns_addr peer = NT_ADDR_PEER;
	struct ns_route r;
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM + 8, 4000);
	uint8_t *h;
	const struct nt_frame *f;

	assert_non_null(p);
	memset(ns_pkt_data(p), 0x5a, 4000);
	h = ns_pkt_push(p, NS_HDR_TRANSPORT, 8);
	wr16(h, 5000);
	wr16(h + 2, 6000);
	wr16(h + 4, 0);
	wr16(h + 6, 0);
	p->transproto = IP_PROTO_UDP;
	p->gso.type = NS_GSO_UDP_L4;
	p->gso.mss = 1472;
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_int_equal(ns_netproto_write(t->s, &r, p, &(struct ns_write_params){.df = false}),
	                 NS_OK);
	f = nt_expect_frame(t);
	assert_int_equal(f->len, 14 + 20 + 8 + 4000);
	nt_expect_nothing(t);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_OKS), 0);
}

static int setup_gso(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.caps = NS_CAP_HW_GSO));
}

/* A datagram to one of our own addresses never meets a link: it is looped back whole,
 * whatever the NIC's MTU. */
static void local_delivery_not_fragmented(void **state)
{
	ST;
	struct ns_ep *rx = nt_udp_bound(t, NT_ADDR_ZERO, 7000),
	             *tx = nt_udp_bound(t, NT_ADDR_ZERO, 7001);
	uint8_t *pl = pattern(9000, 12);
	struct ns_sockaddr to = nt_sa(NT_ADDR_US, 7000);
	struct ns_write_opts o = {.to = &to};
	size_t n = 0;

	assert_int_equal(ns_ep_write(tx, pl, 9000, &o, &n), NS_OK);
	nt_expect_read(rx, pl, 9000);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_OKS), 0);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_REQDS), 0);
	nt_expect_nothing(t);
	ns_ep_close(rx);
	ns_ep_close(tx);
	free(pl);
}

/* ---------------------------------------------------------------- forwarding */

static int setup_forwarding(void **state)
{
	return nt_cm_setup_opts(state, NT_OPTS(.forwarding = true));
}

static void remove_small_nic(struct nt *t, struct ns_link *l)
{
	assert_int_equal(ns_channel_pending(l), 0);
	nt_remove_small_nic(t, l);
}

/* RFC 1812 5.2.6 / RFC 791 3.2: a datagram without DF too big for the next link leaves in
 * fragments of at most 576 bytes, TTL already decremented in each. With DF: fragmentation
 * needed with the next-hop MTU (RFC 1191 3). */
static void forward_fragments_without_df(void **state)
{
	ST;
	struct ns_link *l = nt_add_small_nic(t);
	uint8_t *pl = pattern(1300, 13), *d = malloc(1308), out[2000];
	struct ipv4_repr ip;
	struct ns_addr src = NT_ADDR_PEER, dst = REMOTE;

	assert_non_null(d);
	memcpy(d + 8, pl, 1300);
	wr16(d, 1);
	wr16(d + 2, 2);
	wr16(d + 4, 1308);
	wr16(d + 6, 0);
	wr16(d + 6, csum_finish(csum_partial(d, 1308, csum_pseudo_v4(src.a, dst.a, 17, 1308))));
	nt_send_ipv4(t, NT_IPV4(.dst = REMOTE, .ip_proto = IP_PROTO_UDP, .ttl = 9, .payload = d,
	                        .len = 1308));
	nt_expect_nothing(t);
	assert_int_equal(collect(l, 3, 576, out, &ip), 1308); /* 552 + 552 + 204 */
	assert_int_equal(ip.ttl, 8);
	assert_true(udp_csum_valid(&ip, out, 1308));
	assert_memory_equal(out, d, 1308);
	assert_int_equal(nt_stat(t, NS_STAT_IP_FORWARDED), 1);
	/* DF: refused with the next hop's MTU. */
	nt_send_ipv4(t, NT_IPV4(.dst = REMOTE, .ip_proto = IP_PROTO_UDP, .df = 1, .payload = d,
	                        .len = 1308));
	nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_DEST_UNREACH, .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                          .mtu = 576));
	assert_int_equal(nt_drops(t, NS_DROP_IPV4_TOO_BIG), 1);
	remove_small_nic(t, l);
	free(pl);
	free(d);
}

/* A fragment forwarded onto a smaller link is cut again: the pieces' offsets continue from
 * its own and MF stays on all of them when it had it (RFC 791 3.2). Options with the copied
 * flag go on every piece, the others only on the first (Linux turns them into NOPs, so
 * every header keeps its length). */
static void forward_refragments_with_options(void **state)
{
	ST;
	struct ns_link *l = nt_add_small_nic(t);
	/* Router alert (0x94, copied), then record route (0x07, not copied), then EOL. */
	static const uint8_t opts[12] = {0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0};
	static uint8_t z[1000];
	uint32_t offs[2] = {1600, 1600 + 544};

	for (uint32_t i = 0; i < sizeof(z); i++)
		z[i] = (uint8_t)i;
	nt_send_ipv4(t, NT_IPV4(.dst = REMOTE, .ip_proto = IP_PROTO_UDP, .ip_id = 77,
	                        .frag_off = 1600, .mf = 1, .ip_opts = opts, .ip_opts_len = 12,
	                        .payload = z, .len = 1000));
	nt_expect_nothing(t);
	for (uint32_t i = 0; i < 2; i++) {
		struct ns_pkt *p = ns_channel_read(l);
		struct ipv4_repr ip;
		const uint8_t *h;

		assert_non_null(p);
		h = ns_pkt_data(p) + 14;
		assert_int_equal(ipv4_parse(&ip, h, p->len - 14, true), IPV4_OK);
		assert_int_equal(ip.hdr_len, 32);
		assert_int_equal(ip.id, 77);
		assert_int_equal(ip.frag_off, offs[i]);
		assert_true(ip.mf);
		assert_int_equal(ip.total_len, i == 0 ? 32 + 544 : 32 + 456);
		assert_memory_equal(h + 20, opts, 4); /* router alert on both */
		if (i == 0)
			assert_memory_equal(h + 24, opts + 4, 8);
		else
			assert_memory_equal(h + 24, "\x01\x01\x01\x01\x01\x01\x01\x00", 8);
		assert_memory_equal(h + 32, z + (i ? 544 : 0), ip.total_len - 32);
		ns_pkt_free(p);
	}
	remove_small_nic(t, l);
}

int main(void)
{
#define T(f)     cmocka_unit_test_setup_teardown(f, nt_cm_setup, nt_cm_teardown)
#define TO(f, s) cmocka_unit_test_setup_teardown(f, s, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(echo_reassembled_and_reply_fragmented),
	    T(udp_reassembled_in_reverse),
	    T(udp_reassembled_in_random_orders),
	    T(datagrams_keyed_by_protocol),
	    T(duplicates_tolerated),
	    T(overlap_drops_datagram),
	    T(timeout_time_exceeded_with_first_fragment),
	    T(bad_lengths),
	    T(fragment_trimmed_to_8_bytes),
	    T(too_long_dropped),
	    T(too_long_with_first_fragment_options),
	    TO(too_many_fragments, setup_four_frags),
	    TO(flood_from_one_source_held_to_its_share, setup_small_cap),
	    TO(flood_from_many_sources_stays_under_cap, setup_small_cap),
	    T(udp_send_fragmented),
	    TO(offloaded_checksum_finished_before_fragmenting, setup_offload),
	    TO(df_refused_else_fragmented, setup_probe),
	    T(local_delivery_not_fragmented),
	    TO(gso_packet_not_fragmented, setup_gso),
	    TO(forward_fragments_without_df, setup_forwarding),
	    TO(forward_refragments_with_options, setup_forwarding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
