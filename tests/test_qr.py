"""Join QR codes: they must decode, as a phone camera would, back to the exact join URL.

Decoding uses pyzbar, which needs the system's libzbar (Debian: libzbar0). Without it
these tests skip locally but fail in CI, where a skipped decode would hide a broken QR.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import xml.etree.ElementTree as ET
from types import ModuleType

import pytest
from PIL import Image, ImageDraw

from app.qr import MAX_DATA_LENGTH, qr_png, qr_svg

JOIN_URL = "http://192.168.1.20:8000/join/Xk3-9fQ?table=3"
SVG = "{http://www.w3.org/2000/svg}"
QUIET_ZONE = 4  # modules of light margin the QR standard asks for
# SvgPathImage draws each dark module as an axis-aligned rectangle "Mx,yHx2Vy2Hxz".
RECT = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\1z")

Grid = list[list[bool]]


def require(module_name: str) -> ModuleType:
    """Import a test-only dependency, skipping without it, except in CI where it must be."""
    try:
        return importlib.import_module(module_name)
    except (ImportError, OSError) as error:  # pyzbar raises ImportError without libzbar
        reason = (
            f"{module_name} unavailable ({error}); pip install pyzbar, apt-get install libzbar0"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def decode(image: Image.Image) -> list[str]:
    pyzbar = require("pyzbar.pyzbar")
    results = pyzbar.decode(image)
    assert all(r.type == "QRCODE" for r in results)
    return [r.data.decode("utf-8") for r in results]


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def svg_size(root: ET.Element) -> int:
    """The side of the SVG's square viewBox, in modules."""
    x, y, width, height = (int(v) for v in root.attrib["viewBox"].split())
    assert (x, y) == (0, 0) and width == height
    return width


def svg_rects(root: ET.Element) -> list[tuple[int, int, int, int]]:
    """The dark rectangles of the SVG's single path, as (x0, y0, x1, y1) in modules."""
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 1, "the dark modules should be one path"
    d = paths[0].attrib["d"]
    rects = [tuple(int(v) for v in m.groups()) for m in RECT.finditer(d)]
    # If qrcode ever draws differently, say so rather than test a partial reading.
    assert sum(len(m.group(0)) for m in RECT.finditer(d)) == len(d), "unexpected path format"
    return rects  # type: ignore[return-value]


def svg_grid(root: ET.Element) -> Grid:
    size = svg_size(root)
    grid = [[False] * size for _ in range(size)]
    for x0, y0, x1, y1 in svg_rects(root):
        for y in range(y0, y1):
            for x in range(x0, x1):
                grid[y][x] = True
    return grid


def rasterise_svg(root: ET.Element, scale: int) -> Image.Image:
    """Draw the SVG as a renderer would: white background, then the dark path."""
    size = svg_size(root) * scale
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in svg_rects(root):
        draw.rectangle((x0 * scale, y0 * scale, x1 * scale - 1, y1 * scale - 1), fill=0)
    return image


def png_grid(png: bytes, box_size: int) -> Grid:
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    assert width == height and width % box_size == 0
    size = width // box_size
    middle = box_size // 2
    return [
        [image.getpixel((x * box_size + middle, y * box_size + middle)) == 0 for x in range(size)]
        for y in range(size)
    ]


def error_correction_level(grid: Grid) -> str:
    """Read the level from the symbol's format information beside the top-left finder."""
    q = QUIET_ZONE
    top_bits = int("".join("1" if grid[q + 8][q + c] else "0" for c in range(5)), 2)
    level_bits = (top_bits ^ (0x5412 >> 10)) >> 3  # format bits are XOR-masked with 0x5412
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[level_bits]


def test_svg_is_a_standalone_scalable_document() -> None:
    svg = qr_svg(JOIN_URL)
    root = svg_root(svg)
    assert root.tag == f"{SVG}svg"
    assert svg_size(root) > 21 + 2 * QUIET_ZONE  # version 1 is 21 modules
    background = root.find(f"{SVG}rect")
    assert background is not None, "needs its own white background for dark themes"
    assert background.attrib["fill"] == "white"
    assert (background.attrib["width"], background.attrib["height"]) == ("100%", "100%")
    assert root.find(f"{SVG}path").attrib["fill"] == "#000000"  # type: ignore[union-attr]


def test_svg_has_a_quiet_zone_of_four_modules() -> None:
    grid = svg_grid(svg_root(qr_svg(JOIN_URL)))
    q = QUIET_ZONE
    edge = grid[:q] + grid[-q:] + [row[:q] + row[-q:] for row in grid]
    assert not any(any(row) for row in edge)
    assert grid[q][q], "the finder pattern starts right after the quiet zone"


def test_png_decodes_to_the_join_url() -> None:
    png = qr_png(JOIN_URL)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode(Image.open(io.BytesIO(png))) == [JOIN_URL]


def test_small_png_still_decodes() -> None:
    assert decode(Image.open(io.BytesIO(qr_png(JOIN_URL, box_size=3)))) == [JOIN_URL]


def test_svg_decodes_to_the_join_url() -> None:
    image = rasterise_svg(svg_root(qr_svg(JOIN_URL)), scale=6)
    assert decode(image) == [JOIN_URL]


def test_svg_and_png_draw_the_same_symbol() -> None:
    svg = svg_grid(svg_root(qr_svg(JOIN_URL)))
    assert svg == png_grid(qr_png(JOIN_URL, box_size=4), box_size=4)


@pytest.mark.parametrize("data", [JOIN_URL, "x" * 200])
def test_error_correction_is_level_m(data: str) -> None:
    assert error_correction_level(svg_grid(svg_root(qr_svg(data)))) == "M"
    assert error_correction_level(png_grid(qr_png(data, box_size=2), box_size=2)) == "M"


def test_longest_allowed_data_round_trips() -> None:
    data = "https://kaartspel.example.org/join?" + "a" * (MAX_DATA_LENGTH - 35)
    assert len(data) == MAX_DATA_LENGTH
    assert decode(Image.open(io.BytesIO(qr_png(data, box_size=4)))) == [data]


@pytest.mark.parametrize(
    "data",
    ["", "   ", "x" * (MAX_DATA_LENGTH + 1), "€" * MAX_DATA_LENGTH],
    ids=["empty", "blank", "too-long", "too-many-bytes"],
)
def test_unusable_data_is_refused(data: str) -> None:
    with pytest.raises(ValueError):
        qr_svg(data)
    with pytest.raises(ValueError):
        qr_png(data)


@pytest.mark.parametrize("box_size", [0, -1, 51])
def test_unusable_box_size_is_refused(box_size: int) -> None:
    with pytest.raises(ValueError):
        qr_png(JOIN_URL, box_size=box_size)
