#!/bin/sh
# Secrets never leave tfdrift: a state holding an IAM access key secret, an SMTP password, a
# database password and Lambda environment variables (marked sensitive or not), and events
# that touch exactly those attributes (some carrying secrets themselves, as a reshaped record
# could), scanned with every output format, --explain, -o and --store: no secret string
# appears in stdout, stderr or any file written. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/secrets.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

if [ ! -x "$TFDRIFT" ]; then
	t_skip_all "no tfdrift binary at $TFDRIFT"
fi
# Never read the user's config or touch the real XDG store.
XDG_CONFIG_HOME=$T_TMP/xdg-config
XDG_STATE_HOME=$T_TMP/xdg-state
NO_COLOR=1
export XDG_CONFIG_HOME XDG_STATE_HOME NO_COLOR

# Every secret contains "SeCrEt-": one pattern finds them all, in any output.
SECRET='SeCrEt-'
state=$T_TMP/secrets.tfstate
cat > "$state" <<'JSON'
{"version":4,"terraform_version":"1.5.7","serial":3,"lineage":"5f0c0000-0000-4000-8000-00000000secr","outputs":{},"resources":[
 {"mode":"managed","type":"aws_iam_access_key","name":"deploy","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":0,"attributes":{"id":"AKIAEXAMPLEDEPLOY001","user":"deploy","status":"Active",
   "secret":"SeCrEt-iam-wJalrXUtnFEMI/K7MDENG/bPxRfiCY","ses_smtp_password_v4":"SeCrEt-smtp-BExampleSmtpPassword",
   "encrypted_secret":null,"pgp_key":null,"create_date":"2024-05-01T10:00:00Z"},
   "sensitive_attributes":[[{"type":"get_attr","value":"secret"}],[{"type":"get_attr","value":"ses_smtp_password_v4"}]]}]},
 {"mode":"managed","type":"aws_iam_access_key","name":"legacy","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":0,"attributes":{"id":"AKIAEXAMPLELEGACY01","user":"legacy","status":"Active",
   "secret":"SeCrEt-iam-legacy-unmarked-in-state"},"sensitive_attributes":[]}]},
 {"mode":"managed","type":"aws_db_instance","name":"prod","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":2,"attributes":{"id":"db-ABCDEFGHIJKLMNOPQRSTUVWXY1","identifier":"production-db",
   "instance_class":"db.t3.micro","username":"admin","password":"SeCrEt-db-correct-horse-battery"},
   "sensitive_attributes":[[{"type":"get_attr","value":"password"}]]}]},
 {"mode":"managed","type":"aws_lambda_function","name":"api","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":0,"attributes":{"id":"production-api","function_name":"production-api","timeout":3,
   "environment":[{"variables":{"DB_HOST":"db.internal","API_TOKEN":"SeCrEt-env-tok-live-1"}}]},
   "sensitive_attributes":[[{"type":"get_attr","value":"environment"}]]}]}]}
JSON

rec() { # rec ID SOURCE NAME REQUEST RESPONSE
	printf '{"eventVersion":"1.08","eventID":"%s","eventTime":"2024-05-27T10:00:00Z","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11.6","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOB","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"requestParameters":%s,"responseElements":%s}\n' "$1" "$2" "$3" "$4" "$5"
}
events=$T_TMP/events.jsonl
{
	rec s1 iam.amazonaws.com DeleteAccessKey '{"userName":"deploy","accessKeyId":"AKIAEXAMPLEDEPLOY001"}' null
	rec s2 iam.amazonaws.com UpdateAccessKey '{"userName":"legacy","accessKeyId":"AKIAEXAMPLELEGACY01","status":"Inactive"}' null
	rec s3 iam.amazonaws.com CreateAccessKey '{"userName":"legacy"}' '{"accessKey":{"accessKeyId":"AKIAEXAMPLELEGACY01","userName":"legacy","status":"Active","secretAccessKey":"SeCrEt-event-iam-1","createDate":"May 27, 2024 10:00:00 AM"}}'
	rec s4 iam.amazonaws.com CreateAccessKey '{"userName":"mallory"}' '{"accessKey":{"accessKeyId":"AKIAEXAMPLENEW00001","userName":"mallory","status":"Active","secretAccessKey":"SeCrEt-event-iam-2","createDate":"May 27, 2024 10:00:00 AM"}}'
	rec s5 rds.amazonaws.com ModifyDBInstance '{"dBInstanceIdentifier":"production-db","masterUserPassword":"SeCrEt-event-db-1","applyImmediately":true}' null
	rec s6 rds.amazonaws.com CreateDBInstance '{"dBInstanceIdentifier":"shadow-db","dBInstanceClass":"db.t3.micro","engine":"mysql","masterUsername":"admin","masterUserPassword":"SeCrEt-event-db-2"}' '{"dBInstanceIdentifier":"shadow-db","dBInstanceStatus":"creating"}'
	rec s7 lambda.amazonaws.com UpdateFunctionConfiguration20150331v2 '{"functionName":"production-api","timeout":30,"environment":{"variables":{"DB_HOST":"db.internal","API_TOKEN":"SeCrEt-event-env-2"}}}' '{"functionName":"production-api","timeout":30,"environment":{}}'
} > "$events"

# Sanity: the inputs really hold the secrets, and the scan really touches them.
t_like "the state holds the secrets" "$(cat "$state")" "$SECRET"
t_like "the events hold secrets too" "$(cat "$events")" "$SECRET"

