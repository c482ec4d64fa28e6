#!/bin/sh
# Terraform state from S3 (s3rver behind a SigV4-verifying proxy), GCS, the HTTP backend and
# HCP Terraform (tests/mock/backends.js), all on loopback, through tests/live/state_probe:
# real states are read and parsed, unchanged states are not downloaded again (the mocks'
# counters prove it), changes between polls are picked up, workspaces map to Terraform's
# keys, faults give clear errors, a truncated body keeps the last good copy, and no secret
# reaches stdout, stderr or the TFDRIFT_TRACE file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node

PROBE="$TOP_BUILDDIR/tests/live/state_probe"
DATA="$TOP_SRCDIR/tests/data/live"
ALL="$T_TMP/all-output"
: > "$ALL"
TFDRIFT_TRACE="$T_TMP/trace"
export TFDRIFT_TRACE

# Secrets the tests use; none may appear in any output.
S3_SECRET='s3-secret-Qz8wv1'
GCS_TOKEN='ya29.gcs-secret-Tk1m'
HTTP_PASS='http-secret-Pw3x'
HCP_TOKEN='hcp-secret-Tok9.atlasv1.zz'
TFE_TOKEN='tfe-secret-Tok7'

probe() {
	t_run "$PROBE" "$@"
	printf '%s\n%s\n' "$T_OUT" "$T_ERR" >> "$ALL"
}

# field LINE_NO NAME: a field of the probe's JSON line (numbers, booleans, strings unquoted)
field() {
	printf '%s\n' "$T_OUT" | sed -n "${1}p" |
	    sed -E -n "s/.*\"$2\":(\"([^\"]*)\"|([^,}]*)).*/\2\3/p"
}

# The change time the mocks give their fixtures (Last-Modified, GCS updated, HCP created-at).
FIXTURE_TIME=2024-05-26T08:00:00Z
# recent TIME: TIME (RFC 3339) is within the last 5 minutes: a change the test just made.
recent() {
	_s=$(date -u -d "$1" +%s 2> /dev/null) || return 1
	[ $(($(date -u +%s) - _s)) -ge 0 ] && [ $(($(date -u +%s) - _s)) -lt 300 ]
}

# counter MOCK NAME: a counter from a mock's /__control/counters
counter() {
	mock_get "$1" /__control/counters | sed -E -n "s/.*\"$2\":([0-9]+).*/\1/p"
}

# ---------------------------------------------------------------- S3 ----
MOCK_S3_KEYS="AKIDTFDRIFTTEST:$S3_SECRET"
export MOCK_S3_KEYS
mock_start S3 "$TOP_SRCDIR/tests/mock/s3.js" --region eu-west-1 --bucket tfstate \
    --put "tfstate/prod/terraform.tfstate=$DATA/aws_s3_full.tfstate" \
    --put "tfstate/env:/staging/prod/terraform.tfstate=$DATA/gke.tfstate"
unset MOCK_S3_KEYS
AWS_ACCESS_KEY_ID=AKIDTFDRIFTTEST
AWS_SECRET_ACCESS_KEY=$S3_SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
S3="s3://tfstate/prod/terraform.tfstate?region=eu-west-1"
EP="--endpoint $MOCK_URL_S3"
C="$MOCK_URL_S3/__control"

probe "$S3" $EP
t_is "s3: the state is read and parsed (serial, resources)" \
    "$(field 1 changed) $(field 1 serial) $(field 1 resources)" "true 398 26"
t_is "s3: changed at the object's Last-Modified, not when it was read" "$(field 1 changed_at)" \
    "$FIXTURE_TIME"

mock_get S3 /__control/reset > /dev/null
probe "$S3" $EP --times 3 --between "" \
    --between "$C/bump?bucket=tfstate&key=prod/terraform.tfstate" --describe
t_is "s3: unchanged on the second poll, the bump seen on the third" \
    "$(field 1 changed) $(field 2 changed) $(field 3 changed) $(field 3 serial)" \
    "true false true 399"
t_is "s3: the unchanged poll was a 304 without a body (If-None-Match)" \
    "$(counter S3 s304) $(counter S3 bodies)" "1 2"
t_is "s3: bytes received for the unchanged poll: 0" \
    "$(($(field 2 received) - $(field 1 received)))" "0"
recent "$(field 3 changed_at)"
ok $? "s3: after the bump, changed at its new Last-Modified" || t_diag "changed_at: $(field 3 changed_at)"
t_like "s3: describe shows the ETag and counts" "$T_OUT" \
    '"version":"\\"[0-9a-f]{32}\\"".*"downloads":2,"unchanged":1'

