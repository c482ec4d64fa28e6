# tests/mock/mock.sh: start loopback mock servers from shell tests (sourced after tests/lib.sh).
#
#   mock_need_node                 skip the test when node/npm are missing; install the pinned
#                                  npm packages (tests/mock/package-lock.json) into the build
#                                  tree once, and point NODE_PATH at them
#   mock_start NAME SCRIPT [ARGS]  run `node SCRIPT --port 0 ARGS` in the background; it prints
#                                  its port on the first line of stdout; MOCK_PORT_<NAME> and
#                                  MOCK_URL_<NAME> (http://127.0.0.1:PORT) are set, and the
#                                  server is killed when the test exits (t_kill_at_exit in
#                                  tests/lib.sh). Its log is $T_TMP/mock-NAME.log
#   mock_get NAME PATH             GET a control URL of the mock (tests steer faults with
#                                  /__control/... endpoints), output on stdout

mock_need_node() {
	need_cmd node || t_skip_all "node is not installed"
	need_cmd npm || t_skip_all "npm is not installed"
	_deps="$TOP_BUILDDIR/tests/mock-deps"
	mkdir -p "$_deps"
	# Tests run in parallel: one installs, the others wait for it (flock on a lock file).
	if ! (
		flock 9
		if [ ! -f "$_deps/node_modules/.tfdrift-ok" ] ||
		    ! cmp -s "$TOP_SRCDIR/tests/mock/package-lock.json" "$_deps/package-lock.json"; then
			rm -f "$_deps/node_modules/.tfdrift-ok"
			cp "$TOP_SRCDIR/tests/mock/package.json" "$TOP_SRCDIR/tests/mock/package-lock.json" "$_deps/"
			chmod u+w "$_deps/package.json" "$_deps/package-lock.json"
			(cd "$_deps" && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1) || exit 1
			touch "$_deps/node_modules/.tfdrift-ok"
		fi
	) 9> "$_deps/.lock"; then
		echo "Bail out! npm ci failed in $_deps (see npm.log)"
		cat "$_deps/npm.log"
		exit 1
	fi
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
