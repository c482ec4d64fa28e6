#!/bin/sh
# The misbehaving-server matrix (issue 14): every API tfdrift calls, answered by the loopback
# mocks with each fault of tests/mock/misbehave.js (slow bytes, a wrong content type, HTML, a
# body over the size cap with and without Content-Length, a redirect loop, a Content-Length
# longer than the body, a reset mid-body, and for the paginated APIs a repeated, a cycling and
# an endless page token). For each API x fault the command must
#   - end in bounded time (watch --once under --once-timeout; a hard `timeout` around it),
#   - exit 1 with an error on stderr that names the source or the state, once, and says what
#     came (a web page, a redirect and where to, a body over the cap; a JSON or XML body
#     labelled text/html is taken for the page it says it is),
#   - stay within a memory bound (max RSS from /usr/bin/time when it is installed),
#   - lose nothing: a clean run afterwards on the same store ends with the same findings as a
#     clean run from scratch (cursors did not move past what was not read; the earlier
#     findings are still there), an SQS message is never deleted unread, a state backend
#     keeps its last good copy,
#   - and download an oversized body once, not once per retry.
# Groups of APIs run in parallel, each against mocks of its own; the table of outcomes (API,
# fault, exit status, seconds, max RSS, the first line of stderr) ends the output.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
need_cmd python3 || t_skip_all "python3 is not installed"

DATA=$TOP_SRCDIR/tests/data/live
PROBE=$TOP_BUILDDIR/tests/live/state_probe
LIMIT=4s                # every watch --once: --once-timeout
LIMIT_MS=4000           # state_probe --deadline
BOUND=14                # seconds a run may take: the limit, the 5 s grace, start-up
RSS_SLACK=32768         # KiB over a clean run's max RSS (the body cap is 1 MiB)
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
FAULTS="trickle ctype html big bigchunked redirect clmismatch reset"
PAGING="repeat cycle endless"

# One environment for every run: no credentials but the ones a group gives, nothing from
# this machine's cloud configuration, no instance metadata unless asked for.
mkdir -p "$T_TMP/home" "$T_TMP/nogcloud"
: > "$T_TMP/empty"
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\|GOOGLE_[A-Z_]*\|GCE_[A-Z_]*\|CLOUDSDK_[A-Z_]*\|TF_HTTP_[A-Z_]*\|TF_TOKEN_[A-Za-z_]*\|TF_CLI_CONFIG_FILE\|TFDRIFT_TRACE\|TFDRIFT_NOW\)=.*/\1/p'); do
	unset "$v"
done
HOME=$T_TMP/home
CLOUDSDK_CONFIG=$T_TMP/nogcloud
AWS_CONFIG_FILE=$T_TMP/empty
AWS_SHARED_CREDENTIALS_FILE=$T_TMP/empty
AWS_EC2_METADATA_DISABLED=true
TFDRIFT_HTTP_MAX_BODY=1048576
MOCK_TRICKLE_MS=1000
export HOME CLOUDSDK_CONFIG AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED \
    TFDRIFT_HTTP_MAX_BODY MOCK_TRICKLE_MS

# ---- the mocks (started here: the groups below only steer them) ----
SECRET=wJalrXUtnFEMI-K7MDENG-misbehave
FIXED_ID=ASIAMISBEHAVEFIXED01
FIXED_SECRET=fixed-secret-Mb7
FIXED_TOKEN=FwoMISBEHAVEfixedtoken
CTOK=container-token-Mb3
for m in ctA ctB; do
	mock_start "$m" "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA/invictus_1215Z.json" \
	    --shift-newest-ago 120 --key "AKIDMB:$SECRET"
done
for m in ctC ctD; do
	mock_start "$m" "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA/invictus_1215Z.json" \
	    --shift-newest-ago 120 --key "$FIXED_ID:$FIXED_SECRET:$FIXED_TOKEN"
