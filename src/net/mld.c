/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: multicast listening for a host, MLDv2 (RFC 3810) with MLDv1
 * (RFC 2710) compatibility.
 *
 * Per NIC (struct mld_if, found by NIC id), a fixed table of MLD_MAX_GROUPS groups, each
 * reference-counted: the solicited-node group of every address (ndp.c joins them) and the
 * groups applications join (ns_ipv6_join()). A NIC is always a member of the all-nodes
 * groups ff01::1 and ff02::1, which are never reported, nor are groups of scope 0 or 1
 * (RFC 3810 6). Filter modes are EXCLUDE with no sources throughout: a member listens to
 * every source.
 *
 * Reports go to ff02::16 (all MLDv2 routers) with hop limit 1 and a hop-by-hop Router Alert
 * (RFC 3810 5), from the NIC's link-local address, or from :: while it has none usable
 * (5.2.13: the solicited-node joins that precede DAD). A first join sends a state-change
 * report (CHANGE_TO_EXCLUDE {}) at once and [Robustness Variable] - 1 more at random times
 * within the Unsolicited Report Interval (6.1; robustness 2, interval 1 s); the last leave
 * does the same with CHANGE_TO_INCLUDE {}, after which the group is forgotten. A query
 * (validated as 5.1.14 asks: from a link-local address, with hop limit 1) is answered after
 * a random delay within its Maximum Response Delay (6.2): a general query with one report
 * of every group (MODE_IS_EXCLUDE {}), split across messages to fit the IPv6 minimum MTU,
 * unless a general response is already due sooner; a group-specific or group-and-source
 * query with that group's record, unless a general or that group's response is due sooner
 * (our EXCLUDE {} state answers a source list as a superset, which routers accept).
 *
 * MLDv1 (8.2): a 24-byte query means an MLDv1 querier is present for [Robustness
 * Variable] x [Query Interval] + its Maximum Response Delay; meanwhile reports are MLDv1
 * reports sent to the group itself, leaves are MLDv1 dones sent to ff02::2 (all routers),
 * and a report heard from another listener cancels our pending one (RFC 2710 4,
 * suppression). Everything else a listener may ignore (other MLDv2 reports, dones) is
 * counted as ignored.
 *
 * Limits: no per-source filters (the API has no source-specific joins); one MLD state
 * per NIC; the Querier's Robustness Variable and Query Interval are not adopted.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net6.h"
#include "netstack/stack.h"
#include "netstack/timer.h"
#include "wire/icmpv6.h"

#define MLD_MAX_GROUPS      64             /* per NIC */
#define MLD_ROBUSTNESS      2              /* RFC 3810 9.1 */
#define MLD_UNSOL_INTERVAL  (1 * NS_SEC)   /* RFC 3810 9.11 */
#define MLD1_UNSOL_INTERVAL (10 * NS_SEC)  /* RFC 2710 7.10 */
#define MLD_QUERY_INTERVAL  (125 * NS_SEC) /* RFC 3810 9.2 */
#define MLD_NIC_ADDRS       32             /* a buffer for ns_stack_nic_addresses() */
/* Records per report: the minimum MTU less the IPv6 header, the hop-by-hop header and
 * the report header, 20 bytes each (no sources). */
#define MLD_RECORDS_PER_REPORT \
	((IPV6_MIN_MTU - IPV6_HLEN - 8 - MLD2_REPORT_HLEN) / MLD2_RECORD_HLEN)

struct mld_if;

struct mld_group {
	bool used;
	struct ns_addr addr;
	uint32_t refs;    /* 0: leaving, the leave reports still going out */
	uint8_t rtx;      /* state-change reports still to send */
	bool rtx_join;    /* they report a join (else a leave) */
	uint64_t rtx_at;  /* the next of them; 0: none */
	uint64_t resp_at; /* the answer to a query for this group; 0: none */
	struct ns_timer timer;
	struct mld_if *mi;
};

