/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: IP reassembly (RFC 791 3.2, RFC 815, RFC 8200 4.5) for both
 * families, and IPv4 fragmentation (RFC 791 3.2). IPv6's Fragment header is frag6.c's.
 *
 * The engine. A struct frag_state (one per family, owned by its network protocol) keeps the
 * datagrams being reassembled in a hash table keyed by a keyed hash (SipHash under the
 * stack secret, so nobody can aim fragments at one chain) of (source, destination,
 * identification, and for IPv4 the protocol: RFC 791's key; RFC 8200 4.5's for IPv6). A
 * datagram holds its fragments' own packets, no copies, on a list sorted by offset (pkt->user
 * is the offset, the data runs from the packet's head for pkt->len bytes); nothing else is
 * allocated per fragment. Datagram records are recycled through a free list. When the last
 * hole closes, frag_stitch() copies the pieces into one packet (the first fragment's own
 * buffer when it has the room), the one copy reassembly needs.
 *
 * Rules on the way in, in this order (every refusal counted under its own drop reason):
 *  - lengths, as Linux's ip_frag_queue(): an empty fragment, a last fragment that ends
 *    before data already received or disagrees with an earlier last one, or a fragment
 *    past the known end drops the whole datagram (FRAG_BAD_LEN); one that would make the
 *    datagram longer than the family allows drops it too (FRAG_TOO_LONG), and so does a
 *    complete datagram too long with its first fragment's headers (ip_frag_reasm());
 *  - overlaps: a fragment whose bytes all lie inside a run of contiguous data already
 *    received is a duplicate and is dropped alone (RFC 5722 as amended by erratum 3089);
 *    any other overlap drops the whole datagram, as RFC 5722 requires for IPv6 and as
 *    Linux has done for IPv4 too since 2018 (overlaps only ever served to evade filters);
 *  - limits: a datagram with frag_max_frags fragments and another coming is dropped
 *    (FreeBSD's maxfragsperpacket; Linux has no such bound, we keep memory per datagram
 *    small); a source (IPv4 address, or IPv6 /64, hashed into a fixed table of counters) may
 *    hold at most frag_src_max bytes; above frag_mem_max in all, the oldest datagrams are
 *    dropped to make room (the evictor older Linux had), so a flood of incomplete datagrams
 *    from many sources churns through the cap while a datagram whose fragments arrive
 *    together still completes. Memory is charged per packet buffer, as Linux charges
 *    skb->truesize, plus the datagram records;
 *  - time: a datagram not complete frag_timeout_ns (IPv4, 30 s as Linux) or
 *    frag6_timeout_ns (IPv6, 60 s, RFC 8200 4.5) after its first fragment arrived is
 *    dropped, with an ICMP time exceeded, code 1 (RFC 792, RFC 4443 3.3) to its source if
 *    the fragment at offset 0 was among those received (RFC 1122 3.3.2, RFC 8200 4.5);
 *  - ECN (RFC 3168 5.3): fragments mixing not-ECT with ECT or CE drop the datagram; CE on
 *    any fragment sets CE on the whole, as Linux's ip_frag_ecn_table.
 *
 * An IPv4 fragment with more to come whose data is not a multiple of 8 bytes is cut down to
 * one, as Linux does (IPv6 answers it with a parameter problem, RFC 8200 4.5).
 *
 * IPv4 fragmentation (frag_ipv4_fragment()): data in 8-byte units per fragment, MF on all but
 * the last, the same identification (the caller chose one per datagram), options whose
 * copied flag is set repeated and the others replaced by no-operations, as Linux's
 * ip_options_fragment(), so every fragment's header has the same length. The first
 * fragment is the original packet trimmed; the others are new packets. A transport checksum
 * left partial for offload is finished in software first.
 */
#include "net/frag.h"

#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "netstack/stack.h"
#include "netstack/timer.h"
#include "wire/checksum.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

