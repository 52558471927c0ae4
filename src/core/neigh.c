/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the neighbor cache (the seed's LinkAddressCache and neighbor
 * entries), shared by ARP (IPv4) and NDP (IPv6), and ns_nic_output(), which uses it.
 *
 * Each NIC owns one table: a chained hash table of entries keyed by network address, bucket
 * index from a 64-bit mix under a per-NIC secret seed (so remote hosts cannot aim entries at
 * one chain), doubling as it fills. Entries follow the Neighbor Unreachability Detection
 * states of RFC 4861 7.3.2, which Linux also applies to ARP:
 *
 *   INCOMPLETE  resolving: packets wait on a FIFO bounded in packets (neigh_queue_len)
 *               and in the bytes of their buffers (neigh_queue_bytes, as Linux's
 *               unres_qlen_bytes, so that every fragment of a large datagram fits); when
 *               full the oldest is dropped, as Linux does; a broadcast request goes out at once and
 *               every neigh_retrans_ns; after neigh_retries requests the entry fails.
 *               Every FIFO of every NIC together is bounded too (neigh_queue_total_bytes,
 *               which Linux lacks: entries times queue bytes would be 320 MiB per NIC): past
 *               it the oldest packet waiting anywhere is dropped, found through a min-heap
 *               of the queueing entries on their oldest packet's arrival number.
 *   REACHABLE   confirmed within the reachable time (by a solicited reply or an upper-layer
 *               hint, ns_neigh_confirm()); then STALE. Confirmations only store a time: the
 *               timer re-arms itself lazily when it fires, so a confirmation per TCP ACK
 *               costs no timer operation. The reachable time is ReachableTime of RFC 4861
 *               6.3.2: a uniformly random 0.5 to 1.5 times neigh_reachable_ns, drawn per
 *               table and drawn again every REACH_REDRAW_NS (Linux: 300 s), so neighbors
 *               are not all probed in step. IPv6 neighbors use the BaseReachableTime and
 *               RetransTimer router advertisements set (ns_neigh_set_ipv6_times(), RFC
 *               4861 6.3.4), once one has.
 *   STALE       address known but unconfirmed; packets still go out. The first one moves the
 *               entry to DELAY (RFC 4861 7.3.3), including packets that were queued while it
 *               was INCOMPLETE and are flushed by an unsolicited answer. Unused for
 *               neigh_gc_ns: removed.
 *   DELAY       neigh_delay_ns for an upper-layer confirmation, then PROBE.
 *   PROBE       unicast requests every neigh_retrans_ns, neigh_retries of them; packets
 *               still use the cached address; no answer: the entry is removed.
 *   STATIC      configured: never expires, never overridden, never evicted.
 *
 * A failed entry (RFC 4861's FAILED) is removed at once: its queued packets go to their
 * network protocol's resolution_failed (ICMP host unreachable or a control to the sender)
 * or are dropped as NEIGH_FAILED; the next packet for the address starts afresh.
 *
 * Updates follow RFC 4861 7.2.5 with the flags proto.h defines (ARP, whose packets carry
 * no such bits, says what it believes: ns_neigh_update() callers set OVERRIDE for ARP
 * requests and replies, as Linux updates its ARP cache from both): an INCOMPLETE entry
 * takes the address (REACHABLE if solicited, else STALE); otherwise a different address
 * without OVERRIDE is not believed, and only demotes a REACHABLE entry to STALE; with
 * OVERRIDE (or the same address) the address is recorded, and the entry becomes REACHABLE
 * if solicited, STALE if its address changed, and keeps its state otherwise.
 *
 * Resolution requests go through the resolver: the network protocol whose ->resolves is
 * the packet's protocol (ARP for IPv4), or else the protocol itself if it resolves its own
 * addresses (NDP inside IPv6). One ns_timer per entry drives every state. The table holds
 * at most neigh_max_entries entries. A new one evicts, oldest first, an unused STALE entry
 * (kept on an LRU list); failing that, when a packet needs the new entry
 * (ns_nic_output()), the oldest INCOMPLETE entry (a second list in creation order), whose
 * queued packets fail as a failed resolution does (resolution_failed), so spoofed sources
 * that make us answer unknown hosts cannot lock legitimate neighbors out; failing that it
 * is refused (the packet dropped as NO_MEMORY and NO_BUFFER_SPACE returned, which the
 * sender sees as ENOBUFS). Static entries may exceed the bound.
 *
 * Re-entrancy: sending (a request, or a flushed packet) can come straight back into the
 * cache (a link wired to another stack in memory answers at once), so state and timers are
 * set before anything is sent, and queues are detached before they are flushed or failed.
 *
 * Outside the cache, ns_nic_output() maps broadcast and multicast next hops directly:
 * IPv4 limited/directed broadcast to ff:ff:ff:ff:ff:ff, IPv4 multicast to 01:00:5e plus the
 * low 23 bits (RFC 1112 6.4), IPv6 multicast to 33:33 plus the low 32 bits (RFC 2464 7);
 * links without NS_CAP_RESOLUTION_REQUIRED get no link address at all.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define NEIGH_INIT_BUCKETS 16u
#define NEIGH_SALT         0x6e65696768000001ull /* "neigh" */
#define REACH_REDRAW_NS    (300 * NS_SEC)        /* Linux: neigh_periodic_work */

enum neigh_state {
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_DELAY,
	NEIGH_PROBE,
	NEIGH_STATIC,
};

struct neigh_table;

struct neigh_entry {
	struct neigh_entry *hnext;         /* bucket chain */
	struct neigh_entry *snext, *sprev; /* the STALE or the INCOMPLETE list, while in one */
	struct neigh_table *tbl;
	struct ns_addr addr;  /* key (IPv4: bytes 4..15 zero) */
	struct ns_addr local; /* source for requests; unspecified: the NIC's primary */
	struct ns_mac mac;    /* valid unless INCOMPLETE */
	uint16_t netproto;    /* EtherType of addr's protocol (finds the resolver) */
	uint8_t state;        /* enum neigh_state */
	uint8_t probes;       /* requests sent in this INCOMPLETE or PROBE phase */
	bool router;
	uint32_t qlen;
	uint32_t qbytes;              /* the queued packets' truesize() */
	uint32_t heap_at;             /* 1 + its place in the stack's heap while queueing, or 0 */
	struct ns_pkt *qhead, *qtail; /* INCOMPLETE: packets awaiting the address (oldest first,
	                               * each stamped in ->user with its arrival number) */
	uint64_t confirmed;           /* last reachability confirmation */
	struct ns_timer timer;
};

/* Every NIC's resolution queues together (s->neigh_q): their bytes, held under
 * neigh_queue_total_bytes, and the entries that have a queue in a binary min-heap on their
 * oldest packet's arrival number, so the oldest packet anywhere is found in O(1) and
 * dropped in O(log n). */
struct neigh_queues {
	uint64_t bytes;            /* truesize() of every queued packet */
	uint32_t stamp;            /* arrival counter: the next queued packet's ->user */
	uint32_t n, cap;           /* entries in heap[], and its room */
	struct neigh_entry **heap; /* heap[0]: the entry holding the oldest queued packet */
};

struct neigh_table {
	struct ns_stack *s;
	struct ns_nic *nic;
	struct neigh_entry **bucket;
	uint32_t mask;
	uint32_t count;
	uint64_t seed;
	struct neigh_entry *stale_head, *stale_tail; /* oldest first */
	struct neigh_entry *inc_head, *inc_tail;     /* INCOMPLETE, oldest first */
	uint64_t reachable_ns;                       /* RFC 4861 6.3.2 ReachableTime */
	uint64_t reachable_drawn;                    /* when it was drawn */
	/* What router advertisements set for the IPv6 neighbors (RFC 4861 6.3.4; 0: the
	 * stack's), and the IPv6 ReachableTime drawn from that base. */
	uint64_t base_reachable6_ns, retrans6_ns;
	uint64_t reachable6_ns, reachable6_drawn;
};

static void neigh_timer(struct ns_stack *s, struct ns_timer *t);

/* ---------------------------------------------------------------- table */

static struct ns_addr norm_addr(const struct ns_addr *a)
{
	struct ns_addr n = *a;

	if (n.family != NS_AF_INET6)
		memset(n.a + 4, 0, 12);
	return n;
}

static uint32_t addr_hash(const struct neigh_table *tbl, const struct ns_addr *a)
{
	uint64_t w[2], h = tbl->seed ^ a->family;

	memcpy(w, a->a, 16);
	for (int i = 0; i < 2; i++) {
		h ^= w[i];
		h ^= h >> 32;
		h *= 0xd6e8feb86659fd93ull;
		h ^= h >> 32;
		h *= 0xd6e8feb86659fd93ull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

/* RFC 4861 6.3.2: ReachableTime is a uniformly distributed random value between
 * MIN_RANDOM_FACTOR (0.5) and MAX_RANDOM_FACTOR (1.5) times BaseReachableTime. */
static void draw(struct ns_stack *s, uint64_t base, uint64_t *reachable, uint64_t *drawn)
{
	*reachable = base / 2 + (base ? ns_stack_random(s) % (base + 1) : 0);
	*drawn = ns_stack_now(s);
}

static void draw_reachable(struct ns_stack *s, struct neigh_table *tbl)
{
	draw(s, s->cfg.neigh_reachable_ns, &tbl->reachable_ns, &tbl->reachable_drawn);
}

/* The reachable time for neighbors of @family: IPv6 ones use what router advertisements
 * set, if they did. Drawn again when older than REACH_REDRAW_NS ("recomputed at least
 * every few hours", RFC 4861 6.3.4). */
static uint64_t reachable_time(struct ns_stack *s, struct neigh_table *tbl, uint8_t family)
{
	uint64_t now = ns_stack_now(s);

	if (family == NS_AF_INET6 && tbl->base_reachable6_ns) {
		if (now - tbl->reachable6_drawn >= REACH_REDRAW_NS)
			draw(s, tbl->base_reachable6_ns, &tbl->reachable6_ns,
			     &tbl->reachable6_drawn);
		return tbl->reachable6_ns;
	}
	if (now - tbl->reachable_drawn >= REACH_REDRAW_NS)
		draw_reachable(s, tbl);
	return tbl->reachable_ns;
}

/* RFC 4861 6.3.2 RetransTimer for @e: IPv6 neighbors use what router advertisements set. */
static uint64_t retrans_time(struct ns_stack *s, const struct neigh_entry *e)
{
	if (e->addr.family == NS_AF_INET6 && e->tbl->retrans6_ns)
		return e->tbl->retrans6_ns;
	return s->cfg.neigh_retrans_ns;
}

uint64_t neigh_reachable_time(const struct neigh_table *tbl)
{
	return tbl ? tbl->reachable_ns : 0;
}

struct neigh_table *neigh_new(struct ns_stack *s, struct ns_nic *nic)
{
	struct neigh_table *tbl = calloc(1, sizeof(*tbl));

	if (!tbl)
		return NULL;
	tbl->bucket = calloc(NEIGH_INIT_BUCKETS, sizeof(*tbl->bucket));
	if (!s->neigh_q)
		s->neigh_q = calloc(1, sizeof(*s->neigh_q)); /* with the first NIC */
	if (!tbl->bucket || !s->neigh_q) {
		free(tbl->bucket);
		free(tbl);
		return NULL;
	}
	tbl->s = s;
	tbl->nic = nic;
	tbl->mask = NEIGH_INIT_BUCKETS - 1;
	tbl->seed = ns_hash_keyed(s, NEIGH_SALT, &nic->id, sizeof(nic->id));
	draw_reachable(s, tbl);
	return tbl;
}

/* ---------------------------------------------------------------- the stack-wide heap */

/* Did @a's oldest queued packet arrive before @b's? (Arrival numbers wrap: compared as
 * a serial number, which holds while fewer than 2^31 packets are queued in between.) */
static bool older(const struct neigh_entry *a, const struct neigh_entry *b)
{
	return (int32_t)(a->qhead->user - b->qhead->user) < 0;
}

static void heap_put(struct neigh_queues *q, uint32_t i, struct neigh_entry *e)
{
	q->heap[i] = e;
	e->heap_at = i + 1;
}

static void heap_up(struct neigh_queues *q, uint32_t i)
{
	struct neigh_entry *e = q->heap[i];

	while (i > 0 && older(e, q->heap[(i - 1) / 2])) {
		heap_put(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_put(q, i, e);
}

static void heap_down(struct neigh_queues *q, uint32_t i)
{
	struct neigh_entry *e = q->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && older(q->heap[c + 1], q->heap[c]))
			c++;
		if (!older(q->heap[c], e))
			break;
		heap_put(q, i, q->heap[c]);
		i = c;
	}
	heap_put(q, i, e);
}

/* @e's queue just got its first packet. False if the heap cannot grow. */
static bool heap_add(struct neigh_queues *q, struct neigh_entry *e)
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 16;
		struct neigh_entry **h = realloc(q->heap, cap * sizeof(*h));

		if (!h)
			return false;
		q->heap = h;
		q->cap = cap;
	}
	q->heap[q->n++] = e;
	heap_up(q, q->n - 1);
	return true;
}

/* @e's queue is gone (emptied or detached). */
static void heap_del(struct neigh_queues *q, struct neigh_entry *e)
{
	uint32_t i = e->heap_at - 1;
	struct neigh_entry *last;

	if (!e->heap_at)
		return;
	e->heap_at = 0;
	last = q->heap[--q->n];
	if (i == q->n)
		return;
	heap_put(q, i, last);
	heap_up(q, i);
	heap_down(q, last->heap_at - 1);
}

uint64_t neigh_queued_bytes(const struct ns_stack *s)
{
	return s && s->neigh_q ? s->neigh_q->bytes : 0;
}

void neigh_free(struct ns_stack *s, struct neigh_table *tbl)
{
	if (!tbl)
		return;
	for (uint32_t i = 0; i <= tbl->mask; i++) {
		struct neigh_entry *e = tbl->bucket[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			ns_timer_cancel(s, &e->timer);
			if (e->qhead) {
				s->neigh_q->bytes -= e->qbytes;
				heap_del(s->neigh_q, e);
			}
			ns_pkt_free_list(e->qhead);
			free(e);
		}
	}
	free(tbl->bucket);
	free(tbl);
	if (s->nnics == 0 && s->neigh_q) {
		/* The last NIC is gone (ns_stack_remove_nic() counted it out first). */
		free(s->neigh_q->heap);
		free(s->neigh_q);
		s->neigh_q = NULL;
	}
}

static struct neigh_entry *lookup(const struct neigh_table *tbl, const struct ns_addr *a)
{
	struct ns_addr k = norm_addr(a);

	for (struct neigh_entry *e = tbl->bucket[addr_hash(tbl, &k) & tbl->mask]; e; e = e->hnext)
		if (ns_addr_eq(&e->addr, &k))
			return e;
	return NULL;
}

static void grow(struct neigh_table *tbl)
{
	uint32_t n = (tbl->mask + 1) * 2;
	struct neigh_entry **nb = n <= (1u << 24) ? calloc(n, sizeof(*nb)) : NULL;

	if (!nb)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i <= tbl->mask; i++) {
		struct neigh_entry *e = tbl->bucket[i], *next;

		for (; e; e = next) {
			uint32_t j = addr_hash(tbl, &e->addr) & (n - 1);

			next = e->hnext;
			e->hnext = nb[j];
			nb[j] = e;
		}
	}
	free(tbl->bucket);
	tbl->bucket = nb;
	tbl->mask = n - 1;
}