done
cat > "$T_TMP/auth.json" <<JSON
{ "region": "us-east-1", "expirySeconds": 3600,
  "keys": { "AKIDSRC": { "secret": "$SECRET" } },
  "issue": { "id": "$FIXED_ID", "secret": "$FIXED_SECRET", "token": "$FIXED_TOKEN" },
  "containerToken": "$CTOK", "imdsRole": "tfdrift-role" }
JSON
mock_start authC "$TOP_SRCDIR/tests/mock/aws_auth.js" --config "$T_TMP/auth.json"
mock_start authD "$TOP_SRCDIR/tests/mock/aws_auth.js" --config "$T_TMP/auth.json"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=misbehave@tfdrift-test.iam.gserviceaccount.com
for m in gcpE gcpF gcpG; do
	mock_start "$m" "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
	    --key-id k-1 --shift --entries "$TOP_SRCDIR/doc/examples/gcp-audit.json"
	eval "_u=\$MOCK_URL_$m"
	node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-1",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/sa-$m.json" "$EMAIL" "$_u"
done
MOCK_S3_KEYS="AKIDMB:$SECRET"
export MOCK_S3_KEYS
mock_start s3G "$TOP_SRCDIR/tests/mock/s3.js" --region us-east-1 --bucket tfstate \
    --put "tfstate/prod/terraform.tfstate=$DATA/aws_s3_full.tfstate"
unset MOCK_S3_KEYS
MOCK_HTTP_USER=tfuser MOCK_HTTP_PASS=http-pass-Mb1 MOCK_GCS_TOKEN=ya29.gcs-Mb2 MOCK_HCP_TOKEN=hcp-Mb4
export MOCK_HTTP_USER MOCK_HTTP_PASS MOCK_GCS_TOKEN MOCK_HCP_TOKEN
mock_start beH "$TOP_SRCDIR/tests/mock/backends.js" \
    --gcs "tfbucket/envs/prod/default.tfstate=$DATA/gke.tfstate" \
    --http "prod=$DATA/aws_s3_full.tfstate" --hcp "acme/prod-net=$DATA/gke.tfstate"
unset MOCK_HTTP_USER MOCK_HTTP_PASS MOCK_GCS_TOKEN MOCK_HCP_TOKEN

# ---- helpers (they run inside the groups' subshells: no t_run, whose files are shared) ----

# url_enc S: S percent-encoded for a query value.
url_enc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# spoil MOCK ROUTE MODE: from now on MOCK answers requests matching ROUTE with MODE ("" clears).
spoil() {
	mock_get "$1" "/__control/misbehave?clear=1" > /dev/null
	[ -z "$3" ] || mock_get "$1" "/__control/misbehave?route=$(url_enc "$2")&mode=$3" > /dev/null
}

# hits MOCK: how many requests the current rule spoiled.
hits() {
	mock_get "$1" /__control/misbehave/counters | sed -n 's/.*"hits":\([0-9]*\).*/\1/p' | head -n 1
}

