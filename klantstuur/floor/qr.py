"""QR codes for the floor: each table's check-in code, and a party's guest link.

``segno`` (pure Python, no dependencies) writes the SVG; the page inlines it
so a manager can print every table's code on one page.
"""

import segno

# M: survives a splash of syrup on a printed card (15 % of the code may be lost).
ERROR_LEVEL = "m"


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline SVG of ``url`` (no XML declaration), with a title naming the URL."""
    code = segno.make(url, error=ERROR_LEVEL, micro=False)
    return code.svg_inline(scale=scale, border=2, title=url)