/* The age-ordered list an entry in state @st belongs to (head and tail), if any. */
static bool state_list(struct neigh_table *tbl, uint8_t st, struct neigh_entry ***head,
                       struct neigh_entry ***tail)
{
	if (st == NEIGH_STALE) {
		*head = &tbl->stale_head;
		*tail = &tbl->stale_tail;
		return true;
	}
	if (st == NEIGH_INCOMPLETE) {
		*head = &tbl->inc_head;
		*tail = &tbl->inc_tail;
		return true;
	}
	return false;
}

/* Take @e off its state's list (STALE or INCOMPLETE), if it is on one. */
static void list_unlink(struct neigh_table *tbl, struct neigh_entry *e)
{
	struct neigh_entry **head, **tail;

	if (!state_list(tbl, e->state, &head, &tail))
		return;
	if (e->sprev)
		e->sprev->snext = e->snext;
	else if (*head == e)
		*head = e->snext;
	if (e->snext)
		e->snext->sprev = e->sprev;
	else if (*tail == e)
		*tail = e->sprev;
	e->snext = e->sprev = NULL;
}

/* Append @e (in its current state) to its state's list, if that state has one. */
static void list_append(struct neigh_table *tbl, struct neigh_entry *e)
{
	struct neigh_entry **head, **tail;

	if (!state_list(tbl, e->state, &head, &tail))
		return;
	e->sprev = *tail;
	e->snext = NULL;
	if (*tail)
		(*tail)->snext = e;
	else
		*head = e;
	*tail = e;
}

