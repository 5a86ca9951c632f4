"""The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.

One run. `tool.driver.rules` describes every rule of the catalogue (id = code, name, summary, rationale, help
with the examples, a stable help URI, the default level); each finding is a result with its rule's id and
index, a level, the message with the hint, a region in Unicode code points (`columnKind`, declared on the
run, because our columns count code points), a partial fingerprint that survives edits elsewhere in the file,
and the finding's object in `properties`. Paths relative to the directory vmlint ran in are relative URIs on
`%SRCROOT%`; absolute paths are `file:` URIs. Run errors (unreadable files, internal errors) become
`toolExecutionNotifications` and make `executionSuccessful` false.

The output is deterministic: keys in a fixed order, two-space indent, no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

from lint import __version__
from lint.core.catalogue import Catalogue, Rule, builtin_catalogue
from lint.core.findings import Finding, RunResult, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "vmlint"
INFORMATION_URI = "https://github.com/vmlint/vmlint"
RULE_HELP_URI = "https://vmlint.dev/rules/{code}"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "vmlint/v1"
"""The partialFingerprints key; bump its version whenever what goes into the hash changes."""

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# Line and column numbers a message quotes ("repeats the key at line 12, column 9") move with every edit above
# them: the fingerprint leaves them out.
_POSITION = re.compile(r"\b(lines?|columns?|col)(\s+)\d+", re.IGNORECASE)


def render_sarif(result: RunResult, catalogue: Catalogue | None = None) -> str:
    return json.dumps(sarif_log(result, catalogue), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: RunResult, catalogue: Catalogue | None = None) -> dict[str, object]:
    rules = list(catalogue if catalogue is not None else builtin_catalogue())
    index = {rule.code: position for position, rule in enumerate(rules)}
    descriptors: list[dict[str, object]] = [rule_descriptor(rule) for rule in rules]
    for finding in result.findings:  # a finding of a rule the catalogue does not know still needs a descriptor
        if finding.code not in index:
            index[finding.code] = len(descriptors)
            descriptors.append({"id": finding.code, "name": finding.rule})
    results = [sarif_result(finding, index[finding.code], value)
               for finding, value in zip(result.findings, fingerprints(result.findings))]
    invocation: dict[str, object] = {"executionSuccessful": not result.errors}
    if result.errors or result.notes:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in result.errors
        ] + [{"level": "note", "message": {"text": note}} for note in result.notes]
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def rule_descriptor(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": RULE_HELP_URI.format(code=rule.code),
        "defaultConfiguration": {"enabled": rule.default_enabled, "level": LEVELS[rule.severity]},
        "properties": {"fix": rule.fix, "references": list(rule.references)},
    }


def sarif_result(finding: Finding, rule_index: int, fingerprint_value: str) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": message_text(finding)},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(finding.path), "region": region(finding)}}],
        "partialFingerprints": {FINGERPRINT: fingerprint_value},
    }
    fixes = sarif_fixes(finding)
    if fixes:
        result["fixes"] = fixes
    result["properties"] = {
        key: value
        for key, value in (("kind", finding.kind), ("name", finding.name), ("namespace", finding.namespace))
        if value is not None
    }
    return result


def sarif_fixes(finding: Finding) -> list[dict[str, object]]:
    """SARIF `fixes` (3.55): the finding's edits as replacements of character ranges of the file.

    Offsets count code points of the decoded text (after a byte-order mark), as the run's columnKind says.
    """
    fix = finding.fix
    if fix is None:
        return []
    replacements = [
        {"deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
         "insertedContent": {"text": edit.text}}
        for edit in fix.edits
    ]
    return [{
        "description": {"text": f"{fix.description} ({fix.safety} fix)"},
        "artifactChanges": [{"artifactLocation": artifact_location(finding.path), "replacements": replacements}],
    }]


def message_text(finding: Finding) -> str:
    return f"{finding.message}\nhint: {finding.hint}" if finding.hint else finding.message


def region(finding: Finding) -> dict[str, int]:
    """1-based lines and columns; the end column is exclusive, as in a Finding and in SARIF."""
    return {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
    }


def artifact_location(path: str) -> dict[str, str]:
    """A relative path becomes a relative URI on %SRCROOT% (the directory vmlint ran in); an absolute one a
    `file:` URI. Every character outside RFC 3986's unreserved set is percent-encoded (UTF-8)."""
    pure = PureWindowsPath(path) if os.name == "nt" else PurePosixPath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    return {"uri": quote(pure.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def fingerprint(finding: Finding) -> str:
    """A hash of what identifies a finding apart from where it is: the rule, the file, the object, the message
    without the line and column numbers it may quote. The reporter appends `:N`, the finding's occurrence
    among those with the same hash, so that identical findings in one object stay apart."""
    message = _POSITION.sub(lambda m: f"{m.group(1).lower()}{m.group(2)}#", finding.message)
    parts = (finding.code, finding.path, finding.kind or "", finding.namespace or "", finding.name or "", message)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding]) -> list[str]:
    """Each finding's fingerprint, `HASH:N`: its `fingerprint` and its occurrence among the findings with the
    same hash, in report order. The SARIF and GitLab reports both carry it."""
    occurrences: Counter[str] = Counter()
    values = []
    for finding in findings:
        base = fingerprint(finding)
        occurrences[base] += 1
        values.append(f"{base}:{occurrences[base]}")
    return values


def _help_text(rule: Rule) -> str:
    parts = [rule.summary, rule.rationale]
    parts += [f"Bad{rule.example_at('bad', n)}:\n{example.rstrip()}" for n, example in enumerate(rule.examples_bad, 1)]
    parts += [f"Good{rule.example_at('good', n)}:\n{example.rstrip()}"
              for n, example in enumerate(rule.examples_good, 1)]
    if rule.references:
        parts.append("References:\n" + "\n".join(f"- {ref}" for ref in rule.references))
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    parts = [f"**{rule.code} {rule.name}**: {rule.summary}", rule.rationale]
    parts += [f"Bad{rule.example_at('bad', n)}:\n\n{_fenced(example)}" for n, example in enumerate(rule.examples_bad, 1)]
    parts += [f"Good{rule.example_at('good', n)}:\n\n{_fenced(example)}"
              for n, example in enumerate(rule.examples_good, 1)]
    if rule.references:
        parts.append("References:\n\n" + "\n".join(f"- {ref}" for ref in rule.references))
    return "\n\n".join(parts)


def _fenced(example: str) -> str:
    """A YAML code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", example)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}yaml\n{example.rstrip()}\n{fence}"
