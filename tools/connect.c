/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: `netstack connect`, a netcat-like TCP client on the stack (host.c):
 * it connects to HOST:PORT, sends its input (stdin, or --send-file), writes every byte it
 * receives to stdout, and exits once both directions are finished.
 *
 * As in tcp_services.c, callbacks only record events; the pump runs after every loop
 * iteration and does what is possible until WOULD_BLOCK. Input: stdin is watched by the
 * loop while we need more of it (one read() per readiness, so stdin stays blocking and a
 * terminal is not disturbed); a regular file (or stdin redirected from one, which epoll
 * refuses) is read directly. Each chunk is written to the endpoint as the send buffer takes
 * it; at the end of the input we shut down our sending side (FIN after the queued data).
 * Output: stdout gets exactly the received bytes, nothing else; everything else goes to
 * stderr.
 *
 * Done means: our FIN was queued (input ended), the peer's FIN was read, and the endpoint
 * reported NS_EV_HUP, which the stack sends on entering TIME_WAIT or CLOSED, that is once
 * our FIN, and so all our data, has been acknowledged. Then the endpoint is closed and the
 * process exits 0 (a connection left in TIME_WAIT goes with the process). A refused, reset or
 * timed-out connection exits 1 with the reason; a bad argument or a device that cannot be
 * opened 2; SIGINT/SIGTERM resets the connection and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "netstack/netstack.h"
#include "tool.h"

#define INBUF (1u << 16)
/* After both FINs, how long to wait for ours to be acknowledged before giving up. */
#define FIN_WAIT_MS 5000

struct client {
	struct host *h;
	struct ns_ep *ep;
	struct ns_waiter_queue wq;
	struct ns_waiter_entry we;
	struct ns_sockaddr target;
	int in_fd;
	bool in_watched, in_ready, in_direct, in_eof;
	bool connected, shut_wr, peer_eof, hup;
	uint64_t fin_deadline_ms;
	size_t in_off, in_len;
	uint64_t sent, received;
	uint8_t inbuf[INBUF];
	uint8_t outbuf[INBUF];
};

static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void on_event(struct ns_waiter_entry *e, uint32_t events)
{
	struct client *c = e->ctx;
	if (events & NS_EV_HUP)
		c->hup = true;
}

static void on_input(struct ns_loop *l, int fd, uint32_t events, void *ctx)
{
	struct client *c = ctx;
	(void)events;
	/* Stop watching until this readiness has been used (level-triggered otherwise). */
	ns_loop_del_fd(l, fd);
	c->in_watched = false;
	c->in_ready = true;
}

static void watch_input(struct client *c)
{
	if (c->in_watched || c->in_direct)
		return;
	ns_err e = ns_loop_add_fd(c->h->loop, c->in_fd, EPOLLIN, on_input, c);
	if (e == NS_OK) {
		c->in_watched = true;
		return;
	}
	c->in_direct = true; /* a regular file: epoll refuses it, and it never blocks */
	c->in_ready = true;
}

/* Returns -1 on a fatal error, else 0. */
static int fill_input(struct client *c)
{
	if (c->in_len > c->in_off || c->in_eof)
		return 0;
	if (!c->in_ready && !c->in_direct) {
		watch_input(c);
		if (!c->in_direct)
			return 0;
	}
	ssize_t n = read(c->in_fd, c->inbuf, INBUF);
	if (!c->in_direct)
		c->in_ready = false;
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		fprintf(stderr, "netstack: connect: reading the input: %s\n", strerror(errno));
		return -1;
	}
	if (n == 0)
		c->in_eof = true;
	c->in_off = 0;
	c->in_len = (size_t)n;
	return 0;
}

static bool write_all(const uint8_t *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0;
}

