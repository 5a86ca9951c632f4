"""Mutation fuzzing of vmlint: what a new user does to a manifest by accident, done to real manifests on purpose.

Mutants are made from seeds (the real corpus under ../shared/corpus/real when it is present, the repository's
examples/ and every rule's documented examples) by YAML-aware token insertions, deletions, truncations,
splices of other samples, and replacements of a value or a nested block by a value of another shape. Mutant
`index` of `seed` is always the same bytes, on any machine and in any process, so a failure is reproduced from
two numbers and the seed set (`samples_digest`).

Used by tests/test_mutation_fuzz.py (a bounded run), benchmarks/mutation_run.py (the long run) and the atheris
harness fuzz/fuzz_lint.py, whose dictionary file fuzz/yaml.dict is TOKENS written out:

    python tests/mutation.py --write-dict      # after changing TOKENS

What a mutant must never do (`lint_batch` in-process, `cli_batch` through the command line): end the run with
an exception, an internal error or exit 2; produce a finding outside its file; or, under `--fix
--unsafe-fixes`, leave a file with more errors than before or touch a file the fixer left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "real"
DICTIONARY = ROOT / "fuzz" / "yaml.dict"

# ---------------------------------------------------------------------------------------------------------------
# The token dictionary: defined here once; fuzz/yaml.dict is generated from it (tests check they agree).

_TOKENS: dict[str, tuple[bytes, ...]] = {
    "quote": (b"'", b'"', b"''", b'\\"', b"'''", b'"\\', b"\\'"),
    "bracket": (b"[", b"]", b"{", b"}", b"[]", b"{}", b"[{", b"}]", b"{{", b"}}", b"{{ .Values.x }}", b"{%"),
    "indicator": (b":", b": ", b"- ", b"? ", b",", b"#", b" #", b"|", b">", b"|-", b">+", b"|2", b"@", b"`", b"~",
                  b"<<: ", b"\\", b"\\u", b"\\x"),
    "directive": (b"%YAML 1.1\n", b"%YAML 1.2\n", b"%YAML 2.0\n", b"%TAG ! tag:example.com,2000:\n",
                  b"%TAG !e! tag:e,2000:\n", b"%FOO bar\n", b"%"),
    "document": (b"---", b"---\n", b"\n---\n", b"--- ", b"...", b"...\n", b"\n...\n"),
    "anchor": (b"&a ", b"*a", b"&a", b"*", b"&", b"<<: *a", b"*b ", b"&a [*a]"),
    "tag": (b"!", b"! ", b"!!str ", b"!!binary ", b"!!map ", b"!!seq ", b"!!int ", b"!!null ", b"!e!x ",
            b"!<tag:yaml.org,2002:str> ", b"!local "),
    "bom": (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"),
    "nul": (b"\x00",),
    "break": (b"\r", b"\r\n", b"\n", b"\n\n", b"\xc2\x85"),
    "separator": (b"\xe2\x80\xa8", b"\xe2\x80\xa9"),  # LINE SEPARATOR, PARAGRAPH SEPARATOR
    "space": (b"\xc2\xa0", b"\t", b"\t\t", b" ", b"  ", b"\x0b", b"\x0c"),
    "encoding": (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\x1b", b"\x7f",
                 b"\xef\xbf\xbe", b"\xf0\x9f\x98\x80", b"e\xcc\x81"),
    # What vmlint itself reads inside the YAML: suppressions, hook annotations, cloud-init, Go-parsed values.
    "vmlint": (b"# vmlint: disable=VM101\n", b"# vmlint: disable-next-line=ALL\n", b"# vmlint: disable-file=VM0\n",
               b" # vmlint: disable=", b'vmlint.io/ignore: "VM1"\n', b"vmlint.io/guest-agent: installed\n"),
    "manifest": (b"#cloud-config\n", b"userData: |\n", b"---\napiVersion: v1\nkind: Secret\n",
                 b"pre.hook.backup.velero.io/command: ", b"post.hook.backup.velero.io/timeout: ",
                 b'\'["/usr/bin/virt-freezer", "--freeze"]\'', b"<VM Name>", b"namespace: ", b"runcmd:\n  - ",
                 b"packages: [qemu-guest-agent]\n", b"#!/bin/bash\n"),
    # Whole values put in place of another value (or of a whole nested block): types vmlint does not expect.
    "shape": (b"[]", b"{}", b"~", b"[a, b]", b"{a: b}", b'""', b"!!binary aGk=", b"*a", b"&a x", b"[[[]]]",
              b"{a: {b: [c]}}", b"|\n  x", b"-1", b"yes", b"0x1F", b'"\\u00e9\\x00"', b"!!set {a}", b"? a",
              b"!!timestamp 2001-12-14", b"[{a: 1}, [2]]"),
    "value": (b"1e999", b"9223372036854775808", b"-0", b"0x", b"1.5h", b"30s", b"-1s", b"NaN", b".inf", b"true",
              b"null", b"0o17"),
}

TOKENS: tuple[tuple[str, bytes], ...] = tuple((kind, token) for kind, tokens in _TOKENS.items() for token in tokens)
"""(category, token): quotes, brackets, YAML indicators, directives, document markers, anchors and aliases, tags,
byte-order marks, NUL, line breaks (CR, NEL, LINE and PARAGRAPH SEPARATOR), non-breaking spaces and tabs,
bytes that are not UTF-8 or not allowed in YAML; and what vmlint reads inside YAML (suppression comments, hook
annotations, cloud-init, values Go parses)."""


def _escape(token: bytes) -> str:
    out = []
    for byte in token:
        if byte == 0x5C:
            out.append("\\\\")
        elif byte == 0x22:
            out.append('\\"')
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02X}")
    return "".join(out)


def dictionary_text() -> str:
    """TOKENS in libFuzzer's dictionary format (`name="value"`, with `\\\\`, `\\"` and `\\xAB` escapes)."""
    lines = [
        "# YAML tokens for fuzzing vmlint: generated from TOKENS in tests/mutation.py by",
        "#     python tests/mutation.py --write-dict",
        "# (tests/test_mutation_fuzz.py fails while the two disagree).",
    ]
    counts: dict[str, int] = {}
    for kind, token in TOKENS:
        counts[kind] = counts.get(kind, 0) + 1
        lines.append(f'{kind}_{counts[kind]}="{_escape(token)}"')
    return "\n".join(lines) + "\n"


