#!/bin/sh
# Terraform CLI configuration credentials blocks (HCL) against python3-pyhcl.
# Driver and cases: tests/scan/tfrc_hcl.py.
exec /usr/bin/python3 "${TOP_SRCDIR:-.}/tests/scan/tfrc_hcl.py" "$@"