#define FRAG_SALT       0x667261676b6579ull /* "fragkey" */
#define FRAG_SRC_SALT   0x667261677372ull   /* "fragsr" */
#define FRAG_ID_SALT    0x6672616769640aull /* "fragid" */
#define FRAG_SRC_SLOTS  256u                /* per-source byte counters (a power of two) */
#define FRAG_ID_TABLE   2048u               /* RFC 7739 5.3 TABLE_LENGTH */
#define FRAG_FREE_MAX   256u                /* datagram records kept for reuse */
#define FRAG_MIN_BUCKET 64u
#define NS_PER_MS       1000000ull

enum { FRAG_FIRST_IN = 1u << 0, FRAG_LAST_IN = 1u << 1 };

/* ECN codepoints (RFC 3168 5): the low two bits of the TOS / traffic class. */
enum { ECN_NOT_ECT = 0, ECN_CE = 3 };

/*
 * A datagram being reassembled.
 * @hnext:       hash chain
 * @older/newer: the age list (creation order), oldest evicted first
 * @frags:       fragments sorted by offset (pkt->user), none overlapping another
 * @meat:        data bytes held (exact: no overlaps are ever kept)
 * @len:         the datagram's data length once the last fragment is in, else the largest
 *               end seen
 * @mem:         bytes charged to the state and to the source slot @src_slot
 * @ecn:         bit n set: a fragment with ECN codepoint n arrived
 */
struct frag_dgram {
	struct frag_dgram *hnext;
	struct frag_dgram *older, *newer;
	struct frag_state *f;
	const struct frag_family *fam;
	struct frag_key key;
	struct ns_timer timer;
	struct ns_pkt *frags;
	uint32_t nfrags;
	uint32_t meat;
	uint32_t len;
	uint32_t mem;
	uint32_t bucket;
	uint16_t src_slot;
	uint8_t flags;
	uint8_t ecn;
};

struct frag_id {
	uint32_t next;
	uint32_t stamp; /* ms of the last use */
};

struct frag_state {
	struct ns_stack *s;
	struct frag_dgram **buckets;
	uint32_t mask;
	uint32_t count;
	struct frag_dgram *oldest, *newest;
	struct frag_dgram *free_list;
	uint32_t nfree;
	uint64_t mem;
	uint64_t src_mem[FRAG_SRC_SLOTS];
	struct frag_id ids[FRAG_ID_TABLE];
};

/* ---------------------------------------------------------------- state */

struct frag_state *frag_new(struct ns_stack *s)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);
	struct frag_state *f = calloc(1, sizeof(*f));
	uint32_t n = FRAG_MIN_BUCKET;
	uint64_t x;

	if (!f)
		return NULL;
	/* About one bucket per 4 KiB of the cap: a couple of fragments each. */
	while (n < 65536 && (uint64_t)n * 4096 < cfg->frag_mem_max)
		n <<= 1;
	f->buckets = calloc(n, sizeof(*f->buckets));
	if (!f->buckets) {
		free(f);
		return NULL;
	}
	f->mask = n - 1;
	f->s = s;
	/* RFC 7739 5.3: every counter starts at a random value. */
	x = ns_stack_random(s) | 1;
	for (uint32_t i = 0; i < FRAG_ID_TABLE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f->ids[i].next = (uint32_t)(x >> 16);
		f->ids[i].stamp = (uint32_t)(ns_stack_now(s) / NS_PER_MS);
	}
	return f;
}

static void dgram_release(struct frag_state *f, struct frag_dgram *d)
{
	if (f->nfree < FRAG_FREE_MAX) {
		d->hnext = f->free_list;
		f->free_list = d;
		f->nfree++;
		return;
	}
	free(d);
}

void frag_free(struct ns_stack *s, struct frag_state *f)
{
	if (!f)
		return;
	while (f->oldest) {
		struct frag_dgram *d = f->oldest;

		f->oldest = d->newer;
		ns_timer_cancel(s, &d->timer);
		ns_pkt_free_list(d->frags);
		free(d);
	}
	while (f->free_list) {
		struct frag_dgram *d = f->free_list;

		f->free_list = d->hnext;
		free(d);
	}
	free(f->buckets);
	free(f);
}

