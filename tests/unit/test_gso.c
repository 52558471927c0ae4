/* SPDX-License-Identifier: MIT */
/*
 * Software segmentation (ns_gso_segment(), src/link/gso.c) byte for byte.
 *
 * A GSO packet is built by hand (IPv4 or IPv6, TCP with a timestamp option or UDP), cut, and
 * every segment is compared in full with the segment built independently here from the
 * rules a TSO device follows (lengths, IPv4 id + i, sequence numbers, CWR first, PSH/FIN
 * last, fresh checksums), so a byte the segmenter forgot or got wrong shows. Then each
 * malformed descriptor or header, and every truncation of a good packet, must be refused
 * with nothing left allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/link.h"
#include "netstack/proto.h"
#include "pktleak.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

static const uint8_t src4[4] = {192, 0, 2, 2}, dst4[4] = {192, 0, 2, 1};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

#define TCP_HL 32u /* 20 + NOP NOP TS */

/* An IP header for @l4len transport bytes into @b; its length. */
static uint32_t put_ip(uint8_t *b, bool v6, uint8_t proto, uint32_t l4len, uint16_t id)
{
	if (v6) {
		memset(b, 0, 40);
		b[0] = 0x60;
		wr16(b + 4, (uint16_t)l4len);
		b[6] = proto;
		b[7] = 64;
		memcpy(b + 8, src6, 16);
		memcpy(b + 24, dst6, 16);
		return 40;
	}
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, (uint16_t)(20 + l4len));
	wr16(b + 4, id);
	wr16(b + 6, 0x4000); /* DF */
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, src4, 4);
	memcpy(b + 16, dst4, 4);
	wr16(b + 10, csum_finish(csum_partial(b, 20, 0)));
	return 20;
}

static uint32_t pseudo(bool v6, uint8_t proto, uint32_t l4len)
{
	return v6 ? csum_pseudo_v6(src6, dst6, proto, l4len)
	          : csum_pseudo_v4(src4, dst4, proto, l4len);
}

/* A TCP header (with TSopt) for @plen payload bytes; the checksum field is left to the
 * caller. */
static void put_tcp(uint8_t *t, uint32_t seq, uint8_t flags)
{
	static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9};

	memset(t, 0, TCP_HL);
	wr16(t, 80);
	wr16(t + 2, 40000);
	wr32(t + 4, seq);
	wr32(t + 8, 2000);
	t[12] = (TCP_HL / 4) << 4;
	t[13] = flags;
	wr16(t + 14, 512);
	memcpy(t + 20, ts, sizeof(ts));
}

static uint8_t pay(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 8));
}

enum kind { K_TCP4, K_TCP6, K_UDP4 };

/* The GSO packet: @plen payload bytes in @mss pieces, transport checksum partial as TCP
 * leaves it. */
static struct ns_pkt *gso_pkt(enum kind k, uint32_t plen, uint16_t mss, uint8_t flags)
{
	bool v6 = k == K_TCP6, tcp = k != K_UDP4;
	uint32_t l4h = tcp ? TCP_HL : 8, l4len = l4h + plen;
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, (v6 ? 40 : 20) + l4len);
	uint8_t *b, *l4;
	uint32_t l3;

	assert_non_null(p);
	b = ns_pkt_data(p);
	l3 = put_ip(b, v6, tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP, l4len, 0x1234);
	l4 = b + l3;
	if (tcp) {
		put_tcp(l4, 1000, flags);
	} else {
		wr16(l4, 5353);
		wr16(l4 + 2, 9);
		wr16(l4 + 4, (uint16_t)l4len);
	}
	for (uint32_t i = 0; i < plen; i++)
		l4[l4h + i] = pay(i);
	wr16(l4 + (tcp ? 16 : 6), csum_fold(pseudo(v6, tcp ? 6 : 17, l4len)));
	p->flags = NS_PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)l3;
	p->csum_off = tcp ? 16 : 6;
	p->netproto = v6 ? 0x86dd : 0x0800;
	p->transproto = tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP;
	p->nic = 3;
	p->link_dst = (struct ns_mac){{2, 0, 0, 0, 0, 1}};
	p->gso = (struct ns_gso){.type = k == K_TCP4   ? NS_GSO_TCPV4
	                                 : k == K_TCP6 ? NS_GSO_TCPV6
	                                               : NS_GSO_UDP_L4,
	                         .needs_csum = 1,
	                         .mss = mss,
	                         .l3_len = (uint16_t)l3,
	                         .csum_off = tcp ? 16 : 6};
	return p;
}

