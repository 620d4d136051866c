"""Markdown tables from benchmarks/results/*.json (the figures in docs/performance.md).

.venv/bin/python benchmarks/summarize.py
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _load(pattern: str) -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text())) for p in sorted(RESULTS.glob(pattern))]


def reads() -> None:
    runs = _load("reads-*.json")
    if not runs:
        return
    print("## Reads: p50 / p95 / p99 ms (client-side, keep-alive, loopback)\n")
    for stem, r in runs:
        env = r["environment"]
        ds = r["dataset"]
        print(
            f"### {stem}: {ds['needs']} needs, server workers {r['server_workers']},"
            f" variant {env.get('server_variant')}, load avg at start {env['loadavg_at_start']}"
            f" / before HTTP {env.get('loadavg_before_http')} / end {env.get('loadavg_at_end')}\n"
        )
        print("| request | c | p50 | p95 | p99 | req/s | errors |")
        print("|---|---|---|---|---|---|---|")
        for h in r["http"]:
            print(
                f"| {h['name']} | {h['concurrency']} | {h['p50_ms']} | {h['p95_ms']} |"
                f" {h['p99_ms']} | {h['req_per_s']} | {h['errors']} |"
            )
        print()
        print("| selector in-process | p50 | p95 | p99 |")
        print("|---|---|---|---|")
        for h in r["selector"]:
            print(f"| {h['name']} | {h['p50_ms']} | {h['p95_ms']} | {h['p99_ms']} |")
        print()


def creates() -> None:
    runs = _load("create-*.json")
    if not runs:
        return
    print("## Need creation: POST /api/v1/needs\n")
    print(
        "| run | needs before | variant | workers | c | req/s | p50 | p95 | p99 | errors |"
        " 201s | in DB | lost/extra |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for stem, r in runs:
        for s in r["runs"]:
            print(
                f"| {stem} | {r['dataset_needs_before']} |"
                f" {r['environment'].get('server_variant')} | {s['workers']} |"
                f" {r['concurrency']} | {s['req_per_s']} | {s['p50_ms']} | {s['p95_ms']} |"
                f" {s['p99_ms']} | {s['errors']} | {s['created_201']} | {s['needs_in_db']} |"
                f" {s['lost_or_extra']} |"
            )
    print()


if __name__ == "__main__":
    reads()
    creates()
