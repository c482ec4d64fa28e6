#!/bin/sh
# AWS IAM Identity Center (SSO) profiles end to end against tests/mock/aws_sso.js (the portal's
# GetRoleCredentials and SSO OIDC CreateToken on 127.0.0.1), with botocore (Debian's
# python3-botocore, tests/live/aws_sso_botocore.py) as the oracle: botocore writes the token
# cache files (so it, not the test, names them) and resolves the same profiles against the same
# mock. Covered: the sso_session form and the legacy sso_start_url form, the chain order (SSO
# before the credentials file), role keys reused until they near expiry, an expired token
# refreshed with its refresh token (the cache file rewritten, atomically, mode 0600), the errors
# a user sees (expired without a refresh token, refused refresh, portal 401 and 403, a malformed
# or missing cache file, a missing [sso-session]), and no token or key in the output or the
# TFDRIFT_TRACE file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"

plan_start
mock_need_node
PROBE=$TOP_BUILDDIR/tests/live/aws_creds_probe
BOTO=$TOP_SRCDIR/tests/live/aws_sso_botocore.py
[ -x "$PROBE" ] || t_skip_all "aws_creds_probe is not built"
HAVE_BOTO=1
/usr/bin/python3 -c 'import botocore.session' 2>/dev/null || HAVE_BOTO=0

TOK_DEV=aoaDEVaccessTOKEN0123456789abcdefSECRET1
TOK_LEGACY=aoaLEGACYaccessTOKEN0123456789abcdSECRET2
TOK_OLD=aoaOLDrevokedTOKEN0123456789abcdefSECRET3
REFRESH=aorREFRESHtoken0123456789abcdefSECRET4
CLIENT_ID=clientID-0123456789
CLIENT_SECRET=clientSECRET0123456789abcdefSECRET5
H=$T_TMP/home
mkdir -p "$H/.aws"
TRACE=$T_TMP/trace
: > "$TRACE"
ALL=$T_TMP/all-output
: > "$ALL"

cat > "$T_TMP/mock.json" <<EOJ
{ "tokens": ["$TOK_DEV", "$TOK_LEGACY"],
  "roles": ["111122223333/ReadOnly", "444455556666/Admin"],
  "expirySeconds": 3600,
  "client": { "id": "$CLIENT_ID", "secret": "$CLIENT_SECRET" },
  "refreshTokens": ["$REFRESH"], "tokenExpiresIn": 28800 }
EOJ
mock_start S "$TOP_SRCDIR/tests/mock/aws_sso.js" --config "$T_TMP/mock.json"
M=$MOCK_URL_S
# STS for a role whose source_profile is an SSO profile: it accepts the SSO role's keys.
SSO_ID=ASIASSOFIXED00000001
SSO_SECRET=ssoSECRETfixed0123456789abcdefSECRET7
SSO_TOKEN=ssoTOKENfixed0123456789abcdefSECRET8
cat > "$T_TMP/sts.json" <<EOJ
{ "region": "us-east-1", "expirySeconds": 3600,
  "keys": { "$SSO_ID": { "secret": "$SSO_SECRET", "token": "$SSO_TOKEN" } } }
EOJ
mock_start A "$TOP_SRCDIR/tests/mock/aws_auth.js" --config "$T_TMP/sts.json"

cat > "$H/.aws/config" <<'EOF2'
[default]
region = eu-west-3

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-2
sso_account_id = 444455556666
sso_role_name = Admin

[profile notmine]
sso_session = corp
sso_account_id = 999999999999
sso_role_name = ReadOnly

[profile ssorole]
role_arn = arn:aws:iam::777777777777:role/drift-reader
source_profile = dev
role_session_name = sso-chain

[profile ssorole-legacy]
role_arn = arn:aws:iam::777777777777:role/drift-reader
source_profile = legacy

[profile both]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile nosection]
sso_session = nosuch
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile half]
sso_account_id = 111122223333
sso_start_url = https://legacy.awsapps.com/start

[profile clash]
sso_session = corp
sso_region = us-west-2
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile other]
sso_session = other
sso_account_id = 111122223333
sso_role_name = ReadOnly

