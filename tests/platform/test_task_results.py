"""Finished task rows are pruned by a sweep; ready and recent ones stay."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klantstuur.core import task_results
from klantstuur.worker import run_sweeps


def _row(status: str, finished_ago: timedelta | None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        priority=0,
        task_path="klantstuur.delivery.notify.send_alert",
        queue_name="default",
        backend_name="default",
        enqueued_at=now - timedelta(days=30),
        finished_at=None if finished_ago is None else now - finished_ago,
        worker_ids=[],
    )


def test_old_finished_results_are_pruned_and_the_rest_kept(db: Any) -> None:
    keep = [
        _row("READY", None),
        _row("RUNNING", None),
        _row("SUCCESSFUL", timedelta(minutes=20)),
        _row("FAILED", timedelta(days=3)),  # failures are kept longer
    ]
    gone = [_row("SUCCESSFUL", timedelta(days=2)), _row("FAILED", timedelta(days=20))]
    assert task_results.prune(timezone.now()) == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {r.pk for r in keep}
    assert not DBTaskResult.objects.filter(pk__in=[r.pk for r in gone]).exists()
    assert task_results.prune(timezone.now()) == 0


def test_pruning_is_bounded_per_sweep_and_registered(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(task_results, "BATCH", 3)
    for _ in range(5):
        _row("SUCCESSFUL", timedelta(days=2))
    assert run_sweeps()["task_results_pruned"] == 3
    assert DBTaskResult.objects.count() == 2
