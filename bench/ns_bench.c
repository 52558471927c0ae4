/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: netstack's side of the benchmark (docs/PERFORMANCE.md has the method).
 *
 * `ns_bench inproc` puts two stacks in one process, one thread: A (the client, 192.0.2.1 and
 * three more addresses) and B (the server, 192.0.2.2), each on a channel link whose write hook
 * appends the frame to a queue; the main loop moves queued frames to the other side, runs
 * the applications and fires both stacks' timers on the real monotonic clock. By default the
 * channels are like a veth pair with TSO and checksum offload (NS_CAP_HW_GSO |
 * NS_CAP_TX_CSUM_OFFLOAD): GSO packets of up to 64 KiB cross whole, as packets (their
 * offload metadata with them). With --no-offload the channels
 * advertise nothing: TCP sends MTU-sized segments with full checksums, and each frame's bytes
 * are copied across, as a wire would. Never re-entering one stack from inside the other keeps
 * the call stack flat and the measurement honest: each frame is built, queued, parsed and
 * consumed.
 * It measures, one after the other:
 *   bulk   A writes, B reads, for --seconds: goodput in Gbit/s
 *   rr     1 byte A->B, 1 byte back, TCP_NODELAY both ways: transactions per second
 *   crr    connect, B accepts and closes, A sees EOF and closes: cycles per second
 *   idle   --conns established connections held open: bytes of RSS (and of malloc'd heap)
 *          per endpoint (each connection is two endpoints here, one per stack)
 *
 * `ns_bench serve` is netstack on an existing TAP device, driven by the event loop as
 * `netstack serve` is (with IFF_VNET_HDR and TUNSETOFFLOAD csum,tso4,tso6 unless
 * --no-offload), with the benchmark's four TCP services on the given address: discard
 * (5001), source (5002: endless bytes, paced by flow control), echo (5003) and close (5004:
 * accept, then close at once). bench/client.c drives it from the kernel side. It prints
 * `ready` once listening and runs until SIGTERM/SIGINT, then prints the link's counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "netstack/netstack.h"

#define PORT_DISCARD 5001
#define PORT_SOURCE  5002
#define PORT_ECHO    5003
#define PORT_CLOSE   5004
#define NIC          1
#define CHUNK        65536

static uint8_t iobuf[CHUNK];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, ns_err e)
{
	fprintf(stderr, "ns_bench: %s: %s\n", what, ns_strerror(e));
	exit(1);
}

static void check(const char *what, ns_err e)
{
	if (e != NS_OK)
		fail(what, e);
}

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

/* ================================================================ in-process */

struct side {
	struct ns_stack *s;
	struct ns_link *ch;
	struct ns_pkt *qh, *qt; /* frames this side wrote, not yet delivered */
};

struct world {
	struct side a, b;
	uint64_t frames;
	bool offload; /* channels with TSO and checksum offload */
};

#define N_CLIENT_ADDRS 4
static const uint8_t client_hosts[N_CLIENT_ADDRS] = {1, 3, 4, 5};

static void on_write(void *ctx, struct ns_pkt *pkt)
{
	struct side *sd = ctx;

	pkt->next = NULL;
	if (sd->qt)
		sd->qt->next = pkt;
	else
		sd->qh = pkt;
	sd->qt = pkt;
}

