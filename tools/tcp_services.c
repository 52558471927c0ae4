/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the TCP services of `netstack serve`, written against the public
 * endpoint API only: echo (RFC 862, port 7), discard (RFC 863, port 9), chargen (RFC 864,
 * port 19) and HTTP/1.1 (port 80), each on one listener bound to the unspecified address, so
 * they answer on every address of the stack (a connection's replies leave from the address
 * its SYN was sent to: the 4-tuple fixes it); with IPv6, on a second listener bound to ::
 * with NS_IPV6_V6ONLY (the IPv4 one keeps IPv4, as `listen [::]:80 ipv6only=on` does).
 *
 * Events and work are kept apart. A waiter callback runs inside the stack (in the middle of
 * processing a segment or a timer), so it only records the events and puts the connection
 * on the ready list; tcp_services_run(), called by serve.c after every loop iteration, takes
 * the list as it is and runs each connection's pump, which does whatever is possible now in
 * every direction until the endpoint says WOULD_BLOCK. That makes the services immune to the
 * stack's edge-style notifications (NS_EV_OUT only when the send buffer turns writable,
 * NS_EV_IN when data arrives): a pump never stops early without having seen WOULD_BLOCK (or
 * its per-run budget running out, in which case it queues itself again), so the next event
 * always comes. Closing and freeing a connection happens only in a pump, never inside a
 * callback (the waiter queue is part of the connection).
 *
 * No per-connection data buffers: received bytes stay in the endpoint's receive buffer until
 * the service can use them. Echo peeks (NS_MSG_PEEK) into one shared scratch buffer, writes,
 * and then consumes exactly what the send buffer took: a peer that does not read stops its
 * own echo through TCP's flow control. HTTP peeks at the request head, parses it in place and
 * consumes it; pipelined requests wait in the receive buffer while a response goes out, and
 * are answered in order. Responses are generated as the send buffer takes them: the head
 * (kept in the connection, under 256 bytes), then the body from a static page or from a
 * 251-periodic table at the right phase (byte i of /bytes/N is i mod 251), so a 10^9-byte
 * body costs no memory. Chargen writes from a table of its 95-line period the same way.
 *
 * Closing: echo and discard close after the peer's FIN once everything received has been
 * echoed (close() sends our FIN after what is still queued). Chargen reads and drops input
 * and closes after the peer's FIN. HTTP closes after a response with `Connection: close`
 * (the server closes first), after 400/431/501, or when the peer's FIN arrives between
 * requests, or when no complete request arrived within 60 s of the connection or of the
 * previous response (an idle keep-alive connection, or a client that trickles a head).
 * Before close() the receive buffer is drained, since close() with unread data
 * resets the connection. A connection whose endpoint reports an error (reset, timeout) is
 * closed and freed. At most TCP_SERVICES_MAX_CONNS connections live at once; beyond that a new
 * connection is accepted and reset at once (SO_LINGER 0), so the client learns it quickly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/endpoint.h"
#include "netstack/stack.h"
#include "netstack/timer.h"
#include "netstack/waiter.h"
#include "tool.h"

#define BACKLOG 4096
/* Bytes a pump moves per run before yielding to the next connection and the link. */
#define PUMP_BUDGET    (1u << 20)
#define SCRATCH        65536
#define CHARGEN_LINE   74 /* 72 characters, CR, LF */
#define CHARGEN_PERIOD (95 * CHARGEN_LINE)
#define BYTES_PERIOD   251
/* An HTTP connection waiting for a request (complete head) longer than this is closed. */
#define HTTP_IDLE_NS (60ull * 1000000000ull)

enum kind { K_ECHO, K_DISCARD, K_CHARGEN, K_HTTP, K_LISTENER };

static const struct {
	uint16_t port;
	enum kind kind;
} listeners[] = {{7, K_ECHO}, {9, K_DISCARD}, {19, K_CHARGEN}, {80, K_HTTP}};
#define NLISTENERS (sizeof(listeners) / sizeof(listeners[0]))

enum body { B_NONE, B_STATIC, B_BYTES };

