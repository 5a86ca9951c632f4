#!/usr/bin/env python3
"""Profile one vmlint run over a generated repository and write a summary for deciding what to optimise.

    python benchmarks/profile.py REPO [--out benchmarks/results/profile-10000.txt] [--top 30]

Runs `python -m cProfile -o PROF -m lint check REPO --format json --output /dev/null --jobs 1 --no-cache` (the
last two where this vmlint has them: a profile does not follow worker processes) with this checkout on
PYTHONPATH, then writes pstats' top functions by cumulative and by own (tottime) time, their callers, and the
own time summed per module (lint's modules, ruamel.yaml, the rest), so the hot spots and the layers they sit
in are both visible.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent


def _module(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "(builtins)"
    path = Path(filename)
    parts = path.parts
    if "lint" in parts and str(PROJECT) in filename:
        return "lint/" + "/".join(parts[parts.index("lint") + 1:])
    for marker in ("ruamel", "typer", "click", "jsonschema", "rich", "re", "json", "dataclasses"):
        if marker in parts:
            return marker + ("/" + path.name if marker in ("ruamel",) else "")
    return path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--out", type=Path, help="summary file (default: standard output)")
    parser.add_argument("--prof", type=Path, help="where to keep the raw profile (default: beside --out, or a temp file)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    prof = args.prof or (args.out.with_suffix(".prof") if args.out else Path("/tmp/vmlint-profile.prof"))
    env = dict(os.environ, PYTHONPATH=str(PROJECT), COLUMNS="200")
    help_text = subprocess.run([sys.executable, "-m", "lint", "check", "--help"], env=env, capture_output=True, text=True,
                               check=False).stdout
    # One process (a profile does not follow worker processes) and no cache (every file linted).
    extra = (["--jobs", "1"] if "--jobs" in help_text else []) + (["--no-cache"] if "--no-cache" in help_text else [])
    command = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "lint", "check", str(args.repo),
               "--format", "json", "--output", os.devnull, *extra]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
        return done.returncode
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    buffer = io.StringIO()
    buffer.write(f"vmlint profile: {' '.join(command[1:])}\n")
    buffer.write(f"PYTHONPATH={PROJECT}; wall {wall:.1f} s under cProfile (which adds a large overhead to Python "
                 f"calls); {total:.1f} s of profiled time\n\n")
    own: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for (filename, _, _), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        own[_module(filename)] += tt
        calls[_module(filename)] += nc
    buffer.write("Own time per module (tottime summed), top 25:\n\n")
    for module, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:25]:
        buffer.write(f"  {seconds:8.2f} s  {seconds / total:6.1%}  {calls[module]:>12,} calls  {module}\n")
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own time (tottime)")):
        buffer.write(f"\n\nTop {args.top} by {title}:\n")
        sio = io.StringIO()
        pstats.Stats(str(prof), stream=sio).strip_dirs().sort_stats(key).print_stats(args.top)
        text = sio.getvalue()
        buffer.write(text[text.find("   ncalls"):] if "   ncalls" in text else text)
    buffer.write("\n\nCallers of the top 10 by own time:\n")
    sio = io.StringIO()
    pstats.Stats(str(prof), stream=sio).strip_dirs().sort_stats("tottime").print_callers(10)
    text = sio.getvalue()
    buffer.write(text[text.find("Function"):] if "Function" in text else text)
    summary = buffer.getvalue()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(summary, encoding="utf-8")
        print(f"wrote {args.out} (raw profile: {prof})", file=sys.stderr)
    else:
        sys.stdout.write(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
