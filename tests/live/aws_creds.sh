#!/bin/sh
# The AWS credential chain end to end against tests/mock/aws_auth.js (STS, IMDS, container
# credentials on 127.0.0.1): every source wins in botocore's order, AssumeRole is signed with the
# source keys (checked by the official signer), web identity re-reads its token file, temporary
# keys refresh (TFDRIFT_AWS_REFRESH_WINDOW_MS shortens the 5-minute window), errors say what was
# tried, and no secret reaches stdout, stderr or the TFDRIFT_TRACE file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"

plan_start
mock_need_node
PROBE=$TOP_BUILDDIR/tests/live/aws_creds_probe
[ -x "$PROBE" ] || t_skip_all "aws_creds_probe is not built"

SRC_ID=AKIDSOURCE0000000001
SRC_SECRET=srcSecretKEY/abc+0123456789xyzSECRET1
WRONG_SECRET=wrongSecretKEY0123456789abcdefWRONG2
FILE_SECRET=fileSecretKEY0123456789abcdefFILE3
CFG_SECRET=cfgSecretKEY0123456789abcdefCFG4
ENV_SECRET=envSecretKEY0123456789abcdefENV5
PROC_SECRET=procSecretKEY0123456789abcdefPROC6
JWT1=eyJhbGciOiJSUzI1NiJ9.jwt-one.sigONE
JWT2=eyJhbGciOiJSUzI1NiJ9.jwt-two.sigTWO
CTOK=container-auth-token-SECRET7
H=$T_TMP/home
mkdir -p "$H/.aws"
TRACE=$T_TMP/trace
: > "$TRACE"
ALL=$T_TMP/all-output
: > "$ALL"

cat > "$T_TMP/mock.json" <<EOJ
{ "region": "us-east-1", "expirySeconds": 10,
  "keys": { "$SRC_ID": { "secret": "$SRC_SECRET" } },
  "webToken": "$JWT1", "containerToken": "$CTOK", "imdsRole": "tfdrift-role", "imdsV1": false }
EOJ
mock_start A "$TOP_SRCDIR/tests/mock/aws_auth.js" --config "$T_TMP/mock.json"
M=$MOCK_URL_A

# pr VAR=VALUE... PROBE ARGS: run the probe in a clean environment (IMDS off unless asked).
pr() {
	t_run env -i PATH="$PATH" HOME="$H" TFDRIFT_TRACE="$TRACE" AWS_REGION=us-east-1 \
	    AWS_ENDPOINT_URL_STS="$M" AWS_EC2_METADATA_DISABLED=true \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	    "$@"
	cat "$T_TMP/.out" "$T_TMP/.err" >> "$ALL"
	[ -z "${AWS_CREDS_TEST_DEBUG:-}" ] || t_diag "rc $T_RC: $T_ERR"
}
# jf FIELD [LINE]: a field of the probe's JSON line.
jf() {
	printf '%s\n' "$T_OUT" | sed -n "${2:-1}p" |
	    sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# st PATH.TO.FIELD: the mock's counters and last calls.
st() {
	mock_get A /__control/state | node -e '
		let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
			let o = JSON.parse(s);
			for (const k of process.argv[1].split(".")) o = o == null ? o : o[k];
			console.log(o);
		});' "$1"
}
mset() {
	curl -sS --max-time 10 -X POST --data "$1" "$M/__control/set" > /dev/null
}
# ms: the resolve time the probe measured (figures for the report).
ms() {
	t_diag "$1: $(jf ms) ms"
}

cat > "$H/.aws/credentials" <<EOF2
# shared credentials file
[default]
aws_access_key_id = AKIDFILE000000000001
aws_secret_access_key = $FILE_SECRET

[src]
aws_access_key_id=$SRC_ID
aws_secret_access_key=$SRC_SECRET

[badsrc]
aws_access_key_id = $SRC_ID
aws_secret_access_key = $WRONG_SECRET
EOF2
cat > "$T_TMP/my proc.sh" <<EOF2
#!/bin/sh
[ "\$1" = "--arg" ] && [ "\$2" = "two words" ] && [ "\$#" -eq 2 ] || { echo "bad argv: \$*" >&2; exit 9; }
echo '{"Version": 1, "AccessKeyId": "AKIDPROC000000000001", "SecretAccessKey": "$PROC_SECRET", "SessionToken": "procTOKEN", "Expiration": "2099-01-01T00:00:00Z"}'
EOF2
cat > "$T_TMP/failproc" <<'EOF2'
#!/bin/sh
echo "sso session expired: run aws sso login" >&2
echo "second line not shown" >&2
exit 3
EOF2
chmod +x "$T_TMP/my proc.sh" "$T_TMP/failproc"
printf '%s\n' "$JWT1" > "$T_TMP/jwt"
printf '%s\n' "$CTOK" > "$T_TMP/ctok"
cat > "$H/.aws/config" <<EOF2
[default]
region = eu-west-3

