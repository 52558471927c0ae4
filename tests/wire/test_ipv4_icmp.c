/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: IPv4 (RFC 791) and ICMPv4 (RFC 792, RFC 1191) parse/emit.
 *
 * Vectors are Ethernet frames Linux 6.18 sent out of a TAP device in a private network
 * namespace (kernel side 192.0.2.1, peer 192.0.2.2): an echo request from ping(8), its echo
 * reply to a request we injected, and its port unreachable for a UDP datagram we injected.
 * Each was checked against the reference checksum below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

/* ping -c1 -s 24 -p 6e657473746b 192.0.2.2: id 0x0d38, seq 1. */
static const uint8_t echo_request_frame[66] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x34, 0x53, 0x4f, 0x40, 0x00, 0x40, 0x01, 0x63, 0x76, 0xc0, 0x00,
    0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0xb9, 0xf8, 0x0d, 0x38, 0x00, 0x01,
    0x4f, 0x47, 0x06, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x04, 0x6c, 0x0b, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x74, 0x6b, 0x6e, 0x65, 0x74, 0x73, 0x74, 0x6b,
};
/* Reply to our echo request (id 0x4242, seq 7, "netstack ping!"). */
static const uint8_t echo_reply_frame[56] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x2a, 0xf1, 0xc4, 0x00, 0x00, 0x40, 0x01, 0x05, 0x0b, 0xc0, 0x00,
    0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x12, 0x11, 0x42, 0x42, 0x00, 0x07,
    0x6e, 0x65, 0x74, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x20, 0x70, 0x69, 0x6e, 0x67, 0x21,
};
/* Port unreachable for our UDP datagram 192.0.2.2:40000 -> 192.0.2.1:9 "hello". */
static const uint8_t port_unreach_frame[75] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
    0xc0, 0x00, 0x3d, 0xf1, 0xde, 0x00, 0x00, 0x40, 0x01, 0x04, 0x1e, 0xc0, 0x00, 0x02, 0x01,
    0xc0, 0x00, 0x02, 0x02, 0x03, 0x03, 0x81, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00,
    0x21, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0xa4, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00,
    0x02, 0x01, 0x9c, 0x40, 0x00, 0x09, 0x00, 0x0d, 0x9b, 0xb4, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

#define IP(f)     ((f) + ETH_HLEN)
#define IP_LEN(f) (sizeof(f) - ETH_HLEN)

static const uint8_t addr1[4] = {192, 0, 2, 1};
static const uint8_t addr2[4] = {192, 0, 2, 2};

/* RFC 1071 reference, folded, not inverted. */
static uint16_t ref_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

/* Recompute the header checksum of a modified 20..60-byte header. */
static void fix_ip_csum(uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 15) * 4;

	wr16(h + 10, 0);
	wr16(h + 10, (uint16_t)~ref_sum(h, hl));
}

static void test_vectors_checksums(void **state)
{
	(void)state;
	/* The captured headers and messages verify with the reference sum. */
	assert_int_equal(ref_sum(IP(echo_request_frame), 20), 0xffff);
	assert_int_equal(ref_sum(IP(echo_request_frame) + 20, 32), 0xffff);
	assert_int_equal(ref_sum(IP(echo_reply_frame), 20), 0xffff);
	assert_int_equal(ref_sum(IP(echo_reply_frame) + 20, 22), 0xffff);
	assert_int_equal(ref_sum(IP(port_unreach_frame), 20), 0xffff);
	assert_int_equal(ref_sum(IP(port_unreach_frame) + 20, 41), 0xffff);
}

