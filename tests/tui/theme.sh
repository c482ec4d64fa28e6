#!/bin/sh
# Themes in the real dashboard through tmux: the shipped themes' colours for a HIGH finding on
# 256- and 8-colour terminals (numbers and their fallbacks), CRIT as a block of red, headers
# that are not blue, NO_COLOR and colourless terminals give no colour at all (and still show
# which tab is active), a theme file by path and by config key, the embedded themes without
# themes/ in the data dir, and themes that fail to load: exit 1 with why.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
export TFDRIFT_NOW
ESC=$(printf '\033')
# Any SGR colour: 30-37/40-47, bright 90-97/100-107, 256-colour 38;5/48;5 (tmux always
# writes 39 and 49, the terminal's own colours: those are not colour).
COLOUR_RE="${ESC}\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m"

demo() {
	_n=$1 _term=$2
	shift 2
	tui_start "$_n" 100 30 env TERM="$_term" "$TFDRIFT" demo --store "$T_TMP/$_n.db" \
	    --pace 1s --passes 1 "$@"
}

# capture NAME: the screen with its colour escapes, once the replay has finished.
capture() {
	tui_wait "$1" 'replay done' 30 || t_diag "$1: the replay did not finish: $TUI_SCREEN"
	tmx capture-pane -e -p -t "=tui:=$1"
}

quit() {
	tui_keys "$1" q
	t_tui_exit "$1" "$2"
}

cat > "$T_TMP/mine.yaml" <<'EOF'
# A user's theme: light, with its own HIGH.
name: mine
inherit: light
slots:
  finding-high: {fg: 33, attrs: [underline]}
EOF
cat > "$T_TMP/bad.yaml" <<'EOF'
name: bad
slots:
  finding-high: {fg: purple}
  finding-hgih: {fg: red}
EOF
printf 'theme: high-contrast\n' > "$T_TMP/hc.conf.yaml"
printf 'theme: nosuch\n' > "$T_TMP/nosuch.conf.yaml"

# A data dir with the demo's examples and event maps but no themes/: the built-in themes
# are embedded in the binary.
mkdir -p "$T_TMP/data/doc"
ln -s "$TOP_SRCDIR/doc/examples" "$T_TMP/data/doc/examples"
ln -s "$TOP_SRCDIR/rules" "$T_TMP/data/rules"

demo default256 tmux-256color
demo light256 tmux-256color --theme light
demo light8 screen --theme light
demo hc256 tmux-256color --theme high-contrast
demo hc8 screen --theme high-contrast
TUI_NO_COLOR=1
demo nocolor tmux-256color --theme high-contrast
TUI_NO_COLOR=
demo mono xterm-mono --theme light
demo mine tmux-256color --theme "$T_TMP/mine.yaml"
demo conf tmux-256color -c "$T_TMP/hc.conf.yaml"
OLD_DATADIR=$TFDRIFT_DATADIR
TFDRIFT_DATADIR=$T_TMP/data
(cd / && demo embedded tmux-256color --theme light)
TFDRIFT_DATADIR=$OLD_DATADIR

S=$(capture default256)
t_like "default: CRIT in white on red, bold" "$S" "${ESC}\\[1m${ESC}\\[37m${ESC}\\[41mCRIT"
t_like "default: HIGH in red, bold, below it" "$S" "${ESC}\\[1m${ESC}\\[31mHIGH"
t_unlike "default: no blue in the top line (unreadable on dark terminals)" "$(printf '%s\n' "$S" | head -n 1)" \
    "${ESC}\\[(34|44|94|104)m"
t_like "default: column headings in the terminal's own colour, bold" "$S" "${ESC}\\[0;1m${ESC}\\[39m${ESC}\\[49m ST SEV  TIME"
quit default256 "default (256 colours) exits 0"

S=$(capture light256)
t_like "light, 256 colours: CRIT on colour 160" "$S" "${ESC}\\[48;5;160mCRIT"
t_like "light, 256 colours: HIGH in colour 160, bold" "$S" "${ESC}\\[1m${ESC}\\[38;5;160mHIGH"
t_like "light, 256 colours: MED in colour 130" "$S" "${ESC}\\[38;5;130mMED"
t_unlike "light, 256 colours: not the default theme's red" "$S" "${ESC}\\[31mHIGH"
quit light256 "light (256 colours) exits 0"

S=$(capture light8)
t_like "light, 8 colours: 160 falls back to the nearest, red" "$S" "${ESC}\\[1m${ESC}\\[31mHIGH"
t_like "light, 8 colours: 130 takes its fallback, yellow (nearest would be red)" "$S" \
    "${ESC}\\[33mMED"
t_unlike "light, 8 colours: no 256-colour or bright escapes" "$S" "${ESC}\\[(38;5|48;5|9[0-7]m|10[0-7]m)"
quit light8 "light (8 colours) exits 0"

