/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: the IPv6 header, extension headers and options (RFC 8200), address classes
 * (RFC 4291). Vectors: tests/wire/ipv6_vectors.h (captured from Linux); the fragment and
 * extension-header vectors below are hand-built, their source noted.
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
#include "wire/ipv6.h"

#define IP(f)     ((f) + ETH_HLEN)
#define IP_LEN(f) (sizeof(f) - ETH_HLEN)

static const uint8_t addr1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t addr2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t all_mldv2_routers[16] = {0xff, 0x02, [15] = 0x16};

static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

static void test_parse_echo_request(void **state)
{
	struct ipv6_repr r;

	(void)state;
	assert_int_equal(ipv6_parse(&r, IP(echo_request_frame), IP_LEN(echo_request_frame)),
	                 IPV6_OK);
	assert_int_equal(r.tclass, 0);
	assert_int_equal(r.flow, 0xa708d); /* Linux's auto flow label */
	assert_int_equal(r.payload_len, 24);
	assert_int_equal(r.next_header, IPV6_NH_ICMPV6);
	assert_int_equal(r.hop_limit, 64);
	assert_memory_equal(r.src, addr1, 16);
	assert_memory_equal(r.dst, addr2, 16);
	/* The accessors agree. */
	assert_int_equal(ipv6_get_version(IP(echo_request_frame)), 6);
	assert_int_equal(ipv6_get_tclass(IP(echo_request_frame)), 0);
	assert_int_equal(ipv6_get_flow(IP(echo_request_frame)), 0xa708d);
	assert_int_equal(ipv6_get_payload_len(IP(echo_request_frame)), 24);
	assert_int_equal(ipv6_get_next_header(IP(echo_request_frame)), 58);
	assert_int_equal(ipv6_get_hop_limit(IP(echo_request_frame)), 64);
	assert_memory_equal(ipv6_get_src(IP(echo_request_frame)), addr1, 16);
	assert_memory_equal(ipv6_get_dst(IP(echo_request_frame)), addr2, 16);
}

static void test_parse_mld_report(void **state)
{
	static const uint8_t zero[16];
	struct ipv6_repr r;

	(void)state;
	assert_int_equal(ipv6_parse(&r, IP(mld2_report_frame), IP_LEN(mld2_report_frame)), IPV6_OK);
	assert_int_equal(r.payload_len, 36);
	assert_int_equal(r.next_header, IPV6_NH_HOPOPTS);
	assert_int_equal(r.hop_limit, 1);
	assert_memory_equal(r.src, zero, 16);
	assert_memory_equal(r.dst, all_mldv2_routers, 16);
}

/* A traffic class and flow label that use every bit, hand-made: 0x6ab12345 is version 6,
 * traffic class 0xab, flow 0x12345. */
static void test_tclass_flow_bits(void **state)
{
	uint8_t buf[IPV6_HLEN];
	struct ipv6_repr r = {.tclass = 0xab,
	                      .flow = 0xf12345,
	                      .payload_len = 0,
	                      .next_header = 59,
	                      .hop_limit = 255};
	struct ipv6_repr p;

	(void)state;
	ipv6_emit(&r, buf);
	assert_int_equal(rd32(buf), 0x6ab12345); /* the flow is masked to 20 bits */
	assert_int_equal(ipv6_parse(&p, buf, sizeof(buf)), IPV6_OK);
	assert_int_equal(p.tclass, 0xab);
	assert_int_equal(p.flow, 0x12345);
	assert_int_equal(p.next_header, IPV6_NH_NONE);
}

/* Parse then emit into a 0xa5-filled buffer reproduces each captured header exactly. */
static void test_emit_round_trip(void **state)
{
	const uint8_t *frames[] = {IP(echo_request_frame), IP(mld2_report_frame), IP(ra_frame),
	                           IP(port_unreach_frame), IP(dad_ns_frame)};
	const size_t lens[] = {IP_LEN(echo_request_frame), IP_LEN(mld2_report_frame),
	                       IP_LEN(ra_frame), IP_LEN(port_unreach_frame), IP_LEN(dad_ns_frame)};

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct ipv6_repr r;
		uint8_t buf[64];

		assert_int_equal(ipv6_parse(&r, frames[i], lens[i]), IPV6_OK);
		memset(buf, 0xa5, sizeof(buf));
		ipv6_emit(&r, buf);
		assert_memory_equal(buf, frames[i], IPV6_HLEN);
		assert_tail_untouched(buf, IPV6_HLEN, sizeof(buf));
	}
}

static void test_truncated(void **state)
{
	const uint8_t *p = IP(port_unreach_frame);
	struct ipv6_repr r;

	(void)state;
	for (size_t len = 0; len < IP_LEN(port_unreach_frame); len++)
		assert_int_equal(ipv6_parse(&r, p, len), IPV6_E_TRUNCATED);
}

