/* SPDX-License-Identifier: MIT */
/*
 * IPv4 header parse/emit (RFC 791, RFC 1122 3.2.1).
 *
 * Pure functions over (pointer, length): every length is checked before the bytes it covers
 * are read; nothing is kept. Options are length-checked here and left to the caller.
 */
#include "wire/ipv4.h"

#include <string.h>

#include "wire/checksum.h"

enum ipv4_err ipv4_parse(struct ipv4_repr *r, const uint8_t *buf, size_t len, bool verify_csum)
{
	unsigned hdr_len, total_len;
	uint16_t frag;

	if (len < IPV4_MIN_HLEN)
		return IPV4_E_TRUNCATED;
	if (ipv4_get_version(buf) != 4)
		return IPV4_E_VERSION;
	hdr_len = ipv4_get_hdr_len(buf);
	if (hdr_len < IPV4_MIN_HLEN)
		return IPV4_E_IHL;
	if (hdr_len > len)
		return IPV4_E_TRUNCATED;
	total_len = ipv4_get_total_len(buf);
	if (total_len < hdr_len)
		return IPV4_E_TOTAL_LEN;
	if (total_len > len)
		return IPV4_E_TRUNCATED;
	/* RFC 1122 3.2.1.2: a datagram whose header checksum fails MUST be discarded. */
	if (verify_csum && csum_fold(csum_partial(buf, hdr_len, 0)) != 0xffff)
		return IPV4_E_CSUM;
	frag = rd16(buf + 6);
	/* RFC 791 3.1: bit 0 of the flags is reserved and must be zero. */
	if (frag & IPV4_FLAG_RESERVED)
		return IPV4_E_FRAG;

	r->hdr_len = (uint8_t)hdr_len;
	r->tos = ipv4_get_tos(buf);
	r->total_len = (uint16_t)total_len;
	r->id = ipv4_get_id(buf);
	r->df = (frag & IPV4_FLAG_DF) != 0;
	r->mf = (frag & IPV4_FLAG_MF) != 0;
	r->frag_off = (uint16_t)((frag & IPV4_FRAG_MASK) * 8u);
	r->ttl = ipv4_get_ttl(buf);
	r->proto = ipv4_get_proto(buf);
	r->csum = ipv4_get_csum(buf);
	memcpy(r->src, buf + 12, 4);
	memcpy(r->dst, buf + 16, 4);
	return IPV4_OK;
}

void ipv4_emit(const struct ipv4_repr *r, uint8_t *buf)
{
	uint16_t frag = (uint16_t)((r->frag_off / 8u) & IPV4_FRAG_MASK);

	if (r->df)
		frag |= IPV4_FLAG_DF;
	if (r->mf)
		frag |= IPV4_FLAG_MF;
	buf[0] = 0x45;
	buf[1] = r->tos;
	wr16(buf + 2, r->total_len);
	wr16(buf + 4, r->id);
	wr16(buf + 6, frag);
	buf[8] = r->ttl;
	buf[9] = r->proto;
	wr16(buf + 10, 0);
	memcpy(buf + 12, r->src, 4);
	memcpy(buf + 16, r->dst, 4);
	wr16(buf + 10, csum_finish(csum_partial(buf, IPV4_MIN_HLEN, 0)));
}

bool ipv4_options_fragment(uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t olen;

		if (opt[i] == 0) /* End of Option List: the rest is padding */
			return true;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i) {
			memset(opt + i, 1, len - i);
			return false;
		}
		olen = opt[i + 1];
		if (!(opt[i] & 0x80))
			memset(opt + i, 1, olen);
		i += olen;
	}
	return true;
}

const char *ipv4_strerror(enum ipv4_err e)
{
	switch (e) {
	case IPV4_OK:
		return "ok";
	case IPV4_E_TRUNCATED:
		return "truncated";
	case IPV4_E_VERSION:
		return "bad version";
	case IPV4_E_IHL:
		return "bad IHL";
	case IPV4_E_TOTAL_LEN:
		return "bad total length";
	case IPV4_E_CSUM:
		return "bad checksum";
	case IPV4_E_FRAG:
		return "reserved flag set";
	}
	return "unknown";
}
