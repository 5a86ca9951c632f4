"""A bounded mutation-fuzzing run in every test run: mutants of the real corpus, the examples and the rules'
examples (tests/mutation.py), in-process and through the command line, must never crash vmlint, report outside
their file, or be made worse by `--fix --unsafe-fixes`. benchmarks/mutation_run.py is the long run.

VMLINT_MUTATION_SEED picks other mutants (the default keeps CI reproducible). The counts are what it takes to
catch a crash as rare as the issue's: before its fix, mutants 465 and 583 of the default seed ended the run, in
both in-process tests (one mutant in about 260 did, over 6,000).
"""

from __future__ import annotations

import os
from pathlib import Path

import mutation
import pytest
from conftest import tool_missing
from mutation import Failure, Linter, Mutant

from lint.text.source import decode

SEED = int(os.environ.get("VMLINT_MUTATION_SEED", "20261130"))


@pytest.fixture(scope="module")
def corpus() -> list[mutation.Sample]:
    samples = mutation.corpus_samples()
    if samples is None:
        tool_missing(f"the real corpus {mutation.SHARED_CORPUS} is absent: its mutants are not fuzzed")
    return samples  # type: ignore[return-value]


@pytest.fixture(scope="module")
def own() -> list[mutation.Sample]:
    return mutation.own_samples()


@pytest.fixture(scope="module")
def linter() -> Linter:
    return Linter()


def _explained(failures: list[Failure], made: dict[str, Mutant]) -> str:
    lines = []
    for failure in failures[:10]:
        first = made.get(failure.name.split(",")[0])
        origin = f"mutant {first.index} of seed {SEED}: {first.sample} {list(first.operations)}" if first else ""
        lines.append(f"{failure.kind}: {failure.signature} [{failure.name}] {origin}\n{failure.detail[-1500:]}")
    return "\n\n".join(lines)


def _fuzz_in_process(linter: Linter, samples: list[mutation.Sample], start: int, count: int) -> None:
    made = {m.name: m for m in mutation.mutants(samples, SEED, start, count)}
    failures = []
    for batch in mutation.batched(made.values(), 25):
        failures += mutation.lint_batch(linter, [(m.name, m.data) for m in batch])
    failures += mutation.pure_parser_failures([(m.name, m.data) for m in made.values() if m.index % 8 == 0])
    assert not failures, _explained(failures, made)


# -- the dictionary -----------------------------------------------------------------------------------------------


def test_the_atheris_dictionary_is_the_token_list() -> None:
    text = mutation.DICTIONARY.read_text()
    assert text == mutation.dictionary_text(), "fuzz/yaml.dict is stale: run python tests/mutation.py --write-dict"
    assert mutation.parse_dictionary(text) == [token for _, token in mutation.TOKENS]


def test_the_tokens_cover_what_users_break_yaml_with() -> None:
    tokens = {token for _, token in mutation.TOKENS}
    wanted = {
        b"'", b'"', b"[", b"{", b"]", b"}",  # quotes and brackets
        b"%YAML 1.1\n", b"%TAG ! tag:example.com,2000:\n", b"---", b"...",  # directives, document markers
        b"&a ", b"*a", b"!!str ",  # anchors, aliases, tags
        b"\xef\xbb\xbf", b"\xff\xfe", b"\x00",  # byte-order marks, NUL
        b"\r", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xc2\xa0", b"\t",  # CR, NEL, LS, PS, NBSP, tab
    }
    assert wanted <= tokens, wanted - tokens


def test_the_dictionary_format_escapes_what_libfuzzer_needs() -> None:
    assert mutation.parse_dictionary('a="\\\\\\"x\\x00\\xFF"\n# comment\n') == [b'\\"x\x00\xff']


# -- the mutants ----------------------------------------------------------------------------------------------------


def test_mutants_are_the_same_bytes_for_the_same_seed_and_index(own: list[mutation.Sample]) -> None:
    first = [mutation.mutant(own, 3, index) for index in range(200)]
    assert first == [mutation.mutant(own, 3, index) for index in range(200)]
    assert [m.data for m in first] != [mutation.mutant(own, 4, index).data for index in range(200)]
    kinds = {operation.split()[0] for m in first for operation in m.operations}
    assert kinds == {"insert", "delete", "truncate", "splice", "replace"}
    assert sum(m.data != next(s.data for s in own if s.name == m.sample) for m in first) >= 190


def test_seeds_are_the_examples_and_every_rule_example(own: list[mutation.Sample]) -> None:
    names = {sample.name for sample in own}
    assert "examples/harvester-kb-published.yaml" in names
    assert "rules/VM001-bad-1" in names and "rules/VM101-good-1" in names
    assert all(sample.data for sample in own)


