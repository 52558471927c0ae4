/* SPDX-License-Identifier: MIT */
/*
 * IPv6 fragmentation and reassembly (frag6.c on the frag.c engine, through ipv6.c), packet
 * level on the IPv6 harness (tests/lib/harness6.h), and IPv6 path MTU discovery.
 *
 * The peer's UDP datagrams are built whole (header and checksum over the RFC 8200 8.1
 * pseudo-header), cut into fragments by the test (a Fragment header as the last
 * extension header) and injected in the order the test names; a UDP endpoint reads what
 * reassembly gives. What the stack sends is read frame by frame: each fragment's IPv6 and
 * Fragment header checked (sizes, offsets in 8-byte units, M, one identification) and the
 * pieces put together to check the UDP checksum and the bytes. Covered: every order,
 * atomic fragments (RFC 6946), the three parameter problems of RFC 8200 4.5 (and RFC 7112),
 * overlaps (RFC 5722) and duplicates, an unfragmentable part with a destination options
 * header, the 60 s timeout with time exceeded, ECN (RFC 3168 5.3), fragmentation at the
 * source, and a packet too big (RFC 8201) that lowers the path MTU. Every test ends with
 * the harness's leak check.
 */
#include <stdlib.h>
#include <string.h>

#include "harness6.h"
#include "net/frag.h"
#include "wire/checksum.h"

#define ST struct nt *t = *state

#define FH_LEN 8

/* ---------------------------------------------------------------- helpers */

static uint8_t *pattern(uint32_t n, uint8_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
	return p;
}

/* A UDP datagram from the peer's port 40000 to us:@dport, checksummed. */
static uint8_t *udp6_datagram(uint16_t dport, const uint8_t *pl, uint32_t n)
{
	return nt_udp_datagram(NT6_ADDR_PEER, NT6_ADDR_US, dport, pl, n);
}

/* One fragment: [@pre (@pre_len bytes of extension headers, the IPv6 header naming the
 * first as @pre_nh, the last naming the Fragment header)] Fragment header (@nh, @off, @m,
 * @id), then @n bytes of @data; traffic class @tclass. */
static void send_frag_ext(struct nt *t, const uint8_t *pre, uint32_t pre_len, uint8_t pre_nh,
                          uint8_t nh, uint32_t off, bool m, uint32_t id, const uint8_t *data,
                          uint32_t n, uint8_t tclass)
{
	uint8_t ext[64];

	assert_true(pre_len + FH_LEN <= sizeof(ext));
	if (pre_len)
		memcpy(ext, pre, pre_len);
	ext[pre_len] = nh;
	ext[pre_len + 1] = 0;
	wr16(ext + pre_len + 2, (uint16_t)(off | (m ? 1u : 0u)));
	wr32(ext + pre_len + 4, id);
	nt6_send_raw(t, NT6_RAW(.nh = pre_len ? pre_nh : IPV6_NH_FRAGMENT, .ext = ext,
	                        .ext_len = pre_len + FH_LEN, .tclass = tclass, .payload = data,
	                        .len = n));
}

static void send_frag(struct nt *t, uint32_t off, bool m, uint32_t id, const uint8_t *data,
                      uint32_t n)
{
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_UDP, off, m, id, data, n, 0);
}

/* Piece @i of @d (@len bytes) cut in pieces of @step (a multiple of 8). */
static void send_piece(struct nt *t, uint32_t id, const uint8_t *d, uint32_t len, uint32_t step,
                       uint32_t i)
{
	uint32_t off = i * step, n = len - off < step ? len - off : step;

	send_frag(t, off, off + n < len, id, d + off, n);
}

static void expect_error(struct nt *t, uint8_t type, uint8_t code, uint32_t rest)
{
	const struct nt6_frame *f =
	    nt6_expect_icmp(t, NT6_ICMP(.type = type, .code = code, .rest = rest,
	                                .src = NT6_ADDR_US, .dst = NT6_ADDR_PEER));

	/* RFC 4443: about the fragment, quoted from its IPv6 header. */
	assert_true(f->payload_len >= IPV6_HLEN + FH_LEN);
	assert_int_equal(ipv6_get_version(f->payload), 6);
}

static struct frag_state *fs(struct nt *t)
{
	return ipv6_frag(t->s);
}

/*
 * Read @n frames the stack sent: fragments of one IPv6 packet (a Fragment header right
 * after the 40-byte header), none over @mtu, offsets following on, M on all but the last,
 * data in 8-byte units but in the last, one identification (returned in *@id). The
 * fragmentable part is put together in @out; returns its length.
 */
