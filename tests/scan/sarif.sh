#!/bin/sh
# scan and export --format sarif: a SARIF 2.1.0 log for code scanning. Every log is checked by
# hand (tests/sarif_check.py: the structure code scanning reads, and against the findings
# document of the same scan), and against the official SARIF 2.1.0 schema when it can be had:
# the schema ships in the npm package @microsoft/jest-sarif (pinned, its sha256 checked),
# fetched once into the build tree with `npm pack` (or TFDRIFT_SARIF_SCHEMA names the file);
# offline, that part is skipped and says why. Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	t_skip_all "python3-jsonschema is not installed"
fi
XDG_CONFIG_HOME=$T_TMP/xdg-config
XDG_STATE_HOME=$T_TMP/xdg-state
export XDG_CONFIG_HOME XDG_STATE_HOME
case $TFDRIFT in /*) ;; *) TFDRIFT=$(pwd)/$TFDRIFT ;; esac
check() { /usr/bin/python3 "$TOP_SRCDIR/tests/sarif_check.py" "$@"; }
# A log on one line (json.dumps: ", " and ": " between members), for patterns across members.
compact() { /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$1"; }

SCHEMA_PKG=@microsoft/jest-sarif@1.0.0-beta.0
SCHEMA_FILE=package/lib/schemas/sarif-2.1.0-rtm.5.json
SCHEMA_SHA256=2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8
# get_schema: the schema's path on stdout, or a reason on stderr and false.
get_schema() {
	if [ -n "${TFDRIFT_SARIF_SCHEMA:-}" ]; then
		echo "$TFDRIFT_SARIF_SCHEMA"
		return 0
	fi
	_dir=$TOP_BUILDDIR/tests/sarif-schema
	_want=$_dir/sarif-2.1.0.json
	if [ -f "$_want" ] && echo "$SCHEMA_SHA256  $_want" | sha256sum -c --status; then
		echo "$_want"
		return 0
	fi
	need_cmd npm || { echo "npm is not installed" >&2; return 1; }
	mkdir -p "$_dir" "$T_TMP/npm"
	if ! (cd "$T_TMP/npm" && timeout 120 npm pack --loglevel=error --cache "$T_TMP/npm/cache" \
	    "$SCHEMA_PKG" > pack.out 2> pack.err); then
		echo "npm pack $SCHEMA_PKG failed (offline?): $(grep -m 1 . "$T_TMP/npm/pack.err")" >&2
		return 1
	fi
	if ! (cd "$T_TMP/npm" && tar xzf "$(tail -n 1 pack.out)" "$SCHEMA_FILE"); then
		echo "no $SCHEMA_FILE in $SCHEMA_PKG" >&2
		return 1
	fi
	if ! echo "$SCHEMA_SHA256  $T_TMP/npm/$SCHEMA_FILE" | sha256sum -c --status; then
		echo "$SCHEMA_PKG's schema is not the pinned one (sha256 differs)" >&2
		return 1
	fi
	cp "$T_TMP/npm/$SCHEMA_FILE" "$_want.tmp.$$" && mv "$_want.tmp.$$" "$_want"
	echo "$_want"
}

ex=$TOP_SRCDIR/doc/examples
scan() {
	"$TFDRIFT" scan -q --state "$ex/prod.tfstate" --state "$ex/gcp.tfstate" \
	    --events "$ex/cloudtrail.json" --events "$ex/gcp-audit.json" "$@"
}
t_exit "scan the examples (sarif)" 2 scan --format sarif -o "$T_TMP/ex.sarif"
t_exit "scan the examples (json)" 2 scan --format json -o "$T_TMP/ex.json"
t_ok "the log has SARIF's structure and one result per open finding, each on a file" \
    check "$T_TMP/ex.sarif" --files --findings "$T_TMP/ex.json"
t_run /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); r = d["runs"][0]
print(len(r["results"]), len(r["tool"]["driver"]["rules"]), r["properties"]["findings"]["resolved"],
      sorted(set(x["level"] for x in r["results"])))' "$T_TMP/ex.sarif"
t_is "15 results, 9 rules, 2 resolved left out, all three levels" "$T_OUT" \
    "15 9 2 ['error', 'note', 'warning']"
t_like "a fired rule keeps its id, level and remediation" "$(compact "$T_TMP/ex.sarif")" \
    '\{"id": "aws-sg-open-internet", [^{]*\{[^}]*\}, "help": \{"text": "Remediation:\\n1\. Revoke the rule[^}]*\}, "defaultConfiguration": \{"level": "error"\}'
t_like "a finding no rule matched has its kind's rule" "$(cat "$T_TMP/ex.sarif")" '"id": "tfdrift/unmanaged"'
t_like "the version is configure's" "$(cat "$T_TMP/ex.sarif")" "\"version\": \"$("$TFDRIFT" --version | sed -n 's/^tfdrift \([^ ]*\).*/\1/p')\""
t_exit "scan with a relative state path" 2 sh -c "cd '$TOP_SRCDIR' && '$TFDRIFT' scan -q \
    --state doc/examples/prod.tfstate --events doc/examples/cloudtrail.json --format sarif"
