/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 against the published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core.h"
#include "netstack/pkt.h"
#include "pktleak.h"

/* Key 00 01 .. 0f, read as two little-endian words (the paper's appendix A). */
static const uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

static void msg(uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)i;
}

static void test_paper_vector(void **state)
{
	uint8_t m[15];

	(void)state;
	msg(m, sizeof(m));
	/* SipHash paper, appendix A: message 00 .. 0e. */
	assert_true(siphash24(key, m, 15) == 0xa129ca6149be45e5ull);
}

static void test_reference_vectors(void **state)
{
	uint8_t m[8];

	(void)state;
	msg(m, sizeof(m));
	/* The reference implementation's vectors.h, entries 0, 1 and 8 (little-endian). */
	assert_true(siphash24(key, m, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(siphash24(key, m, 1) == 0x74f839c593dc67fdull);
	assert_true(siphash24(key, m, 8) == 0x93f5f5799a932462ull);
}

static void test_unaligned_and_key_sensitive(void **state)
{
	uint8_t buf[80], m[64];
	const uint64_t key2[2] = {key[0] ^ 1, key[1]};

	(void)state;
	msg(m, sizeof(m));
	for (size_t off = 1; off < 8; off++) {
		for (size_t i = 0; i < 64; i++)
			buf[off + i] = m[i];
		for (size_t n = 0; n <= 64; n++)
			assert_true(siphash24(key, buf + off, n) == siphash24(key, m, n));
	}
	for (size_t n = 0; n <= 64; n++) {
		assert_true(siphash24(key, m, n) != siphash24(key2, m, n));
		if (n)
			assert_true(siphash24(key, m, n) != siphash24(key, m, n - 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_paper_vector, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_reference_vectors, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	    cmocka_unit_test_setup_teardown(test_unaligned_and_key_sensitive, nt_pktleak_setup,
	                                    nt_pktleak_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
