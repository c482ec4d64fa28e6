#!/bin/sh
# Differential test (issue 14): the same recorded events through every path that decides
# drift must give the same findings, with the same triage, saved the same way:
#   scan            `scan --format json` (no store)
#   scan-store      `scan --store` (its JSON output), then `export --status all` of that store
#   once            `watch --once --events FILES` (a files source), its JSON lines and store
#   watch           a continuous `watch --events FILES`, stopped with SIGTERM once it drained,
#                   its JSON lines and store
#   dashboard       the dashboard's file replay (tmux): `e` exports the findings shown; and
#                   its store
#   logging-once,   for GCP entries, `watch --once` and a continuous `watch` over Cloud Logging
#   logging-watch   (tests/mock/gcp.js), each project a source
# Each store starts as a copy of one holding two suppressions and nothing else, so every path
# must apply triage to what it finds (the GCP operations decided on their last entry too):
# stores are compared as "id status" (export --status all), printed output likewise, without
# the suppressed findings for the paths that do not print those (watch, the dashboard).
# Exit statuses: scan and watch --once exit alike (2 with open drift).
#
# Inputs: doc/examples; the GCP operation cases (tests/data/events/gcp-ops-*.json: last
# entries alone newest first, a first entry ingested very late); the GCP scenarios of
# tests/scan/scenarios that hold operations, newest first (scan, scan-store, once and watch);
# the public samples in $SHARED_DATA (cloudtrail and gcpaudit) when present.
# Cloud Logging lists a project's admin-activity entries oldest first, so the Logging paths
# are compared with a scan of those entries in that order: the order decides which entry of
# an operation, or which change of an unmanaged resource, reports it, so it is part of the
# input.
# Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
[ -x "$TFDRIFT" ] || t_skip_all "no tfdrift binary at $TFDRIFT"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is needed to compare the outputs"
EX=$TOP_SRCDIR/doc/examples
D=$TOP_SRCDIR/tests/data/events
unset TFDRIFT_NOW TFDRIFT_TRACE
USER=differ
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
XDG_DATA_HOME=$T_TMP/xdg-data
export USER XDG_STATE_HOME XDG_CONFIG_HOME XDG_DATA_HOME

# idstat FILE [shown|ui]: the findings of a JSON document or JSON lines as sorted "id status"
# lines; with `shown`, without the suppressed ones (what watch prints); with `ui`, without
# the resolved ones too (what the dashboard shows and `e` exports, by default).
cat > "$T_TMP/idstat.py" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
try:
    doc = json.loads(text)
    fs = doc["findings"] if isinstance(doc, dict) and "findings" in doc else \
        doc if isinstance(doc, list) else [doc]
except ValueError:
    fs = [json.loads(l) for l in text.splitlines() if l.strip()]
# A stream writes a finding again when it resolves (same id): the last one wins.
fs = list({f["id"]: f for f in fs}.values())
shown = len(sys.argv) > 2
ui = shown and sys.argv[2] == "ui"
for f in sorted(fs, key=lambda f: f["id"]):
    if shown and f["status"] == "suppressed":
        continue
    if ui and f["status"] == "resolved":
        continue
    print(f["id"], f["status"])
PY
idstat() { $PY "$T_TMP/idstat.py" "$@"; }
ids() { idstat "$1" | cut -d' ' -f1; }
count() { idstat "$1" | grep -c . || true; }

# The decisions every store starts with: a managed firewall (its patches are GCP
# operations) and every firewall insert (an unmanaged one, an operation too), suppressed.
"$TFDRIFT" suppress --store "$T_TMP/template.db" --scope resource \
    --value google_compute_firewall.allow_ssh --note differential > /dev/null 2>&1
"$TFDRIFT" suppress --store "$T_TMP/template.db" --scope event \
    --value v1.compute.firewalls.insert --note differential > /dev/null 2>&1
# freshstore NAME: a copy of the template (the WAL checkpointed into it).
$PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$T_TMP/template.db"
freshstore() {
	rm -f "$T_TMP/$1.db" "$T_TMP/$1.db-wal" "$T_TMP/$1.db-shm"
	cp "$T_TMP/template.db" "$T_TMP/$1.db"
}
exportall() {
	"$TFDRIFT" export --store "$T_TMP/$1.db" --status all --format jsonl -o "$T_TMP/$1.export" 2> /dev/null
}

