#!/bin/sh
# Notifications against receivers on loopback (tests/mock/receivers.js): the Slack Block Kit
# payload, the webhook's finding JSON with an HMAC that verifies independently (openssl) and
# custom headers, falcosidekick-shaped payloads, Falco JSON lines to a file and stdout,
# filters, dedup across restarts (the store), the rate limit with its summary, retries,
# the dead letter, secrets kept out of stderr and the trace, and a receiver that hangs
# without slowing detection.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
mock_start R "$TOP_SRCDIR/tests/mock/receivers.js"
URL=$MOCK_URL_R
EX="$TOP_SRCDIR/doc/examples"
cp "$EX/cloudtrail.json" "$T_TMP/ct.json"

# Secrets: in the Slack URL's path, the webhook URL's path and the HMAC key.
SLACK_WEBHOOK_URL="$URL/slack/services/T0SECRET/B0SECRET/XsecretTOKENx"
HOOK_URL="$URL/webhook/main/tok3nInPath"
HOOK_SECRET="hmacS3cretValue"
export SLACK_WEBHOOK_URL HOOK_URL HOOK_SECRET
TFDRIFT_TRACE="$T_TMP/trace.log"
export TFDRIFT_TRACE

# received FIELD EXPR: evaluate a JS expression over the receiver's record (as `r`).
received() {
	mock_get R /__control/received > "$T_TMP/rec.json"
	node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	    const v = (function () { return eval(process.argv[2]); })();
	    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));' \
	    "$T_TMP/rec.json" "$1"
}

cat > "$T_TMP/all.yaml" <<CFG
outputs:
  - name: slack
    type: slack
    url: \${SLACK_WEBHOOK_URL}
  - name: hook
    type: webhook
    url: \${HOOK_URL}
    hmac_secret: \${HOOK_SECRET}
    headers: {X-Team: sre, X-Env: prod}
  - name: sidekick
    type: falco
    url: $URL/falcosidekick
  - name: falco-file
    type: falco
    file: $T_TMP/falco.jsonl
  - name: high-only
    type: webhook
    url: $URL/webhook/high
    min_severity: high
  - name: deleted-only
    type: webhook
    url: $URL/webhook/deleted
    kinds: [deleted]
CFG
t_run "$TFDRIFT" -c "$T_TMP/all.yaml" watch --once --store "$T_TMP/a.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json"
t_is "watch --once with outputs: exit 2 (drift)" "$T_RC" 2
# Twelve findings; web[1]'s stop is put back by its start: printed again, resolved, and not
# sent (a resolution is no alert).
uniq_ids() { grep -o '^{"id":"[0-9a-f]*"' | sort -u | wc -l | tr -d ' '; }
t_is "12 findings printed" "$(printf '%s\n' "$T_OUT" | uniq_ids)" 12
t_is "and one resolution" "$(printf '%s\n' "$T_OUT" | grep -c '"status":"resolved"')" 1
printf '%s\n' "$T_OUT" > "$T_TMP/once.jsonl"
ERR1=$T_ERR
t_like "a report per output on stderr" "$T_ERR" '^tfdrift: notify slack \(slack\): 12 sent, 0 deduped, 0 rate-limited$'

# Slack
t_is "Slack: 12 messages" "$(received 'r.slack.length')" 12
t_is "Slack: blocks, the first a header" "$(received 'r.slack[0].blocks[0].type')" header
t_like "Slack: header with severity, kind and address" \
    "$(received 'r.slack.map(m => m.blocks[0].text.text).join("\n")')" \
    '^:[a-z_]+: (CRITICAL|HIGH) modified module\.net\.aws_security_group\.web$'
RDS=$(received 'JSON.stringify(r.slack.find(m => m.blocks[0].text.text.includes("aws_db_instance.main")))')
t_like "Slack: the diff, old → new" "$RDS" '`publicly_accessible`: `false` → `true`'
t_like "Slack: sensitive values masked" "$RDS" '`password`: `\(sensitive\)` → `\(sensitive\)`'
t_unlike "Slack: the state's password is nowhere" "$(cat "$T_TMP/rec.json")" 'pR0d-db'
t_like "Slack: actor, via and source address" "$RDS" '\*Actor\*\\nbob via cli\\nfrom 198\.51\.100\.23'
t_like "Slack: a plain text fallback" "$(received 'r.slack[0].text')" '^\[[A-Z]+\] [a-z_]+ drift on '

