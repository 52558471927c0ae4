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
#define NS_STAT_MAP(X)                                                                       \
	X(LINK_RX, "frames received from links")                                             \
	X(LINK_TX, "frames handed to links")                                                 \
	X(GSO_RX, "GSO super-frames received (a device's GRO/TSO packets, up to 64 KiB)")    \
	X(GSO_TX, "GSO packets sent (each up to 64 KiB, counted once)")                      \
	X(GSO_SW_SEGMENTS, "segments cut from GSO packets in software for links without TSO") \
	X(RX_PACKETS, "network packets received")                                            \
	X(RX_DELIVERED, "packets delivered to a transport or ICMP")                          \
	X(RX_MALFORMED, "packets dropped as malformed (sum of malformed drop reasons)")      \
	X(RX_DROPPED, "packets dropped for any reason")                                      \
	X(TX_PACKETS, "network packets sent")                                                \
	X(TX_ERRORS, "sends that failed")                                                    \
	X(IP_FORWARDED, "packets forwarded")                                                 \
	X(ICMP_RX, "ICMP messages received")                                                 \
	X(ICMP_TX, "ICMP messages sent")                                                     \
	X(ICMP_ECHO_RX, "ICMP echo requests received")                                       \
	X(ICMP_ECHO_REPLY_TX, "ICMP echo replies sent")                                      \
	X(ICMP_DEST_UNREACH_TX, "ICMP destination unreachable sent")                         \
	X(ICMP_ERRORS_RX, "ICMP errors received")                                            \
	X(ICMP_RATE_LIMITED, "ICMP errors not sent because of the rate limit")               \
	X(ARP_RX, "ARP packets received")                                                    \
	X(ARP_REQUESTS_RX, "ARP requests received")                                          \
	X(ARP_REPLIES_RX, "ARP replies received")                                            \
	X(ARP_REQUESTS_TX, "ARP requests sent")                                              \
	X(ARP_REPLIES_TX, "ARP replies sent")                                                \
	X(NEIGH_RESOLVED, "neighbor entries resolved")                                       \
	X(NEIGH_FAILED, "neighbor resolutions that failed")                                  \
	X(UDP_RX, "UDP datagrams received")                                                  \
	X(UDP_DELIVERED, "UDP datagrams delivered to endpoints")                             \
	X(UDP_TX, "UDP datagrams sent")                                                      \
	X(UDP_NO_PORT, "UDP datagrams to a closed port")                                     \
	X(TCP_RX, "TCP segments received")                                                   \
	X(TCP_TX, "TCP segments sent")

