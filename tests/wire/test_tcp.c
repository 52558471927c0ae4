/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: TCP header, options (RFC 9293 3.1, RFC 7323, RFC 2018) and checksum.
 *
 * Vectors are frames Linux 6.18 sent out of a TAP device in a private network namespace
 * (kernel side 192.0.2.1, peer 192.0.2.2): a SYN from connect(), a SYN-ACK from a listener,
 * a data segment with timestamps, and a duplicate ACK with one SACK block sent after we
 * injected out-of-order data. Emitting their parsed form must give the same bytes, since
 * tcp_emit() uses Linux's option layouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

/* 192.0.2.1:49534 -> 192.0.2.2:80 SYN: MSS 1460, SACK-perm, TS, WS 10. */
static const uint8_t syn_frame[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x3c, 0x06, 0x14, 0x40, 0x00, 0x40, 0x06, 0xb0, 0xa4, 0xc0, 0x00, 0x02, 0x01,
    0xc0, 0x00, 0x02, 0x02, 0xc1, 0x7e, 0x00, 0x50, 0x0a, 0x2b, 0xab, 0x56, 0x00, 0x00, 0x00,
    0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xe8, 0xe2, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x90, 0x1c, 0xd8, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* 192.0.2.1:8080 -> 192.0.2.2:40000 SYN-ACK to our SYN: MSS 1460, SACK-perm, TS, WS 10. */
static const uint8_t synack_frame[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xb6, 0xb8, 0xc0, 0x00, 0x02, 0x01,
    0xc0, 0x00, 0x02, 0x02, 0x1f, 0x90, 0x9c, 0x40, 0xae, 0xcb, 0xc5, 0xa8, 0x11, 0x11, 0x11,
    0x12, 0xa0, 0x12, 0xfe, 0x88, 0x29, 0x5a, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x7f, 0x99, 0xc6, 0x1c, 0x00, 0x00, 0x03, 0xe8, 0x01, 0x03, 0x03, 0x0a,
};
/* The same connection: PSH|ACK "hello from linux" with NOP NOP TS. */
static const uint8_t data_frame[82] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x44, 0x31, 0x34, 0x40, 0x00, 0x40, 0x06, 0x85, 0x7c, 0xc0, 0x00,
    0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x1f, 0x90, 0x9c, 0x40, 0xae, 0xcb, 0xc5, 0xa9,
    0x11, 0x11, 0x11, 0x12, 0x80, 0x18, 0x00, 0x40, 0x3c, 0x07, 0x00, 0x00, 0x01, 0x01,
    0x08, 0x0a, 0x7f, 0x99, 0xc7, 0x49, 0x00, 0x00, 0x03, 0xe9, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x6c, 0x69, 0x6e, 0x75, 0x78,
};
/* Duplicate ACK with NOP NOP TS, NOP NOP SACK [0x11111176, 0x11111180). */
static const uint8_t sack_frame[78] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x40, 0x31, 0x35, 0x40, 0x00, 0x40, 0x06, 0x85, 0x7f, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00,
    0x02, 0x02, 0x1f, 0x90, 0x9c, 0x40, 0xae, 0xcb, 0xc5, 0xb9, 0x11, 0x11, 0x11, 0x12, 0xb0, 0x10,
    0x00, 0x40, 0xd8, 0xd7, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x7f, 0x99, 0xc8, 0x76, 0x00, 0x00,
    0x03, 0xe9, 0x01, 0x01, 0x05, 0x0a, 0x11, 0x11, 0x11, 0x76, 0x11, 0x11, 0x11, 0x80,
};

struct vec {
	const char *name;
	const uint8_t *frame;
	size_t frame_len;
};

#define VEC(f)                   \
	{                        \
#f, f, sizeof(f) \
	}
static const struct vec vecs[] = {VEC(syn_frame), VEC(synack_frame), VEC(data_frame),
                                  VEC(sack_frame)};
#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

static const uint8_t *seg_of(const struct vec *v)
{
	return v->frame + ETH_HLEN + 20;
}

static size_t seg_len(const struct vec *v)
{
	return (size_t)ipv4_get_total_len(v->frame + ETH_HLEN) - 20;
}

static uint32_t pseudo_of(const struct vec *v)
{
	const uint8_t *ip = v->frame + ETH_HLEN;

	return csum_pseudo_v4(ip + 12, ip + 16, IP_PROTO_TCP, (uint32_t)seg_len(v));
}

