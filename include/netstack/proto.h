/* SPDX-License-Identifier: MIT */
/*
 * The protocol interface (the seed's NetworkProtocol, TransportProtocol, TransportDispatcher,
 * LinkAddressResolver): what a network or transport protocol implements, and the core
 * services it calls. The core reaches protocols only through these vtables.
 *
 * Inbound path: link -> ns_link_dispatcher (the NIC) -> netproto->deliver() -> the network
 * protocol validates, sets pkt->src/dst/transproto, consumes its header and calls
 * ns_deliver_transport() -> demux -> ns_tep_ops.deliver() of the matching endpoint, or the
 * transport's handle_unknown(). ICMP errors go through ns_deliver_control().
 *
 * Outbound path: transport pushes its header -> ns_route from ns_route_find() ->
 * netproto->write() pushes the network header -> ns_nic_output() (resolves the next hop with
 * the neighbor cache, queueing while it resolves) -> link->write().
 */
#ifndef NETSTACK_PROTO_H
#define NETSTACK_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/endpoint.h"
#include "netstack/err.h"
#include "netstack/pkt.h"
#include "netstack/stats.h"
#include "netstack/waiter.h"

struct ns_stack;
struct ns_nic;

/* ---------------------------------------------------------------- routes */

enum {
	NS_ROUTE_LOCAL = 1u << 0,     /* destination is one of our addresses: loop back */
	NS_ROUTE_BROADCAST = 1u << 1, /* limited or directed broadcast */
	NS_ROUTE_MULTICAST = 1u << 2,
};

/* A resolved route for one destination: everything needed to send. */
struct ns_route {
	uint32_t nic;
	uint16_t netproto;     /* EtherType */
	uint16_t flags;        /* NS_ROUTE_* */
	struct ns_addr local;  /* source address */
	struct ns_addr remote; /* destination */
	struct ns_addr next_hop;
	uint32_t mtu;            /* link MTU (network-layer bytes) */
	uint32_t caps;           /* the link's NS_CAP_* */
	uint16_t max_header_len; /* link + network header bytes to reserve */
};

/**
 * ns_route_find() - Route to @remote. @nic 0 means any NIC; @local unspecified (or NULL)
 * picks the NIC's primary address in the destination's family. IPv4 addresses are read as
 * their four bytes (stray bytes behind them are ignored). Errors: NO_ROUTE,
 * NETWORK_UNREACHABLE, BAD_LOCAL_ADDRESS (local not ours and spoofing off).
 */
NS_API ns_err ns_route_find(struct ns_stack *s, uint32_t nic, const struct ns_addr *local,
                            const struct ns_addr *remote, struct ns_route *out);
/*
 * Path MTU discovery (RFC 1191, RFC 8201). The floors below which no ICMP message lowers a
 * path MTU: IPv6's minimum link MTU (RFC 8201 4), and for IPv4 Linux's min_pmtu (552 =
 * 512 bytes of data plus two 20-byte headers) rather than RFC 1191's 68: a forged "frag
 * needed" cannot make a connection crawl in tiny segments (RFC 5927 7), and a path held at
 * the floor is sent without DF (Linux locks the MTU there), so routers on a path narrower
 * than 552 bytes fragment instead of dropping.
 */
#define NS_IPV4_MIN_PMTU 552
#define NS_IPV6_MIN_MTU  1280

/**
 * ns_route_pmtu_update() - An ICMP "fragmentation needed" (RFC 1191) or "packet too big"
 * (RFC 8201) said that datagrams to @dst must not exceed @mtu bytes: lower the path MTU
 * that ns_route_find() gives for @dst to it (raised to the family's floor above). Only ever
 * lowers: an @mtu not below the current route MTU changes nothing. Entries live in a
 * bounded hashed cache and are forgotten after ns_stack_config.pmtu_expires_ns (RFC 1191
 * 6.3, Linux's mtu_expires), when the link MTU applies again. A change bumps the stack
 * generation, so endpoints that cache routes see it. The caller validates the ICMP message
 * first: it must quote a packet one of our endpoints sent (ns_deliver_control() says so).
 */
NS_API void ns_route_pmtu_update(struct ns_stack *s, const struct ns_addr *dst, uint32_t mtu);

/**
 * ns_route_default_router() - The gateway of the best default route (0.0.0.0/0, ::/0) of
 * @family through NIC @nic (up) whose link-layer address the neighbor cache knows, in the
 * table's order (metric); false if there is none. RFC 4429 3.2: where an optimistic
 * source may not resolve its next hop, its packets go through such a router.
 */
NS_API bool ns_route_default_router(struct ns_stack *s, uint32_t nic, uint8_t family,
                                    struct ns_addr *gateway);

