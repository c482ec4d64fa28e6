#!/bin/sh
# AWS endpoints and TLS the way people configure them: the endpoint of every service against
# botocore's own resolution (tests/live/aws_endpoints_botocore.py: partitions aws, aws-cn,
# aws-us-gov, aws-iso, aws-iso-b; FIPS from the environment and from the profile), the
# precedence of AWS_ENDPOINT_URL_<ID>, AWS_ENDPOINT_URL, the config file's [services NAME]
# sections and a profile's endpoint_url, ignore_configured_endpoint_urls; tfdrift watch reading
# CloudTrail and SQS through endpoints named only in the config file; and an HTTPS mock signed
# by a CA made here (openssl) that works only with AWS_CA_BUNDLE or the profile's ca_bundle.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
# (before any test: a skip after tests ran would confuse TAP)
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"

PROBE=$TOP_BUILDDIR/tests/live/aws_creds_probe
[ -x "$PROBE" ] || t_skip_all "aws_creds_probe is not built"
H=$T_TMP/home
mkdir -p "$H/.aws"
CFG=$H/.aws/config

# pr [VAR=VALUE...] ARGS: the probe in a clean environment (only what the test sets).
pr() {
	_env=
	while :; do
		case $1 in *=*) _env="$_env $1"; shift ;; *) break ;; esac
	done
	# shellcheck disable=SC2086
	t_run env -i PATH="$PATH" HOME="$H" $_env \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	    "$PROBE" "$@"
}

# 1. The oracle: for each region x service x FIPS setting, the host botocore sends to.
printf '[profile fips]\nuse_fips_endpoint = true\n' > "$CFG"
REGIONS="us-east-1 eu-west-1 cn-north-1 us-gov-west-1 us-iso-east-1 us-isob-east-1"
SERVICES="cloudtrail sqs s3 sts"
env -i PATH="$PATH" HOME="$H" AWS_CONFIG_FILE="$CFG" /usr/bin/python3 \
    "$TOP_SRCDIR/tests/live/aws_endpoints_botocore.py" $REGIONS -- $SERVICES \
    > "$T_TMP/oracle" 2> "$T_TMP/oracle.err"
ORC=$?
if [ "$ORC" -eq 77 ]; then
	t_skip "endpoints against botocore" "python3-botocore is not installed"
elif [ "$ORC" -ne 0 ]; then
	ok 1 "the botocore oracle ran"
	t_indent < "$T_TMP/oracle.err"
else
	t_is "the oracle answered for every case" "$(wc -l < "$T_TMP/oracle" | tr -d ' ')" 72
	while read -r region svc fips want; do
		id=$(printf '%s' "$svc" | tr a-z A-Z)
		case $fips in
		off) pr --endpoint "$id" "$svc" "$region" ;;
		env) pr AWS_USE_FIPS_ENDPOINT=true --endpoint "$id" "$svc" "$region" ;;
		profile) pr AWS_CONFIG_FILE="$CFG" --profile fips --endpoint "$id" "$svc" "$region" ;;
		esac
		if [ "$want" = error ]; then
			got=$T_ERR
			[ "$T_RC" -ne 0 ] && [ -z "$T_OUT" ] && got=error
			t_is "$region $svc FIPS $fips: refused like botocore" "$got" error
		else
			t_is "$region $svc FIPS $fips: $want" "$T_OUT" "$want"
		fi
	done < "$T_TMP/oracle"
fi
# What the user sees where botocore refuses (S3 has no FIPS endpoint in China).
pr AWS_USE_FIPS_ENDPOINT=true --endpoint S3 s3 cn-north-1
t_is "no FIPS S3 in aws-cn: exit 1" "$T_RC" 1
t_like "saying so" "$T_ERR" 'use_fips_endpoint: S3 has no FIPS endpoint in region cn-north-1 \(partition aws-cn\); turn FIPS off or set an endpoint_url'
t_diag "$T_ERR"
pr AWS_USE_FIPS_ENDPOINT=yes --endpoint STS sts us-east-1
t_like "AWS_USE_FIPS_ENDPOINT=yes is refused, named" "$T_ERR" 'AWS_USE_FIPS_ENDPOINT=yes: expected true or false'
t_diag "$T_ERR"

# 2. The precedence of the AWS SDKs and Tools Reference Guide, "Service-specific endpoints"
# (botocore >= 1.31; Debian's 1.29 predates it, so the documented order is the oracle here):
# AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > [services NAME] of the profile > the
# profile's endpoint_url > the default.
cat > "$CFG" <<EOC
[default]
region = eu-west-1

