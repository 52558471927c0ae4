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

#include "netstack/link.h"
#include "netstack/proto.h"
#include "netstack/stack.h"
#include "netstack/timer.h"

#define NS_NIC_MAX_ADDRS 16
#define NS_NIC_MAX_RANGES 8
#define NS_MAX_ROUTES 256
#define NS_LOOP_QUEUE_MAX 1024 /* packets awaiting local delivery */

struct timer_wheel;
struct demux_table;
struct port_table;
struct neigh_table;

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
	uint32_t nranges;
	struct ns_subnet ranges[NS_NIC_MAX_RANGES];
	struct neigh_table *neigh; /* neigh.c */
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

	struct proto_slot net[NS_MAX_PROTOCOLS];
	uint32_t nnet;
	struct proto_slot trans[NS_MAX_PROTOCOLS];
	uint32_t ntrans;
	/* O(1) dispatch by number. */
	int8_t trans_by_number[256]; /* index into trans[], -1 if none */

	struct ns_nic **nics;
	uint32_t nnics, nics_cap;

	struct ns_route_entry routes[NS_MAX_ROUTES]; /* sorted: longest prefix, then metric */
	uint32_t nroutes;

	/* ICMP error token bucket. */
	uint64_t icmp_tokens_milli; /* tokens * 1000 */
	uint64_t icmp_last_ns;

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

/* nic.c: deliver looped-back packets still queued (a drain stops after a budget so a
 * ping-pong between two local endpoints cannot hang the caller; ns_stack_poll() resumes). */
void nic_loop_drain(struct ns_stack *s);

/* route.c: forget every route through NIC @id (the NIC is going away). */
void route_remove_nic(struct ns_stack *s, uint32_t id);

/* timer.c: a hashed wheel of 1 ms slots over absolute deadlines. */
struct timer_wheel *timer_wheel_new(uint64_t now);
/* Cancels nothing: timers still armed are simply forgotten. */
void timer_wheel_free(struct timer_wheel *w);
/* Fire every timer with deadline <= now. */
void timer_wheel_run(struct ns_stack *s, struct timer_wheel *w, uint64_t now);
/* Earliest armed deadline, UINT64_MAX if none. Exact. */
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

/* hash.c */
uint64_t siphash24(const uint64_t key[2], const void *data, size_t len);

#endif