uint64_t frag_mem(const struct frag_state *f)
{
	return f ? f->mem : 0;
}

uint32_t frag_count(const struct frag_state *f)
{
	return f ? f->count : 0;
}

/* What a packet costs while it is held: its buffer and its struct (Linux: truesize). */
static uint32_t truesize(const struct ns_pkt *pkt)
{
	return (uint32_t)sizeof(*pkt) + pkt->cap;
}

static uint32_t key_hash(struct ns_stack *s, const struct frag_key *k)
{
	uint8_t b[2 + 4 + 32];

	b[0] = k->family;
	b[1] = k->proto;
	memcpy(b + 2, &k->id, 4);
	memcpy(b + 6, k->src, 16);
	memcpy(b + 22, k->dst, 16);
	return (uint32_t)ns_hash_keyed(s, FRAG_SALT, b, sizeof(b));
}

/* The per-source counter of @k's source: its first src_prefix bits, hashed. */
static uint16_t src_slot(struct ns_stack *s, const struct frag_key *k)
{
	uint8_t b[17] = {k->family};
	unsigned bits = k->src_prefix > 128 ? 128 : k->src_prefix;

	memcpy(b + 1, k->src, bits / 8);
	if (bits % 8)
		b[1 + bits / 8] = (uint8_t)(k->src[bits / 8] & (0xff << (8 - bits % 8)));
	return (uint16_t)(ns_hash_keyed(s, FRAG_SRC_SALT, b, sizeof(b)) & (FRAG_SRC_SLOTS - 1));
}

static bool key_eq(const struct frag_key *x, const struct frag_key *y)
{
	return x->family == y->family && x->proto == y->proto && x->id == y->id &&
	       memcmp(x->src, y->src, 16) == 0 && memcmp(x->dst, y->dst, 16) == 0;
}

static void charge(struct frag_state *f, struct frag_dgram *d, uint32_t n)
{
	d->mem += n;
	f->mem += n;
	f->src_mem[d->src_slot] += n;
}

/* Take @d out of the table, the age list and the accounts; its fragments stay on it. */
static void dgram_unlink(struct frag_state *f, struct frag_dgram *d)
{
	struct frag_dgram **pp = &f->buckets[d->bucket];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	if (d->older)
		d->older->newer = d->newer;
	else
		f->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		f->newest = d->older;
	ns_timer_cancel(f->s, &d->timer);
	f->mem -= d->mem;
	f->src_mem[d->src_slot] -= d->mem;
	d->mem = 0;
	f->count--;
}

/* Drop the fragments of a datagram already unlinked, and recycle its record. */
static void dgram_drop_all(struct frag_state *f, struct frag_dgram *d, enum ns_drop_reason why)
{
	struct ns_pkt *p = d->frags;

	d->frags = NULL;
	while (p) {
		struct ns_pkt *next = p->next;

		p->next = NULL;
		ns_drop(f->s, p, why);
		p = next;
	}
	ns_stat_inc(f->s, NS_STAT_FRAG_REASM_FAILS);
	dgram_release(f, d);
}

/* Give up on @d: every fragment it holds is dropped for @why. */
static void dgram_kill(struct frag_state *f, struct frag_dgram *d, enum ns_drop_reason why)
{
	dgram_unlink(f, d);
	dgram_drop_all(f, d, why);
}

/* The reassembly timer (RFC 8200 4.5, RFC 1122 3.3.2). */
static void dgram_expired(struct ns_stack *s, struct ns_timer *t)
{
	struct frag_dgram *d = t->arg;
	struct frag_state *f = d->f;

	/* Out of the table before the ICMP goes: sending must not find it half dead. */
	dgram_unlink(f, d);
	if ((d->flags & FRAG_FIRST_IN) && d->frags && d->frags->user == 0 && d->fam->expired)
		d->fam->expired(s, d->frags);
	dgram_drop_all(f, d, NS_DROP_FRAG_TIMEOUT);
}