/**
 * ns_stack_generation() - A counter that changes whenever anything a route depends on
 * changes: a NIC, address, address range or route added or removed, a NIC going up or
 * down, spoofing or promiscuous mode switched. A route found while the counter had a value
 * stays valid while it keeps that value, so a connected endpoint may cache it.
 */
NS_API uint32_t ns_stack_generation(const struct ns_stack *s);

/* ---------------------------------------------------------------- network protocols */

struct ns_write_params {
	uint8_t ttl; /* 0: default */
	uint8_t tos;
	bool df;
	/* IPv4: keep DF even on a path whose MTU is held at the 552-byte floor, where it is
	 * otherwise cleared (a sender in NS_PMTUDISC_DO or PROBE mode, as Linux's
	 * __ip_make_skb() sets DF for them whatever the path). */
	bool df_always;
};

struct ns_netproto_ops {
	const char *name;
	uint16_t number;         /* EtherType */
	uint8_t family;          /* NS_AF_INET, NS_AF_INET6, or 0 (ARP) */
	uint16_t max_header_len; /* largest header write() pushes */
	/* Per-stack state. */
	ns_err (*init)(struct ns_stack *s, void **priv);
	void (*fini)(struct ns_stack *s, void *priv);
	/* Inbound. Ownership: consumes @pkt. Requires: head at the network header,
	 * pkt->nic, pkt->netproto and link flags set. */
	void (*deliver)(struct ns_stack *s, void *priv, struct ns_nic *nic, struct ns_pkt *pkt);
	/* Outbound. Ownership: consumes @pkt. Requires: transport header pushed (head at it),
	 * pkt->transproto set, room for max_header_len + link header in front. */
	ns_err (*write)(struct ns_stack *s, void *priv, const struct ns_route *r,
	                struct ns_pkt *pkt, const struct ns_write_params *wp);
	/* Link-address resolution (ARP for IPv4): the protocol whose addresses this one
	 * resolves (its EtherType), or 0. */
	uint16_t resolves;
	/* Send a resolution request for @target from @local; @remote_mac NULL means broadcast
	 * (or the solicited-node multicast), non-NULL a unicast probe. */
	ns_err (*link_addr_request)(struct ns_stack *s, void *priv, struct ns_nic *nic,
	                            const struct ns_addr *target, const struct ns_addr *local,
	                            const struct ns_mac *remote_mac);
	/* Resolution for a queued packet failed: report to its sender (locally generated:
	 * a NS_CTRL_HOST_UNREACHABLE control to the transport; forwarded: ICMP host
	 * unreachable). Ownership: consumes @pkt (head at the network header). Optional. */
	void (*resolution_failed)(struct ns_stack *s, void *priv, struct ns_pkt *pkt);
	/* An address was added to / removed from @nic (gratuitous ARP, DAD...). Optional. */
	void (*address_added)(struct ns_stack *s, void *priv, struct ns_nic *nic,
	                      const struct ns_subnet *a);
	/* An address of the protocol's family was removed from @nic (it is gone from the NIC
	 * when this runs): leave its groups, forget its state. Optional. */
	void (*address_removed)(struct ns_stack *s, void *priv, struct ns_nic *nic,
	                        const struct ns_addr *a);
	/* @nic is about to be removed (its addresses and routes still there): drop every
	 * reference to it, cancel its timers. Optional. */
	void (*nic_removed)(struct ns_stack *s, void *priv, struct ns_nic *nic);
	/* Send a datagram whose network header the caller built (a raw endpoint's
	 * IP_HDRINCL; the seed's WriteHeaderIncludedPacket) along route @r, after filling in
	 * what Linux fills in (IPv4, raw(7): total length and header checksum always, source
	 * and identification when zero). Ownership: consumes @pkt. Requires: head at the
	 * network header, the whole datagram in @pkt, room for the link header in front.
	 * Errors: INVALID_ARGUMENT for a header that cannot be one, MESSAGE_TOO_LONG above the
	 * route MTU. Optional (absent: NOT_SUPPORTED). */
	ns_err (*write_hdrincl)(struct ns_stack *s, void *priv, const struct ns_route *r,
	                        struct ns_pkt *pkt);
};

/** ns_netproto_priv() - The per-stack state of the network protocol @number, or NULL. */
NS_API void *ns_netproto_priv(struct ns_stack *s, uint16_t number);
/** ns_netproto_write() - Hand @pkt to the network protocol of route @r. Ownership: consumes.
 * A shared packet (refcnt > 1) is copied first: the layers below push headers into it and
 * link it through ->next (pkt.h, Ownership). */
