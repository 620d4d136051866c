"""What a webhook says: ``{type, timestamp, data}``, ``data`` shaped as the API shapes a
timeline event (``GET /api/v1/needs/{id}/timeline``), with the need and customer it is
about. The body is made once, when the delivery is queued: every retry sends the same
bytes under the same ``webhook-id``."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from klantstuur.needs.models import INTERNAL_KINDS, STAFF_ONLY_KINDS, EventKind, JournalEvent

PING = "webhook.ping"


def subscribable() -> list[str]:
    """Every event kind an endpoint may subscribe to, and the test ping."""
    return [*EventKind.values, PING]


def customer_subscribable() -> list[str]:
    """What a customer's own endpoint may hear of: what their timeline shows."""
    hidden = INTERNAL_KINDS | STAFF_ONLY_KINDS
    return [kind for kind in subscribable() if kind not in hidden]


def customer_may_see(event: JournalEvent) -> bool:
    return event.visible_to_customer and event.kind not in INTERNAL_KINDS


def event_data(event: JournalEvent) -> dict[str, Any]:
    actor_id = event.actor_staff_id or event.actor_customer_id
    return {
        "id": event.pk,
        "need_id": event.need_id,
        "customer_id": event.customer_id,
        "kind": event.kind,
        "at": event.at,
        "actor": {"kind": event.actor_kind, "id": actor_id, "name": event.actor_name},
        "visible_to_customer": event.visible_to_customer,
        "data": event.data,
    }


def body(kind: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The JSON body, times written as the API writes them (ISO 8601 with offset)."""
    return json.dumps(
        {"type": kind, "timestamp": timestamp, "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def event_body(event: JournalEvent) -> str:
    return body(event.kind, event.at, event_data(event))


def ordering_key(event: JournalEvent) -> str:
    """Events of one need reach an endpoint in order; those about the customer alone
    (a corrected address) in order per customer."""
    return f"need:{event.need_id}" if event.need_id else f"customer:{event.customer_id}"
