"""Who a request acts as."""

from django.db.models import QuerySet

from .models import ApiToken


def token_for_key(key: str) -> ApiToken | None:
    """The bearer token with its user, staff or customer and business (one statement)."""
    return ApiToken.objects.for_key(key)


def tokens_of_user(*, user_id: int) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first (never their keys: only hashes are stored)."""
    return ApiToken.objects.filter(user_id=user_id).order_by("-created_at", "-id")
