"""The JSON report: `{"version": 1, "findings": [...], "summary": {...}}`, stable for other tools."""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # C, where the accelerator is built

from lint.core.findings import Finding, RunResult, Severity

VERSION = 1


def finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "code": finding.code,
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "hint": finding.hint,
        "kind": finding.kind,
        "name": finding.name,
        "namespace": finding.namespace,
    }


def render(result: RunResult) -> str:
    """The report, byte for byte what `json.dumps(document, indent=2, ensure_ascii=False)` gives.

    json.dumps with an indent runs the pure-Python encoder and holds every piece of the output at once (84 MB
    for a 20 MB report at 50,000 files); the findings are flat, so each is written here with the C string
    encoder, one at a time."""
    pieces = [_HEAD, "[\n" if result.findings else "[]"]
    for number, finding in enumerate(result.findings):
        pieces.extend((",\n" if number else "", _finding_text(finding)))
    pieces.append("\n  ]" if result.findings else "")
    pieces.append(_tail(result))
    return "".join(pieces)  # one copy of the whole, not one per concatenation


class JsonStream:
    """render, written file by file as the findings come: the findings precede the summary."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.started = False
        write(_HEAD)

    def findings(self, findings: list[Finding]) -> None:
        if not findings:
            return
        pieces = []
        for finding in findings:
            pieces.extend((",\n" if self.started else "[\n", _finding_text(finding)))
            self.started = True
        self.write("".join(pieces))

    def end(self, result: RunResult) -> None:
        self.write(("\n  ]" if self.started else "[]") + _tail(result))


_HEAD = f'{{\n  "version": {VERSION},\n  "findings": '


def _tail(result: RunResult) -> str:
    summary: dict[str, object] = {
        "files": result.files,
        "objects": result.objects,
        "workloads": result.workloads,
        "findings": result.total(),
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "info": result.count(Severity.INFO),
        "internal_errors": result.failed_files(),
    }
    if result.notes:  # only when the run assumed something from its input (the KubeVirt of an export)
        summary["notes"] = list(result.notes)
    return ',\n  "summary": ' + json.dumps(summary, indent=2).replace("\n", "\n  ") + "\n}\n"


def _finding_text(finding: Finding) -> str:
    fields = ",\n".join(f"      {_KEYS[key]}: {_value(value)}" for key, value in finding_dict(finding).items())
    return f"    {{\n{fields}\n    }}"


def _value(value: object) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    return "null" if value is None else str(value)  # the rest are ints


_KEYS = {key: encode_basestring(key) for key in ("path", "line", "column", "end_line", "end_column", "code", "rule",
                                                 "severity", "message", "hint", "kind", "name", "namespace")}
