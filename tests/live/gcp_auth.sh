#!/bin/sh
# GCP Application Default Credentials against tests/mock/gcp.js: a service-account JWT the
# mock verifies with Node's crypto (and a wrong key refused with a clear error), the
# authorized_user refresh grant, the metadata server, the token cache, and no secret in any
# output or in the request trace.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PROBE=$TOP_BUILDDIR/tests/live/gl_probe

# A throwaway service-account key pair, made now (never committed).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/wrong.pem" 2> /dev/null
EMAIL=probe@tfdrift-test.iam.gserviceaccount.com
mock_start gcp "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
	--key-id k-0001 --client-id cid-1.apps.googleusercontent.com --client-secret cs-SECRET-4242 \
	--refresh-token 1//rt-SECRET-9999 --secrets-log "$T_TMP/secrets.log" \
	--entries "$TOP_SRCDIR/tests/data/live/gcp-gce5-entries.json"

# keyfile PEM OUT: a service_account key file whose token_uri is the mock.
keyfile() {
	node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
	project_id:"tfdrift-test",private_key_id:"k-0001",private_key:fs.readFileSync(process.argv[1],"utf8"),
	client_email:process.argv[3],client_id:"1234",token_uri:process.argv[4]+"/token"}))' \
	"$1" "$2" "$EMAIL" "$MOCK_URL_gcp"
}
keyfile "$T_TMP/sa.pem" "$T_TMP/sa.json"
keyfile "$T_TMP/wrong.pem" "$T_TMP/wrong.json"
mkdir -p "$T_TMP/home" "$T_TMP/gcloud" "$T_TMP/empty"
HOME=$T_TMP/home
TFDRIFT_TRACE=$T_TMP/trace.log
export HOME TFDRIFT_TRACE
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG GCE_METADATA_HOST GCE_METADATA_ROOT
ALL_OUT=$T_TMP/all-output
: > "$ALL_OUT"
keep() { printf '%s\n%s\n' "$T_OUT" "$T_ERR" >> "$ALL_OUT"; }
counter() { mock_get gcp /__control/counters | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let o=JSON.parse(s);for(const k of process.argv[1].split("."))o=o[k];console.log(o)})' "$1"; }

# 1. service account key → JWT bearer grant
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa.json t_ok "service-account JWT accepted by the mock" "$PROBE" token
keep
t_like "source is the key file and its client_email" "$T_OUT" "^source: service_account .*sa.json \\($EMAIL\\)"
t_like "expiry shown (about an hour)" "$T_OUT" '^expires: [0-9]{4}-'
t_is "the mock verified one assertion" "$(counter token.jwt)" 1

GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa.json t_ok "many gets" "$PROBE" token --count 20
keep
t_like "twenty gets, one token request (cached)" "$T_OUT" '^token requests: 1$'

GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/wrong.json t_exit "a key the mock does not know is refused" 1 "$PROBE" token
keep
t_like "clear error: endpoint, invalid_grant, signature, file" "$T_ERR" \
	"token endpoint http://127.0.0.1:[0-9]+/token answered 400 invalid_grant: Invalid JWT Signature\\. for service_account .*wrong\\.json"
t_like "and what to do" "$T_ERR" 'download a new JSON key'
t_is "the mock rejected it" "$(counter token.rejected)" 1

printf '{"type":"service_account","client_email":"x@y","private_key_id":"k"}' > "$T_TMP/nokey.json"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/nokey.json t_exit "a key file without private_key" 1 "$PROBE" token
keep
t_like "names the file and the field" "$T_ERR" 'nokey\.json: field "private_key" is missing'

# 2. authorized_user (gcloud ADC) under CLOUDSDK_CONFIG
printf '{"type":"authorized_user","client_id":"cid-1.apps.googleusercontent.com","client_secret":"cs-SECRET-4242","refresh_token":"1//rt-SECRET-9999","token_uri":"%s/token"}\n' \
	"$MOCK_URL_gcp" > "$T_TMP/gcloud/application_default_credentials.json"
CLOUDSDK_CONFIG=$T_TMP/gcloud t_ok "authorized_user refresh grant" "$PROBE" token --count 3
keep
t_like "source: the gcloud ADC file" "$T_OUT" '^source: authorized_user .*gcloud/application_default_credentials\.json'
t_is "one refresh_token grant" "$(counter token.refresh_token)" 1
printf '{"type":"authorized_user","client_id":"cid-1.apps.googleusercontent.com","client_secret":"cs-SECRET-4242","refresh_token":"1//rt-REVOKED-0000","token_uri":"%s/token"}\n' \
	"$MOCK_URL_gcp" > "$T_TMP/revoked.json"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/revoked.json t_exit "a revoked refresh token is refused" 1 "$PROBE" token
keep
t_like "clear error and what to do" "$T_ERR" 'answered 400 invalid_grant: Bad Request for authorized_user .*revoked\.json; run `gcloud auth application-default login` again'
t_unlike "the refresh token is not in the message" "$T_ERR" 'rt-REVOKED'

# 3. metadata server
CLOUDSDK_CONFIG=$T_TMP/empty GCE_METADATA_HOST=127.0.0.1:$MOCK_PORT_gcp t_ok "metadata server token" "$PROBE" token
keep
t_like "source: the metadata server" "$T_OUT" "^source: metadata server http://127.0.0.1:$MOCK_PORT_gcp/computeMetadata/v1/instance/service-accounts/default/token"
t_is "one metadata token request" "$(counter token.metadata)" 1
code=$(curl -s -o /dev/null -w '%{http_code}' "$MOCK_URL_gcp/computeMetadata/v1/instance/service-accounts/default/token")
t_is "the mock metadata server needs Metadata-Flavor: Google" "$code" 403
CLOUDSDK_CONFIG=$T_TMP/empty GCE_METADATA_HOST=127.0.0.1:1 t_exit "no credentials anywhere" 1 "$PROBE" token
keep
t_like "says what was tried and what to do" "$T_ERR" 'GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud ADC file, and the metadata server did not answer .*gcloud auth application-default login'

# 4. no secret anywhere: private keys, assertions, tokens, refresh token, client secret
cat "$TFDRIFT_TRACE" >> "$ALL_OUT"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done < "$T_TMP/secrets.log"
for s in cs-SECRET-4242 rt-SECRET-9999 rt-REVOKED-0000 ya29.; do
	if grep -qF -- "$s" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done
for k in sa.pem wrong.pem; do
	sed -n 2p "$T_TMP/$k" > "$T_TMP/keyline"
	if grep -qF -f "$T_TMP/keyline" "$ALL_OUT"; then leaks=$((leaks + 1)); fi
done
t_ok "the secrets log has the tokens and assertions the mock saw" test "$(wc -l < "$T_TMP/secrets.log")" -ge 4
t_is "no private key, assertion, token, refresh token or client secret in stdout/stderr/trace" "$leaks" 0
t_like "the trace has the token requests" "$(cat "$TFDRIFT_TRACE")" 'POST http://127.0.0.1:[0-9]+/token -> 200'

t_done
