/* SPDX-License-Identifier: MIT */
/* The timer wheel through the public API, on a virtual clock: arming, cancelling, re-arming
 * from callbacks, order, far deadlines, exact next deadlines and large clock jumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/clock.h"
#include "netstack/pkt.h"
#include "netstack/stack.h"
#include "netstack/timer.h"

#define T0 (1000 * NS_SEC + 123456) /* an arbitrary, unaligned start */

struct fixture {
	struct ns_vclock vc;
	struct ns_stack *s;
	int64_t live;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ns_stack_config cfg;

	ns_vclock_init(&f->vc, T0);
	ns_stack_config_init(&cfg);
	cfg.clock = &f->vc.base;
	cfg.seed = 42;
	assert_int_equal(ns_stack_new(&cfg, &f->s), NS_OK);
	f->live = ns_pkt_live();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ns_stack_free(f->s);
	assert_int_equal(ns_pkt_live(), f->live);
	free(f);
	return 0;
}

/* Firing log. */
static struct ns_timer *fired[4096];
static uint64_t fired_at[4096];
static int nfired;
static struct ns_vclock *log_clock;

static void log_fn(struct ns_stack *s, struct ns_timer *t)
{
	(void)s;
	assert_false(ns_timer_armed(t)); /* disarmed before the callback */
	assert_true(t->deadline <= log_clock->now);
	fired_at[nfired] = log_clock->now;
	fired[nfired++] = t;
}

static void reset_log(struct fixture *f)
{
	nfired = 0;
	log_clock = &f->vc;
}

static void go(struct fixture *f, uint64_t now)
{
	f->vc.now = now;
	ns_stack_poll(f->s);
}

static void test_arm_fire_cancel(void **state)
{
	struct fixture *f = *state;
	struct ns_timer a, b;

	reset_log(f);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
	ns_timer_init(&a, log_fn, NULL);
	ns_timer_init(&b, log_fn, NULL);
	assert_false(ns_timer_armed(&a));
	ns_timer_arm_in(f->s, &a, 10 * NS_MSEC);
	ns_timer_arm(f->s, &b, T0 + 20 * NS_MSEC + 7);
	assert_true(ns_timer_armed(&a));
	assert_true(ns_stack_next_deadline(f->s) == T0 + 10 * NS_MSEC);

	go(f, T0 + 10 * NS_MSEC - 1);
	assert_int_equal(nfired, 0);
	go(f, T0 + 10 * NS_MSEC);
	assert_int_equal(nfired, 1);
	assert_ptr_equal(fired[0], &a);
	assert_false(ns_timer_armed(&a));
	assert_true(ns_stack_next_deadline(f->s) == T0 + 20 * NS_MSEC + 7);

	/* Within the same millisecond, still not before the deadline. */
	go(f, T0 + 20 * NS_MSEC + 6);
	assert_int_equal(nfired, 1);
	ns_timer_cancel(f->s, &b);
	ns_timer_cancel(f->s, &b); /* no-op */
	assert_false(ns_timer_armed(&b));
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
	go(f, T0 + NS_SEC);
	assert_int_equal(nfired, 1);
}

