/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: one stack on one TAP or TUN device, driven by the event loop: the
 * part `netstack serve` and `netstack connect` share; `netstack route` opens several
 * devices the same way (host_open_devices(): NIC i + 1 on the i-th, forwarding on).
 *
 * Start-up order: block SIGINT/SIGTERM/SIGUSR1 and open a signalfd first (a signal that
 * arrives during start-up is then handled by the loop, never lost); make the stack; open the
 * device (created if missing, attached as it is if it exists: only its up flag, and its MTU
 * when --mtu is given, are touched); wrap it in the pcap sniffer if asked; add the NIC, each
 * address, an on-link route per address subnet and a default route per --gateway; with
 * --slaac, bring IPv6 up on the NIC (link-local address, router solicitation: router
 * advertisements then add addresses and a default route); make the loop and watch the
 * signalfd. SIGINT or SIGTERM sets h->stop and stops the current loop iteration; SIGUSR1
 * sets h->dump (serve then prints its addresses).
 *
 * IPv6 addresses go through duplicate address detection (RFC 4862 5.4), which takes up to
 * two seconds. The stack runs Optimistic DAD (RFC 4429: ipv6_optimistic_dad for the
 * link-local and SLAAC addresses, and NS_ADDR_F_OPTIMISTIC asked for every IPv6 --addr of a
 * host), so serve's and connect's addresses answer and send at once while DAD runs
 * behind: `ready` is printed at once. RFC 4429 3.1 says Optimistic DAD SHOULD NOT be used
 * for addresses entered by hand; serve uses it for them anyway, because its contract is
 * that it can receive on every address once `ready` is out, and that `ready` comes at once;
 * a conflict still removes the address (counted as ndp_dad_failed). A router SHOULD NOT
 * configure optimistic addresses (3.3), so route's addresses stay tentative until DAD
 * passes, and route waits for that (host_wait_dad()) before its `ready`.
 *
 * A TUN/TAP fd whose device was deleted fails every read and polls as an error forever; the
 * loop then stops watching it. host_after_iteration() checks for that only when the
 * device's read errors went up, so it costs nothing in the steady state.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "netstack/netstack.h"
#include "tool.h"

#define NIC_ID 1

static void on_signal(struct ns_loop *l, int fd, uint32_t events, void *ctx)
{
	struct host *h = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			h->stop = 1;
			ns_loop_stop(l);
		} else if (si.ssi_signo == SIGUSR1) {
			h->dump = 1;
			ns_loop_stop(l);
		}
	}
}

static int setup_signals(struct host *h)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	h->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return h->sigfd < 0 ? -1 : 0;
}

/* The network a subnet belongs to (host bits cleared). */
static struct ns_subnet subnet_network(const struct ns_subnet *a)
{
	struct ns_subnet n = *a;
	for (unsigned bit = a->prefix; bit < ns_addr_len(&a->addr) * 8; bit++)
		n.addr.a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return n;
}

bool host_has_ipv6(const struct serve_opts *o)
{
	for (size_t i = 0; i < o->naddrs; i++)
		if (o->addrs[i].addr.family == NS_AF_INET6)
			return true;
	return o->slaac;
}

static bool any_tentative(struct host *h)
{
	struct ns_addr_info info[32];

	for (size_t d = 0; d < h->nlinks; d++) {
		size_t n = ns_stack_nic_addresses(h->stack, NIC_ID + (uint32_t)d, info, 32);

		for (size_t i = 0; i < n && i < 32; i++)
			if (info[i].flags & NS_ADDR_F_TENTATIVE)
				return true;
	}
	return false;
}

bool host_wait_dad(struct host *h, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (any_tentative(h) && !h->stop) {
		long waited;

		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= ms)
			return false;
		if (ns_loop_run_once(h->loop, 50) != NS_OK)
			return false;
	}
	return !any_tentative(h);
}

void host_print_addresses(struct host *h)
{
	struct ns_addr_info info[32];
	char text[64];

	for (size_t d = 0; d < h->nlinks; d++) {
		size_t n = ns_stack_nic_addresses(h->stack, NIC_ID + (uint32_t)d, info, 32);

		for (size_t i = 0; i < n && i < 32; i++) {
			const char *state = "preferred";
			if (info[i].flags & NS_ADDR_F_TENTATIVE)
				state = "tentative";
			else if (info[i].flags & NS_ADDR_F_OPTIMISTIC)
				state = "optimistic";
			else if (info[i].flags & NS_ADDR_F_DEPRECATED)
				state = "deprecated";
			printf("address %s/%u %s",
			       ns_addr_format(&info[i].addr.addr, text, sizeof(text)),
			       info[i].addr.prefix, state);
			/* With several devices (route), which one it is on. */
			if (h->nlinks > 1)
				printf(" %s", h->devs[d]);
			putchar('\n');
		}
	}
	fflush(stdout);
}

