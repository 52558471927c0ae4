/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: packet buffers (see include/netstack/pkt.h for the layout).
 *
 * The struct and its buffer are one allocation. Two size classes are recycled through
 * per-thread free lists: standard packets (NS_PKT_STD_SIZE bytes of buffer: a 1500-byte
 * frame and its headroom), capped at PKT_CACHE_MAX entries, and GSO packets
 * (NS_PKT_GSO_SIZE: a 64 KiB super-segment or super-frame, jumbo frames), capped at
 * PKT_GSO_CACHE_MAX entries (about 4 MiB), so a stack in steady state does not call malloc
 * per packet whether it moves MTU-sized frames or GSO ones. Anything larger is malloc'd and
 * freed directly. A packet may be freed on a different thread than the one that allocated
 * it: it simply joins that thread's list. A thread's lists go back to the heap when the
 * thread ends (a pthread key destructor, armed by the thread's first cached packet), so an
 * application that starts and ends threads does not leave up to 12 MiB behind each; a
 * thread for which the key cannot be armed does not cache. ns_pkt_live() counts packets
 * allocated and not freed, for the tests' leak checks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/pkt.h"

enum { POOL_HEAP = 0, POOL_STD = 1, POOL_GSO = 2, POOL_COUNT };
#define PKT_CACHE_MAX     4096
#define PKT_GSO_CACHE_MAX 64

/* One free list per pooled class (index POOL_STD, POOL_GSO). */
struct pkt_cache {
	struct ns_pkt *head;
	uint32_t len;
};

static const uint32_t pool_cap[POOL_COUNT] = {0, NS_PKT_STD_SIZE, NS_PKT_GSO_SIZE};
static const uint32_t pool_max[POOL_COUNT] = {0, PKT_CACHE_MAX, PKT_GSO_CACHE_MAX};
static _Thread_local struct pkt_cache pkt_cache[POOL_COUNT];
static _Thread_local bool pkt_cache_armed; /* the exit destructor will drain the lists */
static pthread_key_t pkt_cache_key;
static pthread_once_t pkt_cache_once = PTHREAD_ONCE_INIT;
static bool pkt_cache_key_ok;
static atomic_llong pkt_live;

/* At thread exit: the thread's free lists go back to the heap. */
static void pkt_cache_drain(void *unused)
{
	(void)unused;
	pkt_cache_armed = false; /* a packet freed by a later destructor arms it again */
	for (int i = POOL_STD; i < POOL_COUNT; i++) {
		while (pkt_cache[i].head) {
			struct ns_pkt *p = pkt_cache[i].head;

			pkt_cache[i].head = p->next;
			free(p);
		}
		pkt_cache[i].len = 0;
	}
}

static void pkt_cache_key_init(void)
{
	pkt_cache_key_ok = pthread_key_create(&pkt_cache_key, pkt_cache_drain) == 0;
}

/* May this thread keep a freed packet? Only once its lists are sure to be drained at exit. */
static bool pkt_cache_arm(void)
{
	if (pkt_cache_armed)
		return true;
	pthread_once(&pkt_cache_once, pkt_cache_key_init);
	/* Any non-NULL value: it only makes the destructor run. */
	if (!pkt_cache_key_ok || pthread_setspecific(pkt_cache_key, pkt_cache) != 0)
		return false;
	pkt_cache_armed = true;
	return true;
}

static struct ns_pkt *pkt_new(uint32_t cap)
{
	struct ns_pkt *p;
	uint8_t pool = POOL_HEAP;

	if (cap <= NS_PKT_GSO_SIZE) {
		pool = cap <= NS_PKT_STD_SIZE ? POOL_STD : POOL_GSO;
		cap = pool_cap[pool];
		if (pkt_cache[pool].head) {
			p = pkt_cache[pool].head;
			pkt_cache[pool].head = p->next;
			pkt_cache[pool].len--;
			goto init;
		}
	}
	p = malloc(sizeof(*p) + cap);
	if (!p)
		return NULL;
init:
	memset(p, 0, sizeof(*p));
	p->buf = (uint8_t *)(p + 1);
	p->cap = cap;
	p->refcnt = 1;
	p->pool = pool;
	atomic_fetch_add_explicit(&pkt_live, 1, memory_order_relaxed);
	return p;
}

struct ns_pkt *ns_pkt_alloc(uint32_t headroom, uint32_t len)
{
	if (headroom > UINT32_MAX - len)
		return NULL;
	struct ns_pkt *p = pkt_new(headroom + len);
	if (!p)
		return NULL;
	p->head = headroom;
	p->len = len;
	return p;
}

struct ns_pkt *ns_pkt_from(const void *data, uint32_t len)
{
	struct ns_pkt *p = ns_pkt_alloc(NS_PKT_HEADROOM, len);
	if (p && len)
		memcpy(ns_pkt_data(p), data, len);
	return p;
}

struct ns_pkt *ns_pkt_copy(const struct ns_pkt *src)
{
	struct ns_pkt *p = pkt_new(src->cap);
	if (!p)
		return NULL;
	uint8_t *buf = p->buf;
	uint32_t cap = p->cap;
	uint8_t pool = p->pool;
	*p = *src;
	p->buf = buf;
	p->cap = cap;
	p->pool = pool;
	p->refcnt = 1;
	p->next = NULL;
	/* Copy from the earliest recorded header so consumed headers stay readable. */
	uint32_t start = src->head;
	for (int i = 0; i < NS_HDR_COUNT; i++)
		if (src->hdr[i].len && src->hdr[i].off < start)
			start = src->hdr[i].off;
	memcpy(p->buf + start, src->buf + start, src->head + src->len - start);
	return p;
}

struct ns_pkt *ns_pkt_ref(struct ns_pkt *pkt)
{
	pkt->refcnt++;
	return pkt;
}

void ns_pkt_free(struct ns_pkt *pkt)
{
	if (!pkt || --pkt->refcnt > 0)
		return;
	atomic_fetch_sub_explicit(&pkt_live, 1, memory_order_relaxed);
	if (pkt->pool != POOL_HEAP && pkt_cache[pkt->pool].len < pool_max[pkt->pool] &&
	    pkt_cache_arm()) {
		pkt->next = pkt_cache[pkt->pool].head;
		pkt_cache[pkt->pool].head = pkt;
		pkt_cache[pkt->pool].len++;
		return;
	}
	free(pkt);
}

void ns_pkt_free_list(struct ns_pkt *pkt)
{
	while (pkt) {
		struct ns_pkt *next = pkt->next;
		ns_pkt_free(pkt);
		pkt = next;
	}
}

int64_t ns_pkt_live(void)
{
	return atomic_load_explicit(&pkt_live, memory_order_relaxed);
}

uint8_t *ns_pkt_push(struct ns_pkt *pkt, enum ns_hdr which, uint32_t n)
{
	if (n > pkt->head || n > UINT16_MAX)
		return NULL;
	pkt->head -= n;
	pkt->len += n;
	pkt->hdr[which].off = pkt->head;
	pkt->hdr[which].len = (uint16_t)n;
	return pkt->buf + pkt->head;
}

uint8_t *ns_pkt_consume(struct ns_pkt *pkt, enum ns_hdr which, uint32_t n)
{
	if (n > pkt->len || n > UINT16_MAX)
		return NULL;
	uint8_t *h = pkt->buf + pkt->head;
	pkt->hdr[which].off = pkt->head;
	pkt->hdr[which].len = (uint16_t)n;
	pkt->head += n;
	pkt->len -= n;
	return h;
}

uint8_t *ns_pkt_append(struct ns_pkt *pkt, uint32_t n)
{
	if (n > pkt->cap - pkt->head - pkt->len)
		return NULL;
	uint8_t *t = pkt->buf + pkt->head + pkt->len;
	pkt->len += n;
	return t;
}
