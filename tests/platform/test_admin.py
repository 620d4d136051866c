"""The Django admin sets up a business; needs are only looked at there."""

from typing import Any

import pytest
from django.test import Client

from klantstuur.accounts.models import User
from klantstuur.businesses.models import Business, StaffMember
from klantstuur.needs.services import need_open
from tests.conftest import World


@pytest.fixture
def admin_client_(world: World) -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "x-password-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/businesses/business/",
        "/admin/businesses/staffmember/",
        "/admin/customers/customer/",
        "/admin/needs/need/",
        "/admin/needs/journalevent/",
        "/admin/catalog/catalogitem/",
        "/admin/floor/table/",
        "/admin/delivery/deliverywindow/",
    ],
)
def test_it_lists_in_the_admin(admin_client_: Client, path: str) -> None:
    assert admin_client_.get(path).status_code == 200


def test_it_sets_up_a_business_in_the_admin(admin_client_: Client) -> None:
    r = admin_client_.post(
        "/admin/businesses/business/add/",
        {
            "name": "Bakkerij Brood",
            "slug": "brood",
            "time_zone": "Europe/Amsterdam",
            "language": "nl",
            "handoff_expiry_minutes": 120,
            "autoconfirm_days": 7,
            "staff-TOTAL_FORMS": 0,
            "staff-INITIAL_FORMS": 0,
        },
    )
    assert r.status_code == 302, r.content[:500]
    assert Business.objects.filter(slug="brood", name="Bakkerij Brood").exists()


def test_it_never_changes_a_need_in_the_admin(world: World, admin_client_: Client) -> None:
    need = need_open(customer=world.customer_a, kind="question", summary="Open?")
    assert admin_client_.get("/admin/needs/need/add/").status_code == 403
    r = admin_client_.post(f"/admin/needs/need/{need.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    need.refresh_from_db()
    assert need.owner == world.owner


def test_it_refuses_staff_without_admin_rights(world: World, login: Any) -> None:
    r = login(world.manager).get("/admin/businesses/business/")
    assert r.status_code == 302  # to the admin login: console staff are not admin users
    assert StaffMember.objects.count() == 7
