/* SPDX-License-Identifier: MIT */
/*
 * TCP internals shared by the files of src/tcp/ (never included by the core or other protocols).
 *
 * One struct tcp_ep per connection, listener or handshake in progress. It embeds the
 * endpoint API head (struct ns_ep, first, so ns_ep pointers convert) and the demuxer's view
 * (struct ns_tep). Files and what each owns:
 *   proto.c     the ns_transproto_ops vtable, per-stack state, segment validation, RSTs
 *               for segments to no endpoint (RFC 9293 3.10.7.1)
 *   input.c     SEGMENT ARRIVES (RFC 9293 3.10.7), one function per step
 *   output.c    building and sending segments, send policy (window, cwnd, Nagle, SWS)
 *   timers.c    RTO (RFC 6298), delayed ACK, persist, keepalive, TIME_WAIT, user timeout
 *   cc.c        congestion control: NewReno loss recovery (RFC 5681/6582), the hook
 *               struct (tcp_cc_ops), Reno, undo and cwnd validation shared by algorithms
 *   cubic.c     CUBIC (RFC 9438) with HyStart++ (RFC 9406), the default algorithm
 *   endpoint.c  the ns_ep_ops (bind, listen, accept, connect, read, write, close...), buffers
 *               and receive-buffer auto-tuning, and tcp_set_state(), through which every
 *               transition goes
 *   isn.c       initial sequence numbers (RFC 6528) and timestamp offsets
 *   sack.c      SACK scoreboard and RFC 6675 loss recovery with PRR (RFC 6937), D-SACK
 *               (RFC 2883) both ways, spurious-retransmission undo (Eifel RFC 3522, D-SACK,
 *               F-RTO RFC 5682)
 *   rack.c      RACK-TLP (RFC 8985): per-segment transmit records, time-based loss
 *               detection, the reordering timer and the tail loss probe
 *   syncookie.c SYN cookies (RFC 4987 3.6) when a listener's SYN queue is full
 *   info.c      counters and the TCP_INFO-style report (ns_ep_get_tcp_info())
 *   forward.c   the TCP forwarder: SYNs to no endpoint offered to the application
 *
 * Sequence-space bookkeeping (RFC 9293 3.3.1), all modulo 2^32:
 *
 *        snd_una        snd_nxt           snd_max       snd_una + snd_wnd
 *   -------|==============|-----------------|-------------------|---------
 *          oldest unacked  next to send      highest sent + 1    right edge of the peer's window
 *
 * snd_nxt < snd_max only after an RTO (go-back-N resends from snd_una, skipping what the
 * peer SACKed); with SACK, holes are resent selectively below snd_nxt. The send buffer's
 * byte 0 always has sequence number snd_una (data can only be written once the SYN is
 * acknowledged); a FIN, once sent, occupies snd_una + snd.len.
 *
 *        rcv_nxt               rcv_adv
 *   -------|=====================|---------
 *          next expected byte     right edge we advertised (never moves left, RFC 9293 3.8.6)
 *
 * The receive ring holds the unread in-order bytes and, beyond them at their own offsets,
 * out-of-order bytes whose ranges are kept in ooo[] (absolute sequence numbers).
 */
#ifndef NS_TCP_TCP_H
#define NS_TCP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/clock.h"
#include "netstack/proto.h"
#include "netstack/tcp.h"
#include "netstack/timer.h"
#include "wire/tcp.h"

extern const struct ns_transproto_ops ns_proto_tcp;

#define tcp_container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ---------------------------------------------------------------- sequence arithmetic */

/* RFC 9293 3.4: comparisons modulo 2^32, valid while the operands are < 2^31 apart. */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}
/* lo <= x < hi */
static inline bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return seq_ge(x, lo) && seq_lt(x, hi);
}

/* ---------------------------------------------------------------- states */

#define TCP_STATE_MAP(X) \
	X(CLOSED)        \
	X(LISTEN)        \
	X(SYN_SENT)      \
	X(SYN_RCVD)      \
	X(ESTABLISHED)   \
	X(FIN_WAIT_1)    \
	X(FIN_WAIT_2)    \
	X(CLOSE_WAIT)    \
	X(CLOSING)       \
	X(LAST_ACK)      \
	X(TIME_WAIT)

enum tcp_state {
#define TCP_STATE_ENUM_(n) TCP_##n,
	TCP_STATE_MAP(TCP_STATE_ENUM_)
#undef TCP_STATE_ENUM_
	    TCP_STATE_COUNT
};

const char *tcp_state_name(enum tcp_state st);

/* States in which a SYN has been exchanged both ways (RFC 9293 3.3.2 "synchronized"). */
static inline bool tcp_state_synchronized(enum tcp_state st)
{
	return st >= TCP_ESTABLISHED;
}

/* ---------------------------------------------------------------- configuration */

/* Per-stack TCP settings (Linux's defaults unless noted). Tests and tools reach them
 * through tcp_config(); endpoints copy what they may change per socket. */
struct tcp_config {
	uint64_t rto_initial_ns;      /* 1 s (RFC 6298 2.1) */
	uint64_t rto_min_ns;          /* 200 ms (Linux TCP_RTO_MIN; RFC 6298 2.4 says 1 s) */
	uint64_t rto_max_ns;          /* 120 s (Linux TCP_RTO_MAX; RFC 6298 2.5 allows >= 60 s) */
	uint64_t delack_ns;           /* 40 ms (Linux TCP_DELACK_MIN) */
	uint64_t msl_ns;              /* 30 s: TIME_WAIT lasts 2*MSL = 60 s, as Linux */
	uint64_t fin_timeout_ns;      /* 60 s: an orphaned FIN_WAIT_2 gives up (tcp_fin_timeout) */
	uint64_t keepidle_ns;         /* 7200 s */
	uint64_t keepintvl_ns;        /* 75 s */
	uint32_t keepcnt;             /* 9 */
	uint32_t syn_retries;         /* 6 */
	uint32_t synack_retries;      /* 5 */
	uint32_t retries2;            /* 15 */
	uint32_t rcvbuf;              /* 131072 (tcp_rmem[1]) */
	uint32_t sndbuf;              /* 262144 */
	uint32_t rcvbuf_max;          /* 6 MiB (tcp_rmem[2]); also sets our window scale (7) */
	uint32_t sndbuf_max;          /* 4 MiB */
	uint32_t init_cwnd_segs;      /* 10 (RFC 6928) */
	uint32_t challenge_ack_limit; /* per second, per stack, on average (RFC 5961 7; Linux
	                               * 1000); UINT32_MAX: no stack-wide limit */
	uint64_t oow_ratelimit_ns;    /* 500 ms: at most one ACK per connection in this time
	                               * to segments it rejects (Linux tcp_invalid_ratelimit) */
	uint32_t max_tw;              /* TIME_WAIT connections at most (tcp_max_tw_buckets) */
	bool moderate_rcvbuf;         /* receive-buffer auto-tuning (tcp_moderate_rcvbuf; on) */
	bool timestamps;              /* offer RFC 7323 timestamps */
	bool window_scaling;          /* offer RFC 7323 window scaling */
	bool sack;                    /* offer SACK-permitted (RFC 2018) */
	bool rack;                    /* RACK-TLP loss detection with SACK (RFC 8985; on) */
	bool syncookies;              /* SYN cookies when a SYN queue is full (RFC 4987; on) */
};