static void side_init(struct side *sd, const uint8_t *mine, int nmine, const uint8_t *peers,
                      int npeers, uint32_t mtu, bool offload)
{
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {.mtu = mtu, .header = NS_LINK_HDR_ETHERNET};
	struct ns_route_entry r = {.dest = {.addr = ns_addr_v4(192, 0, 2, 0), .prefix = 24},
	                           .nic = NIC};

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.ephemeral_lo = 1024; /* many connections per client address */
	cfg.ephemeral_hi = 65535;
	check("stack", ns_stack_new(&cfg, &sd->s));
	cc.mac = (struct ns_mac){{2, 0, 0, 0, 0, mine[0]}};
	cc.caps = NS_CAP_RESOLUTION_REQUIRED;
	if (offload)
		cc.caps |= NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD;
	cc.queue_len = 1u << 20;
	sd->ch = ns_channel_new(&cc);
	if (!sd->ch)
		fail("channel", NS_ERR_NO_MEMORY);
	ns_channel_set_write_hook(sd->ch, on_write, sd);
	check("nic", ns_stack_add_nic(sd->s, NIC, sd->ch, "b0"));
	for (int i = 0; i < nmine; i++) {
		struct ns_subnet a = {.addr = ns_addr_v4(192, 0, 2, mine[i]), .prefix = 24};
		check("address", ns_stack_add_address(sd->s, NIC, &a));
	}
	(void)ns_stack_add_route(sd->s, &r); /* may exist already as the address's subnet */
	for (int i = 0; i < npeers; i++) {
		struct ns_addr pa = ns_addr_v4(192, 0, 2, peers[i]);
		/* Every address of a stack answers on the same MAC. */
		struct ns_mac pm = {{2, 0, 0, 0, 0, peers[0]}};
		check("neighbor", ns_stack_add_static_neighbor(sd->s, NIC, &pa, &pm));
	}
}

static void world_init(struct world *w, uint32_t mtu, bool offload)
{
	static const uint8_t server[] = {2};

	w->offload = offload;
	side_init(&w->a, client_hosts, N_CLIENT_ADDRS, server, 1, mtu, offload);
	side_init(&w->b, server, 1, client_hosts, N_CLIENT_ADDRS, mtu, offload);
}

static void world_free(struct world *w)
{
	ns_stack_free(w->a.s);
	ns_stack_free(w->b.s);
	ns_pkt_free_list(w->a.qh);
	ns_pkt_free_list(w->b.qh);
	ns_link_destroy(w->a.ch);
	ns_link_destroy(w->b.ch);
}

/* Deliver what each side wrote to the other until both are quiet; returns frames moved. */
static uint64_t pump(struct world *w)
{
	uint64_t n = 0, round;
	struct side *from[2] = {&w->a, &w->b}, *to[2] = {&w->b, &w->a};

	do {
		round = 0;
		for (int i = 0; i < 2; i++) {
			struct ns_pkt *p = from[i]->qh;

			/* Take the whole queue: frames written while it is delivered go to the
			 * next round. */
			from[i]->qh = from[i]->qt = NULL;
			while (p) {
				struct ns_pkt *next = p->next;

				if (w->offload) {
					/* Like a veth: the packet itself, offload metadata and all.
					 */
					ns_channel_inject(to[i]->ch, p);
				} else {
					ns_channel_inject_bytes(to[i]->ch, ns_pkt_data(p), p->len);
					ns_pkt_free(p);
				}
				p = next;
				round++;
			}
		}
		n += round;
	} while (round);
	w->frames += n;
	return n;
}

static void tick(struct world *w)
{
	ns_stack_poll(w->a.s);
	ns_stack_poll(w->b.s);
	pump(w);
}

static struct ns_ep *listen_on(struct ns_stack *s, const struct ns_addr *a, uint16_t port)
{
	struct ns_ep *ep;
	struct ns_sockaddr sa = {.addr = *a, .port = port};

	check("listener", ns_ep_new(s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &ep));
	check("reuseaddr", ns_ep_set_opt(ep, NS_SO_REUSEADDR, 1));
	check("bind", ns_ep_bind(ep, &sa));
	check("listen", ns_ep_listen(ep, 4096));
	return ep;
}

/* Connect from client address @ci of A; pumps until established. */
static struct ns_ep *connect_to(struct world *w, int ci, uint16_t port, bool wait)
{
	struct ns_ep *ep;
	struct ns_sockaddr local = {.addr = ns_addr_v4(192, 0, 2, client_hosts[ci])};
	struct ns_sockaddr to = {.addr = ns_addr_v4(192, 0, 2, 2), .port = port};
	ns_err e;