# conf NAME [GCP SOURCES]: the run's configuration (rules off: their severities are not what
# is compared; the stores are the run's own).
conf() {
	_cn=$1
	shift
	{
		printf 'rules_disabled: ["*"]\nstore: %s\n' "$T_TMP/$_cn.db"
		if [ $# -gt 0 ]; then
			printf 'sources:\n  gcp:\n'
			for _p in "$@"; do
				printf '    - name: %s\n      project: %s\n      lookback: 3650d\n' "$_p" "$_p"
				printf '      poll_interval: 1s\n      endpoint: %s\n' "$MOCK_URL_gcp"
			done
		fi
	} > "$T_TMP/$_cn.yaml"
}

# wait_for SECONDS CMD...
wait_for() {
	_s=$1
	shift
	_i=0
	while [ "$_i" -lt $((_s * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
sql() { $PY -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else 0)' "$1" "$2" 2> /dev/null || echo 0; }
# cursors_at_least DB N PATTERN: N cursors whose name matches the LIKE pattern are saved.
cursors_at_least() { [ "$(sql "$1" "SELECT count(*) FROM cursors WHERE name LIKE '$3'")" -ge "$2" ]; }
# logging_drained DB N: N Logging cursors saved and nothing held any more (the pollers'
# watermarks decided what they held), for a second.
logging_drained() {
	cursors_at_least "$1" "$2" '%/gcplogging:%' &&
	    [ "$(sql "$1" "SELECT count(*) FROM cursors WHERE name LIKE 'detector:held/%' AND value NOT LIKE '%\"held\":[]%'")" = 0 ] &&
	    sleep 1 &&
	    [ "$(sql "$1" "SELECT count(*) FROM cursors WHERE name LIKE 'detector:held/%' AND value NOT LIKE '%\"held\":[]%'")" = 0 ]
}

# same NAME WANT GOT: one comparison, with the difference on failure.
same() {
	if [ "$2" = "$3" ]; then
		ok 0 "$1"
		return 0
	fi
	ok 1 "$1"
	printf '%s\n' "$2" > "$T_TMP/.want"
	printf '%s\n' "$3" > "$T_TMP/.got"
	t_diag "$(diff "$T_TMP/.want" "$T_TMP/.got" | head -n 20)"
	return 1
}

# continuous NAME ARGS...: a continuous watch with the config NAME, stopped with SIGTERM once
# drained (the caller's DRAINED command says when); its JSON lines in NAME.out. (A files
# source has drained once every file's cursor is saved: the pass's flush marker follows, and
# the drain at the stop decides it.)
continuous() {
	_cw=$1
	shift
	"$TFDRIFT" -c "$T_TMP/$_cw.yaml" watch "$@" > "$T_TMP/$_cw.out" 2> "$T_TMP/$_cw.err" &
	_pid=$!
	t_kill_at_exit $_pid
	wait_for 60 $DRAINED
	kill -TERM $_pid
	wait $_pid
	CRC=$?
}

# files_paths SET STATES... -- EVENTS...: scan, scan-store, once and watch over files.
# Leaves BASE (the baseline "id status"), BASE_SHOWN and BASE_RC.
files_paths() {
	_set=$1
	shift
	_states=
	while [ "$1" != "--" ]; do
		_states="$_states --state $1"
		shift
	done
	shift
	_events=
	_nev=0
	for _e in "$@"; do
		_events="$_events --events $_e"
		_nev=$((_nev + 1))
	done
	conf "$_set-scan"
	# shellcheck disable=SC2086
	"$TFDRIFT" -c "$T_TMP/$_set-scan.yaml" scan $_states $_events --format json \
	    -o "$T_TMP/$_set-scan.json" 2> /dev/null
	_scan_rc=$?
	freshstore "$_set-store"
	conf "$_set-store"
	# shellcheck disable=SC2086
	"$TFDRIFT" -c "$T_TMP/$_set-store.yaml" scan $_states $_events --format json \
	    -o "$T_TMP/$_set-store.json" --store "$T_TMP/$_set-store.db" 2> "$T_TMP/$_set-store.err"
	BASE_RC=$?
	BASE=$(idstat "$T_TMP/$_set-store.json")
	BASE_SHOWN=$(idstat "$T_TMP/$_set-store.json" shown)
	BASE_UI=$(idstat "$T_TMP/$_set-store.json" ui)
	t_diag "$_set: $(count "$T_TMP/$_set-store.json") findings, $(printf '%s\n' "$BASE" | grep -c ' suppressed$') suppressed, scan exit $BASE_RC"
	same "$_set: scan and scan --store find the same" "$(ids "$T_TMP/$_set-store.json")" \
	    "$(ids "$T_TMP/$_set-scan.json")"
	# Without a store nothing is triaged: every finding is open.
	t_is "$_set: scan exits 2 when it found open drift, 0 when not" "$_scan_rc" \
	    "$([ "$(idstat "$T_TMP/$_set-scan.json" | grep -c ' open$')" -gt 0 ] && echo 2 || echo 0)"
	_open=$(printf '%s\n' "$BASE" | grep -c ' open$')
	_supp=$(printf '%s\n' "$BASE" | grep -c ' suppressed$')
	t_like "$_set: scan's summary counts what it printed, with the store's triage" \
	    "$(cat "$T_TMP/$_set-store.err")" "store .*: $_open open, 0 acknowledged, $_supp suppressed"
	exportall "$_set-store"
	same "$_set: scan --store saved every finding, triaged" "$BASE" "$(idstat "$T_TMP/$_set-store.export")"

	freshstore "$_set-once"
	conf "$_set-once"
	# shellcheck disable=SC2086
	"$TFDRIFT" -c "$T_TMP/$_set-once.yaml" watch --once $_states $_events \
	    > "$T_TMP/$_set-once.out" 2> "$T_TMP/$_set-once.err"
	t_is "$_set: watch --once exits as scan does" "$?" "$BASE_RC"
	same "$_set: watch --once prints the same (but the suppressed)" "$BASE_SHOWN" \
	    "$(idstat "$T_TMP/$_set-once.out")"
	exportall "$_set-once"
	same "$_set: and saves the same" "$BASE" "$(idstat "$T_TMP/$_set-once.export")"

	freshstore "$_set-watch"
	conf "$_set-watch"
	DRAINED="cursors_at_least $T_TMP/$_set-watch.db $_nev files/%"
	# shellcheck disable=SC2086
	continuous "$_set-watch" $_states $_events
	t_is "$_set: the continuous watch stops cleanly" "$CRC" 0
	same "$_set: a continuous watch prints the same" "$BASE_SHOWN" "$(idstat "$T_TMP/$_set-watch.out")"
	exportall "$_set-watch"
	same "$_set: and saves the same" "$BASE" "$(idstat "$T_TMP/$_set-watch.export")"
}

# dashboard_path SET STATES... -- EVENTS...: the file replay, `e`, q; compared with BASE.
dashboard_path() {
	_set=$1
	shift
	if [ -z "$HAVE_TMUX" ]; then
		t_skip "$_set: the dashboard" "tmux is not installed"
		return 0
	fi
	_args=
	while [ "$1" != "--" ]; do
		_args="$_args --state $1"
		shift
	done
	shift
	for _e in "$@"; do
		_args="$_args --events $_e"
	done
	freshstore "$_set-ui"
	conf "$_set-ui"
	mkdir -p "$T_TMP/$_set-ui.out"
	# shellcheck disable=SC2086
	tui_start "$_set" 200 50 "$TFDRIFT" -c "$T_TMP/$_set-ui.yaml" $_args \
	    --store "$T_TMP/$_set-ui.db" --export-dir "$T_TMP/$_set-ui.out"
	if ! t_screen "$_set: the dashboard replays the files" "$_set" 'replay done' 60; then
		tui_keys "$_set" q
		return 1
	fi
	sleep 0.5
	tui_keys "$_set" e
	t_screen "$_set: e exports the findings shown" "$_set" 'exported [0-9]+ findings? to ' 20
	_file=$(ls "$T_TMP/$_set-ui.out"/*.json 2> /dev/null | head -n 1)
	tui_keys "$_set" q
	tui_exit "$_set" 20
	t_is "$_set: the dashboard exits 0" "$TUI_RC" 0
	same "$_set: the dashboard shows the same (but the suppressed and the resolved, hidden)" "$BASE_UI" \
	    "$( [ -n "$_file" ] && idstat "$_file")"
	exportall "$_set-ui"
	same "$_set: and saves the same" "$BASE" "$(idstat "$T_TMP/$_set-ui.export")"
}

# ascending OUT FILES...: what the Logging poller lists of entries.list files (the admin
# activity log), each file's project in the API's order (timestamp, then insertId), into one
# entries.list file.
ascending() {
	_out=$1
	shift
	$PY - "$_out" "$@" <<'PY'
import json, sys
out = []
for path in sys.argv[2:]:
    ents = [e for e in json.load(open(path))["entries"]
            if e.get("logName", "").endswith("/logs/cloudaudit.googleapis.com%2Factivity")]
    out += sorted(ents, key=lambda e: (e["timestamp"], e["insertId"]))
json.dump({"entries": out}, open(sys.argv[1], "w"))
PY
}
projects() {
	$PY - "$@" <<'PY'
import json, sys
seen = []
for path in sys.argv[1:]:
    for e in json.load(open(path))["entries"]:
        p = e["logName"].split("/")[1]
        if p not in seen:
            seen.append(p)
print(" ".join(seen))
PY
}

# logging_paths SET STATES... -- ENTRIES...: watch --once and a continuous watch over the
# Logging mock serving the entries, each project a source, against a scan --store of the
# same entries in the order the API lists them.
logging_paths() {
	_set=$1
	shift
	_states=
	while [ "$1" != "--" ]; do
		_states="$_states --state $1"
		shift
	done
	shift
	ascending "$T_TMP/$_set-asc.json" "$@"
	freshstore "$_set-lbase"
	conf "$_set-lbase"
	# shellcheck disable=SC2086
	"$TFDRIFT" -c "$T_TMP/$_set-lbase.yaml" scan $_states --events "$T_TMP/$_set-asc.json" \
	    --format json -o "$T_TMP/$_set-lbase.json" --store "$T_TMP/$_set-lbase.db" 2> /dev/null
	_rc=$?
	_base=$(idstat "$T_TMP/$_set-lbase.json")
	_shown=$(idstat "$T_TMP/$_set-lbase.json" shown)
	_mockargs=
	for _f in "$@"; do
		_mockargs="$_mockargs --entries $_f"
	done
	NMOCK=$((NMOCK + 1))
	# shellcheck disable=SC2086
	mock_start "m$NMOCK" "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" \
	    --client-email "$EMAIL" --key-id k-0009 $_mockargs
	eval "MOCK_URL_gcp=\$MOCK_URL_m$NMOCK"
	sa_key
	# shellcheck disable=SC2046
	_projs=$(projects "$@")

	freshstore "$_set-lonce"
	# shellcheck disable=SC2086
	conf "$_set-lonce" $_projs
	# shellcheck disable=SC2086
	"$TFDRIFT" -c "$T_TMP/$_set-lonce.yaml" watch --once $_states > "$T_TMP/$_set-lonce.out" \
	    2> "$T_TMP/$_set-lonce.err"
	t_is "$_set: watch --once over Cloud Logging exits as scan does" "$?" "$_rc"
	same "$_set: watch --once over Cloud Logging prints the same" "$_shown" \
	    "$(idstat "$T_TMP/$_set-lonce.out")"
	exportall "$_set-lonce"
	same "$_set: and saves the same" "$_base" "$(idstat "$T_TMP/$_set-lonce.export")"

	freshstore "$_set-lwatch"
	# shellcheck disable=SC2086
	conf "$_set-lwatch" $_projs
	_np=$(echo $_projs | wc -w)
	DRAINED="logging_drained $T_TMP/$_set-lwatch.db $_np"
	# shellcheck disable=SC2086
	continuous "$_set-lwatch" $_states
	t_is "$_set: the continuous watch over Cloud Logging stops cleanly" "$CRC" 0
	same "$_set: a continuous watch over Cloud Logging prints the same" "$_shown" \
	    "$(idstat "$T_TMP/$_set-lwatch.out")"
	exportall "$_set-lwatch"
	same "$_set: and saves the same" "$_base" "$(idstat "$T_TMP/$_set-lwatch.export")"
}
NMOCK=0

# ---- doc/examples, and the GCP operation cases ----
. "$TOP_SRCDIR/tests/tui/tui.sh"
HAVE_TMUX=
if need_cmd tmux; then
	tui_need_tmux
	HAVE_TMUX=1
fi

files_paths examples "$EX/prod.tfstate" "$EX/gcp.tfstate" -- "$EX/cloudtrail.json" "$EX/gcp-audit.json"
dashboard_path examples "$EX/prod.tfstate" "$EX/gcp.tfstate" -- "$EX/cloudtrail.json" "$EX/gcp-audit.json"
files_paths ops-last "$EX/gcp.tfstate" -- "$D/gcp-ops-last-only.json"
dashboard_path ops-last "$EX/gcp.tfstate" -- "$D/gcp-ops-last-only.json"
files_paths ops-late "$EX/gcp.tfstate" -- "$D/gcp-ops-late-first.json"
dashboard_path ops-late "$EX/gcp.tfstate" -- "$D/gcp-ops-late-first.json"

# The GCP scenarios with operations, newest first (as written, the first entries come first:
# scenarios.sh runs them through scan).
NSC=$($PY - "$TOP_SRCDIR/tests/scan" "$T_TMP/sc" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1])
import run_scenarios as rs
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for fname in sorted(os.listdir(os.path.join(sys.argv[1], "scenarios"))):
    if not fname.startswith("gcp"):
        continue
    for sc in json.load(open(os.path.join(sys.argv[1], "scenarios", fname))):
        if not any("operation" in e.get("gcp", {}) for e in sc["events"]):
            continue
        n += 1
        recs = rs.build_events(sc["events"])
        json.dump(rs.build_state(sc.get("state", [])), open("%s/%d.tfstate" % (out, n), "w"))
        json.dump({"entries": recs[::-1]}, open("%s/%d-rev.json" % (out, n), "w"))
print(n)
PY
)
t_diag "$NSC GCP scenarios with operations"
i=1
while [ -f "$T_TMP/sc/$i-rev.json" ]; do
	files_paths "scenario-$i-newest-first" "$T_TMP/sc/$i.tfstate" -- "$T_TMP/sc/$i-rev.json"
	i=$((i + 1))
done

# ---- Cloud Logging ----
. "$TOP_SRCDIR/tests/mock/mock.sh"
if need_cmd openssl && mock_node_ready; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
	openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
	EMAIL=differ@tfdrift-test.iam.gserviceaccount.com
	# sa_key: ADC whose token endpoint is the current mock's.
	sa_key() {
		node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0009",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/sa.json" "$EMAIL" "$MOCK_URL_gcp"
		GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa.json
		export GOOGLE_APPLICATION_CREDENTIALS
	}
	unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S
	logging_paths examples-gcp "$EX/gcp.tfstate" -- "$EX/gcp-audit.json"
	logging_paths ops-last-gcp "$EX/gcp.tfstate" -- "$D/gcp-ops-last-only.json"
	logging_paths ops-late-gcp "$EX/gcp.tfstate" -- "$D/gcp-ops-late-first.json"
else
	t_skip "the Cloud Logging paths" "${MOCK_SKIP_REASON:-openssl is missing}"
fi

# ---- the public samples ----
if need_shared; then
	CT=$(ls "$SHARED_DATA"/cloudtrail/*.json* | grep -v -e zmallen -e '\.meta\.' -e DERIVED_)
	GA=$(ls "$SHARED_DATA"/gcpaudit/*.json* | grep -v -e '\.meta\.')
	# shellcheck disable=SC2086
	files_paths shared "$EX/prod.tfstate" "$EX/gcp.tfstate" -- $CT $GA
	# shellcheck disable=SC2086
	dashboard_path shared "$EX/prod.tfstate" "$EX/gcp.tfstate" -- $CT $GA
	if need_cmd openssl && mock_node_ready; then
		# gce4 and gke5 repeat gce2's insertIds under other projects: which poller lists
		# them first would be a race between sources, not a difference between paths.
		GL=$(ls "$SHARED_DATA"/gcpaudit/gcpdiag_*.json | grep -v -e _gce4_ -e _gke5_)
		# shellcheck disable=SC2086
		logging_paths shared-gcp "$EX/gcp.tfstate" -- $GL
	fi
else
	t_skip "the public samples" "no $SHARED_DATA"
fi

t_done
