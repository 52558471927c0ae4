/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: unit tests of IPv6 fragmentation and reassembly (frag6.c on the
 * frag.c engine), driven directly, without ipv6.c.
 *
 * frag6.c reaches two things of ipv6.c's: its reassembly state (ipv6_frag()) and its ICMPv6
 * error sender (icmpv6_send_error()). This file provides both: a frag_state made with
 * frag_new() on a stack that has the built-in IPv4 set and a virtual clock, and a recorder
 * of the errors asked for. Packets are built byte by byte: an IPv6 header, optional
 * extension headers, a Fragment header and data, handed over the way ipv6.c does (the
 * IPv6 header recorded as NS_HDR_NETWORK, the head at the Fragment header, the offset of the
 * Next Header byte that named it). frag_ipv6_fragment()'s output is checked field by field,
 * then fed back in every order. Each test ends with the stack freed and no packet left.
 *
 * Once ipv6.c is merged these fakes collide with the real functions: the same behaviour is
 * then covered by packet-level tests through the real IPv6 input path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "net/frag.h"
#include "net/net6.h"
#include "netstack/netstack.h"
#include "wire/bytes.h"

/* ---------------------------------------------------------------- fakes of ipv6.c */

static struct frag_state *fake_frag;

struct frag_state *ipv6_frag(struct ns_stack *s)
{
	(void)s;
	return fake_frag;
}

static struct {
	uint32_t n;
	uint8_t type, code;
	uint32_t info;
	uint8_t quote[48]; /* the first bytes of the packet the error is about */
} err;

void icmpv6_send_error(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                       uint32_t ip_off, uint8_t type, uint8_t code, uint32_t info)
{
	uint32_t avail = pkt->head + pkt->len - ip_off;

	(void)s;
	(void)nic;
	err.n++;
	err.type = type;
	err.code = code;
	err.info = info;
	memset(err.quote, 0, sizeof(err.quote));
	memcpy(err.quote, pkt->buf + ip_off, avail < sizeof(err.quote) ? avail : sizeof(err.quote));
}

/* ---------------------------------------------------------------- fixture */

static struct ns_vclock vclock;
static struct ns_stack *stk;
static int64_t pkts0;

static const uint8_t SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static int setup(void **state)
{
	struct ns_stack_config cfg;

	(void)state;
	ns_vclock_init(&vclock, 1000 * NS_SEC);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.clock = &vclock.base;
	cfg.seed = 0x66726167;
	assert_int_equal(ns_stack_new(&cfg, &stk), NS_OK);
	fake_frag = frag_new(stk);
	assert_non_null(fake_frag);
	memset(&err, 0, sizeof(err));
	pkts0 = ns_pkt_live();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	frag_free(stk, fake_frag);
	fake_frag = NULL;
	ns_stack_free(stk);
	stk = NULL;
	assert_int_equal(ns_pkt_live(), pkts0);
	return 0;
}

static uint64_t st_count(enum ns_stat st)
{
	return ns_stack_stats(stk)->stat[st];
}

static uint64_t drops(enum ns_drop_reason r)
{
	return ns_stack_stats(stk)->drop[r];
}

static void advance(uint64_t ns)
{
	uint64_t end = vclock.now + ns;

	while (ns_stack_next_deadline(stk) <= end) {
		if (ns_stack_next_deadline(stk) > vclock.now)
			vclock.now = ns_stack_next_deadline(stk);
		ns_stack_poll(stk);
	}
	vclock.now = end;
	ns_stack_poll(stk);
}

/* ---------------------------------------------------------------- packets */

static uint32_t g_nh_off; /* the Next Header offset of the packet built last */

/* The upper-layer packet the tests fragment: a UDP header and @n payload bytes. */
static uint8_t *upper(uint32_t n)
{
	uint8_t *u = malloc(8 + n);

	assert_non_null(u);
	wr16(u, 4000);
	wr16(u + 2, 5000);
	wr16(u + 4, (uint16_t)(8 + n));
	wr16(u + 6, 0x1234);
	for (uint32_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)(i * 7 + 3);
	return u;
}

