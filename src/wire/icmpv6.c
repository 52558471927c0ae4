/* SPDX-License-Identifier: MIT */
/*
 * ICMPv6, Neighbor Discovery and MLD parse/emit (RFC 4443, RFC 4861, RFC 2710, RFC 3810).
 *
 * Pure functions over (pointer, length): nothing past buf[len) is read, nothing is kept.
 * Validation beyond shape (hop limits, source address rules, which options a message may
 * carry) belongs to src/net/ndp.c and src/net/mld.c.
 */
#include "wire/icmpv6.h"

#include <string.h>

#include "wire/checksum.h"

bool icmpv6_parse(struct icmpv6_repr *r, const uint8_t *buf, size_t len)
{
	if (len < ICMPV6_HLEN)
		return false;
	r->type = buf[0];
	r->code = buf[1];
	r->csum = rd16(buf + 2);
	r->rest = rd32(buf + 4);
	r->id = rd16(buf + 4);
	r->seq = rd16(buf + 6);
	return true;
}

bool icmpv6_csum_ok(const uint8_t *buf, size_t len, uint32_t pseudo)
{
	/* RFC 4443 2.3: the checksum covers the pseudo-header and the whole message. */
	return csum_fold(csum_partial(buf, len, pseudo)) == 0xffff;
}

void icmpv6_csum_store(uint8_t *buf, size_t len, uint32_t pseudo)
{
	wr16(buf + 2, csum_finish(csum_partial(buf, len, pseudo)));
}

void icmpv6_emit(const struct icmpv6_repr *r, uint8_t *buf, size_t total_len, uint32_t pseudo)
{
	buf[0] = r->type;
	buf[1] = r->code;
	wr16(buf + 2, 0);
	if (r->type == ICMPV6_ECHO_REQUEST || r->type == ICMPV6_ECHO_REPLY) {
		wr16(buf + 4, r->id);
		wr16(buf + 6, r->seq);
	} else {
		wr32(buf + 4, r->rest);
	}
	icmpv6_csum_store(buf, total_len, pseudo);
}

/* ---------------------------------------------------------------- Neighbor Discovery */

uint32_t ndp_fixed_len(uint8_t type)
{
	switch (type) {
	case ICMPV6_ND_RS:
		return NDP_RS_LEN;
	case ICMPV6_ND_RA:
		return NDP_RA_LEN;
	case ICMPV6_ND_NS:
		return NDP_NS_LEN;
	case ICMPV6_ND_NA:
		return NDP_NA_LEN;
	case ICMPV6_ND_REDIRECT:
		return NDP_REDIRECT_LEN;
	default:
		return 0;
	}
}

