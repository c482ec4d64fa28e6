#!/bin/sh
# tfdrift watch over Cloud Logging (tests/mock/gcp.js: the token endpoint checks the
# service account's RS256 JWT with Node's crypto; entries:list serves the real gcpdiag audit
# entries shifted to now; here the bundled example's morning of GCP changes): sources.gcp in the config, ADC from GOOGLE_APPLICATION_CREDENTIALS,
# findings as JSON lines, the cursor in the store, and no secret in any output or trace.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
DATA=$TOP_SRCDIR/tests/data/live
P=corp-prod-4411

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=watcher@tfdrift-test.iam.gserviceaccount.com
mock_start gcp "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
	--key-id k-0003 --secrets-log "$T_TMP/secrets.log" --shift \
	--entries "$TOP_SRCDIR/doc/examples/gcp-audit.json"
node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0003",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/sa.json" "$EMAIL" "$MOCK_URL_gcp"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa.json
TFDRIFT_TRACE=$T_TMP/trace.log
export GOOGLE_APPLICATION_CREDENTIALS TFDRIFT_TRACE
unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S

cat > "$T_TMP/gcp.yaml" <<CFG
states: [$TOP_SRCDIR/doc/examples/gcp.tfstate]
store: $T_TMP/g.db
sources:
  gcp:
    - name: diag
      project: $P
      lookback: 3d
      endpoint: $MOCK_URL_gcp
CFG
t_run "$TFDRIFT" -c "$T_TMP/gcp.yaml" watch --once
t_is "watch --once over Cloud Logging: drift found, exit 2" "$T_RC" 2
t_like "GCP findings as JSON lines" "$T_OUT" '"provider":"gcp"'
t_like "carol's firewall change among them" "$T_OUT" '"address":"google_compute_firewall\.allow_ssh"'
t_is "nothing on stderr" "$T_ERR" ""
FIRST=$(printf '%s\n' "$T_OUT" | grep -c '^{')
t_run "$TFDRIFT" -c "$T_TMP/gcp.yaml" watch --once
t_is "the cursor is in the store: nothing new, exit 0" "$T_RC" 0
t_is "and nothing printed" "$T_OUT" ""
t_like "one token per run, cached for its calls" "$(mock_get gcp /__control/counters)" '"jwt":2,'

# No secret in any output or the trace.
for secret in $(cat "$T_TMP/secrets.log" 2> /dev/null); do
	if grep -qF -- "$secret" "$T_TMP/trace.log"; then
		t_diag "a secret is in the trace"
		LEAK=1
	fi
done
t_is "no token or assertion in the trace" "${LEAK:-0}" 0
t_unlike "the trace has the Logging calls, not the key" "$(cat "$T_TMP/trace.log")" 'PRIVATE KEY'
t_like "the trace has entries:list" "$(cat "$T_TMP/trace.log")" 'POST .*/v2/entries:list -> 200'

# A key the token endpoint does not know: a clear error, exit 1.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/other.pem" 2> /dev/null
node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0003",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/other.pem" "$T_TMP/other.json" "$EMAIL" "$MOCK_URL_gcp"
GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/other.json t_run "$TFDRIFT" -c "$T_TMP/gcp.yaml" watch --once --store "$T_TMP/o.db"
t_is "a wrong key: exit 1" "$T_RC" 1
t_like "saying the token endpoint refused it" "$T_ERR" 'gcp diag corp-prod-4411: .*invalid_grant'
t_unlike "naming the source once" "$T_ERR" 'gcp diag corp-prod-4411: gcp diag'
t_unlike "without the key" "$T_ERR" 'PRIVATE KEY'
t_done
