/* SPDX-License-Identifier: MIT */
/*
 * Clocks. Time is an input to the stack: it asks the clock it was given, so tests run on a
 * virtual clock and see seconds of protocol timers pass in microseconds, deterministically.
 */
#ifndef NETSTACK_CLOCK_H
#define NETSTACK_CLOCK_H

#include <stdint.h>

#include "netstack/api.h"

struct ns_clock {
	/* Monotonic nanoseconds. */
	uint64_t (*now_ns)(struct ns_clock *c);
};

/** ns_clock_monotonic() - The process's CLOCK_MONOTONIC clock (a shared instance). */
NS_API struct ns_clock *ns_clock_monotonic(void);

/* A virtual clock that moves only when told. */
struct ns_vclock {
	struct ns_clock base;
	uint64_t now;
};
/** ns_vclock_init() - Start @vc at @start ns. */
NS_API void ns_vclock_init(struct ns_vclock *vc, uint64_t start);

static inline uint64_t ns_clock_now(struct ns_clock *c)
{
	return c->now_ns(c);
}

#define NS_MSEC 1000000ull
#define NS_SEC  1000000000ull

#endif
