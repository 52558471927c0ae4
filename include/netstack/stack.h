/* SPDX-License-Identifier: MIT */
/*
 * The stack: NICs, addresses, routes, protocols, counters and time.
 *
 * A stack is single-threaded inside: call every function from one thread at a time (the event
 * loop's, or hold ns_loop_lock()). Protocols are registered through vtables at creation
 * (ns_protocols_default() fills in the built-in set); the core never names a protocol.
 * Time is an input: the stack reads the clock it was given, fires timers from ns_stack_poll(),
 * and says when it next needs to run through ns_stack_next_deadline().
 */
#ifndef NETSTACK_STACK_H
#define NETSTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/clock.h"
#include "netstack/err.h"
#include "netstack/link.h"
#include "netstack/stats.h"

struct ns_stack;
struct ns_netproto_ops;
struct ns_transproto_ops;
struct ns_rawproto_ops;

#define NS_MAX_PROTOCOLS 8

struct ns_stack_config {
	struct ns_clock *clock; /* NULL: the monotonic clock */
	/* Secret for ISNs, ephemeral ports and hash tables; 0: drawn from getrandom(). Tests
	 * set it for repeatable runs. */
	uint64_t seed;
	const struct ns_netproto_ops *netprotos[NS_MAX_PROTOCOLS];
	const struct ns_transproto_ops *transprotos[NS_MAX_PROTOCOLS];
	/* Raw IP and packet endpoints (netstack/raw.h); NULL: the stack opens none. */
	const struct ns_rawproto_ops *raw;
	bool forwarding;       /* forward packets between NICs (IPv4 and IPv6) */
	uint16_t ephemeral_lo; /* first ephemeral port (32768, as Linux) */
	uint16_t ephemeral_hi; /* last ephemeral port (60999, as Linux) */
	/* ICMP error rate limit (token bucket): per-second rate and burst. */
	uint32_t icmp_rate;  /* 1000 */
	uint32_t icmp_burst; /* 50 */
	/* And per destination (a bounded table of buckets): burst, and one token per interval
	 * (Linux's XRLIM_BURST_FACTOR and icmp_ratelimit). A burst of 0 turns it off. */
	uint32_t icmp_peer_burst;       /* 6 */
	uint64_t icmp_peer_interval_ns; /* 1 s */
	/* Neighbor resolution (RFC 4861 7.3 semantics for ARP and NDP). */
	uint32_t neigh_retries;           /* multicast probes before failing (3) */
	uint64_t neigh_retrans_ns;        /* between probes (1 s) */
	uint64_t neigh_reachable_ns;      /* REACHABLE -> STALE (30 s; each NIC uses a random
	                                   * 0.5..1.5 times it, RFC 4861 6.3.2) */
	uint64_t neigh_delay_ns;          /* DELAY before PROBE (5 s) */
	uint64_t neigh_gc_ns;             /* unused STALE/FAILED entries removed after (60 s) */
	uint32_t neigh_queue_len;         /* packets queued per unresolved entry (256) */
	uint32_t neigh_queue_bytes;       /* and their buffers' bytes (320 KiB; Linux bounds the
	                                   * queue so, unres_qlen_bytes: a datagram of many
	                                   * fragments must fit whole) */
	uint32_t neigh_queue_total_bytes; /* every unresolved entry's queue together, on
	                                   * all NICs (4 MiB; beyond it the oldest queued
	                                   * packet anywhere is dropped) */
	uint32_t neigh_max_entries;       /* per NIC (1024) */
	uint8_t default_ttl;              /* 64 */
	/* IP reassembly, per family (Linux's ipfrag_high_thresh, ipfrag_time). Memory counts
	 * the packet buffers held, as Linux counts truesize. */
	uint64_t frag_mem_max;     /* bytes held by incomplete datagrams (4 MiB); 0: none */
	uint64_t frag_src_max;     /* of which one source may hold (1 MiB; IPv6: per /64) */
	uint32_t frag_max_frags;   /* fragments in one datagram (128) */
	uint64_t frag_timeout_ns;  /* IPv4 (30 s, as Linux) */
	uint64_t frag6_timeout_ns; /* IPv6 (60 s, RFC 8200 4.5) */
	/* Path MTU discovery (RFC 1191, RFC 8201): a lowered estimate is forgotten after
	 * (10 min, RFC 1191 6.3 and Linux's mtu_expires). */
	uint64_t pmtu_expires_ns;
	/* IPv6 (RFC 8200, RFC 4861, RFC 4862), with Linux's defaults. */
	uint8_t ipv6_hop_limit;     /* default hop limit (64); a router advertisement's Cur
	                             * Hop Limit replaces it per NIC (RFC 4861 6.3.4) */
	bool ipv6_dad;              /* duplicate address detection (true) */
	uint8_t ipv6_dad_transmits; /* DupAddrDetectTransmits (1) */
	bool ipv6_optimistic_dad;   /* Optimistic DAD (RFC 4429) for the addresses the
	                             * stack forms itself: the link-local one and SLAAC ones
	                             * (the latter only from an advertisement that gave the
	                             * router's link-layer address), never while forwarding
	                             * (false, as Linux's optimistic_dad). Addresses given
	                             * by hand ask for it with NS_ADDR_F_OPTIMISTIC */
	bool ipv6_accept_ra;        /* process router advertisements (true; never while
	                             * forwarding, as Linux's accept_ra=1) */
	bool ipv6_slaac;            /* form addresses from autonomous prefixes (true) */
	bool ipv6_stable_iid;       /* RFC 7217 stable interface identifiers from the stack
	                             * secret instead of EUI-64 ones (false) */
	bool ipv6_link_local;       /* give a NIC its fe80::/64 address with its first IPv6
	                             * address (true) */
	uint8_t ipv6_rtr_solicits;  /* router solicitations sent when IPv6 comes up (3) */
	bool ipv6_flowlabel;        /* flow labels hashed from the flow (true, as Linux's
	                             * auto_flowlabels); false sends 0 */
};

