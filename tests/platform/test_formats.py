"""Issue #14: one formatting layer — numbers, money and percentages in the reader's language."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from klantstuur.core.formats import money, number, percent


@pytest.mark.parametrize(
    ("language", "cents", "full", "compact"),
    [
        ("nl", 325, "€ 3,25", "€3,25"),
        ("en", 325, "€3.25", "€3.25"),
        ("nl", 123456, "€ 1.234,56", "€1234,56"),
        ("en", 123456, "€1,234.56", "€1234.56"),
        ("nl", -5, "-€ 0,05", "-€0,05"),
    ],
)
def test_money_in_the_readers_language(language: str, cents: int, full: str, compact: str) -> None:
    with translation.override(language):
        assert (money(cents), money(cents, compact=True)) == (full, compact)


def test_percentages_and_numbers_round_in_the_readers_language() -> None:
    with translation.override("nl"):
        assert (percent(0.607), number(1.9224999999999999, 2), percent(None)) == (
            "60,7%",
            "1,92",
            None,
        )
    with translation.override("en"):
        assert (percent(0.607), number(1.43, 2)) == ("60.7%", "1.43")


@given(st.integers(min_value=-(10**9), max_value=10**9), st.sampled_from(["nl", "en"]))
def test_money_reads_back_to_the_same_cents(cents: int, language: str) -> None:
    with translation.override(language):
        text = money(cents, compact=True).replace("€", "")
    decimal_sep = "," if language == "nl" else "."
    assert Decimal(text.replace(decimal_sep, ".")) * 100 == cents
