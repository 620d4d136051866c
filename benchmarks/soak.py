"""A soak at a fixed rate (issue #15): web and worker on a throwaway PostgreSQL cluster
(see fault.py), a paced mix of writes (open a need) and reads (the needs list, one need)
for ``--minutes``, the resident memory of every web and worker process sampled every
``--sample`` seconds. Exit status 1 on any error answer or a failed request.

    .venv/bin/python benchmarks/soak.py --minutes 10 --rate 40

Prints one JSON object: requests by status, latency percentiles, and the memory series
(MiB) per process, with the growth from the first sample after warm-up to the last.
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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault import Cluster, env_for, kill9, setup_data, spare_port, start, wait_http


def rss_mib(root: int) -> dict[int, float]:
    """Resident memory of a process group's processes (the web's workers, the worker)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,rss=", "-g", str(root)], capture_output=True, text=True, check=False
    )
    return {
        int(pid): round(int(rss) / 1024, 1)
        for pid, rss in (line.split() for line in out.stdout.splitlines() if line.strip())
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40, help="requests per second, all kinds")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample", type=float, default=30)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="ks-soak-logs-"))
    port = spare_port()
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    with Cluster() as cluster:
        env = env_for(cluster, logs)
        data = setup_data(cluster, env)
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        web = start(serve, env, logs / "web.log")
        worker = start(["worker"], env, logs / "worker.log")
        wait_http(port)
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
                    with lock:
                        statuses[status] += 1
                        latencies.append(time.monotonic() - t)
                    i += 1
                    nxt += interval
                    time.sleep(max(0.0, nxt - time.monotonic()))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        samples: list[dict[str, object]] = []
        try:
            while time.monotonic() - t0 < args.minutes * 60:
                time.sleep(args.sample)
                samples.append(
                    {
                        "at_s": round(time.monotonic() - t0),
                        "web": rss_mib(web.pid),
                        "worker": rss_mib(worker.pid),
                        "requests": sum(statuses.values()),
                    }
                )
                print(json.dumps(samples[-1]), flush=True)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
            kill9(web)
            kill9(worker)
    elapsed = time.monotonic() - t0
    lat = sorted(latencies)
    ok = {"200", "201"}
    errors = {s: c for s, c in statuses.items() if s not in ok}

    def growth(kind: str) -> dict[str, float]:
        first = samples[min(1, len(samples) - 1)][kind]  # after a first warm-up sample
        last = samples[-1][kind]
        assert isinstance(first, dict) and isinstance(last, dict)
        return {str(pid): round(last.get(pid, 0) - first.get(pid, 0), 1) for pid in first}

    result = {
        "minutes": round(elapsed / 60, 1),
        "requests": sum(statuses.values()),
        "rate_per_s": round(sum(statuses.values()) / elapsed, 1),
        "statuses": dict(statuses),
        "latency_ms": {
            "p50": round(statistics.median(lat) * 1000, 1),
            "p95": round(lat[int(len(lat) * 0.95)] * 1000, 1),
            "p99": round(lat[int(len(lat) * 0.99)] * 1000, 1),
        },
        "rss_growth_mib_after_warmup": {"web": growth("web"), "worker": growth("worker")},
        "samples": samples,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    print("SOAK: " + ("FAILED" if errors else "passed"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
