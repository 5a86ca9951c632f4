#!/usr/bin/env python3
"""Benchmark vmlint against other tools on a generated GitOps repository, and check the issue's targets.

    python benchmarks/run.py --files 4000,10000 [--runs 5] [--profile vm-dense] [--tools vmlint,cparse,grep,yamllint,...]

For each size a repository of --profile (default vm-dense: a quarter of all files hold a VM, as issue #19's
targets ask; `platform` is the earlier repository) is generated with benchmarks/generate.py (or reused, if the
one in --work-dir was made by the same generator version with the same size, seed and profile), read once so the page cache is warm, then
every tool lints it, round-robin, `--runs` times (fewer for a tool whose runs exceed --budget seconds). Each
run is a fresh process (cold: vmlint has no cache); its wall time, CPU time (user+sys of the process and all
that it waited for, from os.wait4) and peak memory (the largest max RSS among them) are recorded, and the
medians reported. Tools:

  vmlint               `python -m lint check REPO --format json --output /dev/null --no-cache` from this checkout
  vmlint-j1            the same with `--jobs 1`
  vmlint-j1-before     the same command with the vmlint of --baseline-rev (default 437e56c, issue #19's "today")
  vmlint-warm          the same with its cache on, filled by one untimed run
  cparse               benchmarks/cparse.py: libyaml composing every document of the files that contain a VM
  grep                 `grep -rl kubevirt.io REPO`: the floor
  yamllint             `yamllint -f parsable REPO` (default rules; non-UTF-8 files ignored, it crashes on them)
  kubernetes-validate  its validate_file() per file in one process (benchmarks/kv_harness.py), see there
  checkov              `checkov -d REPO --framework kubernetes --quiet --compact -o json --skip-download`

A tool that is not installed is skipped with a note. yamllint, kubernetes-validate and checkov are looked up
on PATH, then in --tools-bin (e.g. the bin/ of a virtual environment holding them, so that vmlint's own
environment never depends on them). The one-small-file comparison with yamllint is benchmarks/startup.py's
(startup.compare), --small-runs times. Results: benchmarks/results/<files>-files-<profile>-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py, beside this file)
import measure as measure_py  # noqa: E402
import startup  # noqa: E402

ALL_TOOLS = ("vmlint", "vmlint-j1", "vmlint-j1-before", "vmlint-warm", "cparse", "grep", "yamllint", "kubernetes-validate", "checkov")
DEFAULT_RESULTS = HERE / "results"
DEFAULT_WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "vmlint-bench"

# The targets.
SPEED_TARGETS = {"yamllint": 25.0, "kubernetes-validate": 75.0, "checkov": 150.0}
CPARSE_TARGET = 3.0  # vmlint within 3x of the bare C-parser pass over the files that contain a VM
SCALE_TIME_TARGET = 5.5  # 50,000 files in at most 5.5x the time of 10,000
SCALE_MEMORY_TARGET = 0.20  # and peak memory grows less than 20%
WARM_TARGET = 10.0  # a warm cache, nothing changed: at least 10x faster than the cold run
PER_VM_TARGET = 0.5  # --jobs 1 CPU per VM document at most half of "today's" (the --baseline-rev)
TARGET_SIZE, SCALE_SIZE = 10_000, 50_000
DEFAULT_PROFILE = "vm-dense"  # the cold targets are set on a VM-dense repository
DEFAULT_BASELINE_REV = "437e56c"  # "today" for issue #19: the vmlint its CPU-per-VM target halves


# --------------------------------------------------------------------------------------------------------------
# Measuring one process.


@dataclass
class Run:
    wall: float
    user: float
    sys: float
    max_rss_mib: float
    exit: int
    timed_out: bool = False
    crashed: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def measure(command: list[str], cwd: Path, env: dict[str, str], timeout: float, stderr_path: Path) -> Run:
    """Run one command to completion, through benchmarks/measure.py (see there for why not from here)."""
    data = measure_py.measured(command, cwd, env, timeout, stderr_path)
    return Run(data["wall"], data["user"], data["sys"], data["max_rss_mib"], data["exit"], data["timed_out"])


_FLOOR: list[float] = []


def rss_floor(work: Path) -> float:
    """The peak RSS that /bin/true reports through measure.py: no reading can be lower."""
    if not _FLOOR:
        true = shutil.which("true") or "/bin/true"
        _FLOOR.append(min(measure([true], work, dict(os.environ), 60, work / "stderr-true.txt").max_rss_mib for _ in range(3)))
    return _FLOOR[0]


# --------------------------------------------------------------------------------------------------------------
# Tools.


@dataclass
class Tool:
    name: str
    what: str
    command: list[str]
    ok_exits: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""
    version: str = ""
    crash_marker: str = ""  # text in standard error that means the run died (its exit code may still look fine)
    prepare: list[str] = field(default_factory=list)  # run once, untimed, before the timed runs (fills a cache)


def _find(executable: str, tools_bin: list[Path]) -> str | None:
    found = shutil.which(executable)
    if found:
        return found
    for directory in tools_bin:
        candidate = directory / executable
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _shebang_python(script: str) -> str | None:
    """The interpreter of a console script (where its package is importable)."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline().decode("utf-8", "replace").strip()
    except OSError:
        return None
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and os.path.basename(parts[0]) == "env" and len(parts) > 1:
            return shutil.which(parts[1])
        return parts[0] if parts else None
    return None


