/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: waiter queues (the seed's waiter.Queue).
 *
 * A queue is a circular doubly linked list through a sentinel entry (q->head); an entry is
 * registered exactly when its next/prev pointers are non-NULL, so unregistering needs only
 * the entry and is idempotent. New entries join at the tail, so entries are notified in
 * registration order.
 *
 * Registering an entry that is already on the queue only changes its mask: it keeps its
 * place. (Moving it to the tail would let a callback that re-registers itself, as an
 * epoll-style "modify" does, land behind the walk and be called again, forever.)
 *
 * ns_waiter_notify() must survive callbacks that unregister themselves, unregister or
 * register other entries, or notify the same queue again. It walks with a marker: before each
 * callback a private marker entry (fn == NULL) is linked right after the entry being called,
 * and the walk resumes from the marker's successor, which is always a live list member
 * whatever the callback unlinked. Markers are skipped by every walk, including nested ones.
 * Each registration is stamped with the queue's running count (q->seq); a walk calls only
 * entries stamped no later than the count when it began, so an entry registered during a
 * notification (even one that unregisters and registers itself again) waits for the next
 * one, and every walk ends after at most one call per entry present at its start.
 *
 * Nothing allocates; the queue owns nothing (entries belong to their registrants).
 */
#include <stdbool.h>
#include <stddef.h>

#include "netstack/waiter.h"

static void link_after(struct ns_waiter_entry *pos, struct ns_waiter_entry *e)
{
	e->prev = pos;
	e->next = pos->next;
	pos->next->prev = e;
	pos->next = e;
}

static void unlink_entry(struct ns_waiter_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = NULL;
	e->prev = NULL;
	e->q = NULL;
}

void ns_waiter_queue_init(struct ns_waiter_queue *q)
{
	q->head.next = &q->head;
	q->head.prev = &q->head;
	q->head.mask = 0;
	q->head.fn = NULL;
	q->head.ctx = NULL;
	q->head.q = NULL;
	q->head.seq = 0;
	q->seq = 0;
}

void ns_waiter_entry_init(struct ns_waiter_entry *e, ns_waiter_fn fn, void *ctx)
{
	e->next = NULL;
	e->prev = NULL;
	e->mask = 0;
	e->fn = fn;
	e->ctx = ctx;
	e->q = NULL;
	e->seq = 0;
}

void ns_waiter_register(struct ns_waiter_queue *q, struct ns_waiter_entry *e, uint32_t mask)
{
	if (e->next && e->q == q) {
		e->mask = mask; /* already here: keep the place */
		return;
	}
	if (e->next)
		unlink_entry(e);
	e->mask = mask;
	e->q = q;
	e->seq = ++q->seq;
	link_after(q->head.prev, e);
}

void ns_waiter_unregister(struct ns_waiter_entry *e)
{
	if (e->next)
		unlink_entry(e);
}

/* Was @e registered after a walk that began when the count was @start? (Serial number
 * arithmetic, so the count may wrap.) */
static bool joined_after(const struct ns_waiter_entry *e, uint32_t start)
{
	return (int32_t)(e->seq - start) > 0;
}

void ns_waiter_notify(struct ns_waiter_queue *q, uint32_t events)
{
	struct ns_waiter_entry marker = {.fn = NULL};
	struct ns_waiter_entry *e = q->head.next;
	const uint32_t start = q->seq;

	while (e != &q->head) {
		if (!e->fn || !(e->mask & events) || joined_after(e, start)) {
			/* A marker of an outer walk, not interested, or too new. */
			e = e->next;
			continue;
		}
		link_after(e, &marker);
		e->fn(e, e->mask & events);
		e = marker.next;
		unlink_entry(&marker);
	}
}
