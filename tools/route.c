/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: `netstack route`, one stack forwarding between several TAP or TUN
 * devices (host.c opens them: NIC i + 1 on the i-th), IPv4 and IPv6 alike
 * (ns_stack_config.forwarding: RFC 1812 for IPv4, RFC 8200 for IPv6, offloaded packets as
 * src/net/forward.c says). It is a router and nothing else: no services listen, so a
 * datagram for one of its own addresses is answered as a host without them answers it
 * (ICMP echo, port unreachable, a RST).
 *
 * The command line is a list of device groups: each --tap NAME or --tun NAME starts one,
 * and the options after it (--addr, --mac, --mtu, --pcap, --gateway, --no-offload) are
 * that device's, parsed by serve's parser (args.c) one group at a time. Each address adds
 * its on-link route; a group's --gateway adds a default route through that device (one
 * per family in all). Devices are opened as serve opens its one: with a virtio-net header
 * and TSO unless that group says --no-offload.
 *
 * Output contract, as serve's: stdout's first line is `ready`, here after duplicate address
 * detection of every IPv6 address (a router SHOULD NOT configure optimistic addresses, RFC
 * 4429 3.3, so they are tentative until then); SIGUSR1 prints `address CIDR STATE DEVICE`
 * lines; SIGINT or SIGTERM prints the non-zero counters (the stack's, `drop_<reason>`, and
 * per device `dev_<NAME>_rx_errors`, `_tx_errors`, `_tx_dropped`) and exits 0. A bad
 * argument or a device that cannot be opened exits 2; anything unexpected (a device deleted
 * under us) 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "netstack/netstack.h"
#include "tool.h"

/* Does @arg start a device group (--tap, --tun, with or without =VALUE)? */
static bool is_device_opt(const char *arg)
{
	return !strcmp(arg, "--tap") || !strcmp(arg, "--tun") || !strncmp(arg, "--tap=", 6) ||
	       !strncmp(arg, "--tun=", 6);
}

/* Checks across the groups: distinct devices and addresses, one gateway per family. */
static int check_groups(const struct serve_opts *o, size_t n)
{
	bool gw4 = false, gw6 = false;
	char text[64];

	for (size_t i = 0; i < n; i++) {
		if ((o[i].have_gateway && gw4) || (o[i].have_gateway6 && gw6))
			return usage_error("route: --gateway on %s: one IPv4 and one IPv6 default "
			                   "route at most, in all",
			                   o[i].dev);
		gw4 |= o[i].have_gateway;
		gw6 |= o[i].have_gateway6;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(o[i].dev, o[j].dev))
				return usage_error("route: device %s given twice", o[i].dev);
			for (size_t a = 0; a < o[i].naddrs; a++)
				for (size_t b = 0; b < o[j].naddrs; b++)
					if (ns_addr_eq(&o[i].addrs[a].addr, &o[j].addrs[b].addr))
						return usage_error(
						    "route: --addr %s on both %s and %s",
						    ns_addr_format(&o[i].addrs[a].addr, text,
						                   sizeof(text)),
						    o[j].dev, o[i].dev);
		}
	}
	return 0;
}

int route_parse(int argc, char **argv, struct serve_opts *o, size_t *n)
{
	int start = -1;

	*n = 0;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	for (int i = 0; i <= argc; i++) {
		if (i < argc && !is_device_opt(argv[i])) {
			if (start < 0)
				return usage_error(
				    "route: '%s' before the first --tap or --tun (each "
				    "option belongs to the device it follows)",
				    argv[i]);
			/* The value of an option that takes one is never a group's start. */
			if (argv[i][0] == '-' && !strchr(argv[i], '=') && i + 1 < argc &&
			    strcmp(argv[i], "--no-offload") != 0 && strcmp(argv[i], "--slaac") != 0)
				i++;
			continue;
		}
		if (start >= 0) {
			int rc;

			if (*n == ROUTE_MAX_DEVS)
				return usage_error("route: too many devices (at most %d)",
				                   ROUTE_MAX_DEVS);
			rc = serve_parse(CMD_ROUTE, i - start, argv + start, &o[*n]);
			if (rc)
				return rc;
			(*n)++;
		}
		start = i;
	}
	if (*n < 2)
		return usage_error("route: give at least two devices (--tap NAME or --tun NAME, "
		                   "each followed by its --addr)");
	return check_groups(o, *n);
}

static void describe(const struct host *h, const struct serve_opts *o, size_t n)
{
	char text[64];

	for (size_t i = 0; i < n; i++) {
		struct ns_link *l = h->links[i];

		fprintf(stderr, "netstack: routing on %s %s, mtu %" PRIu32,
		        o[i].kind == NS_TAP ? "tap" : "tun", o[i].dev, ns_link_mtu(l));
		if (o[i].kind == NS_TAP) {
			struct ns_mac mac = l->ops->link_addr(l);
			fprintf(stderr, ", mac %s", ns_mac_format(&mac, text, sizeof(text)));
		}
		for (size_t a = 0; a < o[i].naddrs; a++)
			fprintf(stderr, ", %s/%u",
			        ns_addr_format(&o[i].addrs[a].addr, text, sizeof(text)),
			        o[i].addrs[a].prefix);
		if (o[i].have_gateway)
			fprintf(stderr, ", gateway %s",
			        ns_addr_format(&o[i].gateway, text, sizeof(text)));
		if (o[i].have_gateway6)
			fprintf(stderr, ", gateway %s",
			        ns_addr_format(&o[i].gateway6, text, sizeof(text)));
		if (o[i].pcap)
			fprintf(stderr, ", pcap %s", o[i].pcap);
		fprintf(stderr, ", offloads %s\n", o[i].no_offload ? "off" : "csum tso4 tso6");
	}
}

static void print_counters(struct host *h)
{
	char name[64];

	host_print_stack_counters(h);
	for (size_t i = 0; i < h->nlinks; i++) {
		const struct ns_link *l = h->links[i];
		const uint64_t v[3] = {l->rx_errors, l->tx_errors, l->tx_dropped};
		const char *what[3] = {"rx_errors", "tx_errors", "tx_dropped"};

		for (int k = 0; k < 3; k++) {
			if (!v[k])
				continue;
			snprintf(name, sizeof(name), "dev_%s_%s", h->devs[i], what[k]);
			printf("%s %" PRIu64 "\n", name, v[k]);
		}
	}
	fflush(stdout);
}

int route_run(const struct serve_opts *o, size_t n)
{
	struct host h;
	bool gone = false;
	int rc = host_open_devices(&h, o, n, true);

	if (rc)
		goto out;
	describe(&h, o, n);
	/* A router's IPv6 addresses are tentative, not optimistic (RFC 4429 3.3): `ready`
	 * waits for duplicate address detection. */
	if (!host_wait_dad(&h, 5000) && !h.stop)
		fprintf(stderr, "netstack: route: an IPv6 address is still tentative (duplicate "
		                "address detection)\n");
	fputs("ready\n", stdout);
	fflush(stdout);
	while (!h.stop) {
		ns_err e = ns_loop_run_once(h.loop, -1);

		if (e != NS_OK) {
			fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
			rc = 1;
			goto out;
		}
		if (h.dump) {
			h.dump = 0;
			host_print_addresses(&h);
		}
		if (host_after_iteration(&h)) {
			gone = true;
			break;
		}
	}
	print_counters(&h);
	rc = gone ? 1 : 0;
out:
	host_close(&h);
	return rc;
}
