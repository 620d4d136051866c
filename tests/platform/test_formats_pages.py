"""Issue #14, one formatting layer: the same facts rendered in Dutch and in English, with
exact values — the staff dashboard (figures, percentages, the chart's axis), a journey
(plurals), a customer's order page (money), a return on the staff page (money, plurals)
and every customer notification e-mail, text and HTML (money, dates in words)."""

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from klantstuur.accounts.models import User
from klantstuur.catalog.models import CatalogItem
from klantstuur.customers.models import Customer
from klantstuur.delivery.models import ReturnReason
from klantstuur.metrics.models import DailyRollup
from klantstuur.needs import notifications, services
from klantstuur.needs.models import EventKind, JournalEvent, Need
from klantstuur.orders.models import Order
from tests.conftest import World
from tests.delivery.test_api import API, shop, tomorrow
from tests.helpers import open_need

__all__ = ["shop"]

NL, EN = "nl", "en"


def _reads(actor: Any, language: str) -> None:
    User.objects.filter(pk=actor.user_id).update(language=language)


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (NL, ["60,7%", "1,43", "14,3%", "1.234", "5,50", "4,00"]),
        (EN, ["60.7%", "1.43", "14.3%", "1,234", "5.50", "4.00"]),
    ],
)
def test_the_dashboard_in_the_readers_language(
    world: World, login: Any, language: str, expected: list[str]
) -> None:
    DailyRollup.objects.create(
        business=world.x,
        day=timezone.localdate(),
        owner_id=world.owner.pk,
        team="owner",
        needs=7,
        contacts=10,
        reopened=1,
        ratings_count=1200,
        ratings_sum=4800,
        csat_n=28,
        csat_satisfied=17,
        ces_n=2,
        ces_sum=11,
        nps_n=4,
        nps_promoters=3,
        nps_detractors=1,
    )
    _reads(world.manager, language)
    page = login(world.manager).get("/console/insight/").content.decode()
    values = re.findall(r'class="figure-value"[^>]*>([^<]*)<', page)
    needs, cpn, _fcr, _ticket, _hours, reopen = values[:6]
    assert (needs, cpn, reopen) == ("7", expected[1], expected[2])
    assert expected[0] in values and expected[3] in values  # CSAT, responses
    assert expected[4] in values  # CES: 5.5 on 1–7
    assert "50" in values  # NPS: (3 − 1) / 4
    wrong = {NL: ["60.7%", "1.43", "14.3%"], EN: ["60,7%", "1,43", "14,3%"]}[language]
    assert not set(wrong) & set(values)
    charts = json.loads(re.search(r'id="insight-charts"[^>]*>(.*?)</script>', page, re.S)[1])
    first_hour = {NL: "ma 00:00", EN: "Mon 00:00"}[language]
    assert charts["hours"]["labels"][0] == first_hour
    assert charts["labels"]["contacts"] == {NL: "Contacten", EN: "Contacts"}[language]
    day = timezone.localdate()
    month = day.strftime("%B")  # the English name; the Dutch page writes the Dutch one
    assert (month in charts["series"]["days"][0]) == (language == EN)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        (NL, "1 overdracht, 1 keer heropend", "2 overdrachten, 2 keer heropend"),
        (EN, "1 handoff, 1 reopen", "2 handoffs, 2 reopens"),
    ],
)
def test_a_journey_counts_in_words(
    world: World, login: Any, language: str, one: str, two: str
) -> None:
    first, second = open_need(world.customer_a), open_need(world.customer_b)
    Need.objects.filter(pk=first.pk).update(reopens=1, handoffs=1)
    Need.objects.filter(pk=second.pk).update(reopens=2, handoffs=2)
    _reads(world.manager, language)
    client = login(world.manager)
    a = _visible(client.get(f"/console/insight/journeys/{first.pk}/").content.decode())
    b = _visible(client.get(f"/console/insight/journeys/{second.pk}/").content.decode())
    assert one in a and two in b


