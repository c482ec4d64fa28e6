/* store_lease: worker leases (take, renew, lose, expire, steal only when expired, take over
 * from a gone holder, release), the cursor saved only by the lease's holder, notification
 * claims, across two connections to one store as two workers have. `--pg`: the same on
 * PostgreSQL, in a schema of its own of the database TFDRIFT_TEST_PG_STORE_URI names
 * (tests/pg/test_store_lease_pg.sh starts a cluster). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store.h"
#include "util.h"
#include "tap.h"

#define T0 1716804000000LL      /* 2024-05-27T10:00:00Z */
#define TTL 30000

static char tmpdir[256];
static const char *pg_uri;

/* The store to test: a file, or (--pg) a fresh schema of the test database. */
static char *
test_location(void)
{
	PGconn *c;
	PGresult *r;

	if (pg_uri == NULL)
		return xasprintf("%s/l.db", tmpdir);
	c = PQconnectdb(pg_uri);
	if (PQstatus(c) != CONNECTION_OK) {
		diag("%s", PQerrorMessage(c));
		PQfinish(c);
		return xstrdup(pg_uri);
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, "DROP SCHEMA IF EXISTS t_leases CASCADE; CREATE SCHEMA t_leases");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		diag("%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return xasprintf("%s%soptions=-csearch_path%%3Dt_leases", pg_uri,
	    strchr(pg_uri, '?') ? "&" : "?");
}

static void
test_holder(void)
{
	char *a = store_lease_holder_new(), *b = store_lease_holder_new(), pid[32];
	char host[256];

	snprintf(pid, sizeof pid, ":%ld:", (long)getpid());
	ok(a != NULL && strstr(a, pid) != NULL, "a holder id names this process (%s)", a);
	if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		ok(strncmp(a, host, strlen(host)) == 0 && a[strlen(host)] == ':',
		    "and starts with the host name");
	}
	ok(strcmp(a, b) != 0, "two holder ids of one process differ (random part)");
	ok(store_lease_now_ms() > T0, "the lease clock is the real one");
	setenv("TFDRIFT_NOW", "2001-01-01T00:00:00Z", 1);
	ok(store_lease_now_ms() > T0, "whatever TFDRIFT_NOW says");
	unsetenv("TFDRIFT_NOW");
	free(a);
	free(b);
}

