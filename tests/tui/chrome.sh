#!/bin/sh
# The dashboard's chrome as a person sees it, through tmux: copying with OSC 52 into tmux's
# buffers, the pager, the detail's wrapping and scrolling, ellipses, four screen sizes, help
# at 60x20, messages, the demo's private store, terminals it refuses, events on standard
# input, --readonly, export, Ctrl-Z, freezes and the timeline, and colours.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
need_cmd less || t_skip_all "less is not installed"
TUI_CLIPBOARD=1
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
EX="$TOP_SRCDIR/doc/examples"
PY=/usr/bin/python3
ESC=$(printf '\033')
SG='module\.net\.aws_security_group\.web'
ARN='arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_5e8c1a2b3d4f6a7b/alice@corp.example'
UA='Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36'
BAR='\? help  q quit$'

demo() {
	_n=$1 _x=$2 _y=$3
	shift 3
	tui_start "$_n" "$_x" "$_y" "$TFDRIFT" demo --pace 1s --passes 1 "$@"
}

# The screen without the text pane's scroll marks (▲ ▼ in the last column) and trailing blanks.
plain() {
	printf '%s\n' "$1" | sed -E 's/ *(▲|▼)$//; s/ *$//'
}

# joined TEXT KEY INDENT SEP: the value of the "   KEY: value" line with the rows wrapped
# under it (INDENT blanks, then the rest) joined by SEP.
joined() {
	plain "$1" | awk -v key="   $2: " -v ind="$3" -v sep="$4" '
	    on && substr($0, 1, ind) ~ /^ +$/ && substr($0, ind + 1, 1) != " " {
		v = v sep substr($0, ind + 1); next }
	    on { exit }
	    index($0, key) == 1 { on = 1; v = substr($0, length(key) + 1) }
	    END { print v }'
}

buffer() {
	tmx show-buffer 2> /dev/null
}

# click NAME X Y: a left click as an xterm reports it (ESC [ M button+32 x+33 y+33).
click() {
	_cx=$(printf "\\$(printf '%03o' $(($2 + 33)))")
	_cy=$(printf "\\$(printf '%03o' $(($3 + 33)))")
	tmx send-keys -t "=tui:=$1" -l "$(printf '\033[M %s%s' "$_cx" "$_cy")"
	tmx send-keys -t "=tui:=$1" -l "$(printf '\033[M#%s%s' "$_cx" "$_cy")"
}

# Everything that needs no keys starts at once; each check below waits for its screen.
cat > "$T_TMP/pager" <<EOF
#!/bin/sh
cp "\$1" '$T_TMP/paged.txt'
EOF
chmod +x "$T_TMP/pager"
mkdir -p "$T_TMP/tmp" "$T_TMP/state" "$T_TMP/data" "$T_TMP/cfg" "$T_TMP/adir"
t_run "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$T_TMP/ro.db"
t_is "a store for --readonly (scan finds drift)" "$T_RC" 2
RO_BEFORE=$(cksum < "$T_TMP/ro.db"; ls -l --time-style=+%s.%N "$T_TMP/ro.db" | awk '{print $5, $6}')
"$TFDRIFT" export --store "$T_TMP/ro.db" --status all --format jsonl > "$T_TMP/ro-before.jsonl" 2> /dev/null

demo cb 120 40 --store "$T_TMP/cb.db"
tui_start pg 100 30 env PAGER="$T_TMP/pager" "$TFDRIFT" demo --pace 1s --passes 1 --store "$T_TMP/pg.db"
tui_start pl 100 30 env -u PAGER -u LESS "$TFDRIFT" demo --pace 1s --passes 1 --store "$T_TMP/pl.db"
tui_start pn 100 30 env PAGER=/nonexistent/pager "$TFDRIFT" demo --pace 1s --passes 1 \
    --store "$T_TMP/pn.db"
demo w80 80 24 --store "$T_TMP/w80.db"
TUI_LOCALE=C
demo asc 80 24 --store "$T_TMP/asc.db"
TUI_LOCALE=
demo s60 60 20 --store "$T_TMP/s60.db"
demo s200 200 60 --store "$T_TMP/s200.db"
tui_start ds 160 30 env XDG_STATE_HOME="$T_TMP/state" XDG_DATA_HOME="$T_TMP/data" \
    XDG_CONFIG_HOME="$T_TMP/cfg" TMPDIR="$T_TMP/tmp" "$TFDRIFT" demo --pace 1s --passes 1
tui_start dumb 80 24 env TERM=dumb "$TFDRIFT" demo --pace 1s --passes 1 --store "$T_TMP/x.db"
tui_start noterm 80 24 env -u TERM "$TFDRIFT" demo --pace 1s --passes 1 --store "$T_TMP/x.db"
tui_start pipe 100 30 sh -c 'cat "$1" | "$2" ui --state "$3" --events - --store "$4"' sh \
    "$EX/cloudtrail.json" "$TFDRIFT" "$EX/prod.tfstate" "$T_TMP/pipe.db"
