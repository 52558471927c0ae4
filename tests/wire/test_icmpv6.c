/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: ICMPv6 (RFC 4443), Neighbor Discovery messages and options (RFC 4861, the
 * RFC 7527 nonce) and MLD (RFC 2710, RFC 3810). Captured vectors from
 * tests/wire/ipv6_vectors.h; MLD queries are hand-built from RFC 3810 5.1 (Linux sends none
 * as a host), their bytes worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipv6_vectors.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#define IP(f) ((f) + ETH_HLEN)

static const struct ns_mac mac1 = {{0x02, 0, 0, 0, 0, 0x01}};
static const uint8_t addr1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t addr2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* The ICMPv6 message of a captured frame (after a hop-by-hop header if there is one). */
struct msg {
	const uint8_t *ip;
	const uint8_t *m;
	uint32_t len;
	uint32_t pseudo;
};

static struct msg msg_of(const uint8_t *frame)
{
	struct msg r;
	uint32_t off = IPV6_HLEN;

	r.ip = IP(frame);
	if (ipv6_get_next_header(r.ip) == IPV6_NH_HOPOPTS)
		off += 8;
	r.m = r.ip + off;
	r.len = IPV6_HLEN + ipv6_get_payload_len(r.ip) - off;
	r.pseudo = csum_pseudo_v6(ipv6_get_src(r.ip), ipv6_get_dst(r.ip), 58, r.len);
	return r;
}

static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

/* ---------------------------------------------------------------- ICMPv6 */

static void test_every_checksum(void **state)
{
	const uint8_t *frames[] = {
	    echo_request_frame, echo_reply_frame, port_unreach_frame, param_next_header_frame,
	    param_option_frame, param_rh0_frame,  ns_frame,           dad_ns_frame,
	    na_frame,           rs_frame,         ra_frame,           mld2_report_frame,
	    mld2_report3_frame};

	(void)state;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		struct msg m = msg_of(frames[i]);
		uint8_t copy[128];

		assert_true(icmpv6_csum_ok(m.m, m.len, m.pseudo));
		/* One flipped bit anywhere, or another pseudo-header, fails it. */
		memcpy(copy, m.m, m.len);
		copy[m.len - 1] ^= 0x10;
		assert_false(icmpv6_csum_ok(copy, m.len, m.pseudo));
		assert_false(icmpv6_csum_ok(m.m, m.len, m.pseudo + 1));
	}
}

static void test_echo(void **state)
{
	struct msg m = msg_of(echo_request_frame);
	struct icmpv6_repr r;
	uint8_t buf[64];

	(void)state;
	assert_true(icmpv6_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ECHO_REQUEST);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.csum, 0x0014);
	assert_int_equal(r.id, 0x343f);
	assert_int_equal(r.seq, 1);
	assert_false(icmpv6_is_error(r.type));
	/* Emit over the same body into a 0xa5 buffer: the same bytes, checksum included. */
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf + ICMPV6_HLEN, m.m + ICMPV6_HLEN, m.len - ICMPV6_HLEN);
	r.csum = 0x1111; /* ignored */
	r.rest = 0;      /* ignored for echo */
	icmpv6_emit(&r, buf, m.len, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, m.len, sizeof(buf));

	m = msg_of(echo_reply_frame);
	assert_true(icmpv6_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ECHO_REPLY);
	assert_int_equal(r.id, 0x4242);
	assert_int_equal(r.seq, 7);
	assert_memory_equal(m.m + ICMPV6_HLEN, "netstack ping!", 14);
	for (size_t n = 0; n < ICMPV6_HLEN; n++)
		assert_false(icmpv6_parse(&r, m.m, n));
}

