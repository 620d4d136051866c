"""Live fan-out benchmark: N open screens, orders arriving at R per second.

Measures, per checkpoint, the time from the write request being sent to its
SSE message arriving at every subscribed screen (p50/p95/p99/max).

It drives a running server (``klantstuur serve`` or ``demo``) over HTTP:

    # SQLite, one process (the demo data):
    KLANTSTUUR_DATA_DIR=/tmp/bench-live klantstuur demo --port 8790 &
    python benchmarks/live_fanout.py --base http://127.0.0.1:8790 --screens 40 --rate 5 --seconds 20

    # PostgreSQL, two server processes behind the same database:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench klantstuur demo --port 8790 &
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_bench klantstuur serve --port 8791 &
    python benchmarks/live_fanout.py --base http://127.0.0.1:8790 --listen-base http://127.0.0.1:8791 ...

Screens are SSE streams of the station board (``/console/floor/stations/<code>/stream/``,
staff session). Writes go through the API with a staff token: each order is
one pancake for a seated party, then bumped (two checkpoints per order).
Needs ``httpx`` (pip install httpx).
"""

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx


async def sse_listener(
    client: httpx.AsyncClient, url: str, arrivals: dict[int, list[float]], ready: asyncio.Event
) -> None:
    async with client.stream("GET", url, timeout=None) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: hello"):
                ready.set()
            if line.startswith("data: ") and line != "data: {}":
                message = json.loads(line[6:])
                if message.get("code") == "line_ready" and message.get("line_id"):
                    arrivals.setdefault(message["line_id"], []).append(time.perf_counter())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8790")
    parser.add_argument("--listen-base", default=None)
    parser.add_argument("--screens", type=int, default=40)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--station", default="pannenkoeken")
    parser.add_argument("--token", required=True, help="staff token (kitchen/manager)")
    parser.add_argument("--session", required=True, help="staff session cookie value")
    parser.add_argument("--party", type=int, required=True, help="a seated party id")
    parser.add_argument("--item", type=int, required=True, help="a catalog id at the station")
    args = parser.parse_args()
    listen_base = args.listen_base or args.base
    headers = {"Authorization": f"Bearer {args.token}"}
    cookies = {"sessionid": args.session}
    arrivals: dict[int, list[float]] = {}
    sent: dict[int, float] = {}
    limits = httpx.Limits(max_connections=args.screens + 20)
    async with (
        httpx.AsyncClient(cookies=cookies, limits=limits) as listen,
        httpx.AsyncClient(headers=headers, limits=limits) as write,
    ):
        readies = [asyncio.Event() for _ in range(args.screens)]
        url = f"{listen_base}/console/floor/stations/{args.station}/stream/"
        tasks = [
            asyncio.create_task(sse_listener(listen, url, arrivals, ready)) for ready in readies
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        interval = 1 / args.rate
        deadline = time.perf_counter() + args.seconds

        async def one() -> None:
            r = await write.post(
                f"{args.base}/api/v1/orders",
                json={"party_id": args.party, "lines": [{"item": args.item, "seat": 1}]},
            )
            line_id = r.json()["lines"][0]["id"]
            sent[line_id] = time.perf_counter()
            await write.post(f"{args.base}/api/v1/order-lines/{line_id}/ready")

        pending: list[asyncio.Task[Any]] = []
        while time.perf_counter() < deadline:
            pending.append(asyncio.create_task(one()))
            await asyncio.sleep(interval)
        await asyncio.gather(*pending)
        await asyncio.sleep(2)
        for task in tasks:
            task.cancel()
    latencies = [
        (t - sent[line_id]) * 1000
        for line_id, times in arrivals.items()
        if line_id in sent
        for t in times
    ]
    expected = len(sent) * args.screens
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(int(len(latencies) * p), len(latencies) - 1)] if latencies else 0.0

    print(
        json.dumps(
            {
                "screens": args.screens,
                "orders": len(sent),
                "deliveries": len(latencies),
                "expected": expected,
                "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                "p95_ms": round(pct(0.95), 1),
                "p99_ms": round(pct(0.99), 1),
                "max_ms": round(latencies[-1], 1) if latencies else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