/* Ethernet padding after the payload is accepted (the caller trims it). */
static void test_padding(void **state)
{
	uint8_t frame[200];
	struct ipv6_repr r;

	(void)state;
	memset(frame, 0, sizeof(frame));
	memcpy(frame, echo_reply_frame, sizeof(echo_reply_frame));
	assert_int_equal(ipv6_parse(&r, IP(frame), sizeof(frame) - ETH_HLEN), IPV6_OK);
	assert_int_equal(r.payload_len, 22);
}

static void test_bad_version(void **state)
{
	uint8_t ip[IPV6_HLEN + 24];
	struct ipv6_repr r;

	(void)state;
	memcpy(ip, IP(echo_request_frame), sizeof(ip));
	for (unsigned v = 0; v < 16; v++) {
		ip[0] = (uint8_t)(v << 4 | (ip[0] & 0x0f));
		assert_int_equal(ipv6_parse(&r, ip, sizeof(ip)), v == 6 ? IPV6_OK : IPV6_E_VERSION);
	}
	assert_string_equal(ipv6_strerror(IPV6_E_VERSION), "bad version");
	assert_string_equal(ipv6_strerror(IPV6_E_TRUNCATED), "truncated");
}

/* ---------------------------------------------------------------- extension headers */

/* The MLD report's hop-by-hop header: next header 58, length 0 (8 bytes), Router Alert
 * (type 5, 2 bytes, value 0 = MLD, RFC 2711) and a PadN of length 0. */
static void test_hbh_router_alert(void **state)
{
	const uint8_t *h = IP(mld2_report_frame) + IPV6_HLEN;
	size_t avail = IP_LEN(mld2_report_frame) - IPV6_HLEN;
	struct ipv6_opt_iter it;
	struct ipv6_opt o;

	(void)state;
	assert_int_equal(ipv6_ext_len(IPV6_NH_HOPOPTS, h, avail), 8);
	assert_int_equal(h[0], IPV6_NH_ICMPV6);
	ipv6_opt_iter_init(&it, h, 8);
	assert_int_equal(ipv6_opt_next(&it, &o), 1);
	assert_int_equal(o.type, IPV6_OPT_ROUTER_ALERT);
	assert_int_equal(o.len, 2);
	assert_int_equal(o.off, 2);
	assert_int_equal(rd16(o.data), IPV6_RA_MLD);
	assert_int_equal(ipv6_opt_next(&it, &o), 1);
	assert_int_equal(o.type, IPV6_OPT_PADN);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.off, 6);
	assert_int_equal(ipv6_opt_next(&it, &o), 0);
	assert_int_equal(ipv6_opt_next(&it, &o), 0);
	/* Every truncation of the header is refused. */
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(ipv6_ext_len(IPV6_NH_HOPOPTS, h, n), 0);
}

/* The packet Linux quoted in its RFC 5095 parameter problem: a routing header (next
 * header 59, length 2 = 24 bytes, type 0, segments left 1, one address 2001:db8::3). */
static void test_routing_header(void **state)
{
	/* ICMPv6 header (8) then the quoted IPv6 header (40). */
	const uint8_t *q = IP(param_rh0_frame) + IPV6_HLEN + 8;
	const uint8_t *rh = q + IPV6_HLEN;
	size_t avail = IP_LEN(param_rh0_frame) - IPV6_HLEN - 8 - IPV6_HLEN;
	struct ipv6_rh_repr r;

	(void)state;
	assert_int_equal(ipv6_get_next_header(q), IPV6_NH_ROUTING);
	assert_int_equal(ipv6_ext_len(IPV6_NH_ROUTING, rh, avail), 24);
	assert_true(ipv6_rh_parse(&r, rh, avail));
	assert_int_equal(r.next_header, IPV6_NH_NONE);
	assert_int_equal(r.hdr_ext_len, 2);
	assert_int_equal(r.type, IPV6_RT_TYPE0);
	assert_int_equal(r.segments_left, 1);
	for (size_t n = 0; n < 24; n++)
		assert_false(ipv6_rh_parse(&r, rh, n));
}

/* The quoted destination options header of Linux's parameter problems: PadN of 4 bytes,
 * then (second packet) option 0x80 of 4 bytes. */