@pytest.mark.parametrize(
    ("language", "price", "total", "worth"),
    [
        (NL, "€ 19,95", "Totaal: € 27,45", "1 artikel, ter waarde van € 19,95"),
        (EN, "€19.95", "Total: €27.45", "1 item, worth €19.95"),
    ],
)
def test_an_order_and_a_return_show_money_in_the_readers_language(
    world: World,
    api: Any,
    login: Any,
    shop: dict[str, Any],
    language: str,
    price: str,
    total: str,
    worth: str,
) -> None:
    bell = CatalogItem.objects.create(business=world.x, name="Bel", price_cents=750)
    ReturnReason.objects.create(
        business=world.x, code="too_small", label_nl="Te klein", label_en="Too small"
    )
    r = api(world.owner).post(
        f"{API}/orders",
        {
            "customer_id": world.customer_a.pk,
            "lines": [{"item": shop["item"].pk, "quantity": 1}, {"item": bell.pk, "quantity": 1}],
            "delivery": {"date": tomorrow().isoformat(), "window": "18:00-21:00"},
        },
    )
    order = Order.objects.get(pk=r.json()["id"])
    api(world.carrier).post(f"{API}/carrier/events", {"order_id": order.pk, "status": "delivered"})
    brakes = order.lines.order_by("id").first()
    assert brakes is not None
    r = api(world.customer_a).post(
        f"{API}/me/orders/{order.pk}/returns",
        {"lines": [{"line_id": brakes.pk, "quantity": 1}], "reason_code": "too_small"}
        | {"method": "pickup"},
    )
    assert r.status_code == 201, r.content
    Customer.objects.filter(pk=world.customer_a.pk).update(language=language)
    web = login(world.customer_a)
    User.objects.filter(customer=world.customer_a).update(language=language)
    page = _visible(web.get(f"/portal/orders/{order.pk}/").content.decode())
    assert f"1× Remblokken {price}" in page and total in page
    assert {NL: "Waarom: Te klein", EN: "Why: Too small"}[language] in page
    _reads(world.owner, language)
    staff = _visible(
        login(world.owner).get(f"/console/delivery/orders/{order.pk}/").content.decode()
    )
    assert worth in staff and {NL: "Te klein", EN: "Too small"}[language] in staff
    assert "too_small" not in staff


MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip
DAYS_NL = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


def _day_in_words(at: datetime, language: str) -> str:
    local = timezone.localtime(at)
    if language == NL:
        return f"{DAYS_NL[local.weekday()]} {local.day} {MONTHS_NL[local.month - 1]} {local.year}"
    return f"{local:%A} {local.day} {local:%B} {local.year}"


@pytest.mark.parametrize("language", [NL, EN])
def test_every_customer_email_in_the_readers_language(world: World, language: str) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language=language)
    customer = Customer.objects.get(pk=world.customer_a.pk)
    need = open_need(customer, by=world.owner)
    owner = need.owner
    type(owner).objects.filter(pk=owner.pk).update(authority_cents=10_000)
    owner.refresh_from_db()
    services.message_post_by_staff(staff=owner, need=need, body="Hallo")
    services.remedy_grant(staff=owner, need=need, kind="refund", amount_cents=325)
    services.resolution_propose(staff=owner, need=need, summary="Geld terug")
    mails = {}
    for event in JournalEvent.objects.filter(need=need).order_by("id"):
        for m in notifications.mails_for(event, {}):
            if m.audience == notifications.AUDIENCE_CUSTOMER:
                html = str(m.message.alternatives[0][0])
                mails[event.kind] = (m.message.subject, m.message.body, _visible(html))
    assert set(mails) == {
        EventKind.NEED_OPENED,
        EventKind.STAFF_MESSAGE,
        EventKind.REMEDY_GRANTED,
        EventKind.RESOLUTION_PROPOSED,
    }
    granted = {
        NL: f"{owner.name} heeft toegekend: Terugbetaling, € 3,25.",
        EN: f"{owner.name} granted: Refund, €3.25.",
    }[language]
    proposed = JournalEvent.objects.get(need=need, kind=EventKind.RESOLUTION_PROPOSED)
    by = datetime.fromisoformat(proposed.data["autoconfirm_at"])
    for kind, (_subject, text, html) in mails.items():
        assert f'lang="{language}"' not in text  # the text part is text
        contact = {NL: "Je contactpersoon", EN: "Your contact person"}[language]
        assert contact in text and contact in html, kind
    assert granted in mails[EventKind.REMEDY_GRANTED][1]
    assert granted in mails[EventKind.REMEDY_GRANTED][2]
    assert "refund" not in mails[EventKind.REMEDY_GRANTED][1]
    day = _day_in_words(by, language)
    assert day in mails[EventKind.RESOLUTION_PROPOSED][1]
    assert by.date().isoformat() not in mails[EventKind.RESOLUTION_PROPOSED][1]