[sso-session other]
sso_start_url = https://other.awsapps.com/start
sso_region = eu-west-1
EOF2
# Profile "both" also has static keys in the credentials file: SSO comes first (botocore).
cat > "$H/.aws/credentials" <<'EOF2'
[both]
aws_access_key_id = AKIDSTATIC0000000001
aws_secret_access_key = staticSECRETkey0123456789abcdefSECRET6
EOF2

# pr VAR=VALUE... PROBE ARGS: the probe in a clean environment, the SSO endpoints on the mock.
pr() {
	t_run env -i PATH="$PATH" HOME="$H" TFDRIFT_TRACE="$TRACE" AWS_EC2_METADATA_DISABLED=true \
	    AWS_ENDPOINT_URL_SSO="$M" AWS_ENDPOINT_URL_SSO_OIDC="$M" AWS_ENDPOINT_URL_STS="$MOCK_URL_A" \
	    AWS_REGION=us-east-1 ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	    "$@"
	cat "$T_TMP/.out" "$T_TMP/.err" >> "$ALL"
	[ -z "${AWS_CREDS_TEST_DEBUG:-}" ] || t_diag "rc $T_RC: $T_ERR"
}
# boto ARGS: the botocore oracle in the same environment (HOME may be overridden: HOME=...).
boto() {
	t_run env -i PATH="$PATH" HOME="$H" AWS_EC2_METADATA_DISABLED=true \
	    AWS_ENDPOINT_URL_SSO="$M" AWS_ENDPOINT_URL_SSO_OIDC="$M" AWS_ENDPOINT_URL_STS="$MOCK_URL_A" \
	    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 "$@"
	cat "$T_TMP/.out" "$T_TMP/.err" >> "$ALL"
	[ -z "${AWS_CREDS_TEST_DEBUG:-}" ] || t_diag "botocore rc $T_RC: $T_ERR"
}
jf() {
	printf '%s\n' "$T_OUT" | sed -n "${2:-1}p" |
	    sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
st() {
	mock_get S /__control/state | node -e '
		let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
			let o = JSON.parse(s);
			for (const k of process.argv[1].split(".")) o = o == null ? o : o[k];
			console.log(o);
		});' "$1"
}
# field FILE KEY: a string field of a token cache file.
field() {
	node -e 'const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(o[process.argv[2]] === undefined ? "(none)" : o[process.argv[2]]);' "$1" "$2"
}
iso() {
	node -e 'console.log(new Date(Date.now() + (+process.argv[1]) * 1000).toISOString().replace(/\.\d+Z$/, "Z"))' -- "$1"
}
# token HOME START_URL SESSION|- ACCESS EXPIRES_IN_S [REFRESH]: a token cache entry, written by
# botocore when it is installed (it names the file), else at the documented name; CACHE is set.
token() {
	_h=$1 _url=$2 _sess=$3 _at=$4 _exp=$(iso "$5") _rt=${6:-}
	_region=eu-west-1
	[ "$_sess" != - ] || _region=us-east-2
	if [ -n "$_rt" ]; then
		_j="{\"startUrl\":\"$_url\",\"region\":\"$_region\",\"accessToken\":\"$_at\",\"expiresAt\":\"$_exp\",\"clientId\":\"$CLIENT_ID\",\"clientSecret\":\"$CLIENT_SECRET\",\"registrationExpiresAt\":\"$(iso 7776000)\",\"refreshToken\":\"$_rt\"}"
	else
		_j="{\"startUrl\":\"$_url\",\"region\":\"$_region\",\"accessToken\":\"$_at\",\"expiresAt\":\"$_exp\"}"
	fi
	mkdir -p "$_h/.aws/sso/cache"
	if [ "$HAVE_BOTO" = 1 ]; then
		CACHE=$(printf '%s' "$_j" | env -i PATH="$PATH" HOME="$_h" /usr/bin/python3 "$BOTO" save "$_url" "$_sess")
	else
		_k=$_sess
		[ "$_k" != - ] || _k=$_url
		CACHE=$_h/.aws/sso/cache/$(printf '%s' "$_k" | sha1sum | cut -d' ' -f1).json
		printf '%s' "$_j" > "$CACHE"
	fi
}