def build_tools(names: list[str], repo: Path, work: Path, manifest: dict, tools_bin: list[Path]) -> tuple[list[Tool], dict[str, str]]:
    """The tools to run, and a note for each one that cannot be."""
    tools: list[Tool] = []
    skipped: dict[str, str] = {}
    py = PYTHON[0]
    tag = f"{manifest.get('profile', 'platform')}-{manifest['files']}-s{manifest['seed']}"
    vm_list = work / f"vm-files-{tag}.txt"
    vm_list.write_text("".join(f"{repo / rel}\n" for rel in manifest["vm_files"]), encoding="utf-8")
    yaml_list = work / f"yaml-files-{tag}.txt"
    yaml_files = sorted(str(p) for p in repo.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    yaml_list.write_text("".join(f"{p}\n" for p in yaml_files), encoding="utf-8")
    for name in names:
        if name == "vmlint":
            env = {"PYTHONPATH": str(SOURCE[0])}
            extra = VMLINT_COLD[0]
            tools.append(Tool(name, "this checkout, `python -m lint check REPO --format json --output /dev/null"
                              + "".join(f" {x}" for x in extra) + "`" + (" (its default --jobs: every core)" if VMLINT_HAS_JOBS[0] else ""),
                              vmlint_command(repo, os.devnull), (0, 1), env, version=_vmlint_version()))
        elif name == "vmlint-j1":
            if not VMLINT_HAS_JOBS[0]:
                skipped[name] = "this vmlint has no --jobs option (it always runs on one process)"
                continue
            tools.append(Tool(name, "the same with `--jobs 1`: one process", vmlint_command(repo, os.devnull) + ["--jobs", "1"],
                              (0, 1), {"PYTHONPATH": str(SOURCE[0])}, version=_vmlint_version()))
        elif name == "vmlint-j1-before":
            if not BASELINE["source"]:
                skipped[name] = BASELINE["why"] or "no --baseline-rev"
                continue
            flags = [*BASELINE["cold"], *(["--jobs", "1"] if BASELINE["jobs"] else [])]
            tools.append(Tool(name, f"vmlint at {BASELINE['rev']} (--baseline-rev), `--jobs 1`: \"today\" for the CPU-per-VM target",
                              [PYTHON[0], "-m", "lint", "check", str(repo), "--format", "json", "--output", os.devnull, *flags],
                              (0, 1), {"PYTHONPATH": str(BASELINE["source"])}, version=BASELINE["version"]))
        elif name == "vmlint-warm":
            if not VMLINT_COLD[0]:
                skipped[name] = "this vmlint has no cache"
                continue
            cache = work / f"cache-{tag}"
            shutil.rmtree(cache, ignore_errors=True)  # filled by the untimed first run of this very vmlint
            command = [*vmlint_command(repo, os.devnull)[: -len(VMLINT_COLD[0])], "--cache-dir", str(cache)]
            tools.append(Tool(name, "the same with its cache on (`--cache-dir`), filled by one untimed run: nothing changed",
                              command, (0, 1), {"PYTHONPATH": str(SOURCE[0])}, version=_vmlint_version(), prepare=command))
        elif name == "cparse":
            probe = subprocess.run([py, "-c", "from ruamel.yaml.cyaml import CParser; import ruamel.yaml; print(ruamel.yaml.__version__)"],
                                   capture_output=True, text=True, check=False)
            if probe.returncode != 0:
                skipped[name] = "ruamel.yaml's C parser is not installed (pip install 'ruamel.yaml[libyaml]')"
                continue
            tools.append(Tool(name, f"libyaml (ruamel.yaml CParser) composing every document of the {len(manifest['vm_files'])} files with a VM",
                              [py, str(HERE / "cparse.py"), str(vm_list)], (0,), version=f"ruamel.yaml {probe.stdout.strip()}"))
        elif name == "grep":
            exe = shutil.which("grep")
            if not exe:
                skipped[name] = "grep not found"
                continue
            tools.append(Tool(name, "`grep -rl kubevirt.io REPO` (the floor)", [exe, "-rl", "kubevirt.io", str(repo)], (0, 1),
                              version=_first_line([exe, "--version"])))
        elif name == "yamllint":
            exe = _find("yamllint", tools_bin)
            if not exe:
                skipped[name] = "not installed (pip install yamllint)"
                continue
            # by file name: yamllint matches ignore patterns with a slash against paths it does not see here
            ignored = sorted(Path(p).name for p in manifest.get("malformed_files", []) if Path(p).name.startswith("latin1-"))
            config = work / "yamllint-config.yaml"
            config.write_text("extends: default\n" + ("ignore: |\n" + "".join(f"  {p}\n" for p in ignored) if ignored else ""),
                              encoding="utf-8")
            note = (f"default rules; the {len(ignored)} non-UTF-8 file(s) ignored by its config: yamllint stops with "
                    "UnicodeDecodeError on them" if ignored else "default rules")
            tools.append(Tool(name, "`yamllint -f parsable REPO`", [exe, "-c", str(config), "-f", "parsable", str(repo)],
                              (0, 1), note=note, version=_first_line([exe, "--version"]),
                              crash_marker="Traceback (most recent call last)"))
        elif name == "kubernetes-validate":
            exe = _find("kubernetes-validate", tools_bin)
            interpreter = _shebang_python(exe) if exe else None
            if not exe or not interpreter:
                skipped[name] = "not installed (pip install kubernetes-validate)"
                continue
            tools.append(Tool(name, "its validate_file() on every YAML file, one process (benchmarks/kv_harness.py)",
                              [interpreter, str(HERE / "kv_harness.py"), str(yaml_list)], (0, 1),
                              note="the CLI exits at the first file that is not YAML, so it is driven file by file in one process",
                              version=_first_line([exe, "--version"])))
        elif name == "checkov":
            exe = _find("checkov", tools_bin)
            if not exe:
                skipped[name] = "not installed (pip install checkov)"
                continue
            tools.append(Tool(name, "`checkov -d REPO --framework kubernetes --quiet --compact -o json --skip-download`",
                              [exe, "-d", str(repo), "--framework", "kubernetes", "--quiet", "--compact", "-o", "json",
                               "--skip-download"], (0, 1), version=_first_line([exe, "--version"])))
        else:
            raise SystemExit(f"unknown tool {name!r}: choose from {', '.join(ALL_TOOLS)}")
    return tools, skipped


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return "?"
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def _vmlint_version() -> str:
    version = "?"
    init = PROJECT / "lint" / "__init__.py"
    for line in init.read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            version = line.split("=", 1)[1].strip().strip("\"'")
    commit = _first_line(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(PROJECT), "diff", "--quiet", "HEAD", "--", "lint", "rules"],
                           capture_output=True, check=False).returncode
    snapshot = f"; run from a snapshot of lint/ and rules/, sha256 {SOURCE[1][:12]}" if SOURCE[1] else ""
    return f"vmlint {version} (commit {commit}{', lint/ or rules/ modified' if dirty else ''}{snapshot})"


