"""The Go emulations (lint/golang/json.py, go_duration.py, go_strconv.py) must agree with Go byte for byte.

Velero is written in Go and reads annotation values with json.Unmarshal into []string, time.ParseDuration and
strconv.ParseBool; the linter's verdicts are only right if the emulations answer exactly as Go does. Three layers:

* committed vectors (tests/oracle/vectors, written by tests/oracle/regenerate.py from Go 1.19) are always checked;
* with ``go`` on PATH, the oracle program is also run live on freshly generated inputs (two seeds);
* a few named examples document the behaviour people actually hit.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from lint.golang.duration import GoDuration, parse_duration
from lint.golang.json import GoJSONResult, _emulate, _fast_decode, decode_string_slice
from lint.golang.strconv import go_string_bytes, parse_bool

ORACLE_DIR = Path(__file__).resolve().parent / "oracle"
MAX_REPORTED = 25


def _load_regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gostd_regenerate", ORACLE_DIR / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _load_regenerate()
generator = regenerate.load_generator()
LIVE_SEEDS = (generator.CANONICAL_SEED, 7_919)  # the committed inputs, and a set the vectors do not contain


def _python_json(text: str) -> dict:
    result = decode_string_slice(text)
    argv = None if result.argv is None else list(result.argv)
    return {"argv": argv, "error": result.error, "kind": result.kind, "offset": result.offset}


def _go_json(answer: dict) -> dict:
    argv = answer["argv"]
    if answer["kind"] == "ok" and argv is None:
        argv = []  # top-level null: Go leaves the slice nil, GoJSONResult reports () (len 0 either way)
    return {"argv": argv, "error": answer["error"], "kind": answer["kind"], "offset": answer["offset"]}


def _python_duration(text: str) -> dict:
    result = parse_duration(text)
    return {"nanoseconds": result.nanoseconds, "error": result.error}


def _go_duration(answer: dict) -> dict:
    return {"nanoseconds": answer["nanoseconds"], "error": answer["error"]}


def _python_bool(text: str) -> dict:
    return {"value": parse_bool(text)}


def _go_bool(answer: dict) -> dict:
    return {"value": answer["value"]}


COMPARISONS: dict[str, tuple[Callable[[str], dict], Callable[[dict], dict]]] = {
    "json": (_python_json, _go_json),
    "duration": (_python_duration, _go_duration),
    "parsebool": (_python_bool, _go_bool),
}


def _short(text: str, limit: int = 120) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[:limit]}... ({len(text)} chars)"


def _mismatch_report(mode: str, answers: list[dict]) -> str:
    """Empty when Python agrees with every Go answer, else one readable message listing the disagreements."""
    python_side, go_side = COMPARISONS[mode]
    mismatches = []
    for answer in answers:
        want = go_side(answer)
        got = python_side(answer["input"])
        if got != want:
            mismatches.append(f"  input {_short(answer['input'])}\n    go:     {want}\n    python: {got}")
    if not mismatches:
        return ""
    shown = "\n".join(mismatches[:MAX_REPORTED])
    more = f"\n  ... and {len(mismatches) - MAX_REPORTED} more" if len(mismatches) > MAX_REPORTED else ""
    return f"{mode}: {len(mismatches)} of {len(answers)} inputs disagree with Go\n{shown}{more}"


@pytest.mark.parametrize("mode", list(COMPARISONS))
def test_committed_vectors_match(mode: str) -> None:
    vectors = regenerate.read_vectors(mode)
    assert len(vectors) >= {"json": 4000, "duration": 4000, "parsebool": 2000}[mode]
    report = _mismatch_report(mode, vectors)
    assert not report, report


def test_live_go_oracle(tmp_path: Path) -> None:
    if shutil.which("go") is None:
        if os.environ.get("VMLINT_REQUIRE_TOOLS") == "1":
            pytest.fail("go not installed but VMLINT_REQUIRE_TOOLS=1: the live Go oracle comparison cannot run")
        pytest.skip("go not installed: live Go oracle comparison skipped (committed vectors still checked)")
    try:
        binary, env = regenerate.build_oracle(tmp_path)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"building the Go oracle failed:\n{error.stderr}")
    reports = []
    for mode in COMPARISONS:
        inputs = sorted({text for seed in LIVE_SEEDS for text in generator.cases(mode, seed)})
        reports.append(_mismatch_report(mode, regenerate.run_oracle(binary, env, mode, inputs)))
    failures = "\n".join(report for report in reports if report)
    assert not failures, f"{regenerate.go_version(env)}\n{failures}"


def test_committed_inputs_are_the_generators() -> None:
    """The vectors must cover exactly what the generator yields; otherwise regenerate.py was not rerun."""
    for mode in COMPARISONS:
        committed = [vector["input"] for vector in regenerate.read_vectors(mode)]
        assert committed == generator.cases(mode), f"{mode}: run python tests/oracle/regenerate.py"


def _char_index_problem(text: str, result: GoJSONResult) -> str | None:
    """Check ``char_index`` against Go's byte ``offset`` (Go has no character index to compare with)."""
    if result.kind == "ok":
        return None if result.char_index is None and result.offset is None else "set although ok"
    assert result.char_index is not None and result.offset is not None
    data = go_string_bytes(text)
    prefix = len(go_string_bytes(text[: result.char_index]))
    if result.kind == "syntax":
        at_end = result.char_index == len(text) and result.offset == len(data)
        return None if at_end or prefix == result.offset - 1 else f"byte {prefix} is not offset-1"
    if data[prefix : prefix + 1] in (b"[", b"{"):
        return None if prefix + 1 == result.offset else f"composite at byte {prefix}, offset {result.offset}"
    return None if prefix < result.offset else f"literal at byte {prefix} does not end at offset {result.offset}"


