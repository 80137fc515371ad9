#!/usr/bin/env bash
# Proof that no test reads the real date: every "now" in the server goes through keel::Clock,
# tests build their services on testing::TestClock() (KEEL_TEST_NOW, or a fixed default) or a
# clock anchored at a fixed end date, and nothing else reads the wall clock. This check fails when
# a file starts reading the real clock outside the few places allowed below, each with its reason.
set -uo pipefail
root="${KEEL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root" || exit 2
failed=0
passed=0

check() {  # name, pattern (ERE), paths, allowed files (regex, may be empty)
  local name=$1 pattern=$2 paths=$3 allowed=$4 hits
  hits=$(grep -rnE --include='*.cc' --include='*.h' --include='*.cpp' "$pattern" $paths 2>/dev/null | grep -vE '^[^:]+:[0-9]+:\s*//' || true)
  if [ -n "$allowed" ]; then hits=$(printf '%s\n' "$hits" | grep -vE "$allowed" || true); fi
  hits=$(printf '%s' "$hits" | sed '/^$/d')
  if [ -n "$hits" ]; then
    echo "FAIL $name:"
    printf '%s\n' "$hits" | sed 's/^/    /'
    failed=$((failed + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

# The wall clock is read in one place: keel::Clock::System() (src/common/time.cc).
check "only common/time.cc reads std::chrono::system_clock or time()" \
  'system_clock|[^_a-z]time\(nullptr\)|std::time\(|gettimeofday|localtime|gmtime\(|[^a-z_]clock_gettime\(CLOCK_REALTIME' \
  "src tests bench fuzz" '^src/common/time\.cc:'
# The server's services get the clock injected; only the binary's wiring picks the system clock,
# and a migration's applied_at records when it really ran.
check "only src/app wires Clock::System() into services" 'Clock::System\(\)' "src" \
  '^src/app/[a-z_]+\.cc:|^src/common/time\.cc:|^src/store/migrations\.cc:.*applied_at|^src/store/migrations\.cc:[0-9]+:\s+FormatTimestamp\(Clock::System\(\)->NowMs\(\)\)\};'
# Tests use testing::TestClock(), a ManualClock or a clock anchored at a fixed date; only the
# clock's own unit test touches the system clock (to check that it is the wall clock).
check "tests never use Clock::System()" 'Clock::System\(\)' "tests" '^tests/common/time_test\.cc:'
# SQL never asks the database for the time: a test's clock could not reach it.
check "no SQL reads the database server's clock" "(^|[^:_a-zA-Z])now\(\)|CURRENT_TIMESTAMP|CURRENT_DATE|datetime\('now'|date\('now'|strftime\([^)]*'now'" \
  "src tests" ''

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
