/* SPDX-License-Identifier: MIT */
/*
 * Waiter queues (the seed's waiter.Queue): an endpoint notifies its queue when it becomes
 * readable, writable, errored or hung up; entries registered with a matching mask get a
 * callback.
 *
 * What a callback may do. Callbacks run on the stack's thread, inside the stack (during a
 * packet's delivery, a timer, or another ns_ep_* call). A callback may:
 *  - call ns_ep_* on any endpoint of the stack, its own included (read, write, ...);
 *  - close any endpoint with ns_ep_close(), its own included: the endpoint stops at once,
 *    and its memory is released when the dispatch in progress returns (proto.h,
 *    ns_ep_defer_free), so nothing the stack is still walking is freed under it;
 *  - register, re-register (change the mask) or unregister any entry, its own included, on
 *    this queue or another, and notify queues again (nested notifications are fine).
 * A callback must not free the queue being notified (it is still being walked: free it
 * after the callback returns, e.g. from the application's own loop) nor another entry that
 * is still registered. An entry it unregisters may be freed at once.
 *
 * Order: entries are called in registration order. Each notification calls the entries
 * registered when it began (an entry registered during it waits for the next one);
 * changing an entry's mask keeps its place.
 */
#ifndef NETSTACK_WAITER_H
#define NETSTACK_WAITER_H

#include <stdint.h>

#include "netstack/api.h"

enum {
	NS_EV_IN = 0x01,
	NS_EV_PRI = 0x02,
	NS_EV_OUT = 0x04,
	NS_EV_ERR = 0x08,
	NS_EV_HUP = 0x10,
	NS_EV_RDHUP = 0x2000,
};

struct ns_waiter_entry;
typedef void (*ns_waiter_fn)(struct ns_waiter_entry *e, uint32_t events);

struct ns_waiter_queue;

struct ns_waiter_entry {
	struct ns_waiter_entry *next, *prev;
	uint32_t mask;
	ns_waiter_fn fn;
	void *ctx;
	/* Private to waiter.c. */
	struct ns_waiter_queue *q; /* the queue it is registered on, or NULL */
	uint32_t seq;              /* the queue's registration count when it joined */
};

struct ns_waiter_queue {
	struct ns_waiter_entry head; /* sentinel of a circular list */
	uint32_t seq;                /* registrations so far (private) */
};

NS_API void ns_waiter_queue_init(struct ns_waiter_queue *q);
/** ns_waiter_entry_init() - Prepare @e with callback @fn and user pointer @ctx. */
NS_API void ns_waiter_entry_init(struct ns_waiter_entry *e, ns_waiter_fn fn, void *ctx);
/** ns_waiter_register() - Call @e's callback for events in @mask from now on. On an entry
 * already registered on @q this only changes the mask (the entry keeps its place); on an
 * entry registered on another queue it moves the entry to @q. */
NS_API void ns_waiter_register(struct ns_waiter_queue *q, struct ns_waiter_entry *e, uint32_t mask);
/** ns_waiter_unregister() - Stop notifying @e (safe if not registered, and from a callback). */
NS_API void ns_waiter_unregister(struct ns_waiter_entry *e);
/** ns_waiter_notify() - Call every entry whose mask meets @events, among those registered
 * when the call began. */
NS_API void ns_waiter_notify(struct ns_waiter_queue *q, uint32_t events);

#endif
