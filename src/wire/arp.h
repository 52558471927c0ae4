/* SPDX-License-Identifier: MIT */
/*
 * ARP packets for IPv4 over Ethernet (RFC 826).
 *
 * Contract: arp_parse() accepts only hardware type 1 (Ethernet), protocol type 0x0800,
 * hlen 6, plen 4 and op request/reply, reads only buf[0..ARP_LEN) after checking len, and
 * leaves trailing bytes (frame padding) alone. arp_emit() writes exactly ARP_LEN bytes.
 */
#ifndef NS_WIRE_ARP_H
#define NS_WIRE_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"

#define ARP_LEN        28
#define ARP_HTYPE_ETH  1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

struct arp_repr {
	uint16_t op;       /* ARP_OP_REQUEST or ARP_OP_REPLY */
	struct ns_mac sha; /* sender hardware address */
	struct ns_mac tha; /* target hardware address (zero in a request) */
	uint8_t spa[4];    /* sender protocol (IPv4) address */
	uint8_t tpa[4];    /* target protocol (IPv4) address */
};

/** arp_parse() - Decode an ARP packet of @len bytes; false if it is short or not an
 * Ethernet/IPv4 request or reply. */
bool arp_parse(struct arp_repr *r, const uint8_t *buf, size_t len);

/** arp_emit() - Write the 28-byte Ethernet/IPv4 ARP packet to @buf. */
void arp_emit(const struct arp_repr *r, uint8_t *buf);

#endif