	check("client", ns_ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &ep));
	e = ns_ep_bind(ep, &local);
	if (e != NS_OK) {
		ns_ep_close(ep);
		return NULL;
	}
	e = ns_ep_connect(ep, &to);
	if (e != NS_OK && e != NS_ERR_CONNECT_STARTED) {
		ns_ep_close(ep);
		return NULL;
	}
	pump(w);
	if (wait && !(ns_ep_readiness(ep, NS_EV_OUT) & NS_EV_OUT)) {
		ns_ep_close(ep);
		return NULL;
	}
	return ep;
}

static struct ns_ep *accept_one(struct ns_ep *l)
{
	struct ns_ep *c = NULL;
	return ns_ep_accept(l, NULL, &c, NULL) == NS_OK ? c : NULL;
}

static double bench_bulk(struct world *w, double secs)
{
	struct ns_addr srv = ns_addr_v4(192, 0, 2, 2);
	struct ns_ep *l = listen_on(w->b.s, &srv, PORT_DISCARD);
	struct ns_ep *c = connect_to(w, 0, PORT_DISCARD, true);
	struct ns_ep *s = accept_one(l);
	uint64_t rcvd = 0;
	double t0, t;

	if (!c || !s)
		fail("bulk: connection", NS_ERR_CONNECTION_REFUSED);
	memset(iobuf, 'b', sizeof(iobuf));
	t0 = t = now_s();
	for (uint64_t it = 0; t - t0 < secs; it++) {
		size_t wrote;
		struct ns_read_result r;

		while (ns_ep_write(c, iobuf, sizeof(iobuf), NULL, &wrote) == NS_OK && wrote)
			pump(w);
		pump(w);
		while (ns_ep_read(s, iobuf, sizeof(iobuf), 0, &r) == NS_OK && r.count) {
			rcvd += r.count;
			pump(w);
		}
		if (it % 16 == 0) {
			tick(w);
			t = now_s();
		}
	}
	t = now_s();
	ns_ep_close(c);
	ns_ep_close(s);
	ns_ep_close(l);
	tick(w);
	return (double)rcvd * 8 / (t - t0) / 1e9;
}

static double bench_rr(struct world *w, double secs)
{
	struct ns_addr srv = ns_addr_v4(192, 0, 2, 2);
	struct ns_ep *l = listen_on(w->b.s, &srv, PORT_ECHO);
	struct ns_ep *c = connect_to(w, 0, PORT_ECHO, true);
	struct ns_ep *s = accept_one(l);
	uint64_t n = 0;
	double t0, t;
	uint8_t byte = 'r';

	if (!c || !s)
		fail("rr: connection", NS_ERR_CONNECTION_REFUSED);
	check("nodelay", ns_ep_set_opt(c, NS_TCP_NODELAY, 1));
	check("nodelay", ns_ep_set_opt(s, NS_TCP_NODELAY, 1));
	t0 = t = now_s();
	while (t - t0 < secs) {
		size_t wrote;
		struct ns_read_result r;

		check("rr write", ns_ep_write(c, &byte, 1, NULL, &wrote));
		pump(w);
		check("rr server read", ns_ep_read(s, &byte, 1, 0, &r));
		check("rr echo", ns_ep_write(s, &byte, 1, NULL, &wrote));
		pump(w);
		check("rr read", ns_ep_read(c, &byte, 1, 0, &r));
		if (++n % 256 == 0) {
			tick(w);
			t = now_s();
		}
	}
	t = now_s();
	ns_ep_close(c);
	ns_ep_close(s);
	ns_ep_close(l);
	tick(w);
	return (double)n / (t - t0);
}

static double bench_crr(struct world *w, double secs)
{
	struct ns_addr srv = ns_addr_v4(192, 0, 2, 2);
	struct ns_ep *l = listen_on(w->b.s, &srv, PORT_CLOSE);
	uint64_t n = 0, failed = 0;
	double t0, t;

	t0 = t = now_s();
	while (t - t0 < secs) {
		struct ns_read_result r;
		struct ns_ep *c = connect_to(w, (int)(n % N_CLIENT_ADDRS), PORT_CLOSE, false);
		struct ns_ep *s = accept_one(l);

		if (s) {
			ns_ep_close(s);
			pump(w);
		}
		if (c) {
			ns_err e = ns_ep_read(c, iobuf, 1, 0, &r);
			if (e == NS_ERR_CLOSED_FOR_RECEIVE && s)
				n++;
			else
				failed++;
			ns_ep_close(c);
			pump(w);
		} else {
			failed++;
		}
		if ((n + failed) % 64 == 0) {
			tick(w);
			t = now_s();
		}
		if (failed > 1000)
			fail("crr: too many failed cycles", NS_ERR_CONNECTION_REFUSED);
	}
	t = now_s();
	ns_ep_close(l);
	tick(w);
	return (double)n / (t - t0);
}

