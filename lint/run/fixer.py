"""Apply fixes: plan them per file, verify by linting the result, write atomically or show a diff.

A file is changed only when every pass of edits leaves it parsing and with no more findings of any rule
than before (and fewer in all). Writes go to a temporary file in the same directory, are flushed to disk and
renamed over the original, keeping its mode, encoding, byte-order mark and line endings; a file that changed
since it was read, or a link that leads out of the linted tree, is left alone.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lint.core.findings import Finding, Severity
from lint.core.fixes import Edit, Fix
from lint.kube.loading import load_file
from lint.kube.objects import SECRET_INTEREST
from lint.kube.redaction import placeholder, secret_ranges
from lint.run.discovery import InputFile
from lint.text.source import DecodeError, SourceText, decode

MAX_PASSES = 10

Lint = Callable[[InputFile], list[Finding]]


@dataclass
class Plan:
    item: InputFile
    original: bytes
    fixed: bytes | None = None  # None: nothing to change, or refused
    applied: int = 0
    refused: str | None = None

    def diff(self) -> str:
        """The change as a unified diff, with every Secret value shown as `<Secret data, N bytes>`: a diff is a
        report too, and lands in the same CI logs."""
        if self.fixed is None:
            return ""
        name = self.item.display
        before = _without_secrets(name, self.original).splitlines(keepends=True)
        after = _without_secrets(name, self.fixed).splitlines(keepends=True)
        return "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))


def _without_secrets(name: str, data: bytes) -> str:
    """The decoded text with each Secret value replaced by its placeholder (lint.kube.redaction)."""
    text = decode(data).text
    ranges = secret_ranges(load_file(name, data, interest=SECRET_INTEREST).objects) if "Secret" in text else []
    for start, end, size in sorted(ranges, reverse=True):
        text = text[:start] + placeholder(size) + text[end:]
    return text


def choose(findings: Sequence[Finding], unsafe: bool) -> dict[Fix, str]:
    """The fixes to apply in one pass (with the code each fixes): allowed by safety, not overlapping."""
    chosen: dict[Fix, str] = {}
    taken: list[tuple[int, int]] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or (fix.safety == "unsafe" and not unsafe) or fix in chosen:
            continue
        spans = [(edit.start, edit.end) for edit in fix.edits]
        if any(_overlap(span, other) for span in spans for other in taken):
            continue  # the next pass gets it, computed on the text this pass leaves
        chosen[fix] = finding.code
        taken.extend(spans)
    return chosen


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Edits that touch the same text, or insert at the same place (conservative: order would matter)."""
    return max(a[0], b[0]) < min(a[1], b[1]) or a[0] == b[0]


def apply(text: str, fixes: Sequence[Fix]) -> str:
    edits: list[Edit] = sorted((edit for fix in fixes for edit in fix.edits), key=lambda e: (e.start, e.end))
    out, cursor = [], 0
    for edit in edits:
        out.append(text[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


def plan(item: InputFile, data: bytes, lint: Lint, unsafe: bool) -> Plan:
    """Fix one file in memory, pass after pass, keeping only passes that verifiably improve it."""
    result = Plan(item, data)
    try:
        source = decode(data)
    except DecodeError:
        return result
    current, findings = data, lint(item)
    for _ in range(MAX_PASSES):
        fixes = choose(findings, unsafe)
        if not fixes:
            break
        text = apply(decode(current).text, list(fixes))
        candidate = encode(text, source)
        after = lint(InputFile(item.display, item.path, candidate, item.helm_template))
        if not _better(findings, after, set(fixes.values())):
            if result.applied == 0:
                result.refused = "the fixed file would not lint better (it would not parse, or gain a finding)"
            break
        result.applied += len(fixes)
        current, findings = candidate, after
    if current != data:
        result.fixed = current
    return result


SYNTAX = "VM001"
# Fixes that make something readable or live at all: a document that now parses (VM001), a value that is
# now a string (VM003), hooks moved to where they reach the pod (VM004). What they reveal is seen for the
# first time, not made worse.
REVEALING = frozenset({SYNTAX, "VM003", "VM004"})
# A document that now parses was rejected whole by kubectl before: whatever it reveals, it was broken. A value or
# a hook made live is different: it changes what runs, and a hook that becomes live with an error of its own (a
# freeze without its thaw) makes the VM worse than a hook that never ran. Those fixes may reveal warnings and
# notes, not errors.
_REVEALS_ERRORS = frozenset({SYNTAX})


def _better(before: Sequence[Finding], after: Sequence[Finding], fixed: set[str]) -> bool:
    """Every code fixed is reported less often, nothing newly fails to parse, and no other rule gains a
    finding, unless the fix made a document parse (anything may show) or a value a string or a hook live
    (no error may be added)."""
    old, new = Counter(f.code for f in before), Counter(f.code for f in after)
    if new[SYNTAX] > old[SYNTAX] or any(new[code] >= old[code] for code in fixed):
        return False
    if fixed & _REVEALS_ERRORS:
        return True
    if fixed & REVEALING:
        return _errors(after) <= _errors(before)
    return all(new[code] <= old[code] for code in new)


def _errors(findings: Sequence[Finding]) -> int:
    return sum(1 for finding in findings if finding.severity == Severity.ERROR)


def encode(text: str, like: SourceText) -> bytes:
    """Back to bytes in the file's own encoding, with its byte-order mark if it had one."""
    data = text.encode(like.encoding)
    return "\ufeff".encode(like.encoding) + data if like.bom else data


class WriteRefused(Exception):
    """A fix was planned but the file must not be written; the message says why."""


def write(plan_: Plan, root: Path) -> None:
    """Replace the file atomically, or refuse and leave it exactly as it was."""
    path = plan_.item.path
    assert path is not None and plan_.fixed is not None
    target = path.resolve()
    if path.is_symlink() and not _inside(target, root.resolve()):
        raise WriteRefused(f"{plan_.item.display} is a link to {target}, outside the linted tree")
    if target.read_bytes() != plan_.original:
        raise WriteRefused(f"{plan_.item.display} changed while vmlint was fixing it")
    mode = stat.S_IMODE(target.stat().st_mode)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".vmlint", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(plan_.fixed)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if target.read_bytes() != plan_.original:  # last look before the rename
            raise WriteRefused(f"{plan_.item.display} changed while vmlint was fixing it")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
