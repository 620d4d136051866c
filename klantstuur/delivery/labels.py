"""A return's label: its code, and the code as a QR code (``segno``, SVG) to show on a
phone or print, scanned at the pickup point or by the courier who fetches it."""

from io import BytesIO

import segno

from .models import ReturnRequest


def label_svg(ret: ReturnRequest, *, scale: int = 5) -> str:
    """An inline SVG (no XML declaration) of the label code, titled with the code."""
    qr = segno.make(ret.label_code, error="m", micro=False)
    return str(qr.svg_inline(scale=scale, border=2, title=ret.label_code))


def label_svg_document(ret: ReturnRequest) -> bytes:
    """The same as a standalone SVG file (for ``qr_svg_url``)."""
    out = BytesIO()
    segno.make(ret.label_code, error="m", micro=False).save(
        out, kind="svg", scale=5, border=2, title=ret.label_code
    )
    return out.getvalue()
