"""Every operation of the schema documents the error answers it can give, in one place,
so a generated client knows them (401, 403, 404, 409, 415, 422, 429); and the live
streams, which are not ninja operations, are in the schema too."""

import copy
from typing import Any

from ninja import NinjaAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "The reason, in the caller's language."},
        "errors": {
            "type": "array",
            "description": "For bad input: each offending field (or header) and why.",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

ERRORS: dict[str, str] = {
    "401": "No token, or not a valid one (`Authorization: Bearer <token>`).",
    "403": "Known, but not yours to do (a role, an authority limit, a read-only token).",
    "404": "Not found, or not yours to know about (another business's or customer's).",
    "409": "A conflict with the current state; or a request with this Idempotency-Key "
    "is still running.",
    "415": "The request body is not JSON (`Content-Type: application/json`).",
    "422": "Invalid input: `errors` names each field; also an Idempotency-Key reused "
    "for another request.",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
}
# A request without a body cannot be of the wrong media type.
BODY_ONLY = {"415"}
WRITES = {"post", "put", "patch", "delete"}


def with_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the documented error answers to every operation that does not name its own."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", *WRITES}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                if code in BODY_ONLY and method not in WRITES:
                    continue
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return schema


def _stream(summary: str, description: str, operation_id: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": [
                {"in": "path", "name": "need_id", "required": True, "schema": {"type": "integer"}},
                {
                    "in": "header",
                    "name": "Last-Event-ID",
                    "required": False,
                    "description": "The `id` of the last message received: what came after "
                    "it is sent first, then the stream goes on live.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "Server-Sent Events, endless: `id: <journal event id>` and "
                    "one `data:` line of JSON per event (the shape of a timeline event); "
                    "`event: presence` when the other side comes or goes; a comment "
                    "every 15 s keeps it open.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "204": {
                    "description": "No stream from this server: it runs without an event "
                    "loop (WSGI). Streams are served by `klantstuur serve` (ASGI).",
                },
            },
            "security": [{"TokenAuth": []}],
        }
    }


# The live streams are async views beside the ninja API (api/streams.py); listed here
# so a generated client knows them.
STREAMS: dict[str, dict[str, Any]] = {
    "/api/v1/needs/{need_id}/stream": _stream(
        "Need Stream",
        "A staff token: every event of the need as it is written, internal notes too.",
        "klantstuur_api_v1_need_stream",
    ),
    "/api/v1/me/needs/{need_id}/stream": _stream(
        "My Need Stream",
        "A customer token: what the customer may see of their need, as it is written.",
        "klantstuur_api_v1_my_need_stream",
    ),
}


class DocumentedErrorsAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("paths", {}).update(copy.deepcopy(STREAMS))
        return with_errors(schema)