# measure OUT CMD...: run CMD with a hard time limit, its stdout in OUT.out, stderr in OUT.err;
# sets RC, SECS and RSS (KiB; 0 without /usr/bin/time).
measure() {
	_mo=$1
	shift
	_t0=$(date +%s%N)
	if [ -n "$TIME" ]; then
		timeout -k 5 60 "$TIME" -f '%M' -o "$_mo.time" "$@" > "$_mo.out" 2> "$_mo.err" < /dev/null
		RC=$?
		RSS=$(tail -n 1 "$_mo.time" 2> /dev/null)
	else
		timeout -k 5 60 "$@" > "$_mo.out" 2> "$_mo.err" < /dev/null
		RC=$?
		RSS=0
	fi
	SECS=$(awk -v a="$_t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	case $RSS in '' | *[!0-9]*) RSS=0 ;; esac
}

# ids DB: the ids of the findings a store holds, sorted.
ids() {
	"$TFDRIFT" export --store "$1" --format jsonl 2> /dev/null |
	    sed -n 's/^{"id":"\([0-9a-f]*\)".*/\1/p' | sort
}

# cursor_kept DB: no poller's cursor in DB says more was read than was: CloudTrail never
# completed a window (no "end"), Cloud Logging's position is not at the window's end (its
# newest entries are a minute old; a position in the last 30 s is the end of the window).
cursor_kept() {
	python3 - "$1" <<'PY'
import json, sqlite3, sys, time, datetime
db = sqlite3.connect(sys.argv[1])
try:
    rows = db.execute("select name, value from cursors").fetchall()
except sqlite3.Error:
    rows = []
for name, value in rows:
    v = json.loads(value)
    if name.startswith("cloudtrail") and v.get("end", 0) != 0:
        sys.exit("%s: the window was completed: %s" % (name, value[:200]))
    if name.startswith("gcp") and "ts" in v:
        ts = datetime.datetime.fromisoformat(v["ts"][:19]).replace(tzinfo=datetime.timezone.utc)
        if time.time() - ts.timestamp() < 30:
            sys.exit("%s: the position is at the window's end: %s" % (name, v["ts"]))
PY
}

# A result line for the table: API FAULT RC SECS RSS, then stderr's first line.
row() {
	printf '%-10s %-10s %3s %5ss %7s KiB  %s\n' "$1" "$2" "$RC" "$SECS" "$RSS" \
	    "$(head -n 1 "$3.err" | cut -c 1-110)" >> "$T_TMP/table-$G"
}

# check NAME OUT WANT_RC NAME_RE [EXTRA_RE]: the run ended in time, within the memory bound,
# with WANT_RC and (for an error) stderr naming the source and matching EXTRA_RE.
check() {
	_n=$1 _co=$2
	ok "$([ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] && awk -v s="$SECS" -v b="$BOUND" 'BEGIN { exit !(s <= b) }'; echo $?)" \
	    "$_n: ends in bounded time (${SECS}s <= ${BOUND}s)"
	if [ -n "$TIME" ]; then
		ok "$([ "$RSS" -gt 0 ] && [ "$RSS" -le "$RSS_MAX" ]; echo $?)" "$_n: memory bounded (max RSS $RSS KiB)"
	fi
	ok "$([ "$RC" -eq "$3" ]; echo $?)" "$_n: exit status $3" || { t_diag "got $RC"; sed 's/^/#   /' "$_co.err" | head -n 5; }
	if [ "$3" -eq 1 ]; then
		grep -Eq -- "$4" "$_co.err"
		ok $? "$_n: stderr names the source" || sed 's/^/#   /' "$_co.err" | head -n 5
		! grep -Eq -- '^tfdrift: ([^:]+): \1: ' "$_co.err"
		ok $? "$_n: and names it once" || sed 's/^/#   /' "$_co.err" | head -n 5
		if grep -q 'no AWS credentials' "$_co.err"; then
			! grep -q 'no AWS credentials: no AWS credentials' "$_co.err"
			ok $? "$_n: says \"no AWS credentials\" once" || sed 's/^/#   /' "$_co.err" | head -n 5
		fi
		if [ -n "${5:-}" ]; then
			grep -Eq -- "$5" "$_co.err"
			ok $? "$_n: stderr says /$5/" || sed 's/^/#   /' "$_co.err" | head -n 5
		fi
	fi
}

# want_rc FAULT: the exit status a fault must give (a JSON or XML body labelled text/html is
# taken for the web page it says it is).
want_rc() {
	echo 1
}

# extra_re API FAULT: what stderr must also say for that fault.
extra_re() {
	case $2 in
	html | ctype) echo 'HTTP 200 with HTML, not (JSON|XML|a token|a CloudTrail log file) \(a proxy or captive portal\?\)' ;;
	redirect) echo 'HTTP 302 redirect to /[^ ]* \(tfdrift does not follow redirects' ;;
	big | bigchunked) echo 'larger than' ;;
	repeat) echo 'the same (NextToken|nextPageToken) twice' ;;
	cycle) echo 'already returned in this poll' ;;
	endless) echo 'after [0-9]+ pages \(max_pages\)' ;;
	esac
}