struct mld_if {
	struct mld_if *next;
	struct mld_state *st;
	uint32_t nic;
	uint64_t general_at; /* the answer to a general query; 0: none */
	uint64_t v1_until;   /* RFC 3810 8.2.1: Older Version Querier Present until */
	struct ns_timer general;
	struct mld_group groups[MLD_MAX_GROUPS];
};

struct mld_state {
	struct ns_stack *s;
	struct mld_if *ifs;
};

static const struct ns_addr all_mldv2_routers = {NS_AF_INET6, {0xff, 0x02, [15] = 0x16}};
static const struct ns_addr all_routers = {NS_AF_INET6, {0xff, 0x02, [15] = 2}};

static void group_timer(struct ns_stack *s, struct ns_timer *t);
static void general_timer(struct ns_stack *s, struct ns_timer *t);

static uint64_t random_upto(struct ns_stack *s, uint64_t max)
{
	return ns_stack_random(s) % (max + 1);
}

/* ff01::1 and ff02::1: every node is a member, and says nothing about it. */
static bool is_all_nodes(const struct ns_addr *g)
{
	static const uint8_t ff01_1[16] = {0xff, 0x01, [15] = 1};
	static const uint8_t ff02_1[16] = {0xff, 0x02, [15] = 1};

	return memcmp(g->a, ff01_1, 16) == 0 || memcmp(g->a, ff02_1, 16) == 0;
}

/* RFC 3810 6: no reports for scopes 0 and 1, nor for the link-scope all-nodes group. */
static bool reportable(const struct ns_addr *g)
{
	return ipv6_mcast_scope(g->a) > 1 && !is_all_nodes(g);
}

/* ---------------------------------------------------------------- per-NIC state */

struct mld_state *mld_new(struct ns_stack *s)
{
	struct mld_state *m = calloc(1, sizeof(*m));

	if (m)
		m->s = s;
	return m;
}

static void mi_free(struct ns_stack *s, struct mld_if *mi)
{
	ns_timer_cancel(s, &mi->general);
	for (int i = 0; i < MLD_MAX_GROUPS; i++)
		ns_timer_cancel(s, &mi->groups[i].timer);
	free(mi);
}

void mld_free(struct ns_stack *s, struct mld_state *m)
{
	if (!m)
		return;
	while (m->ifs) {
		struct mld_if *mi = m->ifs;

		m->ifs = mi->next;
		mi_free(s, mi);
	}
	free(m);
}

static struct mld_if *mi_find(struct ns_stack *s, const struct ns_nic *nic)
{
	struct mld_state *m = ipv6_mld(s);

	if (!m || !nic)
		return NULL;
	for (struct mld_if *mi = m->ifs; mi; mi = mi->next)
		if (mi->nic == ns_nic_id(nic))
			return mi;
	return NULL;
}

static struct mld_if *mi_get(struct ns_stack *s, struct ns_nic *nic)
{
	struct mld_state *m = ipv6_mld(s);
	struct mld_if *mi = mi_find(s, nic);

	if (mi || !m)
		return mi;
	mi = calloc(1, sizeof(*mi));
	if (!mi)
		return NULL;
	mi->st = m;
	mi->nic = ns_nic_id(nic);
	ns_timer_init(&mi->general, general_timer, mi);
	for (int i = 0; i < MLD_MAX_GROUPS; i++) {
		mi->groups[i].mi = mi;
		ns_timer_init(&mi->groups[i].timer, group_timer, &mi->groups[i]);
	}
	mi->next = m->ifs;
	m->ifs = mi;
	return mi;
}

void mld_nic_removed(struct ns_stack *s, struct ns_nic *nic)
{
	struct mld_state *m = ipv6_mld(s);

	if (!m)
		return;
	for (struct mld_if **pp = &m->ifs; *pp; pp = &(*pp)->next) {
		struct mld_if *mi = *pp;

		if (mi->nic != ns_nic_id(nic))
			continue;
		*pp = mi->next;
		mi_free(s, mi);
		return;
	}
}

static struct mld_group *group_find(struct mld_if *mi, const struct ns_addr *g)
{
	for (int i = 0; i < MLD_MAX_GROUPS; i++)
		if (mi->groups[i].used && ns_addr_eq(&mi->groups[i].addr, g))
			return &mi->groups[i];
	return NULL;
}