static void ip6_header(uint8_t *h, uint32_t plen, uint8_t nh, uint8_t tclass)
{
	h[0] = (uint8_t)(0x60 | tclass >> 4);
	h[1] = (uint8_t)(tclass << 4);
	h[2] = h[3] = 0;
	wr16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, SRC, 16);
	memcpy(h + 24, DST, 16);
}

/*
 * An inbound fragment as ipv6.c hands it over: IPv6 header, @ext (extension headers of
 * @ext_len bytes, the first named by the IPv6 header's Next Header @ext_nh, the last naming
 * the Fragment header), Fragment header (@nh, @off, @m, @id), then @n bytes of @data. The
 * head is at the Fragment header; *@nh_off is the byte that names it.
 */
static struct ns_pkt *frag_in_ext(const uint8_t *ext, uint32_t ext_len, uint8_t ext_nh, uint8_t nh,
                                  uint32_t off, bool m, uint32_t id, const uint8_t *data,
                                  uint32_t n, uint8_t tclass, uint32_t *nh_off)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 40 + ext_len + 8 + n);
	uint8_t *h;

	assert_non_null(p);
	h = ns_pkt_data(p);
	ip6_header(h, ext_len + 8 + n, ext_len ? ext_nh : 44, tclass);
	if (ext_len)
		memcpy(h + 40, ext, ext_len);
	h[40 + ext_len] = nh;
	h[40 + ext_len + 1] = 0;
	wr16(h + 40 + ext_len + 2, (uint16_t)(off | (m ? 1 : 0)));
	wr32(h + 40 + ext_len + 4, id);
	if (n)
		memcpy(h + 40 + ext_len + 8, data, n);
	p->hdr[NS_HDR_NETWORK].off = p->head;
	p->hdr[NS_HDR_NETWORK].len = 40;
	p->netproto = 0x86dd;
	p->src.family = p->dst.family = NS_AF_INET6;
	memcpy(p->src.a, SRC, 16);
	memcpy(p->dst.a, DST, 16);
	/* The last extension header's Next Header names the Fragment header; without any,
	 * the IPv6 header's. */
	*nh_off = ext_len ? p->head + 40 + ext_len - 8 : p->head + 6;
	if (ext_len) {
		/* Find the last extension header (8-byte destination options in these tests). */
		uint32_t at = 40, last = 40;

		while (at < 40 + ext_len) {
			last = at;
			at += ((uint32_t)h[at + 1] + 1) * 8;
		}
		*nh_off = p->head + last;
	}
	p->head += 40 + ext_len;
	p->len -= 40 + ext_len;
	g_nh_off = *nh_off;
	return p;
}

static struct ns_pkt *frag_in(uint8_t nh, uint32_t off, bool m, uint32_t id, const uint8_t *data,
                              uint32_t n, uint32_t *nh_off)
{
	return frag_in_ext(NULL, 0, 0, nh, off, m, id, data, n, 0, nh_off);
}

/* Reassemble @p, built by one of the functions above (which leave its Next Header offset
 * in g_nh_off). */
static struct ns_pkt *feed(struct ns_pkt *p, uint8_t *nh)
{
	return frag_ipv6_reassemble(stk, NULL, p, g_nh_off, nh);
}

/* An outbound fragment (head at its IPv6 header) turned into an inbound one. */
static struct ns_pkt *to_inbound(const struct ns_pkt *out, uint32_t *nh_off)
{
	struct ns_pkt *p = ns_pkt_from(ns_pkt_data(out), out->len);

	assert_non_null(p);
	p->hdr[NS_HDR_NETWORK].off = p->head;
	p->hdr[NS_HDR_NETWORK].len = 40;
	p->src.family = p->dst.family = NS_AF_INET6;
	memcpy(p->src.a, SRC, 16);
	memcpy(p->dst.a, DST, 16);
	*nh_off = p->head + 6;
	p->head += 40;
	p->len -= 40;
	g_nh_off = *nh_off;
	return p;
}

