from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

MAX_LIMIT = 200
# Counting stops here: an exact COUNT(*) over a tenant's million rows is not flat.
COUNT_CAP = 10_000


class PageParams(Schema):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    # Deep offsets cost linearly; past the counted range, narrow the filters instead.
    offset: int = Field(default=0, ge=0, le=COUNT_CAP)


def page(
    qs: QuerySet[Any], params: PageParams, serialize: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """``{"items": [...], "count": N, "count_exact": bool}`` in at most two queries.

    ``count`` is exact up to 10,000; above that it is 10,000 and ``count_exact``
    is false. The last page needs no count query at all.
    """
    rows = list(qs[params.offset : params.offset + params.limit])
    items = [serialize(obj) for obj in rows]
    if len(rows) < params.limit and (rows or params.offset == 0):
        return {"items": items, "count": params.offset + len(rows), "count_exact": True}
    counted = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return {
        "items": items,
        # Past the end (no rows) the count is the count; on a full page it is at least
        # what this page proves exists.
        "count": max(min(counted, COUNT_CAP), params.offset + len(rows) if rows else 0),
        "count_exact": counted <= COUNT_CAP,
    }
