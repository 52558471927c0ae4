/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: `netstack serve`, one stack on one TAP or TUN device, driven by the
 * event loop.
 *
 * Start-up order: block SIGINT/SIGTERM and open a signalfd first (a signal that arrives
 * during start-up is then handled by the loop, never lost); make the stack; open the device
 * (created if missing, attached as it is if it exists: only its up flag, and its MTU when
 * --mtu is given, are touched); wrap it in the pcap sniffer if asked; add the NIC, each
 * address, an on-link route per address subnet and the default route; bind the services;
 * then print `ready`. From then on frames queue in the kernel until the loop reads them.
 *
 * Output contract: stdout carries exactly `ready` as its first line, and after a signal the
 * non-zero counters, one `name value` per line: the stack's counters under ns_stat_name(),
 * drop reasons as `drop_` + ns_drop_name(), the services' and the device's own counters.
 * Everything else (the start-up summary, errors) goes to stderr. SIGPIPE is ignored and a
 * failed write of the counters does not change the exit status: a reader that stops after
 * `ready` cannot turn a clean shutdown into a failure. Exit status: 0 after a signal; 2 for
 * a device or pcap file that cannot be opened; 1 for anything unexpected, such as the
 * device being deleted while netstack runs (its fd then polls as an error: the counters are
 * printed and netstack exits rather than serve nothing).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netstack/netstack.h"
#include "tool.h"

#define NIC_ID 1

struct serve {
	struct ns_stack *stack;
	struct ns_link *link;
	struct ns_loop *loop;
	struct services *services;
	const char *dev;
	int sigfd;
	uint64_t rx_errors_seen;
	volatile int stop;
	bool device_gone;
};

static void on_signal(struct ns_loop *l, int fd, uint32_t events, void *ctx)
{
	struct serve *sv = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			sv->stop = 1;
			ns_loop_stop(l);
		}
	}
}

/*
 * A TUN/TAP fd whose device was deleted fails every read and polls as EPOLLERR forever; the
 * loop then stops watching it. Checked only when the device's read errors went up, so it
 * costs nothing in the steady state. Returns true if the device is gone.
 */
static bool device_gone(struct serve *sv)
{
	if (sv->link->rx_errors == sv->rx_errors_seen)
		return false;
	sv->rx_errors_seen = sv->link->rx_errors;
	struct pollfd p = {.fd = ns_link_poll_fd(sv->link), .events = POLLIN};
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		fprintf(stderr, "netstack: %s: the device went away (deleted?); stopping\n",
		        sv->dev);
		return true;
	}
	return false;
}

static void print_line(const char *name, uint64_t v)
{
	if (v)
		printf("%s %" PRIu64 "\n", name, v);
}

static void print_stats(struct serve *sv)
{
	const struct ns_stats *st = ns_stack_stats(sv->stack);
	char name[64];

	for (int i = 0; i < NS_STAT_COUNT; i++)
		print_line(ns_stat_name((enum ns_stat)i), st->stat[i]);
	for (int i = 0; i < NS_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "drop_%s", ns_drop_name((enum ns_drop_reason)i));
		print_line(name, st->drop[i]);
	}
	if (sv->services) {
		struct services_counts c;
		services_counts(sv->services, &c);
		print_line("udp_echo_rx", c.echo_rx);
		print_line("udp_echo_tx", c.echo_tx);
		print_line("udp_echo_tx_failed", c.echo_tx_failed);
		print_line("udp_discard_rx", c.discard_rx);
	}
	print_line("dev_rx_errors", sv->link->rx_errors);
	print_line("dev_tx_errors", sv->link->tx_errors);
	print_line("dev_tx_dropped", sv->link->tx_dropped);
	fflush(stdout);
}

static int setup_signals(struct serve *sv)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	sv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return sv->sigfd < 0 ? -1 : 0;
}

/* The network a subnet belongs to (host bits cleared). */
static struct ns_subnet subnet_network(const struct ns_subnet *a)
{
	struct ns_subnet n = *a;
	for (unsigned bit = a->prefix; bit < 32; bit++)
		n.addr.a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return n;
}

static int configure(struct serve *sv, const struct serve_opts *o)
{
	char text[64];
	ns_err e;

	e = ns_stack_add_nic(sv->stack, NIC_ID, sv->link, o->dev);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: adding %s to the stack: %s\n", o->dev, ns_strerror(e));
		return 1;
	}
	for (size_t i = 0; i < o->naddrs; i++) {
		e = ns_stack_add_address(sv->stack, NIC_ID, &o->addrs[i]);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: --addr %s/%u: %s\n",
			        ns_addr_format(&o->addrs[i].addr, text, sizeof(text)),
			        o->addrs[i].prefix, ns_strerror(e));
			return 1;
		}
	}
	for (size_t i = 0; i < o->naddrs; i++) {
		struct ns_route_entry r = {.dest = subnet_network(&o->addrs[i]), .nic = NIC_ID};
		bool dup = false;
		for (size_t j = 0; j < i; j++) {
			struct ns_subnet prev = subnet_network(&o->addrs[j]);
			dup |= prev.prefix == r.dest.prefix && ns_addr_eq(&prev.addr, &r.dest.addr);
		}
		if (dup)
			continue;
		e = ns_stack_add_route(sv->stack, &r);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: on-link route for %s/%u: %s\n",
			        ns_addr_format(&r.dest.addr, text, sizeof(text)), r.dest.prefix,
			        ns_strerror(e));
			return 1;
		}
	}
	if (o->have_gateway) {
		struct ns_route_entry r = {.dest = {.addr = {.family = NS_AF_INET}, .prefix = 0},
		                           .gateway = o->gateway,
		                           .nic = NIC_ID};
		e = ns_stack_add_route(sv->stack, &r);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: --gateway %s: %s\n",
			        ns_addr_format(&o->gateway, text, sizeof(text)), ns_strerror(e));
			return 1;
		}
	}
	return 0;
}

