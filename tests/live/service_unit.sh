#!/bin/sh
# doc/tfdrift-watch.service: systemd-analyze verify accepts it (with ExecStart pointed at
# the tfdrift under test, since verify checks that the binary exists), and it says what the
# README promises: Type=notify, reload by SIGHUP, restart on failure, its own user and one
# writable state directory.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

UNIT="$TOP_SRCDIR/doc/tfdrift-watch.service"
for d in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
    'DynamicUser=yes' 'StateDirectory=tfdrift' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
    'KillSignal=SIGTERM' 'WatchdogSec='; do
	t_ok "the unit has $d" grep -qF "$d" "$UNIT"
done
if command -v systemd-analyze > /dev/null 2>&1; then
	sed "s|^ExecStart=/usr/bin/tfdrift|ExecStart=$TFDRIFT|" "$UNIT" > "$T_TMP/tfdrift-watch.service"
	t_run systemd-analyze verify --man=no "$T_TMP/tfdrift-watch.service"
	t_is "systemd-analyze verify: exit 0" "$T_RC" 0
	t_is "and no complaint" "$T_ERR" ""
else
	t_skip "systemd-analyze verify" "systemd-analyze missing"
	t_skip "and no complaint" "systemd-analyze missing"
fi
t_done
