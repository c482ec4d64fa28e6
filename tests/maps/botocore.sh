#!/bin/sh
# The event maps against the AWS API models (Debian's python3-botocore): every AWS entry names
# a real operation and reads only paths of its input/output shapes as CloudTrail spells them,
# or carries a reviewed exception (tests/data/eventmaps-botocore-exceptions.tsv).
# Driver and rules: tests/maps/botocore_check.py.
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/maps/botocore_check.py" "$@"