/* Segment @i of @n as a TSO device makes it, into @b; its length. */
static uint32_t expect_seg(enum kind k, uint32_t i, uint32_t n, uint32_t plen, uint16_t mss,
                           uint8_t flags, bool partial, uint8_t *b)
{
	bool v6 = k == K_TCP6, tcp = k != K_UDP4;
	uint32_t off = i * mss, sl = plen - off < mss ? plen - off : mss;
	uint32_t l4h = tcp ? TCP_HL : 8, l4len = l4h + sl;
	uint32_t l3 = put_ip(b, v6, tcp ? 6 : 17, l4len, (uint16_t)(0x1234 + i));
	uint8_t *l4 = b + l3;
	uint16_t at = tcp ? 16 : 6, c;

	if (tcp) {
		uint8_t f = flags;

		if (i)
			f &= (uint8_t)~0x80; /* CWR */
		if (i + 1 < n)
			f &= (uint8_t)~0x09; /* PSH, FIN */
		put_tcp(l4, 1000 + off, f);
	} else {
		wr16(l4, 5353);
		wr16(l4 + 2, 9);
		wr16(l4 + 4, (uint16_t)l4len);
		wr16(l4 + 6, 0);
	}
	for (uint32_t j = 0; j < sl; j++)
		l4[l4h + j] = pay(off + j);
	if (partial) {
		c = csum_fold(pseudo(v6, tcp ? 6 : 17, l4len));
	} else {
		c = csum_finish(csum_partial(l4, l4len, pseudo(v6, tcp ? 6 : 17, l4len)));
		if (!tcp && !c)
			c = 0xffff;
	}
	wr16(l4 + at, c);
	return l3 + l4len;
}

static void check_cut(enum kind k, uint32_t plen, uint16_t mss, uint8_t flags, bool partial)
{
	static uint8_t want[70000];
	struct ns_pkt *p = gso_pkt(k, plen, mss, flags), *segs, *s;
	uint32_t n = (plen + mss - 1) / mss, i = 0;
	bool v6 = k == K_TCP6;

	assert_int_equal(ns_gso_segment(p, partial, &segs), NS_OK);
	for (s = segs; s; s = s->next, i++) {
		uint32_t len = expect_seg(k, i, n, plen, mss, flags, partial, want);

		assert_true(i < n);
		assert_int_equal(s->len, len);
		assert_memory_equal(ns_pkt_data(s), want, len);
		assert_int_equal(s->gso.type, NS_GSO_NONE);
		assert_int_equal(s->refcnt, 1);
		assert_int_equal(s->netproto, p->netproto);
		assert_int_equal(s->transproto, p->transproto);
		assert_int_equal(s->nic, 3);
		assert_memory_equal(s->link_dst.b, p->link_dst.b, 6);
		assert_true(ns_pkt_headroom(s) >= NS_PKT_HEADROOM);
		assert_ptr_equal(ns_pkt_hdr(s, NS_HDR_NETWORK), ns_pkt_data(s));
		assert_int_equal(s->hdr[NS_HDR_NETWORK].len, v6 ? 40 : 20);
		assert_int_equal(s->hdr[NS_HDR_TRANSPORT].len, k == K_UDP4 ? 8 : TCP_HL);
		if (partial) {
			assert_int_equal(s->flags, NS_PKT_CSUM_PARTIAL);
			assert_int_equal(s->csum_start, v6 ? 40 : 20);
			assert_int_equal(s->csum_off, k == K_UDP4 ? 6 : 16);
		} else {
			assert_int_equal(s->flags, 0);
		}
	}
	assert_int_equal(i, n);
	ns_pkt_free_list(segs);
	ns_pkt_free(p);
}

