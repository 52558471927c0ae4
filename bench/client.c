/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the kernel-socket side of every benchmark run over a TAP or a veth.
 * The same program drives netstack, lwIP and the kernel itself, so the three are measured
 * with exactly the same client code.
 *
 * Client modes (each runs for a fixed time and prints one `name value` line):
 *   down HOST SECS   connect to the source port, read for SECS; Gbit/s of goodput
 *   up HOST SECS     connect to the discard port, write for SECS; Gbit/s of goodput
 *   rr HOST SECS     1-byte request, 1-byte answer on the echo port, TCP_NODELAY; per second
 *   crr HOST SECS [FIRST SRC N]  connect to the close port, wait for the server's FIN, close;
 *                    per second (source tuples walked from FIRST over N addresses from SRC)
 *   idle HOST N      open N connections to the discard port, print `open N` when all are
 *                    established, then hold them until stdin reaches EOF
 * Server mode (`server`): the same roles on the kernel's sockets, one thread, epoll, as
 * the user-space stacks run them: discard, source, echo and accept-then-close.
 *
 * Ports (shared with ns_bench and lwip_bench): 5001 discard, 5002 source, 5003 echo,
 * 5004 close.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT_DISCARD 5001
#define PORT_SOURCE  5002
#define PORT_ECHO    5003
#define PORT_CLOSE   5004
#define BUF_SIZE     (256 * 1024)

static char buf[BUF_SIZE];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in addr_of(const char *host, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "bench_client: bad address %s\n", host);
		exit(2);
	}
	return a;
}

static int dial(const char *host, int port)
{
	struct sockaddr_in a = addr_of(host, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return fd;
}

static int run_down(const char *host, double secs)
{
	int fd = dial(host, PORT_SOURCE);
	uint64_t bytes = 0;
	double t0 = now_s(), t = t0;

	while (t - t0 < secs) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			die("read");
		bytes += (uint64_t)n;
		t = now_s();
	}
	printf("down_gbps %.3f\n", (double)bytes * 8 / (t - t0) / 1e9);
	close(fd);
	return 0;
}

static int run_up(const char *host, double secs)
{
	int fd = dial(host, PORT_DISCARD);
	uint64_t bytes = 0;
	double t0 = now_s(), t = t0;

	memset(buf, 'x', sizeof(buf));
	while (t - t0 < secs) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			die("write");
		bytes += (uint64_t)n;
		t = now_s();
	}
	/* Goodput counts what the peer has taken: bytes still in our send queue are not. */
	int unsent = 0;
#ifdef SIOCOUTQ
	ioctl(fd, SIOCOUTQ, &unsent);
#endif
	printf("up_gbps %.3f\n", (double)(bytes - (uint64_t)unsent) * 8 / (t - t0) / 1e9);
	close(fd);
	return 0;
}

static int run_rr(const char *host, double secs)
{
	int fd = dial(host, PORT_ECHO);
	int one = 1;
	uint64_t n = 0;
	double t0 = now_s(), t = t0;
	char c = 'r';

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (t - t0 < secs) {
		if (write(fd, &c, 1) != 1)
			die("write");
		if (read(fd, &c, 1) != 1)
			die("read");
		/* Reading the clock every transaction costs ~20 ns against ~40 us per RR. */
		if (++n % 64 == 0)
			t = now_s();
	}
	t = now_s();
	printf("rr_per_s %.0f\n", (double)n / (t - t0));
	close(fd);
	return 0;
}

/*
 * The server closes first, so it is the server that keeps TIME_WAIT. A kernel client would
 * soon pick a source port again whose 4-tuple the server still holds in TIME_WAIT (it has no
 * record of it itself), and a server that does not take RFC 6191 reuse (lwIP) would then
 * answer the SYN with an ACK. So, as netperf does, the client walks 4-tuples itself: tuple
 * @start + i is source address @src + (i / PORTS) (last octet) and port 1024 + i % PORTS.
 */
#define CRR_PORTS (65536 - 1024)
static int run_crr(const char *host, double secs, long start, const char *src, int nsrc)
{
	struct sockaddr_in a = addr_of(host, PORT_CLOSE);
	struct sockaddr_in la = addr_of(src, 0);
	struct timeval tv = {.tv_sec = 1};
	uint32_t base = ntohl(la.sin_addr.s_addr);
	uint64_t n = 0, tuple = (uint64_t)start;
	double t0 = now_s(), t = t0;

	while (t - t0 < secs) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		la.sin_addr.s_addr = htonl(base + (uint32_t)(tuple / CRR_PORTS % (uint64_t)nsrc));
		la.sin_port = htons((uint16_t)(1024 + tuple % CRR_PORTS));
		tuple++;
		if (bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
			close(fd); /* in use here: take the next one */
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
		/* The server closes first (it keeps TIME_WAIT): wait for its FIN. */
		if (read(fd, buf, 1) != 0)
			die("read (expected EOF)");
		close(fd);
		n++;
		t = now_s();
	}
	printf("crr_per_s %.0f\n", (double)n / (t - t0));
	return 0;
}