/* A heap copy of exactly n bytes, so that ASan reports any read past the end. */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, p, n);
	return c;
}

static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

static void test_parse_syn(void **state)
{
	struct tcp_repr r;

	(void)state;
	assert_int_equal(tcp_parse(&r, seg_of(&vecs[0]), seg_len(&vecs[0])), TCP_OK);
	assert_int_equal(r.src_port, 49534);
	assert_int_equal(r.dst_port, 80);
	assert_int_equal(r.seq, 0x0a2bab56);
	assert_int_equal(r.ack, 0);
	assert_int_equal(r.hdr_len, 40);
	assert_int_equal(r.flags, TCP_SYN);
	assert_int_equal(r.window, 64240);
	assert_int_equal(r.csum, 0xe8e2);
	assert_int_equal(r.urg, 0);
	assert_int_equal(r.mss, 1460);
	assert_int_equal(r.wscale, 10);
	assert_true(r.sack_permitted);
	assert_true(r.has_ts);
	assert_int_equal(r.tsval, 0x901cd8b8);
	assert_int_equal(r.tsecr, 0);
	assert_int_equal(r.nsack, 0);
}

static void test_parse_synack(void **state)
{
	struct tcp_repr r;

	(void)state;
	assert_int_equal(tcp_parse(&r, seg_of(&vecs[1]), seg_len(&vecs[1])), TCP_OK);
	assert_int_equal(r.src_port, 8080);
	assert_int_equal(r.dst_port, 40000);
	assert_int_equal(r.seq, 0xaecbc5a8);
	assert_int_equal(r.ack, 0x11111112);
	assert_int_equal(r.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(r.window, 65160);
	assert_int_equal(r.mss, 1460);
	assert_int_equal(r.wscale, 10);
	assert_true(r.sack_permitted);
	assert_true(r.has_ts);
	assert_int_equal(r.tsval, 0x7f99c61c);
	assert_int_equal(r.tsecr, 1000);
}

static void test_parse_data_and_sack(void **state)
{
	struct tcp_repr r;

	(void)state;
	assert_int_equal(tcp_parse(&r, seg_of(&vecs[2]), seg_len(&vecs[2])), TCP_OK);
	assert_int_equal(r.flags, TCP_PSH | TCP_ACK);
	assert_int_equal(r.hdr_len, 32);
	assert_int_equal(r.seq, 0xaecbc5a9);
	assert_int_equal(r.window, 64);
	assert_int_equal(r.mss, 0);
	assert_int_equal(r.wscale, -1);
	assert_false(r.sack_permitted);
	assert_true(r.has_ts);
	assert_int_equal(r.tsval, 0x7f99c749);
	assert_int_equal(r.tsecr, 1001);
	assert_int_equal(r.nsack, 0);
	assert_int_equal(seg_len(&vecs[2]) - r.hdr_len, 16);
	assert_memory_equal(seg_of(&vecs[2]) + r.hdr_len, "hello from linux", 16);

	assert_int_equal(tcp_parse(&r, seg_of(&vecs[3]), seg_len(&vecs[3])), TCP_OK);
	assert_int_equal(r.flags, TCP_ACK);
	assert_int_equal(r.hdr_len, 44);
	assert_int_equal(r.ack, 0x11111112);
	assert_true(r.has_ts);
	assert_int_equal(r.nsack, 1);
	assert_int_equal(r.sack[0].left, 0x11111176);
	assert_int_equal(r.sack[0].right, 0x11111180);

	/* The accessors agree. */
	assert_int_equal(tcp_get_src_port(seg_of(&vecs[3])), 8080);
	assert_int_equal(tcp_get_dst_port(seg_of(&vecs[3])), 40000);
	assert_int_equal(tcp_get_seq(seg_of(&vecs[3])), 0xaecbc5b9);
	assert_int_equal(tcp_get_ack(seg_of(&vecs[3])), 0x11111112);
	assert_int_equal(tcp_get_hdr_len(seg_of(&vecs[3])), 44);
	assert_int_equal(tcp_get_flags(seg_of(&vecs[3])), TCP_ACK);
	assert_int_equal(tcp_get_window(seg_of(&vecs[3])), 64);
	assert_int_equal(tcp_get_csum(seg_of(&vecs[3])), 0xd8d7);
	assert_int_equal(tcp_get_urg(seg_of(&vecs[3])), 0);
}

static void test_checksums(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECS; i++) {
		const struct vec *v = &vecs[i];
		uint8_t seg[128];
		size_t n = seg_len(v);

		assert_true(tcp_csum_ok(seg_of(v), n, pseudo_of(v)));
		/* Every single-bit change fails. */
		for (size_t bit = 0; bit < n * 8; bit++) {
			memcpy(seg, seg_of(v), n);
			seg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_false(tcp_csum_ok(seg, n, pseudo_of(v)));
		}
		/* tcp_set_csum() restores it. */
		memcpy(seg, seg_of(v), n);
		wr16(seg + 16, 0xa5a5);
		tcp_set_csum(seg, n, pseudo_of(v));
		assert_memory_equal(seg, seg_of(v), n);
	}
}

