#!/bin/bash
# Issue #13's benchmark: a 40-table Saturday (160 guests, 2 h at 60x) played through the
# HTTP API by `klantstuur simulate terrace` against `klantstuur serve` + `klantstuur worker`
# on PostgreSQL. Prints the load average every 15 s, the server's CPU time and its time
# waiting for a CPU (/proc/<pid>/task/*/schedstat), and the simulator's JSON line
# (latencies, and what was counted back in the database). docs/performance-floor.md.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench \
#       benchmarks/terrace_saturday.sh steered --workers 2     # one server process per core
#
# Arguments: organisation (steered|process), then anything for `klantstuur serve`.
set -u
: "${DATABASE_URL:?a PostgreSQL database (it gets a fresh terrace business per run)}"
export SECRET_KEY="${SECRET_KEY:-bench-only-not-a-secret-0123456789abcdef}"
ORG="${1:-steered}"; shift || true
PORT="${PORT:-8731}"
BIN="$(dirname "$0")/../.venv/bin"
"$BIN/klantstuur" migrate --verbosity 0
"$BIN/klantstuur" serve --port "$PORT" "$@" > /dev/null 2>&1 & SERVER=$!
"$BIN/klantstuur" worker > /dev/null 2>&1 & WORKER=$!
trap 'kill $SERVER $WORKER 2>/dev/null; sleep 3; kill $SERVER 2>/dev/null' EXIT
sleep 5
# On-CPU and waiting-for-a-CPU seconds, summed over the server's threads (and over its
# worker processes with --workers N).
sched() {
    for pid in "$1" $(pgrep -P "$1"); do cat /proc/"$pid"/task/*/schedstat 2>/dev/null; done |
        awk '{c+=$1; w+=$2} END {printf "%.1f %.1f", c/1e9, w/1e9}'
}
echo "start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
( while sleep 15; do echo "load $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; done ) & LOAD=$!
BEFORE=$(sched $SERVER)
"$BIN/klantstuur" simulate terrace --base "http://127.0.0.1:$PORT" --tables 40 --minutes 120 \
    --speed 60 --organisation "$ORG"
STATUS=$?
kill $LOAD
echo "end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server (on-CPU s, waiting for a CPU s): before $BEFORE, after $(sched $SERVER)"
exit $STATUS