static bool v1_mode(struct ns_stack *s, const struct mld_if *mi)
{
	return ns_stack_now(s) < mi->v1_until;
}

bool mld_is_member(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group)
{
	struct mld_if *mi;
	struct mld_group *g;

	if (is_all_nodes(group))
		return true;
	mi = mi_find(s, nic);
	g = mi ? group_find(mi, group) : NULL;
	return g && g->refs > 0;
}

/* ---------------------------------------------------------------- sending */

/* RFC 3810 5.2.13: from a link-local address of the NIC, or :: without a usable one. */
static struct ns_addr report_source(struct ns_stack *s, struct ns_nic *nic)
{
	struct ns_addr_info info[MLD_NIC_ADDRS];
	size_t n = ns_stack_nic_addresses(s, ns_nic_id(nic), info, MLD_NIC_ADDRS);
	struct ns_addr src = {.family = NS_AF_INET6};

	for (size_t i = 0; i < n && i < MLD_NIC_ADDRS; i++) {
		if (info[i].addr.addr.family == NS_AF_INET6 &&
		    ipv6_addr_is_link_local(info[i].addr.addr.a) &&
		    !(info[i].flags & NS_ADDR_F_TENTATIVE))
			return info[i].addr.addr;
	}
	return src;
}

static void send_msg(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *dst,
                     struct ns_pkt *m)
{
	struct ns_addr src = report_source(s, nic);

	if (icmpv6_send(s, nic, &src, dst, 1, IPV6_SEND_ROUTER_ALERT, NULL, m) == NS_OK)
		ns_stat_inc(s, NS_STAT_MLD_REPORTS_TX);
}

/* An MLDv2 report of @n records (no sources). */
static void send_v2(struct ns_stack *s, struct ns_nic *nic, const struct mld2_record *recs,
                    size_t n)
{
	struct ns_pkt *m;

	if (n == 0)
		return;
	m = icmpv6_alloc(s, (uint32_t)mld2_report_len(recs, n));
	if (!m)
		return;
	mld2_report_emit(ns_pkt_data(m), recs, n);
	send_msg(s, nic, &all_mldv2_routers, m);
}

/* An MLDv1 report (to the group) or done (to all routers), RFC 2710 5. */
static void send_v1(struct ns_stack *s, struct ns_nic *nic, uint8_t type, const struct ns_addr *g)
{
	struct ns_pkt *m = icmpv6_alloc(s, MLD1_LEN);

	if (!m)
		return;
	mld1_emit(ns_pkt_data(m), type, g->a);
	send_msg(s, nic, type == ICMPV6_MLD_DONE ? &all_routers : g, m);
}

/* One group's record: a state change (@change) or its current state. */
static void send_group(struct ns_stack *s, struct ns_nic *nic, struct mld_group *g, bool change)
{
	struct mld2_record rec = {.nsources = 0};
	bool join = change ? g->rtx_join : true;

	if (v1_mode(s, g->mi)) {
		send_v1(s, nic, join ? ICMPV6_MLD_REPORT : ICMPV6_MLD_DONE, &g->addr);
		return;
	}
	memcpy(rec.group, g->addr.a, 16);
	if (change)
		rec.type = join ? MLD2_CHANGE_TO_EXCLUDE : MLD2_CHANGE_TO_INCLUDE;
	else
		rec.type = MLD2_MODE_IS_EXCLUDE;
	send_v2(s, nic, &rec, 1);
}

/* ---------------------------------------------------------------- timers */

/* Arm the group's timer for its next event, or stop it; a group that has left and has
 * nothing more to say is forgotten. */
static void group_rearm(struct ns_stack *s, struct mld_group *g)
{
	uint64_t when = 0;

	if (g->rtx_at)
		when = g->rtx_at;
	if (g->resp_at && (!when || g->resp_at < when))
		when = g->resp_at;
	if (when) {
		ns_timer_arm(s, &g->timer, when);
		return;
	}
	ns_timer_cancel(s, &g->timer);
	if (g->refs == 0)
		g->used = false;
}