VMLINT_COLD: list = [[]]  # --no-cache where this vmlint has a cache: every timed run is cold
VMLINT_HAS_JOBS: list = [False]


def probe_vmlint() -> None:
    help_text = subprocess.run([PYTHON[0], "-m", "lint", "check", "--help"], env=dict(os.environ, PYTHONPATH=str(SOURCE[0]),
                               COLUMNS="200"), capture_output=True, text=True, check=False).stdout
    VMLINT_COLD[0] = ["--no-cache"] if "--no-cache" in help_text else []
    VMLINT_HAS_JOBS[0] = "--jobs" in help_text


def vmlint_command(target: Path, output: str) -> list[str]:
    return [PYTHON[0], "-m", "lint", "check", str(target), "--format", "json", "--output", output, *VMLINT_COLD[0]]


PYTHON: list = [sys.executable]  # the interpreter for vmlint and the C-parser pass (--python)
SOURCE: list = [PROJECT, ""]  # where vmlint is imported from, and the digest of that snapshot


def snapshot_source(work: Path) -> None:
    """Copy lint/ and rules/ aside, so that every run of this invocation lints with the same code even while
    the working tree is being edited."""
    digest = hashlib.sha256()
    target = work / f"vmlint-src-{os.getpid()}"
    if target.exists():
        shutil.rmtree(target)
    for part in ("lint", "rules"):
        shutil.copytree(PROJECT / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(target)).encode() + b"\0" + path.read_bytes())
    # Byte-compile it, as pip does on install: no timed run should pay for compiling vmlint's sources.
    subprocess.run([PYTHON[0], "-m", "compileall", "-q", str(target / "lint")], capture_output=True, check=False)
    SOURCE[:] = [target, digest.hexdigest()]


BASELINE: dict = {"rev": "", "source": None, "version": "", "why": "", "cold": [], "jobs": False}


def snapshot_baseline(work: Path, rev: str) -> None:
    """lint/ and rules/ as they were at `rev`, extracted with git archive beside the current snapshot and
    byte-compiled the same way: the vmlint `vmlint-j1-before` runs. Where git or the revision is missing, the
    tool is skipped with the reason."""
    BASELINE.update(rev=rev, source=None, why="")
    git = shutil.which("git")
    if not git:
        BASELINE["why"] = "git is not installed: no --baseline-rev to run"
        return
    full = subprocess.run([git, "-C", str(PROJECT), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                          capture_output=True, text=True, check=False)
    if full.returncode != 0:
        BASELINE["why"] = f"--baseline-rev {rev} is not a commit of this repository"
        return
    commit = full.stdout.strip()
    target = work / f"vmlint-before-{commit[:12]}-{os.getpid()}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run([git, "-C", str(PROJECT), "archive", "--format=tar", commit, "lint", "rules"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        BASELINE["why"] = f"git archive {rev} failed: {archive.stderr.decode(errors='replace').strip()[-200:]}"
        return
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    digest = hashlib.sha256()
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(target)).encode() + b"\0" + path.read_bytes())
    subprocess.run([PYTHON[0], "-m", "compileall", "-q", str(target / "lint")], capture_output=True, check=False)
    help_text = subprocess.run([PYTHON[0], "-m", "lint", "check", "--help"], env=dict(os.environ, PYTHONPATH=str(target),
                               COLUMNS="200"), capture_output=True, text=True, check=False).stdout
    BASELINE.update(source=target, cold=["--no-cache"] if "--no-cache" in help_text else [], jobs="--jobs" in help_text,
                    version=f"vmlint at commit {commit[:9]}, snapshot sha256 {digest.hexdigest()[:12]}")


# --------------------------------------------------------------------------------------------------------------
# The machine.


