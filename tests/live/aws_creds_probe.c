/* aws_creds_probe: resolve AWS credentials through the chain and print one JSON line per get:
 * {"source","access_key_id","has_session_token","expires","ms"}. The secret and the session
 * token are never printed. Used by tests/live/aws_creds.sh against tests/mock/aws_auth.js.
 *
 *   aws_creds_probe [--profile P] [--region R] [--twice-after MS] [--threads N]
 *                   [--region-default] [--container-url]
 *   aws_creds_probe [--profile P] --endpoint ID HOST REGION
 *   aws_creds_probe [--profile P] --ca-bundle
 *
 * --twice-after MS: get, sleep MS, get again (a refresh when the keys expire within the window).
 * --threads N: after the first get, N threads get at once (one refresh among them).
 * --region-default: print aws_region_default(profile) instead.
 * --container-url: print aws_container_url() instead.
 * --endpoint: print aws_endpoint(P, ID, HOST, REGION, NULL), or its error on stderr (exit 1).
 * --ca-bundle: print aws_ca_bundle(P) ("(none)" for the system's), or its error (exit 1). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws_creds.h"
#include "http.h"
#include "util.h"

static struct aws_creds *creds;

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
one(void)
{
	struct aws_keys_buf k;
	char *err = NULL, t[32];
	double t0 = mono_ms(), dt;

	if (aws_creds_get(creds, &k, &err) != 0) {
		fprintf(stderr, "aws_creds_probe: %s\n", err);
		free(err);
		return -1;
	}
	dt = mono_ms() - t0;
	if (k.expires_ms != 0)
		tf_format_time(k.expires_ms, t);
	flockfile(stdout);
	printf("{\"source\":\"%s\",\"access_key_id\":\"%s\",\"has_session_token\":%s,"
	    "\"expires\":%s%s%s,\"ms\":%.1f}\n", aws_creds_source(creds), k.access_key_id,
	    k.session_token != NULL ? "true" : "false", k.expires_ms ? "\"" : "",
	    k.expires_ms ? t : "null", k.expires_ms ? "\"" : "", dt);
	fflush(stdout);
	funlockfile(stdout);
	aws_keys_buf_clear(&k);
	return 0;
}

static void *
worker(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)one();
}

int
main(int argc, char **argv)
{
	struct aws_creds_opts o;
	long twice = -1, threads = 0;
	int i, rc = 0, mode = 0;
	const char *ep[3] = { NULL, NULL, NULL };

	memset(&o, 0, sizeof o);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			o.profile = argv[++i];
		else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc)
			o.region = argv[++i];
		else if (strcmp(argv[i], "--twice-after") == 0 && i + 1 < argc)
			twice = atol(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atol(argv[++i]);
		else if (strcmp(argv[i], "--region-default") == 0)
			mode = 1;
		else if (strcmp(argv[i], "--container-url") == 0)
			mode = 2;
		else if (strcmp(argv[i], "--endpoint") == 0 && i + 3 < argc) {
			mode = 3;
			ep[0] = argv[++i];
			ep[1] = argv[++i];
			ep[2] = argv[++i];
		} else if (strcmp(argv[i], "--ca-bundle") == 0)
			mode = 4;
		else {
			fprintf(stderr, "usage: aws_creds_probe [--profile P] [--region R] "
			    "[--twice-after MS] [--threads N] [--region-default] [--container-url] "
			    "[--endpoint ID HOST REGION] [--ca-bundle]\n");
			return 2;
		}
	}
	if (mode == 1) {
		char *r = aws_region_default(o.profile);

		printf("%s\n", r != NULL ? r : "(none)");
		free(r);
		return 0;
	}
	if (mode == 2) {
		char *err = NULL, *u = aws_container_url(&err);

		printf("%s\n", u != NULL ? u : err != NULL ? err : "(none)");
		free(u);
		free(err);
		return 0;
	}
	if (mode == 3 || mode == 4) {
		char *err = NULL, *u = NULL;

		if (mode == 3)
			u = aws_endpoint(o.profile, ep[0], ep[1], ep[2], NULL, &err);
		else if (aws_ca_bundle(o.profile, &u, &err) == 0 && u == NULL)
			u = xstrdup("(none)");
		if (u == NULL)
			fprintf(stderr, "aws_creds_probe: %s\n", err);
		else
			printf("%s\n", u);
		rc = u == NULL;
		free(u);
		free(err);
		return rc;
	}
	http_global_init();
	creds = aws_creds_new(&o);
	if (one() != 0)
		rc = 1;
	if (rc == 0 && twice >= 0) {
		usleep((useconds_t)twice * 1000);
		if (threads > 0) {
			pthread_t *t = xcalloc((size_t)threads, sizeof *t);
			void *r;

			for (i = 0; i < threads; i++)
				pthread_create(&t[i], NULL, worker, NULL);
			for (i = 0; i < threads; i++) {
				pthread_join(t[i], &r);
				if (r != NULL)
					rc = 1;
			}
			free(t);
		} else if (one() != 0)
			rc = 1;
	}
	aws_creds_free(creds);
	return rc;
}
