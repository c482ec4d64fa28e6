/* test_metrics: the metrics registry and its text exposition format 0.0.4 (escaping of label
 * values and HELP text, special values, sorting, the series bound, concurrent counting), the
 * address parser of --metrics, and the HTTP side (/metrics, /healthz, /readyz, 404, 405, a
 * port in use) over a real connection. When promtool (Debian's prometheus package) is
 * installed, it checks the rendered text too. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "metrics.h"
#include "metrics_http.h"
#include "tap.h"
#include "util.h"
#include "watch_metrics.h"

static char *
escaped_label(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	metrics_escape_label(&sb, s);
	if (sb.buf == NULL)
		sb_adds(&sb, "");
	return sb.buf;
}

static void
test_escaping(void)
{
	struct strbuf sb;
	char *e;

	e = escaped_label("plain value");
	is_str(e, "plain value", "a plain value is as it is");
	free(e);
	e = escaped_label("say \"hi\"");
	is_str(e, "say \\\"hi\\\"", "double quotes escaped");
	free(e);
	e = escaped_label("C:\\dir\\file");
	is_str(e, "C:\\\\dir\\\\file", "backslashes escaped");
	free(e);
	e = escaped_label("two\nlines");
	is_str(e, "two\\nlines", "a line feed as \\n");
	free(e);
	e = escaped_label("all \\\"\n");
	is_str(e, "all \\\\\\\"\\n", "all three together, in order");
	free(e);
	e = escaped_label("snowman \xe2\x98\x83 tab\there");
	is_str(e, "snowman \xe2\x98\x83 tab\there", "UTF-8 and tabs as they are");
	free(e);
	sb_init(&sb);
	metrics_escape_help(&sb, "a \\ and \"quotes\"\nnext");
	is_str(sb.buf, "a \\\\ and \"quotes\"\\nnext", "HELP: backslash and line feed escaped, "
	    "quotes not");
	sb_free(&sb);
	sb_init(&sb);
	metrics_format_value(&sb, NAN);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, INFINITY);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, -INFINITY);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, 42);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, 0.25);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, 1.872);
	sb_adds(&sb, " ");
	metrics_format_value(&sb, -3);
	is_str(sb.buf, "NaN +Inf -Inf 42 0.25 1.872 -3", "values: NaN, +Inf, -Inf, integers, "
	    "shortest decimals");
	sb_free(&sb);
	ok(metrics_name_ok("tfdrift_events_total", 0) && metrics_name_ok("a:b", 0) &&
	    !metrics_name_ok("a:b", 1) && !metrics_name_ok("9a", 0) && !metrics_name_ok("a-b", 0) &&
	    !metrics_name_ok("", 1), "metric and label names");
}

/* Run promtool check metrics on text; -1 when promtool is not installed. */
static int
promtool(const char *text, char *out, size_t outsz)
{
	char path[] = "/tmp/test_metrics.XXXXXX", *cmd;
	FILE *fp, *p;
	size_t n;
	int fd, rc;

	if (access("/usr/bin/promtool", X_OK) != 0 && system("command -v promtool > /dev/null "
	    "2>&1") != 0)
		return -1;
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return -2;
	fputs(text, fp);
	fclose(fp);
	cmd = xasprintf("promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	n = p != NULL ? fread(out, 1, outsz - 1, p) : 0;
	out[n] = '\0';
	rc = p != NULL ? pclose(p) : -2;
	free(cmd);
	unlink(path);
	return rc;
}

static void
test_render(void)
{
	static const char *const lab[] = { "source", "outcome", NULL };
	static const char *const one[] = { "path", NULL };
	struct metrics *m = metrics_new();
	struct metric_family *ev, *g, *empty;
	struct metric *s;
	struct strbuf sb;
	char out[4096];
	int rc;

	ev = metrics_family(m, "tfdrift_events_total", "Events read.\nBy \\source\\.",
	    METRIC_COUNTER, lab);
	ok(metrics_family(m, "tfdrift_events_total", "other", METRIC_COUNTER, lab) == ev,
	    "a family asked for twice is the same one");
	s = metrics_get(ev, "cloudtrail \"prod\" eu-west-1", "drift");
	metric_inc(s);
	metric_add(s, 41);
	ok(metrics_get(ev, "cloudtrail \"prod\" eu-west-1", "drift") == s,
	    "the same label values: the same series");
	metric_inc(metrics_get(ev, "C:\\logs\nnew", "read_only"));
	g = metrics_family(m, "tfdrift_lag_seconds", "Lag.", METRIC_GAUGE, one);
	metric_set(metrics_get(g, "a"), 1.5);
	metric_set(metrics_get(g, "b"), NAN);
	metric_gauge_add(metrics_get(g, "a"), -0.25);
	empty = metrics_family(m, "tfdrift_a_total", "Nothing yet.", METRIC_COUNTER, NULL);
	(void)empty;
	sb_init(&sb);
	metrics_render(m, &sb);
	is_str(sb.buf,
	    "# HELP tfdrift_a_total Nothing yet.\n"
	    "# TYPE tfdrift_a_total counter\n"
	    "# HELP tfdrift_events_total Events read.\\nBy \\\\source\\\\.\n"
	    "# TYPE tfdrift_events_total counter\n"
	    "tfdrift_events_total{source=\"cloudtrail \\\"prod\\\" eu-west-1\",outcome=\"drift\"} 42\n"
	    "tfdrift_events_total{source=\"C:\\\\logs\\nnew\",outcome=\"read_only\"} 1\n"
	    "# HELP tfdrift_lag_seconds Lag.\n"
	    "# TYPE tfdrift_lag_seconds gauge\n"
	    "tfdrift_lag_seconds{path=\"a\"} 1.25\n"
	    "tfdrift_lag_seconds{path=\"b\"} NaN\n",
	    "the exposition: families by name, HELP and TYPE, escaped labels, values");
	rc = promtool(sb.buf, out, sizeof out);
	if (rc == -1)
		ok(1, "# SKIP promtool is not installed");
	else {
		ok(rc == 0, "promtool check metrics accepts it");
		if (rc != 0)
			diag("%s", out);
	}
	sb_free(&sb);
	metrics_free(m);
}

static void
test_bound(void)
{
	static const char *const lab[] = { "actor", NULL };
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_family(m, "t_by_actor_total", "By actor.", METRIC_COUNTER,
	    lab);
	struct strbuf sb;
	char name[16];
	int i;

	metrics_family_max(f, 3);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "user%d", i);
		metric_inc(metrics_get(f, name));
	}
	metric_inc(metrics_get(f, "user1"));
	sb_init(&sb);
	metrics_render(m, &sb);
	is_str(sb.buf, "# HELP t_by_actor_total By actor.\n# TYPE t_by_actor_total counter\n"
	    "t_by_actor_total{actor=\"user0\"} 1\nt_by_actor_total{actor=\"user1\"} 2\n"
	    "t_by_actor_total{actor=\"user2\"} 1\nt_by_actor_total{actor=\"_other\"} 7\n",
	    "at most 3 series, the rest counted under _other");
	sb_free(&sb);
	metrics_free(m);
}