/* A hook that sees every state transition (tests, tracing). */
struct tcp_ep;
typedef void (*tcp_trace_fn)(void *ctx, const struct tcp_ep *ep, enum tcp_state from,
                             enum tcp_state to, const char *reason);

/* Per-stack TCP state (the transport's priv). */
struct tcp_stack {
	struct ns_stack *s;
	struct tcp_config cfg;
	struct tcp_ep *all; /* every endpoint, for fini (doubly linked through all_next/prev) */
	uint32_t nall;
	/* RFC 5961 7: challenge ACKs left in the current one-second slot (a random budget
	 * drawn each slot, as Linux, so the count reveals nothing: CVE-2016-5696). */
	uint64_t challenge_slot;
	uint32_t challenge_left;
	uint32_t ntw; /* connections in TIME_WAIT (bounded by cfg.max_tw) */
	tcp_trace_fn trace;
	void *trace_ctx;
	/* The TCP forwarder (forward.c): its function, and the requests pending. */
	ns_tcp_forwarder_fn fwd_fn;
	void *fwd_ctx;
	uint32_t fwd_max, fwd_pending;
	struct ns_tcp_fwd_req *fwd_reqs;
};

/** tcp_config() - The TCP settings of @s (NULL if TCP is not registered); changes apply to
 * endpoints created afterwards. */
struct tcp_config *tcp_config(struct ns_stack *s);
/** tcp_set_trace() - Call @fn on every state transition in @s (NULL: stop). */
void tcp_set_trace(struct ns_stack *s, tcp_trace_fn fn, void *ctx);

/* ---------------------------------------------------------------- buffers */

/* Bytes in a ring. Allocated on first use, @limit bytes. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap;   /* allocated bytes (0 until first use) */
	uint32_t head;  /* index of the first byte */
	uint32_t len;   /* bytes held from head */
	uint32_t limit; /* the socket buffer size (SO_SNDBUF / SO_RCVBUF) */
};

/* Out-of-order ranges kept beyond rcv_nxt; more ranges than this and a segment that would
 * open a new one is dropped (its bytes will be retransmitted). */
#define TCP_OOO_MAX 8

/* Segments ACKed at once at the start of a connection (Linux's TCP_MAX_QUICKACKS). */
#define TCP_QUICKACK_START 16

struct tcp_range {
	uint32_t left, right; /* [left, right) */
};

/* SACKed ranges a sender remembers (sack.c); a block that would need more is ignored
 * (the bytes are then retransmitted, never lost). */
#define TCP_SB_MAX 16

/* RACK's record of one transmitted segment (rack.c). Records tile [SND.UNA, SND.MAX) in
 * sequence order: each starts where the previous ends (the first at SND.UNA). Those in
 * flight (neither SACKed nor marked lost) are also linked in transmit-time order. */
struct tcp_rack_rec {
	uint32_t end;          /* one past its last sequence number */
	uint32_t flags;        /* TCP_RR_* */
	uint64_t xmit;         /* when it was last (re)transmitted, ns */
	uint32_t tprev, tnext; /* time-order links (ring indices; TCP_RACK_NIL: none) */
};
enum { TCP_RR_SACKED = 1u << 0, TCP_RR_LOST = 1u << 1, TCP_RR_RETRANS = 1u << 2 };
#define TCP_RACK_NIL UINT32_MAX

/* RACK-TLP state (RFC 8985 5.2, names as there). */
struct tcp_rack {
	struct tcp_rack_rec *rec; /* ring of records: 16 at first, doubled when full (a
	                           * power of two) */
	uint32_t cap, head, n;
	uint32_t thead, ttail; /* the time-ordered list of records in flight, oldest first */
	uint32_t una;          /* where the first record starts (SND.UNA as last seen) */
	uint32_t pipe;         /* bytes of records neither SACKed nor lost */
	uint32_t nlost;        /* records marked lost and not SACKed */
	uint32_t lost_from;    /* no lost record worth resending ends at or below this */
	uint32_t fack_prior;   /* RACK.fack before the current ACK (step 3) */
	uint32_t reord_seen;   /* reordering events noticed (TCP_INFO) */
	uint64_t xmit_ts;      /* RACK.xmit_ts: latest transmit time of a delivered segment */
	uint64_t last_xmit;    /* the latest record time given out (times strictly increase) */
	uint32_t end_seq;      /* RACK.end_seq */
	uint32_t fack;         /* RACK.fack: highest sequence SACKed or ACKed */
	uint64_t rtt;          /* RACK.rtt, ns */
	uint64_t min_rtt;      /* RACK.min_RTT, ns (0: none yet) */
	uint64_t reo_deadline; /* when the reordering timer is due (0: not needed) */
	uint32_t dsack_round;  /* RACK.dsack_round (valid with dsack_round_on) */
	uint32_t dsacks_seen;  /* ep->dsacks_rcvd already taken into account */
	uint32_t tlp_end;      /* TLP.end_seq */
	uint32_t tlp_dsacks;   /* dsacks_rcvd when the probe went out */
	uint8_t reo_wnd_mult, reo_wnd_persist;
	bool reordering_seen, dsack_round_on, tlp_out, tlp_rexmit, pto_rearm;
};

/* ---------------------------------------------------------------- congestion control */

/*
 * A congestion-control algorithm decides how cwnd grows and how far it falls; loss
 * detection and recovery (dup ACKs, NewReno, SACK, RTO) call these hooks. The ops struct
 * is the only interface the rest of TCP sees: CUBIC with HyStart++ (cubic.c, the default)
 * and Reno (cc.c) implement it; NS_TCP_CONGESTION picks one per endpoint.
 */

