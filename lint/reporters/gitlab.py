"""GitLab Code Quality: the JSON array a job's `artifacts:reports:codequality` file holds, for the merge request
widget and the changes view.

GitLab reads a subset of the Code Climate issue (doc/ci/testing/code_quality.md, "Implement a custom tool"):
`description`, `check_name`, `fingerprint`, `severity` (`info`, `minor`, `major`, `critical` or `blocker`),
`location.path` (relative) and `location.lines.begin`; it ignores every other property, and refuses a file that
starts with a byte-order mark (this report never has one).

- `description` is the finding's message, `check_name` its rule code;
- `fingerprint` is the SARIF report's (lint.reporters.sarif.fingerprints): the rule, the file, the object and the
  message without the line numbers it quotes, with the occurrence among equal hashes, so a finding keeps its
  fingerprint when lines move and GitLab does not report it as fixed and new again; GitLab shows findings with
  one fingerprint as one entry, and the occurrence keeps identical findings in one object apart;
- `severity`: error is `major`, warning `minor`, info `info` (as ESLint's GitLab formatter grades them);
  `critical` and `blocker` are not used;
- `location.path` is relative to the directory vmlint ran in, with `/` separators and no `./`; a file outside it
  is reached with `..` (GitLab then links it nowhere, but no absolute path of the machine leaks into the
  report); a name that is not a path (`<stdin>`, `--stdin-filename`) is kept as given.

One entry per finding, in the order of the JSON report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from lint.core.findings import Finding, RunResult, Severity
from lint.reporters.sarif import fingerprints

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render_gitlab(result: RunResult, cwd: Path | None = None) -> str:
    return json.dumps(code_quality(result, cwd), indent=2, ensure_ascii=False) + "\n"


def code_quality(result: RunResult, cwd: Path | None = None) -> list[dict[str, object]]:
    """The report's entries; `cwd` (the current directory when None) is what paths are relative to."""
    base = Path.cwd() if cwd is None else cwd
    return [issue(finding, value, base) for finding, value in zip(result.findings, fingerprints(result.findings))]


class GitLabStream:
    """render_gitlab, written file by file as the findings come. A fingerprint's occurrence counts findings of
    one file (its hash covers the path), and a file's findings come in one call."""

    def __init__(self, write: Callable[[str], object], cwd: Path | None = None) -> None:
        self.write, self.cwd = write, Path.cwd() if cwd is None else cwd
        self.started = False

    def findings(self, findings: list[Finding]) -> None:
        pieces = []
        for finding, value in zip(findings, fingerprints(findings)):
            text = json.dumps(issue(finding, value, self.cwd), indent=2, ensure_ascii=False)
            pieces.extend((",\n  " if self.started else "[\n  ", text.replace("\n", "\n  ")))
            self.started = True
        self.write("".join(pieces))

    def end(self, result: RunResult) -> None:
        self.write("\n]\n" if self.started else "[]\n")


def issue(finding: Finding, fingerprint: str, cwd: Path) -> dict[str, object]:
    return {
        "description": finding.message,
        "check_name": finding.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": relative_path(finding.path, cwd), "lines": {"begin": finding.line}},
    }


def relative_path(path: str, cwd: Path) -> str:
    """`path` relative to `cwd`, with `/` separators; `..` where it lies outside."""
    if path.startswith("<") and path.endswith(">"):  # <stdin>
        return path
    pure = Path(path)
    if pure.is_absolute():
        try:
            path = os.path.relpath(pure, cwd)
        except ValueError:  # another drive (Windows): no relative path exists
            return pure.as_posix()
    return Path(os.path.normpath(path)).as_posix()
