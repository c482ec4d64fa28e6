#!/bin/sh
# CloudTrail LookupEvents poller against the loopback mock (tests/mock/cloudtrail.js), whose
# every request is checked with the official AWS signer: pagination, dedup across
# overlapping windows, restart mid-backfill, faults, the 2 requests/s limit, temporary keys.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node

PROBE="$TOP_BUILDDIR/tests/live/ct_probe"
DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
SECRET=wJalrXUtnFEMI-K7MDENG-probe-secret
TOKEN=FwoGZXIvYXdzEXAMPLE-session-token
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDPROBE:$SECRET" --key "ASIAPROBE:$SECRET:$TOKEN"
URL=$MOCK_URL_ct
PROBE_SECRET=$SECRET
export PROBE_SECRET
mock_get ct /__control/ids | grep . | sort > "$T_TMP/all"
NALL=$(wc -l < "$T_TMP/all")
t_is "mock holds the 136 write events of the sample" "$NALL" 136

probe() {
	"$PROBE" cloudtrail --endpoint "$URL" --region us-east-1 --akid AKIDPROBE "$@"
}
ids() {
	sed 's/^{"id":"\([^"]*\)".*/\1/' "$@"
}

# 1. One poll, all pages (50 + 50 + 36), every event once.
t_ok "once: all pages" probe --once --lookback 2h --cursor-file "$T_TMP/c1"
printf '%s\n' "$T_OUT" | ids | sort > "$T_TMP/o1"
t_is "pagination: every write event once" "$(sort -u "$T_TMP/o1" | wc -l) $(wc -l < "$T_TMP/o1")" "$NALL $NALL"
t_is "pagination: same ids as the mock" "$(cmp -s "$T_TMP/o1" "$T_TMP/all" && echo same)" same
t_like "three LookupEvents pages" "$T_ERR" 'requests=3 errors=0'

# 2. Overlapping window: a second poll re-reads the last 10 minutes; nothing twice, new events once.
NEW=$(mock_get ct '/__control/add?n=3' | tr ',' '\n' | grep -c '"')
t_ok "second poll from the cursor" probe --once --cursor-file "$T_TMP/c1"
t_is "overlap: only the 3 new events" "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" 3
printf '%s\n' "$T_OUT" | ids > "$T_TMP/o2"
t_is "overlap: new ids are not old ones" "$(sort "$T_TMP/o1" "$T_TMP/o2" | uniq -d | wc -l)" 0
t_ok "third poll: nothing new" probe --once --cursor-file "$T_TMP/c1"
t_is "overlap: no duplicate on a quiet poll" "$T_OUT" ""
# The cursor keeps the ids' hashes (v2); a v1 cursor, with the ids themselves (what tfdrift
# wrote before the bounded id set), still reads and still drops them.
t_like "the cursor keeps hashed ids (v2)" "$(cat "$T_TMP/c1")" '"v":2,.*"ids":\[\["[0-9a-f]{16}",'
/usr/bin/python3 - "$T_TMP/c1" "$T_TMP/all" "$T_TMP/o2" <<'PY'
import re, sys
def fnv(x):
    h = 1469598103934665603
    for c in x.encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return "%016x" % h
ids = {fnv(l.strip()): l.strip() for f in sys.argv[2:] for l in open(f) if l.strip()}
t = open(sys.argv[1]).read().replace('"v":2', '"v":1')
t = re.sub(r'"([0-9a-f]{16})"', lambda m: '"%s"' % ids.get(m.group(1), m.group(1)), t)
open(sys.argv[1], "w").write(t)
PY
t_unlike "rewritten as v1" "$(cat "$T_TMP/c1")" '"[0-9a-f]{16}"'
t_ok "a poll from the v1 cursor" probe --once --cursor-file "$T_TMP/c1"
t_is "overlap: the v1 cursor's ids are dropped too" "$T_OUT" ""

# 3. Restart mid-backfill: page size 10, kill -9 after a checkpoint, resume from the cursor.
rm -f "$T_TMP/c3"; : > "$T_TMP/k1"
# (the binary itself in the background, not the shell function: kill -9 must hit the probe)
"$PROBE" cloudtrail --endpoint "$URL" --region us-east-1 --akid AKIDPROBE --page-size 10 --rate 2 \
	--lookback 2h --interval-ms 100000 --cursor-file "$T_TMP/c3" > "$T_TMP/k1" 2> "$T_TMP/k1.err" &