/* A whole outbound IPv6/UDP packet with @n payload bytes. */
static struct ns_pkt *whole_out(uint32_t n, uint8_t **u_out)
{
	uint8_t *u = upper(n);
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, 40 + 8 + n);

	assert_non_null(p);
	ip6_header(ns_pkt_data(p), 8 + n, 17, 0);
	memcpy(ns_pkt_data(p) + 40, u, 8 + n);
	p->netproto = 0x86dd;
	p->transproto = 17;
	*u_out = u;
	return p;
}

/* Check a reassembled packet: the IPv6 header as sent, UDP next, then @u (8 + @n bytes). */
static void check_whole(struct ns_pkt *w, uint8_t nh, const uint8_t *u, uint32_t n)
{
	const uint8_t *ip6;

	assert_non_null(w);
	assert_int_equal(nh, 17);
	assert_int_equal(w->len, 8 + n);
	assert_memory_equal(ns_pkt_data(w), u, 8 + n);
	ip6 = ns_pkt_hdr(w, NS_HDR_NETWORK);
	assert_non_null(ip6);
	assert_int_equal(w->hdr[NS_HDR_NETWORK].len, 40);
	assert_int_equal(rd16(ip6 + 4), 8 + n);
	assert_int_equal(ip6[6], 17);
	assert_ptr_equal(ip6 + 40, ns_pkt_data(w));
	assert_memory_equal(ip6 + 8, SRC, 16);
	assert_memory_equal(ip6 + 24, DST, 16);
	assert_int_equal(w->flags & NS_PKT_CSUM_VERIFIED, 0);
}

/* ---------------------------------------------------------------- fragmentation */

/* RFC 8200 4.5: fragments of at most the MTU, data in 8-byte units, M on all but the last,
 * the offsets in order, one identification, Next Header 44 then 17. */
static void fragment_splits_by_mtu(void **state)
{
	uint8_t *u;
	struct ns_pkt *p = whole_out(3000, &u), *fr;
	uint32_t expect_off = 0, id = 0, n = 0;

	(void)state;
	fr = frag_ipv6_fragment(stk, p, 1280);
	assert_non_null(fr);
	for (struct ns_pkt *q = fr; q; q = q->next, n++) {
		const uint8_t *h = ns_pkt_data(q);
		uint32_t dlen = q->len - 48;
		uint16_t om = rd16(h + 42);

		assert_true(q->len <= 1280);
		assert_int_equal(h[0] >> 4, 6);
		assert_int_equal(rd16(h + 4), q->len - 40);
		assert_int_equal(h[6], 44);
		assert_int_equal(h[40], 17);
		assert_int_equal(h[41], 0);
		assert_int_equal(om & 0xfff8, expect_off);
		assert_int_equal(om & 6, 0);
		if (n == 0)
			id = rd32(h + 44);
		assert_int_equal(rd32(h + 44), id);
		assert_memory_equal(h + 48, u + expect_off, dlen);
		if (q->next) {
			assert_int_equal(om & 1, 1);
			assert_int_equal(dlen % 8, 0);
			assert_int_equal(dlen, 1232); /* (1280 - 48) rounded down to 8 */
		} else {
			assert_int_equal(om & 1, 0);
		}
		assert_ptr_equal(ns_pkt_hdr(q, NS_HDR_NETWORK), h);
		expect_off += dlen;
	}
	assert_int_equal(n, 3);
	assert_int_equal(expect_off, 3008);
	assert_int_equal(st_count(NS_STAT_FRAG_OKS), 1);
	assert_int_equal(st_count(NS_STAT_FRAG_CREATES), 3);
	ns_pkt_free_list(fr);
	free(u);
}

/* A packet that fits is sent as it is: no atomic fragments (RFC 8021). Successive datagrams
 * to one destination get successive identifications (RFC 7739 per-destination counter). */
static void fragment_fitting_packet_untouched_and_ids_advance(void **state)
{
	uint8_t *u, *u2;
	struct ns_pkt *p = whole_out(1000, &u), *q, *a, *b;

	(void)state;
	q = frag_ipv6_fragment(stk, p, 1280);
	assert_ptr_equal(q, p);
	assert_null(q->next);
	assert_int_equal(ns_pkt_data(q)[6], 17);
	ns_pkt_free(q);
	a = frag_ipv6_fragment(stk, whole_out(2000, &u2), 1280);
	free(u2);
	b = frag_ipv6_fragment(stk, whole_out(2000, &u2), 1280);
	free(u2);
	assert_int_equal(rd32(ns_pkt_data(b) + 44), rd32(ns_pkt_data(a) + 44) + 1);
	ns_pkt_free_list(a);
	ns_pkt_free_list(b);
	free(u);
}