/* What tcp_cc_ops.info reports (zero where the algorithm has no such thing). */
struct tcp_cc_info {
	uint32_t w_max;       /* CUBIC: W_max, bytes */
	uint32_t w_est;       /* CUBIC: W_est (Reno-friendly estimate), bytes */
	uint32_t cwnd_epoch;  /* CUBIC: cwnd when the epoch began, bytes */
	uint32_t k_kt;        /* CUBIC: K in 1/1024 s */
	uint64_t epoch_start; /* CUBIC: t_epoch (ns; 0: no epoch) */
	uint8_t hystart;      /* TCP_HS_* */
	uint8_t css_rounds;   /* HyStart++ rounds completed in CSS */
	uint32_t last_round_min_rtt_us, cur_round_min_rtt_us, css_baseline_us; /* UINT32_MAX: inf */
};

struct tcp_cc_ops {
	const char *name;
	/* Reset the algorithm's own state (cc_priv); cwnd and ssthresh are left alone, so
	 * this also serves a switch of algorithm on a live connection. */
	void (*init)(struct tcp_ep *ep);
	/* @acked bytes of new data were cumulatively acknowledged outside recovery. */
	void (*cong_avoid)(struct tcp_ep *ep, uint32_t acked);
	/* A congestion event begins: returns the new slow-start threshold (RFC 5681 eq. 4
	 * for Reno, RFC 9438 4.6 for CUBIC) after saving cwnd, ssthresh and the algorithm's
	 * state for undo (tcp_cc_save_prior()). Call once per event. */
	uint32_t (*ssthresh)(struct tcp_ep *ep);
	/* Recovery ended or an RTO happened (optional: e.g. CUBIC's epoch reset). */
	void (*on_loss)(struct tcp_ep *ep, bool rto);
	/* The last congestion event was spurious (RFC 9438 4.9; detected by F-RTO, Eifel or
	 * DSACK): restore cwnd, ssthresh and the algorithm's state saved by ssthresh(). */
	void (*undo)(struct tcp_ep *ep);
	/* One RTT measurement (ns), as fed to the RFC 6298 estimator (optional). */
	void (*rtt_sample)(struct tcp_ep *ep, uint64_t rtt);
	/* The algorithm's state for TCP_INFO-like reports and tests (optional). */
	void (*info)(const struct tcp_ep *ep, struct tcp_cc_info *out);
};

/* HyStart++ phases (RFC 9406 4). */
enum { TCP_HS_OFF, TCP_HS_SS, TCP_HS_CSS };

/* NS_TCP_CONGESTION values */
enum { TCP_CC_CUBIC = 0, TCP_CC_RENO = 1 };

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/* ---------------------------------------------------------------- the endpoint */

/* ep->flags */
enum {
	TCP_F_APP = 1u << 0,        /* the application holds the ns_ep (not closed yet) */
	TCP_F_PORT = 1u << 1,       /* holds a port reservation (tep.id.local, lport) */
	TCP_F_REGISTERED = 1u << 2, /* reachable through the demuxer */
	TCP_F_SHUT_RD = 1u << 3,    /* shutdown(SHUT_RD) */
	TCP_F_FIN_QUEUED = 1u << 4, /* a FIN follows the send buffer (shutdown/close) */
	TCP_F_FIN_RCVD = 1u << 5,   /* the peer's FIN was consumed (rcv_nxt is past it) */
	TCP_F_NODELAY = 1u << 6,
	TCP_F_CORK = 1u << 7,
	TCP_F_MORE = 1u << 8, /* the last write had NS_MSG_MORE */
	TCP_F_KEEPALIVE = 1u << 9,
	TCP_F_TS = 1u << 10,          /* timestamps negotiated */
	TCP_F_SACK = 1u << 11,        /* SACK-permitted negotiated */
	TCP_F_WS = 1u << 12,          /* window scaling negotiated */
	TCP_F_ACK_NOW = 1u << 13,     /* send an ACK before returning to the caller */
	TCP_F_ACK_DELAYED = 1u << 14, /* an ACK is owed: arm the delayed-ACK timer */
	TCP_F_CONNECTING = 1u << 15,  /* connect() started and not yet reported done */
	TCP_F_OOO_FIN = 1u << 16,     /* a FIN arrived beyond a hole, at ooo_fin_seq */
	TCP_F_EPHEMERAL = 1u << 17,   /* the port was picked by connect(): release at CLOSED */
	TCP_F_RESET = 1u << 18,       /* the connection was reset or timed out */
	TCP_F_PERSIST = 1u << 19,     /* rtx_timer is the persist timer, not the RTO */
	TCP_F_REUSEADDR = 1u << 20,
	TCP_F_REUSEPORT = 1u << 21,
	TCP_F_IN_RECOVERY = 1u << 22, /* NewReno fast recovery (RFC 6582) */
	TCP_F_RTT_TIMING = 1u << 23,  /* timing rtt_seq (no timestamps) */
	TCP_F_FIN_SENT = 1u << 24,    /* our FIN has been transmitted (snd_max is past it) */
	TCP_F_RTT_VALID = 1u << 25,   /* srtt/rttvar hold at least one sample */
	TCP_F_DSACK_OWED = 1u << 26,  /* the next ACK reports dsack_out first (RFC 2883) */
	TCP_F_RACK = 1u << 27,        /* RACK-TLP detects losses (SACK + cfg.rack) */
	TCP_F_TLP_TIMER = 1u << 28,   /* rtx_timer is the probe timeout (RFC 8985 7) */
	TCP_F_REO_TIMER = 1u << 29,   /* rtx_timer is RACK's reordering timer (RFC 8985 6.2) */
	TCP_F_UNDO_OK = 1u << 30,     /* the current loss episode may still prove spurious */
};

/* Bit 31 is outside an enumerator's int range: a macro. The next ACK of new data is
 * Eifel's test (RFC 3522). */
#define TCP_F_EIFEL (1u << 31)

struct tcp_ep {
	struct ns_ep ep; /* first: ns_ep pointers are tcp_ep pointers */
	struct ns_tep tep;
	struct tcp_stack *ts;
	struct tcp_ep *all_next, *all_prev;
	enum tcp_state state;
	uint32_t flags;
	ns_err so_error;     /* pending error for NS_SO_ERROR / the next call */
	uint32_t pending_ev; /* waiter events to notify when the current call ends */
	int busy;            /* nesting depth of entry points (no free while > 0) */
	struct ns_route route;
	bool have_route;
	struct ns_addr port_addr; /* the address the port reservation was made on */
	bool v6only;              /* NS_IPV6_V6ONLY: an IPv6 endpoint that takes no IPv4 */
	bool v4mapped;            /* an IPv6 endpoint that is IPv4 inside (tep.family
	                           * NS_AF_INET): v4-mapped addresses at the API */
	uint64_t close_deadline;  /* SO_LINGER: abort if the FIN is not acked by then (0: none) */

