#!/bin/sh
# Notifications against receivers on loopback (tests/mock/receivers.js): the Slack Block Kit
# payload, the webhook's finding JSON with an HMAC that verifies independently (openssl) and
# custom headers, falcosidekick-shaped payloads, Falco JSON lines to a file and stdout,
# filters, dedup across restarts (the store), the rate limit with its summary, retries,
# the dead letter, secrets kept out of stderr and the trace, and a receiver that hangs
# without slowing detection; resolutions to the outputs that opt in (on: [open, resolved]).
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
# sent (no output here has on: [open, resolved]; see the resolutions below).
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

# Resolutions (issue 15): alice's instance_type change on web[1] is put back by hand by bob.
# Outputs with on: [open, resolved] get the alert and then the resolution, saying what
# resolved it, who and through which event; the default gets the alert only; filters apply.
mock_get R /__control/reset > /dev/null
node -e '
const fs = require("fs");
const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const m = d.Records.find((r) => r.eventName === "ModifyInstanceAttribute" &&
    r.requestParameters.instanceType);
const rev = JSON.parse(JSON.stringify(m));
rev.eventID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
rev.requestID = "0b0b0b0b-1111-4222-8333-444455556666";
rev.eventTime = "2024-05-27T11:14:09Z";
rev.userIdentity = { type: "IAMUser", principalId: "AIDAEXAMPLEBOB0000001",
    arn: "arn:aws:iam::111122223333:user/bob", accountId: "111122223333", userName: "bob" };
rev.userAgent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64";
rev.sourceIPAddress = "198.51.100.23";
rev.requestParameters.instanceType.value = "t3.medium";
fs.writeFileSync(process.argv[2], JSON.stringify({ Records: [m, rev] }));
fs.writeFileSync(process.argv[3], JSON.stringify({ Records: [m] }));
fs.writeFileSync(process.argv[6], JSON.stringify({ Records: [rev] }));
const s = JSON.parse(fs.readFileSync(process.argv[4], "utf8"));
s.serial += 1;
for (const r of s.resources)
	if (r.type === "aws_instance")
		for (const i of r.instances)
			if (i.index_key === 1) i.attributes.instance_type = "t3.large";
fs.writeFileSync(process.argv[5], JSON.stringify(s));
' "$EX/cloudtrail.json" "$T_TMP/revert.json" "$T_TMP/drift.json" "$EX/prod.tfstate" \
    "$T_TMP/prod-next.tfstate" "$T_TMP/revert-only.json"
cat > "$T_TMP/res.yaml" <<CFG
outputs:
  - name: res-slack
    type: slack
    url: $URL/slack/res
    on: [open, resolved]
  - name: res-hook
    type: webhook
    url: $URL/webhook/res
    hmac_secret: \${HOOK_SECRET}
    on: [open, resolved]
  - name: plain-hook
    type: webhook
    url: $URL/webhook/plain
  - name: only-resolved
    type: webhook
    url: $URL/webhook/only-resolved
    on: [resolved]
  - name: critical-only
    type: webhook
    url: $URL/webhook/critical
    min_severity: critical
    on: [open, resolved]
  - name: res-falco
    type: falco
    file: $T_TMP/res-falco.jsonl
    on: [open, resolved]
  - name: res-sidekick
    type: falco
    url: $URL/falcosidekick/res
    on: [open, resolved]
CFG
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/res.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/revert.json"
RES_ERR=$T_ERR
t_is "revert: watch exits 0 (nothing left open)" "$T_RC" 0
t_is "revert: printed open, then resolved" \
    "$(printf '%s\n' "$T_OUT" | grep -o '"status":"[a-z]*"' | tr '\n' ' ')" \
    '"status":"open" "status":"resolved" '
t_is "Slack on [open, resolved]: two messages" "$(received 'r.slack.length')" 2
t_like "Slack: first the alert" "$(received 'r.slack[0].blocks[0].text.text')" \
    '^:[a-z_]+: MEDIUM modified module\.app\.aws_instance\.web\[1\]$'
t_is "Slack: then the resolution's header" "$(received 'r.slack[1].blocks[0].text.text')" \
    ':white_check_mark: RESOLVED MEDIUM modified module.app.aws_instance.web[1]'
t_is "Slack: what resolved it, who, which event, when" "$(received 'r.slack[1].blocks[1].text.text')" \
    '*Resolved:* reverted by hand by *bob* (ModifyInstanceAttribute, 11:14 UTC)'