def parse_dictionary(text: str) -> list[bytes]:
    """The tokens of a libFuzzer dictionary, read as libFuzzer reads them."""
    tokens = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        body = line[line.index('"') + 1 : line.rindex('"')]
        out, i = bytearray(), 0
        while i < len(body):
            if body[i] == "\\" and body[i + 1] in '\\"':
                out.append(ord(body[i + 1]))
                i += 2
            elif body[i] == "\\" and body[i + 1] == "x":
                out.append(int(body[i + 2 : i + 4], 16))
                i += 4
            else:
                out.append(ord(body[i]))
                i += 1
        tokens.append(bytes(out))
    return tokens


# ---------------------------------------------------------------------------------------------------------------
# Seeds


@dataclass(frozen=True)
class Sample:
    name: str  # where it comes from: corpus/<file>, examples/<file>, rules/<code>-bad-<n>
    group: str  # corpus, examples, rules
    data: bytes


def own_samples() -> list[Sample]:
    """The repository's examples and every rule's documented examples (rules/*.yaml `examples: bad/good`)."""
    from lint.core.catalogue import builtin_catalogue

    samples = [Sample(f"examples/{path.name}", "examples", path.read_bytes())
               for path in sorted((ROOT / "examples").glob("*.yaml"))]
    for rule in builtin_catalogue():
        for kind, texts in (("bad", rule.examples_bad), ("good", rule.examples_good)):
            samples += [Sample(f"rules/{rule.code}-{kind}-{n}", "rules", text.encode("utf-8"))
                        for n, text in enumerate(texts, 1)]
    return samples


def corpus_samples(directory: Path = SHARED_CORPUS) -> list[Sample] | None:
    """The real manifests under ../shared/corpus/real (read where they are, never copied), or None if absent."""
    if not directory.is_dir():
        return None
    paths = sorted(path for path in directory.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file())
    return [Sample(f"corpus/{path.name}", "corpus", path.read_bytes()) for path in paths] or None


def all_samples(corpus: bool = True) -> list[Sample]:
    return ((corpus_samples() or []) if corpus else []) + own_samples()


