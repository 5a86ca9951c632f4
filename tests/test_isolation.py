"""One bad file never sinks the run (lint.run.isolation): a defect of vmlint met on one file is a VM009 finding on
that file, every other file is linted as usual, and the exit code is 1, not 2.

The defects are planted by monkeypatching a function of vmlint for one file: no real input is known to make
vmlint fail (each one the fuzzers found is fixed and has its own regression test). Worker processes inherit the
patch through fork, Linux's start method.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
from pathlib import Path

import pytest

import lint.checks.keys
import lint.run.engine
import lint.run.prepass
from lint import __version__
from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, Severity
from lint.kube.kustomize import KustomizeIndex
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.run.runner import Request, execute
from lint.target.settings import Settings

PLANTED = "planted"
SELECT = ("VM0", "VM102", "VM5")  # VM004's check is the one planted; VM102 is each VM's own finding
SECRET = b"apiVersion: v1\nkind: Secret\nmetadata: {name: ud, namespace: prod}\nstringData: {userdata: '#cloud-config'}\n"


def broken_vm(name: str) -> str:
    """A VM with a finding of its own (a JSON array without its `]`, VM102), so that lost findings would show."""
    return (f"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {name}\n  namespace: prod\n"
            "spec:\n  template:\n    metadata:\n      annotations:\n"
            "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\"'\n")


def repository(tmp_path: Path, good: int) -> Path:
    for number in range(good):
        (tmp_path / f"vm{number:02}.yaml").write_text(broken_vm(f"vm{number:02}"), encoding="utf-8")
    (tmp_path / f"{PLANTED}.yaml").write_text(broken_vm(PLANTED), encoding="utf-8")
    return tmp_path


def report(tmp_path: Path, jobs: int) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = execute(Request(paths=[str(tmp_path)], formats=["json"], select=list(SELECT), jobs=jobs, no_cache=True), stdout=stdout,
                   stderr=stderr)
    return code, json.loads(stdout.getvalue()), stderr.getvalue()


def by_file(document: dict) -> dict[str, list[tuple[str, int, int]]]:  # type: ignore[type-arg]
    found: dict[str, list[tuple[str, int, int]]] = {}
    for finding in document["findings"]:
        found.setdefault(Path(finding["path"]).name, []).append((finding["code"], finding["line"], finding["column"]))
    return found


def plant(monkeypatch: pytest.MonkeyPatch, fault) -> None:  # type: ignore[no-untyped-def]
    """Make VM004's check run `fault` on the planted VM, and behave as usual on every other."""
    original = lint.checks.keys.hook_not_on_pod

    def check(workload, ctx):  # type: ignore[no-untyped-def]
        if workload.name is not None and workload.name.value == PLANTED:
            fault()
        return original(workload, ctx)

    monkeypatch.setattr(lint.checks.keys, "hook_not_on_pod", check)


def raise_key_error() -> None:
    raise KeyError("a value that must never be printed")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(("fault", "jobs", "good"), [(raise_key_error, 1, 50), (die, 2, 70)], ids=["raises", "killed"])
def test_a_file_that_breaks_vmlint_gets_vm009_and_every_other_file_its_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault, jobs: int, good: int) -> None:  # type: ignore[no-untyped-def]
    repository(tmp_path, good)  # 70 files make two chunks per worker: the pool is used
    code, clean, _ = report(tmp_path, jobs)
    assert code == 1 and clean["summary"]["internal_errors"] == 0
    plant(monkeypatch, fault)
    code, planted, stderr = report(tmp_path, jobs)
    assert code == 1 and stderr == ""
    expected = by_file(clean)
    found = by_file(planted)
    assert len(expected) == good + 1
    assert {name: found[name] for name in expected if name != f"{PLANTED}.yaml"} == {
        name: codes for name, codes in expected.items() if name != f"{PLANTED}.yaml"}
    vm009 = [f for f in planted["findings"] if f["code"] == "VM009"]
    assert [(Path(f["path"]).name, f["severity"]) for f in vm009] == [(f"{PLANTED}.yaml", "error")]
    assert planted["summary"]["internal_errors"] == 1
    assert "must never be printed" not in json.dumps(planted)
    if fault is die:
        assert vm009[0]["message"] == (
            f"internal error: vmlint {__version__} failed while linting this file (the worker process died: a crash "
            "inside a C extension, or a signal); this is a defect of vmlint, not of the manifest: this file's "
            "findings may be incomplete, every other file was linted")
        assert (vm009[0]["line"], vm009[0]["column"]) == (1, 1)
    else:  # the check failed on the VM: the finding points at it, and the file's other checks still ran
        assert re.fullmatch(
            rf"internal error: vmlint {re.escape(__version__)} failed while running the check of VM004 \(KeyError "
            r"raised at lint/run/engine\.py:\d+ \(_lint\)\); this is a defect of vmlint, not of the manifest: "
            r"this file's findings may be incomplete, every other file was linted", vm009[0]["message"])
        assert (vm009[0]["line"], vm009[0]["column"], vm009[0]["kind"], vm009[0]["name"]) == (
            1, 1, "VirtualMachine", PLANTED)
        assert sorted(found[f"{PLANTED}.yaml"]) == sorted([*expected[f"{PLANTED}.yaml"], ("VM009", 1, 1)])


