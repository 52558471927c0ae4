/* SPDX-License-Identifier: MIT */
/*
 * Per-stack counters. Two lists generate everything: NS_STAT_MAP (what happened) and
 * NS_DROP_MAP (why a packet died). Every drop on the input path names a reason; reasons of
 * class MALFORMED also add to the "malformed" total. ns_stat_name()/ns_drop_name() give the
 * names `netstack serve` prints.
 */
#ifndef NETSTACK_STATS_H
#define NETSTACK_STATS_H

#include <stdint.h>

#include "netstack/api.h"

/* X(NAME, description) */
#define NS_STAT_MAP(X)                                                                            \
	X(LINK_RX, "frames received from links")                                                  \
	X(LINK_TX, "frames handed to links")                                                      \
	X(GSO_RX, "GSO super-frames received (a device's GRO/TSO packets, up to 64 KiB)")         \
	X(GSO_TX, "GSO packets sent (each up to 64 KiB, counted once)")                           \
	X(GSO_SW_SEGMENTS, "segments cut from GSO packets in software for links without TSO")     \
	X(RX_PACKETS, "network packets received")                                                 \
	X(RX_DELIVERED, "packets delivered to a transport or ICMP")                               \
	X(RX_MALFORMED, "packets dropped as malformed (sum of malformed drop reasons)")           \
	X(RX_DROPPED, "packets dropped for any reason")                                           \
	X(TX_PACKETS, "network packets sent")                                                     \
	X(TX_ERRORS, "sends that failed")                                                         \
	X(IP_FORWARDED, "packets forwarded")                                                      \
	X(FRAG_REASM_REQDS, "fragments received for reassembly")                                  \
	X(FRAG_REASM_OKS, "datagrams reassembled")                                                \
	X(FRAG_REASM_FAILS, "datagrams given up (timeout, overlap, memory, bad length)")          \
	X(FRAG_OKS, "datagrams fragmented on send")                                               \
	X(FRAG_CREATES, "fragments created on send")                                              \
	X(FRAG_FAILS, "datagrams not sent: too big with DF, or no memory to fragment")            \
	X(PMTU_UPDATES, "path MTU estimates lowered (frag needed / packet too big)")              \
	X(ICMP_RX, "ICMP messages received")                                                      \
	X(ICMP_TX, "ICMP messages sent")                                                          \
	X(ICMP_ECHO_RX, "ICMP echo requests received")                                            \
	X(ICMP_ECHO_REPLY_TX, "ICMP echo replies sent")                                           \
	X(ICMP_DEST_UNREACH_TX, "ICMP destination unreachable sent")                              \
	X(ICMP_ERRORS_RX, "ICMP errors received")                                                 \
	X(ICMP_RATE_LIMITED, "ICMP errors not sent because of the rate limit")                    \
	X(ICMPV6_RX, "ICMPv6 messages received")                                                  \
	X(ICMPV6_TX, "ICMPv6 messages sent")                                                      \
	X(ICMPV6_ECHO_RX, "ICMPv6 echo requests received")                                        \
	X(ICMPV6_ECHO_REPLY_TX, "ICMPv6 echo replies sent")                                       \
	X(ICMPV6_ERRORS_RX, "ICMPv6 errors received")                                             \
	X(ICMPV6_ERRORS_TX, "ICMPv6 errors sent")                                                 \
	X(NDP_NS_RX, "neighbor solicitations received")                                           \
	X(NDP_NS_TX, "neighbor solicitations sent")                                               \
	X(NDP_NA_RX, "neighbor advertisements received")                                          \
	X(NDP_NA_TX, "neighbor advertisements sent")                                              \
	X(NDP_RS_TX, "router solicitations sent")                                                 \
	X(NDP_RA_RX, "router advertisements received")                                            \
	X(NDP_REDIRECTS_RX, "redirects received")                                                 \
	X(NDP_DAD_OK, "addresses that passed duplicate address detection")                        \
	X(NDP_DAD_FAILED, "addresses found duplicate by duplicate address detection")             \
	X(NDP_DAD_OPTIMISTIC, "addresses used at once while DAD ran (Optimistic DAD, RFC 4429)")  \
	X(NDP_OPTIMISTIC_VIA_ROUTER, "packets from an optimistic address sent through a default " \
	                             "router: next hop unresolved (RFC 4429 3.2)")                \
	X(NDP_SLAAC_ADDRS, "addresses autoconfigured from router advertisements (RFC 4862)")      \
	X(MLD_QUERIES_RX, "MLD queries received")                                                 \
	X(MLD_REPORTS_TX, "MLD reports and dones sent")                                           \
	X(ARP_RX, "ARP packets received")                                                         \
	X(ARP_REQUESTS_RX, "ARP requests received")                                               \
	X(ARP_REPLIES_RX, "ARP replies received")                                                 \
	X(ARP_REQUESTS_TX, "ARP requests sent")                                                   \
	X(ARP_REPLIES_TX, "ARP replies sent")                                                     \
	X(NEIGH_RESOLVED, "neighbor entries resolved")                                            \
	X(NEIGH_FAILED, "neighbor resolutions that failed")                                       \
	X(UDP_RX, "UDP datagrams received")                                                       \
	X(UDP_DELIVERED, "UDP datagrams delivered to endpoints")                                  \
	X(UDP_TX, "UDP datagrams sent")                                                           \
	X(UDP_NO_PORT, "UDP datagrams to a closed port")                                          \
	X(RAW_RX, "datagrams copied to raw endpoints")                                            \
	X(RAW_TX, "datagrams sent from raw endpoints")                                            \
	X(PACKET_RX, "frames copied to packet endpoints (both directions)")                       \
	X(PACKET_TX, "frames sent from packet endpoints")                                         \
	X(PING_RX, "echo replies delivered to ping endpoints")                                    \
	X(PING_TX, "echo requests sent from ping endpoints")                                      \
	X(TCP_RX, "TCP segments received (a GRO/TSO super-frame once, as Linux's InSegs)")        \
	X(TCP_TX, "TCP segments sent (a GSO packet as the segments it stands for)")               \
	X(TCP_CHALLENGE_ACKS, "TCP challenge ACKs sent (RFC 5961)")                               \
	X(TCP_CHALLENGE_ACK_LIMITED, "TCP challenge ACKs not sent: the stack's budget")           \
	X(TCP_ACK_RATE_LIMITED, "TCP ACKs to invalid segments skipped: per-connection limit")     \
	X(TCP_TW_OVERFLOW, "TCP connections closed without TIME_WAIT: the table was full")        \
	X(TCP_ADDR_GONE_ABORTS, "TCP connections ended: their local address was removed")         \
	X(TCP_RCVBUF_GROWN, "TCP receive buffers grown by auto-tuning")                           \
	X(TCP_FWD_REQUESTS, "TCP SYNs handed to the forwarder")                                   \
	X(TCP_FWD_ACCEPTED, "TCP forwarder requests accepted")                                    \
	X(TCP_FWD_REFUSED, "TCP forwarder requests refused")