def test_json_char_index_agrees_with_go_offset() -> None:
    problems = []
    for vector in regenerate.read_vectors("json"):
        problem = _char_index_problem(vector["input"], decode_string_slice(vector["input"]))
        if problem:
            problems.append(f"  {_short(vector['input'])}: {problem}")
    assert not problems, f"{len(problems)} bad char_index values\n" + "\n".join(problems[:MAX_REPORTED])


HARVESTER_KB_COMMAND = '["/usr/bin/virt-freezer", "--freeze", "--namespace", "[VM Namespace]", "--name", "[VM Name]"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HARVESTER_KB_COMMAND,
            GoJSONResult(None, "unexpected end of JSON input", "syntax", 92, len(HARVESTER_KB_COMMAND)),
            id="harvester-kb-missing-bracket",
        ),
        pytest.param(
            '["/usr/bin/virt-freezer", "--freeze"]',
            GoJSONResult(("/usr/bin/virt-freezer", "--freeze"), None, "ok", None, None),
            id="valid-command",
        ),
        pytest.param(
            '["a",]',
            GoJSONResult(None, "invalid character ']' looking for beginning of value", "syntax", 6, 5),
            id="trailing-comma",
        ),
        pytest.param(
            "['a']",
            GoJSONResult(None, "invalid character '\\'' looking for beginning of value", "syntax", 2, 1),
            id="single-quotes",
        ),
        pytest.param(
            "[“a”]",
            GoJSONResult(None, "invalid character 'â' looking for beginning of value", "syntax", 2, 1),
            id="smart-quotes-quote-the-utf8-lead-byte",
        ),
        pytest.param(
            '["a", null]', GoJSONResult(("a", ""), None, "ok", None, None, (1,)), id="null-element-becomes-empty"
        ),
        pytest.param("[]", GoJSONResult((), None, "ok", None, None), id="empty"),
        pytest.param("null", GoJSONResult((), None, "ok", None, None), id="top-level-null-is-nil-without-error"),
        pytest.param(
            '["a"] x',
            GoJSONResult(None, "invalid character 'x' after top-level value", "syntax", 7, 6),
            id="trailing-garbage",
        ),
        pytest.param(
            "[NaN]",
            GoJSONResult(None, "invalid character 'N' looking for beginning of value", "syntax", 2, 1),
            id="nan",
        ),
        pytest.param(
            '["a",1]',
            GoJSONResult(None, "json: cannot unmarshal number into Go value of type string", "type", 6, 5),
            id="number-element",
        ),
        pytest.param(
            '["a",1,[x]',
            GoJSONResult(None, "invalid character 'x' looking for beginning of value", "syntax", 9, 8),
            id="syntax-error-beats-earlier-type-error",
        ),
        pytest.param(
            '"[\\"a\\"]"',
            GoJSONResult(None, "json: cannot unmarshal string into Go value of type []string", "type", 9, 0),
            id="string-holding-json",
        ),
        pytest.param(
            '["a", tru',
            GoJSONResult(None, "invalid character ' ' in literal true (expecting 'e')", "syntax", 9, 9),
            id="literal-cut-off-at-end-is-flushed-with-a-space",
        ),
        pytest.param(
            '["\\ud800", "\\ud83d\\ude00"]',
            GoJSONResult(("\ufffd", "\U0001f600"), None, "ok", None, None),
            id="lone-surrogate-escape-becomes-replacement-char",
        ),
        pytest.param(
            "[" * 10_001,
            GoJSONResult(None, "invalid character '[' exceeded max depth", "syntax", 10_001, 10_000),
            id="max-depth",
        ),
    ],
)
def test_json_examples(text: str, expected: GoJSONResult) -> None:
    assert decode_string_slice(text) == expected



def _fast_path_disagreements(inputs: list[str]) -> tuple[int, list[str]]:
    """How many inputs the fast path answers, and where its answer is not the emulation's."""
    answered, problems = 0, []
    for text in inputs:
        fast = _fast_decode(text)
        if fast is None:
            continue
        answered += 1
        slow = _emulate(text)
        if fast != slow:
            problems.append(f"  {_short(text)}\n    fast:      {fast}\n    emulation: {slow}")
    return answered, problems