	/* Send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;     /* peer's window in bytes (scaled) */
	uint32_t max_snd_wnd; /* largest window the peer offered (SWS, RFC 5961 5.2) */
	uint32_t snd_wl1, snd_wl2;
	uint32_t snd_sml; /* end of the last sub-MSS segment sent (Minshall's Nagle) */
	uint8_t snd_wscale, rcv_wscale;

	/* Receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint32_t last_ack_sent;
	uint32_t ooo_fin_seq;
	uint32_t rcv_unacked; /* bytes received since the last ACK we sent */
	uint8_t quickack;     /* ACK the next segments at once (after loss or reordering) */
	uint8_t nooo;
	uint8_t ooo_last; /* range the latest out-of-order segment touched (first SACK block) */
	struct tcp_range ooo[TCP_OOO_MAX];

	/* Segment sizes */
	uint16_t mss;      /* payload bytes of a full data segment (options deducted) */
	uint16_t peer_mss; /* the peer's MSS option (536 if absent, RFC 9293 3.7.1) */
	uint16_t user_mss; /* TCP_MAXSEG (0: none) */
	uint16_t rcv_mss;  /* estimate of the peer's segment size (delayed ACK: every 2nd) */

	/* Timestamps (RFC 7323) */
	uint32_t ts_offset, ts_recent;
	uint64_t ts_recent_ns; /* when ts_recent was set (PAWS 24-day rule) */

	/* Buffers */
	struct tcp_ring snd, rcv;

	/* RTT and RTO (RFC 6298), ns */
	uint64_t srtt, rttvar, rto;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint8_t backoff;    /* consecutive RTO expirations (or persist probes) */
	uint64_t una_since; /* when snd_una last advanced (user timeout) */

	/* Congestion control */
	const struct tcp_cc_ops *cc;
	uint32_t cwnd, ssthresh, recover, cwnd_acc;
	uint8_t dupacks;
	uint32_t prior_cwnd, prior_ssthresh; /* before the last congestion event (undo) */
	uint32_t cc_round_end;               /* cwnd validation round: ends at this ACK */
	uint32_t cc_used[2];                 /* largest flight at an ACK: this, last round */
	uint64_t cc_last_ack;                /* when cong_avoid last ran (ns; 0: never) */
	uint32_t cc_last_flight;             /* flight left by that ACK */
	uint64_t cc_priv[20];                /* the algorithm's own state */

	/* Loss recovery with SACK (sack.c, RFC 6675): the scoreboard holds what the peer
	 * SACKed, sorted and disjoint, all within (snd_una, snd_una + snd.len]. */
	struct tcp_range sb[TCP_SB_MAX];
	uint8_t nsb;
	uint32_t high_rxt;          /* RFC 6675 HighRxt: end of the last hole retransmitted */
	uint32_t dsacks_rcvd;       /* D-SACK blocks the peer reported (RFC 2883 4) */
	struct tcp_range dsack_out; /* duplicate we received, reported in the next ACK */
	struct tcp_rack rack;       /* RACK-TLP (rack.c) */

	/* Spurious-retransmission undo (sack.c): the current loss episode. */
	uint32_t undo_marker;      /* SND.UNA when it began */
	uint32_t undo_tsval;       /* TSval of its first retransmission (Eifel, RFC 3522) */
	uint32_t undo_retrans;     /* retransmitted segments not yet reported by a D-SACK */
	uint32_t undo_dsacks;      /* dsacks_rcvd already looked at */
	struct tcp_range dsack_in; /* the latest D-SACK block received */
	uint8_t frto;   /* F-RTO step (RFC 5682 2.1): 0 off, 1 after the RTO, 2 probing */
	uint32_t undos; /* congestion responses undone (counter) */

	/* Timers */
	struct ns_timer rtx_timer; /* RTO, or the persist timer (TCP_F_PERSIST) */
	struct ns_timer delack_timer;
	struct ns_timer keep_timer; /* keepalive, FIN_WAIT_2 timeout, TIME_WAIT 2*MSL, linger */
	uint64_t last_rcv;          /* when the last segment arrived (keepalive idle) */
	uint8_t keep_probes;
	uint8_t probes_out; /* unanswered zero-window probes */

	/* Per-socket settings */
	uint64_t keepidle_ns, keepintvl_ns, user_timeout_ns;
	uint32_t keepcnt;
	int32_t linger_s; /* -1: off */
	uint8_t ttl, tos;

	/* Listener / accept */
	struct tcp_ep *listener;        /* for a connection born from a listener, until accepted */
	struct tcp_ep *q_next, *q_prev; /* links in the listener's syn or accept queue */
	uint8_t q_in;                   /* TCP_Q_*: which of them */
	struct tcp_ep *synq;            /* listener: connections in SYN_RCVD */
	struct tcp_ep *acceptq, *acceptq_tail;
	uint32_t synq_len, acceptq_len, backlog;
	uint64_t cookie_sent_ns; /* listener: when it last answered with a SYN cookie */

	/* Rate limit of ACKs to invalid segments (Linux's last_oow_ack_time). */
	uint64_t last_oow_ack; /* when the last one went (0: never) */

	/* Receive-buffer auto-tuning (Linux's DRS: tcp_rcv_space_adjust(); endpoint.c). */
	uint64_t bytes_read;    /* bytes the application has read */
	uint64_t rcv_rtt;       /* the receiver's RTT estimate, ns (0: none yet) */
	uint64_t rcv_rtt_time;  /* window-based measure: when it began (0: not running) */
	uint32_t rcv_rtt_seq;   /* ... and the sequence number that ends it */
	uint32_t rcv_rtt_tsecr; /* the last TSecr sampled (one sample per echo) */
	uint32_t rcvq_space;    /* bytes read in the last measured RTT */
	uint64_t rcvq_seq;      /* bytes_read when the current measurement began */
	uint64_t rcvq_time;     /* ... and when */
	bool rcvbuf_locked;     /* SO_RCVBUF was set: no auto-tuning (as Linux) */