[profile lab]
endpoint_url = http://profile.test:1/
services = local

[services local]
cloudtrail =
  endpoint_url = http://ct-section.test:2
sso_oidc =
  endpoint_url = http://oidc-section.test:3
s3 =
  max_concurrent_requests = 10

[profile ignoring]
endpoint_url = http://profile.test:1
ignore_configured_endpoint_urls = true

[profile other]
services = missing
EOC
pe() {
	pr AWS_CONFIG_FILE="$CFG" "$@"
}
pe --profile lab --endpoint CLOUDTRAIL cloudtrail eu-west-1
t_is "[services local] names CloudTrail's endpoint" "$T_OUT" "http://ct-section.test:2"
pe --profile lab --endpoint SSO_OIDC oidc eu-west-1
t_is "the SDKs' id SSO_OIDC is sso_oidc in the section" "$T_OUT" "http://oidc-section.test:3"
pe --profile lab --endpoint S3 s3 eu-west-1
t_is "a service in the section without endpoint_url: the profile's endpoint_url" "$T_OUT" "http://profile.test:1"
pe --profile lab --endpoint SQS sqs eu-west-1
t_is "a service not in the section: the profile's endpoint_url (no trailing slash)" "$T_OUT" "http://profile.test:1"
pe AWS_ENDPOINT_URL=http://global.test --profile lab --endpoint CLOUDTRAIL cloudtrail eu-west-1
t_is "AWS_ENDPOINT_URL beats the config file" "$T_OUT" "http://global.test"
pe AWS_ENDPOINT_URL=http://global.test AWS_ENDPOINT_URL_CLOUDTRAIL=http://svc.test \
    --profile lab --endpoint CLOUDTRAIL cloudtrail eu-west-1
t_is "AWS_ENDPOINT_URL_CLOUDTRAIL beats AWS_ENDPOINT_URL" "$T_OUT" "http://svc.test"
pe AWS_PROFILE=lab --endpoint CLOUDTRAIL cloudtrail eu-west-1
t_is "the profile AWS_PROFILE selects" "$T_OUT" "http://ct-section.test:2"
pe AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true AWS_ENDPOINT_URL=http://global.test --profile lab \
    --endpoint CLOUDTRAIL cloudtrail eu-west-1
t_is "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: the default endpoint" "$T_OUT" "https://cloudtrail.eu-west-1.amazonaws.com"
pe --profile ignoring --endpoint SQS sqs cn-north-1
t_is "ignore_configured_endpoint_urls = true in the profile" "$T_OUT" "https://sqs.cn-north-1.amazonaws.com.cn"
pe AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false --profile ignoring --endpoint SQS sqs eu-west-1
t_is "the variable beats the profile's ignore_configured_endpoint_urls" "$T_OUT" "http://profile.test:1"
pe --profile other --endpoint SQS sqs eu-west-1
t_is "services = a section that does not exist: the default" "$T_OUT" "https://sqs.eu-west-1.amazonaws.com"
pe --endpoint SQS sqs eu-west-1
t_is "[default] has none: the default" "$T_OUT" "https://sqs.eu-west-1.amazonaws.com"

# 3. CA bundles: what is wrong is named with the file and the setting.
cat > "$CFG" <<EOC
[profile badca]
ca_bundle = $T_TMP/no-such-ca.pem
[profile notpem]
ca_bundle = $CFG
EOC
pe --profile badca --ca-bundle
t_like "a missing ca_bundle: the file and the setting" "$T_ERR" \
    "$T_TMP/no-such-ca.pem: .*No such file.*\(the CA bundle named by ca_bundle of profile badca in $CFG\)"
t_diag "$T_ERR"
pe --profile notpem --ca-bundle
t_like "a file that is not PEM" "$T_ERR" "ca_bundle of profile notpem in $CFG names the CA bundle $CFG, which holds no PEM certificate"
t_diag "$T_ERR"
pe AWS_CA_BUNDLE="$T_TMP/env-ca.pem" --profile badca --ca-bundle
t_like "AWS_CA_BUNDLE beats the profile's (and is named)" "$T_ERR" \
    "env-ca.pem: .*\(the CA bundle named by AWS_CA_BUNDLE\)"