[profile cfg]
aws_access_key_id = AKIDCFG0000000000001
aws_secret_access_key = $CFG_SECRET
region = ap-south-1

[cfgbare]
aws_access_key_id = AKIDBARE000000000001
aws_secret_access_key = $CFG_SECRET

[profile proc]
credential_process = "$T_TMP/my proc.sh" --arg 'two words'

[profile failproc]
credential_process = $T_TMP/failproc

[profile slowproc]
credential_process = sleep 5

[profile bigproc]
credential_process = head -c 2000000 /dev/zero

[profile role]
role_arn = arn:aws:iam::111111111111:role/drift-reader
source_profile = src
role_session_name = tfdrift-test
external_id = ext-1
duration_seconds = 900

[profile chain]
role_arn = arn:aws:iam::222222222222:role/second
source_profile = role

[profile loopa]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = loopb

[profile loopb]
role_arn = arn:aws:iam::111111111111:role/b
source_profile = loopa

[profile envrole]
role_arn = arn:aws:iam::333333333333:role/from-env
credential_source = Environment

[profile badrole]
role_arn = arn:aws:iam::111111111111:role/drift-reader
source_profile = badsrc

[profile wi]
web_identity_token_file = $T_TMP/jwt
role_arn = arn:aws:iam::444444444444:role/web
role_session_name = wi-profile
EOF2

# ---- 1. environment ----
pr AWS_ACCESS_KEY_ID=AKIDENV0000000000001 AWS_SECRET_ACCESS_KEY=$ENV_SECRET AWS_PROFILE=role "$PROBE"
t_is "env keys beat the profile (AWS_PROFILE does not disable them)" "$(jf source):$(jf access_key_id)" "environment:AKIDENV0000000000001"
ms "environment"
t_is "env long-term keys: no session token, no expiry" "$(jf has_session_token)$(jf expires)" "falsenull"
pr AWS_ACCESS_KEY_ID=AKIDENV0000000000001 AWS_SECRET_ACCESS_KEY=$ENV_SECRET AWS_SECURITY_TOKEN=legacyTOKEN \
    AWS_CREDENTIAL_EXPIRATION=2099-05-27T10:00:00Z "$PROBE"
t_is "legacy AWS_SECURITY_TOKEN and AWS_CREDENTIAL_EXPIRATION" "$(jf has_session_token) $(jf expires)" "true 2099-05-27T10:00:00Z"
pr AWS_ACCESS_KEY_ID=AKIDENV0000000000001 AWS_SECRET_ACCESS_KEY=$ENV_SECRET "$PROBE" --profile default
t_is "an explicit profile skips the env keys (botocore)" "$(jf access_key_id)" "AKIDFILE000000000001"

# ---- 2. profiles: static keys ----
pr "$PROBE"
t_is "default profile from the credentials file" "$(jf access_key_id)" "AKIDFILE000000000001"
t_like "source names the file" "$(jf source)" "^profile default in .*/\.aws/credentials$"
ms "profile static keys (credentials file)"
pr AWS_PROFILE=cfg "$PROBE"
t_is "[profile cfg] in the config file" "$(jf access_key_id)" "AKIDCFG0000000000001"
pr AWS_DEFAULT_PROFILE=cfg "$PROBE"
t_is "AWS_DEFAULT_PROFILE selects too" "$(jf access_key_id)" "AKIDCFG0000000000001"
pr AWS_PROFILE=cfgbare "$PROBE"
t_is "[cfgbare] in the config file is not profile cfgbare" "$T_RC" 1
t_like "... no such profile" "$T_ERR" "profile cfgbare: no such profile in .*credentials \(no such profile\) or .*config \(no such profile\)"
pr AWS_SHARED_CREDENTIALS_FILE=$T_TMP/none AWS_CONFIG_FILE=$T_TMP/none2 AWS_PROFILE=cfg "$PROBE"
t_like "AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE are honoured" "$T_ERR" "none \(no such file\) or .*none2 \(no such file\)"

