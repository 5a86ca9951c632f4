"""Reporters turn findings into text for a person or a machine; they never look at YAML or objects.

A reporter sees only a RunResult (its findings, its counts and its errors) and, for SARIF, the rule catalogue:

- `text`   `path:line:col: CODE [severity] message`, the source line, a caret, a hint, a summary (lint.reporters.text)
- `json`   `{"version": 1, "findings": [...], "summary": {...}}`, described by lint/schemas/report.schema.json
- `sarif`  SARIF 2.1.0 for code scanning: one run, every catalogue rule, one result per finding
- `github` GitHub Actions workflow commands (`::error file=…,line=…::message`), one line per finding
- `junit`  JUnit XML: one test case per file and rule with findings, for CI test dashboards
- `gitlab` GitLab Code Quality JSON: one issue per finding, for the merge request widget (lint.reporters.gitlab)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module for FORMATS alone
    from lint.core.catalogue import Catalogue
    from lint.core.findings import RunResult

Reporter = Callable[["RunResult"], str]


FORMATS = ("text", "json", "sarif", "github", "junit", "gitlab")


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