probe "$S3&workspace=staging" $EP
t_is "s3: workspace staging reads env:/staging/prod/terraform.tfstate" \
    "$(field 1 serial) $(field 1 lineage)" "87 2aa921a8-da53-05c1-2a92-40870ad904d1"
t_like "s3: the workspace key was sent encoded (env%3A)" "$(cat "$TFDRIFT_TRACE")" \
    'GET .*/tfstate/env%3A/staging/prod/terraform.tfstate -> 200'

refused=$(counter S3 refused)
AWS_SECRET_ACCESS_KEY='wrong-secret-Zz9'
probe "$S3" $EP
AWS_SECRET_ACCESS_KEY=$S3_SECRET
t_like "s3: a wrong secret is refused with a clear error" "$(field 1 error)" \
    'S3 refused the request signature \(SignatureDoesNotMatch\): check the secret access key for access key AKIDTFDRIFTTEST'
t_is "s3: the mock's verifier refused it" "$(counter S3 refused)" "$((refused + 1))"
t_unlike "s3: the wrong secret is not printed" "$T_OUT$T_ERR" 'wrong-secret-Zz9'
t_is "s3: a failed fetch exits 1" "$T_RC" 1

probe "s3://tfstate/nope.tfstate?region=eu-west-1" $EP
t_like "s3: missing object: no state (NoSuchKey)" "$(field 1 error)" \
    '^no state at s3://tfstate/nope.tfstate \(NoSuchKey\)'
probe "s3://tfstate/prod/terraform.tfstate?region=eu-west-1&workspace=qa" $EP
t_like "s3: missing workspace names the env:/ key" "$(field 1 error)" \
    '^no state at s3://tfstate/env:/qa/prod/terraform.tfstate \(NoSuchKey\)'

mock_get S3 "/__control/put?bucket=tfstate&key=locked/terraform.tfstate&file=$DATA/gke.tfstate" > /dev/null
mock_get S3 "/__control/deny?bucket=tfstate&key=locked/terraform.tfstate" > /dev/null
probe "s3://tfstate/locked/terraform.tfstate?region=eu-west-1" $EP
t_like "s3: AccessDenied names the object and the permission" "$(field 1 error)" \
    '^access denied reading s3://tfstate/locked/terraform.tfstate \(AccessDenied\): access key AKIDTFDRIFTTEST needs s3:GetObject'

mock_get S3 /__control/reset > /dev/null
mock_get S3 /__control/fail500 > /dev/null
probe "$S3" $EP
t_is "s3: a 500 is retried and the fetch succeeds" "$(field 1 changed) $(counter S3 errors)" "true 1"

probe "$S3" $EP --times 3 \
    --between "$C/bump?bucket=tfstate&key=prod/terraform.tfstate $C/truncate?n=1"
t_like "s3: truncated download: a parse error is reported" "$(printf '%s\n' "$T_OUT" | sed -n 2p)" \
    '"error":"parse error: '
t_is "s3: ... and the last good copy is kept" "$(field 2 serial) $(field 2 resources)" "399 26"
t_is "s3: the next poll downloads again and gets the new state" \
    "$(field 3 changed) $(field 3 serial)" "true 400"

# A large state: the biggest sample's resources repeated; fetch + parse time.
node -e '
const fs = require("fs");
const st = JSON.parse(fs.readFileSync(process.argv[1]));
const base = st.resources; const out = [];
for (let i = 0; out.length < 20000; i++)
  for (const r of base) out.push(Object.assign({}, r, { name: r.name + "_" + i }));
st.resources = out;
fs.writeFileSync(process.argv[2], JSON.stringify(st, null, 2));' \
    "$DATA/aws_s3_full.tfstate" "$T_TMP/large.tfstate"
large_bytes=$(wc -c < "$T_TMP/large.tfstate")
mock_get S3 "/__control/put?bucket=tfstate&key=large.tfstate&file=$T_TMP/large.tfstate" > /dev/null
probe "s3://tfstate/large.tfstate?region=eu-west-1" $EP --times 2
t_is "s3: a large state ($large_bytes bytes) is read whole" "$(field 1 bytes)" "$large_bytes"
t_is "s3: ... and its unchanged poll transfers no body" \
    "$(field 2 changed) $(($(field 2 received) - $(field 1 received)))" "false 0"
