/* SPDX-License-Identifier: MIT */
/*
 * TCP beyond the generic endpoint API: a connection's TCP_INFO-style report, and the TCP
 * forwarder (the seed's tcp.Forwarder, reached through HandleUnknownDestinationPacket),
 * which hands a SYN for an address and port nobody listens on to the application to
 * accept or refuse, as tun2socks-style apps need.
 *
 * Call from the stack's thread (see stack.h), like every endpoint call.
 */
#ifndef NETSTACK_TCP_H
#define NETSTACK_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/endpoint.h"
#include "netstack/err.h"
#include "netstack/waiter.h"

struct ns_stack;
struct ns_ep;

/* ---------------------------------------------------------------- TCP_INFO */

/* RFC 9293 states, as ns_tcp_info.state reports them. */
enum ns_tcp_state {
	NS_TCP_CLOSED,
	NS_TCP_LISTEN,
	NS_TCP_SYN_SENT,
	NS_TCP_SYN_RCVD,
	NS_TCP_ESTABLISHED,
	NS_TCP_FIN_WAIT_1,
	NS_TCP_FIN_WAIT_2,
	NS_TCP_CLOSE_WAIT,
	NS_TCP_CLOSING,
	NS_TCP_LAST_ACK,
	NS_TCP_TIME_WAIT,
};

/* Loss-recovery state (Linux's tcpi_ca_state). */
enum ns_tcp_ca_state {
	NS_TCP_CA_OPEN,     /* nothing amiss */
	NS_TCP_CA_DISORDER, /* duplicate ACKs or SACKs seen, no loss declared yet */
	NS_TCP_CA_RECOVERY, /* fast recovery (NewReno, or SACK-based with RACK) */
	NS_TCP_CA_LOSS,     /* after a retransmission timeout, until it is repaired */
};

/* ns_tcp_info.options: what the handshake negotiated. */
enum {
	NS_TCPI_OPT_TIMESTAMPS = 1u << 0, /* RFC 7323 timestamps */
	NS_TCPI_OPT_SACK = 1u << 1,       /* RFC 2018 SACK */
	NS_TCPI_OPT_WSCALE = 1u << 2,     /* RFC 7323 window scaling */
};

/*
 * A snapshot of one connection, in the spirit of Linux's struct tcp_info, with two
 * differences: windows and sequence-space amounts are in bytes (not segments), and times
 * are in microseconds unless the name says otherwise. A field the connection has no value
 * for yet is 0 (ssthresh: UINT32_MAX before the first congestion event).
 */
struct ns_tcp_info {
	uint8_t state;       /* enum ns_tcp_state */
	uint8_t ca_state;    /* enum ns_tcp_ca_state */
	uint8_t options;     /* NS_TCPI_OPT_* */
	uint8_t snd_wscale;  /* the peer's window shift */
	uint8_t rcv_wscale;  /* ours */
	uint8_t congestion;  /* NS_TCP_CONGESTION: 0 CUBIC, 1 Reno */
	uint8_t retransmits; /* consecutive timeouts (RTO or persist) without progress */
	uint8_t probes;      /* unanswered zero-window or keepalive probes */

	uint32_t snd_mss; /* payload bytes of a full segment we send */
	uint32_t rcv_mss; /* the peer's segment size, as estimated */
	uint32_t advmss;  /* the MSS we advertised */
	uint32_t pmtu;    /* the path MTU we use */

	uint32_t rtt_us, rttvar_us; /* RFC 6298 SRTT and RTTVAR */
	uint32_t rto_us;            /* the current RTO (without backoff) */
	uint32_t min_rtt_us;        /* RACK's min_RTT (0: none yet) */
	uint32_t rcv_rtt_us;        /* the receiver's RTT estimate (buffer auto-tuning) */

	uint32_t snd_cwnd;     /* bytes */
	uint32_t snd_ssthresh; /* bytes */
	uint32_t snd_wnd;      /* the peer's advertised window, bytes */
	uint32_t rcv_wnd;      /* the window we advertise, bytes */
	uint32_t rcv_space;    /* the receive buffer (grows with auto-tuning), bytes */
	uint32_t snd_space;    /* the send buffer, bytes */

	uint32_t unacked;           /* bytes sent and not cumulatively acknowledged */
	uint32_t sacked;            /* of those, bytes the peer SACKed */
	uint32_t lost;              /* of those, bytes believed lost (RACK or RFC 6675) */
	uint32_t in_flight;         /* RFC 6675 pipe: bytes believed in the network */
	uint32_t notsent;           /* bytes written and not sent yet */
	uint32_t rcv_queued;        /* bytes received and not read yet */
	uint32_t reord_seen;        /* reordering events RACK noticed */
	uint32_t reo_wnd_us;        /* RACK's reordering window now */
	uint32_t total_retrans;     /* segments retransmitted, ever */
	uint32_t undos;             /* congestion responses undone (spurious retransmissions) */
	uint32_t dsack_dups;        /* D-SACK blocks received */
	uint32_t rcv_ooopack;       /* out-of-order segments received */
	uint32_t segs_out, segs_in; /* segments, control ones included */
	uint32_t data_segs_out, data_segs_in; /* segments that carried data */