NS_API ns_err ns_netproto_write(struct ns_stack *s, const struct ns_route *r, struct ns_pkt *pkt,
                                const struct ns_write_params *wp);

/** ns_netproto_write_hdrincl() - Hand a datagram with a caller-built network header to the
 * write_hdrincl of route @r's network protocol. Ownership: consumes @pkt. */
NS_API ns_err ns_netproto_write_hdrincl(struct ns_stack *s, const struct ns_route *r,
                                        struct ns_pkt *pkt);

/* ---------------------------------------------------------------- NICs */

/** ns_nic_find() - NIC by id, or NULL. */
NS_API struct ns_nic *ns_nic_find(struct ns_stack *s, uint32_t id);
NS_API uint32_t ns_nic_id(const struct ns_nic *nic);
NS_API struct ns_mac ns_nic_mac(const struct ns_nic *nic);
NS_API uint32_t ns_nic_mtu(const struct ns_nic *nic);
NS_API uint32_t ns_nic_caps(const struct ns_nic *nic);
NS_API uint16_t ns_nic_max_header_len(const struct ns_nic *nic);
NS_API bool ns_nic_is_up(const struct ns_nic *nic);

enum ns_addr_match {
	NS_ADDR_NONE = 0,    /* not ours */
	NS_ADDR_ASSIGNED,    /* assigned to the NIC */
	NS_ADDR_RANGE,       /* inside an address range of the NIC */
	NS_ADDR_PROMISCUOUS, /* accepted only because the NIC is promiscuous */
	NS_ADDR_BROADCAST,   /* limited broadcast or a directed broadcast of a NIC subnet */
};
/** ns_nic_match_addr() - Is @a a destination @nic accepts? (IPv4: also broadcasts.) */
NS_API enum ns_addr_match ns_nic_match_addr(struct ns_stack *s, struct ns_nic *nic,
                                            const struct ns_addr *a);
/** ns_nic_has_ranges() - Does @nic have an address range of @family? */
NS_API bool ns_nic_has_ranges(const struct ns_nic *nic, uint8_t family);
/** ns_nic_owns_addr() - Is @a assigned to @nic or in one of its ranges (not promiscuous)? */
NS_API bool ns_nic_owns_addr(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a);
/** ns_stack_find_local() - The NIC that has @a assigned (any NIC), or NULL. */
NS_API struct ns_nic *ns_stack_find_local(struct ns_stack *s, const struct ns_addr *a);
/**
 * ns_stack_match_local() - Is @a a destination the stack accepts on @nic? The weak host
 * model (RFC 1122 3.3.4.2; Linux): an address assigned to ANY NIC of the stack is local
 * (NS_ADDR_ASSIGNED), whichever NIC the packet came in on; address ranges, broadcasts
 * (IPv4: limited, or a directed broadcast of @nic's subnets) and promiscuous mode are
 * @nic's own. One pass over the addresses, so a network protocol classifies each address
 * of a packet once.
 */
NS_API enum ns_addr_match ns_stack_match_local(struct ns_stack *s, struct ns_nic *nic,
                                               const struct ns_addr *a);
/** ns_nic_set_addr_flags() - Set the NS_ADDR_F_* flags (stack.h) of @a on @nic (bumps the
 * stack's generation). Errors: BAD_LOCAL_ADDRESS if @a is not on @nic. */
NS_API ns_err ns_nic_set_addr_flags(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a,
                                    unsigned flags);
/** ns_nic_addr_flags() - The NS_ADDR_F_* flags of @a on @nic; -1 if @a is not on @nic. */
NS_API int ns_nic_addr_flags(const struct ns_nic *nic, const struct ns_addr *a);
/** ns_nic_set_ipv6_mtu() - The link MTU IPv6 uses on @nic (RFC 4861 6.3.4: a router
 * advertisement's MTU option); 0 goes back to the link's. Routes report it as their MTU for
 * IPv6 destinations. */
NS_API void ns_nic_set_ipv6_mtu(struct ns_stack *s, struct ns_nic *nic, uint32_t mtu);
/** ns_nic_ipv6_mtu() - The MTU IPv6 uses on @nic. */
NS_API uint32_t ns_nic_ipv6_mtu(const struct ns_nic *nic);

/** ns_nic_primary_addr() - The first address of @family on @nic that is not tentative,
 * an optimistic one only if there is no other; false if none. */
NS_API bool ns_nic_primary_addr(struct ns_nic *nic, uint8_t family, struct ns_subnet *out);
NS_API bool ns_nic_spoofing(const struct ns_nic *nic);
NS_API bool ns_nic_promiscuous(const struct ns_nic *nic);

