# tests/pg/pgcluster.sh: a throwaway PostgreSQL cluster for the tests (POSIX sh; sourced).
#
#   . "$TOP_SRCDIR/tests/pg/pgcluster.sh"
#   pg_cluster_start || exit $?     # 77 (skip) when no PostgreSQL server binaries exist
#   uri=$(pg_new_database NAME)     # a fresh database owned by the test role, as a URI
#   pg_server_stop; pg_server_start # PostgreSQL restarted on the same port (clients lose
#                                   # their connections)
#   pg_cluster_stop                 # also run on exit (t_atexit when tests/lib.sh is
#                                   # sourced, else an EXIT trap)
#
# The cluster lives in its own temporary directory, listens on 127.0.0.1 only, on a free
# port (another is tried when a parallel test took it first), and on a unix socket in that
# directory. TCP logins need a password (scram-sha-256): the test role tfdrift_test has a
# random one. The socket trusts the administrator role for set-up. initdb refuses to run as
# root, so under uid 0 the cluster runs as the `postgres` user (runuser, else setpriv).
#
# Exported: TFDRIFT_TEST_PG_URI (postgresql://tfdrift_test:PASSWORD@127.0.0.1:PORT/
# tfdrift_test), TFDRIFT_TEST_PG_PASSWORD, and PGHOST (the socket directory), PGPORT,
# PGUSER (the administrator), PGDATABASE for psql.

PG_DIR=
PG_BIN=
PG_OPTS=

# The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin), else the
# one of an initdb on PATH.
pg_find_bin() {
	_pg_best=
	_pg_bestv=0
	for _pg_d in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin; do
		[ -x "$_pg_d/initdb" ] && [ -x "$_pg_d/pg_ctl" ] || continue
		_pg_v=$(printf '%s\n' "$_pg_d" | sed 's|.*/postgresql/||; s|.*/pgsql-||; s|/bin$||; s|[^0-9].*||')
		[ -n "$_pg_v" ] || _pg_v=0
		if [ "$_pg_v" -ge "$_pg_bestv" ]; then
			_pg_best=$_pg_d
			_pg_bestv=$_pg_v
		fi
	done
	if [ -z "$_pg_best" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		_pg_best=$(dirname "$(command -v initdb)")
	fi
	[ -n "$_pg_best" ] || return 1
	printf '%s\n' "$_pg_best"
}

# Run a server command as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- "$@"
		else
			setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
		fi
	else
		"$@"
	fi
}

pg_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

pg_cluster_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

pg_cluster_start() {
	if ! PG_BIN=$(pg_find_bin); then
		echo "1..0 # SKIP no PostgreSQL server binaries (initdb, pg_ctl): install postgresql"
		return 77
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "Bail out! running as root without a postgres user to run the cluster as"
		return 99
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tfdrift-pg.XXXXXX") || return 99
	if command -v t_atexit >/dev/null 2>&1; then
		t_atexit pg_cluster_stop
	else
		trap 'pg_cluster_stop' EXIT
		trap 'pg_cluster_stop; exit 130' INT
		trap 'pg_cluster_stop; exit 143' TERM
	fi
	chmod 755 "$PG_DIR"
	TFDRIFT_TEST_PG_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf 'admin\n' > "$PG_DIR/pwfile"
	[ "$(id -u)" -ne 0 ] || chown postgres "$PG_DIR" "$PG_DIR/pwfile"
	if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U tfdrift_admin --pwfile="$PG_DIR/pwfile" \
	    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		echo "Bail out! initdb failed: $(tail -3 "$PG_DIR/initdb.log")"
		return 99
	fi
	_pg_try=0
	while :; do
		PGPORT=$(pg_free_port)
		PG_OPTS="-c listen_addresses=127.0.0.1 -p $PGPORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
		if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		    -o "$PG_OPTS" start >/dev/null 2>&1; then
			break
		fi
		_pg_try=$((_pg_try + 1))
		if [ "$_pg_try" -ge 5 ]; then
			echo "Bail out! the test PostgreSQL did not start: $(tail -3 "$PG_DIR/server.log")"
			return 99
		fi
	done
	PGHOST=$PG_DIR
	PGUSER=tfdrift_admin
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	unset PGPASSWORD PGSERVICE PGSSLMODE PGHOSTADDR
	if ! "$PG_BIN/psql" -qX -v ON_ERROR_STOP=1 >"$PG_DIR/setup.log" 2>&1 <<SQL
CREATE ROLE tfdrift_test LOGIN PASSWORD '$TFDRIFT_TEST_PG_PASSWORD';
CREATE DATABASE tfdrift_test OWNER tfdrift_test;
SQL
	then
		echo "Bail out! setting up the test role failed: $(tail -3 "$PG_DIR/setup.log")"
		return 99
	fi
	PGDATABASE=tfdrift_test
	TFDRIFT_TEST_PG_URI="postgresql://tfdrift_test:$TFDRIFT_TEST_PG_PASSWORD@127.0.0.1:$PGPORT/tfdrift_test"
	export TFDRIFT_TEST_PG_URI TFDRIFT_TEST_PG_PASSWORD PGDATABASE
	return 0
}

# The server stopped (pg_ctl stop -m MODE: fast, immediate) and started again on the same
# port, as an administrator restarting PostgreSQL under running clients does.
pg_server_stop() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop >/dev/null 2>&1
}
pg_server_start() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
	    -o "$PG_OPTS" start >/dev/null 2>&1
}

# A new empty database owned by the test role; prints its URI.
pg_new_database() {
	PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -qX -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$1\"" \
	    -c "CREATE DATABASE \"$1\" OWNER tfdrift_test" >/dev/null || return 1
	printf 'postgresql://tfdrift_test:%s@127.0.0.1:%s/%s\n' "$TFDRIFT_TEST_PG_PASSWORD" "$PGPORT" "$1"
}

# psql on a database as the administrator (over the socket).
pg_psql() {
	"$PG_BIN/psql" -qXAt -v ON_ERROR_STOP=1 "$@"
}