static void test_dst_options(void **state)
{
	const uint8_t *d1 = IP(param_next_header_frame) + IPV6_HLEN + 8 + IPV6_HLEN;
	const uint8_t *d2 = IP(param_option_frame) + IPV6_HLEN + 8 + IPV6_HLEN;
	struct ipv6_opt_iter it;
	struct ipv6_opt o;

	(void)state;
	assert_int_equal(d1[0], 253);
	assert_int_equal(ipv6_ext_len(IPV6_NH_DSTOPTS, d1, 16), 8);
	ipv6_opt_iter_init(&it, d1, 8);
	assert_int_equal(ipv6_opt_next(&it, &o), 1);
	assert_int_equal(o.type, IPV6_OPT_PADN);
	assert_int_equal(o.len, 4);
	assert_int_equal(ipv6_opt_next(&it, &o), 0);

	ipv6_opt_iter_init(&it, d2, 8);
	assert_int_equal(ipv6_opt_next(&it, &o), 1);
	assert_int_equal(o.type, 0x80);
	assert_int_equal(o.off, 2); /* Linux's pointer 42 = 40 + 2 */
	assert_int_equal(ipv6_opt_action(o.type), IPV6_OPT_DISCARD_ICMP);
}

/* Pad1 has no length octet (RFC 8200 4.2); an option whose length runs past the header is
 * malformed. Hand-built. */
static void test_option_walker_edges(void **state)
{
	static const uint8_t pad1s[8] = {6, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t overrun[8] = {6, 0, 1, 5, 0, 0, 0, 0};
	static const uint8_t cut[8] = {6, 0, 0, 0, 0, 0, 0, 0x3e}; /* last byte: a type, no len */
	struct ipv6_opt_iter it;
	struct ipv6_opt o;
	int n = 0, r;

	(void)state;
	ipv6_opt_iter_init(&it, pad1s, 8);
	while ((r = ipv6_opt_next(&it, &o)) == 1) {
		assert_int_equal(o.type, IPV6_OPT_PAD1);
		assert_int_equal(o.off, 2 + n);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 6);

	ipv6_opt_iter_init(&it, overrun, 8);
	assert_int_equal(ipv6_opt_next(&it, &o), -1);

	ipv6_opt_iter_init(&it, cut, 8);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ipv6_opt_next(&it, &o), 1);
	assert_int_equal(ipv6_opt_next(&it, &o), -1);
}

static void test_option_actions(void **state)
{
	(void)state;
	/* RFC 8200 4.2: the two high-order bits. */
	assert_int_equal(ipv6_opt_action(0x1e), IPV6_OPT_SKIP);
	assert_int_equal(ipv6_opt_action(0x5e), IPV6_OPT_DISCARD);
	assert_int_equal(ipv6_opt_action(0x9e), IPV6_OPT_DISCARD_ICMP);
	assert_int_equal(ipv6_opt_action(0xde), IPV6_OPT_DISCARD_UCAST);
	assert_int_equal(ipv6_opt_action(IPV6_OPT_JUMBO), IPV6_OPT_DISCARD_UCAST);
}

/* The two fragment headers tests/wire/capture_ipv6.py wrote (Linux reassembled them and
 * answered): next header 58, id 0xbeef, offset 0 with M set, then offset 256. */
static void test_fragment_header(void **state)
{
	static const uint8_t first[8] = {0x3a, 0x00, 0x00, 0x01, 0x00, 0x00, 0xbe, 0xef};
	static const uint8_t last[8] = {0x3a, 0x00, 0x01, 0x00, 0x00, 0x00, 0xbe, 0xef};
	struct ipv6_frag_repr r;
	uint8_t buf[12];

	(void)state;
	assert_true(ipv6_frag_parse(&r, first, 8));
	assert_int_equal(r.next_header, 58);
	assert_int_equal(r.offset, 0);
	assert_true(r.more);
	assert_int_equal(r.id, 0xbeef);
	memset(buf, 0xa5, sizeof(buf));
	ipv6_frag_emit(&r, buf);
	assert_memory_equal(buf, first, 8);
	assert_tail_untouched(buf, 8, sizeof(buf));

	assert_true(ipv6_frag_parse(&r, last, 8));
	assert_int_equal(r.offset, 256);
	assert_false(r.more);
	memset(buf, 0xa5, sizeof(buf));
	ipv6_frag_emit(&r, buf);
	assert_memory_equal(buf, last, 8);

	for (size_t n = 0; n < 8; n++)
		assert_false(ipv6_frag_parse(&r, first, n));
	assert_int_equal(ipv6_ext_len(IPV6_NH_FRAGMENT, first, 8), 8);
	assert_int_equal(ipv6_ext_len(IPV6_NH_FRAGMENT, first, 7), 0);
}

