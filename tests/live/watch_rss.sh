#!/bin/sh
# A long-running watch's memory levels off: tests/bench/watch_rss.py runs `tfdrift watch`
# over a simulated day (200,000 events whose times span 24 h, every id new) with id sets of
# 5,000 (TFDRIFT_DEDUP_IDS), so they fill early, and checks that the RSS grows by at most
# 2 MB over the last quarter of the day (50,000 events: anything kept per event, 40 bytes or
# more, grows past that; what is bounded but fills slowly, SQLite's page cache as the store
# grows, the allocator's arenas, levels off at about 215 MB within the first 150,000 events
# here, sooner when the machine is not busy). `make bench` runs a larger day (1,000,000).
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

# Under ASan the RSS is the sanitizer's (its quarantine alone grows to 256 MB, its
# allocator keeps what it got): the figure means something in a plain build only.
if grep -q __asan_init "$TFDRIFT" 2> /dev/null; then
	t_skip "watch over a simulated day: the RSS levels off" "a sanitizer build"
	t_done
	exit 0
fi
t_run /usr/bin/python3 "$TOP_SRCDIR/tests/bench/watch_rss.py" --tfdrift "$TFDRIFT" \
    --datadir "$TOP_SRCDIR" --dir "$T_TMP" --events 200000 --dedup-ids 5000 --max-growth-mb 2 --from 0.75
printf '%s\n' "$T_OUT" | sed 's/^/# /'
t_is "watch over a simulated day: the RSS levels off, SIGTERM exits 0" "$T_RC" 0
t_is "no complaint" "$T_ERR" ""
t_like "figures" "$T_OUT" 'watch_rss_growth_from_75%_mb=-?[0-9.]+'
t_done