# -- the oracle: positions counted as vmlint must count them, independently of vmlint -------------------------------


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"a: 1\nb: 2\n", ["a: 1", "b: 2", ""]),
        (b"a: 1\r\nb: 2", ["a: 1", "b: 2"]),
        (b"a\rb\xc2\x85c\xe2\x80\xa8d\xe2\x80\xa9e", ["a", "b", "c", "d", "e"]),  # CR, NEL, LS, PS break lines
        (b"a\x0bb\x0cc\xc2\xa0d", ["a\x0bb\x0cc\xa0d"]),  # vertical tab, form feed, NBSP do not
        (b"\xef\xbb\xbfa: \xc3\xa9\n", ["a: \xe9", ""]),  # the BOM is not a character; \xe9 is one
        (b"\xff\xfe" + "a:\n".encode("utf-16-le"), ["a:", ""]),  # UTF-16 with its byte-order mark
    ],
)
def test_lines_are_cut_at_yaml_line_breaks(data: bytes, lines: list[str]) -> None:
    assert mutation.text_lines(data) == lines


def test_lines_agree_with_vmlint_line_table() -> None:
    for data in (b"a\rb\r\nc\xc2\x85d\xe2\x80\xa8e\n", b"\xef\xbb\xbfx\n\ny", b"\x0bv\x1cw\n"):
        source = decode(data)
        assert len(mutation.text_lines(data)) == source.line_count
        assert mutation.text_lines(data) == [source.line_text(n) for n in range(1, source.line_count + 1)]


def test_position_problems_are_found() -> None:
    lines = mutation.text_lines(b"ab\ncd\n")  # "ab", "cd", "" (the end)
    assert mutation.position_problem(lines, 1, 1, 1, 2) is None
    assert mutation.position_problem(lines, 3, 1, 3, 2) is None  # a point at the end of the file
    assert mutation.position_problem(lines, 1, 3, 1, 4) is None  # a point just after the last character
    assert mutation.position_problem(lines, 2, 1, 2, 3) is None
    assert "line 4" in mutation.position_problem(lines, 4, 1, 4, 2)
    assert "column 4" in mutation.position_problem(lines, 1, 4, 1, 5)
    assert "column 0" in mutation.position_problem(lines, 1, 0, 1, 1)
    assert "end column 4" in mutation.position_problem(lines, 1, 1, 1, 4)
    assert "not after" in mutation.position_problem(lines, 2, 2, 2, 2)


def test_lint_batch_finds_an_internal_error_and_blames_its_file(linter: Linter, monkeypatch) -> None:
    import lint.kube.loading

    real = lint.kube.loading.load_documents

    def broken(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "BOOM" in source.text:
            raise KeyError("boom")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(lint.kube.loading, "load_documents", broken)
    failures = mutation.lint_batch(linter, [("a.yaml", b"a: 1\n"), ("b.yaml", b"BOOM: 1\n"), ("c.yaml", b"[\n")])
    assert [(f.name, f.kind, f.signature) for f in failures] == [
        ("b.yaml", "internal-error", "internal error KeyError at lint/kube/loading.py:load_file while parsing this file"),
    ]


def test_lint_batch_finds_a_finding_outside_its_file(linter: Linter, monkeypatch) -> None:
    import lint.checks.structure

    real = lint.checks.structure._point

    def off_by_one(line, column, file):  # type: ignore[no-untyped-def]
        return real(line + 1, column, file)

    monkeypatch.setattr(lint.checks.structure, "_point", off_by_one)
    failures = mutation.lint_batch(linter, [("a.yaml", b"a: [\n")])
    assert [(f.kind, f.signature) for f in failures] == [("position", "VM001 outside the file")]


def test_minimize_keeps_the_failure() -> None:
    data = b"a: 1\nb: 2\n%YAML 1.1\nc: [3]\n"
    assert mutation.minimize(data, lambda d: b"%Y" in d) == b"%Y"


# -- the bounded run ----------------------------------------------------------------------------------------------


def test_mutants_of_the_real_corpus_lint_in_process(linter: Linter, corpus: list[mutation.Sample]) -> None:
    _fuzz_in_process(linter, corpus, 0, 800)


def test_mutants_of_the_examples_and_rule_examples_lint_in_process(linter: Linter, own: list[mutation.Sample]) -> None:
    _fuzz_in_process(linter, own, 0, 600)


def test_mutants_through_the_command_line_check_and_fix(tmp_path: Path, own: list[mutation.Sample]) -> None:
    """One directory of mutants through `vmlint check`, then `vmlint check --fix --unsafe-fixes` (the pool of
    worker processes too: more files than one process takes). The real corpus is among the seeds where it exists
    (its absence is reported by the in-process test of its mutants)."""
    made = {m.name: m for m in mutation.mutants((mutation.corpus_samples() or []) + own, SEED, 1000, 150)}
    failures = mutation.cli_batch([(m.name, m.data) for m in made.values()], tmp_path / "mutants")
    assert not failures, _explained(failures, made)


def test_the_reported_crash_does_not_end_a_command_line_run(tmp_path: Path) -> None:
    """The issue's reproducer next to a clean file: exit 1 with the syntax finding, the other file linted."""
    files = [("directive.yaml", b"a: 1\n%YAML 1.1\nb: 2\n"), ("clean.yaml", b"apiVersion: v1\nkind: ConfigMap\n")]
    assert mutation.cli_batch(files, tmp_path / "two") == []