	/* Proportional rate reduction in recovery (RFC 6937, cc.c). */
	uint32_t prr_recover_fs; /* RecoverFS: cwnd when recovery began (as Linux) */
	uint32_t prr_delivered;  /* bytes delivered to the peer since */
	uint64_t prr_sent0;      /* bytes_sent then: prr_out = bytes_sent - prr_sent0 */
	uint32_t sacked_prior;   /* scoreboard bytes before the current ACK */
	uint32_t reno_sacked;    /* without SACK: bytes the duplicate ACKs said had left */

	/* Counters (TCP_INFO, info.c) */
	uint32_t retransmits, total_retrans;
	uint64_t bytes_sent;     /* data bytes sent, retransmissions included */
	uint64_t bytes_retrans;  /* data bytes retransmitted */
	uint64_t bytes_acked;    /* data bytes cumulatively acknowledged */
	uint64_t bytes_received; /* data bytes received in order */
	uint64_t delivered;      /* data bytes delivered: ACKed or SACKed, once each */
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	uint32_t rcv_ooopack;                                   /* out-of-order segments received */
	uint64_t last_data_sent, last_data_recv, last_ack_recv; /* ns (0: never) */
	uint64_t rate_t0, rate_delivered0; /* the delivery-rate sampling interval */
	uint64_t delivery_rate;            /* bytes/s over the last full interval */
};

/* ep->q_in */
enum { TCP_Q_NONE, TCP_Q_SYN, TCP_Q_ACCEPT };

/* A received segment, validated and parsed. */
struct tcp_seg {
	struct tcp_repr h;
	const uint8_t *data; /* payload */
	uint32_t len;        /* payload bytes */
	uint32_t seq;        /* h.seq, then moved by trimming */
	struct ns_pkt *pkt;  /* not owned */
};

static inline struct tcp_ep *tcp_ep_of(struct ns_ep *ep)
{
	return (struct tcp_ep *)(void *)ep;
}

/* Segments a received segment stands for: a GRO'd or TSO super-frame (pkt->gso) the
 * segments of its size it was made of, as Linux's tcp_segs_in() counts gso_segs; else 1. */
static inline uint32_t tcp_seg_gso_segs(const struct tcp_seg *g)
{
	uint32_t mss = g->pkt ? g->pkt->gso.mss : 0;

	return mss && g->len > mss ? (g->len + mss - 1) / mss : 1;
}

/* Sequence space a segment occupies: payload, SYN and FIN (RFC 9293 3.4). */
static inline uint32_t tcp_seg_seqlen(const struct tcp_seg *g)
{
	return g->len + !!(g->h.flags & TCP_SYN) + !!(g->h.flags & TCP_FIN);
}

/* ---------------------------------------------------------------- endpoint.c */

/**
 * tcp_set_state() - Move @ep to @to: the one place transitions happen, so
 * `grep tcp_set_state` lists the state diagram. Runs the new state's entry actions
 * (timers, demux, waking waiters). @reason names the rule, for tracing.
 */
void tcp_set_state(struct tcp_ep *ep, enum tcp_state to, const char *reason);
/** tcp_ep_alloc() - A new endpoint in CLOSED with the stack's defaults. */
struct tcp_ep *tcp_ep_alloc(struct tcp_stack *ts, uint8_t family);
/** tcp_ep_enter()/tcp_ep_leave() - Bracket every entry point (input, timer, API call).
 * leave() sends what is owed, notifies waiters and frees a finished orphan. */
void tcp_ep_enter(struct tcp_ep *ep);
void tcp_ep_leave(struct tcp_ep *ep);
/** tcp_ep_abort() - Drop the connection at once: CLOSED with @err pending (RST first if
 * @send_rst). */
void tcp_ep_abort(struct tcp_ep *ep, ns_err err, bool send_rst, const char *reason);
/** tcp_ep_destroy() - Free an endpoint that nobody references (fini, orphan release). */
void tcp_ep_destroy(struct tcp_ep *ep);
/** tcp_ep_register() - Put @ep in the demuxer under its tep.id. */
ns_err tcp_ep_register(struct tcp_ep *ep);
void tcp_notify(struct tcp_ep *ep, uint32_t events);
/** tcp_listen_add_child() - Put the new connection @c on listener @l's SYN queue. */
void tcp_listen_add_child(struct tcp_ep *l, struct tcp_ep *c);
/** tcp_listen_child_established() - A child of a listener completed its handshake. Returns
 * false if the accept queue is full (the child stays in SYN_RCVD). */
bool tcp_listen_child_established(struct tcp_ep *child);
extern const struct ns_ep_ops tcp_ep_ops;
extern const struct ns_tep_ops tcp_tep_ops; /* proto.c */

/* Ring buffers */
bool tcp_ring_reserve(struct tcp_ring *r);
void tcp_ring_free(struct tcp_ring *r);
/* Copy @n bytes starting @off bytes after the head (off + n <= cap) into @dst. */
void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Copy @n bytes from @src to @off bytes after the head. */
void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);
void tcp_ring_drop(struct tcp_ring *r, uint32_t n);
/** tcp_ring_apply_limit() - An empty ring whose size is not its limit (SO_SNDBUF or
 * SO_RCVBUF changed while it held bytes) is freed, to be allocated at the new size on
 * its next use; not when !@may_realloc (out-of-order bytes live beyond the head). */
void tcp_ring_apply_limit(struct tcp_ring *r, bool may_realloc);
/** tcp_ring_grow() - Make an allocated ring @cap bytes (> r->cap), keeping every byte at
 * its offset from the head; an unallocated one just gets the larger limit. False if out of
 * memory (the ring stays as it was). */
bool tcp_ring_grow(struct tcp_ring *r, uint32_t cap);

/* Receive-buffer auto-tuning */
/** tcp_rcv_rtt_measure() - Receiver RTT sampling for auto-tuning, for an accepted data
 * segment @g (with timestamps: TSecr's age; without: how long a window takes to arrive). */
void tcp_rcv_rtt_measure(struct tcp_ep *ep, const struct tcp_seg *g);
/** tcp_rcv_space_adjust() - After a read: once per receiver RTT, grow the receive buffer
 * to what the application consumed in the last RTT, doubled (and more while it grows). */
void tcp_rcv_space_adjust(struct tcp_ep *ep);

/* ---------------------------------------------------------------- input.c */

/** tcp_input() - SEGMENT ARRIVES for @ep (RFC 9293 3.10.7). @g->pkt is not consumed. */
void tcp_input(struct tcp_ep *ep, struct tcp_seg *g);
/** tcp_send_challenge_ack() - RFC 5961 3.2/4.2/5.2 challenge ACK, rate limited per
 * connection (tcp_oow_rate_limited()) and per stack with a random budget (sec. 7). */
