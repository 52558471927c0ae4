/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the HTTP/1.1 request-head parser and the response heads of the
 * `netstack serve` web service, as pure functions over (pointer, length).
 *
 * http_head_end() finds where a request head ends (the empty line, CRLF or bare LF, RFC 9112
 * 2.2) in the bytes received so far; the caller only parses a complete head, and refuses a
 * head larger than HTTP_MAX_HEAD. http_parse() then reads it: empty lines before the request
 * line are skipped (RFC 9112 2.2), the request line is METHOD SP TARGET SP HTTP/1.x with a
 * token method, a target of visible characters (origin form, or absolute form whose path is
 * taken), and a version of HTTP/1.0 or HTTP/1.1; each header line is a token name, a colon
 * with no white space before it (RFC 9112 5.1) and a value; obsolete line folding and control
 * characters are rejected. Anything else is malformed (400). Only three headers matter here:
 * Connection (its tokens `close` and `keep-alive`, case-insensitive), Content-Length (a body
 * to skip; conflicting values are malformed, RFC 9112 6.3) and Transfer-Encoding (a request
 * body in a transfer coding: refused with 501 and the connection closed, since its length
 * cannot be known without decoding it).
 *
 * Routing: GET or HEAD of `/` is a small HTML page; of `/bytes/N` (N decimal, up to
 * HTTP_MAX_BYTES) a body of exactly N bytes where byte i is i mod 251; everything else is 404.
 * A query string is ignored. Keep-alive is the default for HTTP/1.1 and opt-in for 1.0.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tool.h"