static struct frag_dgram *dgram_find(struct frag_state *f, const struct frag_key *k, uint32_t h)
{
	for (struct frag_dgram *d = f->buckets[h & f->mask]; d; d = d->hnext)
		if (key_eq(&d->key, k))
			return d;
	return NULL;
}

/*
 * Make room for @need more bytes from source slot @slot: false if the source is over its
 * share, or if dropping every datagram but @keep (oldest first) would not be enough.
 */
static bool make_room(struct frag_state *f, struct frag_dgram *keep, uint16_t slot, uint32_t need,
                      enum ns_drop_reason *why)
{
	const struct ns_stack_config *cfg = ns_stack_config(f->s);

	if (f->src_mem[slot] + need > cfg->frag_src_max) {
		*why = NS_DROP_FRAG_SRC_LIMIT;
		return false;
	}
	while (f->mem + need > cfg->frag_mem_max) {
		struct frag_dgram *victim = f->oldest;

		if (victim == keep)
			victim = victim->newer;
		if (!victim) {
			*why = NS_DROP_FRAG_MEM;
			return false;
		}
		dgram_kill(f, victim, NS_DROP_FRAG_MEM);
	}
	return true;
}

static struct frag_dgram *dgram_new(struct frag_state *f, const struct frag_key *k,
                                    const struct frag_family *fam, uint32_t h, uint16_t slot)
{
	const struct ns_stack_config *cfg = ns_stack_config(f->s);
	struct frag_dgram *d = f->free_list;
	uint64_t timeout = fam->timeout_ns;

	if (d) {
		f->free_list = d->hnext;
		f->nfree--;
	} else {
		d = malloc(sizeof(*d));
		if (!d)
			return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->f = f;
	d->fam = fam;
	d->key = *k;
	d->bucket = h & f->mask;
	d->src_slot = slot;
	d->hnext = f->buckets[d->bucket];
	f->buckets[d->bucket] = d;
	d->older = f->newest;
	if (f->newest)
		f->newest->newer = d;
	else
		f->oldest = d;
	f->newest = d;
	f->count++;
	charge(f, d, (uint32_t)sizeof(*d));
	if (!timeout)
		timeout = fam->family == NS_AF_INET6 ? cfg->frag6_timeout_ns : cfg->frag_timeout_ns;
	ns_timer_init(&d->timer, dgram_expired, d);
	ns_timer_arm_in(f->s, &d->timer, timeout ? timeout : 30 * NS_SEC);
	return d;
}

enum place { PLACE_OK, PLACE_DUP, PLACE_OVERLAP };

/*
 * Where [@off, @end) goes in @d's sorted list: *@prev is the fragment it follows (NULL: the
 * head). A range inside one run of contiguous data already held is a duplicate; any other
 * intersection is an overlap.
 */
static enum place find_place(const struct frag_dgram *d, uint32_t off, uint32_t end,
                             struct ns_pkt **prev)
{
	struct ns_pkt *p = d->frags, *q;
	uint32_t run_start = 0, prev_end = 0, rs, re;

	*prev = NULL;
	while (p && p->user + p->len <= off) {
		if (!*prev || prev_end != p->user)
			run_start = p->user;
		prev_end = p->user + p->len;
		*prev = p;
		p = p->next;
	}
	if (!p || p->user >= end)
		return PLACE_OK;
	rs = (*prev && prev_end == p->user) ? run_start : p->user;
	q = p;
	re = q->user + q->len;
	while (q->next && q->next->user == re) {
		q = q->next;
		re = q->user + q->len;
	}
	return rs <= off && end <= re ? PLACE_DUP : PLACE_OVERLAP;
}

/* RFC 3168 5.3, as Linux's ip_frag_ecn_table: the codepoint of the whole, or -1 when the
 * fragments disagree in a way that must drop it. */
static int ecn_combine(uint8_t seen, uint8_t first)
{
	bool not_ect = seen & (1u << ECN_NOT_ECT);

	if (not_ect && (seen & ~(1u << ECN_NOT_ECT)))
		return -1;
	if (seen & (1u << ECN_CE))
		return ECN_CE;
	return first;
}

struct ns_pkt *frag_add(struct ns_stack *s, struct frag_state *f, const struct frag_key *k,
                        const struct frag_family *fam, struct ns_pkt *pkt, uint32_t off, bool last,
                        uint8_t *ecn_out)
{
	const struct ns_stack_config *cfg = ns_stack_config(s);
	uint32_t h, end = off + pkt->len, size = truesize(pkt);
	enum ns_drop_reason why = NS_DROP_FRAG_MEM;
	struct frag_dgram *d;
	struct ns_pkt *prev = NULL, *chain;
	uint16_t slot;
	int combined;

	ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
	if (!f) {
		ns_drop(s, pkt, NS_DROP_FRAG_MEM);
		return NULL;
	}
	h = key_hash(s, k);
	d = dgram_find(f, k, h);
	if (d) {
		/* Linux ip_frag_queue(): lengths that contradict what is known end it. */
		bool bad = pkt->len == 0;

		if (last)
			bad |= end < d->len || ((d->flags & FRAG_LAST_IN) && end != d->len);
		else
			bad |= end > d->len && (d->flags & FRAG_LAST_IN);
		if (bad) {
			ns_drop(s, pkt, NS_DROP_FRAG_BAD_LEN);
			dgram_kill(f, d, NS_DROP_FRAG_BAD_LEN);
			return NULL;
		}
		switch (find_place(d, off, end, &prev)) {
		case PLACE_DUP:
			ns_drop(s, pkt, NS_DROP_FRAG_DUPLICATE);
			return NULL;
		case PLACE_OVERLAP:
			ns_drop(s, pkt, NS_DROP_FRAG_OVERLAP);
			dgram_kill(f, d, NS_DROP_FRAG_OVERLAP);
			return NULL;
		case PLACE_OK:
			break;
		}
		if (d->nfrags >= cfg->frag_max_frags) {
			ns_drop(s, pkt, NS_DROP_FRAG_TOO_MANY);
			dgram_kill(f, d, NS_DROP_FRAG_TOO_MANY);
			return NULL;
		}
		if (!make_room(f, d, d->src_slot, size, &why)) {
			ns_drop(s, pkt, why);
			return NULL;
		}
	} else {
		if (pkt->len == 0) {
			ns_drop(s, pkt, NS_DROP_FRAG_BAD_LEN);
			return NULL;
		}
		slot = src_slot(s, k);
		if (!make_room(f, NULL, slot, size + (uint32_t)sizeof(*d), &why)) {
			ns_drop(s, pkt, why);
			return NULL;
		}
		d = dgram_new(f, k, fam, h, slot);
		if (!d) {
			ns_drop(s, pkt, NS_DROP_NO_MEMORY);
			return NULL;
		}
	}

	/* Keep it, sorted. */
	pkt->user = off;
	pkt->next = prev ? prev->next : d->frags;
	if (prev)
		prev->next = pkt;
	else
		d->frags = pkt;
	d->nfrags++;
	d->meat += pkt->len;
	d->ecn |= (uint8_t)(1u << (pkt->tos & 3));
	charge(f, d, size);
	if (off == 0)
		d->flags |= FRAG_FIRST_IN;
	if (last) {
		d->flags |= FRAG_LAST_IN;
		d->len = end;
	} else if (end > d->len) {
		d->len = end;
	}
	if (!(d->flags & FRAG_FIRST_IN) || !(d->flags & FRAG_LAST_IN) || d->meat != d->len)
		return NULL;

	/* Each fragment was checked against the length field with its own headers; the whole
	 * carries the first fragment's, which may be longer (IPv4 options, an IPv6
	 * unfragmentable part): Linux's ip_frag_reasm() and ip6_frag_reasm() drop it whole. */
	if (d->frags->head - d->frags->hdr[NS_HDR_NETWORK].off - d->fam->hdr_tail + d->len >
	    d->fam->max_len) {
		dgram_kill(f, d, NS_DROP_FRAG_TOO_LONG);
		return NULL;
	}
	/* Complete: no holes (the pieces do not overlap and add up to the length). */
	combined = ecn_combine(d->ecn, (uint8_t)(d->frags->tos & 3));
	if (combined < 0) {
		dgram_kill(f, d, NS_DROP_FRAG_ECN);
		return NULL;
	}
	dgram_unlink(f, d);
	chain = d->frags;
	d->frags = NULL;
	dgram_release(f, d);
	*ecn_out = (uint8_t)combined;
	ns_stat_inc(s, NS_STAT_FRAG_REASM_OKS);
	return chain;
}

struct ns_pkt *frag_stitch(struct ns_stack *s, struct ns_pkt *chain, uint32_t drop_tail,
                           uint32_t *hdr_len)
{
	struct ns_pkt *first = chain, *out, *p;
	uint32_t net = first->hdr[NS_HDR_NETWORK].off;
	uint32_t hl = first->head - net - drop_tail;
	uint32_t total = 0, at;

	for (p = chain; p; p = p->next)
		total = p->user + p->len;
	/* In place when the first fragment's buffer has the room behind its data (a large
	 * read buffer): only the other fragments' data moves. */
	if (first->refcnt == 1 && first->cap - first->head >= total) {
		out = first;
		if (drop_tail) {
			memmove(first->buf + net + drop_tail, first->buf + net, hl);
			net += drop_tail;
		}
		for (p = chain->next; p; p = p->next)
			memcpy(first->buf + first->head + p->user, ns_pkt_data(p), p->len);
		ns_pkt_free_list(chain->next);
		out->next = NULL;
		out->head = net;
		out->len = hl + total;
	} else {
		out = ns_pkt_alloc(NS_PKT_HEADROOM, hl + total);
		if (!out) {
			for (p = chain; p;) {
				struct ns_pkt *next = p->next;

				p->next = NULL;
				ns_drop(s, p, NS_DROP_NO_MEMORY);
				p = next;
			}
			return NULL;
		}
		memcpy(ns_pkt_data(out), first->buf + net, hl);
		at = out->head + hl;
		for (p = chain; p; p = p->next)
			memcpy(out->buf + at + p->user, ns_pkt_data(p), p->len);
		out->flags = first->flags;
		out->netproto = first->netproto;
		out->transproto = first->transproto;
		out->nic = first->nic;
		out->link_src = first->link_src;
		out->src = first->src;
		out->dst = first->dst;
		out->ttl = first->ttl;
		out->tos = first->tos;
		ns_pkt_free_list(chain);
	}
	/* The transport checksum covers the whole datagram: no fragment's offload verdict
	 * speaks for it (nor can its checksum be partial). */
	out->flags &= (uint16_t) ~(NS_PKT_CSUM_VERIFIED | NS_PKT_CSUM_PARTIAL);
	out->csum_start = out->csum_off = 0;
	memset(out->hdr, 0, sizeof(out->hdr));
	memset(&out->gso, 0, sizeof(out->gso));
	out->user = 0;
	*hdr_len = hl;
	return out;
}

bool frag_csum_finish(struct ns_pkt *pkt)
{
	uint32_t start = pkt->csum_start, field = start + pkt->csum_off;
	uint16_t c;

	if (field < start || !ns_pkt_peek(pkt, field, 2))
		return false;
	c = csum_finish(csum_partial(ns_pkt_data(pkt) + start, pkt->len - start, 0));
	if (!c)
		c = 0xffff; /* 0 means "no checksum" to UDP (RFC 768), as skb_checksum_help() */
	wr16(ns_pkt_data(pkt) + field, c);
	pkt->flags &= (uint16_t)~NS_PKT_CSUM_PARTIAL;
	return true;
}

struct ns_pkt *frag_piece(struct ns_stack *s, struct ns_pkt *pkt, struct ns_pkt *done, uint32_t len,
                          uint16_t net_hlen)
{
	struct ns_pkt *fr = ns_pkt_alloc(NS_PKT_HEADROOM, len);

	if (!fr) {
		ns_pkt_free_list(done);
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_NO_MEMORY);
		return NULL;
	}
	fr->hdr[NS_HDR_NETWORK].off = fr->head;
	fr->hdr[NS_HDR_NETWORK].len = net_hlen;
	fr->netproto = pkt->netproto;
	fr->transproto = pkt->transproto;
	fr->nic = pkt->nic;
	fr->src = pkt->src;
	fr->dst = pkt->dst;
	fr->ttl = pkt->ttl;
	fr->tos = pkt->tos;
	return fr;
}