void tcp_send_challenge_ack(struct tcp_ep *ep);
/** tcp_oow_rate_limited() - May @ep answer an invalid segment now? False (and the time is
 * noted) if its last such answer is older than cfg.oow_ratelimit_ns; true (counted) if
 * the answer must be skipped. */
bool tcp_oow_rate_limited(struct tcp_ep *ep);
/** tcp_listen_input() - A segment for a listener (RFC 9293 3.10.7.2). @iss_hint non-zero:
 * the ISS to use (RFC 6191 TIME_WAIT reuse). */
void tcp_listen_input(struct tcp_ep *l, struct tcp_seg *g, uint32_t iss_hint);
/** tcp_passive_open() - The third step of RFC 9293 3.10.7.2 for a new connection @c
 * (registered, with a route) answering @syn: IRS, options, ISS (@iss_hint or RFC 6528),
 * SYN-RECEIVED (@why traced), SYN-ACK sent and timed. Call between enter and leave. */
void tcp_passive_open(struct tcp_ep *c, const struct tcp_repr *syn, uint32_t iss_hint,
                      const char *why);
/** tcp_apply_syn_options() - Negotiate MSS, window scale, timestamps and SACK from the
 * peer's SYN (RFC 7323 1.3, 2.2; RFC 2018 2; RFC 9293 3.7.1). */
void tcp_apply_syn_options(struct tcp_ep *ep, const struct tcp_repr *h);

/* ---------------------------------------------------------------- output.c */

/** tcp_output() - Send what the windows, cwnd and Nagle allow (data and FIN). */
void tcp_output(struct tcp_ep *ep);
/** tcp_cur_mss() - Payload bytes the next data segment may carry: ep->mss less the SACK
 * blocks it will carry. Size every data segment with it. */
uint32_t tcp_cur_mss(const struct tcp_ep *ep);
/** tcp_xmit() - Build and send one segment: @len bytes of the send buffer from @seq (which
 * must be in [snd_una, snd_una + snd.len]), @flags; SYN options when TCP_SYN. */
ns_err tcp_xmit(struct tcp_ep *ep, uint32_t seq, uint8_t flags, uint32_t len);
/** tcp_output_force() - The persist timer's send: one segment into a small window, past
 * Nagle and sender SWS avoidance (RFC 9293 3.8.6.2.1 override). */
void tcp_output_force(struct tcp_ep *ep);
/** tcp_retransmit_head() - Resend the segment at snd_una, window or not (RFC 5681 3.2 fast
 * retransmit, RFC 6298 5.4); moves snd_nxt past it if it was behind. */
void tcp_retransmit_head(struct tcp_ep *ep);
void tcp_send_ack(struct tcp_ep *ep);
void tcp_send_syn(struct tcp_ep *ep);
/** tcp_send_rst() - An RST from a synchronized connection (RFC 9293 3.10.7.4). */
void tcp_send_rst(struct tcp_ep *ep);

/** tcp_send_probe() - A zero-window or keepalive probe: an ACK at snd_una - 1 (as Linux). */
void tcp_send_probe(struct tcp_ep *ep);
/** tcp_reply_rst() - RFC 9293 3.10.7.1: answer @g (from no connection) with a RST. */
void tcp_reply_rst(struct tcp_stack *ts, const struct tcp_seg *g);
/** tcp_rcv_window() - The window to advertise now (bytes), applying receiver SWS avoidance
 * (RFC 9293 3.8.6.2.2) and never shrinking the right edge; updates rcv_adv. */
uint32_t tcp_rcv_window(struct tcp_ep *ep);
/** tcp_window_update_due() - After a read: would a window update be worth an ACK? */
bool tcp_window_update_due(const struct tcp_ep *ep);
/** tcp_update_mss() - Recompute ep->mss from the route MTU, the peer's MSS, TCP_MAXSEG and
 * the options every data segment carries. */
void tcp_update_mss(struct tcp_ep *ep);
/** tcp_adv_mss() - The MSS we advertise in our SYN. */
uint16_t tcp_adv_mss(const struct tcp_ep *ep);
uint32_t tcp_ts_now(const struct tcp_ep *ep);

/* ---------------------------------------------------------------- timers.c */

void tcp_timers_init(struct tcp_ep *ep);
void tcp_timers_cancel(struct tcp_ep *ep);
/** tcp_rtx_arm() - (Re)start the RTO at now + rto << backoff (RFC 6298 5.1, 5.3). */
void tcp_rtx_arm(struct tcp_ep *ep);
void tcp_rtx_stop(struct tcp_ep *ep);
/** tcp_persist_arm() - Start the persist timer if it is not running (RFC 9293 3.8.6.1). */
void tcp_persist_arm(struct tcp_ep *ep);
/** tcp_rtt_sample() - Feed one RTT measurement (ns) to the RFC 6298 estimator. */
void tcp_rtt_sample(struct tcp_ep *ep, uint64_t rtt);
void tcp_delack_arm(struct tcp_ep *ep);
void tcp_keepalive_reset(struct tcp_ep *ep);
void tcp_timewait_arm(struct tcp_ep *ep);
void tcp_fin_wait_2_arm(struct tcp_ep *ep);
void tcp_linger_arm(struct tcp_ep *ep);

/* ---------------------------------------------------------------- cc.c */

void tcp_cc_init(struct tcp_ep *ep);
/** tcp_cc_ack() - An ACK advanced snd_una by @acked bytes (0: a duplicate ACK when @dup). */
void tcp_cc_ack(struct tcp_ep *ep, uint32_t acked, bool dup);
/** tcp_cc_rto() - The retransmission timer expired (RFC 5681 eq. 4, RFC 6582 4). */
void tcp_cc_rto(struct tcp_ep *ep);
uint32_t tcp_flight(const struct tcp_ep *ep);
/** tcp_cc_rtt() - Feed one RTT sample (ns) to the algorithm (HyStart++). */
void tcp_cc_rtt(struct tcp_ep *ep, uint64_t rtt);
/** tcp_cc_undo() - The last congestion event was spurious (RFC 9438 4.9): the algorithm
 * restores its pre-event state, and NewReno recovery, if running, ends. */
void tcp_cc_undo(struct tcp_ep *ep);
/** tcp_cc_select() - NS_TCP_CONGESTION: TCP_CC_CUBIC or TCP_CC_RENO, before or after
 * connect (the new algorithm starts from the current cwnd and ssthresh). */