t_diag "figure: large state $large_bytes bytes, $(field 1 resources) instances: fetch+parse $(field 1 ms) ms; unchanged poll $(field 2 ms) ms, 0 body bytes"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# ------------------------------------------------- GCS, HTTP backend, HCP ----
MOCK_GCS_TOKEN=$GCS_TOKEN MOCK_HTTP_USER=tfuser MOCK_HTTP_PASS=$HTTP_PASS MOCK_HCP_TOKEN=$HCP_TOKEN
export MOCK_GCS_TOKEN MOCK_HTTP_USER MOCK_HTTP_PASS MOCK_HCP_TOKEN
mock_start B "$TOP_SRCDIR/tests/mock/backends.js" \
    --gcs "tfbucket/envs/prod/default.tfstate=$DATA/gke.tfstate" \
    --gcs "tfbucket/envs/prod/staging.tfstate=$DATA/aws_s3_full.tfstate" \
    --http "prod=$DATA/aws_s3_full.tfstate" \
    --hcp "acme/prod-net=$DATA/gke.tfstate"
unset MOCK_GCS_TOKEN MOCK_HTTP_USER MOCK_HTTP_PASS MOCK_HCP_TOKEN
B=$MOCK_URL_B
C="$B/__control"

# GCS
STATE_PROBE_GCS_TOKEN=$GCS_TOKEN
export STATE_PROBE_GCS_TOKEN
probe "gs://tfbucket/envs/prod" --gcs-url "$B" --times 3 --between "" \
    --between "$C/bump?kind=gcs&name=tfbucket/envs/prod/default.tfstate"
t_is "gcs: PREFIX/default.tfstate read; unchanged; change picked up" \
    "$(field 1 serial) $(field 1 resources) $(field 2 changed) $(field 3 changed) $(field 3 serial)" \
    "87 2 false true 88"
t_is "gcs: metadata polled 3 times, media downloaded only twice (generation)" \
    "$(counter B gcs_meta) $(counter B gcs_media)" "3 2"
t_is "gcs: changed at the object's updated time" "$(field 1 changed_at)" "$FIXTURE_TIME"
recent "$(field 3 changed_at)"
ok $? "gcs: after the bump, at the new generation's" || t_diag "changed_at: $(field 3 changed_at)"
probe "gs://tfbucket/envs/prod?workspace=staging" --gcs-url "$B"
t_is "gcs: workspace staging reads PREFIX/staging.tfstate" "$(field 1 serial)" "398"
t_like "gcs: the object name is one encoded path segment" "$(cat "$TFDRIFT_TRACE")" \
    'GET .*/storage/v1/b/tfbucket/o/envs%2Fprod%2Fstaging.tfstate\?alt=media&generation=[0-9]+ -> 200'
probe "gs://tfbucket/envs/dev" --gcs-url "$B"
t_like "gcs: missing object: no state" "$(field 1 error)" '^no state at gs://tfbucket/envs/dev/default.tfstate \(404\)'
STATE_PROBE_GCS_TOKEN='ya29.wrong-gcs-Wq2'
probe "gs://tfbucket/envs/prod" --gcs-url "$B"
t_like "gcs: a bad token gives a clear error" "$(field 1 error)" 'GCS refused the token \(401\)'
t_unlike "gcs: the bad token is not printed" "$T_OUT$T_ERR" 'wrong-gcs'
STATE_PROBE_GCS_TOKEN=$GCS_TOKEN
mock_get B /__control/reset > /dev/null
mock_get B /__control/fail500 > /dev/null
probe "gs://tfbucket/envs/prod" --gcs-url "$B"
t_is "gcs: a 500 is retried" "$(field 1 changed) $(counter B errors)" "true 1"
probe "gs://tfbucket/envs/prod" --gcs-url "$B" --times 3 \
    --between "$C/bump?kind=gcs&name=tfbucket/envs/prod/default.tfstate $C/truncate?n=1"
t_is "gcs: truncated download: parse error, last good copy kept, then re-read" \
    "$(printf '%s\n' "$T_OUT" | sed -n 2p | grep -c 'parse error') $(field 2 serial) $(field 3 changed) $(field 3 serial)" \
    "1 88 true 89"
unset STATE_PROBE_GCS_TOKEN

# HTTP backend
unset TF_HTTP_USERNAME TF_HTTP_PASSWORD
probe "$B/state/prod"
t_like "http: without TF_HTTP_USERNAME: 401 with what to set" "$(field 1 error)" \
    'refused an anonymous request \(401\): set TF_HTTP_USERNAME and TF_HTTP_PASSWORD'