	uint64_t bytes_sent;     /* data bytes sent, retransmissions included */
	uint64_t bytes_retrans;  /* data bytes retransmitted */
	uint64_t bytes_acked;    /* data bytes cumulatively acknowledged */
	uint64_t bytes_received; /* data bytes received in order */
	uint64_t delivered;      /* data bytes delivered to the peer (ACKed or SACKed) */
	uint64_t delivery_rate;  /* bytes/s delivered over the last RTT-long interval (0: no
	                          * sample yet; not corrected for application-limited periods) */

	uint32_t last_data_sent_ms; /* since the last data segment went (0: never) */
	uint32_t last_data_recv_ms; /* since the last data arrived */
	uint32_t last_ack_recv_ms;  /* since the last acceptable ACK arrived */
};

/**
 * ns_ep_get_tcp_info() - Fill @out with @ep's state and counters now (as Linux's
 * getsockopt(TCP_INFO)). Any TCP endpoint, in any state (a listener or a closed one
 * reports what it has). Errors: NOT_SUPPORTED for an endpoint that is not TCP.
 */
NS_API ns_err ns_ep_get_tcp_info(struct ns_ep *ep, struct ns_tcp_info *out);

/* ---------------------------------------------------------------- the forwarder */

/*
 * The TCP forwarder. With one set, a SYN (no ACK, RST or FIN) that finds no endpoint and
 * no listener, for any destination the stack accepts (with the NIC in promiscuous mode,
 * any address at all), is not answered with a RST: the stack keeps its 4-tuple and
 * options as a request and calls the forwarder's function. So is a SYN that starts a new
 * incarnation of a 4-tuple in TIME_WAIT (RFC 6191) when no listener takes it; the
 * accepted connection's ISS then lies beyond the old one's. The application then answers
 * the request, at once or later (asynchronously, as gVisor's ForwarderRequest):
 *
 *   - ns_tcp_fwd_accept() creates the connection: an endpoint in SYN-RECEIVED that
 *     answers the SYN with a SYN-ACK (the SYN's options negotiated as a listener would)
 *     and reports NS_EV_OUT on its waiter queue when the handshake completes, or an error
 *     (NS_SO_ERROR) when the peer resets it or never answers; the application owns it
 *     like an accepted endpoint;
 *   - ns_tcp_fwd_refuse() declines: a RST answers the SYN (or nothing, if asked), so a
 *     client learns at once that the connection was refused.
 *
 * Until then the request holds the 4-tuple: the peer's retransmitted SYNs (and anything
 * else for that 4-tuple) are dropped and counted, not offered again, and ICMP errors
 * quoting it are not believed (nothing was sent on it: RFC 5927 4.1). At most
 * @max_in_flight requests are pending at a time; a SYN beyond that is dropped (counted)
 * and the peer's retransmission tries again later. Every request must be answered
 * exactly once (it is freed then); requests still pending when the stack is freed are
 * freed with it.
 *
 * Local addresses the stack does not own (promiscuous mode) need spoofing on the NIC
 * (ns_stack_set_spoofing()) for the accepted connection to send from them.
 */
struct ns_tcp_fwd_req;

/* The 4-tuple of a forwarded SYN: local is its destination (local.nic: the NIC it came
 * in on), remote its source. */
struct ns_tcp_fwd_id {
	struct ns_sockaddr local, remote;
};

/* Called for each new request, from inside the stack's input path. @id is valid during
 * the call only (ns_tcp_fwd_get_id() gives it again later). The function may answer the
 * request before it returns, or keep @req and answer it later. */
typedef void (*ns_tcp_forwarder_fn)(void *ctx, struct ns_tcp_fwd_req *req,
                                    const struct ns_tcp_fwd_id *id);

/**
 * ns_tcp_forwarder_set() - Install (@fn non-NULL) or remove (@fn NULL) @s's TCP forwarder.
 * @max_in_flight bounds the requests pending at a time (1..65536). Removing the forwarder
 * leaves pending requests valid until they are answered. Errors: INVALID_ARGUMENT for a
 * bound out of range; UNKNOWN_PROTOCOL if the stack has no TCP.
 */
NS_API ns_err ns_tcp_forwarder_set(struct ns_stack *s, ns_tcp_forwarder_fn fn, void *ctx,
                                   uint32_t max_in_flight);
/** ns_tcp_fwd_get_id() - The 4-tuple of @req. */
NS_API void ns_tcp_fwd_get_id(const struct ns_tcp_fwd_req *req, struct ns_tcp_fwd_id *id);
/**
 * ns_tcp_fwd_accept() - Answer @req by creating its connection (see above), with waiter
 * queue @wq, into *@out. On success @req is freed. On failure @req stays pending (answer
 * it with ns_tcp_fwd_refuse()): NO_ROUTE / BAD_LOCAL_ADDRESS when the stack cannot send
 * from the request's local address to its remote one (spoofing off), NO_MEMORY.
 */
NS_API ns_err ns_tcp_fwd_accept(struct ns_tcp_fwd_req *req, struct ns_waiter_queue *wq,
                                struct ns_ep **out);
/** ns_tcp_fwd_refuse() - Answer @req by declining: a RST to the SYN if @send_rst (RFC 9293
 * 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>). @req is freed. */
NS_API void ns_tcp_fwd_refuse(struct ns_tcp_fwd_req *req, bool send_rst);

#endif