static void bench_idle(struct world *w, long want, long *got, double *rss_per, double *heap_per)
{
	struct ns_addr srv = ns_addr_v4(192, 0, 2, 2);
	struct ns_ep *l = listen_on(w->b.s, &srv, PORT_DISCARD);
	struct ns_ep **eps = calloc((size_t)want * 2, sizeof(*eps));
	long n = 0;

	if (!eps)
		fail("idle", NS_ERR_NO_MEMORY);
	malloc_trim(0);
	long rss0 = rss_bytes();
	size_t heap0 = mallinfo2().uordblks;

	for (long i = 0; i < want; i++) {
		struct ns_ep *c = connect_to(w, (int)(i % N_CLIENT_ADDRS), PORT_DISCARD, true);
		struct ns_ep *s = c ? accept_one(l) : NULL;
		if (!s) {
			if (c)
				ns_ep_close(c);
			break;
		}
		eps[2 * n] = c;
		eps[2 * n + 1] = s;
		n++;
		if (i % 1024 == 0)
			tick(w);
	}
	tick(w);
	long rss1 = rss_bytes();
	size_t heap1 = mallinfo2().uordblks;
	/* The array of endpoint pointers is the benchmark's, not the stack's. */
	double mine = (double)want * 2 * sizeof(*eps);
	*got = n;
	*rss_per = n ? ((double)(rss1 - rss0) - mine) / (double)(2 * n) : 0;
	*heap_per = n ? (double)(heap1 - heap0) / (double)(2 * n) : 0;
	for (long i = 0; i < 2 * n; i++)
		ns_ep_close(eps[i]);
	free(eps);
	ns_ep_close(l);
	tick(w);
}

/* Is @name one of the comma-separated words of @list? */
static bool has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static int run_inproc(double secs, long conns, uint32_t mtu, const char *which, bool offload)
{
	struct world w = {0};

	world_init(&w, mtu, offload);
	if (has(which, "bulk"))
		printf("inproc_bulk_gbps %.3f\n", bench_bulk(&w, secs));
	fflush(stdout);
	if (has(which, "rr"))
		printf("inproc_rr_per_s %.0f\n", bench_rr(&w, secs));
	fflush(stdout);
	if (has(which, "crr"))
		printf("inproc_crr_per_s %.0f\n", bench_crr(&w, secs));
	fflush(stdout);
	world_free(&w);
	if (has(which, "idle")) {
		long got;
		double rss_per, heap_per;

		/* A fresh pair of stacks: no TIME_WAIT left over from crr. */
		memset(&w, 0, sizeof(w));
		world_init(&w, mtu, offload);
		bench_idle(&w, conns, &got, &rss_per, &heap_per);
		printf("inproc_idle_conns %ld\n", got);
		printf("inproc_idle_rss_bytes %.0f\n", rss_per);
		printf("inproc_idle_heap_bytes %.0f\n", heap_per);
		world_free(&w);
	}
	return 0;
}

/* ================================================================ on a TAP */

enum role { R_LISTEN, R_DISCARD, R_SOURCE, R_ECHO };

struct conn {
	struct conn *next_dead;
	struct ns_ep *ep;
	enum role role;
	uint16_t port;
	bool dead;
	struct ns_waiter_queue wq;
	struct ns_waiter_entry we;
};

static struct conn *dead_list;

static void conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	ns_waiter_unregister(&c->we);
	c->next_dead = dead_list;
	dead_list = c;
}

/* Endpoints are closed outside the waiter callbacks (a callback must not free its own). */
static void reap(void)
{
	while (dead_list) {
		struct conn *c = dead_list;
		dead_list = c->next_dead;
		ns_ep_close(c->ep);
		free(c);
	}
}