static void test_ipv4_parse(void **state)
{
	struct ipv4_repr r;

	(void)state;
	assert_int_equal(ipv4_parse(&r, IP(echo_request_frame), IP_LEN(echo_request_frame), true),
	                 IPV4_OK);
	assert_int_equal(r.hdr_len, 20);
	assert_int_equal(r.tos, 0);
	assert_int_equal(r.total_len, 52);
	assert_int_equal(r.id, 0x534f);
	assert_true(r.df);
	assert_false(r.mf);
	assert_int_equal(r.frag_off, 0);
	assert_int_equal(r.ttl, 64);
	assert_int_equal(r.proto, IP_PROTO_ICMP);
	assert_int_equal(r.csum, 0x6376);
	assert_memory_equal(r.src, addr1, 4);
	assert_memory_equal(r.dst, addr2, 4);

	assert_int_equal(ipv4_parse(&r, IP(port_unreach_frame), IP_LEN(port_unreach_frame), true),
	                 IPV4_OK);
	assert_int_equal(r.tos, 0xc0); /* Linux sends ICMP errors as CS6 */
	assert_int_equal(r.total_len, 61);
	assert_int_equal(r.id, 0xf1de);
	assert_false(r.df);
	assert_int_equal(r.csum, 0x041e);
	assert_int_equal(r.proto, IP_PROTO_ICMP);

	/* The accessors agree. */
	assert_int_equal(ipv4_get_version(IP(echo_reply_frame)), 4);
	assert_int_equal(ipv4_get_hdr_len(IP(echo_reply_frame)), 20);
	assert_int_equal(ipv4_get_total_len(IP(echo_reply_frame)), 42);
	assert_int_equal(ipv4_get_id(IP(echo_reply_frame)), 0xf1c4);
	assert_int_equal(ipv4_get_ttl(IP(echo_reply_frame)), 64);
	assert_int_equal(ipv4_get_proto(IP(echo_reply_frame)), IP_PROTO_ICMP);
	assert_int_equal(ipv4_get_csum(IP(echo_reply_frame)), 0x050b);
	assert_memory_equal(ipv4_get_src(IP(echo_reply_frame)), addr1, 4);
	assert_memory_equal(ipv4_get_dst(IP(echo_reply_frame)), addr2, 4);
	assert_false(ipv4_is_fragment(IP(echo_reply_frame)));
}

/* Parse then emit into a 0xa5-filled buffer reproduces each captured header exactly. */
static void test_ipv4_emit(void **state)
{
	const uint8_t *frames[] = {IP(echo_request_frame), IP(echo_reply_frame),
	                           IP(port_unreach_frame)};
	const size_t lens[] = {IP_LEN(echo_request_frame), IP_LEN(echo_reply_frame),
	                       IP_LEN(port_unreach_frame)};

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct ipv4_repr r;
		uint8_t buf[40];

		assert_int_equal(ipv4_parse(&r, frames[i], lens[i], true), IPV4_OK);
		r.csum = 0x1111; /* ignored */
		r.hdr_len = 0;   /* ignored */
		memset(buf, 0xa5, sizeof(buf));
		ipv4_emit(&r, buf);
		assert_memory_equal(buf, frames[i], 20);
		assert_tail_untouched(buf, 20, sizeof(buf));
	}
	/* And from fields set by hand. */
	{
		struct ipv4_repr r = {.tos = 0,
		                      .total_len = 52,
		                      .id = 0x534f,
		                      .df = true,
		                      .ttl = 64,
		                      .proto = IP_PROTO_ICMP,
		                      .src = {192, 0, 2, 1},
		                      .dst = {192, 0, 2, 2}};
		uint8_t buf[20];

		ipv4_emit(&r, buf);
		assert_memory_equal(buf, IP(echo_request_frame), 20);
	}
}

static void test_ipv4_truncated(void **state)
{
	const uint8_t *p = IP(port_unreach_frame);
	struct ipv4_repr r;

	(void)state;
	for (size_t len = 0; len < IP_LEN(port_unreach_frame); len++) {
		assert_int_equal(ipv4_parse(&r, p, len, true), IPV4_E_TRUNCATED);
		assert_int_equal(ipv4_parse(&r, p, len, false), IPV4_E_TRUNCATED);
	}
}

/* Ethernet pads short frames: bytes after total_len are accepted (and left to trim). */
static void test_ipv4_padding(void **state)
{
	uint8_t frame[ETH_ZLEN];
	struct ipv4_repr r;

	(void)state;
	memset(frame, 0, sizeof(frame));
	memcpy(frame, echo_reply_frame, sizeof(echo_reply_frame));
	assert_int_equal(ipv4_parse(&r, IP(frame), sizeof(frame) - ETH_HLEN, true), IPV4_OK);
	assert_int_equal(r.total_len, 42);
}

