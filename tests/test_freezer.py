"""lint/golang/pflag.py against the real spf13/pflag that virt-freezer uses.

Three layers: every committed oracle vector (no Go needed), a live run of the Go oracle on cases
the committed file does not contain (skipped without Go and Debian's golang-github-spf13-pflag-dev,
unless VMLINT_REQUIRE_TOOLS=1), and named examples that show the behaviour a reader cares about.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lint.golang.pflag import (
    FLAGS,
    HELP_REQUESTED,
    NEED_ACTION,
    NEED_NAME_AND_NAMESPACE,
    FlagUse,
    FreezerArgs,
    last_use,
    parse_freezer_args,
)

ORACLE_DIR = Path(__file__).resolve().parent / "oracle"
sys.path.insert(0, str(ORACLE_DIR))

from gen_freezer_cases import DEFAULT_SEED, generate_cases  # noqa: E402
from regenerate_freezer import VECTORS, missing_tools, run_oracle  # noqa: E402

LIVE_SEED = DEFAULT_SEED + 1
LIVE_COUNT = 3000
SHOWN_MISMATCHES = 25


def _index_problems(args: Sequence[str], parsed: FreezerArgs) -> list[str]:
    """Check the argv positions, which the oracle cannot report, against the argv itself."""
    problems = []
    for use in parsed.uses:
        if not args[use.flag_index].startswith(f"--{use.name}"):
            problems.append(f"{use} does not point at --{use.name}")
        bare_bool = use.value_index == use.flag_index and "=" not in args[use.flag_index]
        located = "true" if bare_bool else args[use.value_index][use.value_offset:]
        if located != use.value:
            problems.append(f"{use} locates value {located!r}")
    if (parsed.parse_error is None) != (parsed.error_index is None):
        problems.append(f"parse_error {parsed.parse_error!r} with error_index {parsed.error_index!r}")
    return problems


def _mismatches(record: dict[str, Any]) -> list[str]:
    """Every way parse_freezer_args disagrees with one oracle record."""
    args = record["args"]
    parsed = parse_freezer_args(args)
    timeout_failed = (record["error"] or "").startswith('invalid argument') and (
        '"--unfreezeTimeoutSeconds" flag' in record["error"]
    )
    expected = {
        "freeze": record["freeze"],
        "unfreeze": record["unfreeze"],
        "name": record["name"],
        "namespace": record["namespace"],
        "unfreeze_timeout_seconds": None if timeout_failed else record["unfreezeTimeoutSeconds"],
        "uses": [list(pair) for pair in record["uses"]],
        "positional": record["positional"],
        "parse_error": record["error"],
        "validation_error": record["validation"],
        "exit_code": record["exit_code"],
    }
    actual = {
        "freeze": parsed.freeze,
        "unfreeze": parsed.unfreeze,
        "name": parsed.name,
        "namespace": parsed.namespace,
        "unfreeze_timeout_seconds": parsed.unfreeze_timeout_seconds,
        "uses": [[use.name, use.value] for use in parsed.uses],
        "positional": [args[index] for index in parsed.positional],
        "parse_error": parsed.parse_error,
        "validation_error": parsed.validation_error,
        "exit_code": parsed.exit_code,
    }
    problems = [
        f"{key}: pflag {expected[key]!r}, model {actual[key]!r}" for key in expected if expected[key] != actual[key]
    ]
    problems += _index_problems(args, parsed)
    return [f"{json.dumps(args)}: {problem}" for problem in problems]


def _assert_agrees(records: Sequence[dict[str, Any]]) -> None:
    mismatches = [line for record in records for line in _mismatches(record)]
    shown = "\n".join(mismatches[:SHOWN_MISMATCHES])
    assert not mismatches, f"{len(mismatches)} disagreements with pflag over {len(records)} cases:\n{shown}"


def test_committed_vectors() -> None:
    records = [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").split("\n") if line]
    assert len(records) >= 3000
    _assert_agrees(records)


def test_live_oracle_on_fresh_cases() -> None:
    reason = missing_tools()
    if reason is not None:
        if os.environ.get("VMLINT_REQUIRE_TOOLS") == "1":
            pytest.fail(f"VMLINT_REQUIRE_TOOLS=1 but {reason}")
        pytest.skip(f"live pflag comparison needs Go and the pflag source: {reason}")
    _assert_agrees(run_oracle(generate_cases(seed=LIVE_SEED, count=LIVE_COUNT)))


def test_flag_table_matches_virt_freezer() -> None:
    assert {name: (spec.kind, spec.default) for name, spec in FLAGS.items()} == {
        "freeze": ("bool", False),
        "unfreeze": ("bool", False),
        "name": ("string", ""),
        "namespace": ("string", ""),
        "unfreezeTimeoutSeconds": ("int32", 300),
    }
    assert [name for name, spec in FLAGS.items() if spec.takes_value] == ["name", "namespace", "unfreezeTimeoutSeconds"]


def test_kubevirt_injected_command_is_accepted() -> None:
    parsed = parse_freezer_args(["--freeze", "--name", "vm", "--namespace", "ns"])
    assert (parsed.freeze, parsed.unfreeze, parsed.name, parsed.namespace) == (True, False, "vm", "ns")
    assert parsed.unfreeze_timeout_seconds == 300
    assert (parsed.exit_code, parsed.parse_error, parsed.validation_error) == (0, None, None)
    assert parsed.uses == (
        FlagUse("freeze", "true", 0, 0, 0),
        FlagUse("name", "vm", 1, 2, 0),
        FlagUse("namespace", "ns", 3, 4, 0),
    )


def test_missing_value_swallows_the_next_flag() -> None:
    parsed = parse_freezer_args(["--name", "--namespace", "ns"])
    assert parsed.name == "--namespace"
    assert parsed.namespace == ""
    assert parsed.positional == (2,)
    assert parsed.parse_error is None
    assert (parsed.exit_code, parsed.validation_error) == (1, NEED_ACTION)


def test_single_dash_is_an_unknown_shorthand() -> None:
    parsed = parse_freezer_args(["--freeze", "-name", "vm", "--namespace", "ns"])
    assert parsed.parse_error == "unknown shorthand flag: 'n' in -name"
    assert (parsed.error_index, parsed.exit_code) == (1, 2)


def test_kebab_case_timeout_is_unknown() -> None:
    parsed = parse_freezer_args(["--freeze", "--name", "vm", "--namespace", "ns", "--unfreeze-timeout-seconds", "5"])
    assert parsed.parse_error == "unknown flag: --unfreeze-timeout-seconds"
    assert (parsed.error_index, parsed.exit_code) == (5, 2)


def test_zero_timeout_is_accepted() -> None:
    parsed = parse_freezer_args(["--freeze", "--name", "vm", "--namespace", "ns", "--unfreezeTimeoutSeconds=0"])
    assert parsed.unfreeze_timeout_seconds == 0
    assert parsed.exit_code == 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("0x10", 16), ("010", 8), ("0o17", 15), ("0b101", 5), ("+5", 5), ("1_000", 1000), ("2147483647", 2147483647)],
)
def test_timeout_uses_go_integer_syntax(value: str, seconds: int) -> None:
    parsed = parse_freezer_args(["--unfreeze", "--name", "vm", "--namespace", "ns", f"--unfreezeTimeoutSeconds={value}"])
    assert parsed.unfreeze_timeout_seconds == seconds


@pytest.mark.parametrize(
    ("value", "reason"),
    [("2147483648", "value out of range"), ("1e3", "invalid syntax"), (" 5", "invalid syntax"), ("", "invalid syntax")],
)
def test_bad_timeout_is_a_parse_error(value: str, reason: str) -> None:
    parsed = parse_freezer_args(["--freeze", "--unfreezeTimeoutSeconds", value, "--name", "vm", "--namespace", "ns"])
    assert parsed.parse_error == (
        f'invalid argument "{value}" for "--unfreezeTimeoutSeconds" flag: '
        f'strconv.ParseInt: parsing "{value}": {reason}'
    )
    assert (parsed.unfreeze_timeout_seconds, parsed.error_index, parsed.exit_code) == (None, 2, 2)


def test_bool_value_as_separate_argument_is_positional() -> None:
    parsed = parse_freezer_args(["--freeze", "true", "--name", "vm", "--namespace", "ns"])
    assert parsed.freeze is True
    assert parsed.positional == (1,)
    assert parsed.exit_code == 0
    assert parse_freezer_args(["--freeze", "false", "--name", "vm", "--namespace", "ns"]).freeze is True


def test_bool_value_must_be_a_go_bool() -> None:
    assert parse_freezer_args(["--freeze=false", "--name", "vm", "--namespace", "ns"]).validation_error == NEED_ACTION
    parsed = parse_freezer_args(["--freeze=yes", "--name", "vm", "--namespace", "ns"])
    assert parsed.parse_error == 'invalid argument "yes" for "--freeze" flag: strconv.ParseBool: parsing "yes": invalid syntax'


def test_value_offsets_point_inside_the_element() -> None:
    args = ["--name=vm", "--namespace", "ns", "--freeze=true", "--unfreezeTimeoutSeconds=60"]
    parsed = parse_freezer_args(args)
    assert [(use.value_index, use.value_offset) for use in parsed.uses] == [(0, 7), (2, 0), (3, 9), (4, 25)]
    for use in parsed.uses:
        assert args[use.value_index][use.value_offset:] == use.value


def test_last_occurrence_wins() -> None:
    parsed = parse_freezer_args(["--name=vm", "--freeze", "--namespace", "ns", "--name", "other"])
    assert parsed.name == "other"
    assert last_use(parsed, "name") == FlagUse("name", "other", 4, 5, 0)
    assert last_use(parsed, "unfreeze") is None


def test_double_dash_ends_flags() -> None:
    parsed = parse_freezer_args(["--freeze", "--name", "vm", "--", "--namespace", "ns"])
    assert parsed.positional == (4, 5)
    assert parsed.validation_error == NEED_NAME_AND_NAMESPACE


def test_trailing_value_flag_needs_an_argument() -> None:
    parsed = parse_freezer_args(["--freeze", "--namespace", "ns", "--name"])
    assert (parsed.parse_error, parsed.error_index) == ("flag needs an argument: --name", 3)


def test_help_and_go_test_flags() -> None:
    assert parse_freezer_args(["--help"]).parse_error == HELP_REQUESTED
    assert parse_freezer_args(["-h"]).exit_code == 2
    parsed = parse_freezer_args(["-test.v", "--freeze", "--name", "vm", "--namespace", "ns"])
    assert (parsed.exit_code, parsed.positional) == (0, ())


def test_unicode_in_error_messages_uses_go_quoting() -> None:
    assert parse_freezer_args(["-\u00e9"]).parse_error == "unknown shorthand flag: '\u00c3' in -\u00e9"
    parsed = parse_freezer_args(["--unfreezeTimeoutSeconds=\u200b"])
    assert parsed.parse_error is not None
    assert 'parsing "\\u200b"' in parsed.parse_error
