#!/bin/sh
# Falco alerts as a source: `watch --once` with sources.falco reading a file of alerts (the
# CloudTrail plugin's SSH-ingress alert) finds the opened security group against
# doc/examples/prod.tfstate; stdin ("-") works; a unix socket works (a python client sends);
# syscall alerts are skipped and counted; malformed lines reported with their line number.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX="$TOP_SRCDIR/doc/examples"
ALERTS="$TOP_SRCDIR/tests/data/falco/alerts.jsonl"

conf() {    # conf FILE PATH
	cat > "$1" <<EOC
states: ["$EX/prod.tfstate", "$EX/gcp.tfstate"]
sources:
  falco:
    - name: falco
      path: "$2"
EOC
}

conf "$T_TMP/file.yaml" "$ALERTS"
t_run "$TFDRIFT" config check -c "$T_TMP/file.yaml"
t_is "sources.falco passes config check" "$T_RC" 0
t_like "and is printed back" "$T_OUT" 'falco:'

t_run "$TFDRIFT" watch --once -c "$T_TMP/file.yaml" --store "$T_TMP/f.db"
t_is "a file of alerts with drift: exit 2" "$T_RC" 2
t_like "the opened security group is found" "$T_OUT" '"address":"module.net.aws_security_group.web"'
t_like "with the CIDR from ct.request" "$T_OUT" '0\.0\.0\.0/0'
t_like "the GCP firewall from the gcpaudit alert" "$T_OUT" '"address":"google_compute_firewall.allow_ssh"'
t_like "the KMS key from json.obj" "$T_OUT" '"address":"aws_kms_key.data"'
t_like "findings carry the fix" "$T_OUT" '"fix":"terraform apply -target=module.net.aws_security_group.web"'
t_is "three findings" "$(printf '%s\n' "$T_OUT" | grep -c '^{"id":')" 3
t_like "non-cloud alerts counted as skipped" "$T_ERR" '6 alerts: 4 events, 1 not cloud audit alerts skipped, 2 malformed'
t_like "a malformed line names its line" "$T_ERR" 'alerts\.jsonl:[35]: '
printf '%s\n' "$T_OUT" > "$T_TMP/file.jsonl"
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	t_ok "output is schema-valid" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" \
	    --jsonl "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/file.jsonl"
else
	t_skip "output is schema-valid" "python3-jsonschema missing"
fi
t_run "$TFDRIFT" watch --once -c "$T_TMP/file.yaml" --store "$T_TMP/f.db"
t_is "the file's cursor is kept: a second run reads nothing new" "$T_RC" 0
cp "$ALERTS" "$T_TMP/grow.jsonl"
conf "$T_TMP/grow.yaml" "$T_TMP/grow.jsonl"
t_run "$TFDRIFT" watch --once -c "$T_TMP/grow.yaml" --store "$T_TMP/g.db"
sed -n 4p "$ALERTS" | sed 's/"ct.id":"[^"]*"/"ct.id":"appended-1"/' >> "$T_TMP/grow.jsonl"
t_run "$TFDRIFT" watch --once -c "$T_TMP/grow.yaml" --store "$T_TMP/g.db"
t_is "an appended alert is read (tail)" "$(printf '%s\n' "$T_OUT" | grep -c '^{"id":')" 1

conf "$T_TMP/stdin.yaml" "-"
t_run sh -c "'$TFDRIFT' watch --once -c '$T_TMP/stdin.yaml' --store '$T_TMP/s.db' < '$ALERTS'"
t_is "stdin: exit 2" "$T_RC" 2
t_like "stdin: the security group" "$T_OUT" '"address":"module.net.aws_security_group.web"'
t_like "stdin: origins name stdin and the line" "$T_ERR" 'stdin:[35]: '

SOCK="$T_TMP/falco.sock"
conf "$T_TMP/sock.yaml" "unix:$SOCK"
if need_cmd python3; then
	cat > "$T_TMP/send.py" <<'EOP'
import socket, sys, time
path, data = sys.argv[1], open(sys.argv[2], "rb").read()
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("no socket")
# two writes that split a line: the reader joins them
s.sendall(data[:100]); time.sleep(0.1); s.sendall(data[100:]); s.close()
EOP
	python3 "$T_TMP/send.py" "$SOCK" "$ALERTS" &
	SENDER=$!
	t_kill_at_exit "$SENDER"
	t_run "$TFDRIFT" watch --once -c "$T_TMP/sock.yaml" --store "$T_TMP/u.db"
	wait "$SENDER"
	t_is "unix socket: exit 2" "$T_RC" 2
	t_like "unix socket: the security group" "$T_OUT" '"address":"module.net.aws_security_group.web"'
	t_is "unix socket: three findings" "$(printf '%s\n' "$T_OUT" | grep -c '^{"id":')" 3
	t_ok "the socket file is removed at the end" test ! -e "$SOCK"
else
	t_skip "unix socket" "python3 missing"
fi

printf 'sources:\n  falco:\n    - name: x\n' > "$T_TMP/bad.yaml"
t_run "$TFDRIFT" config check -c "$T_TMP/bad.yaml"
t_is "a falco source without path: exit 1" "$T_RC" 1
t_like "with file:line:column" "$T_ERR" 'bad\.yaml:3:[0-9]+: sources\.falco item 1 \(x\) has no path'
t_done