static void test_errors(void **state)
{
	struct {
		const uint8_t *frame;
		uint8_t type, code;
		uint32_t rest;
	} v[] = {
	    {port_unreach_frame, ICMPV6_DEST_UNREACH, ICMPV6_UNREACH_PORT, 0},
	    {param_next_header_frame, ICMPV6_PARAM_PROBLEM, ICMPV6_PARAM_NEXT_HDR, 40},
	    {param_option_frame, ICMPV6_PARAM_PROBLEM, ICMPV6_PARAM_OPTION, 42},
	    {param_rh0_frame, ICMPV6_PARAM_PROBLEM, ICMPV6_PARAM_HEADER, 42},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct msg m = msg_of(v[i].frame);
		struct icmpv6_repr r;
		uint8_t buf[160];

		assert_true(icmpv6_parse(&r, m.m, m.len));
		assert_int_equal(r.type, v[i].type);
		assert_int_equal(r.code, v[i].code);
		assert_int_equal(r.rest, v[i].rest);
		assert_true(icmpv6_is_error(r.type));
		/* The quote is the packet we wrote, from its IPv6 header on. */
		assert_int_equal(ipv6_get_version(m.m + ICMPV6_HLEN), 6);
		assert_memory_equal(ipv6_get_src(m.m + ICMPV6_HLEN), addr2, 16);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf + ICMPV6_HLEN, m.m + ICMPV6_HLEN, m.len - ICMPV6_HLEN);
		icmpv6_emit(&r, buf, m.len, m.pseudo);
		assert_memory_equal(buf, m.m, m.len);
		assert_tail_untouched(buf, m.len, sizeof(buf));
	}
}

/* A packet too big carries the MTU in bytes 4..7 (RFC 4443 3.2). Hand-built: MTU 1280. */
static void test_packet_too_big(void **state)
{
	uint8_t buf[ICMPV6_HLEN + 48];
	struct icmpv6_repr r = {.type = ICMPV6_PACKET_TOO_BIG, .rest = 1280};
	struct icmpv6_repr p;
	uint32_t ps = csum_pseudo_v6(addr1, addr2, 58, sizeof(buf));

	(void)state;
	memcpy(buf + ICMPV6_HLEN, IP(echo_request_frame), 48);
	icmpv6_emit(&r, buf, sizeof(buf), ps);
	assert_int_equal(rd32(buf + 4), 1280);
	assert_true(icmpv6_csum_ok(buf, sizeof(buf), ps));
	assert_true(icmpv6_parse(&p, buf, sizeof(buf)));
	assert_int_equal(p.rest, 1280);
}

/* ---------------------------------------------------------------- Neighbor Discovery */

static void test_ndp_ns(void **state)
{
	struct msg m = msg_of(ns_frame);
	struct ndp_repr r;
	struct ndp_opt_iter it;
	struct ndp_opt o;
	struct ns_mac mac;
	uint8_t buf[64];
	uint32_t n;

	(void)state;
	assert_true(ndp_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ND_NS);
	assert_int_equal(r.code, 0);
	assert_memory_equal(r.target, addr2, 16);
	assert_int_equal(r.opts_len, 8);
	ndp_opt_iter_init(&it, r.opts, r.opts_len);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(o.type, NDP_OPT_SLLA);
	assert_int_equal(o.len, 8);
	assert_true(ndp_opt_lla(&o, &mac));
	assert_memory_equal(mac.b, mac1.b, 6);
	assert_int_equal(ndp_opt_next(&it, &o), 0);
	assert_true(ndp_opts_valid(r.opts, r.opts_len));

	/* Rebuild it: fixed part, option, checksum. */
	memset(buf, 0xa5, sizeof(buf));
	ndp_emit(&r, buf);
	n = NDP_NS_LEN + ndp_opt_emit_lla(buf + NDP_NS_LEN, NDP_OPT_SLLA, &mac1);
	assert_int_equal(n, m.len);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, n);
	assert_tail_untouched(buf, n, sizeof(buf));

	for (size_t len = 0; len < NDP_NS_LEN; len++)
		assert_false(ndp_parse(&r, m.m, len));
}

