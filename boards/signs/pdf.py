"""A minimal PDF 1.4 writer: pages of PNG images placed in millimetres, and vector rules."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Pdf"]


@dataclass(frozen=True, slots=True)
class _PngImage:
    width: int
    height: int
    bits: int
    colours: int  # samples per pixel
    palette: bytes | None
    data: bytes  # concatenated IDAT: a zlib stream with PNG row filters


def _parse_png(png: bytes) -> _PngImage:
    # PNG's IDAT is exactly a PDF FlateDecode stream with PNG predictors, so the image
    # goes into the PDF without decoding or recompressing.
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, palette = 8, bytearray(), None
    width = height = bits = colour_type = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, bits, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if interlace:
                raise ValueError("interlaced PNG")
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"IDAT":
            idat += body
    colours = {0: 1, 2: 3, 3: 1}.get(colour_type)
    if colours is None:
        raise ValueError(f"unsupported PNG colour type {colour_type}")
    return _PngImage(
        width, height, bits, colours, palette if colour_type == 3 else None, bytes(idat)
    )


class Pdf:
    """A minimal PDF 1.4 writer: pages of images placed in millimetres, and rules."""

    def __init__(self) -> None:
        self._objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
        self._pages: list[int] = []

    def _add(self, body: bytes) -> int:
        self._objects.append(body)
        return len(self._objects)

    def _image(self, png: bytes) -> int:
        img = _parse_png(png)
        if img.palette is not None:
            colour_space = (
                f"[/Indexed /DeviceRGB {len(img.palette) // 3 - 1} <{img.palette.hex()}>]"
            )
        else:
            colour_space = "/DeviceRGB" if img.colours == 3 else "/DeviceGray"
        head = (
            f"<< /Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
            f"/ColorSpace {colour_space} /BitsPerComponent {img.bits} /Filter /FlateDecode "
            f"/DecodeParms << /Predictor 15 /Colors {img.colours} "
            f"/BitsPerComponent {img.bits} /Columns {img.width} >> /Length {len(img.data)} >>"
        )
        return self._add(head.encode() + b"\nstream\n" + img.data + b"\nendstream")

    def page(
        self,
        size_mm: tuple[float, float],
        images: Sequence[tuple[bytes, tuple[float, float, float, float]]],
        drawing: str = "",
    ) -> None:
        """A page holding PNGs at (x, y-from-top, width, height) mm, then `drawing`
        (PDF operators, in points from the bottom left)."""
        pt = 72 / 25.4
        page_w, page_h = size_mm[0] * pt, size_mm[1] * pt
        names, ops = [], []
        for i, (png, (x, y, w, h)) in enumerate(images):
            ref = self._image(png)
            names.append(f"/Im{i} {ref} 0 R")
            bottom = size_mm[1] - y - h
            ops.append(
                f"q {w * pt:.3f} 0 0 {h * pt:.3f} {x * pt:.3f} {bottom * pt:.3f} cm /Im{i} Do Q"
            )
        ops.append(drawing)
        content = "\n".join(ops).encode()
        packed = zlib.compress(content, 9)
        contents = self._add(
            f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )
        self._pages.append(
            self._add(
                (
                    f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.3f} {page_h:.3f}] "
                    f"/Resources << /XObject << {' '.join(names)} >> >> "
                    f"/Contents {contents} 0 R >>"
                ).encode()
            )
        )

    def to_bytes(self) -> bytes:
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        self._objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode()
        info = self._add(b"<< /Producer (WardBoard) /Title (WardBoard bedside signs) >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self._objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self._objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        out += (
            f"trailer\n<< /Size {len(self._objects) + 1} /Root 1 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)
