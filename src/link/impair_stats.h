/* SPDX-License-Identifier: MIT */
/* Internal: what an impairment link (src/link/impair.c) did, for tests and tools. */
#ifndef NETSTACK_LINK_IMPAIR_STATS_H
#define NETSTACK_LINK_IMPAIR_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/link.h"

/* Totals over both directions. */
struct impair_stats {
	uint64_t dropped;    /* lost on purpose (loss_ppm) */
	uint64_t duplicated; /* extra copies sent (dup_ppm) */
	uint64_t reordered;  /* frames held back to follow the next one (reorder_ppm) */
	uint64_t delayed;    /* frames queued for delay_ns */
	uint64_t overflow;   /* dropped because max_held frames were already held */
};

/** impair_get_stats() - Copy @l's counters to @out; false if @l is not an impairment link. */
bool impair_get_stats(struct ns_link *l, struct impair_stats *out);

#endif