t_is "Slack: the one-line fallback" "$(received 'r.slack[1].text')" \
    'Resolved: module.app.aws_instance.web[1] instance_type — reverted by hand by bob (ModifyInstanceAttribute, 11:14 UTC)'
t_like "Slack: the drift that was" "$(received 'r.slack[1].blocks[2].text.text')" \
    '`instance_type`: `t3\.medium` → `t3\.large`'
t_like "Slack: the reason and the resolving event's id" "$(received 'JSON.stringify(r.slack[1].blocks[3])')" \
    'Reason\*\\nreverted_by_hand.*7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
hook() { received "r.webhook.filter(w => w.path === \"/webhook/$1\")$2"; }
t_is "webhook on [open, resolved]: finding, then resolution (X-Tfdrift-Event)" \
    "$(hook res '.map(w => w.headers["x-tfdrift-event"]).join(",")')" "finding,resolution"
t_is "webhook: the resolution body says resolved, why, who and which event" \
    "$(hook res '.map(w => JSON.parse(w.body)).filter(f => f.status === "resolved").map(f => [f.resolution.reason, f.resolution.actor.name, f.resolution.event.name, f.resolution.event.id, f.resolution.at].join(" ")).join(";")')" \
    "reverted_by_hand bob ModifyInstanceAttribute 7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f 2024-05-27T11:14:09Z"
t_is "webhook: the resolution body is the finding watch printed resolved" \
    "$(hook res '[1].body')" "$(printf '%s\n' "$T_OUT" | grep '"status":"resolved"')"
hook res '[1].body' > "$T_TMP/res-body"
t_is "webhook: the resolution's signature verifies" "$(hook res '[1].headers["x-tfdrift-signature"]')" \
    "sha256=$(openssl dgst -sha256 -hmac "$HOOK_SECRET" < "$T_TMP/res-body" | sed 's/^.*= *//')"
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	printf '%s\n' "$(hook res '[1].body')" > "$T_TMP/res-body.jsonl"
	t_ok "webhook: the resolution is a finding of the schema" /usr/bin/python3 \
	    "$TOP_SRCDIR/tests/schema_validate.py" --jsonl "$TOP_SRCDIR/doc/findings.schema.json" \
	    "$T_TMP/res-body.jsonl"
else
	t_skip "webhook: the resolution is a finding of the schema" "python3-jsonschema missing"
fi
t_is "default on (open): the alert only" \
    "$(hook plain '.map(w => JSON.parse(w.body).status).join(",")')" "open"
t_is "on [resolved]: the resolution only" \
    "$(hook only-resolved '.map(w => JSON.parse(w.body).status).join(",")')" "resolved"
t_is "min_severity critical: neither the medium alert nor its resolution" \
    "$(hook critical '.length')" 0