/* Parse -> emit into a 0xa5 buffer reproduces Linux's header byte for byte. */
static void test_emit_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECS; i++) {
		const struct vec *v = &vecs[i];
		struct tcp_repr r, r2;
		uint8_t buf[128];
		size_t n;

		/* Zeroed, so the structs (padding included) can be compared with memcmp. */
		memset(&r, 0, sizeof(r));
		memset(&r2, 0, sizeof(r2));
		assert_int_equal(tcp_parse(&r, seg_of(v), seg_len(v)), TCP_OK);
		assert_int_equal(tcp_repr_hdr_len(&r), r.hdr_len);
		memset(buf, 0xa5, sizeof(buf));
		n = tcp_emit(&r, buf);
		assert_int_equal(n, r.hdr_len);
		assert_memory_equal(buf, seg_of(v), n);
		assert_tail_untouched(buf, n, sizeof(buf));

		/* With the payload in place and the checksum computed: the whole segment. */
		memcpy(buf + n, seg_of(v) + n, seg_len(v) - n);
		r.csum = 0;
		tcp_emit(&r, buf);
		tcp_set_csum(buf, seg_len(v), pseudo_of(v));
		assert_memory_equal(buf, seg_of(v), seg_len(v));

		/* And parse again. */
		assert_int_equal(tcp_parse(&r2, buf, seg_len(v)), TCP_OK);
		r.csum = r2.csum;
		assert_memory_equal(&r, &r2, sizeof(r));
	}
}

/* The SYN built from fields by hand. */
static void test_emit_syn_fields(void **state)
{
	struct tcp_repr r;
	uint8_t buf[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.src_port = 49534;
	r.dst_port = 80;
	r.seq = 0x0a2bab56;
	r.flags = TCP_SYN;
	r.window = 64240;
	r.mss = 1460;
	r.sack_permitted = true;
	r.has_ts = true;
	r.tsval = 0x901cd8b8;
	r.wscale = 10;
	assert_int_equal(tcp_emit(&r, buf), 40);
	tcp_set_csum(buf, 40, pseudo_of(&vecs[0]));
	assert_memory_equal(buf, seg_of(&vecs[0]), 40);
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECS; i++) {
		const struct vec *v = &vecs[i];
		size_t hl = tcp_get_hdr_len(seg_of(v));

		for (size_t len = 0; len < hl; len++) {
			uint8_t *c = exact_copy(seg_of(v), len);
			struct tcp_repr r;

			assert_int_equal(tcp_parse(&r, c, len),
			                 len < TCP_MIN_HLEN ? TCP_E_TRUNCATED : TCP_E_OFFSET);
			free(c);
		}
	}
}

static void test_bad_offset(void **state)
{
	uint8_t seg[64];
	struct tcp_repr r;

	(void)state;
	for (int doff = 0; doff < 5; doff++) {
		memcpy(seg, seg_of(&vecs[2]), 48);
		seg[12] = (uint8_t)(doff << 4);
		assert_int_equal(tcp_parse(&r, seg, 48), TCP_E_OFFSET);
	}
	/* 15 * 4 = 60 bytes of header in a 48-byte segment. */
	memcpy(seg, seg_of(&vecs[2]), 48);
	seg[12] = 0xf0;
	assert_int_equal(tcp_parse(&r, seg, 48), TCP_E_OFFSET);
	/* The low bits of byte 12 (reserved, AE) do not change the offset. */
	memcpy(seg, seg_of(&vecs[2]), 48);
	seg[12] = 0x8f;
	assert_int_equal(tcp_parse(&r, seg, 48), TCP_OK);
	assert_int_equal(r.hdr_len, 32);
}

