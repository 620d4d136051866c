"""``Idempotency-Key`` on API writes: a retry returns the first answer and changes nothing."""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from klantstuur.accounts import idempotency as records
from klantstuur.accounts.idempotency import PENDING
from klantstuur.floor.selectors import party_id_for_guest

from .auth import token_for_bearer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if not key or request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 200:
            return JsonResponse(
                {
                    "detail": "Idempotency-Key is too long (at most 200 characters).",
                    "errors": [{"field": "Idempotency-Key", "reason": "too long"}],
                },
                status=400,
            )
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        api_token = token_for_bearer(token) if token else None
        user = api_token.user if api_token is not None else None
        scope = ""
        if api_token is not None:
            request._api_token = api_token  # type: ignore[attr-defined]
        else:
            scope = _guest_scope(token) if token else ""
            if not scope:
                return self.get_response(request)  # the API answers 401
        owner: dict[str, Any] = {"user": user, "scope": scope}

        try:
            body_hash = hashlib.sha256(request.body).hexdigest()
        except RequestDataTooBig:
            return self.get_response(request)  # the API answers 400 naming the body
        # The claim, the write and the kept answer commit together or not at all: a
        # request that dies (a killed process, a lost connection) leaves neither its write
        # nor its claim, and its retry runs the write once (accounts/idempotency.py).
        with transaction.atomic():
            record = records.record_claim(
                **owner,
                key=key,
                method=request.method or "",
                path=request.path,
                body_hash=body_hash,
            )
            if record is None:
                return self._replay(owner, key, request, body_hash)
            response = self.get_response(request)
            if response.status_code >= 500:
                # An unhandled error (or database trouble, 503): nothing of it is kept,
                # as the 503 says; the retry runs the write again.
                transaction.set_rollback(True)
            elif getattr(response, "streaming", False):
                records.record_forget(record=record)
            else:
                records.record_keep(
                    record=record,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content,
                )
        return response

    def _replay(
        self, owner: dict[str, Any], key: str, request: HttpRequest, body_hash: str
    ) -> HttpResponse:
        record = records.record_of(**owner, key=key)
        if record is None:
            # Another request with this key is running now: its claim is not committed yet.
            return _still_running()
        if (
            record.method != request.method
            or record.path != request.path
            # Records from before body hashes were kept have none to compare.
            or (record.body_hash and record.body_hash != body_hash)
        ):
            return JsonResponse(
                {
                    "detail": "This Idempotency-Key was used for another request.",
                    "errors": [{"field": "Idempotency-Key", "reason": "used for another request"}],
                },
                status=422,
            )
        if record.status_code == PENDING:  # a claim of the earlier scheme, not yet timed out
            return _still_running()
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response


def _still_running() -> HttpResponse:
    return JsonResponse(
        {"detail": "A request with this Idempotency-Key is still being processed."}, status=409
    )


def _guest_scope(token: str) -> str:
    """A seated party's guest token (see api/floor.py GuestAuth) scopes its own retries."""
    party_id = party_id_for_guest(token=token)
    return f"guest:{party_id}" if party_id else ""