/* ---------------------------------------------------------------- reassembly */

/* Fragment, then reassemble in @order (indexes into the fragment list). */
static void roundtrip(uint32_t size, uint32_t mtu, const uint32_t *order, uint32_t n_order)
{
	uint8_t *u;
	struct ns_pkt *fr = frag_ipv6_fragment(stk, whole_out(size, &u), mtu), *frags[64];
	struct ns_pkt *w = NULL;
	uint32_t n = 0;
	uint8_t nh = 0;

	for (struct ns_pkt *q = fr; q; q = q->next)
		frags[n++] = q;
	assert_int_equal(n, n_order);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nh_off;
		struct ns_pkt *in = to_inbound(frags[order[i]], &nh_off);

		w = feed(in, &nh);
		if (i + 1 < n)
			assert_null(w);
	}
	check_whole(w, nh, u, size);
	ns_pkt_free(w);
	ns_pkt_free_list(fr);
	free(u);
	assert_int_equal(frag_count(fake_frag), 0);
	assert_int_equal(frag_mem(fake_frag), 0);
}

static void reassembles_in_order_and_reverse(void **state)
{
	static const uint32_t fwd[6] = {0, 1, 2, 3, 4, 5}, rev[6] = {5, 4, 3, 2, 1, 0};

	(void)state;
	roundtrip(7000, 1280, fwd, 6);
	roundtrip(7000, 1280, rev, 6);
	assert_int_equal(st_count(NS_STAT_FRAG_REASM_OKS), 2);
	assert_int_equal(err.n, 0);
}

/* Seeded permutations of a 64000-byte datagram in 1280-byte fragments (52 of them). */
static void reassembles_random_orders(void **state)
{
	uint32_t order[64], n = 52;
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	for (int round = 0; round < 20; round++) {
		for (uint32_t i = 0; i < n; i++)
			order[i] = i;
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j, t;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (uint32_t)(x % (i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		roundtrip(64000, 1280, order, n);
	}
	assert_int_equal(st_count(NS_STAT_FRAG_REASM_OKS), 20);
}

/* RFC 6946: offset 0 and M clear is a whole packet at once, and it does not touch a queue
 * of the same identification. */
static void atomic_fragment_processed_at_once(void **state)
{
	uint8_t *u = upper(100), nh = 0;
	uint32_t nh_off;
	struct ns_pkt *a, *w;

	(void)state;
	/* A real fragment of datagram 7 waits... */
	a = frag_in(17, 0, true, 7, u, 56, &nh_off);
	assert_null(feed(a, &nh));
	assert_int_equal(frag_count(fake_frag), 1);
	/* ...and an atomic fragment with the same id goes straight through. */
	a = frag_in(17, 0, false, 7, u, 108, &nh_off);
	w = feed(a, &nh);
	check_whole(w, nh, u, 100);
	ns_pkt_free(w);
	assert_int_equal(frag_count(fake_frag), 1);
	free(u);
}

/* RFC 8200 4.5: M set and a length not a multiple of 8: parameter problem code 0 pointing
 * at the Payload Length field. */
static void bad_length_answered_with_param_problem(void **state)
{
	uint8_t *u = upper(100), nh;
	uint32_t nh_off;

	(void)state;
	assert_null(feed(frag_in(17, 0, true, 1, u, 60, &nh_off), &nh));
	assert_int_equal(err.n, 1);
	assert_int_equal(err.type, 4);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.info, 4);
	assert_int_equal(err.quote[0] >> 4, 6); /* about the fragment, from its IPv6 header */
	assert_int_equal(drops(NS_DROP_FRAG_BAD_LEN), 1);
	assert_int_equal(frag_count(fake_frag), 0);
	free(u);
}

/* RFC 8200 4.5: a fragment that would make the Payload Length exceed 65535: parameter
 * problem code 0 pointing at its Fragment Offset field (40 + 2 without extension headers). */
static void too_long_answered_with_param_problem(void **state)
{
	uint8_t *u = upper(100), nh;
	uint32_t nh_off;

	(void)state;
	assert_null(feed(frag_in(17, 65528, false, 1, u, 16, &nh_off), &nh));
	assert_int_equal(err.n, 1);
	assert_int_equal(err.type, 4);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.info, 42);
	assert_int_equal(drops(NS_DROP_FRAG_TOO_LONG), 1);
	/* Exactly 65535 is fine (kept, waiting for the rest). */
	assert_null(feed(frag_in(17, 65528, false, 2, u, 7, &nh_off), &nh));
	assert_int_equal(err.n, 1);
	assert_int_equal(frag_count(fake_frag), 1);
	free(u);
}

