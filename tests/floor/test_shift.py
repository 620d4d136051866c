"""The end of the evening, joining a taken table, the shift's hosts and the printed QR codes."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from klantstuur.businesses.models import Role
from klantstuur.businesses.services import staff_create
from klantstuur.floor import qr
from klantstuur.floor.models import Party, PartyStatus, Section
from klantstuur.floor.services import party_leave
from klantstuur.needs.models import EventKind, JournalEvent, Need, NeedStatus
from klantstuur.needs.services import resolutions_autoconfirm
from tests.conftest import PASSWORD, World
from tests.floor.test_api import terrace  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """These tests read the English UI text; Dutch is the product's default. (Guests'
    phones ask for English: a guest page speaks the phone's language.)"""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def seated(world: World, api: Any, terrace: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    body = api(world.owner).post("/api/v1/floor/parties", {"table": "12", "seats": 3}).json()
    return {**terrace, "party": Party.objects.get(pk=body["id"])}


# --- leaving proposes "Thanks for your visit" -------------------------------------------------


def test_it_proposes_a_resolution_when_the_party_leaves(
    world: World, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    # A colleague at the till closes the table; the owner stays the owner.
    party_leave(staff=world.manager, party=party)
    need = Need.objects.get(pk=party.need_id)
    assert need.status == NeedStatus.AWAITING_CUSTOMER
    assert need.owner_id == world.owner.pk
    assert need.resolution_summary == "Thanks for your visit."
    assert need.autoconfirm_at is not None
    assert need.proposed_at is not None
    assert need.autoconfirm_at - need.proposed_at == timedelta(days=world.x.autoconfirm_days)
    proposed = JournalEvent.objects.get(need=need, kind=EventKind.RESOLUTION_PROPOSED)
    assert proposed.actor_staff_id == world.manager.pk
    assert proposed.data["by"] == "floor"
    # Nobody answers: after the announced quiet period the need is solved.
    assert resolutions_autoconfirm(now=timezone.now()) == 0
    assert resolutions_autoconfirm(now=need.autoconfirm_at + timedelta(seconds=1)) == 1
    assert Need.objects.get(pk=need.pk).status == NeedStatus.SOLVED


def test_a_need_that_is_not_open_is_left_alone_when_the_party_leaves(
    world: World, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    Need.objects.filter(pk=party.need_id).update(status=NeedStatus.CANCELLED)
    party_leave(staff=world.owner, party=party)
    assert Need.objects.get(pk=party.need_id).status == NeedStatus.CANCELLED
    assert not JournalEvent.objects.filter(
        need_id=party.need_id, kind=EventKind.RESOLUTION_PROPOSED
    ).exists()


# --- a second phone at a taken table ----------------------------------------------------------


def test_a_second_phone_asks_the_host_and_never_sees_the_link(
    world: World, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    phone = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = phone.get(f"/guest/t/{seated['t12'].qr_token}/").content.decode()
    assert party.guest_token not in page
    assert "Ask my host to let me in" in page
    r = phone.post(f"/guest/t/{seated['t12'].qr_token}/", {"action": "join", "name": "Mia"})
    assert r.status_code == 200
    body = r.content.decode()
    assert party.guest_token not in body
    assert "comes to your table" in body
    called = JournalEvent.objects.get(need_id=party.need_id, kind=EventKind.HOST_CALLED)
    assert called.data["join"] is True
    assert called.data["reason"] == "Mia asks to join the table."
    assert Party.objects.get(pk=party.pk).host_called_at is not None
    # Pressing again within a minute tells the host nothing new.
    phone.post(f"/guest/t/{seated['t12'].qr_token}/", {"action": "join"})
    assert JournalEvent.objects.filter(need_id=party.need_id, kind="host_called").count() == 1


def test_asking_to_join_a_free_table_seats_nobody_and_calls_nobody(
    world: World, seated: dict[str, Any]
) -> None:
    before = (Party.objects.count(), JournalEvent.objects.count())
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/guest/t/{seated['t21'].qr_token}/", {"action": "join"}
    )
    assert r.status_code == 200
    assert "How many are you?" in r.content.decode()
    assert (Party.objects.count(), JournalEvent.objects.count()) == before


def test_the_host_shows_the_guest_link_and_others_cannot(
    world: World, login: Any, seated: dict[str, Any]
) -> None:
    party = seated["party"]
    url = f"/console/floor/parties/{party.pk}/link/"
    with mock.patch.object(qr.segno, "make", wraps=qr.segno.make) as make:
        r = login(world.owner).get(url)
    assert r.status_code == 200
    assert make.call_args.args[0] == f"http://testserver/guest/{party.guest_token}/"
    assert "<svg" in r.content.decode()
    assert login(world.stranger).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    party_leave(staff=world.owner, party=party)
    assert login(world.owner).get(url).status_code == 404


# --- the shift's hosts ------------------------------------------------------------------------


def test_a_manager_sets_the_host_of_a_section(
    world: World, login: Any, seated: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    terras: Section = seated["terras"]
    client = login(world.manager)
    with django_assert_max_num_queries(10):
        page = client.get("/console/floor/shift/")
    assert page.status_code == 200
    assert "Cor Colleague" in page.content.decode()
    r = client.post("/console/floor/shift/", {"section": terras.pk, "host": world.colleague.pk})
    assert r.status_code == 302
    assert Section.objects.get(pk=terras.pk).host_id == world.colleague.pk
    # Parties already seated keep their owner.
    assert Need.objects.get(pk=seated["party"].need_id).owner_id == world.owner.pk


def _manager_of_y(world: World) -> Any:
    return staff_create(
        business=world.y,
        email="boss@y.example",
        name="Yvo Y",
        role=Role.MANAGER,
        authority_cents=0,
        password=PASSWORD,
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 403), ("kitchen", 403), ("stranger", 403), ("manager_y", 404), ("anon", 302)],
)
def test_others_cannot_set_hosts_and_nothing_changes(
    world: World, login: Any, seated: dict[str, Any], who: str, status: int
) -> None:
    terras: Section = seated["terras"]
    if who == "anon":
        client = Client()
    elif who == "manager_y":
        client = login(_manager_of_y(world))
    else:
        client = login(getattr(world, who))
    r = client.post("/console/floor/shift/", {"section": terras.pk, "host": world.colleague.pk})
    assert r.status_code == status
    assert Section.objects.get(pk=terras.pk).host_id == world.owner.pk


def test_the_shift_page_refuses_bad_input_clearly(
    world: World, login: Any, seated: dict[str, Any]
) -> None:
    terras: Section = seated["terras"]
    client = login(world.lead)
    for data in (
        {"section": "x", "host": world.colleague.pk},
        {"section": 99999, "host": world.colleague.pk},
    ):
        assert client.post("/console/floor/shift/", data).status_code == 404
    r = client.post("/console/floor/shift/", {"section": terras.pk, "host": world.stranger.pk})
    assert r.status_code == 400
    assert 'role="alert"' in r.content.decode()
    r = client.post("/console/floor/shift/", {"section": terras.pk, "host": "nope"})
    assert r.status_code == 400
    assert Section.objects.get(pk=terras.pk).host_id == world.owner.pk


# --- printed QR codes -------------------------------------------------------------------------


def test_the_qr_page_encodes_each_tables_check_in_url(
    world: World, login: Any, seated: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = login(world.manager)
    with (
        mock.patch.object(qr.segno, "make", wraps=qr.segno.make) as make,
        django_assert_max_num_queries(6),
    ):
        r = client.get("/console/floor/qr/")
    assert r.status_code == 200
    page = r.content.decode()
    urls = [f"http://testserver/guest/t/{seated[t].qr_token}/" for t in ("t12", "t21", "t3")]
    assert sorted(c.args[0] for c in make.call_args_list) == sorted(urls)
    for url in urls:
        assert url in page
    assert page.count("<svg") == 3
    # No other business's tables, no party's guest link.
    assert seated["y_table"].qr_token not in page
    assert seated["party"].guest_token not in page


def test_only_managers_and_leads_print_qr_codes(
    world: World, login: Any, seated: dict[str, Any]
) -> None:
    assert login(world.owner).get("/console/floor/qr/").status_code == 403
    assert login(world.kitchen).get("/console/floor/qr/").status_code == 403
    assert login(world.lead).get("/console/floor/qr/").status_code == 200
    assert login(world.stranger).get("/console/floor/qr/").status_code == 403
    other = login(_manager_of_y(world)).get("/console/floor/qr/").content.decode()
    assert seated["t12"].qr_token not in other
    assert seated["y_table"].qr_token in other


def test_a_qr_code_is_an_svg_of_the_url() -> None:
    svg = qr.qr_svg("http://testserver/guest/t/abc/")
    assert svg.startswith("<svg")
    assert "<title>http://testserver/guest/t/abc/</title>" in svg


def test_a_left_party_is_no_longer_a_party(world: World, seated: dict[str, Any]) -> None:
    party_leave(staff=world.owner, party=seated["party"])
    assert Party.objects.get(pk=seated["party"].pk).status == PartyStatus.LEFT
