"""A soak at a fixed rate (issue #15): web and worker on a throwaway PostgreSQL cluster
(see fault.py), a paced mix of writes (open a need) and reads (the needs list, one need)
for ``--minutes``, the resident memory of every web and worker process sampled every
``--sample`` seconds. Exit status 1 on any error answer or a failed request.

    .venv/bin/python benchmarks/soak.py --minutes 10 --rate 40

Prints one JSON line per sample (every ``--sample`` seconds): resident memory (MiB) of
every web and worker process, the latency percentiles of the requests answered in that
window (all, and the writes alone), the reactions' lag behind the journal (the most
events any reaction was behind and the age of the oldest unhandled event, the worst seen
by a sampler that asks every 5 s) and the load average. Then one JSON object: requests
by status, latency percentiles, and per process the memory's least-squares slope after
warm-up (MiB per hour) and the mean of the first ten minutes against the last ten.

Capacity (to choose ``--rate``): the same mix closed-loop, every client sending as fast
as it is answered, e.g. ``--minutes 3 --rate 100000 --clients 8``; the rate is sustained
when the reactions' lag stays flat too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault import ROOT, Cluster, env_for, kill9, setup_data, spare_port, start, wait_http

LAG_SAMPLER = (
    "import django, json, sys, time; django.setup()\n"
    "from django.db import connection\n"
    "from klantstuur.needs import consumers\n"
    "while True:\n"
    "    try:\n"
    "        lags = consumers.lags()\n"
    "        print(json.dumps({'events': max((l.events_behind for l in lags), default=0),\n"
    "            'seconds': round(max((l.seconds_behind for l in lags), default=0.0), 1)}),\n"
    "            flush=True)\n"
    "    except Exception as exc:\n"
    "        print(json.dumps({'error': repr(exc)}), flush=True)\n"
    "    connection.close(); time.sleep(5)\n"
)


def rss_mib(root: int) -> dict[int, float]:
    """Resident memory of a process group's processes (the web's workers, the worker)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,rss=", "-g", str(root)], capture_output=True, text=True, check=False
    )
    return {
        int(pid): round(int(rss) / 1024, 1)
        for pid, rss in (line.split() for line in out.stdout.splitlines() if line.strip())
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    lat = sorted(values)
    return {
        "n": len(lat),
        "p50": round(statistics.median(lat) * 1000, 1),
        "p95": round(lat[int(len(lat) * 0.95)] * 1000, 1),
        "p99": round(lat[int(len(lat) * 0.99)] * 1000, 1),
    }


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB), in MiB per hour."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(set(xs)) < 2:
        return 0.0
    return round(statistics.linear_regression(xs, ys).slope * 3600, 2)


