/* SPDX-License-Identifier: MIT */
/*
 * Raw IP endpoints, packet endpoints and ping endpoints: the seed's raw and packet endpoints
 * and Linux's raw(7), packet(7) and icmp(7) ping sockets, through the endpoint API
 * (netstack/endpoint.h). All three are datagram endpoints: each read returns one datagram
 * (NS_MSG_TRUNC and ns_read_result.total as for UDP), writes never block, and the waiter
 * queue reports NS_EV_IN when something is queued and NS_EV_ERR for a pending error.
 *
 * Raw IP endpoints (ns_ep_new_raw(), raw(7)). A raw endpoint of protocol P receives a copy
 * of every datagram of protocol P the stack delivers locally (after reassembly), in
 * addition to the stack's own handling: a raw ICMP endpoint sees the echo requests the
 * stack answers. IPv4 datagrams are read with their IPv4 header, exactly as the wire had it;
 * IPv6 ones without it (as Linux). A bound address filters on the datagram's destination,
 * a connected peer on its source, NS_SO_BINDTODEVICE on the NIC it came in on, and on raw
 * ICMPv4 endpoints NS_ICMP_FILTER drops the ICMP types whose bit is set. The source of
 * each datagram is ns_read_result.from (port 0). ICMP errors about datagrams of protocol P
 * become the pending error under the rules UDP follows (connected and hard, or with
 * NS_IP_RECVERR). A write sends one datagram to opts->to (its port is ignored) or the
 * connected peer: the stack builds the IP header (NS_IP_TTL, NS_IP_TOS; NS_IP_MTU_DISCOVER
 * as for UDP: by default DF on what fits the path MTU, larger datagrams fragmented), or with
 * NS_IP_HDRINCL (always on for NS_IPPROTO_RAW) the caller's buffer is the whole datagram
 * and the stack fills in only what Linux does: total length and checksum always, source
 * address and identification when zero (an IHL below 5 is sent untouched); the route
 * still follows opts->to or the peer, not the header's destination. A protocol of 0 sends
 * with protocol 0 and receives nothing. ns_ep_local_addr() reports the protocol as port.
 *
 * Raw IPv6 endpoints differ where Linux's do (ipv6(7), raw(7)): they read from the
 * upper-layer header on, after any extension headers; NS_IP_TTL and NS_IP_TOS set the hop
 * limit and traffic class; ICMPv6 endpoints have their checksum computed on send and
 * verified on receive (a copy with a wrong one is dropped), and NS_IPV6_CHECKSUM asks the
 * same at any even offset for another protocol; ns_ep_set_icmp6_filter() is ICMP6_FILTER;
 * NS_IP_HDRINCL (IPV6_HDRINCL) sends the caller's datagram exactly as written, nothing
 * filled in; a link-local bind needs its NIC; a packet too big is a soft error.
 *
 * Packet endpoints (ns_ep_new_packet(), packet(7)). NS_PACKET_RAW endpoints read and write
 * frames with their link header; NS_PACKET_DGRAM ("cooked") ones without it, the stack
 * building it on send from a destination MAC and protocol. A packet endpoint bound to an
 * EtherType receives every inbound frame of that type; one bound to NS_ETH_P_ALL receives
 * every inbound frame and every outbound one (NS_PACKET_OUTGOING, unless
 * NS_PACKET_IGNORE_OUTGOING), except those it sent itself, as Linux. Inbound frames are
 * seen before any filtering: frames for other hosts (NS_PACKET_OTHERHOST) and of
 * EtherTypes the stack does not speak too. Reads fill ns_read_result.ll with the NIC, the
 * EtherType, the packet type and the source MAC (ours for outgoing frames); from.nic is
 * the NIC too. Waiter callbacks for outgoing frames run inside the transmit path: a
 * send from one is tapped in turn, and taps nested more than 4 deep copy nothing (counted
 * as drop_packet_tap_nested), so callbacks that relay what they see cannot recurse without
 * end. The protocol given at creation (0: none, receive nothing until bound) and
 * the NIC (all) can be changed with ns_ep_bind_ll(). A write sends out of
 * opts->ll_to->nic, or the bound NIC (NS_ERR_UNKNOWN_DEVICE if neither names one): a raw
 * frame exactly as given (at least the link header, at most MTU + link header + 4 for an
 * 802.1Q tag), a cooked payload (at most the MTU) behind a header to ll_to->addr with
 * EtherType ll_to->protocol (or the bound protocol). Links without a link header (TUN)
 * carry bare IP packets both ways, with NS_ARPHRD_NONE and halen 0. Frames the stack sends
 * to itself never reach a link, so packet endpoints do not see them (Linux shows them on
 * lo, which this stack has no device for).
 *
 * Ping endpoints (ns_ep_new(s, NS_AF_INET, NS_IPPROTO_ICMP, ...) and ns_ep_new(s,
 * NS_AF_INET6, NS_IPPROTO_ICMPV6, ...), Linux's unprivileged SOCK_DGRAM ICMP sockets). A
 * write is an ICMP echo request, type 8 (ICMPv6: 128) code 0, 8-byte header included; the
 * stack puts the endpoint's identifier in it (its "port": bound with ns_ep_bind() or drawn
 * at random from the ephemeral range on the first write or connect) and computes the
 * checksum (ICMPv6: over the pseudo-header). A read returns one echo reply whose identifier is the
 * endpoint's, header included, from its source (port 0). Errors (unreachable, time
 * exceeded...) about the endpoint's requests become the pending error as for UDP. As on
 * Linux, a connected ping endpoint receives replies from any source; a bound address
 * filters on the reply's destination. Two ping endpoints may share an identifier only with
 * NS_SO_REUSEADDR on both (the newest gets the replies).
 *
 * Who may open them: the embedding application is trusted (there is no capability model),
 * but a stack whose ns_stack_config.raw is NULL refuses raw and packet endpoints with
 * NS_ERR_NOT_PERMITTED. Ping endpoints are a transport protocol like UDP: a stack without
 * them registered answers NS_ERR_UNKNOWN_PROTOCOL.
 */