# ---- the cache file names (botocore names them) ----
token "$H" https://corp.awsapps.com/start corp "$TOK_DEV" 3600
DEV_CACHE=$CACHE
t_is "sso_session form: the cache file is sha1(session name)" "$(basename "$DEV_CACHE")" \
    "$(printf corp | sha1sum | cut -d' ' -f1).json"
token "$H" https://legacy.awsapps.com/start - "$TOK_LEGACY" 3600
LEGACY_CACHE=$CACHE
t_is "legacy form: the cache file is sha1(start URL)" "$(basename "$LEGACY_CACHE")" \
    "$(printf https://legacy.awsapps.com/start | sha1sum | cut -d' ' -f1).json"

# ---- sso_session form ----
G0=$(st getRole)
pr "$PROBE" --profile dev
t_is "sso_session profile resolves" "$T_RC" 0
t_is "... source names the role, account and profile" "$(jf source)" "sso role ReadOnly in account 111122223333 (profile dev)"
t_like "... the portal's keys" "$(jf access_key_id)" "^ASIASSO[0-9]+$"
t_is "... temporary, with an expiry" "$(jf has_session_token)" "true"
t_is "... one GetRoleCredentials with role, account and the session's token" \
    "$(st getRole) $(st last.method) $(st last.role) $(st last.account) $(st last.tokenSuffix)" \
    "$((G0 + 1)) GET ReadOnly 111122223333 $(printf %s "$TOK_DEV" | tail -c 4)"
pr AWS_PROFILE=dev "$PROBE"
t_is "AWS_PROFILE selects it too" "$(jf source)" "sso role ReadOnly in account 111122223333 (profile dev)"
if [ "$HAVE_BOTO" = 1 ]; then
	G0=$(st getRole)
	boto /usr/bin/python3 "$BOTO" creds dev
	t_like "botocore resolves the same profile through the same portal call" "$T_RC $T_OUT" "^0 sso ASIASSO"
	t_is "... with the same role, account and token" "$(st getRole) $(st last.role) $(st last.account) $(st last.tokenSuffix)" \
	    "$((G0 + 1)) ReadOnly 111122223333 $(printf %s "$TOK_DEV" | tail -c 4)"
else
	t_skip "botocore oracle (sso_session)" "python3-botocore is not installed"
	t_skip "botocore oracle (sso_session, call)" "python3-botocore is not installed"
fi

# ---- legacy form ----
pr "$PROBE" --profile legacy
t_is "legacy sso_start_url profile resolves" "$(jf source)" "sso role Admin in account 444455556666 (profile legacy)"
t_is "... with the start URL's token" "$(st last.role) $(st last.account) $(st last.tokenSuffix)" \
    "Admin 444455556666 $(printf %s "$TOK_LEGACY" | tail -c 4)"
if [ "$HAVE_BOTO" = 1 ]; then
	boto /usr/bin/python3 "$BOTO" creds legacy
	t_like "botocore agrees on the legacy profile" "$T_RC $T_OUT $(st last.tokenSuffix)" \
	    "^0 sso ASIASSO[0-9]+ $(printf %s "$TOK_LEGACY" | tail -c 4)$"
else
	t_skip "botocore oracle (legacy)" "python3-botocore is not installed"
fi

# ---- chain order ----
pr "$PROBE" --profile both
t_is "SSO comes before the credentials file's static keys" "$(jf source)" "sso role ReadOnly in account 111122223333 (profile both)"
if [ "$HAVE_BOTO" = 1 ]; then
	boto /usr/bin/python3 "$BOTO" creds both
	t_like "... as in botocore" "$T_OUT" "^sso ASIASSO"
else
	t_skip "botocore oracle (order)" "python3-botocore is not installed"
fi

# ---- an SSO profile as a role's source_profile ----
curl -sS --max-time 10 -X POST --data "{\"issue\": {\"id\": \"$SSO_ID\", \"secret\": \"$SSO_SECRET\", \"token\": \"$SSO_TOKEN\"}}" "$M/__control/set" > /dev/null
G0=$(st getRole)
pr "$PROBE" --profile ssorole
t_like "a role with an SSO source_profile" "$(jf source):$(jf access_key_id)" "^assume-role arn:aws:iam::777777777777:role/drift-reader \(profile ssorole\):ASIAMOCK"
t_is "... AssumeRole signed with the SSO role's keys, after one GetRoleCredentials" \
    "$(mock_get A /__control/state | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.last.signedBy, o.last.session)})') $(st getRole)" \
    "$SSO_ID sso-chain $((G0 + 1))"
