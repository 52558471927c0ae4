/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: UDP (RFC 768) header and checksum over IPv4 and IPv6 (RFC 8200 8.1).
 *
 * Vectors are frames Linux 6.18 sent out of a TAP device in a private network namespace:
 * a datagram 192.0.2.1:54760 -> 192.0.2.2:5353 "netstack udp!" and one
 * [2001:db8::1]:44789 -> [2001:db8::2]:5353 "netstack udp6".
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
#include "wire/ipv4.h"
#include "wire/udp.h"

static const uint8_t udp4_frame[55] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x29, 0x4d, 0xf9, 0x40, 0x00, 0x40, 0x11, 0x68, 0xc7, 0xc0, 0x00,
    0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0xd5, 0xe8, 0x14, 0xe9, 0x00, 0x15, 0x30, 0x63,
    0x6e, 0x65, 0x74, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x20, 0x75, 0x64, 0x70, 0x21,
};
static const uint8_t udp6_frame[75] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60,
    0x01, 0x16, 0xaf, 0x00, 0x15, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xae, 0xf5, 0x14, 0xe9, 0x00, 0x15,
    0x6a, 0xe5, 0x6e, 0x65, 0x74, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x20, 0x75, 0x64, 0x70, 0x36,
};

#define IP4    (udp4_frame + ETH_HLEN)
#define UDP4   (IP4 + 20)
#define IP6    (udp6_frame + ETH_HLEN)
#define UDP6   (IP6 + 40)
#define U4_LEN 21
#define U6_LEN 21

static uint32_t pseudo4(void)
{
	return csum_pseudo_v4(IP4 + 12, IP4 + 16, IP_PROTO_UDP, U4_LEN);
}

static uint32_t pseudo6(void)
{
	return csum_pseudo_v6(IP6 + 8, IP6 + 24, IP_PROTO_UDP, U6_LEN);
}

static void assert_tail_untouched(const uint8_t *buf, size_t n, size_t size)
{
	for (size_t i = n; i < size; i++)
		assert_int_equal(buf[i], 0xa5);
}

static void test_parse(void **state)
{
	struct udp_repr r;

	(void)state;
	assert_true(udp_parse(&r, UDP4, U4_LEN));
	assert_int_equal(r.src_port, 54760);
	assert_int_equal(r.dst_port, 5353);
	assert_int_equal(r.len, 21);
	assert_int_equal(r.csum, 0x3063);
	assert_int_equal(udp_get_src_port(UDP4), 54760);
	assert_int_equal(udp_get_dst_port(UDP4), 5353);
	assert_int_equal(udp_get_len(UDP4), 21);
	assert_memory_equal(UDP4 + UDP_HLEN, "netstack udp!", 13);

	assert_true(udp_parse(&r, UDP6, U6_LEN));
	assert_int_equal(r.src_port, 44789);
	assert_int_equal(r.dst_port, 5353);
	assert_int_equal(r.len, 21);
	assert_int_equal(r.csum, 0x6ae5);
}

static void test_csum_ok(void **state)
{
	(void)state;
	assert_true(udp_csum_ok(UDP4, U4_LEN, pseudo4(), true));
	assert_true(udp_csum_ok(UDP4, U4_LEN, pseudo4(), false));
	assert_true(udp_csum_ok(UDP6, U6_LEN, pseudo6(), false));
	/* Wrong pseudo-header: another destination, another length, another protocol. */
	assert_false(udp_csum_ok(UDP4, U4_LEN,
	                         csum_pseudo_v4(IP4 + 12, IP4 + 12, IP_PROTO_UDP, U4_LEN), true));
	assert_false(udp_csum_ok(UDP4, U4_LEN,
	                         csum_pseudo_v4(IP4 + 12, IP4 + 16, IP_PROTO_TCP, U4_LEN), true));
	assert_false(udp_csum_ok(
	    UDP6, U6_LEN, csum_pseudo_v6(IP6 + 8, IP6 + 24, IP_PROTO_UDP, U6_LEN + 1), false));
	assert_false(udp_csum_ok(UDP4, 7, pseudo4(), true));
}

/* Every single-bit change of the datagram fails the checksum. */
static void test_bit_flips(void **state)
{
	uint8_t d[U4_LEN];

	(void)state;
	for (int bit = 0; bit < U4_LEN * 8; bit++) {
		memcpy(d, UDP4, sizeof(d));
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(udp_csum_ok(d, sizeof(d), pseudo4(), true));
	}
}