static uint32_t collect6(struct nt *t, uint32_t n, uint32_t mtu, uint8_t *out, uint32_t *id,
                         uint8_t *nh)
{
	uint32_t off = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct ns_pkt *p = ns_channel_read(t->link);
		const uint8_t *ip, *fh;
		uint32_t plen, dlen;

		assert_non_null(p);
		ip = ns_pkt_data(p) + 14;
		assert_true(p->len >= 14 + 48);
		plen = rd16(ip + 4);
		assert_int_equal(p->len, 14 + 40 + plen);
		assert_true(40 + plen <= mtu);
		assert_int_equal(ip[6], IPV6_NH_FRAGMENT);
		fh = ip + 40;
		dlen = plen - FH_LEN;
		if (i == 0) {
			*id = rd32(fh + 4);
			*nh = fh[0];
		}
		assert_int_equal(fh[0], *nh);
		assert_int_equal(rd32(fh + 4), *id);
		assert_int_equal(rd16(fh + 2) & 0xfff8, off);
		assert_int_equal(rd16(fh + 2) & 1, i + 1 < n);
		if (i + 1 < n)
			assert_int_equal(dlen % 8, 0);
		memcpy(out + off, fh + FH_LEN, dlen);
		off += dlen;
		ns_pkt_free(p);
	}
	assert_int_equal(nt_pending(t), 0);
	return off;
}

static bool udp6_csum_valid(const uint8_t *d, uint32_t len)
{
	struct ns_addr src = NT6_ADDR_US, dst = NT6_ADDR_PEER;

	return csum_fold(csum_partial(d, len, csum_pseudo_v6(src.a, dst.a, 17, len))) == 0xffff;
}

static ns_err send6(struct ns_ep *ep, const uint8_t *d, uint32_t n)
{
	struct ns_sockaddr to = nt_sa(NT6_ADDR_PEER, 6000);
	struct ns_write_opts o = {.to = &to};
	size_t w = 0;

	return ns_ep_write(ep, d, n, &o, &w);
}

/* ---------------------------------------------------------------- reassembly */

static void reassembled_in_order_and_reverse(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(6000, 1), *d = udp6_datagram(7000, pl, 6000);

	for (uint32_t i = 0; i < 5; i++)
		send_piece(t, 1, d, 6008, 1232, i);
	nt_expect_read(ep, pl, 6000);
	for (uint32_t i = 5; i-- > 0;)
		send_piece(t, 2, d, 6008, 1232, i);
	nt_expect_read(ep, pl, 6000);
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 2);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(frag_mem(fs(t)), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* 20 seeded permutations of a 64000-byte datagram in 1232-byte pieces (52 fragments). */
static void reassembled_in_random_orders(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(64000, 2), *d = udp6_datagram(7000, pl, 64000);
	uint64_t x = 0x243f6a8885a308d3ull;
	uint32_t order[64], n = (64008 + 1231) / 1232;

	assert_int_equal(n, 52);
	for (uint32_t round = 0; round < 20; round++) {
		for (uint32_t i = 0; i < n; i++)
			order[i] = i;
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j, tmp;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (uint32_t)(x % (i + 1));
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (uint32_t i = 0; i < n; i++)
			send_piece(t, 100 + round, d, 64008, 1232, order[i]);
		nt_expect_read(ep, pl, 64000);
	}
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 20);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* RFC 6946: offset 0 and M clear is the whole packet at once, apart from a queue of the
 * same identification, which stays. */
static void atomic_fragment_at_once(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(100, 3), *d = udp6_datagram(7000, pl, 100);

	send_frag(t, 0, true, 7, d, 56);
	assert_int_equal(frag_count(fs(t)), 1);
	send_frag(t, 0, false, 7, d, 108);
	nt_expect_read(ep, pl, 100);
	assert_int_equal(frag_count(fs(t)), 1);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* RFC 8200 4.5's parameter problems: M set with a length not a multiple of 8 (code 0, at
 * the Payload Length field); a reassembled Payload Length over 65535 (code 0, at the
 * Fragment Offset field: 40 + 2); a first fragment without the whole header chain
 * (RFC 7112: code 3, pointer 0). */
static void parameter_problems(void **state)
{
	ST;
	static const uint8_t dstopts[8] = {IPV6_NH_UDP, 0, 1, 4, 0, 0, 0, 0};
	uint8_t *z = pattern(100, 4);

	send_frag(t, 0, true, 1, z, 60);
	expect_error(t, ICMPV6_PARAM_PROBLEM, 0, 4);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_BAD_LEN), 1);
	send_frag(t, 65528, false, 2, z, 16);
	expect_error(t, ICMPV6_PARAM_PROBLEM, 0, 42);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_LONG), 1);
	/* Exactly 65535 is fine: kept. */
	send_frag(t, 65528, false, 3, z, 7);
	nt_expect_nothing(t);
	/* The first fragment holds a destination options header, then nothing of UDP. */
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_DSTOPTS, 0, true, 4, dstopts, 8, 0);
	expect_error(t, ICMPV6_PARAM_PROBLEM, 3, 0);
	/* Half a UDP header. */
	send_frag(t, 0, true, 5, z, 0);
	expect_error(t, ICMPV6_PARAM_PROBLEM, 3, 0);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_INCOMPLETE_CHAIN), 2);
	assert_int_equal(frag_count(fs(t)), 1);
	nt_expect_nothing(t);
	free(z);
}