ns_err tcp_cc_select(struct tcp_ep *ep, int64_t which);
int64_t tcp_cc_selected(const struct tcp_ep *ep);
/** tcp_cc_prr_begin() - A recovery episode starts: PRR's RecoverFS (cwnd now) and
 * counters (RFC 6937). Call before cwnd changes. */
void tcp_cc_prr_begin(struct tcp_ep *ep);
/** tcp_cc_prr() - RFC 6937 on an ACK in recovery that delivered @delivered bytes:
 * cwnd = pipe + sndcnt. */
void tcp_cc_prr(struct tcp_ep *ep, uint32_t delivered);
/** tcp_cc_save_prior() - For ssthresh hooks: remember cwnd and ssthresh for undo. */
void tcp_cc_save_prior(struct tcp_ep *ep);
/** tcp_cc_restore_prior() - For undo hooks: cwnd and ssthresh back to at least what
 * tcp_cc_save_prior() saw. False if nothing was saved (or it was already undone). */
bool tcp_cc_restore_prior(struct tcp_ep *ep);
/** tcp_cc_cwnd_limited() - For cong_avoid hooks, once per ACK: is the sender using its
 * cwnd (RFC 7661: the largest flight over the last two rounds is at least half of it)?
 * *@idle_ns gets how long nothing was in flight before this ACK's data went out, if that
 * exceeded the RTO (RFC 5681 4.1's idle), else 0. */
bool tcp_cc_cwnd_limited(struct tcp_ep *ep, uint32_t acked, uint64_t *idle_ns);
/* CUBIC's arithmetic (cubic.c), exposed for unit tests. */
uint32_t tcp_cubic_icbrt(uint64_t x);
/** tcp_cubic_k() - K of RFC 9438 eq. 2 in 1/1024 s, from bytes. */
uint32_t tcp_cubic_k(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss);
/** tcp_cubic_w() - W_cubic(t) of RFC 9438 eq. 1 in bytes, @t in ns since t_epoch. */
uint32_t tcp_cubic_w(uint32_t w_max, uint32_t k_kt, uint32_t mss, uint64_t t);

/* ---------------------------------------------------------------- sack.c */

/** tcp_range_insert() - Merge @r into @v[0, *@n), sorted and disjoint in sequence space
 * (wrap-around aware): every range overlapping or adjacent to @r is absorbed into one, and
 * the array stays sorted. Returns false, @v and *@n unchanged, if the result would hold
 * more than @max ranges; else updates *@n and, if @at is not NULL, sets *@at to the index
 * of the merged range (the receiver reports it first in its SACK blocks, RFC 2018 4). */
bool tcp_range_insert(struct tcp_range *v, unsigned *n, unsigned max, struct tcp_range r,
                      unsigned *at);
/** tcp_sack_rcv() - Take the SACK blocks of an acceptable ACK @g into the scoreboard
 * (RFC 2018, RFC 6675 2), after recognising a D-SACK (RFC 2883 4). Returns the bytes
 * newly SACKed. Call before SND.UNA moves to the segment's ACK. */
uint32_t tcp_sack_rcv(struct tcp_ep *ep, const struct tcp_seg *g);
/** tcp_sack_on_ack() - After an ACK (SND.UNA advanced by @acked data bytes, or a
 * duplicate / SACK-bearing ACK when @dupish): the RFC 6675 recovery state machine in
 * place of tcp_cc_ack() when SACK was negotiated. */
void tcp_sack_on_ack(struct tcp_ep *ep, uint32_t acked, bool dupish);
/** tcp_sack_output() - In SACK recovery: retransmit holes (NextSeg rule 1) while
 * cwnd - pipe allows a segment. */
void tcp_sack_output(struct tcp_ep *ep);
/** tcp_sack_bytes() - Bytes the scoreboard holds as SACKed. */
uint32_t tcp_sack_bytes(const struct tcp_ep *ep);
/** tcp_lost_bytes() - Bytes believed lost now: RACK's marks, RFC 6675's IsLost() holes in
 * recovery, or NewReno's one segment (for reports). */
uint32_t tcp_lost_bytes(const struct tcp_ep *ep);
/** tcp_pipe() - RFC 6675 "pipe" (bytes in flight), or snd_nxt - snd_una without SACK. */
uint32_t tcp_pipe(const struct tcp_ep *ep);
/** tcp_sack_skip() - If @seq is SACKed return the end of its range, else @seq; *@limit
 * gets the start of the next SACKed range above (or @limit unchanged). */
uint32_t tcp_sack_skip(const struct tcp_ep *ep, uint32_t seq, uint32_t *limit);
/** tcp_sack_rack_lost() - RACK found losses outside an ACK (its timer): recover. */
void tcp_sack_rack_lost(struct tcp_ep *ep);
/** tcp_undo_begin() - A loss episode starts (fast retransmit or first RTO): remember what
 * Eifel, D-SACK and F-RTO need to recognise it as spurious later. Call before the first
 * retransmission. */
void tcp_undo_begin(struct tcp_ep *ep, bool rto);
/** tcp_undo_count() - One more retransmission in the episode. */
void tcp_undo_count(struct tcp_ep *ep);
/** tcp_undo_on_ack() - After an acceptable ACK @g was applied (@advanced: it moved
 * SND.UNA; @dup: a duplicate): Eifel (RFC 3522), D-SACK (RFC 2883 / RFC 3708) and F-RTO
 * (RFC 5682) tests; undoes the congestion response through the cc ops when the episode
 * was spurious. */
void tcp_undo_on_ack(struct tcp_ep *ep, const struct tcp_seg *g, bool dup, bool advanced);
/** tcp_rack_undo() - Forget RACK's loss marks (the episode was spurious). */
void tcp_rack_undo(struct tcp_ep *ep);
/** tcp_output_new() - Send up to @n new segments past cwnd (F-RTO, RFC 5682 2.1 step 2b);
 * returns how many went. */
unsigned tcp_output_new(struct tcp_ep *ep, unsigned n);
/** tcp_sack_rto() - A retransmission timeout (RFC 6675 5.1). */
void tcp_sack_rto(struct tcp_ep *ep);
/** tcp_sack_note_dup() - Receiver: [@left, @right) arrived twice; report it (RFC 2883). */
void tcp_sack_note_dup(struct tcp_ep *ep, uint32_t left, uint32_t right);

/* ---------------------------------------------------------------- rack.c */

