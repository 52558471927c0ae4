/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the `netstack` command's entry point. It dispatches on the first
 * argument (serve, demo, --help, --version) and owns the help text, which is the reference
 * for the command: every option, the output contract and the exit statuses, and what the
 * stack cannot do yet. `netstack demo` runs scripts/demo.sh from the source tree the binary
 * was built from (the same thing `make demo` runs), passing this binary's own path.
 */
#include <errno.h>
#include <limits.h>
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
    "                      [--mac MAC] [--gateway IP] [--mtu N] [--pcap FILE]\n"
    "       netstack demo\n"
    "       netstack --help | --version\n"
    "\n"
    "netstack is a TCP/IP stack that runs inside this process. `netstack serve` puts it\n"
    "on a TAP (Ethernet) or TUN (IP) device and answers like a small host.\n"
    "\n"
    "serve options (a value follows as the next argument or after '='):\n"
    "  --tap NAME      use the TAP device NAME in the current network namespace\n"
    "  --tun NAME      use the TUN device NAME instead (no Ethernet, no ARP)\n"
    "                  The device is created if missing (and removed again on exit); an\n"
    "                  existing one (`ip tuntap add`) is attached as it is: its kernel-side\n"
    "                  addresses, MAC and settings are left alone. netstack sets the link up.\n"
    "  --addr CIDR     an IPv4 address of netstack with its prefix length, e.g.\n"
    "                  192.0.2.2/24; repeat for more (up to 16). Each adds an on-link route\n"
    "                  to its subnet. This is netstack's own address, not the kernel's.\n"
    "  --mac MAC       netstack's MAC on a TAP (default: a random locally administered one;\n"
    "                  it is printed on stderr at start-up)\n"
    "  --gateway IP    add a default route via IP (must be inside an --addr subnet)\n"
    "  --mtu N         set the device MTU to N (68..65535). Default: a new device gets 1500,\n"
    "                  an existing device keeps its MTU.\n"
    "  --pcap FILE     write every frame, both directions, to FILE (pcap; Ethernet for a\n"
    "                  TAP, raw IP for a TUN), readable while netstack runs\n"
    "  -h, --help      this text\n"
    "\n"
    "What serve answers, on every address:\n"
    "  ICMP echo (ping, any size up to the MTU); ARP requests (TAP)\n"
    "  UDP echo on port 7 (RFC 862): each datagram goes back to its sender, byte for byte;\n"
    "    a zero-length datagram is echoed as a zero-length datagram\n"
    "  UDP discard on port 9 (RFC 863): never answers\n"
    "  any other UDP port: ICMP port unreachable (rate limited)\n"
    "\n"
    "Output: stdout's first line is `ready` once netstack can receive (within a second or\n"
    "two). On SIGINT or SIGTERM it prints every non-zero counter to stdout, one\n"
    "`name value` per line (stack counters such as `udp_rx 1000`, drop reasons as\n"
    "`drop_<reason> N`, service counters such as `udp_echo_tx N`), and exits 0 within a\n"
    "second. Start-up details and errors go to stderr.\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM or --help; 2 for a bad argument (unknown option,\n"
    "missing value, bad CIDR or MAC, both or neither of --tap/--tun, no --addr, MTU out of\n"
    "range) or a device or pcap file that cannot be opened; 1 for an unexpected failure,\n"
    "such as the device being deleted while netstack runs (it prints its counters and stops).\n"
    "\n"
    "Not there yet: TCP (no TCP services; a TCP segment is answered with ICMP protocol\n"
    "unreachable, so a kernel connect() fails at once), IPv6 (an IPv6 --addr or --gateway\n"
    "is refused; IPv6 frames are dropped and counted), IP fragmentation and reassembly\n"
    "(fragments are dropped and counted: datagrams must fit the MTU), DHCP.\n"
    "\n"
    "netstack demo: as root, create a network namespace with a TAP device, run\n"
    "`netstack serve` there, ping it and exchange UDP with it from the kernel, print a\n"
    "short report and clean up (the same as `make demo`).\n";

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
		return usage_error("missing command (serve, demo, --help or --version)");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(help_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("netstack %s\n", NS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "serve")) {
		struct serve_opts o;
		int rc = serve_parse(argc - 2, argv + 2, &o);
		if (rc == 1) {
			fputs(help_text, stdout);
			return 0;
		}
		if (rc)
			return rc;
		return serve_run(&o);
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
