"""Coverage-guided fuzzing of vmlint's whole pipeline with atheris.

    python fuzz/fuzz_lint.py fuzz/corpus -max_total_time=1800     # locally, for as long as you like
    python fuzz/fuzz_lint.py fuzz/corpus -runs=2000               # a bounded run (CI)

Every input is linted as a file with every rule selected and rendered in every output format. Any exception
escaping the engine, any finding outside the file, and any internal error reported by the engine is a
crash. The seed corpus is built from the repository's examples and the rules' documented examples.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from lint.core.catalogue import builtin_catalogue
    from lint.reporters import FORMATS, reporter
    from lint.run.discovery import InputFile
    from lint.run.engine import run, select_rules
    from lint.target.settings import Settings

RULES = select_rules(builtin_catalogue(), ("ALL",))
CATALOGUE = builtin_catalogue()


def lint_once(data: bytes) -> None:
    result = run([InputFile("fuzz.yaml", None, data)], RULES, Settings())
    if result.errors:
        raise RuntimeError(f"internal error: {result.errors}")
    lines = data.count(b"\n") + data.count(b"\r") + 2
    for finding in result.findings:
        if not (1 <= finding.line <= lines and finding.column >= 1 and finding.end_line >= finding.line):
            raise RuntimeError(f"finding outside the file: {finding}")
    for name in FORMATS:
        text = reporter(name, catalogue=CATALOGUE)(result)
        if name in ("json", "sarif"):
            json.loads(text)


def seed(directory: Path) -> None:
    """Write the seed corpus: the examples and every rule's documented examples."""
    directory.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    samples = [path.read_bytes() for path in sorted((root / "examples").glob("*.yaml"))]
    for rule in CATALOGUE:
        samples += [text.encode() for text in (*rule.examples_bad, *rule.examples_good)]
    for number, sample in enumerate(samples):
        (directory / f"seed-{number:03d}.yaml").write_bytes(sample)


def main() -> None:
    corpus = next((Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if corpus is not None and not any(corpus.glob("*")):
        seed(corpus)
    atheris.Setup(sys.argv, lint_once)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
