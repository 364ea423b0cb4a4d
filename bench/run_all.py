"""Every benchmark, one after another, and one table of their headline figures.

    .venv/bin/python bench/run_all.py            # sizes as in bench/RESULTS.md (long)
    .venv/bin/python bench/run_all.py --quick    # small sizes, a few minutes

Each benchmark is run as its own process (as a user would run it); the table shows the
lines of its output that carry its figures, and the whole output is kept in a folder
(`--out`, default a temporary one) for reading. Compare with bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent

# (script, full-size arguments, quick arguments, the lines that carry the figures)
_BENCHES: tuple[tuple[str, list[str], list[str], str], ...] = (
    ("bench_reminders.py", [], ["--quick"], r"reminders sent in|first reminder|total:|429"),
    (
        "faults.py",
        [],
        ["--quick"],
        r"^\s+(kills|delivered once|tasks repeated|never delivered)\b",
    ),
    ("memory_idle.py", [], ["--quick"], r"wards: RSS"),
    ("bench_signs.py", [], ["--runs", "3"], r"PDF|sign|label"),
    ("board_png.py", [], ["--runs", "5"], r"median|first"),
    ("handover.py", [], ["--runs", "5"], r"ms"),
    ("census_import.py", ["--postgres"], ["--runs", "2"], r"validate|apply"),
    ("hl7_throughput.py", [], ["--messages", "200"], r"/s|p95"),
    ("quality_report.py", [], [], r" s\b|seconds"),
    ("screen_latency.py", [], ["--rounds", "5"], r"median|p90|max"),
    ("commands.py", [], ["--runs", "10"], r"echo bot|worst p95"),
    ("bench_flood.py", [], [], r"\d"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, help="folder for each benchmark's whole output")
    parser.add_argument("--only", nargs="*", help="run only these scripts")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="wardboard-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str]] = []
    for script, full, quick, figures in _BENCHES:
        if args.only and script not in args.only:
            continue
        command = [sys.executable, str(_HERE / script), *(quick if args.quick else full)]
        print(f"running {script} ...", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        (out / f"{script}.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
        lines = [
            line.strip()
            for line in done.stdout.splitlines()
            if re.search(figures, line) and line.strip()
        ]
        status = "ok" if done.returncode == 0 else f"FAILED ({done.returncode})"
        rows.append((script, f"{status}, {seconds:.0f} s", " / ".join(lines[:6]) or "-"))
    width = max(len(r[0]) for r in rows) if rows else 10
    print()
    print(f"{'benchmark':{width}}  {'run':14}  figures")
    for script, status, figures in rows:
        print(f"{script:{width}}  {status:14}  {figures}")
    print(f"\nwhole outputs in {out}")


if __name__ == "__main__":
    main()
