"""Shared helpers for tests that run vmlint as a real process (exit codes, stdout and stderr kept apart).

Import them directly: `from conftest import REPO, EXAMPLES, run_cli`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CORPUS = REPO.parent / "shared" / "corpus" / "real"


class Completed(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def cli_env() -> dict[str, str]:
    """The environment of a CI job that is not GitHub Actions (no job summary either), without colour, with the source tree importable."""
    env = {key: value for key, value in os.environ.items() if key not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    return env


def run_cli(*args: object, stdin: bytes | None = None, cwd: Path | str | None = None) -> Completed:
    """`python -m lint ARGS` in a subprocess, run from `cwd` (the repository when None)."""
    proc = subprocess.run(
        [sys.executable, "-m", "lint", *map(str, args)],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        cwd=REPO if cwd is None else cwd,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    return Completed(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def tool_missing(reason: str) -> None:
    """Skip a test that needs a missing tool, or fail it under VMLINT_REQUIRE_TOOLS=1 (CI: nothing may skip)."""
    if os.environ.get("VMLINT_REQUIRE_TOOLS") == "1":
        pytest.fail(f"VMLINT_REQUIRE_TOOLS=1 but {reason}")
    pytest.skip(reason)


def require_corpus() -> Path:
    """The real corpus beside the repository (../shared/corpus/real); a test that reads it is skipped with a visible
    reason where the clone has nothing beside it, and fails instead under VMLINT_REQUIRE_TOOLS=1."""
    if not CORPUS.is_dir():
        tool_missing(f"the shared corpus is not at {CORPUS} (a clone with ../shared beside it has it)")
    return CORPUS