static void group_timer(struct ns_stack *s, struct ns_timer *t)
{
	struct mld_group *g = t->arg;
	struct ns_nic *nic = ns_nic_find(s, g->mi->nic);
	uint64_t now = ns_stack_now(s);

	if (!nic)
		return;
	if (g->rtx_at && now >= g->rtx_at) {
		/* RFC 3810 6.1: the state change again, Robustness Variable times in all. */
		send_group(s, nic, g, true);
		g->rtx--;
		g->rtx_at = g->rtx ? now + 1 + random_upto(s, MLD_UNSOL_INTERVAL - 1) : 0;
	}
	if (g->resp_at && now >= g->resp_at) {
		g->resp_at = 0;
		if (g->refs > 0)
			send_group(s, nic, g, false);
	}
	group_rearm(s, g);
}

/* RFC 3810 6.2: the answer to a general query: every group's current state. */
static void general_timer(struct ns_stack *s, struct ns_timer *t)
{
	struct mld_if *mi = t->arg;
	struct ns_nic *nic = ns_nic_find(s, mi->nic);
	struct mld2_record recs[MLD_RECORDS_PER_REPORT];
	size_t n = 0;

	mi->general_at = 0;
	if (!nic)
		return;
	for (int i = 0; i < MLD_MAX_GROUPS; i++) {
		struct mld_group *g = &mi->groups[i];

		if (!g->used || g->refs == 0 || !reportable(&g->addr))
			continue;
		if (v1_mode(s, mi)) {
			send_v1(s, nic, ICMPV6_MLD_REPORT, &g->addr);
			continue;
		}
		recs[n].type = MLD2_MODE_IS_EXCLUDE;
		recs[n].nsources = 0;
		recs[n].sources = NULL;
		memcpy(recs[n].group, g->addr.a, 16);
		if (++n == MLD_RECORDS_PER_REPORT) {
			send_v2(s, nic, recs, n);
			n = 0;
		}
	}
	send_v2(s, nic, recs, n);
}

/* ---------------------------------------------------------------- membership */

/* Start the state-change reports of a join or a leave: one now, the rest later. */
static void state_change(struct ns_stack *s, struct ns_nic *nic, struct mld_group *g, bool join)
{
	uint64_t now = ns_stack_now(s);

	g->rtx_join = join;
	g->resp_at = 0;
	send_group(s, nic, g, true);
	g->rtx = MLD_ROBUSTNESS - 1;
	/* Within (0, interval]: never at once, never later. */
	g->rtx_at =
	    g->rtx ? now + 1 +
	                 random_upto(
	                     s, (v1_mode(s, g->mi) ? MLD1_UNSOL_INTERVAL : MLD_UNSOL_INTERVAL) - 1)
	           : 0;
	/* An MLDv1 done is sent once (RFC 2710 4). */
	if (!join && v1_mode(s, g->mi))
		g->rtx = 0, g->rtx_at = 0;
	group_rearm(s, g);
}

ns_err mld_join(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group)
{
	struct mld_if *mi;
	struct mld_group *g;

	if (!group || group->family != NS_AF_INET6 || !ipv6_addr_is_multicast(group->a))
		return NS_ERR_INVALID_ARGUMENT;
	mi = mi_get(s, nic);
	if (!mi)
		return NS_ERR_NO_MEMORY;
	g = group_find(mi, group);
	if (g && g->refs > 0) {
		g->refs++;
		return NS_OK;
	}
	if (!g) {
		for (int i = 0; i < MLD_MAX_GROUPS && !g; i++)
			if (!mi->groups[i].used)
				g = &mi->groups[i];
		if (!g)
			return NS_ERR_NO_BUFFER_SPACE;
		g->used = true;
		g->addr = *group;
		g->rtx = 0;
		g->rtx_at = g->resp_at = 0;
	}
	g->refs = 1;
	if (reportable(group))
		state_change(s, nic, g, true);
	return NS_OK;
}

