#!/usr/bin/env bash
# make soak: the durability soak of issue 7, then the long fuzz run.
#
# Builds the release server, runs it on a free port with a fresh database
# (short sessions, so they expire and restart under load), drives
# impersonated view reads with `viewas-load soak` (which logs every 2xx
# answer it gets), SIGKILLs the server at random moments SOAK_KILLS times and
# restarts it on the same database. Afterwards `viewas-load check`: the audit
# chain verifies, every logged 2xx answer has its audit row, no session is
# active past its end, and no view was answered after its session's end.
# Exits non-zero on any failure.
#
#   SOAK_SECONDS (default 120)   how long the load runs
#   SOAK_KILLS   (default 6)     how many SIGKILLs
#   SOAK_WORKERS (default 8)     concurrent sessions
#   SOAK_FUZZ_CASES (default 20000; 0 skips) cases for the fuzz harness
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

SECONDS_TOTAL=${SOAK_SECONDS:-120}
KILLS=${SOAK_KILLS:-6}
WORKERS=${SOAK_WORKERS:-8}
FUZZ_CASES=${SOAK_FUZZ_CASES:-20000}

say() { printf '\n== %s\n' "$*"; }

say "Building viewas-server and viewas-load (release)"
cargo build --release -p viewas-server --bins

work=$(mktemp -d "${TMPDIR:-/tmp}/viewas-soak.XXXXXX")
db="$work/soak.db"
answers="$work/answers.log"
server_pid=""
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

port=0
starts=0
start_server() {
  local before
  before=$(grep -c 'listening on' "$work/stdout" 2>/dev/null || true)
  target/release/viewas-server --addr "127.0.0.1:$port" --db "$db" --demo --demo-size small \
    --max-session 15s --idle-timeout 6s --dist "$work/no-dist" \
    >>"$work/stdout" 2>>"$work/server.log" &
  server_pid=$!
  starts=$((starts + 1))
  for _ in $(seq 1 200); do
    if [ "$(grep -c 'listening on' "$work/stdout" 2>/dev/null || true)" -gt "${before:-0}" ]; then
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited; log:"; tail -20 "$work/server.log"; exit 1; }
    sleep 0.05
  done
  if [ "$port" = 0 ]; then
    port=$(grep 'viewas-server listening on' "$work/stdout" | tail -1 | sed 's/.*:\([0-9]*\)$/\1/')
  fi
}

say "Server on a free port, fresh database in $work"
start_server
url="http://127.0.0.1:$port"
echo "listening on $url"

say "Load: $WORKERS sessions for ${SECONDS_TOTAL}s, $KILLS SIGKILLs at random moments"
target/release/viewas-load soak --url "$url" --log "$answers" --seconds $((SECONDS_TOTAL + 60)) \
  --workers "$WORKERS" --stop-file "$work/stop" >"$work/load.out" 2>"$work/load.err" &
load_pid=$!

slice=$((SECONDS_TOTAL / (KILLS + 1)))
[ "$slice" -lt 2 ] && slice=2
kills=0
for _ in $(seq 1 "$KILLS"); do
  # A random moment inside this slice (to the millisecond).
  sleep "$((RANDOM % slice)).$((RANDOM % 1000))"
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  kills=$((kills + 1))
  echo "  SIGKILL $kills at $(date +%T.%N | cut -c1-12), $(wc -l <"$answers") 2xx answers logged so far"
  sleep "0.$((RANDOM % 10))"
  start_server
done
sleep "$slice"
touch "$work/stop"
wait "$load_pid" || { echo "load generator failed:"; cat "$work/load.err"; exit 1; }
load_pid=""
cat "$work/load.out"

# Let every session reach its end (idle 6 s, maximum 15 s) and the sweeper
# (every 2 s) end it, so "active past its end" is a real check.
sleep 12

say "Checks"
status=0
target/release/viewas-load check --url "$url" --db "$db" --log "$answers" || status=$?
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
if grep -q 'panicked' "$work/server.log"; then
  echo "soak: FAIL the server panicked:"; grep -m5 'panicked' "$work/server.log"; status=1
fi

fuzz_status=0
if [ "$FUZZ_CASES" -gt 0 ]; then
  say "Fuzz harness, $FUZZ_CASES cases"
  # pipefail: this fails when cargo does, whatever grep finds.
  if ! VIEWAS_FUZZ_CASES=$FUZZ_CASES cargo test --release -p viewas-server --test fuzz -- --nocapture \
    2>&1 | grep -E 'fuzz:|test result|panicked|FAILED'; then
    fuzz_status=1
  fi
fi

say "Summary"
tried=$(sed -n 's/.*tried \([0-9]*\) requests.*/\1/p' "$work/load.out")
echo "requests tried: ${tried:-?}; 2xx answers logged and checked: $(wc -l <"$answers"); kills survived: $kills (server started $starts times)"
if [ "$status" = 0 ] && [ "$fuzz_status" = 0 ]; then
  echo "soak: PASS"
  rm -rf "$work"
else
  echo "soak: FAIL (logs kept in $work)"
  exit 1
fi
