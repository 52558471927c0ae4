/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the `netstack` command's entry point. It dispatches on the first
 * argument (serve, connect, route, demo, --help, --version) and owns the help text, which is the
 * reference for the command: every option, the output contract and the exit statuses, and what the
 * stack cannot do yet. `netstack demo` runs scripts/demo.sh from the source tree the binary
 * was built from (the same thing `make demo` runs), passing this binary's own path.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#ifndef NS_VERSION
#define NS_VERSION "0.1.0"
#endif
#ifndef NS_DEMO_SCRIPT
#define NS_DEMO_SCRIPT "scripts/demo.sh"
#endif

static const char help_text[] =
    "usage: netstack serve (--tap NAME | --tun NAME) --addr CIDR [--addr CIDR ...]\n"
    "                      [--slaac] [--mac MAC] [--gateway IP] [--mtu N] [--pcap FILE]\n"
    "                      [--no-offload]\n"
    "       netstack connect (--tap NAME | --tun NAME) --addr CIDR [--addr CIDR ...]\n"
    "                      [--slaac] [--mac MAC] [--gateway IP] [--mtu N] [--pcap FILE]\n"
    "                      [--no-offload]\n"
    "                      [--send-file FILE] HOST:PORT\n"
    "       netstack route (--tap NAME | --tun NAME) --addr CIDR [--addr CIDR ...]\n"
    "                      [--mac MAC] [--gateway IP] [--mtu N] [--pcap FILE]\n"
    "                      [--no-offload]\n"
    "                      (--tap NAME | --tun NAME) --addr CIDR ... [more devices]\n"
    "       netstack demo\n"
    "       netstack --help | --version\n"
    "\n"
    "netstack is a TCP/IP stack that runs inside this process. `netstack serve` puts it\n"
    "on a TAP (Ethernet) or TUN (IP) device and answers like a small host; `netstack\n"
    "connect` makes one TCP connection from it, like netcat; `netstack route` forwards\n"
    "between several devices, as a router.\n"
    "\n"
    "options of serve and connect (a value follows as the next argument or after '='):\n"
    "  --tap NAME      use the TAP device NAME in the current network namespace\n"
    "  --tun NAME      use the TUN device NAME instead (no Ethernet, no ARP)\n"
    "                  The device is created if missing (and removed again on exit); an\n"
    "                  existing one (`ip tuntap add`) is attached as it is: its kernel-side\n"
    "                  addresses, MAC and MTU are left alone (its offload features are\n"
    "                  switched on, see --no-offload). netstack sets the link up.\n"
    "  --addr CIDR     an IPv4 or IPv6 address of netstack with its prefix length, e.g.\n"
    "                  192.0.2.2/24 or 2001:db8::2/64; repeat for more (up to 16). Each adds\n"
    "                  an on-link route to its subnet. This is netstack's own address, not\n"
    "                  the kernel's. The first IPv6 address also brings up a link-local one\n"
    "                  (fe80::/64, from the MAC). IPv6 addresses answer at once: they are\n"
    "                  optimistic (RFC 4429) while duplicate address detection runs behind\n"
    "                  (RFC 4862, about a second), and one another node holds is dropped.\n"
    "                  RFC 4429 advises against optimistic addresses typed in by hand;\n"
    "                  netstack uses them so that `ready` comes at once and every address\n"
    "                  answers after it. With IPv6 up, router advertisements are heeded:\n"
    "                  their prefixes add addresses (SLAAC), their routers a default route.\n"
    "  --slaac         bring IPv6 up without an IPv6 --addr: a link-local address, router\n"
    "                  solicitations, and addresses from the advertised prefixes (RFC 4862);\n"
    "                  --addr is then optional\n"
    "  --mac MAC       netstack's MAC on a TAP (default: a random locally administered one;\n"
    "                  it is printed on stderr at start-up)\n"
    "  --gateway IP    add a default route via IP (must be inside an --addr subnet, or an\n"
    "                  IPv6 link-local address); one IPv4 and one IPv6 gateway at most\n"
    "  --mtu N         set the device MTU to N (68..65535). Default: a new device gets 1500,\n"
    "                  an existing device keeps its MTU.\n"
    "  --pcap FILE     write every frame, both directions, to FILE (pcap; Ethernet for a\n"
    "                  TAP, raw IP for a TUN), readable while netstack runs. With offloads\n"
    "                  on it records what crosses the device: TCP segments up to 64 KiB and\n"
    "                  checksums left partial (tshark flags them; that is expected).\n"
    "  --no-offload    open the device without offloads. By default netstack opens it with\n"
    "                  a virtio-net header (IFF_VNET_HDR) and TUNSETOFFLOAD csum,tso4,tso6:\n"
    "                  TCP hands the kernel segments of up to 64 KiB (TSO; the kernel cuts\n"
    "                  them to the MTU, or takes them whole), the kernel sends its own TSO\n"
    "                  and GRO super-frames up the same way, and checksums are left partial\n"
    "                  in both directions, so a frame costs a syscall per 64 KiB rather\n"
    "                  than per 1.5 KiB. This switches the device's checksum and TSO features\n"
    "                  on (also for an existing device). --no-offload gives one MTU-sized\n"
    "                  frame per syscall with full checksums, as a plain TAP/TUN does.\n"
    "  -h, --help      this text\n"
    "\n"
    "What serve answers, on every address, IPv4 and IPv6 alike:\n"
    "  ICMP and ICMPv6 echo (ping, any size: fragments are reassembled and a reply larger\n"
    "    than the MTU is fragmented), also to the all-nodes group ff02::1; ARP requests and\n"
    "    IPv6 neighbor solicitations (TAP); MLD queries\n"
    "  UDP echo on port 7 (RFC 862): each datagram goes back to its sender, byte for byte\n"
    "    (up to 65507 bytes, fragmented as needed); a zero-length datagram is echoed as a\n"
    "    zero-length datagram\n"
    "  UDP discard on port 9 (RFC 863): never answers\n"
    "  any other UDP port: ICMP or ICMPv6 port unreachable (rate limited)\n"
    "  (UDP over IPv6 is answered from the address source selection picks for the peer,\n"
    "    RFC 6724: the one the datagram came to in every usual set-up)\n"
    "  TCP echo on port 7: every byte comes back; after the client's FIN the rest is\n"
    "    echoed, then netstack closes too\n"
    "  TCP discard on port 9: reads and drops; closes after the client's FIN\n"
    "  TCP chargen on port 19 (RFC 864): lines of 72 printable characters and CRLF, line n\n"
    "    starting with character n of ' '..'~' (mod 95), as fast as the client reads;\n"
    "    input is dropped; closes after the client's FIN\n"
    "  HTTP/1.1 on port 80: GET or HEAD of / (a small HTML page) and /bytes/N (exactly N\n"
    "    bytes, byte i being i mod 251, N up to 10^12, generated as it is sent); anything\n"
    "    else 404, a malformed request 400 (and close), a request head over 16 KiB 431,\n"
    "    a request body with Transfer-Encoding 501. Keep-alive unless the request says\n"
    "    `Connection: close` (then netstack closes first, after the response) or is\n"
    "    HTTP/1.0 without keep-alive; pipelined requests are answered in order. Every\n"
    "    response has Content-Length and Content-Type.\n"
    "  any other TCP port: RST (a kernel connect() gets ECONNREFUSED at once)\n"
    "  Up to 10000 TCP connections at a time; beyond that a new one is reset.\n"
    "\n"
    "serve's output: stdout's first line is `ready` once netstack answers on every\n"
    "address: at once (IPv6 addresses are optimistic while duplicate address detection\n"
    "runs behind, see --addr). On SIGINT or SIGTERM it prints every non-zero counter to\n"
    "stdout, one `name value` per line (stack counters such as `udp_rx 1000` or `tcp_rx\n"
    "20`, drop reasons as `drop_<reason> N`, service counters such as `udp_echo_tx N`,\n"
    "`tcp_accepted N`, `tcp_echo_bytes N`, `http_requests N`), resets its open TCP\n"
    "connections and exits 0 within a second. On SIGUSR1 it prints one line per address\n"
    "of the device, autoconfigured ones included: `address 2001:db8::2/64 preferred` (or\n"
    "`optimistic`, `tentative`, `deprecated`). Start-up details and errors go to stderr.\n"
    "\n"
    "netstack connect HOST:PORT: connects to HOST, an IPv4 address or an IPv6 one in\n"
    "brackets ([2001:db8::1]:7; no name lookup), at once: its IPv6 addresses are\n"
    "optimistic (RFC 4429), and until their duplicate address detection is over (about a\n"
    "second) a SYN to a neighbor not yet resolved goes through a known default router or\n"
    "waits (RFC 4429 3.2). It sends stdin (or --send-file FILE) and then a FIN, and\n"
    "copies every byte it receives to stdout, until the peer has closed too. stdout\n"
    "carries only the received bytes; the connection and a byte count are reported on\n"
    "stderr. The peer must already be reachable: with a TAP, create it first (`ip tuntap\n"
    "add`) and give the kernel side its address. Exit status 0 once both sides closed\n"
    "cleanly; 1 if the connection is refused, reset or times out, or on SIGINT/SIGTERM\n"
    "(the connection is reset).\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM (serve) or --help; 2 for a bad argument (unknown\n"
    "option, missing value, bad CIDR or MAC, both or neither of --tap/--tun, no --addr, MTU\n"
    "out of range, a bad HOST:PORT) or a device, pcap or --send-file file that cannot be\n"
    "opened; 1 for an unexpected failure, such as the device being deleted while netstack\n"
    "runs (it prints its counters and stops).\n"
    "\n"
    "Not there yet: DHCP and DHCPv6 (router advertisements' M and O flags are ignored),\n"
    "RDNSS, IGMP (IPv4 multicast groups beyond all-hosts), ECN and TCP Fast Open in TCP.\n"
    "\n"
    "netstack route: one stack on two to eight devices, forwarding IPv4 and IPv6 between\n"
    "them (RFC 1812, RFC 8200: TTL and hop limit, ICMP time exceeded, fragmentation\n"
    "needed and packet too big with the next link's MTU, IPv4 fragmentation without DF).\n"
    "Each --tap or --tun starts a device, and the options after it (--addr, --mac,\n"
    "--gateway, --mtu, --pcap, --no-offload, as for serve) are that device's, e.g.\n"
    "  netstack route --tap tapA --addr 192.0.2.2/24 --tap tapB --addr 198.51.100.2/24\n"
    "Every --addr adds its on-link route; a device's --gateway adds a default route\n"
    "through it (one IPv4 and one IPv6 in all); --slaac is refused (a router does not\n"
    "autoconfigure). With offloads on (the default) the kernel's TSO and GRO\n"
    "super-frames are forwarded whole, held against the next link's MTU per segment,\n"
    "and segmented in software (checksums finished) for a device opened --no-offload.\n"
    "No services run: its own addresses answer ping, and other ports with ICMP port\n"
    "unreachable or a RST. Output as serve's: `ready` first, but only after duplicate\n"
    "address detection (up to two seconds: a router's addresses are not optimistic, RFC\n"
    "4429 3.3); SIGUSR1 prints `address CIDR STATE DEVICE` lines; SIGINT or SIGTERM\n"
    "prints the non-zero counters (`ip_forwarded N`, `gso_rx N`, `gso_sw_segments N`,\n"
    "`drop_<reason> N`, `dev_<NAME>_rx_errors N`...) and exits 0. Exit status 2 for a\n"
    "bad argument (also: fewer than two devices, an option before the first device, a\n"
    "device or address given twice) or a device that cannot be opened.\n"
    "\n"
    "netstack demo: as root, create a network namespace with a TAP device, run\n"
    "`netstack serve` there, ping it and exchange UDP with it from the kernel, print a\n"
    "short report and clean up (the same as `make demo`).\n";

