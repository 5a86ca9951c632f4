"""Start-up on one small file, the pre-commit case (issue #19 item 5): vmlint no slower than yamllint.

Both start the same way: `python -m lint check FILE` and `python -m yamllint FILE` with one interpreter (no
launcher such as a pyenv shim in front), each a fresh process, alternating, --runs times; vmlint from a
byte-compiled copy of lint/ and rules/, as pip installs it. Reports the medians of wall and CPU (user+sys) time
with PASS/FAIL on CPU, and the top 10 of vmlint's `python -X importtime` (median cumulative over --importtime-runs),
to benchmarks/results/startup-<date>.md.

    PYTHONPATH=$PWD python benchmarks/startup.py [FILE] [--yamllint-path SITE_PACKAGES]

yamllint is imported from the interpreter's own site-packages, else from --yamllint-path (a site-packages
directory, such as that of a venv made from the same python: `python -m venv /tmp/yl && /tmp/yl/bin/pip install
yamllint`), which is put on yamllint's PYTHONPATH only.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT / "examples" / "harvester-kb-corrected.yaml"


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), done.returncode


def importtime_top(command: list[str], env: dict[str, str], cwd: Path, runs: int, top: int = 10) -> list[tuple[str, float]]:
    """The `top` largest cumulative times of `-X importtime`, median over `runs` runs, in ms."""
    samples: dict[str, list[int]] = {}
    for _ in range(runs):
        done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            _, cumulative, name = line[len("import time:"):].split("|")
            samples.setdefault(name.rstrip(), []).append(int(cumulative))
    ranked = sorted(((statistics.median(v) / 1000, k) for k, v in samples.items()), reverse=True)[:top]
    return [(name, ms) for ms, name in ranked]


def _yamllint_path(given: str | None, python: str) -> str | None:
    """'' where the interpreter imports yamllint itself, a site-packages directory that has it, or None."""
    if subprocess.run([python, "-c", "import yamllint"], capture_output=True, check=False).returncode == 0:
        return ""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [given] if given else [*glob.glob(f"/tmp/*/lib/{version}/site-packages")]
    return next((c for c in candidates if c and (Path(c) / "yamllint").is_dir()), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE, help="the small VM file")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--importtime-runs", type=int, default=7)
    parser.add_argument("--python", default=os.path.realpath(sys.executable), help="the interpreter for both")
    parser.add_argument("--yamllint-path", help="a site-packages directory with yamllint in it")
    parser.add_argument("--output", type=Path, help="default: benchmarks/results/startup-<date>.md")
    args = parser.parse_args()
    site = _yamllint_path(args.yamllint_path, args.python)
    if site is None:
        print("startup: yamllint is not importable: pass --yamllint-path", file=sys.stderr)
        return 2
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="vmlint-startup-") as work:
        work_dir = Path(work)
        source = work_dir / "src"
        for part in ("lint", "rules"):
            shutil.copytree(PROJECT / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # byte-compiled as pip does on install: no timed run pays for compiling vmlint's sources
        subprocess.run([args.python, "-m", "compileall", "-q", str(source / "lint")], capture_output=True, check=True)
        small = work_dir / args.file.name
        shutil.copyfile(args.file, small)
        tools = {
            "vmlint": ([args.python, "-m", "lint", "check", small.name, "--no-cache"], dict(base, PYTHONPATH=str(source))),
            "yamllint": ([args.python, "-m", "yamllint", small.name], dict(base, PYTHONPATH=site) if site else base),
        }
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, (command, env) in tools.items():
                runs[name].append(timed(command, env, work_dir))
        top = importtime_top(tools["vmlint"][0], tools["vmlint"][1], work_dir, args.importtime_runs)
    medians = {name: (statistics.median(r[0] for r in rs) * 1000, statistics.median(r[1] for r in rs) * 1000,
                      sorted({r[2] for r in rs})) for name, rs in runs.items()}
    verdict = "PASS" if medians["vmlint"][1] <= medians["yamllint"][1] else "FAIL"
    today = datetime.date.today().isoformat()
    lines = [
        f"# Start-up on one small file, {today}", "",
        f"{verdict}: vmlint no slower than yamllint on the same file (CPU time, median of {args.runs} runs each).", "",
        f"File: {args.file.name}, {args.file.stat().st_size:,} bytes. Python {sys.version.split()[0]} "
        f"({args.python}), both as `python -m`, vmlint byte-compiled, {os.cpu_count()} CPUs shared.", "",
        "| tool | wall (ms) | CPU user+sys (ms) | exit codes |", "|---|---:|---:|---|",
        *(f"| {name} | {wall:.0f} | {cpu:.0f} | {', '.join(map(str, codes))} |"
          for name, (wall, cpu, codes) in medians.items()),
        "", f"`python -X importtime -m lint check FILE --no-cache`, top 10 cumulative (median of "
        f"{args.importtime_runs}; -X importtime inflates times):", "",
        "| module | cumulative (ms) |", "|---|---:|", *(f"| {name.strip()} | {ms:.1f} |" for name, ms in top), "",
    ]
    output = args.output or PROJECT / "benchmarks" / "results" / f"startup-{today}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