static void tcp4_cut_like_a_tso_device(void **state)
{
	/* CWR, PSH and FIN on the packet: CWR stays on the first, PSH and FIN on the last. */
	check_cut(K_TCP4, 2500, 1000, 0x80 | 0x10 | 0x08 | 0x01, false);
	/* A 64 KiB packet of 1448-byte segments, the way TCP sends them. */
	check_cut(K_TCP4, 45 * 1448, 1448, 0x10 | 0x08, false);
	/* Payload a multiple of the MSS; and a packet that is one segment. */
	check_cut(K_TCP4, 3000, 1000, 0x10, false);
	check_cut(K_TCP4, 700, 1000, 0x10 | 0x01, false);
}

static void tcp4_cut_with_checksums_left_partial(void **state)
{
	check_cut(K_TCP4, 2500, 1000, 0x10 | 0x08, true);
}

static void tcp6_cut_sets_payload_lengths(void **state)
{
	check_cut(K_TCP6, 5000, 1428, 0x80 | 0x10 | 0x01, false);
	check_cut(K_TCP6, 5000, 1428, 0x10, true);
}

static void udp4_cut_into_datagrams(void **state)
{
	check_cut(K_UDP4, 3333, 1200, 0, false);
	check_cut(K_UDP4, 2400, 1200, 0, true);
}

static void expect_refused(struct ns_pkt *p)
{
	struct ns_pkt *segs = (struct ns_pkt *)(uintptr_t)1;

	assert_int_equal(ns_gso_segment(p, false, &segs), NS_ERR_INVALID_ARGUMENT);
	assert_null(segs);
	ns_pkt_free(p);
}

static void malformed_packets_are_refused(void **state)
{
	struct ns_pkt *p;

	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	p->gso.mss = 0;
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	p->gso.type = NS_GSO_TCPV6; /* descriptor says IPv6, header is IPv4 */
	expect_refused(p);
	p = gso_pkt(K_TCP6, 3000, 1000, 0x10);
	p->gso.type = NS_GSO_TCPV4;
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	p->gso.type = NS_GSO_UDP_L4; /* the protocol field says TCP */
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	p->gso.type = NS_GSO_NONE;
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	wr16(ns_pkt_data(p) + 2, 2000); /* IPv4 total length short of the packet */
	expect_refused(p);
	p = gso_pkt(K_TCP6, 3000, 1000, 0x10);
	wr16(ns_pkt_data(p) + 4, 4000); /* IPv6 payload length past it */
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	ns_pkt_data(p)[0] = 0x44; /* IHL 4 */
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	ns_pkt_data(p)[0] = 0x55; /* version 5 */
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	ns_pkt_data(p)[20 + 12] = 4 << 4; /* TCP data offset 4 */
	expect_refused(p);
	p = gso_pkt(K_TCP4, 3000, 1, 0x10); /* 3000 segments: more than 2048 */
	expect_refused(p);
	/* An IPv4 fragment is no super-frame: its "TCP header" may be payload (a later
	 * fragment) and its segments would all claim to be fragments of one datagram. */
	p = gso_pkt(K_TCP4, 3000, 1000, 0x10);
	wr16(ns_pkt_data(p) + 6, 0x2000); /* MF */
	expect_refused(p);
	p = gso_pkt(K_UDP4, 3000, 1000, 0);
	wr16(ns_pkt_data(p) + 6, 185); /* fragment offset 1480 */
	expect_refused(p);
}

/* Every copy of @good cut short, from 0 bytes to one less than whole, is refused. */
static void expect_truncations_refused(struct ns_pkt *good)
{
	for (uint32_t len = 0; len < good->len; len++) {
		struct ns_pkt *p = ns_pkt_copy(good);

		assert_non_null(p);
		p->len = len;
		expect_refused(p);
	}
	ns_pkt_free(good);
}

static void every_truncation_is_refused(void **state)
{
	expect_truncations_refused(gso_pkt(K_TCP4, 2500, 1000, 0x10));
	expect_truncations_refused(gso_pkt(K_TCP6, 2500, 1000, 0x10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(tcp4_cut_like_a_tso_device, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(tcp4_cut_with_checksums_left_partial, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(tcp6_cut_sets_payload_lengths, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(udp4_cut_into_datagrams, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(malformed_packets_are_refused, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(every_truncation_is_refused, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
