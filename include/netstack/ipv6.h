/* SPDX-License-Identifier: MIT */
/*
 * IPv6 on a NIC: what an application asks of the IPv6 protocol beyond addresses and routes
 * (which are the stack's, stack.h). Every function here needs the IPv6 protocol registered
 * (ns_protocols_default() does) and answers NS_ERR_UNKNOWN_PROTOCOL otherwise.
 *
 * IPv6 comes up on a NIC with its first IPv6 address, or with ns_ipv6_enable(): the NIC gets
 * its link-local address (fe80::/64, RFC 4862 5.3), joins the all-nodes group, checks its
 * addresses with duplicate address detection (RFC 4862 5.4) and solicits routers (RFC 4861
 * 6.3.7), whose advertisements may configure addresses (stateless autoconfiguration, RFC
 * 4862 5.5) and a default route. With Optimistic DAD (RFC 4429: ns_stack_config's
 * ipv6_optimistic_dad, or NS_ADDR_F_OPTIMISTIC on ns_stack_add_address_flags()) an address
 * is usable at once while DAD runs. The knobs are ns_stack_config's ipv6_* members.
 */
#ifndef NETSTACK_IPV6_H
#define NETSTACK_IPV6_H

#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/err.h"

struct ns_stack;

/**
 * ns_ipv6_enable() - Bring IPv6 up on NIC @nic without giving it an address: its
 * link-local address, all-nodes membership and router solicitations, so that router
 * advertisements can configure it. Idempotent. Errors: UNKNOWN_NIC.
 */
NS_API ns_err ns_ipv6_enable(struct ns_stack *s, uint32_t nic);

/**
 * ns_ipv6_join() / ns_ipv6_leave() - Listen (or stop listening) to the multicast group
 * @group on NIC @nic: packets to it are accepted, and MLD reports tell routers (RFC 3810
 * 6.1). Joins are counted: the last leave ends the membership. Errors: UNKNOWN_NIC,
 * INVALID_ARGUMENT (not an IPv6 multicast address), NO_BUFFER_SPACE (too many groups),
 * BAD_LOCAL_ADDRESS (leave of a group not joined).
 */
NS_API ns_err ns_ipv6_join(struct ns_stack *s, uint32_t nic, const struct ns_addr *group);
NS_API ns_err ns_ipv6_leave(struct ns_stack *s, uint32_t nic, const struct ns_addr *group);

enum ns_ipv6_addr_state {
	NS_IPV6_ADDR_NONE = 0,   /* not an address of the NIC, and never found duplicate */
	NS_IPV6_ADDR_TENTATIVE,  /* duplicate address detection running (RFC 4862 5.4) */
	NS_IPV6_ADDR_PREFERRED,  /* assigned */
	NS_IPV6_ADDR_DEPRECATED, /* assigned, preferred lifetime over (RFC 4862 5.5.4) */
	NS_IPV6_ADDR_DUPLICATE,  /* DAD found another node using it: removed from the NIC */
	NS_IPV6_ADDR_OPTIMISTIC, /* in use while DAD runs (Optimistic DAD, RFC 4429) */
};
/** ns_ipv6_addr_state() - What @a is on NIC @nic. */
NS_API enum ns_ipv6_addr_state ns_ipv6_addr_state(struct ns_stack *s, uint32_t nic,
                                                  const struct ns_addr *a);

#endif