for fmt in json jsonl text csv sarif markdown; do
	t_exit "scan --format $fmt finds the drift" 2 "$TFDRIFT" scan --state "$state" --events "$events" --format "$fmt" --explain
	t_unlike "no secret on stdout ($fmt)" "$T_OUT" "$SECRET"
	t_unlike "no secret on stderr ($fmt)" "$T_ERR" "$SECRET"
done

t_exit "jsonl scan" 2 "$TFDRIFT" scan --state "$state" --events "$events" --format jsonl
jsonl=$T_OUT
# The legacy key made Inactive (s2) is Active again once re-created (s3): that finding is
# written again, resolved.
t_is "seven findings" "$(printf '%s\n' "$jsonl" | grep -o '^{"id":"[0-9a-f]*"' | sort -u | wc -l | tr -d ' ')" 7
t_is "and one resolution" "$(printf '%s\n' "$jsonl" | grep -c '"status":"resolved"')" 1
t_like "the deleted key is reported" "$jsonl" '"kind":"deleted".*"AKIAEXAMPLEDEPLOY001"'
t_like "the re-created key's secret is a masked change" "$jsonl" '"attribute":"secret","old":"\(sensitive\)","new":"\(sensitive\)"'
t_like "the new key's secret is masked" "$jsonl" '"AKIAEXAMPLENEW00001".*"attribute":"secret","old":"\(sensitive\)"'
t_like "the database password is a masked change" "$jsonl" '"attribute":"password","old":"\(sensitive\)","new":"\(sensitive\)"'
t_like "the environment is a masked change" "$jsonl" '"attribute":"environment.0.variables","old":"\(sensitive\)","new":"\(sensitive\)"'
t_like "the status change is shown" "$jsonl" '"attribute":"status","old":"Active","new":"Inactive"'

t_exit "-o writes the findings document" 2 "$TFDRIFT" scan --state "$state" --events "$events" -o "$T_TMP/out.json"
t_ok "the file is there" test -s "$T_TMP/out.json"
t_unlike "no secret in the -o file" "$(cat "$T_TMP/out.json")" "$SECRET"

store=$T_TMP/store/tfdrift.db
t_run "$TFDRIFT" scan --state "$state" --events "$events" --format jsonl --store "$store"
if [ "$T_RC" -eq 2 ] && [ -f "$store" ]; then
	ok 0 "scan --store saves the findings"
	# Byte search of the database and its journal files (strings may be split only by SQLite
	# page boundaries, which 40-byte secrets in rows of a fresh database do not cross).
	t_run sh -c "cat '$store'* | LC_ALL=C grep -ac '$SECRET'"
	t_is "no secret in the store files" "$T_OUT" 0
	for fmt in json jsonl csv sarif markdown; do
		t_exit "export --format $fmt" 0 "$TFDRIFT" export --store "$store" --status all --format "$fmt"
		t_unlike "no secret in the export ($fmt)" "$T_OUT$T_ERR" "$SECRET"
	done
else
	t_skip "scan --store saves the findings" "the store is not usable here (exit $T_RC)"
fi

# config check prints the resolved configuration, often pasted into a ticket: presigned state
# URLs keep their shape but not their signature, token or credential (as errors and the
# trace show them), nor a password in the URL.
cat > "$T_TMP/presigned.yaml" <<'YAML'
states:
  - "https://tfstate.s3.eu-west-1.amazonaws.com/prod.tfstate?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240527%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20240527T100000Z&X-Amz-Expires=3600&X-Amz-Security-Token=SeCrEt-token-IQoJb3JpZ2luX2Vj&X-Amz-SignedHeaders=host&X-Amz-Signature=SeCrEt-sig-5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
  - "https://storage.googleapis.com/tfstate/prod.tfstate?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=SeCrEt-goog-cred&X-Goog-Signature=SeCrEt-goog-sig"
  - "https://deploy:SeCrEt-basic-pw@state.example/prod"
  - ./local.tfstate
YAML
t_ok "config check with presigned state URLs" "$TFDRIFT" config check -c "$T_TMP/presigned.yaml"
t_unlike "no signature, token or password in config check" "$T_OUT$T_ERR" "$SECRET"
t_like "the URL is still recognisable" "$T_OUT" \
    '"https://tfstate\.s3\.eu-west-1\.amazonaws\.com/prod\.tfstate\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20240527T100000Z&X-Amz-Expires=3600&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=REDACTED&X-Amz-Signature=REDACTED"'
t_like "and says it is redacted" "$T_OUT" '# a URL holding secrets .*: shown redacted'
t_like "a URL's user and password show as REDACTED" "$T_OUT" '  - "https://REDACTED@state\.example/prod"'
t_like "a plain path is as it was" "$T_OUT" '  - "\./local\.tfstate"'
# The output loads back to the same output (after its first line, which names the file), the
# redaction notes included: what was redacted stays marked, nothing is dropped silently.
printf '%s\n' "$T_OUT" > "$T_TMP/dump.yaml"
sed 1d "$T_TMP/dump.yaml" > "$T_TMP/dump1"
t_ok "config check of config check's output" "$TFDRIFT" config check -c "$T_TMP/dump.yaml"
printf '%s\n' "$T_OUT" | sed 1d > "$T_TMP/dump2"
t_ok "is the same configuration, redaction notes included" diff "$T_TMP/dump1" "$T_TMP/dump2"
t_done
