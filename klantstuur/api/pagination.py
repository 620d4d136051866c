from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

MAX_LIMIT = 200


class PageParams(Schema):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=10_000_000)


def page(
    qs: QuerySet[Any], params: PageParams, serialize: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """``{"items": [...], "count": N}``: two queries whatever the size."""
    items = [serialize(obj) for obj in qs[params.offset : params.offset + params.limit]]
    return {"items": items, "count": qs.count()}
