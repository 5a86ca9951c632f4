"""The text report: `path:line:col: CODE [severity] message`, the source line, a caret, a hint."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from lint.core.findings import Finding, RunResult, Severity

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, one_line: bool = False) -> str:
    """Control characters from a user's file are shown escaped, never sent to the terminal; in a field that
    must stay on one line (a path, a message), line breaks too, so no file name can fake another finding."""
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return escaped.replace("\r", "\\r").replace("\n", "\\n") if one_line else escaped


_COLORS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render_text(result: RunResult, quiet: bool = False, statistics: bool = False, color: bool = False) -> str:
    lines: list[str] = []
    for finding in result.findings:
        lines.append(headline(finding, color))
        if not quiet:
            lines.extend(_context(finding, color))
    if statistics:
        lines.extend(_statistics(result))
    lines.extend(_ending(result, quiet, color))
    return "\n".join(lines) + ("\n" if lines else "")


class TextStream:
    """render_text, written file by file as the findings come (`findings`), then the summary (`end`)."""

    def __init__(self, write: Callable[[str], object], quiet: bool = False, statistics: bool = False,
                 color: bool = False) -> None:
        self.write, self.quiet, self.statistics, self.color = write, quiet, statistics, color
        self.counts: Counter[tuple[str, str]] = Counter()  # per rule: as many entries as rules

    def findings(self, findings: list[Finding]) -> None:
        lines: list[str] = []
        for finding in findings:
            lines.append(headline(finding, self.color))
            if not self.quiet:
                lines.extend(_context(finding, self.color))
            self.counts[(finding.code, finding.rule)] += 1
        self.write("".join(line + "\n" for line in lines))

    def end(self, result: RunResult) -> None:
        lines = _statistics_lines(self.counts, result.total() > 0) if self.statistics else []
        lines.extend(_ending(result, self.quiet, self.color))
        self.write("".join(line + "\n" for line in lines))


def _ending(result: RunResult, quiet: bool, color: bool) -> list[str]:
    lines: list[str] = []
    if not quiet:
        if result.total():
            lines.append("")
        lines.append(summary(result))
        lines.extend(printable(note, one_line=True) for note in result.notes)
        if result.fixed:
            lines.append(f"Fixed {result.fixed} finding{'s' if result.fixed != 1 else ''}.")
        if result.baseline_fixed:
            fixed = result.baseline_fixed
            lines.append(f"{fixed} baseline {'entry no longer matches' if fixed == 1 else 'entries no longer match'} (fixed).")
        if color:  # a person at a terminal: how much was read, and how long it took
            lines.append(f"{_DIM}Checked {result.files} files, {result.objects} objects, {result.workloads} workloads "
                         f"in {result.seconds:.2f}s.{_RESET}")
    return lines


def headline(finding: Finding, color: bool = False) -> str:
    path, message = printable(finding.path, one_line=True), printable(finding.message, one_line=True)
    if color:
        return (
            f"{_BOLD}{path}:{finding.line}:{finding.column}:{_RESET} {_COLORS[finding.severity]}{finding.code}{_RESET} "
            f"[{finding.severity}] {message}"
        )
    return f"{path}:{finding.line}:{finding.column}: {finding.code} [{finding.severity}] {message}"


def _statistics(result: RunResult) -> list[str]:
    counts: Counter[tuple[str, str]] = Counter((finding.code, finding.rule) for finding in result.findings)
    return _statistics_lines(counts, result.total() > 0)


def _statistics_lines(counts: Counter[tuple[str, str]], any_findings: bool) -> list[str]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ([""] if any_findings else []) + [f"{count:>5}  {code}  {rule}" for (code, rule), count in ordered]


def _context(finding: Finding, color: bool = False) -> list[str]:
    source = finding.source_line
    out = []
    if source or finding.column == 1:
        prefix = source[: finding.column - 1]
        width = max(1, (finding.end_column - finding.column) if finding.end_line == finding.line else 1)
        pad = "".join(ch if ch == "\t" else " " for ch in printable(prefix))
        caret = "^" * min(width, max(1, len(source) - finding.column + 1))
        out.append(f"    {printable(source)}")
        out.append(f"    {pad}{_COLORS[finding.severity] + caret + _RESET if color else caret}")
    if finding.hint:
        out.append(f"    hint: {printable(finding.hint, one_line=True)}")
    return out


def summary(result: RunResult) -> str:
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not result.total():
        return f"No findings in {files}."
    counts = [
        f"{result.count(severity)} {str(severity) + ('s' if severity != Severity.INFO and result.count(severity) != 1 else '')}"
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if result.count(severity)
    ]
    total = result.total()
    failed = result.failed_files()
    failures = f"; vmlint failed on {failed} of them (VM009, a defect to report)" if failed else ""
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(counts)}) in {files}{failures}."