S=$(capture hc256)
t_like "high-contrast, 256 colours: HIGH bright red, bold" "$S" "${ESC}\\[1m${ESC}\\[91mHIGH"
t_like "high-contrast: CRIT on red" "$S" "${ESC}\\[41mCRIT"
t_like "high-contrast: bright white on black" "$S" "${ESC}\\[97m${ESC}\\[40m"
quit hc256 "high-contrast (256 colours) exits 0"

S=$(capture hc8)
t_like "high-contrast, 8 colours: bright red becomes red" "$S" "${ESC}\\[1m${ESC}\\[31mHIGH"
t_unlike "high-contrast, 8 colours: no bright escapes" "$S" "${ESC}\\[(9[0-7]|10[0-7])m"
quit hc8 "high-contrast (8 colours) exits 0"

S=$(capture nocolor)
t_unlike "NO_COLOR=1 over high-contrast: no colour escapes at all" "$S" "$COLOUR_RE"
t_like "NO_COLOR=1: HIGH still stands out (monochrome: bold)" "$S" "${ESC}\\[1mHIGH"
t_like "NO_COLOR=1: CRIT more (bold and underlined)" "$S" "${ESC}\\[1;4mCRIT"
# The top line is reverse video; the active tab is the one part out of it, underlined.
t_like "NO_COLOR=1: the active tab is underlined, the others in the bar's reverse video" \
    "$(printf '%s\n' "$S" | head -n 1)" \
    "${ESC}\\[([0-9]+;)*4m(${ESC}\\[[0-9;]*m)* 1 Findings ${ESC}\\[([0-9]+;)*7m(${ESC}\\[[0-9;]*m)* 2 Events"
quit nocolor "NO_COLOR run exits 0"

S=$(capture mono)
t_unlike "a terminal without colours (xterm-mono): no colour escapes" "$S" "$COLOUR_RE"
t_like "xterm-mono: the monochrome theme's bold HIGH" "$S" "${ESC}\\[1mHIGH"
quit mono "xterm-mono run exits 0"

S=$(capture mine)
t_like "a theme file by path: its own HIGH (33, underlined)" "$S" "${ESC}\\[4m${ESC}\\[38;5;33mHIGH"
t_like "a theme file by path: MED inherited from light" "$S" "${ESC}\\[38;5;130mMED"
quit mine "theme file run exits 0"

S=$(capture conf)
t_like "config key theme: high-contrast" "$S" "${ESC}\\[1m${ESC}\\[91mHIGH"
quit conf "config theme run exits 0"

S=$(capture embedded)
t_like "no themes/ in the data dir, another cwd: the embedded light theme" "$S" \
    "${ESC}\\[1m${ESC}\\[38;5;160mHIGH"
quit embedded "embedded theme run exits 0"

# Themes that do not load: exit 1 before curses starts, saying why.
demo nosuch tmux-256color --theme nosuch
tui_exit nosuch 20
t_is "--theme nosuch exits 1" "$TUI_RC" 1
ERR=$(cat "$T_TMP/nosuch.err")
t_like "the message names the theme" "$ERR" "^tfdrift: unknown theme 'nosuch': not a built-in theme \\(default, light, monochrome, high-contrast\\)"
t_like "and where it looked" "$ERR" "no file $TFDRIFT_DATADIR/themes/nosuch\\.yaml"
t_unlike "curses never started (no escapes on stderr)" "$ERR" "$ESC"

demo bad tmux-256color --theme "$T_TMP/bad.yaml"
tui_exit bad 20
t_is "a bad theme file exits 1" "$TUI_RC" 1
ERR=$(cat "$T_TMP/bad.err")
t_like "file:line:column of the bad colour" "$ERR" \
    "^tfdrift: $T_TMP/bad\\.yaml:3:22: finding-high: fg: unknown colour 'purple'"
t_like "and of the misspelt slot" "$ERR" \
    "tfdrift: $T_TMP/bad\\.yaml:4:3: unknown slot 'finding-hgih' \\(did you mean 'finding-high'\\?\\)"

demo confbad tmux-256color -c "$T_TMP/nosuch.conf.yaml"
tui_exit confbad 20
t_is "config theme: nosuch exits 1" "$TUI_RC" 1
t_like "naming the theme" "$(cat "$T_TMP/confbad.err")" "unknown theme 'nosuch'"

t_exit "config check validates the theme" 1 "$TFDRIFT" config check -c "$T_TMP/nosuch.conf.yaml"
t_like "config check names the theme" "$T_ERR" "unknown theme 'nosuch'"
t_ok "config check accepts a shipped theme" "$TFDRIFT" config check -c "$T_TMP/hc.conf.yaml"
t_like "and prints it" "$T_OUT" 'high-contrast'
t_done