# 4. tfdrift watch through endpoints the config file names, and TLS with a private CA.
DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
SECRET=wJalrXUtnFEMI-K7MDENG-endpoint-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDEP:$SECRET"
# A CA and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tfdrift test CA" \
    -keyout "$T_TMP/ca.key" -out "$T_TMP/ca.pem" > "$T_TMP/openssl.log" 2>&1 &&
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T_TMP/srv.key" \
    -out "$T_TMP/srv.csr" >> "$T_TMP/openssl.log" 2>&1 &&
printf 'subjectAltName = IP:127.0.0.1\n' > "$T_TMP/san.ext" &&
openssl x509 -req -in "$T_TMP/srv.csr" -CA "$T_TMP/ca.pem" -CAkey "$T_TMP/ca.key" \
    -CAcreateserial -days 2 -extfile "$T_TMP/san.ext" -out "$T_TMP/srv.pem" >> "$T_TMP/openssl.log" 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
    -keyout "$T_TMP/ca2.key" -out "$T_TMP/ca2.pem" >> "$T_TMP/openssl.log" 2>&1
ok $? "CAs and a server certificate made with openssl" || t_indent < "$T_TMP/openssl.log"
mock_start tls "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDEP:$SECRET" --tls "$T_TMP/srv.pem:$T_TMP/srv.key"
TLS_URL=https://127.0.0.1:$MOCK_PORT_tls
# China: signatures for cn-* regions only.
mock_start cn "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDEP:$SECRET" --regions cn-northwest-1,cn-north-1

cat > "$CFG" <<EOC
[profile lab]
region = us-east-1
aws_access_key_id = AKIDEP
aws_secret_access_key = $SECRET
services = mock

[services mock]
cloudtrail =
  endpoint_url = $MOCK_URL_ct
sqs =
  endpoint_url = $MOCK_URL_ct
s3 =
  endpoint_url = $MOCK_URL_ct

[profile china]
aws_access_key_id = AKIDEP
aws_secret_access_key = $SECRET
endpoint_url = $MOCK_URL_cn

[profile tls]
aws_access_key_id = AKIDEP
aws_secret_access_key = $SECRET
endpoint_url = $TLS_URL

[profile tlsca]
aws_access_key_id = AKIDEP
aws_secret_access_key = $SECRET
endpoint_url = $TLS_URL
ca_bundle = $T_TMP/ca.pem

[profile tlsbad]
aws_access_key_id = AKIDEP
aws_secret_access_key = $SECRET
endpoint_url = $TLS_URL
ca_bundle = $T_TMP/missing-ca.pem
EOC
# conf PROFILE [EXTRA YAML]: a tfdrift config with one AWS source and no endpoint of its own.
conf() {
	cat > "$T_TMP/$1.yaml" <<CONF
states: [$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate]
store: $T_TMP/$1.db
sources:
  aws:
    - name: lab
      profile: $1
      regions: [us-east-1]
      lookback: 2h
$2
CONF
}
# tw PROFILE [VAR=VALUE...]: tfdrift watch --once in a clean environment.
tw() {
	_p=$1
	shift
	rm -f "$T_TMP/$_p.db"
	t_run env -i PATH="$PATH" HOME="$H" AWS_CONFIG_FILE="$CFG" TFDRIFT_TRACE="$T_TMP/trace" \
	    TFDRIFT_DATADIR="$TFDRIFT_DATADIR" AWS_SHARED_CREDENTIALS_FILE="$T_TMP/none" AWS_EC2_METADATA_DISABLED=true "$@" \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	    "$TFDRIFT" -c "$T_TMP/$_p.yaml" watch --once
}
: > "$T_TMP/trace"
conf lab
tw lab
t_is "watch: CloudTrail at the endpoint of [services mock]: drift, exit 2" "$T_RC" 2
t_like "findings" "$T_OUT" '^\{"id":"[0-9a-f]{32}","kind":'
t_like "the requests went to the mock" "$(cat "$T_TMP/trace")" "POST $MOCK_URL_ct/ -> 200"
t_unlike "and nowhere else" "$(cat "$T_TMP/trace")" "amazonaws"
t_like "signed and accepted" "$(mock_get ct /__control/counters)" '"rejected":0'

# SQS (EventBridge messages) through the same section: the queue's own URL is AWS's.
mock_get ct '/__control/sqs/eventbridge?queue=eb&n=3' > /dev/null
cat > "$T_TMP/sqs.yaml" <<CONF
states: [$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate]
store: $T_TMP/sqs.db
sources:
  aws:
    - name: lab
      profile: lab
      sqs_queue: https://sqs.us-east-1.amazonaws.com/123456789012/eb
