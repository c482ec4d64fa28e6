#!/bin/sh
# GCP credential files beyond keys and refresh tokens, against tests/mock/gcp.js:
# impersonated_service_account (authorized_user and service_account sources → IAM Credentials
# generateAccessToken) and external_account (workload identity federation: a subject token
# from a file or a URL, text or JSON, exchanged at a mock STS, with and without service
# account impersonation, a workforce pool's userProject, client Basic auth). The requests the
# mock received are checked field by field; the failures a user meets are checked for the
# message they see; no token, subject token, secret or header value reaches any output or the
# request trace.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PROBE=$TOP_BUILDDIR/tests/live/gl_probe

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=source@tfdrift-test.iam.gserviceaccount.com
TARGET=drift-reader@tfdrift-test.iam.gserviceaccount.com
DENIED=locked@tfdrift-test.iam.gserviceaccount.com
AUD=//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci/providers/gh
WAUD=//iam.googleapis.com/locations/global/workforcePools/staff/providers/okta
SUBJ=eyJhbGciOiJSUzI1NiJ9.subject-SECRET-7777.sig-SECRET-8888
HDRVAL=hdr-SECRET-5151
mock_start gcp "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
	--key-id k-0001 --client-id cid-1.apps.googleusercontent.com --client-secret cs-SECRET-4242 \
	--refresh-token 1//rt-SECRET-9999 --secrets-log "$T_TMP/secrets.log" \
	--sts-audience "$AUD" --workforce-audience "$WAUD" --subject-token "$SUBJ" \
	--subject-header "X-Subject-Auth: $HDRVAL" --deny-impersonation "$DENIED" \
	--entries "$TOP_SRCDIR/tests/data/live/gcp-gce5-entries.json"
M=$MOCK_URL_gcp
IMP="$M/v1/projects/-/serviceAccounts/$TARGET:generateAccessToken"
mkdir -p "$T_TMP/home"
HOME=$T_TMP/home
TFDRIFT_TRACE=$T_TMP/trace.log
export HOME TFDRIFT_TRACE
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG GCE_METADATA_HOST GCE_METADATA_ROOT
ALL_OUT=$T_TMP/all-output
: > "$ALL_OUT"
keep() { printf '%s\n%s\n' "$T_OUT" "$T_ERR" >> "$ALL_OUT"; }
counter() { mock_get gcp /__control/counters | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let o=JSON.parse(s);for(const k of process.argv[1].split("."))o=o[k];console.log(o)})' "$1"; }
# jsx EXPR: evaluate EXPR over the requests the mock recorded; last(P) is the newest whose
# path holds P; SUBJ, SCOPES and AUTHB are at hand (so secrets are compared, never printed).
jsx() {
	mock_get gcp /__control/requests > "$T_TMP/reqs.json"
	node -e 'const R=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
	const last=(p)=>R.filter((r)=>r.path.includes(p)).pop()||{};
	const SUBJ=process.argv[3], SCOPES=process.argv[4].split(" "), AUTHB=process.argv[5];
	console.log(String(eval(process.argv[2])))' "$T_TMP/reqs.json" "$1" "$SUBJ" \
		"https://www.googleapis.com/auth/logging.read https://www.googleapis.com/auth/devstorage.read_only" \
		"Basic $(printf '%s' 'wf-client:wf-SECRET-6060' | base64)"
}
json() { node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(eval("(" + process.argv[2] + ")"), null, 2))' "$@"; }
AU_SRC="{type:'authorized_user',client_id:'cid-1.apps.googleusercontent.com',client_secret:'cs-SECRET-4242',refresh_token:'1//rt-SECRET-9999',token_uri:'$M/token'}"

# 1. impersonated_service_account, source authorized_user (gcloud's --impersonate-service-account)
json "$T_TMP/imp-au.json" "{type:'impersonated_service_account',service_account_impersonation_url:'$IMP',
	delegates:['projects/-/serviceAccounts/hop@tfdrift-test.iam.gserviceaccount.com'],quota_project_id:'quota-p',
	source_credentials:$AU_SRC}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/imp-au.json t_ok "impersonated via authorized_user" "$PROBE" token --count 5
