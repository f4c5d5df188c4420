#!/usr/bin/env bash
# A deliberately broken connector, for the harness's own tests: it runs the
# real connector ($REAL_CONNECTOR) and damages one behaviour, chosen by
# $BROKEN, so each suite can be shown to catch it.
set -uo pipefail
cmd="${1:-}"
config=""
args=()
skip_next=0
for ((i = 1; i <= $#; i++)); do
  arg="${!i}"
  if [ "$arg" = "--config" ]; then j=$((i + 1)); config="${!j}"; fi
  # `ignore_state` drops --state and its value.
  if [ "${BROKEN:-}" = "ignore_state" ] && [ "$arg" = "--state" ]; then skip_next=1; continue; fi
  if [ "$skip_next" = 1 ]; then skip_next=0; continue; fi
  args+=("$arg")
done
real() { "$REAL_CONNECTOR" "${args[@]}"; }

case "${BROKEN:-}:${cmd}" in
  secret_in_log:check)
    secret="$(sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p' "$config")"
    printf '{"type":"LOG","log":{"level":"INFO","message":"connecting with key %s"}}\n' "$secret"
    real ;;
  raise_in_check:check)
    # A check that raises, as a connector with no reachable server does.
    printf '{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,"error":{"message":"cannot connect","failure_type":"system_error"}}}\n'
    exit 1 ;;
  crash_in_check:check)
    echo "Traceback: segmentation fault" >&2
    exit 139 ;;
  not_json:*)
    echo "hello from a print statement"
    real ;;
  duplicate_order:spec)
    real | sed 's/"order":1,/"order":0,/' ;;
  pk_not_in_schema:discover)
    real | sed 's/"source_defined_primary_key":\[\["id"\]\]/"source_defined_primary_key":[["nope"]]/g' ;;
  bad_record:read)
    real | sed 's/"data":{"id":0,/"data":{"id":"zero",/' ;;
  state_before_records:read)
    # Prints each stream's STATE before its records.
    real | awk '/"type":"STATE"/ { print; next } { buf[n++] = $0 } END { for (i = 0; i < n; i++) print buf[i] }' ;;
  same_clock:read)
    real | sed 's/"emitted_at":[0-9]*}/"emitted_at":1}/' ;;
  no_status:read)
    real | grep -v '"STREAM_STATUS"' ;;
  drop_state_id:write)
    real | sed 's/,"id":[0-9]*//' ;;
  *)
    real ;;
esac