# ---- credential_process ----
pr AWS_PROFILE=proc "$PROBE"
t_is "credential_process: quoted path with a space and a quoted argument, no shell" "$(jf source):$(jf access_key_id)" "credential_process (profile proc):AKIDPROC000000000001"
t_is "credential_process: token and Expiration" "$(jf has_session_token) $(jf expires)" "true 2099-01-01T00:00:00Z"
ms "credential_process"
pr AWS_PROFILE=failproc "$PROBE"
t_is "a failing credential_process fails" "$T_RC" 1
t_like "... with its exit status and stderr's first line" "$T_ERR" "credential_process of profile failproc: .*failproc exited with status 3: sso session expired: run aws sso login$"
t_unlike "... and only the first line" "$T_ERR" "second line"
pr AWS_PROFILE=slowproc TFDRIFT_AWS_PROCESS_TIMEOUT_MS=300 "$PROBE"
t_like "a credential_process that hangs times out" "$T_ERR" "sleep did not finish within 300 ms"
pr AWS_PROFILE=bigproc "$PROBE"
t_like "a credential_process that prints too much is refused" "$T_ERR" "credential_process of profile bigproc: head printed more than 1 MiB, the limit for credentials"

# ---- assume role ----
pr AWS_PROFILE=role "$PROBE"
t_like "assume-role via source_profile" "$(jf source):$(jf access_key_id)" "^assume-role arn:aws:iam::111111111111:role/drift-reader \(profile role\):ASIAMOCK"
t_is "... temporary keys" "$(jf has_session_token)" "true"
ms "assume-role (source_profile)"
t_is "the mock saw the source keys' valid signature" "$(st last.signedBy)" "$SRC_ID"
t_is "... the RoleArn" "$(st last.roleArn)" "arn:aws:iam::111111111111:role/drift-reader"
t_is "... RoleSessionName, ExternalId, DurationSeconds" "$(st last.session) $(st last.externalId) $(st last.durationSeconds)" "tfdrift-test ext-1 900"
N0=$(st assumeRole)
pr AWS_PROFILE=chain "$PROBE"
t_like "chained roles: chain -> role -> src" "$(jf source)" "role/second \(profile chain\)"
t_like "... the second AssumeRole is signed by the first role's temporary keys" "$(st last.signedBy)" "^ASIAMOCK"
t_like "... session name defaults to tfdrift-<time>" "$(st last.session)" "^tfdrift-[0-9]+$"
t_is "... two AssumeRole calls" "$(st assumeRole)" "$((N0 + 2))"
pr AWS_PROFILE=loopa "$PROBE"
t_like "a source_profile loop is detected" "$T_ERR" "source_profile loop: loopa -> loopb -> loopa"
pr AWS_ACCESS_KEY_ID=$SRC_ID AWS_SECRET_ACCESS_KEY=$SRC_SECRET "$PROBE" --profile envrole
t_like "credential_source = Environment" "$(jf source)" "role/from-env \(profile envrole\)"
t_is "... signed with the environment's keys" "$(st last.signedBy) $(st last.roleArn)" "$SRC_ID arn:aws:iam::333333333333:role/from-env"
pr "$PROBE" --profile envrole
t_like "credential_source = Environment without env keys: a clear error" "$T_ERR" "profile envrole: credential_source Environment: AWS_ACCESS_KEY_ID not set"
pr AWS_PROFILE=badrole "$PROBE"
t_is "a wrong source secret fails" "$T_RC" 1
t_like "... STS says SignatureDoesNotMatch, and what to check" "$T_ERR" "STS AssumeRole for arn:aws:iam::111111111111:role/drift-reader at http://127.0.0.1:[0-9]+/: HTTP 403 SignatureDoesNotMatch: .*check the source credentials"

