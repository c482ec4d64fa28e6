#!/bin/sh
# scan and export --format markdown: the examples rendered byte for byte as the golden file
# tests/data/golden/examples.md; tests/md_check.py checks the summary, the table and the
# details against the findings document of the same scan, and (with cmark-gfm, GitHub's
# renderer) that hostile values -- a |, a newline, backticks, HTML -- stay inside their cells
# as text. Regenerate the golden file after a deliberate change with
#   TFDRIFT_UPDATE_GOLDEN=1 make check TESTS=tests/scan/markdown.sh
# Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
XDG_CONFIG_HOME=$T_TMP/xdg-config
XDG_STATE_HOME=$T_TMP/xdg-state
export XDG_CONFIG_HOME XDG_STATE_HOME
case $TFDRIFT in /*) ;; *) TFDRIFT=$(pwd)/$TFDRIFT ;; esac
md_check() { /usr/bin/python3 "$TOP_SRCDIR/tests/md_check.py" "$@"; }
render=
need_cmd cmark-gfm && render=--render

# From the source tree, with relative paths: the golden file holds the state paths as given.
scan() {
	(cd "$TOP_SRCDIR" && "$TFDRIFT" scan -q --state doc/examples/prod.tfstate \
	    --state doc/examples/gcp.tfstate --events "$1" --events doc/examples/gcp-audit.json \
	    --format "$2")
}
golden=$TOP_SRCDIR/tests/data/golden/examples.md
t_exit "scan the examples (markdown)" 2 scan doc/examples/cloudtrail.json markdown
printf '%s\n' "$T_OUT" > "$T_TMP/ex.md"
if [ -n "${TFDRIFT_UPDATE_GOLDEN:-}" ]; then
	cp "$T_TMP/ex.md" "$golden"
fi
t_ok "is the golden file, byte for byte" diff -u "$golden" "$T_TMP/ex.md"
t_exit "scan the examples (json)" 2 scan doc/examples/cloudtrail.json json
printf '%s\n' "$T_OUT" > "$T_TMP/ex.json"
t_ok "summary, table and details match the findings" md_check "$T_TMP/ex.md" "$T_TMP/ex.json" $render
t_like "a sensitive change shows no value" "$(cat "$T_TMP/ex.md")" '^  - `password`: \(sensitive\) modified$'
t_unlike "the markdown ends in one newline" "$(tail -c 2 "$T_TMP/ex.md" | od -An -c)" '\\n *\\n'

# Hostile values: an IAM user and the user it creates, named with |, a newline, backticks (one
# first: the code span is padded), a trailing space and HTML (CloudTrail carries what the
# caller sent).
/usr/bin/python3 - "$TOP_SRCDIR/doc/examples/cloudtrail.json" "$T_TMP/hostile.json" <<'PY'
import json, sys
BAD = {"etl-runner": "`etl|run\n`ner`<script>alert(1)</script> ",
       "reporting-bot": "rep|ort\n``ing`-bot</details><details>"}
def walk(v):
    if isinstance(v, dict):
        return {k: walk(x) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x) for x in v]
    if isinstance(v, str):
        for a, b in BAD.items():
            v = v.replace(a, b)
    return v
json.dump(walk(json.load(open(sys.argv[1]))), open(sys.argv[2], "w"))
PY
t_exit "scan hostile values (markdown)" 2 scan "$T_TMP/hostile.json" markdown
printf '%s\n' "$T_OUT" > "$T_TMP/hostile.md"
t_exit "scan hostile values (json)" 2 scan "$T_TMP/hostile.json" json
printf '%s\n' "$T_OUT" > "$T_TMP/hostile.json.out"
t_ok "the values are there" grep -Fq 'rep|ort\n``ing`-bot' "$T_TMP/hostile.json.out"
t_ok "each row keeps six cells, each value in its own" md_check "$T_TMP/hostile.md" \
    "$T_TMP/hostile.json.out" $render
# Whole lines, as fixed strings.
t_ok "in a cell | is escaped, a newline shows escaped, the fence outruns the backticks" \
    grep -Fxq -- '| medium | open | ```aws_iam_user rep\|ort\n``ing`-bot</details><details>``` | unmanaged: ```CreateUser rep\|ort\n``ing`-bot</details><details> not in any state; tags +{"owner":"data-team"}``` | `` `etl\|run\n`ner`<script>alert(1)</script>  `` via sdk | 2024-05-27T10:07:12Z |' "$T_TMP/hostile.md"
t_ok "outside the table | stays as it is" \
    grep -Fxq -- '- **Resource id** ```rep|ort\n``ing`-bot</details><details>```' "$T_TMP/hostile.md"
t_ok "in <summary> the HTML is escaped" \
    grep -Fxq -- '<summary>medium unmanaged: aws_iam_user rep|ort\n``ing`-bot&lt;/details&gt;&lt;details&gt;</summary>' "$T_TMP/hostile.md"
t_unlike "no raw newline inside a value" "$(cat "$T_TMP/hostile.md")" '^ner`'
if [ -z "$render" ]; then
	t_skip "rendering with GitHub's renderer" "cmark-gfm is not installed"
fi

# No drift: one line.
printf '{"Records":[]}\n' > "$T_TMP/none.json"
t_exit "scan without drift" 0 "$TFDRIFT" scan -q --state "$TOP_SRCDIR/doc/examples/prod.tfstate" \
    --events "$T_TMP/none.json" --format markdown
t_is "says No drift" "$T_OUT" "**tfdrift:** No drift: no findings."

# export: every finding asked for, with its triage.
store=$T_TMP/store/tfdrift.db
t_exit "scan --store" 2 "$TFDRIFT" scan -q --state "$TOP_SRCDIR/doc/examples/prod.tfstate" \
    --events "$TOP_SRCDIR/doc/examples/cloudtrail.json" --store "$store" -o /dev/null
id=$("$TFDRIFT" export -q --store "$store" --format jsonl | head -n 1 | sed 's/^{"id":"\([0-9a-f]*\)".*/\1/')
t_ok "ack one" "$TFDRIFT" ack --store "$store" "$id" --note 'known | fine'
t_ok "export --format markdown" "$TFDRIFT" export -q --store "$store" --status all --format markdown -o "$T_TMP/exp.md"
t_ok "export --format json" "$TFDRIFT" export -q --store "$store" --status all --format json -o "$T_TMP/exp.json"
t_ok "the export's markdown matches its findings" md_check "$T_TMP/exp.md" "$T_TMP/exp.json" $render
t_like "the acknowledged one says so, with the note" "$(cat "$T_TMP/exp.md")" \
    '^- \*\*Triage\*\* acknowledged by `[^`]*`: `known \| fine`$'
t_done
