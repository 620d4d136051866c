"""Who a request acts as."""

from .models import ApiToken


def token_for_key(key: str) -> ApiToken | None:
    """The bearer token with its user, staff or customer and business (one statement)."""
    return ApiToken.objects.for_key(key)