def machine() -> dict:
    info: dict = {"python": platform.python_version(), "implementation": platform.python_implementation(),
                  "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        info["cores_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        info["cpu"] = platform.processor() or "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


# --------------------------------------------------------------------------------------------------------------
# One size.


def ensure_repository(work: Path, files: int, seed: int, repo: Path | None,
                      profile: str = DEFAULT_PROFILE) -> tuple[Path, dict, bool]:
    repo = repo or work / f"repo-{profile}-{files}-s{seed}"
    manifest_path = repo / generate.MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (manifest.get("generator_version"), manifest.get("files"), manifest.get("seed"),
                manifest.get("profile", "platform")) == (generate.GENERATOR_VERSION, files, seed, profile):
            return repo, manifest, False
    print(f"generating {files} files ({profile}, seed {seed}) into {repo} ...", file=sys.stderr, flush=True)
    manifest = generate.generate(repo, files, seed, profile=profile)
    return repo, manifest, True


def warm(repo: Path) -> None:
    """Read every file once, so each tool starts with the same (warm) page cache."""
    for path in repo.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass


def summarise(runs: list[Run]) -> dict:
    ok = [r for r in runs if not r.timed_out and not r.crashed]
    if not ok:
        return {}
    walls = [r.wall for r in ok]
    return {
        "wall": statistics.median(walls),
        "wall_min": min(walls),
        "wall_max": max(walls),
        "cpu": statistics.median(r.cpu for r in ok),
        "user": statistics.median(r.user for r in ok),
        "sys": statistics.median(r.sys for r in ok),
        "max_rss_mib": statistics.median(r.max_rss_mib for r in ok),
    }


def bench_size(args: argparse.Namespace, files: int) -> dict:
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    repo, manifest, generated = ensure_repository(work, files, args.seed, args.repo, args.profile)
    tools, skipped = build_tools(args.tools, repo, work, manifest, args.tools_bin)
    warm(repo)
    env_base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    for tool in tools:
        if tool.prepare:
            subprocess.run(tool.prepare, cwd=work, env=dict(env_base, **tool.env), capture_output=True, check=False)
    results: dict[str, dict] = {}
    runs: dict[str, list[Run]] = {t.name: [] for t in tools}
    spent: dict[str, float] = {t.name: 0.0 for t in tools}
    stopped: dict[str, str] = {}
    load_start = load_average()
    started = time.time()
    for round_ in range(args.runs):
        for tool in tools:
            if tool.name in stopped:
                continue
            done = runs[tool.name]
            if done and spent[tool.name] + statistics.median(r.wall for r in done) > args.budget:
                stopped[tool.name] = f"{len(done)} run(s): one more would pass the --budget of {args.budget:.0f} s"
                continue
            env = dict(env_base, **tool.env)
            err_path = work / f"stderr-{tool.name}-{files}.txt"
            run = measure(tool.command, work, env, args.timeout, err_path)
            spent[tool.name] += run.wall
            done.append(run)
            print(f"[{files} files] {tool.name:<20} run {len(done)}: wall {run.wall:8.2f} s  cpu {run.cpu:8.2f} s  "
                  f"rss {run.max_rss_mib:8.1f} MiB  exit {run.exit}", file=sys.stderr, flush=True)
            crashed = bool(tool.crash_marker) and tool.crash_marker in err_path.read_text(encoding="utf-8", errors="replace")
            run.crashed = crashed  # a traceback, whatever the exit code: not a complete run
            if run.timed_out:
                stopped[tool.name] = f"killed after the --timeout of {args.timeout:.0f} s"
            elif crashed or run.exit not in tool.ok_exits:
                tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
                stopped[tool.name] = f"{'crashed' if crashed else 'failed'} (exit {run.exit}): " + " / ".join(tail)
    load_end = load_average()
    for tool in tools:
        done = runs[tool.name]
        results[tool.name] = {
            "what": tool.what,
            "command": tool.command,
            "version": tool.version,
            "note": tool.note,
            "runs": [dict(asdict(r), cpu=r.cpu) for r in done],
            "median": summarise(done),
            "status": ("timeout" if any(r.timed_out for r in done) else "crashed" if any(r.crashed for r in done)
                       else "failed" if any(r.exit not in tool.ok_exits for r in done) else "ok"),
            "stopped": stopped.get(tool.name, ""),
        }
    vm = results.get("vmlint", {}).get("median") or {}
    for name, result in results.items():
        med = result["median"]
        if vm and med and result["status"] == "ok":
            result["vs_vmlint"] = {"wall": med["wall"] / vm["wall"], "cpu": med["cpu"] / vm["cpu"] if vm["cpu"] else None,
                                   "max_rss": med["max_rss_mib"] / vm["max_rss_mib"] if vm["max_rss_mib"] else None}
    findings = vmlint_findings(repo, work, files) if "vmlint" in results and not args.no_findings else None
    small = small_file(args, repo, manifest, tools) if manifest.get("small_vm_file") else None
    summary_keys = ("generator_version", "profile", "files", "seed", "bytes", "directories", "plan", "non_chart_files",
                    "files_with_vm", "vm_file_share", "vm_file_share_of_non_chart", "vm_documents", "kinds", "hook_variants", "cloud_init",
                    "small_vm_file", "huge_files", "malformed_files")
    return {
        "files": files,
        "profile": manifest.get("profile", "platform"),
        "seed": args.seed,
        "date": dt.date.today().isoformat(),
        "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_seconds": round(time.time() - started, 1),
        "runs_requested": args.runs,
        "budget_seconds": args.budget,
        "repository": dict({k: manifest.get(k) for k in summary_keys}, path=str(repo), generated_now=generated),
        "machine": dict(machine(), rss_floor_mib=round(rss_floor(work), 1), vmlint_python=PYTHON[0]),
        "load_average": {"start": load_start, "end": load_end},
        "tools": results,
        "skipped": skipped,
        "small_file": small,
        "vmlint_findings": findings,
    }


def carry_over(result: dict, old: dict, source: str) -> None:
    """Copy the tools this invocation did not run from an earlier result on the same repository."""
    if (old.get("files"), old.get("seed"), old.get("repository", {}).get("generator_version"), old.get("profile", "platform")) != (
            result["files"], result["seed"], result["repository"]["generator_version"], result["profile"]):
        raise SystemExit(f"--reuse {source}: not the same repository (size, seed, profile or generator version differ)")
    vm = result["tools"].get("vmlint", {}).get("median")
    for name, tool in old.get("tools", {}).items():
        if name in result["tools"] or name in ("vmlint", "vmlint-j1", "vmlint-j1-before", "vmlint-warm"):
            continue
        tool = dict(tool)
        tool["note"] = "; ".join(x for x in (tool.get("note", ""), f"carried over from {source} (measured from {old.get('started')})") if x)
        med = tool.get("median")
        if vm and med and tool.get("status") == "ok":
            tool["vs_vmlint"] = {"wall": med["wall"] / vm["wall"], "cpu": med["cpu"] / vm["cpu"] if vm["cpu"] else None,
                                 "max_rss": med["max_rss_mib"] / vm["max_rss_mib"] if vm["max_rss_mib"] else None}
        result["tools"][name] = tool
        result["skipped"].pop(name, None)
    result["carried_over_from"] = source


def vmlint_findings(repo: Path, work: Path, files: int) -> dict | None:
    """One more, untimed vmlint run that keeps its JSON report: what the timed runs found."""
    out = work / f"vmlint-report-{files}-{os.getpid()}.json"
    proc = subprocess.run(vmlint_command(repo, str(out)),
                          cwd=work, env=dict(os.environ, PYTHONPATH=str(SOURCE[0])), capture_output=True, check=False)
    try:
        report = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"exit": proc.returncode, "error": proc.stderr.decode("utf-8", "replace")[-500:]}
    by_code: dict[str, int] = {}
    for finding in report.get("findings", ()):
        by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
    return {"exit": proc.returncode, "summary": report.get("summary"), "by_code": dict(sorted(by_code.items()))}


