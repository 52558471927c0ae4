/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the stack object (the seed's stack.Stack).
 *
 * A stack owns its configuration (copied at creation), the protocol table, the NICs
 * (nic.c), the route table (route.c), the counters (stats.c), a secret and a PRNG, the
 * ICMP error token buckets and the timer wheel, demuxer and port table (timer.c, demux.c,
 * ports.c). Protocols are registered only through the vtables in the config: the core
 * never names one. Network protocols are found by EtherType with a scan of at most
 * NS_MAX_PROTOCOLS entries; transport protocols through a 256-entry table indexed by the IP
 * protocol number, so per-packet dispatch is O(1).
 *
 * Secrets: the 64-bit seed (from getrandom() unless the config fixes it for repeatable
 * tests) is stretched with splitmix64 into a 128-bit SipHash key and the PRNG's start
 * state. ISNs (RFC 6528), ephemeral ports (RFC 6056) and hash-table buckets use
 * ns_hash_keyed(), which separates its users with a salt folded into the key.
 *
 * Lifetime: ns_stack_new() initialises protocols in registration order (network, then
 * transport); ns_stack_free() finalises them in reverse order (transports first, so their
 * endpoints can still send through the network layer while closing), then removes the NICs
 * and frees the core tables. Once freeing starts, nothing more is delivered inbound.
 *
 * Dispatch depth and deferred release: every entry point that can reach an endpoint or a
 * waiter callback (a NIC's delivery, ns_deliver_transport/control, ns_stack_poll, each
 * ns_ep_* call) counts itself in s->depth with stack_enter()/stack_leave(). An endpoint
 * closed while the depth is non-zero (by a waiter callback, say, while a broadcast
 * fan-out still holds a pointer to it) is unlinked at once but released by
 * ns_ep_defer_free() only when the outermost dispatch leaves, so no caller up the stack
 * ever touches freed memory.
 *
 * Time: the outermost dispatch reads the clock as it begins (stack_enter) and
 * ns_stack_now() answers with that reading meanwhile, so the handling of one frame or one
 * call does not call clock_gettime() at every question (TCP asked six to eight times a
 * segment). A protocol about to stamp what it sends refreshes the reading
 * (ns_stack_now_refresh()), as Linux refreshes tcp_mstamp per transmit: one reading for a
 * whole dispatch goes stale by milliseconds when a write runs the peer's receive path in
 * our thread (a TAP's kernel does) or the thread is preempted, and a time-based loss
 * detector (RACK) then misjudges what is overdue (measured: recovery under loss over a
 * TAP twice as slow).
 *
 * ICMP error rate (RFC 1812 4.3.2.8, RFC 4443 2.4(f)): a stack-wide token bucket, plus a
 * fixed table of NS_ICMP_PEER_BUCKETS per-destination buckets indexed by a keyed hash of
 * the destination (bounded memory whatever the number of peers; a peer cannot choose to
 * share another's bucket without knowing the secret), each with a burst of icmp_peer_burst
 * and one token per icmp_peer_interval_ns, as Linux's per-peer limit (XRLIM_BURST_FACTOR 6,
 * icmp_ratelimit 1 s). An error goes out only if both buckets have a token, and takes one
 * from each only then (Linux checks the global limit first and consumes it last), so one
 * host provoking errors empties its own bucket, not the budget of everyone else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/core.h"

void ns_stack_config_init(struct ns_stack_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->ephemeral_lo = 32768; /* Linux's ip_local_port_range */
	cfg->ephemeral_hi = 60999;
	cfg->icmp_rate = 1000;
	cfg->icmp_burst = 50;
	cfg->icmp_peer_burst = 6;                /* Linux XRLIM_BURST_FACTOR */
	cfg->icmp_peer_interval_ns = 1 * NS_SEC; /* Linux icmp_ratelimit (1000 ms) */
	/* RFC 4861 10: MAX_MULTICAST_SOLICIT, RETRANS_TIMER, REACHABLE_TIME,
	 * DELAY_FIRST_PROBE_TIME. */
	cfg->neigh_retries = 3;
	cfg->neigh_retrans_ns = 1 * NS_SEC;
	cfg->neigh_reachable_ns = 30 * NS_SEC;
	cfg->neigh_delay_ns = 5 * NS_SEC;
	cfg->neigh_gc_ns = 60 * NS_SEC;
	/* Sized for the stack's own largest datagram at the smallest MTU it fragments for:
	 * 64 KiB in the 125 fragments of the 552-byte IPv4 path MTU floor, 2 KiB buffers each. */
	cfg->neigh_queue_len = 256;
	cfg->neigh_queue_bytes = 320u << 10;
	/* Linux bounds only each neighbor's queue (unres_qlen_bytes), so a peer that makes a
	 * router queue for many unresolvable next hops can pin entries x queue bytes (here
	 * 1024 x 320 KiB per NIC). 4 MiB, as the reassembly cap (frag_mem_max): a dozen
	 * entries with full queues, or hundreds resolving with a few packets each, which is
	 * what real traffic does. */
	cfg->neigh_queue_total_bytes = 4u << 20;
	cfg->neigh_max_entries = 1024;
	cfg->default_ttl = 64;               /* RFC 1700 / Linux ip_default_ttl */
	cfg->frag_mem_max = 4u << 20;        /* Linux ipfrag_high_thresh */
	cfg->frag_src_max = 1u << 20;        /* a quarter: no one source fills the cap */
	cfg->frag_max_frags = 128;           /* 64 KiB in 552-byte fragments fits */
	cfg->frag_timeout_ns = 30 * NS_SEC;  /* Linux ipfrag_time */
	cfg->frag6_timeout_ns = 60 * NS_SEC; /* RFC 8200 4.5 */
	cfg->pmtu_expires_ns = 600 * NS_SEC; /* RFC 1191 6.3, Linux mtu_expires */
	/* Linux's IPv6 defaults: hop_limit, dad_transmits, accept_ra, autoconf,
	 * router_solicitations, auto_flowlabels. */
	cfg->ipv6_hop_limit = 64;
	cfg->ipv6_dad = true;
	cfg->ipv6_dad_transmits = 1;
	cfg->ipv6_accept_ra = true;
	cfg->ipv6_slaac = true;
	cfg->ipv6_link_local = true;
	cfg->ipv6_rtr_solicits = 3;
	cfg->ipv6_flowlabel = true;
}

/* splitmix64: a full-period 64-bit generator whose outputs are well mixed even from
 * adjacent seeds, which is what deriving several keys from one seed needs. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A secret from the kernel; if getrandom() is unavailable (old kernel, seccomp) fall back
 * to something that at least differs per process and per call. */
static uint64_t draw_seed(void)
{
	uint64_t seed = 0;
	uint8_t *p = (uint8_t *)&seed;
	size_t got = 0;

	while (got < sizeof(seed)) {
		ssize_t n = getrandom(p + got, sizeof(seed) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(seed)) {
		static uint64_t counter;
		uint64_t mix = ns_clock_now(ns_clock_monotonic()) ^ (uint64_t)(uintptr_t)&seed;

		mix ^= ++counter << 32;
		seed ^= splitmix64(&mix);
	}
	return seed ? seed : 1;
}

const struct ns_netproto_ops *stack_netproto(struct ns_stack *s, uint16_t number, void **priv)
{
	for (uint32_t i = 0; i < s->nnet; i++) {
		const struct ns_netproto_ops *ops = s->net[i].ops;

		if (ops->number == number) {
			if (priv)
				*priv = s->net[i].priv;
			return ops;
		}
	}
	return NULL;
}

const struct ns_transproto_ops *stack_transproto(struct ns_stack *s, uint8_t number, void **priv)
{
	int8_t i = s->trans_by_number[number];

	if (i < 0)
		return NULL;
	if (priv)
		*priv = s->trans[i].priv;
	return s->trans[i].ops;
}

void *ns_netproto_priv(struct ns_stack *s, uint16_t number)
{
	void *priv = NULL;

	if (!s || !stack_netproto(s, number, &priv))
		return NULL;
	return priv;
}

void *ns_transproto_priv(struct ns_stack *s, uint8_t number)
{
	void *priv = NULL;

	if (!s || !stack_transproto(s, number, &priv))
		return NULL;
	return priv;
}

/* Finalise every initialised protocol, the newest first: transports (whose endpoints may
 * still send while closing) before the network protocols they send through. */
static void fini_protocols(struct ns_stack *s)
{
	/* The raw module came last: its endpoints close first. */
	if (s->raw) {
		if (s->raw->fini)
			s->raw->fini(s, s->raw_priv);
		s->raw = NULL;
		s->raw_priv = NULL;
		memset(s->raw_users, 0, sizeof(s->raw_users));
	}
	while (s->ntrans > 0) {
		struct proto_slot *p = &s->trans[--s->ntrans];
		const struct ns_transproto_ops *ops = p->ops;

		s->trans_by_number[ops->number] = -1;
		if (ops->fini)
			ops->fini(s, p->priv);
	}
	/* Network protocols are going: loop_local drops from now on instead of delivering
	 * into a protocol that is half torn down. */
	s->closing = true;
	while (s->nnet > 0) {
		struct proto_slot *p = &s->net[--s->nnet];
		const struct ns_netproto_ops *ops = p->ops;

		if (ops->fini)
			ops->fini(s, p->priv);
	}
}

/* Check the protocol lists before anything is initialised: numbers must be unique within
 * each layer, or dispatch by number would be ambiguous. */
static ns_err check_protocols(const struct ns_stack_config *cfg)
{
	for (int i = 0; i < NS_MAX_PROTOCOLS; i++) {
		const struct ns_netproto_ops *a = cfg->netprotos[i];

		if (!a)
			continue;
		for (int j = i + 1; j < NS_MAX_PROTOCOLS; j++)
			if (cfg->netprotos[j] && cfg->netprotos[j]->number == a->number)
				return NS_ERR_INVALID_ARGUMENT;
	}
	for (int i = 0; i < NS_MAX_PROTOCOLS; i++) {
		const struct ns_transproto_ops *a = cfg->transprotos[i];

		if (!a)
			continue;
		for (int j = i + 1; j < NS_MAX_PROTOCOLS; j++)
			if (cfg->transprotos[j] && cfg->transprotos[j]->number == a->number)
				return NS_ERR_INVALID_ARGUMENT;
	}
	return NS_OK;
}

static ns_err init_protocols(struct ns_stack *s)
{
	for (int i = 0; i < NS_MAX_PROTOCOLS; i++) {
		const struct ns_netproto_ops *ops = s->cfg.netprotos[i];
		void *priv = NULL;

		if (!ops)
			continue;
		if (ops->init) {
			ns_err err = ops->init(s, &priv);

			if (err != NS_OK)
				return err;
		}
		s->net[s->nnet].ops = ops;
		s->net[s->nnet].priv = priv;
		s->nnet++;
	}
	for (int i = 0; i < NS_MAX_PROTOCOLS; i++) {
		const struct ns_transproto_ops *ops = s->cfg.transprotos[i];
		void *priv = NULL;

		if (!ops)
			continue;
		if (ops->init) {
			ns_err err = ops->init(s, &priv);

			if (err != NS_OK)
				return err;
		}
		s->trans[s->ntrans].ops = ops;
		s->trans[s->ntrans].priv = priv;
		s->trans_by_number[ops->number] = (int8_t)s->ntrans;
		s->ntrans++;
	}
	if (s->cfg.raw) {
		void *priv = NULL;

		if (s->cfg.raw->init) {
			ns_err err = s->cfg.raw->init(s, &priv);

			if (err != NS_OK)
				return err;
		}
		s->raw = s->cfg.raw;
		s->raw_priv = priv;
	}
	return NS_OK;
}

ns_err ns_stack_new(const struct ns_stack_config *cfg, struct ns_stack **out)
{
	struct ns_stack *s;
	uint64_t st;
	ns_err err;

	if (!out)
		return NS_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (!cfg || cfg->ephemeral_lo == 0 || cfg->ephemeral_lo > cfg->ephemeral_hi)
		return NS_ERR_INVALID_ARGUMENT;
	err = check_protocols(cfg);
	if (err != NS_OK)
		return err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NS_ERR_NO_MEMORY;
	s->cfg = *cfg;
	s->clock = cfg->clock ? cfg->clock : ns_clock_monotonic();
	s->cfg.clock = s->clock;
	if (s->cfg.seed == 0)
		s->cfg.seed = draw_seed();
	st = s->cfg.seed;
	s->key[0] = splitmix64(&st);
	s->key[1] = splitmix64(&st);
	s->rng = splitmix64(&st);
	memset(s->trans_by_number, -1, sizeof(s->trans_by_number));

	/* The bucket starts full so the first error after start-up is never suppressed. */
	s->icmp_tokens_milli = (uint64_t)s->cfg.icmp_burst * 1000;
	s->icmp_last_ns = ns_clock_now(s->clock);

	s->wheel = timer_wheel_new(ns_clock_now(s->clock));
	s->demux = demux_new();
	s->ports = ports_new();
	s->pmtu = s->wheel ? pmtu_new(s) : NULL;
	if (!s->wheel || !s->demux || !s->ports || !s->pmtu) {
		err = NS_ERR_NO_MEMORY;
		goto fail;
	}
	err = init_protocols(s);
	if (err != NS_OK)
		goto fail;
	*out = s;
	return NS_OK;
fail:
	ns_stack_free(s);
	return err;
}

static void run_deferred(struct ns_stack *s)
{
	while (s->deferred_head) {
		struct ns_deferred *d = s->deferred_head;

		s->deferred_head = d->next;
		if (!s->deferred_head)
			s->deferred_tail = NULL;
		d->next = NULL;
		d->release(d);
	}
}

void stack_leave(struct ns_stack *s)
{
	if (--s->depth == 0 && s->deferred_head) {
		/* A release cannot dispatch, but count it as one anyway so that anything it
		 * defers joins this same drain instead of recursing. */
		s->depth++;
		run_deferred(s);
		s->depth--;
	}
}

void ns_ep_defer_free(struct ns_stack *s, struct ns_deferred *d,
                      void (*release)(struct ns_deferred *d))
{
	if (!d || !release)
		return;
	d->release = release;
	d->next = NULL;
	if (!s || s->depth == 0) {
		release(d);
		return;
	}
	if (s->deferred_tail)
		s->deferred_tail->next = d;
	else
		s->deferred_head = d;
	s->deferred_tail = d;
}

struct ns_pkt *pkt_unshare(struct ns_stack *s, struct ns_pkt *pkt)
{
	struct ns_pkt *copy;

	if (pkt->refcnt <= 1)
		return pkt;
	copy = ns_pkt_copy(pkt);
	ns_pkt_free(pkt);
	if (!copy)
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
	return copy;
}

uint32_t ns_stack_generation(const struct ns_stack *s)
{
	return s ? s->generation : 0;
}

void ns_stack_free(struct ns_stack *s)
{
	if (!s)
		return;
	fini_protocols(s);
	while (s->nnics > 0)
		ns_stack_remove_nic(s, s->nics[s->nnics - 1]->id);
	run_deferred(s); /* only if freed from inside a dispatch, which the API forbids */
	ns_pkt_free_list(s->loop_head);
	s->loop_head = s->loop_tail = NULL;
	s->loop_len = 0;
	free(s->nics);
	if (s->ports)
		ports_free(s->ports);
	if (s->demux)
		demux_free(s->demux);
	if (s->pmtu)
		pmtu_free(s, s->pmtu);
	if (s->wheel)
		timer_wheel_free(s->wheel);
	free(s);
}

/* Find the network protocol of @r for a write (@hdrincl: an IP_HDRINCL one) and make *@pkt
 * ours alone: the protocol pushes or fills in its header and the link pushes its own. On
 * failure *@pkt is freed. */
static ns_err write_prepare(struct ns_stack *s, const struct ns_route *r, bool hdrincl,
                            struct ns_pkt **pkt, const struct ns_netproto_ops **ops, void **priv)
{
	if (!s || !r || !*pkt) {
		ns_pkt_free(*pkt);
		return NS_ERR_INVALID_ARGUMENT;
	}
	*ops = stack_netproto(s, r->netproto, priv);
	if (!*ops || (hdrincl ? !(*ops)->write_hdrincl : !(*ops)->write)) {
		ns_pkt_free(*pkt);
		return *ops && hdrincl ? NS_ERR_NOT_SUPPORTED : NS_ERR_UNKNOWN_PROTOCOL;
	}
	*pkt = pkt_unshare(s, *pkt);
	return *pkt ? NS_OK : NS_ERR_NO_BUFFER_SPACE;
}

ns_err ns_netproto_write(struct ns_stack *s, const struct ns_route *r, struct ns_pkt *pkt,
                         const struct ns_write_params *wp)
{
	const struct ns_netproto_ops *ops;
	void *priv = NULL;
	ns_err err = write_prepare(s, r, false, &pkt, &ops, &priv);

	return err ? err : ops->write(s, priv, r, pkt, wp);
}

ns_err ns_netproto_write_hdrincl(struct ns_stack *s, const struct ns_route *r, struct ns_pkt *pkt)
{
	const struct ns_netproto_ops *ops;
	void *priv = NULL;
	ns_err err = write_prepare(s, r, true, &pkt, &ops, &priv);

	return err ? err : ops->write_hdrincl(s, priv, r, pkt);
}

void ns_raw_hook_users(struct ns_stack *s, enum ns_raw_hook hook, int delta)
{
	if (!s || (unsigned)hook >= NS_RAW_HOOK_COUNT_)
		return;
	if (delta < 0 && s->raw_users[hook] < (uint32_t)-delta)
		s->raw_users[hook] = 0; /* a module miscounting must not wrap into "always" */
	else
		s->raw_users[hook] += (uint32_t)delta;
}

void ns_stack_poll(struct ns_stack *s)
{
	if (!s)
		return;
	stack_enter(s);
	/* Looped packets left over by a drain that hit its budget go first: they are older
	 * than anything a timer is about to send. */
	nic_loop_drain(s);
	timer_wheel_run(s, s->wheel, ns_clock_now(s->clock));
	stack_leave(s);
}

uint64_t ns_stack_next_deadline(struct ns_stack *s)
{
	if (!s)
		return UINT64_MAX;
	if (s->loop_head)
		return ns_clock_now(s->clock); /* local deliveries pending: run now */
	return timer_wheel_next(s->wheel);
}

uint64_t ns_stack_now(const struct ns_stack *s)
{
	return s->depth ? s->now : ns_clock_now(s->clock);
}

void ns_stack_now_refresh(struct ns_stack *s)
{
	if (s && s->depth)
		s->now = ns_clock_now(s->clock);
}

uint64_t ns_stack_random(struct ns_stack *s)
{
	return splitmix64(&s->rng);
}

const struct ns_stack_config *ns_stack_config(const struct ns_stack *s)
{
	return &s->cfg;
}

struct ns_clock *ns_stack_clock(const struct ns_stack *s)
{
	return s ? s->clock : NULL;
}

const struct ns_stats *ns_stack_stats(const struct ns_stack *s)
{
	return s ? &s->stats : NULL;
}

uint64_t ns_hash_keyed(const struct ns_stack *s, uint64_t salt, const void *data, size_t len)
{
	/* A different key per salt gives independent PRFs for independent uses (ISNs,
	 * ports, table buckets), so one use's outputs reveal nothing about another's. */
	const uint64_t key[2] = {s->key[0] ^ salt, s->key[1]};

	return siphash24(key, data, len);
}

/* Refill the stack-wide bucket up to now: icmp_burst tokens refilled at icmp_rate per
 * second, kept in thousandths so slow rates refill smoothly. */
static void icmp_global_refill(struct ns_stack *s, uint64_t now)
{
	const uint64_t rate = s->cfg.icmp_rate;
	const uint64_t cap = (uint64_t)s->cfg.icmp_burst * 1000;

	if (now <= s->icmp_last_ns)
		return;
	uint64_t elapsed = now - s->icmp_last_ns;
	uint64_t secs = elapsed / NS_SEC, rem = elapsed % NS_SEC;
	/* secs * rate: both factors are below 2^32 once secs < burst. */
	uint64_t whole = secs < s->cfg.icmp_burst ? secs * rate : UINT64_MAX;

	if (whole >= s->cfg.icmp_burst ||
	    s->icmp_tokens_milli + whole * 1000 + rem * rate / 1000000 >= cap) {
		s->icmp_tokens_milli = cap;
		s->icmp_last_ns = now;
	} else {
		uint64_t milli = whole * 1000 + rem * rate / 1000000;

		s->icmp_tokens_milli += milli;
		/* Advance only by the time that bought those milli-tokens, so frequent calls
		 * do not lose the fractions to rounding. */
		s->icmp_last_ns += milli * 1000000 / rate;
	}
}

#define ICMP_PEER_SALT 0x69636d7070656572ull /* "icmppeer" */

/* @dst's bucket, refilled up to now (Linux inet_peer_xrlim_allow: credit grows with the
 * time elapsed, capped at burst * interval; one token costs one interval). */
static struct icmp_peer *icmp_peer_refill(struct ns_stack *s, const struct ns_addr *dst,
                                          uint64_t now)
{
	const uint64_t cap = (uint64_t)s->cfg.icmp_peer_burst * s->cfg.icmp_peer_interval_ns;
	struct ns_addr a = addr_norm(dst);
	uint8_t key[17];
	struct icmp_peer *b;

	key[0] = a.family;
	memcpy(key + 1, a.a, 16);
	b = &s->icmp_peer[ns_hash_keyed(s, ICMP_PEER_SALT, key, sizeof(key)) &
	                  (NS_ICMP_PEER_BUCKETS - 1)];
	if (!b->used) {
		b->used = true;
		b->credit_ns = cap; /* a peer never limited starts with a full burst */
	} else if (now > b->last_ns) {
		uint64_t elapsed = now - b->last_ns;

		b->credit_ns =
		    elapsed >= cap || b->credit_ns + elapsed >= cap ? cap : b->credit_ns + elapsed;
	}
	if (b->credit_ns > cap)
		b->credit_ns = cap; /* the configuration shrank */
	b->last_ns = now;
	return b;
}

bool ns_icmp_rate_allow(struct ns_stack *s, const struct ns_addr *dst)
{
	/* RFC 1812 4.3.2.8 and RFC 4443 2.4(f): limit the rate of ICMP errors. See the theory
	 * of operation: a stack-wide bucket (icmp_rate 0: no limit) and one per destination
	 * (icmp_peer_burst 0: no per-destination limit). */
	const bool global_on = s->cfg.icmp_rate != 0;
	const bool peer_on = dst && s->cfg.icmp_peer_burst != 0 && s->cfg.icmp_peer_interval_ns;
	uint64_t now = ns_clock_now(s->clock);
	struct icmp_peer *b = NULL;

	if (global_on) {
		icmp_global_refill(s, now);
		if (s->icmp_tokens_milli < 1000)
			return false; /* the caller counts NS_STAT_ICMP_RATE_LIMITED */
	}
	if (peer_on) {
		b = icmp_peer_refill(s, dst, now);
		if (b->credit_ns < s->cfg.icmp_peer_interval_ns)
			return false;
		b->credit_ns -= s->cfg.icmp_peer_interval_ns;
	}
	if (global_on)
		s->icmp_tokens_milli -= 1000;
	return true;
}

int64_t ns_stack_endpoints_live(const struct ns_stack *s)
{
	return s ? s->endpoints_live : 0;
}

void ns_ep_live_add(struct ns_stack *s, int delta)
{
	if (s)
		s->endpoints_live += delta;
}