static void test_ipv4_bad_headers(void **state)
{
	uint8_t h[64];
	struct ipv4_repr r;

	(void)state;
	/* Version. */
	for (int v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		memcpy(h, IP(echo_reply_frame), 42);
		h[0] = (uint8_t)(v << 4 | 5);
		fix_ip_csum(h);
		assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_VERSION);
	}
	/* IHL below 5. */
	for (int ihl = 0; ihl < 5; ihl++) {
		memcpy(h, IP(echo_reply_frame), 42);
		h[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(ipv4_parse(&r, h, 42, false), IPV4_E_IHL);
	}
	/* IHL past the buffer: 15 * 4 = 60 > 42. */
	memcpy(h, IP(echo_reply_frame), 42);
	h[0] = 0x4f;
	assert_int_equal(ipv4_parse(&r, h, 42, false), IPV4_E_TRUNCATED);
	/* total_len below the header length (also with options: IHL 6, total 22). */
	for (uint16_t tl = 0; tl < 20; tl++) {
		memcpy(h, IP(echo_reply_frame), 42);
		wr16(h + 2, tl);
		fix_ip_csum(h);
		assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_TOTAL_LEN);
	}
	memcpy(h, IP(echo_reply_frame), 42);
	h[0] = 0x46;
	wr16(h + 2, 22);
	fix_ip_csum(h);
	assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_TOTAL_LEN);
	/* total_len past the buffer. */
	memcpy(h, IP(echo_reply_frame), 42);
	wr16(h + 2, 43);
	fix_ip_csum(h);
	assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_TRUNCATED);
	wr16(h + 2, 0xffff);
	fix_ip_csum(h);
	assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_TRUNCATED);
	/* The reserved flag. */
	memcpy(h, IP(echo_reply_frame), 42);
	wr16(h + 6, IPV4_FLAG_RESERVED);
	fix_ip_csum(h);
	assert_int_equal(ipv4_parse(&r, h, 42, true), IPV4_E_FRAG);
	assert_int_equal(ipv4_parse(&r, h, 42, false), IPV4_E_FRAG);
}

/* Any single flipped bit in the header fails verification; without verification a wrong
 * checksum alone is accepted. */
static void test_ipv4_checksum(void **state)
{
	uint8_t h[42];
	struct ipv4_repr r;

	(void)state;
	for (int bit = 0; bit < 160; bit++) {
		memcpy(h, IP(echo_reply_frame), sizeof(h));
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_OK);
	}
	memcpy(h, IP(echo_reply_frame), sizeof(h));
	h[10] ^= 0x40;
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_E_CSUM);
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), false), IPV4_OK);
	assert_int_equal(r.csum, 0x450b);
	/* A bad checksum is reported before the reserved flag. */
	h[6] |= 0x80;
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_E_CSUM);
	/* The payload is not covered. */
	memcpy(h, IP(echo_reply_frame), sizeof(h));
	h[30] ^= 0xff;
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_OK);
}

/* A header with options: IHL 6, options NOP NOP NOP EOL. */
static void test_ipv4_options(void **state)
{
	uint8_t h[46];
	struct ipv4_repr r;

	(void)state;
	memcpy(h, IP(echo_reply_frame), 20);
	memcpy(h + 24, IP(echo_reply_frame) + 20, 22);
	h[0] = 0x46;
	h[20] = h[21] = h[22] = 1;
	h[23] = 0;
	wr16(h + 2, 46);
	fix_ip_csum(h);
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_OK);
	assert_int_equal(r.hdr_len, 24);
	assert_int_equal(r.total_len, 46);
	for (size_t len = 0; len < sizeof(h); len++)
		assert_int_not_equal(ipv4_parse(&r, h, len, true), IPV4_OK);
	/* The options are covered by the checksum. */
	h[21] = 2;
	assert_int_equal(ipv4_parse(&r, h, sizeof(h), true), IPV4_E_CSUM);
}

static void test_ipv4_fragments(void **state)
{
	struct ipv4_repr r = {.total_len = 1500,
	                      .id = 0xbeef,
	                      .mf = true,
	                      .frag_off = 1480,
	                      .ttl = 63,
	                      .proto = IP_PROTO_UDP,
	                      .src = {198, 51, 100, 7},
	                      .dst = {192, 0, 2, 9}};
	struct ipv4_repr p;
	uint8_t buf[1500];

	(void)state;
	memset(buf, 0, sizeof(buf));
	ipv4_emit(&r, buf);
	assert_int_equal(rd16(buf + 6), 0x2000 | 185);
	assert_int_equal(ref_sum(buf, 20), 0xffff);
	assert_true(ipv4_is_fragment(buf));
	assert_int_equal(ipv4_parse(&p, buf, sizeof(buf), true), IPV4_OK);
	assert_true(p.mf);
	assert_false(p.df);
	assert_int_equal(p.frag_off, 1480);
	assert_int_equal(p.id, 0xbeef);
	/* The last fragment: offset only. */
	r.mf = false;
	r.frag_off = 8 * 8191;
	ipv4_emit(&r, buf);
	assert_int_equal(rd16(buf + 6), 8191);
	assert_true(ipv4_is_fragment(buf));
	assert_int_equal(ipv4_parse(&p, buf, sizeof(buf), true), IPV4_OK);
	assert_int_equal(p.frag_off, 65528);
	assert_false(p.mf);
}

