"""The hook in .pre-commit-hooks.yaml, run by the real pre-commit on a throw-away repository.

pre-commit installs this repository into its own virtual environment (as a user's pre-commit would, from
the package registry's dependencies), then runs `vmlint check` on the files it is given.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, tool_missing

CLEAN = (EXAMPLES / "harvester-kb-corrected.yaml").read_text(encoding="utf-8")
BROKEN = (EXAMPLES / "harvester-kb-published.yaml").read_text(encoding="utf-8")


def _pre_commit() -> list[str]:
    found = shutil.which("pre-commit")
    if found:
        return [found]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        tool_missing("pre-commit is not installed (pip install pre-commit): the real-hook test is skipped")
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / ".git").exists():
        tool_missing("the vmlint checkout is not a git repository: pre-commit try-repo needs one")
    work = tmp_path_factory.mktemp("precommit")
    repo = work / "manifests"
    repo.mkdir()
    (repo / "vm-clean.yaml").write_text(CLEAN, encoding="utf-8")
    (repo / "vm-broken.yaml").write_text(BROKEN, encoding="utf-8")
    (repo / "notes.txt").write_text("not yaml: not linted\n", encoding="utf-8")
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return work


def _try_repo(workspace: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(workspace / "cache"), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [*_pre_commit(), "try-repo", str(REPO), "vmlint", "--files", *files],
        cwd=workspace / "manifests", env=env, capture_output=True, text=True, timeout=600,
    )


def test_hook_passes_on_a_clean_manifest(workspace: Path) -> None:
    done = _try_repo(workspace, "vm-clean.yaml", "notes.txt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "vmlint" in done.stdout and "Passed" in done.stdout


def test_hook_fails_on_a_broken_manifest_and_shows_the_finding(workspace: Path) -> None:
    done = _try_repo(workspace, "vm-clean.yaml", "vm-broken.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "vm-broken.yaml:15:137: VM001 [error] invalid YAML: the single-quoted value" in done.stdout
