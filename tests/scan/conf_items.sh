#!/bin/sh
# The keys of sources and outputs items (conf.c's source_rows and output_rows): `config check`
# on tests/data/conf/items/full.yaml prints the dump in full.golden (secrets written inline
# redacted, ${VAR} kept), that dump loads back to itself, and each err-*.yaml fails with the
# messages in its .golden. Prints TAP. Update a golden: TFDRIFT_UPDATE_GOLDEN=1.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/conf_items.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

if [ ! -x "$TFDRIFT" ]; then
	t_skip_all "no tfdrift binary at $TFDRIFT"
fi
TFDRIFT=$(cd "$(dirname "$TFDRIFT")" && pwd)/$(basename "$TFDRIFT")
HOME=$T_TMP/home
XDG_CONFIG_HOME=$T_TMP/xdg-config
XDG_STATE_HOME=$T_TMP/xdg-state
SLACK_URL=https://hooks.slack.com/services/T0/B0/SeCrEtFromEnv
NO_COLOR=1
export HOME XDG_CONFIG_HOME XDG_STATE_HOME SLACK_URL NO_COLOR
unset NOPE_UNSET NOPE2
items=$(cd "$TOP_SRCDIR/tests/data/conf/items" && pwd) || t_skip_all "no tests/data/conf/items"
cp "$items"/*.yaml "$T_TMP"/ || t_skip_all "cannot copy $items"
cd "$T_TMP" || exit 1

# Compare stdout+stderr of `config check` (from the outputs on: the options above are
# test_conf's) with a golden file, $T_TMP written as @TMP@.
golden() {
	_g_name=$1 _g_gold=$items/$4
	t_exit "$_g_name: exit status" "$2" "$TFDRIFT" config check --config "$3"
	_got=$(printf '%s\n%s\n' "$T_OUT" "$T_ERR" | sed -n '/^# Notification outputs/,$p; /^tfdrift: /p' |
	    sed "s|$T_TMP|@TMP@|g")
	if [ -n "$TFDRIFT_UPDATE_GOLDEN" ]; then
		printf '%s\n' "$_got" > "$_g_gold"
	fi
	t_is "$_g_name: as in $4" "$_got" "$(cat "$_g_gold")"
}

golden "every key" 0 full.yaml full.golden
t_unlike "an inline url, header or hmac_secret is never shown" "$T_OUT" 'XXXXSECRET|Bearer tok|inline-secret|u:p@'
t_unlike "nor what \${SLACK_URL} expands to" "$T_OUT" 'SeCrEtFromEnv'
printf '%s\n' "$T_OUT" > dump.yaml
first=$(printf '%s\n' "$T_OUT" | sed 1d)
t_ok "the dump loads" "$TFDRIFT" config check --config dump.yaml
t_is "... back to the same dump" "$(printf '%s\n' "$T_OUT" | sed 1d)" "$first"
for f in err-*.yaml; do
	golden "$f" 1 "$f" "${f%.yaml}.golden"
done
t_done