def samples_digest(samples: Sequence[Sample]) -> str:
    """Identifies the seed set: the same digest and seed give the same mutants."""
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(sample.name.encode() + b"\0" + hashlib.sha256(sample.data).digest())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    index: int
    sample: str
    operations: tuple[str, ...]
    data: bytes

    @property
    def name(self) -> str:
        return f"m{self.index:07d}.yaml"


_GROUP_WEIGHTS = {"corpus": 5, "examples": 2, "rules": 3}
_OPERATIONS = ("insert",) * 9 + ("delete",) * 4 + ("truncate",) * 2 + ("splice",) * 3 + ("replace",) * 3
_INLINE_VALUE = re.compile(rb"(?m)^[ \t]*(?:- )*[^\s#:][^:\n]*?: (?=\S)(?P<value>[^\n]*)$")
_BLOCK_KEY = re.compile(rb"(?m)^(?P<indent> *)(?:- )?[^\s#:-][^:\n]*:[ \t]*$")


def mutant(samples: Sequence[Sample], seed: int, index: int) -> Mutant:
    """Mutant `index` of `seed`: one to four operations on one sample, deterministic on any machine."""
    rng = random.Random(f"vmlint-mutation/{seed}/{index}")  # str seeds are hashed with SHA-512: stable
    groups = sorted({sample.group for sample in samples})
    group = rng.choices(groups, [_GROUP_WEIGHTS.get(g, 1) for g in groups])[0]
    sample = rng.choice([s for s in samples if s.group == group])
    data = sample.data
    operations = []
    for _ in range(rng.choices((1, 2, 3, 4), (55, 25, 12, 8))[0]):
        kind = rng.choice(_OPERATIONS)
        if kind == "insert":
            category = rng.choice(list(_TOKENS))
            token = rng.choice(_TOKENS[category])
            at = _position(rng, data)
            data = data[:at] + token * rng.choices((1, 2, 3), (85, 10, 5))[0] + data[at:]
            operations.append(f"insert {category} {token!r} at {at}")
        elif kind == "delete" and data:
            at = _position(rng, data)
            length = rng.choice((1, 1, 1, 2, 3, rng.randint(1, 16), rng.randint(1, 200)))
            data = data[:at] + data[at + length :]
            operations.append(f"delete {length} at {at}")
        elif kind == "truncate" and data:
            at = rng.randrange(len(data))
            data = data[:at]
            operations.append(f"truncate at {at}")
        elif kind == "replace":
            shape = rng.choice(_TOKENS["shape"])
            if rng.random() < 0.5:
                spans = [m.span("value") for m in _INLINE_VALUE.finditer(data)]
                what = "value"
            else:
                spans = [(m.end(), _block_end(data, m.end(), len(m.group("indent"))))
                         for m in _BLOCK_KEY.finditer(data)]
                shape = b" " + shape
                what = "block"
            if spans:
                begin, end = rng.choice(spans)
                data = data[:begin] + shape + data[end:]
                operations.append(f"replace {what} {begin}..{end} by {shape!r}")
        elif kind == "splice":
            other = rng.choice(samples).data
            if not other:
                continue
            start = rng.randrange(len(other))
            if rng.random() < 0.5:  # a piece of another manifest pasted in
                piece = other[start : start + rng.randint(1, 300)]
                at = _position(rng, data)
                data = data[:at] + piece + data[at:]
                operations.append(f"splice {len(piece)} bytes at {at}")
            else:  # the head of this one, the tail of another
                at = _position(rng, data)
                data = data[:at] + other[start:]
                operations.append(f"splice tail at {at}")
    return Mutant(index, sample.name, tuple(operations), data)


def _block_end(data: bytes, at: int, indent: int) -> int:
    """The end of the nested block after a `key:` line at `indent`: its more indented (or blank) lines, and its
    `- ` items at the key's own indentation (YAML's indentless sequence). Stops before the final line break."""
    end = at
    for line in re.finditer(rb"\n([^\n]*)", data[at:]):
        text = line.group(1)
        body = text.lstrip(b" ")
        if body and len(text) - len(body) <= indent and not (len(text) - len(body) == indent and body[:2] == b"- "):
            break
        end = at + line.end()
    return end