struct conn {
	struct tcp_services *ts;
	struct ns_ep *ep;
	struct ns_waiter_queue wq;
	struct ns_waiter_entry we;
	struct conn *prev, *next;   /* ts->conns */
	struct conn *rprev, *rnext; /* ready list */
	bool queued;
	enum kind kind; /* a listener: the kind its connections get */
	enum kind svc;  /* K_LISTENER for listeners */
	/* chargen: position in the stream; HTTP: response progress */
	uint64_t pos;
	/* HTTP */
	uint64_t skip;     /* request body bytes still to drop */
	uint64_t body_len; /* bytes of body in the current response */
	enum body body;
	const char *static_body;
	bool responding, close_after, idle_expired;
	struct ns_timer idle; /* armed while waiting for a request */
	uint8_t head_len;
	char head[248];
};

struct tcp_services {
	struct ns_stack *stack;
	struct conn *listener[2 * NLISTENERS]; /* IPv4, then IPv6 */
	struct conn *conns;                    /* accepted connections */
	struct conn *ready, *ready_tail;
	struct tcp_services_counts c;
	uint8_t scratch[SCRATCH];
	uint8_t chargen[CHARGEN_PERIOD + SCRATCH];
	uint8_t bytes[BYTES_PERIOD + SCRATCH];
};

/* ---------------------------------------------------------------- ready list */

static void ready_push(struct tcp_services *ts, struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->rnext = NULL;
	c->rprev = ts->ready_tail;
	if (ts->ready_tail)
		ts->ready_tail->rnext = c;
	else
		ts->ready = c;
	ts->ready_tail = c;
}

static void ready_remove(struct tcp_services *ts, struct conn *c)
{
	if (!c->queued)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		ts->ready = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		ts->ready_tail = c->rprev;
	c->queued = false;
	c->rprev = c->rnext = NULL;
}

static void on_event(struct ns_waiter_entry *e, uint32_t events)
{
	struct conn *c = e->ctx;
	(void)events;
	ready_push(c->ts, c);
}

/* Runs inside the stack, as a waiter callback does: only mark and queue. */
static void on_idle(struct ns_stack *s, struct ns_timer *t)
{
	struct conn *c = t->arg;
	(void)s;
	c->idle_expired = true;
	ready_push(c->ts, c);
}

/* ---------------------------------------------------------------- lifetime */

static struct conn *conn_new(struct tcp_services *ts, enum kind svc)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ts = ts;
	c->svc = svc;
	ns_waiter_queue_init(&c->wq);
	ns_waiter_entry_init(&c->we, on_event, c);
	ns_timer_init(&c->idle, on_idle, c);
	return c;
}

static void conn_free(struct tcp_services *ts, struct conn *c, bool reset)
{
	ready_remove(ts, c);
	ns_timer_cancel(ts->stack, &c->idle);
	ns_waiter_unregister(&c->we);
	if (c->ep) {
		if (reset)
			ns_ep_set_opt(c->ep, NS_SO_LINGER, 0);
		ns_ep_close(c->ep);
	}
	if (c->svc != K_LISTENER) {
		if (c->prev)
			c->prev->next = c->next;
		else if (ts->conns == c)
			ts->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		ts->c.open--;
	}
	free(c);
}

/* Close gracefully: drop what is unread (close() would reset otherwise), then close(),
 * which sends our FIN after whatever is still queued. */
static void conn_finish(struct tcp_services *ts, struct conn *c)
{
	struct ns_read_result res;
	while (ns_ep_read(c->ep, ts->scratch, sizeof(ts->scratch), 0, &res) == NS_OK && res.count)
		;
	conn_free(ts, c, false);
}

/* An error on the endpoint (reset, timeout): nothing more to do but let go. */
static void conn_error(struct tcp_services *ts, struct conn *c)
{
	ts->c.resets++;
	conn_free(ts, c, false);
}

/* ---------------------------------------------------------------- echo, discard, chargen */

