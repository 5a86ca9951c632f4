"""Reporters turn findings into text for a person or a machine; they never look at YAML or objects.

A reporter sees only a RunResult (its findings, its counts and its errors) and, for SARIF, the rule catalogue:

- `text`   `path:line:col: CODE [severity] message`, the source line, a caret, a hint, a summary (lint.reporters.text)
- `json`   `{"version": 1, "findings": [...], "summary": {...}}`, described by lint/schemas/report.schema.json
- `sarif`  SARIF 2.1.0 for code scanning: one run, every catalogue rule, one result per finding
- `github` GitHub Actions workflow commands (`::error file=…,line=…::message`), one line per finding
- `junit`  JUnit XML: one test case per file and rule with findings, for CI test dashboards
- `gitlab` GitLab Code Quality JSON: one issue per finding, for the merge request widget (lint.reporters.gitlab)

Every format but SARIF can also be written as the run goes (`stream`): a file's findings as soon as they are
complete, then what needs the whole run (the summary, JUnit's counts) at the end, with the same bytes as the
reporter given the run's result. SARIF's fingerprints and rule table are written from the whole result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the command line imports this module for FORMATS alone
    from lint.core.catalogue import Catalogue
    from lint.core.findings import Finding, RunResult

Reporter = Callable[["RunResult"], str]


class Stream(Protocol):
    """A report written as the run goes: `findings` with each file's findings in report order (all of a file's in
    one call, files in path order), then `end` once with the run's result, whose findings were streamed
    (RunResult.streamed counts them)."""

    def findings(self, findings: list[Finding]) -> None: ...

    def end(self, result: RunResult) -> None: ...


FORMATS = ("text", "json", "sarif", "github", "junit", "gitlab")
STREAMING = ("text", "json", "github", "junit", "gitlab")  # the formats `stream` writes as the run goes


def reporter(
    name: str,
    quiet: bool = False,
    catalogue: Catalogue | None = None,
    statistics: bool = False,
    color: bool = False,
) -> Reporter:
    """The reporter for a format name in FORMATS. `quiet`, `statistics` and `color` (a terminal) shape only
    `text`; `catalogue` (the built-in one when None) gives SARIF its rule descriptions. An unknown name is a
    ValueError."""
    if name == "text":
        from lint.reporters.text import render_text

        return lambda result: render_text(result, quiet=quiet, statistics=statistics, color=color)
    if name == "json":
        from lint.reporters.json import render

        return render
    if name == "sarif":
        from lint.reporters.sarif import render_sarif

        return lambda result: render_sarif(result, catalogue)
    if name == "github":
        from lint.reporters.github import render_github

        return render_github
    if name == "junit":
        from lint.reporters.junit import render_junit

        return render_junit
    if name == "gitlab":
        from lint.reporters.gitlab import render_gitlab

        return render_gitlab
    raise ValueError(f"unknown output format {name!r}: choose one of {', '.join(FORMATS)}")


def stream(name: str, write: Callable[[str], object], quiet: bool = False, statistics: bool = False,
           color: bool = False) -> Stream:
    """The report of a format in STREAMING, given to `write` piece by piece; the options are `reporter`'s."""
    if name == "text":
        from lint.reporters.text import TextStream

        return TextStream(write, quiet=quiet, statistics=statistics, color=color)
    if name == "json":
        from lint.reporters.json import JsonStream

        return JsonStream(write)
    if name == "github":
        from lint.reporters.github import GitHubStream

        return GitHubStream(write)
    if name == "junit":
        from lint.reporters.junit import JunitStream

        return JunitStream(write)
    if name == "gitlab":
        from lint.reporters.gitlab import GitLabStream

        return GitLabStream(write)
    raise ValueError(f"the {name!r} format is not written as the run goes: choose one of {', '.join(STREAMING)}")