static void conn_service(struct conn *c);

static void on_event(struct ns_waiter_entry *e, uint32_t events)
{
	(void)events;
	conn_service(e->ctx);
}

static void conn_accept(struct conn *l)
{
	for (;;) {
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			return;
		ns_waiter_queue_init(&c->wq);
		ns_waiter_entry_init(&c->we, on_event, c);
		if (ns_ep_accept(l->ep, &c->wq, &c->ep, NULL) != NS_OK) {
			free(c);
			return;
		}
		if (l->port == PORT_CLOSE) {
			c->dead = true; /* never registered */
			c->next_dead = dead_list;
			dead_list = c;
			continue;
		}
		c->role = l->port == PORT_SOURCE ? R_SOURCE
		          : l->port == PORT_ECHO ? R_ECHO
		                                 : R_DISCARD;
		if (c->role == R_ECHO)
			ns_ep_set_opt(c->ep, NS_TCP_NODELAY, 1);
		ns_waiter_register(&c->wq, &c->we, NS_EV_IN | NS_EV_OUT | NS_EV_HUP | NS_EV_ERR);
		conn_service(c); /* events before accept() were not ours to see */
	}
}

static void conn_service(struct conn *c)
{
	struct ns_read_result r;
	size_t wrote;
	ns_err e;

	if (c->dead)
		return;
	switch (c->role) {
	case R_LISTEN:
		conn_accept(c);
		return;
	case R_SOURCE:
		while ((e = ns_ep_write(c->ep, iobuf, sizeof(iobuf), NULL, &wrote)) == NS_OK &&
		       wrote == sizeof(iobuf)) {
		}
		if (e != NS_OK && e != NS_ERR_WOULD_BLOCK)
			conn_kill(c);
		return;
	case R_DISCARD:
	case R_ECHO:
		while ((e = ns_ep_read(c->ep, iobuf, sizeof(iobuf), 0, &r)) == NS_OK && r.count) {
			if (c->role == R_ECHO &&
			    (ns_ep_write(c->ep, iobuf, r.count, NULL, &wrote) != NS_OK ||
			     wrote != r.count)) {
				conn_kill(c);
				return;
			}
		}
		if (e != NS_OK && e != NS_ERR_WOULD_BLOCK)
			conn_kill(c); /* EOF or error */
		return;
	}
}

struct serve {
	volatile int stop;
};

static void on_signal(struct ns_loop *l, int fd, uint32_t events, void *ctx)
{
	struct serve *sv = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		sv->stop = 1;
		ns_loop_stop(l);
	}
}

