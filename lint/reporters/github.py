"""GitHub Actions workflow commands: one annotation per finding, on its own line.

    ::error file=PATH,line=L,endLine=EL,col=C,endColumn=EC,title=CODE rule-name::message%0Ahint: hint

`error`, `warning` and `notice` follow the finding's severity. `col`/`endColumn` are left out when a finding
spans lines (GitHub then ignores the columns or misplaces the annotation).

Escaping is the toolkit's (actions/toolkit packages/core/src/command.ts `escapeData`/`escapeProperty`): in the
message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property values `:` and `,` also become `%3A` and `%2C`.
So no file name or message can end the line or start another command. Other control characters (an escape
sequence in a user's file) are shown as backslash escapes (lint.reporters.text.printable): the runner writes
the command line to the job's log, and a log is a terminal's input.
"""

from __future__ import annotations

from collections.abc import Callable

from lint.core.findings import Finding, RunResult, Severity
from lint.reporters.text import printable

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(result: RunResult) -> str:
    return "".join(annotation(finding) + "\n" for finding in result.findings)


class GitHubStream:
    """render_github, written file by file as the findings come."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write

    def findings(self, findings: list[Finding]) -> None:
        self.write("".join(annotation(finding) + "\n" for finding in findings))

    def end(self, result: RunResult) -> None:
        pass


def annotation(finding: Finding) -> str:
    properties: list[tuple[str, object]] = [("file", finding.path), ("line", finding.line), ("endLine", finding.end_line)]
    if finding.end_line == finding.line:
        properties += [("col", finding.column), ("endColumn", finding.end_column)]
    properties.append(("title", f"{finding.code} {finding.rule}"))
    message = f"{finding.message}\nhint: {finding.hint}" if finding.hint else finding.message
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """The toolkit's escapeData, then every other control character made visible."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """The toolkit's escapeProperty, then every other control character made visible."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