/* Unlink @e from everything and free it. Its queue must have been detached. */
static void entry_remove(struct ns_stack *s, struct neigh_table *tbl, struct neigh_entry *e)
{
	struct neigh_entry **pp = &tbl->bucket[addr_hash(tbl, &e->addr) & tbl->mask];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	list_unlink(tbl, e);
	ns_timer_cancel(s, &e->timer);
	tbl->count--;
	free(e);
}

/* The network protocol (EtherType) that owns addresses of @family, or 0. */
static uint16_t netproto_for_family(struct ns_stack *s, uint8_t family)
{
	for (uint32_t i = 0; i < s->nnet; i++) {
		const struct ns_netproto_ops *ops = s->net[i].ops;

		if (ops->family == family)
			return ops->number;
	}
	return 0;
}

/* The protocol that resolves addresses of @netproto: a separate resolver (ARP for IPv4),
 * else the protocol itself if it resolves its own (NDP in IPv6); NULL if none. */
static const struct ns_netproto_ops *resolver_for(struct ns_stack *s, uint16_t netproto,
                                                  void **priv)
{
	const struct ns_netproto_ops *ops;

	if (netproto == 0)
		return NULL;
	for (uint32_t i = 0; i < s->nnet; i++) {
		ops = s->net[i].ops;
		if (ops->resolves == netproto && ops->number != netproto &&
		    ops->link_addr_request) {
			*priv = s->net[i].priv;
			return ops;
		}
	}
	ops = stack_netproto(s, netproto, priv);
	if (ops && ops->resolves == netproto && ops->link_addr_request)
		return ops;
	return NULL;
}