/* RFC 7112 / RFC 8200 4.5: a first fragment whose chain stops before the whole UDP header:
 * parameter problem code 3, pointer 0. Through a destination options header, too. */
static void incomplete_chain_answered(void **state)
{
	static const uint8_t dstopts[8] = {17, 0, 1, 4, 0, 0, 0, 0}; /* next: UDP; PadN */
	uint8_t *u = upper(100), nh;
	uint32_t nh_off;

	(void)state;
	/* 4 bytes of the UDP header only (8-byte multiples cannot cut it: use a first
	 * fragment whose chain is a destination options header and then half a header). */
	assert_null(feed(frag_in(60, 0, true, 1, dstopts, 8, &nh_off), &nh));
	assert_int_equal(err.n, 1);
	assert_int_equal(err.type, 4);
	assert_int_equal(err.code, 3);
	assert_int_equal(err.info, 0);
	assert_int_equal(drops(NS_DROP_FRAG_INCOMPLETE_CHAIN), 1);
	/* An extension header cut short. */
	assert_null(feed(frag_in(60, 0, true, 2, u, 0, &nh_off), &nh));
	assert_int_equal(err.n, 2);
	assert_int_equal(err.code, 3);
	/* A later fragment is not checked: it has no chain to hold. */
	assert_null(feed(frag_in(60, 8, true, 3, u, 8, &nh_off), &nh));
	assert_int_equal(err.n, 2);
	free(u);
}

/* RFC 5722: an overlap drops the whole datagram; a later complete set (new id) works, and
 * an exact duplicate is dropped alone (erratum 3089). */
static void overlap_drops_datagram_duplicate_tolerated(void **state)
{
	uint8_t *u = upper(200), nh = 0;
	uint32_t nh_off;
	struct ns_pkt *w;

	(void)state;
	assert_null(feed(frag_in(17, 0, true, 9, u, 104, &nh_off), &nh));
	assert_null(feed(frag_in(17, 96, true, 9, u + 96, 16, &nh_off), &nh));
	assert_int_equal(drops(NS_DROP_FRAG_OVERLAP), 2);
	assert_int_equal(frag_count(fake_frag), 0);
	/* Duplicate of the first fragment of datagram 10. */
	assert_null(feed(frag_in(17, 0, true, 10, u, 104, &nh_off), &nh));
	assert_null(feed(frag_in(17, 0, true, 10, u, 104, &nh_off), &nh));
	assert_int_equal(drops(NS_DROP_FRAG_DUPLICATE), 1);
	w = feed(frag_in(17, 104, false, 10, u + 104, 104, &nh_off), &nh);
	check_whole(w, nh, u, 200);
	ns_pkt_free(w);
	free(u);
}

/* The unfragmentable part (here a destination options header before the Fragment header)
 * comes from the first fragment, and its Next Header byte is fixed up. */