static void describe(const struct serve *sv, const struct serve_opts *o)
{
	char text[64];
	fprintf(stderr, "netstack: serving on %s %s, mtu %" PRIu32,
	        o->kind == NS_TAP ? "tap" : "tun", o->dev, ns_link_mtu(sv->link));
	if (o->kind == NS_TAP) {
		struct ns_mac mac = sv->link->ops->link_addr(sv->link);
		fprintf(stderr, ", mac %s", ns_mac_format(&mac, text, sizeof(text)));
	}
	for (size_t i = 0; i < o->naddrs; i++)
		fprintf(stderr, ", %s/%u", ns_addr_format(&o->addrs[i].addr, text, sizeof(text)),
		        o->addrs[i].prefix);
	if (o->have_gateway)
		fprintf(stderr, ", gateway %s", ns_addr_format(&o->gateway, text, sizeof(text)));
	if (o->pcap)
		fprintf(stderr, ", pcap %s", o->pcap);
	fputc('\n', stderr);
}

static int open_device(struct serve *sv, const struct serve_opts *o)
{
	char err[256];
	struct ns_tuntap_config tc = {
	    .kind = o->kind,
	    .name = o->dev,
	    .mtu = o->mtu, /* 0: an existing device keeps its MTU, a new one gets 1500 */
	    .bring_up = true,
	};
	if (o->have_mac)
		tc.mac = o->mac;
	sv->link = ns_tuntap_open(&tc, err, sizeof(err));
	if (!sv->link) {
		fprintf(stderr, "netstack: --%s %s: cannot open the device: %s\n",
		        o->kind == NS_TAP ? "tap" : "tun", o->dev, err);
		return EXIT_USAGE;
	}
	if (o->pcap) {
		/* The sniffer owns the device link from here, and destroys it on failure. */
		sv->link = ns_sniffer_new(sv->link, o->pcap, err, sizeof(err));
		if (!sv->link) {
			fprintf(stderr, "netstack: --pcap %s: %s\n", o->pcap, err);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void teardown(struct serve *sv)
{
	services_stop(sv->services);
	if (sv->loop)
		ns_loop_free(sv->loop);
	if (sv->stack)
		ns_stack_free(sv->stack);
	ns_link_destroy(sv->link); /* flushes and closes the pcap file, closes the device */
	if (sv->sigfd >= 0)
		close(sv->sigfd);
}

int serve_run(const struct serve_opts *o)
{
	struct serve sv = {.sigfd = -1, .dev = o->dev};
	struct ns_stack_config cfg;
	char err[256];
	int rc = 1;
	ns_err e;

	signal(SIGPIPE, SIG_IGN);
	if (setup_signals(&sv) < 0) {
		fprintf(stderr, "netstack: signalfd: %s\n", strerror(errno));
		goto out;
	}
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	e = ns_stack_new(&cfg, &sv.stack);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: creating the stack: %s\n", ns_strerror(e));
		goto out;
	}
	rc = open_device(&sv, o);
	if (rc)
		goto out;
	rc = configure(&sv, o);
	if (rc)
		goto out;
	rc = 1;
	sv.services = services_start(sv.stack, o->addrs, o->naddrs, err, sizeof(err));
	if (!sv.services) {
		fprintf(stderr, "netstack: starting the UDP services: %s\n", err);
		goto out;
	}
	e = ns_loop_new(&sv.loop);
	if (e == NS_OK)
		e = ns_loop_add_stack(sv.loop, sv.stack);
	if (e == NS_OK)
		e = ns_loop_add_fd(sv.loop, sv.sigfd, EPOLLIN, on_signal, &sv);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
		goto out;
	}

	describe(&sv, o);
	fputs("ready\n", stdout);
	fflush(stdout);

	while (!sv.stop) {
		e = ns_loop_run_once(sv.loop, -1);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
			goto out;
		}
		if (o->pcap)
			ns_sniffer_flush(sv.link); /* the file is readable while we run */
		if (device_gone(&sv)) {
			sv.device_gone = true;
			break;
		}
	}
	print_stats(&sv);
	rc = sv.device_gone ? 1 : 0;
out:
	teardown(&sv);
	return rc;
}
