"""The Simplified-Chinese font shipped with WardBoard: Noto Sans SC, SIL OFL 1.1 (see OFL.txt)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["FONT_FILES", "FONT_SHA256", "LICENSE_FILE", "font_path"]

# Only the Regular weight is shipped: the PyPI wheel it comes from has no Bold, and a
# second 8 MB face would double the package. Renderers embolden with a stroke instead.
FONT_FILES: dict[str, str] = {"regular": "NotoSansSC-Regular.otf"}

# SHA-256 of each shipped file, so a test can tell a swapped or truncated font at once.
FONT_SHA256: dict[str, str] = {
    "regular": "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9",
}

LICENSE_FILE = "OFL.txt"


def font_path(weight: str = "regular") -> Traversable:
    """The packaged font file of `weight` ("regular"), as an importlib.resources Traversable.

    Wrap it in `importlib.resources.as_file` where a real filesystem path is required.
    """
    try:
        name = FONT_FILES[weight]
    except KeyError:
        raise ValueError(
            f"no font weight {weight!r}; shipped weights: {', '.join(sorted(FONT_FILES))}"
        ) from None
    return resources.files(__name__) / name