TF_HTTP_USERNAME=tfuser TF_HTTP_PASSWORD='wrong-http-Pw0'
export TF_HTTP_USERNAME TF_HTTP_PASSWORD
probe "$B/state/prod"
t_like "http: wrong password: 401" "$(field 1 error)" 'refused the credentials \(401\)'
t_unlike "http: the wrong password is not printed" "$T_OUT$T_ERR" 'wrong-http'
TF_HTTP_PASSWORD=$HTTP_PASS
mock_get B /__control/reset > /dev/null
probe "$B/state/prod" --times 3 --between "" --between "$C/bump?kind=http&name=prod"
t_is "http: basic auth from TF_HTTP_*; same MD5 = unchanged; bump seen" \
    "$(field 1 serial) $(field 2 changed) $(field 3 changed) $(field 3 serial)" "398 false true 399"
t_is "http: changed at the Last-Modified the server sent" "$(field 1 changed_at)" "$FIXTURE_TIME"
recent "$(field 3 changed_at)"
ok $? "http: after the bump, at the new one" || t_diag "changed_at: $(field 3 changed_at)"
mock_get B /__control/etag?on=1 > /dev/null
mock_get B /__control/reset > /dev/null
probe "$B/state/prod" --times 2
t_is "http: with a server ETag the unchanged poll is a 304 (no second body)" \
    "$(field 2 changed) $(counter B http_304) $(counter B bodies)" "false 1 1"
mock_get B /__control/etag?on=0 > /dev/null
probe "$B/state/nothing"
t_like "http: 404 = no state" "$(field 1 error)" "^no state at $B/state/nothing \\(404\\)"
t_exit "http: credentials in the URL are refused" 2 "$PROBE" "http://u:p@127.0.0.1:1/state/x"
t_like "http: ... saying where they go" "$T_ERR" 'set TF_HTTP_USERNAME and TF_HTTP_PASSWORD'
unset TF_HTTP_USERNAME TF_HTTP_PASSWORD

# HCP Terraform
HOME="$T_TMP/home"
mkdir -p "$HOME"
export HOME
unset TF_CLI_CONFIG_FILE TF_TOKEN_app_terraform_io
probe "tfc://acme/prod-net" --hcp-url "$B"
t_like "hcp: no token anywhere: what to do" "$(field 1 error)" \
    'no API token for app.terraform.io: set TF_TOKEN_app_terraform_io or run `terraform login'
TF_TOKEN_app_terraform_io=$HCP_TOKEN
export TF_TOKEN_app_terraform_io
mock_get B /__control/reset > /dev/null
probe "tfc://acme/prod-net" --hcp-url "$B" --times 3 --between "" \
    --between "$C/bump?kind=hcp&name=acme/prod-net" --describe
t_is "hcp: token from TF_TOKEN_app_terraform_io; unchanged by state version; bump seen" \
    "$(field 1 serial) $(field 2 changed) $(field 3 changed) $(field 3 serial)" "87 false true 88"
t_is "hcp: two downloads for three polls" "$(counter B hcp_download)" "2"
t_is "hcp: changed at the state version's created-at" "$(field 1 changed_at)" "$FIXTURE_TIME"
recent "$(field 3 changed_at)"
ok $? "hcp: after the bump, at the new version's" || t_diag "changed_at: $(field 3 changed_at)"
t_like "hcp: describe shows the state version" "$T_OUT" '"kind":"hcp","location":"tfc://acme/prod-net","version":"sv-[0-9]+"'
unset TF_TOKEN_app_terraform_io
mkdir -p "$HOME/.terraform.d"
printf '{"credentials":{"app.terraform.io":{"token":"%s"}}}\n' "$HCP_TOKEN" > "$HOME/.terraform.d/credentials.tfrc.json"
probe "tfc://acme/prod-net" --hcp-url "$B"
t_is "hcp: token from ~/.terraform.d/credentials.tfrc.json" "$(field 1 changed) $(field 1 serial)" "true 88"
rm "$HOME/.terraform.d/credentials.tfrc.json"
printf 'credentials "app.terraform.io" {\n  token = "%s"\n}\n' "$HCP_TOKEN" > "$T_TMP/cli.tfrc"
TF_CLI_CONFIG_FILE="$T_TMP/cli.tfrc"
export TF_CLI_CONFIG_FILE
probe "tfc://acme/prod-net" --hcp-url "$B"
t_is "hcp: token from TF_CLI_CONFIG_FILE (HCL)" "$(field 1 changed)" "true"
# Comments are comments: an older, commented-out block with a wrong token comes first.
cat > "$T_TMP/cli.tfrc" <<EOF
# credentials "app.terraform.io" { token = "wrong-hcp-Tq5" }
/* credentials "app.terraform.io" {
  token = "wrong-hcp-Tq5"
} */
plugin_cache_dir = "\$HOME/.terraform.d/plugin-cache" // a "quoted" comment
credentials "app.terraform.io" {
  // token = "wrong-hcp-Tq5"
  token = "$HCP_TOKEN"
}
EOF
probe "tfc://acme/prod-net" --hcp-url "$B"
t_is "hcp: commented-out tokens in TF_CLI_CONFIG_FILE do not win" "$(field 1 changed)" "true"
printf 'credentials "app.terraform.io" {\n  token = "wrong-hcp-Tq5\n}\n' > "$T_TMP/cli.tfrc"
probe "tfc://acme/prod-net" --hcp-url "$B"
t_like "hcp: a malformed CLI config is an error with FILE:LINE:COL" "$(field 1 error)" \
    "$T_TMP/cli.tfrc:2:11: this string has no closing quote"