# once_cell API FAULT MOCK ROUTE REF_RC REF_IDS NAME_RE CMD...: a watch --once cell for a
# source's API: CMD with STORE set runs it. Then: the checks, one download of an oversized
# body, the cursor kept, and a clean run on the same store ends with REF_IDS.
once_cell() {
	_api=$1 _f=$2 _m=$3 _route=$4 _rrc=$5 _rids=$6 _re=$7
	shift 7
	_o=$T_TMP/$_api-$_f
	STORE=$_o.db
	export STORE
	spoil "$_m" "$_route" "$_f"
	measure "$_o" "$@"
	_hits=$(hits "$_m")
	spoil "$_m" "" ""
	check "$_api $_f" "$_o" "$(want_rc "$_f")" "$_re" "$(extra_re "$_api" "$_f")"
	row "$_api" "$_f" "$_o"
	case $_f in big | bigchunked)
		ok "$([ "$_hits" = 1 ]; echo $?)" "$_api $_f: the oversized body was downloaded once ($_hits)" ;;
	esac
	_why=$(cursor_kept "$STORE" 2>&1)
	ok $? "$_api $_f: the cursor did not move past what was not read" || t_diag "$_why"
	measure "$_o-after" "$@"
	t_is "$_api $_f: nothing lost: a clean run afterwards ends with the clean run's findings" \
	    "$(ids "$STORE")" "$_rids"
}

# The memory bound: a clean run's max RSS (a sanitizer build needs more) plus the slack.
measure "$T_TMP/base" "$TFDRIFT" watch --once --state "$DATA/aws_s3_full.tfstate" \
    --events "$DATA/invictus_1215Z.json" --store "$T_TMP/base.db"
RSS_MAX=$((RSS + RSS_SLACK))
[ -z "$TIME" ] || t_diag "max RSS of a clean run: $RSS KiB; the bound: $RSS_MAX KiB"

# ---- the groups ----

# CloudTrail LookupEvents.
group_lookup() {
	AWS_ACCESS_KEY_ID=AKIDMB AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	cat > "$T_TMP/lookup.yaml" <<CFG
states: [$DATA/aws_s3_full.tfstate]
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      lookback: 2h
      max_pages: 5
      endpoint: $MOCK_URL_ctA
CFG
	STORE=$T_TMP/lookup-ref.db
	measure "$T_TMP/lookup-ref" "$TFDRIFT" -c "$T_TMP/lookup.yaml" watch --once --store "$STORE"
	ref_rc=$RC
	ref_ids=$(ids "$STORE")
	ok "$([ "$ref_rc" -eq 2 ] && [ -n "$ref_ids" ]; echo $?)" "lookup: a clean run finds drift (exit $ref_rc)"
	for f in $FAULTS $PAGING; do
		once_cell lookup "$f" ctA LookupEvents "$ref_rc" "$ref_ids" 'cloudtrail lab us-east-1' \
		    sh -c '"$TFDRIFT" -c "$1" watch --once --once-timeout "$2" --store "$STORE"' - \
		    "$T_TMP/lookup.yaml" "$LIMIT"
	done

	# Continuous watch against a server that repeats its NextToken forever: the error is
	# said, and the poller waits its interval between polls instead of paging on silently.
	sed 's/max_pages: 5/max_pages: 5\n      poll_interval: 3s/' "$T_TMP/lookup.yaml" > "$T_TMP/lookup-live.yaml"
	spoil ctA LookupEvents repeat
	"$TFDRIFT" -c "$T_TMP/lookup-live.yaml" watch --store "$T_TMP/lookup-live.db" \
	    > "$T_TMP/lookup-live.out" 2> "$T_TMP/lookup-live.err" < /dev/null &
	pid=$!
	sleep 5
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	n=$(hits ctA)
	spoil ctA "" ""
	t_is "lookup repeat, continuous watch: SIGTERM still ends it cleanly" "$rc" 0
	t_like "lookup repeat, continuous watch: the repeated token is reported" \
	    "$(cat "$T_TMP/lookup-live.err")" 'cloudtrail lab us-east-1: .*the same NextToken twice'
	ok "$([ "$n" -ge 2 ] && [ "$n" -le 6 ]; echo $?)" \
	    "lookup repeat, continuous watch: two polls of two pages in 5 s, not a page loop ($n requests)"
}