t_like "it is the physical location, relative" "$T_OUT" '"uri": "doc/examples/prod\.tfstate"$'
t_like "the message says what, who and when" "$(cat "$T_TMP/ex.sarif")" \
    '"text": "module.net.aws_security_group.web was changed outside Terraform: ingress \+\[\\"tcp 22-22 0.0.0.0/0\\"\]. By alice@corp.example \(role AdministratorAccess\) via console at 2024-05-27T09:14:03Z \(AuthorizeSecurityGroupIngress\)."'
t_like "a sensitive value is masked as in JSON" "$(compact "$T_TMP/ex.sarif")" \
    '\{"attribute": "password", "old": "\(sensitive\)", "new": "\(sensitive\)", "change": "modified", "sensitive": true'

# The checker itself fails a broken log (so a pass means something).
for bad in 'r["results"][0]["level"] = "fatal"' 'r["results"][0]["ruleId"] = "nope"' \
    'del r["results"][0]["message"]' 'r["results"].append(dict(r["results"][0]))' \
    'r["tool"]["driver"]["rules"].append({"id": "x", "shortDescription": {"text": "x"}, "defaultConfiguration": {"level": "note"}})'; do
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); r = d["runs"][0]
exec(sys.argv[2])
json.dump(d, open(sys.argv[3], "w"))' "$T_TMP/ex.sarif" "$bad" "$T_TMP/bad.sarif"
	t_ok "the check rejects a log with $bad" sh -c "! /usr/bin/python3 '$TOP_SRCDIR/tests/sarif_check.py' '$T_TMP/bad.sarif' --findings '$T_TMP/ex.json' > /dev/null"
done

# Paths: an absolute one is a file: URI, odd characters are percent-encoded, standard input
# has no physical location (only the logical one).
mkdir -p "$T_TMP/my states"
cp "$ex/prod.tfstate" "$T_TMP/my states/prod#1.tfstate"
t_exit "scan with an absolute state path" 2 "$TFDRIFT" scan -q --state "$T_TMP/my states/prod#1.tfstate" \
    --events "$ex/cloudtrail.json" --format sarif -o "$T_TMP/abs.sarif"
t_ok "its log checks" check "$T_TMP/abs.sarif"
t_like "as a file: URI, encoded" "$(cat "$T_TMP/abs.sarif")" '"uri": "file:///[^"]*/my%20states/prod%231\.tfstate"'
t_exit "scan a state on standard input" 2 sh -c "'$TFDRIFT' scan -q --state - --events '$ex/cloudtrail.json' --format sarif -o '$T_TMP/stdin.sarif' < '$ex/prod.tfstate'"
t_ok "its log checks" check "$T_TMP/stdin.sarif"
t_unlike "with no physical location" "$(cat "$T_TMP/stdin.sarif")" 'physicalLocation'

t_ok "which the check requires with --files" sh -c "! /usr/bin/python3 '$TOP_SRCDIR/tests/sarif_check.py' '$T_TMP/stdin.sarif' --files > /dev/null"
# An unmanaged resource has no state file: it is placed on the first --state file, or on
# --sarif-location's; a managed one keeps its own.
where() {   # FILE KIND: the URIs of its KIND results, sorted and unique
	/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]["results"]
print(" ".join(sorted(set(l.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "-")
                          for x in r if x["properties"]["kind"] == sys.argv[2] for l in x["locations"]))))' "$1" "$2"
}
t_is "unmanaged: on the first --state file" "$(where "$T_TMP/ex.sarif" unmanaged)" \
    "$(where "$T_TMP/ex.sarif" deleted | tr ' ' '\n' | grep 'prod\.tfstate$')"