pr "$PROBE" --profile ssorole-legacy
t_like "a role with a legacy SSO source_profile" "$(jf source) $(st last.tokenSuffix)" \
    "^assume-role arn:aws:iam::777777777777:role/drift-reader \(profile ssorole-legacy\) $(printf %s "$TOK_LEGACY" | tail -c 4)$"
if [ "$HAVE_BOTO" = 1 ]; then
	# Debian 12's botocore 1.29 looks the sso_session token up under the role's profile
	# rather than the source profile's (AttributeError), so it is asked about the legacy form.
	G0=$(st getRole)
	boto /usr/bin/python3 "$BOTO" creds ssorole-legacy
	t_like "... as botocore does (GetRoleCredentials, then AssumeRole)" "$T_RC $T_OUT $(st getRole)" "^0 assume-role ASIAMOCK[0-9]+ $((G0 + 1))$"
else
	t_skip "botocore oracle (source_profile)" "python3-botocore is not installed"
fi
curl -sS --max-time 10 -X POST --data '{"issue": null}' "$M/__control/set" > /dev/null

# ---- reuse and refresh of the role keys ----
G0=$(st getRole)
pr "$PROBE" --profile dev --twice-after 1000
t_is "role keys far from expiry are reused (one portal call for two gets)" "$(st getRole) $(jf access_key_id 1)" "$((G0 + 1)) $(jf access_key_id 2)"
curl -sS --max-time 10 -X POST --data '{"expirySeconds": 10}' "$M/__control/set" > /dev/null
G0=$(st getRole)
pr TFDRIFT_AWS_REFRESH_WINDOW_MS=9000 "$PROBE" --profile dev --twice-after 1500
t_is "role keys inside the refresh window are fetched again" "$(st getRole)" "$((G0 + 2))"
[ -n "$(jf access_key_id 2)" ] && [ "$(jf access_key_id 1)" != "$(jf access_key_id 2)" ]; ok $? "... new keys"
curl -sS --max-time 10 -X POST --data '{"expirySeconds": 3600}' "$M/__control/set" > /dev/null

# ---- an expired token with a refresh token ----
mkdir -p "$T_TMP/h2/.aws"
cp "$H/.aws/config" "$T_TMP/h2/.aws/config"
token "$T_TMP/h2" https://corp.awsapps.com/start corp "$TOK_OLD" -60 "$REFRESH"
C0=$(st createToken)
pr HOME="$T_TMP/h2" "$PROBE" --profile dev
t_is "an expired token with a refresh token: refreshed, then keys" "$T_RC $(jf source)" "0 sso role ReadOnly in account 111122223333 (profile dev)"
t_is "... one CreateToken with grant refresh_token, the cached client and refresh token, as JSON" \
    "$(st createToken) $(st lastToken.grantType) $(st lastToken.clientId) $(st lastToken.refreshSuffix) $(st lastToken.contentType)" \
    "$((C0 + 1)) refresh_token $CLIENT_ID $(printf %s "$REFRESH" | tail -c 4) application/json"
t_like "... the portal got the new token" "$(st last.tokenSuffix)" "^[0-9a-f]{4}$"
t_like "... the cache file holds the new access token" "$(field "$CACHE" accessToken)" "^aoaREFRESHED"
t_like "... and the rotated refresh token" "$(field "$CACHE" refreshToken)" "^aorNEW"
t_is "... the client registration kept" "$(field "$CACHE" clientId) $(field "$CACHE" startUrl) $(field "$CACHE" region)" \
    "$CLIENT_ID https://corp.awsapps.com/start eu-west-1"