uint32_t frag_next_id(struct ns_stack *s, struct frag_state *f, const uint8_t *src,
                      const uint8_t *dst, unsigned alen)
{
	uint8_t key[32];
	uint32_t now_ms = (uint32_t)(ns_stack_now(s) / NS_PER_MS);
	struct frag_id *c;
	uint64_t h;

	if (alen > 16)
		alen = 16;
	memset(key, 0, sizeof(key));
	memcpy(key, src, alen);
	memcpy(key + 16, dst, alen);
	h = ns_hash_keyed(s, FRAG_ID_SALT, key, sizeof(key));
	c = &f->ids[(h >> 32) & (FRAG_ID_TABLE - 1)];
	/* As ipv4.c (Linux's ip_idents_reserve): an idle counter first jumps by a random
	 * amount below the idle time, so a host sharing it cannot count another's packets. */
	if (now_ms != c->stamp) {
		c->next += (uint32_t)(ns_stack_random(s) % (uint32_t)(now_ms - c->stamp));
		c->stamp = now_ms;
	}
	return (uint32_t)h + c->next++;
}

/* ---------------------------------------------------------------- IPv4 */

/* RFC 792 / RFC 1122 3.3.2: time exceeded, code 1, about the first fragment. */
static void ipv4_frag_expired(struct ns_stack *s, const struct ns_pkt *first)
{
	icmpv4_send_error(s, ns_nic_find(s, first->nic), first, first->hdr[NS_HDR_NETWORK].off,
	                  ICMPV4_TIME_EXCEEDED, ICMPV4_EXC_FRAGTIME, 0);
}