# The SQS queue (EventBridge messages) and the S3 log files its notifications point at.
# Nothing lost there: no message is deleted unless its events were handed over.
group_sqs() {
	AWS_ACCESS_KEY_ID=AKIDMB AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	for q in eb logs; do
		cat > "$T_TMP/sqs-$q.yaml" <<CFG
states: [$DATA/aws_s3_full.tfstate]
sources:
  aws:
    - name: lab
      sqs_queue: $MOCK_URL_ctB/123456789012/$q
      sqs_region: us-east-1
      sqs_endpoint: $MOCK_URL_ctB
      s3_endpoint: $MOCK_URL_ctB
CFG
	done
	mock_get ctB "/__control/sqs/eventbridge?queue=eb&n=3" > /dev/null
	measure "$T_TMP/sqs-ref" "$TFDRIFT" -c "$T_TMP/sqs-eb.yaml" watch --once --store "$T_TMP/sqs-ref.db"
	ref_rc=$RC
	ok "$([ "$RC" -eq 0 ] || [ "$RC" -eq 2 ]; echo $?)" "sqs: a clean run reads the queue (exit $RC)" ||
	    sed 's/^/#   /' "$T_TMP/sqs-ref.err"
	ok "$(awk -v s="$SECS" 'BEGIN { exit !(s < 15) }'; echo $?)" \
	    "sqs: --once does not wait out a 20 s long poll on the empty queue (${SECS}s)"
	for api in sqs s3log; do
		if [ $api = sqs ]; then q=eb route=ReceiveMessage; else q=logs route='^GET /'; fi
		for f in $FAULTS; do
			_o=$T_TMP/$api-$f
			if [ $api = sqs ]; then
				mock_get ctB "/__control/sqs/eventbridge?queue=$q&n=3" > /dev/null
			else
				mock_get ctB "/__control/sqs/s3notify?queue=$q&bucket=trail&n=3" > /dev/null
			fi
			before=$(mock_get ctB "/__control/sqs/state?queue=$q" | sed -n 's/.*"deleted":\([0-9]*\).*/\1/p')
			spoil ctB "$route" "$f"
			measure "$_o" "$TFDRIFT" -c "$T_TMP/sqs-$q.yaml" watch --once --once-timeout "$LIMIT" \
			    --store "$_o.db"
			_hits=$(hits ctB)
			spoil ctB "" ""
			after=$(mock_get ctB "/__control/sqs/state?queue=$q" | sed -n 's/.*"deleted":\([0-9]*\).*/\1/p')
			check "$api $f" "$_o" "$(want_rc "$f")" 'sqs lab' "$(extra_re "$api" "$f")"
			row "$api" "$f" "$_o"
			case $f in big | bigchunked)
				ok "$([ "$_hits" = 1 ]; echo $?)" "$api $f: the oversized body was downloaded once ($_hits)" ;;
			esac
			t_is "$api $f: nothing lost: no message deleted unread" "$after" "$before"
		done
	done
}

# The AWS credential chain: STS AssumeRole (a profile with role_arn), EC2 instance metadata,
# container credentials. The CloudTrail mock accepts only the keys they hand out.
cat > "$T_TMP/aws-config" <<INI
[profile lab]
role_arn = arn:aws:iam::123456789012:role/tfdrift-reader
source_profile = src
region = us-east-1
INI
printf '[src]\naws_access_key_id = AKIDSRC\naws_secret_access_key = %s\n' "$SECRET" > "$T_TMP/aws-creds"

