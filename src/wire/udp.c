/* SPDX-License-Identifier: MIT */
/*
 * UDP header parse/emit and checksum (RFC 768, RFC 8200 8.1).
 *
 * Pure functions over (pointer, length): nothing past the given length is read, nothing is
 * kept.
 */
#include "wire/udp.h"

#include "wire/checksum.h"

bool udp_parse(struct udp_repr *r, const uint8_t *buf, size_t len)
{
	uint16_t ulen;

	if (len < UDP_HLEN)
		return false;
	ulen = udp_get_len(buf);
	if (ulen < UDP_HLEN || ulen > len)
		return false;
	r->src_port = udp_get_src_port(buf);
	r->dst_port = udp_get_dst_port(buf);
	r->len = ulen;
	r->csum = rd16(buf + 6);
	return true;
}

bool udp_csum_ok(const uint8_t *buf, size_t udp_len, uint32_t pseudo, bool allow_zero)
{
	if (udp_len < UDP_HLEN)
		return false;
	if (rd16(buf + 6) == 0)
		return allow_zero;
	return csum_fold(csum_partial(buf, udp_len, pseudo)) == 0xffff;
}

void udp_emit(const struct udp_repr *r, uint8_t *buf, uint32_t pseudo, bool compute_csum)
{
	wr16(buf, r->src_port);
	wr16(buf + 2, r->dst_port);
	wr16(buf + 4, r->len);
	if (compute_csum) {
		uint16_t c;

		wr16(buf + 6, 0);
		c = csum_finish(csum_partial(buf, r->len, pseudo));
		/* RFC 768: "If the computed checksum is zero, it is transmitted as all ones". */
		wr16(buf + 6, c ? c : 0xffff);
	} else {
		wr16(buf + 6, r->csum);
	}
}
