#!/bin/sh
# Every JSON output validates against doc/findings.schema.json (an independent validator:
# python3-jsonschema).
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
schema=$TOP_SRCDIR/doc/findings.schema.json
v() { /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" "$schema" "$@"; }
if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	t_skip_all "python3-jsonschema is not installed"
fi
ex=$TOP_SRCDIR/doc/examples
t_exit "scan the examples (json)" 2 "$TFDRIFT" scan --state "$ex/prod.tfstate" --state "$ex/gcp.tfstate" \
    --events "$ex/cloudtrail.json" --events "$ex/gcp-audit.json" --format json -o "$T_TMP/ex.json"
t_ok "the findings document validates" v "$T_TMP/ex.json"
t_exit "scan the examples (jsonl)" 2 "$TFDRIFT" scan --state "$ex/prod.tfstate" --state "$ex/gcp.tfstate" \
    --events "$ex/cloudtrail.json" --events "$ex/gcp-audit.json" --format jsonl -o "$T_TMP/ex.jsonl"
t_ok "every JSON line validates" v "$T_TMP/ex.jsonl" --jsonl
t_ok "the validator rejects a broken finding" sh -c "! /usr/bin/python3 '$TOP_SRCDIR/tests/schema_validate.py' '$schema' '$TOP_SRCDIR/tests/data/schema/invalid.json' >/dev/null 2>&1"
if need_shared; then
	: > "$T_TMP/empty.tfstate.json"
	printf '{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"e","resources":[]}' > "$T_TMP/none.tfstate"
	for f in "$SHARED_DATA"/cloudtrail/DERIVED_invictus_all_records_sorted.json "$SHARED_DATA"/gcpaudit/plaso_gcp_logging.jsonl; do
		b=$(basename "$f")
		t_run "$TFDRIFT" scan --state "$T_TMP/none.tfstate" --events "$f" --format json -o "$T_TMP/$b.out"
		t_ok "findings from $b validate (exit $T_RC)" v "$T_TMP/$b.out"
	done
else
	t_skip "shared samples" "no shared data"
fi
t_done