static void test_ndp_dad_nonce(void **state)
{
	static const uint8_t ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 1};
	static const uint8_t nonce[6] = {0xf8, 0xcb, 0x60, 0x70, 0x98, 0xcc};
	struct msg m = msg_of(dad_ns_frame);
	struct ndp_repr r;
	struct ndp_opt_iter it;
	struct ndp_opt o;
	uint8_t got[6], buf[64];
	struct ns_mac mac;
	uint32_t n;

	(void)state;
	assert_true(ipv6_addr_is_unspecified(ipv6_get_src(m.ip)));
	assert_true(ndp_parse(&r, m.m, m.len));
	assert_memory_equal(r.target, ll, 16);
	ndp_opt_iter_init(&it, r.opts, r.opts_len);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(o.type, NDP_OPT_NONCE);
	assert_false(ndp_opt_lla(&o, &mac));
	assert_true(ndp_opt_nonce(&o, got));
	assert_memory_equal(got, nonce, 6);
	assert_int_equal(ndp_opt_next(&it, &o), 0);

	memset(buf, 0xa5, sizeof(buf));
	ndp_emit(&r, buf);
	n = NDP_NS_LEN + ndp_opt_emit_nonce(buf + NDP_NS_LEN, nonce);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, n, sizeof(buf));
}

static void test_ndp_na(void **state)
{
	struct msg m = msg_of(na_frame);
	struct ndp_repr r;
	struct ndp_opt_iter it;
	struct ndp_opt o;
	struct ns_mac mac;
	uint8_t buf[64];
	uint32_t n;

	(void)state;
	assert_true(ndp_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ND_NA);
	assert_int_equal(r.na_flags, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
	assert_memory_equal(r.target, addr1, 16);
	ndp_opt_iter_init(&it, r.opts, r.opts_len);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(o.type, NDP_OPT_TLLA);
	assert_true(ndp_opt_lla(&o, &mac));
	assert_memory_equal(mac.b, mac1.b, 6);

	memset(buf, 0xa5, sizeof(buf));
	ndp_emit(&r, buf);
	n = NDP_NA_LEN + ndp_opt_emit_lla(buf + NDP_NA_LEN, NDP_OPT_TLLA, &mac1);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, n, sizeof(buf));
	for (size_t len = 0; len < NDP_NA_LEN; len++)
		assert_false(ndp_parse(&r, m.m, len));
}

static void test_ndp_rs(void **state)
{
	struct msg m = msg_of(rs_frame);
	struct ndp_repr r;
	uint8_t buf[32];
	uint32_t n;

	(void)state;
	assert_true(ndp_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ND_RS);
	assert_int_equal(r.opts_len, 8);
	memset(buf, 0xa5, sizeof(buf));
	ndp_emit(&r, buf);
	n = NDP_RS_LEN + ndp_opt_emit_lla(buf + NDP_RS_LEN, NDP_OPT_SLLA, &mac1);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, n, sizeof(buf));
	for (size_t len = 0; len < NDP_RS_LEN; len++)
		assert_false(ndp_parse(&r, m.m, len));
}

