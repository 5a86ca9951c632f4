"""Worst wall time and peak memory per class of hostile input (tests/hostile_inputs.py), each in its own process.

    python benchmarks/hostile.py            # writes benchmarks/results/hostile.md

A class that takes more than 120 s is a hang and is reported as such; a traceback is any output on standard
error that is not vmlint's one-line error.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_inputs import hostile_inputs  # noqa: E402

_CHILD = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: sys.stderr.write(f'@@peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
    "sys.argv = ['vmlint', 'check', '-q', '--jobs', '1', sys.argv[1]]\n"
    "runpy.run_module('lint', run_name='__main__')\n"
)


def measure(name: str, data: bytes, directory: Path) -> tuple[float, int, int, str]:
    """Wall time, the child's own peak resident memory (KiB), its exit code, and whether it failed badly."""
    path = directory / "hostile.yaml"
    path.write_bytes(data)
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        return 120.0, 0, -1, "HANG"
    seconds = time.monotonic() - start
    lines = done.stderr.splitlines()
    peak = int(next((line.split()[1] for line in lines if line.startswith("@@peak ")), "0"))
    rest = "\n".join(line for line in lines if not line.startswith("@@peak "))
    verdict = "traceback" if "Traceback" in rest else ("ok" if not rest or rest.startswith("vmlint:") else "stderr")
    return seconds, peak, done.returncode, verdict


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in hostile_inputs(large=True).items():
            data = make()
            seconds, peak_kib, code, verdict = measure(name, data, Path(tmp))
            rows.append((name, len(data), seconds, peak_kib, code, verdict))
            print(f"{name:45s} {len(data):>10,d} B {seconds:7.2f} s {peak_kib / 1024:7.1f} MiB exit {code} {verdict}")
    out = ROOT / "benchmarks" / "results" / "hostile.md"
    lines = [
        "# Hostile input: time and peak memory per class",
        "",
        f"{len(rows)} classes, each linted by `vmlint check -q --jobs 1` in its own process on {platform.node() or 'this machine'}"
        f" ({os.cpu_count()} cores, Python {platform.python_version()}); the machine was shared with other work.",
        f"Tracebacks: {sum(r[5] == 'traceback' for r in rows)}. Hangs (over 120 s): {sum(r[5] == 'HANG' for r in rows)}.",
        "Peak memory is the linting process's own maximum resident set.",
        "",
        "| class | bytes | seconds | peak MiB | exit | outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [f"| {n} | {b:,} | {s:.2f} | {p / 1024:.1f} | {c} | {v} |" for n, b, s, p, c, v in rows]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
