#!/bin/sh
# A long-running watch's memory levels off: tests/bench/watch_rss.py runs `tfdrift watch`
# over a simulated day (100,000 events whose times span 24 h, every id new) with id sets of
# 5,000 (TFDRIFT_DEDUP_IDS), so they fill early, and checks that the RSS grows by at most
# 2 MB over the second half of the day (an unbounded id set, or anything else kept per
# event, grows past that). `make bench` runs a larger day.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

t_run /usr/bin/python3 "$TOP_SRCDIR/tests/bench/watch_rss.py" --tfdrift "$TFDRIFT" \
    --datadir "$TOP_SRCDIR" --dir "$T_TMP" --events 100000 --dedup-ids 5000 --max-growth-mb 2
printf '%s\n' "$T_OUT" | sed 's/^/# /'
t_is "watch over a simulated day: the RSS levels off, SIGTERM exits 0" "$T_RC" 0
t_is "no complaint" "$T_ERR" ""
t_like "figures" "$T_OUT" 'watch_rss_growth_second_half_mb=-?[0-9.]+'
t_done