group_sts() {
	group_awscreds sts
}

group_imdscontainer() {
	group_awscreds imds container
}

group_awscreds() {
	for api in "$@"; do
		case $api in
		sts) m=authC ct=$MOCK_URL_ctC route='^POST /$' profile='      profile: lab' ;;
		imds) m=authD ct=$MOCK_URL_ctD route='^(PUT|GET) /latest/' profile= ;;
		container) m=authD ct=$MOCK_URL_ctD route='^GET /container/' profile= ;;
		esac
		cat > "$T_TMP/$api.yaml" <<CFG
states: [$DATA/aws_s3_full.tfstate]
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      lookback: 2h
$profile
      endpoint: $ct
CFG
		(
			eval "_mu=\$MOCK_URL_$m"
			case $api in
			sts)
				AWS_CONFIG_FILE=$T_TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$T_TMP/aws-creds
				AWS_ENDPOINT_URL_STS=$_mu
				export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL_STS ;;
			imds)
				AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$_mu
				export AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT ;;
			container)
				AWS_CONTAINER_CREDENTIALS_FULL_URI=$_mu/container/v1/creds
				AWS_CONTAINER_AUTHORIZATION_TOKEN=$CTOK
				export AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN ;;
			esac
			measure "$T_TMP/$api-ref" "$TFDRIFT" -c "$T_TMP/$api.yaml" watch --once --store "$T_TMP/$api-ref.db"
			ref_rc=$RC
			ref_ids=$(ids "$T_TMP/$api-ref.db")
			ok "$([ "$ref_rc" -eq 2 ] && [ -n "$ref_ids" ]; echo $?)" \
			    "$api: a clean run signs with its keys and finds drift (exit $ref_rc)" ||
			    sed 's/^/#   /' "$T_TMP/$api-ref.err"
			for f in $FAULTS; do
				once_cell "$api" "$f" "$m" "$route" "$ref_rc" "$ref_ids" 'cloudtrail lab us-east-1' \
				    sh -c '"$TFDRIFT" -c "$1" watch --once --once-timeout "$2" --store "$STORE"' - \
				    "$T_TMP/$api.yaml" "$LIMIT"
			done
			[ "$api" = imds ] || exit 0
			# A token with a line break goes into the next request's header: refused.
			curl -sS -X POST --data '{"imdsTokenValue":"tok\r\nX-Injected: 1"}' \
			    "$_mu/__control/set" > /dev/null
			measure "$T_TMP/imds-crlf" "$TFDRIFT" -c "$T_TMP/imds.yaml" watch --once \
			    --once-timeout "$LIMIT" --store "$T_TMP/imds-crlf.db"
			curl -sS -X POST --data '{"imdsTokenValue":null}' "$_mu/__control/set" > /dev/null
			check "imds crlf-token" "$T_TMP/imds-crlf" 1 'cloudtrail lab us-east-1' \
			    'token PUT .* is not a token'
		)
	done
}

# GCP: the OAuth token endpoint (a service-account key), the metadata server, and Cloud
# Logging's entries:list (its own group: the most cells).
gcp_config() {
	cat > "$T_TMP/$1.yaml" <<CFG
states: [$TOP_SRCDIR/doc/examples/gcp.tfstate]
sources:
  gcp:
    - name: lab
      project: corp-prod-4411
      lookback: 3d
      max_pages: 3
      endpoint: $2
CFG
}

group_gcptoken() {
	group_gcpauth gcptoken gcpE
}

group_gcpmeta() {
	group_gcpauth gcpmeta gcpG
}

