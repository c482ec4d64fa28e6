#!/bin/sh
# scan's read-only fast path: the same output with it as without (tests/scan/fast_path.py).
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/scan/fast_path.py" "$@"
