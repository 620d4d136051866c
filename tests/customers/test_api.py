"""POST/GET /api/v1/customers and GET /api/v1/staff."""

from typing import Any

import pytest

from klantstuur.customers.models import Customer
from tests.helpers import API, assert_error, snapshot


def test_it_creates_a_customer(world: Any, api: Any) -> None:
    before = Customer.objects.count()
    r = api(world.owner).post(
        f"{API}/customers",
        {
            "name": "  Carla C ",
            "email": "Carla@Example.com",
            "phone": "+31 6 1234",
            "language": "en",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    created = Customer.objects.get(pk=body["id"])
    assert body == {
        "id": created.pk,
        "name": "Carla C",
        "email": "carla@example.com",
        "phone": "+31 6 1234",
        "language": "en",
        "created_at": body["created_at"],
    }
    assert created.business_id == world.x.pk
    assert Customer.objects.count() == before + 1


def test_it_defaults_the_language_to_the_business_language(world: Any, api: Any) -> None:
    r = api(world.owner).post(f"{API}/customers", {"name": "Dirk"})
    assert r.status_code == 201
    assert r.json()["language"] == "nl"
    assert r.json()["email"] is None
    assert r.json()["phone"] == ""


def test_it_answers_409_with_the_existing_id_for_a_known_email(world: Any, api: Any) -> None:
    before = snapshot()
    r = api(world.owner).post(f"{API}/customers", {"name": "Anna again", "email": "A@EXAMPLE.com"})
    body = assert_error(r, 409, "email")
    assert body["existing_id"] == world.customer_a.pk
    assert snapshot() == before


def test_it_allows_the_same_email_in_another_business(world: Any, api: Any) -> None:
    r = api(world.stranger).post(
        f"{API}/customers", {"name": "Bram in Y", "email": "b@example.com"}
    )
    assert r.status_code == 201
    assert Customer.objects.get(pk=r.json()["id"]).business_id == world.y.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 12}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "email": "x" * 300 + "@example.com"}, "email"),
        ({"name": "X", "phone": "call me"}, "phone"),
        ({"name": "X", "language": "de"}, "language"),
        ({"name": "X", "nickname": "x"}, "nickname"),
        ({"name": "X\x00Y"}, "name"),
        ({"name": "X", "email": "x\x00@example.com"}, "email"),
    ],
)
def test_it_refuses_bad_customer_input(world: Any, api: Any, body: Any, field: str) -> None:
    before = snapshot()
    r = api(world.owner).post(f"{API}/customers", body)
    assert_error(r, 422, field)
    assert snapshot() == before


def test_it_refuses_malformed_json(world: Any, api: Any) -> None:
    client = api(world.owner)
    before = snapshot()
    r = client.client.post(
        f"{API}/customers",
        '{"name": "X",',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert_error(r, 400, "body")
    assert snapshot() == before


def test_it_shows_one_customer_record(world: Any, api: Any) -> None:
    r = api(world.owner).get(f"{API}/customers/{world.customer_a.pk}")
    assert r.status_code == 200
    assert r.json()["id"] == world.customer_a.pk
    assert r.json()["name"] == "Anna A"
    assert r.json()["email"] == "a@example.com"


def test_it_hides_another_businesss_customer(world: Any, api: Any) -> None:
    assert_error(api(world.stranger).get(f"{API}/customers/{world.customer_a.pk}"), 404)
    assert_error(api(world.owner).get(f"{API}/customers/{world.customer_y.pk}"), 404)
    assert_error(api(world.owner).get(f"{API}/customers/999999999"), 404)
    assert_error(api(world.owner).get(f"{API}/customers/99999999999999999999999"), 404)


def test_it_lists_the_staff_of_my_business(world: Any, api: Any) -> None:
    r = api(world.owner).get(f"{API}/staff")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 6
    assert [s["name"] for s in body["items"]] == [
        "Carrier X",
        "Cor Colleague",
        "Kim Kitchen",
        "Lea Lead",
        "Max Manager",
        "Olga Owner",
    ]
    lead = next(s for s in body["items"] if s["name"] == "Lea Lead")
    assert lead == {
        "id": world.lead.pk,
        "name": "Lea Lead",
        "email": "lead@x.example",
        "role": "lead",
        "authority_cents": 50000,
        "on_duty": True,
    }


def test_it_paginates_the_staff(world: Any, api: Any) -> None:
    body = api(world.owner).get(f"{API}/staff", limit=2, offset=1).json()
    assert body["count"] == 6
    assert [s["name"] for s in body["items"]] == ["Cor Colleague", "Kim Kitchen"]


def test_it_lists_many_staff_in_a_bounded_number_of_queries(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    from klantstuur.businesses.services import staff_create

    for i in range(40):
        staff_create(business=world.x, email=f"s{i}@x.example", name=f"S {i:02d}", role="agent")
    client = api(world.owner)
    with django_assert_max_num_queries(7):
        body = client.get(f"{API}/staff", limit=100).json()
    assert body["count"] == 46
    assert len(body["items"]) == 46


STAFF_PATHS = [
    ("post", "/customers", {"name": "Z", "email": "z@example.com"}),
    ("get", "/customers/{customer_a}", None),
    ("get", "/staff", None),
]


def _call(client: Any, method: str, path: str, body: Any, world: Any) -> Any:
    path = API + path.format(customer_a=world.customer_a.pk)
    return client.get(path) if method == "get" else client.post(path, body)


@pytest.mark.parametrize(("method", "path", "body"), STAFF_PATHS)
def test_it_refuses_callers_without_a_valid_token(
    world: Any, api: Any, method: str, path: str, body: Any
) -> None:
    from tests.conftest import ApiClient

    before = snapshot()
    r = _call(api(None), method, path, body, world)
    assert_error(r, 401)
    assert r["WWW-Authenticate"] == "Bearer"
    assert_error(_call(ApiClient("ks_not-a-token"), method, path, body, world), 401)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), STAFF_PATHS)
def test_it_refuses_customers_and_carriers_on_staff_paths(
    world: Any, api: Any, method: str, path: str, body: Any
) -> None:
    before = snapshot()
    assert_error(_call(api(world.customer_a), method, path, body, world), 403)
    assert_error(_call(api(world.carrier), method, path, body, world), 403)
    assert snapshot() == before
