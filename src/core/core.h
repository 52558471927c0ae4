/* SPDX-License-Identifier: MIT */
/*
 * Core internals shared by the core's own files (never by protocols, which use
 * include/netstack/proto.h). The stack owns NICs, routes, the protocol table and counters
 * (stack.c, nic.c, route.c); the timer wheel (timer.c), demuxer (demux.c), port table
 * (ports.c) and neighbor cache (neigh.c) each keep their state behind an opaque pointer and
 * expose init/fini here.
 */
#ifndef NS_CORE_CORE_H
#define NS_CORE_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "netstack/clock.h"
#include "netstack/link.h"
#include "netstack/proto.h"
#include "netstack/stack.h"
#include "netstack/timer.h"

#define NS_NIC_MAX_ADDRS     16
#define NS_NIC_MAX_RANGES    8
#define NS_MAX_ROUTES        256
#define NS_LOOP_QUEUE_MAX    1024 /* packets awaiting local delivery */
#define NS_ICMP_PEER_BUCKETS 256  /* per-destination ICMP error buckets (a power of two) */

struct timer_wheel;
struct pmtu_cache;
struct demux_table;
struct port_table;
struct neigh_table;
struct neigh_queues;

struct ns_nic {
	struct ns_stack *stack;
	uint32_t id;
	char name[32];
	struct ns_link *link;
	struct ns_link_dispatcher disp; /* the link delivers here (stack.c: nic_deliver) */
	struct ns_mac mac;
	uint32_t mtu;
	uint32_t caps;
	uint16_t link_hdr_len;
	bool up;
	bool promiscuous;
	bool spoofing;
	uint32_t naddrs;
	struct ns_subnet addrs[NS_NIC_MAX_ADDRS];
	uint8_t addr_flags[NS_NIC_MAX_ADDRS]; /* NS_ADDR_F_* of addrs[i] (proto.h) */
	uint32_t nranges;
	struct ns_subnet ranges[NS_NIC_MAX_RANGES];
	struct neigh_table *neigh; /* neigh.c */
	uint32_t mtu6;             /* IPv6 link MTU (a router advertisement's); 0: mtu */
	/* Removed from the stack (ns_stack_remove_nic) while a dispatch still holds a pointer
	 * to it: a packet endpoint's waiter callback may remove the NIC whose frame it is being
	 * shown. The memory goes through the deferred release, and code past a hook checks
	 * this before it touches the NIC or its link again. */
	bool removed;
	struct ns_deferred release;
};

struct proto_slot {
	const void *ops; /* struct ns_netproto_ops or ns_transproto_ops */
	void *priv;
};

struct ns_stack {
	struct ns_stack_config cfg;
	struct ns_clock *clock;
	uint64_t key[2]; /* SipHash key derived from the seed */
	uint64_t rng;    /* splitmix64 state */
	struct ns_stats stats;
	int64_t endpoints_live;
	struct neigh_queues *neigh_q; /* neigh.c: every NIC's resolution queues together */

	struct proto_slot net[NS_MAX_PROTOCOLS];
	uint32_t nnet;
	struct proto_slot trans[NS_MAX_PROTOCOLS];
	uint32_t ntrans;
	/* O(1) dispatch by number. */
	int8_t trans_by_number[256]; /* index into trans[], -1 if none */
	/* The raw module (cfg.raw), its state, and how many users each of its hooks has: a
	 * hook runs only while that is non-zero (proto.h, ns_raw_hook_users()). */
	const struct ns_rawproto_ops *raw;
	void *raw_priv;
	uint32_t raw_users[NS_RAW_HOOK_COUNT_];

	struct ns_nic **nics;
	uint32_t nnics, nics_cap;

	struct ns_route_entry routes[NS_MAX_ROUTES]; /* sorted: longest prefix, then metric */
	uint32_t nroutes;
	struct pmtu_cache *pmtu; /* route.c: path MTUs learnt (ns_route_pmtu_update) */

	/* ICMP error token bucket. */
	uint64_t icmp_tokens_milli; /* tokens * 1000 */
	uint64_t icmp_last_ns;
	/* Per-destination ICMP error buckets (stack.c: ns_icmp_rate_allow), credit in ns of
	 * icmp_peer_interval_ns per token; a bucket never used counts as full. */
	struct icmp_peer {
		uint64_t credit_ns;
		uint64_t last_ns;
		bool used;
	} icmp_peer[NS_ICMP_PEER_BUCKETS];

	/* Bumped by every change routes depend on (ns_stack_generation()). */
	uint32_t generation;

	/* Dispatches in progress (stack_enter/stack_leave) and the releases deferred until
	 * the outermost one returns (ns_ep_defer_free()). */
	uint32_t depth;
	/* The clock read when the outermost dispatch began (or at the latest
	 * ns_stack_now_refresh()): ns_stack_now() while depth > 0, so handling one frame or
	 * one call reads the clock once, not at every question. */
	uint64_t now;
	struct ns_deferred *deferred_head, *deferred_tail;

