#!/usr/bin/env bash
# `make test`: every check, in order; stops at the first failure. Ends with one
# line naming what ran and one total of tests passed and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

LOGDIR="$(mktemp -d)"
trap 'rm -rf "$LOGDIR"' EXIT
PASSED=0
FAILED=0
STAGES=()

# Runs a stage; its output goes to the terminal and to a log for counting.
stage() {
  local name="$1"
  shift
  say "$name"
  if "$@" 2>&1 | tee "$LOGDIR/$name.log"; then
    STAGES+=("$name")
  else
    FAILED=$((FAILED + $(failed_in "$LOGDIR/$name.log")))
    PASSED=$((PASSED + $(passed_in "$LOGDIR/$name.log")))
    echo
    echo "make test: FAILED at stage '$name' (after: ${STAGES[*]:-nothing})"
    echo "total: $PASSED passed, $((FAILED > 0 ? FAILED : 1)) failed"
    exit 1
  fi
  PASSED=$((PASSED + $(passed_in "$LOGDIR/$name.log")))
}

# Counts from cargo's / wasm-bindgen-test's "test result:" lines and node's TAP summary.
passed_in() {
  { grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$1" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'
    grep -E '^# pass [0-9]+' "$1" | grep -oE '[0-9]+'
    echo 0; } | awk '{ s += $1 } END { print s + 0 }'
}
failed_in() {
  { grep -oE '[0-9]+ passed; [0-9]+ failed' "$1" | sed -E 's/.* ([0-9]+) failed/\1/'
    grep -E '^# fail [0-9]+' "$1" | grep -oE '[0-9]+'
    echo 0; } | awk '{ s += $1 } END { print s + 0 }'
}

stage bootstrap scripts/bootstrap.sh
stage fmt cargo fmt --all --check
stage clippy-native cargo clippy -p viewas-api -p viewas-server --all-targets -- -D warnings
stage clippy-wasm cargo clippy -p viewas --target wasm32-unknown-unknown --all-targets -- -D warnings
stage clippy-wasm-split cargo clippy -p viewas --target wasm32-unknown-unknown --all-targets --features split -- -D warnings
stage server-tests cargo test -p viewas-api -p viewas-server
stage wasm-tests env CHROMEDRIVER=/usr/bin/chromedriver cargo test -p viewas --target wasm32-unknown-unknown
stage build-spa build_spa
stage build-server build_server
stage e2e bash -c 'cd e2e && node --test --test-concurrency=1 --test-reporter=tap tests/'

echo
echo "make test: ran ${STAGES[*]}: all passed"
echo "total: $PASSED passed, $FAILED failed"