/**
 * ns_nic_output() - Send a packet whose network header is pushed to @next_hop on @nic.
 * Resolves the link address through the neighbor cache when the link needs it (queueing the
 * packet, bounded, while a request is outstanding); broadcast/multicast destinations use the
 * mapped MAC. Ownership: consumes @pkt (a shared one is copied first). Requires:
 * pkt->netproto set. Errors: NO_BUFFER_SPACE when the packet could not even be queued (the
 * neighbor table is full of entries that cannot be evicted, or the link refused it),
 * NETWORK_UNREACHABLE for a NIC that is down, HOST_UNREACHABLE when nothing resolves the
 * protocol; NS_OK means sent or queued.
 */
NS_API ns_err ns_nic_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *next_hop,
                            const struct ns_addr *local, struct ns_pkt *pkt);
/** ns_nic_output_mac() - Send to a known link address (no resolution). Consumes @pkt (a
 * shared one is copied first). */
NS_API ns_err ns_nic_output_mac(struct ns_stack *s, struct ns_nic *nic, const struct ns_mac *dst,
                                struct ns_pkt *pkt);
/** ns_nic_loop_local() - Deliver an outbound packet (network header at head) back into the
 * stack as if @nic had received it (the seed's PacketLoop). Consumes @pkt. Errors:
 * NO_BUFFER_SPACE when the loop queue is full or a copy failed (the packet is dropped). */
NS_API ns_err ns_nic_loop_local(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt);

/* ---------------------------------------------------------------- neighbor cache */

/* The flags mean what RFC 4861 4.4 and 7.2.5 say; a resolver whose protocol has no such
 * bits (ARP) sets them explicitly for what it believes. */
enum {
	NS_NEIGH_SOLICITED = 1u << 0, /* answers our request: confirms reachability (S flag) */
	NS_NEIGH_OVERRIDE = 1u << 1,  /* replaces a different cached address (O flag); without
	                               * it a different address only demotes REACHABLE to
	                               * STALE */
	NS_NEIGH_CREATE = 1u << 2,    /* create the entry (STALE) if absent: a request aimed at
	                               * us (RFC 4861 7.2.3); never for answers */
	NS_NEIGH_ROUTER = 1u << 3,
};
/** ns_neigh_update() - Link address information learnt from the wire (RFC 4861 7.2.5
 * semantics; ARP maps to it). Flushes packets queued for the entry. An INCOMPLETE entry
 * takes the address whatever the flags (REACHABLE if solicited, else STALE). */
NS_API void ns_neigh_update(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a,
                            const struct ns_mac *mac, unsigned flags);
/** ns_neigh_confirm() - Upper-layer reachability confirmation (RFC 4861 7.3.1). */
NS_API void ns_neigh_confirm(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a);
/** ns_neigh_set_ipv6_times() - RFC 4861 6.3.4: a router advertisement's BaseReachableTime
 * and RetransTimer for @nic's IPv6 neighbors (0 keeps the current value; IPv4 neighbors
 * keep the stack's). A new base draws a new ReachableTime. */
NS_API void ns_neigh_set_ipv6_times(struct ns_stack *s, struct ns_nic *nic,
                                    uint64_t base_reachable_ns, uint64_t retrans_ns);
/** ns_neigh_retrans_time() - The RetransTimer for @family's neighbors on @nic (ns). */
NS_API uint64_t ns_neigh_retrans_time(struct ns_stack *s, struct ns_nic *nic, uint8_t family);
/**
 * ns_neigh_solicit_incomplete() - Ask again, now, for every neighbor of @family on @nic
 * that is still being resolved (INCOMPLETE), with a fresh count of requests: for a
 * resolver that could not send its requests before (IPv6 with only optimistic source
 * addresses, RFC 4429 3.2) and now can. The packets queued meanwhile stay queued.
 */
NS_API void ns_neigh_solicit_incomplete(struct ns_stack *s, struct ns_nic *nic, uint8_t family);

/* ---------------------------------------------------------------- transport */

/* Control messages (ICMP errors) delivered to transport endpoints. */
enum ns_ctrl {
	NS_CTRL_PORT_UNREACHABLE = 1,
	NS_CTRL_PACKET_TOO_BIG,   /* info: the new MTU */
	NS_CTRL_HOST_UNREACHABLE, /* also: link-address resolution failed */
	NS_CTRL_NET_UNREACHABLE,
	NS_CTRL_PROTO_UNREACHABLE,
	NS_CTRL_TIME_EXCEEDED,
	NS_CTRL_PARAM_PROBLEM,
	NS_CTRL_ADMIN_PROHIBITED,
};