	struct timer_wheel *wheel;
	struct demux_table *demux;
	struct port_table *ports;

	/* Packets looped back inside the stack (nic.c: ns_nic_loop_local), delivered from a
	 * FIFO rather than by recursion; bounded by NS_LOOP_QUEUE_MAX. */
	struct ns_pkt *loop_head, *loop_tail;
	uint32_t loop_len;
	bool loop_draining;
	/* Set by ns_stack_free(): nothing is delivered inbound any more. */
	bool closing;
};

/* stack.c */
const struct ns_netproto_ops *stack_netproto(struct ns_stack *s, uint16_t number, void **priv);
const struct ns_transproto_ops *stack_transproto(struct ns_stack *s, uint8_t number, void **priv);

/* stack.c: a dispatch into endpoints begins / ends. The outermost end runs the releases
 * ns_ep_defer_free() deferred. Every entry point that can reach an endpoint or a waiter
 * callback brackets its work with these. */
static inline void stack_enter(struct ns_stack *s)
{
	if (s->depth++ == 0)
		s->now = ns_clock_now(s->clock);
}
void stack_leave(struct ns_stack *s);

/* stack.c: something routes depend on changed (ns_stack_generation()). */
static inline void stack_changed(struct ns_stack *s)
{
	s->generation++;
}

/* stack.c: a packet about to be modified (headers pushed, linked through ->next) must have
 * one owner: a shared one is replaced by a private copy. Returns NULL (and counts a
 * NO_MEMORY drop, releasing the caller's reference) when the copy fails. */
struct ns_pkt *pkt_unshare(struct ns_stack *s, struct ns_pkt *pkt);

/* An IPv4 address reads as its four bytes: the rest of an ns_addr is zeroed so that whole
 * compares work whatever the caller left there (RFC 791 addresses are 32 bits). */
static inline struct ns_addr addr_norm(const struct ns_addr *a)
{
	struct ns_addr n = *a;

	if (n.family == NS_AF_INET)
		memset(n.a + 4, 0, sizeof(n.a) - 4);
	return n;
}

/* Call the raw module's @hook (with its state as the second argument) if it has users;
 * expands to nothing else, so a stack without raw or packet endpoints pays one branch. */
#define RAW_HOOK(s, which, member, ...)                                    \
	do {                                                               \
		if ((s)->raw_users[which] && (s)->raw->member) {           \
			stack_enter(s);                                    \
			(s)->raw->member((s), (s)->raw_priv, __VA_ARGS__); \
			stack_leave(s);                                    \
		}                                                          \
	} while (0)

/* nic.c: deliver looped-back packets still queued (a drain stops after a budget so a
 * ping-pong between two local endpoints cannot hang the caller; ns_stack_poll() resumes). */
void nic_loop_drain(struct ns_stack *s);

/* route.c: forget every route through NIC @id (the NIC is going away). */
void route_remove_nic(struct ns_stack *s, uint32_t id);
/* route.c: the path MTU cache (ns_route_pmtu_update()). */
struct pmtu_cache *pmtu_new(struct ns_stack *s);
void pmtu_free(struct ns_stack *s, struct pmtu_cache *c);

/* timer.c: a hashed wheel of 1 ms slots over absolute deadlines. */
struct timer_wheel *timer_wheel_new(uint64_t now);
/* Cancels nothing: timers still armed are simply forgotten. */
void timer_wheel_free(struct timer_wheel *w);
/* Fire every timer with deadline <= now. */
void timer_wheel_run(struct ns_stack *s, struct timer_wheel *w, uint64_t now);
/* Earliest armed deadline, UINT64_MAX if none. Exact, except that when the earliest timers
 * share a far slot with more than 64 others it may be a lower bound: polling at it cascades
 * that slot, and the next answer is closer (never later than the true deadline). */
uint64_t timer_wheel_next(struct timer_wheel *w);

/* demux.c */
struct demux_table *demux_new(void);
void demux_free(struct demux_table *d);

/* ports.c */
struct port_table *ports_new(void);
void ports_free(struct port_table *p);

/* neigh.c: one table per NIC. */
struct neigh_table *neigh_new(struct ns_stack *s, struct ns_nic *nic);
/* Frees queued packets and cancels timers. */
void neigh_free(struct ns_stack *s, struct neigh_table *t);
/** neigh_queued_bytes() - What every packet waiting for resolution holds now, stack-wide
 * (their truesize; bounded by neigh_queue_total_bytes), for tests. */
uint64_t neigh_queued_bytes(const struct ns_stack *s);
/* The table's current (randomised) reachable time, RFC 4861 6.3.2; for tests. */
uint64_t neigh_reachable_time(const struct neigh_table *t);

/* hash.c */
uint64_t siphash24(const uint64_t key[2], const void *data, size_t len);

#endif
