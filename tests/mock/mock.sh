# tests/mock/mock.sh: start loopback mock servers from shell tests (sourced after tests/lib.sh).
#
#   mock_need_node                 skip the test when node/npm are missing or the npm registry
#                                  is unreachable (offline); install the pinned npm packages
#                                  (tests/mock/package-lock.json) into the build tree once,
#                                  and point NODE_PATH at them
#   mock_node_ready                the same, for a script that has run tests already: false
#                                  with MOCK_SKIP_REASON instead of skipping the whole script
#   mock_start NAME SCRIPT [ARGS]  run `node SCRIPT --port 0 ARGS` in the background; it prints
#                                  its port on the first line of stdout; MOCK_PORT_<NAME> and
#                                  MOCK_URL_<NAME> (http://127.0.0.1:PORT) are set, and the
#                                  server is killed when the test exits (t_kill_at_exit in
#                                  tests/lib.sh). Its log is $T_TMP/mock-NAME.log
#   mock_get NAME PATH             GET a control URL of the mock (tests steer faults with
#                                  /__control/... endpoints), output on stdout

mock_need_node() {
	mock_node_ready || t_skip_all "$MOCK_SKIP_REASON"
}

# mock_node_ready: mock_need_node for a script that has run tests already: false, with
# MOCK_SKIP_REASON, when node or npm is missing or the npm registry cannot be reached (a
# release tarball's `make check` offline skips the live tests rather than failing them).
mock_node_ready() {
	MOCK_SKIP_REASON=
	need_cmd node || { MOCK_SKIP_REASON="node is not installed"; return 1; }
	need_cmd npm || { MOCK_SKIP_REASON="npm is not installed"; return 1; }
	_deps="$TOP_BUILDDIR/tests/mock-deps"
	mkdir -p "$_deps"
	# Tests run in parallel: one installs, the others wait for it (flock on a lock file).
	(
		flock 9
		if [ ! -f "$_deps/node_modules/.tfdrift-ok" ] ||
		    ! cmp -s "$TOP_SRCDIR/tests/mock/package-lock.json" "$_deps/package-lock.json"; then
			# Offline: one quick look at the registry (no retries, 10 s) for a pinned
			# package, remembered for two minutes so the tests waiting here skip at once.
			if [ -n "$(find "$_deps/offline" -mmin -2 2> /dev/null)" ]; then
				exit 77
			fi
			_pkg=$(node -e 'const d = require(process.argv[1]).dependencies;
			    const n = Object.keys(d)[0]; console.log(n + "@" + d[n])' \
			    "$TOP_SRCDIR/tests/mock/package.json") || exit 1
			if ! npm view --fetch-retries=0 --fetch-timeout=10000 "$_pkg" version \
			    > "$_deps/probe.log" 2>&1; then
				_code=$(sed -n 's/^npm [A-Za-z!]* code //p' "$_deps/probe.log" | head -n 1)
				_reg=$(npm config get registry 2> /dev/null)
				case $_code in
				ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET|ERR_SOCKET_TIMEOUT|FETCH_ERROR|"")
					printf 'the npm registry %s is unreachable (%s); the mock clouds need its packages\n' \
					    "$_reg" "${_code:-no answer}" > "$_deps/offline"
					exit 77 ;;
				# A published, pinned package not found, or a proxy's gateway error: what
				# answers is not the registry (an offline sandbox's proxy, say).
				E404|E5[0-9][0-9])
					printf 'the npm registry %s does not serve %s (%s): offline or behind a proxy; the mock clouds need its packages\n' \
					    "$_reg" "$_pkg" "$_code" > "$_deps/offline"
					exit 77 ;;
				esac
				# Reachable but refusing (auth, a missing package): a real failure.
				cat "$_deps/probe.log" > "$_deps/npm.log"
				exit 1
			fi
			rm -f "$_deps/offline" "$_deps/node_modules/.tfdrift-ok"
			cp "$TOP_SRCDIR/tests/mock/package.json" "$TOP_SRCDIR/tests/mock/package-lock.json" "$_deps/"
			chmod u+w "$_deps/package.json" "$_deps/package-lock.json"
			(cd "$_deps" && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1) || exit 1
			touch "$_deps/node_modules/.tfdrift-ok"
		fi
	) 9> "$_deps/.lock"
	case $? in
	0) ;;
	77)
		MOCK_SKIP_REASON=$(cat "$_deps/offline" 2> /dev/null)
		MOCK_SKIP_REASON=${MOCK_SKIP_REASON:-the npm registry is unreachable}
		return 1 ;;
	*)
		echo "Bail out! npm ci failed in $_deps (see npm.log)"
		cat "$_deps/npm.log"
		exit 1 ;;
	esac
	NODE_PATH="$_deps/node_modules"
	export NODE_PATH
}

mock_start() {
	_name=$1 _script=$2
	shift 2
	node "$_script" --port 0 "$@" > "$T_TMP/mock-$_name.out" 2> "$T_TMP/mock-$_name.log" &
	t_kill_at_exit $!
	_i=0
	while [ ! -s "$T_TMP/mock-$_name.out" ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ]; then
			echo "Bail out! mock $_name did not start"
			cat "$T_TMP/mock-$_name.log"
			exit 1
		fi
		sleep 0.1
	done
	_port=$(head -n 1 "$T_TMP/mock-$_name.out")
	eval "MOCK_PORT_$_name=\$_port"
	eval "MOCK_URL_$_name=http://127.0.0.1:\$_port"
}

mock_get() {
	eval "_u=\$MOCK_URL_$1"
	curl -sS --max-time 10 "$_u$2"
}
