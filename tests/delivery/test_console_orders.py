# ruff: noqa: F811  (pytest fixtures shared from tests/delivery/test_api.py)
"""The console's orders list: my business's orders only, found by number or customer,
filtered by status and by deliveries waiting for the customer's choice; keyset pages."""

from typing import Any

from django.test import Client

from klantstuur.delivery import selectors
from tests.conftest import World
from tests.delivery.test_api import API, _order, shop  # noqa: F401

URL = "/console/delivery/orders/"


def _numbers(body: str) -> set[str]:
    import re

    return set(re.findall(r'href="/console/delivery/orders/(\d+)/"', body))


def test_staff_see_their_business_orders_and_nobody_else_does(
    world: World, api: Any, login: Any, shop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    orders = [_order(api, world, shop) for _ in range(3)]
    web = login(world.owner)
    web.get(URL)
    with django_assert_max_num_queries(7):
        r = web.get(URL)
    assert r.status_code == 200
    body = r.content.decode()
    assert _numbers(body) == {str(o.pk) for o in orders}
    assert world.customer_a.name in body and "Olga Owner" in body
    assert 'href="/console/delivery/orders/"' in body  # in the console's navigation
    assert _numbers(login(world.stranger).get(URL).content.decode()) == set()
    assert login(world.customer_a).get(URL).status_code == 403
    assert web.get(f"/console/delivery/orders/{orders[0].pk}/").status_code == 200
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/console/login/" in anonymous["Location"]


def test_find_by_number_or_customer_and_filter(
    world: World, api: Any, login: Any, shop: dict[str, Any]
) -> None:
    first, second = _order(api, world, shop), _order(api, world, shop)
    web = login(world.owner)
    assert _numbers(web.get(URL, {"q": f"#{first.pk}"}).content.decode()) == {str(first.pk)}
    by_name = web.get(URL, {"q": world.customer_a.name.split()[0].lower()})
    assert _numbers(by_name.content.decode()) == {str(first.pk), str(second.pk)}
    assert _numbers(web.get(URL, {"q": "nobody-like-this"}).content.decode()) == set()
    assert _numbers(web.get(URL, {"status": "cancelled"}).content.decode()) == set()
    assert _numbers(web.get(URL, {"delivery": "problem"}).content.decode()) == set()
    r = api(world.carrier).post(
        f"{API}/carrier/events",
        {"order_id": second.pk, "status": "attempt_failed", "reason": "not_at_home"},
    )
    assert r.status_code == 201
    problems = web.get(URL, {"delivery": "problem"}).content.decode()
    assert _numbers(problems) == {str(second.pk)}
    assert _numbers(web.get(URL, {"delivery": "attempt_failed"}).content.decode()) == {
        str(second.pk)
    }


def test_older_orders_come_by_keyset_page(
    world: World, api: Any, login: Any, shop: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "ORDERS_PAGE", 2)
    orders = [_order(api, world, shop) for _ in range(3)]
    web = login(world.owner)
    body = web.get(URL).content.decode()
    assert _numbers(body) == {str(orders[2].pk), str(orders[1].pk)}
    assert f"before={orders[1].pk}" in body
    older = web.get(URL, {"before": orders[1].pk}).content.decode()
    assert _numbers(older) == {str(orders[0].pk)} and 'class="pager"' not in older


def test_bad_filters_are_refused_beside_the_field(world: World, login: Any) -> None:
    web = login(world.owner)
    for params, field in (
        ({"before": "abc"}, "before"),
        ({"status": "lost"}, "status"),
        ({"delivery": "teleported"}, "delivery"),
        ({"q": "x" * 201}, "q"),
        ({"before": str(2**70)}, "before"),
    ):
        r = web.get(URL, params)
        assert r.status_code == 422, params
        assert field in r.context["form"].errors