t_is "Falco file: the alert, then a resolution line of its own" \
    "$(sed 's/.*"rule":"\([^"]*\)".*/\1/' "$T_TMP/res-falco.jsonl" | tr '\n' ',')" \
    "tfdrift modified,tfdrift drift resolved,"
t_like "Falco: the resolution's output and fields" "$(tail -n 1 "$T_TMP/res-falco.jsonl")" \
    '"output":"Resolved: module\.app\.aws_instance\.web\[1\] instance_type — reverted by hand by bob \(ModifyInstanceAttribute, 11:14 UTC\).*"tfdrift\.resolution\.reason":"reverted_by_hand".*"ct\.name":"ModifyInstanceAttribute".*"ct\.user":"bob"'
t_is "falcosidekick accepts the resolution too" \
    "$(received 'r.falcosidekick.map(p => p.rule + "/" + p.priority).join(",")')" \
    "tfdrift modified/Warning,tfdrift drift resolved/Warning"
t_like "reported: 2 sent on res-slack, one a resolution" "$RES_ERR" 'notify res-slack \(slack\): 2 sent \(1 resolution\), 0 deduped'
t_like "reported: 1 sent on plain-hook" "$RES_ERR" 'notify plain-hook \(webhook\): 1 sent, 0 deduped'

# The same events again under another name (a restart reading them again): the resolution
# is not sent twice.
cp "$T_TMP/revert.json" "$T_TMP/revert-again.json"
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/res.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/revert-again.json"
AGAIN_ERR=$T_ERR
t_is "seen again: still 2 Slack messages" "$(received 'r.slack.length')" 2
t_is "seen again: still one resolution per output" \
    "$(received 'r.webhook.filter(w => JSON.parse(w.body).status === "resolved").length')" 2
t_is "seen again: Falco file unchanged" "$(wc -l < "$T_TMP/res-falco.jsonl" | tr -d ' ')" 2
t_like "seen again: reported" "$AGAIN_ERR" 'notify res-slack \(slack\): 0 sent'
t_unlike "seen again: nothing sent" "$AGAIN_ERR" '[1-9][0-9]* sent'

# A newer state (same lineage, higher serial) holding the new value: watch resolves the
# store's open finding at start (accepted_in_state) and sends that too, once.
mock_get R /__control/reset > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/acc.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/drift.json"
t_is "accepted: first the drift, open" "$T_RC" 2
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/acc.db" \
    --state "$T_TMP/prod-next.tfstate" --events "$T_TMP/drift.json"
t_is "accepted: the next run resolves it (exit 0)" "$T_RC" 0
t_like "accepted: Slack says accepted in state" "$(received 'r.slack.map(m => m.text).join("\n")')" \
    'Resolved: module\.app\.aws_instance\.web\[1\] instance_type — accepted in state \(newer state, '
t_is "accepted: the webhook's reason, no event or actor" \
    "$(hook res '.map(w => JSON.parse(w.body)).filter(f => f.status === "resolved").map(f => f.resolution.reason + " " + f.resolution.event + " " + f.resolution.actor).join(";")')" \
    "accepted_in_state null null"
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/acc.db" \
    --state "$T_TMP/prod-next.tfstate" --events "$T_TMP/drift.json"
t_is "accepted: not sent again by a third run" \
    "$(received 'r.webhook.filter(w => JSON.parse(w.body).status === "resolved").length')" 2

# Suppressed after its alert went out: the resolution is printed, not sent (as an alert of a
# suppressed finding is not).
mock_get R /__control/reset > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/sup.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/drift.json"
t_is "suppressed: the alert went out first" "$(hook res '.length')" 1
BEFORE=$(received 'r.webhook.length + "/" + r.slack.length + "/" + r.falcosidekick.length')
t_ok "suppress alice's changes" "$TFDRIFT" suppress --store "$T_TMP/sup.db" --scope actor \
    --value alice@corp.example --for 1h --note "planned"
t_run "$TFDRIFT" -c "$T_TMP/res.yaml" watch --once --store "$T_TMP/sup.db" --state "$EX/prod.tfstate" \
    --events "$T_TMP/revert-only.json"
t_like "suppressed: bob's revert resolves it (printed)" "$T_OUT" '"status":"resolved".*"reason":"reverted_by_hand"'
t_is "suppressed: its resolution is not sent ($BEFORE before)" \
    "$(received 'r.webhook.length + "/" + r.slack.length + "/" + r.falcosidekick.length')" "$BEFORE"

# scan --notify --store: the store's drift that this scan resolves is sent; drift that comes
# and goes within one scan is not.
mock_get R /__control/reset > /dev/null
t_exit "scan --store: the drift, open" 2 "$TFDRIFT" -c "$T_TMP/res.yaml" scan --notify --store "$T_TMP/scan-res.db" \
    --format jsonl --state "$EX/prod.tfstate" --events "$T_TMP/drift.json"
t_exit "scan --store with a newer state: resolved" 0 "$TFDRIFT" -c "$T_TMP/res.yaml" scan --notify \
    --store "$T_TMP/scan-res.db" --format jsonl --state "$T_TMP/prod-next.tfstate" --events "$T_TMP/drift.json"
t_is "scan --notify: the alert, then the resolution" \
    "$(hook res '.map(w => w.headers["x-tfdrift-event"]).join(",")')" "finding,resolution"
t_is "scan --notify: on [resolved] gets the resolution" "$(hook only-resolved '.length')" 1
mock_get R /__control/reset > /dev/null
t_exit "scan without --store: revert within the run" 0 "$TFDRIFT" -c "$T_TMP/res.yaml" scan --notify \
    --format jsonl --state "$EX/prod.tfstate" --events "$T_TMP/revert.json"
t_is "scan --notify: drift that came and went within the run is not sent" \
    "$(received 'r.webhook.length + r.slack.length')" 0

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
