"""Hostile and broken input: never a traceback, never a hang, a finding or a one-line error, a defined exit.

Every class of tests/hostile_inputs.py is linted with every rule and rendered in every format. A subprocess
run per class would cost minutes; the engine is driven in-process (where an escaping exception fails the
test with its traceback), and the command line is run on a handful of classes for exit codes and stderr.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from hostile_inputs import VM, hostile_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lint.core.catalogue import builtin_catalogue
from lint.reporters import FORMATS, reporter
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

CATALOGUE = builtin_catalogue()
ALL = select_rules(CATALOGUE, ("ALL",))
INPUTS = hostile_inputs(large=True)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPORT_SCHEMA = Path(__file__).resolve().parent.parent / "lint" / "schemas" / "report.schema.json"


def lint_bytes(data: bytes):  # type: ignore[no-untyped-def]
    return run([InputFile("hostile.yaml", None, data)], ALL, Settings())


def assert_sane(data: bytes, result) -> None:  # type: ignore[no-untyped-def]
    assert result.errors == []
    lines = max(1, data.count(b"\n") + data.count(b"\r") + 1)
    for finding in result.findings:
        assert 1 <= finding.line <= lines and finding.column >= 1, finding
        assert (finding.end_line, finding.end_column) >= (finding.line, finding.column), finding
    for name in FORMATS:
        text = reporter(name, catalogue=CATALOGUE)(result)
        if name in ("json", "sarif"):
            json.loads(text)
        else:  # what reaches a terminal or a CI log carries no raw control character
            assert not RAW_CONTROL.search(text), (name, text[:300])


@pytest.mark.parametrize("name", list(INPUTS))
def test_every_hostile_class_gives_findings_not_a_crash(name: str) -> None:
    data = INPUTS[name]()
    assert_sane(data, lint_bytes(data))


EXPECTED = {
    "binary with NUL": ["VM001"],
    "invalid UTF-8": ["VM001"],
    "nesting 100,000 flow": ["VM005"],
    "unclosed nesting": ["VM005"],
    "alias bomb": ["VM005"],
    "recursive alias": ["VM001"],
    "undefined alias": ["VM001"],
    "tabs for indentation": ["VM001"],
    "long line": ["VM005"],
    "helm template": ["VM006"],
    "jinja template": ["VM006"],
    "empty": [],
    "only comments": [],
    "only document markers": [],
    "50 MB manifest": [],
    "100,000 documents": [],
}


@pytest.mark.parametrize(("name", "codes"), EXPECTED.items())
def test_what_each_class_is_reported_as(name: str, codes: list[str]) -> None:
    result = lint_bytes(INPUTS[name]())
    assert sorted({f.code for f in result.findings}) == codes


def test_the_merge_key_bomb_costs_no_more_than_its_text() -> None:
    """3^10 merged copies stay under the expansion cap: each merged mapping is read once, not once a copy."""
    result = lint_bytes(INPUTS["merge-key bomb"]())
    assert result.errors == [] and "VM005" not in {f.code for f in result.findings}
    deeper = INPUTS["merge-key bomb"]().replace(b"m9", b"m9x")  # still well-formed, same cost
    assert lint_bytes(deeper).errors == []


def test_python_tags_never_construct_anything(tmp_path: Path) -> None:
    marker = Path("/tmp/vmlint-pwned")
    marker.unlink(missing_ok=True)
    assert_sane(INPUTS["python object tag"](), lint_bytes(INPUTS["python object tag"]()))
    assert not marker.exists()


def test_two_thousand_vms_in_one_file_are_all_linted() -> None:
    result = lint_bytes(INPUTS["2,000 VMs in one file"]())
    assert result.workloads == 2_000 and result.errors == []
    assert sum(f.code == "VM301" for f in result.findings) == 2_000


# --- the command line: exit codes and one-line errors ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "exit_code"), [("binary with NUL", 1), ("alias bomb", 1), ("empty", 0),
                                                  ("nesting 100,000 flow", 1), ("control characters", 1)])
def test_cli_on_hostile_files(tmp_path: Path, name: str, exit_code: int) -> None:
    (tmp_path / "h.yaml").write_bytes(INPUTS[name]())
    done = run_cli("check", "--select", "VM0,VM1,VM2", "h.yaml", cwd=tmp_path)
    assert done.exit_code == exit_code and done.stderr == ""
    assert not RAW_CONTROL.search(done.stdout)


def test_symlink_loops_dangling_links_and_vanished_files(tmp_path: Path) -> None:
    (tmp_path / "loop").mkdir()
    os.symlink("..", tmp_path / "loop" / "up")  # a directory loop: discovery does not follow links
    (tmp_path / "loop" / "vm.yaml").write_text(VM)
    os.symlink(tmp_path / "missing.yaml", tmp_path / "loop" / "dangling.yaml")
    done = run_cli("check", "--select", "VM0", "loop", cwd=tmp_path)
    assert done.exit_code == 2
    assert done.stderr == "vmlint: error: cannot read loop/dangling.yaml: No such file or directory\n"
    vanished = run([InputFile("gone.yaml", tmp_path / "gone.yaml")], ALL, Settings())
    assert vanished.errors == ["cannot read gone.yaml: No such file or directory"]


def test_hostile_environment_gives_the_same_findings(tmp_path: Path) -> None:
    """No network, an unwritable HOME and an odd locale change nothing."""
    (tmp_path / "vm.yaml").write_text(VM.replace('"web"', '"other"'))
    normal = run_cli("check", "-f", "json", "vm.yaml", cwd=tmp_path)
    odd_env = {"HOME": "/nonexistent", "LC_ALL": "tr_TR.UTF-8", "LANG": "C", "http_proxy": "http://127.0.0.1:9",
               "https_proxy": "http://127.0.0.1:9", "PYTHONIOENCODING": "latin-1"}
    import subprocess
    import sys

    from conftest import REPO, cli_env

    hostile = subprocess.run([sys.executable, "-m", "lint", "check", "-f", "json", "vm.yaml"], cwd=tmp_path,
                             env={**cli_env(), **odd_env}, capture_output=True)
    assert hostile.returncode == normal.exit_code == 1
    assert json.loads(hostile.stdout.decode("latin-1")) == json.loads(normal.stdout) or (
        json.loads(hostile.stdout.decode("utf-8")) == json.loads(normal.stdout))
    assert REPO.exists()


# --- property: structured VM manifests with random mutations --------------------------------------------------------

_PIECES = ["'", '"', "[", "]", "{", "}", ":", "-", "#", "&a", "*a", "!!str", "\t", "\n", " ", ",", "|", ">", "\\",
           "<VM Name>", "${X}", "--name", "--freeze", "on-error", "Fail", "30", "\u201c", "\x00", "\x1b", "\ufeff"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(VM)), st.sampled_from(_PIECES),
                          st.integers(min_value=0, max_value=3)), max_size=6))
def test_mutated_manifests_never_crash(mutations: list[tuple[int, str, int]]) -> None:
    text = VM
    for position, piece, drop in mutations:
        position = min(position, len(text))
        text = text[:position] + piece + text[position + drop:]
    data = text.encode("utf-8", "surrogatepass")
    assert_sane(data, lint_bytes(data))
