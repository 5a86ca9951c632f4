"""The text report: `path:line:col: CODE [severity] message`, the source line, a caret, a hint."""

from __future__ import annotations

import re

from lint.engine import RunResult
from lint.findings import Finding, Severity

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """Control characters from a user's file are shown escaped, never sent to the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def render_text(result: RunResult, quiet: bool = False) -> str:
    lines: list[str] = []
    for finding in result.findings:
        lines.append(headline(finding))
        if not quiet:
            lines.extend(_context(finding))
    if not quiet:
        if result.findings:
            lines.append("")
        lines.append(summary(result))
    return "\n".join(lines) + ("\n" if lines else "")


def headline(finding: Finding) -> str:
    return (
        f"{printable(finding.path)}:{finding.line}:{finding.column}: {finding.code} [{finding.severity}] "
        f"{printable(finding.message)}"
    )


def _context(finding: Finding) -> list[str]:
    source = finding.source_line
    out = []
    if source or finding.column == 1:
        prefix = source[: finding.column - 1]
        width = max(1, (finding.end_column - finding.column) if finding.end_line == finding.line else 1)
        pad = "".join(ch if ch == "\t" else " " for ch in printable(prefix))
        out.append(f"    {printable(source)}")
        out.append(f"    {pad}{'^' * min(width, max(1, len(source) - finding.column + 1))}")
    if finding.hint:
        out.append(f"    hint: {printable(finding.hint)}")
    return out


def summary(result: RunResult) -> str:
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not result.findings:
        return f"No findings in {files}."
    counts = [
        f"{result.count(severity)} {str(severity) + ('s' if severity != Severity.INFO and result.count(severity) != 1 else '')}"
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if result.count(severity)
    ]
    total = len(result.findings)
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(counts)}) in {files}."