def test_json_fast_path_is_the_emulation_on_every_vector() -> None:
    """Every committed Go vector (and the live oracle's second seed) through both paths: the fast path either
    declines or gives exactly the emulation's answer, and it answers only where Go decoded without error."""
    vectors = regenerate.read_vectors("json")
    go_ok = {vector["input"] for vector in vectors if vector["kind"] == "ok"}
    inputs = [vector["input"] for vector in vectors] + generator.cases("json", LIVE_SEEDS[1])
    answered, problems = _fast_path_disagreements(inputs)
    assert not problems, f"{len(problems)} fast-path answers differ\n" + "\n".join(problems[:MAX_REPORTED])
    assert not {v["input"] for v in vectors if _fast_decode(v["input"]) is not None} - go_ok
    assert answered >= 300, f"the fast path answered only {answered} inputs: the comparison proves little"


HOSTILE_JSON = [
    "[NaN]", '["a", NaN]', "[Infinity]", "[-Infinity]", '["a",-Infinity]',  # Python accepts, Go does not
    '["\\ud800"]', '["\\udc00x"]', '["\\ud83d\\ude00"]', '["\\ud83d"]', '["\\u0041"]',  # \u escapes
    '["\ud800"]', '["a\udfff"]',  # lone surrogates in the Python str: Go sees U+FFFD
    '["\u00e9"]', "[\u201ca\u201d]", "\ufeff[\"a\"]", '["a"]\u00a0', '\u3000["a"]',  # non-ASCII
    '[{"a": "1", "a": "2"}]', '[{"a": 1}]', '{"a": ["x"]}',  # objects, duplicate keys
    "[1e400]", "[-0]", "[1.]", "[01]", "[123456789012345678901234567890]", '["a", 1.5e-7]',  # numbers
    '["a\tb"]', '["a\nb"]', '["a\x00"]', '["\x1f"]', '["\x7f"]',  # raw control characters, DEL
    '\x0c["a"]', '["a"]\x0b', '[\x0c"a"]', '["a",\x85"b"]',  # whitespace outside Go's set
    ' \t\r\n["a"] \t\r\n',  # whitespace both accept
    '["a"] x', '["a"]["b"]', '["a"],', '["a",]', "[,]", "[", "", " ", "]",  # trailing data, truncation
    '["a\\x"]', '["a\\\'"]', '["\\', '["\\"]',  # escapes Go and Python reject
    '["\\"\\\\\\/\\b\\f\\n\\r\\t"]',  # the simple escapes both read alike
    "null", "true", '"a"', "1", "[null]", '[null, "a", null]', "[true]", '[["a"]]', "[[]]",
    "[" * 10_001, "[" * 100_000 + "]" * 100_000, "[" * 5_000 + "]" * 5_000,  # depth
]


@pytest.mark.parametrize("text", HOSTILE_JSON)
def test_json_fast_path_hostile(text: str) -> None:
    """Where the decoders could differ, the fast path declines; where it answers, it is the emulation."""
    fast = _fast_decode(text)
    slow = _emulate(text)
    if fast is not None:
        assert fast == slow
        assert slow.kind == "ok"
    assert decode_string_slice(text) == slow


@pytest.mark.parametrize("text", [
    "[NaN]", "[Infinity]", '["\\ud800"]', '["\ud800"]', '[{"a": "1", "a": "2"}]', "[-0]", "[1.]", "[01]",
    "[1e400]", '["a\tb"]', '\x0c["a"]', '["a"] x', "[" * 100_000 + "]" * 100_000, '["\u00e9"]', "null",
])
def test_json_fast_path_declines_where_python_and_go_may_differ(text: str) -> None:
    assert _fast_decode(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", GoDuration(None, 'time: missing unit in duration "30"')),
        ("1d", GoDuration(None, 'time: unknown unit "d" in duration "1d"')),
        ("60 s", GoDuration(None, 'time: unknown unit " s" in duration "60 s"')),
        ("60S", GoDuration(None, 'time: unknown unit "S" in duration "60S"')),
        (" 60s", GoDuration(None, 'time: invalid duration " 60s"')),
        ("-5s", GoDuration(-5_000_000_000, None)),
        ("0", GoDuration(0, None)),
        ("1.5m", GoDuration(90_000_000_000, None)),
        ("1h30m", GoDuration(5_400_000_000_000, None)),
        ("2µs", GoDuration(2_000, None)),
        ("1µd", GoDuration(None, 'time: unknown unit "\\xc2\\xb5d" in duration "1\\xc2\\xb5d"')),
        ("9223372036854775808ns", GoDuration(None, 'time: invalid duration "9223372036854775808ns"')),
        ("-9223372036854775808ns", GoDuration(-9_223_372_036_854_775_808, None)),
        ("9223372036854775808ns9223372036854775808ns", GoDuration(0, None)),  # Go's uint64 sum wraps to 0
    ],
)
def test_duration_examples(text: str, expected: GoDuration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", None), ("True", True), ("t", True), (" true", None), ("tRUE", None), ("0", False), ("", None)],
)
def test_parse_bool_examples(text: str, expected: bool | None) -> None:
    assert parse_bool(text) is expected
