/* SPDX-License-Identifier: MIT */
/*
 * Waiter queues (the seed's waiter.Queue): an endpoint notifies its queue when it becomes
 * readable, writable, errored or hung up; entries registered with a matching mask get a
 * callback. Callbacks run on the stack's thread, inside the stack: they must not free the
 * endpoint, but may call ns_ep_* on it (read, write) and may unregister themselves.
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

struct ns_waiter_entry {
	struct ns_waiter_entry *next, *prev;
	uint32_t mask;
	ns_waiter_fn fn;
	void *ctx;
};

struct ns_waiter_queue {
	struct ns_waiter_entry head; /* sentinel of a circular list */
};

NS_API void ns_waiter_queue_init(struct ns_waiter_queue *q);
/** ns_waiter_entry_init() - Prepare @e with callback @fn and user pointer @ctx. */
NS_API void ns_waiter_entry_init(struct ns_waiter_entry *e, ns_waiter_fn fn, void *ctx);
/** ns_waiter_register() - Call @e's callback for events in @mask from now on. */
NS_API void ns_waiter_register(struct ns_waiter_queue *q, struct ns_waiter_entry *e, uint32_t mask);
/** ns_waiter_unregister() - Stop notifying @e (safe if not registered, and from a callback). */
NS_API void ns_waiter_unregister(struct ns_waiter_entry *e);
/** ns_waiter_notify() - Call every entry whose mask meets @events. */
NS_API void ns_waiter_notify(struct ns_waiter_queue *q, uint32_t events);

#endif
