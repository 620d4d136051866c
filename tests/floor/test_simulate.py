"""``klantstuur simulate terrace`` against a real ASGI server (uvicorn in a thread): a
short, fast service through the HTTP API, its figures counted back in the database."""

import pytest
from django.db import connection

from klantstuur.demo.terrace_play import Options, play
from klantstuur.demo.terrace_setup import terrace_create, terrace_figures
from klantstuur.floor.models import Party, PartyStatus
from klantstuur.orders.models import OrderLine
from tests.browser.test_terrace import asgi_server  # noqa: F401  (fixture)

# Many requests at once: the test database of SQLite (shared cache) answers "table is
# locked" to concurrent writers; the simulator is for PostgreSQL (and `klantstuur demo`).
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent requests: PostgreSQL"
)

FIGURES = {
    "guests",
    "lines",
    "served",
    "wrong_deliveries_prevented",
    "wait_minutes_p50",
    "wait_minutes_p95",
    "late_lines",
    "experience_index",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("organisation", ["steered", "process"])
def test_a_short_service_is_played_through_the_api(
    asgi_server: str,  # noqa: F811
    organisation: str,
) -> None:
    terrace = terrace_create(tables=3, runners=2, organisation=organisation)
    options = Options(
        base=asgi_server,
        tables=3,
        minutes=20,
        speed=120,
        organisation=organisation,
        runners=2,
        kitchen_speed=0.5,
    )
    stats = play(terrace, options)
    assert stats.errors == []
    figures = terrace_figures(business_id=terrace.business_id, speed=120)
    assert set(figures) == FIGURES
    parties = Party.objects.filter(business_id=terrace.business_id)
    assert [p.status for p in parties] == [PartyStatus.LEFT] * 3
    assert figures["guests"] == sum(t["seats"] for t in terrace.tables) == 10
    lines = OrderLine.objects.filter(business_id=terrace.business_id)
    assert figures["lines"] == lines.count() > 0
    served = lines.filter(status="served").count()
    assert figures["served"] == served > 0
    # A party still waiting at the end of the service leaves with the rest voided.
    assert served + lines.filter(status="cancelled").count() == figures["lines"]
    assert stats.latencies_ms, "the open screens heard the service"
    # As a browser's screen (live.js): the messages of one write (an order's placing and
    # its checkpoint) arrive together and are one refetch.
    assert 0 < len(stats.fetch_ms) < len(stats.latencies_ms)
    if organisation == "steered":
        # Every plate at its seat; the API had nothing to prevent.
        assert stats.wrong_made == 0
        assert figures["wrong_deliveries_prevented"] == 0
        assert not lines.filter(seat__isnull=True).exists()
    else:
        assert not lines.filter(seat__isnull=False).exists()
        assert figures["wrong_deliveries_prevented"] == stats.prevented_seen