/** ns_stack_config_init() - Defaults (noted above), no protocols registered. */
NS_API void ns_stack_config_init(struct ns_stack_config *cfg);
/** ns_protocols_default() - Register every built-in protocol (IPv4, ARP, ICMP, UDP, ...),
 * ping endpoints and the raw module (raw IP and packet endpoints: set cfg->raw to NULL
 * afterwards to refuse them). */
NS_API void ns_protocols_default(struct ns_stack_config *cfg);

NS_API ns_err ns_stack_new(const struct ns_stack_config *cfg, struct ns_stack **out);
/** ns_stack_free() - Close every endpoint, free all state. Links are not destroyed. */
NS_API void ns_stack_free(struct ns_stack *s);

/**
 * ns_stack_add_nic() - Add NIC @id (non-zero) on @link and attach to it; the NIC is up.
 * @link stays the caller's: destroy it after ns_stack_remove_nic() or ns_stack_free().
 */
NS_API ns_err ns_stack_add_nic(struct ns_stack *s, uint32_t id, struct ns_link *link,
                               const char *name);
NS_API ns_err ns_stack_remove_nic(struct ns_stack *s, uint32_t id);
NS_API ns_err ns_stack_set_nic_up(struct ns_stack *s, uint32_t id, bool up);
/* Functions that take addresses read an IPv4 address as its four bytes: stray bytes behind
 * them (an ns_addr that was not zeroed) are ignored. */

/** ns_stack_add_address() - Assign @a (with its prefix length) to NIC @nic. */
NS_API ns_err ns_stack_add_address(struct ns_stack *s, uint32_t nic, const struct ns_subnet *a);
/**
 * ns_stack_add_address_flags() - ns_stack_add_address() with NS_ADDR_F_* requests (below).
 * The only one a caller may ask for is NS_ADDR_F_OPTIMISTIC, for an IPv6 address (Linux's
 * `ip addr add ... optimistic`, IFA_F_OPTIMISTIC): the address is usable at once while
 * duplicate address detection runs behind (RFC 4429). RFC 4429 3.1 says Optimistic DAD
 * SHOULD NOT be used for manually entered addresses, whose uniqueness nothing vouches
 * for: ask for it only where starting at once matters more (netstack serve does, for its
 * readiness contract). Where DAD does not run (off, or a link without link-layer
 * addresses) the request is moot and the address is simply assigned. Errors as
 * ns_stack_add_address(), INVALID_ARGUMENT for another flag or for an IPv4 address, and
 * UNKNOWN_PROTOCOL for NS_ADDR_F_OPTIMISTIC without IPv6 registered.
 */
NS_API ns_err ns_stack_add_address_flags(struct ns_stack *s, uint32_t nic,
                                         const struct ns_subnet *a, unsigned flags);