/* A transport endpoint as the demuxer sees it. Embedded in the protocol's endpoint.
 * The demuxer may hold a pointer to it across callbacks (a broadcast fan-out): an endpoint
 * closed during a dispatch unregisters at once but frees its memory through
 * ns_ep_defer_free(), and its deliver() drops what still reaches it. */
struct ns_tep;
struct ns_tep_ops {
	/* A packet for this endpoint. Ownership: consumes @pkt. Requires: head at the transport
	 * header; pkt->src/dst/netproto/transproto set. */
	void (*deliver)(struct ns_tep *t, struct ns_pkt *pkt);
	/* An ICMP error about a packet this endpoint sent. @pkt is the ICMP message with the
	 * head at the quoted transport header (not consumed). */
	void (*control)(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt);
	/* Optional: could this endpoint have sent the quoted packet (@pkt as for control)?
	 * TCP checks that the quoted sequence number is in SND.UNA..SND.NXT (RFC 5927 4.1).
	 * False makes ns_deliver_control() ignore the error (and a path MTU stays as it
	 * was). Absent: any quote that reaches the endpoint is accepted. */
	bool (*quote_ok)(struct ns_tep *t, struct ns_pkt *pkt);
};

enum {
	NS_TEP_REUSEADDR = 1u << 0,
	NS_TEP_REUSEPORT = 1u << 1,
	/* An IPv6 endpoint bound to :: that takes IPv4 too (IPV6_V6ONLY off, as Linux's
	 * dual-stack sockets): IPv4 packets no IPv4 endpoint matches are looked up under its
	 * wildcard binding (the transport presents their addresses v4-mapped). */
	NS_TEP_V4MAPPED = 1u << 2,
};

struct ns_tep_id {
	struct ns_addr local;  /* unspecified: any local address */
	struct ns_addr remote; /* unspecified: any peer (bound or listening) */
	uint16_t lport, rport; /* host order; rport 0 with remote unspecified */
};

struct ns_tep {
	const struct ns_tep_ops *ops;
	struct ns_tep_id id;
	uint8_t transproto;
	uint8_t family; /* NS_AF_INET / NS_AF_INET6 */
	uint8_t flags;  /* NS_TEP_* */
	uint32_t nic;   /* bound to a device (0: any) */
	/* Demux bookkeeping (core-owned). */
	struct ns_tep *hnext;
	uint32_t hash;
	bool registered;
};

/** ns_demux_register() - Make @t reachable under t->id. Endpoints with the same id and NIC
 * binding may share it only if each pair shares NS_TEP_REUSEPORT (a flow hash picks one per
 * flow) or NS_TEP_REUSEADDR (the newest gets unicast; broadcasts reach all), as in the port
 * table; else PORT_IN_USE. */
NS_API ns_err ns_demux_register(struct ns_stack *s, struct ns_tep *t);
NS_API void ns_demux_unregister(struct ns_stack *s, struct ns_tep *t);
/** ns_demux_lookup() - The endpoint for a packet: exact 4-tuple, then bound/listening on
 * the local address, then wildcard; for IPv4, then an IPv6 wildcard endpoint with
 * NS_TEP_V4MAPPED. Among REUSEPORT endpoints the flow hash picks one. */
NS_API struct ns_tep *ns_demux_lookup(struct ns_stack *s, uint8_t transproto, uint32_t nic,
                                      const struct ns_addr *local, uint16_t lport,
                                      const struct ns_addr *remote, uint16_t rport);

enum ns_deliver_result {
	NS_DELIVERED = 0,            /* consumed */
	NS_DELIVER_NO_PROTO,         /* not consumed: answer protocol unreachable */
	NS_DELIVER_PORT_UNREACHABLE, /* not consumed: answer port unreachable */
	NS_DELIVER_MALFORMED,        /* consumed (dropped and counted) */
};
/**
 * ns_deliver_transport() - Demux an inbound packet to its transport endpoint(s).
 * Requires: head at the transport header; network header recorded; pkt->src, dst,
 * netproto, transproto, nic set. Broadcast/multicast packets (NS_PKT_BROADCAST or
 * NS_PKT_MULTICAST) go to every matching endpoint. Ownership: consumed unless the result
 * says otherwise, in which case the caller answers and frees.
 */
NS_API enum ns_deliver_result ns_deliver_transport(struct ns_stack *s, struct ns_pkt *pkt);
/**
 * ns_deliver_control() - Deliver an ICMP error to the endpoint that sent the quoted packet.
 * @orig_src/@orig_dst are the quoted packet's addresses; @pkt's head is at the quoted
 * transport header (at least 8 bytes). Returns true if an endpoint was found and accepted
 * the quote (its quote_ok hook, if any), so its control() ran: the ICMP message is about a
 * packet of ours, which path MTU discovery must know before it believes one. Raw endpoints
 * of @transproto hear of it too (the raw module's control hook), and one that could have
 * sent the packet also makes it true (Linux's raw_err() updates the path MTU). Ownership:
 * not consumed.
 */
