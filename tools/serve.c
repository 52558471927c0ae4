/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: `netstack serve`, one stack on one TAP or TUN device (host.c) with
 * the UDP services (services.c) and the TCP services (tcp_services.c) on it.
 *
 * The loop: each iteration waits for frames, timers or a signal (ns_loop_run_once), and
 * then lets the TCP services do the work their endpoints' events asked for; when that work
 * is not finished (a service yields after a bounded amount so that frames keep flowing), the
 * next iteration does not wait.
 *
 * Output contract: stdout carries exactly `ready` as its first line; after each SIGUSR1 one
 * `address CIDR STATE` line per address of the NIC (STATE: preferred, deprecated,
 * optimistic or tentative; autoconfigured ones included); and after SIGINT/SIGTERM the
 * non-zero counters, one `name value` per line: the stack's counters under ns_stat_name(),
 * drop reasons as `drop_` + ns_drop_name(), the services' and the device's own counters.
 * Everything else (the start-up summary, errors) goes to stderr. SIGPIPE is ignored and a
 * failed write of the counters does not change the exit status: a reader that stops after
 * `ready` cannot turn a clean shutdown into a failure. Exit status: 0 after a signal; 2 for
 * a device or pcap file that cannot be opened; 1 for anything unexpected, such as the
 * device being deleted while netstack runs (its fd then polls as an error: the counters are
 * printed and netstack exits rather than serve nothing).
 */
#include <inttypes.h>
#include <stdio.h>

#include "netstack/netstack.h"
#include "tool.h"

static void print_line(const char *name, uint64_t v)
{
	if (v)
		printf("%s %" PRIu64 "\n", name, v);
}

static void print_stats(struct host *h, struct services *udp, struct tcp_services *tcp)
{
	host_print_stack_counters(h);
	if (udp) {
		struct services_counts c;
		services_counts(udp, &c);
		print_line("udp_echo_rx", c.echo_rx);
		print_line("udp_echo_tx", c.echo_tx);
		print_line("udp_echo_tx_failed", c.echo_tx_failed);
		print_line("udp_discard_rx", c.discard_rx);
	}
	if (tcp) {
		struct tcp_services_counts c;
		tcp_services_counts(tcp, &c);
		print_line("tcp_accepted", c.accepted);
		print_line("tcp_refused_limit", c.refused_limit);
		print_line("tcp_conn_errors", c.resets);
		print_line("tcp_conns_open", c.open);
		print_line("tcp_conns_open_max", c.open_max);
		print_line("tcp_echo_bytes", c.echo_bytes);
		print_line("tcp_discard_bytes", c.discard_bytes);
		print_line("tcp_chargen_bytes", c.chargen_bytes);
		print_line("http_requests", c.http_requests);
		print_line("http_2xx", c.http_2xx);
		print_line("http_4xx", c.http_4xx);
		print_line("http_5xx", c.http_5xx);
		print_line("http_body_bytes", c.http_body_bytes);
	}
	print_line("dev_rx_errors", h->link->rx_errors);
	print_line("dev_tx_errors", h->link->tx_errors);
	print_line("dev_tx_dropped", h->link->tx_dropped);
	fflush(stdout);
}

int serve_run(const struct serve_opts *o)
{
	struct host h;
	struct services *udp = NULL;
	struct tcp_services *tcp = NULL;
	char err[256];
	bool gone = false, busy = false;
	int rc;

	rc = host_open(&h, o);
	if (rc)
		goto out;
	rc = 1;
	udp = services_start(h.stack, o->addrs, o->naddrs, host_has_ipv6(o), err, sizeof(err));
	if (!udp) {
		fprintf(stderr, "netstack: starting the UDP services: %s\n", err);
		goto out;
	}
	tcp = tcp_services_start(h.stack, host_has_ipv6(o), err, sizeof(err));
	if (!tcp) {
		fprintf(stderr, "netstack: starting the TCP services: %s\n", err);
		goto out;
	}

	host_describe(&h, o);
	/* `ready` promises that every address receives: the IPv6 ones do at once, optimistic
	 * while duplicate address detection runs behind (RFC 4429, host.c). */
	fputs("ready\n", stdout);
	fflush(stdout);

	while (!h.stop) {
		ns_err e = ns_loop_run_once(h.loop, busy ? 0 : -1);
		if (e != NS_OK) {
			fprintf(stderr, "netstack: event loop: %s\n", ns_strerror(e));
			goto out;
		}
		busy = tcp_services_run(tcp);
		if (h.dump) {
			h.dump = 0;
			host_print_addresses(&h);
		}
		if (host_after_iteration(&h)) {
			gone = true;
			break;
		}
	}
	print_stats(&h, udp, tcp);
	rc = gone ? 1 : 0;
out:
	tcp_services_stop(tcp);
	services_stop(udp);
	host_close(&h);
	return rc;
}
