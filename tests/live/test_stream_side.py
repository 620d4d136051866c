"""Which side a staff member's stream of a need takes: the one rule the console's and
the API's need streams both ask (live.conversation.staff_side)."""

from typing import Any

import pytest

from klantstuur.core.errors import NotFound
from klantstuur.live.conversation import OWNER, STAFF, staff_side
from tests.conftest import World
from tests.helpers import open_need


@pytest.mark.django_db
def test_the_owner_listens_as_owner_a_colleague_as_staff(world: World) -> None:
    need = open_need(world.customer_a)
    assert need.owner_id == world.owner.pk
    assert staff_side(world.owner, need.pk) == OWNER
    assert staff_side(world.colleague, need.pk) == STAFF
    assert staff_side(world.manager, need.pk) == STAFF


@pytest.mark.django_db
def test_the_carrier_and_no_staff_may_not_listen(world: World) -> None:
    need = open_need(world.customer_a)
    assert staff_side(world.carrier, need.pk) is None
    assert staff_side(None, need.pk) is None


@pytest.mark.django_db
def test_another_business_does_not_find_the_need(world: World) -> None:
    need = open_need(world.customer_a)
    with pytest.raises(NotFound):
        staff_side(world.stranger, need.pk)


@pytest.mark.django_db
def test_the_streams_are_in_the_openapi_schema(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/needs/{need_id}/stream", "/api/v1/me/needs/{need_id}/stream"):
        answers = paths[path]["get"]["responses"]
        assert "text/event-stream" in answers["200"]["content"]
        assert {"204", "401", "403", "404"} <= set(answers)


@pytest.mark.django_db
@pytest.mark.parametrize("need_id", ["0", "99999999999999999999"])
def test_an_id_nobody_has_is_not_found_not_a_crash(world: World, api: Any, need_id: str) -> None:
    assert api(world.owner).get(f"/api/v1/needs/{need_id}/stream").status_code == 404
    assert api(world.customer_a).get(f"/api/v1/me/needs/{need_id}/stream").status_code == 404