const char http_index_page[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>netstack</title></head>\n"
    "<body><h1>netstack</h1>\n"
    "<p>A TCP/IP stack in a process, answering over TCP.</p>\n"
    "<p><a href=\"/bytes/1000\">/bytes/N</a>: N bytes, byte i is i mod 251.</p>\n"
    "</body></html>\n";
const size_t http_index_len = sizeof(http_index_page) - 1;

const char http_not_found_body[] = "404 not found\n";
const size_t http_not_found_len = sizeof(http_not_found_body) - 1;
const char http_bad_request_body[] = "400 bad request\n";
const size_t http_bad_request_len = sizeof(http_bad_request_body) - 1;
const char http_not_impl_body[] = "501 not implemented\n";
const size_t http_not_impl_len = sizeof(http_not_impl_body) - 1;

size_t http_head_end(const uint8_t *p, size_t n)
{
	/* The head ends at the first empty line: "\n\n" or "\n\r\n" (a line ending in LF or
	 * CRLF followed by an empty one). Leading empty lines come before the request line
	 * and do not end anything. */
	size_t i = 0;
	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	for (; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool is_tchar(uint8_t c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Next line from pos up to end: sets ls and le (CR LF excluded); false at the end. */
static bool next_line(const uint8_t *p, size_t end, size_t *pos, size_t *ls, size_t *le)
{
	size_t i = *pos;
	if (i >= end)
		return false;
	*ls = i;
	while (i < end && p[i] != '\n')
		i++;
	size_t e = i;
	if (e > *ls && p[e - 1] == '\r')
		e--;
	*le = e;
	*pos = i < end ? i + 1 : end;
	return true;
}

static bool token_eq(const uint8_t *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp((const char *)s, word, n) == 0;
}

/* Parse a decimal without sign into *out; false on anything else or overflow past @max. */
static bool parse_u64(const uint8_t *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static void parse_connection(struct http_req *r, const uint8_t *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (token_eq(v + s, i - s, "close"))
			r->conn_close = true;
		else if (token_eq(v + s, i - s, "keep-alive"))
			r->conn_keep_alive = true;
	}
}

static void route(struct http_req *r, const uint8_t *t, size_t n)
{
	/* Absolute form (RFC 9112 3.2.2): take the path after the authority. */
	if (n >= 7 && (strncasecmp((const char *)t, "http://", 7) == 0 ||
	               (n >= 8 && strncasecmp((const char *)t, "https://", 8) == 0))) {
		size_t skip = t[4] == ':' ? 7 : 8;
		const uint8_t *slash = memchr(t + skip, '/', n - skip);
		if (!slash) {
			t = (const uint8_t *)"/";
			n = 1;
		} else {
			n -= (size_t)(slash - t);
			t = slash;
		}
	}
	const uint8_t *q = memchr(t, '?', n);
	if (q)
		n = (size_t)(q - t);
	r->route = HTTP_ROUTE_NOT_FOUND;
	if (n == 1 && t[0] == '/') {
		r->route = HTTP_ROUTE_INDEX;
	} else if (n > 7 && memcmp(t, "/bytes/", 7) == 0) {
		if (parse_u64(t + 7, n - 7, HTTP_MAX_BYTES, &r->nbytes))
			r->route = HTTP_ROUTE_BYTES;
	}
}

enum http_status http_parse(const uint8_t *p, size_t n, struct http_req *r)
{
	size_t pos = 0, ls, le;
	memset(r, 0, sizeof(*r));

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (pos < n && (p[pos] == '\r' || p[pos] == '\n'))
		pos++;
	if (!next_line(p, n, &pos, &ls, &le))
		return HTTP_400;

	/* Request line: method SP target SP version, single spaces. */
	size_t i = ls;
	while (i < le && is_tchar(p[i]))
		i++;
	if (i == ls || i >= le || p[i] != ' ')
		return HTTP_400;
	size_t mlen = i - ls;
	const uint8_t *m = p + ls;
	size_t ts = ++i;
	while (i < le && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i == ts || i >= le || p[i] != ' ')
		return HTTP_400;
	size_t te = i++;
	if (le - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || !isdigit(p[i + 7]))
		return HTTP_400;
	r->minor = (uint8_t)(p[i + 7] - '0');
	r->head = mlen == 4 && !memcmp(m, "HEAD", 4);
	r->get = mlen == 3 && !memcmp(m, "GET", 3);

	/* Header fields. */
	bool have_len = false;
	while (next_line(p, n, &pos, &ls, &le) && le > ls) {
		if (p[ls] == ' ' || p[ls] == '\t')
			return HTTP_400; /* obsolete line folding (RFC 9112 5.2) */
		size_t c = ls;
		while (c < le && is_tchar(p[c]))
			c++;
		if (c == ls || c >= le || p[c] != ':')
			return HTTP_400; /* no name, or white space before the colon */
		const uint8_t *name = p + ls;
		size_t nlen = c - ls;
		size_t vs = c + 1, ve = le;
		while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
			vs++;
		while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
			ve--;
		for (size_t k = vs; k < ve; k++)
			if ((p[k] < ' ' && p[k] != '\t') || p[k] == 0x7f)
				return HTTP_400;
		if (token_eq(name, nlen, "connection")) {
			parse_connection(r, p + vs, ve - vs);
		} else if (token_eq(name, nlen, "content-length")) {
			uint64_t v;
			if (!parse_u64(p + vs, ve - vs, UINT64_MAX, &v))
				return HTTP_400;
			if (have_len && v != r->body_len)
				return HTTP_400;
			have_len = true;
			r->body_len = v;
		} else if (token_eq(name, nlen, "transfer-encoding")) {
			r->chunked = true;
		}
	}
	if (r->chunked) {
		r->conn_close = true;
		return HTTP_501;
	}
	if (r->minor == 0 && !r->conn_keep_alive)
		r->conn_close = true;
	if (r->get || r->head)
		route(r, p + ts, te - ts);
	else
		r->route = HTTP_ROUTE_NOT_FOUND;
	return r->route == HTTP_ROUTE_NOT_FOUND ? HTTP_404 : HTTP_200;
}

size_t http_format_head(char *buf, size_t cap, enum http_status st, const char *ctype, uint64_t len,
                        bool close)
{
	static const char *const reason[] = {
	    [HTTP_200] = "200 OK",
	    [HTTP_400] = "400 Bad Request",
	    [HTTP_404] = "404 Not Found",
	    [HTTP_431] = "431 Request Header Fields Too Large",
	    [HTTP_501] = "501 Not Implemented",
	};
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int n = snprintf(buf, cap,
	                 "HTTP/1.1 %s\r\n"
	                 "Server: netstack\r\n"
	                 "Date: %s\r\n"
	                 "Content-Type: %s\r\n"
	                 "Content-Length: %" PRIu64 "\r\n"
	                 "Connection: %s\r\n"
	                 "\r\n",
	                 reason[st], date, ctype, len, close ? "close" : "keep-alive");
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
