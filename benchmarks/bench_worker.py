"""The worker's throughput on a backlog (issue #10): events per second per reaction, and
the whole ``klantstuur worker``, in 1, 2 and 4 processes.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_bench
    .venv/bin/python benchmarks/generate.py 40000 --reset     # ~120,000 journal events
    .venv/bin/python benchmarks/bench_worker.py --events 100000 --processes 1,2,4

The backlog: every reaction's cursor (each partition) is set just before the last
``--events`` events of the journal, and the ``Notification`` rows of those events are
deleted, before every run. (The metrics projection needs no reset: it recomputes a
need's facts and moves the roll-ups by the difference, so handling an event again
changes nothing.) No worker runs while the backlog is made.

Each reaction alone: ``--processes`` child processes (each its own connection) call
``consumers.consume([reaction])`` in a loop until that reaction is at the journal's
head. The whole worker: that many ``klantstuur worker`` processes, until every
reaction is at the head. With more than one process, each reaction run has as many
partitions as processes (``--partitions same``), so the processes have something to
share: partitions split the journal by business, so they are only as even as the
businesses are (generate.py: 50 / 30 / 20 %).

Counted back: each reaction's cursors moved by exactly the backlog (``handled``), the
needs of the backlog all have their ``NeedFacts``, and every notification the rule
gives for the backlog is recorded exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, ROOT, database_url, django_setup, environment
from _journal import (
    apply_partitions,
    caught_up,
    cpu_of_children,
    events_after,
    handled,
    loadavg,
    notifications_check,
    partitions_env,
    position_before_last,
    reactions,
    reset_cursors,
    start_worker,
    stop,
    worker_env,
)

HERE = Path(__file__).resolve()


def child(name: str) -> None:
    """One process draining one reaction: ready, wait for "go", consume until the head."""
    django_setup()
    apply_partitions(os.environ.get("KLANTSTUUR_REACTION_PARTITIONS", ""))
    from django.db import connection

    from klantstuur.needs import consumers, queries
    from klantstuur.needs.models import ReactionCursor

    consumer = next(c for c in consumers.registered() if c.name == name)
    n = consumers._partitions(consumer)
    print("ready", flush=True)
    sys.stdin.readline()
    while True:
        if consumers.consume([consumer], rounds=20):
            continue
        cursors = {c.partition: c for c in ReactionCursor.objects.filter(name=name)}
        behind = sum(
            queries.journal_behind(
                tx=cursors[p].tx, event_id=cursors[p].event_id, partition=p, partitions=n, up_to=1
            )[0]
            for p in range(n)
        )
        if not behind:
            break
        time.sleep(0.01)  # another process holds the cursor
    connection.close()


def _spec(names: list[str], processes: int, partitions: str) -> str:
    count = processes if partitions == "same" else int(partitions)
    return ",".join(f"{n}={count}" for n in names) if count > 1 else ""


def run_reaction(name: str, processes: int, spec: str) -> dict[str, Any]:
    env = worker_env(partitions_env(spec))
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE), "--child", name],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    cpu0 = cpu_of_children()
    t0 = time.monotonic()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"a child for {name} failed")
    wall = time.monotonic() - t0
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu_of_children() - cpu0, 2)}


def run_worker(processes: int, spec: str, timeout: float) -> dict[str, Any]:
    from django.db import connection

    env = worker_env(partitions_env(spec))
    before = sum(handled().values())
    cpu0 = cpu_of_children()
    t0 = time.monotonic()
    log = RESULTS / "worker-bench-worker.log"
    procs = [start_worker(log, env) for _ in range(processes)]
    first = None
    try:
        while time.monotonic() - t0 < timeout:
            connection.close()
            if first is None and sum(handled().values()) != before:
                first = time.monotonic() - t0
            if first is not None and caught_up():
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"the worker did not drain within {timeout} s")
        wall = time.monotonic() - t0
    finally:
        for p in procs:
            stop(p)
    return {
        "wall_s": round(wall, 2),
        "startup_s": round(first or 0.0, 2),
        "cpu_s": round(cpu_of_children() - cpu0, 2),
    }


def checks(
    pos: tuple[int, int], names: list[str], before: dict[str, int], n: int
) -> dict[str, Any]:
    from django.db import connection

    from klantstuur.needs.consumers import lags

    after = handled()
    moved = {name: after.get(name, 0) - before.get(name, 0) for name in names}
    out: dict[str, Any] = {"handled": moved, "ok": all(v == n for v in moved.values())}
    out["at_head"] = all(lag.events_behind == 0 for lag in lags() if lag.name in names)
    if "metrics" in names:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(DISTINCT e.need_id), count(DISTINCT f.need_id)"
                " FROM needs_journalevent e LEFT JOIN metrics_needfacts f ON f.need_id = e.need_id"
                " WHERE (e.tx, e.id) > (%s, %s) AND e.need_id IS NOT NULL",
                pos,
            )
            needs, facts = cur.fetchone()
        out["needs_with_facts"] = f"{facts}/{needs}"
        out["ok"] = out["ok"] and needs == facts
    if "notifications" in names:
        out["notifications"] = notifications_check(pos)
        out["ok"] = out["ok"] and out["notifications"]["ok"]
    out["ok"] = out["ok"] and out["at_head"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--events", type=int, default=100_000, help="backlog size")
    ap.add_argument("--processes", default="1,2,4")
    ap.add_argument("--reactions", default="all", help='comma-separated, "all" or "none"')
    ap.add_argument("--no-worker", action="store_true", help="skip the whole-worker runs")
    ap.add_argument("--partitions", default="same", help='"same" as processes, or a number')
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    if args.child:
        return child(args.child)
    database_url()
    django_setup()
    from django.db import connection

    from klantstuur.needs import consumers

    env_info = environment()
    every = [c.name for c in reactions()]
    chosen = (
        every if args.reactions == "all" else [r for r in args.reactions.split(",") if r in every]
    )
    pos = position_before_last(args.events)
    n = events_after(pos)
    if n < args.events:
        raise SystemExit(f"only {n} journal events: generate more (benchmarks/generate.py)")
    plan = [(r, int(k)) for r in chosen for k in args.processes.split(",")]
    if not args.no_worker:
        plan += [("worker", int(k)) for k in args.processes.split(",")]
    runs = []
    for what, k in plan:
        names = every if what == "worker" else [what]
        spec = _spec(names, k, args.partitions)
        apply_partitions(spec)
        reset_cursors(pos)
        before = handled()
        connection.close()
        load0 = loadavg()
        if what == "worker":
            timing = run_worker(k, spec, args.timeout)
        else:
            timing = run_reaction(what, k, spec)
        load1 = loadavg()
        counted = checks(pos, names, before, n)
        connection.close()
        run = {
            "run": what,
            "processes": k,
            "partitions": spec or "1",
            "batch": consumers.batch_size(),
            "events": n,
            **timing,
            "events_per_s": round(n / timing["wall_s"], 1),
            "events_per_cpu_s": round(n / timing["cpu_s"], 1) if timing["cpu_s"] else None,
            "loadavg": [load0, load1],
            "count_back": counted,
        }
        runs.append(run)
        print(json.dumps(run), flush=True)
        if not counted["ok"]:
            write(args.tag, env_info, runs)
            raise SystemExit(f"COUNT BACK FAILED for {what} × {k}")
    write(args.tag, env_info, runs)


def write(tag: str, env_info: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    name = "worker" + (f"-{tag}" if tag else "")
    command = "DATABASE_URL=… .venv/bin/python " + " ".join(sys.argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"environment": env_info, "command": command, "runs": runs}, indent=2)
    )
    lines = [
        f"# {name}",
        "",
        f"`{command}`",
        "",
        "| run | processes | partitions | events | wall s | events/s | CPU s | events/CPU s"
        " | loadavg (1 min) start→end | counted back |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['run']} | {r['processes']} | {r['partitions']} | {r['events']} | {r['wall_s']}"
            f" | {r['events_per_s']} | {r['cpu_s']} | {r['events_per_cpu_s']}"
            f" | {r['loadavg'][0][0]}→{r['loadavg'][1][0]} | {r['count_back']['ok']} |"
        )
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("reproduce:", command)


if __name__ == "__main__":
    main()
