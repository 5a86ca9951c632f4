"""The JSON report: `{"version": 1, "findings": [...], "summary": {...}}`, stable for other tools."""

from __future__ import annotations

import json

from lint.engine import RunResult
from lint.findings import Finding, Severity

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
    document = {
        "version": VERSION,
        "findings": [finding_dict(finding) for finding in result.findings],
        "summary": {
            "files": result.files,
            "objects": result.objects,
            "workloads": result.workloads,
            "findings": len(result.findings),
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "info": result.count(Severity.INFO),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
