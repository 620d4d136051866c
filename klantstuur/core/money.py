"""Money is kept in whole cents and always written in euros, the Dutch way."""


def euro(cents: int | None, *, compact: bool = False) -> str:
    """1250 -> "€ 12,50"; 123400 -> "€ 1.234,00". ``compact`` is the spelling inside a
    sentence (error messages): no space and no thousands separator, "€12,50"."""
    if cents is None:
        return ""
    cents = int(cents)
    if compact:
        return f"€{cents // 100},{cents % 100:02d}"
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole = f"{cents // 100:,}".replace(",", ".")
    return f"{sign}€ {whole},{cents % 100:02d}"
