"""`klantstuur token create`: one line, a working token."""

from typing import Any

from klantstuur.accounts.models import ApiToken
from klantstuur.cli import main
from tests.conftest import ApiClient
from tests.helpers import API


def _token(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(["token", "create", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_it_prints_one_working_staff_token(world: Any, capsys: Any) -> None:
    code, out, err = _token(capsys, "--email", "Owner@X.example")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key.startswith("ks_")
    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(key)).user_id == world.owner.user_id
    r = ApiClient(key).get(f"{API}/staff")
    assert r.status_code == 200
    assert r.json()["count"] == 6


def test_it_asks_which_business_for_a_customer_of_two(world: Any, capsys: Any) -> None:
    tokens = ApiToken.objects.count()
    code, out, err = _token(capsys, "--email", "a@example.com")
    assert (code, out) == (2, "")
    assert "several businesses (x, y)" in err
    assert "--business" in err
    assert ApiToken.objects.count() == tokens


def test_it_makes_a_customer_token_for_the_named_business(world: Any, capsys: Any) -> None:
    code, out, err = _token(capsys, "--email", "a@example.com", "--business", "y")
    assert (code, err) == (0, "")
    key = out.strip()
    assert len(out.splitlines()) == 1
    r = ApiClient(key).get(f"{API}/me")
    assert r.status_code == 200
    assert (r.json()["id"], r.json()["business"]["slug"]) == (world.customer_y.pk, "y")
    # A customer token is no staff token.
    assert ApiClient(key).get(f"{API}/needs").status_code == 403


def test_it_makes_a_token_for_a_customer_of_one_business(world: Any, capsys: Any) -> None:
    code, out, _ = _token(capsys, "--email", "b@example.com")
    assert code == 0
    assert ApiClient(out.strip()).get(f"{API}/me").json()["id"] == world.customer_b.pk


def test_it_refuses_an_unknown_email(world: Any, capsys: Any) -> None:
    tokens = ApiToken.objects.count()
    code, out, err = _token(capsys, "--email", "nobody@example.com")
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "nobody@example.com" in err
    code, out, err = _token(capsys, "--email", "owner@x.example", "--business", "y")
    assert (code, out) == (2, "")
    assert ApiToken.objects.count() == tokens