def test_the_text_summary_counts_the_files_vmlint_failed_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repository(tmp_path, 2)
    plant(monkeypatch, raise_key_error)
    stdout = io.StringIO()
    assert execute(Request(paths=[str(tmp_path)], select=list(SELECT), jobs=1, no_cache=True), stdout=stdout, stderr=io.StringIO()) == 1
    assert stdout.getvalue().rstrip("\n").rsplit("\n", 1)[-1] == (
        "Found 4 findings (4 errors) in 3 files; vmlint failed on 1 of them (VM009, a defect to report).")


def inputs(count: int = 3) -> list[InputFile]:
    files = [InputFile(f"vm{n}.yaml", None, broken_vm(f"vm{n}").encode()) for n in range(count)]
    return [*files, InputFile("secret.yaml", None, SECRET)]


def codes(findings: list[Finding]) -> list[tuple[str, str, int, int]]:
    return [(f.path, f.code, f.line, f.column) for f in findings]


def test_a_parser_defect_is_vm009_at_the_start_of_that_file(monkeypatch: pytest.MonkeyPatch) -> None:
    original = lint.run.engine.load_file

    def load_file(path, data, **kwargs):  # type: ignore[no-untyped-def]
        if path == "vm1.yaml":
            raise AttributeError("'_PureComposer' object has no attribute 'doc_infos'")
        return original(path, data, **kwargs)

    monkeypatch.setattr(lint.run.engine, "load_file", load_file)
    result = run(inputs(), select_rules(builtin_catalogue(), SELECT), Settings())
    assert codes(result.findings) == [
        ("vm0.yaml", "VM102", 10, 80), ("vm1.yaml", "VM009", 1, 1), ("vm2.yaml", "VM102", 10, 80)]
    vm009 = result.findings[1]
    # the innermost frame of vmlint's own code (the planted one is the test's)
    assert vm009.severity == Severity.ERROR and re.match(
        rf"internal error: vmlint {re.escape(__version__)} failed while parsing this file \(AttributeError raised "
        r"at lint/run/engine\.py:\d+ \(lint_one\)\);", vm009.message)
    assert "doc_infos" not in vm009.message and result.errors == []


