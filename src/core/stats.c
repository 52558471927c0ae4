/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: counters and drop reasons (include/netstack/stats.h).
 *
 * NS_STAT_MAP and NS_DROP_MAP are the single source of truth: this file expands them into
 * name tables and a malformed-class table at compile time. The names are the enum names
 * lower-cased ("ICMP_ECHO_RX" -> "icmp_echo_rx"); the preprocessor cannot change case, so
 * the names live in fixed-size static buffers that are lower-cased in place exactly once
 * (pthread_once), after which every lookup is a table read with no allocation.
 *
 * ns_drop() is the one way the input path discards a packet: it counts the reason, the
 * total and, for malformed reasons, the malformed total, then frees the packet, so nothing
 * dies silently.
 */
#include <ctype.h>
#include <pthread.h>

#include "core/core.h"

/* Longer than any name; a longer one fails to compile (initializer too long). */
#define NAME_MAX_LEN 40

#define STAT_NAME_(n, d) [NS_STAT_##n] = #n,
static char stat_names[NS_STAT_COUNT][NAME_MAX_LEN] = {NS_STAT_MAP(STAT_NAME_)};
#undef STAT_NAME_

#define DROP_NAME_(n, c, d) [NS_DROP_##n] = #n,
static char drop_names[NS_DROP_COUNT][NAME_MAX_LEN] = {NS_DROP_MAP(DROP_NAME_)};
#undef DROP_NAME_

enum { DROP_CLASS_POLICY = 0, DROP_CLASS_MALFORMED = 1 };
#define DROP_CLASS_(n, c, d) [NS_DROP_##n] = DROP_CLASS_##c,
static const unsigned char drop_class[NS_DROP_COUNT] = {NS_DROP_MAP(DROP_CLASS_)};
#undef DROP_CLASS_

static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void lower(char *p)
{
	for (; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static void names_init(void)
{
	for (int i = 0; i < NS_STAT_COUNT; i++)
		lower(stat_names[i]);
	for (int i = 0; i < NS_DROP_COUNT; i++)
		lower(drop_names[i]);
}

const char *ns_stat_name(enum ns_stat st)
{
	if ((unsigned)st >= NS_STAT_COUNT)
		return NULL;
	pthread_once(&names_once, names_init);
	return stat_names[st];
}

const char *ns_drop_name(enum ns_drop_reason r)
{
	if ((unsigned)r >= NS_DROP_COUNT)
		return NULL;
	pthread_once(&names_once, names_init);
	return drop_names[r];
}

int ns_drop_is_malformed(enum ns_drop_reason r)
{
	return (unsigned)r < NS_DROP_COUNT && drop_class[r] == DROP_CLASS_MALFORMED;
}

void ns_stat_add(struct ns_stack *s, enum ns_stat st, uint64_t n)
{
	if (s && (unsigned)st < NS_STAT_COUNT)
		s->stats.stat[st] += n;
}

void ns_drop(struct ns_stack *s, struct ns_pkt *pkt, enum ns_drop_reason why)
{
	ns_pkt_free(pkt);
	if (!s)
		return;
	s->stats.stat[NS_STAT_RX_DROPPED]++;
	if ((unsigned)why >= NS_DROP_COUNT)
		return;
	s->stats.drop[why]++;
	if (drop_class[why] == DROP_CLASS_MALFORMED)
		s->stats.stat[NS_STAT_RX_MALFORMED]++;
}