# group_gcpauth API MOCK
group_gcpauth() {
	api=$1 m=$2
	eval "_mu=\$MOCK_URL_$m _mp=\$MOCK_PORT_$m"
	gcp_config "$api" "$_mu"
	(
		case $api in
		gcptoken)
			GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa-$m.json
			export GOOGLE_APPLICATION_CREDENTIALS
			route='^POST /token$' ;;
		gcpmeta)
			GCE_METADATA_HOST=127.0.0.1:$_mp
			export GCE_METADATA_HOST
			route='^GET /computeMetadata/' ;;
		esac
		measure "$T_TMP/$api-ref" "$TFDRIFT" -c "$T_TMP/$api.yaml" watch --once --store "$T_TMP/$api-ref.db"
		ref_rc=$RC
		ref_ids=$(ids "$T_TMP/$api-ref.db")
		ok "$([ "$ref_rc" -eq 2 ] && [ -n "$ref_ids" ]; echo $?)" \
		    "$api: a clean run gets a token and finds drift (exit $ref_rc)" ||
		    sed 's/^/#   /' "$T_TMP/$api-ref.err"
		for f in $FAULTS; do
			once_cell "$api" "$f" "$m" "$route" "$ref_rc" "$ref_ids" 'gcp lab corp-prod-4411' \
			    sh -c '"$TFDRIFT" -c "$1" watch --once --once-timeout "$2" --store "$STORE"' - \
			    "$T_TMP/$api.yaml" "$LIMIT"
		done
	)
}

group_logging() {
	GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/sa-gcpF.json
	export GOOGLE_APPLICATION_CREDENTIALS
	gcp_config logging "$MOCK_URL_gcpF"
	measure "$T_TMP/logging-ref" "$TFDRIFT" -c "$T_TMP/logging.yaml" watch --once --store "$T_TMP/logging-ref.db"
	ref_rc=$RC
	ref_ids=$(ids "$T_TMP/logging-ref.db")
	ok "$([ "$ref_rc" -eq 2 ] && [ -n "$ref_ids" ]; echo $?)" "logging: a clean run finds drift (exit $ref_rc)" ||
	    sed 's/^/#   /' "$T_TMP/logging-ref.err"
	for f in $FAULTS $PAGING; do
		once_cell logging "$f" gcpF 'entries:list' "$ref_rc" "$ref_ids" 'gcp lab corp-prod-4411' \
		    sh -c '"$TFDRIFT" -c "$1" watch --once --once-timeout "$2" --store "$STORE"' - \
		    "$T_TMP/logging.yaml" "$LIMIT"
	done
}

# State backends through watch --once (S3, the HTTP backend: the binary can point at them) and
# through state_probe (GCS, HCP Terraform: only the library takes their base URL). Nothing
# lost: the findings of an earlier run stay in the store; the probe keeps its last good copy.
state_cell() {
	_api=$1 _f=$2 _m=$3 _route=$4 _spec=$5 _re=$6
	_o=$T_TMP/$_api-$_f
	measure "$_o-pre" "$TFDRIFT" watch --once --state "$_spec" --events "$DATA/invictus_1215Z.json" \
	    --store "$_o.db"
	_pre=$(ids "$_o.db")
	spoil "$_m" "$_route" "$_f"
	measure "$_o" "$TFDRIFT" watch --once --once-timeout "$LIMIT" --state "$_spec" --store "$_o.db"
	_hits=$(hits "$_m")
	spoil "$_m" "" ""
	check "$_api $_f" "$_o" "$(want_rc "$_f")" "$_re" "$(extra_re "$_api" "$_f")"
	row "$_api" "$_f" "$_o"
	case $_f in big | bigchunked)
		ok "$([ "$_hits" = 1 ]; echo $?)" "$_api $_f: the oversized body was downloaded once ($_hits)" ;;
	esac
	ok "$([ -n "$_pre" ]; echo $?)" "$_api $_f: the earlier run found drift" || sed 's/^/#   /' "$_o-pre.err"
	t_is "$_api $_f: nothing lost: the earlier findings are still in the store" "$(ids "$_o.db")" "$_pre"
}

