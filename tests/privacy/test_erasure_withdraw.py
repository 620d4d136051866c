"""Issue #14: erasure asks for confirmation, can be withdrawn while pending, and says in words
what is still open; the owner sees it on the customer's needs."""

from typing import Any

from django.utils import timezone

from klantstuur.customers.models import Customer
from klantstuur.needs.models import EventKind, JournalEvent
from klantstuur.privacy.services import erasures_carry_out
from tests.conftest import World
from tests.helpers import assert_error, open_need

API = "/api/v1"


def test_a_pending_erasure_is_withdrawn_and_nothing_is_erased(world: World, api: Any) -> None:
    Customer.objects.filter(pk=world.customer_a.pk).update(language="en")  # reads English
    open_need(world.customer_a)
    me = api(world.customer_a)
    assert_error(me.delete(f"{API}/me/erasure"), 409)
    r = me.post(f"{API}/me/erasure")
    assert r.status_code == 202, r.content
    assert r.json()["waiting_for"] == ["open_needs"]
    assert r.json()["waiting_for_words"] == ["a question or request that is still open"]
    r = me.delete(f"{API}/me/erasure")
    assert r.status_code == 200, r.content
    assert r.json() == {
        "requested_at": None,
        "erased_at": None,
        "waiting_for": [],
        "waiting_for_words": [],
    }
    a = Customer.objects.get(pk=world.customer_a.pk)
    assert a.erasure_requested_at is None
    kinds = list(
        JournalEvent.objects.filter(customer=a, need=None)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == [EventKind.ERASURE_REQUESTED, EventKind.ERASURE_WITHDRAWN]
    assert erasures_carry_out(timezone.now()) == 0
    assert Customer.objects.get(pk=a.pk).erased_at is None
    assert_error(me.delete(f"{API}/me/erasure"), 409)
    assert_error(api(world.owner).delete(f"{API}/me/erasure"), 403)


def test_the_page_asks_first_says_what_is_open_in_words_and_lets_withdraw(
    world: World, login: Any
) -> None:
    need = open_need(world.customer_a)
    web = login(world.customer_a)
    r = web.post("/portal/orders/my-data/erasure", {})
    assert r.status_code == 422
    assert "Vink het vakje aan om te bevestigen." in r.content.decode()
    assert Customer.objects.get(pk=world.customer_a.pk).erasure_requested_at is None
    r = web.post("/portal/orders/my-data/erasure", {"confirm": "on"})
    assert r.status_code == 302
    body = web.get("/portal/orders/my-data/").content.decode()
    assert "<li>een vraag of verzoek dat nog openstaat</li>" in body
    assert "open_needs" not in body
    # The owner sees it on the customer's need.
    staff = login(need.owner).get(f"/console/needs/{need.pk}/").content.decode()
    assert 'id="erasure-pending"' in staff
    assert (
        login(world.customer_b).post("/portal/orders/my-data/erasure/withdraw").status_code == 302
    )
    assert Customer.objects.get(pk=world.customer_a.pk).erasure_requested_at is not None
    r = web.post("/portal/orders/my-data/erasure/withdraw")
    assert r.status_code == 302
    assert Customer.objects.get(pk=world.customer_a.pk).erasure_requested_at is None
    assert (
        'id="erasure-pending"'
        not in login(need.owner).get(f"/console/needs/{need.pk}/").content.decode()
    )