/* Parse a header made of the 20 bytes of the data vector plus @opts (a multiple of 4). */
static enum tcp_err parse_opts(struct tcp_repr *r, const uint8_t *opts, size_t n)
{
	size_t len = TCP_MIN_HLEN + n;
	uint8_t *c = malloc(len);
	enum tcp_err e;

	assert_non_null(c);
	assert_true(n % 4 == 0 && n <= 40);
	memcpy(c, seg_of(&vecs[2]), TCP_MIN_HLEN);
	if (n)
		memcpy(c + TCP_MIN_HLEN, opts, n);
	c[12] = (uint8_t)((len / 4) << 4);
	e = tcp_parse(r, c, len); /* exactly the header: any over-read is caught by ASan */
	free(c);
	return e;
}

static void test_options_malformed(void **state)
{
	struct tcp_repr r;

	(void)state;
	/* Zero-length and one-byte-length options. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){2, 0, 0, 0}, 4), TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 30, 0}, 4), TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){8, 1, 1, 1}, 4), TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){99, 1, 0, 0}, 4), TCP_E_OPTION);
	/* An option running past the header end. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 2, 4}, 4), TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){8, 10, 0, 0, 0, 0, 0, 0}, 8),
	                 TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 1, 99, 6, 0, 0, 0}, 8),
	                 TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 1, 99, 5, 0, 0, 0}, 8), TCP_OK);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 1, 3, 255, 0, 0, 0}, 8),
	                 TCP_E_OPTION);
	/* A kind byte as the last header byte, with no room for its length. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 1, 2}, 4), TCP_E_OPTION);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 1, 200}, 4), TCP_E_OPTION);
	/* A length ending exactly at the header end is fine. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 2, 2}, 4), TCP_OK);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 99, 3, 0}, 4), TCP_OK);
}

static void test_options_edge_cases(void **state)
{
	struct tcp_repr r;

	(void)state;
	/* No options. */
	assert_int_equal(parse_opts(&r, NULL, 0), TCP_OK);
	assert_int_equal(r.mss, 0);
	assert_int_equal(r.wscale, -1);
	assert_false(r.sack_permitted || r.has_ts);
	assert_int_equal(r.nsack, 0);
	/* Window scale: RFC 7323 2.3 clamps a shift above 14 to 14. */
	{
		static const uint8_t shifts[][2] = {{0, 0},   {7, 7},    {14, 14},
		                                    {15, 14}, {200, 14}, {255, 14}};

		for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
			uint8_t o[4] = {1, 3, 3, shifts[i][0]};

			assert_int_equal(parse_opts(&r, o, 4), TCP_OK);
			assert_int_equal(r.wscale, shifts[i][1]);
		}
	}
	/* EOL ends the list: what follows is not parsed, even if malformed. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){0, 2, 0, 0}, 4), TCP_OK);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){2, 4, 5, 0xb4, 0, 2, 4, 1}, 8), TCP_OK);
	assert_int_equal(r.mss, 1460);
	/* Unknown options are skipped by their length (MPTCP 30, experimental 254, 253). */
	assert_int_equal(parse_opts(&r,
	                            (const uint8_t[]){30, 4, 0x10, 0x81, 254, 6, 0xf9, 0x89, 9, 9,
	                                              253, 2, 2, 4, 5, 0xb4},
	                            16),
	                 TCP_OK);
	assert_int_equal(r.mss, 1460);
	/* Known kinds with a wrong length are skipped like unknown ones (as Linux does). */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){2, 5, 5, 0xb4, 0, 3, 2, 9, 4, 3, 0, 8,
	                                                  8, 0, 0, 0,    1, 0, 0, 0, 2, 1, 1, 1},
	                            24),
	                 TCP_OK);
	assert_int_equal(r.mss, 0);
	assert_int_equal(r.wscale, -1);
	assert_false(r.sack_permitted);
	assert_false(r.has_ts);
	/* SACK lengths that are not 2 + 8n with n >= 1 are ignored. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 1, 5, 2}, 4), TCP_OK);
	assert_int_equal(r.nsack, 0);
	assert_int_equal(parse_opts(&r, (const uint8_t[]){1, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0}, 12),
	                 TCP_OK);
	assert_int_equal(r.nsack, 0);
	/* A later duplicate overrides. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){2, 4, 1, 0, 2, 4, 2, 0}, 8), TCP_OK);
	assert_int_equal(r.mss, 512);
	/* Options are decoded in any segment; the state machine decides what it honours. */
	assert_int_equal(parse_opts(&r, (const uint8_t[]){2, 4, 5, 0xb4}, 4), TCP_OK);
	assert_int_equal(r.flags & TCP_SYN, 0);
	assert_int_equal(r.mss, 1460);
}