CONF
: > "$T_TMP/trace"
tw sqs
ok "$([ "$T_RC" -eq 0 ] || [ "$T_RC" -eq 2 ]; echo $?)" "watch: SQS at the endpoint of [services mock] (exit $T_RC)" ||
    t_diag "$T_ERR"
t_like "ReceiveMessage went to the mock" "$(cat "$T_TMP/trace")" "POST $MOCK_URL_ct/ -> 200"
t_like "the 3 messages were consumed and deleted" "$(mock_get ct '/__control/sqs/state?queue=eb')" '"visible":0,"inflight":0,"deleted":3'

# China: the global services (IAM, STS) log in cn-north-1, not us-east-1: that is the
# region polled besides the listed one (the mock refuses signatures for any other region).
cat > "$T_TMP/china.yaml" <<CONF
states: [$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate]
store: $T_TMP/china.db
sources:
  aws:
    - name: cn
      profile: china
      regions: [cn-northwest-1]
      lookback: 2h
CONF
tw china
t_is "watch in China: exit 0 (no China events in the sample)" "$T_RC" 0
t_is "no error" "$T_ERR" ""
C=$(mock_get cn /__control/counters)
t_like "cn-northwest-1 was polled" "$C" '"AKIDEP/cn-northwest-1/cloudtrail":[1-9]'
t_like "and cn-north-1 for the global services" "$C" '"AKIDEP/cn-north-1/cloudtrail":[1-9]'
t_like "nothing else (us-east-1 would be refused)" "$C" '"rejected":0'

# TLS: the mock's CA is not the system's.
conf tls
tw tls
t_is "HTTPS with a private CA and no bundle: exit 1" "$T_RC" 1
t_like "the TLS failure, with what to do" "$T_ERR" \
    "cloudtrail lab us-east-1: .*$TLS_URL/.*(SSL|certificate).*\(is its CA in AWS_CA_BUNDLE or the profile's ca_bundle\?\)"
t_diag "$T_ERR"
tw tls AWS_CA_BUNDLE="$T_TMP/ca.pem"
t_is "AWS_CA_BUNDLE=ca.pem: exit 2 (drift)" "$T_RC" 2
t_like "findings over HTTPS" "$T_OUT" '^\{"id":"[0-9a-f]{32}","kind":'
conf tlsca
tw tlsca
t_is "ca_bundle in the profile: exit 2 (drift)" "$T_RC" 2
t_like "findings over HTTPS" "$T_OUT" '^\{"id":"[0-9a-f]{32}","kind":'
tw tlsca AWS_CA_BUNDLE="$T_TMP/ca2.pem"
t_is "AWS_CA_BUNDLE wins over ca_bundle: a bundle without the CA fails" "$T_RC" 1
t_like "saying the bundle does not vouch for it" "$T_ERR" "\(the CA bundle does not vouch for it\)"
t_diag "$T_ERR"
conf tlsbad
tw tlsbad
t_is "a missing ca_bundle: exit 1" "$T_RC" 1
t_like "naming the file and the setting" "$T_ERR" \
    "cloudtrail lab us-east-1: $T_TMP/missing-ca.pem: .*\(the CA bundle named by ca_bundle of profile tlsbad in $CFG\)"
t_diag "$T_ERR"
# An S3 state: the bundle is checked when the state source is made.
printf '{"Records":[]}\n' > "$T_TMP/none.json"
cat > "$T_TMP/s3.yaml" <<CONF
states: ["s3://state-bucket/prod/terraform.tfstate?region=cn-north-1"]
store: $T_TMP/s3.db
sources:
  files: [$T_TMP/none.json]
CONF
t_run env -i PATH="$PATH" HOME="$H" AWS_CONFIG_FILE="$CFG" AWS_CA_BUNDLE="$T_TMP/gone.pem" \
    TFDRIFT_DATADIR="$TFDRIFT_DATADIR" "$TFDRIFT" -c "$T_TMP/s3.yaml" watch --once
t_is "an S3 state with a missing AWS_CA_BUNDLE: exit 1" "$T_RC" 1
t_like "naming the state, the file and the variable" "$T_ERR" \
    "s3://state-bucket/prod/terraform.tfstate.*: $T_TMP/gone.pem: .*\(the CA bundle named by AWS_CA_BUNDLE\)"
t_diag "$T_ERR"
t_unlike "no secret anywhere" "$(cat "$T_TMP/trace" "$T_TMP/.out" "$T_TMP/.err")" "$SECRET"

t_done