/* X(NAME, class, description); class is MALFORMED or POLICY */
#define NS_DROP_MAP(X)                                                                             \
	X(NIC_DOWN, POLICY, "NIC is down or unknown")                                              \
	X(LINK_UNKNOWN_PROTO, POLICY, "no network protocol for the EtherType")                     \
	X(GSO_BAD, POLICY, "outbound GSO packet whose headers do not match its descriptor")        \
	X(OFFLOAD_BAD, MALFORMED,                                                                  \
	  "received offload metadata (GSO descriptor, partial checksum offsets) that does not "    \
	  "match the headers")                                                                     \
	X(LINK_OTHERHOST, POLICY, "frame for another host's MAC")                                  \
	X(IPV4_TRUNCATED, MALFORMED, "IPv4 header truncated")                                      \
	X(IPV4_BAD_VERSION, MALFORMED, "IP version is not 4")                                      \
	X(IPV4_BAD_IHL, MALFORMED, "IPv4 header length invalid")                                   \
	X(IPV4_BAD_TOTAL_LEN, MALFORMED, "IPv4 total length invalid")                              \
	X(IPV4_BAD_CSUM, MALFORMED, "IPv4 header checksum wrong")                                  \
	X(IPV4_BAD_OPTIONS, MALFORMED, "IPv4 options malformed")                                   \
	X(IPV4_BAD_SRC, MALFORMED,                                                                 \
	  "IPv4 source is martian (broadcast, multicast, loopback, 0.0.0.0/8 or ours)")            \
	X(IPV4_BAD_FLAGS, MALFORMED, "IPv4 reserved flag set")                                     \
	X(IPV4_NOT_FOR_US, POLICY, "IPv4 destination is not ours")                                 \
	X(IPV4_TTL_EXPIRED, POLICY, "TTL expired while forwarding")                                \
	X(IPV4_MARTIAN, POLICY, "martian or link-local address not forwarded")                     \
	X(IPV4_LINK_BCAST, POLICY,                                                                 \
	  "link-layer broadcast/multicast for a unicast IP destination not ours")                  \
	X(IPV4_SOURCE_ROUTE, POLICY, "IPv4 loose/strict source route option refused")              \
	X(IPV4_TOO_BIG, POLICY, "larger than the next-hop MTU with DF set")                        \
	X(IPV4_NO_PROTO, POLICY, "no transport protocol for the IP protocol number")               \
	X(IPV6_TRUNCATED, MALFORMED, "IPv6 header truncated, or shorter than its payload length")  \
	X(IPV6_BAD_VERSION, MALFORMED, "IP version is not 6")                                      \
	X(IPV6_BAD_SRC, MALFORMED,                                                                 \
	  "IPv6 source is multicast, v4-mapped, or loopback from outside")                         \
	X(IPV6_BAD_DST, MALFORMED,                                                                 \
	  "IPv6 destination is multicast of scope 0 or 1, v4-mapped, or loopback from outside")    \
	X(IPV6_BAD_EXT, MALFORMED, "IPv6 extension header runs past the packet")                   \
	X(IPV6_BAD_OPTIONS, MALFORMED, "IPv6 options malformed, or padding too long or not zero")  \
	X(IPV6_EXT_LIMIT, POLICY, "more IPv6 extension headers or options than accepted")          \
	X(IPV6_UNKNOWN_OPTION, POLICY,                                                             \
	  "IPv6 option not recognised, action discard (RFC 8200 4.2)")                             \
	X(IPV6_BAD_ROUTING, POLICY,                                                                \
	  "IPv6 routing header of type 0 or unknown with segments left (RFC 5095)")                \
	X(IPV6_NO_NEXT_HEADER, POLICY, "IPv6 No Next Header (59)")                                 \
	X(IPV6_UNKNOWN_NEXT_HEADER, POLICY,                                                        \
	  "IPv6 next header not recognised (answered with a parameter problem)")                   \
	X(IPV6_NOT_FOR_US, POLICY,                                                                 \
	  "IPv6 destination is not ours (not assigned, tentative, or a group not joined)")         \
	X(IPV6_LINK_MCAST, POLICY, "link-layer multicast for a unicast IPv6 destination not ours") \
	X(IPV6_HOP_LIMIT, POLICY, "hop limit expired while forwarding")                            \
	X(IPV6_MARTIAN, POLICY,                                                                    \
	  "link-local, loopback, unspecified or multicast address not forwarded")                  \
	X(IPV6_TOO_BIG, POLICY,                                                                    \
	  "larger than the next-hop MTU while forwarding (packet too big sent)")                   \
	X(IPV6_NO_SOURCE, POLICY, "IPv6 upper-layer packet from the unspecified address")          \
	X(FRAG_BAD_LEN, MALFORMED,                                                                 \
	  "fragment empty, not a multiple of 8 bytes with more to come, or past the last")         \
	X(FRAG_TOO_LONG, MALFORMED, "reassembled datagram would exceed 65535 bytes")               \
	X(FRAG_OVERLAP, MALFORMED, "fragments overlap: the whole datagram dropped (RFC 5722)")     \
	X(FRAG_DUPLICATE, POLICY, "fragment duplicates data already received")                     \
	X(FRAG_ECN, MALFORMED, "fragments mix not-ECT with ECT or CE (RFC 3168 5.3)")              \
	X(FRAG_INCOMPLETE_CHAIN, MALFORMED,                                                        \
	  "IPv6 first fragment without the whole header chain (RFC 7112)")                         \
	X(FRAG_TOO_MANY, POLICY, "more fragments in one datagram than allowed")                    \
	X(FRAG_MEM, POLICY, "reassembly memory full: fragment refused or oldest datagram dropped") \
	X(FRAG_SRC_LIMIT, POLICY, "one source holds its share of reassembly memory")               \
	X(FRAG_TIMEOUT, POLICY, "reassembly timed out")                                            \
	X(ARP_MALFORMED, MALFORMED, "ARP packet malformed")                                        \
	X(ARP_NOT_FOR_US, POLICY, "ARP packet for another address")                                \
	X(ARP_CONFLICT, POLICY, "ARP sender claims one of our addresses")                          \
	X(ICMP_TRUNCATED, MALFORMED, "ICMP message truncated")                                     \
	X(ICMP_BAD_CSUM, MALFORMED, "ICMP checksum wrong")                                         \
	X(ICMP_UNHANDLED, POLICY, "ICMP type not handled")                                         \
	X(ICMP_ECHO_BCAST, POLICY, "echo request to a broadcast/multicast address ignored")        \
	X(ICMP_BAD_QUOTE, MALFORMED, "ICMP error quotes a malformed packet")                       \
	X(ICMP_PMTU_NOT_OURS, POLICY,                                                              \
	  "frag needed / packet too big about no packet of ours in flight")                        \
	X(ICMPV6_TRUNCATED, MALFORMED, "ICMPv6 message truncated")                                 \
	X(ICMPV6_BAD_CSUM, MALFORMED, "ICMPv6 checksum wrong")                                     \
	X(ICMPV6_UNHANDLED, POLICY, "ICMPv6 type not handled")                                     \
	X(ICMPV6_BAD_QUOTE, MALFORMED, "ICMPv6 error quotes a packet we could not have sent")      \
	X(NDP_MALFORMED, MALFORMED, "Neighbor Discovery message fails RFC 4861 validation")        \
	X(NDP_NOT_FOR_US, POLICY, "neighbor solicitation for an address not ours")                 \
	X(NDP_ADDR_CONFLICT, POLICY, "neighbor advertisement claims one of our addresses")         \
	X(NDP_IGNORED, POLICY,                                                                     \
	  "Neighbor Discovery message a host ignores (RS; RA while forwarding or with accept_ra "  \
	  "off)")                                                                                  \
	X(NDP_REDIRECT_REFUSED, POLICY,                                                            \
	  "redirect not from the current first-hop router, or while forwarding")                   \
	X(NDP_FRAGMENTED, POLICY, "Neighbor Discovery message with a Fragment header (RFC 6980)")  \
	X(MLD_MALFORMED, MALFORMED, "MLD message malformed or fails RFC 3810 validation")          \
	X(MLD_IGNORED, POLICY,                                                                     \
	  "MLD message a listener ignores (reports, queries for groups not joined)")               \
	X(UDP_TRUNCATED, MALFORMED, "UDP header truncated")                                        \
	X(UDP_BAD_LEN, MALFORMED, "UDP length field invalid")                                      \
	X(UDP_BAD_CSUM, MALFORMED, "UDP checksum wrong")                                           \
	X(UDP_NO_PORT, POLICY, "UDP to a closed port")                                             \
	X(UDP_RCVBUF_FULL, POLICY, "UDP receive buffer full")                                      \
	X(RAW_RCVBUF_FULL, POLICY, "raw endpoint receive buffer full")                             \
	X(PACKET_RCVBUF_FULL, POLICY, "packet endpoint receive buffer full")                       \
	X(PACKET_TAP_NESTED, POLICY,                                                               \
	  "a packet endpoint's copy refused: taps nested too deep (a waiter callback sending "     \
	  "from the transmit path)")                                                               \
	X(RAW_FANOUT_LIMIT, POLICY,                                                                \
	  "more raw or packet endpoints match than a packet is copied to")                         \
	X(RAW_BAD_CSUM, POLICY,                                                                    \
	  "raw IPv6 endpoint's copy with a wrong checksum (ICMPv6, IPV6_CHECKSUM)")                \
	X(PING_NO_ENDPOINT, POLICY, "ICMP echo reply for no ping endpoint")                        \
	X(PING_RCVBUF_FULL, POLICY, "ping endpoint receive buffer full")                           \
	X(TCP_TRUNCATED, MALFORMED, "TCP header truncated")                                        \
	X(TCP_BAD_CSUM, MALFORMED, "TCP checksum wrong")                                           \
	X(TCP_NO_ENDPOINT, POLICY, "TCP segment for no endpoint")                                  \
	X(TCP_BAD_OFFSET, MALFORMED, "TCP data offset or option length invalid")                   \
	X(TCP_OUT_OF_WINDOW, POLICY, "TCP segment outside the receive window")                     \
	X(TCP_PAWS, POLICY, "TCP timestamp older than TS.Recent (PAWS, RFC 7323 5)")               \
	X(TCP_BAD_ACK, POLICY, "TCP acknowledgment of data never sent, or too old")                \
	X(TCP_NO_ACK, POLICY, "TCP segment without ACK on a synchronized connection")              \
	X(TCP_BAD_RST, POLICY, "TCP RST not exactly at RCV.NXT, or not acceptable")                \
	X(TCP_BAD_SYN, POLICY, "TCP SYN on a synchronized connection (challenge ACK)")             \
	X(TCP_OOO_FULL, POLICY, "TCP out-of-order segment beyond the bounded queue")               \
	X(TCP_LISTEN_OVERFLOW, POLICY, "TCP SYN dropped: listener's queue full")                   \
	X(TCP_LISTEN_BAD, POLICY, "TCP segment to a listener neither a SYN nor an ACK")            \
	X(TCP_BAD_FLAGS, POLICY, "TCP flag combination refused (SYN with FIN to a listener)")      \
	X(TCP_FWD_FULL, POLICY,                                                                    \
	  "TCP SYN dropped: the forwarder's pending requests at their bound")                      \
	X(TCP_FWD_PENDING, POLICY, "TCP segment for a 4-tuple the forwarder has not answered yet") \
	X(TCP_SYNCOOKIE_BAD, POLICY, "TCP ACK to a listener with no valid SYN cookie")             \
	X(TCP_UNEXPECTED, POLICY, "TCP segment not expected in the connection's state")            \
	X(TRANSPORT_TRUNCATED, MALFORMED, "transport header too short to read its ports")          \
	X(PORT_UNREACHABLE, POLICY, "no endpoint for the destination port")                        \
	X(NEIGH_QUEUE_FULL, POLICY, "queue of packets awaiting resolution full")                   \
	X(NEIGH_QUEUES_TOTAL, POLICY,                                                              \
	  "oldest packet awaiting resolution dropped: every queue together at the stack's byte "   \
	  "cap")                                                                                   \
	X(NEIGH_FAILED, POLICY, "link-address resolution failed")                                  \
	X(NO_ROUTE, POLICY, "no route to the destination")                                         \
	X(NO_HEADROOM, POLICY, "packet lacks headroom for headers")                                \
	X(NO_MEMORY, POLICY, "out of packet memory")                                               \
	X(LINK_TX_FAILED, POLICY, "link refused the frame")

enum ns_stat {
#define NS_STAT_ENUM_(n, d) NS_STAT_##n,
	NS_STAT_MAP(NS_STAT_ENUM_)
#undef NS_STAT_ENUM_
	    NS_STAT_COUNT
};

enum ns_drop_reason {
#define NS_DROP_ENUM_(n, c, d) NS_DROP_##n,
	NS_DROP_MAP(NS_DROP_ENUM_)
#undef NS_DROP_ENUM_
	    NS_DROP_COUNT
};

struct ns_stats {
	uint64_t stat[NS_STAT_COUNT];
	uint64_t drop[NS_DROP_COUNT];
};

/** ns_stat_name() - Lower-case name of a counter ("icmp_echo_rx"); NULL if out of range. */
NS_API const char *ns_stat_name(enum ns_stat s);
/** ns_drop_name() - Lower-case name of a drop reason ("ipv4_bad_csum"); NULL if out of range. */
NS_API const char *ns_drop_name(enum ns_drop_reason r);
/** ns_drop_is_malformed() - True for reasons of class MALFORMED. */
NS_API int ns_drop_is_malformed(enum ns_drop_reason r);

#endif
