#!/usr/bin/env bash
# docs/openapi.json passes Redocly's recommended ruleset with no error and no warning (redocly.yaml;
# the CLI is pinned in tools/openapi/package-lock.json and installed by `make build`). Skips when
# the tool is not installed, unless CI=true.
set -euo pipefail
root="${KEEL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cli="$root/tools/openapi/node_modules/@redocly/cli/bin/cli.js"
if [ ! -f "$cli" ] || ! command -v node >/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "openapi_lint: Redocly CLI is not installed (cd tools/openapi && npm ci)" >&2
    exit 1
  fi
  echo "openapi_lint: skipped: Redocly CLI is not installed (cd tools/openapi && npm ci)"
  exit 0
fi
cd "$root"
# No usage data, no update check: the lint runs offline.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
out=$(node "$cli" lint --config redocly.yaml --format=stylish --max-problems 100 2>&1) || { echo "$out"; exit 1; }
# Warnings fail too: the recommended ruleset's warnings are real defects of the document.
if echo "$out" | grep -qE "[1-9][0-9]* warnings?"; then
  echo "$out"
  echo "openapi_lint: warnings are not allowed" >&2
  exit 1
fi
echo "$out" | tail -3
