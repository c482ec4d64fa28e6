#!/bin/sh
# tfdrift watch and the live dashboard over CloudTrail LookupEvents (the loopback mock, which
# checks every signature with the official AWS signer): the config's sources.aws, keys from
# the environment, findings as JSON lines, --once exit codes, the cursor in the store, the
# 2 requests/s limit, and the Sources view of a live source.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
mock_need_node

DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
SECRET=wJalrXUtnFEMI-K7MDENG-watch-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDWATCH:$SECRET"
AWS_ACCESS_KEY_ID=AKIDWATCH
AWS_SECRET_ACCESS_KEY=$SECRET
TFDRIFT_TRACE="$T_TMP/trace"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY TFDRIFT_TRACE
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL

cat > "$T_TMP/aws.yaml" <<CFG
states: [$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate]
store: $T_TMP/w.db
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: 5s
      lookback: 2h
      endpoint: $MOCK_URL_ct
CFG

t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once
t_is "watch --once over CloudTrail: drift found, exit 2" "$T_RC" 2
t_like "findings as JSON lines" "$T_OUT" '^\{"id":"[0-9a-f]{32}","kind":"(unmanaged|modified|deleted)"'
NF=$(printf '%s\n' "$T_OUT" | grep -c '^{')
printf '%s\n' "$T_OUT" > "$T_TMP/first.jsonl"
t_is "nothing on stderr" "$T_ERR" ""
t_ok "findings from the sample ($NF)" test "$NF" -ge 1
# The log comes newest first: Terraform's deletions are read before the drift they close, and
# close it all the same (resource_gone, printed as a second line with the same id).
NOPEN=$(/usr/bin/python3 -c 'import json,sys
last = {}
for l in open(sys.argv[1]):
    if l.startswith("{"):
        f = json.loads(l)
        last[f["id"]] = f
print(sum(1 for f in last.values() if f["status"] == "open"))' "$T_TMP/first.jsonl")
t_ok "some resolved by the deletions read before them ($NOPEN of them still open)" \
    grep -q '"status":"resolved".*"reason":"resource_gone"' "$T_TMP/first.jsonl"
t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once
t_is "the cursor is in the store: a second --once finds nothing new, exit 0" "$T_RC" 0
t_is "and prints nothing" "$T_OUT" ""
t_unlike "the secret is in no trace line" "$(cat "$T_TMP/trace")" "$SECRET"
t_like "the trace has the signed LookupEvents calls" "$(cat "$T_TMP/trace")" "POST $MOCK_URL_ct/ -> 200"
t_like "the mock accepted every signature" "$(mock_get ct /__control/counters)" '"rejected":0'

# A backfill window: its own cursor, so the findings the live cursor moved past come back.
SINCE=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once --since "$SINCE" --until "$UNTIL"
t_is "a --since/--until backfill finds the window's drift again: exit 2" "$T_RC" 2
# The store's resolved findings read again are not printed open again: the backfill prints
# the ones still open, once each.
t_is "the findings still open, again" "$(printf '%s\n' "$T_OUT" | grep -o '^{"id":"[0-9a-f]*"' | sort -u | wc -l | tr -d ' ')" "$NOPEN"
t_is "each once, none resolved again" "$(printf '%s\n' "$T_OUT" | grep -c '^{')" "$NOPEN"
t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once --since "$SINCE" --until "$UNTIL"
t_is "the backfill's cursor is kept: the same window again is done" "$T_OUT" ""
t_exit "--until before --since is refused" 1 "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once \
    --since "$UNTIL" --until "$SINCE"

# A wrong secret: a clear error, exit 1, no secret anywhere.
AWS_SECRET_ACCESS_KEY=not-the-secret t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once --store "$T_TMP/bad.db"
t_is "a wrong secret: exit 1" "$T_RC" 1
t_like "saying the signature does not match" "$T_ERR" 'cloudtrail lab us-east-1: .*SignatureDoesNotMatch'
t_unlike "without the secret" "$T_ERR" 'not-the-secret'
t_unlike "naming the source once" "$T_ERR" 'cloudtrail lab us-east-1: cloudtrail lab'

# Something between tfdrift and AWS (a captive portal, a proxy): a redirect names where it
# goes (its query secrets redacted), an HTML page says what it is; neither is retried.
mock_get ct '/__control/redirect?n=3&to=https://portal.example/login%3Fsession_token%3DPORTALSECRET%26lang%3Den' > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once --store "$T_TMP/redirect.db"
t_is "a redirect: exit 1" "$T_RC" 1
t_like "the redirect names its target" "$T_ERR" \
    '^tfdrift: cloudtrail lab us-east-1: POST http://127\.0\.0\.1:[0-9]+/: HTTP 302 redirect to https://portal\.example/login\?session_token=REDACTED&lang=en \(tfdrift does not follow redirects: a proxy, a captive portal or a wrong endpoint\?\)$'
t_unlike "without the portal's token" "$T_ERR" 'PORTALSECRET'
t_like "and it was not retried" "$(mock_get ct /__control/counters)" '"pending":\{"redirect":2,'
mock_get ct '/__control/redirect?n=0' > /dev/null
mock_get ct '/__control/html?n=3' > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/aws.yaml" watch --once --store "$T_TMP/html.db"
t_is "an HTML page: exit 1" "$T_RC" 1
t_like "an HTML page is called one" "$T_ERR" \
    '^tfdrift: cloudtrail lab us-east-1: POST http://127\.0\.0\.1:[0-9]+/: HTTP 200 with HTML, not JSON \(a proxy or captive portal\?\)$'
t_like "and it was not retried" "$(mock_get ct /__control/counters)" '"html":2\}'
mock_get ct '/__control/html?n=0' > /dev/null

# The live dashboard over the same source.
TFDRIFT_NOW=
unset TFDRIFT_NOW
tui_need_tmux
cat > "$T_TMP/ui.yaml" <<CFG
states: [$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate]
store: $T_TMP/ui.db
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: 2s
      lookback: 2h
      endpoint: $MOCK_URL_ct
CFG
mock_get ct /__control/reset > /dev/null
tui_start live 120 40 env AWS_ACCESS_KEY_ID=AKIDWATCH AWS_SECRET_ACCESS_KEY="$SECRET" \
    "$TFDRIFT" -c "$T_TMP/ui.yaml"
t_screen "the dashboard runs live" live '^ tfdrift live +1 Findings'
t_screen "with the findings from CloudTrail" live 'live: [1-9][0-9]* events'
NEW=$(mock_get ct '/__control/add?n=2')
tui_keys live 4
t_screen "Sources shows the live poller" live 'live +cloudtrail lab us-east-1'
t_screen "with its requests and no errors, once it polled" live 'requests [1-9][0-9]* +retries [0-9]+ +errors 0'
t_like "and when it last polled" "$TUI_SCREEN" 'last poll [0-9]+s ago'
t_like "and the state it reads" "$TUI_SCREEN" 'local .*aws_s3_full\.tfstate'
tui_keys live q
t_tui_exit live "the live dashboard exits 0"
# (Three requests span a second at 2/s; 200 ms of scheduling delay on a loaded machine is
# allowed. Fewer than three requests: no span, and nothing to exceed.)
C=$(mock_get ct /__control/counters)
SPAN=$(printf '%s' "$C" | sed -n 's/.*"min_span3":{"AKIDWATCH\/us-east-1\/cloudtrail":\([0-9]*\)}.*/\1/p')
t_ok "the dashboard's poller kept 2 requests/s (three requests span ${SPAN:-no} ms)" \
    test "${SPAN:-1000}" -ge 800
t_done
