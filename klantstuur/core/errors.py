"""Domain errors: services raise them, interfaces translate them.

The API turns each into JSON with its status; pages show the message beside
the field it names.
"""

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message}
        if self.field:
            body["errors"] = [{"field": self.field, "reason": self.message}]
        body.update(self.extra)
        return body


class Invalid(DomainError):
    """The input is wrong (422)."""

    status = 422


class NotAllowed(DomainError):
    """Known to the caller, but not theirs to do (403)."""

    status = 403


class NotFound(DomainError):
    """Does not exist, or the caller may not know it exists (404)."""

    status = 404


class Conflict(DomainError):
    """Not possible in the current state (409)."""

    status = 409