/* Take @e's queued packets off it (they are returned, still linked through ->next). */
static struct ns_pkt *detach_queue(struct neigh_entry *e)
{
	struct neigh_queues *nq = e->tbl->s->neigh_q;
	struct ns_pkt *q = e->qhead;

	if (q) {
		nq->bytes -= e->qbytes;
		heap_del(nq, e);
	}
	e->qhead = e->qtail = NULL;
	e->qlen = 0;
	e->qbytes = 0;
	return q;
}

/* Resolution failed for the packets on @q: hand each to its protocol's resolution_failed
 * (ICMP host unreachable, or a control to the sender), else drop it. */
static void fail_queue(struct ns_stack *s, struct ns_pkt *q)
{
	while (q) {
		struct ns_pkt *pkt = q;
		const struct ns_netproto_ops *ops;
		void *priv = NULL;

		q = pkt->next;
		pkt->next = NULL;
		ops = stack_netproto(s, pkt->netproto, &priv);
		if (ops && ops->resolution_failed)
			ops->resolution_failed(s, priv, pkt);
		else
			ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
	}
}

/* How entry_create() may make room in a full table. */
enum make_room {
	ROOM_STALE,      /* evict an unused STALE entry, else refuse */
	ROOM_INCOMPLETE, /* ... else the oldest INCOMPLETE entry, else refuse */
	ROOM_FORCE,      /* evict a STALE entry if there is one, else exceed the bound */
};