static void test_ndp_ra(void **state)
{
	static const uint8_t pfx[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
	struct msg m = msg_of(ra_frame);
	struct ndp_repr r;
	struct ndp_opt_iter it;
	struct ndp_opt o;
	struct ndp_prefix p;
	struct ns_mac mac;
	uint32_t mtu, n;
	uint8_t buf[96];

	(void)state;
	assert_true(ndp_parse(&r, m.m, m.len));
	assert_int_equal(r.type, ICMPV6_ND_RA);
	assert_int_equal(r.cur_hop_limit, 64);
	assert_int_equal(r.ra_flags, 0);
	assert_int_equal(r.router_lifetime, 1800);
	assert_int_equal(r.reachable_time, 0);
	assert_int_equal(r.retrans_timer, 0);
	ndp_opt_iter_init(&it, r.opts, r.opts_len);
	/* radvd's order: prefix, MTU, source link-layer address. */
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_true(ndp_opt_prefix(&o, &p));
	assert_int_equal(p.prefix_len, 64);
	assert_int_equal(p.flags, NDP_PREFIX_ONLINK | NDP_PREFIX_AUTO);
	assert_int_equal(p.valid, 86400);
	assert_int_equal(p.preferred, 14400);
	assert_memory_equal(p.prefix, pfx, 16);
	assert_false(ndp_opt_mtu(&o, &mtu));
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_true(ndp_opt_mtu(&o, &mtu));
	assert_int_equal(mtu, 1400);
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_true(ndp_opt_lla(&o, &mac));
	assert_memory_equal(mac.b, mac1.b, 6);
	assert_int_equal(ndp_opt_next(&it, &o), 0);

	memset(buf, 0xa5, sizeof(buf));
	ndp_emit(&r, buf);
	n = NDP_RA_LEN;
	n += ndp_opt_emit_prefix(buf + n, &p);
	n += ndp_opt_emit_mtu(buf + n, 1400);
	n += ndp_opt_emit_lla(buf + n, NDP_OPT_SLLA, &mac1);
	assert_int_equal(n, m.len);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, n, sizeof(buf));
	for (size_t len = 0; len < NDP_RA_LEN; len++)
		assert_false(ndp_parse(&r, m.m, len));
}

/* RFC 4861 4.6: a zero length, or one past the end, is malformed. Hand-built. */
static void test_ndp_bad_options(void **state)
{
	static const uint8_t zero_len[8] = {NDP_OPT_SLLA, 0, 2, 0, 0, 0, 0, 1};
	static const uint8_t overrun[16] = {NDP_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1,
	                                    NDP_OPT_MTU,  2, 0, 0, 0, 0, 5, 0x78};
	static const uint8_t odd[9] = {NDP_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1, NDP_OPT_MTU};
	struct ndp_opt_iter it;
	struct ndp_opt o;
	struct ndp_prefix p;
	uint32_t mtu;

	(void)state;
	assert_false(ndp_opts_valid(zero_len, sizeof(zero_len)));
	assert_false(ndp_opts_valid(overrun, sizeof(overrun)));
	assert_false(ndp_opts_valid(odd, sizeof(odd)));
	assert_true(ndp_opts_valid(overrun, 8));
	assert_true(ndp_opts_valid(overrun, 0));
	ndp_opt_iter_init(&it, overrun, sizeof(overrun));
	assert_int_equal(ndp_opt_next(&it, &o), 1);
	assert_int_equal(ndp_opt_next(&it, &o), -1);
	/* Options of the wrong size are not decoded as what their type says. */
	o.type = NDP_OPT_MTU;
	o.len = 16;
	o.p = overrun + 8;
	assert_false(ndp_opt_mtu(&o, &mtu));
	o.type = NDP_OPT_PREFIX;
	assert_false(ndp_opt_prefix(&o, &p));
	assert_int_equal(ndp_fixed_len(ICMPV6_ECHO_REQUEST), 0);
	{
		struct ndp_repr r;
		uint8_t echo[8] = {ICMPV6_ECHO_REQUEST};
		assert_false(ndp_parse(&r, echo, sizeof(echo)));
	}
}

/* ---------------------------------------------------------------- MLD */