bool ndp_parse(struct ndp_repr *r, const uint8_t *buf, size_t len)
{
	uint32_t fixed = len ? ndp_fixed_len(buf[0]) : 0;

	if (fixed == 0 || len < fixed)
		return false;
	memset(r, 0, sizeof(*r));
	r->type = buf[0];
	r->code = buf[1];
	switch (r->type) {
	case ICMPV6_ND_RA:
		r->cur_hop_limit = buf[4];
		r->ra_flags = buf[5];
		r->router_lifetime = rd16(buf + 6);
		r->reachable_time = rd32(buf + 8);
		r->retrans_timer = rd32(buf + 12);
		break;
	case ICMPV6_ND_NA:
		r->na_flags = buf[4] & (NDP_NA_ROUTER | NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
		memcpy(r->target, buf + 8, 16);
		break;
	case ICMPV6_ND_NS:
		memcpy(r->target, buf + 8, 16);
		break;
	case ICMPV6_ND_REDIRECT:
		memcpy(r->target, buf + 8, 16);
		memcpy(r->dest, buf + 24, 16);
		break;
	default: /* RS: reserved only */
		break;
	}
	r->opts = buf + fixed;
	r->opts_len = (uint32_t)(len - fixed);
	return true;
}

void ndp_emit(const struct ndp_repr *r, uint8_t *buf)
{
	uint32_t fixed = ndp_fixed_len(r->type);

	memset(buf, 0, fixed);
	buf[0] = r->type;
	switch (r->type) {
	case ICMPV6_ND_RA:
		buf[4] = r->cur_hop_limit;
		buf[5] = r->ra_flags;
		wr16(buf + 6, r->router_lifetime);
		wr32(buf + 8, r->reachable_time);
		wr32(buf + 12, r->retrans_timer);
		break;
	case ICMPV6_ND_NA:
		buf[4] = r->na_flags;
		memcpy(buf + 8, r->target, 16);
		break;
	case ICMPV6_ND_NS:
		memcpy(buf + 8, r->target, 16);
		break;
	case ICMPV6_ND_REDIRECT:
		memcpy(buf + 8, r->target, 16);
		memcpy(buf + 24, r->dest, 16);
		break;
	default:
		break;
	}
}

int ndp_opt_next(struct ndp_opt_iter *it, struct ndp_opt *o)
{
	uint32_t n;

	if (it->left == 0)
		return 0;
	if (it->left < 2)
		return -1;
	/* RFC 4861 4.6: the length is in units of 8 octets; 0 is invalid. */
	n = (uint32_t)it->p[1] * 8;
	if (n == 0 || n > it->left)
		return -1;
	o->type = it->p[0];
	o->len = n;
	o->p = it->p;
	it->p += n;
	it->left -= n;
	return 1;
}

bool ndp_opts_valid(const uint8_t *opts, uint32_t len)
{
	struct ndp_opt_iter it;
	struct ndp_opt o;
	int r;

	ndp_opt_iter_init(&it, opts, len);
	while ((r = ndp_opt_next(&it, &o)) > 0)
		;
	return r == 0;
}

bool ndp_opt_lla(const struct ndp_opt *o, struct ns_mac *mac)
{
	if ((o->type != NDP_OPT_SLLA && o->type != NDP_OPT_TLLA) || o->len != NDP_OPT_LLA_LEN)
		return false;
	memcpy(mac->b, o->p + 2, 6);
	return true;
}

bool ndp_opt_prefix(const struct ndp_opt *o, struct ndp_prefix *p)
{
	if (o->type != NDP_OPT_PREFIX || o->len != NDP_OPT_PREFIX_LEN)
		return false;
	p->prefix_len = o->p[2];
	p->flags = o->p[3];
	p->valid = rd32(o->p + 4);
	p->preferred = rd32(o->p + 8);
	memcpy(p->prefix, o->p + 16, 16);
	return true;
}

bool ndp_opt_mtu(const struct ndp_opt *o, uint32_t *mtu)
{
	if (o->type != NDP_OPT_MTU || o->len != NDP_OPT_MTU_LEN)
		return false;
	*mtu = rd32(o->p + 4);
	return true;
}

bool ndp_opt_nonce(const struct ndp_opt *o, uint8_t nonce[6])
{
	if (o->type != NDP_OPT_NONCE || o->len != NDP_OPT_NONCE_LEN)
		return false;
	memcpy(nonce, o->p + 2, 6);
	return true;
}

uint32_t ndp_opt_emit_lla(uint8_t *buf, uint8_t type, const struct ns_mac *mac)
{
	buf[0] = type;
	buf[1] = 1;
	memcpy(buf + 2, mac->b, 6);
	return NDP_OPT_LLA_LEN;
}

uint32_t ndp_opt_emit_prefix(uint8_t *buf, const struct ndp_prefix *p)
{
	buf[0] = NDP_OPT_PREFIX;
	buf[1] = 4;
	buf[2] = p->prefix_len;
	buf[3] = p->flags;
	wr32(buf + 4, p->valid);
	wr32(buf + 8, p->preferred);
	wr32(buf + 12, 0);
	memcpy(buf + 16, p->prefix, 16);
	return NDP_OPT_PREFIX_LEN;
}

uint32_t ndp_opt_emit_mtu(uint8_t *buf, uint32_t mtu)
{
	buf[0] = NDP_OPT_MTU;
	buf[1] = 1;
	wr16(buf + 2, 0);
	wr32(buf + 4, mtu);
	return NDP_OPT_MTU_LEN;
}

uint32_t ndp_opt_emit_nonce(uint8_t *buf, const uint8_t nonce[6])
{
	buf[0] = NDP_OPT_NONCE;
	buf[1] = 1;
	memcpy(buf + 2, nonce, 6);
	return NDP_OPT_NONCE_LEN;
}

/* ---------------------------------------------------------------- MLD */

/* RFC 3810 5.1.3: Maximum Response Code; below 32768 it is the delay in ms, else a
 * floating-point value |1|exp(3)|mant(12)| = (mant | 0x1000) << (exp + 3). */
static uint32_t mld_mrc_decode(uint16_t c)
{
	if (c < 0x8000)
		return c;
	return ((uint32_t)(c & 0x0fff) | 0x1000) << (((c >> 12) & 7) + 3);
}

static uint16_t mld_mrc_encode(uint32_t ms)
{
	if (ms < 0x8000)
		return (uint16_t)ms;
	for (uint32_t exp = 0; exp < 8; exp++) {
		uint32_t m = ms >> (exp + 3);

		if (m < 0x2000)
			return (uint16_t)(0x8000 | exp << 12 | (m & 0x0fff));
	}
	return 0xffff;
}

/* RFC 3810 5.1.9: QQIC; below 128 the interval in seconds, else |1|exp(3)|mant(4)| =
 * (mant | 0x10) << (exp + 3). */
static uint32_t mld_qqic_decode(uint8_t c)
{
	if (c < 0x80)
		return c;
	return ((uint32_t)(c & 0x0f) | 0x10) << (((c >> 4) & 7) + 3);
}

static uint8_t mld_qqic_encode(uint32_t s)
{
	if (s < 0x80)
		return (uint8_t)s;
	for (uint32_t exp = 0; exp < 8; exp++) {
		uint32_t m = s >> (exp + 3);

		if (m < 0x20)
			return (uint8_t)(0x80 | exp << 4 | (m & 0x0f));
	}
	return 0xff;
}

bool mld_query_parse(struct mld_query *q, const uint8_t *buf, size_t len)
{
	memset(q, 0, sizeof(*q));
	if (len == MLD1_LEN) {
		/* RFC 2710 3.4: the delay is in milliseconds. */
		q->max_resp_ms = rd16(buf + 4);
		memcpy(q->group, buf + 8, 16);
		return true;
	}
	if (len < MLD2_QUERY_MIN)
		return false;
	q->v2 = true;
	q->max_resp_ms = mld_mrc_decode(rd16(buf + 4));
	memcpy(q->group, buf + 8, 16);
	q->suppress = (buf[24] & 0x08) != 0;
	q->qrv = buf[24] & 0x07;
	q->qqi_s = mld_qqic_decode(buf[25]);
	q->nsources = rd16(buf + 26);
	if ((size_t)q->nsources * 16 > len - MLD2_QUERY_MIN)
		return false;
	q->sources = buf + MLD2_QUERY_MIN;
	return true;
}

size_t mld_query_emit(const struct mld_query *q, uint8_t *buf)
{
	buf[0] = ICMPV6_MLD_QUERY;
	buf[1] = 0;
	wr16(buf + 2, 0);
	wr16(buf + 4, mld_mrc_encode(q->max_resp_ms));
	wr16(buf + 6, 0);
	memcpy(buf + 8, q->group, 16);
	buf[24] = (uint8_t)((q->suppress ? 0x08 : 0) | (q->qrv & 0x07));
	buf[25] = mld_qqic_encode(q->qqi_s);
	wr16(buf + 26, q->nsources);
	if (q->nsources)
		memcpy(buf + MLD2_QUERY_MIN, q->sources, (size_t)q->nsources * 16);
	return MLD2_QUERY_MIN + (size_t)q->nsources * 16;
}

bool mld2_report_parse(struct mld2_record_iter *it, const uint8_t *buf, size_t len)
{
	if (len < MLD2_REPORT_HLEN)
		return false;
	it->remaining = rd16(buf + 6);
	it->p = buf + MLD2_REPORT_HLEN;
	it->left = (uint32_t)(len - MLD2_REPORT_HLEN);
	return true;
}

int mld2_record_next(struct mld2_record_iter *it, struct mld2_record *r)
{
	uint32_t n;

	if (it->remaining == 0)
		return 0;
	if (it->left < MLD2_RECORD_HLEN)
		return -1;
	/* RFC 3810 5.2.4: type, aux data length (32-bit words), number of sources, group,
	 * sources, auxiliary data. */
	n = MLD2_RECORD_HLEN + (uint32_t)rd16(it->p + 2) * 16 + (uint32_t)it->p[1] * 4;
	if (n > it->left)
		return -1;
	r->type = it->p[0];
	r->nsources = rd16(it->p + 2);
	memcpy(r->group, it->p + 4, 16);
	r->sources = it->p + MLD2_RECORD_HLEN;
	it->p += n;
	it->left -= n;
	it->remaining--;
	return 1;
}

size_t mld2_report_len(const struct mld2_record *recs, size_t n)
{
	size_t len = MLD2_REPORT_HLEN;

	for (size_t i = 0; i < n; i++)
		len += MLD2_RECORD_HLEN + (size_t)recs[i].nsources * 16;
	return len;
}

size_t mld2_report_emit(uint8_t *buf, const struct mld2_record *recs, size_t n)
{
	uint8_t *p = buf + MLD2_REPORT_HLEN;

	buf[0] = ICMPV6_MLD2_REPORT;
	buf[1] = 0;
	wr16(buf + 2, 0);
	wr16(buf + 4, 0);
	wr16(buf + 6, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		p[0] = recs[i].type;
		p[1] = 0;
		wr16(p + 2, recs[i].nsources);
		memcpy(p + 4, recs[i].group, 16);
		if (recs[i].nsources)
			memcpy(p + MLD2_RECORD_HLEN, recs[i].sources,
			       (size_t)recs[i].nsources * 16);
		p += MLD2_RECORD_HLEN + (size_t)recs[i].nsources * 16;
	}
	return (size_t)(p - buf);
}

void mld1_emit(uint8_t *buf, uint8_t type, const uint8_t group[16])
{
	buf[0] = type;
	buf[1] = 0;
	wr16(buf + 2, 0);
	wr16(buf + 4, 0);
	wr16(buf + 6, 0);
	memcpy(buf + 8, group, 16);
}