/*
 * A new entry in INCOMPLETE state (not yet timed or listed). NULL if the table is full and
 * nothing may be evicted, or memory ran out. An evicted INCOMPLETE entry's queue is
 * returned in *@evicted for the caller to fail (fail_queue()) once the new entry is set
 * up: failing it sends (ICMP errors), which may come back here.
 */
static struct neigh_entry *entry_create(struct ns_stack *s, struct neigh_table *tbl,
                                        const struct ns_addr *a, uint16_t netproto,
                                        enum make_room room, struct ns_pkt **evicted)
{
	struct neigh_entry *e;
	uint32_t b;

	if (tbl->count >= s->cfg.neigh_max_entries) {
		if (tbl->stale_head) {
			entry_remove(s, tbl, tbl->stale_head); /* STALE: nothing queued */
		} else if (room == ROOM_INCOMPLETE && tbl->inc_head && evicted) {
			struct neigh_entry *victim = tbl->inc_head;

			*evicted = detach_queue(victim);
			entry_remove(s, tbl, victim);
			ns_stat_inc(s, NS_STAT_NEIGH_FAILED);
		} else if (room != ROOM_FORCE) {
			return NULL;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->tbl = tbl;
	e->addr = norm_addr(a);
	e->local.family = a->family;
	e->netproto = netproto;
	e->state = NEIGH_INCOMPLETE;
	ns_timer_init(&e->timer, neigh_timer, e);
	b = addr_hash(tbl, &e->addr) & tbl->mask;
	e->hnext = tbl->bucket[b];
	tbl->bucket[b] = e;
	if (++tbl->count > tbl->mask + 1)
		grow(tbl);
	return e;
}

/* ---------------------------------------------------------------- state machine */

/* Enter @st and arm the timer that state needs. */
static void set_state(struct ns_stack *s, struct neigh_entry *e, enum neigh_state st)
{
	const struct ns_stack_config *cfg = &s->cfg;
	struct neigh_table *tbl = e->tbl;
	uint64_t now = ns_stack_now(s);

	list_unlink(tbl, e);
	e->state = (uint8_t)st;
	list_append(tbl, e);
	switch (st) {
	case NEIGH_INCOMPLETE:
	case NEIGH_PROBE:
		e->probes = 0;
		ns_timer_arm(s, &e->timer, now + retrans_time(s, e));
		break;
	case NEIGH_REACHABLE:
		e->confirmed = now;
		ns_timer_arm(s, &e->timer, now + reachable_time(s, tbl, e->addr.family));
		break;
	case NEIGH_STALE:
		ns_timer_arm(s, &e->timer, now + cfg->neigh_gc_ns);
		break;
	case NEIGH_DELAY:
		ns_timer_arm(s, &e->timer, now + cfg->neigh_delay_ns);
		break;
	case NEIGH_STATIC:
		ns_timer_cancel(s, &e->timer);
		break;
	}
}

/* Send a resolution request for @e: broadcast (INCOMPLETE) or unicast to the cached
 * address (PROBE). Counts it in e->probes. Call after the entry's state is set: the
 * answer may arrive before this returns. */
static void solicit(struct ns_stack *s, struct neigh_entry *e, bool unicast)
{
	struct neigh_table *tbl = e->tbl;
	const struct ns_netproto_ops *ops;
	void *priv = NULL;
	struct ns_addr target = e->addr, local = e->local;
	struct ns_mac mac = e->mac;

	e->probes++;
	ops = resolver_for(s, e->netproto, &priv);
	if (!ops)
		return;
	if (ns_addr_is_any(&local)) {
		struct ns_subnet primary;

		if (ns_nic_primary_addr(tbl->nic, target.family, &primary))
			local = primary.addr;
	}
	ops->link_addr_request(s, priv, tbl->nic, &target, &local, unicast ? &mac : NULL);
}

/* Resolution failed: remove @e, then hand each queued packet to its protocol. */
static void entry_fail(struct ns_stack *s, struct neigh_entry *e)
{
	struct ns_pkt *q = detach_queue(e);

	entry_remove(s, e->tbl, e);
	ns_stat_inc(s, NS_STAT_NEIGH_FAILED);
	fail_queue(s, q);
}

/* Send every packet queued on @e (in arrival order) to its now known address. */
static void flush_queue(struct ns_stack *s, struct neigh_entry *e)
{
	struct ns_nic *nic = e->tbl->nic;
	struct ns_mac mac = e->mac;
	struct ns_pkt *q = detach_queue(e);

	while (q) {
		struct ns_pkt *pkt = q;

		q = pkt->next;
		pkt->next = NULL;
		ns_nic_output_mac(s, nic, &mac, pkt);
	}
}

static void neigh_timer(struct ns_stack *s, struct ns_timer *t)
{
	struct neigh_entry *e = t->arg;
	const struct ns_stack_config *cfg = &s->cfg;
	uint64_t now = ns_stack_now(s);

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		/* RFC 4861 7.3.3: MAX_MULTICAST_SOLICIT requests, then fail. */
		if (e->probes >= cfg->neigh_retries) {
			entry_fail(s, e);
			return;
		}
		ns_timer_arm(s, &e->timer, now + retrans_time(s, e));
		solicit(s, e, false);
		break;
	case NEIGH_REACHABLE: {
		uint64_t until = e->confirmed + reachable_time(s, e->tbl, e->addr.family);

		/* Confirmations since arming moved the deadline: re-arm lazily. */
		if (until > now) {
			ns_timer_arm(s, &e->timer, until);
			return;
		}
		set_state(s, e, NEIGH_STALE);
		break;
	}
	case NEIGH_STALE:
		/* Unused for neigh_gc_ns (a use would have moved it to DELAY). */
		entry_remove(s, e->tbl, e);
		break;
	case NEIGH_DELAY:
		/* RFC 4861 7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME. */
		set_state(s, e, NEIGH_PROBE);
		solicit(s, e, true);
		break;
	case NEIGH_PROBE:
		/* MAX_UNICAST_SOLICIT probes unanswered: the neighbor is gone. */
		if (e->probes >= cfg->neigh_retries) {
			entry_fail(s, e);
			return;
		}
		ns_timer_arm(s, &e->timer, now + retrans_time(s, e));
		solicit(s, e, true);
		break;
	case NEIGH_STATIC:
		break;
	}
}

/* What a queued packet holds: its buffer and its struct (Linux: skb->truesize). */
static uint32_t truesize(const struct ns_pkt *pkt)
{
	return (uint32_t)sizeof(*pkt) + pkt->cap;
}

/* Drop @e's oldest queued packet, counted as @why. */
static void drop_oldest(struct ns_stack *s, struct neigh_entry *e, enum ns_drop_reason why)
{
	struct neigh_queues *nq = s->neigh_q;
	struct ns_pkt *old = e->qhead;
	uint32_t size = truesize(old);

	e->qhead = old->next;
	e->qlen--;
	e->qbytes -= size;
	nq->bytes -= size;
	if (!e->qhead) {
		e->qtail = NULL;
		heap_del(nq, e);
	} else {
		heap_down(nq, e->heap_at - 1); /* its oldest is younger now */
	}
	old->next = NULL;
	ns_drop(s, old, why);
}

/* Queue @pkt on INCOMPLETE entry @e. When the entry's queue is full (packets or bytes) its
 * oldest packets go; when every queue together would pass neigh_queue_total_bytes, the
 * oldest packet waiting anywhere goes, whichever NIC and entry hold it (Linux's choice
 * for one queue, taken stack-wide: the newest data is likelier to still matter, and a
 * flood of packets to unresolvable next hops only ever pushes out its own older ones once
 * it holds the cap). Consumes @pkt. */
static void enqueue(struct ns_stack *s, struct neigh_entry *e, struct ns_pkt *pkt)
{
	struct neigh_queues *nq = s->neigh_q;
	uint32_t max = s->cfg.neigh_queue_len, max_bytes = s->cfg.neigh_queue_bytes;
	uint32_t size = truesize(pkt);

	if (max == 0 || size > max_bytes || size > s->cfg.neigh_queue_total_bytes) {
		ns_drop(s, pkt, NS_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	while (e->qlen >= max || e->qbytes + size > max_bytes)
		drop_oldest(s, e, NS_DROP_NEIGH_QUEUE_FULL);
	/* Bytes are queued only while some entry has a queue: the heap is not empty. */
	while (nq->bytes + size > s->cfg.neigh_queue_total_bytes)
		drop_oldest(s, nq->heap[0], NS_DROP_NEIGH_QUEUES_TOTAL);
	pkt->next = NULL;
	pkt->user = nq->stamp++;
	if (e->qtail) {
		e->qtail->next = pkt;
	} else {
		e->qhead = pkt;
		if (!heap_add(nq, e)) {
			e->qhead = NULL;
			ns_drop(s, pkt, NS_DROP_NO_MEMORY);
			return;
		}
	}
	e->qtail = pkt;
	e->qlen++;
	e->qbytes += size;
	nq->bytes += size;
}

/* ---------------------------------------------------------------- output */

static bool ipv4_is_multicast(const struct ns_addr *a)
{
	return (a->a[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
}

static bool ipv4_is_limited_broadcast(const struct ns_addr *a)
{
	return a->a[0] == 255 && a->a[1] == 255 && a->a[2] == 255 && a->a[3] == 255;
}

/* The link address of a broadcast or multicast next hop; false for unicast. */
static bool mapped_mac(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a,
                       struct ns_mac *mac)
{
	if (a->family == NS_AF_INET) {
		if (ipv4_is_limited_broadcast(a) ||
		    ns_nic_match_addr(s, nic, a) == NS_ADDR_BROADCAST) {
			memset(mac->b, 0xff, 6);
			return true;
		}
		if (ipv4_is_multicast(a)) {
			/* RFC 1112 6.4: 01-00-5E-00-00-00 plus the low-order 23 bits. */
			const uint8_t m[6] = {0x01,    0x00,   0x5e, (uint8_t)(a->a[1] & 0x7f),
			                      a->a[2], a->a[3]};

			memcpy(mac->b, m, 6);
			return true;
		}
	} else if (a->family == NS_AF_INET6 && a->a[0] == 0xff) {
		/* RFC 2464 7: 33-33 plus the last four octets. */
		const uint8_t m[6] = {0x33, 0x33, a->a[12], a->a[13], a->a[14], a->a[15]};

		memcpy(mac->b, m, 6);
		return true;
	}
	return false;
}

ns_err ns_nic_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *next_hop,
                     const struct ns_addr *local, struct ns_pkt *pkt)
{
	static const struct ns_mac none;
	struct neigh_table *tbl;
	struct neigh_entry *e;
	struct ns_mac mac;

	if (!s || !pkt || !next_hop) {
		ns_pkt_free(pkt);
		return NS_ERR_INVALID_ARGUMENT;
	}
	/* A missing or down NIC: ns_nic_output_mac() counts and drops. */
	if (!nic || !nic->up || !(nic->caps & NS_CAP_RESOLUTION_REQUIRED))
		return ns_nic_output_mac(s, nic, &none, pkt);
	if (mapped_mac(s, nic, next_hop, &mac))
		return ns_nic_output_mac(s, nic, &mac, pkt);
	/* It may wait on a queue linked through ->next: it must be ours alone. */
	pkt = pkt_unshare(s, pkt);
	if (!pkt)
		return NS_ERR_NO_BUFFER_SPACE;

	tbl = nic->neigh;
	e = lookup(tbl, next_hop);
	if (!e) {
		struct ns_pkt *evicted = NULL;
		void *priv = NULL;

		if (!resolver_for(s, pkt->netproto, &priv)) {
			ns_drop(s, pkt, NS_DROP_NEIGH_FAILED);
			return NS_ERR_HOST_UNREACHABLE;
		}
		e = entry_create(s, tbl, next_hop, pkt->netproto, ROOM_INCOMPLETE, &evicted);
		if (!e) {
			/* Nothing could be evicted: ENOBUFS, as Linux's neighbor table
			 * overflow. */
			fail_queue(s, evicted);
			ns_drop(s, pkt, NS_DROP_NO_MEMORY);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		if (local && local->family == next_hop->family)
			e->local = addr_norm(local);
		set_state(s, e, NEIGH_INCOMPLETE);
		enqueue(s, e, pkt);
		solicit(s, e, false);
		fail_queue(s, evicted);
		return NS_OK;
	}

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		if (local && ns_addr_is_any(&e->local) && local->family == next_hop->family)
			e->local = addr_norm(local);
		enqueue(s, e, pkt);
		return NS_OK;
	case NEIGH_STALE:
		/* RFC 4861 7.3.3: first use of a STALE entry starts the DELAY timer. */
		set_state(s, e, NEIGH_DELAY);
		break;
	default:
		break;
	}
	mac = e->mac;
	return ns_nic_output_mac(s, nic, &mac, pkt);
}

/* ---------------------------------------------------------------- updates */

void ns_neigh_update(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a,
                     const struct ns_mac *mac, unsigned flags)
{
	struct neigh_table *tbl;
	struct neigh_entry *e;
	bool solicited = flags & NS_NEIGH_SOLICITED;
	bool differs;

	if (!s || !nic || !a || !nic->neigh)
		return;
	/* RFC 1812 3.3.2: never believe a broadcast or multicast link address for a unicast
	 * neighbor. */
	if (mac && ns_mac_is_multicast(mac))
		return;
	tbl = nic->neigh;
	e = lookup(tbl, a);
	if (!e) {
		/* RFC 4861 7.2.5: an advertisement for an unknown entry is dropped; 7.2.3: a
		 * solicitation aimed at us (NS_NEIGH_CREATE) creates a STALE entry. Making room
		 * for it never fails packets waiting on INCOMPLETE entries. */
		if (!(flags & NS_NEIGH_CREATE) || !mac)
			return;
		e = entry_create(s, tbl, a, netproto_for_family(s, a->family), ROOM_STALE, NULL);
		if (!e)
			return;
		e->mac = *mac;
		e->router = flags & NS_NEIGH_ROUTER;
		set_state(s, e, NEIGH_STALE);
		return;
	}
	if (e->state == NEIGH_STATIC)
		return;

	if (e->state == NEIGH_INCOMPLETE) {
		if (!mac)
			return;
		/* RFC 4861 7.2.5: record the address; REACHABLE if solicited, else STALE. The
		 * queued packets are then sent, and sending on a STALE entry starts DELAY
		 * (7.3.3) so the unconfirmed address gets probed. */
		e->mac = *mac;
		e->router = flags & NS_NEIGH_ROUTER;
		ns_stat_inc(s, NS_STAT_NEIGH_RESOLVED);
		if (solicited)
			set_state(s, e, NEIGH_REACHABLE);
		else
			set_state(s, e, e->qhead ? NEIGH_DELAY : NEIGH_STALE);
		flush_queue(s, e);
		return;
	}

	differs = mac && !ns_mac_eq(mac, &e->mac);
	if (differs && !(flags & NS_NEIGH_OVERRIDE)) {
		/* RFC 4861 7.2.5: without Override a different address is not believed; a
		 * REACHABLE entry becomes STALE, "but do not update the entry in any other
		 * way"; in any other state the advertisement is ignored. */
		if (e->state == NEIGH_REACHABLE)
			set_state(s, e, NEIGH_STALE);
		return;
	}
	/* Override, or the same address (or none given): the entry is updated. */
	e->router = flags & NS_NEIGH_ROUTER;
	if (differs)
		e->mac = *mac;
	if (solicited)
		set_state(s, e, NEIGH_REACHABLE);
	else if (differs)
		set_state(s, e, NEIGH_STALE);
}

void ns_neigh_confirm(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a)
{
	struct neigh_entry *e;

	if (!s || !nic || !a || !nic->neigh)
		return;
	e = lookup(nic->neigh, a);
	if (!e)
		return;
	switch (e->state) {
	case NEIGH_REACHABLE:
		e->confirmed = ns_stack_now(s); /* the timer catches up lazily */
		break;
	case NEIGH_STALE:
	case NEIGH_DELAY:
	case NEIGH_PROBE:
		/* RFC 4861 7.3.1: upper-layer progress is proof of reachability. */
		set_state(s, e, NEIGH_REACHABLE);
		break;
	default:
		break;
	}
}

void ns_neigh_set_ipv6_times(struct ns_stack *s, struct ns_nic *nic, uint64_t base_reachable_ns,
                             uint64_t retrans_ns)
{
	struct neigh_table *tbl = nic ? nic->neigh : NULL;

	if (!s || !tbl)
		return;
	/* RFC 4861 6.3.4: "If the new value differs from the previous value, the host SHOULD
	 * re-compute a new random ReachableTime value." Entries pick it up when next armed. */
	if (base_reachable_ns && base_reachable_ns != tbl->base_reachable6_ns) {
		tbl->base_reachable6_ns = base_reachable_ns;
		draw(s, base_reachable_ns, &tbl->reachable6_ns, &tbl->reachable6_drawn);
	}
	if (retrans_ns)
		tbl->retrans6_ns = retrans_ns;
}

uint64_t ns_neigh_retrans_time(struct ns_stack *s, struct ns_nic *nic, uint8_t family)
{
	struct neigh_table *tbl = nic ? nic->neigh : NULL;

	if (tbl && family == NS_AF_INET6 && tbl->retrans6_ns)
		return tbl->retrans6_ns;
	return s ? s->cfg.neigh_retrans_ns : 0;
}

/* Each INCOMPLETE entry's timer is re-armed for now with a fresh count, so the requests go
 * out from the timer wheel (at the stack's next poll), not from here: a request can be
 * answered at once and flushing a queue can evict entries, which would pull the list out
 * from under this loop. */
void ns_neigh_solicit_incomplete(struct ns_stack *s, struct ns_nic *nic, uint8_t family)
{
	struct neigh_table *tbl = nic ? nic->neigh : NULL;
	uint64_t now;

	if (!s || !tbl)
		return;
	now = ns_stack_now(s);
	for (struct neigh_entry *e = tbl->inc_head; e; e = e->snext) {
		if (e->addr.family != family)
			continue;
		e->probes = 0;
		ns_timer_arm(s, &e->timer, now);
	}
}

ns_err ns_stack_add_static_neighbor(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *a,
                                    const struct ns_mac *mac)
{
	struct ns_nic *nic = ns_nic_find(s, nic_id);
	struct neigh_entry *e;

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	if (!a || !mac || (a->family != NS_AF_INET && a->family != NS_AF_INET6) ||
	    ns_addr_is_any(a))
		return NS_ERR_INVALID_ARGUMENT;
	e = lookup(nic->neigh, a);
	if (!e) {
		e = entry_create(s, nic->neigh, a, netproto_for_family(s, a->family), ROOM_FORCE,
		                 NULL);
		if (!e)
			return NS_ERR_NO_MEMORY;
	}
	e->mac = *mac;
	set_state(s, e, NEIGH_STATIC);
	flush_queue(s, e); /* it may have been resolving */
	return NS_OK;
}

bool ns_stack_neighbor(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *a,
                       struct ns_mac *mac)
{
	struct ns_nic *nic = ns_nic_find(s, nic_id);
	struct neigh_entry *e;

	if (!nic || !a || !nic->neigh)
		return false;
	e = lookup(nic->neigh, a);
	if (!e || e->state == NEIGH_INCOMPLETE)
		return false;
	if (mac)
		*mac = e->mac;
	return true;
}
