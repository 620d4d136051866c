"""Finished background-task rows are pruned, or the task table grows by one row per
journal event for ever (django-tasks keeps every result)."""

from datetime import datetime, timedelta

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

# Kept for looking into recent work; failures longer, for diagnosis.
KEEP_SUCCESSFUL = timedelta(hours=1)
KEEP_FAILED = timedelta(days=14)
# Bounded per sweep (every 30 s): 10,000 rows a sweep is 1.2 million an hour.
BATCH = 10_000


def prune(now: datetime) -> int:
    pruned = 0
    for status, keep in (
        (TaskResultStatus.SUCCESSFUL, KEEP_SUCCESSFUL),
        (TaskResultStatus.FAILED, KEEP_FAILED),
    ):
        ids = list(
            DBTaskResult.objects.filter(status=status, finished_at__lt=now - keep)
            .order_by()
            .values_list("pk", flat=True)[:BATCH]
        )
        if ids:
            pruned += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return pruned
