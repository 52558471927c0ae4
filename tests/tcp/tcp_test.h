/* SPDX-License-Identifier: MIT */
/*
 * TCP packet-test helpers on top of the harness (tests/lib/harness.h): the stack under test
 * at 192.0.2.2 talks to a scripted peer at 192.0.2.1 over the channel link.
 *
 * Segments are templates, as the harness's: TT_SEG(...) starts with every field unset and
 * the designated initializers override it. Sending fills the unset fields from the
 * connection as the peer sees it (lwIP's tcp_create_rx_segment idea):
 *   ports  peer TT_PEER_PORT -> us t->port;
 *   seq    t->pseq, the peer's next sequence number (advanced by what a default-seq segment
 *          occupies, so consecutive sends continue the stream);
 *   ack    t->rnxt, one past the last sequence number the stack has sent (as captured);
 *   flags  ACK; window 65535; no options; checksum computed.
 * Checking compares only the fields set, after verifying the IPv4 and TCP checksums, and
 * moves t->rnxt past what the captured segment occupies. Options: .mss/.wscale/.sack_perm/
 * .ts (0 absent, 1 present)/.tsval/.tsecr/.nsack; a checker with .ts = 0 insists there is
 * no timestamp option.
 *
 * Fixtures drive the real handshake (no second source of truth): tt_listen() +
 * tt_passive_open(), or tt_active_open(). Every test ends with tt_finish(), which closes
 * what the test left open, lets virtual time run until every connection is gone (FIN
 * retransmissions, TIME_WAIT, orphan timeouts), discards what that sent, and runs the
 * harness teardown (no live endpoint, no leaked packet).
 */
#ifndef NS_TEST_TCP_TEST_H
#define NS_TEST_TCP_TEST_H

#include "harness.h"
#include "tcp/tcp.h"

#define TT_PORT      80           /* the stack's listening port */
#define TT_PEER_PORT NT_DEF_SPORT /* the peer's port (40000) */
#define TT_PEER_ISS  1000000u     /* the peer's initial sequence number */
#define TT_MSS       1460         /* the MSS the peer's SYN carries by default */

struct tt_seg {
	NT_IP_FIELDS;
	int64_t sport, dport, seq, ack, flags, window, urg, csum;
	int64_t mss, wscale, sack_perm, ts, tsval, tsecr;
	int64_t nsack;
	uint32_t sack[2 * TCP_MAX_SACK]; /* left, right pairs */
	const void *payload;
	int64_t len;
};
#define TT_SEG(...)                                                                              \
	(&(const struct tt_seg){NT_IP_UNSET_, .sport = NT_ANY, .dport = NT_ANY, .seq = NT_ANY,   \
	                        .ack = NT_ANY, .flags = NT_ANY, .window = NT_ANY, .urg = NT_ANY, \
	                        .csum = NT_ANY, .mss = NT_ANY, .wscale = NT_ANY,                 \
	                        .sack_perm = NT_ANY, .ts = NT_ANY, .tsval = NT_ANY,              \
	                        .tsecr = NT_ANY, .nsack = NT_ANY, .len = NT_ANY, __VA_ARGS__})

/* What a checker captured. */
struct tt_rx {
	struct tcp_repr h;
	const uint8_t *payload;
	uint32_t len;
	uint8_t buf[NT_FRAME_MAX];
};

struct tt {
	struct nt nt;
	uint16_t port;   /* our port (TT_PORT, or the ephemeral one after connect) */
	uint32_t pseq;   /* the peer's next sequence number */
	uint32_t rnxt;   /* one past the stack's highest sequence number seen */
	struct ns_ep *l; /* the listener (passive) */
	struct ns_ep *c; /* the connection (accepted, or connecting) */
	struct ns_waiter_queue lwq, cwq;
	struct ns_waiter_entry lwe, cwe;
	uint32_t lev, cev; /* events notified so far */
	struct tt_rx rx;
};

/** tt_setup() - The harness world with TCP registered; @tune may change the TCP settings
 * (tcp_config()) before anything is created. */
void tt_setup(struct tt *t, void (*tune)(struct tcp_config *c));
/** tt_setup_caps() - tt_setup() on a link that also advertises @caps (NS_CAP_HW_GSO,
 * NS_CAP_SW_GSO, NS_CAP_TX_CSUM_OFFLOAD...). */
void tt_setup_caps(struct tt *t, void (*tune)(struct tcp_config *c), uint32_t caps);
/** tt_finish() - Close t->c and t->l, run out every timer, check for leaks. */
void tt_finish(struct tt *t);

/* cmocka fixtures: *state is a heap struct tt. */
int tt_cm_setup(void **state);
int tt_cm_teardown(void **state);

void tt_send(struct tt *t, const struct tt_seg *m);
const struct tt_rx *tt_expect_at(struct tt *t, const struct tt_seg *m, const char *file, int line);
#define tt_expect(t, m)      tt_expect_at(t, m, __FILE__, __LINE__)
#define tt_expect_nothing(t) nt_expect_nothing(&(t)->nt)

/** tt_listen() - t->l listening on TT_PORT (backlog 16). */
void tt_listen(struct tt *t);
/** tt_passive_open() - Peer SYN (@syn overrides: options, window...) -> SYN-ACK -> ACK ->
 * accept(): t->c ESTABLISHED. Returns the SYN-ACK captured. */
const struct tt_rx *tt_passive_open(struct tt *t, const struct tt_seg *syn);
/** tt_active_open() - connect() to the peer -> SYN -> peer SYN-ACK (@synack overrides) ->
 * ACK: t->c ESTABLISHED. */
void tt_active_open(struct tt *t, const struct tt_seg *synack);
/** tt_established() - tt_listen() + tt_passive_open() with the default SYN. */
void tt_established(struct tt *t);

/** tt_no_quickack() - End t->c's quick-ACK start (Linux's: the first 16 segments are
 * ACKed at once), for tests of the delayed-ACK rules that apply after it. */
#define tt_no_quickack(t) (tt_ep((t)->c)->quickack = 0)

/* The endpoint's TCP state, and the API calls tests use, asserting success. */
enum tcp_state tt_state(struct ns_ep *ep);
struct tcp_ep *tt_ep(struct ns_ep *ep);
void tt_write(struct ns_ep *ep, const void *buf, size_t len);
size_t tt_read(struct ns_ep *ep, void *buf, size_t len);

#endif