/** tcp_rack_sent() - [@seq, @end) went out at now; @rexmit: it was sent before. */
void tcp_rack_sent(struct tcp_ep *ep, uint32_t seq, uint32_t end, bool rexmit);
/** tcp_rack_ack_begin() - An ACK arrives (before its SACK blocks are scored). */
void tcp_rack_ack_begin(struct tcp_ep *ep);
/** tcp_rack_sacked() - The scoreboard newly covers [@l, @r) (called by tcp_sack_rcv()
 * after inserting a block): records now wholly SACKed are delivered (RFC 8985 6.2). */
void tcp_rack_sacked(struct tcp_ep *ep, uint32_t l, uint32_t r);
/** tcp_rack_ack() - After an ACK updated the scoreboard and SND.UNA: RACK's update and
 * loss detection (RFC 8985 6.2). Returns true if any segment is now marked lost. */
bool tcp_rack_ack(struct tcp_ep *ep);
/** tcp_rack_pipe() - Bytes in flight counted from the records (not SACKed, not lost):
 * O(1), a counter kept as records change. */
uint32_t tcp_rack_pipe(const struct tcp_ep *ep);
/** tcp_rack_next_lost() - The first lost, not yet retransmitted range, at most @max bytes:
 * false if none. */
bool tcp_rack_next_lost(const struct tcp_ep *ep, uint32_t max, uint32_t *seq, uint32_t *len);
/** tcp_rack_lost_bytes() - Bytes of the records marked lost (O(records): reports only). */
uint32_t tcp_rack_lost_bytes(const struct tcp_ep *ep);
/** tcp_rack_reo_wnd_now() - RACK.reo_wnd as it stands (RFC 8985 6.2 step 4), ns. */
uint64_t tcp_rack_reo_wnd_now(const struct tcp_ep *ep);
/** tcp_rack_rto() - RFC 8985 6.3: at an RTO every outstanding segment is lost. */
void tcp_rack_rto(struct tcp_ep *ep);
/** tcp_rack_schedule() - After output: arm the reordering timer or the probe timeout
 * in place of the RTO where RFC 8985 6.2 / 7.2 want one. */
void tcp_rack_schedule(struct tcp_ep *ep);
/** tcp_rack_timer() - rtx_timer fired as the reordering timer or the PTO. */
void tcp_rack_timer(struct tcp_ep *ep);
void tcp_rack_free(struct tcp_ep *ep);
/** tcp_rack_check() - For tests: do pipe, the lost count and the time list agree with the
 * records (recounted from scratch)? */
bool tcp_rack_check(const struct tcp_ep *ep);

/* ---------------------------------------------------------------- isn.c */

/** tcp_isn() - RFC 6528: M + F(4-tuple, secret), M a 4 us clock. */
uint32_t tcp_isn(struct tcp_stack *ts, const struct ns_tep_id *id);
/** tcp_ts_offset() - Per-connection random offset for TSval (RFC 7323 5.4). */
uint32_t tcp_ts_offset(struct tcp_stack *ts, const struct ns_tep_id *id);
/** tcp_tuple_hash() - The keyed hash of @id's 4-tuple under @salt (SYN cookies). */
uint64_t tcp_tuple_hash(struct tcp_stack *ts, uint64_t salt, const struct ns_tep_id *id);

/* ---------------------------------------------------------------- syncookie.c */

/* What a valid cookie ACK tells about the peer's SYN. */
struct tcp_cookie {
	uint16_t mss;  /* from the MSS table */
	int8_t wscale; /* the peer's shift, -1: none (timestamps only) */
	bool sack, ts; /* SACK-permitted / timestamps were negotiated */
};
/** tcp_syncookie_send() - RFC 4987 3.6: answer the SYN @g to the full listener @l with a
 * SYN-ACK whose ISN is a cookie; nothing is kept. */
void tcp_syncookie_send(struct tcp_ep *l, const struct tcp_seg *g);
/** tcp_syncookie_check() - Is the ACK @g the answer to one of our cookies (not older than
 * two counter periods)? On success fills @out. */
bool tcp_syncookie_check(struct tcp_ep *l, const struct tcp_seg *g, struct tcp_cookie *out);

/* ---------------------------------------------------------------- info.c */

/** tcp_count_xmit() - tcp_xmit() sent @len data bytes from @seq as @segs segments (one
 * GSO packet when @segs > 1: segs_out and data_segs_out count segments, as Linux's
 * tcp_skb_pcount()). */
void tcp_count_xmit(struct tcp_ep *ep, uint32_t seq, uint32_t len, uint32_t segs);
/** tcp_count_delivered() - An ACK delivered @bytes (newly ACKed or SACKed): the delivery
 * counters and the delivery-rate sample. */
void tcp_count_delivered(struct tcp_ep *ep, uint32_t bytes);

/* ---------------------------------------------------------------- forward.c */

/** tcp_fwd_offer() - handle_unknown's SYN @g for the forwarder (or one that reuses a
 * TIME_WAIT 4-tuple, with @iss_hint its ISS; 0: RFC 6528's): true if the forwarder took
 * it (a request made, or dropped for a full table: counted either way; the caller frees
 * the packet), false if there is no forwarder or @g is not a bare SYN. */
bool tcp_fwd_offer(struct tcp_stack *ts, const struct tcp_seg *g, uint32_t iss_hint);
/** tcp_fwd_fini() - Free every pending request (stack teardown). */
void tcp_fwd_fini(struct tcp_stack *ts);

/* ---------------------------------------------------------------- proto.c */

/** tcp_send_rst_to() - A control segment (RST) with no connection behind it, from
 * @id->local:lport to @id->remote:rport. */
void tcp_send_rst_to(struct tcp_stack *ts, uint32_t nic, const struct ns_tep_id *id, uint32_t seq,
                     uint32_t ack, uint8_t flags);

struct tcp_stack *tcp_stack_of(struct ns_stack *s);
/** tcp_seg_parse() - Verify the checksum and parse @pkt's TCP header into @g. On failure
 * the packet is dropped (counted) and false returned. */
bool tcp_seg_parse(struct tcp_stack *ts, struct ns_pkt *pkt, struct tcp_seg *g);
/** tcp_send_pkt() - Checksum the segment at @pkt's head (or leave the checksum partial for a
 * GSO packet or a link with TX checksum offload) and send it along @r. Consumes. */
ns_err tcp_send_pkt(struct ns_stack *s, const struct ns_route *r, struct ns_pkt *pkt, uint8_t ttl,
                    uint8_t tos);

#endif
