/* SPDX-License-Identifier: MIT */
/*
 * ICMPv4 header parse/emit (RFC 792, RFC 1191).
 *
 * Pure functions over (pointer, length): nothing past buf[len) is read, nothing is kept.
 * Which bytes 4..7 hold depends on the type; icmpv4.h says which repr fields map to them.
 */
#include "wire/icmpv4.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

bool icmpv4_parse(struct icmpv4_repr *r, const uint8_t *buf, size_t len, bool verify_csum)
{
	if (len < ICMPV4_HLEN)
		return false;
	/* RFC 792: the checksum is over the ICMP message starting with the type. */
	if (verify_csum && csum_fold(csum_partial(buf, len, 0)) != 0xffff)
		return false;
	r->type = buf[0];
	r->code = buf[1];
	r->csum = rd16(buf + 2);
	r->rest = rd32(buf + 4);
	r->id = rd16(buf + 4);
	r->seq = rd16(buf + 6);
	r->mtu = rd16(buf + 6);
	return true;
}

static bool has_id_seq(uint8_t type)
{
	return type == ICMPV4_ECHO_REQUEST || type == ICMPV4_ECHO_REPLY ||
	       type == ICMPV4_TIMESTAMP || type == ICMPV4_TIMESTAMP_REPLY;
}

void icmpv4_emit(const struct icmpv4_repr *r, uint8_t *buf, size_t total_len)
{
	buf[0] = r->type;
	buf[1] = r->code;
	wr16(buf + 2, 0);
	if (has_id_seq(r->type)) {
		wr16(buf + 4, r->id);
		wr16(buf + 6, r->seq);
	} else if (r->type == ICMPV4_DEST_UNREACH && r->code == ICMPV4_UNREACH_FRAG_NEEDED) {
		wr32(buf + 4, (r->rest & 0xffff0000u) | r->mtu);
	} else {
		wr32(buf + 4, r->rest);
	}
	wr16(buf + 2, csum_finish(csum_partial(buf, total_len, 0)));
}
