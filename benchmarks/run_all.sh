#!/usr/bin/env bash
# The full measurement pass used for docs/performance.md (about 30 minutes on 2 cores).
# Expects two generated databases: klantstuur_bench (1M needs) and klantstuur_bench_100k.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
for db in klantstuur_bench klantstuur_bench_100k; do
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
  echo "== $db: reads, as shipped"; $PY benchmarks/bench_reads.py --requests 300 --concurrency 4
  echo "== $db: reads, TCP_NODELAY fix + connection pool"
  $PY benchmarks/bench_reads.py --requests 300 --concurrency 4 --nodelay-fix --pool --label=-fixed
  echo "== $db: create, as shipped"; $PY benchmarks/bench_create.py --requests 3000 --concurrency 12 --workers 2,4
  echo "== $db: create, fixed"
  $PY benchmarks/bench_create.py --requests 3000 --concurrency 12 --workers 2,4 --nodelay-fix --pool --label=-fixed
done