static void print_counter(const char *name, uint64_t v)
{
	if (v)
		printf("%s %" PRIu64 "\n", name, v);
}

void host_print_stack_counters(struct host *h)
{
	const struct ns_stats *st = ns_stack_stats(h->stack);
	char name[64];

	for (int i = 0; i < NS_STAT_COUNT; i++)
		print_counter(ns_stat_name((enum ns_stat)i), st->stat[i]);
	for (int i = 0; i < NS_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "drop_%s", ns_drop_name((enum ns_drop_reason)i));
		print_counter(name, st->drop[i]);
	}
}

/* NIC @nic on @link with @o's addresses (IPv6 ones optimistic on a host, see the top),
 * on-link routes, gateways and SLAAC. */
static int configure(struct host *h, uint32_t nic, struct ns_link *link, const struct serve_opts *o,
                     bool router)
{
	char text[64];
	ns_err e;

	e = ns_stack_add_nic(h->stack, nic, link, o->dev);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: adding %s to the stack: %s\n", o->dev, ns_strerror(e));
		return 1;
	}
	for (size_t i = 0; i < o->naddrs; i++) {
		bool v6 = o->addrs[i].addr.family == NS_AF_INET6;

		e = ns_stack_add_address_flags(h->stack, nic, &o->addrs[i],
		                               v6 && !router ? NS_ADDR_F_OPTIMISTIC : 0);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: --addr %s/%u: %s\n",
			        ns_addr_format(&o->addrs[i].addr, text, sizeof(text)),
			        o->addrs[i].prefix, ns_strerror(e));
			return 1;
		}
	}
	for (size_t i = 0; i < o->naddrs; i++) {
		struct ns_route_entry r = {.dest = subnet_network(&o->addrs[i]), .nic = nic};
		bool dup = false;
		for (size_t j = 0; j < i; j++) {
			struct ns_subnet prev = subnet_network(&o->addrs[j]);
			dup |= prev.prefix == r.dest.prefix && ns_addr_eq(&prev.addr, &r.dest.addr);
		}
		if (dup)
			continue;
		e = ns_stack_add_route(h->stack, &r);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: on-link route for %s/%u: %s\n",
			        ns_addr_format(&r.dest.addr, text, sizeof(text)), r.dest.prefix,
			        ns_strerror(e));
			return 1;
		}
	}
	for (int fam = 0; fam < 2; fam++) {
		const struct ns_addr *gw = fam ? &o->gateway6 : &o->gateway;
		struct ns_route_entry r = {.dest = {.addr = {.family = gw->family}, .prefix = 0},
		                           .gateway = *gw,
		                           .nic = nic};
		if (!(fam ? o->have_gateway6 : o->have_gateway))
			continue;
		e = ns_stack_add_route(h->stack, &r);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: --gateway %s: %s\n",
			        ns_addr_format(gw, text, sizeof(text)), ns_strerror(e));
			return 1;
		}
	}
	/* With an IPv6 address IPv6 is up already; --slaac alone brings it up here. */
	if (o->slaac) {
		e = ns_ipv6_enable(h->stack, nic);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: --slaac: %s\n", ns_strerror(e));
			return 1;
		}
	}
	return 0;
}

void host_describe(const struct host *h, const struct serve_opts *o)
{
	char text[64];
	fprintf(stderr, "netstack: %s on %s %s, mtu %" PRIu32,
	        o->cmd == CMD_SERVE ? "serving" : "connecting", o->kind == NS_TAP ? "tap" : "tun",
	        o->dev, ns_link_mtu(h->link));
	if (o->kind == NS_TAP) {
		struct ns_mac mac = h->link->ops->link_addr(h->link);
		fprintf(stderr, ", mac %s", ns_mac_format(&mac, text, sizeof(text)));
	}
	for (size_t i = 0; i < o->naddrs; i++)
		fprintf(stderr, ", %s/%u", ns_addr_format(&o->addrs[i].addr, text, sizeof(text)),
		        o->addrs[i].prefix);
	if (o->have_gateway)
		fprintf(stderr, ", gateway %s", ns_addr_format(&o->gateway, text, sizeof(text)));
	if (o->have_gateway6)
		fprintf(stderr, ", gateway %s", ns_addr_format(&o->gateway6, text, sizeof(text)));
	if (o->slaac)
		fprintf(stderr, ", slaac");
	if (o->pcap)
		fprintf(stderr, ", pcap %s", o->pcap);
	fprintf(stderr, ", offloads %s", o->no_offload ? "off" : "csum tso4 tso6");
	fputc('\n', stderr);
}

