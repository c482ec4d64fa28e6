#!/bin/sh
# tfdrift rules check: the shipped event maps are valid; broken maps give file:line:col errors.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

t_exit "shipped event maps are valid" 0 "$TFDRIFT" rules check "$TOP_SRCDIR/rules/events"
t_like "and counted" "$T_OUT" '^ok: [0-9]+ event map entries in [0-9]+ files'
n=$(printf '%s\n' "$T_OUT" | sed -n 's/^ok: \([0-9]*\) .*/\1/p')
t_ok "more entries than the anchor tool's 44 attribute-extracting AWS events" test "${n:-0}" -gt 150
t_exit "default location works too" 0 "$TFDRIFT" rules check

cat > "$T_TMP/broken.yaml" <<'YAML'
provider: aws
service: ec2.amazonaws.com
events:
  - event: ModifyInstanceAttribute
    resource: aws_instance
    action: modfy
    id: [requestParameters.instanceId]
    attributes:
      - name: instance_type
        path: requestParameters.instanceType.value
        transform: strin
  - event: DeleteThing
    resorce: aws_thing
YAML
t_exit "a broken map exits 1" 1 "$TFDRIFT" rules check "$T_TMP/broken.yaml"
t_like "bad action with position" "$T_ERR" 'broken.yaml:6:[0-9]+: .*modfy'
t_like "bad transform with position" "$T_ERR" 'broken.yaml:11:[0-9]+: .*strin'
t_like "unknown key with position" "$T_ERR" 'broken.yaml:13:[0-9]+: .*resorce'
printf 'provider: aws\nevents: [\n' > "$T_TMP/syntax.yaml"
t_exit "a YAML syntax error exits 1" 1 "$TFDRIFT" rules check "$T_TMP/syntax.yaml"
t_like "with its position" "$T_ERR" 'syntax.yaml:[0-9]+:[0-9]+: '
t_exit "scan refuses broken maps" 1 "$TFDRIFT" scan --event-maps "$T_TMP" --state /dev/null --events /dev/null
# The coverage table (tests/data, doc/event-maps.md) is made from the maps: keep it current.
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	mkdir -p "$T_TMP/cov/tests/data" "$T_TMP/cov/doc" "$T_TMP/cov/rules"
	cp -R "$TOP_SRCDIR/rules/events" "$T_TMP/cov/rules/"
	cp "$TOP_SRCDIR/doc/event-maps.md" "$T_TMP/cov/doc/"
	t_ok "the coverage table can be regenerated" env TOP_SRCDIR="$T_TMP/cov" \
	    /usr/bin/python3 "$TOP_SRCDIR/tests/eventmap-coverage.py" tsv
	t_ok "tests/data/eventmaps-coverage.tsv matches the maps (run tests/eventmap-coverage.py tsv)" \
	    cmp "$TOP_SRCDIR/tests/data/eventmaps-coverage.tsv" "$T_TMP/cov/tests/data/eventmaps-coverage.tsv"
	t_ok "and so does the table in doc/event-maps.md (tests/eventmap-coverage.py doc)" sh -c \
	    "TOP_SRCDIR='$T_TMP/cov' /usr/bin/python3 '$TOP_SRCDIR/tests/eventmap-coverage.py' doc >/dev/null && cmp '$TOP_SRCDIR/doc/event-maps.md' '$T_TMP/cov/doc/event-maps.md'"
	t_ok "the maps pass the structural lint" env TOP_SRCDIR="$TOP_SRCDIR" \
	    /usr/bin/python3 "$TOP_SRCDIR/tests/eventmap-coverage.py" lint
else
	t_skip "coverage table" "python3-yaml is not installed"
fi
t_done
