"""A worker killed with SIGKILL in the middle of its batches, again and again (issue #10):
nothing lost, nothing done twice.

    createdb -h 127.0.0.1 -U postgres klantstuur_fault
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/klantstuur_fault
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/generate.py 8000 --reset       # ~24,000 journal events
    .venv/bin/python benchmarks/fault_kill_worker.py --kills 5

It WIPES the projection and the notifications of the database it is given (use a
database of its own): the whole journal becomes the backlog (every cursor at the
start), the metrics projection (NeedFacts, roll-ups, promise outcomes) and every
Notification are deleted. Then ``--kills`` times: start ``klantstuur worker``, wait
until it has committed its first batch, let it work a random 0.5–3 s more, and
``kill -9`` it (its process group). Then one more worker drains the rest.

Checked (exit status 1 on any failure):

* every reaction's cursors moved by exactly the number of events in the journal
  (``handled`` grows only with a committed batch: each event handed over once), and
  every reaction is at the journal's head;
* one ``NeedFacts`` per need with events, the ``needs`` counter of the daily roll-ups
  summing to the number of needs, and the projection equal to ``projection.rebuild``
  of the same journal (facts and non-zero roll-up rows);
* every notification the rule (``mails_for``) gives recorded exactly once, none other.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, database_url, django_setup, environment
from _journal import (
    handled,
    loadavg,
    notifications_check,
    reset_cursors,
    start_worker,
    stop,
    wait_caught_up,
    worker_env,
)

NAME = "fault-kill-worker"
# Figures that grow with the clock (an open promise's lateness, the effort of a need still
# waiting): the drained projection computed them a few seconds before the rebuild did.
NOW_DEPENDENT = {"updated_at", "late_minutes", "effort", "effort_sum"}


def wipe() -> int:
    """The whole journal as the backlog, nothing of it projected or notified yet."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in (
            "needs_notification",
            "metrics_needfacts",
            "metrics_dailyrollup",
            "metrics_responserollup",
            "metrics_promiseoutcome",
        ):
            cur.execute(f"DELETE FROM {table}")
        cur.execute("SELECT count(*) FROM needs_journalevent")
        events = int(cur.fetchone()[0])
    reset_cursors((0, 0))
    return events


def snapshot() -> dict[str, Any]:
    from klantstuur.metrics.models import ROLLUP_COUNTERS, DailyRollup, NeedFacts

    fields = [f.name for f in NeedFacts._meta.concrete_fields if f.name not in NOW_DEPENDENT]
    facts = {r["need"]: r for r in NeedFacts.objects.values(*fields)}
    rollups = {}
    counters = [c for c in ROLLUP_COUNTERS if c not in NOW_DEPENDENT]
    for r in DailyRollup.objects.values("business_id", "day", "owner_id", "team", *counters):
        key = (r.pop("business_id"), str(r.pop("day")), r.pop("owner_id"), r.pop("team"))
        if any(r.values()):
            rollups[key] = {k: round(float(v), 6) for k, v in r.items()}
    return {"facts": facts, "rollups": rollups}


