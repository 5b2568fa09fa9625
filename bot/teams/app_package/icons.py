"""The app's icons, drawn in code so the package needs no image files or libraries:
a 192×192 colour icon and a 32×32 white-on-transparent outline, as Teams requires."""

from __future__ import annotations

import struct
import zlib

ACCENT = (0x2E, 0x5E, 0x4E)
WHITE = (0xFF, 0xFF, 0xFF)


def png(width: int, height: int, pixels: list[list[tuple[int, ...]]], *, alpha: bool) -> bytes:
    channels = 4 if alpha else 3
    raw = b"".join(b"\x00" + b"".join(bytes(p[:channels]) for p in row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _two_people(size: int, x: float, y: float, *, ring: float | None) -> bool:
    """Two overlapping heads: a mentor and a mentee. `ring` draws only their outlines."""
    for cx, cy, r in ((0.38, 0.45, 0.2), (0.62, 0.55, 0.2)):
        d = ((x - cx * size) ** 2 + (y - cy * size) ** 2) ** 0.5
        if (ring is None and d <= r * size) or (ring is not None and abs(d - r * size) <= ring):
            return True
    return False


def color_icon() -> bytes:
    size = 192
    rows = [
        [WHITE if _two_people(size, x + 0.5, y + 0.5, ring=None) else ACCENT for x in range(size)]
        for y in range(size)
    ]
    return png(size, size, rows, alpha=False)


def outline_icon() -> bytes:
    size = 32
    rows = [
        [
            (*WHITE, 255) if _two_people(size, x + 0.5, y + 0.5, ring=1.0) else (0, 0, 0, 0)
            for x in range(size)
        ]
        for y in range(size)
    ]
    return png(size, size, rows, alpha=True)
