"""Who a request acts as."""

from django.db import router
from django.db.models import QuerySet

from .models import ApiToken
from .queries import token_for_hash


def token_for_key(key: str) -> ApiToken | None:
    """The bearer token with its user, staff or customer and business (one statement)."""
    return token_for_hash(ApiToken.hash_key(key), using=router.db_for_read(ApiToken))


def tokens_of_user(*, user_id: int) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first (never their keys: only hashes are stored)."""
    return ApiToken.objects.filter(user_id=user_id).order_by("-created_at", "-id")