static int run_idle(const char *host, long n)
{
	struct rlimit rl = {.rlim_cur = (rlim_t)n + 64, .rlim_max = (rlim_t)n + 64};
	struct sockaddr_in a = addr_of(host, PORT_DISCARD);
	int *fds = calloc((size_t)n, sizeof(int));
	long open_n = 0;

	if (!fds)
		die("calloc");
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	for (long i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("socket");
		if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "bench_client: connect %ld: %s\n", i, strerror(errno));
			close(fds[i]);
			break;
		}
		open_n++;
	}
	printf("open %ld\n", open_n);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	for (long i = 0; i < open_n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/* ---------------------------------------------------------------- kernel server */

enum role { R_LISTEN, R_DISCARD, R_SOURCE, R_ECHO };
struct conn {
	int fd;
	enum role role;
	int lport;
};

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int listen_on(const char *host, int port)
{
	struct sockaddr_in a = addr_of(host, port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(fd, 4096) < 0)
		die("listen");
	set_nonblock(fd);
	return fd;
}

static void watch(int ep, struct conn *c, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) < 0)
		die("epoll_ctl");
}

static void drop(struct conn *c)
{
	close(c->fd);
	free(c);
}

static void on_accept(int ep, struct conn *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (l->lport == PORT_CLOSE) {
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		c->fd = fd;
		if (l->lport == PORT_SOURCE) {
			c->role = R_SOURCE;
			watch(ep, c, EPOLLOUT);
		} else {
			int one = 1;
			c->role = l->lport == PORT_ECHO ? R_ECHO : R_DISCARD;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			watch(ep, c, EPOLLIN);
		}
	}
}

static void on_conn(struct conn *c, uint32_t ev)
{
	ssize_t n;

	if (c->role == R_SOURCE) {
		while ((n = write(c->fd, buf, sizeof(buf))) > 0) {
		}
		if (n < 0 && errno != EAGAIN)
			drop(c);
		return;
	}
	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		if (c->role == R_ECHO && write(c->fd, buf, (size_t)n) != n) {
			drop(c); /* a 1-byte echo never fills the send buffer */
			return;
		}
	}
	if (n == 0 || errno != EAGAIN || (ev & (EPOLLHUP | EPOLLERR)))
		drop(c);
}

static int run_server(const char *host)
{
	static const int ports[] = {PORT_DISCARD, PORT_SOURCE, PORT_ECHO, PORT_CLOSE};
	struct epoll_event evs[64];
	struct rlimit rl = {.rlim_cur = 200000, .rlim_max = 200000};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		die("epoll_create1");
	setrlimit(RLIMIT_NOFILE, &rl);
	memset(buf, 's', sizeof(buf));
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct conn *l = calloc(1, sizeof(*l));
		if (!l)
			die("calloc");
		l->fd = listen_on(host, ports[i]);
		l->role = R_LISTEN;
		l->lport = ports[i];
		watch(ep, l, EPOLLIN);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->role == R_LISTEN)
				on_accept(ep, c);
			else
				on_conn(c, evs[i].events);
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_client server HOST\n"
	                "       bench_client down|up|rr|crr HOST SECONDS\n"
	                "       bench_client crr HOST SECONDS FIRST_TUPLE SRC_ADDR SRC_COUNT\n"
	                "       bench_client idle HOST COUNT\n");
	return 2;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 7 && strcmp(argv[1], "crr") == 0)
		return run_crr(argv[2], atof(argv[3]), atol(argv[4]), argv[5], atoi(argv[6]));
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return run_server(argv[2]);
	if (argc != 4)
		return usage();
	double secs = atof(argv[3]);
	alarm((unsigned)secs + 30); /* a stuck peer must not stall the benchmark */
	if (strcmp(argv[1], "down") == 0)
		return run_down(argv[2], secs);
	if (strcmp(argv[1], "up") == 0)
		return run_up(argv[2], secs);
	if (strcmp(argv[1], "rr") == 0)
		return run_rr(argv[2], secs);
	if (strcmp(argv[1], "crr") == 0)
		return run_crr(argv[2], secs, 0, "0.0.0.0", 1);
	if (strcmp(argv[1], "idle") == 0)
		return run_idle(argv[2], atol(argv[3]));
	return usage();
}