NS_API ns_err ns_stack_remove_address(struct ns_stack *s, uint32_t nic, const struct ns_addr *a);
/*
 * Per-address state a protocol keeps in the NIC (IPv6: RFC 4862 5.4, 5.5.4, RFC 4429). A
 * TENTATIVE address is not assigned yet: packets to it are not local, it is not a source,
 * and it is no NIC's primary address; a DEPRECATED one still works but is a source only
 * when nothing else is (RFC 6724 rule 3). An OPTIMISTIC one (RFC 4429 2.1) is assigned
 * while duplicate address detection still runs: it receives and is a source, but source
 * selection prefers any other address to it as to a deprecated one, and Neighbor
 * Discovery never speaks for it in a way that could override another node's cache entry
 * (no neighbor solicitation from it, advertisements for it without Override).
 */
enum {
	NS_ADDR_F_TENTATIVE = 1u << 0,
	NS_ADDR_F_DEPRECATED = 1u << 1,
	NS_ADDR_F_OPTIMISTIC = 1u << 2,
};

/* An address of a NIC as ns_stack_nic_addresses() reports it. */
struct ns_addr_info {
	struct ns_subnet addr;
	unsigned flags; /* NS_ADDR_F_*: tentative, deprecated, optimistic */
};
/** ns_stack_nic_addresses() - Copy up to @max of NIC @nic's addresses (in the order they
 * were added, autoconfigured ones included) into @out; returns how many it has. */
NS_API size_t ns_stack_nic_addresses(struct ns_stack *s, uint32_t nic, struct ns_addr_info *out,
                                     size_t max);
/** ns_stack_add_address_range() - Accept every address in @range on @nic as local (the
 * seed's AddAddressRange); such addresses answer ARP and terminate traffic. */
NS_API ns_err ns_stack_add_address_range(struct ns_stack *s, uint32_t nic,
                                         const struct ns_subnet *range);
/** ns_stack_set_promiscuous() - Accept packets to any destination address on @nic. */
NS_API ns_err ns_stack_set_promiscuous(struct ns_stack *s, uint32_t nic, bool on);
/** ns_stack_set_spoofing() - Allow sending from addresses that are not assigned to @nic. */
NS_API ns_err ns_stack_set_spoofing(struct ns_stack *s, uint32_t nic, bool on);

struct ns_route_entry {
	struct ns_subnet dest;  /* 0.0.0.0/0 is a default route */
	struct ns_addr gateway; /* unspecified: destination is on-link */
	uint32_t nic;
	uint32_t metric; /* lower wins among equal prefixes */
};
/** ns_stack_add_route() - Add a route (longest prefix match, then metric). */
NS_API ns_err ns_stack_add_route(struct ns_stack *s, const struct ns_route_entry *r);
/** ns_stack_remove_routes() - Remove every route equal to @r in dest, gateway and nic. */
NS_API ns_err ns_stack_remove_route(struct ns_stack *s, const struct ns_route_entry *r);
/** ns_stack_routes() - Copy up to @max routes into @out; returns how many there are. */
NS_API size_t ns_stack_routes(const struct ns_stack *s, struct ns_route_entry *out, size_t max);

/** ns_stack_add_static_neighbor() - A permanent neighbor entry (no resolution needed). */
NS_API ns_err ns_stack_add_static_neighbor(struct ns_stack *s, uint32_t nic,
                                           const struct ns_addr *a, const struct ns_mac *mac);
/** ns_stack_neighbor() - Look up a resolved neighbor; false if none or unresolved. */
NS_API bool ns_stack_neighbor(struct ns_stack *s, uint32_t nic, const struct ns_addr *a,
                              struct ns_mac *mac);

NS_API const struct ns_stats *ns_stack_stats(const struct ns_stack *s);
NS_API struct ns_clock *ns_stack_clock(const struct ns_stack *s);
/** ns_stack_nic_link() - The link of NIC @id, or NULL. */
NS_API struct ns_link *ns_stack_nic_link(struct ns_stack *s, uint32_t id);
/** ns_stack_nic_ids() - Copy up to @max NIC ids into @out; returns how many NICs exist. */
NS_API size_t ns_stack_nic_ids(const struct ns_stack *s, uint32_t *out, size_t max);

/** ns_stack_poll() - Fire every timer that is due at the clock's now. */
NS_API void ns_stack_poll(struct ns_stack *s);
/** ns_stack_next_deadline() - When ns_stack_poll() next has work (ns on the stack clock;
 * UINT64_MAX if no timer is armed). */
NS_API uint64_t ns_stack_next_deadline(struct ns_stack *s);
/** ns_stack_endpoints_live() - Endpoints created and not yet fully released (leak checks). */
NS_API int64_t ns_stack_endpoints_live(const struct ns_stack *s);

#endif
