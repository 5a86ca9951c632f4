"""How far vmlint agrees with the verdicts of Velero's real CRDs (tests/oracle/vectors/velero_hooks.jsonl).

    PYTHONPATH=. python tests/oracle/velero_agreement.py    # the agreement of the vmlint on PYTHONPATH

Per object: vmlint must give a VM501 error exactly when kubectl is refused the object (a validation error or an
unknown field), or when Velero cannot use what the API server accepts (a duration Go rejects, an empty program
name, an empty resource name on a resource with exec hooks: the vectors record these as `velero` facts); and a
VM501 warning exactly when a timeout is negative (accepted, decoded, never enforced). Per node: every problem
of the oracle must lie within a finding's span (or the finding within the node's: a type error covers the fields
pruned below it), and every finding on a node the oracle names. Restores go through the VM504 entry point,
lint.checks.hookschema.restore_hook_invalid, when the vmlint on the path has it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORACLE_DIR = Path(__file__).resolve().parent
ERROR_FACTS = {"duration-unparseable", "empty-program", "empty-hook-name"}
WARNING_FACTS = {"duration-negative"}


def read_vectors() -> list[dict[str, Any]]:
    with (ORACLE_DIR / "vectors" / "velero_hooks.jsonl").open(encoding="ascii") as handle:
        return [json.loads(line) for line in handle]


@dataclass(frozen=True)
class Seen:
    start: int
    end: int
    error: bool
    message: str


@dataclass
class Agreement:
    total: Counter = field(default_factory=Counter)
    agreed: Counter = field(default_factory=Counter)  # per kind: the object verdict, errors and warnings
    verdict_agreed: Counter = field(default_factory=Counter)  # VM501 error <=> refused by kubectl, nothing else
    disagreements: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # an oracle problem no finding points at
    unexplained: list[str] = field(default_factory=list)  # a finding on no node the oracle names

    def lines(self) -> list[str]:
        out = []
        for kinds, label in ((("Backup", "Schedule"), "Backups and Schedules"), (("Restore",), "Restores")):
            total = sum(self.total[k] for k in kinds)
            if not total:
                continue
            agreed = sum(self.agreed[k] for k in kinds)
            verdict = sum(self.verdict_agreed[k] for k in kinds)
            out.append(f"{label}: {agreed}/{total} agree ({100 * agreed / total:.1f}%) with the CRD's verdicts and "
                       f"Velero's facts; {verdict}/{total} ({100 * verdict / total:.1f}%) on 'kubectl refuses it' "
                       "alone")
        out.append(f"oracle problems no finding points at: {len(self.uncovered)}; findings on nodes the oracle does "
                   f"not name: {len(self.unexplained)}")
        return out


def _offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _findings(vectors: list[dict[str, Any]]) -> dict[int, list[Seen]]:
    """VM501 findings of Backups and Schedules (the engine) and the VM504 entry point's hits on Restores."""
    from lint.core.catalogue import builtin_catalogue
    from lint.core.findings import Severity
    from lint.run.discovery import InputFile
    from lint.run.engine import run, select_rules
    from lint.target.settings import Settings

    found: dict[int, list[Seen]] = {vector["id"]: [] for vector in vectors}
    texts = {f"case-{v['id']}.yaml": v for v in vectors if v["kind"] != "Restore"}
    result = run([InputFile(name, None, v["yaml"].encode()) for name, v in texts.items()],
                 select_rules(builtin_catalogue(), ("VM501",)), Settings())
    assert not result.errors, result.errors
    for finding in result.findings:
        vector = texts[finding.path]
        lines = _offsets(vector["yaml"])
        start = lines[finding.line - 1] + finding.column - 1
        end = lines[finding.end_line - 1] + finding.end_column - 1
        found[vector["id"]].append(Seen(start, end, finding.severity == Severity.ERROR, finding.message))
    if importlib.util.find_spec("lint.checks.hookschema") is None:
        return found
    from lint.checks import hookschema
    from lint.kube.loading import load_file

    entry = getattr(hookschema, "restore_hook_invalid", None)
    if entry is None:
        return found

    class Context:
        settings = Settings()

    for vector in vectors:
        if vector["kind"] != "Restore":
            continue
        for obj in load_file("restore.yaml", vector["yaml"].encode()).objects:
            for hit in entry(obj, Context()):
                error = hit.severity is None or hit.severity == Severity.ERROR
                found[vector["id"]].append(Seen(hit.span.start, hit.span.end, error, hit.message))
    return found