def _position(rng: random.Random, data: bytes) -> int:
    """A byte offset: anywhere, or where YAML is sensitive (line start, indentation end, after `: ` or `- `,
    line end)."""
    if not data:
        return 0
    how = rng.random()
    if how < 0.4:
        return rng.randint(0, len(data))
    starts = [0, *(m.end() for m in re.finditer(rb"\n", data))]
    start = rng.choice(starts)
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    if how < 0.6:
        return start
    if how < 0.75:
        return end
    line = data[start:end]
    if how < 0.88:
        return start + len(line) - len(line.lstrip(b" -"))
    marks = [m.end() for m in re.finditer(rb": |- ", line)]
    return start + rng.choice(marks) if marks else end


def mutants(samples: Sequence[Sample], seed: int, start: int, count: int) -> Iterator[Mutant]:
    for index in range(start, start + count):
        yield mutant(samples, seed, index)


# ---------------------------------------------------------------------------------------------------------------
# Positions, counted independently of vmlint: code points of the decoded text (a leading byte-order mark
# removed), lines cut at YAML's line breaks (CR LF, CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR).

_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def text_lines(data: bytes) -> list[str]:
    """The lines of a file as vmlint must count them; a file that ends with a break has an empty last line
    (its end). Undecodable bytes count as one character each up to the first, which is where vmlint stops."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            break
    else:
        text = data.decode("utf-8", errors="replace")
    return _YAML_BREAK.split(text)


def position_problem(lines: Sequence[str], line: int, column: int, end_line: int, end_column: int) -> str | None:
    """Why a finding's place is not in the file, or None. A start is a character of a line or the place just
    after its last one; an end is exclusive (one further). A point (end = start + 1 column, how vmlint marks a
    place with no width) may stand at the end of a line."""
    if not 1 <= line <= len(lines):
        return f"line {line} is not in the file ({len(lines)} lines, counting its end)"
    if not 1 <= column <= len(lines[line - 1]) + 1:
        return f"column {column} is not on line {line} ({len(lines[line - 1])} characters)"
    if (end_line, end_column) <= (line, column):
        return f"the end {end_line}:{end_column} is not after the start {line}:{column}"
    if not 1 <= end_line <= len(lines):
        return f"end line {end_line} is not in the file ({len(lines)} lines)"
    point = end_line == line and end_column == column + 1
    if not 1 <= end_column <= len(lines[end_line - 1]) + (2 if point else 1):
        return f"end column {end_column} is not on line {end_line} ({len(lines[end_line - 1])} characters)"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Checking mutants in-process


@dataclass(frozen=True)
class Failure:
    """One broken promise on one input: `kind` is what went wrong, `signature` groups it into a crash class."""

    name: str
    kind: str  # exception, internal-error, position, report, fix-worse, exit, traceback, fix-touched
    signature: str
    detail: str


INTERNAL_ERROR_CODE = "VM009"
INTERNAL_ERROR_RULE = "internal-error"


@dataclass
class Linter:
    """The rules and settings every in-process check uses (all rules, the VM9 policies too)."""

    select: tuple[str, ...] = ("ALL",)
    reports: bool = True  # render every output format too
    stats: Counter[str] = field(default_factory=Counter)  # what the mutants gave: files, findings by code, fixes
    _rules: list = field(default_factory=list, repr=False)  # type: ignore[type-arg]

    def rules(self) -> list:  # type: ignore[type-arg]
        if not self._rules:
            from lint.core.catalogue import builtin_catalogue
            from lint.run.engine import select_rules

            self._rules = select_rules(builtin_catalogue(), self.select)
        return self._rules

    def run(self, files: Sequence[tuple[str, bytes]]):  # type: ignore[no-untyped-def]
        from lint.run.discovery import InputFile
        from lint.run.engine import run
        from lint.target.settings import Settings

        return run([InputFile(name, None, data) for name, data in files], self.rules(), Settings())


def exception_signature(err: BaseException) -> str:
    """`Type at innermost-frame via innermost-vmlint-frame`, without line numbers (stable across edits)."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [frame for frame in frames if _short(frame.filename).startswith("lint/")]
    text = type(err).__name__
    if frames:
        text += f" at {_short(frames[-1].filename)}:{frames[-1].name}"
    if ours and ours[-1] is not frames[-1]:
        text += f" via {_short(ours[-1].filename)}:{ours[-1].name}"
    return text


def _short(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    for marker, keep in (("site-packages", 1), ("lint", 0)):  # a dependency, or vmlint wherever it is imported from
        if marker in parts[:-1]:
            at = len(parts) - 1 - parts[::-1].index(marker)
            return "/".join(parts[at + keep :])
    return path.name


_ERROR_TYPE = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt|Iteration))\b")


