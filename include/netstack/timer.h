/* SPDX-License-Identifier: MIT */
/*
 * Timers on the stack's clock. A timer is embedded in its owner; arming and cancelling are
 * O(1) (a hashed timer wheel with 1 ms slots). Due timers fire from ns_stack_poll(), on the
 * stack's thread, in deadline order within a slot's granularity. A timer's callback may
 * re-arm or cancel any timer, including itself.
 */
#ifndef NETSTACK_TIMER_H
#define NETSTACK_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/api.h"

struct ns_stack;
struct ns_timer;
typedef void (*ns_timer_fn)(struct ns_stack *s, struct ns_timer *t);

struct ns_timer {
	struct ns_timer *next, *prev; /* wheel slot list; NULL when not armed */
	uint64_t deadline;            /* ns on the stack's clock */
	ns_timer_fn fn;
	void *arg; /* owner's pointer */
};

/** ns_timer_init() - Prepare @t (not armed). */
NS_API void ns_timer_init(struct ns_timer *t, ns_timer_fn fn, void *arg);
/** ns_timer_arm() - (Re)arm @t to fire at @deadline (absolute ns; a past deadline fires at
 * the next poll). */
NS_API void ns_timer_arm(struct ns_stack *s, struct ns_timer *t, uint64_t deadline);
/** ns_timer_arm_in() - Arm @t to fire @delay ns from the stack clock's now. */
NS_API void ns_timer_arm_in(struct ns_stack *s, struct ns_timer *t, uint64_t delay);
/** ns_timer_cancel() - Disarm @t (no-op if not armed). */
NS_API void ns_timer_cancel(struct ns_stack *s, struct ns_timer *t);

static inline bool ns_timer_armed(const struct ns_timer *t)
{
	return t->prev != 0;
}

#endif