struct inc_arg {
	struct metric *s;
	struct metric_family *f;
};

static void *
incs(void *arg)
{
	struct inc_arg *a = arg;
	int i;

	for (i = 0; i < 100000; i++) {
		metric_inc(a->s);
		if (i % 1000 == 0)
			metric_inc(metrics_get(a->f, "late"));
	}
	return NULL;
}

static void
test_threads(void)
{
	static const char *const lab[] = { "k", NULL };
	struct metrics *m = metrics_new();
	struct metric_family *f = metrics_family(m, "t_total", "T.", METRIC_COUNTER, lab);
	struct inc_arg a = { metrics_get(f, "x"), f };
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, incs, &a);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	is_int((long long)metric_value(a.s), 400000, "4 threads x 100000 increments, none lost");
	is_int((long long)metric_value(metrics_get(f, "late")), 400, "series made while others "
	    "count");
	metrics_free(m);
}

static void
test_addr(void)
{
	char *host = NULL, *err = NULL;
	unsigned port = 1;

	ok(metrics_addr_parse("127.0.0.1:9464", &host, &port, &err) == 0 && host != NULL &&
	    strcmp(host, "127.0.0.1") == 0 && port == 9464, "HOST:PORT");
	free(host);
	ok(metrics_addr_parse(":9464", &host, &port, &err) == 0 && host == NULL && port == 9464,
	    ":PORT: every address");
	ok(metrics_addr_parse("[::1]:0", &host, &port, &err) == 0 && host != NULL &&
	    strcmp(host, "::1") == 0 && port == 0, "[IPV6]:PORT, port 0");
	free(host);
	ok(metrics_addr_parse("localhost:9100", &host, &port, &err) == 0 && port == 9100,
	    "a host name");
	free(host);
#define BAD(a, want, what) do { \
	err = NULL; \
	ok(metrics_addr_parse(a, &host, &port, &err) == -1 && host == NULL && err != NULL && \
	    strstr(err, want) != NULL, "refused: %s (%s)", what, err ? err : "no error"); \
	free(err); \
} while (0)
	BAD("9464", "no port", "no colon");
	BAD("127.0.0.1:", "port must be a number", "an empty port");
	BAD("127.0.0.1:http", "port must be a number", "a service name");
	BAD("127.0.0.1:65536", "port must be a number", "a port too large");
	BAD("127.0.0.1:-1", "port must be a number", "a negative port");
	BAD("::1:9464", "in brackets", "IPv6 without brackets");
	BAD("[::1]9464", "[IPV6]:PORT", "brackets without the colon");
	BAD("", "empty", "empty");
