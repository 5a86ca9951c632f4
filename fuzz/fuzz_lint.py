"""Coverage-guided fuzzing of vmlint's whole pipeline with atheris.

    python fuzz/fuzz_lint.py fuzz/corpus -max_total_time=1800     # locally, for as long as you like
    python fuzz/fuzz_lint.py fuzz/corpus -runs=2000               # a bounded run (CI)

Every input is linted as a file with every rule selected and rendered in every output format. Any exception
escaping the engine, any finding outside the file (lines and columns counted as tests/mutation.py counts
them), and any internal error reported by the engine is a crash.

It starts from what the mutation fuzzer (tests/mutation.py) starts from: an empty corpus directory is seeded
with the repository's examples and the rules' documented examples, the real corpus ../shared/corpus/real is
read as a second corpus directory where it exists (libFuzzer writes only to the first), and the mutation
fuzzer's tokens are the dictionary, fuzz/yaml.dict (unless -dict= is given).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

with atheris.instrument_imports():
    from lint.core.catalogue import builtin_catalogue
    from lint.reporters import FORMATS, reporter
    from lint.run.discovery import InputFile
    from lint.run.engine import run, select_rules
    from lint.target.settings import Settings

import mutation  # noqa: E402  (after the instrumented imports: the code under test is vmlint's, not this)

RULES = select_rules(builtin_catalogue(), ("ALL",))
CATALOGUE = builtin_catalogue()


def lint_once(data: bytes) -> None:
    result = run([InputFile("fuzz.yaml", None, data)], RULES, Settings())
    if result.errors:
        raise RuntimeError(f"internal error: {result.errors}")
    internal = [f.message for f in result.findings if f.code == mutation.INTERNAL_ERROR_CODE]
    if internal:
        raise RuntimeError(f"internal error: {internal}")
    lines = mutation.text_lines(data)
    for finding in result.findings:
        problem = mutation.position_problem(lines, finding.line, finding.column, finding.end_line, finding.end_column)
        if problem:
            raise RuntimeError(f"finding outside the file ({problem}): {finding}")
    for name in FORMATS:
        text = reporter(name, catalogue=CATALOGUE)(result)
        if name in ("json", "sarif"):
            json.loads(text)


def seed(directory: Path) -> None:
    """Write the seed corpus: the examples and every rule's documented examples, as the mutation fuzzer has them."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, sample in enumerate(mutation.own_samples()):
        (directory / f"seed-{number:03d}.yaml").write_bytes(sample.data)


def arguments(argv: list[str]) -> list[str]:
    """libFuzzer's arguments: the real corpus as a read-only second corpus directory where it exists, and the
    token dictionary unless another is given."""
    argv = list(argv)
    corpora = [arg for arg in argv[1:] if not arg.startswith("-")]
    if corpora and mutation.SHARED_CORPUS.is_dir() and str(mutation.SHARED_CORPUS) not in corpora:
        argv.insert(argv.index(corpora[0]) + 1, str(mutation.SHARED_CORPUS))
    if not any(arg.startswith("-dict=") for arg in argv):
        argv.append(f"-dict={mutation.DICTIONARY}")
    return argv


def main() -> None:
    corpus = next((Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if corpus is not None and not any(corpus.glob("*")):
        seed(corpus)
    atheris.Setup(arguments(sys.argv), lint_once)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
