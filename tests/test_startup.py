"""What a one-file run (the pre-commit case) does at start-up: it imports no check module a file does not need.

These tests assert behaviour (what is imported, what is read), never timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, cli_env
from lint.checks import registry

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


# --- lazy imports ---------------------------------------------------------------------------------------------------


def test_every_registered_check_resolves_to_a_function() -> None:
    for name, spec in registry().items():
        assert callable(spec.function), name


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