# Generic webhook
t_is "webhook: 12 POSTs" "$(received 'r.webhook.filter(w => w.path.startsWith("/webhook/main")).length')" 12
received 'r.webhook.filter(w => w.path.startsWith("/webhook/main")).map(w => w.body).join("\n")' \
    > "$T_TMP/hook.jsonl"
echo >> "$T_TMP/hook.jsonl"
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	t_ok "webhook: every body is a finding of the schema" /usr/bin/python3 \
	    "$TOP_SRCDIR/tests/schema_validate.py" --jsonl "$TOP_SRCDIR/doc/findings.schema.json" \
	    "$T_TMP/hook.jsonl"
else
	t_skip "webhook: every body is a finding of the schema" "python3-jsonschema missing"
fi
t_is "webhook: the bodies are the findings watch printed" \
    "$(sort "$T_TMP/hook.jsonl" | grep . | md5sum)" "$(grep -v '"status":"resolved"' "$T_TMP/once.jsonl" | sort | md5sum)"
# The HMAC, computed here with openssl over the exact body received.
received 'r.webhook.filter(w => w.path.startsWith("/webhook/main"))[3].body' > "$T_TMP/body"
SIG=$(received 'r.webhook.filter(w => w.path.startsWith("/webhook/main"))[3].headers["x-tfdrift-signature"]')
WANT=$(openssl dgst -sha256 -hmac "$HOOK_SECRET" < "$T_TMP/body" | sed 's/^.*= *//')
t_is "webhook: X-Tfdrift-Signature verifies with openssl dgst -hmac" "$SIG" "sha256=$WANT"
t_is "webhook: custom headers arrive" \
    "$(received 'const h = r.webhook.find(w => w.path.startsWith("/webhook/main")).headers; h["x-team"] + " " + h["x-env"] + " " + h["content-type"]')" \
    "sre prod application/json"
t_is "webhook: X-Tfdrift-Event: finding" \
    "$(received 'r.webhook.find(w => w.path.startsWith("/webhook/main")).headers["x-tfdrift-event"]')" finding

# falcosidekick and Falco JSON lines
t_is "falcosidekick: 12 payloads it accepts" "$(received 'r.falcosidekick.length')" 12
FS=$(received 'JSON.stringify(r.falcosidekick.find(p => p.output_fields["tfdrift.address"] === "aws_kms_key.data"))')
t_like "falcosidekick: the FalcoPayload fields" "$FS" \
    '^\{"output":"[^"]+","priority":"(Critical|Error|Warning|Notice|Informational)","rule":"[^"]+","time":"[0-9T:-]+\.[0-9]{9}Z","output_fields":\{'
t_like "falcosidekick: source and tags" "$FS" '"source":"tfdrift","tags":\["tfdrift","drift",'
t_like "falcosidekick: ct.* fields for CloudTrail" "$FS" '"ct\.user":"[^"]+".*"ct\.srcip":'
t_is "Falco file: 12 JSON lines" "$(grep -c '^{"output":".*"priority":' "$T_TMP/falco.jsonl")" 12

# Filters
HIGH=$(grep -c '"severity":"\(high\|critical\)"' "$T_TMP/once.jsonl")
t_is "min_severity high: only the high and critical findings ($HIGH)" \
    "$(received 'r.webhook.filter(w => w.path === "/webhook/high").length')" "$HIGH"
t_is "kinds [deleted]: only the deleted finding" \
    "$(received 'r.webhook.filter(w => w.path === "/webhook/deleted").map(w => JSON.parse(w.body).kind).join(",")')" \
    deleted

# Secrets: nothing of the URL paths or the HMAC key in stderr or the trace.
t_unlike "stderr: no secret" "$ERR1" 'T0SECRET|B0SECRET|XsecretTOKENx|tok3nInPath|hmacS3cretValue'
t_unlike "trace: no secret" "$(cat "$T_TMP/trace.log")" 'T0SECRET|B0SECRET|XsecretTOKENx|tok3nInPath|hmacS3cretValue'
t_like "trace: the secret URLs as scheme://host/REDACTED" "$(cat "$T_TMP/trace.log")" \
    "POST http://127\.0\.0\.1:$MOCK_PORT_R/REDACTED -> 200"
