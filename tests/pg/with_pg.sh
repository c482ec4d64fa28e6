#!/bin/sh
# tests/pg/with_pg.sh CMD [ARG...]: run CMD with a throwaway PostgreSQL cluster
# (tests/pg/pgcluster.sh: TFDRIFT_TEST_PG_URI and PG* set), removed when CMD ends. Exits 77
# (skip) when no PostgreSQL server binaries exist, else with CMD's status.
TOP_SRCDIR=${TOP_SRCDIR:-$(dirname "$0")/../..}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
pg_cluster_start || exit $?
"$@"
rc=$?
pg_cluster_stop
exit $rc