/* The help text is longer than a pipe's stdio buffer: a reader that stops early (`grep -q`)
 * must not kill us with SIGPIPE. */
static int print_help(void)
{
	signal(SIGPIPE, SIG_IGN);
	fputs(help_text, stdout);
	return 0;
}

static int run_demo(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "netstack: demo: /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	execl("/bin/bash", "bash", NS_DEMO_SCRIPT, self, (char *)NULL);
	fprintf(stderr, "netstack: demo: cannot run %s: %s (run `make demo` in the source tree)\n",
	        NS_DEMO_SCRIPT, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error(
		    "missing command (serve, connect, route, demo, --help or --version)");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		return print_help();
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("netstack %s\n", NS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "serve") || !strcmp(cmd, "connect")) {
		static struct serve_opts o;
		enum tool_cmd c = !strcmp(cmd, "serve") ? CMD_SERVE : CMD_CONNECT;
		int rc = serve_parse(c, argc - 2, argv + 2, &o);
		if (rc == 1) {
			return print_help();
		}
		if (rc)
			return rc;
		return c == CMD_SERVE ? serve_run(&o) : connect_run(&o);
	}
	if (!strcmp(cmd, "route")) {
		static struct serve_opts o[ROUTE_MAX_DEVS];
		size_t n = 0;
		int rc = route_parse(argc - 2, argv + 2, o, &n);

		if (rc == 1)
			return print_help();
		if (rc)
			return rc;
		return route_run(o, n);
	}
	if (!strcmp(cmd, "demo")) {
		if (argc > 2)
			return usage_error("demo: unexpected argument '%s'", argv[2]);
		return run_demo();
	}
	if (cmd[0] == '-')
		return usage_error("unknown option '%s'", cmd);
	return usage_error("unknown command '%s'", cmd);
}
