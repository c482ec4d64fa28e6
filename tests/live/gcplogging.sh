#!/bin/sh
# The Cloud Logging entries:list poller against tests/mock/gcp.js serving the real gcpdiag
# audit entries shifted to now: pagination, empty pages with a nextPageToken, dedup across
# overlapping windows, late entries caught by the overlap, 429/500/hang/truncated bodies,
# a token expired mid-backfill, restart after kill -9, ≤ 1 request/s per project, token
# caching and early refresh, data_access, watermarks (what a complete listing vouches for), and
# no secret in any output or trace.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PROBE=$TOP_BUILDDIR/tests/live/gl_probe
P=gcpdiag-gce5-aaaa
DATA=$TOP_SRCDIR/tests/data/live

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=poller@tfdrift-test.iam.gserviceaccount.com
mock_start gcp "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
	--key-id k-0002 --secrets-log "$T_TMP/secrets.log" --shift \
	--entries "$DATA/gcp-gce5-entries.json" --entries "$DATA/gcp-gcf1-entries.json"
node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0002",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/sa.json" "$EMAIL" "$MOCK_URL_gcp"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa.json
TFDRIFT_TRACE=$T_TMP/trace.log
export GOOGLE_APPLICATION_CREDENTIALS TFDRIFT_TRACE
unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S
ALL_OUT=$T_TMP/all-output
: > "$ALL_OUT"
keep() { printf '%s\n%s\n' "$T_OUT" "$T_ERR" >> "$ALL_OUT"; }
counters() { mock_get gcp /__control/counters; }
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let o=JSON.parse(s);for(const k of process.argv[1].split("."))o=o==null?o:o[k];console.log(Array.isArray(o)?o.join("\n"):o)})' "$1"; }
stat_of() { printf '%s\n' "$T_ERR" | sed -n "s/.*stats:.* $1=\\([0-9]*\\).*/\\1/p" | tail -n 1; }
ids() { printf '%s\n' "$1" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }
# The admin-activity insertIds of project P the mock serves, sorted.
WANT=$(node -e 'for (const f of process.argv.slice(1)) for (const e of JSON.parse(require("fs").readFileSync(f)).entries)
	if (e.logName === "projects/gcpdiag-gce5-aaaa/logs/cloudaudit.googleapis.com%2Factivity") console.log(e.insertId)' \
	"$DATA/gcp-gce5-entries.json" | sort)
NWANT=$(printf '%s\n' "$WANT" | wc -l)
t_is "the sample has 76 admin-activity entries for $P" "$NWANT" 76
BF="--project $P --endpoint $MOCK_URL_gcp --since -2d --until -1s --min-interval-ms 20 --backoff-ms 50"

# 1. backfill with pagination
t_ok "backfill, 10 per page" "$PROBE" poll $BF --cursors "$T_TMP/c1" --page-size 10
keep
E1=$T_ERR
t_is "every admin-activity entry once, nothing else (system_event filtered by logName)" "$(ids "$T_OUT" | sort)" "$WANT"
t_is "pages followed" "$(stat_of pages)" 8
t_like "in timestamp order" "$(printf '%s\n' "$T_OUT" | sed -n 's/.*"time":"\([^"]*\)".*/\1/p' | sort -c && echo sorted)" '^sorted$'
t_like "progress reaches 1" "$T_ERR" 'backfill=1\.000'
t_like "cursor: timestamp + insertIds at it" "$(cat "$T_TMP/c1")" "^gcplogging:$P	\\{\"v\":2,\"ts\":\"[^\"]+\",\"ids\":\\[.*\"from\""
t_like "a complete listing says nothing older can come" "$E1" '^watermark: [0-9]+$'
t_like "a backfill that reached --until: its input ended (flush)" "$E1" '^flush$'
t_ok "a second run from the cursor" "$PROBE" poll $BF --cursors "$T_TMP/c1" --page-size 10
keep
t_is "hands over nothing again" "$(ids "$T_OUT" | wc -l)" 0
# The cursor keeps the insertIds' hashes (v2); a v1 cursor, with the insertIds themselves
# (what tfdrift wrote before the bounded id set), still reads and still drops them.
printf '%s\n' "$WANT" > "$T_TMP/want"
/usr/bin/python3 - "$T_TMP/c1" "$T_TMP/want" <<'PY'
import re, sys
def fnv(x):
    h = 1469598103934665603
    for c in x.encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return "%016x" % h
ids = {fnv(l.strip()): l.strip() for l in open(sys.argv[2]) if l.strip()}
t = open(sys.argv[1]).read().replace('"v":2', '"v":1')
t = re.sub(r'"([0-9a-f]{16})"', lambda m: '"%s"' % ids.get(m.group(1), m.group(1)), t)
open(sys.argv[1], "w").write(t)
PY
t_like "the cursor rewritten as v1, with insertIds" "$(cat "$T_TMP/c1")" '"v":1,.*"recent":\[\["[^"]+","[0-9]{4}-'
t_unlike "and no hash left" "$(cat "$T_TMP/c1")" '"[0-9a-f]{16}"'
t_ok "a run from the v1 cursor" "$PROBE" poll $BF --cursors "$T_TMP/c1" --page-size 10
keep
t_is "hands over nothing again either" "$(ids "$T_OUT" | wc -l)" 0

# 2. empty pages with a nextPageToken are followed (the API's partial-search trap)
mock_get gcp '/__control/empty?n=3' > /dev/null
t_ok "backfill through 3 empty pages" "$PROBE" poll $BF --cursors "$T_TMP/c2" --page-size 40
keep
t_is "all 76 entries" "$(ids "$T_OUT" | sort)" "$WANT"
t_is "three empty pages seen" "$(stat_of empty_pages)" 3

# 3. throttling, 500s, a hang and a truncated body: survived, nothing lost or doubled
mock_get gcp '/__control/throttle?n=2' > /dev/null
mock_get gcp '/__control/fail?n=2' > /dev/null
mock_get gcp '/__control/truncate?n=1' > /dev/null
mock_get gcp '/__control/hang?n=1' > /dev/null
t_ok "backfill through 429, 500, truncated and hung responses" "$PROBE" poll $BF --cursors "$T_TMP/c3" \
	--page-size 20 --timeout-ms 1500
keep
E3=$T_ERR
t_is "all 76 entries, once each" "$(ids "$T_OUT" | sort)" "$WANT"
t_is "the truncated body counted" "$(stat_of malformed)" 1
t_like "429 reported in the status" "$E3" 'error: .*429 RESOURCE_EXHAUSTED.*retry'
t_like "500 reported in the status" "$E3" 'error: .*500 INTERNAL.*retry'
t_like "the hang reported (timeout)" "$E3" 'error: .*timed out.*retry'
t_like "the truncated body reported" "$E3" 'truncated or invalid JSON in a 200 response'
T_ERR=$E3
t_ok "retried (>= 6)" test "$(stat_of retries)" -ge 6

# 4. every token expires in the middle of a backfill: one refresh, nothing lost
before=$(counters | jget token.jwt)
"$PROBE" poll $BF --cursors "$T_TMP/c4" --page-size 4 --min-interval-ms 100 > "$T_TMP/o4" 2> "$T_TMP/e4" &
pid=$!
t_kill_at_exit "$pid"
sleep 0.8
mock_get gcp /__control/expire > /dev/null
wait "$pid"
rc=$?
T_OUT=$(cat "$T_TMP/o4") T_ERR=$(cat "$T_TMP/e4")
keep
t_is "backfill finished" "$rc" 0
t_is "all 76 entries, once each, after the expiry" "$(ids "$T_OUT" | sort)" "$WANT"
t_ok "the 401 was seen and the token refreshed" test "$(stat_of token_refreshes)" -ge 1
t_is "with one new token request" "$(( $(counters | jget token.jwt) - before ))" 2

# 5. kill -9 right after a checkpoint, then restart: no gap, no duplicate
"$PROBE" poll $BF --cursors "$T_TMP/c5" --page-size 7 --crash-after 30 > "$T_TMP/o5a" 2> "$T_TMP/e5a"
rc=$?
t_is "the first run died (simulated crash after 30 hand-overs)" "$rc" 9
n_a=$(ids "$(cat "$T_TMP/o5a")" | wc -l)
t_ok "restart from the cursor" "$PROBE" poll $BF --cursors "$T_TMP/c5" --page-size 7
keep
t_is "union of both runs: every entry" "$( (ids "$(cat "$T_TMP/o5a")"; ids "$T_OUT") | sort -u)" "$WANT"
t_is "re-delivered only the last unsaved page at most (at-least-once)" \
	"$( (ids "$(cat "$T_TMP/o5a")"; ids "$T_OUT") | sort | uniq -d | wc -l | awk '{print ($1 <= 7)}')" 1
# a real kill -9 at a random moment
"$PROBE" poll $BF --cursors "$T_TMP/c6" --page-size 5 --min-interval-ms 150 > "$T_TMP/o6a" 2> /dev/null &
pid=$!
t_kill_at_exit "$pid"
sleep 1.2
kill -9 "$pid"
wait "$pid" 2> /dev/null
t_ok "restart after kill -9" "$PROBE" poll $BF --cursors "$T_TMP/c6" --page-size 5
keep
O6=$T_OUT
first=$(ids "$(cat "$T_TMP/o6a")" | wc -l)
t_is "kill -9: no gap" "$( (ids "$(cat "$T_TMP/o6a")"; ids "$O6") | sort -u)" "$WANT"
dups=$( (ids "$(cat "$T_TMP/o6a")"; ids "$O6") | sort | uniq -d | wc -l)
t_ok "the killed run had handed some over ($first)" test "$first" -gt 0 -a "$first" -lt 76
t_ok "kill -9: duplicates only from the one page not yet checkpointed ($dups <= 5)" test "$dups" -le 5

# 6. live polls: new entries, overlap dedup, and a late entry caught by the overlap
live() {
	_c=$1
	shift
	"$PROBE" poll --project $P --endpoint "$MOCK_URL_gcp" --cursors "$_c" --lookback-ms 600000 \
		--min-interval-ms 20 --poll-interval-ms 700 --max-polls 5 "$@" > "$T_TMP/olive" 2> "$T_TMP/elive" &
	pid=$!
	t_kill_at_exit "$pid"
	sleep 1
	mock_get gcp "/__control/add?project=$P&n=2&age_ms=0" | jget added > "$T_TMP/new"
	sleep 1
	mock_get gcp "/__control/add?project=$P&n=1&age_ms=20000" | jget added >> "$T_TMP/new"
	wait "$pid"
	T_OUT=$(cat "$T_TMP/olive") T_ERR=$(cat "$T_TMP/elive")
	keep
}
W0=$(date +%s%3N)
live "$T_TMP/c7"
W1=$(date +%s%3N)
# shellcheck disable=SC2046
t_is "live: the two new entries and the late one (20 s old when it appeared)" \
	"$(ids "$T_OUT" | grep -c -F -f "$T_TMP/new")" 3
t_is "live: nothing twice" "$(ids "$T_OUT" | sort | uniq -d | wc -l)" 0
t_ok "live: the overlap re-read entries and dropped them by insertId" test "$(stat_of duplicates)" -gt 0
t_ok "live: each complete poll's watermark is its end less the overlap (late entries may still come)" \
	awk -v lo=$((W0 - 121000)) -v hi=$((W1 - 119000)) '/^watermark: /{ n++; if ($2 < lo || $2 > hi) bad++ }
	    END { exit !(n >= 5 && !bad) }' "$T_TMP/elive"
live "$T_TMP/c8" --overlap-ms -1
t_is "without the overlap the late entry is lost (why the overlap exists)" \
	"$(ids "$T_OUT" | grep -c -F -f "$T_TMP/new")" 2

# 7. ≤ 1 request/s per project with the default limiter; one token for all the calls
mock_get gcp /__control/counters > /dev/null
before=$(counters | jget token.jwt)
t_ok "backfill with the default limiter" "$PROBE" poll --project gcpdiag-gcf1-aaaa --endpoint "$MOCK_URL_gcp" \
	--since -2d --until -1s --cursors "$T_TMP/c9" --page-size 1 --data-access
keep
E7=$T_ERR
t_is "data_access on: activity and data_access entries, not the function logs" "$(ids "$T_OUT" | wc -l)" 4
gap=$(counters | jget projects.gcpdiag-gcf1-aaaa.min_gap_ms)
t_ok "requests to one project at least ~1 s apart (min gap $gap ms)" test "$gap" -ge 985
t_ok "never more than 60 in a minute" test "$(counters | jget projects.gcpdiag-gcf1-aaaa.max_per_minute)" -le 60
T_ERR=$E7
t_is "one token request for $(stat_of requests) Logging calls" "$(( $(counters | jget token.jwt) - before ))" 1
t_diag "figure: requests/min for gcpdiag-gcf1-aaaa at the limit: $(( 60000 / gap ))"
t_ok "data_access off" "$PROBE" poll --project gcpdiag-gcf1-aaaa --endpoint "$MOCK_URL_gcp" \
	--since -2d --until -1s --cursors "$T_TMP/c10" --min-interval-ms 20
keep
t_is "admin activity only" "$(ids "$T_OUT" | wc -l)" 2

# 8. tokens are replaced before they expire (scaled: 4 s tokens, 2 s early)
mock_get gcp '/__control/token_ttl?s=4' > /dev/null
u0=$(counters | jget unauthorized) j0=$(counters | jget token.jwt)
TFDRIFT_GCP_TOKEN_EARLY_S=2 t_ok "live polls across several token lifetimes" "$PROBE" poll --project $P \
	--endpoint "$MOCK_URL_gcp" --cursors "$T_TMP/c11" --lookback-ms 60000 --poll-interval-ms 1000 --max-polls 7
keep
t_is "no request ever used an expired token" "$(( $(counters | jget unauthorized) - u0 ))" 0
t_ok "new tokens were fetched ahead of expiry ($(( $(counters | jget token.jwt) - j0 )) in ~7 s)" \
	test "$(( $(counters | jget token.jwt) - j0 ))" -ge 3
mock_get gcp '/__control/token_ttl?s=3599' > /dev/null

# 9. errors that are not retried are clear
t_exit "an unknown project id shape" 1 "$PROBE" poll --project "a/b" --endpoint "$MOCK_URL_gcp" --cursors "$T_TMP/c12"
keep
t_like "says what is wrong" "$T_ERR" 'a project id is required'
t_run "$PROBE" poll --project $P --endpoint "$MOCK_URL_gcp" --cursors "$T_TMP/c13" --page-size 1001
t_like "page size over 1000 refused before any request" "$T_ERR" 'page size 1001 is out of range'

# 10. no secret anywhere
t_diag "figure (backfill, 10 per page): $(printf '%s\n' "$E1" | grep -o 'handover_us_max=[0-9]*.*' | tail -n 1)"
cat "$TFDRIFT_TRACE" >> "$ALL_OUT"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done < "$T_TMP/secrets.log"
sed -n 2p "$T_TMP/sa.pem" > "$T_TMP/keyline"
grep -qF -f "$T_TMP/keyline" "$ALL_OUT" && leaks=$((leaks + 1))
grep -qF 'ya29.' "$ALL_OUT" && leaks=$((leaks + 1))
t_is "no private key, assertion or token in stdout/stderr/trace" "$leaks" 0
t_like "the trace has the Logging calls" "$(cat "$TFDRIFT_TRACE")" 'POST http://127.0.0.1:[0-9]+/v2/entries:list -> 200'

t_done