/* 1: done, 0: keep going, -1: failed. */
static int pump(struct client *c)
{
	ns_err e;
	char text[64];

	if (!c->connected) {
		e = ns_ep_connect(c->ep, &c->target);
		if (e == NS_ERR_ALREADY_CONNECTING || e == NS_ERR_CONNECT_STARTED)
			return 0;
		if (e != NS_OK && e != NS_ERR_ALREADY_CONNECTED) {
			fprintf(stderr, "netstack: connect: %s:%u: %s\n",
			        ns_addr_format(&c->target.addr, text, sizeof(text)), c->target.port,
			        ns_strerror(e));
			return -1;
		}
		c->connected = true;
		struct ns_sockaddr local;
		ns_ep_local_addr(c->ep, &local);
		fprintf(stderr, "netstack: connected to %s:%u",
		        ns_addr_format(&c->target.addr, text, sizeof(text)), c->target.port);
		fprintf(stderr, " from %s:%u\n", ns_addr_format(&local.addr, text, sizeof(text)),
		        local.port);
	}
	/* Receive. */
	while (!c->peer_eof) {
		struct ns_read_result res;
		e = ns_ep_read(c->ep, c->outbuf, sizeof(c->outbuf), 0, &res);
		if (e == NS_ERR_WOULD_BLOCK)
			break;
		if (e == NS_ERR_CLOSED_FOR_RECEIVE) {
			c->peer_eof = true;
			break;
		}
		if (e != NS_OK) {
			fprintf(stderr, "netstack: connect: receiving: %s\n", ns_strerror(e));
			return -1;
		}
		if (!write_all(c->outbuf, res.count)) {
			fprintf(stderr, "netstack: connect: writing stdout: %s\n", strerror(errno));
			return -1;
		}
		c->received += res.count;
	}
	/* Send. */
	while (!c->shut_wr) {
		if (fill_input(c) < 0)
			return -1;
		if (c->in_len > c->in_off) {
			size_t w = 0;
			e = ns_ep_write(c->ep, c->inbuf + c->in_off, c->in_len - c->in_off, NULL,
			                &w);
			if (e == NS_ERR_WOULD_BLOCK)
				break;
			if (e != NS_OK) {
				fprintf(stderr, "netstack: connect: sending: %s\n", ns_strerror(e));
				return -1;
			}
			c->in_off += w;
			c->sent += w;
			if (c->in_off < c->in_len)
				break; /* the send buffer is full: NS_EV_OUT follows */
			continue;
		}
		if (!c->in_eof)
			break; /* waiting for input */
		e = ns_ep_shutdown(c->ep, NS_SHUT_WR);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: connect: shutdown: %s\n", ns_strerror(e));
			return -1;
		}
		c->shut_wr = true;
	}
	if (c->peer_eof && c->shut_wr) {
		if (c->hup)
			return 1;
		if (!c->fin_deadline_ms)
			c->fin_deadline_ms = mono_ms() + FIN_WAIT_MS;
		else if (mono_ms() >= c->fin_deadline_ms) {
			fprintf(stderr,
			        "netstack: connect: our FIN was not acknowledged within "
			        "%d ms\n",
			        FIN_WAIT_MS);
			return -1;
		}
	}
	return 0;
}

int connect_run(const struct serve_opts *o)
{
	static struct client c; /* large buffers: not on the stack */
	struct host h;
	int rc = host_open(&h, o);
	if (rc)
		goto out;
	rc = 1;
	memset(&c, 0, sizeof(c));
	c.h = &h;
	c.target = o->target;
	c.in_fd = STDIN_FILENO;
	if (o->send_file) {
		c.in_fd = open(o->send_file, O_RDONLY | O_CLOEXEC);
		if (c.in_fd < 0) {
			fprintf(stderr, "netstack: --send-file %s: %s\n", o->send_file,
			        strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	ns_waiter_queue_init(&c.wq);
	ns_waiter_entry_init(&c.we, on_event, &c);
	ns_err e = ns_ep_new(h.stack, c.target.addr.family, NS_IPPROTO_TCP, &c.wq, &c.ep);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: connect: TCP endpoint: %s\n", ns_strerror(e));
		goto out;
	}
	ns_waiter_register(&c.wq, &c.we, NS_EV_IN | NS_EV_OUT | NS_EV_ERR | NS_EV_HUP);
	host_describe(&h, o);
	/* No wait for duplicate address detection: the IPv6 addresses are optimistic (RFC
	 * 4429, host.c), a source at once. Until DAD completes the SYN goes through a default
	 * router whose link-layer address is known, or waits in the stack (3.2). */
	e = ns_ep_connect(c.ep, &c.target);
	if (e != NS_ERR_CONNECT_STARTED && e != NS_OK) {
		char text[64];
		fprintf(stderr, "netstack: connect: %s:%u: %s\n",
		        ns_addr_format(&c.target.addr, text, sizeof(text)), c.target.port,
		        ns_strerror(e));
		goto out;
	}
	for (;;) {
		int r = pump(&c);
		if (r != 0) {
			rc = r > 0 ? 0 : 1;
			break;
		}
		int timeout = -1;
		if (c.fin_deadline_ms)
			timeout = 100;
		else if (c.in_direct && c.in_ready && !c.in_eof && c.in_len == c.in_off &&
		         !c.shut_wr)
			timeout = 0;
		e = ns_loop_run_once(h.loop, timeout);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
			break;
		}
		if (h.stop) {
			fprintf(stderr, "netstack: connect: interrupted\n");
			break;
		}
		if (host_after_iteration(&h))
			break;
	}
	fprintf(stderr, "netstack: connect: sent %" PRIu64 " bytes, received %" PRIu64 " bytes\n",
	        c.sent, c.received);
out:
	if (c.ep) {
		ns_waiter_unregister(&c.we);
		if (rc != 0)
			ns_ep_set_opt(c.ep, NS_SO_LINGER, 0); /* abort: reset the peer */
		ns_ep_close(c.ep);
		if (h.loop)
			ns_loop_run_once(h.loop, 0); /* let the RST or last ACK out */
	}
	if (c.in_fd > STDIN_FILENO)
		close(c.in_fd);
	host_close(&h);
	return rc;
}