static const struct frag_family ipv4_family = {
    .family = NS_AF_INET,
    .max_len = UINT16_MAX,
    .expired = ipv4_frag_expired,
};

struct ns_pkt *frag_ipv4_reassemble(struct ns_stack *s, struct frag_state *f, struct ns_pkt *pkt,
                                    struct ipv4_repr *ip)
{
	struct frag_key k = {
	    .family = NS_AF_INET, .proto = ip->proto, .id = ip->id, .src_prefix = 32};
	uint32_t hl = ip->hdr_len, off = ip->frag_off, len, hlen;
	struct ns_pkt *chain, *whole;
	uint8_t ecn, *h;

	/* Cannot fail: the header was validated and the packet trimmed to its total length. */
	ns_pkt_consume(pkt, NS_HDR_NETWORK, hl);
	len = pkt->len;
	/* RFC 791 3.2: every fragment but the last carries a multiple of 8 data bytes, the
	 * unit of the offsets. As Linux's ip_frag_queue() ("end &= ~7"), the excess of one
	 * that does not is no data: it is cut off (fewer than 8 bytes leave an empty fragment,
	 * which frag_add() refuses). IPv6 answers the same with a parameter problem instead
	 * (RFC 8200 4.5, frag6.c). */
	if (ip->mf && (len & 7)) {
		len &= ~7u;
		ns_pkt_trim(pkt, len);
	}
	memcpy(k.src, ip->src, 4);
	memcpy(k.dst, ip->dst, 4);
	/* The reassembled datagram must fit the 16-bit total length; one fragment past it
	 * dooms its datagram (Linux gives up on it in ip_frag_reasm()). */
	if (hl + off + len > UINT16_MAX) {
		struct frag_dgram *d = f ? dgram_find(f, &k, key_hash(s, &k)) : NULL;

		ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
		ns_drop(s, pkt, NS_DROP_FRAG_TOO_LONG);
		if (d)
			dgram_kill(f, d, NS_DROP_FRAG_TOO_LONG);
		return NULL;
	}
	pkt->tos = ip->tos;
	chain = frag_add(s, f, &k, &ipv4_family, pkt, off, !ip->mf, &ecn);
	if (!chain)
		return NULL;
	whole = frag_stitch(s, chain, 0, &hlen);
	if (!whole)
		return NULL;
	/* The first fragment's header, made the whole datagram's. */
	h = ns_pkt_data(whole);
	wr16(h + 2, (uint16_t)whole->len);
	wr16(h + 6, 0);
	h[1] = (uint8_t)((h[1] & ~3u) | ecn);
	wr16(h + 10, 0);
	wr16(h + 10, csum_finish(csum_partial(h, hlen, 0)));
	/* Cannot fail: the header is the first fragment's, already validated. */
	ipv4_parse(ip, h, whole->len, false);
	return whole;
}

