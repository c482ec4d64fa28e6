/* state_probe: drive src/backends end to end for the shell tests. Fetch a state N times,
 * parse each new body with tfstate_parse and print one JSON line per fetch:
 *   {"fetch":1,"changed":true,"serial":3,"lineage":"...","resources":26,"bytes":27381,"ms":4.2}
 *   {"fetch":2,"changed":false,"serial":3,...}          (the copy kept from before)
 *   {"fetch":3,"error":"...","serial":3,...}            (the last good copy is kept)
 * AWS keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (aws_creds_static), the GCS
 * bearer token from STATE_PROBE_GCS_TOKEN (a fixed token source), never from argv.
 * --between URLS (repeatable): after fetch i, GET the i-th argument's URLs (space-separated;
 * a mock's control endpoints). --deadline MS: each fetch is aborted MS after it starts (the
 * way `watch --once` bounds its states, through tf_thread_stop_set).
 * Exit: 0 when every fetch succeeded, 1 otherwise, 2 on a bad command line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "backends/backend.h"
#include "http.h"
#include "tfstate.h"
#include "util.h"

static int
fixed_token(void *ctx, char **token, char **err)
{
	const char *t = getenv((const char *)ctx);

	if (t == NULL || *t == '\0')
		return tf_err(err, "%s is not set", (const char *)ctx);
	*token = xstrdup(t);
	return 0;
}

/* tf_thread_stop_set's check: this fetch's deadline passed. */
static int
past(void *ctx)
{
	return tf_mono_ms() >= *(const int64_t *)ctx;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
usage(void)
{
	fprintf(stderr, "usage: state_probe SPEC [--times N] [--interval MS] [--between URL]... "
	    "[--region R] [--endpoint URL] [--workspace WS] [--gcs-url URL] [--hcp-url URL] "
	    "[--deadline MS] [--describe]\n");
	exit(2);
}

static void
put_state(json_object *o, const struct tf_state *st)
{
	if (st == NULL)
		return;
	json_object_object_add(o, "serial", json_object_new_int64((int64_t)st->serial));
	json_object_object_add(o, "lineage", json_object_new_string(st->lineage ? st->lineage : ""));
	json_object_object_add(o, "resources", json_object_new_int64((int64_t)st->ninst));
}

int
main(int argc, char **argv)
{
	struct state_src_opts o;
	struct state_src *src;
	struct tf_state *good = NULL;
	struct aws_creds *aws = NULL;
	const char *spec = NULL, **between = NULL;
	size_t nbetween = 0;
	long times = 1, interval = 0, deadline = 0;
	int64_t until = 0;
	int describe = 0, failed = 0, i, rc;
	char *err = NULL;
	struct http *h;

	http_global_init();
	memset(&o, 0, sizeof o);
	between = xcalloc((size_t)argc, sizeof *between);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--describe") == 0) {
			describe = 1;
			continue;
		}
		if (a[0] == '-' && a[1] == '-' && v == NULL)
			usage();
		if (strcmp(a, "--times") == 0)
			times = strtol(v, NULL, 10);
		else if (strcmp(a, "--interval") == 0)
			interval = strtol(v, NULL, 10);
		else if (strcmp(a, "--between") == 0)
			between[nbetween++] = v;
		else if (strcmp(a, "--region") == 0)
			o.region = v;
		else if (strcmp(a, "--endpoint") == 0)
			o.endpoint = v;
		else if (strcmp(a, "--workspace") == 0)
			o.workspace = v;
		else if (strcmp(a, "--gcs-url") == 0)
			o.gcs_base_url = v;
		else if (strcmp(a, "--hcp-url") == 0)
			o.hcp_base_url = v;
		else if (strcmp(a, "--deadline") == 0)
			deadline = strtol(v, NULL, 10);
		else if (a[0] == '-' && a[1] == '-')
			usage();
		else if (spec == NULL) {
			spec = a;
			continue;
		} else
			usage();
		i++;
	}
	if (spec == NULL || times < 1)
		usage();
	if (getenv("AWS_ACCESS_KEY_ID") != NULL)
		aws = aws_creds_static(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
		    getenv("AWS_SESSION_TOKEN"));
	o.aws = aws;
	o.gcs_token.get = fixed_token;
	o.gcs_token.ctx = (void *)"STATE_PROBE_GCS_TOKEN";
	o.retries = 1;
	if ((src = state_src_new(spec, &o, &err)) == NULL) {
		fprintf(stderr, "state_probe: %s\n", err);
		free(err);
		aws_creds_free(aws);
		free(between);
		return 2;
	}
	h = http_new();
	for (i = 1; i <= times; i++) {
		json_object *line = json_object_new_object();
		char *buf = NULL;
		size_t len = 0;
		int unchanged = 0;
		double t0 = mono_ms();
		struct state_src_info in;

		json_object_object_add(line, "fetch", json_object_new_int(i));
		if (deadline > 0) {
			until = tf_mono_ms() + deadline;
			tf_thread_stop_set(past, &until);
		}
		rc = state_src_fetch(src, &buf, &len, &unchanged, &err);
		tf_thread_stop_set(NULL, NULL);
		if (rc != 0) {
			json_object_object_add(line, "error", json_object_new_string(err));
			failed = 1;
		} else if (unchanged) {
			json_object_object_add(line, "changed", json_object_new_boolean(0));
		} else {
			struct tf_state *st = NULL;

			if (tfstate_parse(buf, len, spec, &st, &err) != 0) {
				char *why = xasprintf("parse error: %s", err);

				/* Keep the last good copy; download again next time. */
				state_src_reject(src, why);
				json_object_object_add(line, "error", json_object_new_string(why));
				free(why);
				failed = 1;
			} else {
				tfstate_free(good);
				good = st;
				json_object_object_add(line, "changed", json_object_new_boolean(1));
			}
			json_object_object_add(line, "bytes", json_object_new_int64((int64_t)len));
			free(buf);
		}
		put_state(line, good);
		json_object_object_add(line, "ms", json_object_new_double(mono_ms() - t0));
		state_src_describe(src, &in);
		json_object_object_add(line, "received", json_object_new_int64((int64_t)in.bytes));
		if (in.last_change_ms != 0) {
			char t[32];

			tf_format_time(in.last_change_ms, t);
			json_object_object_add(line, "changed_at", json_object_new_string(t));
		}
		state_src_info_clear(&in);
		printf("%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
		json_object_put(line);
		if ((size_t)(i - 1) < nbetween) {
			struct http_req rq;
			struct http_resp rs;

			char *urls = xstrdup(between[i - 1]), *u, *save = NULL;

			/* Several control URLs for one gap are separated by spaces. */
			for (u = strtok_r(urls, " ", &save); u != NULL; u = strtok_r(NULL, " ", &save)) {
				memset(&rq, 0, sizeof rq);
				rq.url = u;
				if (http_do(h, &rq, &rs, &err) != 0 || rs.status != 200)
					fprintf(stderr, "state_probe: control %s failed: %s\n", u,
					    err ? err : "HTTP error");
				http_resp_free(&rs);
			}
			free(urls);
		}
		if (i < times && interval > 0) {
			struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (describe) {
		struct state_src_info in;
		json_object *d = json_object_new_object();

		state_src_describe(src, &in);
		json_object_object_add(d, "kind", json_object_new_string(in.kind));
		json_object_object_add(d, "location", json_object_new_string(in.location));
		if (in.version)
			json_object_object_add(d, "version", json_object_new_string(in.version));
		json_object_object_add(d, "serial", json_object_new_int64((int64_t)in.serial));
		if (in.last_error)
			json_object_object_add(d, "last_error", json_object_new_string(in.last_error));
		json_object_object_add(d, "fetches", json_object_new_int64((int64_t)in.fetches));
		json_object_object_add(d, "downloads", json_object_new_int64((int64_t)in.downloads));
		json_object_object_add(d, "unchanged", json_object_new_int64((int64_t)in.unchanged));
		json_object_object_add(d, "errors", json_object_new_int64((int64_t)in.errors));
		json_object_object_add(d, "bytes", json_object_new_int64((int64_t)in.bytes));
		printf("{\"describe\":%s}\n", json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(d);
		state_src_info_clear(&in);
	}
	free(err);
	tfstate_free(good);
	state_src_free(src);
	aws_creds_free(aws);
	http_free(h);
	free(between);
	return failed;
}
