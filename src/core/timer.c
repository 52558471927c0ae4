/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the stack's timers, a hierarchical timing wheel (Varghese and Lauck,
 * "Hashed and Hierarchical Timing Wheels", 1987, scheme 7) over absolute deadlines on the
 * stack clock, with 1 ms ticks.
 *
 * A timer's tick is deadline / 1 ms, raised to the wheel's current tick `cur` if it is
 * already past (a past deadline fires at the next run). There are LEVELS levels of SLOTS
 * slots; level l covers ticks by their l-th group of LEVEL_BITS bits ("digit l"). A timer
 * lives at the level of the most significant digit in which its tick differs from cur, in the
 * slot named by that digit of its tick (level 0: exactly its tick). Ticks beyond the top level
 * (2^42 ms, 139 years, and UINT64_MAX "never" deadlines) wait on an overflow list. Hence:
 *
 *   I1. every armed timer's tick is >= cur (run() collects everything due before cur moves);
 *   I2. level 0 holds the ticks cur..end of cur's level-0 window, one tick per slot; a slot
 *       at level l >= 1 holds ticks that share cur's digits above l and have a larger digit
 *       l, so lower levels and lower slots always hold earlier ticks.
 *
 * When cur advances to tick b (only ever to a tick no timer precedes), the one slot per level
 * whose window now contains cur is "cascaded": its timers are re-placed relative to b, which
 * puts them at lower levels. Each timer cascades at most LEVELS times in its life.
 *
 * Costs: arm and cancel are O(1) (a list insert or unlink; the slot index is arithmetic).
 * The exact earliest deadline (timer_wheel_next) comes from a lazily cleared bitmap of
 * non-empty slots per level: the first non-empty slot in scan order holds the earliest tick,
 * and the minimum over that one slot's list is the answer; it is cached until the minimum is
 * cancelled or fires. A slot above level 0 holding more than SCAN_MAX timers answers with
 * its window's start instead (a lower bound, still in the future), so the loop wakes once
 * early, the slot cascades, and the answer is exact again. run() jumps from one due tick to the
 * next, so a virtual clock that leaps hours ahead costs per due timer, not per elapsed millisecond.
 *
 * Firing: run(now) first moves every timer with deadline <= now onto a private "due" list,
 * which comes out in tick order and is then sorted stably by deadline (one check pass when
 * it already is), then pops and fires them one by one: in deadline order, ties in arming
 * order. A timer is
 * disarmed (next == prev == NULL) before its callback runs, so callbacks may re-arm it, arm
 * or cancel any other timer (a cancel of a due timer just unlinks it from the due list), and
 * a timer armed by a callback with a past deadline fires at the next run, never in a loop.
 * Every list, the slots, the overflow and the due list, is circular through a sentinel, so
 * ns_timer_armed() (prev != NULL) holds for a timer on any of them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/core.h"
#include "netstack/clock.h"

#define TICK_NS    NS_MSEC
#define LEVEL_BITS 6
#define SLOTS      (1u << LEVEL_BITS)
#define SLOT_MASK  (SLOTS - 1)
#define LEVELS     7

struct timer_wheel {
	uint64_t cur;              /* current tick: every armed timer's tick is >= cur (I1) */
	uint64_t count;            /* armed timers, on the wheel or the due list */
	uint64_t occupied[LEVELS]; /* bit s: slot s may be non-empty (cleared lazily) */
	struct ns_timer slot[LEVELS][SLOTS];
	struct ns_timer overflow; /* ticks beyond the top level */
	struct ns_timer due;      /* collected by run(), fired in order */
	uint64_t min_cache;       /* earliest deadline on the wheel (not the due list) */
	bool min_valid;
	bool running;
};

static void list_init(struct ns_timer *head)
{
	head->next = head;
	head->prev = head;
}

static bool list_empty(const struct ns_timer *head)
{
	return head->next == head;
}