struct ns_pkt *frag_ipv4_fragment(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu)
{
	uint8_t *h = ns_pkt_data(pkt), hdr[IPV4_MAX_HLEN];
	uint32_t hl = ipv4_get_hdr_len(h), total = ipv4_get_total_len(h), plen, chunk, off;
	uint16_t field = rd16(h + 6);
	uint32_t base = (field & IPV4_FRAG_MASK) * 8u;
	bool more = (field & IPV4_FLAG_MF) != 0;
	struct ns_pkt *head = NULL, **tail = &head;
	uint32_t n = 1;

	if (total > pkt->len || hl < IPV4_MIN_HLEN || hl > total || mtu < hl + 8u) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_IPV4_TOO_BIG);
		return NULL;
	}
	ns_pkt_trim(pkt, total);
	if ((pkt->flags & NS_PKT_CSUM_PARTIAL) && !frag_csum_finish(pkt)) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return NULL;
	}
	plen = total - hl;
	chunk = (mtu - hl) & ~7u;
	if (plen <= chunk || total <= mtu)
		return pkt; /* it fits: nothing to cut */
	/* The later fragments' header: options not to be copied become no-operations. */
	memcpy(hdr, h, hl);
	ipv4_options_fragment(hdr + IPV4_MIN_HLEN, hl - IPV4_MIN_HLEN);
	for (off = chunk; off < plen; off += chunk) {
		uint32_t len = plen - off < chunk ? plen - off : chunk;
		struct ns_pkt *fr = frag_piece(s, pkt, head, hl + len, (uint16_t)hl);
		uint8_t *fh;

		if (!fr)
			return NULL;
		fh = ns_pkt_data(fr);
		memcpy(fh, hdr, hl);
		memcpy(fh + hl, h + hl + off, len);
		wr16(fh + 2, (uint16_t)(hl + len));
		wr16(fh + 6,
		     (uint16_t)((field & IPV4_FLAG_DF) | (((base + off) / 8u) & IPV4_FRAG_MASK) |
		                (off + len < plen || more ? IPV4_FLAG_MF : 0)));
		wr16(fh + 10, 0);
		wr16(fh + 10, csum_finish(csum_partial(fh, hl, 0)));
		*tail = fr;
		tail = &fr->next;
		n++;
	}
	/* The first fragment is the packet itself, cut short. */
	if (chunk < plen) {
		ns_pkt_trim(pkt, hl + chunk);
		wr16(h + 2, (uint16_t)(hl + chunk));
		wr16(h + 6, (uint16_t)(field | IPV4_FLAG_MF));
		wr16(h + 10, 0);
		wr16(h + 10, csum_finish(csum_partial(h, hl, 0)));
	}
	pkt->next = head;
	ns_stat_inc(s, NS_STAT_FRAG_OKS);
	ns_stat_add(s, NS_STAT_FRAG_CREATES, n);
	return pkt;
}