static void test_rearm_pending_and_past(void **state)
{
	struct fixture *f = *state;
	struct ns_timer a;

	reset_log(f);
	ns_timer_init(&a, log_fn, NULL);
	ns_timer_arm(f->s, &a, T0 + 5 * NS_MSEC);
	ns_timer_arm(f->s, &a, T0 + 50 * NS_MSEC); /* moves it */
	assert_true(ns_stack_next_deadline(f->s) == T0 + 50 * NS_MSEC);
	go(f, T0 + 49 * NS_MSEC);
	assert_int_equal(nfired, 0);
	ns_timer_arm(f->s, &a, T0 + 2 * NS_MSEC); /* earlier again, already past */
	assert_true(ns_stack_next_deadline(f->s) == T0 + 2 * NS_MSEC);
	ns_stack_poll(f->s);
	assert_int_equal(nfired, 1);

	/* A deadline long past (before the wheel's start) fires at the next poll. */
	ns_timer_arm(f->s, &a, 5);
	assert_true(ns_stack_next_deadline(f->s) == 5);
	ns_stack_poll(f->s);
	assert_int_equal(nfired, 2);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

/* Periodic: re-arms itself from its callback. */
static int periodic_count;
static void periodic_fn(struct ns_stack *s, struct ns_timer *t)
{
	periodic_count++;
	if (periodic_count < 100)
		ns_timer_arm(s, t, t->deadline + 7 * NS_MSEC);
}

static void test_rearm_from_callback(void **state)
{
	struct fixture *f = *state;
	struct ns_timer t;
	uint64_t d;
	int steps = 0;

	periodic_count = 0;
	ns_timer_init(&t, periodic_fn, NULL);
	ns_timer_arm(f->s, &t, T0 + 3 * NS_MSEC);
	while ((d = ns_stack_next_deadline(f->s)) != UINT64_MAX) {
		assert_true(d == T0 + 3 * NS_MSEC + (uint64_t)periodic_count * 7 * NS_MSEC);
		go(f, d);
		steps++;
	}
	assert_int_equal(periodic_count, 100);
	assert_int_equal(steps, 100);
}

/* A callback that re-arms itself in the past: fires once per poll, never loops. */
static int eager_count;
static void eager_fn(struct ns_stack *s, struct ns_timer *t)
{
	eager_count++;
	ns_timer_arm(s, t, 0);
}

static void test_past_rearm_waits_for_next_poll(void **state)
{
	struct fixture *f = *state;
	struct ns_timer t;

	eager_count = 0;
	ns_timer_init(&t, eager_fn, NULL);
	ns_timer_arm_in(f->s, &t, 0);
	ns_stack_poll(f->s);
	assert_int_equal(eager_count, 1);
	ns_stack_poll(f->s);
	assert_int_equal(eager_count, 2);
	go(f, T0 + 10 * NS_SEC);
	assert_int_equal(eager_count, 3);
	ns_timer_cancel(f->s, &t);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

/* Callbacks that cancel or re-arm other timers due in the same poll. */
static struct ns_timer *victim, *moved;
static void meddle_fn(struct ns_stack *s, struct ns_timer *t)
{
	log_fn(s, t);
	if (victim)
		ns_timer_cancel(s, victim);
	if (moved)
		ns_timer_arm(s, moved, log_clock->now + NS_SEC);
	victim = moved = NULL;
}

static void test_cancel_and_move_others_from_callback(void **state)
{
	struct fixture *f = *state;
	struct ns_timer a, b, c, d;

	reset_log(f);
	ns_timer_init(&a, meddle_fn, NULL);
	ns_timer_init(&b, log_fn, NULL);
	ns_timer_init(&c, log_fn, NULL);
	ns_timer_init(&d, log_fn, NULL);
	ns_timer_arm(f->s, &a, T0 + 1 * NS_MSEC);
	ns_timer_arm(f->s, &b, T0 + 2 * NS_MSEC);
	ns_timer_arm(f->s, &c, T0 + 2 * NS_MSEC + 1);
	ns_timer_arm(f->s, &d, T0 + 3 * NS_MSEC);
	victim = &b;
	moved = &c;
	go(f, T0 + 5 * NS_MSEC); /* all four due; a's callback cancels b and moves c */
	assert_int_equal(nfired, 2);
	assert_ptr_equal(fired[0], &a);
	assert_ptr_equal(fired[1], &d);
	assert_false(ns_timer_armed(&b));
	assert_true(ns_timer_armed(&c));
	assert_true(ns_stack_next_deadline(f->s) == T0 + 5 * NS_MSEC + NS_SEC);
	go(f, T0 + 5 * NS_MSEC + NS_SEC);
	assert_int_equal(nfired, 3);
	assert_ptr_equal(fired[2], &c);
}

static void test_order(void **state)
{
	struct fixture *f = *state;
	static const int ms[] = {40, 3, 17, 3000, 5, 9000, 1, 65, 64, 63, 4097, 250000};
	enum { N = sizeof(ms) / sizeof(ms[0]) };
	struct ns_timer t[N];

	reset_log(f);
	for (int i = 0; i < N; i++) {
		ns_timer_init(&t[i], log_fn, NULL);
		ns_timer_arm(f->s, &t[i], T0 + (uint64_t)ms[i] * NS_MSEC);
	}
	go(f, T0 + 300 * NS_SEC); /* one jump over all of them */
	assert_int_equal(nfired, N);
	for (int i = 1; i < N; i++)
		assert_true(fired[i - 1]->deadline < fired[i]->deadline);
}

static void test_order_within_a_millisecond(void **state)
{
	struct fixture *f = *state;
	struct ns_timer t[6];

	reset_log(f);
	for (int i = 0; i < 6; i++)
		ns_timer_init(&t[i], log_fn, NULL);
	/* Same millisecond, armed in reverse order of deadline; t[4] and t[5] tie. */
	ns_timer_arm(f->s, &t[0], T0 + 5 * NS_MSEC + 900);
	ns_timer_arm(f->s, &t[1], T0 + 5 * NS_MSEC + 500);
	ns_timer_arm(f->s, &t[2], T0 + 5 * NS_MSEC + 100);
	ns_timer_arm(f->s, &t[4], T0 + 5 * NS_MSEC + 700);
	ns_timer_arm(f->s, &t[5], T0 + 5 * NS_MSEC + 700);
	/* And one already past when armed. */
	ns_timer_arm(f->s, &t[3], T0 - NS_SEC);
	go(f, T0 + 6 * NS_MSEC);
	assert_int_equal(nfired, 6);
	assert_ptr_equal(fired[0], &t[3]);
	assert_ptr_equal(fired[1], &t[2]);
	assert_ptr_equal(fired[2], &t[1]);
	assert_ptr_equal(fired[3], &t[4]);
	assert_ptr_equal(fired[4], &t[5]);
	assert_ptr_equal(fired[5], &t[0]);
}

static void test_far_future(void **state)
{
	struct fixture *f = *state;
	const uint64_t far[] = {
	    T0 + 5 * NS_SEC,
	    T0 + 100 * NS_SEC + 3,
	    T0 + 3 * 3600 * NS_SEC,
	    T0 + 49ull * 24 * 3600 * NS_SEC,        /* beyond 2^32 ms */
	    T0 + 200ull * 365 * 24 * 3600 * NS_SEC, /* beyond the top level */
	    UINT64_MAX - 1,
	};
	enum { N = sizeof(far) / sizeof(far[0]) };
	struct ns_timer t[N];

	reset_log(f);
	for (int i = N - 1; i >= 0; i--) {
		ns_timer_init(&t[i], log_fn, NULL);
		ns_timer_arm(f->s, &t[i], far[i]);
	}
	for (int i = 0; i < N; i++) {
		uint64_t d = ns_stack_next_deadline(f->s);

		assert_true(d == far[i]);
		go(f, d - 1);
		assert_int_equal(nfired, i);
		go(f, d);
		assert_int_equal(nfired, i + 1);
		assert_ptr_equal(fired[i], &t[i]);
	}
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

/* A deterministic generator for the model test. */
static uint64_t rnd_state;
static uint64_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return rnd_state >> 17;
}

/* Random arms, cancels and clock moves against a model: next_deadline is always the exact
 * minimum and a poll fires exactly the timers due, in deadline order. */
static void test_model(void **state)
{
	struct fixture *f = *state;
	enum { N = 300 };
	static struct ns_timer t[N];
	static bool armed[N];
	static uint64_t dl[N];
	uint64_t now = T0;

	rnd_state = 7;
	reset_log(f);
	for (int i = 0; i < N; i++)
		ns_timer_init(&t[i], log_fn, NULL);
	memset(armed, 0, sizeof(armed));

	for (int round = 0; round < 20000; round++) {
		uint64_t r = rnd() % 100;
		int i = (int)(rnd() % N);

		if (r < 45) {
			/* Deadlines from the past to days ahead, weighted to the near future. */
			static const uint64_t spans[] = {NS_MSEC,       64 * NS_MSEC,
			                                 NS_SEC,        70 * NS_SEC,
			                                 3600 * NS_SEC, 86400 * NS_SEC};
			uint64_t span = spans[rnd() % 6];
			uint64_t d = now - NS_MSEC + rnd() % (span + NS_MSEC);

			ns_timer_arm(f->s, &t[i], d);
			armed[i] = true;
			dl[i] = d;
		} else if (r < 55) {
			ns_timer_cancel(f->s, &t[i]);
			armed[i] = false;
		} else {
			uint64_t min = UINT64_MAX, next = ns_stack_next_deadline(f->s);

			for (int j = 0; j < N; j++)
				if (armed[j] && dl[j] < min)
					min = dl[j];
			assert_true(next == min);
			/* Jump to the next deadline, a bit before it, or far beyond. */
			if (r < 85 && next != UINT64_MAX)
				now = next > now ? next : now;
			else if (r < 95 && next != UINT64_MAX && next > now + 1)
				now = next - 1;
			else
				now += rnd() % (r < 98 ? 10 * NS_SEC : 5 * 86400 * NS_SEC);
			nfired = 0;
			go(f, now);
			int due = 0;
			for (int j = 0; j < N; j++) {
				if (armed[j] && dl[j] <= now) {
					due++;
					armed[j] = false;
				}
				assert_true(ns_timer_armed(&t[j]) == armed[j]);
			}
			assert_int_equal(nfired, due);
			for (int k = 1; k < nfired; k++)
				assert_true(fired[k - 1]->deadline <= fired[k]->deadline);
		}
	}
	for (int i = 0; i < N; i++)
		ns_timer_cancel(f->s, &t[i]);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
}

static void test_large_jump_many(void **state)
{
	struct fixture *f = *state;
	enum { N = 2000 };
	static struct ns_timer t[N];

	reset_log(f);
	/* Spread over ten hours; then one poll ten hours later fires all in order. */
	for (int i = 0; i < N; i++) {
		ns_timer_init(&t[i], log_fn, NULL);
		ns_timer_arm(f->s, &t[i], T0 + (uint64_t)((i * 7919) % N) * 18 * NS_SEC + 1);
	}
	go(f, T0 + 10 * 3600 * NS_SEC);
	assert_int_equal(nfired, N);
	for (int k = 1; k < N; k++)
		assert_true(fired[k - 1]->deadline <= fired[k]->deadline);
	assert_true(ns_stack_next_deadline(f->s) == UINT64_MAX);
	/* The wheel keeps working after the jump. */
	ns_timer_arm_in(f->s, &t[0], 3 * NS_MSEC);
	assert_true(ns_stack_next_deadline(f->s) == f->vc.now + 3 * NS_MSEC);
	go(f, f->vc.now + 3 * NS_MSEC);
	assert_int_equal(nfired, N + 1);
}

/* Thousands of far timers sharing one slot (TIME_WAITs): the next deadline is never later
 * than the earliest armed timer, stepping to it fires everything in deadline order, and the
 * number of steps stays close to the number of distinct deadlines (the crowded slot costs
 * an early wake-up, not a scan per poll). */
static int crowd_fired;
static uint64_t crowd_last;

static void crowd_fn(struct ns_stack *s, struct ns_timer *t)
{
	(void)s;
	assert_true(t->deadline >= crowd_last);
	crowd_last = t->deadline;
	crowd_fired++;
}

static void test_crowded_far_slot(void **state)
{
	struct fixture *f = *state;
	enum { N = 3000 };
	struct ns_timer *t = calloc(N, sizeof(*t));
	uint64_t earliest = UINT64_MAX;

	crowd_fired = 0;
	crowd_last = 0;
	for (unsigned i = 0; i < N; i++) {
		/* 60 s ahead, spread over 200 ms in a scrambled order. */
		uint64_t d = T0 + 60 * NS_SEC + (uint64_t)((i * 7919u) % 200u) * NS_MSEC + i;
		ns_timer_init(&t[i], crowd_fn, NULL);
		ns_timer_arm(f->s, &t[i], d);
		if (d < earliest)
			earliest = d;
	}
	unsigned steps = 0;
	while (crowd_fired < N) {
		uint64_t next = ns_stack_next_deadline(f->s);
		assert_true(next != UINT64_MAX);
		assert_true(next <= earliest);
		if (next > f->vc.now)
			f->vc.now = next;
		ns_stack_poll(f->s);
		steps++;
		assert_true(steps < 4 * N);
		earliest = UINT64_MAX;
		for (unsigned i = 0; i < N; i++)
			if (ns_timer_armed(&t[i]) && t[i].deadline < earliest)
				earliest = t[i].deadline;
	}
	assert_int_equal(ns_stack_next_deadline(f->s), UINT64_MAX);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_arm_fire_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rearm_pending_and_past, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rearm_from_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_past_rearm_waits_for_next_poll, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_and_move_others_from_callback, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_within_a_millisecond, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_far_future, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_model, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_jump_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crowded_far_slot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
