"""QR codes for the join links: SVG for the projector and pages, PNG for print and download.

Both use error correction M (15% damage tolerated: a glare spot on a projector or a
crease in a printed table card) and the 4-module quiet zone the QR standard requires,
dark modules on an explicit white background so the code scans on a dark theme too.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.exceptions
import qrcode.image.pil
import qrcode.image.svg

MAX_DATA_LENGTH = 1000
QUIET_ZONE_MODULES = 4
# Bounds the PNG's size: 50 px per module is ~9000 px square at QR version 40.
MAX_BOX_SIZE = 50


def _make(data: str, box_size: int) -> qrcode.QRCode:
    if not isinstance(data, str) or not data.strip():
        raise ValueError("QR data must be a non-empty string")
    if len(data) > MAX_DATA_LENGTH:
        raise ValueError(f"QR data must be at most {MAX_DATA_LENGTH} characters")
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=QUIET_ZONE_MODULES,
    )
    code.add_data(data)
    try:
        code.make(fit=True)
    except qrcode.exceptions.DataOverflowError:
        # 1000 characters fit as ASCII, but not when many of them take 3-4 bytes in UTF-8.
        raise ValueError("QR data is too long to encode") from None
    return code


def qr_svg(data: str) -> str:
    """A standalone SVG document of `data` as a QR code.

    One path for all dark modules keeps it small; the viewBox counts in modules, so the
    image scales crisply to whatever size the page gives it.
    """
    image = _make(data, box_size=10).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = image.get_image()
    # Without it some renderers anti-alias the seams between adjacent modules into
    # faint grey lines, which a camera can read as light modules.
    svg.set("shape-rendering", "crispEdges")
    return str(image.to_string(encoding="unicode"))


def qr_png(data: str, box_size: int = 10) -> bytes:
    """PNG bytes of `data` as a QR code, `box_size` pixels per module."""
    if not 1 <= box_size <= MAX_BOX_SIZE:
        raise ValueError(f"box_size must be from 1 to {MAX_BOX_SIZE}")
    image = _make(data, box_size=box_size).make_image(image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