static void list_add_tail(struct ns_timer *head, struct ns_timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

static void list_del(struct ns_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = NULL;
	t->prev = NULL;
}

/* Move every timer of @from onto the empty list @to (keeping order). */
static void list_splice(struct ns_timer *from, struct ns_timer *to)
{
	list_init(to);
	if (list_empty(from))
		return;
	to->next = from->next;
	to->prev = from->prev;
	to->next->prev = to;
	to->prev->next = to;
	list_init(from);
}

static unsigned digit(uint64_t tick, unsigned level)
{
	return (unsigned)(tick >> (level * LEVEL_BITS)) & SLOT_MASK;
}

/* Put @t on the wheel relative to w->cur (see I2). */
static void place(struct timer_wheel *w, struct ns_timer *t)
{
	uint64_t tick = t->deadline / TICK_NS;
	uint64_t diff;
	unsigned level;

	if (tick < w->cur)
		tick = w->cur;
	diff = tick ^ w->cur;
	level = diff ? (unsigned)(63 - __builtin_clzll(diff)) / LEVEL_BITS : 0;
	if (level >= LEVELS) {
		list_add_tail(&w->overflow, t);
		return;
	}
	unsigned s = digit(tick, level);
	list_add_tail(&w->slot[level][s], t);
	w->occupied[level] |= 1ull << s;
}

/* Re-place every timer of list @head (which is left empty). */
static void replace_all(struct timer_wheel *w, struct ns_timer *head)
{
	struct ns_timer tmp;

	list_splice(head, &tmp);
	while (!list_empty(&tmp)) {
		struct ns_timer *t = tmp.next;

		list_del(t);
		place(w, t);
	}
}

/* Move cur to tick @b. Requires: no armed timer has a tick before @b (so only the slot that
 * contains @b at each level can hold timers that now belong lower down). */
static void advance(struct timer_wheel *w, uint64_t b)
{
	uint64_t diff = b ^ w->cur;
	unsigned top;

	if (b <= w->cur)
		return;
	top = (unsigned)(63 - __builtin_clzll(diff)) / LEVEL_BITS;
	w->cur = b;
	if (top >= LEVELS) {
		replace_all(w, &w->overflow);
		top = LEVELS - 1;
	}
	for (unsigned l = top; l >= 1; l--) {
		unsigned s = digit(b, l);

		w->occupied[l] &= ~(1ull << s);
		replace_all(w, &w->slot[l][s]);
	}
}

/* Merge two NULL-terminated ->next chains sorted by deadline; ties keep @a first. */
static struct ns_timer *merge(struct ns_timer *a, struct ns_timer *b)
{
	struct ns_timer head, *tail = &head;

	while (a && b) {
		if (b->deadline < a->deadline) {
			tail->next = b;
			b = b->next;
		} else {
			tail->next = a;
			a = a->next;
		}
		tail = tail->next;
	}
	tail->next = a ? a : b;
	return head.next;
}

/* Sort the due list by deadline, stably (arming order among equal deadlines). It is
 * already in tick order; only timers that share a tick (or were armed with a past deadline)
 * can be out of order, so the common case is the single check pass. */
static void sort_due(struct timer_wheel *w)
{
	struct ns_timer *head = &w->due, *run[64] = {0}, *chain, *t;
	bool sorted = true;

	for (t = head->next; t->next != head; t = t->next)
		if (t->next->deadline < t->deadline)
			sorted = false;
	if (sorted)
		return;
	/* Bottom-up merge sort over a NULL-terminated chain: run[i] holds 2^i elements. */
	head->prev->next = NULL;
	chain = head->next;
	while (chain) {
		struct ns_timer *one = chain;
		unsigned i;

		chain = chain->next;
		one->next = NULL;
		for (i = 0; run[i]; i++) {
			one = merge(run[i], one);
			run[i] = NULL;
		}
		run[i] = one;
	}
	chain = NULL;
	for (unsigned i = 0; i < 64; i++)
		if (run[i])
			chain = merge(run[i], chain);
	/* Relink as a circular list. */
	struct ns_timer *prev = head;
	for (t = chain; t; t = t->next) {
		t->prev = prev;
		prev->next = t;
		prev = t;
	}
	prev->next = head;
	head->prev = prev;
}

static uint64_t list_min(const struct ns_timer *head)
{
	uint64_t m = UINT64_MAX;

	for (const struct ns_timer *t = head->next; t != head; t = t->next)
		if (t->deadline < m)
			m = t->deadline;
	return m;
}

/* Longest slot list wheel_min() scans for an exact minimum above level 0. */
#define SCAN_MAX 64

/* The earliest deadline in slot @s of level @l >= 1, or, when the slot holds more than
 * SCAN_MAX timers, the start of the slot's window: a lower bound that is still after cur
 * (the slot's digit is above cur's). Reaching the bound makes run() cascade the slot to
 * lower levels, so a crowd of far timers (thousands of TIME_WAITs in one slot) costs one
 * early wake-up instead of a scan of the crowd on every poll. */
static uint64_t slot_min_or_bound(struct timer_wheel *w, unsigned l, unsigned s)
{
	const struct ns_timer *head = &w->slot[l][s];
	uint64_t m = UINT64_MAX;
	unsigned n = 0;

	for (const struct ns_timer *t = head->next; t != head; t = t->next) {
		if (++n > SCAN_MAX) {
			unsigned shift = (l + 1) * LEVEL_BITS;
			uint64_t start =
			    (w->cur >> shift << shift) | ((uint64_t)s << (l * LEVEL_BITS));
			return start * TICK_NS;
		}
		if (t->deadline < m)
			m = t->deadline;
	}
	return m;
}

/* The earliest deadline on the wheel (I2: the first non-empty slot in level-then-slot order
 * from cur holds the earliest tick), or UINT64_MAX. */
static uint64_t wheel_min(struct timer_wheel *w)
{
	if (w->min_valid)
		return w->min_cache;
	uint64_t m = UINT64_MAX;
	for (unsigned l = 0; l < LEVELS && m == UINT64_MAX; l++) {
		/* Level 0 starts at cur's own slot; higher levels strictly after cur's digit. */
		unsigned from = digit(w->cur, l) + (l ? 1 : 0);
		uint64_t bits = from >= SLOTS ? 0 : w->occupied[l] & (~0ull << from);

		while (bits) {
			unsigned s = (unsigned)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (list_empty(&w->slot[l][s])) {
				w->occupied[l] &= ~(1ull << s);
				continue;
			}
			/* Level 0 must be exact: a bound inside the current tick would make run()
			 * spin on timers due later in that same millisecond. */
			m = l ? slot_min_or_bound(w, l, s) : list_min(&w->slot[l][s]);
			break;
		}
	}
	if (m == UINT64_MAX)
		m = list_min(&w->overflow);
	w->min_cache = m;
	w->min_valid = true;
	return m;
}

struct timer_wheel *timer_wheel_new(uint64_t now)
{
	struct timer_wheel *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->cur = now / TICK_NS;
	for (unsigned l = 0; l < LEVELS; l++)
		for (unsigned s = 0; s < SLOTS; s++)
			list_init(&w->slot[l][s]);
	list_init(&w->overflow);
	list_init(&w->due);
	w->min_cache = UINT64_MAX;
	w->min_valid = true;
	return w;
}

void timer_wheel_free(struct timer_wheel *w)
{
	free(w);
}

void timer_wheel_run(struct ns_stack *s, struct timer_wheel *w, uint64_t now)
{
	uint64_t m;

	if (w->running) /* a callback polled the stack: the outer run finishes the work */
		return;
	w->running = true;

	/* Collect: jump cur from one due tick to the next, taking each tick's due timers. */
	while ((m = wheel_min(w)) <= now) {
		uint64_t tick = m / TICK_NS;
		struct ns_timer *head;

		advance(w, tick);
		head = &w->slot[0][digit(w->cur, 0)];
		for (struct ns_timer *t = head->next, *n; t != head; t = n) {
			n = t->next;
			if (t->deadline <= now) {
				list_del(t);
				list_add_tail(&w->due, t);
			}
		}
		w->min_valid = false;
	}
	/* Nothing left is due, so every tick is >= now's and cur may follow the clock. */
	advance(w, now / TICK_NS);
	if (!list_empty(&w->due))
		sort_due(w);

	while (!list_empty(&w->due)) {
		struct ns_timer *t = w->due.next;

		list_del(t);
		w->count--;
		t->fn(s, t);
	}
	w->running = false;
}

uint64_t timer_wheel_next(struct timer_wheel *w)
{
	if (w->count == 0)
		return UINT64_MAX;
	uint64_t m = wheel_min(w);
	if (w->running) {
		uint64_t d = list_min(&w->due);
		if (d < m)
			m = d;
	}
	return m;
}

void ns_timer_init(struct ns_timer *t, ns_timer_fn fn, void *arg)
{
	t->next = NULL;
	t->prev = NULL;
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
}

void ns_timer_cancel(struct ns_stack *s, struct ns_timer *t)
{
	struct timer_wheel *w = s->wheel;

	if (!ns_timer_armed(t))
		return;
	list_del(t);
	w->count--;
	if (w->min_valid && t->deadline <= w->min_cache)
		w->min_valid = false;
}

void ns_timer_arm(struct ns_stack *s, struct ns_timer *t, uint64_t deadline)
{
	struct timer_wheel *w = s->wheel;

	ns_timer_cancel(s, t);
	t->deadline = deadline;
	place(w, t);
	w->count++;
	if (w->min_valid && deadline < w->min_cache)
		w->min_cache = deadline;
}

void ns_timer_arm_in(struct ns_stack *s, struct ns_timer *t, uint64_t delay)
{
	uint64_t now = ns_stack_now(s);

	ns_timer_arm(s, t, delay > UINT64_MAX - now ? UINT64_MAX : now + delay);
}