tui_start bad 100 30 "$TFDRIFT" ui --state "$EX/prod.tfstate" --events "$T_TMP/adir" \
    --store "$T_TMP/bad.db"
tui_start badp 100 30 sh -c 'sleep 600 | "$1" ui --state "$2" --events "$3" --events - \
    --store "$4"' sh "$TFDRIFT" "$EX/prod.tfstate" "$T_TMP/adir" "$T_TMP/badp.db"
demo ro 100 30 --store "$T_TMP/ro.db" --readonly
demo fz 120 40 --store "$T_TMP/fz.db"
tui_start tl 120 40 "$TFDRIFT" --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --store "$T_TMP/tl.db"
TUI_NO_COLOR=1
demo nc 100 30 --store "$T_TMP/nc.db"
TUI_NO_COLOR=
TFDRIFT_NOW=2024-06-01T08:10:00Z
demo now2 100 30 --store "$T_TMP/now2.db"
TFDRIFT_NOW=2024-05-27T12:00:00Z

# ---- 4. Sizes: the tabs (numbers only when narrow) and the position on the top line; a key
# bar that fits and ends with help and quit in every view.
sizes() {
	_n=$1 _w=$2 _tabs=$3
	t_screen "${_w} columns: the demo shows its 15 open findings (17, 2 resolved by the pass: hidden)" "$_n" ' 1/15 *$'
	t_like "${_w} columns: the top line has the tabs and the position" \
	    "$(printf '%s\n' "$TUI_SCREEN" | head -n 1)" "^ tfdrift demo +$_tabs +1/15 *\$"
	for _v in 1:'^ ST SEV +TIME' 2:'^ TIME. +EVENT' 3:'^ ACTOR +TYPE' 4:'^ Event files' 5:'^ RESOURCE +TYPE'; do
		tui_keys "$_n" "${_v%%:*}"
		tui_wait "$_n" "${_v#*:}" 10
		_bar=$(printf '%s\n' "$TUI_SCREEN" | tail -n 1)
		t_like "${_w} columns, view ${_v%%:*}: the key bar ends with help and quit" "$_bar" "$BAR"
		t_unlike "${_w} columns, view ${_v%%:*}: and fits (not cut with …)" "$_bar" '…'
	done
	tui_keys "$_n" 1
	tui_wait "$_n" '^ ST SEV +TIME' 10
}
sizes s60 60 '1 Findings +2 +3 +4 +5'
sizes w80 80 '1 Findings +2 Events +3 Actors +4 Sources +5 Resources'
sizes cb 120 '1 Findings +2 Events +3 Actors +4 Sources +5 Resources'
sizes s200 200 '1 Findings +2 Events +3 Actors +4 Sources +5 Resources'

# ---- 3. Nothing in a list is cut without an ellipsis: each RESOURCE, CHANGE and ACTOR cell
# is a finding's whole value, or the start of one ending in the ellipsis (~ outside UTF-8).
cells() {
	_n=$1 _ell=$2
	tui_wait "$_n" ' 1/15 *$' 20
	tui_capture "$_n" > "$T_TMP/$_n.screen"
	"$TFDRIFT" export --store "$T_TMP/$_n.db" --status all --format jsonl > "$T_TMP/$_n.jsonl" \
	    2> /dev/null
	$PY - "$T_TMP/$_n.screen" "$T_TMP/$_n.jsonl" "$_ell" <<'PYEOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
ell = sys.argv[3]
ascii_ = ell != "\u2026"
fs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def fix(s):
    return s.replace("\u2192", "->") if ascii_ else s
vals = {
    "RESOURCE": {f["resource"].get("address") or "%s %s" % (f["resource"].get("type"),
                 f["resource"].get("id")) for f in fs},
    "CHANGE": {fix(f.get("summary") or "") for f in fs},
    "ACTOR": {f["actor"].get("name") or f["actor"].get("principal") or "?" for f in fs},
}
hdr = next(i for i, l in enumerate(lines) if l.startswith(" ST SEV"))
h = lines[hdr]
cols = sorted((h.index(name), name) for name in vals)
bad, cut, n = [], 0, 0
for row in lines[hdr + 1:]:
    if not row.strip() or row.startswith("\u2500") or row.startswith("--"):
        break
    n += 1
    for k, (x, name) in enumerate(cols):
        end = cols[k + 1][0] - 1 if k + 1 < len(cols) else len(row)
        cell = row[x:end].rstrip()
        if cell.endswith(ell):
            cut += 1
            if not any(v.startswith(cell[:-1]) and len(v) > len(cell) - 1 for v in vals[name]):
                bad.append("%s: %r is not the start of a value" % (name, cell))
        elif cell not in vals[name]:
            bad.append("%s: %r is cut without %s (or is no value)" % (name, cell, ell))
print("rows %d, cut %d" % (n, cut))
for b in bad:
    print(b)
sys.exit(1 if bad or n == 0 or cut == 0 else 0)
PYEOF
}
t_ok "80x24: every list cell is whole or ends in …, and some are cut" cells w80 '…'
t_like "80x24: a long address ends in …" "$(cat "$T_TMP/w80.screen")" ' aws_s3_bucket_public_acc[a-z_]*… '
t_like "80x24: a long actor ends in …" "$(cat "$T_TMP/w80.screen")" ' alice@corp\.[a-z.]*…$'
t_ok "LC_ALL=C: the same with the ASCII ellipsis ~" cells asc '~'
t_like "LC_ALL=C: a long address ends in ~" "$(cat "$T_TMP/asc.screen")" ' aws_s3_bucket_public_acc[a-z_]*~ '
t_unlike "LC_ALL=C: no … at all" "$(cat "$T_TMP/asc.screen")" '…'

