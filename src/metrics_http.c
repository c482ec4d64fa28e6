/* metrics_http: /metrics, /healthz and /readyz on libmicrohttpd (see metrics_http.h). */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "compat.h"
#include "metrics_http.h"
#include "text.h"
#include "util.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *d;
	struct metrics_http_cb cb;
	int fd;
	unsigned port;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type, char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static char *
json_text(json_object *o)
{
	char *s = text_json_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *r = xasprintf("%s\n", s);

	free(s);
	json_object_put(o);
	return r;
}

static enum MHD_Result
health(struct metrics_http *h, struct MHD_Connection *c)
{
	json_object *o = json_object_new_object(), *src = json_object_new_object();
	json_object *sts = json_object_new_object();
	int ok;

	h->cb.health(h->cb.ctx, src, sts);
	ok = json_object_object_length(src) == 0 && json_object_object_length(sts) == 0;
	json_object_object_add(o, "status", json_object_new_string(ok ? "ok" : "failing"));
	json_object_object_add(o, "sources", src);
	json_object_object_add(o, "states", sts);
	return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
	    json_text(o));
}

static enum MHD_Result
ready(struct metrics_http *h, struct MHD_Connection *c)
{
	json_object *o = json_object_new_object();
	char *why = NULL;
	int ok = h->cb.ready(h->cb.ctx, &why);

	json_object_object_add(o, "status", json_object_new_string(ok ? "ready" : "not ready"));
	if (!ok)
		json_object_object_add(o, "reason", json_object_new_string(why != NULL ? why : ""));
	free(why);
	return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
	    json_text(o));
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct metrics_http *h = cls;

	(void)version;
	(void)upload;
	/* The first call for a request only announces it (its headers are in). */
	if (*state == NULL) {
		*state = h;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;       /* a body is not read: 405 follows */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
		    xstrdup("only GET\n"));
	if (strcmp(url, "/metrics") == 0) {
		struct strbuf sb;

		sb_init(&sb);
		metrics_render(h->cb.m, &sb);
		if (sb.buf == NULL)
			sb_adds(&sb, "");
		return reply(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, sb.buf);
	}
	if (strcmp(url, "/healthz") == 0)
		return health(h, c);
	if (strcmp(url, "/readyz") == 0)
		return ready(h, c);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
	    xstrdup("not found: /metrics, /healthz, /readyz\n"));
}

/* A listening socket on host:port; -1 with *err (bind's own words: in use, not an address
 * of this machine, permission). */
static int
listen_on(const char *addr, const char *host, unsigned port, int *family, char **err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1, rc, e = 0, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%u", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		return tf_err(err, "--metrics %s: %s: %s", addr, host != NULL ? host : "*",
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = compat_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol, 0)) < 0) {
			e = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) {
			*family = ai->ai_family;
			break;
		}
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return tf_err(err, "--metrics %s: cannot listen there: %s", addr, strerror(e));
	return fd;
}

struct metrics_http *
metrics_http_start(const char *addr, const struct metrics_http_cb *cb, char **err)
{
	struct metrics_http *h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	sigset_t all, old;
	char *host = NULL;
	unsigned port;
	int fd, family = AF_INET;

	if (metrics_addr_parse(addr, &host, &port, err) != 0) {
		char *e = xasprintf("--metrics %s", *err);

		free(*err);
		*err = e;
		return NULL;
	}
	fd = listen_on(addr, host, port, &family, err);
	free(host);
	if (fd < 0)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->cb = *cb;
	h->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	/* Its thread takes no signal: they go to watch's main thread (sigwait). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    (family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, handle, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		close(fd);
		free(h);
		tf_err(err, "--metrics %s: the HTTP server (libmicrohttpd) did not start", addr);
		return NULL;
	}
	return h;
}

unsigned
metrics_http_port(const struct metrics_http *h)
{
	return h != NULL ? h->port : 0;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);          /* closes the listening socket too */
	free(h);
}
