"""What a one-file run (the pre-commit case) does at start-up: it reads the compiled catalogue, never a stale
one, and imports only what it uses: no jsonschema for a valid configuration, no reporter it does not write, no
fixer, baseline or audit code unless asked, no check module a file does not need.

These tests assert behaviour (what is imported, what is read), never timings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import EXAMPLES, cli_env
from hypothesis import given, settings
from hypothesis import strategies as st

from lint.checks import registry
from lint.core import catalogue
from lint.core.catalogue import (
    COMPILED,
    CatalogueError,
    builtin_catalogue,
    compile_catalogue,
    load_catalogue,
    rules_directory,
)
from lint.run.config import _SCHEMA, conforms

SCHEMA = json.loads(_SCHEMA.read_text(encoding="utf-8"))
NEVER_ON_A_PLAIN_RUN = (
    "jsonschema", "rich", "lint.run.baseline", "lint.run.fixer", "lint.audit.verdicts", "lint.checks.backups", "lint.checks.policies",
    "lint.reporters.json", "lint.reporters.sarif", "lint.reporters.github", "lint.reporters.junit",
    "lint.reporters.gitlab", "lint.reporters.explain",
    # read only where needed: custom rule files, a document that does not parse, a Windows guest's answer file
    "lint.core.rulefiles", "lint.text.repair", "lint.guest.sysprep",
    # the language server's, imported by `vmlint server` alone
    "pygls", "lsprotocol", "cattrs", "lint.server", "lint.server.protocol", "lint.server.linting",
    "lint.server.positions",
)
VM = (EXAMPLES / "harvester-kb-corrected.yaml").read_text(encoding="utf-8")


def modules_after(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    """`vmlint ARGS` in a fresh interpreter: its exit code and every module it imported."""
    probe = ("import json, sys, runpy\n"
             f"sys.argv = ['vmlint', *{args!r}]\n"
             "try:\n    runpy.run_module('lint', run_name='__main__')\n"
             "except SystemExit as done:\n    code = done.code\n"
             "sys.stdout.write('\\n' + json.dumps([code, sorted(sys.modules)]))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=cli_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    code, modules = json.loads(done.stdout.rsplit("\n", 1)[-1])
    return code, set(modules)


def project(tmp_path: Path, config: str = "ignore: [VM5]\nfail-on: info\n") -> Path:
    (tmp_path / ".vmlint.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "vm.yaml").write_text(VM, encoding="utf-8")
    return tmp_path


# --- the compiled catalogue -----------------------------------------------------------------------------------------


def test_the_compiled_catalogue_is_up_to_date() -> None:
    assert COMPILED.read_text(encoding="utf-8") == compile_catalogue(rules_directory()), (
        "lint/core/catalogue.json does not match rules/*.yaml: regenerate it with `python -m lint.core.catalogue`")


def test_the_compiled_catalogue_is_used_and_gives_what_the_yaml_gives() -> None:
    directory = rules_directory()
    assert catalogue._compiled(directory) is not None
    compiled, from_yaml = builtin_catalogue(), load_catalogue(directory)
    assert compiled.rules == from_yaml.rules
    assert [rule.params for rule in compiled] == [rule.params for rule in from_yaml]  # params do not compare


def test_an_edited_rule_file_is_read_from_the_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(rules_directory(), rules)
    edited = rules / "VM105.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("summary: An", "summary: Changed an", 1))
    monkeypatch.setattr(catalogue, "rules_directory", lambda: rules)
    assert catalogue._compiled(rules) is None
    rule = builtin_catalogue.__wrapped__().get("VM105")  # type: ignore[attr-defined]
    assert rule is not None and rule.summary.startswith("Changed an") and rule.path == str(edited)
    (rules / "VM999.yaml").write_text(edited.read_text(encoding="utf-8").replace("code: VM105", "code: VM999"))
    assert builtin_catalogue.__wrapped__().get("VM999") is not None  # type: ignore[attr-defined]  # a new file too


def test_rule_data_that_json_would_change_is_not_compiled(tmp_path: Path) -> None:
    source = (rules_directory() / "VM105.yaml").read_text(encoding="utf-8")
    (tmp_path / "VM105.yaml").write_text(source + "params: {since: 2024-01-01}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="cannot be compiled to JSON"):
        compile_catalogue(tmp_path)
    (tmp_path / "VM105.yaml").write_text(source + "params: {1: one}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="does not survive"):
        compile_catalogue(tmp_path)


# --- lazy imports ---------------------------------------------------------------------------------------------------


def test_every_registered_check_resolves_to_a_function() -> None:
    for name, spec in registry().items():
        assert callable(spec.function), name


def test_a_plain_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    code, modules = modules_after(["check", "vm.yaml", "--no-cache"], project(tmp_path))
    assert code == 1  # the findings are infos, and the configuration fails on them: it was read
    assert "lint.reporters.text" in modules and "lint.checks.agent" in modules
    assert sorted(modules & set(NEVER_ON_A_PLAIN_RUN)) == []
    assert sorted(m for m in modules if m.split(".")[0] in ("pygls", "lsprotocol") or m.startswith("lint.server")) == []


def test_an_invalid_configuration_is_explained_by_jsonschema(tmp_path: Path) -> None:
    code, modules = modules_after(["check", "vm.yaml", "--no-cache"], project(tmp_path, "fail-on: nope\n"))
    assert code == 2 and "jsonschema" in modules


def test_only_the_chosen_reporter_is_imported(tmp_path: Path) -> None:
    code, modules = modules_after(["check", "--format", "json", "vm.yaml", "--no-cache"], project(tmp_path))
    assert code == 1 and "lint.reporters.json" in modules
    assert sorted(m for m in modules if m.startswith("lint.reporters.") and m != "lint.reporters.json") == []


def test_a_cached_file_imports_no_check(tmp_path: Path) -> None:
    project(tmp_path)
    first, _ = modules_after(["check", "vm.yaml"], tmp_path)
    again, modules = modules_after(["check", "vm.yaml"], tmp_path)
    assert first == again == 1
    assert sorted(m for m in modules if m.startswith("lint.checks.")) == []


def test_velero_checks_are_imported_for_velero_objects(tmp_path: Path) -> None:
    project(tmp_path, "fail-on: info\n")
    (tmp_path / "backup.yaml").write_text(
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: nightly\n  namespace: velero\n"
        "spec:\n  includedNamespaces: [prod]\n", encoding="utf-8")
    _, modules = modules_after(["check", "backup.yaml", "--no-cache"], tmp_path)
    assert "lint.checks.backups" in modules


# --- the configuration: valid without jsonschema, explained by it ---------------------------------------------------

CODES = st.sampled_from(["VM1", "VM102", "vm9", "ALL", "ORG001", "VMX", "", "VM1000", "X", "org", "VM"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False), st.text(max_size=4),
                    st.sampled_from(["error", "warning", "info", "strict", "default", "1.6.4", "VM105", "ORG1"]))
VALUES = st.recursive(SCALARS | CODES, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | CODES, inner, max_size=3), max_leaves=8)
KEYS = st.sampled_from([*SCHEMA["properties"], "selekt"])
LIMITS = st.dictionaries(st.sampled_from(["file-size", "scalar-size", "depth", "alias-expansion", "size"]),
                         st.integers(-1, 10**9) | st.floats(0, 9) | st.booleans(), max_size=3)
CONFIGS = st.dictionaries(KEYS, VALUES | LIMITS | st.lists(CODES, max_size=3)
                          | st.dictionaries(CODES, st.sampled_from(["error", "info", "fatal"]) | st.lists(CODES)),
                          max_size=5)


@settings(max_examples=400, deadline=None)
@given(CONFIGS)
def test_what_conforms_is_valid_for_jsonschema(values: dict[str, Any]) -> None:
    valid = jsonschema.Draft202012Validator(SCHEMA).is_valid(values)
    assert not conforms(values, SCHEMA, SCHEMA) or valid


@pytest.mark.parametrize("values", [
    {},
    {"select": ["VM0", "VM1", "vm2", "ALL", "ORG1"], "ignore": ["VM107"], "fail-on": "warning",
     "severity": {"VM304": "error", "ORG001": "info"}, "exclude": ["charts/**", "legacy"],
     "per-file-ignores": {"tests/**": ["VM201"]}, "kubevirt-version": "1.6.4", "velero-version": 1.15,
     "harvester-version": "v1.7.2", "namespace": "prod", "guest-agent-images": ["registry.example.com/golden/*"],
     "rules-dirs": ["policies"], "profile": "strict", "inline-suppressions": False,
     "limits": {"file-size": 67108864, "scalar-size": 1, "depth": 1000, "alias-expansion": 10}},
])
def test_a_valid_configuration_conforms(values: dict[str, Any]) -> None:
    assert jsonschema.Draft202012Validator(SCHEMA).is_valid(values)
    assert conforms(values, SCHEMA, SCHEMA)


def test_a_keyword_conforms_does_not_know_leaves_the_decision_to_jsonschema() -> None:
    schema = {"type": "object", "patternProperties": {"^x": {"type": "string"}}}
    assert not conforms({}, schema, schema)
    assert not conforms(1.0, {"type": "integer"}, {})  # valid, but only jsonschema says so


def test_what_start_up_imports_is_frozen_and_the_collector_runs_again() -> None:
    """lint.cli imports with the garbage collector off and freezes what it imported (nothing of it is garbage),
    so that no collection of the run walks it; collection itself is on again once it is imported."""
    probe = "import gc, lint.cli; print(gc.isenabled(), gc.get_freeze_count() > 10_000)"
    done = subprocess.run([sys.executable, "-c", probe], env=cli_env(), capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.split() == ["True", "True"]