static void extension_headers_kept_and_next_header_fixed(void **state)
{
	static const uint8_t dstopts[8] = {44, 0, 1, 4, 0, 0, 0, 0}; /* next: Fragment */
	uint8_t *u = upper(100), nh = 0;
	uint32_t nh_off;
	struct ns_pkt *w;
	const uint8_t *ip6;

	(void)state;
	assert_null(
	    feed(frag_in_ext(dstopts, 8, 60, 17, 56, false, 4, u + 56, 52, 0, &nh_off), &nh));
	w = feed(frag_in_ext(dstopts, 8, 60, 17, 0, true, 4, u, 56, 0, &nh_off), &nh);
	assert_non_null(w);
	assert_int_equal(nh, 17);
	ip6 = ns_pkt_hdr(w, NS_HDR_NETWORK);
	assert_int_equal(ip6[6], 60);
	assert_int_equal(ip6[40], 17); /* the options header now names UDP */
	assert_int_equal(rd16(ip6 + 4), 8 + 108);
	assert_ptr_equal(ip6 + 48, ns_pkt_data(w));
	assert_int_equal(w->len, 108);
	assert_memory_equal(ns_pkt_data(w), u, 108);
	ns_pkt_free(w);
	free(u);
}

/* RFC 8200 4.5 / RFC 4443 3.3: after 60 s, time exceeded code 1 about the first fragment;
 * nothing if the first never came. */
static void timeout_sends_time_exceeded_only_with_first(void **state)
{
	uint8_t *u = upper(200), nh;
	uint32_t nh_off;

	(void)state;
	assert_null(feed(frag_in(17, 0, true, 20, u, 104, &nh_off), &nh));
	assert_null(feed(frag_in(17, 104, true, 21, u, 104, &nh_off), &nh));
	advance(59 * NS_SEC);
	assert_int_equal(err.n, 0);
	assert_int_equal(frag_count(fake_frag), 2);
	advance(1 * NS_SEC);
	assert_int_equal(frag_count(fake_frag), 0);
	assert_int_equal(err.n, 1);
	assert_int_equal(err.type, 3);
	assert_int_equal(err.code, 1);
	assert_int_equal(rd32(err.quote + 44), 20); /* the first fragment, Fragment header */
	assert_int_equal(drops(NS_DROP_FRAG_TIMEOUT), 2);
	assert_int_equal(frag_mem(fake_frag), 0);
	free(u);
}

/* RFC 3168 5.3: CE on one fragment marks the whole; not-ECT mixed with ECT drops it. */
static void ecn_combined(void **state)
{
	uint8_t *u = upper(100), nh = 0;
	uint32_t nh_off;
	struct ns_pkt *w;

	(void)state;
	assert_null(feed(frag_in_ext(NULL, 0, 0, 17, 0, true, 30, u, 56, 0x02, &nh_off), &nh));
	w = feed(frag_in_ext(NULL, 0, 0, 17, 56, false, 30, u + 56, 52, 0x03, &nh_off), &nh);
	assert_non_null(w);
	assert_int_equal((ns_pkt_hdr(w, NS_HDR_NETWORK)[1] >> 4) & 3, 3);
	ns_pkt_free(w);
	assert_null(feed(frag_in_ext(NULL, 0, 0, 17, 0, true, 31, u, 56, 0x00, &nh_off), &nh));
	assert_null(
	    feed(frag_in_ext(NULL, 0, 0, 17, 56, false, 31, u + 56, 52, 0x01, &nh_off), &nh));
	assert_int_equal(drops(NS_DROP_FRAG_ECN), 2);
	assert_int_equal(frag_count(fake_frag), 0);
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(fragment_splits_by_mtu, setup, teardown),
	    cmocka_unit_test_setup_teardown(fragment_fitting_packet_untouched_and_ids_advance,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(reassembles_in_order_and_reverse, setup, teardown),
	    cmocka_unit_test_setup_teardown(reassembles_random_orders, setup, teardown),
	    cmocka_unit_test_setup_teardown(atomic_fragment_processed_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_length_answered_with_param_problem, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(too_long_answered_with_param_problem, setup, teardown),
	    cmocka_unit_test_setup_teardown(incomplete_chain_answered, setup, teardown),
	    cmocka_unit_test_setup_teardown(overlap_drops_datagram_duplicate_tolerated, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(extension_headers_kept_and_next_header_fixed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(timeout_sends_time_exceeded_only_with_first, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(ecn_combined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