static void
test_leases(void)
{
	char *path = test_location(), *err = NULL;
	struct store *w1 = NULL, *w2 = NULL;
	struct store_lease cur, row;

	ok(store_open(path, 0, &w1, &err) == 0 && store_open(path, 0, &w2, &err) == 0,
	    "two connections (two workers) on one store");
	ok(store_schema_version(w1) >= 9 && store_schema_version(w1) == STORE_SCHEMA_VERSION,
	    "the store is at the current schema (leases came with 9)");
	is_int(store_lease_get(w1, "cloudtrail lab us-east-1", &row, &err), 0, "no lease yet");

	/* take */
	is_int(store_lease_take(w1, "cloudtrail lab us-east-1", "h:1:a", T0, TTL, &cur, &err), 1,
	    "worker 1 takes a free lease");
	is_int(store_lease_take(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + 1000, TTL, &cur,
	    &err), 0, "worker 2 cannot take it while it runs");
	is_str(cur.holder, "h:1:a", "and is told who holds it");
	is_int(cur.expires_at, T0 + TTL, "and until when");
	is_int(cur.epoch, 1, "taken once");
	store_lease_clear(&cur);
	is_int(store_lease_take(w2, "gcp corp p1", "h:2:b", T0, TTL, NULL, &err), 1,
	    "another poller's lease is apart: worker 2 takes it");

	/* renew */
	is_int(store_lease_renew(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + 15000, TTL, &err),
	    1, "the holder renews");
	is_int(store_lease_take(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + TTL + 1, TTL, &cur,
	    &err), 0, "past the first expiry, a renewed lease is still not free");
	is_int(cur.expires_at, T0 + 15000 + TTL, "it runs from the renewal");
	store_lease_clear(&cur);
	is_int(store_lease_renew(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + 16000, TTL, &err),
	    0, "another worker cannot renew it");
	is_int(store_lease_take(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + 20000, TTL, &cur,
	    &err), 1, "taking one's own lease renews it");
	is_int(store_lease_get(w2, "cloudtrail lab us-east-1", &row, &err), 1, "read back");
	is_int(row.epoch, 1, "without counting a new taking");
	is_int(row.acquired_at, T0, "nor moving when it was acquired");
	is_int(row.expires_at, T0 + 20000 + TTL, "but moving its expiry");
	store_lease_clear(&row);

	/* expire, steal only when expired, lose */
	is_int(store_lease_take(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + 20000 + TTL - 1, TTL,
	    &cur, &err), 0, "1 ms before it expires: still not free");
	store_lease_clear(&cur);
	is_int(store_lease_take(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + 20000 + TTL, TTL,
	    &cur, &err), 1, "expired: worker 2 takes it");
	is_int(store_lease_get(w1, "cloudtrail lab us-east-1", &row, &err), 1, "read back");
	is_str(row.holder, "h:2:b", "worker 2 holds it now");
	is_int(row.epoch, 2, "taken twice");
	store_lease_clear(&row);
	is_int(store_lease_renew(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + 20000 + TTL + 5,
	    TTL, &err), 0, "worker 1 lost it: its renewal says so");
	is_int(store_lease_take(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + 20000 + TTL + 5,
	    TTL, &cur, &err), 0, "and it cannot take it back while worker 2 runs");
	store_lease_clear(&cur);
	is_int(store_lease_renew(w2, "gcp corp p1", "h:2:b", T0 + TTL, TTL, &err), 0,
	    "a lease that expired is lost to its holder too, even if nobody took it");
	is_int(store_lease_take(w2, "gcp corp p1", "h:2:b", T0 + TTL, TTL, NULL, &err), 1,
	    "and taken again as a new one");
	is_int(store_lease_get(w1, "gcp corp p1", &row, &err), 1, "read back");
	is_int(row.epoch, 2, "counted as a new taking");
	store_lease_clear(&row);

	/* take over from a gone holder */
	is_int(store_lease_take_over(w1, "gcp corp p1", "h:1:a", "h:9:z", T0 + TTL + 10, TTL,
	    &err), 0, "a take-over from a holder that does not hold it changes nothing");
	is_int(store_lease_take_over(w1, "gcp corp p1", "h:1:a", "h:2:b", T0 + TTL + 10, TTL,
	    &err), 1, "a take-over from the holder (known gone) takes it before it expires");
	is_int(store_lease_renew(w2, "gcp corp p1", "h:2:b", T0 + TTL + 20, TTL, &err), 0,
	    "the old holder has lost it");

	/* release */
	is_int(store_lease_release(w1, "cloudtrail lab us-east-1", "h:1:a", &err), 0,
	    "a worker cannot release a lease it does not hold");
	is_int(store_lease_release(w2, "cloudtrail lab us-east-1", "h:2:b", &err), 1,
	    "the holder releases it");
	is_int(store_lease_release(w2, "cloudtrail lab us-east-1", "h:2:b", &err), 0,
	    "once");
	is_int(store_lease_take(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + TTL + 30, TTL, NULL,
	    &err), 1, "released: anyone takes it at once");

	/* the cursor saved only by the holder */
	is_int(store_lease_cursor_set(w1, "cloudtrail lab us-east-1", "h:1:a", T0 + TTL + 40,
	    "cloudtrail lab us-east-1/cloudtrail lab us-east-1", "{\"v\":1,\"end\":2}", &err), 1,
	    "the holder saves its cursor");
	is_int(store_lease_cursor_set(w2, "cloudtrail lab us-east-1", "h:2:b", T0 + TTL + 40,
	    "cloudtrail lab us-east-1/cloudtrail lab us-east-1", "{\"v\":1,\"end\":1}", &err), 0,
	    "a worker without the lease does not");
	{
		char *v = NULL;

		is_int(store_cursor_get(w2, "cloudtrail lab us-east-1/cloudtrail lab us-east-1", &v,
		    &err), 1, "the cursor is shared");
		is_str(v, "{\"v\":1,\"end\":2}", "and is the holder's");
		free(v);
	}
	is_int(store_lease_cursor_set(w1, "cloudtrail lab us-east-1", "h:1:a",
	    T0 + TTL + 30 + TTL, "cloudtrail lab us-east-1/x", "1", &err), 0,
	    "nor the holder once its lease expired");

	/* claims */
	is_int(store_notify_claim(w1, "f1", "slack", 0, "h:1:a", T0, &err), 1,
	    "worker 1 claims the alert of f1 to slack: it sends it");
	is_int(store_notify_claim(w2, "f1", "slack", 0, "h:2:b", T0, &err), 0,
	    "worker 2's claim of the same: not sent twice");
	is_int(store_notify_claim(w1, "f1", "slack", 0, "h:1:a", T0, &err), 0,
	    "nor by worker 1 again");
	is_int(store_notify_claim(w2, "f1", "slack", 1, "h:2:b", T0, &err), 1,
	    "its resolution is a claim of its own");
	is_int(store_notify_claim(w2, "f1", "hook", 0, "h:2:b", T0, &err), 1,
	    "and so is another output");
	ok(store_lease_take(w1, NULL, "h", T0, TTL, NULL, &err) == -1 && err != NULL,
	    "no name: an error, not a crash");
	free(err);
	err = NULL;
	store_close(w1);
	store_close(w2);

	/* read-only */
	if (pg_uri != NULL) {
		free(path);
		return;
	}
	ok(store_open(path, STORE_RDONLY, &w1, &err) == 0, "read-only");
	ok(store_lease_take(w1, "x", "h:1:a", T0, TTL, NULL, &err) == -1 && err != NULL,
	    "a read-only store takes no lease, and says why (%s)", err ? err : "");
	free(err);
	store_close(w1);
	free(path);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");

	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		if ((pg_uri = getenv("TFDRIFT_TEST_PG_STORE_URI")) == NULL || *pg_uri == '\0') {
			printf("1..0 # SKIP no TFDRIFT_TEST_PG_STORE_URI (tests/pg/test_store_lease_pg.sh)\n");
			return 77;
		}
		unsetenv("TFDRIFT_NOW");
		test_leases();
		return done_testing();
	}

	snprintf(tmpdir, sizeof tmpdir, "%s/tfdrift-lease-XXXXXX", base != NULL ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	unsetenv("TFDRIFT_NOW");
	test_holder();
	test_leases();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
		free(cmd);
	}
	return done_testing();
}
