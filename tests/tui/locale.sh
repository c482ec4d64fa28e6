#!/bin/sh
# Numbers and times never follow LC_NUMERIC / LC_TIME (issue 12): under de_DE.UTF-8, where
# printf writes "80,5", strtod stops at the ".", and %b is "Mai", `scan` prints the same
# bytes as under C (text, json, csv) and the dashboard shows "80.5 → 95.5", "May 26" and
# RFC 3339 times. The locale is built with localedef into a private LOCPATH, so the test
# needs no locale installed system-wide (Debian: the `locales` package has the sources).
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start

need_cmd localedef || t_skip_all "localedef is not installed (Debian: the locales package)"
LOCPATH=$T_TMP/locales
mkdir -p "$LOCPATH"
localedef -i de_DE -f UTF-8 "$LOCPATH/de_DE.UTF-8" > "$T_TMP/localedef.log" 2>&1 ||
    [ -f "$LOCPATH/de_DE.UTF-8/LC_NUMERIC" ] ||
    t_skip_all "localedef cannot build de_DE.UTF-8 (no /usr/share/i18n locale sources: the locales package)"
export LOCPATH
# Loading a locale from LOCPATH, glibc splits the path into a list (argz) it keeps for the
# life of the process; LeakSanitizer reports that under the sanitizer build. Not tfdrift's
# memory: suppressed by name, every other leak is still reported.
printf 'leak:__argz_add_sep\n' > "$T_TMP/lsan.supp"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T_TMP/lsan.supp"
export LSAN_OPTIONS
# The locale really has a decimal comma: otherwise the test below would prove nothing.
[ "$(LC_ALL=de_DE.UTF-8 locale decimal_point 2> /dev/null)" = "," ] ||
    t_skip_all "the de_DE.UTF-8 locale built in $LOCPATH is not usable"

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER

# An alarm whose threshold (a double) someone moved by hand, a day before "now".
cat > "$T_TMP/alarm.tfstate" <<'JSON'
{"version": 4, "terraform_version": "1.5.7", "serial": 3, "lineage": "3f1c0c9e-locale-test",
 "outputs": {}, "resources": [
  {"mode": "managed", "type": "aws_cloudwatch_metric_alarm", "name": "cpu",
   "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"schema_version": 1, "attributes": {
     "id": "prod-cpu-high", "alarm_name": "prod-cpu-high", "threshold": 80.5,
     "comparison_operator": "GreaterThanThreshold", "evaluation_periods": 2,
     "metric_name": "CPUUtilization", "namespace": "AWS/EC2", "period": 300,
     "statistic": "Average"}}]}]}
JSON
cat > "$T_TMP/alarm.json" <<'JSON'
{"Records": [
 {"eventVersion": "1.08",
  "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice@corp.example",
   "arn": "arn:aws:sts::111122223333:assumed-role/AdminRole/alice@corp.example",
   "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLE",
   "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
     "arn": "arn:aws:iam::111122223333:role/AdminRole", "accountId": "111122223333",
     "userName": "AdminRole"}}},
  "eventTime": "2024-05-26T10:15:30Z", "eventSource": "monitoring.amazonaws.com",
  "eventName": "PutMetricAlarm", "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.7",
  "userAgent": "AWS Internal",
  "requestParameters": {"alarmName": "prod-cpu-high", "threshold": 95.5,
   "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 2,
   "metricName": "CPUUtilization", "namespace": "AWS/EC2", "period": 300,
   "statistic": "Average"},
  "responseElements": null, "requestID": "0b6f7c1e-locale-req",
  "eventID": "5a1d9c3e-7b2f-4e8a-9c1d-locale000001", "readOnly": false,
  "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333",
  "eventCategory": "Management"}]}
JSON

# scan: byte-identical output under C and de_DE.UTF-8, and the decimal value is right.
for f in text json csv; do
	LC_ALL=C "$TFDRIFT" scan --state "$T_TMP/alarm.tfstate" --events "$T_TMP/alarm.json" \
	    --format "$f" > "$T_TMP/c.$f" 2> "$T_TMP/c.$f.err"
	c_rc=$?
	LC_ALL=de_DE.UTF-8 "$TFDRIFT" scan --state "$T_TMP/alarm.tfstate" \
	    --events "$T_TMP/alarm.json" --format "$f" > "$T_TMP/de.$f" 2> "$T_TMP/de.$f.err"
	de_rc=$?
	t_is "scan --format $f: the same exit status under de_DE.UTF-8" "$de_rc" "$c_rc"
	t_ok "scan --format $f: byte-identical output under de_DE.UTF-8" cmp "$T_TMP/c.$f" "$T_TMP/de.$f"
	t_is "scan --format $f: the same messages under de_DE.UTF-8" "$(cat "$T_TMP/de.$f.err")" \
	    "$(cat "$T_TMP/c.$f.err")"
done
t_like "scan: the threshold change has its decimal point" "$(cat "$T_TMP/de.text")" '80\.5.*95\.5'
t_unlike "scan: no decimal comma" "$(cat "$T_TMP/de.text" "$T_TMP/de.json" "$T_TMP/de.csv")" '80,5|95,5'
t_like "scan --format json: the new value is the number 95.5" "$(cat "$T_TMP/de.json")" '"new": *95\.5'
t_like "scan --format json: times are RFC 3339" "$(cat "$T_TMP/de.json")" '"2024-05-26T10:15:30(\.000)?Z"'

# The dashboard sets the locale for ncursesw: only LC_CTYPE may follow it.
if need_cmd tmux; then
	tui_need_tmux
	TUI_LOCALE=de_DE.UTF-8
	tui_start de 120 40 "$TFDRIFT" ui --state "$T_TMP/alarm.tfstate" --events "$T_TMP/alarm.json" \
	    --store "$T_TMP/de.db"
	t_screen "the dashboard lists the alarm" de 'aws_cloudwatch_metric_alarm\.cpu'
	t_like "UTF-8 still works (LC_CTYPE follows the environment): the list has its ▼" "$TUI_SCREEN" '▼'
	t_like "the list's time is C's month name, not LC_TIME's" "$TUI_SCREEN" 'May 26 10:15'
	t_unlike "no German month" "$TUI_SCREEN" 'Mai 26'
	tui_keys de Enter
	t_screen "the detail shows 80.5 → 95.5" de 'threshold: 80\.5 → 95\.5'
	t_unlike "no decimal comma anywhere" "$TUI_SCREEN" '80,5|95,5'
	t_like "the detail's times are RFC 3339" "$TUI_SCREEN" '2024-05-26T10:15:30(\.000)?Z'
	tui_keys de q
	tui_exit de 10
	t_is "the dashboard exits cleanly" "$TUI_RC" 0
	# What the dashboard stored reads back the same under both locales.
	for f in json csv; do
		LC_ALL=C "$TFDRIFT" export --store "$T_TMP/de.db" --format "$f" > "$T_TMP/exp-c.$f" 2>&1
		LC_ALL=de_DE.UTF-8 "$TFDRIFT" export --store "$T_TMP/de.db" --format "$f" \
		    > "$T_TMP/exp-de.$f" 2>&1
		t_ok "export --format $f of the dashboard's store: byte-identical under de_DE.UTF-8" \
		    cmp "$T_TMP/exp-c.$f" "$T_TMP/exp-de.$f"
	done
	t_like "export --format json: 95.5, stored by the dashboard under de_DE.UTF-8" \
	    "$(cat "$T_TMP/exp-de.json")" '"new": *95\.5'
else
	t_skip "the dashboard under de_DE.UTF-8" "tmux is not installed"
fi
t_done
