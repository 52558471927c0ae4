/* SPDX-License-Identifier: MIT */
/*
 * tcp_range_insert() (sack.c), the sorted merge-insert behind both the receiver's
 * out-of-order ranges and the sender's SACK scoreboard: ranges are [left, right) in
 * sequence space, kept sorted and disjoint; overlapping and adjacent ones merge; an insert
 * that would need more than max ranges is refused with the array untouched; *at is the
 * merged range's index.
 */
#include <string.h>

#include "tcp_test.h"

#define R(l, r) ((struct tcp_range){(l), (r)})

struct rs {
	struct tcp_range v[8];
	unsigned n;
};

static void check(const struct rs *s, const struct tcp_range *want, unsigned n)
{
	assert_int_equal(s->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(s->v[i].left, want[i].left);
		assert_int_equal(s->v[i].right, want[i].right);
	}
}
#define CHECK(s, ...)                                       \
	check((s), (const struct tcp_range[]){__VA_ARGS__}, \
	      sizeof((const struct tcp_range[]){__VA_ARGS__}) / sizeof(struct tcp_range))

static unsigned ins(struct rs *s, unsigned max, uint32_t l, uint32_t r)
{
	unsigned at = 99;

	assert_true(tcp_range_insert(s->v, &s->n, max, R(l, r), &at));
	return at;
}

static void insert_into_empty(void **state)
{
	struct rs s = {0};

	assert_int_equal(ins(&s, 8, 100, 200), 0);
	CHECK(&s, R(100, 200));
}

static void insert_before_after_and_between(void **state)
{
	struct rs s = {0};

	ins(&s, 8, 500, 600);
	assert_int_equal(ins(&s, 8, 100, 200), 0); /* before */
	CHECK(&s, R(100, 200), R(500, 600));
	assert_int_equal(ins(&s, 8, 900, 1000), 2); /* after */
	CHECK(&s, R(100, 200), R(500, 600), R(900, 1000));
	assert_int_equal(ins(&s, 8, 300, 400), 1); /* between */
	CHECK(&s, R(100, 200), R(300, 400), R(500, 600), R(900, 1000));
	assert_int_equal(ins(&s, 8, 700, 800), 3);
	CHECK(&s, R(100, 200), R(300, 400), R(500, 600), R(700, 800), R(900, 1000));
}

static void overlap_merges_several(void **state)
{
	struct rs s = {0};

	ins(&s, 8, 100, 200);
	ins(&s, 8, 300, 400);
	ins(&s, 8, 500, 600);
	ins(&s, 8, 700, 800);
	ins(&s, 8, 900, 1000);
	/* Overlaps the second through the fourth: they become one, the rest shift down. */
	assert_int_equal(ins(&s, 8, 350, 750), 1);
	CHECK(&s, R(100, 200), R(300, 800), R(900, 1000));
	/* Contained in an existing range: nothing changes but *at. */
	assert_int_equal(ins(&s, 8, 400, 500), 1);
	CHECK(&s, R(100, 200), R(300, 800), R(900, 1000));
	/* Covers everything. */
	assert_int_equal(ins(&s, 8, 50, 2000), 0);
	CHECK(&s, R(50, 2000));
}

static void adjacent_ranges_merge(void **state)
{
	struct rs s = {0};

	ins(&s, 8, 100, 200);
	ins(&s, 8, 300, 400);
	assert_int_equal(ins(&s, 8, 200, 250), 0); /* touches the first's right edge */
	CHECK(&s, R(100, 250), R(300, 400));
	assert_int_equal(ins(&s, 8, 280, 300), 1); /* touches the second's left edge */
	CHECK(&s, R(100, 250), R(280, 400));
	assert_int_equal(ins(&s, 8, 250, 280), 0); /* fills the gap exactly: one range */
	CHECK(&s, R(100, 400));
	assert_int_equal(ins(&s, 8, 401, 500), 1); /* one byte apart: stays separate */
	CHECK(&s, R(100, 400), R(401, 500));
}

static void wraps_around_the_sequence_space(void **state)
{
	struct rs s = {0};

	ins(&s, 8, 0xfffffe00u, 0xffffff00u);
	ins(&s, 8, 0x100, 0x200); /* after the first, across the wrap */
	CHECK(&s, R(0xfffffe00u, 0xffffff00u), R(0x100, 0x200));
	assert_int_equal(ins(&s, 8, 0xffffffc0u, 0x40), 1); /* straddles 2^32: between */
	CHECK(&s, R(0xfffffe00u, 0xffffff00u), R(0xffffffc0u, 0x40), R(0x100, 0x200));
	/* Adjacent to the first, overlapping the straddling one, touching the last. */
	assert_int_equal(ins(&s, 8, 0xffffff00u, 0x100), 0);
	CHECK(&s, R(0xfffffe00u, 0x200));
	assert_int_equal(ins(&s, 8, 0xfffff000u, 0xfffff100u), 0); /* before, below 2^32 */
	CHECK(&s, R(0xfffff000u, 0xfffff100u), R(0xfffffe00u, 0x200));
}

static void overflow_is_refused_and_leaves_the_array_unchanged(void **state)
{
	struct rs s = {0}, before;
	unsigned at = 77;

	for (uint32_t i = 0; i < 4; i++)
		ins(&s, 4, 1000 + 200 * i, 1100 + 200 * i);
	before = s;
	/* A new disjoint range anywhere would make five. */
	assert_false(tcp_range_insert(s.v, &s.n, 4, R(10, 20), &at));
	assert_false(tcp_range_insert(s.v, &s.n, 4, R(1150, 1160), &at));
	assert_false(tcp_range_insert(s.v, &s.n, 4, R(5000, 6000), &at));
	assert_int_equal(at, 77);
	assert_int_equal(s.n, 4);
	assert_memory_equal(s.v, before.v, sizeof(s.v));
	/* Merging keeps it at four (or fewer): accepted. */
	assert_int_equal(ins(&s, 4, 1100, 1200), 0);
	CHECK(&s, R(1000, 1300), R(1400, 1500), R(1600, 1700));
	assert_int_equal(ins(&s, 4, 1350, 1360), 1);
	CHECK(&s, R(1000, 1300), R(1350, 1360), R(1400, 1500), R(1600, 1700));
	/* A full array still merges in place. */
	assert_int_equal(ins(&s, 4, 1360, 1400), 1);
	CHECK(&s, R(1000, 1300), R(1350, 1500), R(1600, 1700));
}

static void at_is_optional(void **state)
{
	struct rs s = {0};

	assert_true(tcp_range_insert(s.v, &s.n, 8, R(5, 10), NULL));
	assert_true(tcp_range_insert(s.v, &s.n, 8, R(1, 2), NULL));
	CHECK(&s, R(1, 2), R(5, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(insert_into_empty),
	    cmocka_unit_test(insert_before_after_and_between),
	    cmocka_unit_test(overlap_merges_several),
	    cmocka_unit_test(adjacent_ranges_merge),
	    cmocka_unit_test(wraps_around_the_sequence_space),
	    cmocka_unit_test(overflow_is_refused_and_leaves_the_array_unchanged),
	    cmocka_unit_test(at_is_optional),
	};

	return cmocka_run_group_tests_name("tcp_range", tests, NULL, NULL);
}