/* AH's length counts 4-octet units minus 2 (RFC 4302 2.2); unknown types have none. */
static void test_ext_len_kinds(void **state)
{
	static const uint8_t ah[24] = {6, 4};
	static const uint8_t hbh[16] = {6, 1};

	(void)state;
	assert_int_equal(ipv6_ext_len(IPV6_NH_AH, ah, sizeof(ah)), 24);
	assert_int_equal(ipv6_ext_len(IPV6_NH_AH, ah, 23), 0);
	assert_int_equal(ipv6_ext_len(IPV6_NH_DSTOPTS, hbh, 16), 16);
	assert_int_equal(ipv6_ext_len(IPV6_NH_DSTOPTS, hbh, 15), 0);
	assert_int_equal(ipv6_ext_len(IPV6_NH_UDP, hbh, 16), 0);
	assert_int_equal(ipv6_ext_len(IPV6_NH_HOPOPTS, hbh, 1), 0);
	assert_true(ipv6_nh_is_ext(IPV6_NH_HOPOPTS));
	assert_true(ipv6_nh_is_ext(IPV6_NH_ROUTING));
	assert_true(ipv6_nh_is_ext(IPV6_NH_FRAGMENT));
	assert_true(ipv6_nh_is_ext(IPV6_NH_DSTOPTS));
	assert_false(ipv6_nh_is_ext(IPV6_NH_ICMPV6));
	assert_false(ipv6_nh_is_ext(IPV6_NH_NONE));
	assert_false(ipv6_nh_is_ext(253));
}

/* ---------------------------------------------------------------- addresses */

static void test_address_classes(void **state)
{
	static const uint8_t ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 1};
	static const uint8_t febf[16] = {0xfe, 0xbf, [15] = 1};
	static const uint8_t fec0[16] = {0xfe, 0xc0, [15] = 1};
	static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1};
	static const uint8_t lo[16] = {[15] = 1};
	static const uint8_t zero[16];
	/* The solicited-node group Linux sent its NS to for 2001:db8::2. */
	const uint8_t *sn_dst = ipv6_get_dst(IP(ns_frame));
	uint8_t sn[16];

	(void)state;
	ipv6_solicited_node(addr2, sn);
	assert_memory_equal(sn, sn_dst, 16);
	assert_true(ipv6_addr_is_solicited_node(sn));
	assert_false(ipv6_addr_is_solicited_node(all_mldv2_routers));
	assert_true(ipv6_addr_is_multicast(sn));
	assert_int_equal(ipv6_mcast_scope(sn), 2);
	assert_int_equal(ipv6_mcast_scope(ipv6_get_dst(IP(mld2_report3_frame))), 2);

	assert_true(ipv6_addr_is_link_local(ll));
	assert_true(ipv6_addr_is_link_local(febf));
	assert_false(ipv6_addr_is_link_local(fec0));
	assert_false(ipv6_addr_is_link_local(addr1));
	assert_true(ipv6_addr_is_v4mapped(mapped));
	assert_false(ipv6_addr_is_v4mapped(addr1));
	assert_true(ipv6_addr_is_loopback(lo));
	assert_false(ipv6_addr_is_loopback(zero));
	assert_true(ipv6_addr_is_unspecified(zero));
	assert_false(ipv6_addr_is_unspecified(lo));
	assert_false(ipv6_addr_is_multicast(addr1));
}

/* The pseudo-header sum (RFC 8200 8.1) makes every captured ICMPv6 message check out. */
static void test_pseudo_header(void **state)
{
	const uint8_t *frames[] = {echo_request_frame, echo_reply_frame, ns_frame, na_frame};
	const size_t lens[] = {sizeof(echo_request_frame), sizeof(echo_reply_frame),
	                       sizeof(ns_frame), sizeof(na_frame)};

	(void)state;
	for (int i = 0; i < 4; i++) {
		const uint8_t *ip = IP(frames[i]);
		uint32_t plen = ipv6_get_payload_len(ip);
		uint32_t ps = csum_pseudo_v6(ipv6_get_src(ip), ipv6_get_dst(ip), 58, plen);

		assert_int_equal(lens[i] - ETH_HLEN, IPV6_HLEN + plen);
		assert_int_equal(csum_fold(csum_partial(ip + IPV6_HLEN, plen, ps)), 0xffff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_echo_request),  cmocka_unit_test(test_parse_mld_report),
	    cmocka_unit_test(test_tclass_flow_bits),    cmocka_unit_test(test_emit_round_trip),
	    cmocka_unit_test(test_truncated),           cmocka_unit_test(test_padding),
	    cmocka_unit_test(test_bad_version),         cmocka_unit_test(test_hbh_router_alert),
	    cmocka_unit_test(test_routing_header),      cmocka_unit_test(test_dst_options),
	    cmocka_unit_test(test_option_walker_edges), cmocka_unit_test(test_option_actions),
	    cmocka_unit_test(test_fragment_header),     cmocka_unit_test(test_ext_len_kinds),
	    cmocka_unit_test(test_address_classes),     cmocka_unit_test(test_pseudo_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