static void test_mld2_report(void **state)
{
	/* A router joins the solicited-node group of its subnet-router anycast address
	 * 2001:db8:1:: (RFC 4291 2.6.1), and the all-routers groups. */
	static const uint8_t sn0[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	static const uint8_t ff05_2[16] = {0xff, 0x05, [15] = 2};
	static const uint8_t ff02_2[16] = {0xff, 0x02, [15] = 2};
	static const uint8_t sn1[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 1};
	const uint8_t *groups[3] = {sn0, ff05_2, ff02_2};
	struct msg m = msg_of(mld2_report3_frame);
	struct mld2_record_iter it;
	struct mld2_record recs[3];
	uint8_t buf[96];
	size_t n;

	(void)state;
	assert_int_equal(m.m[0], ICMPV6_MLD2_REPORT);
	assert_true(mld2_report_parse(&it, m.m, m.len));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mld2_record_next(&it, &recs[i]), 1);
		assert_int_equal(recs[i].type, MLD2_CHANGE_TO_EXCLUDE);
		assert_int_equal(recs[i].nsources, 0);
		assert_memory_equal(recs[i].group, groups[i], 16);
	}
	assert_int_equal(mld2_record_next(&it, &recs[0]), 0);
	assert_int_equal(mld2_report_len(recs, 3), m.len);

	memset(buf, 0xa5, sizeof(buf));
	n = mld2_report_emit(buf, recs, 3);
	assert_int_equal(n, m.len);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);
	assert_tail_untouched(buf, n, sizeof(buf));

	/* The one-record report Linux sent first. */
	m = msg_of(mld2_report_frame);
	memcpy(recs[0].group, sn1, 16);
	memset(buf, 0xa5, sizeof(buf));
	n = mld2_report_emit(buf, recs, 1);
	icmpv6_csum_store(buf, n, m.pseudo);
	assert_memory_equal(buf, m.m, m.len);

	/* Truncated: the header, or a record cut short. */
	m = msg_of(mld2_report3_frame);
	for (size_t len = 0; len < MLD2_REPORT_HLEN; len++)
		assert_false(mld2_report_parse(&it, m.m, len));
	for (size_t len = MLD2_REPORT_HLEN; len < m.len; len++) {
		int r, got = 0;

		assert_true(mld2_report_parse(&it, m.m, len));
		while ((r = mld2_record_next(&it, &recs[0])) == 1)
			got++;
		assert_int_equal(r, -1);
		assert_int_equal(got, (int)((len - MLD2_REPORT_HLEN) / MLD2_RECORD_HLEN));
	}
}

/* A record with sources and auxiliary data (RFC 3810 5.2.4): the walker skips both. */
static void test_mld2_record_sources(void **state)
{
	uint8_t buf[8 + 20 + 32 + 4 + 20];
	struct mld2_record_iter it;
	struct mld2_record r;

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = ICMPV6_MLD2_REPORT;
	wr16(buf + 6, 2);
	buf[8] = MLD2_MODE_IS_INCLUDE;
	buf[9] = 1;        /* one word of auxiliary data */
	wr16(buf + 10, 2); /* two sources */
	buf[12] = 0xff;
	buf[13] = 0x0e;
	memcpy(buf + 28, addr1, 16);
	memcpy(buf + 44, addr2, 16);
	buf[64] = MLD2_ALLOW_NEW_SOURCES;
	buf[68] = 0xff;
	assert_true(mld2_report_parse(&it, buf, sizeof(buf)));
	assert_int_equal(mld2_record_next(&it, &r), 1);
	assert_int_equal(r.type, MLD2_MODE_IS_INCLUDE);
	assert_int_equal(r.nsources, 2);
	assert_memory_equal(r.sources, addr1, 16);
	assert_memory_equal(r.sources + 16, addr2, 16);
	assert_int_equal(mld2_record_next(&it, &r), 1);
	assert_int_equal(r.type, MLD2_ALLOW_NEW_SOURCES);
	assert_int_equal(r.group[0], 0xff);
	assert_int_equal(mld2_record_next(&it, &r), 0);
	assert_true(mld2_report_parse(&it, buf, sizeof(buf) - 1));
	assert_int_equal(mld2_record_next(&it, &r), 1);
	assert_int_equal(mld2_record_next(&it, &r), -1);
}

/*
 * An MLDv2 general query as a Linux bridge querier sends it (RFC 3810 5.1): Maximum
 * Response Code 10000 (10 s, below 32768 so literal: 0x2710), group ::, S 0, QRV 2,
 * QQIC 125, no sources. Bytes: 82 00 cksum 27 10 00 00 <16 zero> 02 7d 00 00.
 */
