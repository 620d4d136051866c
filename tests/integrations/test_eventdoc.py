"""docs/integrations.md lists the event kinds and payloads as the code defines them."""

from pathlib import Path

from klantstuur.integrations import eventdoc
from klantstuur.needs.models import EventKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def test_the_list_of_event_kinds_is_current() -> None:
    text = DOC.read_text()
    assert text == eventdoc.current(text), (
        "run: python -m klantstuur.integrations.eventdoc --write docs/integrations.md"
    )


def test_every_event_kind_is_listed_and_typed_payloads_are_found() -> None:
    rendered = eventdoc.render()
    for kind in EventKind.values:
        assert f"#### `{kind}`" in rendered
    assert "`data.data` as `klantstuur.needs.events.NeedOpened`:" in rendered
    assert "- `owner`: `Person`\n" in rendered
    assert "- `party_id`: `int` (optional)" in rendered  # NotRequired
    assert "- where `Person` is `{id: int, name: str}`" in rendered