t_run "$TFDRIFT" -c "$T_TMP/all.yaml" config check
t_unlike "config check shows \${VAR}, never the secrets" "$T_OUT" 'T0SECRET|tok3nInPath|hmacS3cretValue'
t_like "config check: url as written" "$T_OUT" 'url: "\$\{SLACK_WEBHOOK_URL\}"'

# Dedup across restarts: the same events under another file name (a new cursor) find the
# same findings; the store remembers what each output sent.
cp "$EX/cloudtrail.json" "$T_TMP/ct-again.json"
t_run "$TFDRIFT" -c "$T_TMP/all.yaml" watch --once --store "$T_TMP/a.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct-again.json"
# (The stop the store has resolved is not printed open again.)
t_is "second run: the 11 findings still open again" "$(printf '%s\n' "$T_OUT" | grep -c '^{"id":')" 11
t_is "dedup: still 12 Slack messages" "$(received 'r.slack.length')" 12
t_is "dedup: still 12 falcosidekick payloads" "$(received 'r.falcosidekick.length')" 12
t_like "dedup: counted" "$T_ERR" '^tfdrift: notify slack \(slack\): 0 sent, 11 deduped'

# Rate limit: 5 findings (unmanaged + deleted) at 2/minute: 2 sent and one summary.
mock_get R /__control/reset > /dev/null
cat > "$T_TMP/rl.yaml" <<CFG
outputs:
  - name: rl
    type: slack
    url: $URL/slack/rl
    kinds: [unmanaged, deleted]
    rate_limit: 2/minute
CFG
t_run "$TFDRIFT" -c "$T_TMP/rl.yaml" watch --once --store "$T_TMP/rl.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json"
t_is "rate limit: 2 findings and 1 summary" "$(received 'r.slack.length + " " + r.slack.filter(m => !m.blocks).length')" "3 1"
t_like "the summary says how many were not sent" "$(received 'r.slack.find(m => !m.blocks).text')" \
    '^3 more findings not sent \(rate limit: 2/minute on output rl\)$'
t_like "rate-limited counted" "$T_ERR" 'notify rl \(slack\): 2 sent, 0 deduped, 3 rate-limited'

# Retries: 500 twice, then 200: delivered.
mock_get R /__control/reset > /dev/null
cat > "$T_TMP/retry.yaml" <<CFG
outputs:
  - name: flaky
    type: webhook
    url: $URL/fail?n=2&key=retry
    kinds: [deleted]
    retries: 3
    dead_letter: $T_TMP/dl-flaky.jsonl
CFG
t_run "$TFDRIFT" -c "$T_TMP/retry.yaml" watch --once --store "$T_TMP/r.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json"
t_is "retries: 500, 500, then 200" "$(received 'r.fail.map(f => f.status).join(",")')" "500,500,200"
t_like "delivered after 2 retries" "$T_ERR" 'notify flaky \(webhook\): 1 sent, .*2 retries'
t_ok "nothing in the dead-letter file" test ! -s "$T_TMP/dl-flaky.jsonl"

# Dead letter: it keeps failing.
mock_get R /__control/reset > /dev/null
cat > "$T_TMP/dead.yaml" <<CFG
outputs:
  - name: broken
    type: webhook
    url: $URL/fail?n=100&key=dead
    kinds: [deleted]
    retries: 2
    dead_letter: $T_TMP/dl/broken.jsonl
CFG
t_run "$TFDRIFT" -c "$T_TMP/dead.yaml" watch --once --store "$T_TMP/d.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json"
t_is "dead letter: 3 attempts" "$(received 'r.fail.length')" 3
t_is "watch's exit status is not changed by it" "$T_RC" 2
t_like "stderr says where it went" "$T_ERR" "notify broken \\(webhook\\): 0 sent, .*1 failed \\(1 in the dead-letter file $T_TMP/dl/broken.jsonl\\)"
t_is "one dead letter" "$(wc -l < "$T_TMP/dl/broken.jsonl" | tr -d ' ')" 1
t_like "with the error, the attempts and the finding" "$(cat "$T_TMP/dl/broken.jsonl")" \
    '^\{"time":"[^"]+","output":"broken","type":"webhook","error":"POST http://127\.0\.0\.1:[0-9]+/REDACTED: HTTP 500: internal error \(mock\)","attempts":3,"finding":\{"id":"[0-9a-f]{32}","kind":"deleted"'