# ---- 3. The detail wraps long values under themselves, scrolls, and + gives it the screen.
tui_keys w80 G +
t_screen "+ shows the detail alone" w80 '^── detail \(\+ back to the list\)'
t_like "of the selected finding" "$TUI_SCREEN" "^ critical modified  $SG"
t_is "the principal wraps under its value: joined, the whole ARN" \
    "$(joined "$TUI_SCREEN" principal 14 '')" "$ARN"
t_like "it does wrap at 80 columns" "$TUI_SCREEN" '^ {14}[^ ]'
t_is "the user agent wraps under its value too, whole" \
    "$(joined "$TUI_SCREEN" 'user agent' 15 ' ')" "$UA"
t_like "in more than one row" "$TUI_SCREEN" '^ {15}[^ ]'
FIRST=$(plain "$TUI_SCREEN" | sed -n 3p)
LAST=$(plain "$TUI_SCREEN" | sed -n 22p)
tui_keys w80 j
t_screen "j scrolls the detail one row" w80 '^   status: open'
t_is "the status line is now the first" "$(plain "$TUI_SCREEN" | sed -n 3p)" '   status: open'
t_like "a mark says there is more above" "$(printf '%s\n' "$TUI_SCREEN" | sed -n 3p)" '▲$'
tui_keys w80 k
tui_wait w80 "^ critical modified  $SG"
t_is "k scrolls back" "$(plain "$TUI_SCREEN" | sed -n 3p)" "$FIRST"
tui_keys w80 NPage
tui_wait w80 '^ Rules|^ Context|^ Suggested'
t_is "PgDn scrolls a page: the last row comes to the top" "$(plain "$TUI_SCREEN" | sed -n 3p)" "$LAST"
tui_keys w80 +
t_screen "+ again: back to the list and the detail" w80 '^ ST SEV +TIME'
t_like "the detail is below the list" "$TUI_SCREEN" '^── detail ─'

# ---- 1. Copy: y and Y through OSC 52 into tmux's buffer.
tui_keys cb G +
t_screen "the security group finding in full" cb "^ critical modified  $SG"
tui_keys cb G
t_screen "its end: the suggested fix" cb '^ Suggested fix \(y copies it\)'
FIX=$(plain "$TUI_SCREEN" | sed -n '/^ Suggested fix (y copies it)$/{n;s/^   //;p;}')
t_like "the fix is a bare command line" "$FIX" '^terraform apply -target=.*aws_security_group\.web$'
tui_keys cb y
t_screen "y says what it copied and its size" cb "^copied the fix command \\(${#FIX} bytes\\) to the clipboard"
t_is "tmux's buffer holds the fix command" "$(buffer)" "$FIX"
t_is "exactly: not a byte more" "$(buffer | wc -c | tr -d ' ')" "${#FIX}"
tui_keys cb Y
t_screen "Y copies the finding as JSON" cb '^copied the finding as JSON \([0-9]+ bytes\) to the clipboard'
buffer > "$T_TMP/finding.json"
t_is "of the size it says" "$(wc -c < "$T_TMP/finding.json" | tr -d ' ')" \
    "$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^copied the finding as JSON (\([0-9]*\) bytes).*/\1/p')"
t_ok "one JSON object that validates as a finding" $PY "$TOP_SRCDIR/tests/schema_validate.py" \
    "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/finding.json" --jsonl
t_is "the selected finding" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["resource"]["address"])' \
    "$T_TMP/finding.json")" module.net.aws_security_group.web
