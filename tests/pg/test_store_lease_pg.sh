#!/bin/sh
# The worker leases and notification claims (tests/unit/test_store_lease --pg) against a real
# PostgreSQL: a throwaway cluster (tests/pg/pgcluster.sh), the password in PGPASSWORD. Skips
# (77) only when no PostgreSQL server is installed.
TOP_SRCDIR=${TOP_SRCDIR:-.}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
# A skip is TAP's (the plan line printed, exit 0); anything else is an error.
pg_cluster_start || { rc=$?; [ "$rc" -eq 77 ] && exit 0; exit "$rc"; }
PGPASSWORD=$TFDRIFT_TEST_PG_PASSWORD
TFDRIFT_TEST_PG_STORE_URI="postgresql://tfdrift_test@127.0.0.1:$PGPORT/tfdrift_test"
export PGPASSWORD TFDRIFT_TEST_PG_STORE_URI
"$TOP_BUILDDIR/tests/unit/test_store_lease" --pg
rc=$?
pg_cluster_stop
exit $rc