/* RFC 5722: an overlap drops the whole datagram; an exact duplicate is dropped alone
 * (erratum 3089) and the datagram completes. */
static void overlap_and_duplicate(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(200, 5), *d = udp6_datagram(7000, pl, 200);

	send_frag(t, 0, true, 9, d, 104);
	send_frag(t, 96, true, 9, d + 96, 16);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_OVERLAP), 2);
	assert_int_equal(frag_count(fs(t)), 0);
	send_frag(t, 0, true, 10, d, 104);
	send_frag(t, 0, true, 10, d, 104);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_DUPLICATE), 1);
	send_frag(t, 104, false, 10, d + 104, 104);
	nt_expect_read(ep, pl, 200);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* The unfragmentable part (a destination options header before the Fragment header) is
 * the first fragment's; the header that named the Fragment header names UDP again. */
static void unfragmentable_part_kept(void **state)
{
	ST;
	static const uint8_t dstopts[8] = {IPV6_NH_FRAGMENT, 0, 1, 4, 0, 0, 0, 0};
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(100, 6), *d = udp6_datagram(7000, pl, 100);

	send_frag_ext(t, dstopts, 8, IPV6_NH_DSTOPTS, IPV6_NH_UDP, 56, false, 4, d + 56, 52, 0);
	send_frag_ext(t, dstopts, 8, IPV6_NH_DSTOPTS, IPV6_NH_UDP, 0, true, 4, d, 56, 0);
	nt_expect_read(ep, pl, 100);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* The reassembled Payload Length counts the first fragment's unfragmentable part too
 * (Linux's ip6_frag_reasm()): fragments that each pass RFC 8200 4.5's check, the first
 * with an 8-byte destination options header before its Fragment header, make a 65543-byte
 * payload, dropped whole without an answer. The same datagram without that header, 65535
 * bytes, is delivered. */
static void reassembled_payload_over_65535_dropped(void **state)
{
	ST;
	static const uint8_t dstopts[8] = {IPV6_NH_FRAGMENT, 0, 1, 4, 0, 0, 0, 0};
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint32_t len = 65535, step = 1232, n = (len + step - 1) / step;
	uint8_t *pl = pattern(len - 8, 12), *d = udp6_datagram(7000, pl, len - 8);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = i * step, k = len - off < step ? len - off : step;

		if (i == 0)
			send_frag_ext(t, dstopts, 8, IPV6_NH_DSTOPTS, IPV6_NH_UDP, 0, true, 40, d,
			              k, 0);
		else
			send_frag(t, off, off + k < len, 40, d + off, k);
	}
	nt_expect_empty(ep);
	assert_int_equal(nt_stat(t, NS_STAT_FRAG_REASM_OKS), 0);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TOO_LONG), n);
	assert_int_equal(frag_count(fs(t)), 0);
	assert_int_equal(frag_mem(fs(t)), 0);
	nt_expect_nothing(t);
	for (uint32_t i = 0; i < n; i++)
		send_piece(t, 41, d, len, step, i);
	nt_expect_read(ep, pl, len - 8);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* RFC 8200 4.1: a hop-by-hop header comes right after the IPv6 header; one behind a
 * Fragment header is an unrecognised next header (parameter problem code 1), even when
 * taking the Fragment header out (an atomic fragment here) leaves it at offset 40. */
