#!/bin/sh
# End-to-end scan scenarios (data in tests/scan/scenarios/*.json, driver run_scenarios.py).
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/scan/run_scenarios.py" "$@"