keep
t_like "source names the file, the target and the source type" "$T_OUT" "^source: impersonated_service_account .*imp-au\\.json \\($TARGET via authorized_user\\)"
t_like "two requests for five gets: refresh grant + generateAccessToken, cached" "$T_OUT" '^token requests: 2$'
t_like "expiry from expireTime" "$T_OUT" '^expires: [0-9]{4}-'
t_is "one refresh grant" "$(counter token.refresh_token)" 1
t_is "one generateAccessToken" "$(counter token.impersonate)" 1
t_is "second hop: Bearer of the refresh-grant token" "$(jsx 'last(":generateAccessToken").authorization.startsWith("Bearer ya29.mock-")')" true
t_is "second hop body: scope is the scopes as a list" "$(jsx 'JSON.stringify(last(":generateAccessToken").json.scope)===JSON.stringify(SCOPES)')" true
t_is "second hop body: lifetime 3600s" "$(jsx 'last(":generateAccessToken").json.lifetime')" 3600s
t_is "second hop body: the delegates" "$(jsx 'last(":generateAccessToken").json.delegates.join()')" "projects/-/serviceAccounts/hop@tfdrift-test.iam.gserviceaccount.com"

# 2. source service_account (JWT with the iam scope, verified by the mock)
node -e 'const fs=require("fs");fs.writeFileSync(process.argv[1],JSON.stringify({type:"impersonated_service_account",
	service_account_impersonation_url:process.argv[2],source_credentials:{type:"service_account",project_id:"tfdrift-test",
	private_key_id:"k-0001",private_key:fs.readFileSync(process.argv[3],"utf8"),client_email:process.argv[4],
	token_uri:process.argv[5]+"/token"}}))' "$T_TMP/imp-sa.json" "$IMP" "$T_TMP/sa.pem" "$EMAIL" "$M"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/imp-sa.json t_ok "impersonated via service_account" "$PROBE" token --count 3
keep
t_like "source names the source service account" "$T_OUT" "\\($TARGET via service_account $EMAIL\\)"
t_is "the mock verified one JWT" "$(counter token.jwt)" 1
t_is "and a second generateAccessToken" "$(counter token.impersonate)" 2
t_is "second hop: Bearer of the JWT-grant token" "$(jsx 'last(":generateAccessToken").authorization.startsWith("Bearer ya29.mock-")')" true
t_is "no delegates: an empty list" "$(jsx 'JSON.stringify(last(":generateAccessToken").json.delegates)')" "[]"
# ... and the impersonated token is what the Logging API accepts
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/imp-sa.json t_ok "the impersonated token reads entries" "$PROBE" poll --project gcpdiag-gce5-aaaa --endpoint "$M" --since 2000-01-01T00:00:00Z --until -1s --cursors "$T_TMP/cursors"
keep
t_like "events came back" "$T_OUT" '"id":"'
t_is "the mock saw no unauthorized list call" "$(counter unauthorized)" 0

# 3. external_account, file source, text (a trailing newline is not part of the token)
printf '%s\n' "$SUBJ" > "$T_TMP/subject.txt"
json "$T_TMP/ext-file.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/subject.txt'}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/ext-file.json t_ok "external_account, file, text" "$PROBE" token --count 4
keep
t_like "source: the file, the subject file, the STS" "$T_OUT" "^source: external_account .*ext-file\\.json \\(subject token from file .*subject\\.txt, STS $M/sts/v1/token\\)"
t_like "one STS exchange for four gets" "$T_OUT" '^token requests: 1$'
t_is "STS form: grant_type" "$(jsx 'last("/sts/").form.grant_type')" urn:ietf:params:oauth:grant-type:token-exchange
t_is "STS form: requested_token_type" "$(jsx 'last("/sts/").form.requested_token_type')" urn:ietf:params:oauth:token-type:access_token
t_is "STS form: audience" "$(jsx 'last("/sts/").form.audience')" "$AUD"
t_is "STS form: subject_token_type" "$(jsx 'last("/sts/").form.subject_token_type')" urn:ietf:params:oauth:token-type:jwt
t_is "STS form: scope (space separated)" "$(jsx 'last("/sts/").form.scope===SCOPES.join(" ")')" true
t_is "STS form: the subject token, without the newline" "$(jsx 'last("/sts/").form.subject_token===SUBJ')" true
t_is "STS form: no options without a workforce pool" "$(jsx 'String(last("/sts/").form.options)')" undefined
t_is "STS: no Authorization without client_id" "$(jsx 'last("/sts/").authorization')" null