EXP=$(field "$CACHE" expiresAt)
t_like "... expiresAt about 8 hours ahead, in the CLI's format" "$EXP" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
[ "$(node -e 'console.log(Date.parse(process.argv[1]) - Date.now() > 7 * 3600 * 1000)' "$EXP")" = true ]; ok $? "... (more than 7 hours)"
t_is "... written atomically: mode 0600, no temporary file left" "$(stat -c %a "$CACHE") $(ls "$T_TMP/h2/.aws/sso/cache" | wc -l)" "600 1"
if [ "$HAVE_BOTO" = 1 ]; then
	boto HOME="$T_TMP/h2" /usr/bin/python3 "$BOTO" creds dev
	t_like "botocore reads the file tfdrift wrote (no refresh needed)" "$T_RC $T_OUT $(st createToken)" "^0 sso ASIASSO[0-9]+ $((C0 + 1))$"
	# botocore refreshing the same expired token writes the same fields.
	mkdir -p "$T_TMP/h3/.aws"
	cp "$H/.aws/config" "$T_TMP/h3/.aws/config"
	NEWRT=$(field "$CACHE" refreshToken)
	token "$T_TMP/h3" https://corp.awsapps.com/start corp "$TOK_OLD" -60 "$NEWRT"
	boto HOME="$T_TMP/h3" /usr/bin/python3 "$BOTO" creds dev
	t_is "botocore refreshes the same kind of token" "$T_RC $(st createToken)" "0 $((C0 + 2))"
	keys() { node -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))).sort().join(","))' "$1"; }
	t_is "... and its cache file has the same fields as tfdrift's" "$(keys "$CACHE")" "$(keys "$T_TMP/h3/.aws/sso/cache/$(basename "$CACHE")")"
else
	t_skip "botocore oracle (refresh)" "python3-botocore is not installed"
	t_skip "botocore oracle (refresh 2)" "python3-botocore is not installed"
	t_skip "botocore oracle (refresh 3)" "python3-botocore is not installed"
fi
# A token inside the 15-minute window is refreshed too, while it still works.
token "$T_TMP/h2" https://corp.awsapps.com/start corp "$TOK_DEV" 300 "$(field "$CACHE" refreshToken)"
C0=$(st createToken)
pr HOME="$T_TMP/h2" "$PROBE" --profile dev
t_is "a token expiring within 15 minutes is refreshed early" "$T_RC $(st createToken)" "0 $((C0 + 1))"
# The refresh is refused, but the token still works: used.
token "$T_TMP/h2" https://corp.awsapps.com/start corp "$TOK_DEV" 300 aorUNKNOWNrefresh
pr HOME="$T_TMP/h2" "$PROBE" --profile dev
t_is "a refused early refresh keeps the still-valid token" "$T_RC $(st last.tokenSuffix)" "0 $(printf %s "$TOK_DEV" | tail -c 4)"

# ---- the errors a user sees ----
token "$T_TMP/h2" https://corp.awsapps.com/start corp "$TOK_OLD" -60
pr HOME="$T_TMP/h2" "$PROBE" --profile dev
t_is "an expired token without a refresh token fails" "$T_RC" 1
EXPT=$(field "$CACHE" expiresAt)
t_is "... saying so and what to run" "$T_ERR" \
    "aws_creds_probe: profile dev: the SSO token for sso-session corp expired at $EXPT and cannot be refreshed (it has no refresh token); run \`aws sso login --profile dev\` (or \`aws sso login --sso-session corp\`)"
token "$T_TMP/h2" https://corp.awsapps.com/start corp "$TOK_OLD" -60 aorUNKNOWNrefresh
pr HOME="$T_TMP/h2" "$PROBE" --profile dev
t_like "an expired token whose refresh is refused: the service's answer and what to run" "$T_ERR" \
    "the SSO token for sso-session corp expired at .* and cannot be refreshed \(SSO OIDC CreateToken at http://127.0.0.1:[0-9]+/token: HTTP 400 InvalidGrantException\); run \`aws sso login --profile dev\`"
mkdir -p "$T_TMP/h4/.aws"
cp "$H/.aws/config" "$T_TMP/h4/.aws/config"
token "$T_TMP/h4" https://legacy.awsapps.com/start - "$TOK_LEGACY" -60
pr HOME="$T_TMP/h4" "$PROBE" --profile legacy
t_is "legacy: an expired token" "$T_ERR" \
    "aws_creds_probe: profile legacy: the SSO token for https://legacy.awsapps.com/start expired at $(field "$CACHE" expiresAt); run \`aws sso login --profile legacy\`"