static void test_ipv4_addr_classes(void **state)
{
	(void)state;
	assert_true(ipv4_is_broadcast((const uint8_t[]){255, 255, 255, 255}));
	assert_false(ipv4_is_broadcast((const uint8_t[]){192, 0, 2, 255}));
	assert_true(ipv4_is_multicast((const uint8_t[]){224, 0, 0, 1}));
	assert_true(ipv4_is_multicast((const uint8_t[]){239, 255, 255, 250}));
	assert_false(ipv4_is_multicast((const uint8_t[]){240, 0, 0, 1}));
	assert_false(ipv4_is_multicast((const uint8_t[]){223, 255, 255, 255}));
	assert_true(ipv4_is_loopback((const uint8_t[]){127, 0, 0, 1}));
	assert_true(ipv4_is_loopback((const uint8_t[]){127, 255, 0, 9}));
	assert_false(ipv4_is_loopback((const uint8_t[]){128, 0, 0, 1}));
	assert_true(ipv4_is_unspecified((const uint8_t[]){0, 0, 0, 0}));
	assert_false(ipv4_is_unspecified((const uint8_t[]){0, 0, 0, 1}));
	for (int e = IPV4_OK; e <= IPV4_E_FRAG; e++)
		assert_non_null(ipv4_strerror((enum ipv4_err)e));
}

static void test_icmp_parse(void **state)
{
	struct icmpv4_repr r;

	(void)state;
	assert_true(icmpv4_parse(&r, IP(echo_request_frame) + 20, 32, true));
	assert_int_equal(r.type, ICMPV4_ECHO_REQUEST);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.csum, 0xb9f8);
	assert_int_equal(r.id, 0x0d38);
	assert_int_equal(r.seq, 1);
	assert_int_equal(r.rest, 0x0d380001);

	assert_true(icmpv4_parse(&r, IP(echo_reply_frame) + 20, 22, true));
	assert_int_equal(r.type, ICMPV4_ECHO_REPLY);
	assert_int_equal(r.id, 0x4242);
	assert_int_equal(r.seq, 7);

	assert_true(icmpv4_parse(&r, IP(port_unreach_frame) + 20, 41, true));
	assert_int_equal(r.type, ICMPV4_DEST_UNREACH);
	assert_int_equal(r.code, ICMPV4_UNREACH_PORT);
	assert_int_equal(r.rest, 0);
	assert_true(icmpv4_is_error(r.type));
	assert_false(icmpv4_is_error(ICMPV4_ECHO_REQUEST));
	/* The quoted datagram is the one we sent: its own header is intact. */
	{
		struct ipv4_repr q;

		assert_int_equal(ipv4_parse(&q, IP(port_unreach_frame) + 28, 33, true), IPV4_OK);
		assert_int_equal(q.proto, IP_PROTO_UDP);
		assert_memory_equal(q.src, addr2, 4);
	}
}

/* Emit each captured message from its fields, with the payload already in place. */
static void test_icmp_emit(void **state)
{
	const uint8_t *msgs[] = {IP(echo_request_frame) + 20, IP(echo_reply_frame) + 20,
	                         IP(port_unreach_frame) + 20};
	const size_t lens[] = {32, 22, 41};
	const struct icmpv4_repr reprs[] = {
	    {.type = ICMPV4_ECHO_REQUEST, .id = 0x0d38, .seq = 1, .rest = 0xdeadbeef},
	    {.type = ICMPV4_ECHO_REPLY, .id = 0x4242, .seq = 7},
	    {.type = ICMPV4_DEST_UNREACH,
	     .code = ICMPV4_UNREACH_PORT,
	     .id = 9,
	     .seq = 9,
	     .mtu = 9,
	     .rest = 0},
	};

	(void)state;
	for (int i = 0; i < 3; i++) {
		uint8_t buf[64];

		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf + ICMPV4_HLEN, msgs[i] + ICMPV4_HLEN, lens[i] - ICMPV4_HLEN);
		icmpv4_emit(&reprs[i], buf, lens[i]);
		assert_memory_equal(buf, msgs[i], lens[i]);
		assert_tail_untouched(buf, lens[i], sizeof(buf));
	}
}

