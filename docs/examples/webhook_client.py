"""Let your own software act for you: subscribe to Klantstuur's webhooks, verify each
message and react to it (docs/integrations.md).

    pip install httpx standardwebhooks
    KLANTSTUUR=http://127.0.0.1:8000 TOKEN=ks_... python webhook_client.py

With a customer's own token (Mijn koppelingen) it subscribes ``/api/v1/me/...`` and hears
about that customer's records only; with a manager's token, about the whole business.
It listens on 127.0.0.1:8765 (the demo allows loopback addresses; production wants a
public https URL). On every answer from staff it says thank you on the same need.
"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

EVENTS = ["staff_message", "resolution_proposed", "delivery_changed"]


def subscribe(api: httpx.Client, url: str, *, customer: bool) -> str:
    """Subscribe ``url``; returns the signing secret (shown this once: keep it)."""
    path = "/api/v1/me/webhook-endpoints" if customer else "/api/v1/webhook-endpoints"
    r = api.post(path, json={"url": url, "events": EVENTS})
    r.raise_for_status()
    return str(r.json()["secret"])


def react(api: httpx.Client, message: dict[str, Any], *, customer: bool) -> None:
    """What this assistant does: thank staff for an answer, on the same need."""
    event = message["data"]
    if message["type"] == "staff_message" and customer and event["need_id"]:
        api.post(
            f"/api/v1/me/needs/{event['need_id']}/messages",
            json={"body": "Thank you, received."},
            # A retried webhook (same webhook-id) must not thank twice.
            headers={"Idempotency-Key": f"thanks-{event['id']}"},
        )


def handler(secret: str, api: httpx.Client, *, customer: bool) -> type[BaseHTTPRequestHandler]:
    verifier = Webhook(secret)

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                message = verifier.verify(body, dict(self.headers.items()))
            except WebhookVerificationError:
                self.send_response(400)  # not from Klantstuur, or altered: ignore it
                self.end_headers()
                return
            print(json.dumps({"type": message["type"], "need": message["data"].get("need_id")}))
            react(api, message, customer=customer)
            self.send_response(204)  # 2xx: delivered; anything else is retried
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Receive


def main() -> None:
    base = os.environ.get("KLANTSTUUR", "http://127.0.0.1:8000")
    api = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {os.environ['TOKEN']}"}, timeout=10
    )
    customer = api.get("/api/v1/me").status_code == 200  # a customer's token, or staff's
    server = HTTPServer(("127.0.0.1", 8765), BaseHTTPRequestHandler)
    secret = subscribe(api, "http://127.0.0.1:8765/klantstuur", customer=customer)
    server.RequestHandlerClass = handler(secret, api, customer=customer)
    print("listening on http://127.0.0.1:8765/klantstuur")
    server.serve_forever()


if __name__ == "__main__":
    main()