def small_file(args: argparse.Namespace, repo: Path, manifest: dict, tools: list[Tool]) -> dict | None:
    """vmlint and yamllint on one small VM file of the repository, --small-runs times each: benchmarks/startup.py's
    measurement (startup.compare), with this run's vmlint snapshot, both `python -m` of vmlint's interpreter.

    yamllint is imported by that interpreter, from its own site-packages or from the site-packages of a virtual
    environment of the same Python version whose bin/ is in --tools-bin (or under /tmp): the same start-up
    for both, and no launcher in front of either (a pyenv shim is a bash script that adds about 100 ms)."""
    if "vmlint" not in {t.name for t in tools} or args.small_runs < 1:
        return None
    site = startup.yamllint_path(None, PYTHON[0], args.tools_bin)
    if site is None:
        return None
    work = args.work_dir / f"small-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        found = startup.compare(repo / manifest["small_vm_file"], PYTHON[0], SOURCE[0], site, args.small_runs, work,
                                args.timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    found["path"] = manifest["small_vm_file"]
    found["yamllint_site"] = site or "(the interpreter's own)"
    return found


# --------------------------------------------------------------------------------------------------------------
# Targets.


def evaluate_targets(result: dict, other: dict | None, other_source: str) -> list[dict]:
    files = result["files"]
    tools = result["tools"]
    vm = tools.get("vmlint", {}).get("median")
    targets: list[dict] = []
    at = f"{files:,} files"
    official = files == TARGET_SIZE
    suffix = "" if official else f" (the issue sets this at {TARGET_SIZE:,} files; indicative here)"

    def add(status: str, text: str) -> None:
        targets.append({"status": status, "target": text + suffix})

    if not vm:
        return [{"status": "SKIP", "target": "vmlint did not run"}]
    for name, factor in SPEED_TARGETS.items():
        label = f"{at}, cold: vmlint at least {factor:g}x faster than {name}"
        tool = tools.get(name)
        if name in result["skipped"]:
            add("SKIP", f"{label}: {name} {result['skipped'][name]}")
        elif tool and not tool.get("median") and any(r["timed_out"] for r in tool["runs"]):
            killed = max(r["wall"] for r in tool["runs"] if r["timed_out"])
            bound = killed / vm["wall"]
            add("PASS" if bound >= factor else "SKIP",
                f"{label}: {name} was killed after {killed:.0f} s, so vmlint ({vm['wall']:.2f} s) is at least {bound:.0f}x faster"
                + ("" if bound >= factor else "; not enough to decide"))
        elif not tool or not tool.get("median"):
            reason = tool["stopped"] if tool else "not selected (--tools)"
            add("SKIP", f"{label}: {name} {'did not finish: ' + reason if tool else reason}")
        else:
            med = tool["median"]
            ratio = med["wall"] / vm["wall"]
            cpu = med["cpu"] / vm["cpu"] if vm["cpu"] else float("nan")
            status = "PASS" if ratio >= factor else "FAIL"
            if tool["status"] != "ok":
                status = "FAIL" if ratio < factor else "PASS"
            add(status, f"{label}: measured {ratio:.1f}x wall ({cpu:.1f}x CPU); vmlint {vm['wall']:.2f} s, {name} {med['wall']:.2f} s"
                + (f" ({len(tool['runs'])} run(s))" if len(tool["runs"]) < result["runs_requested"] else ""))
    cp = tools.get("cparse", {}).get("median")
    label = f"{at}, cold: vmlint within {CPARSE_TARGET:g}x of the bare C-parser pass over the files with a VM"
    if cp:
        ratio = vm["wall"] / cp["wall"]
        cpu = vm["cpu"] / cp["cpu"] if cp["cpu"] else float("nan")
        add("PASS" if ratio <= CPARSE_TARGET else "FAIL",
            f"{label}: measured {ratio:.1f}x wall ({cpu:.1f}x CPU); vmlint {vm['wall']:.2f} s, C parser {cp['wall']:.2f} s")
    else:
        add("SKIP", f"{label}: the C-parser pass did not run")
    label = (f"{at}: `--jobs 1` CPU per VM document at most {PER_VM_TARGET:g}x that of "
             f"{result.get('baseline_rev') or 'the --baseline-rev'}, on the same repository")
    now, before = tools.get("vmlint-j1", {}).get("median"), tools.get("vmlint-j1-before", {}).get("median")
    vm_docs = (result.get("repository") or {}).get("vm_documents") or ((result.get("repository") or {}).get("kinds") or {}).get("VirtualMachine")
    if now and before and vm_docs:
        per_now, per_before = now["cpu"] / vm_docs, before["cpu"] / vm_docs
        ratio = per_now / per_before if per_before else float("nan")
        add("PASS" if per_now <= PER_VM_TARGET * per_before else "FAIL",
            f"{label}: now {per_now * 1000:.2f} ms, before {per_before * 1000:.2f} ms CPU per VM document ({ratio:.2f}x; "
            f"{now['cpu']:.2f} s vs {before['cpu']:.2f} s CPU for {vm_docs:,} VirtualMachines; wall {now['wall']:.2f} s vs "
            f"{before['wall']:.2f} s)")
    else:
        missing = [n for n, m in (("vmlint-j1", now), ("vmlint-j1-before", before)) if not m]
        why = result.get("skipped", {}).get("vmlint-j1-before") if "vmlint-j1-before" in missing else ""
        add("SKIP", f"{label}: {' and '.join(missing) or 'the VM document count'} did not run" + (f" ({why})" if why else ""))
    warm_run = tools.get("vmlint-warm", {}).get("median")
    label = f"{at}: a warm cache, nothing changed, at least {WARM_TARGET:g}x faster than the cold run"
    if warm_run:
        ratio = vm["wall"] / warm_run["wall"]
        add("PASS" if ratio >= WARM_TARGET else "FAIL",
            f"{label}: measured {ratio:.1f}x wall; cold {vm['wall']:.2f} s, warm {warm_run['wall']:.2f} s")
    else:
        add("SKIP", f"{label}: vmlint-warm did not run")
    # Scaling: 50,000 against 10,000.
    if files in (TARGET_SIZE, SCALE_SIZE):
        pair = (other, result) if files == SCALE_SIZE else (result, other)
        small, large = pair
        label = (f"{SCALE_SIZE:,} files take at most {SCALE_TIME_TARGET:g}x the time of {TARGET_SIZE:,} and peak memory "
                 f"grows less than {SCALE_MEMORY_TARGET:.0%}")
        for name in ("vmlint", "vmlint-j1"):
            s = (small or {}).get("tools", {}).get(name, {}).get("median")
            lg = (large or {}).get("tools", {}).get(name, {}).get("median")
            which = "" if name == "vmlint" else " (vmlint --jobs 1, one process)"
            if s and lg:
                t_ratio = lg["wall"] / s["wall"]
                cpu_ratio = lg["cpu"] / s["cpu"] if s["cpu"] else float("nan")
                growth = lg["max_rss_mib"] / s["max_rss_mib"] - 1
                ok = t_ratio <= SCALE_TIME_TARGET and growth < SCALE_MEMORY_TARGET
                targets.append({"status": "PASS" if ok else "FAIL", "target":
                                f"{label}{which}: time {t_ratio:.2f}x wall ({cpu_ratio:.2f}x CPU; {s['wall']:.1f} s -> {lg['wall']:.1f} s) "
                                f"[{'PASS' if t_ratio <= SCALE_TIME_TARGET else 'FAIL'}], peak memory {growth:+.0%} "
                                f"({s['max_rss_mib']:.0f} -> {lg['max_rss_mib']:.0f} MiB) [{'PASS' if growth < SCALE_MEMORY_TARGET else 'FAIL'}]"
                                + (f"; the other size from {Path(other_source).name}" if other_source else "")})
            elif name == "vmlint":
                targets.append({"status": "SKIP", "target": f"{label}: needs vmlint results at both sizes"})
    small = result.get("small_file")
    label = "one small file: vmlint no slower than yamllint on the same file"
    if small:
        v, y = small["tools"]["vmlint"]["median"], small["tools"]["yamllint"]["median"]
        wall_ok, cpu_ok = v["wall"] <= y["wall"], v["cpu"] <= y["cpu"]
        targets.append({"status": "PASS" if wall_ok and cpu_ok else "FAIL", "target":
                        f"{label}: wall vmlint {v['wall'] * 1000:.0f} ms, yamllint {y['wall'] * 1000:.0f} ms "
                        f"[{'PASS' if wall_ok else 'FAIL'}]; CPU vmlint {v['cpu'] * 1000:.0f} ms, yamllint {y['cpu'] * 1000:.0f} ms "
                        f"[{'PASS' if cpu_ok else 'FAIL'}] ({small['bytes']:,}-byte VM file, medians of {small['runs']} runs each, "
                        "same interpreter)"})
    else:
        targets.append({"status": "SKIP", "target": f"{label}: needs vmlint and yamllint"})
    return targets