# 4. file source, JSON format
json "$T_TMP/subject.json" "{id_token:'$SUBJ',expires_at:1}"
json "$T_TMP/ext-json.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:id_token',
	token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/subject.json',format:{type:'json',subject_token_field_name:'id_token'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/ext-json.json t_ok "external_account, file, json" "$PROBE" token
keep
t_is "STS form: the subject token from the JSON field" "$(jsx 'last("/sts/").form.subject_token===SUBJ')" true
t_is "STS form: subject_token_type id_token" "$(jsx 'last("/sts/").form.subject_token_type')" urn:ietf:params:oauth:token-type:id_token

# 5. URL source with headers, JSON format
json "$T_TMP/ext-url.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{url:'$M/subject?format=json',headers:{'X-Subject-Auth':'$HDRVAL'},
	format:{type:'json',subject_token_field_name:'id_token'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/ext-url.json t_ok "external_account, URL with headers" "$PROBE" token --count 3
keep
t_like "source names the subject URL" "$T_OUT" "subject token from URL $M/subject\\?format=json"
t_like "two requests: subject URL + STS" "$T_OUT" '^token requests: 2$'
t_is "the subject URL got the header" "$(jsx 'last("/subject").header')" "$HDRVAL"
t_is "STS form: the token fetched from the URL" "$(jsx 'last("/sts/").form.subject_token===SUBJ')" true

# 6. URL source (text), then impersonation with a configured lifetime
json "$T_TMP/ext-imp.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{url:'$M/subject',headers:{'X-Subject-Auth':'$HDRVAL'}},
	service_account_impersonation_url:'$IMP',service_account_impersonation:{token_lifetime_seconds:1200}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/ext-imp.json t_ok "external_account with impersonation" "$PROBE" token --count 3
keep
t_like "source says who is impersonated" "$T_OUT" "impersonating $TARGET\\)"
t_like "three requests: subject URL, STS, generateAccessToken" "$T_OUT" '^token requests: 3$'
t_is "STS scope for the first hop: cloud-platform" "$(jsx 'last("/sts/").form.scope')" https://www.googleapis.com/auth/cloud-platform
t_is "second hop: Bearer of the STS token" "$(jsx 'last(":generateAccessToken").authorization.startsWith("Bearer ya29.sts-")')" true
t_is "second hop: lifetime from token_lifetime_seconds" "$(jsx 'last(":generateAccessToken").json.lifetime')" 1200s
t_is "second hop: the requested scopes" "$(jsx 'JSON.stringify(last(":generateAccessToken").json.scope)===JSON.stringify(SCOPES)')" true

# 7. workforce pool: options={"userProject":...}; with client_id, Basic auth and no options
json "$T_TMP/wf.json" "{type:'external_account',audience:'$WAUD',subject_token_type:'urn:ietf:params:oauth:token-type:id_token',
	token_url:'$M/sts/v1/token',workforce_pool_user_project:'wf-billing',credential_source:{file:'$T_TMP/subject.txt'}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/wf.json t_ok "workforce pool" "$PROBE" token
keep
t_is "STS form: options userProject" "$(jsx 'last("/sts/").form.options')" '{"userProject":"wf-billing"}'
json "$T_TMP/wf-client.json" "{type:'external_account',audience:'$WAUD',subject_token_type:'urn:ietf:params:oauth:token-type:id_token',
	token_url:'$M/sts/v1/token',workforce_pool_user_project:'wf-billing',client_id:'wf-client',client_secret:'wf-SECRET-6060',
	credential_source:{file:'$T_TMP/subject.txt'}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/wf-client.json t_ok "workforce pool with a client" "$PROBE" token
keep
t_is "STS: client_id/client_secret as Basic auth" "$(jsx 'last("/sts/").authorization===AUTHB')" true
t_is "STS form: no options with client authentication" "$(jsx 'String(last("/sts/").form.options)')" undefined

# 8. failures, as the user sees them
json "$T_TMP/bad-aud.json" "{type:'external_account',audience:'//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/other/providers/x',
	subject_token_type:'urn:ietf:params:oauth:token-type:jwt',token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/subject.txt'}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/bad-aud.json t_exit "STS refuses the audience" 1 "$PROBE" token
keep
t_like "STS 400 with error and error_description, the file, what to check" "$T_ERR" \
	"GCP STS endpoint $M/sts/v1/token answered 400 invalid_grant: The audience in ID Token \\[.*other/providers/x\\] does not match the expected audience\\. for external_account .*bad-aud\\.json.*; check the file's audience and subject_token_type"
json "$T_TMP/imp-denied.json" "{type:'impersonated_service_account',
	service_account_impersonation_url:'$M/v1/projects/-/serviceAccounts/$DENIED:generateAccessToken',source_credentials:$AU_SRC}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/imp-denied.json t_exit "impersonation refused" 1 "$PROBE" token