static int open_device(struct ns_link **link, const struct serve_opts *o)
{
	char err[256];
	struct ns_tuntap_config tc = {
	    .kind = o->kind,
	    .name = o->dev,
	    .mtu = o->mtu, /* 0: an existing device keeps its MTU, a new one gets 1500 */
	    .bring_up = true,
	    /* Offloads by default: a virtio-net header on every frame, and the kernel both
	     * takes our TCP GSO packets (it segments them, or its own stack takes them whole)
	     * and sends its own TSO/GRO super-frames up, checksums left partial both ways. */
	    .vnet_hdr = !o->no_offload,
	    .offloads = o->no_offload ? 0 : TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	};
	if (o->have_mac)
		tc.mac = o->mac;
	*link = ns_tuntap_open(&tc, err, sizeof(err));
	if (!*link) {
		fprintf(stderr, "netstack: --%s %s: cannot open the device: %s\n",
		        o->kind == NS_TAP ? "tap" : "tun", o->dev, err);
		return EXIT_USAGE;
	}
	if (o->pcap) {
		/* The sniffer owns the device link from here, and destroys it on failure. */
		*link = ns_sniffer_new(*link, o->pcap, err, sizeof(err));
		if (!*link) {
			fprintf(stderr, "netstack: --pcap %s: %s\n", o->pcap, err);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int host_open(struct host *h, const struct serve_opts *o)
{
	return host_open_devices(h, o, 1, false);
}

int host_open_devices(struct host *h, const struct serve_opts *o, size_t n, bool forwarding)
{
	struct ns_stack_config cfg;
	ns_err e;
	int rc;

	memset(h, 0, sizeof(*h));
	h->sigfd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (setup_signals(h) < 0) {
		fprintf(stderr, "netstack: signalfd: %s\n", strerror(errno));
		return 1;
	}
	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	cfg.forwarding = forwarding;
	cfg.ipv6_optimistic_dad = true; /* RFC 4429; no effect on a router (forwarding) */
	e = ns_stack_new(&cfg, &h->stack);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: creating the stack: %s\n", ns_strerror(e));
		return 1;
	}
	for (size_t i = 0; i < n && i < ROUTE_MAX_DEVS; i++) {
		rc = open_device(&h->links[i], &o[i]);
		if (rc)
			return rc;
		h->devs[i] = o[i].dev;
		h->pcaps[i] = o[i].pcap != NULL;
		h->nlinks = i + 1;
		h->link = h->links[0];
	}
	for (size_t i = 0; i < h->nlinks; i++) {
		rc = configure(h, NIC_ID + (uint32_t)i, h->links[i], &o[i], forwarding);
		if (rc)
			return rc;
	}
	e = ns_loop_new(&h->loop);
	if (e == NS_OK)
		e = ns_loop_add_stack(h->loop, h->stack);
	if (e == NS_OK)
		e = ns_loop_add_fd(h->loop, h->sigfd, EPOLLIN, on_signal, h);
	if (e != NS_OK) {
		fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
		return 1;
	}
	return 0;
}

static bool device_gone(struct host *h, size_t i)
{
	struct ns_link *l = h->links[i];

	if (l->rx_errors == h->rx_errors_seen[i])
		return false;
	h->rx_errors_seen[i] = l->rx_errors;
	struct pollfd p = {.fd = ns_link_poll_fd(l), .events = POLLIN};
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		fprintf(stderr, "netstack: %s: the device went away (deleted?); stopping\n",
		        h->devs[i]);
		return true;
	}
	return false;
}

bool host_after_iteration(struct host *h)
{
	bool gone = false;

	for (size_t i = 0; i < h->nlinks; i++) {
		if (h->pcaps[i])
			ns_sniffer_flush(h->links[i]); /* the file is readable while we run */
		gone |= device_gone(h, i);
	}
	return gone;
}

void host_close(struct host *h)
{
	if (h->loop)
		ns_loop_free(h->loop);
	h->loop = NULL;
	if (h->stack)
		ns_stack_free(h->stack);
	h->stack = NULL;
	/* Flushes and closes the pcap files, closes the devices. */
	for (size_t i = 0; i < h->nlinks; i++)
		ns_link_destroy(h->links[i]);
	h->nlinks = 0;
	h->link = NULL;
	if (h->sigfd >= 0)
		close(h->sigfd);
	h->sigfd = -1;
}
