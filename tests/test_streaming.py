"""Reports written as the run goes (lint.reporters.stream): the same bytes as the collected report, and each
file's findings handed on before the run is over.

A streamed run keeps no finding: the engine hands each file's findings, complete and sorted, to the reporters,
files in path order (the main pass lints them in that order), and the files from the first one with Velero
objects on wait in a temporary file until the Velero pass has every file's launchers. This holds only if the
report's global order (Finding.sort_key) is the concatenation of each file's sorted findings in path order:
what these tests check, on the examples and a generated repository, discovered in an order that is not the
paths' (a directory's files come before its subdirectories', `a-b/` after `a/`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, RunResult
from lint.reporters import STREAMING, reporter, stream
from lint.run.discovery import InputFile, discover
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
  namespace: prod
spec:
  template:
    metadata:
      annotations:
        pre.hook.backup.velero.io/command: '["/usr/bin/virt-freezer", "--freeze"]'
    spec:
      domain: {{}}
"""

BACKUP = """apiVersion: velero.io/v1
kind: Backup
metadata: {name: nightly, namespace: velero}
spec:
  includedNamespaces: [prod]
  hooks:
    resources:
      - name: freeze
        labelSelector: {matchLabels: {kubevirt.io: virt-launcher}}
        pre:
          - exec: {container: compute, command: [/usr/bin/virt-freezer, --freeze]}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("streaming") / "repo"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), str(out), "--files", "150", "--seed", "3"],
                   check=True, capture_output=True)
    return out


def _streamed(inputs: list[InputFile], name: str, jobs: int, **options: bool) -> tuple[str, RunResult]:
    pieces: list[str] = []
    writer = stream(name, pieces.append, **options)
    result = run(inputs, select_rules(builtin_catalogue(), ("ALL",)), Settings(), jobs=jobs, report=writer.findings)
    result.seconds = 0.0
    writer.end(result)
    return "".join(pieces), result


def _collected(inputs: list[InputFile], name: str, jobs: int, **options: bool) -> tuple[str, RunResult]:
    result = run(inputs, select_rules(builtin_catalogue(), ("ALL",)), Settings(), jobs=jobs)
    result.seconds = 0.0
    return reporter(name, **options)(result), result


@pytest.mark.parametrize("jobs", [1, 2])
def test_streamed_reports_are_the_collected_reports_byte_for_byte(generated: Path, jobs: int) -> None:
    inputs = list(discover([str(generated), str(REPO / "examples")]))
    displays = [item.display for item in inputs]
    assert displays != sorted(displays)  # discovery's order is not the report's: the engine must reorder
    for name in STREAMING:
        variants: list[dict[str, bool]] = [{}]
        if name == "text":
            variants += [{"quiet": True}, {"statistics": True, "color": True}]
        for options in variants:
            collected, kept = _collected(inputs, name, jobs, **options)
            streamed, counted = _streamed(inputs, name, jobs, **options)
            assert streamed == collected, (name, options)
            assert not counted.findings and counted.total() == kept.total() > 100
            assert counted.failed_files() == kept.failed_files()


def test_a_file_named_twice_and_a_clean_run_stream_as_they_collect(tmp_path: Path) -> None:
    (tmp_path / "clean.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    twice = [InputFile("b.yaml", None, VM.format(name="b").encode()), InputFile("a.yaml", None, BACKUP.encode()),
             InputFile("b.yaml", None, VM.format(name="b2").encode())]
    for inputs in (twice, list(discover([str(tmp_path / "clean.yaml")]))):
        for name in STREAMING:
            assert _streamed(inputs, name, 1)[0] == _collected(inputs, name, 1)[0], name


def test_each_file_is_reported_before_the_run_is_over() -> None:
    """The first file's findings reach the reporter while later files are still to be linted; from a file with
    Velero objects on, files wait for the Velero pass (which needs every file's launchers)."""
    names = [f"vm{number}.yaml" for number in range(6)]
    inputs = [InputFile(name, None, VM.format(name=name[:-5]).encode()) for name in names]
    inputs.insert(3, InputFile("vm2-backup.yaml", None, BACKUP.encode()))  # between vm2 and vm3 in path order
    events: list[tuple[str, object]] = []

    def report(findings: list[Finding]) -> None:
        assert len({finding.path for finding in findings}) == 1  # one file per call, whole
        events.append(("report", findings[0].path))

    run(inputs, select_rules(builtin_catalogue(), ("ALL",)), Settings(),
        progress=lambda number, total: events.append(("linted", number)), report=report)
    reported = [what for event, what in events if event == "report"]
    assert reported == ["vm0.yaml", "vm1.yaml", "vm2-backup.yaml", "vm2.yaml", "vm3.yaml", "vm4.yaml", "vm5.yaml"]
    last_linted = events.index(("linted", len(inputs)))
    assert events.index(("report", "vm0.yaml")) < events.index(("linted", 3))  # once the next path came
    assert events.index(("report", "vm1.yaml")) < last_linted
    # vm2-backup.yaml has Velero objects: it and every file after it are reported once all are linted
    assert all(events.index(("report", path)) > last_linted for path in reported[2:])


def test_the_command_line_streams_to_files_and_standard_output_as_it_collects(generated: Path,
                                                                              tmp_path: Path) -> None:
    """--format sarif among the reports makes the run collect its findings; the other reports must not change."""
    reports = {"json": "report.json", "junit": "report.xml", "gitlab": "report.gitlab.json"}
    args = [arg for name, output in reports.items() for arg in ("--format", name, "--output", output)]
    streamed, collected = tmp_path / "streamed", tmp_path / "collected"
    streamed.mkdir()
    collected.mkdir()
    first = run_cli("check", "--no-cache", generated, *args, "--format", "text", cwd=streamed)
    second = run_cli("check", "--no-cache", generated, *args, "--format", "sarif", "--output", "report.sarif",
                     "--format", "text", cwd=collected)
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout and first.stderr == second.stderr
    for output in reports.values():
        left, right = ((where / output).read_text(encoding="utf-8") for where in (streamed, collected))
        assert re.sub(r' time="[0-9.]+"', "", left) == re.sub(r' time="[0-9.]+"', "", right), output
