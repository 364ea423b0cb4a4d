"""Benchmark of the bedside-sign renderers: one sign PNG, one line label, a 60-bed ward PDF."""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import date

from boards.signs import (
    BedSign,
    SignLine,
    SignTag,
    render_line_label_png,
    render_sign_png,
    render_signs_pdf,
)
from boards.tags import DEFAULT_TAGS

_TAGS = {t.code: t for t in DEFAULT_TAGS}


def _sign(bed: int) -> BedSign:
    codes = ("fall", "allergy", "line_dislodgement", "nil_by_mouth", "isolation_contact")
    return BedSign(
        ward_name="普外科一病区",
        bed_label=str(bed),
        masked_name="张*三",
        sex="男" if bed % 2 else "女",
        age=f"{40 + bed % 50}岁",
        nursing_level="一级护理" if bed % 3 else "二级护理",
        level_colour="#E53935" if bed % 3 else "#FBC02D",
        tags=tuple(
            SignTag(_TAGS[c].badge_zh, _TAGS[c].colour) for c in codes[: 1 + bed % len(codes)]
        ),
        allergies="青霉素、头孢类" if bed % 4 == 0 else None,
        lines=(
            SignLine("PICC", date(2025, 11, 20), 365, "化疗"),
            SignLine("留置针", date(2025, 11, 22), 4),
        )[: bed % 3],
        # The token is 128 random bits in base64url, as the design asks.
        deep_link=f"https://t.me/WardBoardBot?start={secrets.token_urlsafe(16)}",
        scan_hint="扫码查看患者卡片（仅本病区医护）· 不能替代腕带核对",
        printed_at="打印于 2025-11-23 14:30",
    )


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="repetitions for medians")
    parser.add_argument("--beds", type=int, default=60, help="beds in the ward PDF")
    args = parser.parse_args()

    sign = _sign(12)
    render_sign_png(sign)  # load the font before timing
    png = render_sign_png(sign)
    t_png = _median_seconds(lambda: render_sign_png(sign), args.runs)
    print(
        f"sign PNG (A6, 300 dpi): median {t_png * 1000:.0f} ms over {args.runs} runs, "
        f"{len(png) / 1024:.0f} KiB"
    )
    t_150 = _median_seconds(lambda: render_sign_png(sign, dpi=150), args.runs)
    print(f"sign PNG (A6, 150 dpi): median {t_150 * 1000:.0f} ms")

    line = SignLine("留置针", date(2025, 11, 22), 4, "补液")
    label = render_line_label_png(line, bed_label="12", masked_name="张*三")
    t_label = _median_seconds(
        lambda: render_line_label_png(line, bed_label="12", masked_name="张*三"), args.runs
    )
    print(
        f"line label PNG (60x30 mm, 300 dpi): median {t_label * 1000:.0f} ms, "
        f"{len(label) / 1024:.0f} KiB"
    )

    signs = [_sign(bed) for bed in range(1, args.beds + 1)]
    start = time.perf_counter()
    pdf = render_signs_pdf(signs)
    elapsed = time.perf_counter() - start
    pages = -(-len(signs) // 4)
    print(
        f"ward PDF ({args.beds} beds, {pages} A4 pages, 300 dpi): {elapsed:.2f} s, "
        f"{len(pdf):,} bytes ({len(pdf) / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