t_exit "scan --sarif-location" 2 scan --format sarif --sarif-location infra/main.tf -o "$T_TMP/loc.sarif"
t_ok "its log checks" check "$T_TMP/loc.sarif" --files
t_is "unmanaged: on --sarif-location's file" "$(where "$T_TMP/loc.sarif" unmanaged)" "infra/main.tf"
t_is "modified: on its own state file still" "$(where "$T_TMP/loc.sarif" modified)" "$(where "$T_TMP/ex.sarif" modified)"

# No drift: a valid log with no results.
printf '{"Records":[]}\n' > "$T_TMP/none.json"
t_exit "scan without drift" 0 "$TFDRIFT" scan -q --state "$ex/prod.tfstate" --events "$T_TMP/none.json" --format sarif
printf '%s\n' "$T_OUT" > "$T_TMP/none.sarif"
t_ok "is a log with no results" check "$T_TMP/none.sarif"
t_like "an empty results array" "$(compact "$T_TMP/none.sarif")" '"results": \[\]'

# export: acknowledged and suppressed findings are left out, and counted.
store=$T_TMP/store/tfdrift.db
t_exit "scan --store" 2 scan --store "$store" --format json -o "$T_TMP/st.json"
ids=$(/usr/bin/python3 -c 'import json, sys
print(" ".join(f["id"] for f in json.load(open(sys.argv[1]))["findings"] if f["status"] == "open"))' "$T_TMP/st.json")
set -- $ids
t_ok "ack one" "$TFDRIFT" ack --store "$store" "$1" --note "known | fine"
t_ok "suppress another" "$TFDRIFT" suppress --store "$store" --scope finding --value "$2"
t_ok "export --format sarif" "$TFDRIFT" export -q --store "$store" --status all --format sarif -o "$T_TMP/exp.sarif"
t_ok "export --format json" "$TFDRIFT" export -q --store "$store" --status all --format json -o "$T_TMP/exp.json"
t_ok "the export's log checks against its findings" check "$T_TMP/exp.sarif" --findings "$T_TMP/exp.json"
t_is "export: an unmanaged resource is on no file" "$(where "$T_TMP/exp.sarif" unmanaged)" "-"
t_ok "export --format sarif --sarif-location" "$TFDRIFT" export -q --store "$store" --format sarif \
    --sarif-location prod.tfstate -o "$T_TMP/exp2.sarif"
t_ok "then every result is on a file" check "$T_TMP/exp2.sarif" --files
t_is "the unmanaged ones on that one" "$(where "$T_TMP/exp2.sarif" unmanaged)" "prod.tfstate"
t_unlike "the acknowledged one is not a result" "$(cat "$T_TMP/exp.sarif")" "\"$1\""
t_unlike "nor the suppressed one" "$(cat "$T_TMP/exp.sarif")" "\"$2\""
t_like "both are counted" "$(compact "$T_TMP/exp.sarif")" '"findings": \{"open": [0-9]*, "acknowledged": 1, "suppressed": 1, "resolved": 2\}'

t_exit "an unknown format names sarif and markdown" 1 "$TFDRIFT" scan --state "$ex/prod.tfstate" \
    --events "$ex/cloudtrail.json" --format sarif2
t_like "in its message" "$T_ERR" 'sarif or markdown'

# The official schema.
if schema=$(get_schema 2> "$T_TMP/schema.why"); then
	for f in ex abs stdin none exp loc exp2; do
		t_ok "$f.sarif validates against the SARIF 2.1.0 schema" check "$T_TMP/$f.sarif" --schema "$schema"
	done
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["runs"][0]["results"][0]["level"] = "fatal"
json.dump(d, open(sys.argv[2], "w"))' "$T_TMP/ex.sarif" "$T_TMP/bad.sarif"
	t_ok "the schema rejects a level outside the enum" sh -c "/usr/bin/python3 '$TOP_SRCDIR/tests/sarif_check.py' '$T_TMP/bad.sarif' --schema '$schema' | grep -q '^schema: .*fatal'"
else
	t_skip "the official SARIF 2.1.0 schema" "$(cat "$T_TMP/schema.why")"
fi
t_done
