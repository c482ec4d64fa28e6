#!/bin/sh
# The Pub/Sub pull source (sources.gcp pubsub_subscription) against tests/mock/gcp.js speaking
# Pub/Sub's REST API (pull, acknowledge, modifyAckDeadline) with the Logging mock's auth checks,
# its messages built as a Logging sink publishes them from the real gcpdiag audit entries and
# the bundled example's morning of GCP changes: the same findings as the Logging source gives
# for the same entries; acknowledged only once stored (a worker killed before its acknowledge
# loses nothing and duplicates nothing); a bad message counted, named and acknowledged; an
# expired token refreshed; two workers on one subscription each get their share, every message
# processed once in all; a slow batch has its ack deadline extended.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PY=${PYTHON:-python3}
need_cmd "$PY" || t_skip_all "python3 is not installed"
PROBE=$TOP_BUILDDIR/tests/live/ps_probe
DATA=$TOP_SRCDIR/tests/data/live
EX=$TOP_SRCDIR/doc/examples
SUB=projects/corp-logs/subscriptions/tfdrift

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=sink-reader@tfdrift-test.iam.gserviceaccount.com
unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S
TFDRIFT_TRACE=$T_TMP/trace.log
export TFDRIFT_TRACE

# mock NAME ARGS...: a Logging + Pub/Sub mock serving the example's and gce5's entries, every
# entry also published to $SUB, and a service account key whose token endpoint it is.
mock() {
	_m=$1
	shift
	mock_start "$_m" "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
		--key-id k-0007 --secrets-log "$T_TMP/secrets.log" --shift --subscription "$SUB" --publish \
		--entries "$EX/gcp-audit.json" --entries "$DATA/gcp-gce5-entries.json" "$@"
	eval "_url=\$MOCK_URL_$_m"
	node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0007",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/$_m.json" "$EMAIL" "$_url"
	GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/$_m.json
	export GOOGLE_APPLICATION_CREDENTIALS
}
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let o=JSON.parse(s);for(const k of process.argv[1].split("."))o=o==null?o:o[k];console.log(o)})' "$1"; }
psc() { mock_get "$1" /__control/pubsub | jget "$2"; }
# conf NAME URL [KEY: VALUE...]: a config reading $SUB through URL, with its own store.
conf() {
	_n=$1 _u=$2
	shift 2
	{
		printf 'states: [%s]\nstore: %s\nsources:\n  gcp:\n    - name: org\n' "$EX/gcp.tfstate" "$T_TMP/$_n.db"
		printf '      pubsub_subscription: %s\n      pubsub_endpoint: %s\n' "$SUB" "$_u"
		for _kv in "$@"; do printf '      %s\n' "$_kv"; done
	} > "$T_TMP/$_n.yaml"
}
# The findings of a watch --once output, without what names the source: sorted lines.
findings() { printf '%s\n' "$1" | grep '^{' | $PY -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)
    for k in ("source", "collector", "seen_at", "detected_at"):
        f.pop(k, None)
    print(json.dumps(f, sort_keys=True))' | sort; }
# sql DB QUERY: one value.
sql() { $PY -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2"; }

# 1. The same entries through Cloud Logging and through the sink's subscription.
mock a
NPUB=$(psc a published)
NENT=$(node -e 'let n=0;for (const f of process.argv.slice(1)) n+=JSON.parse(require("fs").readFileSync(f)).entries.length;console.log(n)' \
	"$EX/gcp-audit.json" "$DATA/gcp-gce5-entries.json")
t_is "the mock published every entry, one message each" "$NPUB" "$NENT"
cat > "$T_TMP/logging.yaml" <<CFG
states: [$EX/gcp.tfstate]
store: $T_TMP/logging.db
sources:
  gcp:
    - name: corp
      project: corp-prod-4411
      lookback: 3d
      endpoint: $MOCK_URL_a
    - name: gce5
      project: gcpdiag-gce5-aaaa
      lookback: 3d
      endpoint: $MOCK_URL_a
CFG
t_run "$TFDRIFT" -c "$T_TMP/logging.yaml" watch --once
t_is "through Cloud Logging: drift, exit 2" "$T_RC" 2
LOGGING=$(findings "$T_OUT")
conf a "$MOCK_URL_a"
t_run "$TFDRIFT" -c "$T_TMP/a.yaml" watch --once
t_is "through Pub/Sub: drift, exit 2" "$T_RC" 2
t_is "nothing on stderr" "$T_ERR" ""
PUBSUB=$(findings "$T_OUT")
t_like "findings through Pub/Sub" "$PUBSUB" 'google_compute_firewall'
t_is "the same findings as through Cloud Logging" "$PUBSUB" "$LOGGING"
t_is "every message acknowledged" "$(psc a acked)" "$NPUB"
t_is "nothing left in the subscription" "$(psc a backlog)" 0
t_is "nothing delivered twice" "$(psc a redelivered)" 0
t_like "the trace has the pulls and acknowledgements" "$(cat "$T_TMP/trace.log")" "POST .*/v1/$SUB:acknowledge -> 200"
t_run "$TFDRIFT" -c "$T_TMP/a.yaml" watch --once
t_is "again: nothing new, exit 0" "$T_RC" 0
t_is "and nothing printed" "$T_OUT" ""