static void test_options_sack_blocks(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 4; n++) {
		/* 40 bytes used; the slack avoids a gcc -O3 false -Wstringop-overflow. */
		uint8_t o[48];
		size_t len = 2 + 8 * n + 2;
		struct tcp_repr r;

		memset(o, 0, sizeof(o));
		o[0] = o[1] = 1;
		o[2] = TCP_OPT_SACK;
		o[3] = (uint8_t)(2 + 8 * n);
		for (unsigned i = 0; i < n; i++) {
			wr32(o + 4 + 8 * i, 1000 * (i + 1));
			wr32(o + 8 + 8 * i, 1000 * (i + 1) + 500);
		}
		assert_int_equal(parse_opts(&r, o, len), TCP_OK);
		assert_int_equal(r.nsack, n);
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(r.sack[i].left, 1000 * (i + 1));
			assert_int_equal(r.sack[i].right, 1000 * (i + 1) + 500);
		}
	}
	/* 40 bytes of options: TS + 3 blocks, as Linux sends them. */
	{
		uint8_t o[40] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 26};
		struct tcp_repr r;

		for (unsigned i = 0; i < 6; i++)
			wr32(o + 16 + 4 * i, 0x10000000u + i);
		assert_int_equal(parse_opts(&r, o, 40), TCP_OK);
		assert_int_equal(r.hdr_len, 60);
		assert_true(r.has_ts);
		assert_int_equal(r.tsval, 1);
		assert_int_equal(r.tsecr, 2);
		assert_int_equal(r.nsack, 3);
		assert_int_equal(r.sack[2].right, 0x10000005);
	}
}