static void hop_by_hop_after_fragment_refused(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(100, 13), *d = udp6_datagram(7000, pl, 100), b[116];
	static const uint8_t hbh[8] = {IPV6_NH_UDP, 0, 1, 4, 0, 0, 0, 0};

	memcpy(b, hbh, 8);
	memcpy(b + 8, d, 108);
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_HOPOPTS, 0, false, 51, b, sizeof(b), 0);
	expect_error(t, ICMPV6_PARAM_PROBLEM, ICMPV6_PARAM_NEXT_HDR, 6);
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_IPV6_UNKNOWN_NEXT_HEADER), 1);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* The reassembled packet's header is the first fragment's, the ECN field combined (RFC
 * 3168 5.3): an echo request whose first fragment has traffic class 0xb9 (EF, ECT(1)) and
 * whose last has 0x03 (CE) is answered, like any request, with its traffic class: 0xbb. */
static void traffic_class_of_first_fragment(void **state)
{
	ST;
	uint8_t m[208], *data = pattern(200, 14);
	struct ns_addr src = NT6_ADDR_PEER, dst = NT6_ADDR_US;

	m[0] = ICMPV6_ECHO_REQUEST;
	m[1] = 0;
	wr16(m + 2, 0);
	wr16(m + 4, NT_DEF_ECHO_ID);
	wr16(m + 6, 9);
	memcpy(m + 8, data, 200);
	wr16(m + 2, csum_finish(csum_partial(m, sizeof(m),
	                                     csum_pseudo_v6(src.a, dst.a, IPV6_NH_ICMPV6, 208))));
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_ICMPV6, 0, true, 60, m, 104, 0xb9);
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_ICMPV6, 104, false, 60, m + 104, 104, 0x03);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ECHO_REPLY, .seq = 9, .tclass = 0xbb));
	nt_expect_nothing(t);
	free(data);
}

/* RFC 8200 4.5 / RFC 4443 3.3: 60 s after the first fragment, time exceeded code 1 quoting
 * it; nothing for a datagram whose first fragment never came. */
static void timeout_time_exceeded(void **state)
{
	ST;
	uint8_t *z = pattern(200, 7);
	const struct nt6_frame *f;

	send_frag(t, 0, true, 20, z, 104);
	send_frag(t, 104, true, 21, z, 104);
	nt_advance(t, 60 * NS_SEC - NS_MSEC);
	nt_expect_nothing(t);
	assert_int_equal(frag_count(fs(t)), 2);
	nt_advance(t, NS_MSEC);
	f = nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_TIME_EXCEEDED, .code = 1, .src = NT6_ADDR_US,
	                                .dst = NT6_ADDR_PEER));
	assert_true(f->payload_len >= 48);
	assert_int_equal(rd32(f->payload + 44), 20);
	nt_expect_nothing(t);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_TIMEOUT), 2);
	assert_int_equal(frag_count(fs(t)), 0);
	free(z);
}

/* RFC 3168 5.3: not-ECT mixed with ECT drops the datagram. */
static void ecn_mix_dropped(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(100, 8), *d = udp6_datagram(7000, pl, 100);

	send_frag_ext(t, NULL, 0, 0, IPV6_NH_UDP, 0, true, 30, d, 56, 0x00);
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_UDP, 56, false, 30, d + 56, 52, 0x01);
	nt_expect_empty(ep);
	assert_int_equal(nt_drops(t, NS_DROP_FRAG_ECN), 2);
	/* ECT(0) and CE: CE wins, delivered. */
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_UDP, 0, true, 31, d, 56, 0x02);
	send_frag_ext(t, NULL, 0, 0, IPV6_NH_UDP, 56, false, 31, d + 56, 52, 0x03);
	nt_expect_read(ep, pl, 100);
	ns_ep_close(ep);
	free(pl);
	free(d);
}

static void small_src_share(struct ns_stack_config *cfg)
{
	cfg->frag_src_max = 64 * 1024;
}

static int setup_small_share(void **state)
{
	return nt6_cm_setup_opts(state, NT6_OPTS(.config = small_src_share));
}

/* One host owns a whole /64: the per-source share counts the /64, so a flood from a
 * thousand of its addresses is held to 64 KiB while a source of another /64 still gets
 * its datagram through. */