token "$T_TMP/h4" https://legacy.awsapps.com/start - "$TOK_OLD" 3600
pr HOME="$T_TMP/h4" "$PROBE" --profile legacy
t_like "portal 401 (a revoked token)" "$T_ERR" \
    "^aws_creds_probe: profile legacy: SSO GetRoleCredentials for role Admin in account 444455556666 at http://127.0.0.1:[0-9]+: HTTP 401 UnauthorizedException: Session token not found or invalid: the SSO session has expired or was revoked, or the role is not yours; run \`aws sso login --profile legacy\`$"
pr "$PROBE" --profile notmine
t_like "portal 403 (a role the user does not have)" "$T_ERR" \
    "^aws_creds_probe: profile notmine: SSO GetRoleCredentials for role ReadOnly in account 999999999999 at http://127.0.0.1:[0-9]+: HTTP 403 ForbiddenException: No access: .*aws sso login --profile notmine"
printf '{"accessToken": "%s", "expiresAt": ' "$TOK_DEV" > "$DEV_CACHE.bad"
cp "$DEV_CACHE.bad" "$T_TMP/h4/.aws/sso/cache/$(basename "$DEV_CACHE")"
rm -f "$DEV_CACHE.bad"
pr HOME="$T_TMP/h4" "$PROBE" --profile dev
t_is "a malformed cache file: named, and what to run" "$T_ERR" \
    "aws_creds_probe: profile dev: the SSO token cache $T_TMP/h4/.aws/sso/cache/$(basename "$DEV_CACHE") is not a JSON object; run \`aws sso login --profile dev\` (or \`aws sso login --sso-session corp\`) to write it again"
printf '{"startUrl": "x", "expiresAt": "2099-01-01T00:00:00Z"}' > "$T_TMP/h4/.aws/sso/cache/$(basename "$DEV_CACHE")"
pr HOME="$T_TMP/h4" "$PROBE" --profile dev
t_like "a cache file without accessToken" "$T_ERR" "the SSO token cache .* has no accessToken; run"
pr "$PROBE" --profile other
OTHER=$(printf other | sha1sum | cut -d' ' -f1)
t_is "a missing cache file: says to sign in" "$T_ERR" \
    "aws_creds_probe: profile other: no SSO token for sso-session other in the cache ($H/.aws/sso/cache/$OTHER.json: no such file): sign in with \`aws sso login --profile other\` (or \`aws sso login --sso-session other\`)"
pr "$PROBE" --profile nosection
t_is "sso_session naming no section" "$T_ERR" \
    "aws_creds_probe: profile nosection: sso_session nosuch: no [sso-session nosuch] section in $H/.aws/config"
pr "$PROBE" --profile half
t_is "an incomplete legacy profile" "$T_ERR" \
    "aws_creds_probe: profile half is configured to use SSO but is missing sso_role_name, sso_region (set in the profile, $H/.aws/config)"
pr "$PROBE" --profile clash
t_is "a profile and its sso-session disagreeing" "$T_ERR" \
    "aws_creds_probe: profile clash: sso_region is us-west-2 in the profile but eu-west-1 in [sso-session corp] ($H/.aws/config)"

# ---- secrets ----
for s in "$TOK_DEV" "$TOK_LEGACY" "$TOK_OLD" "$REFRESH" "$CLIENT_SECRET" aoaREFRESHED aorNEW ssoSECRET ssoTOKEN \
    staticSECRET "$SSO_SECRET" "$SSO_TOKEN"; do
	if grep -qF -- "$s" "$ALL" "$TRACE"; then
		ok 1 "no secret in the output or the trace: ${s%"${s#????}"}..."
	else
		ok 0 "no secret in the output or the trace: ${s%"${s#????}"}..."
	fi
done
t_like "the trace has the portal and OIDC calls" "$(cat "$TRACE")" "GET http://127.0.0.1:[0-9]+/federation/credentials\?role_name=ReadOnly&account_id=111122223333 -> 200"
t_like "... and CreateToken" "$(cat "$TRACE")" "POST http://127.0.0.1:[0-9]+/token -> 200"
t_done