#undef BAD
	{
		char *s = watch_metrics_service("ec2.amazonaws.com"), *t =
		    watch_metrics_service("compute.googleapis.com"), *u = watch_metrics_service(NULL);

		ok(strcmp(s, "ec2") == 0 && strcmp(t, "compute") == 0 && strcmp(u, "unknown") == 0,
		    "service label from the event source: %s %s %s", s, t, u);
		free(s);
		free(t);
		free(u);
	}
}

/* The HTTP side, through a real connection. */
static int fail_one = 1, is_ready;

static void
cb_health(void *ctx, json_object *sources, json_object *states)
{
	(void)ctx;
	if (fail_one)
		json_object_object_add(sources, "cloudtrail lab us-east-1",
		    json_object_new_string("HTTP 500 \"boom\""));
	(void)states;
}

static int
cb_ready(void *ctx, char **why)
{
	(void)ctx;
	if (!is_ready)
		*why = xstrdup("loading the states");
	return is_ready;
}

static long
get(struct http *h, const char *method, const char *url, char **body, char **type)
{
	struct http_req rq;
	struct http_resp rs;
	char *err = NULL;
	long st;

	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.url = url;
	rq.timeout_ms = 5000;
	if (strcmp(method, "POST") == 0) {
		rq.body = "x";
		rq.body_len = 1;
	}
	if (http_do(h, &rq, &rs, &err) != 0) {
		diag("%s %s: %s", method, url, err);
		free(err);
		http_resp_free(&rs);
		return -1;
	}
	st = rs.status;
	if (body != NULL)
		*body = xstrdup(rs.body.buf != NULL ? rs.body.buf : "");
	if (type != NULL)
		*type = xstrdup(rs.content_type);
	http_resp_free(&rs);
	return st;
}

static void
test_http(void)
{
	static const char *const lab[] = { "q", NULL };
	struct metrics *m = metrics_new();
	struct metrics_http_cb cb = { m, cb_health, cb_ready, NULL };
	struct metrics_http *srv, *again;
	struct http *h = http_new();
	char *err = NULL, *body = NULL, *type = NULL, url[128], addr[64];
	unsigned port;

	metric_inc(metrics_get(metrics_family(m, "t_requests_total", "R.", METRIC_COUNTER, lab),
	    "a\"b"));
	srv = metrics_http_start("127.0.0.1:0", &cb, &err);
	ok(srv != NULL, "the server starts on 127.0.0.1:0 (%s)", err ? err : "ok");
	if (srv == NULL)
		return;
	port = metrics_http_port(srv);
	ok(port > 0, "on a port of its own (%u)", port);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
	is_int(get(h, "GET", url, &body, &type), 200, "GET /metrics: 200");
	is_str(type, "text/plain; version=0.0.4; charset=utf-8", "the text format's content type");
	is_str(body, "# HELP t_requests_total R.\n# TYPE t_requests_total counter\n"
	    "t_requests_total{q=\"a\\\"b\"} 1\n", "the registry");
	free(body);
	free(type);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", port);
	is_int(get(h, "GET", url, &body, &type), 503, "GET /healthz with a failing source: 503");
	is_str(body, "{\"status\":\"failing\",\"sources\":{\"cloudtrail lab us-east-1\":"
	    "\"HTTP 500 \\\"boom\\\"\"},\"states\":{}}\n", "a JSON body naming it and why");
	is_str(type, "application/json", "as JSON");
	free(body);
	free(type);
	fail_one = 0;
	is_int(get(h, "GET", url, &body, NULL), 200, "healthy again: 200");
	is_str(body, "{\"status\":\"ok\",\"sources\":{},\"states\":{}}\n", "status ok");
	free(body);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/readyz", port);
	is_int(get(h, "GET", url, &body, NULL), 503, "/readyz before ready: 503");
	is_str(body, "{\"status\":\"not ready\",\"reason\":\"loading the states\"}\n",
	    "saying what it waits for");
	free(body);
	is_ready = 1;
	is_int(get(h, "GET", url, NULL, NULL), 200, "/readyz once ready: 200");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/nope", port);
	is_int(get(h, "GET", url, NULL, NULL), 404, "another path: 404");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
	is_int(get(h, "POST", url, NULL, NULL), 405, "POST: 405");
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	again = metrics_http_start(addr, &cb, &err);
	ok(again == NULL && err != NULL && strstr(err, "Address already in use") != NULL &&
	    strstr(err, addr) != NULL, "the same port again: %s", err ? err : "started");
	free(err);
	err = NULL;
	metrics_http_stop(again);
	again = metrics_http_start("192.0.2.1:9464", &cb, &err);
	ok(again == NULL && err != NULL && strstr(err, "cannot listen") != NULL,
	    "an address not of this machine: %s", err ? err : "started");
	free(err);
	metrics_http_stop(again);
	metrics_http_stop(srv);
	http_free(h);
	metrics_free(m);
}

int
main(void)
{
	http_global_init();
	test_escaping();
	test_render();
	test_bound();
	test_threads();
	test_addr();
	test_http();
	return done_testing();
}