def test_pre_pass_defects_are_vm009_on_their_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-pass reads every file for kustomizations and parses the Secrets before any check runs."""
    def secret_data(obj):  # type: ignore[no-untyped-def]
        raise ValueError("a Secret that must never be printed")

    monkeypatch.setattr(lint.run.prepass, "secret_data", secret_data)
    original = KustomizeIndex.add_input

    def add_input(self, display, *args, **kwargs):  # type: ignore[no-untyped-def]
        if display == "vm2.yaml":
            raise RecursionError("too deep")
        return original(self, display, *args, **kwargs)

    monkeypatch.setattr(KustomizeIndex, "add_input", add_input)
    result = run(inputs(), select_rules(builtin_catalogue(), SELECT), Settings(), jobs=1)
    assert codes(result.findings) == [
        ("secret.yaml", "VM009", 1, 1), ("vm0.yaml", "VM102", 10, 80), ("vm1.yaml", "VM102", 10, 80),
        ("vm2.yaml", "VM009", 1, 1), ("vm2.yaml", "VM102", 10, 80)]
    assert "while indexing its Secrets and exported state (ValueError raised at" in result.findings[0].message
    assert "while reading it as a kustomization (RecursionError raised at" in result.findings[3].message
    assert result.failed_files() == 2


def test_a_velero_check_defect_is_vm009_on_the_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    import lint.checks.backups

    def broken(obj, ctx):  # type: ignore[no-untyped-def]
        raise IndexError("list index out of range")

    monkeypatch.setattr(lint.checks.backups, "backup_hook_invalid", broken)
    backup = (b"apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: velero}\n"
              b"spec:\n  hooks:\n    resources: []\n")
    result = run([InputFile("backup.yaml", None, backup), *inputs(1)], select_rules(builtin_catalogue(), SELECT), Settings())
    assert codes(result.findings) == [("backup.yaml", "VM009", 1, 1), ("vm0.yaml", "VM102", 10, 80)]
    assert result.findings[0].kind == "Backup" and "running the check of VM501" in result.findings[0].message


def test_failed_outcomes_are_not_cached_and_a_corrupt_cache_is_rewritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    rules = select_rules(builtin_catalogue(), SELECT)
    plain = run(inputs(), rules, Settings())
    plant(monkeypatch, raise_key_error)
    files = [InputFile(f"{PLANTED}.yaml", None, broken_vm(PLANTED).encode()), *inputs()]
    failed = run(files, rules, Settings(), cache_dir=cache)
    assert failed.failed_files() == 1
    monkeypatch.undo()  # the defect is fixed: the next run must lint the file again, not recall the failure
    again = run(files, rules, Settings(), cache_dir=cache)
    assert again.failed_files() == 0 and [f.code for f in again.findings if f.path == f"{PLANTED}.yaml"] == ["VM102"]
    for table in cache.rglob("*.json"):
        table.write_bytes(b"\x00\xff{[ not json")
    assert run(inputs(), rules, Settings(), cache_dir=cache).findings == plain.findings
    assert all(json.loads(table.read_text()) for table in cache.rglob("*.json"))  # rewritten as valid JSON


def test_a_cache_directory_that_cannot_be_used_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    rules = select_rules(builtin_catalogue(), SELECT)
    assert run(inputs(), rules, Settings(), cache_dir=blocker).findings == run(inputs(), rules, Settings()).findings


def test_a_defect_in_one_file_s_fixes_leaves_that_file_alone_and_fixes_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lint.run.fixer

    good = tmp_path / "good.yaml"
    good.write_text(broken_vm("good").replace("command: '[\"/usr/bin/virt-freezer\", \"--freeze\"'",
                                              "on-error: fail"), encoding="utf-8")  # VM105, a safe fix
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(good.read_bytes())
    original = lint.run.fixer.plan

    def plan(item, *args, **kwargs):  # type: ignore[no-untyped-def]
        if item.display.endswith("bad.yaml"):
            raise TypeError("unsupported operand")
        return original(item, *args, **kwargs)

    monkeypatch.setattr(lint.run.fixer, "plan", plan)
    before = bad.read_bytes()
    stderr = io.StringIO()
    execute(Request(paths=[str(tmp_path)], fix=True, unsafe_fixes=True, no_cache=True, jobs=1),
            stdout=io.StringIO(), stderr=stderr)
    assert bad.read_bytes() == before and good.read_bytes() != before
    assert re.fullmatch(r"vmlint: not fixing \S+bad\.yaml: internal error \(TypeError raised at "
                        r"lint/run/runner\.py:\d+ \(_fix\)\)\n", stderr.getvalue())


def test_remembered_facts_of_the_wrong_shape_are_computed_again(tmp_path: Path) -> None:
    """A facts table that is still JSON but not what vmlint wrote (a damaged or foreign cache) is never trusted."""
    cache = tmp_path / "cache"
    files = []
    for item in [*inputs(), InputFile("kustomization.yaml", None, b"namespace: prod\nresources: [vm0.yaml]\n")]:
        (tmp_path / item.display).write_bytes(item.read())
        files.append(InputFile(item.display, tmp_path / item.display))
    rules = select_rules(builtin_catalogue(), SELECT)
    plain = run(files, rules, Settings())
    run(files, rules, Settings(), cache_dir=cache)
    facts = cache / "facts" / "facts.json"
    table = json.loads(facts.read_text())
    assert {key.split(":")[0] for key in table["entries"]} == {"secrets-images-configmaps", "kustomization"}
    table["entries"] = {key: {"damaged": [1]} for key in table["entries"]}
    facts.write_text(json.dumps(table))
    for entries in cache.glob("*.json"):  # outcomes too, so that the pre-pass's facts are used again
        entries.unlink()
    assert run(files, rules, Settings(), cache_dir=cache).findings == plain.findings
    assert all(not isinstance(value, dict) for value in json.loads(facts.read_text())["entries"].values())


def test_a_chunk_of_files_is_linted_with_the_collector_paused_and_it_runs_again_after() -> None:
    """The collector is off while a chunk's tasks run, on again afterwards, also when a task fails, and left
    off where the caller had turned it off; isolated_map on one process pauses it per chunk."""
    import gc

    from lint.run.isolation import Failure, guarded_chunk, isolated_map

    items = [InputFile("x.yaml", None, b""), InputFile("y.yaml", None, b"")]
    assert gc.isenabled()
    assert guarded_chunk(lambda item: gc.isenabled(), items) == [False, False]
    assert gc.isenabled()
    failed, fine = guarded_chunk(lambda item: 1 / 0 if item.display == "x.yaml" else gc.isenabled(), items)
    assert isinstance(failed, Failure) and fine is False and gc.isenabled()
    seen = []
    for result in isolated_map(lambda item: gc.isenabled(), items * 40, 1, 32):
        seen.append((result, gc.isenabled()))  # the caller runs with the collector on
    assert seen == [(False, True)] * 80
    gc.disable()
    try:
        assert guarded_chunk(lambda item: gc.isenabled(), items) == [False, False]
        assert not gc.isenabled()
    finally:
        gc.enable()