probe_cell() {
	_api=$1 _f=$2 _m=$3 _route=$4 _spec=$5 _re=$6
	shift 6
	_o=$T_TMP/$_api-$_f
	eval "_mu=\$MOCK_URL_$_m"
	spoil "$_m" "" ""
	measure "$_o" "$PROBE" "$_spec" "$@" --times 2 --deadline "$LIMIT_MS" \
	    --between "$_mu/__control/misbehave?route=$(url_enc "$_route")&mode=$_f"
	_hits=$(hits "$_m")
	spoil "$_m" "" ""
	# The probe's second fetch is the spoiled one; its error (JSON) is the message.
	sed -n '2s/.*"error":"\([^"]*\)".*/\1/p' "$_o.out" > "$_o.err2"
	cat "$_o.err" >> "$_o.err2"
	mv "$_o.err2" "$_o.err"
	check "$_api $_f" "$_o" "$(want_rc "$_f")" "$_re" "$(extra_re "$_api" "$_f")"
	row "$_api" "$_f" "$_o"
	case $_f in big | bigchunked)
		ok "$([ "$_hits" = 1 ]; echo $?)" "$_api $_f: the oversized body was downloaded once ($_hits)" ;;
	esac
	_s1=$(sed -n '1s/.*"serial":\([0-9]*\).*/\1/p' "$_o.out")
	_s2=$(sed -n '2s/.*"serial":\([0-9]*\).*/\1/p' "$_o.out")
	ok "$([ -n "$_s1" ] && [ "$_s1" = "$_s2" ]; echo $?)" \
	    "$_api $_f: nothing lost: the last good copy is kept (serial $_s1, then $_s2)"
}

group_s3state() {
	AWS_ACCESS_KEY_ID=AKIDMB AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	spec="s3://tfstate/prod/terraform.tfstate?region=us-east-1&endpoint=$(url_enc "$MOCK_URL_s3G")"
	for f in $FAULTS; do
		state_cell s3state "$f" s3G '^GET /' "$spec" 's3://tfstate/prod/terraform.tfstate[:?]'
	done
}

group_backends() {
	TF_HTTP_USERNAME=tfuser TF_HTTP_PASSWORD=http-pass-Mb1 STATE_PROBE_GCS_TOKEN=ya29.gcs-Mb2
	TF_TOKEN_app_terraform_io=hcp-Mb4
	export TF_HTTP_USERNAME TF_HTTP_PASSWORD STATE_PROBE_GCS_TOKEN TF_TOKEN_app_terraform_io
	for f in $FAULTS; do
		state_cell http "$f" beH '^GET /state/' "$MOCK_URL_beH/state/prod" "$MOCK_URL_beH/state/prod: "
		probe_cell gcs "$f" beH '^GET /storage/' gs://tfbucket/envs/prod 'gs://tfbucket/envs/prod' \
		    --gcs-url "$MOCK_URL_beH"
		probe_cell hcp "$f" beH '^GET /api/v2/' tfc://acme/prod-net 'tfc://acme/prod-net' \
		    --hcp-url "$MOCK_URL_beH"
	done
}

# ---- run the groups in parallel, then their results in order ----
MB_GROUPS=${MISBEHAVE_GROUPS:-lookup sqs sts imdscontainer gcptoken gcpmeta logging s3state backends}
GPIDS=
for G in $MB_GROUPS; do
	(
		_s=$(date +%s)
		"group_$G"
		echo "# group $G took $(($(date +%s) - _s)) s"
	) > "$T_TMP/tap-$G" 2>&1 < /dev/null &
	GPIDS="$GPIDS $!"
done
for p in $GPIDS; do
	wait "$p"
done
for G in $MB_GROUPS; do
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$(printf '%s\n' "$line" | sed 's/^ok [0-9]* - //')" ;;
		"not ok "*) ok 1 "$(printf '%s\n' "$line" | sed 's/^not ok [0-9]* - //')" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done < "$T_TMP/tap-$G"
done
t_diag "The matrix: API, fault, exit status, time, max RSS, the first line of stderr"
for G in $MB_GROUPS; do
	[ -f "$T_TMP/table-$G" ] && cat "$T_TMP/table-$G" | t_indent
done
t_done