static void pump_echo(struct tcp_services *ts, struct conn *c)
{
	uint64_t moved = 0;
	for (;;) {
		struct ns_read_result res;
		ns_err e = ns_ep_read(c->ep, ts->scratch, sizeof(ts->scratch), NS_MSG_PEEK, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			return;
		if (e == NS_ERR_CLOSED_FOR_RECEIVE) {
			conn_finish(ts, c); /* the peer's FIN, everything echoed */
			return;
		}
		if (e != NS_OK) {
			conn_error(ts, c);
			return;
		}
		size_t w = 0, peeked = res.count;
		e = ns_ep_write(c->ep, ts->scratch, peeked, NULL, &w);
		if (e == NS_ERR_WOULD_BLOCK)
			return; /* NS_EV_OUT comes when the peer has read some */
		if (e != NS_OK) {
			conn_error(ts, c);
			return;
		}
		e = ns_ep_read(c->ep, ts->scratch, w, 0, &res);
		if (e != NS_OK || res.count != w) {
			conn_error(ts, c);
			return;
		}
		ts->c.echo_bytes += w;
		moved += w;
		if (w < peeked)
			return; /* the send buffer is full: NS_EV_OUT follows */
		if (moved >= PUMP_BUDGET) {
			ready_push(ts, c);
			return;
		}
	}
}

/* Read and drop input. Returns false if the connection is gone (FIN or error). */
static bool drain_input(struct tcp_services *ts, struct conn *c, uint64_t *count)
{
	for (uint64_t n = 0; n < PUMP_BUDGET;) {
		struct ns_read_result res;
		ns_err e = ns_ep_read(c->ep, ts->scratch, sizeof(ts->scratch), 0, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			return true;
		if (e == NS_ERR_CLOSED_FOR_RECEIVE) {
			conn_finish(ts, c);
			return false;
		}
		if (e != NS_OK) {
			conn_error(ts, c);
			return false;
		}
		*count += res.count;
		n += res.count;
	}
	ready_push(ts, c);
	return true;
}

static void pump_chargen(struct tcp_services *ts, struct conn *c)
{
	uint64_t dropped = 0;
	if (!drain_input(ts, c, &dropped))
		return;
	for (uint64_t n = 0; n < PUMP_BUDGET;) {
		size_t off = (size_t)(c->pos % CHARGEN_PERIOD), w = 0;
		ns_err e = ns_ep_write(c->ep, ts->chargen + off, SCRATCH, NULL, &w);
		if (e == NS_ERR_WOULD_BLOCK)
			return;
		if (e != NS_OK) {
			conn_error(ts, c);
			return;
		}
		c->pos += w;
		ts->c.chargen_bytes += w;
		n += w;
		if (w < SCRATCH)
			return; /* full: NS_EV_OUT follows */
	}
	ready_push(ts, c);
}

/* ---------------------------------------------------------------- HTTP */

static void http_respond(struct tcp_services *ts, struct conn *c, enum http_status st,
                         const struct http_req *r)
{
	const char *ctype = "text/plain; charset=utf-8";
	c->body = B_STATIC;
	switch (st) {
	case HTTP_200:
		if (r->route == HTTP_ROUTE_BYTES) {
			ctype = "application/octet-stream";
			c->body = B_BYTES;
			c->body_len = r->nbytes;
		} else {
			ctype = "text/html; charset=utf-8";
			c->static_body = http_index_page;
			c->body_len = http_index_len;
		}
		ts->c.http_2xx++;
		break;
	case HTTP_404:
		c->static_body = http_not_found_body;
		c->body_len = http_not_found_len;
		ts->c.http_4xx++;
		break;
	case HTTP_501:
		c->static_body = http_not_impl_body;
		c->body_len = http_not_impl_len;
		ts->c.http_5xx++;
		break;
	default: /* 400, 431 */
		c->static_body = http_bad_request_body;
		c->body_len = http_bad_request_len;
		ts->c.http_4xx++;
		break;
	}
	c->head_len = (uint8_t)http_format_head(c->head, sizeof(c->head), st, ctype, c->body_len,
	                                        c->close_after);
	if (r && r->head)
		c->body = B_NONE, c->body_len = 0;
	c->pos = 0;
	c->responding = true;
	ns_timer_cancel(ts->stack, &c->idle);
}

/* Send what the send buffer takes of the current response. Returns 1 when it is all
 * queued, 0 when the buffer is full (NS_EV_OUT follows), -1 if the connection is gone. */
static int http_send(struct tcp_services *ts, struct conn *c, uint64_t *budget)
{
	while (*budget < PUMP_BUDGET) {
		const uint8_t *src;
		size_t len;
		uint64_t total = c->head_len + c->body_len;
		if (c->pos >= total)
			return 1;
		if (c->pos < c->head_len) {
			/* The head, and as much of the body as fits, in one write: one segment
			 * for a small response. */
			size_t h = c->head_len - (size_t)c->pos;
			memcpy(ts->scratch, c->head + c->pos, h);
			size_t b = c->body_len < SCRATCH - h ? (size_t)c->body_len : SCRATCH - h;
			if (c->body == B_STATIC)
				memcpy(ts->scratch + h, c->static_body, b);
			else if (c->body == B_BYTES)
				memcpy(ts->scratch + h, ts->bytes, b);
			src = ts->scratch;
			len = h + b;
		} else {
			uint64_t i = c->pos - c->head_len, left = c->body_len - i;
			len = left < SCRATCH ? (size_t)left : SCRATCH;
			if (c->body == B_STATIC)
				src = (const uint8_t *)c->static_body + i;
			else
				src = ts->bytes + i % BYTES_PERIOD;
		}
		size_t w = 0;
		ns_err e = ns_ep_write(c->ep, src, len, NULL, &w);
		if (e == NS_ERR_WOULD_BLOCK)
			return 0;
		if (e != NS_OK) {
			conn_error(ts, c);
			return -1;
		}
		uint64_t before = c->pos;
		c->pos += w;
		*budget += w;
		if (c->pos > c->head_len)
			ts->c.http_body_bytes +=
			    c->pos - (before > c->head_len ? before : c->head_len);
		if (w < len)
			return 0;
	}
	ready_push(ts, c);
	return 0;
}

static void pump_http(struct tcp_services *ts, struct conn *c)
{
	uint64_t budget = 0;
	for (;;) {
		struct ns_read_result res;
		ns_err e;
		if (c->responding) {
			int r = http_send(ts, c, &budget);
			if (r <= 0)
				return;
			c->responding = false;
			if (c->close_after) {
				conn_finish(ts, c); /* the server closes first */
				return;
			}
			ns_timer_arm_in(ts->stack, &c->idle, HTTP_IDLE_NS);
		}
		if (c->idle_expired) {
			conn_finish(ts, c); /* no complete request within HTTP_IDLE_NS */
			return;
		}
		if (budget >= PUMP_BUDGET) {
			ready_push(ts, c);
			return;
		}
		/* Drop the body of the previous request. */
		while (c->skip) {
			size_t n = c->skip < SCRATCH ? (size_t)c->skip : SCRATCH;
			e = ns_ep_read(c->ep, ts->scratch, n, 0, &res);
			if (e == NS_ERR_WOULD_BLOCK)
				return;
			if (e != NS_OK) {
				if (e == NS_ERR_CLOSED_FOR_RECEIVE)
					conn_finish(ts, c);
				else
					conn_error(ts, c);
				return;
			}
			c->skip -= res.count;
		}
		e = ns_ep_read(c->ep, ts->scratch, HTTP_MAX_HEAD, NS_MSG_PEEK, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			return;
		if (e == NS_ERR_CLOSED_FOR_RECEIVE) {
			conn_finish(ts, c); /* the client closed between requests */
			return;
		}
		if (e != NS_OK) {
			conn_error(ts, c);
			return;
		}
		size_t end = http_head_end(ts->scratch, res.count);
		if (!end) {
			if (res.count >= HTTP_MAX_HEAD) {
				c->close_after = true;
				http_respond(ts, c, HTTP_431, NULL);
				ts->c.http_requests++;
				continue;
			}
			/* Incomplete: more is coming, unless the peer already sent its FIN. */
			if (ns_ep_readiness(c->ep, NS_EV_RDHUP)) {
				conn_finish(ts, c);
				return;
			}
			return;
		}
		struct http_req req;
		enum http_status st = http_parse(ts->scratch, end, &req);
		e = ns_ep_read(c->ep, ts->scratch, end, 0, &res); /* consume the head */
		if (e != NS_OK || res.count != end) {
			conn_error(ts, c);
			return;
		}
		ts->c.http_requests++;
		c->close_after = req.conn_close || st == HTTP_400 || st == HTTP_501;
		c->skip = st == HTTP_400 || st == HTTP_501 ? 0 : req.body_len;
		http_respond(ts, c, st, &req);
	}
}

/* ---------------------------------------------------------------- listeners */

static void pump_listener(struct tcp_services *ts, struct conn *l)
{
	for (int i = 0; i < 256; i++) {
		struct conn *c = conn_new(ts, l->kind);
		if (!c) {
			ready_push(ts, l);
			return;
		}
		struct ns_sockaddr peer;
		ns_err e = ns_ep_accept(l->ep, &c->wq, &c->ep, &peer);
		if (e != NS_OK) {
			free(c);
			return;
		}
		ts->c.accepted++;
		ts->c.open++;
		c->next = ts->conns;
		if (ts->conns)
			ts->conns->prev = c;
		ts->conns = c;
		if (ts->c.open > TCP_SERVICES_MAX_CONNS) {
			ts->c.refused_limit++;
			conn_free(ts, c, true);
			continue;
		}
		if (ts->c.open > ts->c.open_max)
			ts->c.open_max = ts->c.open;
		if (c->svc == K_HTTP)
			ns_timer_arm_in(ts->stack, &c->idle, HTTP_IDLE_NS);
		ns_waiter_register(&c->wq, &c->we,
		                   NS_EV_IN | NS_EV_OUT | NS_EV_ERR | NS_EV_HUP | NS_EV_RDHUP);
		ready_push(ts, c); /* data may have arrived before accept(): look now */
	}
	ready_push(ts, l);
}

static void pump(struct tcp_services *ts, struct conn *c)
{
	uint64_t dropped = 0;
	switch (c->svc) {
	case K_LISTENER:
		pump_listener(ts, c);
		break;
	case K_ECHO:
		pump_echo(ts, c);
		break;
	case K_DISCARD:
		drain_input(ts, c, &dropped);
		ts->c.discard_bytes += dropped;
		break;
	case K_CHARGEN:
		pump_chargen(ts, c);
		break;
	case K_HTTP:
		pump_http(ts, c);
		break;
	}
}

bool tcp_services_run(struct tcp_services *ts)
{
	if (!ts)
		return false;
	/* Take the list as it is: connections queued while it runs wait for the next round,
	 * after the loop had a chance to read frames. */
	struct conn *tail = ts->ready_tail;
	while (ts->ready) {
		struct conn *c = ts->ready;
		bool last = c == tail;
		ready_remove(ts, c);
		pump(ts, c);
		if (last)
			break;
	}
	return ts->ready != NULL;
}

static void fill_tables(struct tcp_services *ts)
{
	/* RFC 864: line n holds printable characters n .. n+71 (mod 95) of ' '..'~'. */
	for (size_t i = 0; i < sizeof(ts->chargen); i++) {
		size_t p = i % CHARGEN_PERIOD, line = p / CHARGEN_LINE, col = p % CHARGEN_LINE;
		ts->chargen[i] = col < 72    ? (uint8_t)(' ' + (line + col) % 95)
		                 : col == 72 ? '\r'
		                             : '\n';
	}
	for (size_t i = 0; i < sizeof(ts->bytes); i++)
		ts->bytes[i] = (uint8_t)(i % BYTES_PERIOD);
}

struct tcp_services *tcp_services_start(struct ns_stack *s, bool ipv6, char *err, size_t errlen)
{
	struct tcp_services *ts = calloc(1, sizeof(*ts));
	if (!ts) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ts->stack = s;
	fill_tables(ts);
	for (size_t j = 0; j < (ipv6 ? 2 : 1) * NLISTENERS; j++) {
		size_t i = j % NLISTENERS;
		uint8_t family = j < NLISTENERS ? NS_AF_INET : NS_AF_INET6;
		struct conn *l = conn_new(ts, K_LISTENER);
		if (!l) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		l->kind = listeners[i].kind;
		ts->listener[j] = l;
		ns_err e = ns_ep_new(s, family, NS_IPPROTO_TCP, &l->wq, &l->ep);
		if (e != NS_OK) {
			snprintf(err, errlen, "TCP endpoint: %s", ns_strerror(e));
			goto fail;
		}
		struct ns_sockaddr any = {.addr = {.family = family}, .port = listeners[i].port};
		ns_ep_set_opt(l->ep, NS_SO_REUSEADDR, 1);
		if (family == NS_AF_INET6)
			ns_ep_set_opt(l->ep, NS_IPV6_V6ONLY, 1);
		e = ns_ep_bind(l->ep, &any);
		if (e == NS_OK)
			e = ns_ep_listen(l->ep, BACKLOG);
		if (e != NS_OK) {
			snprintf(err, errlen, "TCP port %u: %s", listeners[i].port, ns_strerror(e));
			goto fail;
		}
		ns_waiter_register(&l->wq, &l->we, NS_EV_IN);
	}
	return ts;
fail:
	tcp_services_stop(ts);
	return NULL;
}

void tcp_services_counts(const struct tcp_services *ts, struct tcp_services_counts *out)
{
	*out = ts->c;
}

void tcp_services_stop(struct tcp_services *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < 2 * NLISTENERS; i++)
		if (ts->listener[i])
			conn_free(ts, ts->listener[i], false);
	while (ts->conns)
		conn_free(ts, ts->conns, true);
	free(ts);
}
