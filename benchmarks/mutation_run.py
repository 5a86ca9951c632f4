"""The long mutation run: many mutants of the real corpus, the examples and the rules' examples (tests/mutation.py).

    python benchmarks/mutation_run.py --mutants 100000 --seed 1 --jobs 2

In-process first, on `--jobs` processes: every mutant is linted with every rule and rendered in every output
format, `--fix --unsafe-fixes` is planned for every file with a fix, and every `--pure-every`th mutant is also
loaded with the pure-Python parser alone. Then a sample (every `--cli-every`th mutant) goes through the real
command line, `vmlint check` and `vmlint check --fix --unsafe-fixes`, in batches of files in one directory.
Failures are grouped into classes; one reproducer per class is minimized. The report goes to
benchmarks/results/mutation-<date>.md and .json; the exit code is 1 when anything failed.

Mutant I of seed S is the same bytes on any machine with the same seed set (the `samples` digest in the report):
`mutation.mutant(mutation.all_samples(), S, I)`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import mutation  # noqa: E402

_STATE: dict[str, object] = {}

Record = dict  # type: ignore[type-arg]  # a failure as JSON: kind, signature, detail, mutant, sample, operations


@dataclass
class Tally:
    """What a share of the in-process mutants gave; tallies of the workers add up."""

    mutants: int = 0
    pure: int = 0  # also loaded by the pure-Python parser alone
    failures: list[Record] = field(default_factory=list)
    cpu: float = 0.0
    slowest: tuple[float, int] = (0.0, 0)  # the slowest batch: seconds, its first mutant
    stats: Counter[str] = field(default_factory=Counter)  # mutation.Linter.stats

    def add(self, other: Tally) -> None:
        self.mutants += other.mutants
        self.pure += other.pure
        self.failures += other.failures
        self.cpu += other.cpu
        self.slowest = max(self.slowest, other.slowest)
        self.stats += other.stats


def _init(seed: int, corpus: bool) -> None:
    samples = mutation.all_samples(corpus)
    linter = mutation.Linter()
    mutation.lint_batch(linter, [(sample.name, sample.data) for sample in samples[:5]])  # imports, caches: warm
    _STATE.update(samples=samples, linter=linter, seed=seed)


def _work(task: tuple[int, int, int, int]) -> Tally:
    """Mutants start..start+count, `batch` files per in-process run; every `pure_every`th by the pure parser too."""
    start, count, batch, pure_every = task
    began = time.process_time()
    samples, linter, seed = _STATE["samples"], _STATE["linter"], _STATE["seed"]
    assert isinstance(linter, mutation.Linter) and isinstance(seed, int)
    linter.stats.clear()
    tally = Tally(mutants=count, slowest=(0.0, start))
    for group in mutation.batched(mutation.mutants(samples, seed, start, count), batch):  # type: ignore[arg-type]
        timer = time.perf_counter()
        found = mutation.lint_batch(linter, [(m.name, m.data) for m in group])
        tally.slowest = max(tally.slowest, (time.perf_counter() - timer, group[0].index))
        chosen = [(m.name, m.data) for m in group if pure_every and m.index % pure_every == 0]
        tally.pure += len(chosen)
        found += mutation.pure_parser_failures(chosen)
        tally.failures += [_record(f, group) for f in found]
    tally.cpu = time.process_time() - began
    tally.stats = Counter(linter.stats)
    return tally


def _record(failure: mutation.Failure, group: list[mutation.Mutant]) -> Record:
    names = failure.name.split(",")
    members = [m for m in group if m.name in names]
    first = members[0] if members else None
    return {
        "kind": failure.kind, "signature": failure.signature, "detail": failure.detail,
        "mutant": first.index if first else None, "sample": first.sample if first else None,
        "operations": list(first.operations) if first else [], "batch": len(members) > 1,
    }


def in_process(args: argparse.Namespace) -> tuple[Tally, float]:
    """Every mutant in-process on `--jobs` processes: the tally and the wall time."""
    chunk = 500
    tasks = [(start, min(chunk, args.mutants - start), args.batch, args.pure_every)
             for start in range(0, args.mutants, chunk)]
    total = Tally()
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(args.jobs, _init, (args.seed, not args.no_corpus)) as pool:
        for tally in pool.imap_unordered(_work, tasks):
            total.add(tally)
            if total.mutants % 10000 < chunk:
                print(f"  {total.mutants:>8,} mutants in-process, {len(total.failures)} failures, "
                      f"{time.monotonic() - began:.0f} s", flush=True)
    return total, time.monotonic() - began


def slowest_mutant(args: argparse.Namespace, samples: list[mutation.Sample], first: int) -> Record:
    """The slowest mutant of the slowest batch, linted alone again (wall time, so only indicative)."""
    linter = mutation.Linter()
    mutation.lint_batch(linter, [(sample.name, sample.data) for sample in samples[:5]])  # imports, caches: warm
    timed = []
    for candidate in mutation.mutants(samples, args.seed, first, args.batch):
        timer = time.perf_counter()
        mutation.lint_batch(linter, [(candidate.name, candidate.data)])
        timed.append((time.perf_counter() - timer, candidate))
    seconds, worst = max(timed, key=lambda pair: pair[0])
    return {"mutant": worst.index, "seconds": round(seconds, 3), "bytes": len(worst.data), "sample": worst.sample,
            "operations": list(worst.operations)}


def through_cli(args: argparse.Namespace, samples: list[mutation.Sample]) -> tuple[int, list[Record], float]:
    """A sample of the mutants through the command line, `--cli-batch` files per directory."""
    chosen = (mutation.mutant(samples, args.seed, index) for index in range(0, args.mutants, args.cli_every))
    tried, failures = 0, []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vmlint-mutants-") as tmp:
        for number, group in enumerate(mutation.batched(chosen, args.cli_batch)):
            directory = Path(tmp) / f"batch-{number}"
            found = mutation.cli_batch([(m.name, m.data) for m in group], directory)
            failures += [_record(f, group) for f in found]
            tried += len(group)
    return tried, failures, time.monotonic() - began


def minimized(failure: Record, samples: list[mutation.Sample], seed: int) -> Record:
    """One reproducer per class, made as small as an in-process run still failing the same way allows."""
    if failure["mutant"] is None:
        return {"bytes": None, "note": "no single mutant (a failure of a whole batch)"}
    data = mutation.mutant(samples, seed, failure["mutant"]).data
    linter = mutation.Linter()
    if failure["signature"].startswith("pure parser: "):
        def fails(candidate: bytes) -> bool:
            found = mutation.pure_parser_failures([("min.yaml", candidate)])
            return any(f.signature == failure["signature"] for f in found)
    else:
        fails = mutation.signature_failing(linter, failure["signature"])
    if not fails(data):
        return {"bytes": repr(data[:2000]), "note": "not reproduced in-process alone: the mutant as generated"}
    small = mutation.minimize(data, fails)
    return {"bytes": repr(small), "note": f"minimized from {len(data)} to {len(small)} bytes"}


def report(args: argparse.Namespace, samples: list[mutation.Sample], numbers: Record,
           classes: dict[str, Record]) -> tuple[Path, Path]:
    from lint.text.compose import c_parser_available

    date = datetime.date.today().isoformat()
    out = Path(args.results_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = args.name or f"mutation-{date}"
    groups = Counter(sample.group for sample in samples)
    slow = numbers["in_process"]["slowest_mutant"]
    data = {
        "date": date,
        "seed": args.seed,
        "code": _code_version(),
        "samples": {"digest": mutation.samples_digest(samples), **groups},
        "tokens": len(mutation.TOKENS),
        "machine": {"cpus": os.cpu_count(), "jobs": args.jobs, "python": platform.python_version(),
                    "platform": platform.platform(), "c_parser": c_parser_available()},
        **numbers,
        "failure_classes": classes,
        "notes": args.note,
    }
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = [
        f"# Mutation run {date}",
        "",
        f"`python benchmarks/mutation_run.py --mutants {args.mutants} --seed {args.seed} --jobs {args.jobs}"
        f" --cli-every {args.cli_every} --pure-every {args.pure_every}`",
        "",
        f"Seeds: {groups.get('corpus', 0)} real manifests (../shared/corpus/real), {groups.get('examples', 0)} "
        f"examples, {groups.get('rules', 0)} rule examples (digest `{data['samples']['digest']}`); "
        f"{len(mutation.TOKENS)} dictionary tokens. Machine: {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, libyaml C parser {'present' if c_parser_available() else 'absent'}. Code: "
        f"commit {data['code']['commit'][:12]}{' with local changes' if data['code']['dirty'] else ''}, "
        f"tests/mutation.py `{data['code']['generator']}`.",
        "",
        "| phase | mutants | wall time | failures |",
        "|---|---:|---:|---:|",
        f"| in-process (all rules, every report format, fixes planned), {args.jobs} processes | "
        f"{numbers['in_process']['mutants']:,} | {numbers['in_process']['seconds']:.0f} s | "
        f"{numbers['in_process']['failures']} |",
        f"| pure-Python parser alone (every {args.pure_every}th) | {numbers['pure_parser']['mutants']:,} | (within "
        f"the above) | {numbers['pure_parser']['failures']} |",
        f"| command line, `check` and `check --fix --unsafe-fixes` (every {args.cli_every}th, "
        f"{args.cli_batch} files per run) | {numbers['cli']['mutants']:,} | {numbers['cli']['seconds']:.0f} s | "
        f"{numbers['cli']['failures']} |",
        "",
        f"Total: {numbers['mutants']:,} mutants tried in {numbers['seconds']:.0f} s; "
        f"{sum(c['count'] for c in classes.values())} failures in {len(classes)} classes.",
        "",
        f"Slowest batch of {args.batch} mutants in-process: {numbers['in_process']['slowest_batch_seconds']:.2f} s; "
        f"its slowest mutant alone: {slow['seconds']:.3f} s (mutant {slow['mutant']}, {slow['bytes']:,} bytes, of "
        f"`{slow['sample']}`: {'; '.join(slow['operations'])}).",
        "",
        "What the in-process mutants gave: " + ", ".join(
            f"{numbers['in_process']['outcomes'].get(key, 0):,} {key}"
            for key in ("files", "files with a finding", "fixes planned", "files fixed")) + "; findings by rule: "
        + ", ".join(f"{key.split()[1]} {count:,}" for key, count in sorted(
            numbers["in_process"]["outcomes"].items(), key=lambda item: -item[1]) if key.startswith("finding ")) + ".",
        "",
        "## Failures by class",
        "",
    ]
    if not classes:
        lines.append("None: no exception, internal error, exit 2, traceback, finding outside its file, or fix that "
                     "made a file worse.")
    for signature, entry in classes.items():
        lines += [
            f"### {entry['kind']}: {signature}",
            "",
            f"{entry['count']} failures; first: mutant {entry['mutant']} of `{entry['sample']}` "
            f"({'; '.join(entry['operations'])}).",
            "",
            f"Reproducer ({entry['reproducer']['note']}): `{entry['reproducer']['bytes']}`",
            "",
            "```",
            entry["detail"][-1500:],
            "```",
            "",
        ]
    if args.note:
        lines += ["## Notes", "", *(f"- {note}" for note in args.note), ""]
    md_path.write_text("\n".join(lines).rstrip() + "\n")
    return md_path, json_path


def _code_version() -> Record:
    """The commit linted and the mutation generator's digest: mutant I of seed S is reproducible with both."""
    import hashlib
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--", "lint", "rules", "tests/mutation.py")),
        "generator": hashlib.sha256((ROOT / "tests" / "mutation.py").read_bytes()).hexdigest()[:12],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch", type=int, default=25, help="files per in-process run")
    parser.add_argument("--pure-every", type=int, default=10, help="load every Nth mutant with the pure parser too")
    parser.add_argument("--cli-every", type=int, default=50, help="send every Nth mutant through the command line")
    parser.add_argument("--cli-batch", type=int, default=250, help="files per command-line run")
    parser.add_argument("--no-corpus", action="store_true", help="without ../shared/corpus/real")
    parser.add_argument("--results-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--name", help="report file name without extension (default: mutation-DATE)")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's Notes (repeatable)")
    args = parser.parse_args()
    samples = mutation.all_samples(not args.no_corpus)
    if not args.no_corpus and mutation.corpus_samples() is None:
        print(f"note: {mutation.SHARED_CORPUS} is absent: mutants of the examples and rule examples only",
              file=sys.stderr)
    began = time.monotonic()
    print(f"seed {args.seed}, {len(samples)} samples ({mutation.samples_digest(samples)}), {args.mutants:,} mutants")
    tally, seconds = in_process(args)
    found = tally.failures
    slowest = slowest_mutant(args, samples, tally.slowest[1])
    pure_failed = sum(1 for f in found if f["signature"].startswith("pure parser: "))
    print(f"in-process: {tally.mutants:,} mutants in {seconds:.0f} s ({tally.cpu:.0f} s CPU), {len(found)} failures")
    cli_tried, cli_found, cli_seconds = through_cli(args, samples)
    print(f"command line: {cli_tried:,} mutants in {cli_seconds:.0f} s, {len(cli_found)} failures")
    classes: dict[str, Record] = {}
    for failure in found + cli_found:
        entry = classes.setdefault(failure["signature"], {**failure, "count": 0})
        entry["count"] += 1
    for signature, entry in classes.items():
        entry["reproducer"] = minimized(entry, samples, args.seed)
        print(f"class {signature}: {entry['count']} ({entry['reproducer']['note']})")
    numbers = {
        "mutants": tally.mutants + cli_tried,
        "seconds": round(time.monotonic() - began, 1),
        "in_process": {"mutants": tally.mutants, "seconds": round(seconds, 1), "cpu_seconds": round(tally.cpu, 1),
                       "failures": len(found) - pure_failed, "slowest_batch_seconds": round(tally.slowest[0], 3),
                       "slowest_mutant": slowest, "outcomes": dict(sorted(tally.stats.items()))},
        "pure_parser": {"mutants": tally.pure, "failures": pure_failed},
        "cli": {"mutants": cli_tried, "seconds": round(cli_seconds, 1), "failures": len(cli_found),
                "batch": args.cli_batch},
    }
    md_path, json_path = report(args, samples, numbers, classes)
    print(f"wrote {md_path} and {json_path}")
    return 1 if classes else 0


if __name__ == "__main__":
    sys.exit(main())
