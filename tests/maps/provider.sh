#!/bin/sh
# The event maps against the Terraform providers' docs: every mapped resource type and
# attribute name is documented (tests/data/provider-facts-{aws,google}.tsv, made by
# tests/maps/provider_facts.py) or carries a reviewed exception
# (tests/data/eventmaps-provider-exceptions.tsv). Driver: tests/maps/provider_check.py.
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/maps/provider_check.py" "$@"
