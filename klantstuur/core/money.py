"""Money is kept in whole cents and written in euros in the reader's language
(klantstuur.core.formats): nl "€ 12,50", en "€12.50"."""

from .formats import money


def euro(cents: int | None, *, compact: bool = False) -> str:
    """1250 -> nl "€ 12,50", en "€12.50"; 123400 -> nl "€ 1.234,00". ``compact`` is the
    spelling inside a sentence (error messages): no space, no thousands separator."""
    return money(cents, compact=compact)