#ifndef NETSTACK_RAW_H
#define NETSTACK_RAW_H

#include <stdint.h>

#include "netstack/api.h"
#include "netstack/endpoint.h"

struct ns_stack;
struct ns_ep;
struct ns_waiter_queue;

enum {
	NS_IPPROTO_RAW = 255, /* raw(7): send-only with NS_IP_HDRINCL on */
};

/* EtherTypes packet endpoints bind to (host order); any other EtherType means itself. */
enum {
	NS_ETH_P_ALL = 0x0003, /* every frame, inbound and outbound */
};

/* Packet endpoint kinds (the packet(7) socket types). */
enum ns_packet_kind {
	NS_PACKET_RAW = 1,   /* SOCK_RAW: frames with their link header */
	NS_PACKET_DGRAM = 2, /* SOCK_DGRAM: cooked, the link header removed (built on send) */
};

/* ns_sockaddr_ll.pkttype: where a frame was going (Linux's PACKET_* values). */
enum {
	NS_PACKET_HOST = 0,      /* to us */
	NS_PACKET_BROADCAST = 1, /* link-layer broadcast */
	NS_PACKET_MULTICAST = 2, /* link-layer multicast */
	NS_PACKET_OTHERHOST = 3, /* to another host's MAC */
	NS_PACKET_OUTGOING = 4,  /* sent by us */
};

/* ns_sockaddr_ll.hatype (Linux's ARPHRD_* values). */
enum {
	NS_ARPHRD_ETHER = 1,
	NS_ARPHRD_NONE = 0xfffe, /* no link header (TUN, loopback) */
};

/**
 * ns_ep_new_raw() - A raw IP endpoint for IP protocol @proto (0..255) of @family.
 * @wq receives readiness events; it must outlive the endpoint.
 * Errors: NOT_PERMITTED (the stack has no raw module), ADDRESS_FAMILY_NOT_SUPPORTED.
 */
NS_API ns_err ns_ep_new_raw(struct ns_stack *s, uint8_t family, uint8_t proto,
                            struct ns_waiter_queue *wq, struct ns_ep **out);

/**
 * ns_ep_set_icmp6_filter() - Linux's ICMP6_FILTER on a raw ICMPv6 endpoint: ICMPv6 type t
 * is dropped when bit (t & 31) of @filter[t >> 5] is set (ICMP6_FILTER_SETBLOCK); all zero,
 * the default, passes every type. Errors: NOT_SUPPORTED on any other endpoint.
 */
NS_API ns_err ns_ep_set_icmp6_filter(struct ns_ep *ep, const uint32_t filter[8]);
/** ns_ep_get_icmp6_filter() - The filter ns_ep_set_icmp6_filter() set. */
NS_API ns_err ns_ep_get_icmp6_filter(struct ns_ep *ep, uint32_t filter[8]);

/**
 * ns_ep_new_packet() - A packet endpoint of @kind (NS_PACKET_RAW or NS_PACKET_DGRAM) for
 * EtherType @protocol (host order; NS_ETH_P_ALL: every frame; 0: none until bound), on
 * every NIC until bound to one. Errors: NOT_PERMITTED (no raw module), INVALID_ARGUMENT.
 */
NS_API ns_err ns_ep_new_packet(struct ns_stack *s, enum ns_packet_kind kind, uint16_t protocol,
                               struct ns_waiter_queue *wq, struct ns_ep **out);

/**
 * ns_ep_bind_ll() - Bind a packet endpoint to NIC @a->nic (0: every NIC) and EtherType
 * @a->protocol (0: keep the current one), as packet(7)'s bind(). Other fields are ignored.
 * Errors: UNKNOWN_DEVICE for a NIC that does not exist, NOT_SUPPORTED on other endpoints.
 */
NS_API ns_err ns_ep_bind_ll(struct ns_ep *ep, const struct ns_sockaddr_ll *a);

#endif