/* RFC 768: a zero checksum field means "none" (IPv4); RFC 8200 8.1: IPv6 must drop it. */
static void test_zero_checksum(void **state)
{
	uint8_t d[U6_LEN];

	(void)state;
	memcpy(d, UDP6, sizeof(d));
	wr16(d + 6, 0);
	assert_true(udp_csum_ok(d, sizeof(d), pseudo6(), true));
	assert_false(udp_csum_ok(d, sizeof(d), pseudo6(), false));
}

/* Parse, then emit into a 0xa5 buffer holding the payload: identical bytes. */
static void test_emit(void **state)
{
	struct {
		const uint8_t *udp;
		uint32_t pseudo;
	} v[2] = {{UDP4, pseudo4()}, {UDP6, pseudo6()}};

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct udp_repr r;
		uint8_t buf[48];

		assert_true(udp_parse(&r, v[i].udp, 21));
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf + UDP_HLEN, v[i].udp + UDP_HLEN, 13);
		r.csum = 0x1234; /* ignored when computing */
		udp_emit(&r, buf, v[i].pseudo, true);
		assert_memory_equal(buf, v[i].udp, 21);
		assert_tail_untouched(buf, 21, sizeof(buf));

		/* Without computing, the field is r->csum as given. */
		memset(buf, 0xa5, UDP_HLEN);
		udp_emit(&r, buf, v[i].pseudo, false);
		assert_int_equal(rd16(buf + 6), 0x1234);
		assert_memory_equal(buf, v[i].udp, 6);
		r.csum = 0;
		udp_emit(&r, buf, v[i].pseudo, false);
		assert_int_equal(rd16(buf + 6), 0);
	}
	/* From fields by hand. */
	{
		struct udp_repr r = {.src_port = 54760, .dst_port = 5353, .len = 21};
		uint8_t buf[21];

		memcpy(buf + 8, "netstack udp!", 13);
		udp_emit(&r, buf, pseudo4(), true);
		assert_memory_equal(buf, UDP4, 21);
	}
}

/* RFC 768: a computed checksum of 0 is sent as 0xffff, which verifies. */
static void test_computed_zero(void **state)
{
	struct udp_repr r = {.src_port = 1000, .dst_port = 2000, .len = 10};
	const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
	uint32_t ph = csum_pseudo_v4(src, dst, IP_PROTO_UDP, 10);
	uint8_t buf[10] = {0};
	uint16_t sum;

	(void)state;
	/* Choose the payload word so the data sum is 0xffff: the checksum is then ~0 = 0. */
	udp_emit(&r, buf, ph, false);
	sum = csum_fold(csum_partial(buf, 10, ph));
	wr16(buf + 8, (uint16_t)(0xffff - sum));
	assert_int_equal(csum_finish(csum_partial(buf, 10, ph)), 0);
	udp_emit(&r, buf, ph, true);
	assert_int_equal(rd16(buf + 6), 0xffff);
	assert_true(udp_csum_ok(buf, 10, ph, false));
}

static void test_truncated_and_bad_len(void **state)
{
	uint8_t d[64];
	struct udp_repr r;

	(void)state;
	for (size_t len = 0; len < UDP_HLEN; len++)
		assert_false(udp_parse(&r, UDP4, len));
	/* Shorter than the length field says. */
	for (size_t len = UDP_HLEN; len < U4_LEN; len++)
		assert_false(udp_parse(&r, UDP4, len));
	/* Length field below the header size. */
	for (uint16_t l = 0; l < UDP_HLEN; l++) {
		memcpy(d, UDP4, U4_LEN);
		wr16(d + 4, l);
		assert_false(udp_parse(&r, d, U4_LEN));
	}
	/* Length field past the buffer. */
	memcpy(d, UDP4, U4_LEN);
	wr16(d + 4, 0xffff);
	assert_false(udp_parse(&r, d, U4_LEN));
	/* Trailing padding is fine: len stays the field. */
	memset(d, 0, sizeof(d));
	memcpy(d, UDP4, U4_LEN);
	assert_true(udp_parse(&r, d, sizeof(d)));
	assert_int_equal(r.len, U4_LEN);
	/* A header-only datagram. */
	wr16(d + 4, UDP_HLEN);
	assert_true(udp_parse(&r, d, UDP_HLEN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_csum_ok),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_zero_checksum),
	    cmocka_unit_test(test_emit),
	    cmocka_unit_test(test_computed_zero),
	    cmocka_unit_test(test_truncated_and_bad_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