t_unlike "hcp: ... that does not print the token" "$T_OUT$T_ERR" 'wrong-hcp'
unset TF_CLI_CONFIG_FILE
printf '# the real one:\ncredentials "app.terraform.io" { token = "%s" }\n' "$HCP_TOKEN" > "$HOME/.terraformrc"
probe "tfc://acme/prod-net" --hcp-url "$B"
t_is "hcp: token from ~/.terraformrc without TF_CLI_CONFIG_FILE" "$(field 1 changed)" "true"
rm "$HOME/.terraformrc"
printf '{"credentials":{"app.terraform.io":{"token":"%s"}}}\n' 'wrong-hcp-Tq5' > "$T_TMP/cli.tfrc.json"
TF_CLI_CONFIG_FILE="$T_TMP/cli.tfrc.json"
export TF_CLI_CONFIG_FILE
probe "tfc://acme/prod-net" --hcp-url "$B"
t_like "hcp: a bad token (JSON CLI config) gives 401 naming its file" "$(field 1 error)" \
    "refused the API token from $T_TMP/cli.tfrc.json \\(401\\)"
t_unlike "hcp: the bad token is not printed" "$T_OUT$T_ERR" 'wrong-hcp'
unset TF_CLI_CONFIG_FILE
TF_TOKEN_app_terraform_io=$HCP_TOKEN
export TF_TOKEN_app_terraform_io
probe "tfc://acme/nothing" --hcp-url "$B"
t_like "hcp: unknown workspace: 404 with what to check" "$(field 1 error)" \
    'the workspace was not found \(404\): check the names'
unset TF_TOKEN_app_terraform_io
TF_TOKEN_tfe_corp__x_example=$HCP_TOKEN
export TF_TOKEN_tfe_corp__x_example
probe "tfe://tfe.corp-x.example/acme/prod-net" --hcp-url "$B"
t_is "tfe: TF_TOKEN_<host> with dots as _ and hyphens as __" "$(field 1 changed) $(field 1 serial)" "true 88"
unset TF_TOKEN_tfe_corp__x_example
mock_get B /__control/truncate?n=1 > /dev/null
TF_TOKEN_app_terraform_io=$HCP_TOKEN
export TF_TOKEN_app_terraform_io
probe "tfc://acme/prod-net" --hcp-url "$B" --times 2
t_is "hcp: truncated download: parse error, then a fresh download" \
    "$(printf '%s\n' "$T_OUT" | sed -n 1p | grep -c 'parse error') $(field 2 changed) $(field 2 serial)" \
    "1 true 88"
unset TF_TOKEN_app_terraform_io

# --------------------------------------------------------------- secrets ----
printf '%s\n' "$(cat "$TFDRIFT_TRACE")" >> "$ALL"
t_like "the trace saw the requests" "$(cat "$TFDRIFT_TRACE")" '/api/v2/workspaces/.*current-state-version -> 200'
for s in "$S3_SECRET" "$GCS_TOKEN" "$HTTP_PASS" "$HCP_TOKEN" wrong-secret-Zz9 wrong-gcs wrong-http wrong-hcp; do
	t_unlike "no secret in stdout, stderr or the trace: ${s%%-*}..." "$(cat "$ALL")" "$s"
done

t_done