static void source_share_counts_the_slash64(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 7000);
	uint8_t *pl = pattern(100, 11), *d, z[1000] = {0}, ext[8] = {IPV6_NH_UDP, 0, 0, 1};
	struct ns_addr other = NT6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1);

	for (uint32_t i = 0; i < 1000; i++) {
		struct ns_addr src = NT6(
		    0x20, 0x01, 0x0d, 0xb8, [13] = 1, [14] = (uint8_t)(i >> 8), [15] = (uint8_t)i);

		wr32(ext + 4, i);
		nt6_send_raw(t, NT6_RAW(.src = src, .nh = IPV6_NH_FRAGMENT, .ext = ext,
		                        .ext_len = 8, .payload = z, .len = sizeof(z)));
		assert_true(frag_mem(fs(t)) <= 64 * 1024);
	}
	assert_true(nt_drops(t, NS_DROP_FRAG_SRC_LIMIT) > 900);
	/* From 2001:db8:1::1: its own checksum, its own share. */
	d = nt_udp_datagram(other, NT6_ADDR_US, 7000, pl, 100);
	ext[3] = 1;
	wr32(ext + 4, 5);
	nt6_send_raw(t, NT6_RAW(.src = other, .nh = IPV6_NH_FRAGMENT, .ext = ext, .ext_len = 8,
	                        .payload = d, .len = 56));
	ext[3] = 0;
	wr16(ext + 2, 56);
	nt6_send_raw(t, NT6_RAW(.src = other, .nh = IPV6_NH_FRAGMENT, .ext = ext, .ext_len = 8,
	                        .payload = d + 56, .len = 52));
	nt_expect_read(ep, pl, 100);
	nt_discard(t); /* neighbor solicitations for the flood's sources, if any */
	ns_ep_close(ep);
	free(pl);
	free(d);
}

/* ---------------------------------------------------------------- fragmentation, PMTU */

/* RFC 8200 4.5: a 3000-byte UDP datagram leaves in fragments of at most 1500 bytes with
 * 1448 data bytes each (1500 - 48, a multiple of 8); one that fits has no Fragment header;
 * the next fragmented datagram to the peer has the next identification (RFC 7739). */
static void udp_fragmented_at_source(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 5000);
	uint8_t *pl = pattern(3000, 9), out[4000], nh;
	uint32_t id, id2;

	assert_int_equal(send6(ep, pl, 3000), NS_OK);
	assert_int_equal(collect6(t, 3, 1500, out, &id, &nh), 3008);
	assert_int_equal(nh, IPV6_NH_UDP);
	assert_true(udp6_csum_valid(out, 3008));
	assert_memory_equal(out + 8, pl, 3000);
	assert_int_equal(send6(ep, pl, 1452), NS_OK);
	nt6_expect_udp(t, NT6_UDP(.nh = IPV6_NH_UDP, .plen = 1460));
	assert_int_equal(send6(ep, pl, 3000), NS_OK);
	assert_int_equal(collect6(t, 3, 1500, out, &id2, &nh), 3008);
	assert_int_equal(id2, id + 1);
	/* DO refuses instead. */
	assert_int_equal(ns_ep_set_opt(ep, NS_IP_MTU_DISCOVER, NS_PMTUDISC_DO), NS_OK);
	assert_int_equal(send6(ep, pl, 1453), NS_ERR_MESSAGE_TOO_LONG);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
}

/* A datagram sent while its next hop is being resolved waits, every fragment of it, and
 * leaves whole once the neighbor answers: the neighbor queue is bounded in bytes (Linux's
 * unres_qlen_bytes), not in a packet count that a datagram of many fragments overflows.
 * 64000 bytes make 45 fragments. */
static void fragments_wait_for_resolution(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 5000);
	struct ns_addr nb = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 5);
	struct ns_sockaddr to = nt_sa(nb, 6000);
	struct ns_write_opts o = {.to = &to};
	static const struct ns_mac mac5 = {{2, 0, 0, 0, 0, 5}};
	uint8_t *pl = pattern(64000, 15), nh, body[32];
	static uint8_t out[65536];
	uint32_t id, n;
	size_t w = 0;

	assert_int_equal(ns_ep_write(ep, pl, 64000, &o, &w), NS_OK);
	nt6_expect_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NS, .dst = NT6_SNODE(0, 0, 5)));
	nt_expect_nothing(t);
	n = nt6_nd_target(body, &nb, NDP_OPT_TLLA, &mac5, NULL);
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_ND_NA, .src = nb, .hop_limit = 255,
	                          .rest = (int64_t)(NDP_NA_SOLICITED | NDP_NA_OVERRIDE) << 24,
	                          .payload = body, .len = n));
	assert_int_equal(collect6(t, 45, 1500, out, &id, &nh), 64008);
	assert_memory_equal(out + 8, pl, 64000);
	assert_int_equal(nt_drops(t, NS_DROP_NEIGH_QUEUE_FULL), 0);
	ns_ep_close(ep);
	free(pl);
}

