/* SPDX-License-Identifier: MIT */
/*
 * Ethernet II header parse/emit (RFC 894).
 *
 * Pure functions over (pointer, length): nothing past buf[len) is read, nothing is kept.
 */
#include "wire/eth.h"

#include <string.h>

#include "wire/bytes.h"

bool eth_parse(struct eth_repr *r, const uint8_t *buf, size_t len)
{
	if (len < ETH_HLEN)
		return false;
	memcpy(r->dst.b, buf, ETH_ALEN);
	memcpy(r->src.b, buf + 6, ETH_ALEN);
	r->type = rd16(buf + 12);
	return true;
}

void eth_emit(const struct eth_repr *r, uint8_t *buf)
{
	memcpy(buf, r->dst.b, ETH_ALEN);
	memcpy(buf + 6, r->src.b, ETH_ALEN);
	wr16(buf + 12, r->type);
}
