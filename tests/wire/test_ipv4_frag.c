/* SPDX-License-Identifier: MIT */
/*
 * Wire test of ipv4_options_fragment() (RFC 791 3.1, 3.2): the options a fragment other
 * than the first carries. Byte vectors in, byte vectors out: copied options (type bit 7:
 * router alert 0x94, security 0x82, loose source route 0x83) stay, the others (record route
 * 0x07, timestamp 0x44) become No Operation bytes in place, End of Option List and what
 * follows stay as they are, and a malformed length turns the rest into No Operations. Each
 * area is given in a heap buffer of exactly its length, so a read past it is an ASan error,
 * and every truncation of a valid area is walked as well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ipv4.h"

static bool run(const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *b = malloc(len ? len : 1);
	bool ok;

	assert_non_null(b);
	memcpy(b, in, len);
	ok = ipv4_options_fragment(b, len);
	memcpy(out, b, len);
	free(b);
	return ok;
}

static void copied_kept_others_become_nops(void **state)
{
	/* Router alert (copied), record route (not), NOP, timestamp (not), EOL, padding. */
	static const uint8_t in[24] = {0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0,    0, 1,
	                               0x44, 8, 5, 0, 0,    0, 0, 0, 0, 0xaa, 0, 0};
	static const uint8_t want[24] = {0x94, 4, 0, 0, 1, 1, 1, 1, 1, 1,    1, 1,
	                                 1,    1, 1, 1, 1, 1, 1, 1, 0, 0xaa, 0, 0};
	uint8_t out[24];

	(void)state;
	assert_true(run(in, sizeof(in), out));
	assert_memory_equal(out, want, sizeof(want));
}

static void all_copied_unchanged(void **state)
{
	/* Security (0x82, 11 bytes), then a loose source route (0x83, 7 bytes), NOP, EOL... */
	static const uint8_t in[20] = {0x82, 11,   0, 0, 0,   0, 0, 0, 0, 0,
	                               0,    0x83, 7, 4, 192, 0, 2, 1, 1, 0};
	uint8_t out[20];

	(void)state;
	assert_true(run(in, sizeof(in), out));
	assert_memory_equal(out, in, sizeof(in));
}

static void malformed_length_rest_becomes_nops(void **state)
{
	static const uint8_t bad_len1[8] = {0x94, 4, 0, 0, 0x07, 1, 0xee, 0xee};
	static const uint8_t bad_long[8] = {0x07, 9, 4, 0, 0, 0, 0, 0};
	static const uint8_t want1[8] = {0x94, 4, 0, 0, 1, 1, 1, 1};
	static const uint8_t want2[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	uint8_t out[8];

	(void)state;
	assert_false(run(bad_len1, 8, out));
	assert_memory_equal(out, want1, 8);
	assert_false(run(bad_long, 8, out));
	assert_memory_equal(out, want2, 8);
}

/* Every prefix of a valid area: no read past it (ASan), and options that end inside the
 * cut are reported as malformed. */
static void every_truncation_safe(void **state)
{
	static const uint8_t in[16] = {0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 1, 0x44, 4, 5, 0};
	uint8_t out[16];

	(void)state;
	for (size_t n = 0; n <= sizeof(in); n++) {
		bool ok = run(in, n, out);
		bool whole = n == 0 || n == 4 || n == 11 || n == 12 || n == 16;

		assert_int_equal(ok, whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copied_kept_others_become_nops),
	    cmocka_unit_test(all_copied_unchanged),
	    cmocka_unit_test(malformed_length_rest_becomes_nops),
	    cmocka_unit_test(every_truncation_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