PID=$!
t_kill_at_exit "$PID"
i=0
while [ "$(wc -l < "$T_TMP/k1")" -lt 40 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $PID
wait $PID 2> /dev/null
N1=$(wc -l < "$T_TMP/k1")
t_ok "the first run was stopped early ($N1 events)" test "$N1" -lt 139
t_like "killed in the middle of the backfill" "$(cat "$T_TMP/c3")" '"pend":'
t_ok "restart resumes" probe --page-size 10 --rate 2 --once --cursor-file "$T_TMP/c3"
printf '%s\n' "$T_OUT" > "$T_TMP/k2"
cat "$T_TMP/k1" "$T_TMP/k2" | ids | sort > "$T_TMP/k"
ALL3=$(ids "$T_TMP/o1" "$T_TMP/o2" | sort)
t_is "restart: union == all events (first run $N1 lines)" "$(sort -u "$T_TMP/k")" "$ALL3"
# Delivery is at least once: a kill -9 between printing a page and checkpointing it sends that
# page again (the store drops an event id it holds). So at most one page twice, and only the
# last page the first run printed.
uniq -d "$T_TMP/k" > "$T_TMP/dups"
t_ok "restart: at most one page ($(wc -l < "$T_TMP/dups") ids) twice" test "$(wc -l < "$T_TMP/dups")" -le 10
tail -n 10 "$T_TMP/k1" | ids | sort > "$T_TMP/lastpage"
t_is "restart: an id twice only from the last page before the kill" \
    "$(comm -23 "$T_TMP/dups" "$T_TMP/lastpage" | wc -l)" 0

# 4. Faults: throttling, 5xx, a truncated body: retried, counted, nothing lost.
mock_get ct '/__control/throttle?n=2' > /dev/null
mock_get ct '/__control/fail500?n=1' > /dev/null
mock_get ct '/__control/truncate?n=1' > /dev/null
t_ok "throttle + 500 + truncated JSON survived" probe --once --lookback 2h
t_is "faults: nothing lost" "$(printf '%s\n' "$T_OUT" | ids | sort -u)" "$ALL3"
t_like "faults: retries counted" "$T_ERR" 'retries=[4-9]'
t_like "truncated JSON counted as an error" "$T_ERR" 'errors=1 '

# 5. A hung request times out and is retried.
mock_get ct '/__control/hang?ms=3000' > /dev/null
t_ok "hang: timeout then retry" probe --once --lookback 2h --timeout-ms 800
t_is "hang: nothing lost" "$(printf '%s\n' "$T_OUT" | ids | sort -u)" "$ALL3"

# 6. ExpiredTokenException: keys invalidated, one retry.
mock_get ct '/__control/expire?n=1' > /dev/null
t_ok "expired token: refreshed and retried" probe --once --lookback 2h
t_is "expired token: nothing lost" "$(printf '%s\n' "$T_OUT" | ids | sort -u | wc -l)" "$((NALL + 3))"

# 7. AccessDenied: a clear error, the poller keeps polling at its interval.
mock_get ct '/__control/deny?n=1' > /dev/null
t_run probe --lookback 2h --interval-ms 300 --max-seconds 3 --max-events 139
t_like "access denied: clear error" "$T_ERR" 'AccessDeniedException.*cloudtrail:LookupEvents'
t_is "access denied: later polls get the events" "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" 139

# 8. Wrong secret: SignatureDoesNotMatch, and the secret is nowhere.
PROBE_SECRET=not-the-right-secret-42 TFDRIFT_TRACE="$T_TMP/trace" t_run probe --once
t_is "wrong secret: fails" "$T_RC" 1
t_like "wrong secret: SignatureDoesNotMatch" "$T_ERR" 'HTTP 403 SignatureDoesNotMatch.*check the secret'
t_unlike "wrong secret: not in stderr" "$T_ERR" 'not-the-right-secret-42|wJalrXUtnFEMI'
t_unlike "wrong secret: not in the trace" "$(cat "$T_TMP/trace")" 'not-the-right-secret-42|wJalrXUtnFEMI'
t_like "trace has the request" "$(cat "$T_TMP/trace")" 'POST http://127.0.0.1:[0-9]+/ -> 403'

# 9. Temporary keys: the session token is sent, signed and checked by the mock.
PROBE_TOKEN=$TOKEN t_run "$PROBE" cloudtrail --endpoint "$URL" --region us-east-1 --akid ASIAPROBE --once --lookback 2h
t_is "session token: accepted" "$T_RC $(printf '%s\n' "$T_OUT" | grep -c '"id"')" "0 $((NALL + 3))"
PROBE_TOKEN=wrong-token t_run "$PROBE" cloudtrail --endpoint "$URL" --region us-east-1 --akid ASIAPROBE --once
t_like "session token: a wrong one is refused" "$T_ERR" 'InvalidClientTokenId'
t_unlike "session token: not printed" "$T_ERR" "$TOKEN|wrong-token"

# 10. A region the account-region does not serve: refused by the mock (region is checked).
t_run probe --once --region eu-west-1
t_like "signing region checked" "$T_ERR" 'credential scope region eu-west-1'

# 11. The poller stays under 2 requests/s per account-region (the mock counts arrivals in a
#     sliding second). Counters reset first: earlier probes were separate processes.
mock_get ct /__control/reset > /dev/null
t_ok "rate: a 14-page backfill" probe --once --page-size 10 --lookback 2h
C=$(mock_get ct /__control/counters)
t_diag "counters: $C"
MAX=$(printf '%s' "$C" | sed 's/.*"max_rate":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sed 's/.*://' | sort -n | tail -1)
SPAN=$(printf '%s' "$C" | sed 's/.*"min_span3":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sed 's/.*://' | sort -n | head -1)
# 2 requests/s: any three consecutive requests span a second (the limiter spaces their starts
# 505 ms apart); arrivals are measured at the mock, where a request that left late on a
# loaded machine lands close to the next, so 200 ms of that is allowed. Without a limit
# the 14 pages come within a few ms of each other; at 3/s three span 667 ms.
t_ok "rate: any three requests per account-region span 0.8 s or more (shortest $SPAN ms; most in a second: $MAX)" \
    test "${SPAN:-0}" -ge 800

t_done
