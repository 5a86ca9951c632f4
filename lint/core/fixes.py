"""Fixes as text edits over exact source spans, written in the quoting style of the scalar they touch.

A check that knows the one right answer attaches a Fix to its Hit. Edits are character offsets into the
file's decoded text; everything outside them stays byte for byte (lint/run/fixer.py applies and verifies them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lint.text.nodes import Scalar, value_span
from lint.text.source import SourceText

Safety = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safety: Safety = "safe"


# A value that can stay a plain scalar: no YAML indicator, and Kubernetes reads it as a string.
_PLAIN_SAFE = re.compile(r"[A-Za-z/_][A-Za-z0-9._/\-]*")
_NOT_STRINGS = re.compile(r"(?i)y|n|yes|no|on|off|true|false|null|~")


def quoted(value: str, style: str) -> str:
    """`value` written as a scalar in `style` ("'", '"' or "" for plain, which falls back to single quotes)."""
    if style == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "" and _PLAIN_SAFE.fullmatch(value) and not _NOT_STRINGS.fullmatch(value):
        return value
    return "'" + value.replace("'", "''") + "'"


def escaped(text: str, style: str) -> str:
    """`text` as it must be written inside a scalar of `style` (no surrounding quotes)."""
    if style == '"':
        return text.replace("\\", "\\\\").replace('"', '\\"')
    if style == "'":
        return text.replace("'", "''")
    return text


def replace_value(scalar: Scalar, value: str) -> Edit | None:
    """Replace a whole one-line scalar, keeping its quoting style where it can hold the new value."""
    if scalar.style not in ("", "'", '"') or scalar.span.line != scalar.span.end_line:
        return None
    return Edit(scalar.span.start, scalar.span.end, quoted(value, scalar.style))


def replace_in_value(source: SourceText, scalar: Scalar, start: int, end: int, text: str) -> Edit | None:
    """Replace `value[start:end]` of a scalar by `text`, where the scalar maps its characters exactly."""
    if scalar.style not in ("", "'", '"', "|"):
        return None
    if start == end:  # an insertion: just after the character before it, or at the very start
        if start == 0:
            if not scalar.value:
                return None
            span = value_span(source, scalar, 0, 1)
            at = span.start
        else:
            span = value_span(source, scalar, start - 1, start)
            at = span.end
        if span is scalar.span:
            return None
        return Edit(at, at, escaped(text, scalar.style if scalar.style != "|" else ""))
    span = value_span(source, scalar, start, end)
    if span is scalar.span:
        return None
    raw = source.text[span.start : span.end]
    if escaped(scalar.value[start:end], scalar.style if scalar.style != "|" else "") != raw:
        return None  # escapes inside the span: do not guess
    return Edit(span.start, span.end, escaped(text, scalar.style if scalar.style != "|" else ""))


def fix_of(description: str, *edits: Edit | None, safety: Safety = "safe") -> Fix | None:
    """A Fix when every edit could be made exactly; None when any could not (no half fixes)."""
    if not edits or any(edit is None for edit in edits):
        return None
    return Fix(description, tuple(edit for edit in edits if edit is not None), safety)