# ---- web identity ----
pr AWS_WEB_IDENTITY_TOKEN_FILE=$T_TMP/jwt AWS_ROLE_ARN=arn:aws:iam::444444444444:role/web AWS_ROLE_SESSION_NAME=wi-env "$PROBE"
t_is "web identity from the environment" "$(jf source)" "web identity arn:aws:iam::444444444444:role/web"
ms "web identity (env)"
t_is "... the mock checked the token and saw the session name" "$(st lastWeb.session)" "wi-env"
pr AWS_PROFILE=wi "$PROBE"
t_is "web identity from a profile" "$(jf source) $(st lastWeb.session)" "web identity arn:aws:iam::444444444444:role/web wi-profile"
# The token rotates during the sleep: the refresh must read the new one (the mock refuses the old).
W0=$(st webIdentity)
( sleep 1; printf '%s\n' "$JWT2" > "$T_TMP/jwt"; mset "{\"webToken\": \"$JWT2\"}" ) &
BG=$!
t_kill_at_exit "$BG"
pr AWS_PROFILE=wi TFDRIFT_AWS_REFRESH_WINDOW_MS=8000 "$PROBE" --twice-after 3000
wait "$BG"
t_is "web identity refresh: two gets succeed" "$T_RC" 0
t_is "... two STS calls" "$(st webIdentity)" "$((W0 + 2))"
t_is "... the second with the rotated token file" "$(st lastWeb.tokenSuffix)" "gTWO"
t_like "... new keys" "$(jf access_key_id 1) $(jf access_key_id 2)" "^(ASIAMOCK[0-9]+) (ASIAMOCK[0-9]+)$"
[ "$(jf access_key_id 1)" != "$(jf access_key_id 2)" ]; ok $? "... different keys after the refresh"
pr AWS_WEB_IDENTITY_TOKEN_FILE=$T_TMP/jwt-missing AWS_ROLE_ARN=arn:aws:iam::444444444444:role/web "$PROBE"
t_like "a missing token file: a clear error with its path" "$T_ERR" "web identity token file .*jwt-missing"

# ---- container ----
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_FULL_URI="$M/container/v1/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$T_TMP/ctok "$PROBE"
t_like "container FULL_URI with a token file" "$(jf source):$(jf access_key_id)" "^container http://127.0.0.1:[0-9]+/container/v1/creds:ASIAMOCK"
ms "container (FULL_URI + token file)"
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_FULL_URI="$M/container/v1/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=$CTOK "$PROBE"
t_like "container FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN" "$(jf source)" "^container "
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_FULL_URI="$M/container/v1/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token "$PROBE"
t_like "a wrong container token: 401 and a hint" "$T_ERR" "container credentials at http://127.0.0.1:[0-9]+/container/v1/creds: HTTP 401 AccessDenied: .*AWS_CONTAINER_AUTHORIZATION_TOKEN"
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds "$PROBE"
t_like "FULL_URI on a non-loopback http host is refused" "$T_ERR" "must be https, a loopback address"
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/abc "$PROBE" --container-url
t_is "RELATIVE_URI is fetched from 169.254.170.2" "$T_OUT" "http://169.254.170.2/v2/credentials/abc"
mset '{"failNext": {"container": 2}}'
pr HOME="$T_TMP/empty" AWS_CONTAINER_CREDENTIALS_FULL_URI="$M/container/v1/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=$CTOK "$PROBE"
t_like "container: two 500s are retried (3 attempts)" "$(jf source)" "^container "

# ---- IMDS ----
I0=$(st imdsToken)
pr HOME="$T_TMP/empty" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$M/" "$PROBE"
t_is "IMDSv2 with the endpoint override" "$(jf source)" "EC2 instance metadata role tfdrift-role"
ms "IMDSv2"
t_is "... a token was PUT first" "$(st imdsToken)" "$((I0 + 1))"
mset '{"imdsTokenStatus": 405}'
pr HOME="$T_TMP/empty" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$M" "$PROBE"
t_like "token PUT refused and IMDSv1 rejected: listed as tried" "$T_ERR" "EC2 instance metadata at http://127.0.0.1:[0-9]+ \(GET .*security-credentials/: HTTP 401 \(IMDSv2 token refused\)\)"
mset '{"imdsV1": true}'
pr HOME="$T_TMP/empty" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$M" "$PROBE"
t_is "token PUT refused (405), IMDSv1 allowed: falls back" "$(jf source)" "EC2 instance metadata role tfdrift-role"
pr HOME="$T_TMP/empty" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_V1_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT="$M" "$PROBE"
t_like "AWS_EC2_METADATA_V1_DISABLED: no fallback" "$T_ERR" "token PUT .*: HTTP 405"
mset '{"imdsTokenStatus": 0, "imdsV1": false}'
C0=$(st imdsCreds)
pr HOME="$T_TMP/empty" AWS_EC2_METADATA_SERVICE_ENDPOINT="$M" "$PROBE"
t_like "AWS_EC2_METADATA_DISABLED=true skips IMDS" "$T_ERR" "EC2 instance metadata \(AWS_EC2_METADATA_DISABLED=true\)"
t_is "... the mock saw nothing" "$(st imdsCreds)" "$C0"

