#!/bin/sh
# Output hygiene: every output format of findings built from hostile strings is valid
# (strict UTF-8 JSON, RFC 4180 CSV without live formulas, text without control bytes).
# Driver: hygiene.py.
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/scan/hygiene.py" "$@"
