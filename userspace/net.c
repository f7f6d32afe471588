// SPDX-License-Identifier: GPL-2.0
/*
 * zcctl: the socket words 'send' and 'recv' share - which protocol --sock
 * names, how an address is written, how big a datagram may be - so the two
 * ends of a run always agree. Addresses are numeric only: the tools are
 * static and the VM has no resolver.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "zcctl.h"

static const struct zcctl_proto protos[] = {
	{ "tcp", AF_INET, SOCK_STREAM },
	{ "udp", AF_INET, SOCK_DGRAM },
	{ "tcp6", AF_INET6, SOCK_STREAM },
	{ "udp6", AF_INET6, SOCK_DGRAM },
};

int zcctl_opt_sock(const char *where, const char *arg,
		   const struct zcctl_proto **proto)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(arg, protos[i].name)) {
			*proto = &protos[i];
			return 0;
		}
	}
	return zcctl_usage(where, "--sock %s: expected tcp, udp, tcp6 or udp6", arg);
}

/* "5000" -> 5000; 0 only if @zero_ok. */
static int parse_port(const char *s, int zero_ok, uint16_t *port)
{
	uint64_t v;

	if (zc_parse_u64(s, &v) || v > 65535 || (!v && !zero_ok))
		return -EINVAL;
	*port = v;
	return 0;
}

int zcctl_opt_addr(const char *where, const char *opt, const char *arg,
		   const struct zcctl_proto *proto, int listen,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	const char *v6 = proto->family == AF_INET6 ? "6" : "";
	char host[INET6_ADDRSTRLEN + 2] = "";
	const char *port_s = NULL, *colon;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	int bracket = arg[0] == '[';
	uint16_t port;
	size_t hl;

	if (bracket) {
		const char *end = strchr(arg, ']');

		if (!end || end[1] != ':')
			goto bad;
		hl = end - arg - 1;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, arg + 1, hl);
		host[hl] = 0;
		port_s = end + 2;
	} else if ((colon = strrchr(arg, ':'))) {
		/* "::1:5000" is ambiguous: IPv6 with a port needs brackets. */
		if (memchr(arg, ':', colon - arg))
			return zcctl_usage(where, "%s %s: write an IPv6 address "
					   "with a port as [ADDR]:PORT", opt, arg);
		hl = colon - arg;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, arg, hl);
		host[hl] = 0;
		port_s = colon + 1;
	} else if (listen) {
		port_s = arg;
	} else {
		goto bad;
	}
	if (parse_port(port_s, listen, &port))
		goto bad;

	memset(ss, 0, sizeof(*ss));
	if (proto->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		if (*host && inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			if (strchr(host, ':'))
				return zcctl_usage(where, "%s %s: an IPv6 address; "
						   "use --sock %s6", opt, arg,
						   proto->name);
			goto bad;
		}
		*len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		if (*host && inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			struct in_addr a;

			if (inet_pton(AF_INET, host, &a) == 1)
				return zcctl_usage(where, "%s %s: an IPv4 address; "
						   "use --sock %.3s", opt, arg,
						   proto->name);
			goto bad;
		}
		*len = sizeof(*s6);
	}
	if (!listen && !*host)
		goto bad;
	return 0;
bad:
	if (listen)
		return zcctl_usage(where, "%s %s: expected [ADDR:]PORT, e.g. 5000, "
				   "%s", opt, arg, *v6 ? "[::1]:5000" : "127.0.0.1:5000");
	return zcctl_usage(where, "%s %s: expected ADDR:PORT with a numeric "
			   "address, e.g. %s", opt, arg,
			   *v6 ? "[::1]:5000" : "127.0.0.1:5000");
}

char *zcctl_fmt_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		snprintf(out, outlen, "(family %d)", sa->sa_family);
	}
	return out;
}

uint64_t zcctl_udp_max_payload(int family)
{
	/* 65535 minus the UDP header, and for IPv4 its IP header too. */
	return family == AF_INET6 ? 65527 : 65507;
}