static int parse_v4(const char *text, struct ns_subnet *out)
{
	unsigned a, b, c, d, p = 24;
	if (sscanf(text, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &p) < 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255 || p > 32)
		return -1;
	out->addr = ns_addr_v4((uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d);
	out->prefix = (uint8_t)p;
	return 0;
}

static int run_serve(const char *dev, const char *addr_text, bool offload)
{
	static const uint16_t ports[] = {PORT_DISCARD, PORT_SOURCE, PORT_ECHO, PORT_CLOSE};
	struct serve sv = {0};
	struct ns_stack_config cfg;
	struct ns_stack *s;
	struct ns_loop *loop;
	struct ns_link *link;
	struct ns_subnet a;
	char err[256];
	sigset_t set;
	int sigfd;

	if (parse_v4(addr_text, &a) < 0) {
		fprintf(stderr, "ns_bench: bad address %s\n", addr_text);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	check("stack", ns_stack_new(&cfg, &s));
	struct ns_tuntap_config tc = {.kind = NS_TAP,
	                              .name = dev,
	                              .bring_up = true,
	                              .vnet_hdr = offload,
	                              .offloads =
	                                  offload ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0};
	link = ns_tuntap_open(&tc, err, sizeof(err));
	if (!link) {
		fprintf(stderr, "ns_bench: %s: %s\n", dev, err);
		return 2;
	}
	check("nic", ns_stack_add_nic(s, NIC, link, dev));
	check("address", ns_stack_add_address(s, NIC, &a));
	struct ns_route_entry r = {.dest = a, .nic = NIC};
	for (unsigned bit = a.prefix; bit < 32; bit++)
		r.dest.addr.a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	check("route", ns_stack_add_route(s, &r));
	memset(iobuf, 's', sizeof(iobuf));
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct conn *l = calloc(1, sizeof(*l));
		struct ns_sockaddr sa = {.addr = a.addr, .port = ports[i]};
		if (!l)
			fail("listener", NS_ERR_NO_MEMORY);
		l->role = R_LISTEN;
		l->port = ports[i];
		ns_waiter_queue_init(&l->wq);
		ns_waiter_entry_init(&l->we, on_event, l);
		check("listener", ns_ep_new(s, NS_AF_INET, NS_IPPROTO_TCP, &l->wq, &l->ep));
		check("bind", ns_ep_bind(l->ep, &sa));
		check("listen", ns_ep_listen(l->ep, 4096));
		ns_waiter_register(&l->wq, &l->we, NS_EV_IN);
	}
	check("loop", ns_loop_new(&loop));
	check("loop", ns_loop_add_stack(loop, s));
	check("loop", ns_loop_add_fd(loop, sigfd, EPOLLIN, on_signal, &sv));
	printf("ready\n");
	fflush(stdout);
	while (!sv.stop) {
		check("loop", ns_loop_run_once(loop, -1));
		reap();
	}
	const struct ns_stats *st = ns_stack_stats(s);
	fprintf(stderr,
	        "ns_bench: %s rx_frames %" PRIu64 " tx_frames %" PRIu64 " rx_errors %" PRIu64
	        " tx_errors %" PRIu64 " tx_dropped %" PRIu64 " gso_rx %" PRIu64 " gso_tx %" PRIu64
	        "\n",
	        dev, link->rx_frames, link->tx_frames, link->rx_errors, link->tx_errors,
	        link->tx_dropped, st->stat[NS_STAT_GSO_RX], st->stat[NS_STAT_GSO_TX]);
	ns_loop_free(loop);
	ns_stack_free(s);
	ns_link_destroy(link);
	close(sigfd);
	return 0;
}

/* ================================================================ main */

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: ns_bench inproc [--seconds S] [--conns N] [--mtu M] [--only bulk,rr,crr,idle]\n"
	    "                       [--no-offload]\n"
	    "       ns_bench serve --tap DEV --addr A.B.C.D/P [--no-offload]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "inproc") == 0) {
		double secs = 2;
		long conns = 100000;
		uint32_t mtu = 1500;
		const char *which = "bulk,rr,crr,idle";
		bool offload = true;
		for (int i = 2; i < argc; i += 2) {
			if (strcmp(argv[i], "--no-offload") == 0) {
				offload = false;
				i--;
				continue;
			}
			if (i + 1 >= argc)
				return usage();
			if (strcmp(argv[i], "--seconds") == 0)
				secs = atof(argv[i + 1]);
			else if (strcmp(argv[i], "--conns") == 0)
				conns = atol(argv[i + 1]);
			else if (strcmp(argv[i], "--mtu") == 0)
				mtu = (uint32_t)atol(argv[i + 1]);
			else if (strcmp(argv[i], "--only") == 0)
				which = argv[i + 1];
			else
				return usage();
		}
		return run_inproc(secs, conns, mtu, which, offload);
	}
	if (strcmp(argv[1], "serve") == 0) {
		const char *dev = NULL, *addr = NULL;
		bool offload = true;
		for (int i = 2; i < argc; i += 2) {
			if (strcmp(argv[i], "--no-offload") == 0) {
				offload = false;
				i--;
				continue;
			}
			if (i + 1 >= argc)
				return usage();
			if (strcmp(argv[i], "--tap") == 0)
				dev = argv[i + 1];
			else if (strcmp(argv[i], "--addr") == 0)
				addr = argv[i + 1];
			else
				return usage();
		}
		if (!dev || !addr)
			return usage();
		return run_serve(dev, addr, offload);
	}
	return usage();
}
