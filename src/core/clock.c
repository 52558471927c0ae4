/* SPDX-License-Identifier: MIT */
/* Clocks: the real monotonic clock and a virtual one for deterministic tests. */
#include <time.h>

#include "netstack/clock.h"

static uint64_t mono_now(struct ns_clock *c)
{
	(void)c;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_SEC + (uint64_t)ts.tv_nsec;
}

static struct ns_clock mono_clock = {.now_ns = mono_now};

struct ns_clock *ns_clock_monotonic(void)
{
	return &mono_clock;
}

static uint64_t vclock_now(struct ns_clock *c)
{
	return ((struct ns_vclock *)c)->now;
}

void ns_vclock_init(struct ns_vclock *vc, uint64_t start)
{
	vc->base.now_ns = vclock_now;
	vc->now = start;
}
