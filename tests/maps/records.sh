#!/bin/sh
# The event maps run on the real records of ../shared/data: every entry whose event occurs
# there names a resource and reads its attributes (tests/maps/map_probe extracts what
# detection extracts). Reviewed exceptions: tests/data/eventmaps-records-exceptions.tsv.
# Driver: tests/maps/records_check.py; skipped without ../shared/data.
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/maps/records_check.py" "$@"