NS_API bool ns_deliver_control(struct ns_stack *s, uint8_t transproto,
                               const struct ns_addr *orig_src, const struct ns_addr *orig_dst,
                               enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt);

/* Result of a transport's handle_unknown (the seed's HandleUnknownDestinationPacket). */
enum ns_unknown_verdict {
	NS_UNKNOWN_HANDLED = 0,      /* consumed (e.g. TCP sent a RST, a forwarder took it) */
	NS_UNKNOWN_PORT_UNREACHABLE, /* not consumed: the network layer answers ICMP */
	NS_UNKNOWN_MALFORMED,        /* consumed: dropped and counted */
};

struct ns_ep_ops;

struct ns_transproto_ops {
	const char *name;
	uint8_t number; /* IP protocol number */
	ns_err (*init)(struct ns_stack *s, void **priv);
	void (*fini)(struct ns_stack *s, void *priv);
	/* Create an endpoint for the endpoint API. */
	ns_err (*new_endpoint)(struct ns_stack *s, void *priv, uint8_t family,
	                       struct ns_waiter_queue *wq, struct ns_ep **out);
	/* Source and destination ports from the start of the transport header. */
	bool (*parse_ports)(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport);
	/* Minimum header length for the demuxer to read ports. */
	uint16_t min_header_len;
	/* No endpoint matched. Ownership: per the verdict. Optional (absent: port unreachable). */
	enum ns_unknown_verdict (*handle_unknown)(struct ns_stack *s, void *priv,
	                                          struct ns_pkt *pkt);
	/* A packet about to be copied to several endpoints (broadcast/multicast fan-out):
	 * check it (lengths, checksum) once. True: the demuxer marks it NS_PKT_CSUM_VERIFIED,
	 * so every copy skips the checksum. False: the hook dropped and counted it (consumed).
	 * Optional (absent: each endpoint checks its own copy). */
	bool (*validate)(struct ns_stack *s, void *priv, struct ns_pkt *pkt);
	/* @a is no longer assigned to any NIC (removed, expired, or found duplicate by DAD:
	 * it is gone when this runs). What was sending from it must stop (RFC 4862 5.5.4: an
	 * invalid address MUST NOT be a source). Optional. */
	void (*address_removed)(struct ns_stack *s, void *priv, const struct ns_addr *a);
};

/** ns_transproto_priv() - The per-stack state of transport protocol @number, or NULL. */
NS_API void *ns_transproto_priv(struct ns_stack *s, uint8_t number);

/* The endpoint API's vtable: every ns_ep_* call dispatches here. Unset members answer
 * NS_ERR_NOT_SUPPORTED. */
struct ns_ep_ops {
	void (*close)(struct ns_ep *ep);
	ns_err (*bind)(struct ns_ep *ep, const struct ns_sockaddr *a);
	ns_err (*connect)(struct ns_ep *ep, const struct ns_sockaddr *a);
	ns_err (*listen)(struct ns_ep *ep, int backlog);
	ns_err (*accept)(struct ns_ep *ep, struct ns_waiter_queue *wq, struct ns_ep **out,
	                 struct ns_sockaddr *peer);
	ns_err (*shutdown)(struct ns_ep *ep, int how);
	ns_err (*read)(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
	               struct ns_read_result *res);
	ns_err (*write)(struct ns_ep *ep, const void *buf, size_t len,
	                const struct ns_write_opts *opts, size_t *written);
	uint32_t (*readiness)(struct ns_ep *ep, uint32_t mask);
	ns_err (*set_opt)(struct ns_ep *ep, enum ns_opt opt, int64_t v);
	ns_err (*get_opt)(struct ns_ep *ep, enum ns_opt opt, int64_t *v);
	ns_err (*local_addr)(struct ns_ep *ep, struct ns_sockaddr *a);
	ns_err (*peer_addr)(struct ns_ep *ep, struct ns_sockaddr *a);
	/* Packet endpoints: ns_ep_bind_ll(). */
	ns_err (*bind_ll)(struct ns_ep *ep, const struct ns_sockaddr_ll *a);
};

/* The common head of every protocol's endpoint struct. */
struct ns_ep {
	const struct ns_ep_ops *ops;
	struct ns_stack *stack;
	struct ns_waiter_queue *wq;
};

/** ns_ep_live_add() - Count an endpoint created (+1) or released (-1) for leak checks. */
NS_API void ns_ep_live_add(struct ns_stack *s, int delta);

