"""The hot lookups are prepared statements on pooled connections (server-side binding),
and they keep working when a migration adds a column while the server runs."""

from typing import Any

import pytest
from django.db import connection

from klantstuur.customers.selectors import customer_for_staff
from klantstuur.needs.services import pick_owner
from tests.conftest import World


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_hot_lookups_survive_a_new_column(world: World, api: Any) -> None:
    for _ in range(4):  # past psycopg's prepare threshold
        assert customer_for_staff(staff=world.owner, customer_id=world.customer_a.pk)
        pick_owner(customer=world.customer_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = " ".join(row[0] for row in cursor.fetchall())
        assert "customers_customer" in prepared and "businesses_staffmember" in prepared
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before DDL
        cursor.execute("ALTER TABLE customers_customer ADD COLUMN added_later integer")
        cursor.execute("ALTER TABLE businesses_staffmember ADD COLUMN added_later integer")
    assert customer_for_staff(staff=world.owner, customer_id=world.customer_a.pk)
    assert pick_owner(customer=world.customer_a).business_id == world.x.pk
