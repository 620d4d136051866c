"""The benchmark's webhook receiver: an ASGI app (uvicorn, its own process) that verifies
every signature and counts what arrives, per endpoint path: messages, distinct
``webhook-id``s, repeats, bad signatures, and events of a need out of order.

    python benchmarks/webhook_receiver.py PORT SECRET1,SECRET2,SECRET3

``GET /stats`` answers the counts as JSON. Paths are /e0, /e1, /e2 (one per secret).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRETS: dict[str, Webhook] = {}
seen: dict[str, Counter[str]] = {}
last_event: dict[tuple[str, int], int] = {}
stats: dict[str, Any] = {"bad_signature": 0, "out_of_order": 0, "last_at": 0.0}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if scope["method"] == "GET":
        out = {
            "paths": {
                p: {
                    "received": sum(c.values()),
                    "distinct": len(c),
                    "repeated": sum(n - 1 for n in c.values()),
                }
                for p, c in seen.items()
            },
            **stats,
        }
        await _answer(send, 200, json.dumps(out).encode())
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    try:
        payload = SECRETS[path].verify(body, headers)
    except Exception:
        stats["bad_signature"] += 1
        await _answer(send, 400, b"")
        return
    counter = seen.setdefault(path, Counter())
    counter[headers["webhook-id"]] += 1
    data = payload["data"]
    key = (path, data.get("need_id") or 0)
    if counter[headers["webhook-id"]] == 1:
        if data["id"] < last_event.get(key, 0):
            stats["out_of_order"] += 1
        last_event[key] = data["id"]
    stats["last_at"] = time.time()
    await _answer(send, 204, b"")


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    import uvicorn

    port = int(sys.argv[1])
    for i, secret in enumerate(sys.argv[2].split(",")):
        SECRETS[f"/e{i}"] = Webhook(secret)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
