/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit webhook backend: a small HTTP/1.1 server that accepts the
 * EventList POSTs the API server sends (one request per connection, a
 * Content-Length body of at most BW_MAX_AUDIT_BATCH_SIZE bytes, headers of
 * at most 16 KiB, 10 s to send them). A bad body is answered 400 and
 * logged; the server keeps running.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bulwark/runtime.h"

#define MAX_HEADER (16u << 10)
#define IO_TIMEOUT_SEC 10

static int open_listener(const char *addr, struct bw_error **err)
{
	char host[256], port[16];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res = NULL;
	int fd = -1, one = 1, r;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) || strlen(colon + 1) >= sizeof(port) ||
	    !colon[1])
		return bw_error_set(err, -EINVAL, "bad listen address `%s` (HOST:PORT or :PORT)",
				    addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	strcpy(port, colon + 1);
	/* [::1]:port */
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = 0;
		h++;
	}
	r = getaddrinfo(*h ? h : NULL, port, &hints, &res);
	if (r)
		return bw_error_set(err, -EINVAL, "cannot resolve `%s`: %s", addr, gai_strerror(r));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return bw_error_set(err, -errno ? -errno : -EADDRNOTAVAIL, "cannot listen on `%s`: %s",
				    addr, strerror(errno));
	return fd;
}

static void reply(int fd, int code, const char *reason, const char *body)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 code, reason, strlen(body), body);

	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		bw_log(BW_LOG_DEBUG, "webhook: cannot write the response: %s", strerror(errno));
}

/* Reads and handles one request. Returns fn's negative result to stop. */
static int handle(int fd, bw_audit_event_fn fn, void *ud)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };
	char *buf = malloc(MAX_HEADER + 1), *body = NULL, *end = NULL;
	size_t have = 0, clen = 0;
	ssize_t n;
	int ret = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!buf)
		return 0;
	while (have < MAX_HEADER) {
		n = read(fd, buf + have, MAX_HEADER - have);
		if (n <= 0)
			goto out;
		have += (size_t)n;
		buf[have] = 0;
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
	}
	if (!end) {
		reply(fd, 431, "Request Header Fields Too Large", "headers too large\n");
		goto out;
	}
	if (strncmp(buf, "POST ", 5)) {
		reply(fd, 405, "Method Not Allowed", "only POST is accepted\n");
		goto out;
	}
	bool have_len = false;
	for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, "Content-Length:", 15)) {
			char *e;
			unsigned long long v = strtoull(l + 17, &e, 10);
			if (v > BW_MAX_AUDIT_BATCH_SIZE) {
				reply(fd, 413, "Payload Too Large", "body too large\n");
				goto out;
			}
			clen = (size_t)v;
			have_len = true;
		}
	}
	if (!have_len) {
		reply(fd, 411, "Length Required", "a Content-Length is required\n");
		goto out;
	}
	size_t hlen = (size_t)(end + 4 - buf), got = have - hlen;
	if (got > clen)
		got = clen;
	body = malloc(clen + 1);
	if (!body)
		goto out;
	memcpy(body, end + 4, got);
	while (got < clen) {
		n = read(fd, body + got, clen - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	body[clen] = 0;

	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;
	if (bw_audit_decode(body, clen, &b, &err) < 0) {
		bw_log(BW_LOG_WARN, "webhook: %s, ignoring the request",
		       err && err->msg ? err->msg : "invalid body");
		reply(fd, 400, "Bad Request", err && err->msg ? err->msg : "invalid body");
		bw_error_free(err);
		goto out;
	}
	for (size_t i = 0; i < bw_audit_batch_count(b) && ret >= 0; i++)
		ret = fn(bw_audit_batch_event(b, i), ud);
	bw_audit_batch_free(b);
	reply(fd, 200, "OK", "");
out:
	free(buf);
	free(body);
	return ret < 0 ? ret : 0;
}

int bw_audit_listen(const char *addr, bw_audit_event_fn fn, void *userdata, volatile bool *stop,
		    struct bw_error **err)
{
	int lfd = open_listener(addr, err);

	if (lfd < 0)
		return lfd;
	bw_log(BW_LOG_INFO, "listening for audit events on %s", addr);
	while (!stop || !*stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int r = poll(&p, 1, 500);
		if (r <= 0) {
			/* A tick between requests: the caller's housekeeping. */
			if ((r = fn(NULL, userdata)) < 0) {
				close(lfd);
				return bw_error_set(err, r, "webhook: stopped");
			}
			continue;
		}
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		r = handle(cfd, fn, userdata);
		close(cfd);
		if (r < 0) {
			close(lfd);
			return bw_error_set(err, r, "webhook: cannot handle events");
		}
	}
	close(lfd);
	return 0;
}
