"""Start-up on one small file, the pre-commit case (issue #19 item 5): vmlint no slower than yamllint.

Both start the same way: `python -m lint check FILE` and `python -m yamllint FILE` with one interpreter (no
launcher such as a pyenv shim in front), each a fresh process through benchmarks/measure.py, alternating, --runs
times; vmlint from a byte-compiled copy of lint/ and rules/, as pip installs it. `compare()` is that measurement;
benchmarks/run.py calls it too for its one-small-file target. Reports the medians of wall and CPU (user+sys) time
with PASS/FAIL on CPU (wall beside it), and the top 10 of vmlint's `python -X importtime` (median cumulative over --importtime-runs),
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
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (benchmarks/measure.py, beside this file)

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT / "examples" / "harvester-kb-corrected.yaml"


def compare(file: Path, python: str, source: Path, yamllint_site: str, runs: int, work: Path,
            timeout: float = 120.0) -> dict:
    """vmlint and yamllint on one small file, each a fresh process through benchmarks/measure.py, alternating,
    `runs` times: the one measurement of this case, for this script and for benchmarks/run.py.

    Both start the same way, `python -m` of one interpreter from `work` with the file's name only: vmlint from
    `source` (a byte-compiled copy of lint/ and rules/) with `--no-cache`, yamllint with its default rules from the
    interpreter's site-packages or from `yamllint_site` (put on its PYTHONPATH only). Returns the medians of wall
    and CPU (user+sys) time and peak RSS per tool, and a verdict on each: vmlint no slower than yamllint."""
    small = work / file.name
    if small.resolve() != file.resolve():
        shutil.copyfile(file, small)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tools = {
        "vmlint": ([python, "-m", "lint", "check", small.name, "--no-cache"], dict(base, PYTHONPATH=str(source))),
        "yamllint": ([python, "-m", "yamllint", small.name], dict(base, PYTHONPATH=yamllint_site) if yamllint_site else base),
    }
    samples: dict[str, list[dict]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, (command, env) in tools.items():
            samples[name].append(measure.measured(command, work, env, timeout, work / f"stderr-small-{name}.txt"))
    medians = {name: {"median": dict({key: statistics.median(r[key] for r in rs) for key in ("wall", "user", "sys", "max_rss_mib")},
                                     cpu=statistics.median(r["user"] + r["sys"] for r in rs)),
                      "exits": sorted({r["exit"] for r in rs})} for name, rs in samples.items()}
    v, y = medians["vmlint"]["median"], medians["yamllint"]["median"]
    return {
        "path": str(file),
        "bytes": file.stat().st_size,
        "runs": runs,
        "commands": {name: " ".join(Path(command[0]).name if i == 0 else part for i, part in enumerate(command[:3]))
                     for name, (command, _) in tools.items()},
        "tools": medians,
        "wall_ok": v["wall"] <= y["wall"],
        "cpu_ok": v["cpu"] <= y["cpu"],
    }


def snapshot(target: Path, python: str) -> Path:
    """lint/ and rules/ copied to `target` and byte-compiled, as pip installs them: no timed run pays for compiling."""
    for part in ("lint", "rules"):
        shutil.copytree(PROJECT / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([python, "-m", "compileall", "-q", str(target / "lint")], capture_output=True, check=True)
    return target


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


def yamllint_path(given: str | None, python: str, venv_bins: list[Path] = ()) -> str | None:  # type: ignore[assignment]
    """'' where the interpreter imports yamllint itself, a site-packages directory that has it, or None: `given`,
    else that of a virtual environment whose bin/ is in `venv_bins`, else one under /tmp/*/. Only a site-packages
    of `python`'s own version qualifies: yamllint must run on the same interpreter as vmlint."""
    if subprocess.run([python, "-c", "import yamllint"], capture_output=True, check=False).returncode == 0:
        return ""
    version = subprocess.run([python, "-c", "import sys; print(f'python{sys.version_info[0]}.{sys.version_info[1]}')"],
                             capture_output=True, text=True, check=False).stdout.strip()
    if given:
        candidates = [given]
    else:
        candidates = [site for directory in venv_bins for site in glob.glob(f"{Path(directory).parent}/lib/{version}/site-packages")]
        candidates += glob.glob(f"/tmp/*/lib/{version}/site-packages")
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
    site = yamllint_path(args.yamllint_path, args.python)
    if site is None:
        print("startup: yamllint is not importable: pass --yamllint-path", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="vmlint-startup-") as work:
        work_dir = Path(work)
        source = snapshot(work_dir / "src", args.python)
        result = compare(args.file, args.python, source, site, args.runs, work_dir)
        env = dict({k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, PYTHONPATH=str(source))
        top = importtime_top([args.python, "-m", "lint", "check", args.file.name, "--no-cache"], env, work_dir,
                             args.importtime_runs)
    medians = {name: (t["median"]["wall"] * 1000, t["median"]["cpu"] * 1000, t["exits"]) for name, t in result["tools"].items()}
    verdict = "PASS" if result["cpu_ok"] else "FAIL"
    today = datetime.date.today().isoformat()
    lines = [
        f"# Start-up on one small file, {today}", "",
        f"{verdict}: vmlint no slower than yamllint on the same file (CPU time, median of {args.runs} runs each; "
        f"wall time {'PASS' if result['wall_ok'] else 'FAIL'}).", "",
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
