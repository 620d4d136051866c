"""What ``/healthz?verbose=1`` reports beyond "the database answers".

Apps above core register a report in ``AppConfig.ready`` (the reactions' lag, for
one), so the health check can show it without core importing them.
"""

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("klantstuur.health")

Report = Callable[[], Any]
_reports: dict[str, Report] = {}


def register(name: str, report: Report) -> None:
    _reports[name] = report


def reports() -> dict[str, Any]:
    """Each report by name; one that fails says so instead of failing the others."""
    found: dict[str, Any] = {}
    for name, report in list(_reports.items()):
        try:
            found[name] = report()
        except Exception:
            logger.exception("health report %s failed", name)
            found[name] = {"error": "unavailable"}
    return found
