#!/bin/sh
# Prints the folder of the test venvs (scripts/setup-test-env.sh makes them):
# $AIRBYTE_RS_CACHE, else $XDG_CACHE_HOME/airbyte-rs, else ~/.cache/airbyte-rs.
# Outside the checkout, so that a fresh clone reuses them.
echo "${AIRBYTE_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airbyte-rs}"