# Falco JSON lines on stdout.
cat > "$T_TMP/stdout.yaml" <<CFG
outputs:
  - name: falco-out
    type: falco
    file: "-"
CFG
t_run "$TFDRIFT" -c "$T_TMP/stdout.yaml" watch --once --format text --store "$T_TMP/o.db" \
    --state "$EX/prod.tfstate" --events "$T_TMP/ct.json"
t_is "Falco JSON lines on stdout" "$(printf '%s\n' "$T_OUT" | grep -c '^{"output":"Terraform drift')" 12

# scan --notify: the scan's open findings, waited for; the exit status is the scan's.
cat > "$T_TMP/scan.yaml" <<CFG
outputs:
  - name: scan-file
    type: falco
    file: $T_TMP/scan-falco.jsonl
CFG
t_exit "scan --notify: exit 2 as without it" 2 "$TFDRIFT" -c "$T_TMP/scan.yaml" scan --notify \
    --format jsonl --state "$EX/prod.tfstate" --events "$T_TMP/ct.json"
t_is "scan --notify: every open finding delivered (not the resolved stop)" "$(grep -c '^{"output":' "$T_TMP/scan-falco.jsonl")" 11
t_like "and reported" "$T_ERR" 'notify scan-file \(falco\): 11 sent'

# A receiver that hangs does not slow detection. Baseline: the same run without outputs.
ms() { date +%s%3N; }
t0=$(ms)
t_run "$TFDRIFT" watch --once --store "$T_TMP/base.db" --state "$EX/prod.tfstate" --events "$T_TMP/ct.json"
base=$(($(ms) - t0))
cat > "$T_TMP/hang.yaml" <<CFG
outputs:
  - name: stuck
    type: webhook
    url: $URL/hang
    timeout: 1s
    retries: 0
    dead_letter: $T_TMP/dl-hang.jsonl
CFG
t0=$(ms)
t_run "$TFDRIFT" -c "$T_TMP/hang.yaml" watch --once --store "$T_TMP/h.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json"
took=$(($(ms) - t0))
t_diag "watch --once: ${base} ms without outputs, ${took} ms with a hanging receiver"
t_is "hanging receiver: every finding printed" "$(printf '%s\n' "$T_OUT" | uniq_ids)" 12
t_ok "and it exits within 5 s of the run without outputs (${took} vs ${base} ms)" \
    test "$took" -lt $((base + 5000))
t_like "the notifier gave up at its timeout" "$(cat "$T_TMP/dl-hang.jsonl")" \
    '"error":"POST http://127\.0\.0\.1:[0-9]+/REDACTED: (Operation timed out|.*timed out)'
t_is "nothing lost: all 12 in the dead-letter file" "$(wc -l < "$T_TMP/dl-hang.jsonl" | tr -d ' ')" 12

# Live: findings stream out while the receiver hangs with a long timeout (12 findings x 5 s
# would be a minute if detection waited on it).
cat > "$T_TMP/hang2.yaml" <<CFG
outputs:
  - name: stuck
    type: webhook
    url: $URL/hang
    timeout: 5s
    dead_letter: $T_TMP/dl-hang2.jsonl
CFG
t0=$(ms)
"$TFDRIFT" -c "$T_TMP/hang2.yaml" watch --store "$T_TMP/h2.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/ct.json" > "$T_TMP/live.out" 2> "$T_TMP/live.err" &
PID=$!
t_kill_at_exit "$PID"
i=0
while [ "$(grep -c '^{' "$T_TMP/live.out" 2> /dev/null)" != 13 ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
seen=$(($(ms) - t0))
t_is "live: all 12 findings (and the resolution) printed while the receiver hangs" "$(grep -c '^{' "$T_TMP/live.out")" 13
t_ok "within 2 s of the start (${seen} ms)" test "$seen" -lt 2000
t0=$(ms)
kill -TERM "$PID"
wait "$PID"
rc=$?
stop=$(($(ms) - t0))
t_is "SIGTERM: exit 0" "$rc" 0
t_ok "stops within the drain deadline (${stop} ms)" test "$stop" -lt 5000
t_like "what was not delivered is in the dead-letter file" "$(cat "$T_TMP/dl-hang2.jsonl")" \
    'not delivered before exit|gave up at exit'
t_done