/*
 * Deferred release. The stack dispatches into endpoints (a packet, an ICMP error, a timer,
 * an ns_ep_* call) and endpoints notify their waiter queues, whose callbacks may close any
 * endpoint, including the one being dispatched or one a broadcast fan-out is about to
 * reach. A protocol's close() therefore unlinks the endpoint from everything at once
 * (demuxer, ports, timers, its own lists), marks it closed, and hands the memory to
 * ns_ep_defer_free(): the release runs at once when no dispatch is in progress, else when
 * the outermost one returns (nic delivery, ns_deliver_transport/control, ns_stack_poll,
 * every ns_ep_* call). Code running inside a dispatch may thus keep using an endpoint
 * pointer until it returns, provided it checks the endpoint's closed state.
 */
struct ns_deferred {
	struct ns_deferred *next;
	void (*release)(struct ns_deferred *d);
};
/** ns_ep_defer_free() - Call @release(@d) once no dispatch is running (at once if none is).
 * @d is embedded in the object @release frees. */
NS_API void ns_ep_defer_free(struct ns_stack *s, struct ns_deferred *d,
                             void (*release)(struct ns_deferred *d));

/* ---------------------------------------------------------------- raw and packet endpoints */

/*
 * The raw-access module (the seed's RawFactory, raw and packet endpoints): raw IP endpoints
 * (raw(7)) and packet endpoints (packet(7)). It is registered in ns_stack_config.raw
 * (ns_protocols_default() sets it); without it the stack opens neither kind (NOT_PERMITTED,
 * as Linux without CAP_NET_RAW). The core calls each hook only while the module says it
 * has users for it (ns_raw_hook_users()), so a stack without raw or packet endpoints pays
 * one branch per packet at each hook. Every hook runs inside a dispatch (stack_enter): an
 * endpoint a waiter callback closes meanwhile is released only when the dispatch ends.
 */
enum ns_raw_hook {
	NS_RAW_HOOK_IP = 0,   /* deliver_ip and control: raw IP endpoints exist */
	NS_RAW_HOOK_LINK_IN,  /* tap of inbound frames: packet endpoints with a protocol exist */
	NS_RAW_HOOK_LINK_OUT, /* tap of outbound frames: NS_ETH_P_ALL packet endpoints exist */
	NS_RAW_HOOK_COUNT_
};

struct ns_rawproto_ops {
	const char *name;
	ns_err (*init)(struct ns_stack *s, void **priv);
	void (*fini)(struct ns_stack *s, void *priv);
	/* ns_ep_new_raw() and ns_ep_new_packet() (netstack/raw.h). */
	ns_err (*new_raw)(struct ns_stack *s, void *priv, uint8_t family, uint8_t proto,
	                  struct ns_waiter_queue *wq, struct ns_ep **out);
	ns_err (*new_packet)(struct ns_stack *s, void *priv, int type, uint16_t proto,
	                     struct ns_waiter_queue *wq, struct ns_ep **out);
	/* ns_deliver_raw(): copies of a locally delivered datagram. Ownership: not consumed.
	 * Returns true if an endpoint of its protocol with room in its buffer matched. */
	bool (*deliver_ip)(struct ns_stack *s, void *priv, const struct ns_pkt *pkt);
	/* An ICMP error about a datagram of @transproto from @orig_src to @orig_dst (the
	 * arguments of ns_deliver_control()). Ownership: not consumed. Returns true if a raw
	 * endpoint could have sent the quoted datagram (Linux raw_v4_match()). */
	bool (*control)(struct ns_stack *s, void *priv, uint8_t transproto,
	                const struct ns_addr *orig_src, const struct ns_addr *orig_dst,
	                enum ns_ctrl ctrl, uint32_t info, const struct ns_pkt *pkt);
	/* A frame on @nic. Inbound (@outbound false): as the NIC got it from the link (link
	 * header consumed and recorded, pkt->netproto, link_src and the packet-type flags
	 * set), before any filtering. Outbound: as the NIC hands it to the link (network
	 * header pushed, pkt->netproto and link_dst set; the link header is not pushed yet
	 * unless NS_PKT_LINK_HDR says the packet carries its own). Ownership: not consumed. */
	void (*tap)(struct ns_stack *s, void *priv, struct ns_nic *nic, const struct ns_pkt *pkt,
	            bool outbound);
};