def _node_span(obj_node: Any, path: list[Any], key: str = "") -> tuple[int, int] | None:
    from lint.text.nodes import Mapping, Sequence

    node, key_node = obj_node, None
    for part in path:
        if isinstance(part, int) and isinstance(node, Sequence) and part < len(node.items):
            node, key_node = node.items[part], None
        elif isinstance(part, str) and isinstance(node, Mapping) and node.entry(part) is not None:
            key_node, node = node.entry(part)
        else:
            return None
    if key == "only" and key_node is not None:
        return key_node.span.start, key_node.span.end
    if key == "with" and key_node is not None:  # a missing field: the object, and the key it stands under
        return key_node.span.start, node.span.end
    return node.span.start, node.span.end


def _overlaps(a: tuple[int, int], seen: Seen) -> bool:
    return a[0] <= seen.start < max(a[1], a[0] + 1) or seen.start <= a[0] < max(seen.end, seen.start + 1)


def agreement(vectors: list[dict[str, Any]] | None = None) -> Agreement:
    from lint.kube.loading import load_file

    vectors = read_vectors() if vectors is None else vectors
    findings = _findings(vectors)
    report = Agreement()
    for vector in vectors:
        kind, seen = vector["kind"], findings[vector["id"]]
        facts = {fact["fact"] for fact in vector["velero"]}
        refused = not vector["accepted"]["strict"]
        want_error = refused or bool(facts & ERROR_FACTS)
        want_warning = bool(facts & WARNING_FACTS)
        got_error = any(s.error for s in seen)
        got_warning = any(not s.error for s in seen)
        report.total[kind] += 1
        report.verdict_agreed[kind] += got_error == refused
        if (got_error, got_warning) == (want_error, want_warning):
            report.agreed[kind] += 1
        else:
            report.disagreements.append(
                f"case {vector['id']} ({kind}): oracle error={want_error} warning={want_warning}, vmlint "
                f"error={got_error} warning={got_warning}: {[s.message for s in seen]} {vector['errors']} "
                f"{vector['unknown']} {vector['velero']}")
        if kind == "Restore" and not seen and not want_error and not want_warning:
            continue
        (obj,) = load_file("case.yaml", vector["yaml"].encode()).objects
        named: list[tuple[tuple[int, int], bool, str]] = []
        for error in vector["errors"]:
            span = _node_span(obj.node, error["path"], key="with" if error["keyword"] == "required" else "")
            named.append((span, True, f"{error['keyword']} {error['path']} {error.get('field', '')}"))
        for path in vector["unknown"]:
            named.append((_node_span(obj.node, path, key="only"), True, f"unknown {path}"))
        for fact in vector["velero"]:
            named.append((_node_span(obj.node, fact["path"]), fact["fact"] in ERROR_FACTS, f"{fact['fact']} "
                          f"{fact['path']}"))
        for span, error, what in named:
            if span is None or not any(_overlaps(span, s) and s.error == error for s in seen):
                report.uncovered.append(f"case {vector['id']} ({kind}): {what}: {[s.message for s in seen]}")
        for s in seen:
            if not any(span is not None and _overlaps(span, s) for span, _, _ in named):
                report.unexplained.append(f"case {vector['id']} ({kind}): {s.message}")
    return report


if __name__ == "__main__":
    found = agreement()
    print("\n".join(found.lines()))
    shown = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for line in (found.disagreements + found.uncovered + found.unexplained)[:shown]:
        print(" ", line[:600])