/* X(NAME, class, description); class is MALFORMED or POLICY */
#define NS_DROP_MAP(X)                                                                       \
	X(NIC_DOWN, POLICY, "NIC is down or unknown")                                        \
	X(LINK_UNKNOWN_PROTO, POLICY, "no network protocol for the EtherType")               \
	X(GSO_BAD, POLICY, "outbound GSO packet whose headers do not match its descriptor")  \
	X(LINK_OTHERHOST, POLICY, "frame for another host's MAC")                            \
	X(IPV4_TRUNCATED, MALFORMED, "IPv4 header truncated")                                \
	X(IPV4_BAD_VERSION, MALFORMED, "IP version is not 4")                                \
	X(IPV4_BAD_IHL, MALFORMED, "IPv4 header length invalid")                             \
	X(IPV4_BAD_TOTAL_LEN, MALFORMED, "IPv4 total length invalid")                        \
	X(IPV4_BAD_CSUM, MALFORMED, "IPv4 header checksum wrong")                            \
	X(IPV4_BAD_OPTIONS, MALFORMED, "IPv4 options malformed")                             \
	X(IPV4_BAD_SRC, MALFORMED, "IPv4 source is martian (broadcast, multicast, loopback, 0.0.0.0/8 or ours)") \
	X(IPV4_BAD_FLAGS, MALFORMED, "IPv4 reserved flag set")                               \
	X(IPV4_NOT_FOR_US, POLICY, "IPv4 destination is not ours")                           \
	X(IPV4_TTL_EXPIRED, POLICY, "TTL expired while forwarding")                          \
	X(IPV4_FRAGMENT, POLICY, "IPv4 fragment (reassembly not built)")                     \
	X(IPV4_MARTIAN, POLICY, "martian or link-local address not forwarded")               \
	X(IPV4_LINK_BCAST, POLICY, "link-layer broadcast/multicast for a unicast IP destination not ours") \
	X(IPV4_SOURCE_ROUTE, POLICY, "IPv4 loose/strict source route option refused")        \
	X(IPV4_TOO_BIG, POLICY, "larger than the next-hop MTU (no fragmentation yet)")       \
	X(IPV4_NO_PROTO, POLICY, "no transport protocol for the IP protocol number")         \
	X(ARP_MALFORMED, MALFORMED, "ARP packet malformed")                                  \
	X(ARP_NOT_FOR_US, POLICY, "ARP packet for another address")                          \
	X(ARP_CONFLICT, POLICY, "ARP sender claims one of our addresses")                    \
	X(ICMP_TRUNCATED, MALFORMED, "ICMP message truncated")                               \
	X(ICMP_BAD_CSUM, MALFORMED, "ICMP checksum wrong")                                   \
	X(ICMP_UNHANDLED, POLICY, "ICMP type not handled")                                   \
	X(ICMP_ECHO_BCAST, POLICY, "echo request to a broadcast/multicast address ignored")  \
	X(ICMP_BAD_QUOTE, MALFORMED, "ICMP error quotes a malformed packet")                 \
	X(UDP_TRUNCATED, MALFORMED, "UDP header truncated")                                  \
	X(UDP_BAD_LEN, MALFORMED, "UDP length field invalid")                                \
	X(UDP_BAD_CSUM, MALFORMED, "UDP checksum wrong")                                     \
	X(UDP_NO_PORT, POLICY, "UDP to a closed port")                                       \
	X(UDP_RCVBUF_FULL, POLICY, "UDP receive buffer full")                                \
	X(TCP_TRUNCATED, MALFORMED, "TCP header truncated")                                  \
	X(TCP_BAD_CSUM, MALFORMED, "TCP checksum wrong")                                     \
	X(TCP_NO_ENDPOINT, POLICY, "TCP segment for no endpoint")                            \
	X(TCP_BAD_OFFSET, MALFORMED, "TCP data offset or option length invalid")             \
	X(TCP_OUT_OF_WINDOW, POLICY, "TCP segment outside the receive window")               \
	X(TCP_PAWS, POLICY, "TCP timestamp older than TS.Recent (PAWS, RFC 7323 5)")         \
	X(TCP_BAD_ACK, POLICY, "TCP acknowledgment of data never sent, or too old")          \
	X(TCP_NO_ACK, POLICY, "TCP segment without ACK on a synchronized connection")       \
	X(TCP_BAD_RST, POLICY, "TCP RST not exactly at RCV.NXT, or not acceptable")          \
	X(TCP_BAD_SYN, POLICY, "TCP SYN on a synchronized connection (challenge ACK)")       \
	X(TCP_OOO_FULL, POLICY, "TCP out-of-order segment beyond the bounded queue")         \
	X(TCP_LISTEN_OVERFLOW, POLICY, "TCP SYN dropped: listener's queue full")             \
	X(TCP_LISTEN_BAD, POLICY, "TCP segment to a listener neither a SYN nor an ACK")      \
	X(TCP_SYNCOOKIE_BAD, POLICY, "TCP ACK to a listener with no valid SYN cookie")       \
	X(TCP_UNEXPECTED, POLICY, "TCP segment not expected in the connection's state")     \
	X(TRANSPORT_TRUNCATED, MALFORMED, "transport header too short to read its ports")    \
	X(PORT_UNREACHABLE, POLICY, "no endpoint for the destination port")                  \
	X(NEIGH_QUEUE_FULL, POLICY, "queue of packets awaiting resolution full")             \
	X(NEIGH_FAILED, POLICY, "link-address resolution failed")                            \
	X(NO_ROUTE, POLICY, "no route to the destination")                                   \
	X(NO_HEADROOM, POLICY, "packet lacks headroom for headers")                          \
	X(NO_MEMORY, POLICY, "out of packet memory")                                         \
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
