"""Diagnose the stray-quote pattern of the published freeze-hook recipe.

The recipe's value `'["…", "<VM Name>"']'` closes its single-quoted scalar one quote early, so `]'` follows
the scalar and the whole document is invalid YAML. When a syntax error sits on (or just after) a line of that
shape, the intended value is the quoted text with the stray quote removed. The repair is only offered when
the document then parses, so the hint never proposes something that is still broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lint.source import SourceText
from lint.yamldoc import Document, load_documents

_ENTRY = re.compile(
    r"""(?P<lead>[ \t]*(?:-[ \t]+)?)
        (?P<key>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#:][^:#]*?)
        (?P<colon>[ \t]*:[ \t]+)
        (?P<quote>['"])(?P<body>.*?)(?P=quote)
        (?P<rest>[^'"\#]*?[^\s'"\#][^'"\#]*?)
        (?P=quote)
        (?P<trail>[ \t]*(?:\#.*)?)$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class QuoteRepair:
    """Where the early closing quote stands and the line as it was meant."""

    key: str
    line: int
    column: int  # of the stray (early closing) quote
    original: str
    corrected: str
    value: str  # the corrected scalar as written, quotes included


def diagnose_stray_quote(
    source: SourceText, document: Document, wanted_key: Callable[[str], bool]
) -> QuoteRepair | None:
    problem = document.syntax_error
    if problem is None:
        return None
    for line in (problem.line, problem.line - 1, problem.context_line or 0):
        if line < document.start_line or line > document.end_line:
            continue
        repair = _repair_line(source, line, wanted_key)
        if repair and _parses_with(source, document, repair):
            return repair
    return None


def _repair_line(source: SourceText, line: int, wanted_key: Callable[[str], bool]) -> QuoteRepair | None:
    text = source.line_text(line)
    match = _ENTRY.match(text)
    if not match:
        return None
    key = match.group("key").strip("'\"")
    if not wanted_key(key):
        return None
    quote = match.group("quote")
    body = match.group("body")
    if quote == "'" and "'" in body.replace("''", ""):
        return None
    value = f"{quote}{body}{match.group('rest')}{quote}"
    corrected = (
        f"{match.group('lead')}{match.group('key')}{match.group('colon')}{value}{match.group('trail')}"
    )
    stray_column = match.end("body") + 1
    return QuoteRepair(key, line, stray_column, text, corrected, value)


def _parses_with(source: SourceText, document: Document, repair: QuoteRepair) -> bool:
    start = source.line_start(repair.line)
    end = start + len(repair.original)
    text = source.text[document.start : start] + repair.corrected + source.text[end : document.end]
    return all(doc.syntax_error is None for doc in load_documents(SourceText(text)))