_VM009 = re.compile(r"failed while (?P<doing>.+?) \((?P<type>\w+) raised at (?P<file>[^:\s]+):\d+ \((?P<function>\w+)\)\)")


def error_signature(text: str) -> str:
    """A crash class from an engine error or internal-error finding: the exception, where vmlint raised it and
    what it was doing (VM009 says so), else the rule that failed and the exception."""
    found = _VM009.search(text)
    if found:
        return f"internal error {found['type']} at {found['file']}:{found['function']} while {found['doing']}"
    code = re.search(r"\bin (VM\d+|[A-Z]+\d+)\b", text)
    kind = _ERROR_TYPE.search(text)
    return " ".join(filter(None, ("internal error", code and f"in {code.group(1)}", kind and kind.group(1))))


def lint_batch(linter: Linter, files: Sequence[tuple[str, bytes]], fixes: bool = True) -> list[Failure]:
    """Lint the files in one in-process run and return every broken promise. An exception that escapes the run
    is attributed to its file(s) by linting each alone."""
    try:
        result = linter.run(files)
    except Exception as err:  # noqa: BLE001 - what escapes is exactly what is being looked for
        if len(files) == 1:
            return [Failure(files[0][0], "exception", exception_signature(err),
                            "".join(traceback.format_exception(err))[-4000:])]
        failures = [failure for item in files for failure in lint_batch(linter, [item], fixes)]
        if not any(failure.kind == "exception" for failure in failures):
            failures.append(Failure(",".join(name for name, _ in files), "exception",
                                    "cross-file " + exception_signature(err),
                                    "".join(traceback.format_exception(err))[-4000:]))
        return failures
    failures = []
    by_name = dict(files)
    linter.stats["files"] += len(files)
    linter.stats["files with a finding"] += len({finding.path for finding in result.findings})
    linter.stats.update(f"finding {finding.code}" for finding in result.findings)
    for error in result.errors:
        name = next((n for n in by_name if f" {n}:" in error or error.endswith(f" {n}")), ",".join(by_name))
        failures.append(Failure(name, "internal-error", error_signature(error), error))
    lines = {name: text_lines(data) for name, data in files}
    for finding in result.findings:
        if finding.code == INTERNAL_ERROR_CODE or finding.rule == INTERNAL_ERROR_RULE:
            failures.append(Failure(finding.path, "internal-error", error_signature(finding.message),
                                    f"{finding.code} {finding.message}"))
        if finding.path not in lines:
            failures.append(Failure(finding.path, "position", f"{finding.code} on an unknown path", repr(finding)))
            continue
        problem = position_problem(lines[finding.path], finding.line, finding.column, finding.end_line,
                                   finding.end_column)
        if problem:
            failures.append(Failure(finding.path, "position", f"{finding.code} outside the file",
                                    f"{finding.line}:{finding.column}-{finding.end_line}:{finding.end_column} "
                                    f"{finding.code} {finding.message!r}: {problem}"))
    if linter.reports:
        failures += _report_failures(result, files)
    if fixes:
        fixable = {finding.path for finding in result.findings if finding.fix is not None}
        for name, data in files:
            if name in fixable:
                failures += fix_failures(linter, name, data)
    return failures


def pure_parser_failures(files: Sequence[tuple[str, bytes]]) -> list[Failure]:
    """Load each file with the pure-Python parser alone, as vmlint does where ruamel.yaml's C extension is not
    installed (the C path hands it only the documents libyaml rejects)."""
    from lint.kube.loading import load_file

    failures = []
    for name, data in files:
        try:
            load_file(name, data, use_c=False)
        except Exception as err:  # noqa: BLE001 - what escapes is exactly what is being looked for
            failures.append(Failure(name, "exception", "pure parser: " + exception_signature(err),
                                    "".join(traceback.format_exception(err))[-4000:]))
    return failures


def _report_failures(result, files: Sequence[tuple[str, bytes]]) -> list[Failure]:  # type: ignore[no-untyped-def]
    from lint.core.catalogue import builtin_catalogue
    from lint.reporters import FORMATS, reporter

    failures = []
    for name in FORMATS:
        try:
            text = reporter(name, catalogue=builtin_catalogue())(result)
            if name in ("json", "sarif"):
                json.loads(text)
        except Exception as err:  # noqa: BLE001 - a reporter that fails on a finding is a crash class
            failures.append(Failure(",".join(n for n, _ in files), "report", f"{name} report: "
                                    + exception_signature(err), "".join(traceback.format_exception(err))[-4000:]))
    return failures


