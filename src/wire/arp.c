/* SPDX-License-Identifier: MIT */
/*
 * ARP parse/emit (RFC 826), Ethernet hardware and IPv4 protocol addresses only.
 *
 * Pure functions over (pointer, length): nothing past buf[len) is read, nothing is kept.
 */
#include "wire/arp.h"

#include <string.h>

#include "wire/bytes.h"
#include "wire/eth.h"

bool arp_parse(struct arp_repr *r, const uint8_t *buf, size_t len)
{
	uint16_t op;

	if (len < ARP_LEN)
		return false;
	if (rd16(buf) != ARP_HTYPE_ETH || rd16(buf + 2) != ETH_P_IP || buf[4] != ETH_ALEN ||
	    buf[5] != 4)
		return false;
	op = rd16(buf + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return false;
	r->op = op;
	memcpy(r->sha.b, buf + 8, 6);
	memcpy(r->spa, buf + 14, 4);
	memcpy(r->tha.b, buf + 18, 6);
	memcpy(r->tpa, buf + 24, 4);
	return true;
}

void arp_emit(const struct arp_repr *r, uint8_t *buf)
{
	wr16(buf, ARP_HTYPE_ETH);
	wr16(buf + 2, ETH_P_IP);
	buf[4] = ETH_ALEN;
	buf[5] = 4;
	wr16(buf + 6, r->op);
	memcpy(buf + 8, r->sha.b, 6);
	memcpy(buf + 14, r->spa, 4);
	memcpy(buf + 18, r->tha.b, 6);
	memcpy(buf + 24, r->tpa, 4);
}