/* When the next hop does not resolve, the first fragment of our datagram is reported to
 * its endpoint (the transport header is in it); the others carry nothing an endpoint could
 * be found by and are dropped, not answered with address unreachable errors to ourselves
 * (which spent the ICMP rate limit for nothing). */
static void failed_resolution_of_fragments(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 5000);
	struct ns_addr nb = NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 5);
	struct ns_sockaddr to = nt_sa(nb, 6000);
	struct ns_write_opts o = {.to = &to};
	uint8_t *pl = pattern(6000, 16);
	size_t w = 0;

	assert_int_equal(ns_ep_write(ep, pl, 6000, &o, &w), NS_OK);
	nt_advance(t, 3 * NS_SEC);
	assert_int_equal(nt_discard(t), 3); /* the solicitations */
	assert_int_equal(nt_stat(t, NS_STAT_NEIGH_FAILED), 1);
	assert_int_equal(nt_drops(t, NS_DROP_NEIGH_FAILED), 5);
	assert_int_equal(nt_stat(t, NS_STAT_ICMPV6_ERRORS_TX), 0);
	assert_int_equal(nt_stat(t, NS_STAT_ICMP_RATE_LIMITED), 0);
	nt_expect_nothing(t);
	ns_ep_close(ep);
	free(pl);
}

/* RFC 8201 4: a packet too big quoting our datagram lowers the path MTU to the peer
 * (never under 1280); the next datagram over it is fragmented to it. One quoting a port
 * nobody has changes nothing. */
static void packet_too_big_lowers_path_mtu(void **state)
{
	ST;
	struct ns_ep *ep = nt_udp_bound(t, NT6_UNSPEC, 5000);
	uint8_t *pl = pattern(1400, 10), quote[48], out[2000], nh;
	const struct nt6_frame *f;
	struct ns_route r;
	struct ns_addr peer = NT6_ADDR_PEER;
	uint32_t id;

	assert_int_equal(send6(ep, pl, 1400), NS_OK);
	f = nt6_expect_udp(t, NT6_UDP(.plen = 1408));
	memcpy(quote, f->l3, sizeof(quote));
	quote[40] ^= 0xff; /* another source port: no endpoint */
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1300,
	                          .payload = quote, .len = sizeof(quote)));
	assert_int_equal(nt_drops(t, NS_DROP_ICMP_PMTU_NOT_OURS), 1);
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_int_equal(r.mtu, 1500);
	memcpy(quote, f->l3, sizeof(quote));
	nt6_send_icmp(t, NT6_ICMP(.type = ICMPV6_PACKET_TOO_BIG, .code = 0, .rest = 1000,
	                          .payload = quote, .len = sizeof(quote)));
	assert_int_equal(ns_route_find(t->s, 0, NULL, &peer, &r), NS_OK);
	assert_int_equal(r.mtu, 1280);
	assert_int_equal(nt_stat(t, NS_STAT_PMTU_UPDATES), 1);
	assert_int_equal(send6(ep, pl, 1400), NS_OK);
	assert_int_equal(collect6(t, 2, 1280, out, &id, &nh), 1408);
	assert_true(udp6_csum_valid(out, 1408));
	ns_ep_close(ep);
	free(pl);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nt6_cm_setup, nt_cm_teardown)
	const struct CMUnitTest tests[] = {
	    T(reassembled_in_order_and_reverse),
	    T(reassembled_in_random_orders),
	    T(atomic_fragment_at_once),
	    T(parameter_problems),
	    T(overlap_and_duplicate),
	    T(unfragmentable_part_kept),
	    T(reassembled_payload_over_65535_dropped),
	    T(hop_by_hop_after_fragment_refused),
	    T(traffic_class_of_first_fragment),
	    T(timeout_time_exceeded),
	    T(ecn_mix_dropped),
	    cmocka_unit_test_setup_teardown(source_share_counts_the_slash64, setup_small_share,
	                                    nt_cm_teardown),
	    T(udp_fragmented_at_source),
	    T(fragments_wait_for_resolution),
	    T(failed_resolution_of_fragments),
	    T(packet_too_big_lowers_path_mtu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
