#!/usr/bin/env bash
# `make bench`: every figure of the performance issue, each beside a reference
# measured in the same run. Prints figures; exits non-zero naming each budget
# that was exceeded.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

export BENCH_OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$BENCH_OUT"
EXCEEDED=()

budget() { # name, condition-as-awk-expression, description
  if awk "BEGIN { exit !($2) }"; then
    echo "  budget ok: $3"
  else
    echo "  BUDGET EXCEEDED: $3"
    EXCEEDED+=("$1")
  fi
}

scripts/bootstrap.sh --bench >/dev/null || { echo "bootstrap failed: run scripts/bootstrap.sh"; exit 1; }
build_spa >/dev/null 2>&1 || { echo "SPA build failed"; exit 1; }
build_server >/dev/null 2>&1 || { echo "server build failed"; exit 1; }

say "1. Bundle size"
bench/bundle.sh || EXCEEDED+=("bundle")

say "2. Time to view (headless Chromium, ${BENCH_REPS:-20} repetitions)"
json="$(node bench/browser.mjs | tail -n 1)"
echo "$json" >"$BENCH_OUT/browser.json"
get() { node -e "const j=JSON.parse(process.argv[1]);console.log(j$2)" "$json"; }
ref=$(get "" ".reference.median")
for k in start_to_view runs_tab load_more reference; do
  printf '  %-14s median %7s ms   p90 %7s ms   (%sx the reference)\n' "$k" \
    "$(get "" ".$k.median")" "$(get "" ".$k.p90")" \
    "$(awk -v a="$(get "" ".$k.median")" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
done
stv=$(get "" ".start_to_view.median")
budget start_to_view "$stv <= 150" "Start -> banner + first row, median ${stv} ms <= 150 ms"

if [ -x bench/server.sh ]; then
  bench/server.sh || EXCEEDED+=("server")
fi

say "5. Memory (browser)"
printf '  tab after %s runs: JS heap %.1f MB + wasm memory %.1f MB\n' "$(get "" ".memory.rows")" \
  "$(awk -v b="$(get "" ".memory.js_heap_bytes")" 'BEGIN { print b / 1048576 }')" \
  "$(awk -v b="$(get "" ".memory.wasm_memory_bytes")" 'BEGIN { print b / 1048576 }')"

echo
if [ ${#EXCEEDED[@]} -eq 0 ]; then
  echo "make bench: every budget met"
else
  echo "make bench: budgets exceeded: ${EXCEEDED[*]}"
  exit 1
fi
