/* SPDX-License-Identifier: MIT */
/*
 * Wire tests: the Internet checksum (RFC 1071), pseudo-headers and RFC 1624 updates.
 *
 * The fast csum_partial() is checked against a byte-at-a-time reference over random buffers
 * of every length 0..2000 at every start offset 0..7, and against published vectors.
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

/* Reference: RFC 1071 section 4.1, one big-endian word at a time, folded, not inverted. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t init)
{
	uint64_t s = init;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(csum_fold(csum_partial(b, sizeof(b), 0)), 0xddf2);
	assert_int_equal(csum_finish(csum_partial(b, sizeof(b), 0)), 0x220d);
	/* Any start address: copy to every offset of a larger buffer. */
	for (int off = 0; off < 8; off++) {
		uint8_t big[16];
		memcpy(big + off, b, sizeof(b));
		assert_int_equal(csum_fold(csum_partial(big + off, sizeof(b), 0)), 0xddf2);
	}
}

/* An IPv4 header whose checksum is b861 (a widely published worked example). */
static void test_ipv4_header_vector(void **state)
{
	uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	               0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	(void)state;
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0xffff);
	wr16(h + 10, 0);
	assert_int_equal(csum_finish(csum_partial(h, sizeof(h), 0)), 0xb861);
	assert_int_equal(ref_sum(h, sizeof(h), 0), (uint16_t)~0xb861);
}

static void test_fold(void **state)
{
	(void)state;
	assert_int_equal(csum_fold(0), 0);
	assert_int_equal(csum_fold(0xffff), 0xffff);
	assert_int_equal(csum_fold(0x10000), 1);
	assert_int_equal(csum_fold(0x1fffe), 0xffff);
	assert_int_equal(csum_fold(0xffffffffu), 0xffff);
	assert_int_equal(csum_fold(0x12345678u), 0x68ac);
	assert_int_equal(csum_finish(0), 0xffff);
	assert_int_equal(csum_finish(0xffff), 0);
}

/* Every length 0..2000 at every start offset 0..7, random data, zero and non-zero initial
 * sums. */
static void test_random_vs_reference(void **state)
{
	enum { MAXLEN = 2000 };
	static uint8_t buf[MAXLEN + 8];

	(void)state;
	for (size_t len = 0; len <= MAXLEN; len++) {
		fill_random(buf, sizeof(buf));
		for (size_t off = 0; off < 8; off++) {
			uint32_t init = rnd();

			assert_int_equal(csum_fold(csum_partial(buf + off, len, 0)),
			                 ref_sum(buf + off, len, 0));
			assert_int_equal(csum_fold(csum_partial(buf + off, len, init)),
			                 ref_sum(buf + off, len, init));
		}
	}
}

/* All-0xff data makes every add carry; all-zero data must sum to exactly zero. */
static void test_extreme_data(void **state)
{
	static uint8_t ones[2100], zeros[2100];

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	for (size_t len = 0; len <= 2048; len++) {
		for (size_t off = 0; off < 8; off++) {
			assert_int_equal(csum_fold(csum_partial(ones + off, len, 0)),
			                 ref_sum(ones + off, len, 0));
			assert_int_equal(csum_fold(csum_partial(ones + off, len, 0xffffffffu)),
			                 ref_sum(ones + off, len, 0xffffffffu));
			assert_int_equal(csum_partial(zeros + off, len, 0), 0);
		}
	}
}

/* Summing in pieces (each piece but the last of even length) equals summing at once. */
static void test_composable(void **state)
{
	static uint8_t buf[3000];

	(void)state;
	fill_random(buf, sizeof(buf));
	for (int i = 0; i < 5000; i++) {
		size_t n1 = (rnd() % 1500) & ~(size_t)1;
		size_t n2 = rnd() % 1500;
		uint32_t s = rnd();
		uint32_t whole = csum_partial(buf, n1 + n2, s);
		uint32_t parts = csum_partial(buf + n1, n2, csum_partial(buf, n1, s));

		assert_int_equal(csum_fold(whole), csum_fold(parts));
	}
	/* A running sum over many large pieces never loses a carry. */
	{
		uint32_t s = 0;
		uint64_t ref = 0;

		memset(buf, 0xff, sizeof(buf));
		for (int i = 0; i < 10000; i++) {
			s = csum_partial(buf, 3000, s);
			ref += 1500 * 0xffffull;
		}
		while (ref >> 16)
			ref = (ref & 0xffff) + (ref >> 16);
		assert_int_equal(csum_fold(s), ref);
	}
}