def previous_result(results_dir: Path, files: int, seed: int, profile: str) -> tuple[dict | None, str]:
    """The newest saved result for a size (same seed and profile), for the scaling target when only one size ran."""
    candidates = sorted(results_dir.glob(f"{files}-files-*.json"))
    for path in reversed(candidates):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (data.get("seed") == seed and data.get("profile", "platform") == profile
                and data.get("tools", {}).get("vmlint", {}).get("median")):
            return data, str(path)
    return None, ""


# --------------------------------------------------------------------------------------------------------------
# Reports.


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def markdown(result: dict) -> str:
    m = result["machine"]
    r = result["repository"]
    kinds = r.get("kinds") or {}
    lines = [
        f"# vmlint benchmark: {result['files']:,} files, {result.get('profile', 'platform')} profile ({result['date']})",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores_usable', m.get('cores'))} cores, {m.get('memory_gib', '?')} GiB, "
        f"Python {m['python']}, {m['platform']}. Load average {result['load_average']['start']} at the start and "
        f"{result['load_average']['end']} at the end (1, 5, 15 min){': the machine was shared with other work, so wall times are noisy; CPU times are steadier' if max(result['load_average']['start'] + result['load_average']['end'] or [0]) > 1.2 else ''}.",
        "",
        f"Repository: `python benchmarks/generate.py REPO --files {r['files']} --seed {r['seed']} --profile "
        f"{r.get('profile') or 'platform'}` (generator v{r['generator_version']}, profile {r.get('profile') or 'platform'}): "
        f"{r['files']:,} files, {r['bytes'] / 1e6:.1f} MB in {r['directories']:,} directories; "
        f"{r['files_with_vm']:,} files with a VM ({r['files_with_vm'] / r['files']:.1%} of all files, "
        f"{r['vm_file_share_of_non_chart']:.0%} of the {r['non_chart_files']:,} non-chart files), "
        f"{kinds.get('VirtualMachine', 0):,} VirtualMachine documents, {kinds.get('Deployment', 0):,} Deployments, "
        f"{kinds.get('Secret', 0):,} Secrets, {r['plan']['chart']:,} Helm chart files, "
        f"{len(r.get('huge_files') or [])} huge and {len(r.get('malformed_files') or [])} malformed files.",
        "",
        f"Each tool ran as a fresh process, round-robin, up to {result['runs_requested']} times (fewer where its runs would "
        f"pass {result['budget_seconds']:.0f} s); medians. CPU is user+sys of the process and its children (os.wait4); "
        f"peak RSS is the largest max RSS among them, not their sum (the floor, /bin/true's reading, is "
        f"{m.get('rss_floor_mib', '?')} MiB). Cold: no tool has a cache (vmlint runs with --no-cache where it has one); "
        "the page cache was warm.",
        "",
        *([f"Rows for {', '.join(n for n, t in result['tools'].items() if 'carried over' in t.get('note', ''))} were carried "
           f"over from `{result['carried_over_from']}`: measured earlier on the same repository and machine, with "
           "the vmlint of that time; their ratios are against this run's vmlint.", ""] if result.get("carried_over_from") else []),
        "| tool | runs | wall median (s) | wall min-max (s) | CPU (s) | peak RSS (MiB) | wall vs vmlint | CPU vs vmlint | exit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, t in result["tools"].items():
        med = t["median"]
        vs = t.get("vs_vmlint") or {}
        exits = ",".join(str(e) for e in sorted({x["exit"] for x in t["runs"]}))
        status = "" if t["status"] == "ok" else f" ({t['status']})"
        if med:
            lines.append(f"| {name} | {len(t['runs'])} | {_fmt_s(med['wall'])} | {_fmt_s(med['wall_min'])}-{_fmt_s(med['wall_max'])} | "
                         f"{_fmt_s(med['cpu'])} | {med['max_rss_mib']:.0f} | {_ratio(vs.get('wall'))} | {_ratio(vs.get('cpu'))} | {exits}{status} |")
        elif any(x["timed_out"] for x in t["runs"]):
            killed = max(x["wall"] for x in t["runs"] if x["timed_out"])
            vmw = (result["tools"].get("vmlint", {}).get("median") or {}).get("wall")
            bound = f"> {_ratio(killed / vmw)}" if vmw else "-"
            cpu = max(x["cpu"] for x in t["runs"] if x["timed_out"])
            rss = max(x["max_rss_mib"] for x in t["runs"] if x["timed_out"])
            lines.append(f"| {name} | {len(t['runs'])} | > {killed:.0f} (killed) | - | > {cpu:.0f} | > {rss:.0f} | {bound} | - | {exits}{status} |")
        else:
            lines.append(f"| {name} | {len(t['runs'])} | - | - | - | - | - | - | {exits}{status} |")
    for name, why in result["skipped"].items():
        lines.append(f"| {name} | 0 | skipped: {why} | | | | | | |")
    small = result.get("small_file")
    if small:
        lines += ["", f"One small file ({small['path']}, {small['bytes']:,} bytes), median of {small['runs']} runs each "
                  "(benchmarks/startup.py's measurement):", "",
                  "| tool | wall (ms) | CPU (ms) | peak RSS (MiB) |", "|---|---:|---:|---:|"]
        for name, t in small["tools"].items():
            med = t["median"]
            lines.append(f"| {name} | {med['wall'] * 1000:.0f} | {med['cpu'] * 1000:.0f} | {med['max_rss_mib']:.0f} |")
        if small.get("commands"):
            lines += ["", "Started as: " + "; ".join(f"`{command} …`" for command in small["commands"].values()) + "."]
    lines += ["", "## Targets", "", "```"]
    lines += [f"{t['status']:<4}  {t['target']}" for t in result["targets"]]
    lines += ["```", "", "## Tools", ""]
    for name, t in result["tools"].items():
        extra = "; ".join(x for x in (t["note"], t["stopped"]) if x)
        lines.append(f"- **{name}** ({t['version']}): {t['what']}" + (f". {extra[0].upper() + extra[1:]}." if extra else "."))
    findings = result.get("vmlint_findings")
    if findings and findings.get("summary"):
        s = findings["summary"]
        codes = ", ".join(f"{code} {n:,}" for code, n in findings["by_code"].items())
        lines += ["", f"vmlint's findings on this repository (exit {findings['exit']}): {s.get('findings', 0):,} findings in "
                  f"{s.get('files', 0):,} files ({codes})."]
    lines.append("")
    return "\n".join(lines)


def write_results(result: dict, results_dir: Path, name: str | None) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = name or f"{result['files']}-files-{result.get('profile', 'platform')}-{result['date']}"
    md, js = results_dir / f"{stem}.md", results_dir / f"{stem}.json"
    js.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    md.write_text(markdown(result), encoding="utf-8")
    return md, js


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", default="10000", help="repository size(s), comma-separated (default: 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument("--runs", type=int, default=5, help="runs per tool; the median is reported (default: 5)")
    parser.add_argument("--small-runs", type=int, default=20, help="runs for the one-small-file comparison (default: 20)")
    parser.add_argument("--profile", choices=generate.PROFILES, default=DEFAULT_PROFILE,
                        help=f"the generated repository's profile (default: {DEFAULT_PROFILE}, the issue's)")
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE_REV,
                        help=f"the commit whose vmlint runs as vmlint-j1-before (default: {DEFAULT_BASELINE_REV}, \"today\" for issue #19)")
    parser.add_argument("--tools", default=",".join(ALL_TOOLS), help=f"comma-separated subset of {','.join(ALL_TOOLS)}")
    parser.add_argument("--tools-bin", action="append", type=Path, default=[],
                        help="another directory to look for yamllint, kubernetes-validate and checkov in (repeatable)")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds one tool may spend per size before its later runs are dropped (default: 600)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before one run is killed (default: 1800)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help=f"where repositories are generated (default: {DEFAULT_WORK})")
    parser.add_argument("--repo", type=Path, help="the repository directory to (generate and) use; only with one size")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS, help="where reports go (default: benchmarks/results)")
    parser.add_argument("--name", help="report file name without extension (default: <files>-files-<date>); only with one size")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for vmlint and the C-parser pass, with vmlint's dependencies (default: this one)")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="import vmlint from the working tree itself, not from a copy taken at the start")
    parser.add_argument("--no-findings", action="store_true", help="skip the extra, untimed vmlint run that records its findings")
    parser.add_argument("--reuse", type=Path,
                        help="a saved .json result of the same size and seed: tools not run now are carried over from it")
    parser.add_argument("--report", type=Path, help="only re-evaluate the targets of a saved .json result and rewrite it and its .md")
    args = parser.parse_args(argv)
    if args.report:
        result = json.loads(args.report.read_text(encoding="utf-8"))
        other, source = None, ""
        if result["files"] in (TARGET_SIZE, SCALE_SIZE):
            partner = SCALE_SIZE if result["files"] == TARGET_SIZE else TARGET_SIZE
            other, source = previous_result(args.report.parent, partner, result["seed"], result.get("profile", "platform"))
        result["targets"] = evaluate_targets(result, other, source if result["files"] == SCALE_SIZE else "")
        args.report.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        args.report.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
        print(markdown(result))
        return 0
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in args.tools:
        if t not in ALL_TOOLS:
            parser.error(f"unknown tool {t!r}: choose from {', '.join(ALL_TOOLS)}")
    sizes = [int(s) for s in args.files.split(",") if s.strip()]
    if (args.repo or args.name) and len(sizes) != 1:
        parser.error("--repo and --name need exactly one size in --files")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    PYTHON[0] = args.python
    args.work_dir = args.work_dir.resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_snapshot:
        snapshot_source(args.work_dir)
    probe_vmlint()
    if "vmlint-j1-before" in args.tools:
        snapshot_baseline(args.work_dir, args.baseline_rev)
    try:
        return _bench_all(args, sizes)
    finally:
        if SOURCE[1]:
            shutil.rmtree(SOURCE[0], ignore_errors=True)
        if BASELINE["source"]:
            shutil.rmtree(BASELINE["source"], ignore_errors=True)