tui_keys cb + 2
t_screen "Events: the newest event's detail has its id" cb '^ +event id: [0-9a-f-]{36}'
EID=$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^ *event id: \([0-9a-f-]*\).*/\1/p' | head -n 1)
tui_keys cb y
t_screen "y in Events copies the event id" cb '^copied the event id \(36 bytes\) to the clipboard'
t_is "the buffer holds that id" "$(buffer)" "$EID"
tui_keys cb Y
t_screen "Y copies the raw record" cb '^copied the raw record \([0-9]+ bytes\) to the clipboard'
buffer > "$T_TMP/raw.json"
t_is "it parses as JSON, with that eventID" \
    "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["eventID"])' "$T_TMP/raw.json" 2>&1)" "$EID"

# ---- 13. Colours: the selected row keeps its severity colour on the SEV cell.
tui_keys cb 1 g
tui_wait cb ' 1/15 *$'
S=$(tmx capture-pane -e -p -t '=tui:=cb')
t_like "the selected CRIT keeps white on red (reversed with the row)" \
    "$(printf '%s\n' "$S" | grep -F 'aws_kms_key.data' | head -n 1)" \
    "${ESC}\\[([0-9]+;)*7m${ESC}\\[37m${ESC}\\[41mCRIT"
tui_keys cb j j
tui_wait cb ' 3/15 *$'
S=$(tmx capture-pane -e -p -t '=tui:=cb')
ROW=$(printf '%s\n' "$S" | grep -F 'google_storage_bucket.reports' | head -n 1)
t_like "a selected HIGH row keeps its red" "$ROW" "${ESC}\\[([0-9]+;)*7m${ESC}\\[31m(${ESC}\\[[0-9;]*m)*HIGH"
t_like "on the selection's colours" "$ROW" "^${ESC}\\[30m${ESC}\\[47m"
S=$(tmx capture-pane -e -p -t '=tui:=nc' | head -n 1)
t_like "NO_COLOR: the active tab is underlined, the others reverse" "$S" \
    "${ESC}\\[([0-9]+;)*4m(${ESC}\\[[0-9;]*m)* 1 Findings ${ESC}\\[([0-9]+;)*7m(${ESC}\\[[0-9;]*m)* 2 Events"
tui_keys nc 2
tui_wait nc '^ TIME. +EVENT'
S=$(tmx capture-pane -e -p -t '=tui:=nc' | head -n 1)
t_like "NO_COLOR: 2 moves the underline to Events" "$S" \
    "${ESC}\\[([0-9]+;)*7m(${ESC}\\[[0-9;]*m)* 1 Findings ${ESC}\\[([0-9]+;)*4m(${ESC}\\[[0-9;]*m)* 2 Events"
t_unlike "NO_COLOR: still no colour" "$(tmx capture-pane -e -p -t '=tui:=nc')" \
    "${ESC}\\[([0-9;]*;)?(3[0-7]|4[0-7]|38|48)(;[0-9;]*)?m"