keep
t_like "403 shown with Google's message" "$T_ERR" \
	"IAM Credentials generateAccessToken endpoint $M/v1/projects/-/serviceAccounts/$DENIED:generateAccessToken answered 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied"
t_like "and what to do: the role on the target" "$T_ERR" "need roles/iam.serviceAccountTokenCreator on $DENIED"
json "$T_TMP/no-subject.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/nope/token'}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/no-subject.json t_exit "missing subject token file" 1 "$PROBE" token
keep
t_like "names the file, the field and the cause" "$T_ERR" \
	"no-subject\\.json: the subject token file \\(credential_source\\.file\\) cannot be read: .*nope/token.*(No such file|not found)"
json "$T_TMP/bad-field.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/subject.json',format:{type:'json',subject_token_field_name:'access_token'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/bad-field.json t_exit "JSON subject without the named field" 1 "$PROBE" token
keep
t_like "names the field it looked for" "$T_ERR" \
	'bad-field\.json: the subject token file \(credential_source\.file\) is not a JSON object with a string field "access_token" \(credential_source\.format\.subject_token_field_name\)'
printf '{"id_token": 42}' > "$T_TMP/subject-num.json"
json "$T_TMP/num-field.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{file:'$T_TMP/subject-num.json',format:{type:'json',subject_token_field_name:'id_token'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/num-field.json t_exit "a subject field that is not a string" 1 "$PROBE" token
keep
t_like "the same clear message" "$T_ERR" 'is not a JSON object with a string field "id_token"'
json "$T_TMP/no-header.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	token_url:'$M/sts/v1/token',credential_source:{url:'$M/subject',headers:{'X-Subject-Auth':'wrong-SECRET-0101'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/no-header.json t_exit "subject URL refuses" 1 "$PROBE" token
keep
t_like "status and what to check" "$T_ERR" "the subject token URL $M/subject \\(credential_source\\.url\\) answered HTTP 401; check credential_source\\.url and credential_source\\.headers"
t_unlike "the header value is not shown" "$T_ERR" 'wrong-SECRET'
json "$T_TMP/exe.json" "{type:'external_account',audience:'$AUD',subject_token_type:'urn:ietf:params:oauth:token-type:jwt',
	credential_source:{executable:{command:'/bin/true'}}}"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/exe.json t_exit "executable source refused at start" 1 "$PROBE" token
keep
t_like "names the field and says it is not supported" "$T_ERR" 'exe\.json: field "credential_source\.executable" \(an executable-sourced \(pluggable\) credential\) is not supported by tfdrift'

# 9. no secret anywhere: tokens (access, STS, impersonated), the subject token, the refresh
# token, client secrets, header values
cat "$TFDRIFT_TRACE" >> "$ALL_OUT"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done < "$T_TMP/secrets.log"
for s in "$SUBJ" subject-SECRET sig-SECRET "$HDRVAL" wrong-SECRET cs-SECRET-4242 rt-SECRET-9999 wf-SECRET-6060 ya29.; do
	if grep -qF -- "$s" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done
sed -n 2p "$T_TMP/sa.pem" > "$T_TMP/keyline"
if grep -qF -f "$T_TMP/keyline" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
t_ok "the secrets log has the tokens the mock issued and the subject tokens it saw" test "$(wc -l < "$T_TMP/secrets.log")" -ge 10
t_is "no token, subject token, secret or header value in stdout/stderr/trace" "$leaks" 0
t_like "the trace has the STS and generateAccessToken requests" "$(cat "$TFDRIFT_TRACE")" 'POST http://127.0.0.1:[0-9]+/sts/v1/token -> 200'
t_like "the trace has generateAccessToken" "$(cat "$TFDRIFT_TRACE")" 'generateAccessToken -> 200'

t_done