def fix_failures(linter: Linter, name: str, data: bytes) -> list[Failure]:
    """What `--fix --unsafe-fixes` would do to one file, planned in memory: never more errors afterwards."""
    from lint.run.discovery import InputFile
    from lint.run.engine import run
    from lint.run.fixer import plan
    from lint.run.prepass import secrets_index
    from lint.target.settings import Settings
    from lint.text.compose import Limits

    item = InputFile(name, None, data)
    try:
        secrets = secrets_index([item], Limits())
        planned = plan(item, data, lambda it: run([it], linter.rules(), Settings(), secrets=secrets).findings,
                       unsafe=True)
        linter.stats["fixes planned"] += 1
        if planned.fixed is None:
            return []
        linter.stats["files fixed"] += 1
        before = linter.run([(name, data)])
        after = linter.run([(name, planned.fixed)])
    except Exception as err:  # noqa: BLE001 - the fixer crashing is a failure of its own
        return [Failure(name, "exception", "fix: " + exception_signature(err),
                        "".join(traceback.format_exception(err))[-4000:])]
    return fix_worse(name, data, [(f.code, str(f.severity), f.line) for f in before.findings],
                     planned.fixed, [(f.code, str(f.severity), f.line) for f in after.findings])


Brief = tuple[str, str, int]  # a finding's code, severity and line


def fix_worse(name: str, before: bytes, found_before: Sequence[Brief], after: bytes,
              found_after: Sequence[Brief]) -> list[Failure]:
    """A fix may not leave a file with more errors, except in a document it made parse: what such a document
    holds is seen for the first time, not made worse (the syntax fix of the published recipe reveals its
    placeholders). Documents are matched by their index in the file."""
    broken_before = _documents_with(before, found_before, "VM001")
    broken_after = _documents_with(after, found_after, "VM001")
    revealed = broken_before - broken_after

    def errors(data: bytes, found: Sequence[Brief]) -> int:
        documents = _document_of_lines(data)
        return sum(1 for code, severity, line in found
                   if severity == "error" and documents(line) not in revealed)

    errors_before, errors_after = errors(before, found_before), errors(after, found_after)
    if errors_after > errors_before:
        codes = sorted({code for code, _, _ in found_after} - {code for code, _, _ in found_before})
        return [Failure(name, "fix-worse", f"fix adds errors {','.join(codes) or 'of the same rules'}",
                        f"{errors_before} errors before, {errors_after} after (outside documents the fix made "
                        f"parse: {sorted(revealed)})")]
    return []


def _documents_with(data: bytes, found: Sequence[Brief], code: str) -> set[int]:
    documents = _document_of_lines(data)
    return {documents(line) for found_code, _, line in found if found_code == code}


def _document_of_lines(data: bytes) -> Callable[[int], int]:
    """Which document (its index in the file, as vmlint splits it) a line belongs to."""
    import bisect

    from lint.text.compose import split_documents
    from lint.text.source import DecodeError, decode

    try:
        source = decode(data)
    except DecodeError:
        return lambda line: 0
    firsts = [source.position(begin).line for begin, _ in split_documents(source)]
    return lambda line: max(0, bisect.bisect_right(firsts, line) - 1)


# ---------------------------------------------------------------------------------------------------------------
# Checking mutants through the command line


def cli_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    return env


def _vmlint(directory: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lint", "check", "--no-cache", "--select", "ALL", "--format", "json", *args, "."],
        cwd=directory, env=cli_env(), capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL,
    )


_NOT_FIXING = re.compile(r"^vmlint: not fixing (.+?): ", re.MULTILINE)