/** ns_raw_hook_users() - The raw module reports that users of @hook came (+n) or went (-n). */
NS_API void ns_raw_hook_users(struct ns_stack *s, enum ns_raw_hook hook, int delta);
/**
 * ns_deliver_raw() - Copy a locally delivered datagram to the raw endpoints of its
 * protocol (Linux raw_local_deliver()): after reassembly, before ICMP or the transport see
 * it, so a raw endpoint receives in addition to the stack's own handling. Requires: head
 * at the transport header, the network header recorded (NS_HDR_NETWORK), pkt->src, dst,
 * transproto and nic set. Ownership: not consumed. Returns true if a raw endpoint took it:
 * a datagram of a protocol the stack lacks then gets no protocol unreachable (Linux).
 */
NS_API bool ns_deliver_raw(struct ns_stack *s, const struct ns_pkt *pkt);

/* ---------------------------------------------------------------- ports (RFC 6056) */

/** ns_ports_reserve() - Reserve @port of @transproto on @addr (unspecified: all addresses)
 * for @owner. Conflicts: same port on the same or an overlapping address, unless both
 * reservations share NS_TEP_REUSEADDR (datagram semantics) or NS_TEP_REUSEPORT.
 * Errors: PORT_IN_USE. */
NS_API ns_err ns_ports_reserve(struct ns_stack *s, uint8_t transproto, const struct ns_addr *addr,
                               uint16_t port, unsigned flags, const void *owner);
NS_API void ns_ports_release(struct ns_stack *s, uint8_t transproto, const struct ns_addr *addr,
                             uint16_t port, const void *owner);
/**
 * ns_ports_pick_ephemeral() - Choose and reserve an ephemeral port. With a peer (@remote
 * non-NULL, possibly unspecified for a stream bind(0)): RFC 6056 3.3.4 Algorithm 4, double
 * hash (a keyed hash of the 3-tuple picks the starting offset and a per-bucket counter), so
 * one destination's successive ports do not collide and others' reveal nothing. @remote
 * NULL (no peer at all: an unconnected datagram endpoint's implicit bind): RFC 6056 3.3.1
 * Algorithm 1, a random start from ns_stack_random() and a walk from there, as Linux's UDP
 * does. Errors: NO_PORT_AVAILABLE.
 */
NS_API ns_err ns_ports_pick_ephemeral(struct ns_stack *s, uint8_t transproto,
                                      const struct ns_addr *local, const struct ns_addr *remote,
                                      uint16_t rport, unsigned flags, const void *owner,
                                      uint16_t *port);

/* ---------------------------------------------------------------- counters, hashes, ICMP rate */

/** ns_stat_add() - Add @n to counter @st. */
NS_API void ns_stat_add(struct ns_stack *s, enum ns_stat st, uint64_t n);
static inline void ns_stat_inc(struct ns_stack *s, enum ns_stat st)
{
	ns_stat_add(s, st, 1);
}
/** ns_drop() - Count @pkt as dropped for @why (and as malformed if the reason is) and free
 * it. @pkt may be NULL (count only). */
NS_API void ns_drop(struct ns_stack *s, struct ns_pkt *pkt, enum ns_drop_reason why);

/** ns_hash_keyed() - SipHash-2-4 of @data under the stack's secret (@salt separates uses). */
NS_API uint64_t ns_hash_keyed(const struct ns_stack *s, uint64_t salt, const void *data,
                              size_t len);
/** ns_stack_now() - The stack clock's now (ns); inside a dispatch (a frame's delivery, an
 * ns_ep_* call, a timer run) the time the outermost one began or ns_stack_now_refresh()
 * was last called. */
NS_API uint64_t ns_stack_now(const struct ns_stack *s);
/** ns_stack_now_refresh() - Read the clock again for ns_stack_now() (before stamping a
 * packet about to be sent). */
NS_API void ns_stack_now_refresh(struct ns_stack *s);
/** ns_stack_random() - 64 pseudo-random bits (seeded from the stack secret). */
NS_API uint64_t ns_stack_random(struct ns_stack *s);
NS_API const struct ns_stack_config *ns_stack_config(const struct ns_stack *s);
/**
 * ns_icmp_rate_allow() - Rate limit for ICMP errors (RFC 1812 4.3.2.8 / RFC 4443 2.4(f)) to
 * @dst: true if an error may be sent now (and takes the tokens). Two token buckets must
 * both have a token: the stack-wide one (icmp_rate/icmp_burst) and @dst's own, one of a
 * fixed table of buckets indexed by a keyed hash of the destination (icmp_peer_burst,
 * refilled one per icmp_peer_interval_ns, as Linux's per-peer icmp_ratelimit), so a host
 * that provokes errors cannot starve errors to another. Full buckets let the first error
 * to a peer after a quiet period out. @dst NULL: the stack-wide bucket only.
 */
NS_API bool ns_icmp_rate_allow(struct ns_stack *s, const struct ns_addr *dst);

#endif