def _bench_all(args: argparse.Namespace, sizes: list[int]) -> int:
    done: dict[int, dict] = {}
    for files in sizes:
        result = bench_size(args, files)
        result["baseline_rev"] = args.baseline_rev if "vmlint-j1-before" in args.tools else ""
        if args.reuse:
            carry_over(result, json.loads(args.reuse.read_text(encoding="utf-8")), args.reuse.name)
        other = None
        source = ""
        if files in (TARGET_SIZE, SCALE_SIZE):
            partner = SCALE_SIZE if files == TARGET_SIZE else TARGET_SIZE
            if partner in done:
                other = done[partner]
            elif files == SCALE_SIZE:
                other, source = previous_result(args.results_dir, partner, args.seed, args.profile)
        result["targets"] = evaluate_targets(result, other, source)
        done[files] = result
        md, js = write_results(result, args.results_dir, args.name)
        print(markdown(result))
        print(f"wrote {md} and {js}", file=sys.stderr)
        if files == SCALE_SIZE and other is not None:  # give the 10,000 report the scaling verdict too
            other["targets"] = evaluate_targets(other, result, "")
            if source:
                Path(source).write_text(json.dumps(other, indent=1) + "\n", encoding="utf-8")
                Path(source).with_suffix(".md").write_text(markdown(other), encoding="utf-8")
            else:
                write_results(other, args.results_dir, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