/* RFC 1191: the next-hop MTU goes in bytes 6..7, the unused bytes 4..5 are zero. */
static void test_icmp_frag_needed(void **state)
{
	struct icmpv4_repr r = {.type = ICMPV4_DEST_UNREACH,
	                        .code = ICMPV4_UNREACH_FRAG_NEEDED,
	                        .mtu = 1400,
	                        .id = 0x1111,
	                        .seq = 0x2222};
	struct icmpv4_repr p;
	uint8_t buf[8 + 28];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf + 8, IP(echo_request_frame), 28);
	icmpv4_emit(&r, buf, sizeof(buf));
	assert_memory_equal(buf + 4, ((const uint8_t[]){0, 0, 0x05, 0x78}), 4);
	assert_int_equal(ref_sum(buf, sizeof(buf)), 0xffff);
	assert_true(icmpv4_parse(&p, buf, sizeof(buf), true));
	assert_int_equal(p.mtu, 1400);
	assert_int_equal(p.rest, 1400);
	/* The upper half of rest is kept (an RFC 4884 length in byte 5). */
	r.rest = 0x00070000;
	icmpv4_emit(&r, buf, sizeof(buf));
	assert_memory_equal(buf + 4, ((const uint8_t[]){0, 7, 0x05, 0x78}), 4);
	/* Other types take rest: a parameter problem pointing at byte 20. */
	r.type = ICMPV4_PARAM_PROBLEM;
	r.code = 0;
	r.rest = 20u << 24;
	icmpv4_emit(&r, buf, sizeof(buf));
	assert_memory_equal(buf + 4, ((const uint8_t[]){20, 0, 0, 0}), 4);
	assert_true(icmpv4_parse(&p, buf, sizeof(buf), true));
	assert_int_equal(p.rest >> 24, 20);
}

static void test_icmp_odd_length(void **state)
{
	struct icmpv4_repr r = {.type = ICMPV4_ECHO_REQUEST, .id = 1, .seq = 2};
	struct icmpv4_repr p;
	uint8_t buf[11] = {0, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};

	(void)state;
	icmpv4_emit(&r, buf, sizeof(buf));
	assert_int_equal(ref_sum(buf, sizeof(buf)), 0xffff);
	assert_true(icmpv4_parse(&p, buf, sizeof(buf), true));
	assert_int_equal(p.id, 1);
	assert_int_equal(p.seq, 2);
	/* Header only. */
	icmpv4_emit(&r, buf, ICMPV4_HLEN);
	assert_true(icmpv4_parse(&p, buf, ICMPV4_HLEN, true));
}

static void test_icmp_truncated_and_bad(void **state)
{
	uint8_t m[32];
	struct icmpv4_repr r;

	(void)state;
	memcpy(m, IP(echo_request_frame) + 20, sizeof(m));
	for (size_t len = 0; len < ICMPV4_HLEN; len++) {
		assert_false(icmpv4_parse(&r, m, len, true));
		assert_false(icmpv4_parse(&r, m, len, false));
	}
	/* The checksum covers the whole message: a shorter length or a changed payload byte
	 * fails it. */
	for (size_t len = ICMPV4_HLEN; len < sizeof(m); len++)
		assert_false(icmpv4_parse(&r, m, len, true));
	m[31] ^= 1;
	assert_false(icmpv4_parse(&r, m, sizeof(m), true));
	assert_true(icmpv4_parse(&r, m, sizeof(m), false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_checksums),
	    cmocka_unit_test(test_ipv4_parse),
	    cmocka_unit_test(test_ipv4_emit),
	    cmocka_unit_test(test_ipv4_truncated),
	    cmocka_unit_test(test_ipv4_padding),
	    cmocka_unit_test(test_ipv4_bad_headers),
	    cmocka_unit_test(test_ipv4_checksum),
	    cmocka_unit_test(test_ipv4_options),
	    cmocka_unit_test(test_ipv4_fragments),
	    cmocka_unit_test(test_ipv4_addr_classes),
	    cmocka_unit_test(test_icmp_parse),
	    cmocka_unit_test(test_icmp_emit),
	    cmocka_unit_test(test_icmp_frag_needed),
	    cmocka_unit_test(test_icmp_odd_length),
	    cmocka_unit_test(test_icmp_truncated_and_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