def projection_check() -> dict[str, Any]:
    from django.db import connection

    from klantstuur.metrics import projection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM needs_need")
        needs = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT need_id) FROM needs_journalevent")
        with_events = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM metrics_needfacts")
        facts = cur.fetchone()[0]
        cur.execute("SELECT coalesce(sum(needs), 0) FROM metrics_dailyrollup")
        rolled = cur.fetchone()[0]
        cur.execute("SELECT id FROM businesses_business")
        businesses = [r[0] for r in cur.fetchall()]
    drained = snapshot()
    projection.rebuild(business_ids=businesses)
    rebuilt = snapshot()
    facts_diff = [
        k
        for k in rebuilt["facts"].keys() | drained["facts"].keys()
        if rebuilt["facts"].get(k) != drained["facts"].get(k)
    ]
    rollup_diff = [
        k
        for k in rebuilt["rollups"].keys() | drained["rollups"].keys()
        if rebuilt["rollups"].get(k) != drained["rollups"].get(k)
    ]
    return {
        "needs": needs,
        "needs_with_events": with_events,
        "need_facts": facts,
        "rollup_needs_sum": int(rolled),
        "facts_differing_from_rebuild": len(facts_diff),
        "rollup_rows_differing_from_rebuild": len(rollup_diff),
        "examples": [
            {
                "need": k,
                "differs": {
                    f: [drained["facts"].get(k, {}).get(f), v]
                    for f, v in rebuilt["facts"].get(k, {}).items()
                    if drained["facts"].get(k, {}).get(f) != v
                },
            }
            for k in facts_diff[:3]
        ]
        + [{"rollup": str(k)} for k in rollup_diff[:3]],
        "ok": facts == with_events and int(rolled) == needs and not facts_diff and not rollup_diff,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=0.5)
    ap.add_argument("--max-seconds", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--partitions", default="", help='e.g. "metrics=2,notifications=2"')
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args()
    database_url()
    if args.partitions:
        os.environ["KLANTSTUUR_REACTION_PARTITIONS"] = args.partitions
    django_setup()
    from django.db import connection

    from klantstuur.needs import consumers

    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    env_info = environment()
    at_start = wipe()
    names = [c.name for c in consumers.registered()]
    log = RESULTS / f"{NAME}-worker.log"
    log.unlink(missing_ok=True)
    env = worker_env()
    kills = []
    started = time.monotonic()
    for i in range(args.kills):
        before = sum(handled().values())
        connection.close()
        worker = start_worker(log, env)
        while sum(handled().values()) == before:  # its first batch committed
            connection.close()
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited; see {log}")
            time.sleep(0.05)
        pause = rng.uniform(args.min_seconds, args.max_seconds)
        time.sleep(pause)
        stop(worker, kill=True)
        connection.close()
        kills.append({"kill": i + 1, "after_first_batch_s": round(pause, 2), "handled": handled()})
        print(json.dumps(kills[-1]), flush=True)
    worker = start_worker(log, env)
    try:
        drained = wait_caught_up(args.timeout, poll=0.2)
    finally:
        stop(worker)
    connection.close()
    total = handled()
    with connection.cursor() as cur:  # the sweeps of the workers may have added some
        cur.execute("SELECT count(*) FROM needs_journalevent")
        events = int(cur.fetchone()[0])
    lags = [lag for lag in consumers.lags() if lag.events_behind]
    result: dict[str, Any] = {
        "seed": seed,
        "events": events,
        "events_at_start": at_start,
        "kills": kills,
        "drained_after_last_restart_s": round(drained, 2) if drained is not None else None,
        "wall_s": round(time.monotonic() - started, 1),
        "handled": total,
        "cursors_exactly_once": all(total.get(n) == events for n in names),
        "at_head": not lags,
        "notifications": notifications_check((0, 0)),
        "projection": projection_check(),
        "loadavg_end": loadavg(),
    }
    result["ok"] = bool(
        result["cursors_exactly_once"]
        and result["at_head"]
        and result["notifications"]["ok"]
        and result["projection"]["ok"]
    )
    connection.close()
    write(env_info, result)
    print(json.dumps(result, indent=2, default=str))
    if not result["ok"]:
        raise SystemExit("LOST OR DUPLICATED: see above")


def write(env_info: dict[str, Any], result: dict[str, Any]) -> None:
    command = "DATABASE_URL=… .venv/bin/python " + " ".join(sys.argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(
        json.dumps({"environment": env_info, "command": command, "result": result}, indent=2)
    )
    p, n = result["projection"], result["notifications"]
    rows = [
        ("journal events (the backlog)", result["events"]),
        (
            "kill -9 (seconds after the first batch)",
            [k["after_first_batch_s"] for k in result["kills"]],
        ),
        ("handled per reaction", result["handled"]),
        ("each event handed over exactly once", result["cursors_exactly_once"]),
        ("every reaction at the head", result["at_head"]),
        ("drained after the last restart (s)", result["drained_after_last_restart_s"]),
        ("NeedFacts / needs with events", f"{p['need_facts']} / {p['needs_with_events']}"),
        ("roll-up needs sum / needs", f"{p['rollup_needs_sum']} / {p['needs']}"),
        (
            "facts / roll-up rows differing from a rebuild",
            f"{p['facts_differing_from_rebuild']} / {p['rollup_rows_differing_from_rebuild']}",
        ),
        (
            "notifications expected / recorded / missing / duplicated / unexpected",
            f"{n['expected']} / {n['recorded']} / {n['missing']} / {n['duplicated']} / {n['unexpected']}",
        ),
        ("ok", result["ok"]),
    ]
    lines = [f"# {NAME}", "", f"`{command}`", "", "| check | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n")
    print("reproduce:", command)


if __name__ == "__main__":
    main()