# ---- nothing configured ----
pr HOME=$T_TMP/empty AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 "$PROBE"
t_is "nothing configured fails" "$T_RC" 1
t_like "... listing what was tried, in order, and what to do" "$T_ERR" \
    "no AWS credentials: tried environment \(AWS_ACCESS_KEY_ID not set\), web identity \(AWS_WEB_IDENTITY_TOKEN_FILE not set\), profile default in .*empty/\.aws/credentials \(no such file\) and .*empty/\.aws/config \(no such file\), container credentials \(.*not set\), EC2 instance metadata at http://127.0.0.1:1 \(no answer: .*\(timeout 1 s\)\)\. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"

# ---- refresh ----
N0=$(st assumeRole)
pr AWS_PROFILE=role TFDRIFT_AWS_REFRESH_WINDOW_MS=8000 "$PROBE" --twice-after 3000
t_is "expiring keys refresh (10 s expiry, 8 s window, 3 s later)" "$(st assumeRole)" "$((N0 + 2))"
[ -n "$(jf access_key_id 2)" ] && [ "$(jf access_key_id 1)" != "$(jf access_key_id 2)" ]; ok $? "... new keys"
ms "refresh (assume-role)"
N0=$(st assumeRole)
pr AWS_PROFILE=role TFDRIFT_AWS_REFRESH_WINDOW_MS=1000 "$PROBE" --twice-after 500
t_is "keys outside the window are reused" "$(st assumeRole) $(jf access_key_id 1)" "$((N0 + 1)) $(jf access_key_id 2)"
N0=$(st assumeRole)
pr AWS_PROFILE=role TFDRIFT_AWS_REFRESH_WINDOW_MS=8000 "$PROBE" --twice-after 3000 --threads 6
t_is "six threads in the window: one refresh" "$(st assumeRole)" "$((N0 + 2))"
t_is "... all seven gets answered" "$(printf '%s\n' "$T_OUT" | grep -c access_key_id)" 7
N0=$(st assumeRole)
mset '{"failNext": {"sts": 3}}'
pr AWS_PROFILE=role TFDRIFT_AWS_REFRESH_WINDOW_MS=1000 "$PROBE" --twice-after 200
t_is "STS 503 three times: a clear error" "$T_RC:$(st assumeRole)" "1:$N0"
t_like "... naming the call" "$T_ERR" "STS AssumeRole for .*HTTP 503 ServiceUnavailable"

# ---- region ----
pr "$PROBE" --region-default
t_is "region: the default profile's region" "$T_OUT" "us-east-1"
t_run env -i PATH="$PATH" HOME="$H" "$PROBE" --region-default
t_is "region: the profile's region without AWS_REGION" "$T_OUT" "eu-west-3"
t_run env -i PATH="$PATH" HOME="$H" AWS_PROFILE=cfg "$PROBE" --region-default
t_is "region: [profile cfg]'s region" "$T_OUT" "ap-south-1"
t_run env -i PATH="$PATH" HOME="$H" AWS_DEFAULT_REGION=sa-east-1 "$PROBE" --region-default
t_is "region: AWS_DEFAULT_REGION beats the profile" "$T_OUT" "sa-east-1"
t_run env -i PATH="$PATH" HOME="$H" AWS_DEFAULT_REGION=sa-east-1 AWS_REGION=ca-central-1 "$PROBE" --region-default
t_is "region: AWS_REGION first" "$T_OUT" "ca-central-1"

# ---- secrets ----
for s in "$SRC_SECRET" "$WRONG_SECRET" "$FILE_SECRET" "$CFG_SECRET" "$ENV_SECRET" "$PROC_SECRET" \
    "$JWT1" "$JWT2" "$CTOK" FwoMOCK IMDSTOKEN procTOKEN legacyTOKEN; do
	if grep -qF -- "$s" "$ALL" "$TRACE"; then
		ok 1 "no secret in the probe's output or the trace: ${s%"${s#????}"}..."
	else
		ok 0 "no secret in the probe's output or the trace: ${s%"${s#????}"}..."
	fi
done
t_like "the trace has the STS, IMDS and container calls" "$(cat "$TRACE")" "POST http://127.0.0.1:[0-9]+/ -> 200"
t_done