ns_err mld_leave(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group)
{
	struct mld_if *mi = mi_find(s, nic);
	struct mld_group *g = mi && group ? group_find(mi, group) : NULL;

	if (!g || g->refs == 0)
		return NS_ERR_BAD_LOCAL_ADDRESS;
	if (--g->refs > 0)
		return NS_OK;
	if (reportable(group))
		state_change(s, nic, g, false);
	else
		group_rearm(s, g);
	return NS_OK;
}

/* ---------------------------------------------------------------- receiving */

/* RFC 3810 6.2 (and 8.2 for MLDv1): schedule the answer to a query. */
static void query_in(struct ns_stack *s, struct ns_nic *nic, const struct mld_query *q)
{
	struct mld_if *mi = mi_find(s, nic);
	uint64_t now = ns_stack_now(s);
	uint64_t delay = random_upto(s, (uint64_t)q->max_resp_ms * NS_MSEC);
	struct ns_addr group = ns_addr_v6_from_bytes(q->group);
	bool general = ipv6_addr_is_unspecified(q->group);

	if (!mi)
		return; /* member of nothing but all-nodes: nothing to say */
	if (!q->v2)
		mi->v1_until =
		    now + MLD_ROBUSTNESS * MLD_QUERY_INTERVAL + (uint64_t)q->max_resp_ms * NS_MSEC;
	if (general && q->v2) {
		/* Rule 1: a pending general response due sooner covers this one. */
		if (mi->general_at && mi->general_at <= now + delay)
			return;
		mi->general_at = now + delay;
		ns_timer_arm(s, &mi->general, mi->general_at);
		return;
	}
	for (int i = 0; i < MLD_MAX_GROUPS; i++) {
		struct mld_group *g = &mi->groups[i];

		if (!g->used || g->refs == 0 || !reportable(&g->addr) ||
		    (!general && !ns_addr_eq(&g->addr, &group)))
			continue;
		/* Rules 2-3: a general or this group's response due sooner covers it. */
		if ((mi->general_at && mi->general_at <= now + delay) ||
		    (g->resp_at && g->resp_at <= now + delay))
			continue;
		g->resp_at = now + delay;
		group_rearm(s, g);
		if (general) /* MLDv1: each group draws its own delay (RFC 2710 4) */
			delay = random_upto(s, (uint64_t)q->max_resp_ms * NS_MSEC);
	}
}

/* RFC 2710 4: in MLDv1 mode another listener's report for a group stands for ours. */
static void v1_report_in(struct ns_stack *s, struct ns_nic *nic, const uint8_t *msg)
{
	struct mld_if *mi = mi_find(s, nic);
	struct ns_addr group = ns_addr_v6_from_bytes(mld1_group(msg, MLD1_LEN));
	struct mld_group *g = mi ? group_find(mi, &group) : NULL;

	if (g && v1_mode(s, mi) && g->resp_at) {
		g->resp_at = 0;
		group_rearm(s, g);
	}
}

void mld_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	const uint8_t *msg = ns_pkt_data(pkt);
	struct mld_query q;

	switch (msg[0]) {
	case ICMPV6_MLD_QUERY:
		ns_stat_inc(s, NS_STAT_MLD_QUERIES_RX);
		/* RFC 3810 5.1.14: a query from anything but a link-local address is
		 * discarded; 5: it is sent with hop limit 1 (and stays on the link). */
		if (!mld_query_parse(&q, msg, pkt->len) || !ipv6_addr_is_link_local(pkt->src.a) ||
		    pkt->ttl != 1) {
			ns_drop(s, pkt, NS_DROP_MLD_MALFORMED);
			return;
		}
		query_in(s, nic, &q);
		break;
	case ICMPV6_MLD_REPORT:
		if (pkt->len < MLD1_LEN) {
			ns_drop(s, pkt, NS_DROP_MLD_MALFORMED);
			return;
		}
		v1_report_in(s, nic, msg);
		ns_drop(s, pkt, NS_DROP_MLD_IGNORED); /* nothing more for a listener to do */
		return;
	default:
		/* MLDv2 reports and MLDv1 dones are for routers. */
		ns_drop(s, pkt, NS_DROP_MLD_IGNORED);
		return;
	}
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}