# ---- 2. The pager.
t_screen "pager: the demo finishes" pg ' 1/15 *$'
tui_keys pg G
t_screen "the security group finding selected" pg ' 15/15 *$'
tui_keys pg '|'
_i=0
while [ ! -s "$T_TMP/paged.txt" ] && [ "$_i" -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
t_like "| gives \$PAGER a file with the finding's detail" "$(head -n 1 "$T_TMP/paged.txt")" \
    "^critical modified  $SG\$"
t_ok "the whole principal ARN on one line" grep -qFx "  principal: $ARN" "$T_TMP/paged.txt"
t_ok "the whole user agent on one line" grep -qFx "  user agent: $UA" "$T_TMP/paged.txt"
t_ok "and the fix" grep -qx "  terraform apply -target=module.net.aws_security_group.web" "$T_TMP/paged.txt"
t_screen "the dashboard comes back drawn, key bar and all" pg "$BAR"
t_like "with its top line" "$TUI_SCREEN" '^ tfdrift demo +1 Findings .* 15/15 *$'
t_like "and its list" "$TUI_SCREEN" '^ ST SEV +TIME'
tui_keys pg k
t_screen "and keeps working: k moves up" pg ' 14/15 *$'
t_screen "PAGER unset: the demo finishes" pl ' 1/15 *$'
tui_keys pl '|'
t_screen "PAGER unset: less -R shows the detail" pl '^critical modified  aws_kms_key\.data'
t_unlike "the dashboard is off the screen meanwhile" "$TUI_SCREEN" '^ tfdrift demo'
tui_keys pl q
t_screen "q leaves less: the dashboard is back" pl "$BAR"
t_like "drawn in full" "$TUI_SCREEN" '^ tfdrift demo +1 Findings .* 1/15 *$'
t_screen "a PAGER that is not there: the demo finishes" pn ' 1/15 *$'
tui_keys pn '|'
t_screen "a PAGER that is not there says so" pn "^no pager: '/nonexistent/pager' was not found"
t_like "and the dashboard is still drawn" "$TUI_SCREEN" '^ tfdrift demo +1 Findings'

# ---- 5. Messages: an error has the message line until the next key, then lives in
# :messages; a message lapses by itself.
tui_keys s200 :
tui_keys s200 -l nosuch
tui_keys s200 Enter
t_screen "an error takes the message line" s200 "^unknown command 'nosuch' \\(:help lists the commands\\)"
t_unlike "instead of the key bar" "$TUI_SCREEN" "$BAR"
tui_keys s200 j
t_screen "the next key brings the key bar back" s200 "$BAR"
t_unlike "the error is gone" "$TUI_SCREEN" 'nosuch'
tui_keys s200 :
tui_keys s200 -l messages
tui_keys s200 Enter
t_screen ":messages keeps it, with its time" s200 \
    "^   2024-05-27T12:00:00Z  error: unknown command 'nosuch' \\(:help lists the commands\\)"
tui_keys s200 q
tui_wait s200 '^ ST SEV' 5
tui_keys s200 r
T0=$(date +%s)
t_screen "a message" s200 '^r reloads states in live mode'
sleep 3
t_like "is still there 3 s later" "$(tui_capture s200)" '^r reloads states in live mode'
tui_wait s200 "$BAR" 10
D=$(($(date +%s) - T0))
[ "$D" -ge 5 ] && [ "$D" -le 10 ]
ok $? "and lapses by itself after about 6 s: the key bar is back" || t_diag "after $D s"

# ---- 4. Help at 60x20: every key of the key table and every command, by scrolling.
tui_keys s60 '?'
t_screen "? opens the help at 60x20" s60 '^ Keys \(in the Findings view'
: > "$T_TMP/help.pages"
_i=0
while [ "$_i" -lt 30 ]; do
	tui_capture s60 | sed -n '2,18p' > "$T_TMP/help.page"
	{ cat "$T_TMP/help.page"; echo '=== page'; } >> "$T_TMP/help.pages"
	grep -q 'tfdrift(1) has the rest' "$T_TMP/help.page" && break
	tui_keys s60 NPage
	sleep 0.2
	_i=$((_i + 1))
done
t_ok "PgDn pages to the end of the help" grep -q 'tfdrift(1) has the rest' "$T_TMP/help.page"
$PY - "$T_TMP/help.pages" "$TOP_SRCDIR/src/ui/keys.c" "$TOP_SRCDIR/src/ui/cmd.c" \
    > "$T_TMP/help.check" 2>&1 <<'PYEOF'
import re, sys
raw = open(sys.argv[1], encoding="utf-8").read()
pages = [[re.sub(r" *[\u25b2\u25bc]$", "", l).rstrip() for l in p.strip("\n").split("\n")]
         for p in raw.split("=== page\n") if p.strip()]
# One text from the pages: each page after the first overlaps the one before.
text = pages[0][:]
for p in pages[1:]:
    k = max(k for k in range(len(p) + 1) if k == 0 or text[-k:] == p[:k])
    text += p[k:]
flat = re.sub(r"\s+", "", "\n".join(text))
def lit(s):
    return "".join(bytes(m, "utf-8").decode("unicode_escape") for m in re.findall(r'"((?:[^"\\]|\\.)*)"', s))
keys_c = open(sys.argv[2]).read()
helps = {}
for m in re.finditer(r'\[ACT_(\w+)\]\s*=\s*\{\s*"[^"]*",\s*((?:"(?:[^"\\]|\\.)*"\s*)+),', keys_c):
    if m.group(1) != "NONE":
        helps[m.group(1)] = lit(m.group(2))
labels = {}
for m in re.finditer(r'\{\s*[^{},]+,\s*"((?:[^"\\]|\\.)*)",\s*ACT_(\w+)\s*\}', keys_c):
    lab = bytes(m.group(1), "utf-8").decode("unicode_escape")
    if lab not in labels.setdefault(m.group(2), []):
        labels[m.group(2)].append(lab)
bad = []
for act, h in helps.items():
    want = re.sub(r"\s+", "", ", ".join(labels.get(act, [])) + h)
    if not labels.get(act):
        bad.append("no key for %s" % act)
    elif want not in flat:
        bad.append("key %s (%s) %r not in the help" % (act, ", ".join(labels[act]), h))
cmd_c = open(sys.argv[3]).read()
ncmd = 0
for m in re.finditer(r'\{\s*"([\w-]+)",\s*"([^"]*)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+),\s*CMP_', cmd_c):
    ncmd += 1
    want = re.sub(r"\s+", "", ":%s %s %s" % (m.group(1), m.group(2), lit(m.group(3))))
    if want not in flat:
        bad.append("command :%s not in the help" % m.group(1))
# Wrapped descriptions go on in their column: the keys' and the commands'.
sec, col, wraps = None, {}, {"Keys": 0, "Commands": 0}
for l in text:
    if l.startswith(" Keys ("):
        sec = "Keys"
    elif l.startswith(" Commands ("):
        sec = "Commands"
    elif l.startswith(" Filter ("):
        sec = None
    elif sec and l.strip():
        if l.startswith("   ") and not l.startswith("    "):
            m = re.match(r"(   \S.*?\s{2,})\S", l) if sec == "Keys" else re.match(r"(   :\S+( [^ ]+)*? {2,})\S", l)
            if m and len(m.group(1)) > col.get(sec, 0):
                col[sec] = len(m.group(1))
        else:
            ind = len(l) - len(l.lstrip())
            wraps[sec] += 1
            col.setdefault(sec + " wraps", set()).add(ind)
for sec in ("Keys", "Commands"):
    if wraps[sec] == 0:
        bad.append("%s: no wrapped description at 60 columns" % sec)
    elif col.get(sec + " wraps") != {col.get(sec)}:
        bad.append("%s: descriptions at column %s, wrapped rows at %s" % (sec, col.get(sec), col.get(sec + " wraps")))
print("%d keys, %d commands, %d help rows" % (len(helps), ncmd, len(text)))
for b in bad:
    print(b)
sys.exit(1 if bad or len(helps) < 40 or ncmd < 10 else 0)
PYEOF
ok $? "every action of the key table and every command is in the help, wrapped in its column" ||
    t_indent < "$T_TMP/help.check"
LASTPAGE=$(cat "$T_TMP/help.page")
tui_keys s60 PPage
sleep 0.3
t_is "PgUp pages back: the old first row is the last" \
    "$(plain "$(tui_capture s60)" | sed -n 18p)" "$(plain "$LASTPAGE" | head -n 1)"
tui_keys s60 g
t_screen "g goes to the top" s60 '^ Keys \(in the Findings view'
SECOND=$(plain "$TUI_SCREEN" | sed -n 3p)
tui_keys s60 j
sleep 0.3
t_is "j scrolls one row" "$(plain "$(tui_capture s60)" | sed -n 2p)" "$SECOND"
tui_keys s60 k
t_screen "k scrolls back" s60 '^ Keys \(in the Findings view'
tui_keys s60 G
t_screen "G goes to the end" s60 'tfdrift\(1\) has the rest'
tui_keys s60 q
t_screen "q closes the help" s60 '^ ST SEV +TIME'

# ---- 6 and 10. The demo's own store, and export to $XDG_DATA_HOME.
t_screen "a demo without --store finishes its pass" ds ' 1/15 *$'
t_is "it made no store under \$XDG_STATE_HOME" "$(find "$T_TMP/state" -type f)" ""
DEMO_DIR=$(ls -d "$T_TMP"/tmp/tfdrift-demo.* 2> /dev/null)
t_like "but one in a private directory of its own" "$DEMO_DIR" "^$T_TMP/tmp/tfdrift-demo\\.[A-Za-z0-9]+\$"
t_ok "holding the demo's store" test -s "$DEMO_DIR/demo.db"
tui_keys ds 4 G
t_screen "Sources names the demo's private store" ds \
    "^   $DEMO_DIR/demo\\.db \\(the demo's own, removed when it ends; --store STORE keeps one\\)"
tui_keys ds 1 e
EXPORTS="$T_TMP/data/tfdrift/exports"
t_screen "e without --export-dir writes under \$XDG_DATA_HOME, and says where in full" ds \
    "^exported 15 findings to $EXPORTS/tfdrift-findings-20240527T120000Z\\.json\$"
t_ok "the file is a findings document" $PY "$TOP_SRCDIR/tests/schema_validate.py" \
    "$TOP_SRCDIR/doc/findings.schema.json" "$EXPORTS/tfdrift-findings-20240527T120000Z.json"
tui_keys ds /
tui_keys ds -l 'no-such-resource-anywhere'
tui_keys ds Enter
t_screen "a filter that matches nothing" ds '^0 findings match'
tui_keys ds e
t_screen "e then says there is nothing to export" ds '^nothing to export: no findings are shown'
t_is "and writes no file" "$(ls "$EXPORTS" | wc -l | tr -d ' ')" 1
tui_keys ds q
t_tui_exit ds "the private-store demo exits 0"
t_is "its private directory is gone" "$(ls -A "$T_TMP/tmp")" ""
t_is "and still nothing under \$XDG_STATE_HOME" "$(find "$T_TMP/state" -type f)" ""
tui_keys cb q
t_tui_exit cb "the demo with --store exits 0"
t_run "$TFDRIFT" export --store "$T_TMP/cb.db" --status all --format jsonl
t_is "--store PATH keeps its store, with the demo's findings" "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" 17

# ---- 7. Terminals that cannot run it are refused before curses starts.
tui_exit dumb 20
t_is "TERM=dumb exits 1" "$TUI_RC" 1
t_like "saying the terminal cannot move the cursor" "$(cat "$T_TMP/dumb.err")" \
    "^tfdrift: the terminal 'dumb' cannot move the cursor"
t_unlike "before curses started (no escapes)" "$(cat "$T_TMP/dumb.err")" "$ESC"
tui_exit noterm 20
t_is "no TERM exits 1" "$TUI_RC" 1
t_like "saying TERM is not set" "$(cat "$T_TMP/noterm.err")" '^tfdrift: TERM is not set'
t_unlike "before curses started (no escapes)" "$(cat "$T_TMP/noterm.err")" "$ESC"

# ---- 8. Events on standard input: keys come from /dev/tty.
t_screen "--events -: the piped events are read" pipe 'replay done: 32 events'
t_like "and their findings shown" "$TUI_SCREEN" 'CRIT 10:48:03 mod +aws_kms_key\.data'
tui_keys pipe 2
t_screen "keys work (2: Events)" pipe '^ TIME. +EVENT +ACTOR'
tui_keys pipe 1
t_screen "1: back to Findings" pipe '^ ST SEV +TIME'
tui_keys pipe q
t_tui_exit pipe "q exits 0"
t_screen "a file that fails to read says so in the list" bad \
    '^  No findings: the events could not be read \(4 Sources says why\)'
t_like "the status line counts it" "$TUI_SCREEN" '1 file FAILED \(4\)'
tui_keys bad 4
t_screen "Sources says which and why" bad "FAILED +$T_TMP/adir\$"
t_like "why" "$TUI_SCREEN" 'adir: a directory, not a file'
t_screen "a failed file while another is still read: the list says so" badp \
    '^  No findings yet: a file could not be read \(4 Sources says why\)'
t_unlike "not 'waiting for events'" "$TUI_SCREEN" 'waiting for events'
t_like "the status line keeps the failure in view" "$TUI_SCREEN" '\| 1 file FAILED \(4\) *$'
tui_keys bad q
t_tui_exit bad "the failed-file run exits 0"
tmx kill-window -t '=tui:=badp'

# ---- 9. --readonly: nothing is written.
t_screen "--readonly: the status line says READ-ONLY" ro 'READ-ONLY *$'
t_screen "the replay finishes" ro ' 1/15 *$'
tui_keys ro a
t_screen "a says read-only, with the reason" ro \
    "^read-only: $T_TMP/ro\\.db: opened read-only \\(--readonly\\), nothing is written"
t_like "and still takes the note" "$TUI_SCREEN" '^Note \(read-only: nothing will be saved; Esc cancels\):'
tui_keys ro -l 'quit'
t_screen "what is typed stays in the prompt" ro 'Esc cancels\): quit'
tui_keys ro Enter
t_screen "Enter: not acknowledged, and why" ro '^not acknowledged: read-only \(.*--readonly'
t_like "the dashboard is still running" "$TUI_SCREEN" 'READ-ONLY *$'
tui_keys ro F
t_screen "F: a freeze for this session only" ro '^Freeze \(read-only: this session only\) until'
tui_keys ro Escape q
t_tui_exit ro "the read-only dashboard exits 0"
RO_AFTER=$(cksum < "$T_TMP/ro.db"; ls -l --time-style=+%s.%N "$T_TMP/ro.db" | awk '{print $5, $6}')
t_is "the store's file is untouched (bytes, size, mtime)" "$RO_AFTER" "$RO_BEFORE"
"$TFDRIFT" export --store "$T_TMP/ro.db" --status all --format jsonl > "$T_TMP/ro-after.jsonl" 2> /dev/null
t_ok "tfdrift export shows no new decision" cmp "$T_TMP/ro-before.jsonl" "$T_TMP/ro-after.jsonl"
t_unlike "none acknowledged" "$(cat "$T_TMP/ro-after.jsonl")" '"status":"acknowledged"'

# ---- 11. Ctrl-Z from an interactive shell, and fg.
tui_shell jc 100 30
t_screen "an interactive shell" jc '^tui\$ *$'
tui_keys jc -l "\"$TFDRIFT\" demo --pace 1s --passes 1 --store '$T_TMP/jc.db'"
tui_keys jc Enter
t_screen "the dashboard starts in it" jc ' 1/15 *$'
tui_keys jc C-z
t_screen "Ctrl-Z stops it: the shell's prompt is back" jc '^tui\$ *$'
t_like "the shell says it is stopped" "$TUI_SCREEN" 'Stopped'
t_unlike "the dashboard is off the screen" "$TUI_SCREEN" "$BAR"
tui_keys jc -l fg
tui_keys jc Enter
t_screen "fg brings the dashboard back, drawn" jc "$BAR"
t_like "top line and all" "$TUI_SCREEN" '^ tfdrift demo +1 Findings .* 1/15 *$'
tui_keys jc j
t_screen "and working: j moves" jc ' 2/15 *$'
tui_keys jc q
t_screen "q returns to the shell" jc '^tui\$ *$'
tui_keys jc -l 'exit'
tui_keys jc Enter

# ---- 12. Freezes and the timeline.
t_screen "freezes: the demo finishes" fz ' 1/15 *$'
AXIS=$(printf '%s\n' "$TUI_SCREEN" | sed -n 6p)
t_like "the band's axis" "$AXIS" '^10s '
t_unlike "marks no freeze yet" "$AXIS" '▀'
tui_keys fz F
t_screen "F asks until when, with examples from now (12:00)" fz \
    '^Freeze until \(14:00 UTC, 2h or 2024-05-27T14:00:00Z\):'
tui_keys fz -l 2h
tui_keys fz Enter
t_screen "F starts a freeze" fz '^freeze adhoc-tester-1200 until 2024-05-27T14:00:00Z'
t_like "the banner says so" "$TUI_SCREEN" 'FREEZE adhoc-tester-1200: 2h00m left'
t_like "the timeline marks it" "$(printf '%s\n' "$TUI_SCREEN" | sed -n 6p)" '▀'
tui_keys fz F
tui_keys fz -l 1h
tui_keys fz Enter
t_screen "F again in the same minute: another name" fz '^freeze adhoc-tester-1200-2 until 2024-05-27T13:00:00Z'
t_run "$TFDRIFT" freeze list --store "$T_TMP/fz.db"
t_like "freeze list has the first" "$T_OUT" 'adhoc-tester-1200 2024-05-27T12:00:00Z\.\.2024-05-27T14:00:00Z'
t_like "and the second, apart" "$T_OUT" 'adhoc-tester-1200-2 2024-05-27T12:00:00Z\.\.2024-05-27T13:00:00Z'
tui_keys fz q
t_tui_exit fz "the freeze run exits 0"
tui_keys now2 F
t_screen "another now (08:10), other examples" now2 \
    '^Freeze until \(10:00 UTC, 2h or 2024-06-01T10:00:00Z\):'
tui_keys now2 Escape q
t_tui_exit now2 "that run exits 0"

t_screen "the timeline of a file replay" tl 'replay done: [0-9]+ events'
t_like "1-minute buckets, readable times on the axis" "$TUI_SCREEN" '^1m +[0-9]{2}:[0-9]{2}( +[0-9]{2}:[0-9]{2})+ *$'
tui_keys tl '['
t_screen "[ from nowhere: the newest bucket with events" tl '\[bucket 10:48:00-10:49:00\]'
tui_keys tl '['
t_screen "[ again: the previous one with events (10:41-10:47 have none)" tl '\[bucket 10:40:00-10:41:00\]'
tui_keys tl '['
t_screen "and the one before" tl '\[bucket 10:31:00-10:32:00\]'
t_like "the list shows that minute's finding" "$TUI_SCREEN" '10:31:40 .*bob'
tui_keys tl ']'
t_screen "] goes to the next one with events" tl '\[bucket 10:40:00-10:41:00\]'
tui_keys tl Escape
t_screen "Esc clears the bucket" tl ' 1/15 *$'
AXIS=$(printf '%s\n' "$TUI_SCREEN" | grep -E '^1m ')
PRE=${AXIS%%10:00*}
click tl "${#PRE}" 3
t_screen "a click on the band over 10:00 selects that bucket" tl '\[bucket 10:00:00-10:01:00\]'
tui_keys tl Escape z
t_screen "z: 5-minute buckets, labelled by the hour" tl '^5m +[0-9]{2}:00( +[0-9]{2}:00)+'
tui_keys tl z
t_screen "z: 1-hour buckets, labelled by day and noon" tl '^1h +[A-Z][a-z]{2} [0-9]{2} +12:00 '
tui_keys tl z
t_screen "z: 10-second buckets, times with seconds" tl '^10s +[0-9]{2}:[0-9]{2}:[0-9]{2}( +[0-9]{2}:[0-9]{2}:[0-9]{2})+'
tui_keys tl z
t_screen "z: back to 1 minute" tl '^1m +[0-9]{2}:[0-9]{2} '
tui_keys tl q
t_tui_exit tl "the timeline run exits 0"

for n in pg pl pn w80 asc s60 s200 nc; do
	tui_keys "$n" q
done
for n in pg pl w80 asc s60 s200 nc; do
	t_tui_exit "$n" "$n: q exits 0"
done
# The missing pager's shell said "not found" on the terminal (stderr here): only the status.
tui_exit pn
t_is "pn: q exits 0" "$TUI_RC" 0
t_done
