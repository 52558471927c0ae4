/* SPDX-License-Identifier: MIT */
/*
 * IPv6 header and extension-header parse/emit (RFC 8200).
 *
 * Pure functions over (pointer, length): every length is checked before the bytes it covers
 * are read; nothing is kept. Which extension headers may follow which, and what an option
 * means, is the network layer's business (src/net/ipv6.c); here only their shapes are known.
 */
#include "wire/ipv6.h"

enum ipv6_err ipv6_parse(struct ipv6_repr *r, const uint8_t *buf, size_t len)
{
	uint32_t w;

	if (len < IPV6_HLEN)
		return IPV6_E_TRUNCATED;
	if (ipv6_get_version(buf) != 6)
		return IPV6_E_VERSION;
	/* RFC 8200 3: the payload length counts everything after the fixed header. A jumbogram
	 * (payload length 0 with a Jumbo Payload option, RFC 2675) is not supported: 0 means
	 * an empty payload here. */
	if (IPV6_HLEN + (size_t)ipv6_get_payload_len(buf) > len)
		return IPV6_E_TRUNCATED;
	w = rd32(buf);
	r->tclass = (uint8_t)(w >> 20);
	r->flow = w & 0xfffffu;
	r->payload_len = ipv6_get_payload_len(buf);
	r->next_header = ipv6_get_next_header(buf);
	r->hop_limit = ipv6_get_hop_limit(buf);
	memcpy(r->src, buf + 8, 16);
	memcpy(r->dst, buf + 24, 16);
	return IPV6_OK;
}

void ipv6_emit(const struct ipv6_repr *r, uint8_t *buf)
{
	wr32(buf, 6u << 28 | (uint32_t)r->tclass << 20 | (r->flow & 0xfffffu));
	wr16(buf + 4, r->payload_len);
	buf[6] = r->next_header;
	buf[7] = r->hop_limit;
	memcpy(buf + 8, r->src, 16);
	memcpy(buf + 24, r->dst, 16);
}

const char *ipv6_strerror(enum ipv6_err e)
{
	switch (e) {
	case IPV6_OK:
		return "ok";
	case IPV6_E_TRUNCATED:
		return "truncated";
	case IPV6_E_VERSION:
		return "bad version";
	}
	return "unknown";
}

uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *buf, size_t len)
{
	uint32_t n;

	switch (nh) {
	case IPV6_NH_HOPOPTS:
	case IPV6_NH_ROUTING:
	case IPV6_NH_DSTOPTS:
		if (len < 2)
			return 0;
		n = ((uint32_t)buf[1] + 1) * 8;
		break;
	case IPV6_NH_FRAGMENT:
		n = IPV6_FRAG_HLEN;
		break;
	case IPV6_NH_AH:
		if (len < 2)
			return 0;
		n = ((uint32_t)buf[1] + 2) * 4;
		break;
	default:
		return 0;
	}
	return n <= len ? n : 0;
}

bool ipv6_rh_parse(struct ipv6_rh_repr *r, const uint8_t *buf, size_t len)
{
	if (ipv6_ext_len(IPV6_NH_ROUTING, buf, len) == 0)
		return false;
	r->next_header = buf[0];
	r->hdr_ext_len = buf[1];
	r->type = buf[2];
	r->segments_left = buf[3];
	return true;
}

bool ipv6_frag_parse(struct ipv6_frag_repr *r, const uint8_t *buf, size_t len)
{
	uint16_t w;

	if (len < IPV6_FRAG_HLEN)
		return false;
	w = rd16(buf + 2);
	r->next_header = buf[0];
	r->offset = (uint16_t)(w & 0xfff8u);
	r->more = (w & 1u) != 0;
	r->id = rd32(buf + 4);
	return true;
}

void ipv6_frag_emit(const struct ipv6_frag_repr *r, uint8_t *buf)
{
	buf[0] = r->next_header;
	buf[1] = 0;
	wr16(buf + 2, (uint16_t)((r->offset & 0xfff8u) | (r->more ? 1u : 0u)));
	wr32(buf + 4, r->id);
}

int ipv6_opt_next(struct ipv6_opt_iter *it, struct ipv6_opt *o)
{
	uint32_t off = it->off;

	if (off >= it->len)
		return 0;
	o->off = off;
	o->type = it->hdr[off];
	if (o->type == IPV6_OPT_PAD1) {
		/* RFC 8200 4.2: "the format of the Pad1 option is a special case: it does not
		 * have length and value fields". */
		o->len = 0;
		o->data = it->hdr + off + 1;
		it->off = off + 1;
		return 1;
	}
	if (it->len - off < 2 || it->hdr[off + 1] > it->len - off - 2)
		return -1;
	o->len = it->hdr[off + 1];
	o->data = it->hdr + off + 2;
	it->off = off + 2 + o->len;
	return 1;
}
