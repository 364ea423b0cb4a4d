"""Benchmark of the board picture: a 60-bed ward's 1920x1080 PNG (target under 300 ms)."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from boards.i18n import texts
from boards.picture import board_picture, draw_board, render_board_png
from boards.picture.sample import sample_board

TARGET_MS = 300


def _times(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="repetitions for the figures")
    parser.add_argument("--beds", type=int, default=60, help="beds in the ward")
    args = parser.parse_args()

    data = sample_board(args.beds)
    t = texts(data.ward.locale, data.ward.timezone)
    start = time.perf_counter()
    png, report = render_board_png(board_picture(data, t, private=False))
    cold = (time.perf_counter() - start) * 1000
    print(f"first picture (font loaded, nothing remembered yet): {cold:.0f} ms")
    in_cells = sum(r.startswith("bed ") for r in report.truncated)
    print(
        f"{args.beds} beds ({len(data.active)} patients): {report.columns}x{report.rows} cells "
        f"at scale {report.scale}, {len(png) / 1024:.0f} KiB, "
        f"{len(report.truncated)} items shortened ({in_cells} in cells)"
    )

    def whole() -> object:
        return render_board_png(board_picture(data, t, private=False))

    for name, fn in (
        ("view + picture words", lambda: board_picture(data, t, private=False)),
        ("draw (Pillow)", lambda: draw_board(board_picture(data, t, private=False))),
        ("whole PNG (view, draw, encode)", whole),
    ):
        times = _times(fn, args.runs)
        median = statistics.median(times) * 1000
        worst = max(times) * 1000
        print(f"{name}: median {median:.0f} ms, worst {worst:.0f} ms over {args.runs} runs")
    median = statistics.median(_times(whole, args.runs)) * 1000
    verdict = "within" if median < TARGET_MS else "OVER"
    print(
        f"board PNG, {args.beds} beds: median {median:.0f} ms, {verdict} the {TARGET_MS} ms target"
    )


if __name__ == "__main__":
    main()