def memory_trend(samples: list[dict[str, Any]], kind: str, warmup: float) -> dict[str, Any]:
    """Per process: slope after warm-up, and first vs last ten minutes (mean MiB)."""
    after = [s for s in samples if s["at_s"] >= warmup]
    end = samples[-1]["at_s"] if samples else 0
    out: dict[str, Any] = {}
    for pid in samples[-1][kind] if samples else {}:
        points = [(s["at_s"], s[kind][pid]) for s in after if pid in s[kind]]
        first = [m for t, m in points if t < warmup + 600]
        last = [m for t, m in points if t > end - 600]
        out[str(pid)] = {
            "mib_first_sample": points[0][1] if points else None,
            "mib_last_sample": points[-1][1] if points else None,
            "slope_mib_per_hour": slope_per_hour(points),
            "mean_first_10_min": round(statistics.fmean(first), 1) if first else None,
            "mean_last_10_min": round(statistics.fmean(last), 1) if last else None,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40, help="requests per second, all kinds")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample", type=float, default=30)
    parser.add_argument(
        "--warmup", type=float, default=60, help="seconds left out of the memory trend"
    )
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="ks-soak-logs-"))
    port = spare_port()
    statuses: Counter[str] = Counter()
    latencies: list[tuple[float, bool, float]] = []  # (answered at, write?, seconds)
    lag_seen: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()
    with Cluster() as cluster:
        env = env_for(cluster, logs)
        data = setup_data(cluster, env)
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        web = start(serve, env, logs / "web.log")
        worker = start(["worker"], env, logs / "worker.log")
        wait_http(port)
        sampler = subprocess.Popen(
            [sys.executable, "-c", LAG_SAMPLER],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "klantstuur.settings"},
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

        def read_lag() -> None:
            assert sampler.stdout is not None
            for line in sampler.stdout:
                with lock:
                    lag_seen.append(json.loads(line))

        threading.Thread(target=read_lag, daemon=True).start()
        headers = {"Authorization": f"Bearer {data['token']}"}
        interval = args.clients / args.rate

        def client(n: int) -> None:
            i = 0
            nxt = time.monotonic()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                last_need = None
                while not stop.is_set():
                    t = time.monotonic()
                    try:
                        if i % 3 == 0:
                            body = {
                                "customer_id": data["customers"][(n + i) % 50],
                                "kind": "question",
                                "summary": f"soak {n}/{i}",
                            }
                            r = http.post("/api/v1/needs", json=body, headers=headers)
                            if r.status_code == 201:
                                last_need = r.json()["id"]
                        elif i % 3 == 1 or last_need is None:
                            r = http.get("/api/v1/needs?limit=20", headers=headers)
                        else:
                            r = http.get(f"/api/v1/needs/{last_need}", headers=headers)
                        status = str(r.status_code)
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    done = time.monotonic()
                    with lock:
                        statuses[status] += 1
                        latencies.append((done, i % 3 == 0, done - t))
                    i += 1
                    nxt += interval
                    time.sleep(max(0.0, nxt - time.monotonic()))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        samples: list[dict[str, Any]] = []
        window_start, seen = t0, 0
        try:
            while time.monotonic() - t0 < args.minutes * 60:
                time.sleep(args.sample)
                now = time.monotonic()
                with lock:
                    window = [x for x in latencies if x[0] >= window_start]
                    lags, seen = lag_seen[seen:], len(lag_seen)
                    errors_so_far = sum(c for s, c in statuses.items() if s not in ("200", "201"))
                window_start = now
                samples.append(
                    {
                        "at_s": round(now - t0),
                        "web": rss_mib(web.pid),
                        "worker": rss_mib(worker.pid),
                        "requests": sum(statuses.values()),
                        "errors": errors_so_far,
                        "window_rate_per_s": round(len(window) / args.sample, 1),
                        "latency_ms": percentiles([x[2] for x in window]),
                        "write_latency_ms": percentiles([x[2] for x in window if x[1]]),
                        "lag_events_max": max((x.get("events", 0) for x in lags), default=None),
                        "lag_seconds_max": max((x.get("seconds", 0) for x in lags), default=None),
                        "lag_errors": [x["error"] for x in lags if "error" in x],
                        "load_average": [round(x, 2) for x in os.getloadavg()],
                    }
                )
                print(json.dumps(samples[-1]), flush=True)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
            kill9(web)
            kill9(worker)
            kill9(sampler)
    elapsed = time.monotonic() - t0
    ok = {"200", "201"}
    errors = {s: c for s, c in statuses.items() if s not in ok}
    lag_errors = [e for s in samples for e in s["lag_errors"]]
    writes = statuses["201"]
    result = {
        "minutes": round(elapsed / 60, 1),
        "requests": sum(statuses.values()),
        "rate_per_s": round(sum(statuses.values()) / elapsed, 1),
        "needs_per_s": round(writes / elapsed, 1),
        "statuses": dict(statuses),
        "latency_ms": percentiles([x[2] for x in latencies]),
        "write_latency_ms": percentiles([x[2] for x in latencies if x[1]]),
        "lag_events_max": max((s["lag_events_max"] or 0 for s in samples), default=0),
        "lag_seconds_max": max((s["lag_seconds_max"] or 0 for s in samples), default=0),
        "lag_sampler_errors": lag_errors,
        "memory": {
            "web": memory_trend(samples, "web", args.warmup),
            "worker": memory_trend(samples, "worker", args.warmup),
        },
        "load_average_samples": [s["load_average"] for s in samples],
    }
    print(json.dumps(result, indent=2))
    print("SOAK: " + ("FAILED" if errors else "passed"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
