"""Findings: what a check reports (a Hit) and what a reporter prints (a Finding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from lint.core.fixes import Fix
from lint.text.nodes import Span

INTERNAL_ERROR = "VM009"  # vmlint failed on a file (lint.run.isolation)


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Related:
    """A second place a finding points at, with what it is (VM002: the first of two repeated keys)."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str


@dataclass(frozen=True)
class Hit:
    """One thing a check found, before the engine gives it a rule, a file and an object.

    `severity` overrides the rule's default where a rule grades its cases (a missing container is only info).
    """

    span: Span
    message: str
    hint: str | None = None
    severity: Severity | None = None
    fix: Fix | None = None
    related: tuple[tuple[Span, str], ...] = ()  # other places the finding points at, each with what it is


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    rule: str
    severity: Severity
    message: str
    hint: str | None
    kind: str | None
    name: str | None
    namespace: str | None
    source_line: str
    excerpt: str = ""  # the offending text itself: what a baseline entry is keyed on, so line moves do not matter
    fix: Fix | None = None
    related: tuple[Related, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


@dataclass
class RunResult:
    """What a run found, and what the summary line counts: the one thing every reporter is given.

    A run whose findings went to the reporters file by file as they came (lint.run.engine.run's `report`) keeps
    none of them: `findings` is then empty and `streamed` counts them per severity, `streamed_failed` the files
    among them that vmlint failed on. The counting methods below add up both."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    objects: int = 0
    workloads: int = 0
    errors: list[str] = field(default_factory=list)  # files that could not be read, internal errors
    baseline_fixed: int = 0  # baseline entries that no finding matches any more
    fixed: int = 0  # findings fixed by --fix before this report
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the run assumed from its input (the export's KubeVirt)
    streamed: dict[Severity, int] = field(default_factory=dict)  # findings handed to the reporters, not kept
    streamed_failed: int = 0  # files among the streamed ones with a VM009 finding

    def count(self, severity: Severity) -> int:
        return self.streamed.get(severity, 0) + sum(1 for finding in self.findings if finding.severity == severity)

    def total(self) -> int:
        """How many findings the run reports, kept or streamed."""
        return sum(self.streamed.values()) + len(self.findings)

    def failed_files(self) -> int:
        """Files vmlint failed on (VM009): their findings may be incomplete, and the summary says so."""
        return self.streamed_failed + len({finding.path for finding in self.findings if finding.code == INTERNAL_ERROR})

    def tally(self, findings: list[Finding]) -> None:
        """Count one file's findings, handed to the reporters instead of kept (all of a file's come at once)."""
        for finding in findings:
            self.streamed[finding.severity] = self.streamed.get(finding.severity, 0) + 1
        if any(finding.code == INTERNAL_ERROR for finding in findings):
            self.streamed_failed += 1