/* The option layouts tcp_emit() writes, checked byte for byte. */
static void test_emit_layouts(void **state)
{
	static const struct {
		const char *what;
		uint8_t flags;
		uint16_t mss;
		int8_t ws;
		bool sackp, ts;
		uint8_t nsack;
		size_t len;
		uint8_t opts[40];
	} cases[] = {
	    {"bare SYN", TCP_SYN, 0, -1, false, false, 0, 20, {0}},
	    {"SYN mss", TCP_SYN, 536, -1, false, false, 0, 24, {2, 4, 2, 0x18}},
	    {"SYN mss sackp", TCP_SYN, 1460, -1, true, false, 0, 28, {2, 4, 5, 0xb4, 1, 1, 4, 2}},
	    {"SYN mss sackp ws",
	     TCP_SYN,
	     1460,
	     7,
	     true,
	     false,
	     0,
	     32,
	     {2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}},
	    {"SYN ts", TCP_SYN, 0, -1, false, true, 0, 32, {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6}},
	    {"SYN ws 20 clamped", TCP_SYN | TCP_ACK, 0, 20, false, false, 0, 24, {1, 3, 3, 14}},
	    {"SYN ignores sack blocks", TCP_SYN, 0, 0, false, false, 2, 24, {1, 3, 3, 0}},
	    {"ACK ignores SYN options", TCP_ACK, 1460, 7, true, false, 0, 20, {0}},
	    {"ACK ts", TCP_ACK, 0, -1, false, true, 0, 32, {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6}},
	    {"ACK 1 sack",
	     TCP_ACK,
	     0,
	     -1,
	     false,
	     false,
	     1,
	     32,
	     {1, 1, 5, 10, 0, 0, 0, 0x10, 0, 0, 0, 0x11}},
	    {"ACK 4 sack", TCP_ACK, 0, -1, false, false, 4, 56, {1, 1, 5, 34,   0, 0, 0, 0x10,
	                                                         0, 0, 0, 0x11, 0, 0, 0, 0x20,
	                                                         0, 0, 0, 0x21, 0, 0, 0, 0x30,
	                                                         0, 0, 0, 0x31, 0, 0, 0, 0x40,
	                                                         0, 0, 0, 0x41}},
	    {"ACK ts + 4 sack keeps 3",
	     TCP_ACK,
	     0,
	     -1,
	     false,
	     true,
	     4,
	     60,
	     {1, 1, 8, 10,   0, 0, 0, 5,    0, 0, 0, 6,    1, 1, 5, 26,   0, 0, 0, 0x10,
	      0, 0, 0, 0x11, 0, 0, 0, 0x20, 0, 0, 0, 0x21, 0, 0, 0, 0x30, 0, 0, 0, 0x31}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp_repr r;
		uint8_t buf[80];
		size_t n;

		memset(&r, 0, sizeof(r));
		r.src_port = 1;
		r.dst_port = 2;
		r.seq = 3;
		r.ack = 4;
		r.flags = cases[i].flags;
		r.window = 5;
		r.csum = 0xbeef;
		r.urg = 6;
		r.mss = cases[i].mss;
		r.wscale = cases[i].ws;
		r.sack_permitted = cases[i].sackp;
		r.has_ts = cases[i].ts;
		r.tsval = 5;
		r.tsecr = 6;
		r.nsack = cases[i].nsack;
		for (unsigned k = 0; k < 4; k++) {
			r.sack[k].left = 0x10 * (k + 1);
			r.sack[k].right = 0x10 * (k + 1) + 1;
		}
		memset(buf, 0xa5, sizeof(buf));
		n = tcp_emit(&r, buf);
		if (n != cases[i].len || memcmp(buf + 20, cases[i].opts, n - 20) != 0)
			print_message("case \"%s\" differs\n", cases[i].what);
		assert_int_equal(n, cases[i].len);
		assert_int_equal(tcp_repr_hdr_len(&r), n);
		assert_tail_untouched(buf, n, sizeof(buf));
		assert_memory_equal(buf, ((const uint8_t[]){0,
		                                            1,
		                                            0,
		                                            2,
		                                            0,
		                                            0,
		                                            0,
		                                            3,
		                                            0,
		                                            0,
		                                            0,
		                                            4,
		                                            (uint8_t)(n / 4 << 4),
		                                            cases[i].flags,
		                                            0,
		                                            5,
		                                            0xbe,
		                                            0xef,
		                                            0,
		                                            6}),
		                    20);
		assert_memory_equal(buf + 20, cases[i].opts, n - 20);
		/* What was written parses back. */
		{
			struct tcp_repr p;

			assert_int_equal(tcp_parse(&p, buf, n), TCP_OK);
			assert_int_equal(p.hdr_len, n);
			assert_int_equal(p.flags, r.flags);
			assert_int_equal(p.has_ts, r.has_ts);
		}
	}
}

/* tcp_set_csum() over an odd-length segment agrees with tcp_csum_ok() and the vector's
 * pseudo-header. */
static void test_odd_length_csum(void **state)
{
	struct tcp_repr r;
	uint8_t seg[21];
	const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
	uint32_t ph = csum_pseudo_v4(src, dst, IP_PROTO_TCP, sizeof(seg));

	(void)state;
	memset(&r, 0, sizeof(r));
	r.src_port = 7;
	r.dst_port = 9;
	r.flags = TCP_ACK | TCP_PSH;
	r.wscale = -1;
	assert_int_equal(tcp_emit(&r, seg), 20);
	seg[20] = 'x';
	tcp_set_csum(seg, sizeof(seg), ph);
	assert_true(tcp_csum_ok(seg, sizeof(seg), ph));
	seg[20] = 'y';
	assert_false(tcp_csum_ok(seg, sizeof(seg), ph));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_syn),           cmocka_unit_test(test_parse_synack),
	    cmocka_unit_test(test_parse_data_and_sack), cmocka_unit_test(test_checksums),
	    cmocka_unit_test(test_emit_roundtrip),      cmocka_unit_test(test_emit_syn_fields),
	    cmocka_unit_test(test_truncated),           cmocka_unit_test(test_bad_offset),
	    cmocka_unit_test(test_options_malformed),   cmocka_unit_test(test_options_edge_cases),
	    cmocka_unit_test(test_options_sack_blocks), cmocka_unit_test(test_emit_layouts),
	    cmocka_unit_test(test_odd_length_csum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
