/* SPDX-License-Identifier: MIT */
/*
 * Ethernet II frame header (IEEE 802.3 / RFC 894): dst MAC, src MAC, EtherType.
 *
 * Contract: eth_parse() reads only buf[0..ETH_HLEN) and only after checking len; it never
 * fails on content (the EtherType is returned raw, 802.1Q tags are not looked through).
 * eth_emit() writes exactly ETH_HLEN bytes.
 */
#ifndef NS_WIRE_ETH_H
#define NS_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"

/* Values spelled token for token as in <linux/if_ether.h>, so both can be included. */
#define ETH_HLEN   14
#define ETH_ALEN   6
#define ETH_ZLEN   60 /* minimum frame length without FCS; shorter frames are padded */
#define ETH_P_IP   0x0800
#define ETH_P_ARP  0x0806
#define ETH_P_IPV6 0x86DD

struct eth_repr {
	struct ns_mac dst, src;
	uint16_t type; /* EtherType, host order */
};

/** eth_parse() - Decode the header of a frame of @len bytes. False if len < ETH_HLEN. */
bool eth_parse(struct eth_repr *r, const uint8_t *buf, size_t len);

/** eth_emit() - Write the 14-byte header to @buf. */
void eth_emit(const struct eth_repr *r, uint8_t *buf);

#endif