/* The pseudo-header sums equal the sum of the pseudo-header built as bytes. */
static void test_pseudo_headers(void **state)
{
	(void)state;
	for (int i = 0; i < 2000; i++) {
		uint8_t ph4[12], ph6[40];
		uint8_t proto = (uint8_t)rnd();
		uint32_t len = (i & 1) ? rnd() % 65536 : rnd();

		fill_random(ph4, 8);
		ph4[8] = 0;
		ph4[9] = proto;
		/* IPv4 (RFC 9293 3.1): a 16-bit length; a GSO length above 64 KiB is added as
		 * a 32-bit value, the way the IPv6 one is. */
		wr16(ph4 + 10, (uint16_t)len);
		{
			uint16_t expect = ref_sum(ph4, 12, len >> 16);

			assert_int_equal(csum_fold(csum_pseudo_v4(ph4, ph4 + 4, proto, len)),
			                 expect);
		}
		/* IPv6 (RFC 8200 8.1): src, dst, 32-bit length, 3 zero bytes, next header. */
		fill_random(ph6, 32);
		wr32(ph6 + 32, len);
		ph6[36] = ph6[37] = ph6[38] = 0;
		ph6[39] = proto;
		assert_int_equal(csum_fold(csum_pseudo_v6(ph6, ph6 + 16, proto, len)),
		                 ref_sum(ph6, 40, 0));
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* RFC 1624: changing a 16- or 32-bit field and updating the checksum incrementally gives
 * the same checksum as recomputing it. */
static void test_incremental_update(void **state)
{
	uint8_t buf[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t len = 4 + 2 * (rnd() % 30);
		size_t off = 2 * (rnd() % ((len - 4) / 2 + 1)); /* even, with 4 bytes room */
		uint16_t c0, c1;

		fill_random(buf, len);
		/* Some sparse buffers, so that sums near 0 and 0xffff occur. */
		if (i % 4 == 0)
			for (size_t k = 0; k < len; k++)
				buf[k] = (rnd() % 8) ? 0 : buf[k];
		c0 = csum_finish(csum_partial(buf, len, 0));
		if (i & 1) {
			uint16_t o = rd16(buf + off), n = (i % 3) ? (uint16_t)rnd() : 0;

			wr16(buf + off, n);
			c1 = csum_update16(c0, o, n);
		} else {
			uint32_t o = rd32(buf + off), n = (i % 3) ? rnd() : 0;

			wr32(buf + off, n);
			c1 = csum_update32(c0, o, n);
		}
		/* The one documented difference: data that became all zero. */
		if (all_zero(buf, len))
			continue;
		assert_int_equal(c1, csum_finish(csum_partial(buf, len, 0)));
	}
}

/* The stored-checksum convention: a buffer with its checksum in place verifies. */
static void test_verify_in_place(void **state)
{
	uint8_t buf[101];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		size_t len = 2 + rnd() % 99;

		fill_random(buf, len);
		wr16(buf, 0);
		wr16(buf, csum_finish(csum_partial(buf, len, 0x1234)));
		assert_int_equal(csum_fold(csum_partial(buf, len, 0x1234)), 0xffff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc1071_example),
	    cmocka_unit_test(test_ipv4_header_vector),
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_random_vs_reference),
	    cmocka_unit_test(test_extreme_data),
	    cmocka_unit_test(test_composable),
	    cmocka_unit_test(test_pseudo_headers),
	    cmocka_unit_test(test_incremental_update),
	    cmocka_unit_test(test_verify_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