static void test_mld_query_v2(void **state)
{
	uint8_t want[28] = {0x82, 0, 0, 0, 0x27, 0x10, 0, 0};
	struct mld_query q = {.v2 = true, .max_resp_ms = 10000, .qrv = 2, .qqi_s = 125};
	struct mld_query p;
	uint8_t buf[40];

	(void)state;
	want[24] = 0x02;
	want[25] = 0x7d;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(mld_query_emit(&q, buf), 28);
	assert_memory_equal(buf, want, 28);
	assert_tail_untouched(buf, 28, sizeof(buf));
	assert_true(mld_query_parse(&p, buf, 28));
	assert_true(p.v2);
	assert_int_equal(p.max_resp_ms, 10000);
	assert_int_equal(p.qrv, 2);
	assert_int_equal(p.qqi_s, 125);
	assert_int_equal(p.nsources, 0);
	assert_false(p.suppress);
	/* RFC 3810 8.1: 24 bytes is MLDv1, 25..27 is nothing. */
	assert_true(mld_query_parse(&p, buf, 24));
	assert_false(p.v2);
	for (size_t len = 0; len < 28; len++)
		if (len != 24)
			assert_false(mld_query_parse(&p, buf, len));
}

/*
 * The floating-point forms (RFC 3810 5.1.3, 5.1.9): Maximum Response Code 0xd234 is
 * exp 5, mant 0x234: (0x234 | 0x1000) << (5 + 3) = 0x123400 ms; QQIC 0xa5 is exp 2, mant 5:
 * (0x15) << 5 = 672 s. A group-and-source query with S set and one source.
 */
static void test_mld_query_float(void **state)
{
	uint8_t buf[44] = {0x82, 0, 0, 0, 0xd2, 0x34, 0, 0, 0xff, 0x0e, [23] = 0x07};
	struct mld_query p, q;
	uint8_t out[44];

	(void)state;
	buf[24] = 0x08 | 0x03;
	buf[25] = 0xa5;
	wr16(buf + 26, 1);
	memcpy(buf + 28, addr1, 16);
	assert_true(mld_query_parse(&p, buf, sizeof(buf)));
	assert_int_equal(p.max_resp_ms, 0x123400);
	assert_int_equal(p.qqi_s, 672);
	assert_true(p.suppress);
	assert_int_equal(p.qrv, 3);
	assert_int_equal(p.nsources, 1);
	assert_memory_equal(p.sources, addr1, 16);
	assert_int_equal(p.group[0], 0xff);
	assert_int_equal(p.group[15], 0x07);
	/* Encoding gives the same bytes back. */
	q = p;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(mld_query_emit(&q, out), 44);
	assert_memory_equal(out, buf, 44);
	/* A source list longer than the message is refused. */
	wr16(buf + 26, 2);
	assert_false(mld_query_parse(&p, buf, sizeof(buf)));
}

/* MLDv1 report and done (RFC 2710 3): 24 bytes, the group at 8..23. */
static void test_mld1(void **state)
{
	static const uint8_t g[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 2};
	uint8_t buf[32];

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	mld1_emit(buf, ICMPV6_MLD_REPORT, g);
	assert_int_equal(buf[0], 131);
	assert_int_equal(rd32(buf + 4), 0);
	assert_memory_equal(mld1_group(buf, 24), g, 16);
	assert_tail_untouched(buf, 24, sizeof(buf));
	assert_null(mld1_group(buf, 23));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_checksum), cmocka_unit_test(test_echo),
	    cmocka_unit_test(test_errors),         cmocka_unit_test(test_packet_too_big),
	    cmocka_unit_test(test_ndp_ns),         cmocka_unit_test(test_ndp_dad_nonce),
	    cmocka_unit_test(test_ndp_na),         cmocka_unit_test(test_ndp_rs),
	    cmocka_unit_test(test_ndp_ra),         cmocka_unit_test(test_ndp_bad_options),
	    cmocka_unit_test(test_mld2_report),    cmocka_unit_test(test_mld2_record_sources),
	    cmocka_unit_test(test_mld_query_v2),   cmocka_unit_test(test_mld_query_float),
	    cmocka_unit_test(test_mld1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