def cli_batch(files: Sequence[tuple[str, bytes]], directory: Path, fix: bool = True) -> list[Failure]:
    """Write the files into `directory` (empty), run `vmlint check` and then `vmlint check --fix --unsafe-fixes`
    on it, and return every broken promise."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (directory / name).write_bytes(data)
    everyone = ",".join(name for name, _ in files)
    failures: list[Failure] = []
    before = _cli_outcome(_vmlint(directory), dict(files), everyone, failures, "check")
    if not fix or before is None:
        return failures
    fixed = _vmlint(directory, "--fix", "--unsafe-fixes")
    now = {name: (directory / name).read_bytes() for name, _ in files}
    after = _cli_outcome(fixed, now, everyone, failures, "fix", allowed=_NOT_FIXING)  # about the files as they are now
    if after is None:
        return failures
    left_alone = set(_NOT_FIXING.findall(fixed.stderr))
    for name, data in files:
        failures += fix_worse(name, data, [(f["code"], f["severity"], f["line"]) for f in before.get(name, [])],
                              now[name], [(f["code"], f["severity"], f["line"]) for f in after.get(name, [])])
        if now[name] != data and (name in left_alone or not before.get(name)):
            failures.append(Failure(name, "fix-touched", "--fix changed a file it did not fix",
                                    "reported as not fixed" if name in left_alone else "the file had no finding"))
    return failures


def _cli_outcome(done: subprocess.CompletedProcess[str], contents: dict[str, bytes], everyone: str,
                 failures: list[Failure], what: str,
                 allowed: re.Pattern[str] | None = None) -> dict[str, list[dict]] | None:  # type: ignore[type-arg]
    """The findings by file of one run, after recording what the run itself did wrong."""
    stderr = allowed.sub("", done.stderr) if allowed else done.stderr
    if done.returncode not in (0, 1):
        failures.append(Failure(everyone, "exit", f"{what}: exit {done.returncode}", done.stderr[-4000:]))
    if "Traceback" in done.stderr or "Traceback" in done.stdout:
        failures.append(Failure(everyone, "traceback", f"{what}: traceback", done.stderr[-4000:]))
    if "internal error" in stderr or "internal error" in done.stdout:
        failures.append(Failure(everyone, "internal-error", f"{what}: internal error text",
                                (stderr + done.stdout)[-4000:]))
    try:
        report = json.loads(done.stdout)
    except ValueError:
        failures.append(Failure(everyone, "exit", f"{what}: no JSON report", done.stdout[-2000:]))
        return None
    by_file: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for finding in report["findings"]:
        name = Path(finding["path"]).name
        by_file.setdefault(name, []).append(finding)
        if finding["code"] == INTERNAL_ERROR_CODE or finding["rule"] == INTERNAL_ERROR_RULE:
            failures.append(Failure(name, "internal-error", error_signature(finding["message"]), finding["message"]))
        if name not in contents:
            failures.append(Failure(name, "position", f"{what}: finding on an unknown path", repr(finding)))
            continue
        problem = position_problem(text_lines(contents[name]), finding["line"], finding["column"],
                                   finding["end_line"], finding["end_column"])
        if problem:
            failures.append(Failure(name, "position", f"{finding['code']} outside the file", problem))
    return by_file


# ---------------------------------------------------------------------------------------------------------------
# Minimizing


def minimize(data: bytes, fails: Callable[[bytes], bool], budget: int = 3000) -> bytes:
    """A smaller input that still fails: whole lines first, then ever smaller byte ranges (delta debugging,
    greedy), within `budget` attempts."""
    attempts = 0

    def reduce(parts: list[bytes]) -> list[bytes]:
        nonlocal attempts
        size = max(1, len(parts) // 2)
        while size >= 1 and attempts < budget:
            i = 0
            while i < len(parts) and attempts < budget:
                candidate = parts[:i] + parts[i + size :]
                attempts += 1
                if fails(b"".join(candidate)):
                    parts = candidate
                else:
                    i += size
            size //= 2
        return parts

    data = b"".join(reduce(data.splitlines(keepends=True)))
    return b"".join(reduce([bytes([b]) for b in data]))


def signature_failing(linter: Linter, signature: str, name: str = "min.yaml") -> Callable[[bytes], bool]:
    """The predicate `minimize` needs: linting the bytes alone in-process still fails with this signature."""
    def fails(data: bytes) -> bool:
        return any(f.signature == signature for f in lint_batch(linter, [(name, data)]))

    return fails


def batched(items: Iterable, size: int) -> Iterator[list]:  # type: ignore[type-arg]
    batch: list = []  # type: ignore[type-arg]
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-dict"]:
        DICTIONARY.write_text(dictionary_text())
        print(f"wrote {len(TOKENS)} tokens to {DICTIONARY.relative_to(ROOT)}")
    else:
        sys.exit("usage: python tests/mutation.py --write-dict")
